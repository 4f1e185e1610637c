/* evict.c - maxmemory enforcement and LRU/LFU access data; see evict.h.
 *
 * The eviction pool keeps up to EVPOOL_SIZE candidates sorted by ascending "score" (the higher
 * the better to evict: idle time for LRU, 255 minus the counter for LFU, the complement of the
 * expire time for TTL). Entries hold a copy of the key name and the database id, never a kobj
 * pointer, so a candidate that was deleted, moved or flushed in the meantime is simply not
 * found again when its turn comes. */
#include "keyspace/evict.h"

#include <limits.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

#include "keyspace/db.h"
#include "keyspace/hooks.h"
#include "keyspace/expire.h"
#include "keyspace/lazyfree.h"
#include "util/mem.h"
#include "util/util.h"

const char *const evict_policy_names[] = {
    "volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl",
    "allkeys-lru",  "allkeys-lfu",  "allkeys-random",  "noeviction", NULL,
};

#define LRU_CLOCK_MAX ((1u << 24) - 1)
#define SAMPLE_CHUNK 64              /* keys sampled per tableSample call */
#define EVICT_CHECK_EVERY 16         /* keys between time and memory checks */

/* ---------------------------------------------------------------- LRU / LFU access data */

static int policy(void) {
    return *keyspace_config.maxmemory_policy;
}

int evict_policy_is_lfu(void) {
    return policy() == MAXMEMORY_VOLATILE_LFU || policy() == MAXMEMORY_ALLKEYS_LFU;
}

static int policy_is_volatile(void) {
    return policy() <= MAXMEMORY_VOLATILE_TTL;
}

/* Both clocks read the command's cached time (keyspace_config.now_ms): an access costs no clock read,
 * as Redis's cached LRU clock. LRU: seconds in 24 bits, the same clock as lru_clock(). */
static uint32_t lru_now(void) {
    return (uint32_t)((keyspace_config.now_ms() / 1000) & LRU_CLOCK_MAX);
}

static unsigned lfu_minutes(void) {
    return (unsigned)((keyspace_config.now_ms() / 60000) & 0xFFFF);
}

/* Minutes since the 16-bit time ldt, which wraps. */
static unsigned lfu_elapsed(unsigned ldt) {
    unsigned now = lfu_minutes();
    return now >= ldt ? now - ldt : 0xFFFF - ldt + now;
}

unsigned evict_lfu_counter(const kobj *o) {
    unsigned counter = o->lru & 0xFF;
    unsigned decay = (unsigned)*keyspace_config.lfu_decay_time;
    unsigned periods = decay ? lfu_elapsed(o->lru >> 8) / decay : 0;
    return periods >= counter ? 0 : counter - periods;
}

/* Logarithmic increment: the likelihood of +1 falls as 1/((counter-LFU_INIT_VAL)*factor+1). */
static unsigned lfu_log_incr(unsigned counter) {
    if (counter == 255) return 255;
    double r = (double)(rand64() >> 11) / 9007199254740992.0;   /* uniform in [0,1) */
    double base = counter > LFU_INIT_VAL ? (double)(counter - LFU_INIT_VAL) : 0.0;
    double p = 1.0 / (base * *keyspace_config.lfu_log_factor + 1);
    return r < p ? counter + 1 : counter;
}

uint32_t evict_new_lru(void) {
    if (evict_policy_is_lfu()) return (lfu_minutes() << 8) | LFU_INIT_VAL;
    return lru_now();
}

void evict_touch(kobj *o) {
    if (evict_policy_is_lfu())
        o->lru = (lfu_minutes() << 8) | lfu_log_incr(evict_lfu_counter(o));
    else
        o->lru = lru_now();
}

