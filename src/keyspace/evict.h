/* evict.h - maxmemory enforcement.
 *
 * Policies are indexed as in evict_policy_names. Today Keel enforces maxmemory with the
 * noeviction behaviour for every policy (writes that may grow memory are refused with -OOM,
 * reads go on); sampling eviction (LRU/LFU/random/TTL) is the work of the issue "Memory limits". */
#ifndef KEEL_EVICT_H
#define KEEL_EVICT_H

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

/* Frees memory by the configured policy until used memory is within maxmemory.
 * Returns 1 if it is (or no limit is set), 0 if it could not get there. */
int evict_to_fit(void);

#endif
