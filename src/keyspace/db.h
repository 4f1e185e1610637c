/* db.h - databases: keys, lazy expiry, TTLs, and the hooks writes must call.
 *
 * Every read of a key goes through db_lookup*(), which deletes the key first if its TTL has
 * passed (lazy expiry), so no command can observe an expired key. Writes add, replace or delete
 * entries only through this module, which keeps the keyspace table and the TTL index in step
 * (see ttlIndex in server.h). A command that modified a key calls signal_modified_key(). */
#ifndef KEEL_DB_H
#define KEEL_DB_H

#include "server.h"

#define LOOKUP_NONE 0
#define LOOKUP_NOTOUCH (1 << 0)   /* don't update the LRU/LFU data (TYPE, OBJECT, TTL...) */
#define LOOKUP_NOSTATS (1 << 1)   /* don't count keyspace hits/misses (writes) */
#define LOOKUP_NOEXPIRE (1 << 2)  /* don't delete an expired key: report it as missing */
#define LOOKUP_NONOTIFY (1 << 3)  /* no "keymiss" event on a miss (writes) */

void db_init_all(void);
void db_free_all(void);
kdb *db_by_id(int id);                              /* NULL if out of range */
table *db_keys(kdb *db);                            /* creates the table on first use */

kobj *db_lookup(kdb *db, const char *key, size_t len, int flags);
kobj *db_lookup_read(kdb *db, const char *key, size_t len);
kobj *db_lookup_write(kdb *db, const char *key, size_t len);
int obj_is_expired(const kobj *o);
/* Deletes o if its TTL passed (counting expired_keys). Returns 1 if it was deleted. */
int db_expire_if_needed(kdb *db, kobj *o);
/* The same by name: reclaims the key if it exists and expired (DEL does this first). */
void db_reclaim_if_expired(kdb *db, const char *key, size_t len);

void db_add(kdb *db, kobj *o);                       /* the key must be absent */
/* db_add with a TTL (unix ms, or OBJ_NO_EXPIRE): RENAME/MOVE/COPY carry the source's TTL over.
 * Returns the stored entry (it moves when a TTL area is added). */
kobj *db_add_with_expire(kdb *db, kobj *o, long long when_ms);
/* Takes o out of the table and the TTL index without freeing it; the caller owns it. */
void db_unlink(kdb *db, kobj *o);
/* Adds or overwrites. With keep_ttl the old entry's TTL moves to the new one. Returns the
 * stored entry (it may differ from o when a TTL area had to be added). */
kobj *db_set(kdb *db, kobj *o, int keep_ttl);
void db_replace(kdb *db, kobj *old_o, kobj *new_o);  /* entry moved in memory (same key) */
int db_delete(kdb *db, const char *key, size_t len); /* 1 if a key was deleted */
int db_delete_async(kdb *db, const char *key, size_t len); /* UNLINK */
kobj *db_set_expire(kdb *db, kobj *o, long long when_ms);  /* returns the moved entry */
kobj *db_persist(kdb *db, kobj *o);                  /* drops the TTL; returns the moved entry */
long long db_flush(kdb *db, int async);              /* returns the number of keys removed */
void db_swap(kdb *a, kdb *b);
size_t db_size(kdb *db);
size_t db_expires(kdb *db);
kobj *db_random(kdb *db);              /* a live key (reclaiming expired picks), or NULL */
void db_free_obj(kobj *o, int async);

/* Called by every write that changes a key (WATCH, client tracking). */
void signal_modified_key(client *c, kdb *db, const char *key, size_t len);
/* Keyspace notification classes (notify-keyspace-events letters). */
#define NOTIFY_KEYSPACE (1 << 0)
#define NOTIFY_KEYEVENT (1 << 1)
#define NOTIFY_GENERIC (1 << 2)
#define NOTIFY_STRING (1 << 3)
#define NOTIFY_LIST (1 << 4)
#define NOTIFY_SET (1 << 5)
#define NOTIFY_HASH (1 << 6)
#define NOTIFY_ZSET (1 << 7)
#define NOTIFY_EXPIRED (1 << 8)
#define NOTIFY_EVICTED (1 << 9)
#define NOTIFY_STREAM (1 << 10)
#define NOTIFY_KEY_MISS (1 << 11)
#define NOTIFY_NEW (1 << 14)
/* 'A' in notify-keyspace-events: "g$lshzxet". */
#define NOTIFY_ALL_CLASSES (NOTIFY_GENERIC | NOTIFY_STRING | NOTIFY_LIST | NOTIFY_SET | NOTIFY_HASH | \
                            NOTIFY_ZSET | NOTIFY_EXPIRED | NOTIFY_EVICTED | NOTIFY_STREAM)
void notify_keyspace_event(int type, const char *event, const char *key, size_t klen, int dbid);

/* expire.c */
void ttl_add(kdb *db, kobj *o);
void ttl_remove(kdb *db, kobj *o);
void ttl_moved(kdb *db, kobj *o);                    /* o was reallocated: fix its slot */
void ttl_clear(kdb *db);
/* The active expire cycle: fast = 0 from the server cron, 1 from before_sleep. */
void active_expire_cycle(int fast);
/* Running estimate of the share of sampled TTL keys that had expired (INFO expired_stale_perc,
 * as a fraction 0..1). */
double active_expire_stale_fraction(void);
void active_expire_reset_stats(void);   /* CONFIG RESETSTAT */

#endif
