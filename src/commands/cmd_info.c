/* cmd_info.c - INFO: the server's state as "field:value" lines, in Redis 7.0's sections and
 * field names (clients such as redis-py's info() and monitoring tools parse them).
 *
 * Layout, as Redis: each section is "# Title\r\n" followed by its "name:value\r\n" lines;
 * sections are separated by one "\r\n"; the whole text is a bulk string (RESP2) or a
 * verbatim "txt" string (RESP3). Fields of features Keel doesn't have (persistence,
 * replication, cluster, modules, Lua memory) report their idle values honestly: Keel is a
 * master that never saved, with no replicas. Fields that exist only in Keel are few and
 * named keel_* (keel_version).
 *
 * The instantaneous_* rates are sampled by info_cron() every 100 ms into a ring of 16
 * samples, like Redis's trackInstantaneousMetric. The process RSS and jemalloc's figures are
 * refreshed by the same cron (as Redis's cron_malloc_stats): reading them costs ~100 us (a
 * /proc read and a jemalloc stats epoch), too much for every INFO of a monitoring client. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#ifdef KEEL_JEMALLOC
#include <jemalloc/jemalloc.h>
#endif

#include "commands/admin.h"
#include "cluster/cluster_cmd.h"
#include "commands/commands.h"
#include "core/pubsub.h"
#include "core/tracking.h"
#include "core/blocking.h"
#include "core/client_evict.h"
#include "core/latency.h"
#include "keyspace/db.h"
#include "keyspace/defrag.h"
#include "keyspace/evict.h"
#include "keyspace/expire.h"
#include "keyspace/lazyfree.h"
#include "persist/aof.h"
#include "persist/bgsave.h"
#include "persist/persist.h"
#include "protocol/reply.h"
#include "repl/repl.h"
#include "scripting/script.h"
#include "util/mem.h"
#include "util/util.h"

/* ---------------------------------------------------------------- instantaneous metrics */

#define METRIC_SAMPLES 16
#define METRIC_PERIOD_MS 100

enum { METRIC_OPS, METRIC_NET_IN, METRIC_NET_OUT, METRIC_COUNT };

static struct {
    long long last_sample_ms;
    long long last_value;
    long long samples[METRIC_SAMPLES];   /* per second */
    int idx;
} metrics[METRIC_COUNT];

static size_t startup_memory;   /* used_memory when the first cron tick ran */

static void track_metric(int m, long long value, long long now) {
    long long elapsed = now - metrics[m].last_sample_ms;
    if (metrics[m].last_sample_ms && elapsed > 0) {
        metrics[m].samples[metrics[m].idx] = (value - metrics[m].last_value) * 1000 / elapsed;
        metrics[m].idx = (metrics[m].idx + 1) % METRIC_SAMPLES;
    }
    metrics[m].last_sample_ms = now;
    metrics[m].last_value = value;
}

static long long metric_value(int m) {
    long long sum = 0;
    for (int i = 0; i < METRIC_SAMPLES; i++) sum += metrics[m].samples[i];
    return sum / METRIC_SAMPLES;
}

/* The allocator's view as of the last cron: process RSS, and jemalloc's allocated, active and
 * resident bytes (the C library's allocator has none: used and RSS stand in). */
static struct {
    size_t rss, allocated, active, resident;
    int valid;
} alloc_stats;

#ifdef KEEL_JEMALLOC
static size_t jemalloc_stat(const char *name) {
    size_t v = 0, sz = sizeof(v);
    return mallctl(name, &v, &sz, NULL, 0) == 0 ? v : 0;
}
#endif

static void refresh_alloc_stats(void) {
    alloc_stats.rss = mem_rss();
    alloc_stats.allocated = alloc_stats.active = mem_used();
    alloc_stats.resident = alloc_stats.rss;
#ifdef KEEL_JEMALLOC
    uint64_t epoch = 1;
    size_t esz = sizeof(epoch);
    mallctl("epoch", &epoch, &esz, &epoch, esz);   /* refresh jemalloc's cached statistics */
    alloc_stats.allocated = jemalloc_stat("stats.allocated");
    alloc_stats.active = jemalloc_stat("stats.active");
    alloc_stats.resident = jemalloc_stat("stats.resident");
#endif
    alloc_stats.valid = 1;
}

