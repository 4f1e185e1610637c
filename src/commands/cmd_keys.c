/* cmd_keys.c - generic key commands: DEL, UNLINK, EXISTS, TYPE, TOUCH, RENAME, RENAMENX, COPY,
 * MOVE, SWAPDB, KEYS, SCAN, RANDOMKEY, DBSIZE, FLUSHDB, FLUSHALL.
 *
 * Replies and errors are redis-server 7.0.15's. No command ever returns an expired key: keys
 * are read through db_lookup*(), which reclaims expired ones. Following 7.0, KEYS only skips
 * expired keys (DBSIZE still counts them until something reclaims them), while SCAN, RANDOMKEY
 * and DEL reclaim the expired keys they meet. Entries are moved between names and databases
 * whole (obj_rekey, db_unlink + db_add), keeping their TTL. Argument parsing shares Redis's
 * numeric and cursor rules with the aggregate types (types/collection.h, types/coll_scan.h). */
#include <limits.h>
#include <string.h>
#include <strings.h>

#include "commands/commands.h"
#include "core/notify.h"
#include "keyspace/db.h"
#include "persist/bgsave.h"
#include "persist/persist.h"
#include "persist/wstream.h"
#include "protocol/reply.h"
#include "types/coll_scan.h"
#include "types/collection.h"
#include "util/mem.h"
#include "util/util.h"

#define ERR_SAME_OBJECT "source and destination objects are the same"

/* ---------------------------------------------------------------- argument helpers */

/* getIntFromObjectOrReply: a strict integer in int range; `msg` replaces both errors if set. */
static int arg_int(client *c, const karg *a, const char *msg, int *out) {
    long long v;
    if (!coll_get_range_long_or_reply(c, a, INT_MIN, INT_MAX, &v, msg)) return 0;
    *out = (int)v;
    return 1;
}

/* A database number argument (MOVE, COPY ... DB): NULL after replying an error. */
static kdb *arg_db(client *c, const karg *a) {
    int id;
    if (!arg_int(c, a, NULL, &id)) return NULL;
    kdb *db = db_by_id(id);
    if (!db) reply_error(c, ERR_DB_INDEX);
    return db;
}

static int same_arg(const karg *a, const karg *b) {
    return a->len == b->len && memcmp(a->ptr, b->ptr, a->len) == 0;
}

/* The bookkeeping of a write to one key: WATCH/tracking, then the keyspace event. */
static void key_written(client *c, kdb *db, const karg *key, const char *event) {
    signal_modified_key(c, db, key->ptr, key->len);
    notify_keyspace_event(NOTIFY_GENERIC, event, key->ptr, key->len, db->id);
}

/* ---------------------------------------------------------------- DEL, EXISTS, TYPE, TOUCH */

static void del_generic(client *c, int async) {
    long long n = 0;
    for (int i = 1; i < c->argc; i++) {
        const karg *k = &c->argv[i];
        db_reclaim_if_expired(c->db, k->ptr, k->len);   /* an expired key counts as absent */
        int gone = async ? db_delete_async(c->db, k->ptr, k->len) : db_delete(c->db, k->ptr, k->len);
        if (!gone) continue;
        key_written(c, c->db, k, "del");
        n++;
    }
    reply_integer(c, n);
}

void del_command(client *c) {
    del_generic(c, 0);
}

void unlink_command(client *c) {
    del_generic(c, 1);
}

void exists_command(client *c) {
    long long n = 0;
    for (int i = 1; i < c->argc; i++)
        if (db_lookup(c->db, c->argv[i].ptr, c->argv[i].len, LOOKUP_NOTOUCH)) n++;
    reply_integer(c, n);
}

void type_command(client *c) {
    kobj *o = db_lookup(c->db, c->argv[1].ptr, c->argv[1].len, LOOKUP_NOTOUCH);
    reply_status(c, o ? obj_type_name(o->type) : "none");
}

void touch_command(client *c) {
    long long n = 0;
    for (int i = 1; i < c->argc; i++)
        if (db_lookup_read(c->db, c->argv[i].ptr, c->argv[i].len)) n++;
    reply_integer(c, n);
}

