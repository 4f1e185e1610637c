/* expire.h - the TTL index of a database and the active expire cycle.
 *
 * The TTL index (ttlIndex in db.h) holds exactly the entries with has_expire; db.c keeps it in
 * step with the table through these calls: ttl_add after the entry is linked in the table,
 * ttl_remove while every other entry with a TTL is linked. The active cycle samples it to reclaim expired keys
 * nobody reads; its CPU budget follows hz and active-expire-effort (keyspace_config). */
#ifndef KEEL_EXPIRE_H
#define KEEL_EXPIRE_H

#include "keyspace/db.h"

void ttl_add(kdb *db, kobj *o);
void ttl_remove(kdb *db, kobj *o);
/* The entry at slot i < len (found through its bucket: see ttlIndex in db.h). */
kobj *ttl_entry(const kdb *db, uint32_t i);
void ttl_clear(kdb *db);

/* The active expire cycle: fast = 0 from the server cron, 1 from before_sleep. */
void active_expire_cycle(int fast);
/* Running estimate of the share of sampled TTL keys that had expired (INFO expired_stale_perc,
 * as a fraction 0..1). */
double active_expire_stale_fraction(void);
void active_expire_reset_stats(void);   /* CONFIG RESETSTAT */

#endif
