/* db.c - databases; see db.h.
 *
 * Invariants kept here: an entry is linked in its database's table iff it is owned by it, and
 * has_expire entries are exactly those in the TTL index (every add, unlink and move below
 * updates both together). An expired entry is deleted the first time a lookup touches it.
 * Every function that changes an entry calls key_will_change (hooks.h) before touching it. */
#include "keyspace/db.h"

#include <assert.h>
#include <string.h>

#include "keyspace/evict.h"
#include "keyspace/expire.h"
#include "keyspace/hooks.h"
#include "keyspace/lazyfree.h"
#include "util/crc16.h"
#include "util/mem.h"
#include "util/util.h"

keyspaceConfig keyspace_config;
keyspaceStats keyspace_stats;
keyspaceHooks keyspace_hooks;

static kdb *dbs;
static int ndbs;

static void will_change(kdb *db, const char *key, size_t len, const kobj *o) {
    if (keyspace_hooks.key_will_change) keyspace_hooks.key_will_change(db, key, len, o);
}

static void will_change_entry(kdb *db, const kobj *o) {
    if (keyspace_hooks.key_will_change) keyspace_hooks.key_will_change(db, obj_key(o), obj_keylen(o), o);
}

static void deleted(kdb *db, kobj *o, keyDeleteReason why) {
    if (keyspace_hooks.key_deleted) keyspace_hooks.key_deleted(db, o, why);
}

/* Growth of a keyspace table that would push used memory past maxmemory waits (the table's
 * load factor rises instead), so that resizing never causes evictions. */
