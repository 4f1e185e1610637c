/* t_hash.c - hashes: the two encodings (see t_hash.h) and the H* commands.
 *
 * Encoding rules follow Redis 7.0.15: a new hash is a listpack; before writing, any argument
 * longer than hash-max-listpack-value converts it (HSET/HSETNX/HMSET check all their
 * arguments first, HINCRBY* the field and the new value); after a write, more than
 * hash-max-listpack-entries fields converts it (also on an update, if the limit was lowered). */
#include "types/t_hash.h"

#include <limits.h>
#include <math.h>
#include <string.h>

#include "commands/commands.h"
#include "core/notify.h"
#include "keyspace/db.h"
#include "persist/wstream.h"
#include "protocol/reply.h"
#include "types/coll_entry.h"
#include "types/coll_scan.h"
#include "types/collection.h"
#include "types/listpack.h"
#include "util/mem.h"
#include "util/util.h"

#define HASH_LP(o) ((unsigned char *)obj_ptr(o))
#define HASH_TABLE(o) ((table *)obj_ptr(o))

/* ---- Representation ---------------------------------------------------------------------- */

size_t hash_length(const kobj *o) {
    return o->encoding == ENC_LISTPACK ? lpLength(HASH_LP(o)) / 2 : tableSize(HASH_TABLE(o));
}

/* The listpack position of field's entry, or NULL. */
static unsigned char *lp_find_field(unsigned char *lp, const char *field, size_t flen) {
    unsigned char *first = lpFirst(lp);
    if (!first) return NULL;
    lpKey k;
    lpKeyInit(&k, field, flen);
    return lpFind(lp, first, &k, 1);
}

int hash_get_value(const kobj *o, const char *field, size_t flen, const char **val, size_t *vlen, char *numbuf) {
    if (o->encoding == ENC_LISTPACK) {
        unsigned char *lp = HASH_LP(o), *p = lp_find_field(lp, field, flen);
        if (!p) return 0;
        *val = lpGetStr(lpNext(lp, p), vlen, numbuf);
        return 1;
    }
    collEntry *e = tableFind(HASH_TABLE(o), field, flen);
    if (!e) return 0;
    *val = coll_entry_value(e, vlen);
    return 1;
}

static void hash_convert(kobj *o) {
    unsigned char *lp = HASH_LP(o);
    table *t = tableCreate(&coll_table_type);
    for (unsigned char *p = lpFirst(lp); p; p = lpNext(lp, lpNext(lp, p))) {
        char fbuf[LP_INTBUF], vbuf[LP_INTBUF];
        size_t flen, vlen;
        const char *f = lpGetStr(p, &flen, fbuf);
        const char *v = lpGetStr(lpNext(lp, p), &vlen, vbuf);
        tableAdd(t, coll_entry_new(f, flen, v, vlen, 1));
    }
    lpFree(lp);
    obj_set_ptr(o, t);
    o->encoding = ENC_HT;
}

static int too_long(size_t len) {
    return len > (size_t)server.hash_max_listpack_value;
}

/* Converts a listpack hash before a write of argv[first..last] that the listpack can't hold. */
static void hash_convert_for_args(kobj *o, const karg *argv, int first, int last) {
    if (o->encoding != ENC_LISTPACK) return;
    size_t sum = 0;
    for (int i = first; i <= last; i++) {
        if (too_long(argv[i].len)) {
            hash_convert(o);
            return;
        }
        sum += argv[i].len;
    }
    if (!lpSafeToAdd(HASH_LP(o), sum)) hash_convert(o);
}

static int hash_set_listpack(kobj *o, const char *f, size_t flen, const char *v, size_t vlen) {
    unsigned char *lp = HASH_LP(o), *p = lp_find_field(lp, f, flen);
    int added = p == NULL;
    if (p) {
        unsigned char *vp = lpNext(lp, p);
        lp = lpReplace(lp, &vp, v, vlen);
    } else {
        lp = lpAppend(lpAppend(lp, f, flen), v, vlen);
    }
    obj_set_ptr(o, lp);
    if (hash_length(o) > (size_t)server.hash_max_listpack_entries) hash_convert(o);
    return added;
}

