/* t_set.c - sets: the two encodings (see t_set.h) and the S* commands.
 *
 * Encoding rules follow Redis 7.0.15: a new set is an intset if its first member is a canonical
 * integer; adding a non-integer, or going past set-max-intset-entries members, converts it to a
 * table. Results of SINTERSTORE/SUNION/SDIFF(STORE) and SPOP of the whole set are built from an
 * empty intset, so an all-integer result comes back sorted, exactly as Redis replies it. */
#include "types/t_set.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "commands/commands.h"
#include "core/notify.h"
#include "keyspace/db.h"
#include "persist/wstream.h"
#include "protocol/reply.h"
#include "types/coll_entry.h"
#include "types/coll_scan.h"
#include "types/collection.h"
#include "types/intset.h"
#include "types/listpack.h"
#include "util/mem.h"
#include "util/util.h"

#define SET_INTSET(o) ((intset *)obj_ptr(o))
#define SET_TABLE(o) ((table *)obj_ptr(o))

/* ---- Representation ---------------------------------------------------------------------- */

size_t set_size(const kobj *o) {
    return o->encoding == ENC_INTSET ? intsetLen(SET_INTSET(o)) : tableSize(SET_TABLE(o));
}

/* An empty set object for key, encoded for a first member `first` (Redis's setTypeCreate). */
static kobj *set_new(const char *key, size_t klen, const karg *first) {
    long long v;
    if (!first || str_to_ll(first->ptr, first->len, &v))
        return obj_new_ptr(key, klen, OBJ_SET, ENC_INTSET, intsetNew());
    return obj_new_ptr(key, klen, OBJ_SET, ENC_HT, tableCreate(&coll_table_type));
}

static void set_convert(kobj *o) {
    intset *is = SET_INTSET(o);
    table *t = tableCreate(&coll_table_type);
    for (uint32_t i = 0; i < intsetLen(is); i++) {
        char buf[LP_INTBUF];
        int n = ll_to_str(buf, sizeof(buf), intsetGet(is, i));
        tableAdd(t, coll_entry_new(buf, (size_t)n, NULL, 0, 0));
    }
    intsetFree(is);
    obj_set_ptr(o, t);
    o->encoding = ENC_HT;
}

static int intset_add(kobj *o, long long v) {
    int added;
    obj_set_ptr(o, intsetAdd(SET_INTSET(o), v, &added));
    /* Redis caps the limit at 2^30 entries (an intset's own bound). */
    uint32_t max = server.set_max_intset_entries < (1 << 30) ? (uint32_t)server.set_max_intset_entries : 1u << 30;
    if (added && intsetLen(SET_INTSET(o)) > max) set_convert(o);
    return added;
}

static int table_add(kobj *o, const char *s, size_t len) {
    table *t = SET_TABLE(o);
    uint64_t h = tableHashKey(t, s, len);
    if (tableFindHashed(t, s, len, h)) return 0;
    tableAddHashed(t, coll_entry_new(s, len, NULL, 0, 0), h);
    return 1;
}

/* Adds a member; returns 1 if it was absent. */
static int set_add(kobj *o, const char *s, size_t len) {
    long long v;
    if (o->encoding == ENC_INTSET) {
        if (str_to_ll(s, len, &v)) return intset_add(o, v);
        set_convert(o);
    }
    return table_add(o, s, len);
}

kobj *set_new_object(const char *key, size_t klen) {
    return set_new(key, klen, NULL);
}

int set_load_member(kobj *o, const char *s, size_t len) {
    return set_add(o, s, len);
}

/* Removes a member; returns 1 if it was present. */
static int set_remove(kobj *o, const char *s, size_t len) {
    if (o->encoding == ENC_HT) {
        collEntry *e = tableDelete(SET_TABLE(o), s, len);
        coll_entry_free(e);
        return e != NULL;
    }
    long long v;
    int removed = 0;
    if (str_to_ll(s, len, &v)) obj_set_ptr(o, intsetRemove(SET_INTSET(o), v, &removed));
    return removed;
}

static int set_has(const kobj *o, const char *s, size_t len) {
    long long v;
    if (o->encoding == ENC_HT) return tableFind(SET_TABLE(o), s, len) != NULL;
    return str_to_ll(s, len, &v) && intsetFind(SET_INTSET(o), v);
}

