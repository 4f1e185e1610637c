/* rdb.c - RDB version 10 writer and reader; see rdb.h.
 *
 * Layout of a file (all facts from Redis's RDB format documentation and rdb.h):
 *   "REDIS0010", AUX fields (redis-ver, redis-bits, ctime, used-mem, aof-base), then per
 *   non-empty database SELECTDB n, RESIZEDB size expires, and its keys: [EXPIRETIME_MS t]
 *   [IDLE s | FREQ f] type key value; then EOF and the CRC64 of everything before it (8 bytes,
 *   little-endian; 0 when rdbchecksum is off).
 * A DUMP payload is "type value", the version as 2 little-endian bytes, and the CRC64 of all
 * that, 8 bytes little-endian.
 *
 * Reading works on one contiguous buffer: the payload, or the file mapped read-only, so every
 * read is a bounds check against what remains, and plain strings are used in place. */
#include "persist/rdb.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "keyspace/db.h"
#include "keyspace/evict.h"
#include "types/coll_entry.h"
#include "types/intset.h"
#include "types/listpack.h"
#include "types/lzf.h"
#include "types/quicklist.h"
#include "types/stream.h"
#include "types/t_hash.h"
#include "types/t_list.h"
#include "types/t_set.h"
#include "types/t_zset.h"
#include "util/crc64.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/util.h"

/* Object types. */
enum {
    RDB_TYPE_STRING = 0, RDB_TYPE_LIST = 1, RDB_TYPE_SET = 2, RDB_TYPE_ZSET = 3, RDB_TYPE_HASH = 4,
    RDB_TYPE_ZSET_2 = 5, RDB_TYPE_MODULE = 6, RDB_TYPE_MODULE_2 = 7, RDB_TYPE_HASH_ZIPMAP = 9,
    RDB_TYPE_LIST_ZIPLIST = 10, RDB_TYPE_SET_INTSET = 11, RDB_TYPE_ZSET_ZIPLIST = 12,
    RDB_TYPE_HASH_ZIPLIST = 13, RDB_TYPE_LIST_QUICKLIST = 14, RDB_TYPE_STREAM_LISTPACKS = 15,
    RDB_TYPE_HASH_LISTPACK = 16, RDB_TYPE_ZSET_LISTPACK = 17, RDB_TYPE_LIST_QUICKLIST_2 = 18,
    RDB_TYPE_STREAM_LISTPACKS_2 = 19,
};
/* Opcodes. */
enum {
    RDB_OP_FUNCTION2 = 245, RDB_OP_FUNCTION = 246, RDB_OP_MODULE_AUX = 247, RDB_OP_IDLE = 248,
    RDB_OP_FREQ = 249, RDB_OP_AUX = 250, RDB_OP_RESIZEDB = 251, RDB_OP_EXPIRETIME_MS = 252,
    RDB_OP_EXPIRETIME = 253, RDB_OP_SELECTDB = 254, RDB_OP_EOF = 255,
};
/* Length prefixes: 00 6 bits, 01 14 bits, 0x80 32 bits, 0x81 64 bits (big-endian); 11 = a
 * special encoding in the low 6 bits. */
#define RDB_ENC_INT8 0
#define RDB_ENC_INT16 1
#define RDB_ENC_INT32 2
#define RDB_ENC_LZF 3
#define QL_NODE_PLAIN 1
#define QL_NODE_PACKED 2
#define QL_SIZE_OVERHEAD 8       /* Redis 7.0.15's per-element estimate when it fills a node */
#define QL_SAFETY_LIMIT 8192     /* node byte bound when the fill is a count */
#define LZF_MAX_RATIO 90         /* an LZF item expands 3 bytes into at most 264 */

/* ================================================================ writing */

typedef struct rdbOut {
    int fd;                 /* file descriptor, or -1: the bytes stay in buf (unless sink is set) */
    rdb_sink_fn *sink;      /* instead of fd: flushed bytes go to sink(sink_priv, ...) */
    void *sink_priv;
    int count_only;         /* only count them (serializedlength) */
    unsigned char *buf;
    size_t len, cap;
    uint64_t crc;           /* of the bytes already written to fd */
    size_t total;           /* bytes produced */
    int failed;             /* errno of the first failed write, or 0 */
} rdbOut;

#define OUT_BUF_BYTES (1 << 16)

static void write_all(rdbOut *w, const unsigned char *p, size_t n) {
    w->crc = crc64(w->crc, p, n);
    if (w->sink) {
        w->sink(w->sink_priv, p, n);
        return;
    }
    while (n && !w->failed) {
        ssize_t k = write(w->fd, p, n);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) {
            w->failed = k < 0 ? errno : EIO;
            break;
        }
        p += k;
        n -= (size_t)k;
    }
}

static void out_flush(rdbOut *w) {
    if ((w->fd >= 0 || w->sink) && w->len) write_all(w, w->buf, w->len);
    if (w->fd >= 0 || w->sink) w->len = 0;
}

static void out_write(rdbOut *w, const void *p, size_t n) {
    w->total += n;
    if (w->count_only || w->failed || n == 0) return;
    if (w->len + n > w->cap && (w->fd >= 0 || w->sink)) {
        out_flush(w);
        if (n >= w->cap) {
            write_all(w, p, n);
            return;
        }
    }
    if (w->len + n > w->cap) {
        w->cap = w->len + n > 2 * w->cap ? w->len + n : 2 * w->cap;
        w->buf = krealloc(w->buf, w->cap);
    }
    memcpy(w->buf + w->len, p, n);
    w->len += n;
}

static void out_byte(rdbOut *w, int b) {
    unsigned char c = (unsigned char)b;
    out_write(w, &c, 1);
}

static void put_le(unsigned char *b, uint64_t v, int n) {
    for (int i = 0; i < n; i++) b[i] = (unsigned char)(v >> (8 * i));
}

static void save_len(rdbOut *w, uint64_t len) {
    unsigned char b[9];
    size_t n;
    if (len < 64) {
        b[0] = (unsigned char)len;
        n = 1;
    } else if (len < 16384) {
        b[0] = (unsigned char)(0x40 | (len >> 8));
        b[1] = (unsigned char)len;
        n = 2;
    } else {
        int bytes = len <= UINT32_MAX ? 4 : 8;
        b[0] = bytes == 4 ? 0x80 : 0x81;
        for (int i = 0; i < bytes; i++) b[1 + i] = (unsigned char)(len >> (8 * (bytes - 1 - i)));
        n = (size_t)bytes + 1;
    }
    out_write(w, b, n);
}

static void save_millis(rdbOut *w, long long ms) {
    unsigned char b[8];
    put_le(b, (uint64_t)ms, 8);
    out_write(w, b, 8);
}

/* The 8/16/32-bit integer encoding of a string, as Redis's rdbEncodeInteger: 0 if v needs more. */
static size_t encode_int(long long v, unsigned char *b) {
    int n;
    if (v >= -128 && v <= 127) n = 1;
    else if (v >= -32768 && v <= 32767) n = 2;
    else if (v >= INT32_MIN && v <= INT32_MAX) n = 4;
    else return 0;
    b[0] = (unsigned char)(0xC0 | (n == 1 ? RDB_ENC_INT8 : n == 2 ? RDB_ENC_INT16 : RDB_ENC_INT32));
    put_le(b + 1, (uint64_t)v, n);
    return (size_t)n + 1;
}

/* LZF form of a string when it saves at least 4 bytes (Redis's rule); 0 if not written. */
static int save_lzf(rdbOut *w, const char *s, size_t len) {
    size_t cap = len - 4;
    unsigned char *out = kmalloc(cap);
    size_t clen = klzf_compress((const unsigned char *)s, len, out, cap);
    if (clen) {
        out_byte(w, 0xC0 | RDB_ENC_LZF);
        save_len(w, clen);
        save_len(w, len);
        out_write(w, out, clen);
    }
    kfree(out);
    return clen != 0;
}

static void save_string(rdbOut *w, const char *s, size_t len) {
    unsigned char b[5];
    long long v;
    size_t n;
    if (len <= 11 && str_to_ll(s, len, &v) && (n = encode_int(v, b)) != 0) {
        out_write(w, b, n);
        return;
    }
    if (server.rdbcompression && len > 20 && save_lzf(w, s, len)) return;
    save_len(w, len);
    out_write(w, s, len);
}

static void save_ll_string(rdbOut *w, long long v) {
    unsigned char b[5];
    size_t n = encode_int(v, b);
    if (n) {
        out_write(w, b, n);
        return;
    }
    char buf[LP_INTBUF];
    int k = ll_to_str(buf, sizeof(buf), v);
    save_len(w, (uint64_t)k);
    out_write(w, buf, (size_t)k);
}

/* ---- Redis listpacks: [u32 total][u16 count] entries 0xFF, each entry followed by its
 * back-length. Integers: 7-bit, 13-bit, then 0xF1..0xF4 for 16/24/32/64 bits; strings: 6-bit,
 * 12-bit and 32-bit lengths. */

typedef struct rlp {
    unsigned char *b;
    size_t len, cap, count;
} rlp;

static void rlp_init(rlp *l) {
    l->cap = 256;
    l->b = kmalloc(l->cap);
    l->len = 6;
    l->count = 0;
}

static unsigned char *rlp_room(rlp *l, size_t n) {
    if (l->len + n > l->cap) {
        l->cap = l->len + n > 2 * l->cap ? l->len + n : 2 * l->cap;
        l->b = krealloc(l->b, l->cap);
    }
    return l->b + l->len;
}

static size_t backlen_size(size_t l) {
    return l <= 127 ? 1 : l < 16383 ? 2 : l < 2097151 ? 3 : l < 268435455 ? 4 : 5;
}

/* Encodes an entry of `size` bytes already at the end of the listpack, then its back-length. */
static void rlp_close_entry(rlp *l, size_t size) {
    size_t n = backlen_size(size);
    unsigned char *p = rlp_room(l, size + n) + size;
    for (size_t i = 0; i < n; i++) {
        size_t shift = 7 * (n - 1 - i);
        p[i] = (unsigned char)(((size >> shift) & 127) | (i > 0 ? 128 : 0));
    }
    l->len += size + n;
    l->count++;
}

/* Bytes of an integer entry's encoding (without back-length). */
static size_t rlp_int_size(long long v) {
    if (v >= 0 && v <= 127) return 1;
    if (v >= -4096 && v <= 4095) return 2;
    if (v >= -32768 && v <= 32767) return 3;
    if (v >= -8388608 && v <= 8388607) return 4;
    if (v >= INT32_MIN && v <= INT32_MAX) return 5;
    return 9;
}

static void rlp_add_int(rlp *l, long long v) {
    size_t n = rlp_int_size(v);
    unsigned char *p = rlp_room(l, n + 5);
    uint64_t uv = (uint64_t)v;
    if (n == 1) {
        p[0] = (unsigned char)v;
    } else if (n == 2) {
        uv &= 0x1FFF;
        p[0] = (unsigned char)(0xC0 | (uv >> 8));
        p[1] = (unsigned char)uv;
    } else {
        p[0] = (unsigned char)(n == 3 ? 0xF1 : n == 4 ? 0xF2 : n == 5 ? 0xF3 : 0xF4);
        put_le(p + 1, uv, (int)n - 1);
    }
    rlp_close_entry(l, n);
}

static size_t rlp_str_size(size_t len) {
    return (len < 64 ? 1 : len < 4096 ? 2 : 5) + len;
}

static void rlp_add_str(rlp *l, const char *s, size_t len) {
    long long v;
    if (len < LP_INTBUF && str_to_ll(s, len, &v)) {
        rlp_add_int(l, v);
        return;
    }
    size_t n = rlp_str_size(len);
    unsigned char *p = rlp_room(l, n + 5);
    size_t h = n - len;
    if (h == 1) {
        p[0] = (unsigned char)(0x80 | len);
    } else if (h == 2) {
        p[0] = (unsigned char)(0xE0 | (len >> 8));
        p[1] = (unsigned char)len;
    } else {
        p[0] = 0xF0;
        put_le(p + 1, len, 4);
    }
    memcpy(p + h, s, len);
    rlp_close_entry(l, n);
}

static void rlp_add_value(rlp *l, const lpValue *v) {
    if (v->str) rlp_add_str(l, (const char *)v->str, v->len);
    else rlp_add_int(l, v->ll);
}