/* ---------------------------------------------------------------- RENAME, COPY, MOVE, SWAPDB */

static void rename_generic(client *c, int nx) {
    const karg *src = &c->argv[1], *dst = &c->argv[2];
    kobj *o = db_lookup_write(c->db, src->ptr, src->len);
    if (!o) {
        reply_error(c, ERR_NOSUCHKEY);
        return;
    }
    if (same_arg(src, dst)) {   /* Redis 7: a no-op on an existing key */
        if (nx)
            reply_integer(c, 0);
        else
            reply_ok(c);
        return;
    }
    if (db_lookup_write(c->db, dst->ptr, dst->len)) {
        if (nx) {
            reply_integer(c, 0);
            return;
        }
        db_delete(c->db, dst->ptr, dst->len);
    }
    long long when = obj_expire(o);
    uint32_t access = o->lru;   /* the key keeps its LRU/LFU data under its new name, as in Redis */
    db_unlink(c->db, o);
    db_add_with_expire(c->db, obj_rekey(o, dst->ptr, dst->len), when)->lru = access;
    signal_modified_key(c, c->db, src->ptr, src->len);
    signal_modified_key(c, c->db, dst->ptr, dst->len);
    notify_keyspace_event(NOTIFY_GENERIC, "rename_from", src->ptr, src->len, c->db->id);
    notify_keyspace_event(NOTIFY_GENERIC, "rename_to", dst->ptr, dst->len, c->db->id);
    if (nx)
        reply_integer(c, 1);
    else
        reply_ok(c);
}

void rename_command(client *c) {
    rename_generic(c, 0);
}

void renamenx_command(client *c) {
    rename_generic(c, 1);
}

/* COPY source destination [DB destination-db] [REPLACE] */
void copy_command(client *c) {
    const karg *src = &c->argv[1], *dst = &c->argv[2];
    kdb *to = c->db;
    int replace = 0;
    for (int j = 3; j < c->argc; j++) {
        const karg *a = &c->argv[j];
        if (arg_is(a->ptr, a->len, "replace")) {
            replace = 1;
        } else if (arg_is(a->ptr, a->len, "db") && j + 1 < c->argc) {
            if (!(to = arg_db(c, &c->argv[++j]))) return;
        } else {
            reply_error(c, ERR_SYNTAX);
            return;
        }
    }
    if (server.cluster_enabled && (c->db->id != 0 || to->id != 0)) {
        reply_error(c, "Copying to another database is not allowed in cluster mode");
        return;
    }
    if (to == c->db && same_arg(src, dst)) {
        reply_error(c, ERR_SAME_OBJECT);
        return;
    }
    kobj *o = db_lookup_read(c->db, src->ptr, src->len);
    if (!o) {
        reply_integer(c, 0);
        return;
    }
    if (db_lookup_write(to, dst->ptr, dst->len)) {
        if (!replace) {
            reply_integer(c, 0);
            return;
        }
        db_delete(to, dst->ptr, dst->len);
    }
    db_add_with_expire(to, obj_dup(o, dst->ptr, dst->len), obj_expire(o));
    key_written(c, to, dst, "copy_to");
    reply_integer(c, 1);
}

void move_command(client *c) {
    const karg *key = &c->argv[1];
    if (server.cluster_enabled) {
        reply_error(c, "MOVE is not allowed in cluster mode");
        return;
    }
    kdb *to = arg_db(c, &c->argv[2]);
    if (!to) return;
    if (to == c->db) {
        reply_error(c, ERR_SAME_OBJECT);
        return;
    }
    kobj *o = db_lookup_write(c->db, key->ptr, key->len);
    if (!o || db_lookup_write(to, key->ptr, key->len)) {
        reply_integer(c, 0);
        return;
    }
    uint32_t access = o->lru;   /* the key keeps its LRU/LFU data in `to`, as in Redis */
    db_unlink(c->db, o);
    db_add(to, o);              /* the entry keeps its TTL area; db_add indexes it in `to` */
    o->lru = access;
    signal_modified_key(c, c->db, key->ptr, key->len);
    signal_modified_key(c, to, key->ptr, key->len);
    notify_keyspace_event(NOTIFY_GENERIC, "move_from", key->ptr, key->len, c->db->id);
    notify_keyspace_event(NOTIFY_GENERIC, "move_to", key->ptr, key->len, to->id);
    reply_integer(c, 1);
}

