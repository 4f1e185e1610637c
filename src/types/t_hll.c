/* t_hll.c - HyperLogLog: PFADD, PFCOUNT, PFMERGE, PFDEBUG, PFSELFTEST.
 *
 * An HLL is a plain string value in Redis's exact format, so that strings move between Keel and
 * redis-server (GET/SET, DUMP/RESTORE) and both count the same:
 *
 *   "HYLL" [encoding: 0 dense, 1 sparse] [3 zero bytes] [8 bytes cached cardinality, LE] [data]
 *
 * The cached cardinality is valid unless bit 7 of its last byte is set. 16384 registers of 6 bits
 * each: dense data packs register i at bit 6*i (low bits first, 12288 bytes); sparse data is a
 * run-length code of opcodes ZERO 00xxxxxx (1..64 zero registers), XZERO 01xxxxxx yyyyyyyy
 * (1..16384 zero registers) and VAL 1vvvvvxx (1..4 registers of value 1..32). A sparse HLL turns
 * dense when a register needs a value over 32 or it would grow past hll-sparse-max-bytes.
 *
 * Sparse updates edit the opcode sequence exactly as Redis does (split, then merge neighbouring
 * VALs), so the same adds give the same bytes. Sparse data from outside is untrusted: every walk
 * is bounded by the string and reports a sequence that does not cover exactly 16384 registers as
 * corrupted, and an XZERO cut by the end of the string reads its second byte as 0 (the NUL that
 * follows the string in both servers). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "commands/commands.h"
#include "core/notify.h"
#include "keyspace/db.h"
#include "protocol/reply.h"
#include "types/t_string.h"
#include "util/kstr.h"
#include "util/mem.h"
#include "util/util.h"

#define HLL_P 14
#define HLL_Q (64 - HLL_P)              /* hash bits left to count the run of zeros in */
#define HLL_REGISTERS (1 << HLL_P)
#define HLL_BITS 6
#define HLL_REGISTER_MAX ((1 << HLL_BITS) - 1)
#define HLL_HDR_SIZE 16
#define HLL_DENSE_BYTES ((HLL_REGISTERS * HLL_BITS + 7) / 8)
#define HLL_DENSE_SIZE (HLL_HDR_SIZE + HLL_DENSE_BYTES)
#define HLL_DENSE 0
#define HLL_SPARSE 1
#define HLL_ENC(buf) ((uint8_t)(buf)[4])
#define HLL_CARD_BYTE7 15               /* header byte holding the cache's validity bit */

#define SPARSE_VAL_MAX_VALUE 32
#define SPARSE_VAL_MAX_LEN 4
#define SPARSE_ZERO_MAX_LEN 64
#define SPARSE_XZERO_MAX_LEN 16384
#define HLL_ALPHA_INF 0.721347520444481703680   /* 0.5 / ln(2) */

static const char *const hll_invalid_err = "-INVALIDOBJ Corrupted HLL object detected";

/* ---- Hashing ------------------------------------------------------------------------------- */

/* MurmurHash64A (Austin Appleby), little-endian reads: Redis's element hash. */
static uint64_t murmur64a(const unsigned char *data, size_t len, uint64_t seed) {
    const uint64_t m = 0xc6a4a7935bd1e995ULL;
    const int r = 47;
    uint64_t h = seed ^ ((uint64_t)len * m);
    size_t blocks = len / 8;
    for (size_t i = 0; i < blocks; i++) {
        uint64_t k = 0;
        for (int b = 7; b >= 0; b--) k = (k << 8) | data[i * 8 + (size_t)b];
        k *= m;
        k ^= k >> r;
        k *= m;
        h ^= k;
        h *= m;
    }
    const unsigned char *tail = data + blocks * 8;
    size_t rest = len & 7;
    if (rest) {
        for (size_t b = rest; b > 0; b--) h ^= (uint64_t)tail[b - 1] << (8 * (b - 1));
        h *= m;
    }
    h ^= h >> r;
    h *= m;
    h ^= h >> r;
    return h;
}