/* Called from the server cron. */
void info_cron(void) {
    if (!startup_memory) startup_memory = mem_used();
    long long now = mstime();
    if (now - metrics[METRIC_OPS].last_sample_ms < METRIC_PERIOD_MS) return;
    refresh_alloc_stats();
    track_metric(METRIC_OPS, server.stat_numcommands, now);
    track_metric(METRIC_NET_IN, server.stat_net_input_bytes, now);
    track_metric(METRIC_NET_OUT, server.stat_net_output_bytes, now);
}

void info_reset_stats(void) {
    memset(metrics, 0, sizeof(metrics));
    lazyfree_reset_stats();   /* Redis's RESETSTAT zeroes lazyfreed_objects too */
    evict_reset_stats();      /* and the eviction exceeded time */
    repl_reset_stats();       /* and the sync counters */
    defrag_stats.hits = defrag_stats.misses = defrag_stats.key_hits = defrag_stats.key_misses = 0;
    defrag_stats.total_us = 0;
}

/* ---------------------------------------------------------------- helpers */

#define FIELD(s, name, fmt, ...) s = kstr_catfmt(s, name ":" fmt "\r\n", __VA_ARGS__)

static kstr *human_field(kstr *s, const char *name, unsigned long long bytes) {
    char buf[64];
    bytes_to_human(buf, sizeof(buf), bytes);
    return kstr_catfmt(s, "%s:%llu\r\n%s_human:%s\r\n", name, bytes, name, buf);
}

/* ---------------------------------------------------------------- sections */

static kstr *info_server(kstr *s) {
    struct utsname name;
    uname(&name);
    long long now_us = ustime();
    long long uptime = (mstime() - server.start_ms) / 1000;
    char exe[1024];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    exe[n > 0 ? n : 0] = '\0';
    FIELD(s, "redis_version", "%s", REDIS_COMPAT_VERSION);
    FIELD(s, "keel_version", "%s", KEEL_VERSION);
    s = kstr_catc(s, "redis_git_sha1:00000000\r\nredis_git_dirty:0\r\nredis_build_id:0\r\n"
                     "redis_mode:standalone\r\n");
    FIELD(s, "os", "%s %s %s", name.sysname, name.release, name.machine);
    FIELD(s, "arch_bits", "%d", (int)(sizeof(long) * 8));
    s = kstr_catc(s, "monotonic_clock:POSIX clock_gettime\r\nmultiplexing_api:epoll\r\n"
                     "atomicvar_api:c11-builtin\r\n");
    FIELD(s, "gcc_version", "%d.%d.%d", __GNUC__, __GNUC_MINOR__, __GNUC_PATCHLEVEL__);
    FIELD(s, "process_id", "%d", (int)server.pid);
    s = kstr_catc(s, "process_supervised:no\r\n");
    FIELD(s, "run_id", "%s", server.runid);
    FIELD(s, "tcp_port", "%d", server.port);
    FIELD(s, "server_time_usec", "%lld", now_us);
    FIELD(s, "uptime_in_seconds", "%lld", uptime);
    FIELD(s, "uptime_in_days", "%lld", uptime / 86400);
    FIELD(s, "hz", "%d", server.hz);
    FIELD(s, "configured_hz", "%d", server.hz);
    FIELD(s, "lru_clock", "%u", (unsigned)server.lruclock);
    FIELD(s, "executable", "%s", exe);
    FIELD(s, "config_file", "%s", server.configfile ? server.configfile : "");
    s = kstr_catc(s, "io_threads_active:0\r\n");
    if (server.shutdown_deadline_ms) {   /* a shutdown waiting for the replicas (server.c) */
        long long left = server.shutdown_deadline_ms - mstime();
        FIELD(s, "shutdown_in_milliseconds", "%lld", left > 0 ? left : 0);
    }
    return s;
}