/* ---- Elements and iteration -------------------------------------------------------------- */

/* A member as iteration yields it: always as bytes (s, len); intset members also as ll. */
typedef struct setElem {
    int is_int;
    long long ll;
    const char *s;
    size_t len;
    char buf[LP_INTBUF];
} setElem;

static void elem_from_int(setElem *e, long long v) {
    e->is_int = 1;
    e->ll = v;
    e->len = (size_t)ll_to_str(e->buf, sizeof(e->buf), v);
    e->s = e->buf;
}

static void elem_from_entry(setElem *e, const collEntry *entry) {
    e->is_int = 0;
    e->s = coll_entry_key(entry, &e->len);
}

static int set_has_elem(const kobj *o, const setElem *e) {
    if (e->is_int && o->encoding == ENC_INTSET) return intsetFind(SET_INTSET(o), e->ll);
    return set_has(o, e->s, e->len);
}

static int set_add_elem(kobj *o, const setElem *e) {
    if (e->is_int && o->encoding == ENC_INTSET) return intset_add(o, e->ll);
    return set_add(o, e->s, e->len);
}

/* Read-only iteration (intsets in ascending order); the set must not change meanwhile. */
typedef struct setIter {
    const kobj *o;
    uint32_t i;
    tableIter ti;
} setIter;

static void set_iter_init(setIter *it, const kobj *o) {
    it->o = o;
    it->i = 0;
    if (o->encoding == ENC_HT) tableIterInit(&it->ti, SET_TABLE(o), 0);
}

static int set_iter_next(setIter *it, setElem *e) {
    if (it->o->encoding == ENC_HT) {
        collEntry *entry = tableIterNext(&it->ti);
        if (entry) elem_from_entry(e, entry);
        return entry != NULL;
    }
    if (it->i >= intsetLen(SET_INTSET(it->o))) return 0;
    elem_from_int(e, intsetGet(SET_INTSET(it->o), it->i++));
    return 1;
}

static void set_iter_release(setIter *it) {
    if (it->o->encoding == ENC_HT) tableIterRelease(&it->ti);
}

void set_for_each(const kobj *o, set_member_fn *fn, void *privdata) {
    setIter it;
    setElem e;
    set_iter_init(&it, o);
    while (set_iter_next(&it, &e)) fn(privdata, e.s, e.len);
    set_iter_release(&it);
}

static void set_random(const kobj *o, setElem *e) {
    if (o->encoding == ENC_INTSET)
        elem_from_int(e, intsetRandom(SET_INTSET(o)));
    else
        elem_from_entry(e, tableRandom(SET_TABLE(o)));
}

/* Removes a random member, replies it as a bulk string and returns a copy of it (what the
 * write stream propagates). */
static kstr *set_pop_reply(client *c, kobj *o) {
    setElem e;
    if (o->encoding == ENC_INTSET) {
        elem_from_int(&e, intsetRandom(SET_INTSET(o)));
        obj_set_ptr(o, intsetRemove(SET_INTSET(o), e.ll, NULL));
        reply_bulk(c, e.s, e.len);
        return kstr_new(e.s, e.len);
    }
    collEntry *entry = tablePop(SET_TABLE(o));
    elem_from_entry(&e, entry);
    reply_bulk(c, e.s, e.len);
    kstr *popped = kstr_new(e.s, e.len);
    coll_entry_free(entry);
    return popped;
}

/* ---- types.c hooks ----------------------------------------------------------------------- */

void set_free_payload(kobj *o) {
    if (o->encoding == ENC_INTSET)
        intsetFree(SET_INTSET(o));
    else
        tableRelease(SET_TABLE(o));
}

void *set_dup_payload(const kobj *o) {
    if (o->encoding == ENC_INTSET) return intsetDup(SET_INTSET(o));
    return coll_table_dup(SET_TABLE(o), 0);
}

size_t set_payload_memory(const kobj *o) {
    if (o->encoding == ENC_INTSET) return kmalloc_size(SET_INTSET(o));
    return coll_table_memory(SET_TABLE(o));
}

/* ---- Single-key commands ----------------------------------------------------------------- */