/* The register an element goes to and the length of its run of zeros plus one (1..Q+1). */
static int hll_pattern(const char *ele, size_t len, long *index) {
    uint64_t hash = murmur64a((const unsigned char *)ele, len, 0xadc83b19ULL);
    *index = (long)(hash & (HLL_REGISTERS - 1));
    hash >>= HLL_P;
    hash |= 1ULL << HLL_Q;      /* the count stops at Q+1 */
    int count = 1;
    while (!(hash & 1)) {
        count++;
        hash >>= 1;
    }
    return count;
}

/* ---- Dense registers ----------------------------------------------------------------------- */

static int dense_get(const uint8_t *regs, long i) {
    unsigned long pos = (unsigned long)i * HLL_BITS, byte = pos / 8, fb = pos & 7;
    unsigned v = regs[byte] >> fb;
    if (fb > 8 - HLL_BITS) v |= (unsigned)regs[byte + 1] << (8 - fb);
    return (int)(v & HLL_REGISTER_MAX);
}

static void dense_put(uint8_t *regs, long i, int val) {
    unsigned long pos = (unsigned long)i * HLL_BITS, byte = pos / 8, fb = pos & 7;
    regs[byte] = (uint8_t)((regs[byte] & ~(HLL_REGISTER_MAX << fb)) | ((unsigned)val << fb));
    if (fb > 8 - HLL_BITS) {
        unsigned hi = 8 - (unsigned)fb;
        regs[byte + 1] = (uint8_t)((regs[byte + 1] & ~(HLL_REGISTER_MAX >> hi)) | ((unsigned)val >> hi));
    }
}

/* The registers in order, 4 at a time from each 3 bytes (the hot loop of counts and merges). */
static void dense_unpack(const uint8_t *regs, uint8_t *out) {
    for (long i = 0; i < HLL_REGISTERS; i += 4, regs += 3) {
        out[i] = regs[0] & HLL_REGISTER_MAX;
        out[i + 1] = (uint8_t)((regs[0] >> 6 | regs[1] << 2) & HLL_REGISTER_MAX);
        out[i + 2] = (uint8_t)((regs[1] >> 4 | regs[2] << 4) & HLL_REGISTER_MAX);
        out[i + 3] = regs[2] >> 2;
    }
}

/* Raises register i to count; returns 1 if it changed. */
static int dense_raise(uint8_t *regs, long i, int count) {
    if (count <= dense_get(regs, i)) return 0;
    dense_put(regs, i, count);
    return 1;
}

/* ---- Sparse opcodes ------------------------------------------------------------------------ */

#define SP_IS_ZERO(p) ((*(p) & 0xc0) == 0)
#define SP_IS_XZERO(p) ((*(p) & 0xc0) == 0x40)
#define SP_IS_VAL(p) (*(p) & 0x80)
#define SP_VAL_VALUE(p) (((*(p) >> 2) & 0x1f) + 1)
#define SP_VAL_LEN(p) ((*(p) & 0x3) + 1)

static uint8_t sp_val(int value, int len) {
    return (uint8_t)(0x80 | ((value - 1) << 2) | (len - 1));
}

/* One opcode at p (p < end): how many registers it covers and how many bytes it takes. */
static long sp_span(const uint8_t *p, const uint8_t *end, int *oplen) {
    *oplen = 1;
    if (SP_IS_ZERO(p)) return (*p & 0x3f) + 1;
    if (SP_IS_VAL(p)) return SP_VAL_LEN(p);
    *oplen = 2;
    return ((long)(*p & 0x3f) << 8 | (p + 1 < end ? p[1] : 0)) + 1;
}

/* Writes a run of len zero registers (ZERO or XZERO); returns the bytes written. */
static int sp_put_zeros(uint8_t *p, long len) {
    if (len <= SPARSE_ZERO_MAX_LEN) {
        p[0] = (uint8_t)(len - 1);
        return 1;
    }
    p[0] = (uint8_t)(0x40 | ((len - 1) >> 8));
    p[1] = (uint8_t)((len - 1) & 0xff);
    return 2;
}

/* Calls fn(ctx, first, len, value) for every run of the sparse data; returns 0 if the runs do
 * not cover exactly HLL_REGISTERS registers. With `strict`, a VAL run past the last register
 * stops the walk (Redis's merge and conversion); without, it is counted and reported at the end
 * (Redis's histogram). */
