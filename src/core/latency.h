/* latency.h - the slow log and the latency monitor (SLOWLOG and LATENCY read these).
 *
 * Latency events: each named event keeps its last 160 samples above
 * latency-monitor-threshold (one per second at most, the worst of that second), and its
 * all-time maximum, like Redis's latency monitor. */
#ifndef KEEL_LATENCY_H
#define KEEL_LATENCY_H

#include <stddef.h>
#include <stdint.h>

#define LATENCY_HISTORY_LEN 160

typedef struct latencySample {
    int32_t time;      /* unix seconds */
    uint32_t latency;  /* milliseconds */
} latencySample;

typedef struct latencyEvent {
    char name[32];
    latencySample samples[LATENCY_HISTORY_LEN];
    int idx;           /* next slot */
    uint32_t max;
} latencyEvent;

void latency_sample(const char *event, long long ms);
int latency_event_count(void);
latencyEvent *latency_event_at(int i);
latencyEvent *latency_event_find(const char *name, size_t len);
int latency_reset(int argc, const char *const *names, const size_t *lens); /* 0 names: all */

void slowlog_trim(void);
void slowlog_reset(void);

#endif
