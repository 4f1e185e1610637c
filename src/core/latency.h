/* latency.h - the latency monitor (LATENCY reads it) and the per-error-code counters of INFO
 * errorstats.
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

/* Per-command latency histograms (LATENCY HISTOGRAM, INFO latencystats), with the buckets of
 * Redis 7.0's HdrHistogram (1 ns to 1 s, 2 significant digits: 256 sub-buckets, each power of
 * two above 256 ns halving the resolution), so that the reported buckets and percentiles are
 * the values Redis would report for the same durations. */
typedef struct latencyHistogram latencyHistogram;
struct client;
void latency_histogram_record(latencyHistogram **h, long long ns);   /* allocates on first use */
void latency_histogram_free(latencyHistogram **h);
/* {calls, histogram_usec: {bucket upper bound in us -> calls up to it}} for each power of two
 * of ns from 1024, as Redis's LATENCY HISTOGRAM. */
void latency_histogram_reply(struct client *c, const latencyHistogram *h);
/* The value (ns) at percentile p (0..100), as HdrHistogram's hdr_value_at_percentile. */
long long latency_histogram_percentile(const latencyHistogram *h, double p);

/* Error replies by code (the first word of the message: "ERR", "WRONGTYPE", ...), as INFO
 * errorstats lists them. At most ERRORSTATS_MAX distinct codes are tracked (Redis's limit too);
 * codes first seen after that are not counted. */
#define ERRORSTATS_MAX 128
void errorstat_count(const char *msg, size_t len);     /* msg: the error line without '-' */
int errorstat_get(int i, const char **code, long long *count); /* 0 past the last */
void errorstat_reset(void);

#endif
