/* zpack.c - small sorted sets; see zpack.h for the format. */
#include "types/zpack.h"

#include <stdint.h>
#include <string.h>

#include "util/mem.h"
#include "util/varint.h"

#define ZP_SAFETY_LIMIT ((size_t)1 << 30)
#define SC_INT8 12
#define SC_INT16 13
#define SC_INT32 14
#define SC_DOUBLE 15
#define LEN_VARINT 15

/* The header: count, payload bytes, and where the payload starts. */
static const unsigned char *header(const unsigned char *zp, size_t *count, size_t *payload) {
    size_t c, b;
    zp = varint_get(zp, &c);
    zp = varint_get(zp, &b);
    if (count) *count = c;
    if (payload) *payload = b;
    return zp;
}

static unsigned char *payload_start(const unsigned char *zp) {
    return (unsigned char *)header(zp, NULL, NULL);
}

static unsigned char *payload_end(const unsigned char *zp) {
    size_t b;
    const unsigned char *s = header(zp, NULL, &b);
    return (unsigned char *)s + b;
}

size_t zpLength(const unsigned char *zp) {
    size_t c;
    header(zp, &c, NULL);
    return c;
}

size_t zpBytes(const unsigned char *zp) {
    return (size_t)(payload_end(zp) - zp);
}

unsigned char *zpNew(void) {
    unsigned char *zp = kmalloc(2);
    zp[0] = zp[1] = 0;
    return zp;
}

void zpFree(unsigned char *zp) {
    kfree(zp);
}

unsigned char *zpDup(const unsigned char *zp) {
    return kmemdup(zp, zpBytes(zp));
}

int zpSafeToAdd(const unsigned char *zp, size_t mlen) {
    return mlen <= ZP_SAFETY_LIMIT && zpBytes(zp) + mlen + 32 <= ZP_SAFETY_LIMIT;
}

/* Same test as t_zset.c's listpacks used: d2string prints these as integers. */
static int score_is_int(double d) {
    return d > -4503599627370495.0 && d < 4503599627370496.0 && d == (double)(long long)d;
}

/* The score code for d and the bytes it takes after the tag. */
static unsigned score_code(double d, size_t *bytes) {
    if (score_is_int(d)) {
        long long v = (long long)d;
        *bytes = 0;
        if (v >= 0 && v <= 11) return (unsigned)v;
        *bytes = 1;
        if (v >= INT8_MIN && v <= INT8_MAX) return SC_INT8;
        *bytes = 2;
        if (v >= INT16_MIN && v <= INT16_MAX) return SC_INT16;
        *bytes = 4;
        if (v >= INT32_MIN && v <= INT32_MAX) return SC_INT32;
    }
    *bytes = 8;
    return SC_DOUBLE;
}

static size_t score_bytes(unsigned code) {
    switch (code) {
    case SC_INT8: return 1;
    case SC_INT16: return 2;
    case SC_INT32: return 4;
    case SC_DOUBLE: return 8;
    default: return 0;
    }
}

static size_t entry_size(size_t mlen, size_t sbytes) {
    return 1 + (mlen >= LEN_VARINT ? varint_size(mlen) : 0) + sbytes + mlen;
}

/* Decodes entry p: member length, where the score bytes start, the score code. Returns the
 * member's first byte. */
static const unsigned char *decode(const unsigned char *p, size_t *mlen, const unsigned char **sp, unsigned *code) {
    unsigned tag = *p++;
    *code = tag & 15;
    size_t l = tag >> 4;
    if (l == LEN_VARINT) p = varint_get(p, &l);
    *mlen = l;
    *sp = p;
    return p + score_bytes(*code);
}

static double read_score(const unsigned char *sp, unsigned code) {
    switch (code) {
    case SC_INT8: return (double)(int8_t)sp[0];
    case SC_INT16: {
        uint16_t u = (uint16_t)(sp[0] | (unsigned)sp[1] << 8);
        return (double)(int16_t)u;
    }
    case SC_INT32: {
        uint32_t u = (uint32_t)sp[0] | (uint32_t)sp[1] << 8 | (uint32_t)sp[2] << 16 | (uint32_t)sp[3] << 24;
        return (double)(int32_t)u;
    }
    case SC_DOUBLE: {
        double d;
        memcpy(&d, sp, 8);
        return d;
    }
    default: return (double)code;
    }
}

const char *zpGet(const unsigned char *p, size_t *mlen, double *score) {
    const unsigned char *sp;
    unsigned code;
    const unsigned char *m = decode(p, mlen, &sp, &code);
    if (score) *score = read_score(sp, code);
    return (const char *)m;
}

double zpScore(const unsigned char *p) {
    size_t mlen;
    double s;
    zpGet(p, &mlen, &s);
    return s;
}