static kstr *info_clients(kstr *s) {
    size_t max_in = 0, max_out = 0;
    long long paused = 0;   /* held by CLIENT PAUSE: Redis counts them as blocked */
    for (client *c = server.clients; c; c = c->next) {
        paused += c->paused;
        size_t in = c->querybuf->cap > c->querybuf_peak ? c->querybuf->cap : c->querybuf_peak;
        if (in > max_in) max_in = in;
        if (c->reply_bytes > max_out) max_out = c->reply_bytes;
    }
    /* As Redis: the replicas' links are not clients here. */
    FIELD(s, "connected_clients", "%lld", server.nclients - repl_replicas_count());
    s = kstr_catc(s, "cluster_connections:0\r\n");
    FIELD(s, "maxclients", "%lld", server.maxclients);
    FIELD(s, "client_recent_max_input_buffer", "%zu", max_in);
    FIELD(s, "client_recent_max_output_buffer", "%zu", max_out);
    FIELD(s, "blocked_clients", "%lld", blocking_clients_count() + paused);
    long long tclients, tkeys, titems, tprefixes;
    tracking_info(&tclients, &tkeys, &titems, &tprefixes);   /* core/tracking.c */
    FIELD(s, "tracking_clients", "%lld", tclients);
    FIELD(s, "clients_in_timeout_table", "%lld", blocking_timeout_clients_count());
    return s;
}

/* Memory that isn't the dataset: start-up memory, client buffers, the tables' own arrays.
 * The clients' share, split as Redis splits it: replicas, and every other client. */
static void clients_memory(size_t *normal, size_t *slaves) {
    *normal = *slaves = 0;
    for (client *c = server.clients; c; c = c->next) {
        if (c->flags & CLIENT_SLAVE)
            *slaves += kstr_alloc_size(c->querybuf) + c->reply_bytes + kmalloc_size(c);
        else
            *normal += client_memory_usage(c, NULL);   /* core/client_evict.c: tot-mem */
    }
}

size_t db_overhead_bytes(const kdb *db, size_t *main, size_t *expires) {
    *main = db->keys ? tableOverheadBytes(db->keys) : 0;
    *expires = kmalloc_size(db->ttl.hashes);
    return *main + *expires;
}

void memory_overview(memOverview *m, int fresh) {
    memset(m, 0, sizeof(*m));
    m->used = mem_used();
    if (m->used > server.stat_peak_memory) server.stat_peak_memory = m->used;
    m->peak = server.stat_peak_memory;
    m->startup = startup_memory;
    if (fresh || !alloc_stats.valid) refresh_alloc_stats();
    m->rss = alloc_stats.rss;
    clients_memory(&m->clients_normal, &m->clients_slaves);
    /* The shared replication buffer: the backlog's share up to repl-backlog-size, the rest is
     * the replicas' (as Redis splits it). */
    m->repl_backlog = repl_backlog_memory();
    m->clients_slaves += repl_buffer_memory() - m->repl_backlog;
    size_t tables = 0, main, expires;
    for (int i = 0; i < server.dbnum; i++) {
        tables += db_overhead_bytes(db_by_id(i), &main, &expires);
        m->keys += db_size(db_by_id(i));
    }
    m->overhead = m->startup + m->clients_normal + m->clients_slaves + m->repl_backlog + tables;
    if (m->overhead > m->used) m->overhead = m->used;
    m->dataset = m->used - m->overhead;
    m->allocated = alloc_stats.allocated;
    m->active = alloc_stats.active;
    m->resident = alloc_stats.resident;
}

static double ratio(size_t a, size_t b) {
    return b ? (double)a / (double)b : 0.0;
}