/* Terminates the listpack, saves it as a string and frees it. */
static void rlp_save(rdbOut *w, rlp *l) {
    rlp_room(l, 1)[0] = 0xFF;
    l->len++;
    put_le(l->b, l->len, 4);
    put_le(l->b + 4, l->count < 65535 ? l->count : 65535, 2);
    save_string(w, (const char *)l->b, l->len);
    kfree(l->b);
}

/* ---- values ---- */

static int rdb_type_of(const kobj *o) {
    switch (o->type) {
    case OBJ_LIST: return RDB_TYPE_LIST_QUICKLIST_2;
    case OBJ_SET: return o->encoding == ENC_INTSET ? RDB_TYPE_SET_INTSET : RDB_TYPE_SET;
    case OBJ_ZSET: return o->encoding == ENC_LISTPACK ? RDB_TYPE_ZSET_LISTPACK : RDB_TYPE_ZSET_2;
    case OBJ_HASH: return o->encoding == ENC_LISTPACK ? RDB_TYPE_HASH_LISTPACK : RDB_TYPE_HASH;
    case OBJ_STREAM: return RDB_TYPE_STREAM_LISTPACKS_2;
    default: return RDB_TYPE_STRING;
    }
}

/* Quicklist nodes as Redis fills them: an element joins the node while the node's bytes plus
 * the element's length plus 8 stay within the fill's byte limit (and, for a positive fill,
 * the count stays within it). Returns 1 if an element of string length len fits. */
static int ql_node_accepts(int fill, size_t node_bytes, size_t node_count, size_t len) {
    if (node_count == 0) return 1;
    size_t new_sz = node_bytes + len + QL_SIZE_OVERHEAD;
    if (fill >= 0) return node_count + 1 <= (size_t)fill && new_sz <= QL_SAFETY_LIMIT;
    int level = -fill - 1 > 4 ? 4 : -fill - 1;
    return new_sz <= ((size_t)4096 << level);
}

static size_t lp_value_strlen(const lpValue *v) {
    if (v->str) return v->len;
    char buf[LP_INTBUF];
    return (size_t)ll_to_str(buf, sizeof(buf), v->ll);
}

static size_t rlp_entry_bytes(const lpValue *v) {
    long long ll;
    size_t n;
    if (!v->str) n = rlp_int_size(v->ll);
    else if (v->len < LP_INTBUF && str_to_ll((const char *)v->str, v->len, &ll)) n = rlp_int_size(ll);
    else n = rlp_str_size(v->len);
    return n + backlen_size(n);
}

/* Walks the list's elements grouped into nodes; with w NULL only counts the nodes. */
static size_t save_list_nodes(rdbOut *w, quicklist *ql) {
    qlIter it;
    lpValue v;
    size_t nodes = 0, bytes = 0, count = 0;
    rlp l;
    ql_iter_at(&it, ql, 0, QL_FORWARD);
    while (ql_next(&it, &v)) {
        size_t slen = lp_value_strlen(&v);
        if (!ql_node_accepts(ql_fill(ql), bytes, count, slen)) {
            if (w) {
                save_len(w, QL_NODE_PACKED);
                rlp_save(w, &l);
            }
            count = 0;
        }
        if (count == 0) {
            nodes++;
            bytes = 7;
            if (w) rlp_init(&l);
        }
        bytes += rlp_entry_bytes(&v);
        count++;
        if (w) rlp_add_value(&l, &v);
    }
    ql_iter_release(&it);
    if (w && count) {
        save_len(w, QL_NODE_PACKED);
        rlp_save(w, &l);
    }
    return nodes;
}

static void save_intset(rdbOut *w, const intset *is) {
    size_t n = intsetLen(is), width = is->width;
    size_t bytes = 8 + n * width;
    unsigned char *b = kmalloc(bytes);
    put_le(b, width, 4);
    put_le(b + 4, n, 4);
    for (size_t i = 0; i < n; i++) put_le(b + 8 + i * width, (uint64_t)intsetGet(is, (uint32_t)i), (int)width);
    save_string(w, (const char *)b, bytes);
    kfree(b);
}

static void save_coll_table(rdbOut *w, table *t, int has_value) {
    tableIter it;
    collEntry *e;
    save_len(w, tableSize(t));
    tableIterInit(&it, t, 0);
    while ((e = tableIterNext(&it)) != NULL) {
        size_t len;
        const char *k = coll_entry_key(e, &len);
        save_string(w, k, len);
        if (has_value) {
            k = coll_entry_value(e, &len);
            save_string(w, k, len);
        }
    }
    tableIterRelease(&it);
}

static int zset_member_to_rlp(void *priv, const char *m, size_t mlen, double score) {
    char buf[64];
    rlp_add_str(priv, m, mlen);
    rlp_add_str(priv, buf, (size_t)d_to_str(buf, sizeof(buf), score));
    return 1;
}

static int zset_member_to_out(void *priv, const char *m, size_t mlen, double score) {
    unsigned char b[8];
    uint64_t bits;
    memcpy(&bits, &score, 8);
    put_le(b, bits, 8);
    save_string(priv, m, mlen);
    out_write(priv, b, 8);
    return 1;
}

/* ---- streams: Redis's STREAM_LISTPACKS_2. Each node is a listpack: the master entry
 * [live][deleted][nfields][field]...[0], then per entry [flags][ms - master.ms]
 * [seq - master.seq] ([nfields][field][value]... or, with SAMEFIELDS, the values only) and
 * [lp-count] (the entry's elements before it), keyed by the master ID as 16 big-endian bytes.
 * Then length, last ID, first ID, max deleted ID, entries added, and the groups: name, last
 * ID, entries read, the PEL (raw IDs, delivery time, delivery count) and the consumers (name,
 * seen time, their PEL as raw IDs). */

static void put_id(unsigned char *b, const streamID *id) {
    for (int i = 0; i < 8; i++) {
        b[i] = (unsigned char)(id->ms >> (56 - 8 * i));
        b[8 + i] = (unsigned char)(id->seq >> (56 - 8 * i));
    }
}

static void save_stream_node(rdbOut *w, stream *s, size_t i) {
    streamIter it;
    streamID master;
    size_t nfields;
    streamStr f, v;
    unsigned char key[16];
    int flags;
    rlp l;
    stream_iter_node(&it, s, i, &master, &nfields);
    put_id(key, &master);
    save_string(w, (const char *)key, sizeof(key));
    rlp_init(&l);
    rlp_add_int(&l, it.node->live);
    rlp_add_int(&l, it.node->count - it.node->live);
    rlp_add_int(&l, (long long)nfields);
    for (size_t j = 0; j < nfields; j++) {
        stream_iter_master_field(&it, &f);
        rlp_add_str(&l, f.ptr, f.len);
    }
    rlp_add_int(&l, 0);
    while (stream_iter_next_raw(&it, &flags)) {
        int same = (flags & STREAM_F_SAMEFIELDS) != 0;
        rlp_add_int(&l, flags);
        rlp_add_int(&l, (long long)(it.id.ms - master.ms));
        rlp_add_int(&l, (long long)(it.id.seq - master.seq));
        if (!same) rlp_add_int(&l, (long long)it.nfields);
        for (size_t j = 0; j < it.nfields; j++) {
            stream_iter_field(&it, &f, &v);
            if (!same) rlp_add_str(&l, f.ptr, f.len);
            rlp_add_str(&l, v.ptr, v.len);
        }
        rlp_add_int(&l, (long long)(same ? it.nfields + 3 : 2 * it.nfields + 4));
    }
    stream_iter_stop(&it);
    rlp_save(w, &l);
}

static void save_stream_id(rdbOut *w, const streamID *id) {
    save_len(w, id->ms);
    save_len(w, id->seq);
}

static void save_raw_id(rdbOut *w, const streamID *id) {
    unsigned char b[16];
    put_id(b, id);
    out_write(w, b, sizeof(b));
}

static void save_stream_group(rdbOut *w, const streamCG *cg) {
    save_string(w, cg->name, cg->namelen);
    save_stream_id(w, &cg->last_id);
    save_len(w, (uint64_t)cg->entries_read);
    save_len(w, cg->pel.len);
    for (size_t i = 0; i < cg->pel.len; i++) {
        const streamNACK *nack = idmap_at(&cg->pel, i)->ptr;
        save_raw_id(w, &nack->id);
        save_millis(w, nack->delivery_time);
        save_len(w, nack->delivery_count);
    }
    save_len(w, cg->nconsumers);
    for (size_t i = 0; i < cg->nconsumers; i++) {
        const streamConsumer *sc = cg->consumers[i];
        save_string(w, sc->name, sc->namelen);
        save_millis(w, sc->seen_time);
        save_len(w, sc->pel.len);
        for (size_t j = 0; j < sc->pel.len; j++) save_raw_id(w, &idmap_at(&sc->pel, j)->id);
    }
}

static void save_stream(rdbOut *w, stream *s) {
    size_t nodes = stream_node_count(s);
    save_len(w, nodes);
    for (size_t i = 0; i < nodes; i++) save_stream_node(w, s, i);
    save_len(w, s->length);
    save_stream_id(w, &s->last_id);
    save_stream_id(w, &s->first_id);
    save_stream_id(w, &s->max_deleted_id);
    save_len(w, s->entries_added);
    save_len(w, s->ngroups);
    for (size_t i = 0; i < s->ngroups; i++) save_stream_group(w, s->groups[i]);
}

static void save_value(rdbOut *w, const kobj *o) {
    rlp l;
    switch (rdb_type_of(o)) {
    case RDB_TYPE_STRING:
        if (o->encoding == ENC_INT) {
            save_ll_string(w, obj_int(o));
        } else {
            size_t len;
            const char *s = obj_str(o, &len, NULL);
            save_string(w, s, len);
        }
        break;
    case RDB_TYPE_LIST_QUICKLIST_2:
        save_len(w, save_list_nodes(NULL, obj_ptr(o)));
        save_list_nodes(w, obj_ptr(o));
        break;
    case RDB_TYPE_SET_INTSET: save_intset(w, obj_ptr(o)); break;
    case RDB_TYPE_SET: save_coll_table(w, obj_ptr(o), 0); break;
    case RDB_TYPE_HASH: save_coll_table(w, obj_ptr(o), 1); break;
    case RDB_TYPE_ZSET_LISTPACK:
        rlp_init(&l);
        zset_for_each_scored(o, 0, zset_member_to_rlp, &l);
        rlp_save(w, &l);
        break;
    case RDB_TYPE_ZSET_2:
        save_len(w, zset_length(o));
        zset_for_each_scored(o, 1, zset_member_to_out, w);
        break;
    case RDB_TYPE_HASH_LISTPACK: {
        const unsigned char *lp = obj_ptr(o);
        rlp_init(&l);
        for (unsigned char *p = lpFirst(lp); p; p = lpNext(lp, p)) {
            lpValue v;
            lpGet(p, &v);
            rlp_add_value(&l, &v);
        }
        rlp_save(w, &l);
        break;
    }
    case RDB_TYPE_STREAM_LISTPACKS_2: save_stream(w, obj_ptr(o)); break;
    }
}

static void save_aux(rdbOut *w, const char *name, const char *value) {
    out_byte(w, RDB_OP_AUX);
    save_string(w, name, strlen(name));
    save_string(w, value, strlen(value));
}

static void save_aux_ll(rdbOut *w, const char *name, long long v) {
    char buf[LP_INTBUF];
    ll_to_str(buf, sizeof(buf), v);
    save_aux(w, name, buf);
}

int (*rdb_repl_info)(rdbReplInfo *ri);

int rdb_feed_expired;
kstr *rdb_expired_dels;
long long rdb_expired_dels_len;
int rdb_expired_dels_overflow;
static int expired_db = -1;

/* A primary's start-up load (rdb_feed_expired): the DEL of a key that expired in the file, for
 * its replicas, as Redis feeds them to its backlog. Past repl-backlog-size only the length is
 * kept (the backlog could not hold them: the replicas resync fully). */
