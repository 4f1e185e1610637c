/* evict.h - maxmemory enforcement and the access data it uses (LRU clock or LFU counter).
 *
 * Policies are indexed as in evict_policy_names. When used memory is above maxmemory,
 * evict_to_fit() deletes keys chosen by the policy until it is not, like Redis's
 * performEvictions(): the LRU, LFU and TTL policies sample maxmemory-samples keys per database
 * into a pool of the 16 best candidates seen so far and evict the best; the random policies
 * evict random keys. A call is bounded in time by maxmemory-eviction-tenacity; what it leaves
 * undone continues from before_sleep (evict_continue). With noeviction, and when nothing is
 * left to evict, commands flagged denyoom get -OOM while reads go on.
 *
 * A kobj's 24-bit lru field holds, under an LFU policy, 16 bits of access time in minutes and
 * an 8-bit logarithmic access counter; otherwise the LRU clock in seconds. Switching policy at
 * run time reinterprets the field, as in Redis (the data adjusts over time). */
#ifndef KEEL_EVICT_H
#define KEEL_EVICT_H

#include "keyspace/object.h"

enum {
    MAXMEMORY_VOLATILE_LRU = 0,
    MAXMEMORY_VOLATILE_LFU,
    MAXMEMORY_VOLATILE_RANDOM,
    MAXMEMORY_VOLATILE_TTL,
    MAXMEMORY_ALLKEYS_LRU,
    MAXMEMORY_ALLKEYS_LFU,
    MAXMEMORY_ALLKEYS_RANDOM,
    MAXMEMORY_NO_EVICTION,
};

extern const char *const evict_policy_names[];

#define LFU_INIT_VAL 5       /* a new key's counter: not evicted before it had a chance */
#define EVPOOL_SIZE 16

int evict_policy_is_lfu(void);

/* The lru field value for a newly stored key. */
uint32_t evict_new_lru(void);
/* Records an access to o (a read or write lookup): LRU clock, or LFU decay then increment. */
void evict_touch(kobj *o);
/* OBJECT FREQ: the LFU counter after decay (without updating it). */
unsigned evict_lfu_counter(const kobj *o);
/* OBJECT IDLETIME: seconds since the last access, from the LRU clock (which wraps). */
long long evict_idle_seconds(const kobj *o);

/* RESTORE IDLETIME/FREQ and RDB IDLE/FREQ: sets o's access data to lfu_freq (LFU policy) or to
 * lru_idle seconds ago (LRU policies); a value of -1, or one for the other kind of policy, is
 * ignored, as in Redis's objectSetLRUOrLFU. */
void evict_set_access(kobj *o, long long lfu_freq, long long lru_idle);

/* Frees memory by the configured policy until used memory is within maxmemory.
 * Returns 1 if it is, if no limit is set, or if work is still in progress (time limit, or
 * memory the lazy-free thread is freeing); 0 if it could not get there (-OOM). */
int evict_to_fit(void);
/* before_sleep hook: continues an eviction that stopped on its time limit, or that
 * evict_schedule asked for. */
void evict_continue(void);
/* Evicts from the next before_sleep, outside any command (CONFIG SET maxmemory). */
void evict_schedule(void);

/* INFO stats total_eviction_exceeded_time / current_eviction_exceeded_time (ms): time spent
 * above maxmemory (total includes the current period); CONFIG RESETSTAT zeroes them. */
void evict_exceeded_time_ms(long long *total, long long *current);
void evict_reset_stats(void);

#endif
