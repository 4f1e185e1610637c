/* lazyfree.h - freeing large values and whole databases in a background thread.
 *
 * The event loop hands over memory it has already unlinked from every structure it can reach
 * (keyspace table, TTL index), so the handover is O(1) and the background thread is the only one
 * to touch what it was given. Freeing uses kfree, whose counter is atomic, so used_memory falls
 * as the thread works. Like Redis, only values whose free effort exceeds LAZYFREE_THRESHOLD go
 * to the thread: freeing a small value inline is cheaper than queueing it.
 *
 * The server starts the thread at start-up (lazyfree_start); a handover also starts it if
 * needed (unit tests). Counters (INFO lazyfree_pending_objects and
 * lazyfreed_objects) count keys: a flushed database counts as its number of keys. */
#ifndef KEEL_LAZYFREE_H
#define KEEL_LAZYFREE_H

#include <stddef.h>

#include "keyspace/object.h"
#include "keyspace/table.h"

#define LAZYFREE_THRESHOLD 64

/* How much work freeing o takes: its element or node count for aggregates, 1 otherwise. */
size_t lazyfree_effort(const kobj *o);

/* Frees o, in the background if async is set and its effort exceeds the threshold.
 * Returns 1 if it was handed to the thread, 0 if it was freed now. */
int lazyfree_obj(kobj *o, int async);

/* Hands over a detached keyspace table (may be NULL) and a detached TTL index array (may be
 * NULL) holding nkeys keys. O(1): the caller must already have dropped every pointer to them. */
void lazyfree_db(table *keys, void *ttl_slots, size_t nkeys);

void lazyfree_start(void);

size_t lazyfree_pending(void);          /* keys handed over and not freed yet */
size_t lazyfree_freed(void);            /* keys freed by the thread since start / RESETSTAT */
void lazyfree_reset_stats(void);

/* Waits until the thread has freed everything handed to it (tests, shutdown). */
void lazyfree_drain(void);
/* Drains and stops the thread (shutdown): leak checkers then see every block freed. */
void lazyfree_shutdown(void);

#endif
