/* persist.c - snapshots as a server feature; see persist.h. */
#include "persist/persist.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "core/notify.h"
#include "keyspace/db.h"
#include "keyspace/evict.h"
#include "persist/aof.h"
#include "persist/bgsave.h"
#include "persist/rdb.h"
#include "persist/wstream.h"
#include "protocol/reply.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/util.h"

#define SAVE_RETRY_DELAY_S 5   /* after a failed save, the cron waits this long before retrying */

static struct {
    long long lastsave;         /* unix seconds of the last successful save (start time before) */
    long long last_try;         /* unix seconds of the last attempt */
    int last_ok;                /* outcome of the last attempt */
    long long last_time_sec;    /* duration of the last BGSAVE, -1 before any */
    long long saves;            /* rdb_saves */
    rdbLoadStats load;          /* the last load's counts */
    size_t loading_loaded, loading_total;   /* start-up load's progress (INFO) */
    long long bg_start_ms;      /* the running BGSAVE's start */
    long long bg_dirty;         /* server.dirty when it started */
    int bg_scheduled;           /* BGSAVE SCHEDULE while one ran: start another after it */
} ps = {.last_ok = 1, .last_time_sec = -1};

static int load_file_serving(int merge);
static int load_done(int rc, long long start);

static const char *rdb_path(void) {
    return server.dbfilename && server.dbfilename[0] ? server.dbfilename : "dump.rdb";
}

const rdbReplInfo *persist_loaded_repl_info(void) {
    return &ps.load.repl;
}

long long persist_lastsave(void) {
    return ps.lastsave ? ps.lastsave : server.start_ms / 1000;
}

/* Saving synchronously supersedes a running BGSAVE (SHUTDOWN, DEBUG RELOAD), as Redis kills
 * its child first. */
int persist_save(void) {
    bgsave_abort();
    ps.last_try = (long long)time(NULL);
    int rc = rdb_save_file(rdb_path());
    /* As Redis's rdbSave: a success clears a failed BGSAVE's status, a failure leaves it (only
     * a failed background save fails writes with MISCONF). */
    if (rc == 0) {
        ps.last_ok = 1;
        server.dirty = 0;
        ps.lastsave = (long long)time(NULL);
        ps.saves++;
    }
    return rc;
}

/* The n-th "<seconds> <changes>" pair of the save parameter; 0 past the last. */
static int save_point(int n, long long *seconds, long long *changes) {
    const char *p = server.save_params ? server.save_params : "";
    for (int i = 0; i <= n; i++) {
        char *end;
        *seconds = strtoll(p, &end, 10);
        if (end == p) return 0;
        p = end;
        *changes = strtoll(p, &end, 10);
        if (end == p) return 0;
        p = end;
    }
    return 1;
}

int persist_has_save_points(void) {
    long long s, c;
    return save_point(0, &s, &c);
}

static void bgsave_done(int ok) {
    long long now = mstime();
    ps.last_ok = ok;
    ps.last_time_sec = (now - ps.bg_start_ms) / 1000;
    if (ok) {
        server.dirty -= ps.bg_dirty;   /* the changes made while it ran are not in the file */
        ps.lastsave = now / 1000;
        ps.saves++;
    }
}

static int bgsave_begin(void) {
    ps.last_try = (long long)time(NULL);
    ps.bg_start_ms = mstime();
    ps.bg_dirty = server.dirty;
    ps.bg_scheduled = 0;
    if (bgsave_start(rdb_path(), bgsave_done) == 0) return 0;
    ps.last_ok = 0;
    return -1;
}

void persist_cron(void) {
    long long now = (long long)time(NULL), seconds, changes;
    bgsave_cron();
    if (bgsave_in_progress()) return;
    if (ps.bg_scheduled) {
        bgsave_begin();
        return;
    }
    if (!ps.last_ok && now - ps.last_try <= SAVE_RETRY_DELAY_S) return;
    for (int i = 0; save_point(i, &seconds, &changes); i++) {
        if (server.dirty >= changes && now - persist_lastsave() > seconds) {
            log_msg(LL_NOTICE, "%lld changes in %lld seconds. Saving...", changes, seconds);
            bgsave_begin();
            return;
        }
    }
}