void evict_set_access(kobj *o, long long lfu_freq, long long lru_idle) {
    if (evict_policy_is_lfu()) {
        if (lfu_freq >= 0) o->lru = (lfu_minutes() << 8) | (uint32_t)(lfu_freq > 255 ? 255 : lfu_freq);
    } else if (lru_idle >= 0) {
        uint32_t now = lru_now();
        uint32_t idle = lru_idle > LRU_CLOCK_MAX ? LRU_CLOCK_MAX : (uint32_t)lru_idle;
        o->lru = now >= idle ? now - idle : LRU_CLOCK_MAX - (idle - now) + 1;
    }
}

long long evict_idle_seconds(const kobj *o) {
    uint32_t now = lru_now();
    return now >= o->lru ? (long long)(now - o->lru) : (long long)(now + (LRU_CLOCK_MAX - o->lru) + 1);
}

/* ---------------------------------------------------------------- the eviction pool */

typedef struct poolEntry {
    unsigned long long score;
    char *key;              /* NULL: empty slot (buf is kept for reuse) */
    size_t klen;
    char *buf;
    size_t bufcap;
    int dbid;
} poolEntry;

static poolEntry pool[EVPOOL_SIZE];

static unsigned long long score_of(const kobj *o) {
    switch (policy()) {
    case MAXMEMORY_VOLATILE_TTL: return ULLONG_MAX - (unsigned long long)obj_expire(o);
    case MAXMEMORY_VOLATILE_LFU:
    case MAXMEMORY_ALLKEYS_LFU: return 255 - evict_lfu_counter(o);
    default: return (unsigned long long)evict_idle_seconds(o);
    }
}

static void pool_fill_slot(poolEntry *e, const kobj *o, unsigned long long score, int dbid) {
    size_t klen = obj_keylen(o);
    if (e->bufcap < klen + 1) {
        e->bufcap = klen + 1 > 64 ? klen + 1 : 64;
        e->buf = krealloc(e->buf, e->bufcap);
    }
    memcpy(e->buf, obj_key(o), klen);
    e->buf[klen] = '\0';
    e->key = e->buf;
    e->klen = klen;
    e->score = score;
    e->dbid = dbid;
}

/* Inserts a candidate keeping the pool sorted; a candidate worse than every entry of a full
 * pool is dropped, and a full pool drops its worst entry to make room. */
static void pool_insert(const kobj *o, int dbid) {
    unsigned long long score = score_of(o);
    int k = 0;
    while (k < EVPOOL_SIZE && pool[k].key && pool[k].score < score) k++;
    if (k == 0 && pool[EVPOOL_SIZE - 1].key) return;
    if (k < EVPOOL_SIZE && !pool[k].key) {
        /* an empty slot at the insertion point */
    } else if (!pool[EVPOOL_SIZE - 1].key) {
        poolEntry spare = pool[EVPOOL_SIZE - 1];   /* keep its buffer */
        memmove(pool + k + 1, pool + k, sizeof(poolEntry) * (EVPOOL_SIZE - k - 1));
        pool[k] = spare;
    } else {
        k--;   /* shift the better entries left, dropping the worst (entry 0) */
        poolEntry spare = pool[0];
        memmove(pool, pool + 1, sizeof(poolEntry) * (size_t)k);
        pool[k] = spare;
    }
    pool_fill_slot(&pool[k], o, score, dbid);
}

/* Samples up to `want` (<= SAMPLE_CHUNK) keys of db into the pool. Returns how many. */
static size_t pool_populate_chunk(kdb *db, size_t want) {
    kobj *sample[SAMPLE_CHUNK];
    size_t n = 0;
    if (policy_is_volatile()) {
        for (; n < want && db->ttl.len; n++) sample[n] = ttl_entry(db, (uint32_t)(rand64() % db->ttl.len));
    } else if (db->keys && tableSize(db->keys)) {
        n = tableSample(db->keys, (void **)sample, want);
    }
    for (size_t i = 0; i < n; i++) pool_insert(sample[i], db->id);
    return n;
}

