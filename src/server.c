/* server.c - start-up, the periodic cron, the before-poll hook, and shutdown. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cluster/cluster.h"
#include "cluster/cluster_cmd.h"
#include "commands/admin.h"
#include "core/config.h"
#include "core/acl.h"
#include "core/blocking.h"
#include "core/client_evict.h"
#include "keyspace_events.h"
#include "core/latency.h"
#include "core/monitor.h"
#include "core/slowlog.h"
#include "core/tls.h"
#include "core/tracking.h"
#include "core/watchdog.h"
#include "keyspace/db.h"
#include "keyspace/defrag.h"
#include "keyspace/evict.h"
#include "keyspace/expire.h"
#include "keyspace/lazyfree.h"
#include "persist/aof.h"
#include "persist/bgsave.h"
#include "persist/persist.h"
#include "persist/rdb.h"
#include "persist/wstream.h"
#include "protocol/reply.h"
#include "repl/repl.h"
#include "server.h"
#include "scripting/script.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/siphash.h"
#include "util/util.h"

struct keelServer server;

#define RESIZE_SLICE_US 1000   /* pending table resize work per cron tick, across all dbs */

static uint32_t lru_clock_now(void) {
    return (uint32_t)((mstime() / 1000) & ((1 << 24) - 1));
}

/* The LRU clock has a resolution of one second and the cron refreshes it hz times a second,
 * so every key access reads the cached value instead of asking the kernel for the time. */
uint32_t lru_clock(void) {
    return server.lruclock;
}

long long server_time_ms(void) {
    return server.executing_depth ? server.cmd_time_ms : mstime();
}

/* An absolute expire time given to a command (EXPIREAT, GETEX PXAT, RESTORE ABSTTL) deletes the
 * key at once when it is already past, except while loading (the file goes on with the key,
 * which expires after the load) and on a replica, which deletes no key on its own: its primary's
 * DEL follows, and a key deleted here without one would outlive a failover on the replica's
 * siblings (Redis's checkAlreadyExpired). */
int server_time_already_past(long long when_ms) {
    return when_ms <= server_time_ms() && !server.loading && !server.masterhost;
}

int server_clients_paused(void) {
    return server.clients_paused_until_ms && server.clients_paused_until_ms > mstime();
}

static void shutdown_cron(void);

static void signal_handler(int sig) {
    /* Shut down from the event loop, where it is safe; a second signal forces the exit,
     * removing the temp file of a save in progress. */
    if (server.shutdown_asap && (sig == SIGINT || !server.shutdown_deadline_ms)) {
        rdb_remove_temp_file();
        _exit(1);
    }
    /* A SIGTERM while the shutdown waits for the replicas changes nothing, as in Redis. */
    server.last_signal = sig;
    server.shutdown_asap = 1;
}