static void feed_expired(int dbid, const char *key, size_t len) {
    char head[96];
    int n = 0;
    if (dbid != expired_db) {
        char num[24];
        int d = snprintf(num, sizeof(num), "%d", dbid);
        n = snprintf(head, sizeof(head), "*2\r\n$6\r\nSELECT\r\n$%d\r\n%s\r\n", d, num);
        expired_db = dbid;
    }
    const char *cmd = server.lazyfree_lazy_expire ? "UNLINK" : "DEL";
    n += snprintf(head + n, sizeof(head) - (size_t)n, "*2\r\n$%zu\r\n%s\r\n$%zu\r\n", strlen(cmd), cmd, len);
    rdb_expired_dels_len += n + (long long)len + 2;
    if (rdb_expired_dels_overflow) return;
    if (rdb_expired_dels_len > server.repl_backlog_size) {
        rdb_expired_dels_overflow = 1;
        kstr_free(rdb_expired_dels);
        rdb_expired_dels = NULL;
        return;
    }
    if (!rdb_expired_dels) rdb_expired_dels = kstr_empty(0);
    rdb_expired_dels = kstr_cat(rdb_expired_dels, head, (size_t)n);
    rdb_expired_dels = kstr_cat(rdb_expired_dels, key, len);
    rdb_expired_dels = kstr_cat(rdb_expired_dels, "\r\n", 2);
}

static void save_key(rdbOut *w, const kobj *o) {
    long long when = obj_expire(o);
    if (when != OBJ_NO_EXPIRE) {
        out_byte(w, RDB_OP_EXPIRETIME_MS);
        save_millis(w, when);
    }
    int policy = server.maxmemory_policy;
    if (policy == MAXMEMORY_ALLKEYS_LRU || policy == MAXMEMORY_VOLATILE_LRU) {
        out_byte(w, RDB_OP_IDLE);
        save_len(w, (uint64_t)evict_idle_seconds(o));
    } else if (evict_policy_is_lfu()) {
        out_byte(w, RDB_OP_FREQ);
        out_byte(w, (int)evict_lfu_counter(o));
    }
    out_byte(w, rdb_type_of(o));
    save_string(w, obj_key(o), obj_keylen(o));
    save_value(w, o);
}

/* ---- functions ---- */

rdbFunctionHooks rdb_function_hooks;

static void save_functions(rdbOut *w) {
    size_t n = rdb_function_hooks.count ? rdb_function_hooks.count() : 0;
    for (size_t i = 0; i < n; i++) {
        size_t len;
        const char *code = rdb_function_hooks.code(i, &len);
        out_byte(w, RDB_OP_FUNCTION2);
        save_string(w, code, len);
    }
}

/* The DUMP footer: the RDB version (2 bytes) and the CRC64 of everything before it. */
static kstr *out_to_payload(rdbOut *w) {
    unsigned char b[8];
    put_le(b, RDB_VERSION, 2);
    out_write(w, b, 2);
    put_le(b, crc64(0, w->buf, w->len), 8);
    out_write(w, b, 8);
    kstr *s = kstr_new(w->buf, w->len);
    kfree(w->buf);
    return s;
}

kstr *rdb_dump_functions(void) {
    rdbOut w = {.fd = -1, .cap = 64};
    w.buf = kmalloc(w.cap);
    save_functions(&w);
    return out_to_payload(&w);
}

/* ---- snapshots: the file, key by key ---- */

struct rdbSnapshot {
    rdbOut w;
    char path[PATH_MAX], tmp[PATH_MAX];
    int cur_db;                 /* database of the last SELECTDB, -1 before the first */
    unsigned char *resized;     /* per database: RESIZEDB written */
    long long keys;
    int aof;                    /* an AOF-format base: commands instead of RDB records */
};

/* ---- the AOF format (an AOF base with aof-use-rdb-preamble no) ---- */

static void out_resp_bulk(rdbOut *w, const void *p, size_t len) {
    char h[32];
    int n = snprintf(h, sizeof(h), "$%zu\r\n", len);
    out_write(w, h, (size_t)n);
    out_write(w, p, len);
    out_write(w, "\r\n", 2);
}

static void out_resp_cmd(rdbOut *w, int argc, const char *const *argv, const size_t *lens) {
    char h[32];
    int n = snprintf(h, sizeof(h), "*%d\r\n", argc);
    out_write(w, h, (size_t)n);
    for (int i = 0; i < argc; i++) out_resp_bulk(w, argv[i], lens[i]);
}

/* As Redis's rewrite: "#TS:<unix time>" first with aof-timestamp-enabled, then every function
 * library as FUNCTION LOAD <code>. */
static void aof_header(rdbSnapshot *s) {
    if (server.aof_timestamp_enabled) {
        char ts[48];
        int n = snprintf(ts, sizeof(ts), "#TS:%lld\r\n", (long long)time(NULL));
        out_write(&s->w, ts, (size_t)n);
    }
    size_t n = rdb_function_hooks.count ? rdb_function_hooks.count() : 0;
    for (size_t i = 0; i < n; i++) {
        size_t len;
        const char *code = rdb_function_hooks.code(i, &len);
        const char *argv[3] = {"FUNCTION", "LOAD", code};
        size_t lens[3] = {8, 4, len};
        out_resp_cmd(&s->w, 3, argv, lens);
    }
}

/* One key as commands: SELECT when the database changes (as Redis, once per database), then
 * SET for a string and RESTORE <key> 0 <DUMP payload> for the other types (the value with its
 * encoding; loadable by Keel and redis-server, accepted by redis-check-aof), then PEXPIREAT
 * when it has a TTL (Redis's rewrite writes the same after a key). */
static void aof_key(rdbSnapshot *s, kdb *db, const kobj *o) {
    char num[LP_INTBUF];
    if (db->id != s->cur_db) {
        int n = ll_to_str(num, sizeof(num), db->id);
        const char *argv[2] = {"SELECT", num};
        size_t lens[2] = {6, (size_t)n};
        out_resp_cmd(&s->w, 2, argv, lens);
        s->cur_db = db->id;
    }
    const char *key = obj_key(o);
    size_t klen = obj_keylen(o);
    if (rdb_type_of(o) == RDB_TYPE_STRING) {
        size_t len;
        const char *v;
        if (o->encoding == ENC_INT) {
            len = (size_t)ll_to_str(num, sizeof(num), obj_int(o));
            v = num;
        } else {
            v = obj_str(o, &len, NULL);
        }
        const char *argv[3] = {"SET", key, v};
        size_t lens[3] = {3, klen, len};
        out_resp_cmd(&s->w, 3, argv, lens);
    } else {
        kstr *payload = rdb_dump_payload(o);
        const char *argv[4] = {"RESTORE", key, "0", payload->buf};
        size_t lens[4] = {7, klen, 1, payload->len};
        out_resp_cmd(&s->w, 4, argv, lens);
        kstr_free(payload);
    }
    long long when = obj_expire(o);
    if (when != OBJ_NO_EXPIRE) {
        int n = ll_to_str(num, sizeof(num), when);
        const char *argv[3] = {"PEXPIREAT", key, num};
        size_t lens[3] = {9, klen, (size_t)n};
        out_resp_cmd(&s->w, 3, argv, lens);
    }
}

/* The header, after s->w is set up. */
static rdbSnapshot *snapshot_start(rdbSnapshot *s) {
    s->w.cap = OUT_BUF_BYTES;
    s->w.buf = kmalloc(s->w.cap);
    s->cur_db = -1;
    s->resized = kcalloc((size_t)server.dbnum);
    if (s->aof) {
        aof_header(s);
        return s;
    }
    char magic[10];
    snprintf(magic, sizeof(magic), "REDIS%04d", RDB_VERSION);
    out_write(&s->w, magic, 9);
    save_aux(&s->w, "redis-ver", REDIS_COMPAT_VERSION);
    save_aux_ll(&s->w, "redis-bits", (long long)sizeof(void *) * 8);
    save_aux_ll(&s->w, "ctime", (long long)time(NULL));
    save_aux_ll(&s->w, "used-mem", (long long)mem_used());
    save_aux_ll(&s->w, "aof-base", 0);
    rdbReplInfo ri;
    if (rdb_repl_info && rdb_repl_info(&ri)) {
        save_aux_ll(&s->w, "repl-stream-db", ri.stream_db);
        save_aux(&s->w, "repl-id", ri.replid);
        save_aux_ll(&s->w, "repl-offset", ri.offset);
    }
    save_functions(&s->w);
    return s;
}

/* The temp file of the snapshot being written, if any, for rdb_remove_temp_file(). */
static char open_tmp[PATH_MAX];

void rdb_remove_temp_file(void) {
    if (open_tmp[0]) unlink(open_tmp);
}

static rdbSnapshot *snapshot_begin(const char *path, int aof) {
    rdbSnapshot *s = kcalloc(sizeof(*s));
    s->aof = aof;
    const char *slash = strrchr(path, '/');
    snprintf(s->path, sizeof(s->path), "%s", path);
    snprintf(s->tmp, sizeof(s->tmp), aof ? "%.*stemp-rewriteaof-%d.aof" : "%.*stemp-%d.rdb",
             slash ? (int)(slash - path + 1) : 0, path, (int)getpid());
    int fd = open(s->tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) {
        log_msg(LL_WARNING, "Failed opening the temp RDB file %s for saving: %s", s->tmp, strerror(errno));
        kfree(s);
        return NULL;
    }
    memcpy(open_tmp, s->tmp, sizeof(open_tmp));
    s->w = (rdbOut){.fd = fd};
    return snapshot_start(s);
}

void rdb_snapshot_temp_pid(rdbSnapshot *s, long pid) {
    if (!s->tmp[0]) return;   /* a sink: no file */
    char tmp[PATH_MAX];
    const char *slash = strrchr(s->path, '/');
    snprintf(tmp, sizeof(tmp), s->aof ? "%.*stemp-rewriteaof-%ld.aof" : "%.*stemp-%ld.rdb",
             slash ? (int)(slash - s->path + 1) : 0, s->path, pid);
    if (rename(s->tmp, tmp) != 0) {
        log_msg(LL_WARNING, "Failed renaming the temp RDB file %s to %s: %s", s->tmp, tmp, strerror(errno));
        return;
    }
    memcpy(s->tmp, tmp, sizeof(s->tmp));
    if (open_tmp[0]) memcpy(open_tmp, tmp, sizeof(open_tmp));
}

rdbSnapshot *rdb_snapshot_begin(const char *path) {
    return snapshot_begin(path, 0);
}

rdbSnapshot *rdb_snapshot_begin_aof(const char *path) {
    return snapshot_begin(path, 1);
}

rdbSnapshot *rdb_snapshot_begin_sink(rdb_sink_fn *sink, void *priv) {
    rdbSnapshot *s = kcalloc(sizeof(*s));
    s->w = (rdbOut){.fd = -1, .sink = sink, .sink_priv = priv};
    return snapshot_start(s);
}

void rdb_snapshot_key(rdbSnapshot *s, kdb *db, const kobj *o) {
    if (s->aof) {
        aof_key(s, db, o);
        s->keys++;
        return;
    }
    if (db->id != s->cur_db) {
        out_byte(&s->w, RDB_OP_SELECTDB);
        save_len(&s->w, (uint64_t)db->id);
        s->cur_db = db->id;
        if (!s->resized[db->id]) {
            out_byte(&s->w, RDB_OP_RESIZEDB);
            save_len(&s->w, db_size(db));
            save_len(&s->w, db_expires(db));
            s->resized[db->id] = 1;
        }
    }
    save_key(&s->w, o);
    s->keys++;
}

long long rdb_snapshot_keys(const rdbSnapshot *s) {
    return s->keys;
}

static void snapshot_free(rdbSnapshot *s) {
    open_tmp[0] = '\0';
    kfree(s->w.buf);
    kfree(s->resized);
    kfree(s);
}

void rdb_snapshot_abort(rdbSnapshot *s) {
    if (!s->w.sink) {
        close(s->w.fd);
        unlink(s->tmp);
    }
    snapshot_free(s);
}

int rdb_fsync_dir_of(const char *path) {
    char dir[PATH_MAX];
    const char *slash = strrchr(path, '/');
    if (!slash) snprintf(dir, sizeof(dir), ".");
    else snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path) ? (int)(slash - path) : 1, path);
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd < 0) return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

