/* client_evict.h - what a client's connection costs in memory, and client eviction
 * (maxmemory-clients), as Redis 7.0 does them; see client_evict.c. */
#ifndef KEEL_CLIENT_EVICT_H
#define KEEL_CLIENT_EVICT_H

#include <stddef.h>

#include "server.h"

/* The client's memory as Redis's getClientMemoryUsage counts it (CLIENT LIST tot-mem): the
 * client structure, its query buffer, the current arguments, its output blocks, its
 * transaction, subscriptions and tracking prefixes. *output (may be NULL): the output blocks'
 * part. */
size_t client_memory_usage(const client *c, size_t *output);

/* The limit in bytes maxmemory-clients sets now (a percentage of maxmemory resolved, at least
 * 128 KB as Redis), 0 when client eviction is off. */
size_t client_eviction_limit(void);

/* Counts c's current memory again and moves it to its bucket; does nothing while
 * maxmemory-clients is 0. Call after anything that changed c's buffers or state. */
void client_mem_update(client *c);

/* Takes c out of the count (closing, or no longer evictable). */
void client_mem_forget(client *c);
/* client_free: c leaves every count, the evicted clients' memory too. */
void client_mem_freed(client *c);
/* What evicted clients that are closing asynchronously still hold (not counted against
 * maxmemory: it is freed before the next poll). */
size_t clients_evicted_memory(void);

/* CONFIG SET maxmemory-clients (and start-up): counts every client, or forgets them all when
 * the parameter became 0. */
void client_mem_reset_all(void);

/* Redis's evictClients: while the evictable clients (normal and pub/sub) use at least the
 * limit, evicts the clients of the fullest non-empty bucket first. A victim is freed at once
 * when may_free is set and it is not running a command; otherwise it is closed asynchronously
 * (and no longer counted). */
void clients_evict(int may_free);

#endif
