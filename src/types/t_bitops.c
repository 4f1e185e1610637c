/* t_bitops.c - bitmap commands on string values: SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP,
 * BITFIELD, BITFIELD_RO.
 *
 * Bits are numbered from the most significant bit of byte 0 (bit 7 of byte 0 is bit 0), as in
 * Redis. Reading past the end of a string reads zeros; writing past it first extends the string
 * with zero bytes. Strings that are written are made raw first (Redis's dbUnshareStringValue),
 * so a bitmap written by these commands reports OBJECT ENCODING "raw", and they keep the key's
 * TTL; BITOP stores a new raw value and drops the destination's TTL.
 * Replies, error texts and the order of checks follow redis-server 7.0.15. */
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "commands/commands.h"
#include "core/notify.h"
#include "keyspace/db.h"
#include "protocol/reply.h"
#include "types/t_string.h"
#include "util/mem.h"
#include "util/util.h"

#define ERR_BIT_OFFSET "bit offset is not an integer or out of range"
#define ERR_BIT_VALUE "bit is not an integer or out of range"
#define ERR_BITFIELD_TYPE "Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is."

/* ------------------------------------------------------------------ shared pieces */

/* argv[i] as a bit offset below proto-max-bulk-len bytes. With bits > 0 (BITFIELD) "#N" means
 * N * bits; that product wraps around on overflow exactly as in Redis. */
static int bit_offset_or_reply(client *c, int i, int bits, uint64_t *out) {
    const char *p = c->argv[i].ptr;
    size_t len = c->argv[i].len;
    size_t hash = bits > 0 && p[0] == '#';
    long long v;
    if (!str_to_ll(p + hash, len - hash, &v)) goto invalid;
    if (hash) v = (long long)((unsigned long long)v * (unsigned long long)bits);
    if (v < 0 || (v >> 3) >= server.proto_max_bulk_len) goto invalid;
    *out = (uint64_t)v;
    return 1;
invalid:
    reply_error(c, ERR_BIT_OFFSET);
    return 0;
}

/* The string at argv[1] for writing bits up to bit `maxbit`: made raw and zero-extended to at
 * least maxbit/8 + 1 bytes, created when missing. *grew tells whether the value got longer (or
 * was created). NULL after replying WRONGTYPE. */
static kobj *bit_target(client *c, uint64_t maxbit, int *grew) {
    kobj *o;
    size_t need = (size_t)(maxbit >> 3) + 1;
    if (!string_lookup(c, 1, 1, &o)) return NULL;
    if (!o) {
        o = obj_new_raw(c->argv[1].ptr, c->argv[1].len, kstr_grow_zero(kstr_empty(need), need));
        db_add(c->db, o);
        *grew = 1;
        return o;
    }
    o = string_make_raw(c->db, o);
    kstr *s = obj_ptr(o);
    *grew = s->len < need;
    obj_set_ptr(o, kstr_grow_zero(s, need));
    return o;
}

/* The string value's bytes; numbuf (24 bytes) holds an int-encoded value's digits. */
static const unsigned char *bytes_of(const kobj *o, size_t *len, char *numbuf) {
    return (const unsigned char *)obj_str(o, len, numbuf);
}

static int bit_at(const unsigned char *p, size_t len, uint64_t bit) {
    return (bit >> 3) < len ? (p[bit >> 3] >> (7 - (bit & 7))) & 1 : 0;
}

/* "BIT" or "BYTE" (BITCOUNT/BITPOS range unit); otherwise a syntax error. */
static int bit_unit_or_reply(client *c, int i, int *isbit) {
    if (strcasecmp(c->argv[i].ptr, "bit") == 0) {
        *isbit = 1;
    } else if (strcasecmp(c->argv[i].ptr, "byte") == 0) {
        *isbit = 0;
    } else {
        reply_error(c, ERR_SYNTAX);
        return 0;
    }
    return 1;
}

/* A BITCOUNT/BITPOS range resolved to bytes [first, last]; head and tail mask the bits of the
 * first and last byte that lie outside a BIT range (0 for BYTE ranges). */
typedef struct bitSpan {
    size_t first, last;
    unsigned char head, tail;
} bitSpan;