static void setup_signals(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = signal_handler;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

/* Finishes pending keyspace table resizes in 1 ms slices while the server is idle or busy. */
static void resize_tables(void) {
    uint64_t start = monotonic_us();
    for (int i = 0; i < server.dbnum; i++) {
        table *t = db_by_id(i)->keys;
        if (!t || !tableIsResizing(t)) continue;
        uint64_t spent = monotonic_us() - start;
        if (spent >= RESIZE_SLICE_US) break;
        tableResizeFor(t, (long)(RESIZE_SLICE_US - spent));
    }
}

/* One active expiry cycle, timed for the latency monitor's "expire-cycle" event. */
static void expire_cycle(int fast) {
    uint64_t start = monotonic_us();
    active_expire_cycle(fast);
    latency_sample("expire-cycle", (long long)(monotonic_us() - start) / 1000);
}

/* ---- Active defragmentation (docs/defrag.md) ------------------------------------------------
 * The cron decides whether the allocator's fragmentation calls for the walk and how much CPU
 * it gets (as Redis's computeDefragCycles): it runs while activedefrag is on and fragmentation
 * is at least active-defrag-threshold-lower percent and active-defrag-ignore-bytes; its share
 * goes from active-defrag-cycle-min to -max as fragmentation goes from threshold-lower to
 * -upper, and only rises during a run. The timer runs the walk in slices of DEFRAG_SLICE_US,
 * spaced so that they take that share of the time: no slice ever holds the loop longer. At the
 * end of a pass the figures are read afresh: the walk stops or starts another pass. */

#define DEFRAG_SLICE_US 500

/* The CPU percent fragmentation calls for now, 0 for none. Under the C library's allocator
 * (sanitizer builds) RSS over used memory stands in for jemalloc's active over allocated. */
static int defrag_cpu_wanted(int fresh) {
    if (!server.active_defrag) return 0;
    memOverview m;
    memory_overview(&m, fresh);
#ifdef KEEL_JEMALLOC
    size_t active = m.active, allocated = m.allocated;
#else
    size_t active = m.rss, allocated = m.used;
#endif
    if (allocated == 0 || active <= allocated) return 0;
    double pct = ((double)active / (double)allocated - 1) * 100;
    long long bytes = (long long)(active - allocated);
    int lower = server.active_defrag_threshold_lower, upper = server.active_defrag_threshold_upper;
    int cmin = server.active_defrag_cycle_min, cmax = server.active_defrag_cycle_max;
    if (pct < lower || bytes < server.active_defrag_ignore_bytes) return 0;
    double cpu = upper > lower ? cmin + (pct - lower) * (cmax - cmin) / (upper - lower) : cmax;
    if (cpu < cmin) cpu = cmin;
    if (cpu > cmax) cpu = cmax;
    return (int)cpu;
}

static void defrag_stop(void) {
    defrag_stats.total_us += (long long)(monotonic_us() - defrag_stats.run_start_us);
    defrag_stats.running = 0;
    defrag_restart();
}

static long long defrag_tick(eventLoop *el, long long id, void *data) {
    (void)el;
    (void)id;
    (void)data;
    if (!defrag_stats.running) return EL_NOMORE;
    if (!server.active_defrag) {
        defrag_stop();
        return EL_NOMORE;
    }
    uint64_t start = monotonic_us();
    if (defrag_step(DEFRAG_SLICE_US, server.active_defrag_max_scan_fields)) {
        int cpu = defrag_cpu_wanted(1);
        if (!cpu) {
            defrag_stop();
            return EL_NOMORE;
        }
        defrag_stats.running = cpu;
    }
    long long spent = (long long)(monotonic_us() - start);
    latency_sample("active-defrag-cycle", spent / 1000);   /* Redis's latency monitor event */
    /* The pause owed is spent x (100 - cpu)/cpu; timers count whole ms, so the part below a ms
     * is carried to the next pause and the share holds on average. */
    static long long owed_us;
    int cpu = defrag_stats.running;
    owed_us += spent * (100 - cpu) / cpu;
    long long ms = owed_us / 1000;
    owed_us -= ms * 1000;
    return ms;
}

/* fresh: read the allocator's figures now (the cron's are refreshed by info_cron). */
static void defrag_cron(int fresh) {
    int cpu = defrag_cpu_wanted(fresh);
    if (defrag_stats.running) {
        if (cpu > defrag_stats.running) defrag_stats.running = cpu;
    } else if (cpu) {
        defrag_stats.running = cpu;
        defrag_stats.run_start_us = monotonic_us();
        el_add_timer(server.el, 0, defrag_tick, NULL);
    }
}

/* clients_busy_cron: while the loop is blocked (loading an AOF or RDB file, a script past
 * busy-reply-threshold) the timers do not run, so this does their defrag part each time the
 * blocked code serves the clients, as Redis's whileBlockedCron: the decision to start (once per
 * cron period), then, during a run, a walk that takes the run's CPU share of the time blocked
 * since the previous call (work w since then earns w x cpu / (100 - cpu)), at most 10 ms; the
 * time spent here is the "while-blocked-cron" latency event. The walk's safety holds: the
 * blocked code calls this between two commands (or keys, or Lua instructions), never while it
 * holds a pointer into the data set. */
#define BUSY_DEFRAG_MAX_US 10000

static void busy_cron(void) {
    static uint64_t last_us, last_decision_us;
    uint64_t now = monotonic_us();
    if (!last_us || now - last_us > 1000000) last_us = now;   /* first call of this blocked spell */
    uint64_t blocked = now - last_us;
    if (!defrag_stats.running && now - last_decision_us >= (uint64_t)(1000000 / server.hz)) {
        last_decision_us = now;
        defrag_cron(1);   /* starts a run (its timer fires once the loop runs again) */
    }
    if (defrag_stats.running && server.active_defrag) {
        int cpu = defrag_stats.running;
        uint64_t budget = cpu >= 100 ? BUSY_DEFRAG_MAX_US : blocked * (uint64_t)cpu / (uint64_t)(100 - cpu);
        if (budget > BUSY_DEFRAG_MAX_US) budget = BUSY_DEFRAG_MAX_US;
        if (budget > 0 && defrag_step((long)budget, server.active_defrag_max_scan_fields)) {
            cpu = defrag_cpu_wanted(1);
            if (cpu) defrag_stats.running = cpu;
            else defrag_stop();
        }
    }
    last_us = monotonic_us();
    latency_sample("while-blocked-cron", (long long)(last_us - now) / 1000);
}

static long long server_cron(eventLoop *el, long long id, void *data) {
    (void)el;
    (void)id;
    (void)data;
    watchdog_cron();   /* the loop came back: another period before SIGALRM */
    if (server.pause_cron) return 1000 / server.hz;
    server.lruclock = lru_clock_now();
    size_t used = mem_used();
    if (used > server.stat_peak_memory) server.stat_peak_memory = used;
    clients_cron();
    info_cron();
    expire_cycle(0);
    tracking_limit_keys();
    resize_tables();
    if (server.maxmemory) evict_to_fit();
    persist_cron();
    aof_cron();
    defrag_cron(0);
    migrate_cache_cron();   /* cluster/migrate.c: idle MIGRATE connections */
    if (server.shutdown_asap) shutdown_cron();
    return 1000 / server.hz;
}

/* The cluster's cron runs 10 times a second whatever hz is, as Redis's clusterCron. */
static long long cluster_timer(eventLoop *el, long long id, void *data) {
    (void)el;
    (void)id;
    (void)data;
    cluster_cron();
    return 100;
}

static void before_sleep(eventLoop *el) {
    (void)el;
    if (server.cluster_enabled) cluster_before_sleep();
    expire_cycle(1);
    evict_continue();              /* keyspace/evict.c: an eviction that ran out of time */
    tracking_before_sleep();       /* BCAST invalidations of expired and evicted keys */
    tls_process_pending();         /* core/tls.c: bytes OpenSSL decrypted that epoll won't report */
    clients_resume_paused();
    blocking_resume_unblocked();   /* core/blocking.c: buffered commands of unblocked clients */
    aof_before_sleep();            /* persist/aof.c: the writes are in the AOF before their replies go */
    clients_write_pending();
    /* core/client_evict.c: after the writes, as Redis, so that sent output doesn't count. */
    if (server.maxmemory_clients) clients_evict(1);
    /* SHUTDOWN (nosave: it saved already) exits once its replies are out; a signal's shutdown
     * waits for the cron, as in Redis, so SHUTDOWN ABORT can still cancel it. */
    if (server.shutdown_asap && server.shutdown_nosave && server_prepare_shutdown(1) == 0) {
        server_shutdown();
        exit(0);
    }
    bgsave_before_sleep();         /* persist/bgsave.c: a slice of a running save's walk, last */
}

static void make_runid(char *out) {
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < 40; i++) out[i] = hex[rand64() & 15];
    out[40] = '\0';
}