typedef void sp_run_fn(void *ctx, long first, long len, int value);
static int sp_walk(const uint8_t *p, const uint8_t *end, int strict, sp_run_fn *fn, void *ctx) {
    long idx = 0;
    while (p < end) {
        int oplen;
        long span = sp_span(p, end, &oplen);
        int value = SP_IS_VAL(p) ? SP_VAL_VALUE(p) : 0;
        if (value && strict && idx + span > HLL_REGISTERS) break;
        fn(ctx, idx, span, value);
        idx += span;
        p += oplen;
    }
    return idx == HLL_REGISTERS;
}

/* ---- Objects ------------------------------------------------------------------------------- */

/* A new empty HLL: sparse, all registers in XZERO runs, cached cardinality 0. */
static kstr *hll_new(void) {
    kstr *s = kstr_empty(HLL_HDR_SIZE + 2);
    s = kstr_grow_zero(s, HLL_HDR_SIZE);
    memcpy(s->buf, "HYLL", 4);
    s->buf[4] = HLL_SPARSE;
    uint8_t op[2];
    for (long left = HLL_REGISTERS; left > 0; left -= SPARSE_XZERO_MAX_LEN)
        s = kstr_cat(s, op, (size_t)sp_put_zeros(op, left < SPARSE_XZERO_MAX_LEN ? left : SPARSE_XZERO_MAX_LEN));
    return s;
}

static void hll_invalidate_cache(kstr *s) {
    s->buf[HLL_CARD_BYTE7] = (char)((uint8_t)s->buf[HLL_CARD_BYTE7] | 0x80);
}

/* Redis's isHLLObjectOrReply: a string with the header, a known encoding, and a dense body of
 * the exact size. Replies WRONGTYPE and returns 0 otherwise. */
static int hll_valid_or_reply(client *c, const kobj *o) {
    char nb[24];
    size_t len;
    const char *s = obj_str(o, &len, nb);
    if (o->encoding == ENC_INT || len < HLL_HDR_SIZE || memcmp(s, "HYLL", 4) != 0 || HLL_ENC(s) > HLL_SPARSE ||
        (HLL_ENC(s) == HLL_DENSE && len != HLL_DENSE_SIZE)) {
        reply_error(c, "-WRONGTYPE Key is not a valid HyperLogLog string value.");
        return 0;
    }
    return 1;
}

static void set_run_dense(void *ctx, long first, long len, int value) {
    for (long i = 0; value && i < len; i++) dense_put(ctx, first + i, value);
}

/* Converts a sparse HLL to dense in place (*sp may move); 0 if the sparse data is corrupted. */
static int hll_to_dense(kstr **sp) {
    kstr *s = *sp;
    if (HLL_ENC(s->buf) == HLL_DENSE) return 1;
    kstr *d = kstr_grow_zero(kstr_new(s->buf, HLL_HDR_SIZE), HLL_DENSE_SIZE);
    d->buf[4] = HLL_DENSE;
    const uint8_t *p = (const uint8_t *)s->buf + HLL_HDR_SIZE;
    if (!sp_walk(p, (const uint8_t *)s->buf + s->len, 1, set_run_dense, d->buf + HLL_HDR_SIZE)) {
        kstr_free(d);
        return 0;
    }
    kstr_free(s);
    *sp = d;
    return 1;
}

/* Merges neighbouring VAL opcodes of equal value, scanning at most 5 opcodes from p (Redis's
 * step after a sparse update, which decides the exact bytes). */
static void sp_merge_from(kstr *s, uint8_t *p) {
    uint8_t *end = (uint8_t *)s->buf + s->len;
    for (int scan = 5; p < end && scan--;) {
        if (!SP_IS_VAL(p)) {
            p += SP_IS_XZERO(p) ? 2 : 1;
            continue;
        }
        if (p + 1 < end && SP_IS_VAL(p + 1) && SP_VAL_VALUE(p) == SP_VAL_VALUE(p + 1)) {
            int len = SP_VAL_LEN(p) + SP_VAL_LEN(p + 1);
            if (len <= SPARSE_VAL_MAX_LEN) {
                p[1] = sp_val(SP_VAL_VALUE(p), len);
                memmove(p, p + 1, (size_t)(end - p - 1));
                end--;
                s->len--;
                s->buf[s->len] = '\0';
                continue;       /* the merged opcode may merge with the next one too */
            }
        }
        p++;
    }
}