/* The trailer (EOF + checksum) and the last flush: 0, or the error number (-1 when unknown). */
static int snapshot_write_tail(rdbSnapshot *s) {
    rdbOut *w = &s->w;
    if (s->aof) {
        out_flush(w);
        return w->failed;
    }
    out_byte(w, RDB_OP_EOF);
    out_flush(w);
    unsigned char b[8];
    put_le(b, server.rdbchecksum ? w->crc : 0, 8);
    out_write(w, b, 8);
    out_flush(w);
    return w->failed;
}

/* fsync, close, rename over the target, fsync its directory: the steps that make the file
 * durable and visible atomically. Touches nothing but s's descriptor and names, so a background
 * thread may run it (delay_us: the rdb-fsync-delay test knob, slowing the fsync down). */
static int snapshot_commit(rdbSnapshot *s, int err, long long delay_us) {
    if (!err && delay_us > 0) usleep((useconds_t)delay_us);
    if (!err && fsync(s->w.fd) != 0) err = errno;
    if (close(s->w.fd) != 0 && !err) err = errno;
    s->w.fd = -1;
    if (!err && rename(s->tmp, s->path) != 0) err = errno;
    if (err) unlink(s->tmp);
    else rdb_fsync_dir_of(s->path);
    return err;
}

int rdb_snapshot_end(rdbSnapshot *s) {
    int err = snapshot_write_tail(s);
    if (s->w.sink) {
        snapshot_free(s);
        return err ? -1 : 0;
    }
    err = snapshot_commit(s, err, server.rdb_fsync_delay);
    if (err) log_msg(LL_WARNING, "Write error saving DB on disk: %s", strerror(err));
    snapshot_free(s);
    return err ? -1 : 0;
}

struct rdbCommit {
    rdbSnapshot *s;
    pthread_t thread;
    int err;                    /* written by the thread before `done` */
    long long delay_us;
    atomic_int done;
};

static void *commit_thread(void *arg) {
    rdbCommit *c = arg;
    c->err = snapshot_commit(c->s, c->err, c->delay_us);
    atomic_store_explicit(&c->done, 1, memory_order_release);
    return NULL;
}

rdbCommit *rdb_snapshot_end_async(rdbSnapshot *s) {
    rdbCommit *c = kcalloc(sizeof(*c));
    c->s = s;
    c->err = snapshot_write_tail(s);
    c->delay_us = server.rdb_fsync_delay;
    if (s->w.sink || pthread_create(&c->thread, NULL, commit_thread, c) != 0) {
        /* A sink has nothing to commit; without a thread the commit runs here. */
        if (!s->w.sink) c->err = snapshot_commit(s, c->err, c->delay_us);
        atomic_store(&c->done, 2);
    }
    return c;
}

int rdb_commit_done(rdbCommit *c) {
    return atomic_load_explicit(&c->done, memory_order_acquire) != 0;
}

int rdb_commit_finish(rdbCommit *c) {
    if (atomic_load(&c->done) != 2) pthread_join(c->thread, NULL);
    int err = c->err;
    if (err && !c->s->w.sink) log_msg(LL_WARNING, "Write error saving DB on disk: %s", strerror(err));
    snapshot_free(c->s);
    kfree(c);
    return err ? -1 : 0;
}

static int save_file(rdbSnapshot *s);

int rdb_save_file(const char *path) {
    rdbSnapshot *s = rdb_snapshot_begin(path);
    return s ? save_file(s) : -1;
}

int rdb_save_file_aof(const char *path) {
    rdbSnapshot *s = rdb_snapshot_begin_aof(path);
    return s ? save_file(s) : -1;
}

static int save_file(rdbSnapshot *s) {
    for (int i = 0; i < server.dbnum && !s->w.failed; i++) {
        kdb *db = db_by_id(i);
        if (!db->keys) continue;
        tableIter it;
        kobj *o;
        tableIterInit(&it, db->keys, 0);
        while ((o = tableIterNext(&it)) != NULL && !s->w.failed) {
            rdb_snapshot_key(s, db, o);
            if (server.rdb_key_save_delay > 0) usleep((useconds_t)server.rdb_key_save_delay);   /* testing knob, as Redis's rdbSaveRio */
        }
        tableIterRelease(&it);
    }
    int aof = s->aof;
    if (rdb_snapshot_end(s) != 0) return -1;
    if (!aof) log_msg(LL_NOTICE, "DB saved on disk");
    return 0;
}

kstr *rdb_dump_payload(const kobj *o) {
    rdbOut w = {.fd = -1, .cap = 64};
    w.buf = kmalloc(w.cap);
    out_byte(&w, rdb_type_of(o));
    save_value(&w, o);
    return out_to_payload(&w);
}

size_t rdb_serialized_length(const kobj *o) {
    rdbOut w = {.fd = -1, .count_only = 1};
    save_value(&w, o);
    return w.total;
}

/* ================================================================ reading */

typedef struct rdbIn {
    const unsigned char *p;
    size_t len, pos;
    const char *err;        /* first failure's reason, NULL while all is well */
    size_t err_pos;
    int empty;              /* the last object was an empty aggregate (skipped in files) */
    int merge;              /* files: keys and libraries replace those of the same name */
    size_t progress_pos;    /* files: offset at the last rdb_load_progress call */
    /* A stream (rdb_load_source): p is the current chunk (cap bytes, len of them read), base
     * the stream offset of p[0]. Bytes handed out by in_take stay where they are until
     * in_release: a chunk that must grow is replaced by a new one (the unread tail copied) and
     * the old one kept in `old` meanwhile. crc covers the stream's bytes before p[crc_pos]. */
    rdbSource *src;         /* NULL: p holds the whole input */
    size_t cap, base, crc_pos;
    uint64_t crc;
    unsigned char **old;
    size_t nold;
    int src_done;           /* the source ended or failed: no more bytes */
    struct insertQueue *iq; /* files: keys wait here before their add; NULL: added at once */
} rdbIn;

#define IN_CHUNK ((size_t)64 * 1024)

static int in_fail(rdbIn *r, const char *why) {
    if (!r->err) {
        r->err = why;
        r->err_pos = r->base + r->pos;
    }
    return -1;
}

/* Stream mode: reads until n bytes follow pos, or the source ends (-1). A chunk that is full
 * is replaced by one at most twice the bytes it holds unread (64 KB at least), so an untrusted
 * length allocates only as its bytes arrive. */
static int in_fill(rdbIn *r, size_t n) {
    while (r->len - r->pos < n) {
        if (!r->src || r->src_done) return -1;
        if (r->len == r->cap) {
            size_t have = r->len - r->pos;
            size_t want = n < 2 * have ? n : 2 * have;
            if (want < IN_CHUNK) want = IN_CHUNK;
            unsigned char *chunk = kmalloc(want);
            memcpy(chunk, r->p + r->pos, have);
            r->crc = crc64(r->crc, r->p + r->crc_pos, r->pos - r->crc_pos);
            r->old = krealloc(r->old, sizeof(*r->old) * (r->nold + 1));
            r->old[r->nold++] = (unsigned char *)r->p;
            r->base += r->pos;
            r->p = chunk;
            r->cap = want;
            r->len = have;
            r->pos = r->crc_pos = 0;
        }
        ssize_t got = r->src->read(r->src->priv, (unsigned char *)r->p + r->len, r->cap - r->len);
        if (got <= 0) {
            r->src_done = 1;
            return -1;
        }
        r->len += (size_t)got;
    }
    return 0;
}

/* Stream mode: no pointer from in_take is used after this point, so the chunks kept for them go
 * and the unread tail moves to the front (into a fresh chunk if this one grew large). */
static void in_release(rdbIn *r) {
    if (!r->src) return;
    for (size_t i = 0; i < r->nold; i++) kfree(r->old[i]);
    r->nold = 0;
    size_t have = r->len - r->pos;
    int shrink = r->cap > 4 * IN_CHUNK && have <= IN_CHUNK;
    if (!shrink && r->pos < r->cap / 2) return;   /* a move only once half is consumed: O(1) a byte */
    r->crc = crc64(r->crc, r->p + r->crc_pos, r->pos - r->crc_pos);
    if (shrink) {
        unsigned char *chunk = kmalloc(IN_CHUNK);
        memcpy(chunk, r->p + r->pos, have);
        kfree((unsigned char *)r->p);
        r->p = chunk;
        r->cap = IN_CHUNK;
    } else {
        memmove((unsigned char *)r->p, r->p + r->pos, have);
    }
    r->base += r->pos;
    r->len = have;
    r->pos = r->crc_pos = 0;
}

/* 1 if at least one more byte of input exists (stream mode: reads if needed). */
static int in_more(rdbIn *r) {
    return r->pos < r->len || in_fill(r, 1) == 0;
}

/* Bytes that remain, for the checks that bound an allocation by the input's size; SIZE_MAX for
 * a stream of unknown size (EOF-mark framing), where in_take's reads are the bound. */
static size_t in_remaining(rdbIn *r) {
    if (!r->src) return r->len - r->pos;
    if (r->src->total) return r->src->total > r->base + r->pos ? r->src->total - (r->base + r->pos) : 0;
    return SIZE_MAX;
}

static const unsigned char *in_take(rdbIn *r, size_t n) {
    if (r->err) return NULL;
    if (n > r->len - r->pos && in_fill(r, n) < 0) {
        in_fail(r, "Short read or OOM loading DB");
        return NULL;
    }
    const unsigned char *p = r->p + r->pos;
    r->pos += n;
    return p;
}

static uint64_t get_le(const unsigned char *b, int n) {
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--) v = (v << 8) | b[i];
    return v;
}

static int in_byte(rdbIn *r) {
    const unsigned char *b = in_take(r, 1);
    return b ? b[0] : -1;
}

/* A length, or (with *special set) the low 6 bits of a special string encoding. */
static int load_len_or_special(rdbIn *r, uint64_t *len, int *special) {
    int b = in_byte(r);
    if (b < 0) return -1;
    *special = 0;
    switch (b >> 6) {
    case 0: *len = (uint64_t)(b & 0x3F); return 0;
    case 1: {
        int b2 = in_byte(r);
        if (b2 < 0) return -1;
        *len = ((uint64_t)(b & 0x3F) << 8) | (uint64_t)b2;
        return 0;
    }
    case 3:
        *special = 1;
        *len = (uint64_t)(b & 0x3F);
        return 0;
    }
    int n = b == 0x80 ? 4 : b == 0x81 ? 8 : 0;
    if (!n) return in_fail(r, "Unknown length encoding in rdbLoadLen()");
    const unsigned char *p = in_take(r, (size_t)n);
    if (!p) return -1;
    *len = 0;
    for (int i = 0; i < n; i++) *len = (*len << 8) | p[i];
    return 0;
}

static int load_len(rdbIn *r, uint64_t *len) {
    int special;
    if (load_len_or_special(r, len, &special) < 0) return -1;
    return special ? in_fail(r, "Unexpected string encoding where a length was expected") : 0;
}

/* A loaded string: s/len point into the input, into num (integer encodings), or into ks (LZF,
 * decompressed straight into a kstr that a string value can adopt without a copy). */
typedef struct rdbStr {
    const char *s;
    size_t len;
    kstr *ks;
    char num[LP_INTBUF];
} rdbStr;

static int load_string(rdbIn *r, rdbStr *out) {
    uint64_t len;
    int special;
    out->ks = NULL;
    if (load_len_or_special(r, &len, &special) < 0) return -1;
    if (!special) {
        const unsigned char *p = in_take(r, len);
        if (!p) return -1;
        out->s = (const char *)p;
        out->len = len;
        return 0;
    }
    if (len == RDB_ENC_LZF) {
        uint64_t clen, ulen;
        if (load_len(r, &clen) < 0 || load_len(r, &ulen) < 0) return -1;
        if (ulen == 0 || clen > in_remaining(r) || ulen / LZF_MAX_RATIO > clen)
            return in_fail(r, "Invalid LZF compressed string");
        const unsigned char *p = in_take(r, clen);
        if (!p) return -1;
        out->ks = kstr_empty(ulen);
        if (klzf_decompress(p, clen, (unsigned char *)out->ks->buf, ulen) != ulen) {
            kstr_free(out->ks);
            out->ks = NULL;
            return in_fail(r, "Invalid LZF compressed string");
        }
        out->ks->len = ulen;
        out->ks->buf[ulen] = '\0';
        out->s = out->ks->buf;
        out->len = ulen;
        return 0;
    }
    if (len > RDB_ENC_INT32) return in_fail(r, "Unknown RDB string encoding type");
    int n = len == RDB_ENC_INT8 ? 1 : len == RDB_ENC_INT16 ? 2 : 4;
    const unsigned char *p = in_take(r, (size_t)n);
    if (!p) return -1;
    uint64_t u = get_le(p, n);
    long long v = n == 1 ? (int8_t)u : n == 2 ? (int16_t)u : (int32_t)u;
    out->len = (size_t)ll_to_str(out->num, sizeof(out->num), v);
    out->s = out->num;
    return 0;
}