static kstr *info_memory(kstr *s) {
    memOverview m;
    memory_overview(&m, 0);
    size_t net = m.used > m.startup ? m.used - m.startup : 0;
    unsigned long long total_mem = (unsigned long long)sysconf(_SC_PHYS_PAGES) * (unsigned long long)sysconf(_SC_PAGESIZE);
    s = human_field(s, "used_memory", m.used);
    s = human_field(s, "used_memory_rss", m.rss);
    s = human_field(s, "used_memory_peak", m.peak);
    FIELD(s, "used_memory_peak_perc", "%.2f%%", 100.0 * ratio(m.used, m.peak));
    FIELD(s, "used_memory_overhead", "%zu", m.overhead);
    FIELD(s, "used_memory_startup", "%zu", m.startup);
    FIELD(s, "used_memory_dataset", "%zu", m.dataset);
    FIELD(s, "used_memory_dataset_perc", "%.2f%%", 100.0 * ratio(m.dataset, net));
    FIELD(s, "allocator_allocated", "%zu", m.allocated);
    FIELD(s, "allocator_active", "%zu", m.active);
    FIELD(s, "allocator_resident", "%zu", m.resident);
    s = human_field(s, "total_system_memory", total_mem);
    /* The Lua VM's own heap (Lua allocates outside kmalloc), in Redis 7.0's field order; Keel
     * has no FUNCTION libraries. */
    size_t lua = scripting_memory();
    char lua_human[32];
    bytes_to_human(lua_human, sizeof(lua_human), lua);
    FIELD(s, "used_memory_lua", "%zu", lua);
    FIELD(s, "used_memory_vm_eval", "%zu", lua);
    FIELD(s, "used_memory_lua_human", "%s", lua_human);
    FIELD(s, "used_memory_scripts_eval", "%d", 0);
    FIELD(s, "number_of_cached_scripts", "%lld", scripting_cached_count());
    s = kstr_catc(s, "number_of_functions:0\r\nnumber_of_libraries:0\r\nused_memory_vm_functions:0\r\n");
    FIELD(s, "used_memory_vm_total", "%zu", lua);
    FIELD(s, "used_memory_vm_total_human", "%s", lua_human);
    s = kstr_catc(s, "used_memory_functions:0\r\nused_memory_scripts:0\r\nused_memory_scripts_human:0B\r\n");
    s = human_field(s, "maxmemory", (unsigned long long)server.maxmemory);
    FIELD(s, "maxmemory_policy", "%s", evict_policy_names[server.maxmemory_policy]);
    FIELD(s, "allocator_frag_ratio", "%.2f", ratio(m.active, m.allocated));
    FIELD(s, "allocator_frag_bytes", "%lld", (long long)m.active - (long long)m.allocated);
    FIELD(s, "allocator_rss_ratio", "%.2f", ratio(m.resident, m.active));
    FIELD(s, "allocator_rss_bytes", "%lld", (long long)m.resident - (long long)m.active);
    FIELD(s, "rss_overhead_ratio", "%.2f", ratio(m.rss, m.resident));
    FIELD(s, "rss_overhead_bytes", "%lld", (long long)m.rss - (long long)m.resident);
    FIELD(s, "mem_fragmentation_ratio", "%.2f", ratio(m.rss, m.used));
    FIELD(s, "mem_fragmentation_bytes", "%lld", (long long)m.rss - (long long)m.used);
    FIELD(s, "mem_not_counted_for_evict", "%zu",
          server.replica_output_bytes + repl_buffer_not_counted() + aof_buffer_memory() + clients_evicted_memory());   /* as evict.c counts */
    FIELD(s, "mem_replication_backlog", "%zu", m.repl_backlog);
    FIELD(s, "mem_total_replication_buffers", "%zu", repl_buffer_memory());
    FIELD(s, "mem_clients_slaves", "%zu", m.clients_slaves);
    FIELD(s, "mem_clients_normal", "%zu", m.clients_normal);
    s = kstr_catc(s, "mem_cluster_links:0\r\n");
    FIELD(s, "mem_aof_buffer", "%zu", aof_buffer_memory());
    FIELD(s, "mem_allocator", "%s", mem_allocator_name());
    FIELD(s, "active_defrag_running", "%d", defrag_stats.running);
    FIELD(s, "lazyfree_pending_objects", "%zu", lazyfree_pending());
    FIELD(s, "lazyfreed_objects", "%zu", lazyfree_freed());
    return s;
}

static kstr *info_persistence(kstr *s) {
    /* RDB and AOF fields from src/persist/. */
    s = persist_info(s);
    return aof_info(s);
}

