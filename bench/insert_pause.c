/* insert_pause: the longest single SET while Keel's keyspace grows, measured inside the
 * process (no network, no client), in wall time and in the thread's own CPU time.
 *
 *   build/release/insert_pause [N]        (make insert-pause; N defaults to 2^23 + 2^21)
 *
 * The server is set up headless (server_init_headless: databases, command table, the lazy-free
 * thread; no sockets) and N commands SET key:%08d <16 bytes> run through process_command, the
 * path a client's SET takes after parsing. Each is timed with CLOCK_MONOTONIC and with
 * CLOCK_THREAD_CPUTIME_ID. Wall time includes whatever stopped the thread (on a VM, the host
 * taking the CPU away); CPU time is the work the SET itself did: table splits, segment
 * allocations, page faults of new memory. The issue "keyspace table" bounds the resize work of
 * one operation; this shows that bound from outside the table, at the scale of growth.py.
 *
 * Prints the count of SETs over 100 us, 300 us and 1 ms and the maximum, for both clocks, and
 * where the slowest happened. Exit status 0, or 1 if a SET failed. Keel only: redis-server
 * cannot be driven in-process (growth.py compares the two from outside). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/config.h"
#include "keyspace/db.h"
#include "protocol/reply.h"
#include "server.h"

typedef struct pauseStats {
    long over_100us, over_300us, over_1ms;
    uint64_t max_ns;
    long max_at;
} pauseStats;

static uint64_t clock_ns(clockid_t id) {
    struct timespec ts;
    clock_gettime(id, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void account(pauseStats *s, uint64_t ns, long i) {
    s->over_100us += ns > 100000;
    s->over_300us += ns > 300000;
    s->over_1ms += ns > 1000000;
    if (ns > s->max_ns) {
        s->max_ns = ns;
        s->max_at = i;
    }
}

static void print_stats(const char *clock, const pauseStats *s) {
    printf("%-5s SETs > 100 us: %ld, > 300 us: %ld, > 1 ms: %ld; slowest %.0f us (key %ld)\n", clock,
           s->over_100us, s->over_300us, s->over_1ms, (double)s->max_ns / 1000.0, s->max_at);
}

int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : (1L << 23) + (1L << 21);
    if (n < 1 || n > 99999999) {
        fprintf(stderr, "usage: insert_pause [N], 1 <= N <= 99999999\n");
        return 2;
    }
    config_init_defaults();
    if (server_init_headless() < 0) return 1;
    client *c = client_create_fake();
    char name[] = "SET", key[16], value[16];
    memset(value, 'v', sizeof(value));
    karg argv_set[3] = {{name, 3}, {key, 0}, {value, sizeof(value)}};
    pauseStats wall = {0}, cpu = {0};
    for (long i = 0; i < n; i++) {
        argv_set[1].len = (size_t)snprintf(key, sizeof(key), "key:%08ld", i);
        uint64_t w0 = clock_ns(CLOCK_MONOTONIC), c0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
        client_execute(c, 3, argv_set);
        reply_free_all(c);
        account(&cpu, clock_ns(CLOCK_THREAD_CPUTIME_ID) - c0, i);
        account(&wall, clock_ns(CLOCK_MONOTONIC) - w0, i);
    }
    if (db_size(db_by_id(0)) != (size_t)n) {
        fprintf(stderr, "insert_pause: %zu keys after %ld SETs\n", db_size(db_by_id(0)), n);
        return 1;
    }
    printf("insert_pause: %ld SETs of key:%%08d, 16-byte values, in process\n", n);
    print_stats("cpu", &cpu);
    print_stats("wall", &wall);
    return 0;
}