static void str_release(rdbStr *s) {
    if (s->ks) kstr_free(s->ks);
    s->ks = NULL;
}

/* ---- element sources: each blob encoding walked entry by entry, fully checked ---- */

/* One element: bytes (s, len), or an integer formatted into num. */
typedef struct elem {
    const char *s;
    size_t len;
    char num[LP_INTBUF];
} elem;

static void elem_int(elem *e, long long v) {
    e->len = (size_t)ll_to_str(e->num, sizeof(e->num), v);
    e->s = e->num;
}

/* A cursor over a blob of one of the compact encodings. */
typedef struct blobIter {
    const unsigned char *b;
    size_t len, pos;
    size_t prev_size;       /* ziplist: size of the previous entry */
    long long count;        /* entries seen */
    int kind;
} blobIter;

enum { BLOB_LISTPACK, BLOB_ZIPLIST, BLOB_INTSET, BLOB_ZIPMAP };

static int blob_init(blobIter *it, int kind, const char *b, size_t len) {
    it->b = (const unsigned char *)b;
    it->len = len;
    it->kind = kind;
    it->count = 0;
    it->prev_size = 0;
    switch (kind) {
    case BLOB_LISTPACK:
        it->pos = 6;
        return len >= 7 && get_le(it->b, 4) == len && it->b[len - 1] == 0xFF ? 0 : -1;
    case BLOB_ZIPLIST:
        it->pos = 10;
        return len >= 11 && get_le(it->b, 4) == len && get_le(it->b + 4, 4) < len && it->b[len - 1] == 0xFF ? 0 : -1;
    case BLOB_INTSET: {
        if (len < 8) return -1;
        uint64_t w = get_le(it->b, 4), n = get_le(it->b + 4, 4);
        it->pos = 8;
        return (w == 2 || w == 4 || w == 8) && n > 0 && 8 + n * w == len ? 0 : -1;
    }
    default:
        it->pos = 1;
        return len >= 2 && it->b[len - 1] == 0xFF ? 0 : -1;
    }
}

static int lp_next_elem(blobIter *it, elem *e) {
    const unsigned char *p = it->b + it->pos;
    size_t room = it->len - it->pos, hdr, dlen = 0;
    unsigned b = p[0];
    long long v = 0;
    int is_int = 1;
    if (b == 0xFF) return 0;
    if (b < 0x80) {
        hdr = 1;
        v = b;
    } else if ((b & 0xC0) == 0x80) {
        hdr = 1;
        dlen = b & 0x3F;
        is_int = 0;
    } else if ((b & 0xE0) == 0xC0) {
        if (room < 2) return -1;
        hdr = 2;
        uint64_t u = ((uint64_t)(b & 0x1F) << 8) | p[1];
        v = u >= 4096 ? (long long)u - 8192 : (long long)u;
    } else if ((b & 0xF0) == 0xE0) {
        if (room < 2) return -1;
        hdr = 2;
        dlen = ((size_t)(b & 0x0F) << 8) | p[1];
        is_int = 0;
    } else if (b == 0xF0) {
        if (room < 5) return -1;
        hdr = 5;
        dlen = get_le(p + 1, 4);
        is_int = 0;
    } else if (b >= 0xF1 && b <= 0xF4) {
        int n = b == 0xF1 ? 2 : b == 0xF2 ? 3 : b == 0xF3 ? 4 : 8;
        if (room < (size_t)n + 1) return -1;
        hdr = (size_t)n + 1;
        uint64_t u = get_le(p + 1, n);
        if (n < 8 && (u >> (8 * n - 1))) u |= ~0ULL << (8 * n);   /* sign-extend */
        v = (long long)u;
    } else {
        return -1;
    }
    size_t size = hdr + dlen;
    if (dlen > room || size > room) return -1;
    size_t bl = backlen_size(size);
    if (size + bl > room - 1) return -1;   /* the terminator must follow */
    const unsigned char *q = p + size;
    uint64_t back = 0;
    for (size_t i = 0; i < bl; i++) {
        if (((q[i] & 128) != 0) != (i > 0)) return -1;
        back = (back << 7) | (q[i] & 127);
    }
    if (back != size) return -1;
    if (is_int) elem_int(e, v);
    else {
        e->s = (const char *)p + hdr;
        e->len = dlen;
    }
    it->pos += size + bl;
    return 1;
}

static int zl_next_elem(blobIter *it, elem *e) {
    const unsigned char *p = it->b + it->pos;
    size_t room = it->len - it->pos;
    if (p[0] == 0xFF) return 0;
    size_t prevlen, pl = p[0] < 254 ? 1 : 5;
    if (p[0] == 255 || room < pl + 1) return -1;
    prevlen = pl == 1 ? p[0] : get_le(p + 1, 4);
    if (prevlen != it->prev_size) return -1;
    const unsigned char *q = p + pl;
    unsigned b = q[0];
    size_t hdr, dlen = 0;
    int n = 0;
    switch (b >> 6) {
    case 0: hdr = 1; dlen = b & 0x3F; break;
    case 1:
        if (room < pl + 2) return -1;
        hdr = 2;
        dlen = ((size_t)(b & 0x3F) << 8) | q[1];
        break;
    case 2:
        if (b != 0x80 || room < pl + 5) return -1;
        hdr = 5;
        dlen = ((size_t)q[1] << 24) | ((size_t)q[2] << 16) | ((size_t)q[3] << 8) | q[4];
        break;
    default:
        hdr = 1;
        if (b == 0xC0) n = 2;
        else if (b == 0xD0) n = 4;
        else if (b == 0xE0) n = 8;
        else if (b == 0xF0) n = 3;
        else if (b == 0xFE) n = 1;
        else if (b >= 0xF1 && b <= 0xFD) n = 0;
        else return -1;
        dlen = (size_t)n;
        break;
    }
    size_t size = pl + hdr + dlen;
    if (dlen > room || size > room - 1) return -1;
    if (b >> 6 == 3) {
        long long v;
        if (n == 0) v = (long long)(b & 0x0F) - 1;
        else {
            uint64_t u = get_le(q + 1, n);
            if (n < 8 && (u >> (8 * n - 1))) u |= ~0ULL << (8 * n);
            v = (long long)u;
        }
        elem_int(e, v);
    } else {
        e->s = (const char *)q + hdr;
        e->len = dlen;
    }
    it->prev_size = size;
    it->pos += size;
    return 1;
}

static int is_next_elem(blobIter *it, elem *e, long long *prev) {
    size_t w = get_le(it->b, 4);
    if (it->pos == it->len) return 0;
    uint64_t u = get_le(it->b + it->pos, (int)w);
    long long v = w == 2 ? (int16_t)u : w == 4 ? (int32_t)u : (long long)u;
    if (it->count > 0 && v <= *prev) return -1;   /* strictly ascending */
    *prev = v;
    elem_int(e, v);
    it->pos += w;
    return 1;
}

/* Zipmap lengths: one byte below 254, or 254 and four little-endian bytes. */
static int zm_len(blobIter *it, size_t *len) {
    if (it->pos >= it->len - 1) return -1;
    unsigned b = it->b[it->pos];
    if (b < 254) {
        *len = b;
        it->pos++;
        return 0;
    }
    if (b == 255 || it->len - 1 - it->pos < 5) return -1;
    *len = get_le(it->b + it->pos + 1, 4);
    it->pos += 5;
    return 0;
}

static int zm_next_elem(blobIter *it, elem *e) {
    int is_value = it->count % 2 == 1;
    if (!is_value && it->b[it->pos] == 0xFF) return it->pos == it->len - 1 ? 0 : -1;
    size_t len, free_bytes = 0;
    if (zm_len(it, &len) < 0) return -1;
    if (is_value) {
        if (it->pos >= it->len - 1) return -1;
        free_bytes = it->b[it->pos++];
    }
    size_t room = it->len - 1 - it->pos;
    if (len > room || free_bytes > room - len) return -1;
    e->s = (const char *)it->b + it->pos;
    e->len = len;
    it->pos += len + free_bytes;
    return 1;
}

/* The next element: 1, 0 at the end (after checking the blob ends there), -1 if corrupt. */
static int blob_next(blobIter *it, elem *e, long long *scratch) {
    int rc;
    switch (it->kind) {
    case BLOB_LISTPACK: rc = lp_next_elem(it, e); break;
    case BLOB_ZIPLIST: rc = zl_next_elem(it, e); break;
    case BLOB_INTSET: rc = is_next_elem(it, e, scratch); break;
    default: rc = zm_next_elem(it, e); break;
    }
    if (rc == 1) it->count++;
    if (rc == 0) {
        int ends = it->kind == BLOB_INTSET ? 1 : it->pos == it->len - 1;
        if (it->kind == BLOB_LISTPACK) {
            uint64_t n = get_le(it->b + 4, 2);
            if (n != 65535 && (long long)n != it->count) return -1;
        }
        if (it->kind == BLOB_ZIPLIST) {
            uint64_t n = get_le(it->b + 8, 2);
            if (n != 65535 && (long long)n != it->count) return -1;
            /* zltail: the offset of the last entry (of the end of the header when empty) */
            size_t last = it->count ? it->pos - it->prev_size : 10;
            if (get_le(it->b + 4, 4) != last) return -1;
        }
        if (it->kind == BLOB_INTSET && (uint64_t)it->count != get_le(it->b + 4, 4)) return -1;
        if (it->kind == BLOB_ZIPMAP && it->count == 0) return -1;   /* Redis refuses empty zipmaps */
        return ends ? 0 : -1;
    }
    return rc;
}

/* ---- building objects ---- */

typedef struct builder {
    kobj *o;
    int type;
    int has_pending;        /* hashes: a field waits for its value; zsets: a member for its score */
    char *pending;
    size_t pending_len;
} builder;

static void builder_init(builder *bd, int type, const char *key, size_t klen) {
    bd->type = type;
    bd->has_pending = 0;
    bd->pending = NULL;
    switch (type) {
    case OBJ_LIST: bd->o = list_new_object(key, klen); break;
    case OBJ_SET: bd->o = set_new_object(key, klen); break;
    case OBJ_ZSET: bd->o = zset_create(key, klen, 0); break;
    default: bd->o = hash_new_object(key, klen); break;
    }
}

/* Keeps the first element of a pair until its second arrives. */
static void builder_hold(builder *bd, const char *s, size_t len) {
    bd->pending = kmalloc(len + 1);
    memcpy(bd->pending, s, len);
    bd->pending_len = len;
    bd->has_pending = 1;
}

/* Adds an element (for a zset's score pass has_score). Returns 0, or -1 with the reason. */
static int builder_add(rdbIn *r, builder *bd, const char *s, size_t len, int has_score, double score) {
    int added;
    switch (bd->type) {
    case OBJ_LIST: list_append(bd->o, s, len); return 0;
    case OBJ_SET: return set_load_member(bd->o, s, len) ? 0 : in_fail(r, "Set integrity check failed: duplicate members");
    case OBJ_ZSET:
        if (!has_score) {
            if (!bd->has_pending) {
                builder_hold(bd, s, len);
                return 0;
            }
            if (len == 0 || !str_to_d(s, len, &score)) {
                char buf[64];
                size_t n = len < sizeof(buf) - 1 ? len : sizeof(buf) - 1;
                memcpy(buf, s, n);
                buf[n] = '\0';
                char *end;
                score = strtod(buf, &end);
                if (n == 0 || end != buf + n || n != len) return in_fail(r, "Zset with an invalid score detected");
            }
            s = bd->pending;
            len = bd->pending_len;
        }
        if (isnan(score)) return in_fail(r, "Zset with NAN score detected");
        added = zset_load_member(bd->o, s, len, score);
        if (bd->has_pending) {
            kfree(bd->pending);
            bd->has_pending = 0;
        }
        return added ? 0 : in_fail(r, "Zset integrity check failed: duplicate members");
    default:
        if (!bd->has_pending) {
            builder_hold(bd, s, len);
            return 0;
        }
        added = hash_load_field(bd->o, bd->pending, bd->pending_len, s, len);
        kfree(bd->pending);
        bd->has_pending = 0;
        return added ? 0 : in_fail(r, "Hash integrity check failed: listpack with dup elements");
    }
}

