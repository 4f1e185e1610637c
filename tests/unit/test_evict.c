/* test_evict.c - unit tests of keyspace/evict.c and keyspace/lazyfree.c on real databases:
 * the LFU counter's growth and decay, each policy choosing only what it may choose and getting
 * used memory under the limit, and the lazy-free thread returning every byte it was handed.
 * The keyspace runs alone, without the server: these tests fill in its settings themselves. */
#include <string.h>

#include "keyspace/db.h"
#include "keyspace/evict.h"
#include "keyspace/lazyfree.h"
#include "keyspace_alone.h"
#include "types/t_set.h"
#include "unit.h"
#include "util/mem.h"
#include "util/util.h"

#define NKEYS 20000

static long long evicted;   /* counted by the key_deleted hook */

static void count_evictions(kdb *db, kobj *o, keyDeleteReason why) {
    if (why == KEY_DELETED_EVICTED) evicted++;
}

static void setup(int policy) {
    keyspace_alone();
    ks_settings.policy = policy;
    ks_settings.samples = 5;
    ks_settings.tenacity = 100;   /* unlimited: one call does all the work */
    ks_settings.lfu_log_factor = 10;
    ks_settings.lfu_decay_time = 1;
    keyspace_hooks.key_deleted = count_evictions;
    evicted = 0;
    db_init_all(2);
}

static void teardown(void) {
    db_free_all();
    lazyfree_drain();
}

static void add_key(kdb *db, const char *prefix, int i, long long expire_ms) {
    char k[32];
    int n = snprintf(k, sizeof(k), "%s:%d", prefix, i);
    kobj *o = obj_new_string(k, (size_t)n, "value-value-value", 17);
    db_add_with_expire(db, o, expire_ms);
}

static int count_prefix(kdb *db, const char *prefix, int n) {
    int found = 0;
    for (int i = 0; i < n; i++) {
        char k[32];
        int len = snprintf(k, sizeof(k), "%s:%d", prefix, i);
        found += db_lookup(db, k, (size_t)len, LOOKUP_NOTOUCH) != NULL;
    }
    return found;
}

TEST(lfu_counter_grows_logarithmically_and_decays) {
    setup(MAXMEMORY_ALLKEYS_LFU);
    kobj *o = obj_new_string("k", 1, "v", 1);
    o->lru = evict_new_lru();
    CHECK(evict_lfu_counter(o) == LFU_INIT_VAL);
    for (int i = 0; i < 1000; i++) evict_touch(o);
    unsigned c = evict_lfu_counter(o);
    CHECK(c > 10 && c < 30);   /* Redis's table: 1K hits at factor 10 give ~18 */
    /* Ten minutes ago, with decay 1 per minute: ten less. */
    o->lru = (((o->lru >> 8) - 10) & 0xFFFF) << 8 | c;
    CHECK(evict_lfu_counter(o) == c - 10);
    obj_free(o);
    teardown();
}

/* Fills db 0 with old keys and db 1 with recent ones, limits memory to cut half the old data,
 * and checks what each policy took. */
TEST(lru_evicts_the_idle_keys_first) {
    setup(MAXMEMORY_ALLKEYS_LRU);
    for (int i = 0; i < NKEYS; i++) add_key(db_by_id(0), "old", i, OBJ_NO_EXPIRE);
    for (int i = 0; i < NKEYS; i++) add_key(db_by_id(1), "new", i, OBJ_NO_EXPIRE);
    /* Age db 0 by an hour. */
    tableIter it;
    tableIterInit(&it, db_keys(db_by_id(0)), 0);
    for (kobj *o; (o = tableIterNext(&it)) != NULL;) o->lru = (o->lru - 3600) & ((1u << 24) - 1);
    tableIterRelease(&it);
    ks_settings.maxmemory = (long long)(mem_used() - 400 * 1024);
    CHECK(evict_to_fit() == 1);
    /* One pass frees what was over when it started; what it allocated meanwhile (the pool's
     * key buffers) is the next pass's, as before the next command. */
    CHECK(evict_to_fit() == 1);
    CHECK(mem_used() <= (size_t)ks_settings.maxmemory);
    CHECK(evicted > 1000);
    CHECK(count_prefix(db_by_id(1), "new", NKEYS) == NKEYS);   /* none of the recent keys */
    teardown();
}