static int keyspace_grow_allowed(size_t bytes) {
    long long max = *keyspace_config.maxmemory;
    return !max || mem_used() + bytes <= (size_t)max;
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

void db_init_all(int dbnum) {
    dbs = kcalloc(sizeof(kdb) * (size_t)dbnum);
    ndbs = dbnum;
    for (int i = 0; i < dbnum; i++) dbs[i].id = i;
}

void db_free_all(void) {
    if (!dbs) return;
    for (int i = 0; i < ndbs; i++) {
        db_flush(&dbs[i], 0);
        if (dbs[i].keys) tableRelease(dbs[i].keys);
        kfree(dbs[i].ttl.hashes);
        kfree(dbs[i].slot_keys);
    }
    kfree(dbs);
    dbs = NULL;
    ndbs = 0;
}

int db_count(void) {
    return ndbs;
}

kdb *db_by_id(int id) {
    return id >= 0 && id < ndbs ? &dbs[id] : NULL;
}

table *db_keys(kdb *db) {
    if (!db->keys) db->keys = tableCreate(&keyspace_type);
    return db->keys;
}

int obj_is_expired(const kobj *o) {
    if (!o->has_expire || (keyspace_config.loading && *keyspace_config.loading)) return 0;
    return obj_expire(o) <= keyspace_config.now_ms();
}

static int expire_mode(void) {
    return keyspace_config.expire_mode ? keyspace_config.expire_mode() : KEYS_EXPIRE;
}

/* Deletes o, which expired. */
static void expire_now(kdb *db, kobj *o) {
    db_unlink(db, o);
    /* Announced while the unlinked entry, and so its key bytes, is still allocated. */
    deleted(db, o, KEY_DELETED_EXPIRED);
    db_free_obj(o, *keyspace_config.lazyfree_lazy_expire);
}

int db_expire_if_needed(kdb *db, kobj *o) {
    if (!obj_is_expired(o)) return 0;
    int mode = expire_mode();
    if (mode == KEYS_KEEP_EXPIRED) return 0;
    if (mode == KEYS_EXPIRE) expire_now(db, o);
    return 1;
}

int db_expire_own_key(kdb *db, const char *key, size_t len) {
    kobj *o = db->keys ? tableFind(db->keys, key, len) : NULL;
    if (!o || obj_expire(o) == OBJ_NO_EXPIRE) return -1;
    if (!obj_is_expired(o)) return 0;
    expire_now(db, o);
    return 1;
}

void db_reclaim_if_expired(kdb *db, const char *key, size_t len) {
    kobj *o = db->keys ? tableFind(db->keys, key, len) : NULL;
    if (o) db_expire_if_needed(db, o);
}

kobj *db_lookup(kdb *db, const char *key, size_t len, int flags) {
    kobj *o = db->keys ? tableFind(db->keys, key, len) : NULL;
    /* A write on a writable replica replaces an expired key: it goes first, as in Redis. */
    if (o && (flags & LOOKUP_NONOTIFY) && obj_is_expired(o) && expire_mode() == KEYS_HIDE_EXPIRED) {
        expire_now(db, o);
        o = NULL;
    }
    if (o && db_expire_if_needed(db, o)) o = NULL;
    if (!o && !(flags & LOOKUP_NONOTIFY) && keyspace_hooks.key_miss) keyspace_hooks.key_miss(db, key, len);
    if (!(flags & LOOKUP_NOSTATS)) {
        if (o)
            keyspace_stats.hits++;
        else
            keyspace_stats.misses++;
    }
    if (o && !(flags & LOOKUP_NOTOUCH)) evict_touch(o);   /* evict.c: LRU clock or LFU counter */
    return o;
}

kobj *db_lookup_read(kdb *db, const char *key, size_t len) {
    return db_lookup(db, key, len, LOOKUP_NONE);
}

kobj *db_lookup_write(kdb *db, const char *key, size_t len) {
    kobj *o = db_lookup(db, key, len, LOOKUP_NOSTATS | LOOKUP_NONOTIFY);
    if (o) will_change_entry(db, o);
    return o;
}

void db_will_change(kdb *db, const kobj *o) {
    will_change_entry(db, o);
}

/* Adds o unless its key is present (0, nothing changed): one hash and one chain walk. */
static int add_if_absent(kdb *db, kobj *o) {
    will_change(db, obj_key(o), obj_keylen(o), NULL);
    o->lru = evict_new_lru();
    if (!tableAdd(db_keys(db), o)) return 0;
    if (db->slot_keys) db->slot_keys[key_hash_slot(obj_key(o), obj_keylen(o))]++;
    if (o->has_expire) ttl_add(db, o);
    if (keyspace_hooks.key_added) keyspace_hooks.key_added(db, obj_key(o), obj_keylen(o));
    /* The types blocking commands wait on: a new one may serve clients blocked on this key. */
    if ((o->type == OBJ_LIST || o->type == OBJ_ZSET || o->type == OBJ_STREAM) && keyspace_hooks.key_ready)
        keyspace_hooks.key_ready(db, obj_key(o), obj_keylen(o));
    return 1;
}

void db_add(kdb *db, kobj *o) {
    int added = add_if_absent(db, o);
    assert(added && "db_add: the key must be absent");
    (void)added;
}

static kobj *with_expire(kobj *o, long long when_ms) {
    if (when_ms == OBJ_NO_EXPIRE) return o;
    o = obj_with_expire_area(o, 1);
    obj_set_expire_inplace(o, when_ms);
    return o;
}

kobj *db_add_with_expire(kdb *db, kobj *o, long long when_ms) {
    o = with_expire(o, when_ms);
    db_add(db, o);
    return o;
}

uint64_t db_prefetch_key(kdb *db, const char *key, size_t len) {
    table *t = db_keys(db);
    uint64_t hash = tableHashKey(t, key, len);
    tablePrefetch(t, hash);
    return hash;
}

void *db_prefetch_step(kdb *db, uint64_t hash, void *entry) {
    return tablePrefetchStep(db_keys(db), hash, entry);
}

kobj *db_add_new_with_expire(kdb *db, kobj *o, long long when_ms) {
    o = with_expire(o, when_ms);
    if (add_if_absent(db, o)) return o;
    obj_free(o);
    return NULL;
}

void db_unlink(kdb *db, kobj *o) {
    will_change_entry(db, o);
    tableDeleteEntry(db_keys(db), o);
    if (db->slot_keys) db->slot_keys[key_hash_slot(obj_key(o), obj_keylen(o))]--;
    if (o->has_expire) ttl_remove(db, o);
    /* Clients blocked in XREADGROUP on a stream fail when it goes (deleted, moved, renamed). */
    if (o->type == OBJ_STREAM && keyspace_hooks.key_ready) keyspace_hooks.key_ready(db, obj_key(o), obj_keylen(o));
}

kobj *db_set(kdb *db, kobj *o, int keep_ttl) {
    table *t = db_keys(db);
    kobj *old = tableFind(t, obj_key(o), obj_keylen(o));
    if (!old) {
        db_add(db, o);
        return o;
    }
    will_change_entry(db, old);
    long long when = keep_ttl ? obj_expire(old) : OBJ_NO_EXPIRE;
    if (old->has_expire) ttl_remove(db, old);
    if (when != OBJ_NO_EXPIRE) {
        o = obj_with_expire_area(o, 1);
        obj_set_expire_inplace(o, when);
    }
    /* Under LFU an overwritten key keeps its access frequency, as in Redis. */
    o->lru = evict_policy_is_lfu() ? old->lru : evict_new_lru();
    /* Clients blocked in XREADGROUP fail when their stream is overwritten. */
    if (old->type == OBJ_STREAM && keyspace_hooks.key_ready) keyspace_hooks.key_ready(db, obj_key(old), obj_keylen(old));
    o->link = old->link;    /* tableReplaceEntry keeps the chain only through the new entry's link */
    tableReplaceEntry(t, old, o);
    if (o->has_expire) ttl_add(db, o);
    db_free_obj(old, *keyspace_config.lazyfree_lazy_server_del);
    return o;
}

void db_replace(kdb *db, kobj *old_o, kobj *new_o) {
    if (old_o == new_o) return;
    tableReplaceEntry(db_keys(db), old_o, new_o);   /* the TTL index holds hashes: nothing to fix */
}

static int delete_key(kdb *db, const char *key, size_t len, int async) {
    if (!db->keys) return 0;
    kobj *o = tableFind(db->keys, key, len);
    if (!o) return 0;
    db_unlink(db, o);
    deleted(db, o, KEY_DELETED_USER);
    db_free_obj(o, async);
    return 1;
}

int db_delete(kdb *db, const char *key, size_t len) {
    return delete_key(db, key, len, *keyspace_config.lazyfree_lazy_user_del);
}

int db_delete_async(kdb *db, const char *key, size_t len) {
    return delete_key(db, key, len, 1);
}

kobj *db_set_expire(kdb *db, kobj *o, long long when_ms) {
    will_change_entry(db, o);
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
    will_change_entry(db, o);
    ttl_remove(db, o);
    kobj *n = obj_with_expire_area(o, 0);
    if (n != o) tableReplaceEntry(db_keys(db), o, n);
    return n;
}

long long db_flush(kdb *db, int async) {
    if (keyspace_hooks.db_will_empty) keyspace_hooks.db_will_empty(db);
    if (!db->keys) return 0;
    long long removed = (long long)tableSize(db->keys);
    db->avg_ttl = 0;
    if (db->slot_keys) memset(db->slot_keys, 0, sizeof(uint32_t) * CLUSTER_SLOTS);
    if (async && removed) {
        /* lazyfree.c: the table and the TTL array change hands in O(1); db_keys() makes a new
         * table on next use. Nothing here keeps a pointer into them: the TTL index is reset,
         * the expire cycle and the eviction pool hold db ids and key names only. */
        lazyfree_db(db->keys, db->ttl.hashes, (size_t)removed);
        db->keys = NULL;
        memset(&db->ttl, 0, sizeof(db->ttl));
        return removed;
    }
    ttl_clear(db);
    tableClear(db->keys);
    return removed;
}

void db_swap(kdb *a, kdb *b) {
    if (keyspace_hooks.dbs_will_swap) keyspace_hooks.dbs_will_swap(a, b);
    kdb tmp = *a;
    a->keys = b->keys;
    a->ttl = b->ttl;
    a->avg_ttl = b->avg_ttl;
    b->keys = tmp.keys;
    b->ttl = tmp.ttl;
    b->avg_ttl = tmp.avg_ttl;
    a->slot_keys = b->slot_keys;   /* the counts describe the tables, so they go with them */
    b->slot_keys = tmp.slot_keys;
    if (keyspace_hooks.dbs_swapped) keyspace_hooks.dbs_swapped(a, b);
}

void db_stash(kdb *db, kdb *saved) {
    *saved = *db;
    db->keys = NULL;
    memset(&db->ttl, 0, sizeof(db->ttl));
    db->avg_ttl = 0;
    db->slot_keys = NULL;
    if (saved->slot_keys) db_count_slots(db);
}

void db_stash_restore(kdb *db, kdb *saved) {
    db_flush(db, 0);
    if (db->keys) tableRelease(db->keys);
    kfree(db->ttl.hashes);
    kfree(db->slot_keys);
    db->keys = saved->keys;
    db->ttl = saved->ttl;
    db->avg_ttl = saved->avg_ttl;
    db->slot_keys = saved->slot_keys;
    memset(saved, 0, sizeof(*saved));
}

void db_stash_free(kdb *saved) {
    if (saved->keys && tableSize(saved->keys)) lazyfree_db(saved->keys, saved->ttl.hashes, tableSize(saved->keys));
    else {
        if (saved->keys) tableRelease(saved->keys);
        kfree(saved->ttl.hashes);
    }
    kfree(saved->slot_keys);
    memset(saved, 0, sizeof(*saved));
}

void db_count_slots(kdb *db) {
    if (!db->slot_keys) db->slot_keys = kcalloc(sizeof(uint32_t) * CLUSTER_SLOTS);
}

size_t db_slot_size(kdb *db, int slot) {
    return db->slot_keys ? db->slot_keys[slot] : 0;
}

size_t db_slot_keys(kdb *db, int slot, kobj **out, size_t max) {
    size_t want = db_slot_size(db, slot), n = 0;
    if (want > max) want = max;
    if (!want || !db->keys) return 0;
    tableIter it;
    tableIterInit(&it, db->keys, 0);
    kobj *o;
    while (n < want && (o = tableIterNext(&it)) != NULL)
        if (key_hash_slot(obj_key(o), obj_keylen(o)) == slot) out[n++] = o;
    tableIterRelease(&it);
    return n;
}

size_t db_size(kdb *db) {
    return db->keys ? tableSize(db->keys) : 0;
}

size_t db_expires(kdb *db) {
    return db->ttl.len;
}

kobj *db_random(kdb *db) {
    if (!db->keys) return NULL;
    /* As Redis on a master: every expired pick is reclaimed, so this ends with a live key or an
     * empty table, however many keys had expired. */
    for (;;) {
        kobj *o = tableRandom(db->keys);
        if (!o || !db_expire_if_needed(db, o)) return o;
    }
}

void db_free_obj(kobj *o, int async) {
    lazyfree_obj(o, async);   /* large values go to the lazy-free thread when async */
}