void swapdb_command(client *c) {
    int id1, id2;
    if (server.cluster_enabled) {
        reply_error(c, "SWAPDB is not allowed in cluster mode");
        return;
    }
    if (!arg_int(c, &c->argv[1], "invalid first DB index", &id1)) return;
    if (!arg_int(c, &c->argv[2], "invalid second DB index", &id2)) return;
    kdb *a = db_by_id(id1), *b = db_by_id(id2);
    if (!a || !b) {
        reply_error(c, ERR_DB_INDEX);
        return;
    }
    if (a != b) db_swap(a, b);   /* clients keep their kdb pointer, so they see the swap */
    server.dirty++;
    reply_ok(c);
}

/* ---------------------------------------------------------------- KEYS, RANDOMKEY */

/* A pattern without * ? [ or \ matches exactly one string: itself. */
static int is_literal_pattern(const char *p, size_t len) {
    for (size_t i = 0; i < len; i++)
        if (p[i] == '*' || p[i] == '?' || p[i] == '[' || p[i] == '\\') return 0;
    return 1;
}

static void keys_literal(client *c, const karg *pat) {
    kobj *o = c->db->keys ? tableFind(c->db->keys, pat->ptr, pat->len) : NULL;
    if (!o || obj_is_expired(o)) {
        reply_empty_array(c);
        return;
    }
    reply_array_len(c, 1);
    reply_bulk(c, pat->ptr, pat->len);
}

void keys_command(client *c) {
    const karg *pat = &c->argv[1];
    if (is_literal_pattern(pat->ptr, pat->len)) {
        keys_literal(c, pat);
        return;
    }
    int all = pat->len == 1 && pat->ptr[0] == '*';
    long long n = 0;
    replyDeferred d = reply_deferred(c);
    if (c->db->keys) {
        /* Nothing modifies the table during the loop (expired keys are skipped, not deleted,
         * as in Redis 7.0), so the fast iterator is enough. */
        tableIter it;
        tableIterInit(&it, c->db->keys, 0);
        for (kobj *o; (o = tableIterNext(&it)) != NULL;) {
            if (!all && !glob_match(pat->ptr, pat->len, obj_key(o), obj_keylen(o), 0)) continue;
            if (obj_is_expired(o)) continue;
            reply_bulk(c, obj_key(o), obj_keylen(o));
            n++;
        }
        tableIterRelease(&it);
    }
    reply_set_deferred_array(c, d, n);
}

void randomkey_command(client *c) {
    kobj *o = db_random(c->db);
    if (!o)
        reply_null(c);
    else
        reply_bulk(c, obj_key(o), obj_keylen(o));
}

/* ---------------------------------------------------------------- SCAN */

/* SCAN's options: HSCAN's (MATCH, COUNT) plus TYPE, in one left-to-right pass so that the
 * first bad option is the one reported, as in Redis. */
typedef struct scanOptions {
    collScanOpts base;
    const char *type;           /* NUL-terminated; NULL when absent */
} scanOptions;

static int scan_parse_options(client *c, scanOptions *opt) {
    opt->base.pat = NULL;
    opt->base.plen = 0;
    opt->base.count = 10;
    opt->type = NULL;
    for (int i = 2; i < c->argc; i += 2) {
        const karg *a = &c->argv[i];
        int has_value = i + 1 < c->argc;
        if (has_value && arg_is(a->ptr, a->len, "type")) {
            opt->type = c->argv[i + 1].ptr;
        } else if (has_value && arg_is(a->ptr, a->len, "count")) {
            if (!arg_ll_or_reply(c, &c->argv[i + 1], &opt->base.count, NULL)) return 0;
            if (opt->base.count < 1) {
                reply_error(c, ERR_SYNTAX);
                return 0;
            }
        } else if (has_value && arg_is(a->ptr, a->len, "match")) {
            const karg *v = &c->argv[i + 1];
            int everything = v->len == 1 && v->ptr[0] == '*';
            opt->base.pat = everything ? NULL : v->ptr;
            opt->base.plen = everything ? 0 : v->len;
        } else {
            reply_error(c, ERR_SYNTAX);
            return 0;
        }
    }
    return 1;
}