/* Samples maxmemory-samples keys of db (or all it has) into the pool. Returns how many. */
static size_t pool_populate(kdb *db) {
    size_t want = (size_t)*keyspace_config.maxmemory_samples, total = 0;
    size_t keys = policy_is_volatile() ? db->ttl.len : db_size(db);
    if (want > keys) want = keys;   /* more samples than keys: as many as there are keys */
    while (total < want) {
        size_t chunk = want - total < SAMPLE_CHUNK ? want - total : SAMPLE_CHUNK;
        size_t got = pool_populate_chunk(db, chunk);
        if (!got) break;
        total += got;
    }
    return total;
}

/* The best candidate still present (with a TTL for volatile policies), emptying the slots it
 * passes; NULL if the pool has none. A candidate whose score fell since it was sampled was
 * used in the meantime (idle time and the LFU counter's decay only grow a score), so it is
 * dropped rather than evicted: Redis evicts it on its stale score. */
static kobj *pool_pop_best(kdb **dbp) {
    for (int k = EVPOOL_SIZE - 1; k >= 0; k--) {
        if (!pool[k].key) continue;
        kdb *db = db_by_id(pool[k].dbid);
        kobj *o = db && db->keys ? tableFind(db->keys, pool[k].key, pool[k].klen) : NULL;
        pool[k].key = NULL;
        if (o && (!policy_is_volatile() || o->has_expire) && score_of(o) >= pool[k].score) {
            *dbp = db;
            return o;
        }
    }
    return NULL;
}

/* ---------------------------------------------------------------- choosing and evicting */

static int next_random_db;   /* the random policies visit databases round robin */

static kobj *pick_random(kdb **dbp) {
    for (int n = 0; n < db_count(); n++) {
        kdb *db = db_by_id(next_random_db++ % db_count());
        kobj *o = NULL;
        if (policy() == MAXMEMORY_ALLKEYS_RANDOM)
            o = db->keys ? tableRandom(db->keys) : NULL;
        else if (db->ttl.len)
            o = ttl_entry(db, (uint32_t)(rand64() % db->ttl.len));
        if (o) {
            *dbp = db;
            return o;
        }
    }
    return NULL;
}

static kobj *pick_from_pool(kdb **dbp) {
    for (;;) {
        size_t sampled = 0;
        for (int i = 0; i < db_count(); i++) sampled += pool_populate(db_by_id(i));
        if (!sampled) return NULL;
        kobj *o = pool_pop_best(dbp);
        if (o) return o;
    }
}

static kobj *pick_victim(kdb **dbp) {
    switch (policy()) {
    case MAXMEMORY_NO_EVICTION: return NULL;
    case MAXMEMORY_ALLKEYS_RANDOM:
    case MAXMEMORY_VOLATILE_RANDOM: return pick_random(dbp);
    default: return pick_from_pool(dbp);
    }
}

/* Deletes o as an eviction. Returns the bytes it frees: measured across the deletion only,
 * plus the value's size when the lazy-free thread takes it (it is freed a little later). What
 * the announcement allocates (invalidation messages to tracking clients, the DEL for replicas)
 * is left out, as Redis measures it: counting it would make each eviction ask for more. */
static size_t evict_key(kdb *db, kobj *o) {
    size_t before = mem_used();
    int lazy = *keyspace_config.lazyfree_lazy_eviction && lazyfree_effort(o) > LAZYFREE_THRESHOLD;
    size_t value_bytes = lazy ? obj_memory(o) : 0;
    db_unlink(db, o);
    size_t unlinked = mem_used();
    /* Announced while the unlinked entry, and so its key bytes, is still allocated. */
    if (keyspace_hooks.key_deleted) keyspace_hooks.key_deleted(db, o, KEY_DELETED_EVICTED);
    size_t announced = mem_used();
    lazyfree_obj(o, lazy);
    size_t after = mem_used();
    long long freed = ((long long)before - (long long)unlinked) + ((long long)announced - (long long)after);
    return (freed > 0 ? (size_t)freed : 0) + value_bytes;
}

/* Redis's time bound per call: 50 us per tenacity step up to 10, then +15% per step, and
 * unlimited at 100. */