static size_t builder_len(const builder *bd) {
    switch (bd->type) {
    case OBJ_LIST: return list_length(bd->o);
    case OBJ_SET: return set_size(bd->o);
    case OBJ_ZSET: return zset_length(bd->o);
    default: return hash_length(bd->o);
    }
}

/* The finished object, or NULL (freed) after a failure, an odd element count, or when empty. */
static kobj *builder_finish(rdbIn *r, builder *bd, int failed) {
    if (!failed && bd->has_pending) failed = in_fail(r, "Pairs integrity check failed: odd number of elements");
    if (bd->has_pending) kfree(bd->pending);
    if (!failed && builder_len(bd) == 0) {
        r->empty = 1;
        failed = -1;
    }
    if (failed) {
        obj_free(bd->o);
        return NULL;
    }
    return bd->o;
}

/* Feeds every element of a blob to the builder. */
static int add_blob(rdbIn *r, builder *bd, int kind, const char *b, size_t len) {
    blobIter it;
    elem e;
    long long scratch = 0;
    int rc;
    /* Redis's wording, by type (OBJ_*) and blob kind (BLOB_*). */
    static const char *const failed[5][4] = {
        {"", "", "", ""},
        {"List listpack integrity check failed.", "List ziplist integrity check failed.", "", ""},
        {"", "", "Intset integrity check failed.", ""},
        {"Zset listpack integrity check failed.", "Zset ziplist integrity check failed.", "", ""},
        {"Hash listpack integrity check failed.", "Hash ziplist integrity check failed.", "",
         "Zipmap integrity check failed."},
    };
    const char *why = failed[bd->type][kind];
    if (blob_init(&it, kind, b, len) < 0) return in_fail(r, why);
    while ((rc = blob_next(&it, &e, &scratch)) == 1)
        if (builder_add(r, bd, e.s, e.len, 0, 0) < 0) return -1;
    return rc < 0 ? in_fail(r, why) : 0;
}

static int load_double_string(rdbIn *r, double *d) {
    int n = in_byte(r);
    if (n < 0) return -1;
    if (n >= 253) {
        *d = n == 253 ? NAN : n == 254 ? INFINITY : -INFINITY;
        return 0;
    }
    const unsigned char *p = in_take(r, (size_t)n);
    if (!p) return -1;
    char buf[256];
    memcpy(buf, p, (size_t)n);
    buf[n] = '\0';
    char *end;
    *d = strtod(buf, &end);
    return n == 0 || end != buf + n ? in_fail(r, "Invalid double value") : 0;
}

static int load_elements(rdbIn *r, builder *bd, int rdbtype) {
    uint64_t n;
    if (load_len(r, &n) < 0) return -1;
    int pairs = rdbtype == RDB_TYPE_HASH;
    for (uint64_t i = 0; i < n; i++) {
        rdbStr s;
        in_release(r);
        if (!in_more(r)) return in_fail(r, "Short read or OOM loading DB");
        if (load_string(r, &s) < 0) return -1;
        int rc = 0;
        if (bd->type == OBJ_ZSET) {
            double d = 0;
            if (rdbtype == RDB_TYPE_ZSET_2) {
                const unsigned char *p = in_take(r, 8);
                if (p) {
                    uint64_t bits = get_le(p, 8);
                    memcpy(&d, &bits, 8);
                }
            } else {
                load_double_string(r, &d);
            }
            rc = r->err ? -1 : builder_add(r, bd, s.s, s.len, 1, d);
        } else if (pairs) {
            rdbStr v;
            rc = builder_add(r, bd, s.s, s.len, 0, 0);
            if (rc == 0 && load_string(r, &v) == 0) {
                rc = builder_add(r, bd, v.s, v.len, 0, 0);
                str_release(&v);
            } else {
                rc = -1;
            }
        } else {
            rc = builder_add(r, bd, s.s, s.len, 0, 0);
        }
        str_release(&s);
        if (rc < 0) return -1;
    }
    return 0;
}

/* Quicklist v1 (ziplist nodes) and v2 (listpack or plain nodes). */
static int load_quicklist(rdbIn *r, builder *bd, int v2) {
    uint64_t n;
    if (load_len(r, &n) < 0) return -1;
    for (uint64_t i = 0; i < n; i++) {
        uint64_t container = QL_NODE_PACKED;
        rdbStr s;
        in_release(r);
        if (!in_more(r)) return in_fail(r, "Short read or OOM loading DB");
        if (v2 && load_len(r, &container) < 0) return -1;
        if (container != QL_NODE_PACKED && container != QL_NODE_PLAIN)
            return in_fail(r, "Quicklist integrity check failed (unknown container)");
        if (load_string(r, &s) < 0) return -1;
        int rc;
        if (container == QL_NODE_PLAIN && s.len == 0) rc = in_fail(r, "Quicklist integrity check failed (empty plain node)");
        else if (container == QL_NODE_PLAIN) rc = builder_add(r, bd, s.s, s.len, 0, 0);
        else rc = add_blob(r, bd, v2 ? BLOB_LISTPACK : BLOB_ZIPLIST, s.s, s.len);
        str_release(&s);
        if (rc < 0) return -1;
    }
    return 0;
}

/* ---- streams ---- */

#define STREAM_LP_BAD "Stream listpack integrity check failed."
#define STREAM_LP_MAX_BYTES (1u << 30)

static void get_id(const unsigned char *b, streamID *id) {
    id->ms = id->seq = 0;
    for (int i = 0; i < 8; i++) {
        id->ms = (id->ms << 8) | b[i];
        id->seq = (id->seq << 8) | b[8 + i];
    }
}

/* Listpack elements read in the stream node's order. Elements are filled in place (an integer
 * points into its own elem), so arrays of them are sized before they are filled. */
typedef struct nodeReader {
    blobIter it;
    long long scratch;
    elem *fields;           /* the master fields */
    elem *ev;               /* the current entry's fields and values */
    size_t ev_cap;
    streamStr *fv;
} nodeReader;

static int nr_elem(nodeReader *nr, elem *e) {
    return blob_next(&nr->it, e, &nr->scratch) == 1 ? 0 : -1;
}

/* An integer element (a string holding a canonical integer counts, as for Redis). */
static int nr_int(nodeReader *nr, long long *v) {
    elem e;
    return nr_elem(nr, &e) == 0 && str_to_ll(e.s, e.len, v) ? 0 : -1;
}

/* A count of elements still to come: at least one byte each. */
static int nr_count(nodeReader *nr, long long *n) {
    return nr_int(nr, n) == 0 && *n >= 0 && (size_t)*n <= nr->it.len - nr->it.pos ? 0 : -1;
}

/* The entries of one node after its master entry; *prev is the last ID loaded (NULL for the
 * first node), updated. */
static int load_stream_entries(nodeReader *nr, stream *s, const streamID *master, long long nmaster, long long live,
                               long long deleted, streamID *prev, int *have_prev) {
    long long seen_live = 0, seen_deleted = 0;
    while (seen_live + seen_deleted < live + deleted) {
        long long flags, dms, dseq, nf = nmaster, lp_count;
        if (nr_int(nr, &flags) < 0 || flags < 0 || flags > (STREAM_F_DELETED | STREAM_F_SAMEFIELDS)) return -1;
        if (nr_int(nr, &dms) < 0 || nr_int(nr, &dseq) < 0) return -1;
        int same = (flags & STREAM_F_SAMEFIELDS) != 0;
        if (!same && nr_count(nr, &nf) < 0) return -1;
        if ((size_t)(2 * nf) > nr->ev_cap) {
            nr->ev_cap = (size_t)(2 * nf);
            nr->ev = krealloc(nr->ev, sizeof(elem) * nr->ev_cap);
            nr->fv = krealloc(nr->fv, sizeof(streamStr) * nr->ev_cap);
        }
        for (long long j = 0; j < nf; j++) {
            elem *f = same ? &nr->fields[j] : &nr->ev[2 * j];
            if ((!same && nr_elem(nr, f) < 0) || nr_elem(nr, &nr->ev[2 * j + 1]) < 0) return -1;
            nr->fv[2 * j] = (streamStr){f->s, f->len};
            nr->fv[2 * j + 1] = (streamStr){nr->ev[2 * j + 1].s, nr->ev[2 * j + 1].len};
        }
        if (nr_int(nr, &lp_count) < 0 || lp_count != (same ? nf + 3 : 2 * nf + 4)) return -1;
        streamID id = {master->ms + (uint64_t)dms, master->seq + (uint64_t)dseq};
        if (stream_id_cmp(&id, master) < 0 || (*have_prev && stream_id_cmp(&id, prev) <= 0)) return -1;
        stream_load_entry(s, &id, (int)flags, nr->fv, (size_t)nf);
        *prev = id;
        *have_prev = 1;
        if (flags & STREAM_F_DELETED) seen_deleted++;
        else seen_live++;
    }
    return seen_live == live && seen_deleted == deleted ? 0 : -1;
}

/* One node: its key (the master ID) and its listpack. */
static int load_stream_node(rdbIn *r, stream *s, nodeReader *nr, streamID *prev, int *have_prev) {
    rdbStr key, lp;
    streamID master;
    long long live, deleted, nmaster, zero;
    if (load_string(r, &key) < 0) return -1;
    int rc = key.len == 16 ? 0 : in_fail(r, "Stream node key entry is not the size of a stream ID");
    if (rc == 0) get_id((const unsigned char *)key.s, &master);
    str_release(&key);
    if (rc < 0 || load_string(r, &lp) < 0) return -1;
    nr->fields = NULL;
    rc = -1;
    if (*have_prev && stream_id_cmp(&master, prev) <= 0) goto done;
    /* Keel's node can take about twice the listpack's bytes (long integers), and holds 32-bit
     * offsets: listpacks above Redis's own 1 GB cap are refused. */
    if (lp.len > STREAM_LP_MAX_BYTES) goto done;
    if (blob_init(&nr->it, BLOB_LISTPACK, lp.s, lp.len) < 0) goto done;
    nr->scratch = 0;
    if (nr_count(nr, &live) < 0 || nr_count(nr, &deleted) < 0 || live + deleted == 0) goto done;
    if (nr_count(nr, &nmaster) < 0) goto done;
    nr->fields = kmalloc(sizeof(elem) * (size_t)(nmaster ? nmaster : 1));
    streamStr *mf = kmalloc(sizeof(streamStr) * (size_t)(nmaster ? nmaster : 1));
    long long j = 0;
    while (j < nmaster && nr_elem(nr, &nr->fields[j]) == 0) {
        mf[j] = (streamStr){nr->fields[j].s, nr->fields[j].len};
        j++;
    }
    if (j == nmaster && nr_int(nr, &zero) == 0 && zero == 0) {
        stream_load_node(s, &master, mf, (size_t)nmaster);
        elem end;
        rc = load_stream_entries(nr, s, &master, nmaster, live, deleted, prev, have_prev);
        if (rc == 0 && blob_next(&nr->it, &end, &nr->scratch) != 0) rc = -1;
    }
    kfree(mf);
done:
    kfree(nr->fields);
    str_release(&lp);
    return rc < 0 ? in_fail(r, STREAM_LP_BAD) : 0;
}

static int load_id(rdbIn *r, streamID *id) {
    return load_len(r, &id->ms) < 0 || load_len(r, &id->seq) < 0 ? -1 : 0;
}

static int load_raw_id(rdbIn *r, streamID *id) {
    const unsigned char *p = in_take(r, 16);
    if (!p) return -1;
    get_id(p, id);
    return 0;
}

static int load_millis(rdbIn *r, long long *ms) {
    const unsigned char *p = in_take(r, 8);
    if (!p) return -1;
    *ms = (long long)get_le(p, 8);
    return 0;
}

