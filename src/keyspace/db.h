/* db.h - databases: keys, lazy expiry, TTLs.
 *
 * Every read of a key goes through db_lookup*(), which deletes the key first if its TTL has
 * passed (lazy expiry), so no command can observe an expired key. Writes add, replace or delete
 * entries only through this module, which keeps the keyspace table and the TTL index in step.
 * Every change is announced through the keyspace hooks (hooks.h) before it is made; the
 * command that modified a key also calls signal_modified_key() (core/notify.h).
 *
 * The keyspace is a lower layer: it includes only util/, its own headers and the value types'.
 * What it needs of the server (settings, the clock) the server installs in keyspace_config. */
#ifndef KEEL_DB_H
#define KEEL_DB_H

#include <stddef.h>
#include <stdint.h>

#include "keyspace/object.h"
#include "keyspace/table.h"

/* Keys with a TTL, as a dense array: O(1) add/remove (swap with the last slot; each entry
 * stores its slot) and uniform sampling for the active expire cycle and volatile eviction.
 * A slot holds not a pointer but the low 32 bits of the key's hash in the keyspace table
 * (4 bytes a key instead of 8): that locates the key's bucket, and the key is the entry of that
 * chain with has_expire and ttl_slot == i (ttl_entry(), expire.h). So an entry that moves
 * (reallocation, defrag) needs no update here.
 * Invariant: for every i < len, exactly one entry of the chain tableChainFor(keys, hashes[i])
 * has has_expire and obj_ttl_slot() == i, and every entry with has_expire is such an entry. */
typedef struct ttlIndex {
    uint32_t *hashes;
    uint32_t len;
    uint32_t cap;
} ttlIndex;

typedef struct kdb {
    table *keys;            /* kobj entries; created on first use */
    ttlIndex ttl;
    int id;
    long long avg_ttl;      /* running estimate kept by the active expire cycle */
    /* Cluster mode, db 0: the number of keys of each hash slot (util/crc16.h), NULL otherwise.
     * Counts only, no pointers: it is exact after every add, unlink, flush (sync or async) and
     * swap, and nothing can leave it pointing at freed memory. */
    uint32_t *slot_keys;
} kdb;

/* The server settings the keyspace obeys. The fields point at the server's configuration, so
 * that CONFIG SET takes effect at once; the server fills them in before db_init_all(). */
typedef struct keyspaceConfig {
    const long long *maxmemory;             /* 0 = no limit */
    const int *maxmemory_policy;            /* index into evict_policy_names (evict.h) */
    const int *maxmemory_samples;
    const int *maxmemory_eviction_tenacity;
    const int *lfu_log_factor;
    const int *lfu_decay_time;
    const int *lazyfree_lazy_eviction, *lazyfree_lazy_expire, *lazyfree_lazy_server_del,
        *lazyfree_lazy_user_del;
    const int *active_expire_enabled;
    const int *active_expire_effort;
    const int *hz;
    /* "Now" in unix ms: one instant for a whole command, so every key it touches is judged
     * against the same time. */
    long long (*now_ms)(void);
    /* While loading a file nothing expires: keys are judged once it is loaded (Redis). */
    const int *loading;
    /* How expired keys are treated (a replica's are its primary's to delete: Redis 7.0's rule);
     * a replica also never evicts. NULL means KEYS_EXPIRE. */
    int (*expire_mode)(void);
    /* Memory that maxmemory does not count (replicas' output buffers, as Redis's
     * freeMemoryGetNotCountedMemory). NULL means none. */
    size_t (*mem_not_counted)(void);
} keyspaceConfig;

enum {
    KEYS_EXPIRE = 0,        /* a primary: expired keys are deleted when met, and actively */
    KEYS_HIDE_EXPIRED,      /* a replica serving a client, or clients paused: reads don't see
                               them, nothing deletes them */
    KEYS_KEEP_EXPIRED,      /* a replica applying its primary's stream: they are live keys */
};

extern keyspaceConfig keyspace_config;

/* Counters for INFO stats (CONFIG RESETSTAT zeroes them). */
typedef struct keyspaceStats {
    long long hits, misses;                 /* lookups that found / missed a key */
    long long expire_cycle_us;              /* time the active expire cycles took */
} keyspaceStats;

extern keyspaceStats keyspace_stats;

#define LOOKUP_NONE 0
#define LOOKUP_NOTOUCH (1 << 0)   /* don't update the LRU/LFU data (TYPE, OBJECT, TTL...) */
#define LOOKUP_NOSTATS (1 << 1)   /* don't count keyspace hits/misses (writes) */
#define LOOKUP_NONOTIFY (1 << 2)  /* no key_miss hook on a miss (writes) */

