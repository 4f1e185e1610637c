/* latency.c - see latency.h. */
#include "core/latency.h"

#include <stdio.h>
#include <string.h>

#include "server.h"
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
