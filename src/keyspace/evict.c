/* evict.c - maxmemory enforcement; see evict.h. */
#include "keyspace/evict.h"

#include <stddef.h>

#include "server.h"
#include "util/mem.h"

const char *const evict_policy_names[] = {
    "volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl",
    "allkeys-lru",  "allkeys-lfu",  "allkeys-random",  "noeviction", NULL,
};

int evict_to_fit(void) {
    if (!server.maxmemory) return 1;
    return mem_used() <= (size_t)server.maxmemory;
}
