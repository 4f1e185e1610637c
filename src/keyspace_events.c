/* keyspace_events.c - who reacts when the keyspace changes (keyspace/hooks.h), in one place.
 *
 *   key_will_change   the BGSAVE in progress (persist/bgsave.c): writes the old value first;
 *                     on a writable replica, keys its own clients write (their TTLs, src/repl/)
 *   key_deleted       expired/evicted: INFO counters, keyspace events, the write stream
 *                     (persist/wstream.c: DEL/UNLINK), WATCH and tracking
 *   key_added         the "new" keyspace event (not while the data set is loaded at start-up)
 *   key_ready         clients blocked on a list, sorted set or stream key
 *   key_miss          the "keymiss" keyspace event
 *   db_will_empty     the BGSAVE in progress (writes the rest of db), client-side caching
 *                     (null invalidation), WATCH, XREADGROUP waiters
 *   dbs_will_swap     the BGSAVE in progress (writes the rest of both), WATCH (keys existing
 *                     on either side changed), XREADGROUP waiters
 *   dbs_swapped       clients blocked on keys of either database */
#include "keyspace_events.h"

#include "core/blocking.h"
#include "core/client_evict.h"
#include "core/multi.h"
#include "core/notify.h"
#include "core/tracking.h"
#include "keyspace/hooks.h"
#include "persist/aof.h"
#include "persist/bgsave.h"
#include "persist/wstream.h"
#include "repl/repl.h"
#include "server.h"

static void key_will_change(kdb *db, const char *key, size_t len, const kobj *o) {
    bgsave_key_will_change(db, key, len, o);
    if (server.masterhost) repl_replica_key_written(db->id, key, len);   /* writable replicas' TTLs */
}

static void key_deleted(kdb *db, kobj *o, keyDeleteReason why) {
    switch (why) {
    case KEY_DELETED_USER: return;   /* the command announces its own deletions */
    case KEY_DELETED_EXPIRED:
        server.stat_expiredkeys++;
        notify_keyspace_event(NOTIFY_EXPIRED, "expired", obj_key(o), obj_keylen(o), db->id);
        wstream_key_removed(db->id, obj_key(o), obj_keylen(o), server.lazyfree_lazy_expire);
        break;
    case KEY_DELETED_EVICTED:
        server.stat_evictedkeys++;
        notify_keyspace_event(NOTIFY_EVICTED, "evicted", obj_key(o), obj_keylen(o), db->id);
        wstream_key_removed(db->id, obj_key(o), obj_keylen(o), server.lazyfree_lazy_eviction);
        break;
    }
    /* signal_modified_key but for server.dirty: as in Redis, expiry and eviction are not
     * changes a save point counts, nor make the command they happen under propagate. */
    multi_touch_key(db, obj_key(o), obj_keylen(o));
    tracking_invalidate_key(NULL, obj_key(o), obj_keylen(o));
}

static void key_added(kdb *db, const char *key, size_t len) {
    if (server.executing_depth > 0) notify_keyspace_event(NOTIFY_NEW, "new", key, len, db->id);
}

static void key_miss(kdb *db, const char *key, size_t len) {
    notify_keyspace_event(NOTIFY_KEY_MISS, "keymiss", key, len, db->id);
}

static void db_will_empty(kdb *db) {
    bgsave_db_will_empty(db);
    tracking_on_flush();
    multi_touch_db(db, NULL);
    blocking_signal_streams(db);    /* XREADGROUP waiters on its streams fail */
}

static void dbs_will_swap(kdb *a, kdb *b) {
    bgsave_dbs_will_swap(a, b);
    multi_touch_db(a, b);
    multi_touch_db(b, a);
    blocking_signal_streams(a);     /* XREADGROUP waiters on streams swapped away fail */
    blocking_signal_streams(b);
}

/* Clients stay blocked on their db's keys, which now name other values. */
static void dbs_swapped(kdb *a, kdb *b) {
    blocking_signal_db(a);
    blocking_signal_db(b);
}

/* A replica's keys expire only by its primary's DELs (src/repl/). While clients are paused
 * (CLIENT PAUSE, WRITE or ALL) nothing expires or is evicted either, as in Redis 7.0: an expired
 * key reads as missing and is deleted once the pause ends, so a replica sees no DEL meanwhile. */
static int expire_mode(void) {
    if (!server.masterhost) return server_clients_paused() ? KEYS_HIDE_EXPIRED : KEYS_EXPIRE;
    client *c = server.current_client;
    return c && (c->flags & CLIENT_MASTER) ? KEYS_KEEP_EXPIRED : KEYS_HIDE_EXPIRED;
}

/* Replicas' output and the AOF buffer are not counted against maxmemory: evicting for them
 * would only make the streams longer (Redis's freeMemoryGetNotCountedMemory): replicas' own
 * reply blocks and the shared replication buffer beyond repl-backlog-size. Nor are evicted
 * clients closing before the next poll (core/client_evict.c; Redis frees them at once). */
static size_t mem_not_counted(void) {
    return server.replica_output_bytes + repl_buffer_not_counted() + aof_buffer_memory() + clients_evicted_memory();
}

void keyspace_events_install(void) {
    keyspace_config = (keyspaceConfig){
        .maxmemory = &server.maxmemory,
        .maxmemory_policy = &server.maxmemory_policy,
        .maxmemory_samples = &server.maxmemory_samples,
        .maxmemory_eviction_tenacity = &server.maxmemory_eviction_tenacity,
        .lfu_log_factor = &server.lfu_log_factor,
        .lfu_decay_time = &server.lfu_decay_time,
        .lazyfree_lazy_eviction = &server.lazyfree_lazy_eviction,
        .lazyfree_lazy_expire = &server.lazyfree_lazy_expire,
        .lazyfree_lazy_server_del = &server.lazyfree_lazy_server_del,
        .lazyfree_lazy_user_del = &server.lazyfree_lazy_user_del,
        .active_expire_enabled = &server.active_expire_enabled,
        .active_expire_effort = &server.active_expire_effort,
        .hz = &server.hz,
        .now_ms = server_time_ms,
        .loading = &server.loading,
        .expire_mode = expire_mode,
        .mem_not_counted = mem_not_counted,
    };
    keyspace_hooks = (keyspaceHooks){
        .key_will_change = key_will_change,
        .key_deleted = key_deleted,
        .key_added = key_added,
        .key_ready = signal_key_as_ready,
        .key_miss = key_miss,
        .db_will_empty = db_will_empty,
        .dbs_will_swap = dbs_will_swap,
        .dbs_swapped = dbs_swapped,
    };
}
