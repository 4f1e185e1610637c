/* expire.c - the TTL index and the active expire cycle.
 *
 * The TTL index of a database is a dense array of the entries that have a TTL (invariant in
 * server.h). The active cycle samples it uniformly, deletes what has expired, and keeps going
 * while more than ACCEPTABLE_STALE percent of a sample was expired, within a time budget:
 * the slow cycle (server cron, hz times a second) may use 25% of a core; the fast cycle (before
 * each poll) runs at most 1 ms and only when the last slow cycle ran out of time. So expired
 * keys that nobody reads stay a small fraction of the keys with a TTL. */
#include <string.h>

#include "keyspace/db.h"
#include "util/mem.h"
#include "util/util.h"

#define KEYS_PER_LOOP 20
#define ACCEPTABLE_STALE 10          /* percent */
#define SLOW_CYCLE_PERCENT 25        /* of a core */
#define FAST_CYCLE_US 1000

void ttl_add(kdb *db, kobj *o) {
    ttlIndex *ti = &db->ttl;
    if (ti->len == ti->cap) {
        ti->cap = ti->cap ? ti->cap * 2 : 16;
        ti->slots = krealloc(ti->slots, sizeof(kobj *) * ti->cap);
    }
    obj_set_ttl_slot(o, ti->len);
    ti->slots[ti->len++] = o;
}

void ttl_remove(kdb *db, kobj *o) {
    ttlIndex *ti = &db->ttl;
    uint32_t slot = obj_ttl_slot(o);
    kobj *last = ti->slots[--ti->len];
    ti->slots[slot] = last;
    obj_set_ttl_slot(last, slot);
    /* Give memory back when the index is mostly empty. */
    if (ti->cap > 64 && ti->len < ti->cap / 4) {
        ti->cap /= 2;
        ti->slots = krealloc(ti->slots, sizeof(kobj *) * ti->cap);
    }
}

void ttl_moved(kdb *db, kobj *o) {
    db->ttl.slots[obj_ttl_slot(o)] = o;
}

void ttl_clear(kdb *db) {
    kfree(db->ttl.slots);
    memset(&db->ttl, 0, sizeof(db->ttl));
}

/* One sampling round on db: returns how many of the sampled keys had expired. */
static int expire_round(kdb *db, int *sampled, long long now) {
    int expired = 0;
    *sampled = 0;
    long long ttl_sum = 0;
    int ttl_n = 0;
    for (int i = 0; i < KEYS_PER_LOOP && db->ttl.len > 0; i++) {
        kobj *o = db->ttl.slots[rand64() % db->ttl.len];
        (*sampled)++;
        long long when = obj_expire(o);
        if (when <= now) {
            db_expire_if_needed(db, o);
            expired++;
        } else {
            ttl_sum += when - now;
            ttl_n++;
        }
    }
    if (ttl_n) {
        long long avg = ttl_sum / ttl_n;
        /* Running average, as Redis's avg_ttl: a new sample weighs 2%. */
        db->avg_ttl = db->avg_ttl ? (db->avg_ttl / 50) * 49 + avg / 50 : avg;
    }
    return expired;
}

static int last_cycle_timed_out;

void active_expire_cycle(int fast) {
    if (!server.active_expire_enabled) return;
    if (fast && !last_cycle_timed_out) return;
    uint64_t start = monotonic_us();
    uint64_t budget = fast ? FAST_CYCLE_US : (uint64_t)(1000000 * SLOW_CYCLE_PERCENT / 100 / (server.hz ? server.hz : 10));
    last_cycle_timed_out = 0;
    server.stat_active_expire_cycles++;
    for (int d = 0; d < server.dbnum; d++) {
        kdb *db = &server.db[d];
        int iterations = 0;
        while (db->ttl.len > 0) {
            int sampled;
            long long now = mstime();
            int expired = expire_round(db, &sampled, now);
            iterations++;
            if ((iterations & 15) == 0 && monotonic_us() - start > budget) {
                last_cycle_timed_out = 1;
                break;
            }
            if (sampled == 0 || expired * 100 <= sampled * ACCEPTABLE_STALE) break;
        }
        if (last_cycle_timed_out) break;
    }
    server.stat_expire_cycle_time_used_us += (long long)(monotonic_us() - start);
}