void sadd_command(client *c) {
    kobj *o;
    if (!coll_lookup_write(c, &c->argv[1], OBJ_SET, &o)) return;
    if (!o) {
        o = set_new(c->argv[1].ptr, c->argv[1].len, &c->argv[2]);
        db_add(c->db, o);
    }
    long long added = 0;
    for (int i = 2; i < c->argc; i++) added += set_add(o, c->argv[i].ptr, c->argv[i].len);
    if (added) notify_key_changed(c, &c->argv[1], NOTIFY_SET, "sadd");
    reply_integer(c, added);
}

void srem_command(client *c) {
    kobj *o;
    if (!coll_lookup_write(c, &c->argv[1], OBJ_SET, &o)) return;
    long long removed = 0;
    int emptied = 0;
    for (int i = 2; o && i < c->argc && !emptied; i++) {
        removed += set_remove(o, c->argv[i].ptr, c->argv[i].len);
        emptied = set_size(o) == 0;
    }
    if (removed) {
        notify_keyspace_event(NOTIFY_SET, "srem", c->argv[1].ptr, c->argv[1].len, c->db->id);
        if (emptied) coll_delete_emptied(c, &c->argv[1]);
        signal_modified_key(c, c->db, c->argv[1].ptr, c->argv[1].len);
    }
    reply_integer(c, removed);
}

void scard_command(client *c) {
    kobj *o;
    if (coll_lookup_read(c, &c->argv[1], OBJ_SET, &o)) reply_integer(c, o ? (long long)set_size(o) : 0);
}

void sismember_command(client *c) {
    kobj *o;
    if (coll_lookup_read(c, &c->argv[1], OBJ_SET, &o))
        reply_integer(c, o && set_has(o, c->argv[2].ptr, c->argv[2].len));
}

void smismember_command(client *c) {
    kobj *o;
    if (!coll_lookup_read(c, &c->argv[1], OBJ_SET, &o)) return;
    reply_array_len(c, c->argc - 2);
    for (int i = 2; i < c->argc; i++) reply_integer(c, o && set_has(o, c->argv[i].ptr, c->argv[i].len));
}

void smove_command(client *c) {
    const karg *src = &c->argv[1], *dst = &c->argv[2], *m = &c->argv[3];
    kobj *so = db_lookup_write(c->db, src->ptr, src->len), *dso = db_lookup_write(c->db, dst->ptr, dst->len);
    if (!so) {
        reply_integer(c, 0);
        return;
    }
    if (so->type != OBJ_SET || (dso && dso->type != OBJ_SET)) {
        reply_error(c, ERR_WRONGTYPE);
        return;
    }
    if (so == dso) {
        reply_integer(c, set_has(so, m->ptr, m->len));
        return;
    }
    if (!set_remove(so, m->ptr, m->len)) {
        reply_integer(c, 0);
        return;
    }
    notify_keyspace_event(NOTIFY_SET, "srem", src->ptr, src->len, c->db->id);
    if (set_size(so) == 0) coll_delete_emptied(c, src);
    if (!dso) {
        dso = set_new(dst->ptr, dst->len, m);
        db_add(c->db, dso);
    }
    signal_modified_key(c, c->db, src->ptr, src->len);
    if (set_add(dso, m->ptr, m->len)) notify_key_changed(c, dst, NOTIFY_SET, "sadd");
    reply_integer(c, 1);
}

/* ---- SPOP / SRANDMEMBER ------------------------------------------------------------------ */

static void sunion_diff_generic(client *c, const karg *keys, int n, const karg *dst, int diff);

#define SPOP_BATCH 1024   /* members per propagated SREM (Redis's batch) */

static void spop_with_count(client *c) {
    long long count;
    kobj *o;
    if (!coll_get_positive_long_or_reply(c, &c->argv[2], &count, NULL)) return;
    if (!coll_lookup_write(c, &c->argv[1], OBJ_SET, &o)) return;
    if (!o || count == 0) {
        reply_set_len(c, 0);
        return;
    }
    notify_keyspace_event(NOTIFY_SET, "spop", c->argv[1].ptr, c->argv[1].len, c->db->id);
    if ((size_t)count >= set_size(o)) {
        sunion_diff_generic(c, &c->argv[1], 1, NULL, 0);    /* the whole set, as SUNION shows it */
        coll_delete_emptied(c, &c->argv[1]);
        wstream_rewrite_key(server.lazyfree_lazy_server_del ? "UNLINK" : "DEL", &c->argv[1]);
    } else {
        /* Propagates as SREMs of at most SPOP_BATCH members each, as Redis. */
        reply_set_len(c, count);
        karg argv[2 + SPOP_BATCH];
        kstr *held[SPOP_BATCH];
        int n = 0;
        argv[0] = WSTREAM_ARG("SREM");
        argv[1] = c->argv[1];
        while (count--) {
            held[n] = set_pop_reply(c, o);
            argv[2 + n] = (karg){.ptr = held[n]->buf, .len = held[n]->len};
            if (++n == SPOP_BATCH || count == 0) {
                wstream_append(c->db->id, 2 + n, argv);
                while (n) kstr_free(held[--n]);
            }
        }
        wstream_rewrite(0, NULL);
    }
    signal_modified_key(c, c->db, c->argv[1].ptr, c->argv[1].len);
}