/* Everything commands need, without signals or sockets: server_init's first half, and all
 * of the set-up the in-process fuzz harness (tests/fuzz/fuzz_command.c) does. */
int server_init_headless(void) {
    server.pid = getpid();
    server.start_ms = mstime();
    make_runid(server.runid);
    hash_seed_init();
    tableSeedRandom(rand64());   /* RANDOMKEY/SPOP must differ between runs */
    server.active_expire_enabled = 1;
    server.lruclock = lru_clock_now();
    server.unix_fd = -1;
    server.el = el_create();
    if (!server.el) {
        log_msg(LL_WARNING, "Failed creating the event loop: %s", strerror(errno));
        return -1;
    }
    keyspace_events_install();     /* src/keyspace_events.c: before the databases exist */
    wstream_init();                /* persist/wstream.c: calls feed the write stream */
    db_init_all(server.dbnum);
    lazyfree_start();              /* keyspace/lazyfree.c: the background free thread */
    config_start_allocator_threads();   /* jemalloc-bg-thread */
    commands_init();
    acl_init();         /* core/acl.c: the default user (main() made it already) */
    scripting_init();   /* src/scripting/: the Lua state and its fake client */
    return 0;
}

/* persist_loading_shutdown: SIGTERM during the load at start-up. */
static void shutdown_while_loading(void) {
    if (server_prepare_shutdown(1) == 0) {
        server_shutdown();
        exit(0);
    }
}