/* dispatch_write_error: writes fail while the last save failed (stop-writes-on-bgsave-error). */
static const char *write_error(void) {
    return server.stop_writes_on_bgsave_error && !ps.last_ok && persist_has_save_points() ? ERR_MISCONF : NULL;
}

static void empty_all_dbs(void) {
    for (int i = 0; i < server.dbnum; i++) db_flush(db_by_id(i), 0);
}

/* Loads the file into the databases; -1 (logged) when it is corrupt. A missing file is an empty
 * data set. */
static int load_file(int merge) {
    long long start = ustime();
    return load_done(rdb_load_file(rdb_path(), &ps.load, merge), start);
}

/* The log lines after a load of dbfilename begun at start (us); rc is rdb_load_file's. */
static int load_done(int rc, long long start) {
    if (rc < 0) return -1;
    if (rc == 0)
        log_msg(LL_NOTICE, "DB loaded from disk: %.3f seconds", (double)(ustime() - start) / 1000000.0);
    if (ps.load.empty_keys_skipped)
        log_msg(LL_NOTICE, "Done loading RDB, keys loaded: %lld, keys expired: %lld, empty keys skipped: %lld.",
                ps.load.keys_loaded, ps.load.keys_expired, ps.load.empty_keys_skipped);
    return 0;
}

void persist_start(void) {
    dispatch_write_error = write_error;
    if (aof_start()) return;   /* with appendonly yes the AOF is the data set, not the RDB file */
    rdb_feed_expired = !server.masterhost;   /* its replicas get the DELs (repl/replica.c) */
    int rc = server.appendonly ? 0 : load_file_serving(0);
    rdb_feed_expired = 0;
    if (rc < 0) {
        log_msg(LL_WARNING, "Terminating server after rdb file reading failure.");
        log_msg(LL_WARNING, "Fatal error loading the DB, check server logs. Exiting.");
        exit(1);
    }
}

int persist_reload(int nosave, int flush, int merge) {
    bgsave_abort();
    if (!nosave && persist_save() < 0) return -1;
    if (flush) {
        empty_all_dbs();
        if (rdb_function_hooks.clear) rdb_function_hooks.clear();
    }
    return load_file(merge);
}

void (*persist_loading_shutdown)(void);

static void (*serving_tick)(void);   /* persist_load_serving's caller's hook, or NULL */

/* rdb_load_progress while a file loads with the clients served: they get -LOADING but for INFO,
 * DEBUG and the other loading-flagged commands, and a SIGTERM stops the server, as Redis. */
static void serve_while_loading(size_t loaded, size_t total) {
    ps.loading_loaded = loaded;
    ps.loading_total = total;
    if (serving_tick) serving_tick();
    clients_process_while_busy();
    if (server.shutdown_asap && persist_loading_shutdown) persist_loading_shutdown();
}

static void serving_begin(size_t total, void (*tick)(void)) {
    /* A replica's diskless-load state may have begun with the transfer: its start time stays. */
    if (!server.loading_rdb) server.loading_start_time = time(NULL);
    server.loading_rdb = 1;
    ps.loading_loaded = 0;
    ps.loading_total = total;
    rdb_load_progress = serve_while_loading;
    serving_tick = tick;
}

static void serving_end(const rdbLoadStats *stats) {
    rdb_load_progress = NULL;
    serving_tick = NULL;
    server.loading_rdb = 0;
    if (stats != &ps.load) {   /* INFO's rdb_last_load_keys_* count every load, as Redis */
        ps.load.keys_loaded = stats->keys_loaded;
        ps.load.keys_expired = stats->keys_expired;
    }
}

int persist_load_serving(const char *path, rdbLoadStats *stats, int merge, void (*tick)(void)) {
    struct stat st;
    serving_begin(stat(path, &st) == 0 ? (size_t)st.st_size : 0, tick);
    int rc = rdb_load_file(path, stats, merge);
    serving_end(stats);
    return rc;
}