/* Resolves [start, end] (byte or bit indexes, negative from the end) over a string of len
 * bytes; returns 0 if the range is empty. */
static int bit_span(long long start, long long end, size_t len, int isbit, bitSpan *sp) {
    if (!string_range(&start, &end, isbit ? (long long)len * 8 : (long long)len)) return 0;
    sp->head = sp->tail = 0;
    if (isbit) {
        sp->head = (unsigned char)(0xFF00 >> (start & 7));
        sp->tail = (unsigned char)((1 << (7 - (end & 7))) - 1);
        start >>= 3;
        end >>= 3;
    }
    sp->first = (size_t)start;
    sp->last = (size_t)end;
    return 1;
}

/* ------------------------------------------------------------------ SETBIT, GETBIT */

void setbit_command(client *c) {
    uint64_t off;
    long long on;
    int grew;
    if (!bit_offset_or_reply(c, 2, 0, &off) || !arg_ll_or_reply(c, &c->argv[3], &on, ERR_BIT_VALUE)) return;
    if (on & ~1LL) {
        reply_error(c, ERR_BIT_VALUE);
        return;
    }
    kobj *o = bit_target(c, off, &grew);
    if (!o) return;
    unsigned char *byte = (unsigned char *)((kstr *)obj_ptr(o))->buf + (off >> 3);
    int shift = 7 - (int)(off & 7);
    int old = (*byte >> shift) & 1;
    if (grew || old != on) {
        *byte = (unsigned char)((*byte & ~(1 << shift)) | (int)(on << shift));
        string_key_changed(c, 1, NOTIFY_STRING, "setbit");
    }
    reply_integer(c, old);
}

void getbit_command(client *c) {
    uint64_t off;
    kobj *o;
    if (!bit_offset_or_reply(c, 2, 0, &off) || !string_lookup(c, 1, 0, &o)) return;
    char buf[24];
    size_t len = 0;
    const unsigned char *p = o ? bytes_of(o, &len, buf) : NULL;
    reply_integer(c, p ? bit_at(p, len, off) : 0);
}

/* ------------------------------------------------------------------ BITCOUNT, BITPOS */

static long long popcount(const unsigned char *p, size_t n) {
    long long count = 0;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        count += __builtin_popcountll(w);
    }
    for (; i < n; i++) count += __builtin_popcount(p[i]);
    return count;
}

void bitcount_command(client *c) {
    kobj *o;
    long long start = 0, end = -1;
    int isbit = 0;
    if (!string_lookup(c, 1, 0, &o)) return;
    if (!o) {
        reply_integer(c, 0);
        return;
    }
    if (c->argc == 4 || c->argc == 5) {
        if (!arg_ll_or_reply(c, &c->argv[2], &start, NULL) || !arg_ll_or_reply(c, &c->argv[3], &end, NULL)) return;
        /* Both negative and reversed counts nothing; Redis answers before reading the unit. */
        if (start < 0 && end < 0 && start > end) {
            reply_integer(c, 0);
            return;
        }
        if (c->argc == 5 && !bit_unit_or_reply(c, 4, &isbit)) return;
    } else if (c->argc != 2) {
        reply_error(c, ERR_SYNTAX);
        return;
    }
    char buf[24];
    size_t len;
    const unsigned char *p = bytes_of(o, &len, buf);
    bitSpan sp;
    if (!bit_span(start, end, len, isbit, &sp)) {
        reply_integer(c, 0);
        return;
    }
    long long n = popcount(p + sp.first, sp.last - sp.first + 1);
    n -= __builtin_popcount(p[sp.first] & sp.head) + __builtin_popcount(p[sp.last] & sp.tail);
    reply_integer(c, n);
}

/* Index of the first bit equal to `bit` in p[0..n), or -1. */
static long long first_bit(const unsigned char *p, size_t n, int bit) {
    uint64_t skip_word = bit ? 0 : UINT64_MAX;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        if (w != skip_word) break;
    }
    for (; i < n; i++) {
        unsigned b = bit ? p[i] : (unsigned char)~p[i];
        if (b) return (long long)i * 8 + (__builtin_clz(b) - 24);
    }
    return -1;
}