int server_init(void) {
    if (server_init_headless() < 0) return -1;
    char acl_err[1024];
    if (acl_load_at_startup(acl_err, sizeof(acl_err)) != 0) {   /* core/acl.c: config users, aclfile */
        log_msg(LL_WARNING, "%s", acl_err);
        return -1;
    }
    setup_signals();
    persist_loading_shutdown = shutdown_while_loading;
    clients_busy_cron = busy_cron;
    if (tls_needed() && tls_configure() != 0) {   /* core/tls.c: the context before the listeners */
        log_msg(LL_WARNING, "Failed to configure TLS. Check logs for more info.");
        return -1;
    }
    if (net_listen() < 0) return -1;
    if (server.cluster_enabled) {
        cluster_init();            /* src/cluster/: nodes.conf, the bus port, routing */
        el_add_timer(server.el, 100, cluster_timer, NULL);
    }
    el_add_timer(server.el, 1, server_cron, NULL);
    el_set_before_sleep(server.el, before_sleep);
    if (server.pidfile) {
        FILE *f = fopen(server.pidfile, "w");
        if (f) {
            fprintf(f, "%d\n", (int)server.pid);
            fclose(f);
        }
    }
    return 0;
}

/* ---------------------------------------------------------------- waiting for the replicas
 *
 * Redis 7.0: a shutdown (SIGTERM/SIGINT, or SHUTDOWN without NOW) of a primary whose replicas
 * have not acked the whole stream holds the writes (as CLIENT PAUSE WRITE), sends them REPLCONF
 * GETACK and waits up to shutdown-timeout seconds for their acks; the cron then finishes it
 * (the "Lagging replica" and "N of M replicas are in sync" lines, the save, the exit) however
 * far they got. SHUTDOWN clients stay blocked and get an error only if the shutdown is
 * cancelled (SHUTDOWN ABORT, a failed save); otherwise the exit closes them. While waiting:
 * server.shutdown_deadline_ms != 0, shutdown_asap set, shutdown_flags the flags to finish with. */

int server_shutdown_waiting(void) {
    return server.shutdown_deadline_ms != 0;
}

int server_shutdown_wait(int flags) {
    if ((flags & SHUTDOWN_NOW) || server.shutdown_timeout <= 0 || server.masterhost || repl_replicas_in_sync())
        return 0;
    server.shutdown_flags = flags;
    server.shutdown_deadline_ms = mstime() + (long long)server.shutdown_timeout * 1000;
    server.shutdown_asap = 1;
    server.shutdown_nosave = 0;
    if (!server_clients_paused()) repl_send_getack();
    log_msg(LL_NOTICE, "Waiting for replicas before shutting down.");
    return 1;
}

void server_shutdown_block(client *c) {
    c->shutdown_blocked = 1;
    block_for_other(c, 0, NULL);
}

/* The shutdown stops: the writes run again, its SHUTDOWN clients get Redis's error. */
static void shutdown_cancel(void) {
    server.shutdown_asap = 0;
    server.shutdown_nosave = 0;
    server.shutdown_deadline_ms = 0;
    server.shutdown_flags = 0;
    server.last_signal = 0;
    for (client *c = server.clients; c; c = c->next) {
        if (!c->shutdown_blocked) continue;
        c->shutdown_blocked = 0;
        reply_error(c, "Errors trying to SHUTDOWN. Check logs.");
        blocking_unblock_other(c);
    }
}

/* A shutdown that cannot finish: Redis's closing line, and the server goes on. */
static int shutdown_failed(void) {
    log_msg(LL_WARNING, "Errors trying to shut down the server. Check the logs for more information.");
    shutdown_cancel();
    return -1;
}