static int load_stream_consumers(rdbIn *r, streamCG *cg) {
    uint64_t n, npel;
    if (load_len(r, &n) < 0) return -1;
    for (uint64_t i = 0; i < n; i++) {
        rdbStr name;
        if (load_string(r, &name) < 0) return -1;
        streamConsumer *sc = stream_consumer_create(cg, name.s, name.len, 0);
        str_release(&name);
        if (!sc) return in_fail(r, "Duplicate stream consumer detected.");
        if (load_millis(r, &sc->seen_time) < 0 || load_len(r, &npel) < 0) return -1;
        for (uint64_t j = 0; j < npel; j++) {
            streamID id;
            if (load_raw_id(r, &id) < 0) return -1;
            streamNACK *nack = idmap_find(&cg->pel, &id);
            if (!nack) return in_fail(r, "Consumer entry not found in group global PEL");
            if (nack->consumer) return in_fail(r, "Duplicated consumer PEL entry loading a stream consumer group");
            nack->consumer = sc;
            idmap_insert(&sc->pel, &id, nack);
        }
    }
    for (size_t i = 0; i < cg->pel.len; i++)
        if (!((streamNACK *)idmap_at(&cg->pel, i)->ptr)->consumer) return in_fail(r, "Stream CG PEL entry without consumer");
    return 0;
}

static int load_stream_group(rdbIn *r, stream *s, int v2) {
    rdbStr name;
    streamID last;
    uint64_t entries_read, npel;
    if (load_string(r, &name) < 0) return -1;
    int rc = load_id(r, &last);
    if (rc == 0 && v2) rc = load_len(r, &entries_read);
    else if (rc == 0) entries_read = (uint64_t)stream_estimate_distance(s, &last);
    streamCG *cg = rc < 0 ? NULL : stream_group_create(s, name.s, name.len, &last, (long long)entries_read);
    str_release(&name);
    if (rc < 0) return -1;
    if (!cg) return in_fail(r, "Duplicated consumer group name");
    if (load_len(r, &npel) < 0) return -1;
    for (uint64_t i = 0; i < npel; i++) {
        streamID id;
        long long when;
        uint64_t count;
        if (load_raw_id(r, &id) < 0 || load_millis(r, &when) < 0 || load_len(r, &count) < 0) return -1;
        if (idmap_find(&cg->pel, &id)) return in_fail(r, "Duplicated global PEL entry loading stream consumer group");
        streamNACK *nack = stream_nack_new(NULL, &id, when);
        nack->delivery_count = count;
        idmap_insert(&cg->pel, &id, nack);
    }
    return load_stream_consumers(r, cg);
}

/* STREAM_LISTPACKS (v2 = 0, Redis 5 to 6.2) and STREAM_LISTPACKS_2 (7.0). Redis's checks, plus
 * the invariants of Keel's nodes (types/stream.h): IDs increase, counts match the entries. */
static int load_stream_into(rdbIn *r, stream *s, int v2) {
    uint64_t nodes, length, ngroups, added;
    streamID prev = {0, 0}, first, maxdel;
    int have_prev = 0;
    nodeReader nr = {0};
    if (load_len(r, &nodes) < 0) return -1;
    int rc = 0;
    for (uint64_t i = 0; i < nodes && rc == 0; i++) {
        if (!in_more(r)) rc = in_fail(r, "Short read or OOM loading DB");
        else rc = load_stream_node(r, s, &nr, &prev, &have_prev);
    }
    kfree(nr.ev);
    kfree(nr.fv);
    if (rc < 0 || load_len(r, &length) < 0 || load_id(r, &s->last_id) < 0) return -1;
    if (v2 && (load_id(r, &first) < 0 || load_id(r, &maxdel) < 0 || load_len(r, &added) < 0)) return -1;
    if (length != s->length) return in_fail(r, "Stream length inconsistent with its entries");
    if (have_prev && stream_id_cmp(&prev, &s->last_id) > 0) return in_fail(r, "Stream last ID below its entries");
    if (v2) {
        s->first_id = first;
        s->max_deleted_id = maxdel;
        s->entries_added = added;
    } else {
        stream_edge_id(s, 1, &s->first_id);
        s->entries_added = s->length;
    }
    if (load_len(r, &ngroups) < 0) return -1;
    for (uint64_t i = 0; i < ngroups; i++) {
        if (!in_more(r)) return in_fail(r, "Short read or OOM loading DB");
        if (load_stream_group(r, s, v2) < 0) return -1;
    }
    return 0;
}

static kobj *load_stream(rdbIn *r, int t, const char *key, size_t klen) {
    kobj *o = obj_new_ptr(key, klen, OBJ_STREAM, ENC_STREAM, stream_new());
    if (load_stream_into(r, obj_ptr(o), t == RDB_TYPE_STREAM_LISTPACKS_2) == 0) return o;
    obj_free(o);
    return NULL;
}

/* The load error for an object type Keel does not have. */
static const char *unsupported_type(int t) {
    if (t == RDB_TYPE_MODULE || t == RDB_TYPE_MODULE_2) return "Unsupported RDB object type: module (Keel has no modules)";
    return "Unknown RDB object type";
}

/* The value of an object of RDB type `t`; NULL with r->err set, or with r->empty set when the
 * value was an empty aggregate. */
static kobj *load_object(rdbIn *r, int t, const char *key, size_t klen) {
    rdbStr s;
    builder bd;
    int rc = 0, kind = -1, otype;
    r->empty = 0;
    switch (t) {
    case RDB_TYPE_STRING: {
        if (load_string(r, &s) < 0) return NULL;
        /* A long decompressed value becomes the value as is (no integer or EMBSTR form applies
         * above 44 bytes). */
        if (s.ks && s.len > OBJ_EMBSTR_MAX) {
            kobj *o = obj_new_raw(key, klen, s.ks);
            s.ks = NULL;
            return o;
        }
        kobj *o = obj_new_string(key, klen, s.s, s.len);
        str_release(&s);
        return o;
    }
    case RDB_TYPE_LIST: case RDB_TYPE_LIST_ZIPLIST: case RDB_TYPE_LIST_QUICKLIST: case RDB_TYPE_LIST_QUICKLIST_2:
        otype = OBJ_LIST;
        kind = t == RDB_TYPE_LIST_ZIPLIST ? BLOB_ZIPLIST : -1;
        break;
    case RDB_TYPE_SET: case RDB_TYPE_SET_INTSET:
        otype = OBJ_SET;
        kind = t == RDB_TYPE_SET_INTSET ? BLOB_INTSET : -1;
        break;
    case RDB_TYPE_ZSET: case RDB_TYPE_ZSET_2: case RDB_TYPE_ZSET_ZIPLIST: case RDB_TYPE_ZSET_LISTPACK:
        otype = OBJ_ZSET;
        kind = t == RDB_TYPE_ZSET_ZIPLIST ? BLOB_ZIPLIST : t == RDB_TYPE_ZSET_LISTPACK ? BLOB_LISTPACK : -1;
        break;
    case RDB_TYPE_HASH: case RDB_TYPE_HASH_ZIPMAP: case RDB_TYPE_HASH_ZIPLIST: case RDB_TYPE_HASH_LISTPACK:
        otype = OBJ_HASH;
        kind = t == RDB_TYPE_HASH_ZIPMAP ? BLOB_ZIPMAP : t == RDB_TYPE_HASH_ZIPLIST ? BLOB_ZIPLIST
             : t == RDB_TYPE_HASH_LISTPACK ? BLOB_LISTPACK : -1;
        break;
    case RDB_TYPE_STREAM_LISTPACKS: case RDB_TYPE_STREAM_LISTPACKS_2: return load_stream(r, t, key, klen);
    default:
        in_fail(r, unsupported_type(t));
        return NULL;
    }
    builder_init(&bd, otype, key, klen);
    if (kind >= 0) {
        if (load_string(r, &s) == 0) {
            rc = add_blob(r, &bd, kind, s.s, s.len);
            str_release(&s);
        }
    } else if (t == RDB_TYPE_LIST_QUICKLIST || t == RDB_TYPE_LIST_QUICKLIST_2) {
        rc = load_quicklist(r, &bd, t == RDB_TYPE_LIST_QUICKLIST_2);
    } else {
        rc = load_elements(r, &bd, t);
    }
    return builder_finish(r, &bd, r->err ? -1 : rc);
}

static int skip_checksum;   /* DEBUG SET-SKIP-CHECKSUM-VALIDATION */

void rdb_set_skip_checksum(int skip) {
    skip_checksum = skip;
}

/* A DUMP payload's footer: its version is one Keel reads and its CRC64 matches. */
static int footer_ok(const unsigned char *p, size_t len) {
    if (len < 10 || get_le(p + len - 10, 2) > RDB_VERSION) return 0;
    return skip_checksum || crc64(0, p, len - 8) == get_le(p + len - 8, 8);
}

int rdb_restore_functions(const unsigned char *p, size_t len, int (*fn)(void *priv, const char *code, size_t len),
                          void *priv, const char **err) {
    *err = "DUMP payload version or checksum are wrong";
    if (!footer_ok(p, len)) return -1;
    rdbIn r = {.p = p, .len = len};   /* strings may run into the footer, as in Redis */
    while (len - r.pos > 10) {
        rdbStr code;
        int t = in_byte(&r);
        *err = t < 0 ? "can not read data type" : "given type is not a function";
        if (t != RDB_OP_FUNCTION2) return -1;
        *err = "failed loading the given functions payload";
        if (load_string(&r, &code) < 0) return -1;
        int rc = fn(priv, code.s, code.len);
        str_release(&code);
        *err = NULL;
        if (rc < 0) return -1;
    }
    return 0;
}

kobj *rdb_restore_payload(const char *key, size_t klen, const unsigned char *p, size_t len, int *err) {
    *err = RDB_RESTORE_BAD_FOOTER;
    if (!footer_ok(p, len)) return NULL;
    rdbIn r = {.p = p, .len = len};   /* the footer too: Redis reads a payload's value from the whole buffer */
    int t = in_byte(&r);
    kobj *o = t < 0 ? NULL : load_object(&r, t, key, klen);
    *err = o ? RDB_RESTORE_OK : RDB_RESTORE_BAD_DATA;
    if (!o && r.err) log_msg(LL_WARNING, "Internal error in RDB reading offset %zu (RESTORE payload): %s", r.err_pos, r.err);
    return o;
}

/* ---- files ---- */

typedef struct keyMeta {
    long long expire, lru_idle, lfu_freq;
} keyMeta;

void (*rdb_load_progress)(size_t loaded, size_t total);

/* A key read from a file joins its database a few keys later, not at once: meanwhile its chain
 * is fetched into the cache one entry per INSERT_GAP keys read, so that the add's duplicate
 * check, which walks that chain, seldom waits on memory (each entry is a random address; the
 * walk was 43% of a 2 GB load without this). Keys are added in file order. The queue is emptied
 * before anything else may look at the databases (the progress hook serves clients) and at the
 * end of the file, whatever the outcome, so it never holds a key across a client's command. */
#define INSERT_GAP 2        /* keys read between two steps along a waiting key's chain */
#define INSERT_STEPS 4      /* chain entries fetched ahead (chains average 1.25 during a load) */
#define INSERT_QUEUE (INSERT_GAP * (INSERT_STEPS + 1))

typedef struct queuedKey {
    kdb *db;
    kobj *o;
    keyMeta meta;
    uint64_t hash;
    void *walk;         /* the chain entry fetched last (NULL: none yet, or the chain's end) */
    unsigned age;       /* keys queued after this one */
} queuedKey;

typedef struct insertQueue {
    queuedKey q[INSERT_QUEUE];
    unsigned first, n;
    rdbLoadStats *st;
} insertQueue;

static int add_loaded(rdbIn *r, kdb *db, kobj *o, const keyMeta *m, rdbLoadStats *st) {
    o = db_add_new_with_expire(db, o, m->expire);
    if (!o) return in_fail(r, "Duplicate key found in RDB file");
    evict_set_access(o, m->lfu_freq, m->lru_idle);
    st->keys_loaded++;
    return 0;
}

/* Adds the oldest waiting key. */
static int queue_pop(rdbIn *r) {
    insertQueue *iq = r->iq;
    queuedKey *k = &iq->q[iq->first];
    iq->first = (iq->first + 1) % INSERT_QUEUE;
    iq->n--;
    return add_loaded(r, k->db, k->o, &k->meta, iq->st);
}