static int hash_set_table(kobj *o, const char *f, size_t flen, const char *v, size_t vlen) {
    table *t = HASH_TABLE(o);
    uint64_t h = tableHashKey(t, f, flen);
    collEntry *e = tableFindHashed(t, f, flen, h);
    if (!e) {
        tableAddHashed(t, coll_entry_new(f, flen, v, vlen, 1), h);
        return 1;
    }
    collEntry *moved = coll_entry_set_value(e, v, vlen);
    if (moved != e) tableReplaceEntry(t, e, moved);
    return 0;
}

/* Sets field to value; returns 1 if the field is new, 0 if it was updated. */
static int hash_set(kobj *o, const char *f, size_t flen, const char *v, size_t vlen) {
    if (o->encoding == ENC_LISTPACK && (too_long(flen) || too_long(vlen))) hash_convert(o);
    if (o->encoding == ENC_LISTPACK) return hash_set_listpack(o, f, flen, v, vlen);
    return hash_set_table(o, f, flen, v, vlen);
}

kobj *hash_new_object(const char *key, size_t klen) {
    return obj_new_ptr(key, klen, OBJ_HASH, ENC_LISTPACK, lpNew(0));
}

int hash_load_field(kobj *o, const char *f, size_t flen, const char *v, size_t vlen) {
    if (o->encoding == ENC_LISTPACK && !lpSafeToAdd(HASH_LP(o), flen + vlen)) hash_convert(o);
    return hash_set(o, f, flen, v, vlen);
}

/* Removes field; returns 1 if it was present. */
static int hash_delete(kobj *o, const char *f, size_t flen) {
    if (o->encoding == ENC_HT) {
        collEntry *e = tableDelete(HASH_TABLE(o), f, flen);
        coll_entry_free(e);
        return e != NULL;
    }
    unsigned char *lp = HASH_LP(o), *p = lp_find_field(lp, f, flen);
    if (!p) return 0;
    obj_set_ptr(o, lpDeleteRangeAt(lp, &p, 2));
    return 1;
}

/* ---- Iteration --------------------------------------------------------------------------- */

/* A field and its value as bytes; integers stored in a listpack are formatted into the bufs. */
typedef struct hashPair {
    const char *f, *v;
    size_t flen, vlen;
    char fbuf[LP_INTBUF], vbuf[LP_INTBUF];
} hashPair;

static void pair_from_lp(hashPair *hp, const unsigned char *lp, const unsigned char *p) {
    hp->f = lpGetStr(p, &hp->flen, hp->fbuf);
    hp->v = lpGetStr(lpNext(lp, p), &hp->vlen, hp->vbuf);
}

static void pair_from_entry(hashPair *hp, const collEntry *e) {
    hp->f = coll_entry_key(e, &hp->flen);
    hp->v = coll_entry_value(e, &hp->vlen);
}

/* Read-only iteration over either encoding; the hash must not change meanwhile. */
typedef struct hashIter {
    const kobj *o;
    unsigned char *p;
    tableIter ti;
} hashIter;

static void hash_iter_init(hashIter *it, const kobj *o) {
    it->o = o;
    if (o->encoding == ENC_LISTPACK)
        it->p = lpFirst(HASH_LP(o));
    else
        tableIterInit(&it->ti, HASH_TABLE(o), 0);
}

static int hash_iter_next(hashIter *it, hashPair *hp) {
    if (it->o->encoding == ENC_HT) {
        collEntry *e = tableIterNext(&it->ti);
        if (e) pair_from_entry(hp, e);
        return e != NULL;
    }
    if (!it->p) return 0;
    unsigned char *lp = HASH_LP(it->o);
    pair_from_lp(hp, lp, it->p);
    it->p = lpNext(lp, lpNext(lp, it->p));
    return 1;
}