int persist_load_source_serving(rdbSource *src, rdbLoadStats *stats, void (*tick)(void),
                                void (*unread)(void *priv, const unsigned char *p, size_t len)) {
    serving_begin(src->total, tick);
    int rc = rdb_load_source(src, stats, unread);
    serving_end(stats);
    return rc;
}

/* load_file at start-up: the listeners are open, so clients are served every
 * loading-process-events-interval-bytes of the file while it loads. */
static int load_file_serving(int merge) {
    long long start = ustime();
    int rc = persist_load_serving(rdb_path(), &ps.load, merge, NULL);
    return load_done(rc, start);
}

kstr *persist_info(kstr *s) {
    s = kstr_catfmt(s, "loading:%d\r\n", server.loading_rdb || server.loading);
    if (server.loading_rdb) {
        long long elapsed = time(NULL) - server.loading_start_time;
        double perc = ps.loading_total ? (double)ps.loading_loaded * 100 / (double)ps.loading_total : 0;
        long long eta = ps.loading_loaded && elapsed
                            ? (long long)((double)(ps.loading_total - ps.loading_loaded) /
                                          ((double)ps.loading_loaded / (double)elapsed))
                            : 1;
        s = kstr_catfmt(s,
                        "async_loading:%d\r\nloading_start_time:%lld\r\nloading_total_bytes:%zu\r\n"
                        "loading_rdb_used_mem:0\r\nloading_loaded_bytes:%zu\r\nloading_loaded_perc:%.2f\r\n"
                        "loading_eta_seconds:%lld\r\n",
                        server.async_loading, server.loading_start_time, ps.loading_total, ps.loading_loaded, perc, eta);
    } else {
        s = kstr_catfmt(s, "async_loading:%d\r\n", server.async_loading);
    }
    return kstr_catfmt(s,
                       "current_cow_peak:0\r\ncurrent_cow_size:0\r\n"
                       "current_cow_size_age:0\r\ncurrent_fork_perc:0.00\r\ncurrent_save_keys_processed:%lld\r\n"
                       "current_save_keys_total:%lld\r\nrdb_changes_since_last_save:%lld\r\nrdb_bgsave_in_progress:%d\r\n"
                       "rdb_last_save_time:%lld\r\nrdb_last_bgsave_status:%s\r\nrdb_last_bgsave_time_sec:%lld\r\n"
                       "rdb_current_bgsave_time_sec:%lld\r\nrdb_saves:%lld\r\nrdb_last_cow_size:0\r\n"
                       "rdb_last_load_keys_expired:%lld\r\nrdb_last_load_keys_loaded:%lld\r\n",
                       bgsave_keys_processed(), bgsave_keys_total(), server.dirty, bgsave_in_progress(),
                       persist_lastsave(), ps.last_ok ? "ok" : "err", ps.last_time_sec,
                       bgsave_in_progress() ? (mstime() - ps.bg_start_ms) / 1000 : -1, ps.saves, ps.load.keys_expired,
                       ps.load.keys_loaded);
}

/* ---------------------------------------------------------------- commands */

void save_command(client *c) {
    if (bgsave_in_progress()) reply_error(c, "Background save already in progress");
    else if (persist_save() == 0) reply_ok(c);
    else reply_error(c, "-ERR");
}

void bgsave_command(client *c) {
    if (c->argc > 2 || (c->argc == 2 && !arg_is(c->argv[1].ptr, c->argv[1].len, "schedule"))) {
        reply_error(c, ERR_SYNTAX);
        return;
    }
    if (bgsave_in_progress()) {
        if (c->argc == 2) {
            ps.bg_scheduled = 1;
            reply_status(c, "Background saving scheduled");
        } else {
            reply_error(c, "Background save already in progress");
        }
        return;
    }
    if (bgsave_begin() != 0) reply_error(c, "-ERR");
    else reply_status(c, "Background saving started");
}

void dump_command(client *c) {
    kobj *o = db_lookup_read(c->db, c->argv[1].ptr, c->argv[1].len);
    if (!o) {
        reply_null(c);
        return;
    }
    kstr *payload = rdb_dump_payload(o);
    reply_bulk(c, payload->buf, payload->len);
    kstr_free(payload);
}

