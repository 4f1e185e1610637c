/* hooks.h - how the keyspace announces changes to the layers above it.
 *
 * The keyspace includes no header of a higher layer: it calls these hooks instead, and the
 * server installs them once at start-up (src/keyspace_events.c, the list of who reacts to a
 * change). A NULL hook is skipped, so a hook nobody installed costs one load and one branch.
 *
 * Invariant for snapshots: key_will_change is called BEFORE any change to a key's value or TTL
 * and before its deletion, whatever the cause (a command, lazy or active expiry, eviction,
 * RENAME/MOVE/COPY, DEL), with the entry as it still is; db_will_empty and dbs_will_swap come
 * before whole-database changes (FLUSHDB/FLUSHALL, sync or async; SWAPDB). Commands modify
 * values in place only on entries they got from db_lookup_write(), which announces them, or
 * after db_will_change(). A key may be announced more than once per command, and a command
 * may announce a key and then leave it unchanged (a no-op write); never the other way round. */
#ifndef KEEL_HOOKS_H
#define KEEL_HOOKS_H

#include <stddef.h>

#include "keyspace/db.h"

/* Why a key left the keyspace. */
typedef enum keyDeleteReason {
    KEY_DELETED_USER,       /* by a command: DEL, UNLINK, a collection left empty... */
    KEY_DELETED_EXPIRED,    /* its TTL passed (lazy or active expiry) */
    KEY_DELETED_EVICTED,    /* maxmemory */
} keyDeleteReason;

typedef struct keyspaceHooks {
    /* Before key's value or TTL changes or the key is deleted; o is the entry as it is, or
     * NULL when the key is absent and about to be added. */
    void (*key_will_change)(kdb *db, const char *key, size_t len, const kobj *o);
    /* After o left db (o is unlinked, not freed yet). Commands also announce their own
     * deletions (signal_modified_key, keyspace events); expiry and eviction only here. */
    void (*key_deleted)(kdb *db, kobj *o, keyDeleteReason why);
    /* After key was added to db (it did not exist): the "new" keyspace event. */
    void (*key_added)(kdb *db, const char *key, size_t len);
    /* A list, sorted set or stream was added (or a stream left): blocked clients may be served. */
    void (*key_ready)(kdb *db, const char *key, size_t len);
    /* A lookup (not for a write) found no key. */
    void (*key_miss)(kdb *db, const char *key, size_t len);
    /* Before db loses all its keys (FLUSHDB, FLUSHALL). */
    void (*db_will_empty)(kdb *db);
    /* Before and after the contents of a and b trade places (SWAPDB). */
    void (*dbs_will_swap)(kdb *a, kdb *b);
    void (*dbs_swapped)(kdb *a, kdb *b);
} keyspaceHooks;

extern keyspaceHooks keyspace_hooks;

#endif