/* The entries one scan step emitted (the table must not change while they are collected). */
typedef struct scanBatch {
    kobj **items;
    size_t n, cap;
} scanBatch;

static void scan_collect(void *privdata, void *entry) {
    scanBatch *b = privdata;
    if (b->n == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 16;
        b->items = krealloc(b->items, sizeof(kobj *) * b->cap);
    }
    b->items[b->n++] = entry;
}

/* Keeps the entries that pass MATCH and TYPE and are alive, reclaiming expired ones on the way
 * (each deletion frees only the entry at hand, so the others stay valid). */
static void scan_filter(kdb *db, const scanOptions *opt, scanBatch *b) {
    size_t kept = 0;
    for (size_t i = 0; i < b->n; i++) {
        kobj *o = b->items[i];
        const collScanOpts *m = &opt->base;
        if (m->pat && !glob_match(m->pat, m->plen, obj_key(o), obj_keylen(o), 0)) continue;
        if (db_expire_if_needed(db, o)) continue;
        if (opt->type && strcasecmp(opt->type, obj_type_name(o->type)) != 0) continue;
        b->items[kept++] = o;
    }
    b->n = kept;
}

void scan_command(client *c) {
    uint64_t cursor;
    scanOptions opt;
    if (!coll_scan_cursor_or_reply(c, &c->argv[1], &cursor)) return;
    if (!scan_parse_options(c, &opt)) return;
    scanBatch b = {NULL, 0, 0};
    if (c->db->keys)
        cursor = tableScan(c->db->keys, cursor, (size_t)opt.base.count, scan_collect, &b);
    else
        cursor = 0;
    scan_filter(c->db, &opt, &b);
    char buf[24];
    reply_array_len(c, 2);
    reply_bulk(c, buf, (size_t)ull_to_str(buf, sizeof(buf), cursor));
    reply_array_len(c, (long long)b.n);
    for (size_t i = 0; i < b.n; i++) reply_bulk(c, obj_key(b.items[i]), obj_keylen(b.items[i]));
    kfree(b.items);
}

/* ---------------------------------------------------------------- DBSIZE, FLUSHDB, FLUSHALL */

void dbsize_command(client *c) {
    reply_integer(c, (long long)db_size(c->db));
}

/* FLUSHDB/FLUSHALL [ASYNC|SYNC]: returns -1 after replying an error. */
static int flush_mode(client *c) {
    if (c->argc == 1) return server.lazyfree_lazy_user_flush;
    if (c->argc == 2 && arg_is(c->argv[1].ptr, c->argv[1].len, "sync")) return 0;
    if (c->argc == 2 && arg_is(c->argv[1].ptr, c->argv[1].len, "async")) return 1;
    reply_error(c, ERR_SYNTAX);
    return -1;
}

void flushdb_command(client *c) {
    int async = flush_mode(c);
    if (async < 0) return;
    server.dirty += db_flush(c->db, async);
    server.dirty++;   /* propagated even when the database was empty, as Redis */
    reply_ok(c);
}

/* As Redis: a BGSAVE in progress stops first (Redis kills its child), and with save points the
 * emptied data set is saved at once. */
void flushall_command(client *c) {
    int async = flush_mode(c);
    if (async < 0) return;
    bgsave_abort();
    for (int i = 0; i < server.dbnum; i++) server.dirty += db_flush(db_by_id(i), async);
    server.dirty++;
    if (persist_has_save_points()) persist_save();
    wstream_force();   /* the save zeroed server.dirty: FLUSHALL still propagates */
    reply_ok(c);
}