/* Raises register index of a sparse HLL to count (Redis's hllSparseSet). Returns 1 if it
 * changed, 0 if not, -1 if the data is corrupted. *sp may move (growth, promotion to dense). */
static int sparse_raise(kstr **sp, long index, int count) {
    if (count > SPARSE_VAL_MAX_VALUE) goto promote;
    *sp = kstr_reserve(*sp, 3);
    kstr *s = *sp;
    uint8_t *start = (uint8_t *)s->buf + HLL_HDR_SIZE, *end = (uint8_t *)s->buf + s->len;
    uint8_t *p = start, *prev = NULL;
    long first = 0, span = 0;
    int oplen = 1;
    while (p < end) {
        span = sp_span(p, end, &oplen);
        if (index <= first + span - 1) break;
        prev = p;
        p += oplen;
        first += span;
    }
    if (span == 0 || p >= end) return -1;
    if (SP_IS_VAL(p)) {
        if (SP_VAL_VALUE(p) >= count) return 0;
        if (span == 1) {
            *p = sp_val(count, 1);
            goto updated;
        }
    } else if (SP_IS_ZERO(p) && span == 1) {
        *p = sp_val(count, 1);
        goto updated;
    }
    /* Split the opcode at p into [left run] VAL(count) [right run]. */
    uint8_t seq[5];
    int n = 0;
    long last = first + span - 1;
    if (SP_IS_VAL(p)) {
        int cur = SP_VAL_VALUE(p);
        if (index != first) seq[n++] = sp_val(cur, (int)(index - first));
        seq[n++] = sp_val(count, 1);
        if (index != last) seq[n++] = sp_val(cur, (int)(last - index));
    } else {
        if (index != first) n += sp_put_zeros(seq + n, index - first);
        seq[n++] = sp_val(count, 1);
        if (index != last) n += sp_put_zeros(seq + n, last - index);
    }
    int delta = n - oplen;
    if (delta > 0 && (long long)s->len + delta > server.hll_sparse_max_bytes) goto promote;
    uint8_t *next = p + oplen;
    if (delta && next < end) memmove(next + delta, next, (size_t)(end - next));
    memcpy(p, seq, (size_t)n);
    s->len = (size_t)((long)s->len + delta);
    s->buf[s->len] = '\0';
updated:
    sp_merge_from(s, prev ? prev : start);
    hll_invalidate_cache(s);
    return 1;
promote:
    if (!hll_to_dense(sp)) return -1;
    return dense_raise((uint8_t *)(*sp)->buf + HLL_HDR_SIZE, index, count);
}

/* Adds an element; returns 1 if a register changed, 0 if not, -1 if the HLL is corrupted. */
static int hll_add(kstr **sp, const char *ele, size_t len) {
    long index;
    int count = hll_pattern(ele, len, &index);
    if (HLL_ENC((*sp)->buf) == HLL_DENSE) return dense_raise((uint8_t *)(*sp)->buf + HLL_HDR_SIZE, index, count);
    return sparse_raise(sp, index, count);
}

/* ---- Estimation ---------------------------------------------------------------------------- */

typedef struct histo {
    int n[64];          /* registers per value; corrupted sparse data can only overcount */
} histo;

static void count_run(void *ctx, long first, long len, int value) {
    ((histo *)ctx)->n[value] += (int)len;
}

static double hll_sigma(double x) {
    if (x == 1.) return INFINITY;
    double y = 1, z = x, prev;
    do {
        x *= x;
        prev = z;
        z += x * y;
        y += y;
    } while (prev != z);
    return z;
}

static double hll_tau(double x) {
    if (x == 0. || x == 1.) return 0.;
    double y = 1.0, z = 1 - x, prev;
    do {
        x = sqrt(x);
        prev = z;
        y *= 0.5;
        z -= pow(1 - x, 2) * y;
    } while (prev != z);
    return z / 3;
}

/* Ertl's improved raw estimator ("New cardinality estimation algorithms for HyperLogLog
 * sketches", 2017), with Redis's order of floating-point operations so results are identical. */