void spop_command(client *c) {
    if (c->argc > 3) {
        reply_error(c, ERR_SYNTAX);
        return;
    }
    if (c->argc == 3) {
        spop_with_count(c);
        return;
    }
    kobj *o;
    if (!coll_lookup_write(c, &c->argv[1], OBJ_SET, &o)) return;
    if (!o) {
        reply_null(c);
        return;
    }
    kstr *popped = set_pop_reply(c, o);
    karg argv[3] = {WSTREAM_ARG("SREM"), c->argv[1], {.ptr = popped->buf, .len = popped->len}};
    wstream_rewrite(3, argv);
    kstr_free(popped);
    notify_keyspace_event(NOTIFY_SET, "spop", c->argv[1].ptr, c->argv[1].len, c->db->id);
    if (set_size(o) == 0) coll_delete_emptied(c, &c->argv[1]);
    signal_modified_key(c, c->db, c->argv[1].ptr, c->argv[1].len);
}

/* count distinct random members, count < size, in random order. */
static void srandmember_distinct(client *c, kobj *o, size_t count) {
    setElem e;
    reply_array_len(c, (long long)count);
    if (o->encoding == ENC_HT) {
        void **picked = kmalloc(sizeof(void *) * count);
        size_t got = tableSample(SET_TABLE(o), picked, count);
        for (size_t i = 0; i < got; i++) {
            elem_from_entry(&e, picked[i]);
            reply_bulk(c, e.s, e.len);
        }
        kfree(picked);
        return;
    }
    uint32_t *idx = kmalloc(sizeof(uint32_t) * count);
    coll_sample_indices(set_size(o), count, idx);
    coll_shuffle(idx, count);
    for (size_t i = 0; i < count; i++) {
        elem_from_int(&e, intsetGet(SET_INTSET(o), idx[i]));
        reply_bulk(c, e.s, e.len);
    }
    kfree(idx);
}

static void srandmember_with_count(client *c) {
    long long l;
    kobj *o;
    setElem e;
    if (!coll_get_range_long_or_reply(c, &c->argv[2], -LLONG_MAX, LLONG_MAX, &l, NULL)) return;
    if (!coll_lookup_read(c, &c->argv[1], OBJ_SET, &o)) return;
    size_t count = (size_t)(l < 0 ? -l : l), size = o ? set_size(o) : 0;
    if (count == 0 || size == 0) {
        reply_empty_array(c);
    } else if (l < 0 || count == 1) {
        reply_array_len(c, (long long)count);
        while (count-- && !(c->flags & CLIENT_CLOSE_ASAP)) {
            set_random(o, &e);
            reply_bulk(c, e.s, e.len);
        }
    } else if (count < size) {
        srandmember_distinct(c, o, count);
    } else {
        setIter it;
        reply_array_len(c, (long long)size);
        set_iter_init(&it, o);
        while (set_iter_next(&it, &e)) reply_bulk(c, e.s, e.len);
        set_iter_release(&it);
    }
}

void srandmember_command(client *c) {
    if (c->argc > 3) {
        reply_error(c, ERR_SYNTAX);
        return;
    }
    if (c->argc == 3) {
        srandmember_with_count(c);
        return;
    }
    kobj *o;
    setElem e;
    if (!coll_lookup_read(c, &c->argv[1], OBJ_SET, &o)) return;
    if (!o) {
        reply_null(c);
        return;
    }
    set_random(o, &e);
    reply_bulk(c, e.s, e.len);
}

/* ---- Multi-set operations ---------------------------------------------------------------- */