int server_shutdown_abort(void) {
    if (server.shutdown_deadline_ms) shutdown_cancel();
    else if (server.shutdown_asap && !server.shutdown_nosave) server.shutdown_asap = 0;
    else return -1;
    log_msg(LL_NOTICE, "Shutdown manually aborted.");
    return 0;
}

/* From the cron with shutdown_asap set: a signal's shutdown starts (with the signal's
 * shutdown-on-sig* flags), a waiting one finishes once the replicas caught up or time is out. */
static void shutdown_cron(void) {
    int flags;
    if (server.shutdown_deadline_ms) {
        if (mstime() < server.shutdown_deadline_ms && !repl_replicas_in_sync()) return;
        flags = server.shutdown_flags;
    } else if (server.shutdown_nosave) {
        flags = SHUTDOWN_NOSAVE;   /* SHUTDOWN saved already (before_sleep normally exits first) */
    } else {
        flags = server.last_signal == SIGINT ? server.shutdown_on_sigint
                : server.last_signal == SIGTERM ? server.shutdown_on_sigterm : 0;
        if (server.loading || server.loading_rdb) flags = (flags & ~SHUTDOWN_SAVE) | SHUTDOWN_NOSAVE;
        /* Redis logs this from its signal handler; here from the cron, where logging is safe. */
        if (server.last_signal == SIGINT || server.last_signal == SIGTERM)
            log_msg(LL_WARNING, "Received %s scheduling shutdown...", server.last_signal == SIGINT ? "SIGINT" : "SIGTERM");
        log_msg(LL_WARNING, "User requested shutdown...");
        if (server_shutdown_wait(flags)) return;
    }
    if (server_finish_shutdown(flags) == 0) {
        server_shutdown();
        exit(0);
    }
}

/* Runs the shutdown sequence up to the point of exiting: with save points configured (and not
 * nosave) the final snapshot is saved first, and a failed save cancels the shutdown, as Redis
 * does on SIGTERM. SHUTDOWN saves in the command itself and passes nosave. */
int server_prepare_shutdown(int nosave) {
    if (server.shutdown_finished) return 0;
    log_msg(LL_WARNING, "User requested shutdown...");
    return server_finish_shutdown(nosave ? SHUTDOWN_NOSAVE : 0);
}

int server_finish_shutdown(int flags) {
    repl_shutdown_report();   /* repl/primary.c */
    if (aof_writing_initial()) {
        if (flags & SHUTDOWN_FORCE) {
            log_msg(LL_WARNING, "Writing initial AOF. Exit anyway.");
        } else {
            log_msg(LL_WARNING, "Writing initial AOF, can't exit.");
            return shutdown_failed();
        }
    }
    if (bgsave_in_progress()) {
        /* As Redis kills its child: the unfinished snapshot and its temp file go. */
        log_msg(LL_WARNING, "There is a child saving an .rdb. Killing it!");
        bgsave_abort();
    }
    if ((flags & SHUTDOWN_SAVE) || (!(flags & SHUTDOWN_NOSAVE) && persist_has_save_points())) {
        log_msg(LL_NOTICE, "Saving the final RDB snapshot before exiting.");
        if (persist_save() != 0) {
            if (flags & SHUTDOWN_FORCE) {
                log_msg(LL_WARNING, "Error trying to save the DB. Exit anyway.");
            } else {
                log_msg(LL_WARNING, "Error trying to save the DB, can't exit.");
                return shutdown_failed();
            }
        }
    }
    aof_shutdown();
    net_close_listeners();
    if (server.pidfile) unlink(server.pidfile);
    log_msg(LL_WARNING, "Keel is now ready to exit, bye bye...");
    return 0;
}

/* Frees what the server holds, so that leak checkers see a clean exit. */
void server_shutdown(void) {
    clients_write_pending();
    while (server.clients) client_free(server.clients);
    db_free_all();
    lazyfree_shutdown();           /* keyspace/lazyfree.c: free what the thread still holds */
    slowlog_reset();
    monitor_free_all();
    el_free(server.el);
    server.el = NULL;
}
