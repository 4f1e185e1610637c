/* notify.h - what a command announces after it changed a key.
 *
 *  - signal_modified_key(): the key's value changed. Fails the transactions WATCHing it, sends
 *    client-side caching invalidations, and counts the change (server.dirty).
 *  - notify_keyspace_event(): the keyspace notifications of notify-keyspace-events, published on
 *    "__keyspace@<db>__:<key>" (message: the event) and "__keyevent@<db>__:<event>" (message:
 *    the key) when their class is enabled.
 *
 * The keyspace itself announces through its hooks (keyspace/hooks.h); src/keyspace_events.c
 * turns expiries, evictions and misses into these same calls. */
#ifndef KEEL_NOTIFY_H
#define KEEL_NOTIFY_H

#include <stddef.h>

#include "server.h"

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

/* Called by every write that changes a key; c is the writer, NULL for expiry and eviction. */
void signal_modified_key(client *c, kdb *db, const char *key, size_t len);

/* A command changed key in c->db: signal_modified_key(), then the keyspace event `event` of
 * class `type`, in Redis's order. */
void notify_key_changed(client *c, const karg *key, int type, const char *event);

#endif