static kstr *info_stats(kstr *s) {
    FIELD(s, "total_connections_received", "%lld", server.stat_numconnections);
    FIELD(s, "total_commands_processed", "%lld", server.stat_numcommands);
    FIELD(s, "instantaneous_ops_per_sec", "%lld", metric_value(METRIC_OPS));
    FIELD(s, "total_net_input_bytes", "%lld", server.stat_net_input_bytes);
    FIELD(s, "total_net_output_bytes", "%lld", server.stat_net_output_bytes);
    s = kstr_catc(s, "total_net_repl_input_bytes:0\r\ntotal_net_repl_output_bytes:0\r\n");
    FIELD(s, "instantaneous_input_kbps", "%.2f", (double)metric_value(METRIC_NET_IN) / 1024);
    FIELD(s, "instantaneous_output_kbps", "%.2f", (double)metric_value(METRIC_NET_OUT) / 1024);
    s = kstr_catc(s, "instantaneous_input_repl_kbps:0.00\r\ninstantaneous_output_repl_kbps:0.00\r\n");
    FIELD(s, "rejected_connections", "%lld", server.stat_rejected_conn);
    s = repl_info_stats(s);   /* repl/primary.c: sync_full, sync_partial_ok, sync_partial_err */
    FIELD(s, "expired_keys", "%lld", server.stat_expiredkeys);
    FIELD(s, "expired_stale_perc", "%.2f", active_expire_stale_fraction() * 100);
    s = kstr_catc(s, "expired_time_cap_reached_count:0\r\n");
    FIELD(s, "expire_cycle_cpu_milliseconds", "%lld", keyspace_stats.expire_cycle_us / 1000);
    FIELD(s, "evicted_keys", "%lld", server.stat_evictedkeys);
    long long exceeded_total, exceeded_now;
    evict_exceeded_time_ms(&exceeded_total, &exceeded_now);   /* keyspace/evict.c */
    FIELD(s, "evicted_clients", "%lld", server.stat_evictedclients);
    FIELD(s, "total_eviction_exceeded_time", "%lld", exceeded_total);
    FIELD(s, "current_eviction_exceeded_time", "%lld", exceeded_now);
    FIELD(s, "keyspace_hits", "%lld", keyspace_stats.hits);
    FIELD(s, "keyspace_misses", "%lld", keyspace_stats.misses);
    long long channels, patterns, shard_channels, tclients, tkeys, titems, tprefixes;
    pubsub_info(&channels, &patterns, &shard_channels);   /* core/pubsub.c */
    tracking_info(&tclients, &tkeys, &titems, &tprefixes);   /* core/tracking.c */
    FIELD(s, "pubsub_channels", "%lld", channels);
    FIELD(s, "pubsub_patterns", "%lld", patterns);
    FIELD(s, "pubsubshard_channels", "%lld", shard_channels);
    s = kstr_catc(s, "latest_fork_usec:0\r\n");
    FIELD(s, "total_forks", "%lld", bgsave_saves_started());   /* persist/bgsave.c: forkless saves count as Redis's forks */
    FIELD(s, "migrate_cached_sockets", "%d", migrate_cached_sockets());   /* cluster/migrate.c */
    s = kstr_catc(s, "slave_expires_tracked_keys:0\r\n");
    long long current_us = defrag_stats.running ? (long long)(monotonic_us() - defrag_stats.run_start_us) : 0;
    FIELD(s, "active_defrag_hits", "%lld", defrag_stats.hits);
    FIELD(s, "active_defrag_misses", "%lld", defrag_stats.misses);
    FIELD(s, "active_defrag_key_hits", "%lld", defrag_stats.key_hits);
    FIELD(s, "active_defrag_key_misses", "%lld", defrag_stats.key_misses);
    FIELD(s, "total_active_defrag_time", "%lld", (defrag_stats.total_us + current_us) / 1000);
    FIELD(s, "current_active_defrag_time", "%lld", current_us / 1000);
    FIELD(s, "tracking_total_keys", "%lld", tkeys);
    FIELD(s, "tracking_total_items", "%lld", titems);
    FIELD(s, "tracking_total_prefixes", "%lld", tprefixes);
    FIELD(s, "unexpected_error_replies", "%lld", server.stat_unexpected_error_replies);
    FIELD(s, "total_error_replies", "%lld", server.stat_total_error_replies);
    s = kstr_catc(s, "dump_payload_sanitizations:0\r\n");
    FIELD(s, "client_query_buffer_limit_disconnections", "%lld", server.stat_client_qbuf_limit_disconnections);
    FIELD(s, "client_output_buffer_limit_disconnections", "%lld", server.stat_client_outbuf_limit_disconnections);
    return kstr_catc(s, "io_threaded_reads_processed:0\r\nio_threaded_writes_processed:0\r\n");
}