static uint64_t hll_estimate(const histo *h) {
    double m = HLL_REGISTERS;
    double z = m * hll_tau((m - h->n[HLL_Q + 1]) / m);
    for (int j = HLL_Q; j >= 1; --j) {
        z += h->n[j];
        z *= 0.5;
    }
    z += m * hll_sigma(h->n[0] / m);
    return (uint64_t)(double)llroundl(HLL_ALPHA_INF * m * m / z);
}

/* The cardinality of one HLL; 0 in *ok if its sparse data is corrupted. */
static uint64_t hll_count(const char *buf, size_t len, int *ok) {
    histo h;
    memset(&h, 0, sizeof(h));
    const uint8_t *regs = (const uint8_t *)buf + HLL_HDR_SIZE;
    if (HLL_ENC(buf) == HLL_DENSE) {
        uint8_t v[HLL_REGISTERS];
        dense_unpack(regs, v);
        for (long i = 0; i < HLL_REGISTERS; i++) h.n[v[i]]++;
        *ok = 1;
    } else {
        *ok = sp_walk(regs, (const uint8_t *)buf + len, 0, count_run, &h);
    }
    return hll_estimate(&h);
}

static void max_run(void *ctx, long first, long len, int value) {
    uint8_t *max = ctx;
    for (long i = 0; value && i < len; i++)
        if (value > max[first + i]) max[first + i] = (uint8_t)value;
}

/* max[i] = MAX(max[i], register i of the HLL); 0 if the HLL is corrupted. */
static int hll_merge_into(uint8_t *max, const char *buf, size_t len) {
    const uint8_t *regs = (const uint8_t *)buf + HLL_HDR_SIZE;
    if (HLL_ENC(buf) == HLL_SPARSE) return sp_walk(regs, (const uint8_t *)buf + len, 1, max_run, max);
    uint8_t v[HLL_REGISTERS];
    dense_unpack(regs, v);
    for (long i = 0; i < HLL_REGISTERS; i++)
        if (v[i] > max[i]) max[i] = v[i];
    return 1;
}

static uint64_t registers_count(const uint8_t *max) {
    histo h;
    memset(&h, 0, sizeof(h));
    for (long i = 0; i < HLL_REGISTERS; i++) h.n[max[i]]++;
    return hll_estimate(&h);
}

/* ---- Commands ------------------------------------------------------------------------------ */

/* The HLL at argv[i] made raw for editing (Redis's dbUnshareStringValue), or NULL if missing.
 * Returns 0 after replying when the key is not a valid HLL. */
static int hll_lookup(client *c, int i, int for_write, kobj **o) {
    if (!string_lookup(c, i, for_write, o)) return 0;
    if (!*o) return 1;
    if (!hll_valid_or_reply(c, *o)) return 0;
    *o = string_make_raw(c->db, *o);
    return 1;
}

void pfadd_command(client *c) {
    kobj *o;
    const karg *key = &c->argv[1];
    long long updated = 0;
    if (!hll_lookup(c, 1, 1, &o)) return;
    if (!o) {
        o = obj_new_raw(key->ptr, key->len, hll_new());
        db_add(c->db, o);
        updated++;
    }
    for (int j = 2; j < c->argc; j++) {
        kstr *s = obj_ptr(o);
        int r = hll_add(&s, c->argv[j].ptr, c->argv[j].len);
        obj_set_ptr(o, s);
        if (r < 0) {
            reply_error(c, hll_invalid_err);
            return;
        }
        updated += r;
    }
    if (updated) {
        hll_invalidate_cache(obj_ptr(o));
        string_key_changed(c, 1, NOTIFY_STRING, "pfadd");
    }
    reply_integer(c, updated ? 1 : 0);
}

/* max[i] = the largest register i of the HLLs at argv[first..]; missing keys count as empty.
 * *dense is set when one of them is dense. Returns 0 after replying an error. */
static int merge_args(client *c, int first, uint8_t *max, int *dense) {
    for (int j = first; j < c->argc; j++) {
        kobj *o;
        if (!string_lookup(c, j, 0, &o)) return 0;
        if (!o) continue;
        if (!hll_valid_or_reply(c, o)) return 0;
        char nb[24];
        size_t len;
        const char *buf = obj_str(o, &len, nb);
        if (HLL_ENC(buf) == HLL_DENSE) *dense = 1;
        if (!hll_merge_into(max, buf, len)) {
            reply_error(c, hll_invalid_err);
            return 0;
        }
    }
    return 1;
}