static void hash_iter_release(hashIter *it) {
    if (it->o->encoding == ENC_HT) tableIterRelease(&it->ti);
}

/* ---- types.c hooks ----------------------------------------------------------------------- */

void hash_free_payload(kobj *o) {
    if (o->encoding == ENC_LISTPACK)
        lpFree(HASH_LP(o));
    else
        tableRelease(HASH_TABLE(o));
}

void *hash_dup_payload(const kobj *o) {
    if (o->encoding == ENC_LISTPACK) return lpDup(HASH_LP(o));
    return coll_table_dup(HASH_TABLE(o), 1);
}

size_t hash_payload_memory(const kobj *o) {
    if (o->encoding == ENC_LISTPACK) return kmalloc_size(HASH_LP(o));
    return coll_table_memory(HASH_TABLE(o));
}

/* ---- Command helpers --------------------------------------------------------------------- */

/* The hash at argv[1] for writing, created empty if missing; NULL after a WRONGTYPE reply. */
static kobj *lookup_write_or_create(client *c) {
    kobj *o;
    if (!coll_lookup_write(c, &c->argv[1], OBJ_HASH, &o)) return NULL;
    if (!o) {
        o = obj_new_ptr(c->argv[1].ptr, c->argv[1].len, OBJ_HASH, ENC_LISTPACK, lpNew(0));
        db_add(c->db, o);
    }
    return o;
}

/* ---- Commands ---------------------------------------------------------------------------- */

/* HSET and HMSET: field/value pairs from argv[2]; returns the number of new fields or -1. */
static long long hset_generic(client *c) {
    if (c->argc % 2 == 1) {
        reply_error_arity(c);
        return -1;
    }
    kobj *o = lookup_write_or_create(c);
    if (!o) return -1;
    hash_convert_for_args(o, c->argv, 2, c->argc - 1);
    long long created = 0;
    for (int i = 2; i < c->argc; i += 2)
        created += hash_set(o, c->argv[i].ptr, c->argv[i].len, c->argv[i + 1].ptr, c->argv[i + 1].len);
    notify_key_changed(c, &c->argv[1], NOTIFY_HASH, "hset");
    return created;
}

void hset_command(client *c) {
    long long created = hset_generic(c);
    if (created >= 0) reply_integer(c, created);
}

void hmset_command(client *c) {
    if (hset_generic(c) >= 0) reply_ok(c);
}

void hsetnx_command(client *c) {
    kobj *o = lookup_write_or_create(c);
    if (!o) return;
    char nb[HASH_NUMBUF];
    const char *v;
    size_t vlen;
    if (hash_get_value(o, c->argv[2].ptr, c->argv[2].len, &v, &vlen, nb)) {
        reply_integer(c, 0);
        return;
    }
    hash_convert_for_args(o, c->argv, 2, 3);
    hash_set(o, c->argv[2].ptr, c->argv[2].len, c->argv[3].ptr, c->argv[3].len);
    notify_key_changed(c, &c->argv[1], NOTIFY_HASH, "hset");
    reply_integer(c, 1);
}

void hget_command(client *c) {
    kobj *o;
    char nb[HASH_NUMBUF];
    const char *v;
    size_t vlen;
    if (!coll_lookup_read(c, &c->argv[1], OBJ_HASH, &o)) return;
    if (o && hash_get_value(o, c->argv[2].ptr, c->argv[2].len, &v, &vlen, nb))
        reply_bulk(c, v, vlen);
    else
        reply_null(c);
}

void hmget_command(client *c) {
    kobj *o;
    if (!coll_lookup_read(c, &c->argv[1], OBJ_HASH, &o)) return;
    reply_array_len(c, c->argc - 2);
    for (int i = 2; i < c->argc; i++) {
        char nb[HASH_NUMBUF];
        const char *v;
        size_t vlen;
        if (o && hash_get_value(o, c->argv[i].ptr, c->argv[i].len, &v, &vlen, nb))
            reply_bulk(c, v, vlen);
        else
            reply_null(c);
    }
}