TEST(volatile_policies_take_only_keys_with_a_ttl) {
    int policies[] = {MAXMEMORY_VOLATILE_LRU, MAXMEMORY_VOLATILE_LFU, MAXMEMORY_VOLATILE_RANDOM,
                      MAXMEMORY_VOLATILE_TTL};
    for (size_t p = 0; p < sizeof(policies) / sizeof(policies[0]); p++) {
        setup(policies[p]);
        long long far = mstime() + 3600000;
        for (int i = 0; i < NKEYS; i++) add_key(db_by_id(0), "ttl", i, far + i);
        for (int i = 0; i < NKEYS; i++) add_key(db_by_id(0), "keep", i, OBJ_NO_EXPIRE);
        ks_settings.maxmemory = (long long)(mem_used() - 300 * 1024);
        CHECK(evict_to_fit() == 1);
        CHECK(mem_used() <= (size_t)ks_settings.maxmemory);
        CHECK(count_prefix(db_by_id(0), "keep", NKEYS) == NKEYS);
        if (policies[p] == MAXMEMORY_VOLATILE_TTL) {
            /* The soonest-expiring quarter went first: the last quarter is intact. */
            int late = 0;
            for (int i = NKEYS * 3 / 4; i < NKEYS; i++) {
                char k[32];
                int len = snprintf(k, sizeof(k), "ttl:%d", i);
                late += db_lookup(db_by_id(0), k, (size_t)len, LOOKUP_NOTOUCH) != NULL;
            }
            CHECK(late >= NKEYS / 4 - NKEYS / 100);
        }
        /* With no TTL keys left, eviction can't help. */
        ks_settings.maxmemory = 1;
        CHECK(evict_to_fit() == 0);
        CHECK(db_expires(db_by_id(0)) == 0);
        CHECK(count_prefix(db_by_id(0), "keep", NKEYS) == NKEYS);
        teardown();
    }
}

TEST(noeviction_evicts_nothing) {
    setup(MAXMEMORY_NO_EVICTION);
    for (int i = 0; i < 1000; i++) add_key(db_by_id(0), "k", i, OBJ_NO_EXPIRE);
    ks_settings.maxmemory = 1;
    CHECK(evict_to_fit() == 0);
    CHECK(db_size(db_by_id(0)) == 1000);
    ks_settings.maxmemory = 0;
    CHECK(evict_to_fit() == 1);
    teardown();
}

TEST(lazyfree_returns_every_byte) {
    setup(MAXMEMORY_NO_EVICTION);
    lazyfree_drain();
    size_t base = mem_used(), freed0 = lazyfree_freed();
    for (int i = 0; i < NKEYS; i++) add_key(db_by_id(0), "k", i, i % 2 ? mstime() + 100000 : OBJ_NO_EXPIRE);
    CHECK(db_flush(db_by_id(0), 1) == NKEYS);
    CHECK(db_size(db_by_id(0)) == 0 && db_expires(db_by_id(0)) == 0);
    /* The database is usable at once, while the thread frees the old table. */
    add_key(db_by_id(0), "after", 1, OBJ_NO_EXPIRE);
    CHECK(db_size(db_by_id(0)) == 1);
    db_flush(db_by_id(0), 0);
    lazyfree_drain();
    CHECK(lazyfree_pending() == 0);
    CHECK(lazyfree_freed() - freed0 == NKEYS);
    /* Only the fresh empty table remains on top of the baseline. */
    CHECK(mem_used() <= base + tableOverheadBytes(db_keys(db_by_id(0))));
    teardown();
}

int main(void) {
    RUN(lfu_counter_grows_logarithmically_and_decays);
    RUN(lru_evicts_the_idle_keys_first);
    RUN(volatile_policies_take_only_keys_with_a_ttl);
    RUN(noeviction_evicts_nothing);
    RUN(lazyfree_returns_every_byte);
    lazyfree_shutdown();
    return unit_report();
}