/* Index of the first bit equal to `bit` inside the span (bits outside it never match), or -1. */
static long long span_first_bit(const unsigned char *p, const bitSpan *sp, int bit) {
    unsigned char edge[2];
    unsigned char head = sp->head | (sp->first == sp->last ? sp->tail : 0);
    /* Out-of-range bits are forced to the opposite of the bit searched for. */
    edge[0] = bit ? (unsigned char)(p[sp->first] & ~head) : (unsigned char)(p[sp->first] | head);
    edge[1] = bit ? (unsigned char)(p[sp->last] & ~sp->tail) : (unsigned char)(p[sp->last] | sp->tail);
    long long pos = first_bit(edge, 1, bit);
    if (pos >= 0) return (long long)sp->first * 8 + pos;
    if (sp->first == sp->last) return -1;
    pos = first_bit(p + sp->first + 1, sp->last - sp->first - 1, bit);
    if (pos >= 0) return (long long)(sp->first + 1) * 8 + pos;
    pos = first_bit(edge + 1, 1, bit);
    return pos >= 0 ? (long long)sp->last * 8 + pos : -1;
}

void bitpos_command(client *c) {
    long long bit, start = 0, end = -1;
    int isbit = 0, end_given = c->argc >= 5;
    kobj *o;
    if (!arg_ll_or_reply(c, &c->argv[2], &bit, NULL)) return;
    if (bit != 0 && bit != 1) {
        reply_error(c, "The bit argument must be 1 or 0.");
        return;
    }
    if (!string_lookup(c, 1, 0, &o)) return;
    if (!o) {
        /* A missing key is an endless run of zeros. */
        reply_integer(c, bit ? -1 : 0);
        return;
    }
    if (c->argc >= 4 && c->argc <= 6) {
        if (!arg_ll_or_reply(c, &c->argv[3], &start, NULL)) return;
        if (c->argc == 6 && !bit_unit_or_reply(c, 5, &isbit)) return;
        if (end_given && !arg_ll_or_reply(c, &c->argv[4], &end, NULL)) return;
    } else if (c->argc != 3) {
        reply_error(c, ERR_SYNTAX);
        return;
    }
    char buf[24];
    size_t len;
    const unsigned char *p = bytes_of(o, &len, buf);
    bitSpan sp;
    if (!bit_span(start, end, len, isbit, &sp)) {
        reply_integer(c, -1);
        return;
    }
    long long pos = span_first_bit(p, &sp, (int)bit);
    /* Without an explicit end the string is seen as padded with zeros on the right. */
    if (pos < 0 && bit == 0 && !end_given) pos = (long long)(sp.last + 1) * 8;
    reply_integer(c, pos);
}

/* ------------------------------------------------------------------ BITOP */

enum { BITOP_AND, BITOP_OR, BITOP_XOR, BITOP_NOT };

typedef struct bitopSource {
    const unsigned char *p;
    size_t len;
    char num[24];
} bitopSource;

/* out[0..maxlen) = op over the sources, each zero-padded to maxlen. */
static void bitop_compute(int op, const bitopSource *src, int n, unsigned char *out, size_t maxlen) {
    if (src[0].len) memcpy(out, src[0].p, src[0].len);
    memset(out + src[0].len, 0, maxlen - src[0].len);
    for (int j = 1; j < n; j++) {
        const unsigned char *p = src[j].p;
        size_t l = src[j].len;
        if (op == BITOP_AND) {
            for (size_t i = 0; i < l; i++) out[i] &= p[i];
            memset(out + l, 0, maxlen - l);
        } else if (op == BITOP_OR) {
            for (size_t i = 0; i < l; i++) out[i] |= p[i];
        } else {
            for (size_t i = 0; i < l; i++) out[i] ^= p[i];
        }
    }
    if (op == BITOP_NOT)
        for (size_t i = 0; i < maxlen; i++) out[i] = (unsigned char)~out[i];
}

static int bitop_parse_op(const char *name) {
    static const char *const names[] = {"and", "or", "xor", "not"};
    for (int i = 0; i < 4; i++)
        if (strcasecmp(name, names[i]) == 0) return i;
    return -1;
}