void hdel_command(client *c) {
    kobj *o;
    if (!coll_lookup_write(c, &c->argv[1], OBJ_HASH, &o)) return;
    long long deleted = 0;
    int emptied = 0;
    for (int i = 2; o && i < c->argc && !emptied; i++) {
        deleted += hash_delete(o, c->argv[i].ptr, c->argv[i].len);
        emptied = hash_length(o) == 0;
    }
    if (deleted) {
        notify_keyspace_event(NOTIFY_HASH, "hdel", c->argv[1].ptr, c->argv[1].len, c->db->id);
        if (emptied) coll_delete_emptied(c, &c->argv[1]);
        signal_modified_key(c, c->db, c->argv[1].ptr, c->argv[1].len);
    }
    reply_integer(c, deleted);
}

void hlen_command(client *c) {
    kobj *o;
    if (coll_lookup_read(c, &c->argv[1], OBJ_HASH, &o)) reply_integer(c, o ? (long long)hash_length(o) : 0);
}

void hstrlen_command(client *c) {
    kobj *o;
    char nb[HASH_NUMBUF];
    const char *v;
    size_t vlen = 0;
    if (!coll_lookup_read(c, &c->argv[1], OBJ_HASH, &o)) return;
    if (o) hash_get_value(o, c->argv[2].ptr, c->argv[2].len, &v, &vlen, nb);
    reply_integer(c, (long long)vlen);
}

void hexists_command(client *c) {
    kobj *o;
    char nb[HASH_NUMBUF];
    const char *v;
    size_t vlen;
    if (!coll_lookup_read(c, &c->argv[1], OBJ_HASH, &o)) return;
    reply_integer(c, o && hash_get_value(o, c->argv[2].ptr, c->argv[2].len, &v, &vlen, nb));
}

#define WANT_FIELDS 1
#define WANT_VALUES 2

static void hgetall_generic(client *c, int want) {
    kobj *o;
    if (!coll_lookup_read(c, &c->argv[1], OBJ_HASH, &o)) return;
    long long len = o ? (long long)hash_length(o) : 0;
    if (want == (WANT_FIELDS | WANT_VALUES))
        reply_map_len(c, len);
    else
        reply_array_len(c, len);
    if (!o) return;
    hashIter it;
    hashPair hp;
    hash_iter_init(&it, o);
    while (hash_iter_next(&it, &hp)) {
        if (want & WANT_FIELDS) reply_bulk(c, hp.f, hp.flen);
        if (want & WANT_VALUES) reply_bulk(c, hp.v, hp.vlen);
    }
    hash_iter_release(&it);
}

void hkeys_command(client *c) {
    hgetall_generic(c, WANT_FIELDS);
}

void hvals_command(client *c) {
    hgetall_generic(c, WANT_VALUES);
}

void hgetall_command(client *c) {
    hgetall_generic(c, WANT_FIELDS | WANT_VALUES);
}

void hincrby_command(client *c) {
    long long incr, cur = 0;
    if (!arg_ll_or_reply(c, &c->argv[3], &incr, NULL)) return;
    kobj *o = lookup_write_or_create(c);
    if (!o) return;
    char nb[HASH_NUMBUF];
    const char *v;
    size_t vlen;
    if (hash_get_value(o, c->argv[2].ptr, c->argv[2].len, &v, &vlen, nb) && !str_to_ll(v, vlen, &cur)) {
        reply_error(c, "hash value is not an integer");
        return;
    }
    if ((incr < 0 && cur < 0 && incr < LLONG_MIN - cur) || (incr > 0 && cur > 0 && incr > LLONG_MAX - cur)) {
        reply_error(c, ERR_OVERFLOW);
        return;
    }
    cur += incr;
    int n = ll_to_str(nb, sizeof(nb), cur);
    hash_set(o, c->argv[2].ptr, c->argv[2].len, nb, (size_t)n);
    notify_key_changed(c, &c->argv[1], NOTIFY_HASH, "hincrby");
    reply_integer(c, cur);
}

