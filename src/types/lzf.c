/* lzf.c - LZF-format compression; see lzf.h for the format.
 *
 * The compressor keeps, for each hash of a 3-byte prefix, the last input position where that
 * prefix started (positions are stored + 1 so that 0 means "none"). A candidate is verified
 * byte by byte, so hash collisions only cost a missed match, never a wrong one. */
#include "types/lzf.h"

#include <stdint.h>
#include <string.h>

#define HASH_BITS 13
#define MAX_LIT 32             /* longest literal run of one control byte */
#define MAX_OFF 8192           /* farthest back reference */
#define MAX_REF 264            /* longest back reference (7 + 255 + 2) */
#define MIN_REF 3

static inline uint32_t prefix3(const unsigned char *p) {
    return ((uint32_t)p[0] << 16) | ((uint32_t)p[1] << 8) | p[2];
}

static inline uint32_t hash3(uint32_t v, unsigned bits) {
    return (v * 2654435761u) >> (32 - bits);
}

/* Emits the literal bytes in[from..to) as runs of at most MAX_LIT. Returns the new output
 * position, or SIZE_MAX when out of room. */
static size_t put_literals(const unsigned char *in, size_t from, size_t to, unsigned char *out, size_t op,
                           size_t cap) {
    while (from < to) {
        size_t run = to - from < MAX_LIT ? to - from : MAX_LIT;
        if (op + 1 + run > cap) return SIZE_MAX;
        out[op++] = (unsigned char)(run - 1);
        memcpy(out + op, in + from, run);
        op += run;
        from += run;
    }
    return op;
}

/* Emits a back reference of len bytes (MIN_REF..MAX_REF) at distance off (1..MAX_OFF). */
static size_t put_ref(size_t off, size_t len, unsigned char *out, size_t op, size_t cap) {
    size_t o = off - 1, l = len - 2;
    if (op + (l >= 7 ? 3 : 2) > cap) return SIZE_MAX;
    if (l < 7) {
        out[op++] = (unsigned char)((l << 5) | (o >> 8));
    } else {
        out[op++] = (unsigned char)((7 << 5) | (o >> 8));
        out[op++] = (unsigned char)(l - 7);
    }
    out[op++] = (unsigned char)(o & 0xff);
    return op;
}

size_t klzf_compress(const unsigned char *in, size_t in_len, unsigned char *out, size_t out_cap) {
    /* The table has about as many slots as the input has bytes (at least 256): clearing all
     * 2^HASH_BITS slots for each short value (a snapshot compresses millions of 100-byte
     * strings) cost more than compressing it. */
    unsigned bits = 8;
    while (bits < HASH_BITS && ((size_t)1 << bits) < in_len) bits++;
    uint32_t last[1 << HASH_BITS];
    memset(last, 0, sizeof(last[0]) << bits);
    size_t ip = 0, lit = 0, op = 0;
    while (ip + MIN_REF <= in_len) {
        uint32_t v = prefix3(in + ip);
        uint32_t h = hash3(v, bits);
        size_t cand = last[h];
        last[h] = (uint32_t)(ip + 1);
        if (cand && ip - (cand - 1) <= MAX_OFF && prefix3(in + cand - 1) == v) {
            size_t ref = cand - 1, len = MIN_REF;
            size_t max = in_len - ip < MAX_REF ? in_len - ip : MAX_REF;
            while (len < max && in[ref + len] == in[ip + len]) len++;
            op = put_literals(in, lit, ip, out, op, out_cap);
            if (op == SIZE_MAX) return 0;
            op = put_ref(ip - ref, len, out, op, out_cap);
            if (op == SIZE_MAX) return 0;
            /* Index the last two positions of the match so that runs keep chaining. */
            size_t end = ip + len;
            for (size_t q = end >= 2 ? end - 2 : 0; q < end && q + MIN_REF <= in_len; q++)
                if (q > ip) last[hash3(prefix3(in + q), bits)] = (uint32_t)(q + 1);
            ip = lit = end;
        } else {
            ip++;
        }
    }
    op = put_literals(in, lit, in_len, out, op, out_cap);
    return op == SIZE_MAX ? 0 : op;
}

size_t klzf_decompress(const unsigned char *in, size_t in_len, unsigned char *out, size_t out_cap) {
    size_t ip = 0, op = 0;
    while (ip < in_len) {
        unsigned ctrl = in[ip++];
        if (ctrl < 32) {
            size_t run = ctrl + 1;
            if (ip + run > in_len || op + run > out_cap) return 0;
            memcpy(out + op, in + ip, run);
            ip += run;
            op += run;
            continue;
        }
        size_t len = ctrl >> 5;
        if (len == 7) {
            if (ip >= in_len) return 0;
            len += in[ip++];
        }
        len += 2;
        if (ip >= in_len) return 0;
        size_t off = (((size_t)(ctrl & 0x1f) << 8) | in[ip++]) + 1;
        if (off > op || op + len > out_cap) return 0;
        /* Overlapping copies (off < len) repeat the pattern: copy byte by byte. */
        unsigned char *d = out + op;
        const unsigned char *s = d - off;
        if (off >= len) {
            memcpy(d, s, len);
        } else {
            for (size_t i = 0; i < len; i++) d[i] = s[i];
        }
        op += len;
    }
    return op;
}