typedef struct restoreOpts {
    int replace, absttl;
    long long idle, freq;     /* -1: not given */
} restoreOpts;

static int restore_options(client *c, restoreOpts *o) {
    *o = (restoreOpts){0, 0, -1, -1};
    for (int j = 4; j < c->argc; j++) {
        const karg *a = &c->argv[j];
        int more = c->argc - j - 1;
        if (arg_is(a->ptr, a->len, "replace")) {
            o->replace = 1;
        } else if (arg_is(a->ptr, a->len, "absttl")) {
            o->absttl = 1;
        } else if (arg_is(a->ptr, a->len, "idletime") && more >= 1 && o->freq == -1) {
            if (!arg_ll_or_reply(c, &c->argv[++j], &o->idle, NULL)) return 0;
            if (o->idle < 0) {
                reply_error(c, "Invalid IDLETIME value, must be >= 0");
                return 0;
            }
        } else if (arg_is(a->ptr, a->len, "freq") && more >= 1 && o->idle == -1) {
            if (!arg_ll_or_reply(c, &c->argv[++j], &o->freq, NULL)) return 0;
            if (o->freq < 0 || o->freq > 255) {
                reply_error(c, "Invalid FREQ value, must be >= 0 and <= 255");
                return 0;
            }
        } else {
            reply_error(c, ERR_SYNTAX);
            return 0;
        }
    }
    return 1;
}

/* RESTORE key ttl payload [REPLACE] [ABSTTL] [IDLETIME s] [FREQ f], checks in Redis's order. */
void restore_command(client *c) {
    restoreOpts opt;
    long long ttl;
    const karg *key = &c->argv[1];
    if (!restore_options(c, &opt)) return;
    if (!opt.replace && db_lookup_write(c->db, key->ptr, key->len)) {
        reply_error(c, "-BUSYKEY Target key name already exists.");
        return;
    }
    if (!arg_ll_or_reply(c, &c->argv[2], &ttl, NULL)) return;
    if (ttl < 0) {
        reply_error(c, "Invalid TTL value, must be >= 0");
        return;
    }
    int err;
    kobj *o = rdb_restore_payload(key->ptr, key->len, (const unsigned char *)c->argv[3].ptr, c->argv[3].len, &err);
    if (!o) {
        reply_error(c, err == RDB_RESTORE_BAD_FOOTER ? "DUMP payload version or checksum are wrong" : "Bad data format");
        return;
    }
    int deleted = opt.replace && db_delete(c->db, key->ptr, key->len);
    if (ttl && !opt.absttl) ttl += server_time_ms();
    if (ttl && server_time_already_past(ttl)) {
        obj_free(o);
        if (deleted) {
            wstream_rewrite_key("DEL", key);   /* the replace's deletion is all that happened */
            signal_modified_key(c, c->db, key->ptr, key->len);
            notify_keyspace_event(NOTIFY_GENERIC, "del", key->ptr, key->len, c->db->id);
            server.dirty++;
        }
        reply_ok(c);
        return;
    }
    o = db_add_with_expire(c->db, o, ttl ? ttl : OBJ_NO_EXPIRE);
    evict_set_access(o, opt.freq, opt.idle);
    if (ttl && !opt.absttl) {
        /* Propagated with the absolute expiry time and ABSTTL appended, as Redis does, so a
         * replica or the AOF gets the same deadline whenever it applies the command. */
        karg *argv = kmalloc(((size_t)c->argc + 1) * sizeof(*argv));
        char num[24];
        memcpy(argv, c->argv, (size_t)c->argc * sizeof(*argv));
        argv[2] = (karg){.ptr = num, .len = (size_t)ll_to_str(num, sizeof(num), ttl)};
        argv[c->argc] = WSTREAM_ARG("ABSTTL");
        wstream_rewrite(c->argc + 1, argv);
        kfree(argv);
    }
    signal_modified_key(c, c->db, key->ptr, key->len);
    notify_keyspace_event(NOTIFY_GENERIC, "restore", key->ptr, key->len, c->db->id);
    server.dirty++;
    reply_ok(c);
}