/* Room for any long double in INCRBYFLOAT's human format (Redis's MAX_LONG_DOUBLE_CHARS). */
#define LD_BUF (5 * 1024)

void hincrbyfloat_command(client *c) {
    long double incr, cur = 0;
    if (!str_to_ld(c->argv[3].ptr, c->argv[3].len, &incr)) {
        reply_error(c, ERR_NOT_FLOAT);
        return;
    }
    if (isnan(incr) || isinf(incr)) {
        reply_error(c, "value is NaN or Infinity");
        return;
    }
    kobj *o = lookup_write_or_create(c);
    if (!o) return;
    char nb[HASH_NUMBUF];
    const char *v;
    size_t vlen;
    if (hash_get_value(o, c->argv[2].ptr, c->argv[2].len, &v, &vlen, nb) && !str_to_ld(v, vlen, &cur)) {
        reply_error(c, "hash value is not a float");
        return;
    }
    cur += incr;
    if (isnan(cur) || isinf(cur)) {
        reply_error(c, "increment would produce NaN or Infinity");
        return;
    }
    char *buf = kmalloc(LD_BUF);
    int n = ld_to_str(buf, LD_BUF, cur);
    hash_set(o, c->argv[2].ptr, c->argv[2].len, buf, (size_t)n);
    notify_key_changed(c, &c->argv[1], NOTIFY_HASH, "hincrbyfloat");
    karg argv[4] = {WSTREAM_ARG("HSET"), c->argv[1], c->argv[2], {.ptr = buf, .len = (size_t)n}};
    wstream_rewrite(4, argv);   /* the result, as Redis */
    reply_bulk(c, buf, (size_t)n);
    kfree(buf);
}

/* ---- HRANDFIELD -------------------------------------------------------------------------- */

static void reply_pair(client *c, const hashPair *hp, int withvalues) {
    if (withvalues && c->resp > 2) reply_array_len(c, 2);
    reply_bulk(c, hp->f, hp->flen);
    if (withvalues) reply_bulk(c, hp->v, hp->vlen);
}

/* Positions of the fields of a listpack hash, for O(1) random picks (kfree the result). */
static unsigned char **lp_field_positions(unsigned char *lp, size_t n) {
    unsigned char **pos = kmalloc(sizeof(*pos) * n);
    unsigned char *p = lpFirst(lp);
    for (size_t i = 0; i < n; i++, p = lpNext(lp, lpNext(lp, p))) pos[i] = p;
    return pos;
}

/* count random fields, repetitions allowed (a negative COUNT, or COUNT 1). */
static void hrandfield_repeating(client *c, kobj *o, size_t count, int withvalues) {
    hashPair hp;
    size_t size = hash_length(o);
    unsigned char **pos = o->encoding == ENC_LISTPACK ? lp_field_positions(HASH_LP(o), size) : NULL;
    reply_array_len(c, (long long)(withvalues && c->resp == 2 ? count * 2 : count));
    while (count-- && !(c->flags & CLIENT_CLOSE_ASAP)) {
        if (pos)
            pair_from_lp(&hp, HASH_LP(o), pos[rand64() % size]);
        else
            pair_from_entry(&hp, tableRandom(HASH_TABLE(o)));
        reply_pair(c, &hp, withvalues);
    }
    kfree(pos);
}