/* PFCOUNT of several keys: the cardinality of their union. */
static void pfcount_union(client *c) {
    uint8_t *max = kcalloc(HLL_REGISTERS);
    int dense = 0;
    if (merge_args(c, 1, max, &dense)) reply_integer(c, (long long)registers_count(max));
    kfree(max);
}

void pfcount_command(client *c) {
    if (c->argc > 2) {
        pfcount_union(c);
        return;
    }
    kobj *o;
    if (!hll_lookup(c, 1, 0, &o)) return;
    if (!o) {
        reply_integer(c, 0);
        return;
    }
    kstr *s = obj_ptr(o);
    uint8_t *card = (uint8_t *)s->buf + 8;
    uint64_t n = 0;
    if (!(card[7] & 0x80)) {
        for (int b = 7; b >= 0; b--) n = (n << 8) | card[b];
    } else {
        int ok;
        n = hll_count(s->buf, s->len, &ok);
        if (!ok) {
            reply_error(c, hll_invalid_err);
            return;
        }
        for (int b = 0; b < 8; b++) card[b] = (uint8_t)(n >> (8 * b));
        /* The cache is part of the value: watchers and trackers see a change. */
        signal_modified_key(c, c->db, c->argv[1].ptr, c->argv[1].len);
    }
    reply_integer(c, (long long)n);
}

void pfmerge_command(client *c) {
    uint8_t *max = kcalloc(HLL_REGISTERS);
    int use_dense = 0;
    kobj *o;
    if (!merge_args(c, 1, max, &use_dense)) goto done;
    const karg *key = &c->argv[1];
    if (!hll_lookup(c, 1, 1, &o)) goto done;
    if (!o) {
        o = obj_new_raw(key->ptr, key->len, hll_new());
        db_add(c->db, o);
    }
    kstr *s = obj_ptr(o);
    int ok = !use_dense || hll_to_dense(&s);
    for (long i = 0; ok && i < HLL_REGISTERS; i++) {
        if (!max[i]) continue;
        if (HLL_ENC(s->buf) == HLL_DENSE)
            dense_raise((uint8_t *)s->buf + HLL_HDR_SIZE, i, max[i]);
        else
            sparse_raise(&s, i, max[i]);
    }
    obj_set_ptr(o, s);
    if (!ok) {
        reply_error(c, hll_invalid_err);
        goto done;
    }
    hll_invalidate_cache(s);
    /* Redis reports a merge as a mass PFADD. */
    string_key_changed(c, 1, NOTIFY_STRING, "pfadd");
    reply_ok(c);
done:
    kfree(max);
}

/* PFDEBUG DECODE: the sparse opcodes as text, "z:len Z:len v:value,len". */
static void pfdebug_decode(client *c, const kstr *s) {
    if (HLL_ENC(s->buf) != HLL_SPARSE) {
        reply_error(c, "HLL encoding is not sparse");
        return;
    }
    kstr *out = kstr_empty(64);
    const uint8_t *p = (const uint8_t *)s->buf + HLL_HDR_SIZE, *end = (const uint8_t *)s->buf + s->len;
    while (p < end) {
        int oplen;
        long span = sp_span(p, end, &oplen);
        if (SP_IS_VAL(p))
            out = kstr_catfmt(out, "%sv:%d,%ld", out->len ? " " : "", SP_VAL_VALUE(p), span);
        else
            out = kstr_catfmt(out, "%s%c:%ld", out->len ? " " : "", SP_IS_ZERO(p) ? 'z' : 'Z', span);
        p += oplen;
    }
    reply_bulk(c, out->buf, out->len);
    kstr_free(out);
}

