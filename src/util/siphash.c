/* siphash.c - SipHash-2-4 and the global hash seed; see siphash.h. */
#include "util/siphash.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The key in the form the hash consumes it; set by hash_seed_set(). */
static uint8_t global_seed[16];

static inline uint64_t rotl64(uint64_t x, unsigned r) {
    return (x << r) | (x >> (64 - r));
}

static inline uint64_t load_le64(const uint8_t *p) {
    uint64_t v;
    memcpy(&v, p, sizeof(v));
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    return v;
}

typedef struct sipState {
    uint64_t v0, v1, v2, v3;
} sipState;

static inline void sip_round(sipState *s) {
    s->v0 += s->v1;
    s->v1 = rotl64(s->v1, 13);
    s->v1 ^= s->v0;
    s->v0 = rotl64(s->v0, 32);
    s->v2 += s->v3;
    s->v3 = rotl64(s->v3, 16);
    s->v3 ^= s->v2;
    s->v0 += s->v3;
    s->v3 = rotl64(s->v3, 21);
    s->v3 ^= s->v0;
    s->v2 += s->v1;
    s->v1 = rotl64(s->v1, 17);
    s->v1 ^= s->v2;
    s->v2 = rotl64(s->v2, 32);
}

/* Absorbs one 64-bit message word with the two compression rounds. */
static inline void sip_compress(sipState *s, uint64_t m) {
    s->v3 ^= m;
    sip_round(s);
    sip_round(s);
    s->v0 ^= m;
}

uint64_t siphash24(const uint8_t key[16], const void *p, size_t len) {
    const uint8_t *in = p;
    uint64_t k0 = load_le64(key), k1 = load_le64(key + 8);
    sipState s = {
        k0 ^ 0x736f6d6570736575ull,
        k1 ^ 0x646f72616e646f6dull,
        k0 ^ 0x6c7967656e657261ull,
        k1 ^ 0x7465646279746573ull,
    };
    size_t full = len & ~(size_t)7;
    for (size_t i = 0; i < full; i += 8) sip_compress(&s, load_le64(in + i));

    /* Last word: the 0..7 trailing bytes little-endian, the length mod 256 in the top byte. */
    uint64_t last = (uint64_t)(len & 0xff) << 56;
    for (size_t i = len - full; i > 0; i--) last |= (uint64_t)in[full + i - 1] << (8 * (i - 1));
    sip_compress(&s, last);

    s.v2 ^= 0xff;
    for (int i = 0; i < 4; i++) sip_round(&s);
    return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

void hash_seed_set(const uint8_t seed[16]) {
    memcpy(global_seed, seed, sizeof(global_seed));
}

/* Reads exactly n random bytes from /dev/urandom; 0 on any failure. */
static int read_urandom(uint8_t *buf, size_t n) {
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, buf + got, n - got);
        if (r <= 0) break;
        got += (size_t)r;
    }
    close(fd);
    return got == n;
}

void hash_seed_init(void) {
    uint8_t seed[16];
    if (!read_urandom(seed, sizeof(seed))) {
        fprintf(stderr, "WARNING: cannot read /dev/urandom; hash seed taken from clock and pid\n");
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        uint64_t material[4] = {(uint64_t)ts.tv_sec, (uint64_t)ts.tv_nsec, (uint64_t)getpid(),
                                (uint64_t)(uintptr_t)&ts};
        uint64_t a = siphash24(global_seed, material, sizeof(material));
        uint64_t b = siphash24(global_seed, &a, sizeof(a));
        memcpy(seed, &a, 8);
        memcpy(seed + 8, &b, 8);
    }
    hash_seed_set(seed);
}

uint64_t hash_bytes(const void *p, size_t len) {
    return siphash24(global_seed, p, len);
}