/* Looks up keys[0..n) into sets[] (NULL when missing) and counts the missing ones in *missing.
 * Returns 0 after a WRONGTYPE reply. */
static int lookup_sets(client *c, const karg *keys, int n, int write, kobj **sets, int *missing) {
    *missing = 0;
    for (int i = 0; i < n; i++) {
        int ok = write ? coll_lookup_write(c, &keys[i], OBJ_SET, &sets[i])
                       : coll_lookup_read(c, &keys[i], OBJ_SET, &sets[i]);
        if (!ok) return 0;
        *missing += sets[i] == NULL;
    }
    return 1;
}

/* Stores a computed set at dst (deleting dst when it is empty) and replies its size. */
static void store_result(client *c, const karg *dst, kobj *out, const char *event) {
    long long n = (long long)set_size(out);
    if (n > 0) {
        db_set(c->db, out, 0);
        notify_key_changed(c, dst, NOTIFY_SET, event);
    } else {
        obj_free(out);
        if (db_delete(c->db, dst->ptr, dst->len)) {
            signal_modified_key(c, c->db, dst->ptr, dst->len);
            notify_keyspace_event(NOTIFY_GENERIC, "del", dst->ptr, dst->len, c->db->id);
        }
    }
    reply_integer(c, n);
}

static kobj *new_result(const karg *dst) {
    return dst ? set_new(dst->ptr, dst->len, NULL) : set_new("", 0, NULL);
}

static int cmp_by_size(const void *a, const void *b) {
    size_t x = set_size(*(kobj *const *)a), y = set_size(*(kobj *const *)b);
    return x < y ? -1 : x > y;
}

/* SINTER, SMEMBERS, SINTERSTORE (dst set) and SINTERCARD (card_only, limit 0 = none). */
static void sinter_generic(client *c, const karg *keys, int n, const karg *dst, int card_only, long long limit) {
    kobj **sets = kmalloc(sizeof(kobj *) * (size_t)n);
    int missing;
    if (!lookup_sets(c, keys, n, dst != NULL, sets, &missing)) {
        kfree(sets);
        return;
    }
    kobj *out = dst ? new_result(dst) : NULL;
    long long found = 0;
    replyDeferred len = {NULL};
    int known_len = n == 1;     /* SMEMBERS: the reply length is the set's size */
    if (!dst && !card_only) {
        if (known_len)
            reply_set_len(c, missing ? 0 : (long long)set_size(sets[0]));
        else
            len = reply_deferred(c);
    }
    if (!missing) {
        /* Walk the smallest set, probing the others. */
        qsort(sets, (size_t)n, sizeof(kobj *), cmp_by_size);
        setIter it;
        setElem e;
        set_iter_init(&it, sets[0]);
        while ((!limit || found < limit) && set_iter_next(&it, &e)) {
            int j = 1;
            while (j < n && set_has_elem(sets[j], &e)) j++;
            if (j < n) continue;
            found++;
            if (out)
                set_add_elem(out, &e);
            else if (!card_only)
                reply_bulk(c, e.s, e.len);
        }
        set_iter_release(&it);
    }
    kfree(sets);
    if (out)
        store_result(c, dst, out, "sinterstore");
    else if (card_only)
        reply_integer(c, found);
    else if (!known_len)
        reply_set_deferred_set(c, len, found);
}

static void add_all(kobj *out, const kobj *o) {
    setIter it;
    setElem e;
    set_iter_init(&it, o);
    while (set_iter_next(&it, &e)) set_add_elem(out, &e);
    set_iter_release(&it);
}

/* sets[0] minus the others: probe each member of sets[0] in the others (cheap when sets[0] is
 * small), or copy sets[0] and remove the others' members (cheap when they are small). */
static void diff_into(kobj *out, kobj **sets, int n) {
    size_t probe_work = set_size(sets[0]) * (size_t)n / 2, remove_work = 0;
    for (int i = 0; i < n; i++) remove_work += sets[i] ? set_size(sets[i]) : 0;
    setIter it;
    setElem e;
    if (probe_work <= remove_work) {
        set_iter_init(&it, sets[0]);
        while (set_iter_next(&it, &e)) {
            int j = 1;
            while (j < n && !(sets[j] && set_has_elem(sets[j], &e))) j++;
            if (j == n) set_add_elem(out, &e);
        }
        set_iter_release(&it);
        return;
    }
    add_all(out, sets[0]);
    for (int i = 1; i < n && set_size(out) > 0; i++) {
        if (!sets[i]) continue;
        set_iter_init(&it, sets[i]);
        while (set_iter_next(&it, &e)) set_remove(out, e.s, e.len);
        set_iter_release(&it);
    }
}

