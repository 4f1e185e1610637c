/* expire.c - the TTL index and the active expire cycle.
 *
 * The TTL index of a database is a dense array of the entries that have a TTL (invariant in
 * db.h), so the active cycle can sample it uniformly. A cycle visits the databases round
 * robin. In each it measures the share of expired keys on a window of STALE_WINDOW uniform
 * samples (reclaiming what it meets); while that share is above the target (a third of the
 * acceptable share: the margin absorbs sampling noise and what expires until the next cycle)
 * it draws as many more samples as are expected to bring the share down to the target
 * (len * ln(share / target), sampling with replacement), then measures again. The work thus
 * scales with the number of expired keys, not with a fixed per-cycle quota, so expired keys
 * nobody reads stay under ACCEPTABLE_STALE percent of the keys with a TTL.
 *
 * CPU: the slow cycle (server cron, hz times a second) and the fast cycle (before each poll,
 * at most every FAST_INTERVAL_US, at once after a cycle that ran out of time) draw on one
 * token bucket that refills at SLOW_CYCLE_PERCENT of wall-clock time and holds at most one
 * slow cycle's budget, so together they never use more than that share of a core.
 * active-expire-effort (1..10) scales the constants as in Redis. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "keyspace/expire.h"
#include "util/mem.h"
#include "util/util.h"

#define SAMPLES_PER_CLOCK_CHECK 20
#define ACCEPTABLE_STALE 10          /* percent of the keys with a TTL */
#define SLOW_CYCLE_PERCENT 25        /* of a core */
#define FAST_CYCLE_US 1000
#define FAST_INTERVAL_US 20000       /* fast cycles start at most this often unless catching up */
#define STALE_WINDOW 100             /* samples per measurement of the stale share */
#define STALE_EWMA_WEIGHT 0.05       /* weight of one cycle in the stale estimate */

/* ---------------------------------------------------------------- TTL index */

kobj *ttl_entry(const kdb *db, uint32_t i) {
    for (kobj *e = tableChainFor(db->keys, db->ttl.hashes[i]); e; e = e->link.next)
        if (e->has_expire && obj_ttl_slot(e) == i) return e;
    abort();   /* the invariant of db.h is broken */
}

void ttl_add(kdb *db, kobj *o) {
    ttlIndex *ti = &db->ttl;
    if (ti->len == ti->cap) {
        ti->cap = ti->cap ? ti->cap * 2 : 16;
        ti->hashes = krealloc(ti->hashes, sizeof(uint32_t) * ti->cap);
    }
    obj_set_ttl_slot(o, ti->len);
    ti->hashes[ti->len++] = (uint32_t)tableHashKey(db->keys, obj_key(o), obj_keylen(o));
}

void ttl_remove(kdb *db, kobj *o) {
    ttlIndex *ti = &db->ttl;
    uint32_t slot = obj_ttl_slot(o), last = ti->len - 1;
    if (slot != last) {
        /* The last slot's entry is another key, still linked: it takes over the freed slot. */
        obj_set_ttl_slot(ttl_entry(db, last), slot);
        ti->hashes[slot] = ti->hashes[last];
    }
    ti->len = last;
    /* Give memory back when the index is mostly empty. */
    if (ti->cap > 64 && ti->len < ti->cap / 4) {
        ti->cap /= 2;
        ti->hashes = krealloc(ti->hashes, sizeof(uint32_t) * ti->cap);
    }
}

void ttl_clear(kdb *db) {
    kfree(db->ttl.hashes);
    memset(&db->ttl, 0, sizeof(db->ttl));
}

/* ---------------------------------------------------------------- active expiry */

/* The constants for the configured effort (Redis's scaling: effort 1 is the default). */
typedef struct cycleParams {
    int acceptable_stale;        /* percent */
    long long fast_us;           /* fast cycle duration */
    long long slow_us;           /* slow cycle duration, also the bucket's capacity */
    int percent;                 /* bucket refill rate, percent of a core */
} cycleParams;

/* What one cycle saw, for the averages. */
typedef struct cycleCount {
    long long sampled, expired;
    long long ttl_sum, ttl_n;    /* remaining TTLs of the live samples of the current db */
} cycleCount;

static struct {
    uint64_t refilled_us;        /* monotonic time of the last refill; 0 before the first cycle */
    long long credit_us;         /* CPU time the cycles may still use */
    uint64_t last_start_us;      /* start of the last cycle that ran */
    int timed_out;               /* the last cycle stopped on its time limit */
    int next_db;                 /* where the next cycle starts (resumes after a timeout) */
    double stale;                /* moving average of expired/sampled per cycle */
} cycle;

static void cycle_params(cycleParams *p) {
    int effort = *keyspace_config.active_expire_effort, hz = *keyspace_config.hz;
    int e = effort > 0 ? effort - 1 : 0;
    if (hz <= 0) hz = 10;
    p->acceptable_stale = ACCEPTABLE_STALE - e;
    p->fast_us = FAST_CYCLE_US + FAST_CYCLE_US / 4 * e;
    p->percent = SLOW_CYCLE_PERCENT + 2 * e;
    p->slow_us = 1000000LL * p->percent / 100 / hz;
}

static void refill_credit(const cycleParams *p, uint64_t now) {
    if (cycle.refilled_us == 0) {
        cycle.credit_us = p->slow_us;
    } else {
        cycle.credit_us += (long long)(now - cycle.refilled_us) * p->percent / 100;
        if (cycle.credit_us > p->slow_us) cycle.credit_us = p->slow_us;
    }
    cycle.refilled_us = now;
}