void pfdebug_command(client *c) {
    const karg *sub = &c->argv[1];
    kobj *o = db_lookup_write(c->db, c->argv[2].ptr, c->argv[2].len);
    if (!o) {
        reply_error(c, "The specified key does not exist");
        return;
    }
    if (!hll_lookup(c, 2, 1, &o)) return;
    kstr *s = obj_ptr(o);
    if (arg_is(sub->ptr, sub->len, "getreg") || arg_is(sub->ptr, sub->len, "todense")) {
        int was_sparse = HLL_ENC(s->buf) == HLL_SPARSE;
        int ok = hll_to_dense(&s);
        obj_set_ptr(o, s);
        if (!ok) {
            reply_error(c, hll_invalid_err);
            return;
        }
        if (was_sparse) server.dirty++;   /* the encoding changed: it propagates, as Redis */
        if (arg_is(sub->ptr, sub->len, "todense")) {
            reply_integer(c, was_sparse);
            return;
        }
        reply_array_len(c, HLL_REGISTERS);
        for (long i = 0; i < HLL_REGISTERS; i++) reply_integer(c, dense_get((uint8_t *)s->buf + HLL_HDR_SIZE, i));
    } else if (arg_is(sub->ptr, sub->len, "decode")) {
        pfdebug_decode(c, s);
    } else if (arg_is(sub->ptr, sub->len, "encoding")) {
        reply_status(c, HLL_ENC(s->buf) == HLL_DENSE ? "dense" : "sparse");
    } else {
        reply_errorf(c, "Unknown PFDEBUG subcommand '%.*s'", (int)sub->len, sub->ptr);
    }
}

/* PFSELFTEST part 1: every register keeps its value without disturbing its neighbours. */
static int selftest_registers(client *c, uint8_t *regs) {
    static uint8_t expect[HLL_REGISTERS];
    for (int cycle = 0; cycle < 1000; cycle++) {
        for (long i = 0; i < HLL_REGISTERS; i++) {
            expect[i] = (uint8_t)(rand64() & HLL_REGISTER_MAX);
            dense_put(regs, i, expect[i]);
        }
        for (long i = 0; i < HLL_REGISTERS; i++) {
            int v = dense_get(regs, i);
            if (v != expect[i]) {
                reply_errorf(c, "TESTFAILED Register %ld should be %d but is %d", i, expect[i], v);
                return 0;
            }
        }
    }
    return 1;
}

/* PFSELFTEST part 2: a dense and a sparse HLL fed the same 10M elements agree, the sparse one
 * stays sparse while small, and the estimate stays within 6 standard errors. */
static int selftest_estimates(client *c, kstr **dense, kstr **sparse) {
    double relerr = 1.04 / sqrt(HLL_REGISTERS);
    uint64_t seed = rand64(), checkpoint = 1;
    int ok;
    for (uint64_t j = 1; j <= 10000000; j++) {
        uint64_t ele = j ^ seed;
        hll_add(dense, (const char *)&ele, sizeof(ele));
        hll_add(sparse, (const char *)&ele, sizeof(ele));
        if (j != checkpoint) continue;
        if ((long long)j < server.hll_sparse_max_bytes / 2 && HLL_ENC((*sparse)->buf) != HLL_SPARSE) {
            reply_error(c, "TESTFAILED sparse encoding not used");
            return 0;
        }
        uint64_t est = hll_count((*dense)->buf, (*dense)->len, &ok);
        if (est != hll_count((*sparse)->buf, (*sparse)->len, &ok)) {
            reply_error(c, "TESTFAILED dense/sparse disagree");
            return 0;
        }
        long long abserr = llabs((long long)checkpoint - (long long)est);
        long long maxerr = j == 10 ? 1 : (long long)ceil(relerr * 6 * (double)checkpoint);
        if (abserr > maxerr) {
            reply_errorf(c, "TESTFAILED Too big error. card:%llu abserr:%llu", (unsigned long long)checkpoint,
                         (unsigned long long)abserr);
            return 0;
        }
        checkpoint *= 10;
    }
    return 1;
}

void pfselftest_command(client *c) {
    kstr *dense = kstr_grow_zero(kstr_new("HYLL", 4), HLL_DENSE_SIZE);
    kstr *sparse = hll_new();
    if (selftest_registers(c, (uint8_t *)dense->buf + HLL_HDR_SIZE)) {
        memset(dense->buf + HLL_HDR_SIZE, 0, HLL_DENSE_BYTES);
        if (selftest_estimates(c, &dense, &sparse)) reply_ok(c);
    }
    kstr_free(dense);
    kstr_free(sparse);
}
