/* latency.c - see latency.h. */
#include "core/latency.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/reply.h"
#include "server.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/util.h"

#define MAX_EVENTS 32

static latencyEvent events[MAX_EVENTS];
static int nevents;

latencyEvent *latency_event_find(const char *name, size_t len) {
    for (int i = 0; i < nevents; i++)
        if (strlen(events[i].name) == len && memcmp(events[i].name, name, len) == 0) return &events[i];
    return NULL;
}

void latency_sample(const char *event, long long ms) {
    if (server.latency_monitor_threshold <= 0 || ms < server.latency_monitor_threshold) return;
    latencyEvent *e = latency_event_find(event, strlen(event));
    if (!e) {
        if (nevents == MAX_EVENTS) return;
        e = &events[nevents++];
        memset(e, 0, sizeof(*e));
        snprintf(e->name, sizeof(e->name), "%s", event);
    }
    int32_t now = (int32_t)(mstime() / 1000);
    int prev = (e->idx + LATENCY_HISTORY_LEN - 1) % LATENCY_HISTORY_LEN;
    if (e->samples[prev].time == now) {
        if ((uint32_t)ms > e->samples[prev].latency) e->samples[prev].latency = (uint32_t)ms;
    } else {
        e->samples[e->idx].time = now;
        e->samples[e->idx].latency = (uint32_t)ms;
        e->idx = (e->idx + 1) % LATENCY_HISTORY_LEN;
    }
    if ((uint32_t)ms > e->max) e->max = (uint32_t)ms;
}

int latency_event_count(void) {
    return nevents;
}

latencyEvent *latency_event_at(int i) {
    return i >= 0 && i < nevents ? &events[i] : NULL;
}

int latency_reset(int argc, const char *const *names, const size_t *lens) {
    int removed = 0;
    if (argc == 0) {
        removed = nevents;
        nevents = 0;
        return removed;
    }
    for (int a = 0; a < argc; a++) {
        latencyEvent *e = latency_event_find(names[a], lens[a]);
        if (!e) continue;
        *e = events[--nevents];
        removed++;
    }
    return removed;
}

/* ---- error counters ---- */

typedef struct errorStat {
    char code[32];
    long long count;
} errorStat;

static errorStat errorstats[ERRORSTATS_MAX];
static int nerrorstats;

void errorstat_count(const char *msg, size_t len) {
    size_t n = 0;
    while (n < len && msg[n] != ' ') n++;
    if (n >= sizeof(errorstats[0].code)) n = sizeof(errorstats[0].code) - 1;
    for (int i = 0; i < nerrorstats; i++) {
        if (strlen(errorstats[i].code) == n && memcmp(errorstats[i].code, msg, n) == 0) {
            errorstats[i].count++;
            return;
        }
    }
    if (nerrorstats == ERRORSTATS_MAX) return;
    errorStat *e = &errorstats[nerrorstats++];
    memcpy(e->code, msg, n);
    e->code[n] = '\0';
    e->count = 1;
}

int errorstat_get(int i, const char **code, long long *count) {
    if (i < 0 || i >= nerrorstats) return 0;
    *code = errorstats[i].code;
    *count = errorstats[i].count;
    return 1;
}

void errorstat_reset(void) {
    nerrorstats = 0;
}

/* ---------------------------------------------------------------- latency histograms */

/* HdrHistogram's layout for lowest 1, highest 1e9, 2 significant figures: sub-buckets of 256
 * values (the lower half of each bucket but the first overlaps the previous one, so a bucket
 * adds 128 counters), 23 buckets. Index arithmetic as HdrHistogram's, from its documentation. */
#define H_SUB_HALF_MAG 7
#define H_SUB_HALF (1 << H_SUB_HALF_MAG)
#define H_SUB_COUNT (2 * H_SUB_HALF)
#define H_COUNTS (24 * H_SUB_HALF)
#define H_MIN 1LL
#define H_MAX 1000000000LL

/* The counters in chunks of 128 (one per bucket), each allocated when a value first lands in it:
 * a command's durations span a few buckets, so a histogram takes a few KB, not 24. They are
 * server statistics allocated outside used_memory (plain calloc): timing a command must not
 * push the data set over maxmemory and evict keys. */
#define H_CHUNKS (H_COUNTS / H_SUB_HALF)

struct latencyHistogram {
    long long total;
    long long *chunks[H_CHUNKS];
};