static int queue_drain(rdbIn *r) {
    int rc = 0;
    while (r->iq && r->iq->n)
        if (queue_pop(r) < 0) rc = -1;
    return rc;
}

static int queue_push(rdbIn *r, kdb *db, kobj *o, const keyMeta *m, uint64_t hash) {
    insertQueue *iq = r->iq;
    for (unsigned i = 0; i < iq->n; i++) {
        queuedKey *k = &iq->q[(iq->first + i) % INSERT_QUEUE];
        if (++k->age % INSERT_GAP == 0 && (k->age == INSERT_GAP || k->walk))
            k->walk = db_prefetch_step(k->db, k->hash, k->walk);
    }
    iq->q[(iq->first + iq->n) % INSERT_QUEUE] = (queuedKey){.db = db, .o = o, .meta = *m, .hash = hash};
    return ++iq->n == INSERT_QUEUE ? queue_pop(r) : 0;
}

/* After each key of a file: key-load-delay (microseconds; a negative -n sleeps 1 us once in n
 * keys on average, as Redis's debugDelay), and the progress hook every interval of bytes. */
static int load_step(rdbIn *r) {
    int delay = server.key_load_delay;
    if (delay < 0) delay = rand() % -delay == 0 ? 1 : 0;
    if (delay > 0) {
        struct timespec ts = {delay / 1000000, (long)(delay % 1000000) * 1000};
        nanosleep(&ts, NULL);
    }
    long long every = server.loading_events_interval > 0 ? server.loading_events_interval : 2097152;
    size_t at = r->base + r->pos;
    if (rdb_load_progress && at - r->progress_pos >= (size_t)every) {
        if (queue_drain(r) < 0) return -1;
        r->progress_pos = at;
        rdb_load_progress(at, r->src ? r->src->total : r->len);
    }
    return 0;
}

static int load_key(rdbIn *r, kdb *db, int t, keyMeta *m, rdbLoadStats *st, long long now) {
    rdbStr k;
    if (load_string(r, &k) < 0) return -1;
    if (r->src && !k.ks) {
        /* a stream's value may release the chunk the key is in */
        k.ks = kstr_new(k.s, k.len);
        k.s = k.ks->buf;
    }
    uint64_t hash = r->iq ? db_prefetch_key(db, k.s, k.len) : 0;
    kobj *o = load_object(r, t, k.s, k.len);
    int rc = 0;
    if (!o) {
        if (r->empty) {
            st->empty_keys_skipped++;
            log_msg(LL_NOTICE, "rdbLoadObject skipping empty key: %.*s", (int)(k.len < 128 ? k.len : 128), k.s);
        }
        rc = r->empty ? 0 : -1;
    } else if (m->expire != OBJ_NO_EXPIRE && m->expire < now && !server.masterhost) {
        /* A replica keeps them: its primary's DELs will come (Redis's iAmMaster()). */
        obj_free(o);
        st->keys_expired++;
        if (rdb_feed_expired) feed_expired(db->id, k.s, k.len);
    } else if (r->iq) {
        rc = queue_push(r, db, o, m, hash);
    } else {
        if (r->merge) db_delete(db, k.s, k.len);
        rc = add_loaded(r, db, o, m, st);
    }
    str_release(&k);
    m->expire = OBJ_NO_EXPIRE;
    m->lru_idle = m->lfu_freq = -1;
    return rc;
}

/* An aux field's value as a number, if it is one. */
static int aux_ll(const rdbStr *v, long long *out) {
    return v->len < 32 && str_to_ll(v->s, v->len, out);
}

static int load_aux(rdbIn *r, rdbLoadStats *st) {
    rdbStr name, value;
    if (load_string(r, &name) < 0) return -1;
    if (load_string(r, &value) < 0) {
        str_release(&name);
        return -1;
    }
    if (name.len == 9 && memcmp(name.s, "redis-ver", 9) == 0)
        log_msg(LL_NOTICE, "Loading RDB produced by version %.*s", (int)(value.len < 32 ? value.len : 32), value.s);
    long long n;
    if (name.len == 7 && memcmp(name.s, "repl-id", 7) == 0 && value.len == 40) {
        memcpy(st->repl.replid, value.s, 40);
        st->repl.replid[40] = '\0';
    } else if (name.len == 11 && memcmp(name.s, "repl-offset", 11) == 0 && aux_ll(&value, &n)) {
        st->repl.offset = n;
    } else if (name.len == 14 && memcmp(name.s, "repl-stream-db", 14) == 0 && aux_ll(&value, &n) && n >= 0 &&
               n < server.dbnum) {
        st->repl.stream_db = (int)n;
    }
    str_release(&name);
    str_release(&value);
    return 0;
}

static int load_function(rdbIn *r) {
    static char why[512];
    rdbStr code;
    if (load_string(r, &code) < 0) return -1;
    char err[400] = "Keel's functions are not available";
    int rc = rdb_function_hooks.load ? rdb_function_hooks.load(code.s, code.len, r->merge, err, sizeof(err)) : -1;
    str_release(&code);
    if (rc == 0) return 0;
    snprintf(why, sizeof(why), "Failed loading library, %s", err);
    return in_fail(r, why);
}

static int load_records(rdbIn *r, rdbLoadStats *st) {
    const unsigned char *hdr = in_take(r, 9);
    if (!hdr || memcmp(hdr, "REDIS", 5) != 0) return in_fail(r, "Wrong signature trying to load DB from file");
    int version = 0;
    for (int i = 5; i < 9; i++) {
        if (hdr[i] < '0' || hdr[i] > '9') return in_fail(r, "Wrong signature trying to load DB from file");
        version = version * 10 + hdr[i] - '0';
    }
    if (version < 1 || version > RDB_VERSION) return in_fail(r, "Can't handle RDB format version");
    kdb *db = db_by_id(0);
    keyMeta m = {OBJ_NO_EXPIRE, -1, -1};
    long long now = mstime();
    for (;;) {
        in_release(r);
        int t = in_byte(r);
        const unsigned char *p;
        uint64_t a, b;
        size_t rem;
        switch (t) {
        case -1: return -1;
        case RDB_OP_EOF: goto eof;
        case RDB_OP_EXPIRETIME:
            if (!(p = in_take(r, 4))) return -1;
            m.expire = (long long)get_le(p, 4) * 1000;
            continue;
        case RDB_OP_EXPIRETIME_MS:
            if (!(p = in_take(r, 8))) return -1;
            m.expire = (long long)get_le(p, 8);
            continue;
        case RDB_OP_FREQ:
            if ((m.lfu_freq = in_byte(r)) < 0) return -1;
            continue;
        case RDB_OP_IDLE:
            if (load_len(r, &a) < 0) return -1;
            m.lru_idle = a > LLONG_MAX ? LLONG_MAX : (long long)a;
            continue;
        case RDB_OP_SELECTDB:
            if (load_len(r, &a) < 0) return -1;
            if (a >= (uint64_t)server.dbnum) return in_fail(r, "FATAL: Data file was created with a Redis server configured to handle more databases");
            db = db_by_id((int)a);
            continue;
        case RDB_OP_RESIZEDB:
            if (load_len(r, &a) < 0 || load_len(r, &b) < 0) return -1;
            /* Size the table for the keys announced, as Redis; the count is untrusted, so no
             * more than the rest of the file can hold (a key takes 3 bytes at least). */
            rem = in_remaining(r);
            if (rem == SIZE_MAX) rem = (size_t)3 << 20;   /* a stream of unknown size: 1M keys */
            if (a > rem / 3) a = rem / 3;
            tableReserve(db_keys(db), tableSize(db_keys(db)) + (size_t)a);
            continue;
        case RDB_OP_AUX:
            if (load_aux(r, st) < 0) return -1;
            continue;
        case RDB_OP_MODULE_AUX: return in_fail(r, "Unsupported RDB opcode: module aux data (Keel has no modules)");
        case RDB_OP_FUNCTION2:
            if (load_function(r) < 0) return -1;
            continue;
        case RDB_OP_FUNCTION: return in_fail(r, "Unsupported RDB opcode: functions of Redis 7.0's release candidates");
        default:
            if (load_key(r, db, t, &m, st, now) < 0 || load_step(r) < 0) return -1;
        }
    }
eof:
    if (version >= 5) {
        size_t end = r->pos;
        uint64_t computed = r->src ? crc64(r->crc, r->p + r->crc_pos, end - r->crc_pos) : 0;
        const unsigned char *c = in_take(r, 8);
        if (!c) return -1;
        uint64_t stored = get_le(c, 8);
        if (stored == 0) {
            log_msg(LL_WARNING, "RDB file was saved with checksum disabled: no check performed.");
        } else if (server.rdbchecksum) {
            if (!r->src) computed = crc64(0, r->p, end);
            if (computed != stored) {
                r->pos -= 8;
                /* Redis's two lines: the values, then the corruption report naming the CRC. */
                log_msg(LL_WARNING, "Wrong RDB checksum expected: (%llx) got (%llx). Aborting now.",
                        (unsigned long long)computed, (unsigned long long)stored);
                return in_fail(r, "RDB CRC error");
            }
        }
    }
    return 0;
}

/* The whole file; the table floors RESIZEDB set are dropped at the end, whatever the outcome
 * (a database may hold fewer keys than announced: expired ones are skipped). */
static int load_all(rdbIn *r, rdbLoadStats *st) {
    insertQueue iq = {.st = st};
    if (!r->merge) r->iq = &iq;
    int rc = load_records(r, st);
    if (queue_drain(r) < 0) rc = -1;
    r->iq = NULL;
    for (int i = 0; i < db_count(); i++) {
        kdb *db = db_by_id(i);
        if (db->keys) tableReserve(db->keys, 0);
    }
    return rc;
}

static int load_path(const char *path, rdbLoadStats *st, int merge, size_t *consumed);

int rdb_load_source(rdbSource *src, rdbLoadStats *st, void (*unread)(void *priv, const unsigned char *p, size_t len)) {
    memset(st, 0, sizeof(*st));
    rdbIn r = {.src = src, .p = kmalloc(IN_CHUNK), .cap = IN_CHUNK};
    int rc = load_all(&r, st);
    if (rc == 0 && unread && r.len > r.pos) unread(src->priv, r.p + r.pos, r.len - r.pos);
    for (size_t i = 0; i < r.nold; i++) kfree(r.old[i]);
    kfree(r.old);
    kfree((unsigned char *)r.p);
    if (rc < 0) log_msg(LL_WARNING, "Internal error in RDB reading offset %zu: %s", r.err_pos, r.err);
    return rc;
}

int rdb_load_file(const char *path, rdbLoadStats *st, int merge) {
    return load_path(path, st, merge, NULL);
}

int rdb_load_file_prefix(const char *path, rdbLoadStats *st, size_t *consumed) {
    return load_path(path, st, 0, consumed);
}

static int load_path(const char *path, rdbLoadStats *st, int merge, size_t *consumed) {
    memset(st, 0, sizeof(*st));
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        if (errno == ENOENT) return 1;
        log_msg(LL_WARNING, "Fatal error loading the DB: %s. Exiting.", strerror(errno));
        return -1;
    }
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        close(fd);
        log_msg(LL_WARNING, "Fatal error loading the DB: %s. Exiting.", strerror(errno));
        return -1;
    }
    size_t size = (size_t)sb.st_size;
    void *map = size ? mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0) : NULL;
    close(fd);
    if (map == MAP_FAILED) {
        log_msg(LL_WARNING, "Fatal error loading the DB: %s. Exiting.", strerror(errno));
        return -1;
    }
    if (map) madvise(map, size, MADV_SEQUENTIAL);
    rdbIn r = {.p = map, .len = size, .merge = merge};
    int rc = load_all(&r, st);
    if (consumed) *consumed = r.pos;
    if (map) munmap(map, size);
    if (rc < 0) {
        log_msg(LL_WARNING, "Internal error in RDB reading: %s: offset %zu: %s", path, r.err_pos, r.err);
        /* and on stdout the report redis-check-rdb prints, as Redis does on a corrupt file */
        printf("--- RDB ERROR DETECTED ---\n[offset %zu] Internal error in RDB reading: %s\n", r.err_pos, r.err);
        fflush(stdout);
        return -1;
    }
    return 0;
}