/* SUNION, SDIFF and their STORE forms (dst set); SPOP of a whole set replies through here. */
static void sunion_diff_generic(client *c, const karg *keys, int n, const karg *dst, int diff) {
    kobj **sets = kmalloc(sizeof(kobj *) * (size_t)n);
    int missing;
    if (!lookup_sets(c, keys, n, dst != NULL, sets, &missing)) {
        kfree(sets);
        return;
    }
    kobj *out = new_result(dst);
    if (!diff) {
        for (int i = 0; i < n; i++)
            if (sets[i]) add_all(out, sets[i]);
    } else if (sets[0]) {
        diff_into(out, sets, n);
    }
    kfree(sets);
    if (dst) {
        store_result(c, dst, out, diff ? "sdiffstore" : "sunionstore");
        return;
    }
    setIter it;
    setElem e;
    reply_set_len(c, (long long)set_size(out));
    set_iter_init(&it, out);
    while (set_iter_next(&it, &e)) reply_bulk(c, e.s, e.len);
    set_iter_release(&it);
    obj_free(out);
}

void smembers_command(client *c) {
    sinter_generic(c, &c->argv[1], 1, NULL, 0, 0);
}

void sinter_command(client *c) {
    sinter_generic(c, &c->argv[1], c->argc - 1, NULL, 0, 0);
}

void sinterstore_command(client *c) {
    sinter_generic(c, &c->argv[2], c->argc - 2, &c->argv[1], 0, 0);
}

void sintercard_command(client *c) {
    long long numkeys, limit = 0;
    if (!coll_get_range_long_or_reply(c, &c->argv[1], 1, LLONG_MAX, &numkeys, "numkeys should be greater than 0"))
        return;
    if (numkeys > c->argc - 2) {
        reply_error(c, "Number of keys can't be greater than number of args");
        return;
    }
    for (int i = 2 + (int)numkeys; i < c->argc; i++) {
        if (i + 1 < c->argc && arg_is(c->argv[i].ptr, c->argv[i].len, "limit")) {
            if (!coll_get_positive_long_or_reply(c, &c->argv[++i], &limit, "LIMIT can't be negative")) return;
        } else {
            reply_error(c, ERR_SYNTAX);
            return;
        }
    }
    sinter_generic(c, &c->argv[2], (int)numkeys, NULL, 1, limit);
}

void sunion_command(client *c) {
    sunion_diff_generic(c, &c->argv[1], c->argc - 1, NULL, 0);
}

void sunionstore_command(client *c) {
    sunion_diff_generic(c, &c->argv[2], c->argc - 2, &c->argv[1], 0);
}

void sdiff_command(client *c) {
    sunion_diff_generic(c, &c->argv[1], c->argc - 1, NULL, 1);
}

void sdiffstore_command(client *c) {
    sunion_diff_generic(c, &c->argv[2], c->argc - 2, &c->argv[1], 1);
}

/* ---- SSCAN ------------------------------------------------------------------------------- */

void sscan_command(client *c) {
    uint64_t cursor;
    kobj *o;
    collScanOpts opts;
    if (!coll_scan_cursor_or_reply(c, &c->argv[2], &cursor)) return;
    if (!coll_lookup_read(c, &c->argv[1], OBJ_SET, &o)) return;
    if (!o) {
        coll_scan_reply_empty(c);
        return;
    }
    if (!coll_scan_opts_or_reply(c, 3, &opts)) return;
    if (o->encoding == ENC_HT) {
        coll_table_scan_reply(c, SET_TABLE(o), cursor, &opts, 0);
        return;
    }
    /* An intset is returned whole, with cursor 0. */
    collScanReply r;
    setIter it;
    setElem e;
    coll_scan_begin(c, &r, &opts, 0);
    set_iter_init(&it, o);
    while (set_iter_next(&it, &e)) coll_scan_emit(c, &r, e.s, e.len, 0, NULL, 0);
    set_iter_release(&it);
    coll_scan_end(c, &r);
}