static kstr *info_replication(kstr *s) {
    return repl_info(s);   /* repl/replica.c */
}

static double tv_seconds(struct timeval tv) {
    return (double)tv.tv_sec + (double)tv.tv_usec / 1000000.0;
}

static kstr *info_cpu(kstr *s) {
    struct rusage self, children, thread;
    getrusage(RUSAGE_SELF, &self);
    getrusage(RUSAGE_CHILDREN, &children);
    getrusage(RUSAGE_THREAD, &thread);
    FIELD(s, "used_cpu_sys", "%.6f", tv_seconds(self.ru_stime));
    FIELD(s, "used_cpu_user", "%.6f", tv_seconds(self.ru_utime));
    FIELD(s, "used_cpu_sys_children", "%.6f", tv_seconds(children.ru_stime));
    FIELD(s, "used_cpu_user_children", "%.6f", tv_seconds(children.ru_utime));
    FIELD(s, "used_cpu_sys_main_thread", "%.6f", tv_seconds(thread.ru_stime));
    FIELD(s, "used_cpu_user_main_thread", "%.6f", tv_seconds(thread.ru_utime));
    return s;
}

static kstr *info_modules(kstr *s) {
    return s;   /* Keel has no modules */
}

static kstr *commandstat_line(kstr *s, const command *cmd) {
    if (!cmd->calls && !cmd->failed_calls && !cmd->rejected_calls) return s;
    double per_call = cmd->calls ? (double)cmd->microseconds / (double)cmd->calls : 0.0;
    return kstr_catfmt(s, "cmdstat_%s:calls=%lld,usec=%lld,usec_per_call=%.2f,rejected_calls=%lld,failed_calls=%lld\r\n",
                       cmd->fullname, cmd->calls, cmd->microseconds, per_call, cmd->rejected_calls, cmd->failed_calls);
}

static kstr *info_commandstats(kstr *s) {
    for (const command *cmd = command_table(); cmd->name; cmd++) {
        s = commandstat_line(s, cmd);
        for (const command *sub = cmd->subcommands; sub && sub->name; sub++) s = commandstat_line(s, sub);
    }
    return s;
}

static kstr *info_errorstats(kstr *s) {
    /* Listed in code order, as Redis's radix tree lists them. */
    const char *done = "";
    for (;;) {
        const char *next = NULL, *code;
        long long count, next_count = 0;
        for (int i = 0; errorstat_get(i, &code, &count); i++) {
            if (strcmp(code, done) > 0 && (!next || strcmp(code, next) < 0)) next = code, next_count = count;
        }
        if (!next) return s;
        s = kstr_catfmt(s, "errorstat_%s:count=%lld\r\n", next, next_count);
        done = next;
    }
}

/* One line per command with a histogram: "latency_percentiles_usec_<name>:p50=...,p99=..."
 * for the latency-tracking-info-percentiles (each printed as Redis prints it). */
static kstr *latencystat_line(kstr *s, const command *cmd) {
    if (!cmd->latency_histogram) return s;
    s = kstr_catfmt(s, "latency_percentiles_usec_%s:", cmd->fullname);
    const char *p = server.latency_tracking_info_percentiles;
    for (int first = 1; p && *p; first = 0) {
        size_t n = strcspn(p, " ");
        double pct = strtod(p, NULL);
        s = kstr_catfmt(s, "%sp%.*s=%.3f", first ? "" : ",", (int)n, p,
                        (double)latency_histogram_percentile(cmd->latency_histogram, pct) / 1000.0f);
        p += n;
        while (*p == ' ') p++;
    }
    return kstr_cat(s, "\r\n", 2);
}