static uint64_t time_limit_us(void) {
    int t = *keyspace_config.maxmemory_eviction_tenacity;
    if (t <= 10) return 50ULL * (uint64_t)t;
    if (t < 100) return (uint64_t)(500.0 * pow(1.15, t - 10.0));
    return UINT64_MAX;
}

static int evict_pending;   /* the last call stopped on its time limit */

/* The memory maxmemory limits: all of it but what is not counted (replicas' output). */
static size_t counted_memory(void) {
    size_t used = mem_used(), not_counted = keyspace_config.mem_not_counted ? keyspace_config.mem_not_counted() : 0;
    return used > not_counted ? used - not_counted : 0;
}

static int under_limit(void) {
    return counted_memory() <= (size_t)*keyspace_config.maxmemory;
}

enum { EVICT_OK, EVICT_RUNNING, EVICT_FAIL };   /* Redis's three outcomes */

/* Nothing left to evict: memory the lazy-free thread is releasing may still bring usage under
 * the limit, so wait for it briefly (as Redis does) before refusing. */
static int cant_free(void) {
    if (lazyfree_pending()) {
        uint64_t wait = time_limit_us();
        usleep(wait > 1000 ? 1000 : (useconds_t)wait);
        if (under_limit()) return EVICT_OK;
    }
    return EVICT_FAIL;
}

static int perform_evictions(void) {
    uint64_t start = monotonic_us(), limit = time_limit_us();
    long long keys = 0;
    if (!*keyspace_config.maxmemory || under_limit()) return EVICT_OK;
    /* One pass frees what the counter says is over at its start, as Redis's performEvictions:
     * memory allocated meanwhile (invalidation messages for the evicted keys, the pool's key
     * buffers) is left for the next command's pass, so evictions cannot feed themselves.
     * Memory the lazy-free thread is still releasing is counted as freed. */
    size_t to_free = counted_memory() - (size_t)*keyspace_config.maxmemory, freed = 0;
    while (freed < to_free) {
        kdb *db = NULL;
        kobj *o = pick_victim(&db);
        if (!o) return cant_free();
        freed += evict_key(db, o);
        if (++keys % EVICT_CHECK_EVERY) continue;
        if (under_limit()) return EVICT_OK;
        if (monotonic_us() - start >= limit) {
            evict_pending = 1;   /* go on from before_sleep; let this command run */
            return EVICT_RUNNING;
        }
    }
    return lazyfree_pending() && !under_limit() ? EVICT_RUNNING : EVICT_OK;
}

/* INFO total/current_eviction_exceeded_time: how long used memory stayed above the limit. */
static uint64_t exceeded_total_us, exceeded_since_us;   /* since: 0 when not over */

static void track_exceeded_time(int result) {
    uint64_t now = monotonic_us();
    if (result != EVICT_OK) {
        if (!exceeded_since_us) exceeded_since_us = now;
    } else if (exceeded_since_us) {
        exceeded_total_us += now - exceeded_since_us;
        exceeded_since_us = 0;
    }
}

int evict_to_fit(void) {
    /* A config file's maxmemory is applied before the databases (and keyspace_config) exist. */
    if (!db_count()) return 1;
    /* A replica evicts nothing on its own: its primary's evictions arrive as DELs. */
    if (keyspace_config.expire_mode && keyspace_config.expire_mode() != KEYS_EXPIRE) return 1;
    evict_pending = 0;
    int result = perform_evictions();
    track_exceeded_time(result);
    return result != EVICT_FAIL;
}

void evict_exceeded_time_ms(long long *total, long long *current) {
    uint64_t cur = exceeded_since_us ? monotonic_us() - exceeded_since_us : 0;
    *current = (long long)(cur / 1000);
    *total = (long long)((exceeded_total_us + cur) / 1000);
}

void evict_reset_stats(void) {
    exceeded_total_us = 0;
    exceeded_since_us = 0;
}

void evict_schedule(void) {
    evict_pending = 1;
}

void evict_continue(void) {
    if (evict_pending && *keyspace_config.maxmemory) evict_to_fit();
}