static void *alloc_or_die(size_t size) {
    void *p = calloc(1, size);
    if (!p) {
        log_msg(LL_WARNING, "Out Of Memory allocating %zu bytes!", size);
        abort();
    }
    return p;
}

static long long h_count(const latencyHistogram *h, int index) {
    const long long *chunk = h->chunks[index >> H_SUB_HALF_MAG];
    return chunk ? chunk[index & (H_SUB_HALF - 1)] : 0;
}

static int h_bucket(long long v) {
    return (64 - __builtin_clzll((unsigned long long)v | (H_SUB_COUNT - 1))) - (H_SUB_HALF_MAG + 1);
}

static long long h_value_at(int index) {
    int bucket = (index >> H_SUB_HALF_MAG) - 1, sub = (index & (H_SUB_HALF - 1)) + H_SUB_HALF;
    if (bucket < 0) {
        sub -= H_SUB_HALF;
        bucket = 0;
    }
    return (long long)sub << bucket;
}

static long long h_lowest_equivalent(long long v) {
    int bucket = h_bucket(v);
    return (v >> bucket) << bucket;
}

static long long h_highest_equivalent(long long v) {
    int bucket = h_bucket(v);
    long long sub = v >> bucket;
    return (sub << bucket) + (1LL << (sub >= H_SUB_COUNT ? bucket + 1 : bucket)) - 1;
}

void latency_histogram_record(latencyHistogram **hp, long long ns) {
    if (!*hp) *hp = alloc_or_die(sizeof(latencyHistogram));
    long long v = ns < H_MIN ? H_MIN : ns > H_MAX ? H_MAX : ns;
    int bucket = h_bucket(v);
    int sub = (int)(v >> bucket);
    int index = ((bucket + 1) << H_SUB_HALF_MAG) + (sub - H_SUB_HALF);
    long long **chunk = &(*hp)->chunks[index >> H_SUB_HALF_MAG];
    if (!*chunk) *chunk = alloc_or_die(sizeof(long long) * H_SUB_HALF);
    (*chunk)[index & (H_SUB_HALF - 1)]++;
    (*hp)->total++;
}

void latency_histogram_free(latencyHistogram **hp) {
    if (!*hp) return;
    for (int i = 0; i < H_CHUNKS; i++) free((*hp)->chunks[i]);
    free(*hp);
    *hp = NULL;
}

long long latency_histogram_percentile(const latencyHistogram *h, double p) {
    double requested = p < 100.0 ? p : 100.0;
    long long at = (long long)((requested / 100) * (double)h->total + 0.5), seen = 0, value = 0;
    if (at < 1) at = 1;
    for (int i = 0; i < H_COUNTS; i++) {
        seen += h_count(h, i);
        if (seen >= at) {
            value = h_value_at(i);
            break;
        }
    }
    return p == 0.0 ? h_lowest_equivalent(value) : h_highest_equivalent(value);
}

/* HdrHistogram's logarithmic iteration (first bucket 1024 ns, base 2): a step reports the
 * counter it stopped on once its value reaches the next reporting level. */
typedef struct hIter {
    const latencyHistogram *h;
    int index;
    long long cumulative, value, highest;
    long long level, level_lowest;
} hIter;

static int h_move(hIter *it) {
    if (++it->index >= H_COUNTS) return 0;
    it->cumulative += h_count(it->h, it->index);
    it->value = h_value_at(it->index);
    it->highest = h_highest_equivalent(it->value);
    return 1;
}

static int h_next(hIter *it) {
    if (it->cumulative >= it->h->total && !(it->index < H_COUNTS && h_value_at(it->index + 1) > it->level_lowest))
        return 0;
    for (;;) {
        if (it->value >= it->level_lowest) {
            it->level *= 2;
            it->level_lowest = h_lowest_equivalent(it->level);
            return 1;
        }
        if (!h_move(it)) return 1;
    }
}

void latency_histogram_reply(client *c, const latencyHistogram *h) {
    reply_map_len(c, 2);
    reply_bulk_cstr(c, "calls");
    reply_integer(c, h->total);
    reply_bulk_cstr(c, "histogram_usec");
    replyDeferred d = reply_deferred(c);
    hIter it = {h, -1, 0, 0, 0, 1024, h_lowest_equivalent(1024)};
    long long previous = 0, n = 0;
    while (h_next(&it)) {
        if (it.cumulative > previous) {
            reply_integer(c, it.highest / 1000);
            reply_integer(c, it.cumulative);
            n++;
        }
        previous = it.cumulative;
    }
    reply_set_deferred_map(c, d, n);
}