static kstr *info_latencystats(kstr *s) {
    if (!server.latency_tracking) return s;
    for (const command *cmd = command_table(); cmd->name; cmd++) {
        s = latencystat_line(s, cmd);
        for (const command *sub = cmd->subcommands; sub && sub->name; sub++) s = latencystat_line(s, sub);
    }
    return s;
}

static kstr *info_cluster(kstr *s) {
    return kstr_catfmt(s, "cluster_enabled:%d\r\n", server.cluster_enabled);
}

static kstr *info_keyspace(kstr *s) {
    for (int i = 0; i < server.dbnum; i++) {
        kdb *db = db_by_id(i);
        size_t keys = db_size(db);
        if (keys == 0) continue;
        s = kstr_catfmt(s, "db%d:keys=%zu,expires=%zu,avg_ttl=%lld\r\n", i, keys, db_expires(db), db->avg_ttl);
    }
    return s;
}

/* ---------------------------------------------------------------- INFO */

typedef kstr *section_fn(kstr *s);

enum { IN_DEFAULT = 1, IN_ALL = 2 };

static const struct {
    const char *name;
    const char *title;
    section_fn *fn;
    int sets;
} sections[] = {
    {"server", "Server", info_server, IN_DEFAULT | IN_ALL},
    {"clients", "Clients", info_clients, IN_DEFAULT | IN_ALL},
    {"memory", "Memory", info_memory, IN_DEFAULT | IN_ALL},
    {"persistence", "Persistence", info_persistence, IN_DEFAULT | IN_ALL},
    {"stats", "Stats", info_stats, IN_DEFAULT | IN_ALL},
    {"replication", "Replication", info_replication, IN_DEFAULT | IN_ALL},
    {"cpu", "CPU", info_cpu, IN_DEFAULT | IN_ALL},
    {"modules", "Modules", info_modules, IN_DEFAULT | IN_ALL},
    {"commandstats", "Commandstats", info_commandstats, IN_ALL},
    {"errorstats", "Errorstats", info_errorstats, IN_DEFAULT | IN_ALL},
    {"latencystats", "Latencystats", info_latencystats, IN_ALL},
    {"cluster", "Cluster", info_cluster, IN_DEFAULT | IN_ALL},
    {"keyspace", "Keyspace", info_keyspace, IN_DEFAULT | IN_ALL},
};
#define NSECTIONS ((int)(sizeof(sections) / sizeof(sections[0])))

/* Marks the sections named by INFO's arguments; no argument means "default". */
static void select_sections(client *c, int *want) {
    if (c->argc == 1) {
        for (int i = 0; i < NSECTIONS; i++) want[i] = (sections[i].sets & IN_DEFAULT) != 0;
        return;
    }
    for (int a = 1; a < c->argc; a++) {
        const karg *arg = &c->argv[a];
        int set = arg_is(arg->ptr, arg->len, "default") ? IN_DEFAULT
                  : (arg_is(arg->ptr, arg->len, "all") || arg_is(arg->ptr, arg->len, "everything")) ? IN_ALL
                  : 0;
        for (int i = 0; i < NSECTIONS; i++)
            if ((sections[i].sets & set) || arg_is(arg->ptr, arg->len, sections[i].name)) want[i] = 1;
    }
}

void info_command(client *c) {
    int want[NSECTIONS] = {0};
    select_sections(c, want);
    /* Grown as the sections are written, from nothing (as Redis's sdsempty): used_memory is
     * read while this buffer exists, and the suite's maxmemory tests allow 4 KB of slack. */
    kstr *s = kstr_empty(0);
    int first = 1;
    for (int i = 0; i < NSECTIONS; i++) {
        if (!want[i]) continue;
        if (!first) s = kstr_cat(s, "\r\n", 2);
        s = kstr_catfmt(s, "# %s\r\n", sections[i].title);
        s = sections[i].fn(s);
        first = 0;
    }
    reply_verbatim(c, s->buf, s->len, "txt");
    kstr_free(s);
}