/* Checks one entry: deletes it if expired (1), else records its remaining TTL (0). */
static int check_entry(kdb *db, kobj *o, long long now_ms, cycleCount *cc) {
    cc->sampled++;
    if (db_expire_if_needed(db, o)) {
        cc->expired++;
        return 1;
    }
    long long left = obj_expire(o) - now_ms;
    if (left > 0) {
        cc->ttl_sum += left;
        cc->ttl_n++;
    }
    return 0;
}

/* A small index is checked whole: exact and cheaper than sampling it. Walking down from the
 * end is safe because a deletion moves the last entry, already checked, into the freed slot. */
static void sweep_db(kdb *db, long long now_ms, cycleCount *cc) {
    for (uint32_t i = db->ttl.len; i-- > 0;) check_entry(db, ttl_entry(db, i), now_ms, cc);
}

/* Checks n uniformly drawn entries of db. Returns 0 if the deadline passed first. */
static int sample_keys(kdb *db, long long n, uint64_t deadline, long long now_ms, cycleCount *cc) {
    for (long long i = 1; i <= n && db->ttl.len > 0; i++) {
        check_entry(db, ttl_entry(db, (uint32_t)(rand64() % db->ttl.len)), now_ms, cc);
        if (i % SAMPLES_PER_CLOCK_CHECK == 0 && monotonic_us() >= deadline) return 0;
    }
    return 1;
}

/* Measures and reclaims until a window shows at most the target share of expired keys.
 * Returns 0 if the deadline passed first. */
static int sample_db(kdb *db, const cycleParams *p, uint64_t deadline, long long now_ms,
                     cycleCount *cc) {
    double target = p->acceptable_stale / 300.0;   /* a third of the percentage, as a fraction */
    while (db->ttl.len > 0) {
        long long expired_before = cc->expired;
        if (!sample_keys(db, STALE_WINDOW, deadline, now_ms, cc)) return 0;
        double share = (double)(cc->expired - expired_before) / STALE_WINDOW;
        if (share <= target) return 1;
        long long more = (long long)((double)db->ttl.len * log(share / target)) + 1;
        if (!sample_keys(db, more, deadline, now_ms, cc)) return 0;
    }
    return 1;
}

/* Running average of the remaining TTL, as Redis's avg_ttl: a cycle's mean weighs 2%. */
static void update_avg_ttl(kdb *db, const cycleCount *cc) {
    if (cc->ttl_n == 0) return;
    long long avg = cc->ttl_sum / cc->ttl_n;
    db->avg_ttl = db->avg_ttl ? (db->avg_ttl / 50) * 49 + avg / 50 : avg;
}

/* One database's share of a cycle. Returns 0 if the deadline passed. */
static int expire_db(kdb *db, const cycleParams *p, uint64_t deadline, cycleCount *total) {
    if (db->ttl.len == 0) {
        db->avg_ttl = 0;   /* as Redis: no TTLs, no average */
        return 1;
    }
    cycleCount cc = {0, 0, 0, 0};
    long long now_ms = mstime();
    int done = 1;
    if (db->ttl.len <= STALE_WINDOW)
        sweep_db(db, now_ms, &cc);
    else
        done = sample_db(db, p, deadline, now_ms, &cc);
    update_avg_ttl(db, &cc);
    total->sampled += cc.sampled;
    total->expired += cc.expired;
    return done;
}

/* 1 if a cycle should run now; fast cycles only to catch up or every FAST_INTERVAL_US. */
static int cycle_due(int fast, uint64_t now) {
    if (!fast || cycle.timed_out) return 1;
    return now - cycle.last_start_us >= FAST_INTERVAL_US;
}

void active_expire_cycle(int fast) {
    if (!*keyspace_config.active_expire_enabled || !db_count()) return;
    if (keyspace_config.expire_mode && keyspace_config.expire_mode() != KEYS_EXPIRE) return;   /* a replica */
    cycleParams p;
    cycle_params(&p);
    uint64_t start = monotonic_us();
    refill_credit(&p, start);
    if (!cycle_due(fast, start)) return;
    long long budget = fast ? p.fast_us : p.slow_us;
    if (budget > cycle.credit_us) budget = cycle.credit_us;
    if (budget <= 0) return;

    cycle.last_start_us = start;
    cycle.timed_out = 0;
    cycleCount total = {0, 0, 0, 0};
    for (int n = 0; n < db_count(); n++) {
        if (cycle.next_db >= db_count()) cycle.next_db = 0;
        if (!expire_db(db_by_id(cycle.next_db), &p, start + (uint64_t)budget, &total)) {
            cycle.timed_out = 1;   /* resume in this database */
            break;
        }
        cycle.next_db++;
    }
    long long used = (long long)(monotonic_us() - start);
    cycle.credit_us -= used;
    keyspace_stats.expire_cycle_us += used;
    if (total.sampled) {
        double now_stale = (double)total.expired / (double)total.sampled;
        cycle.stale = now_stale * STALE_EWMA_WEIGHT + cycle.stale * (1 - STALE_EWMA_WEIGHT);
    }
}

double active_expire_stale_fraction(void) {
    return cycle.stale;
}

void active_expire_reset_stats(void) {
    cycle.stale = 0;
}