void bitop_command(client *c) {
    int op = bitop_parse_op(c->argv[1].ptr);
    if (op < 0) {
        reply_error(c, ERR_SYNTAX);
        return;
    }
    if (op == BITOP_NOT && c->argc != 4) {
        reply_error(c, "BITOP NOT must be called with a single source key.");
        return;
    }
    int n = c->argc - 3;
    bitopSource *src = kmalloc(sizeof(*src) * (size_t)n);
    size_t maxlen = 0;
    for (int j = 0; j < n; j++) {
        kobj *o;
        if (!string_lookup(c, j + 3, 0, &o)) {
            kfree(src);
            return;
        }
        src[j].len = 0;
        src[j].p = o ? bytes_of(o, &src[j].len, src[j].num) : NULL;
        if (src[j].len > maxlen) maxlen = src[j].len;
    }
    const karg *dst = &c->argv[2];
    if (maxlen) {
        /* Computed before storing: the destination may be one of the sources. */
        kstr *res = kstr_empty(maxlen);
        bitop_compute(op, src, n, (unsigned char *)res->buf, maxlen);
        res->len = maxlen;
        res->buf[maxlen] = '\0';
        string_reclaim_expired(c, 2);
        db_set(c->db, obj_new_raw(dst->ptr, dst->len, res), 0);
        string_key_changed(c, 2, NOTIFY_STRING, "set");
    } else if (db_delete(c->db, dst->ptr, dst->len)) {
        string_key_changed(c, 2, NOTIFY_GENERIC, "del");
    }
    kfree(src);
    reply_integer(c, (long long)maxlen);
}

/* ------------------------------------------------------------------ BITFIELD */

enum { BF_GET, BF_SET, BF_INCRBY };
enum { BF_WRAP, BF_SAT, BF_FAIL };

typedef struct bitfieldOp {
    uint64_t offset;
    int64_t value;      /* SET value or INCRBY increment */
    int opcode;
    int overflow;       /* BF_WRAP/SAT/FAIL in effect for this op */
    int bits;
    int sign;
} bitfieldOp;

/* "i1".."i64" or "u1".."u63", lowercase only. Read as a C string, like Redis. */
static int bitfield_type_or_reply(client *c, int i, int *sign, int *bits) {
    const char *p = c->argv[i].ptr;
    long long n;
    *sign = p[0] == 'i';
    if ((*sign || p[0] == 'u') && str_to_ll(p + 1, strlen(p + 1), &n) && n >= 1 &&
        n <= (*sign ? 64 : 63)) {
        *bits = (int)n;
        return 1;
    }
    reply_error(c, ERR_BITFIELD_TYPE);
    return 0;
}

static int bitfield_overflow_or_reply(client *c, int i, int *overflow) {
    static const char *const names[] = {"wrap", "sat", "fail"};
    for (int k = 0; k < 3; k++) {
        if (strcasecmp(c->argv[i].ptr, names[k]) == 0) {
            *overflow = k;
            return 1;
        }
    }
    reply_error(c, "Invalid OVERFLOW type specified");
    return 0;
}

/* Parses the subcommands into ops[] (room for argc/3 ops). Returns the number of ops, or -1
 * after replying an error. *maxbit is the highest bit any SET/INCRBY touches, *writes whether
 * there is one. */
static int bitfield_parse(client *c, bitfieldOp *ops, uint64_t *maxbit, int *writes) {
    int n = 0, overflow = BF_WRAP;
    *maxbit = 0;
    *writes = 0;
    for (int j = 2; j < c->argc; j++) {
        int more = c->argc - j - 1;
        const char *sub = c->argv[j].ptr;
        bitfieldOp *op = &ops[n];
        if (strcasecmp(sub, "get") == 0 && more >= 2) {
            op->opcode = BF_GET;
        } else if (strcasecmp(sub, "set") == 0 && more >= 3) {
            op->opcode = BF_SET;
        } else if (strcasecmp(sub, "incrby") == 0 && more >= 3) {
            op->opcode = BF_INCRBY;
        } else if (strcasecmp(sub, "overflow") == 0 && more >= 1) {
            if (!bitfield_overflow_or_reply(c, ++j, &overflow)) return -1;
            continue;
        } else {
            reply_error(c, ERR_SYNTAX);
            return -1;
        }
        if (!bitfield_type_or_reply(c, j + 1, &op->sign, &op->bits) ||
            !bit_offset_or_reply(c, j + 2, op->bits, &op->offset))
            return -1;
        op->value = 0;
        op->overflow = overflow;
        if (op->opcode != BF_GET) {
            long long v;
            *writes = 1;
            if (op->offset + (uint64_t)op->bits - 1 > *maxbit) *maxbit = op->offset + (uint64_t)op->bits - 1;
            if (!arg_ll_or_reply(c, &c->argv[j + 3], &v, NULL)) return -1;
            op->value = v;
        }
        j += op->opcode == BF_GET ? 2 : 3;
        n++;
    }
    return n;
}