void db_init_all(int dbnum);
void db_free_all(void);
int db_count(void);
kdb *db_by_id(int id);                              /* NULL if out of range */
table *db_keys(kdb *db);                            /* creates the table on first use */

kobj *db_lookup(kdb *db, const char *key, size_t len, int flags);
kobj *db_lookup_read(kdb *db, const char *key, size_t len);
/* For a command that may modify the entry it finds: announces key_will_change first, so the
 * command may then change the value in place. */
kobj *db_lookup_write(kdb *db, const char *key, size_t len);
/* Announces key_will_change for an entry about to be changed in place that was not looked up
 * with db_lookup_write (SORT converts its source's encoding). */
void db_will_change(kdb *db, const kobj *o);
int obj_is_expired(const kobj *o);
/* Deletes o if its TTL passed. Returns 1 if it was deleted. */
int db_expire_if_needed(kdb *db, kobj *o);
/* The same by name: reclaims the key if it exists and expired (DEL does this first). */
void db_reclaim_if_expired(kdb *db, const char *key, size_t len);
/* A writable replica's own key (src/repl/): deleted as expired whatever expire_mode says when
 * its TTL passed (returns 1); 0 while its TTL is ahead; -1 when absent or without a TTL. */
int db_expire_own_key(kdb *db, const char *key, size_t len);

void db_add(kdb *db, kobj *o);                       /* the key must be absent */
/* db_add with a TTL (unix ms, or OBJ_NO_EXPIRE): RENAME/MOVE/COPY carry the source's TTL over.
 * Returns the stored entry (it moves when a TTL area is added). */
kobj *db_add_with_expire(kdb *db, kobj *o, long long when_ms);
/* The same for a key that may be present (a file being loaded): then o is freed and NULL
 * returned, nothing changed. One lookup instead of a find and an add. */
kobj *db_add_new_with_expire(kdb *db, kobj *o, long long when_ms);
/* Hints before such an add: the loader reads a key, then its value (allocation, LZF), and
 * adds a few keys later. db_prefetch_key starts fetching the key's chain head and returns the
 * key's hash; each db_prefetch_step fetches the next entry of its chain (entry NULL: the
 * first), so that the add finds the chain it walks in the cache. */
uint64_t db_prefetch_key(kdb *db, const char *key, size_t len);
void *db_prefetch_step(kdb *db, uint64_t hash, void *entry);
/* Takes o out of the table and the TTL index without freeing it; the caller owns it. */
void db_unlink(kdb *db, kobj *o);
/* Adds or overwrites. With keep_ttl the old entry's TTL moves to the new one. Returns the
 * stored entry (it may differ from o when a TTL area had to be added). */
kobj *db_set(kdb *db, kobj *o, int keep_ttl);
/* The entry moved in memory (same key): old_o was looked up with db_lookup_write. */
void db_replace(kdb *db, kobj *old_o, kobj *new_o);
int db_delete(kdb *db, const char *key, size_t len); /* 1 if a key was deleted */
int db_delete_async(kdb *db, const char *key, size_t len); /* UNLINK */
kobj *db_set_expire(kdb *db, kobj *o, long long when_ms);  /* returns the moved entry */
kobj *db_persist(kdb *db, kobj *o);                  /* drops the TTL; returns the moved entry */
long long db_flush(kdb *db, int async);              /* returns the number of keys removed */
void db_swap(kdb *a, kdb *b);
/* A replica's swapdb load keeps the old data set aside: db_stash moves db's keys, TTL index and
 * slot counts to *saved, leaving db empty (counting slots again if it did), without the
 * keyspace hooks (nothing may use saved meanwhile); db_stash_restore flushes db and moves them
 * back; db_stash_free frees them in the background. */
void db_stash(kdb *db, kdb *saved);
void db_stash_restore(kdb *db, kdb *saved);
void db_stash_free(kdb *saved);
/* Cluster mode: keep db's per-slot key counts from now on (db must be empty). */
void db_count_slots(kdb *db);
/* The number of keys of slot in db (0 unless db_count_slots ran), and up to max of them into
 * out, in table order: a walk of the table that ends once the slot's keys are all found. */
size_t db_slot_size(kdb *db, int slot);
size_t db_slot_keys(kdb *db, int slot, kobj **out, size_t max);
size_t db_size(kdb *db);
size_t db_expires(kdb *db);
kobj *db_random(kdb *db);              /* a live key (reclaiming expired picks), or NULL */
void db_free_obj(kobj *o, int async);

#endif