static const unsigned char *skip(const unsigned char *p) {
    size_t mlen;
    const unsigned char *m = (const unsigned char *)zpGet(p, &mlen, NULL);
    return m + mlen;
}

unsigned char *zpFirst(const unsigned char *zp) {
    size_t c;
    const unsigned char *s = header(zp, &c, NULL);
    return c ? (unsigned char *)s : NULL;
}

unsigned char *zpNext(const unsigned char *zp, const unsigned char *p) {
    const unsigned char *n = skip(p);
    return n < payload_end(zp) ? (unsigned char *)n : NULL;
}

unsigned char *zpPrev(const unsigned char *zp, const unsigned char *p) {
    const unsigned char *q = payload_start(zp), *prev = NULL;
    while (q < p) {
        prev = q;
        q = skip(q);
    }
    return (unsigned char *)prev;
}

unsigned char *zpSeek(const unsigned char *zp, size_t rank) {
    size_t c;
    const unsigned char *p = header(zp, &c, NULL);
    if (rank >= c) return NULL;
    while (rank--) p = skip(p);
    return (unsigned char *)p;
}

/* A new zpack: zp's payload with [cut, cut + cut_len) replaced by ins (ins_len bytes). */
static unsigned char *rebuild(unsigned char *zp, size_t count, size_t cut, size_t cut_len, const unsigned char *ins,
                              size_t ins_len) {
    size_t old_payload;
    const unsigned char *src = header(zp, NULL, &old_payload);
    size_t payload = old_payload - cut_len + ins_len;
    size_t hdr = varint_size(count) + varint_size(payload);
    unsigned char *n = kmalloc(hdr + payload), *w = n;
    w += varint_put(w, count);
    w += varint_put(w, payload);
    memcpy(w, src, cut);
    w += cut;
    if (ins_len) memcpy(w, ins, ins_len);
    w += ins_len;
    memcpy(w, src + cut + cut_len, old_payload - cut - cut_len);
    kfree(zp);
    return n;
}

/* Writes the entry for (m, score) at w (entry_bytes(...) bytes); returns the end. */
static unsigned char *write_entry(unsigned char *w, const char *m, size_t mlen, double score) {
    size_t sbytes;
    unsigned code = score_code(score, &sbytes);
    *w++ = (unsigned char)((mlen >= LEN_VARINT ? LEN_VARINT : mlen) << 4 | code);
    if (mlen >= LEN_VARINT) w += varint_put(w, mlen);
    if (code == SC_DOUBLE) {
        memcpy(w, &score, 8);
    } else if (sbytes) {
        uint32_t u = (uint32_t)(int32_t)(long long)score;
        for (size_t i = 0; i < sbytes; i++) w[i] = (unsigned char)(u >> (8 * i));
    }
    w += sbytes;
    if (mlen) memcpy(w, m, mlen);
    return w + mlen;
}

static size_t entry_bytes(size_t mlen, double score) {
    size_t sbytes;
    score_code(score, &sbytes);
    return entry_size(mlen, sbytes);
}

unsigned char *zpInsert(unsigned char *zp, const unsigned char *p, const char *m, size_t mlen, double score) {
    size_t esz = entry_bytes(mlen, score);
    unsigned char small[64], *e = esz <= sizeof(small) ? small : kmalloc(esz);
    write_entry(e, m, mlen, score);
    size_t c;
    const unsigned char *s = header(zp, &c, NULL);
    size_t cut = p ? (size_t)(p - s) : (size_t)(payload_end(zp) - s);
    zp = rebuild(zp, c + 1, cut, 0, e, esz);
    if (e != small) kfree(e);
    return zp;
}

unsigned char *zpBuild(size_t n, zpPairFn *get, void *ctx) {
    size_t payload = 0, mlen;
    const char *m;
    double score;
    for (size_t i = 0; i < n; i++) {
        get(ctx, i, &m, &mlen, &score);
        payload += entry_bytes(mlen, score);
    }
    unsigned char *zp = kmalloc(varint_size(n) + varint_size(payload) + payload), *w = zp;
    w += varint_put(w, n);
    w += varint_put(w, payload);
    for (size_t i = 0; i < n; i++) {
        get(ctx, i, &m, &mlen, &score);
        w = write_entry(w, m, mlen, score);
    }
    return zp;
}

unsigned char *zpDelete(unsigned char *zp, const unsigned char *p, size_t n) {
    size_t c;
    const unsigned char *s = header(zp, &c, NULL), *q = p;
    for (size_t i = 0; i < n; i++) q = skip(q);
    return rebuild(zp, c - n, (size_t)(p - s), (size_t)(q - p), NULL, 0);
}