/* The `bits` bits at `off` as an unsigned number (MSB first; zeros past len). */
static uint64_t field_get(const unsigned char *p, size_t len, uint64_t off, int bits) {
    uint64_t v = 0;
    for (int j = 0; j < bits; j++) v = (v << 1) | (uint64_t)bit_at(p, len, off + (uint64_t)j);
    return v;
}

/* Stores the low `bits` bits of v at `off`; the string must be long enough. */
static void field_set(unsigned char *p, uint64_t off, int bits, uint64_t v) {
    for (int j = 0; j < bits; j++, off++) {
        unsigned mask = 1u << (7 - (off & 7));
        if ((v >> (bits - 1 - j)) & 1)
            p[off >> 3] |= (unsigned char)mask;
        else
            p[off >> 3] &= (unsigned char)~mask;
    }
}

static int64_t sign_extend(uint64_t v, int bits) {
    if (bits < 64 && (v & ((uint64_t)1 << (bits - 1)))) v |= UINT64_MAX << bits;
    return (int64_t)v;
}

/* Redis's overflow checks: 0 if value + incr fits the field, else 1 (above the maximum) or -1
 * (below the minimum), with *limit set to the wrapped (WRAP) or saturated (SAT) result. The
 * differences are computed in unsigned arithmetic: they can wrap, exactly as Redis's do, and are
 * only decisive in the cases where they don't. */
static int unsigned_overflow(uint64_t value, int64_t incr, int bits, int owtype, uint64_t *limit) {
    uint64_t max = ((uint64_t)1 << bits) - 1;   /* bits <= 63 */
    int64_t maxincr = (int64_t)(max - value), minincr = (int64_t)(0 - value);
    int dir = value > max || (incr > 0 && incr > maxincr) ? 1 : (incr < 0 && incr < minincr) ? -1 : 0;
    if (dir && owtype == BF_WRAP) *limit = (value + (uint64_t)incr) & max;
    if (dir && owtype == BF_SAT) *limit = dir > 0 ? max : 0;
    return dir;
}

static int signed_overflow(int64_t value, int64_t incr, int bits, int owtype, int64_t *limit) {
    int64_t max = bits == 64 ? INT64_MAX : ((int64_t)1 << (bits - 1)) - 1, min = -max - 1;
    int64_t maxincr = (int64_t)((uint64_t)max - (uint64_t)value);
    int64_t minincr = (int64_t)((uint64_t)min - (uint64_t)value);
    int dir = 0;
    if (value > max || (bits != 64 && incr > maxincr) || (value >= 0 && incr > 0 && incr > maxincr))
        dir = 1;
    else if (value < min || (bits != 64 && incr < minincr) || (value < 0 && incr < 0 && incr < minincr))
        dir = -1;
    if (dir && owtype == BF_WRAP) *limit = sign_extend(((uint64_t)value + (uint64_t)incr) & (UINT64_MAX >> (64 - bits)), bits);
    if (dir && owtype == BF_SAT) *limit = dir > 0 ? max : min;
    return dir;
}

/* SET or INCRBY on a field whose current bits are `old`: the field's new bits go to *store and
 * the reply (old value for SET, new value for INCRBY) to *reply. Returns 0 when OVERFLOW FAIL
 * refuses the write. */