/* count distinct random fields, count < size. */
static void hrandfield_distinct(client *c, kobj *o, size_t count, int withvalues) {
    hashPair hp;
    reply_array_len(c, (long long)(withvalues && c->resp == 2 ? count * 2 : count));
    if (o->encoding == ENC_HT) {
        void **picked = kmalloc(sizeof(void *) * count);
        size_t got = tableSample(HASH_TABLE(o), picked, count);
        for (size_t i = 0; i < got; i++) {
            pair_from_entry(&hp, picked[i]);
            reply_pair(c, &hp, withvalues);
        }
        kfree(picked);
        return;
    }
    size_t size = hash_length(o);
    unsigned char **pos = lp_field_positions(HASH_LP(o), size);
    uint32_t *idx = kmalloc(sizeof(uint32_t) * count);
    coll_sample_indices(size, count, idx);
    coll_shuffle(idx, count);
    for (size_t i = 0; i < count; i++) {
        pair_from_lp(&hp, HASH_LP(o), pos[idx[i]]);
        reply_pair(c, &hp, withvalues);
    }
    kfree(idx);
    kfree(pos);
}

static void hrandfield_with_count(client *c, long long l, int withvalues) {
    kobj *o;
    if (!coll_lookup_read(c, &c->argv[1], OBJ_HASH, &o)) return;
    size_t count = (size_t)(l < 0 ? -l : l), size = o ? hash_length(o) : 0;
    if (count == 0 || size == 0) {
        reply_empty_array(c);
    } else if (l < 0 || count == 1) {
        hrandfield_repeating(c, o, count, withvalues);
    } else if (count < size) {
        hrandfield_distinct(c, o, count, withvalues);
    } else {
        /* The whole hash, in its own order. */
        hashIter it;
        hashPair hp;
        reply_array_len(c, (long long)(withvalues && c->resp == 2 ? size * 2 : size));
        hash_iter_init(&it, o);
        while (hash_iter_next(&it, &hp)) reply_pair(c, &hp, withvalues);
        hash_iter_release(&it);
    }
}

void hrandfield_command(client *c) {
    if (c->argc >= 3) {
        long long l;
        if (!coll_get_range_long_or_reply(c, &c->argv[2], -LLONG_MAX, LLONG_MAX, &l, NULL)) return;
        int withvalues = c->argc == 4 && arg_is(c->argv[3].ptr, c->argv[3].len, "withvalues");
        if (c->argc > 4 || (c->argc == 4 && !withvalues)) {
            reply_error(c, ERR_SYNTAX);
            return;
        }
        if (withvalues && (l < -LLONG_MAX / 2 || l > LLONG_MAX / 2)) {
            reply_error(c, "value is out of range");
            return;
        }
        hrandfield_with_count(c, l, withvalues);
        return;
    }
    kobj *o;
    if (!coll_lookup_read(c, &c->argv[1], OBJ_HASH, &o)) return;
    if (!o) {
        reply_null(c);
        return;
    }
    hashPair hp;
    if (o->encoding == ENC_LISTPACK)
        pair_from_lp(&hp, HASH_LP(o), lpSeek(HASH_LP(o), 2 * (long)(rand64() % hash_length(o))));
    else
        pair_from_entry(&hp, tableRandom(HASH_TABLE(o)));
    reply_bulk(c, hp.f, hp.flen);
}

/* ---- HSCAN ------------------------------------------------------------------------------- */

void hscan_command(client *c) {
    uint64_t cursor;
    kobj *o;
    collScanOpts opts;
    if (!coll_scan_cursor_or_reply(c, &c->argv[2], &cursor)) return;
    if (!coll_lookup_read(c, &c->argv[1], OBJ_HASH, &o)) return;
    if (!o) {
        coll_scan_reply_empty(c);
        return;
    }
    if (!coll_scan_opts_or_reply(c, 3, &opts)) return;
    if (o->encoding == ENC_HT) {
        coll_table_scan_reply(c, HASH_TABLE(o), cursor, &opts, 1);
        return;
    }
    /* A listpack is returned whole, with cursor 0. */
    collScanReply r;
    hashIter it;
    hashPair hp;
    coll_scan_begin(c, &r, &opts, 0);
    hash_iter_init(&it, o);
    while (hash_iter_next(&it, &hp)) coll_scan_emit(c, &r, hp.f, hp.flen, 1, hp.v, hp.vlen);
    hash_iter_release(&it);
    coll_scan_end(c, &r);
}
