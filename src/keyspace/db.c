/* db.c - databases; see db.h. */
#include "keyspace/db.h"

#include <string.h>

#include "util/mem.h"
#include "util/util.h"

/* Growth of a keyspace table that would push used memory past maxmemory waits (the table's
 * load factor rises instead), so that resizing never causes evictions. */
static int keyspace_grow_allowed(size_t bytes) {
    return !server.maxmemory || mem_used() + bytes <= (size_t)server.maxmemory;
}

static void keyspace_entry_free(void *entry) {
    obj_free(entry);
}

static const tableType keyspace_type = {
    .entry_key = obj_table_key,
    .entry_free = keyspace_entry_free,
    .hash = NULL,
    .grow_allowed = keyspace_grow_allowed,
};

void db_init_all(void) {
    server.db = kcalloc(sizeof(kdb) * (size_t)server.dbnum);
    for (int i = 0; i < server.dbnum; i++) server.db[i].id = i;
}

void db_free_all(void) {
    if (!server.db) return;
    for (int i = 0; i < server.dbnum; i++) {
        db_flush(&server.db[i], 0);
        if (server.db[i].keys) tableRelease(server.db[i].keys);
        kfree(server.db[i].ttl.slots);
    }
    kfree(server.db);
    server.db = NULL;
}

kdb *db_by_id(int id) {
    return id >= 0 && id < server.dbnum ? &server.db[id] : NULL;
}

table *db_keys(kdb *db) {
    if (!db->keys) db->keys = tableCreate(&keyspace_type);
    return db->keys;
}

int obj_is_expired(const kobj *o) {
    if (!o->has_expire) return 0;
    return obj_expire(o) <= server_time_ms();
}

int db_expire_if_needed(kdb *db, kobj *o) {
    if (!obj_is_expired(o)) return 0;
    server.stat_expiredkeys++;
    char key[256];
    size_t klen = obj_keylen(o);
    /* Keep a copy of short names for the notification; long ones are rare and notified truncated. */
    size_t copy = klen < sizeof(key) ? klen : sizeof(key);
    memcpy(key, obj_key(o), copy);
    tableDeleteEntry(db_keys(db), o);
    ttl_remove(db, o);
    db_free_obj(o, server.lazyfree_lazy_expire);
    notify_keyspace_event(NOTIFY_EXPIRED, "expired", key, copy, db->id);
    signal_modified_key(NULL, db, key, copy);
    return 1;
}

kobj *db_lookup(kdb *db, const char *key, size_t len, int flags) {
    kobj *o = db->keys ? tableFind(db->keys, key, len) : NULL;
    if (o && obj_is_expired(o)) {
        if (!(flags & LOOKUP_NOEXPIRE)) db_expire_if_needed(db, o);
        o = NULL;
    }
    if (!(flags & LOOKUP_NOSTATS)) {
        if (o)
            server.stat_keyspace_hits++;
        else
            server.stat_keyspace_misses++;
    }
    if (o && !(flags & LOOKUP_NOTOUCH)) o->lru = lru_clock();
    return o;
}

kobj *db_lookup_read(kdb *db, const char *key, size_t len) {
    return db_lookup(db, key, len, LOOKUP_NONE);
}

kobj *db_lookup_write(kdb *db, const char *key, size_t len) {
    return db_lookup(db, key, len, LOOKUP_NOSTATS);
}

void db_add(kdb *db, kobj *o) {
    o->lru = lru_clock();
    tableAdd(db_keys(db), o);
    if (o->has_expire) ttl_add(db, o);
}

kobj *db_set(kdb *db, kobj *o, int keep_ttl) {
    table *t = db_keys(db);
    kobj *old = tableFind(t, obj_key(o), obj_keylen(o));
    if (!old) {
        db_add(db, o);
        return o;
    }
    long long when = keep_ttl ? obj_expire(old) : OBJ_NO_EXPIRE;
    if (old->has_expire) ttl_remove(db, old);
    if (when != OBJ_NO_EXPIRE) {
        o = obj_with_expire_area(o, 1);
        obj_set_expire_inplace(o, when);
    }
    o->lru = lru_clock();
    o->link = old->link;   /* the replacement takes the old entry's place in its chain */
    tableReplaceEntry(t, old, o);
    if (o->has_expire) ttl_add(db, o);
    db_free_obj(old, server.lazyfree_lazy_server_del);
    return o;
}

void db_replace(kdb *db, kobj *old_o, kobj *new_o) {
    if (old_o == new_o) return;
    tableReplaceEntry(db_keys(db), old_o, new_o);
    if (new_o->has_expire) ttl_moved(db, new_o);
}

static int delete_key(kdb *db, const char *key, size_t len, int async) {
    if (!db->keys) return 0;
    kobj *o = tableDelete(db->keys, key, len);
    if (!o) return 0;
    if (o->has_expire) ttl_remove(db, o);
    db_free_obj(o, async);
    return 1;
}

int db_delete(kdb *db, const char *key, size_t len) {
    return delete_key(db, key, len, server.lazyfree_lazy_user_del);
}

int db_delete_async(kdb *db, const char *key, size_t len) {
    return delete_key(db, key, len, 1);
}

kobj *db_set_expire(kdb *db, kobj *o, long long when_ms) {
    if (!o->has_expire) {
        kobj *n = obj_with_expire_area(o, 1);
        if (n != o) tableReplaceEntry(db_keys(db), o, n);
        obj_set_expire_inplace(n, when_ms);
        ttl_add(db, n);
        return n;
    }
    obj_set_expire_inplace(o, when_ms);
    return o;
}

kobj *db_persist(kdb *db, kobj *o) {
    if (!o->has_expire) return o;
    ttl_remove(db, o);
    kobj *n = obj_with_expire_area(o, 0);
    if (n != o) tableReplaceEntry(db_keys(db), o, n);
    return n;
}

long long db_flush(kdb *db, int async) {
    if (!db->keys) return 0;
    (void)async; /* handing the whole table to a background thread arrives with lazy freeing */
    long long removed = (long long)tableSize(db->keys);
    ttl_clear(db);
    tableClear(db->keys);
    return removed;
}

void db_swap(kdb *a, kdb *b) {
    kdb tmp = *a;
    a->keys = b->keys;
    a->ttl = b->ttl;
    a->avg_ttl = b->avg_ttl;
    b->keys = tmp.keys;
    b->ttl = tmp.ttl;
    b->avg_ttl = tmp.avg_ttl;
}

size_t db_size(kdb *db) {
    return db->keys ? tableSize(db->keys) : 0;
}

size_t db_expires(kdb *db) {
    return db->ttl.len;
}

kobj *db_random(kdb *db) {
    if (!db->keys) return NULL;
    /* If every key is expired, give up after a bounded number of tries (like Redis). */
    for (int tries = 0; tries < 100; tries++) {
        kobj *o = tableRandom(db->keys);
        if (!o) return NULL;
        if (!db_expire_if_needed(db, o)) return o;
    }
    return NULL;
}

void db_free_obj(kobj *o, int async) {
    (void)async; /* background freeing arrives with the lazy-free work */
    obj_free(o);
}

void signal_modified_key(client *c, kdb *db, const char *key, size_t len) {
    (void)c;
    (void)db;
    (void)key;
    (void)len;
    server.dirty++;
}

void notify_keyspace_event(int type, const char *event, const char *key, size_t klen, int dbid) {
    (void)event;
    (void)key;
    (void)klen;
    (void)dbid;
    /* Publishing needs pub/sub; until it lands notify-keyspace-events stays empty. */
    if (!(server.notify_keyspace_events & type)) return;
}