static int bitfield_apply(const bitfieldOp *op, uint64_t old, uint64_t *store, long long *reply) {
    int incrby = op->opcode == BF_INCRBY, dir;
    int64_t incr = incrby ? op->value : 0;
    if (op->sign) {
        int64_t cur = sign_extend(old, op->bits), base = incrby ? cur : op->value, lim = 0;
        dir = signed_overflow(base, incr, op->bits, op->overflow, &lim);
        int64_t nv = dir ? lim : (int64_t)((uint64_t)base + (uint64_t)incr);
        *store = (uint64_t)nv;
        *reply = incrby ? nv : cur;
    } else {
        uint64_t base = incrby ? old : (uint64_t)op->value, lim = 0;
        dir = unsigned_overflow(base, incr, op->bits, op->overflow, &lim);
        uint64_t nv = dir ? lim : base + (uint64_t)incr;
        *store = nv;
        *reply = (long long)(incrby ? nv : old);
    }
    return !(dir && op->overflow == BF_FAIL);
}

/* Runs the parsed ops against o (NULL: a missing key, only GETs). Returns the number of writes
 * that changed the field, every write counting when the value was created or grew (grew): the
 * changes Redis adds to the dirty counter. */
static int bitfield_run(client *c, kobj *o, const bitfieldOp *ops, int n, int grew) {
    int changes = 0;
    char numbuf[24];
    reply_array_len(c, n);
    for (int j = 0; j < n; j++) {
        const bitfieldOp *op = &ops[j];
        size_t len = 0;
        const unsigned char *p = o ? bytes_of(o, &len, numbuf) : NULL;
        uint64_t old = p ? field_get(p, len, op->offset, op->bits) : 0;
        if (op->opcode == BF_GET) {
            reply_integer(c, op->sign ? sign_extend(old, op->bits) : (long long)old);
            continue;
        }
        uint64_t store;
        long long reply;
        if (bitfield_apply(op, old, &store, &reply)) {
            reply_integer(c, reply);
            field_set((unsigned char *)((kstr *)obj_ptr(o))->buf, op->offset, op->bits, store);
            uint64_t mask = op->bits == 64 ? UINT64_MAX : ((uint64_t)1 << op->bits) - 1;
            if (grew || (store & mask) != (old & mask)) changes++;
        } else {
            reply_null(c);
        }
    }
    return changes;
}

static void bitfield_generic(client *c, int readonly_cmd) {
    bitfieldOp *ops = kmalloc(sizeof(*ops) * (size_t)(c->argc / 3 + 1));
    uint64_t maxbit;
    int writes, grew = 0;
    int n = bitfield_parse(c, ops, &maxbit, &writes);
    kobj *o = NULL;
    if (n < 0) goto done;
    if (!writes) {
        if (!string_lookup(c, 1, 0, &o)) goto done;
    } else if (readonly_cmd) {
        reply_error(c, "BITFIELD_RO only supports the GET subcommand");
        goto done;
    } else if (!(o = bit_target(c, maxbit, &grew))) {
        goto done;
    }
    int changes = bitfield_run(c, o, ops, n, grew);
    if (changes) {
        string_key_changed(c, 1, NOTIFY_STRING, "setbit");   /* counts one change */
        server.dirty += changes - 1;
    }
done:
    kfree(ops);
}

int bitfield_get_keys(int argc, const karg *argv, int *pos, int *flags, int max) {
    int readonly = 1;
    for (int i = 2; i < argc && readonly; i++) {
        int rest = argc - i - 1;
        if (arg_is(argv[i].ptr, argv[i].len, "get") && rest >= 2) i += 2;
        else if (arg_is(argv[i].ptr, argv[i].len, "overflow") && rest >= 1) i += 1;
        else readonly = 0;      /* SET, INCRBY or a syntax error: assume a write */
    }
    if (max > 0) {
        pos[0] = 1;
        if (flags) flags[0] = readonly ? KS_RO | KS_ACCESS : KS_RW | KS_ACCESS | KS_UPDATE;
    }
    return 1;
}

void bitfield_command(client *c) {
    bitfield_generic(c, 0);
}

void bitfield_ro_command(client *c) {
    bitfield_generic(c, 1);
}
