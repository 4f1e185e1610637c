/* config.c - the parameter table and its parsers; see config.h.
 *
 * Invariant: every field of `server` that a parameter names is written only through set_value()
 * (defaults, file, command line, CONFIG SET), so the validation rules live in one place.
 *
 * Names, defaults, limits, mutability and error texts follow redis-server 7.0.15. A few
 * parameters of features Keel doesn't have (RDB/AOF files, replication, cluster, threads) are
 * accepted and reported so that config files and client start-up checks keep working; they
 * live in `compat` below and have no effect. IMMUTABLE parameters can't change at run time;
 * PROTECTED ones (dir, dbfilename) only with enable-protected-configs, as in Redis. */
#include "core/config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/notify.h"
#include "keyspace/db.h"
#include "keyspace/evict.h"
#include "protocol/request.h"
#include "server.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/util.h"

enum { T_BOOL, T_INT, T_LL, T_MEM, T_ENUM, T_STRING, T_SPECIAL };
#define IMMUTABLE 1
#define PROTECTED 2

typedef struct configDef configDef;
/* Special parameters parse and format themselves. */
typedef int special_set_fn(int argc, karg *argv, const char **err);
typedef kstr *special_get_fn(kstr *out);

struct configDef {
    const char *name;
    const char *alias;
    int type;
    int flags;
    void *ptr;
    const char *deflt;
    long long min, max;
    const char *const *enum_names;   /* T_ENUM: index = value */
    special_set_fn *sset;
    special_get_fn *sget;
    int octal;
};

static const char *const loglevel_names[] = {"debug", "verbose", "notice", "warning", NULL};
static const char *const enable_names[] = {"no", "yes", "local", NULL};
static const char *const appendfsync_names[] = {"everysec", "always", "no", NULL};
static const char *const supervised_names[] = {"upstart", "systemd", "auto", "no", NULL};
static const char *const oom_score_adj_names[] = {"no", "yes", "relative", "absolute", NULL};
static const char *const sanitize_names[] = {"no", "yes", "clients", NULL};

/* Storage of the parameters Keel accepts for compatibility only (see the header comment). */
static struct {
    int enable_debug_command, enable_protected_configs, enable_module_command;
    char *appendfilename, *appenddirname;
    int appendfsync, aof_use_rdb_preamble;
    int activerehashing, always_show_logo, set_proc_title, supervised, syslog_enabled, crash_log_enabled;
    int replica_read_only, replica_serve_stale_data, cluster_enabled, latency_tracking, dynamic_hz;
    int jemalloc_bg_thread, activedefrag, disable_thp, oom_score_adj, io_threads, shutdown_timeout;
    long long repl_backlog_size, stream_node_max_bytes, stream_node_max_entries, hll_sparse_max_bytes;
    long long tracking_table_max_keys, acllog_max_len, maxmemory_clients;
} compat;

int config_enable_debug_command(void) {
    return compat.enable_debug_command;
}

/* ---- special parameters ---- */

static int set_bind(int argc, karg *argv, const char **err) {
    if (argc > CONFIG_BINDADDR_MAX) {
        *err = "Too many bind addresses specified.";
        return -1;
    }
    for (int i = 0; i < server.bindaddr_count; i++) kfree(server.bindaddr[i]);
    server.bindaddr_count = 0;
    /* "bind" with a single empty string (from --bind "") means none. */
    for (int i = 0; i < argc; i++)
        if (argv[i].len) server.bindaddr[server.bindaddr_count++] = kstrdup(argv[i].ptr);
    return 0;
}

static kstr *get_bind(kstr *out) {
    for (int i = 0; i < server.bindaddr_count; i++) {
        if (i) out = kstr_cat(out, " ", 1);
        out = kstr_catc(out, server.bindaddr[i]);
    }
    return out;
}

static const char *obuf_class_names[] = {"normal", "slave", "pubsub"};

static int obuf_class(const karg *a) {
    if (arg_is(a->ptr, a->len, "normal")) return OBUF_NORMAL;
    if (arg_is(a->ptr, a->len, "slave") || arg_is(a->ptr, a->len, "replica")) return OBUF_REPLICA;
    if (arg_is(a->ptr, a->len, "pubsub")) return OBUF_PUBSUB;
    return -1;
}

static int set_obuf(int argc, karg *argv, const char **err) {
    /* CONFIG SET passes one string "normal 0 0 0 pubsub ..."; split it here. */
    karg *args = argv;
    int n = argc;
    karg *split = NULL;
    int split_cap = 0;
    char *store = NULL;
    size_t store_cap = 0;
    if (argc == 1) {
        n = split_args(argv[0].ptr, argv[0].len, &split, &split_cap, &store, &store_cap);
        args = split;
    }
    int rc = 0;
    obufLimit tmp[OBUF_CLASSES];
    memcpy(tmp, server.obuf_limits, sizeof(tmp));
    if (n <= 0 || n % 4 != 0) {
        *err = "Wrong number of arguments in buffer limit configuration.";
        rc = -1;
    }
    for (int i = 0; rc == 0 && i < n; i += 4) {
        int cls = obuf_class(&args[i]);
        long long hard, soft, secs;
        if (cls < 0) {
            *err = "Invalid client class specified in buffer limit configuration.";
            rc = -1;
        } else if (!parse_memory(args[i + 1].ptr, &hard) || !parse_memory(args[i + 2].ptr, &soft) ||
                   !str_to_ll(args[i + 3].ptr, args[i + 3].len, &secs) || hard < 0 || soft < 0 || secs < 0) {
            *err = "Error in hard, soft or soft_seconds setting in buffer limit configuration.";
            rc = -1;
        } else {
            tmp[cls].hard_bytes = hard;
            tmp[cls].soft_bytes = soft;
            tmp[cls].soft_seconds = secs;
        }
    }
    if (rc == 0) memcpy(server.obuf_limits, tmp, sizeof(tmp));
    kfree(split);
    kfree(store);
    return rc;
}

static kstr *get_obuf(kstr *out) {
    for (int i = 0; i < OBUF_CLASSES; i++) {
        obufLimit *l = &server.obuf_limits[i];
        out = kstr_catfmt(out, "%s%s %lld %lld %lld", i ? " " : "", obuf_class_names[i], l->hard_bytes,
                          l->soft_bytes, l->soft_seconds);
    }
    return out;
}

static int set_save(int argc, karg *argv, const char **err) {
    /* Pairs of "<seconds >= 1> <changes >= 0>", as Redis validates them; one empty word means
     * none. The persistence cron reads the normalized string. */
    if (argc == 1 && argv[0].len == 0) argc = 0;
    for (int i = 0; i < argc; i++) {
        long long n;
        if (argc % 2 != 0 || !str_to_ll(argv[i].ptr, argv[i].len, &n) || n < (i % 2 == 0 ? 1 : 0)) {
            *err = "Invalid save parameters";
            return -1;
        }
    }
    kstr *v = kstr_empty(32);
    for (int i = 0; i < argc; i++) {
        if (i) v = kstr_cat(v, " ", 1);
        v = kstr_cat(v, argv[i].ptr, argv[i].len);
    }
    kfree(server.save_params);
    server.save_params = kstrdup(v->buf);
    kstr_free(v);
    return 0;
}

static kstr *get_save(kstr *out) {
    return kstr_catc(out, server.save_params ? server.save_params : "");
}

static const char notify_letters[] = "gKE$lshzxeKEtmdn";

static int set_notify(int argc, karg *argv, const char **err) {
    if (argc != 1) {
        *err = "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.";
        return -1;
    }
    int flags = 0;
    for (size_t i = 0; i < argv[0].len; i++) {
        switch (argv[0].ptr[i]) {
        case 'A': flags |= NOTIFY_ALL_CLASSES; break;
        case 'g': flags |= NOTIFY_GENERIC; break;
        case '$': flags |= NOTIFY_STRING; break;
        case 'l': flags |= NOTIFY_LIST; break;
        case 's': flags |= NOTIFY_SET; break;
        case 'h': flags |= NOTIFY_HASH; break;
        case 'z': flags |= NOTIFY_ZSET; break;
        case 'x': flags |= NOTIFY_EXPIRED; break;
        case 'e': flags |= NOTIFY_EVICTED; break;
        case 'K': flags |= NOTIFY_KEYSPACE; break;
        case 'E': flags |= NOTIFY_KEYEVENT; break;
        case 't': flags |= NOTIFY_STREAM; break;
        case 'm': flags |= NOTIFY_KEY_MISS; break;
        case 'n': flags |= NOTIFY_NEW; break;
        default:
            *err = "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.";
            return -1;
        }
    }
    server.notify_keyspace_events = flags;
    return 0;
}

static kstr *get_notify(kstr *out) {
    int f = server.notify_keyspace_events;
    if ((f & NOTIFY_ALL_CLASSES) == NOTIFY_ALL_CLASSES) {
        out = kstr_cat(out, "A", 1);
    } else {
        if (f & NOTIFY_GENERIC) out = kstr_cat(out, "g", 1);
        if (f & NOTIFY_STRING) out = kstr_cat(out, "$", 1);
        if (f & NOTIFY_LIST) out = kstr_cat(out, "l", 1);
        if (f & NOTIFY_SET) out = kstr_cat(out, "s", 1);
        if (f & NOTIFY_HASH) out = kstr_cat(out, "h", 1);
        if (f & NOTIFY_ZSET) out = kstr_cat(out, "z", 1);
        if (f & NOTIFY_EXPIRED) out = kstr_cat(out, "x", 1);
        if (f & NOTIFY_EVICTED) out = kstr_cat(out, "e", 1);
        if (f & NOTIFY_STREAM) out = kstr_cat(out, "t", 1);
    }
    if (f & NOTIFY_KEYSPACE) out = kstr_cat(out, "K", 1);
    if (f & NOTIFY_KEYEVENT) out = kstr_cat(out, "E", 1);
    if (f & NOTIFY_KEY_MISS) out = kstr_cat(out, "m", 1);
    if (f & NOTIFY_NEW) out = kstr_cat(out, "n", 1);
    (void)notify_letters;
    return out;
}

static int set_dir(int argc, karg *argv, const char **err) {
    if (argc != 1 || chdir(argv[0].ptr) != 0) {
        *err = strerror(errno ? errno : EINVAL);
        return -1;
    }
    return 0;
}

static kstr *get_dir(kstr *out) {
    char cwd[4096];
    return kstr_catc(out, getcwd(cwd, sizeof(cwd)) ? cwd : "");
}

/* ---- the table ---- */

#define BOOL(n, field, d) { .name = n, .type = T_BOOL, .ptr = &server.field, .deflt = d }
#define INT(n, field, d, lo, hi) { .name = n, .type = T_INT, .ptr = &server.field, .deflt = d, .min = lo, .max = hi }
#define LL(n, field, d, lo, hi) { .name = n, .type = T_LL, .ptr = &server.field, .deflt = d, .min = lo, .max = hi }
#define MEM(n, field, d, lo, hi) { .name = n, .type = T_MEM, .ptr = &server.field, .deflt = d, .min = lo, .max = hi }
#define STR(n, field, d) { .name = n, .type = T_STRING, .ptr = &server.field, .deflt = d }
#define SPECIAL(n, d, s, g) { .name = n, .type = T_SPECIAL, .deflt = d, .sset = s, .sget = g }

static configDef configs[] = {
    INT("port", port, "6379", 0, 65535),
    SPECIAL("bind", "127.0.0.1 -::1", set_bind, get_bind),
    { .name = "unixsocket", .type = T_STRING, .ptr = &server.unixsocket, .deflt = "", .flags = IMMUTABLE },
    { .name = "unixsocketperm", .type = T_INT, .ptr = &server.unixsocketperm, .deflt = "0", .min = 0, .max = 0777, .octal = 1, .flags = IMMUTABLE },
    BOOL("protected-mode", protected_mode, "yes"),
    { .name = "tcp-backlog", .type = T_INT, .ptr = &server.tcp_backlog, .deflt = "511", .min = 0, .max = INT_MAX, .flags = IMMUTABLE },
    INT("tcp-keepalive", tcp_keepalive, "300", 0, INT_MAX),
    INT("timeout", maxidletime, "0", 0, INT_MAX),
    LL("maxclients", maxclients, "10000", 1, UINT_MAX),
    STR("requirepass", requirepass, ""),
    { .name = "databases", .type = T_INT, .ptr = &server.dbnum, .deflt = "16", .min = 1, .max = INT_MAX, .flags = IMMUTABLE },
    INT("hz", hz, "10", 0, INT_MAX),    /* clamped to 1..500 by after_change() */
    { .name = "loglevel", .type = T_ENUM, .ptr = &server.loglevel, .deflt = "notice", .enum_names = loglevel_names },
    { .name = "logfile", .type = T_STRING, .ptr = &server.logfile, .deflt = "", .flags = IMMUTABLE },
    { .name = "pidfile", .type = T_STRING, .ptr = &server.pidfile, .deflt = "", .flags = IMMUTABLE },
    { .name = "daemonize", .type = T_BOOL, .ptr = &server.daemonize, .deflt = "no", .flags = IMMUTABLE },
    { .name = "dir", .type = T_SPECIAL, .deflt = "", .sset = set_dir, .sget = get_dir, .flags = PROTECTED },
    MEM("maxmemory", maxmemory, "0", 0, LLONG_MAX),
    { .name = "maxmemory-policy", .type = T_ENUM, .ptr = &server.maxmemory_policy, .deflt = "noeviction", .enum_names = evict_policy_names },
    INT("maxmemory-samples", maxmemory_samples, "5", 1, INT_MAX),   /* as Redis; evict.c samples in chunks */
    INT("maxmemory-eviction-tenacity", maxmemory_eviction_tenacity, "10", 0, 100),
    INT("lfu-log-factor", lfu_log_factor, "10", 0, INT_MAX),
    INT("lfu-decay-time", lfu_decay_time, "1", 0, INT_MAX),
    MEM("proto-max-bulk-len", proto_max_bulk_len, "512mb", 1024 * 1024, LLONG_MAX),
    MEM("client-query-buffer-limit", client_max_querybuf_len, "1gb", 1024 * 1024, LLONG_MAX),
    SPECIAL("client-output-buffer-limit", "normal 0 0 0 slave 256mb 64mb 60 pubsub 32mb 8mb 60", set_obuf, get_obuf),
    INT("active-expire-effort", active_expire_effort, "1", 1, 10),
    LL("slowlog-log-slower-than", slowlog_log_slower_than, "10000", -1, LLONG_MAX),
    LL("slowlog-max-len", slowlog_max_len, "128", 0, LONG_MAX),
    LL("latency-monitor-threshold", latency_monitor_threshold, "0", 0, LLONG_MAX),
    SPECIAL("notify-keyspace-events", "", set_notify, get_notify),
    BOOL("lazyfree-lazy-eviction", lazyfree_lazy_eviction, "no"),
    BOOL("lazyfree-lazy-expire", lazyfree_lazy_expire, "no"),
    BOOL("lazyfree-lazy-server-del", lazyfree_lazy_server_del, "no"),
    BOOL("lazyfree-lazy-user-del", lazyfree_lazy_user_del, "no"),
    BOOL("lazyfree-lazy-user-flush", lazyfree_lazy_user_flush, "no"),
    { .name = "hash-max-listpack-entries", .alias = "hash-max-ziplist-entries", .type = T_INT, .ptr = &server.hash_max_listpack_entries, .deflt = "512", .min = 0, .max = INT_MAX },
    { .name = "hash-max-listpack-value", .alias = "hash-max-ziplist-value", .type = T_INT, .ptr = &server.hash_max_listpack_value, .deflt = "64", .min = 0, .max = INT_MAX },
    INT("set-max-intset-entries", set_max_intset_entries, "512", 0, INT_MAX),
    { .name = "zset-max-listpack-entries", .alias = "zset-max-ziplist-entries", .type = T_INT, .ptr = &server.zset_max_listpack_entries, .deflt = "128", .min = 0, .max = INT_MAX },
    { .name = "zset-max-listpack-value", .alias = "zset-max-ziplist-value", .type = T_INT, .ptr = &server.zset_max_listpack_value, .deflt = "64", .min = 0, .max = INT_MAX },
    { .name = "list-max-listpack-size", .alias = "list-max-ziplist-size", .type = T_INT, .ptr = &server.list_max_listpack_size, .deflt = "-2", .min = INT_MIN, .max = INT_MAX },
    INT("list-compress-depth", list_compress_depth, "0", 0, INT_MAX),
    { .name = "busy-reply-threshold", .alias = "lua-time-limit", .type = T_LL, .ptr = &server.busy_reply_threshold, .deflt = "5000", .min = 0, .max = LLONG_MAX },
    SPECIAL("save", "3600 1 300 100 60 10000", set_save, get_save),
    /* RDB snapshots (src/persist/). */
    { .name = "dbfilename", .type = T_STRING, .ptr = &server.dbfilename, .deflt = "dump.rdb", .flags = PROTECTED },
    BOOL("rdbcompression", rdbcompression, "yes"),
    { .name = "rdbchecksum", .type = T_BOOL, .ptr = &server.rdbchecksum, .deflt = "yes", .flags = IMMUTABLE },
    BOOL("stop-writes-on-bgsave-error", stop_writes_on_bgsave_error, "yes"),
    BOOL("rdb-del-sync-files", rdb_del_sync_files, "no"),
    INT("rdb-key-save-delay", rdb_key_save_delay, "0", INT_MIN, INT_MAX),
    { .name = "sanitize-dump-payload", .type = T_ENUM, .ptr = &server.sanitize_dump_payload, .deflt = "no", .enum_names = sanitize_names },
    BOOL("appendonly", appendonly, "no"),
    { .name = "enable-debug-command", .type = T_ENUM, .ptr = &compat.enable_debug_command, .deflt = "no", .enum_names = enable_names, .flags = IMMUTABLE },

    /* Accepted for compatibility; no effect in Keel. */
    { .name = "enable-protected-configs", .type = T_ENUM, .ptr = &compat.enable_protected_configs, .deflt = "no", .enum_names = enable_names, .flags = IMMUTABLE },
    { .name = "enable-module-command", .type = T_ENUM, .ptr = &compat.enable_module_command, .deflt = "no", .enum_names = enable_names, .flags = IMMUTABLE },
    { .name = "appendfilename", .type = T_STRING, .ptr = &compat.appendfilename, .deflt = "appendonly.aof", .flags = IMMUTABLE },
    { .name = "appenddirname", .type = T_STRING, .ptr = &compat.appenddirname, .deflt = "appendonlydir", .flags = IMMUTABLE },
    { .name = "appendfsync", .type = T_ENUM, .ptr = &compat.appendfsync, .deflt = "everysec", .enum_names = appendfsync_names },
    { .name = "aof-use-rdb-preamble", .type = T_BOOL, .ptr = &compat.aof_use_rdb_preamble, .deflt = "yes" },
    { .name = "activerehashing", .type = T_BOOL, .ptr = &compat.activerehashing, .deflt = "yes" },
    { .name = "always-show-logo", .type = T_BOOL, .ptr = &compat.always_show_logo, .deflt = "no", .flags = IMMUTABLE },
    { .name = "set-proc-title", .type = T_BOOL, .ptr = &compat.set_proc_title, .deflt = "yes", .flags = IMMUTABLE },
    { .name = "supervised", .type = T_ENUM, .ptr = &compat.supervised, .deflt = "no", .enum_names = supervised_names, .flags = IMMUTABLE },
    { .name = "syslog-enabled", .type = T_BOOL, .ptr = &compat.syslog_enabled, .deflt = "no", .flags = IMMUTABLE },
    { .name = "crash-log-enabled", .type = T_BOOL, .ptr = &compat.crash_log_enabled, .deflt = "yes" },
    { .name = "replica-read-only", .alias = "slave-read-only", .type = T_BOOL, .ptr = &compat.replica_read_only, .deflt = "yes" },
    { .name = "replica-serve-stale-data", .alias = "slave-serve-stale-data", .type = T_BOOL, .ptr = &compat.replica_serve_stale_data, .deflt = "yes" },
    { .name = "repl-backlog-size", .type = T_MEM, .ptr = &compat.repl_backlog_size, .deflt = "1mb", .min = 1, .max = LLONG_MAX },
    { .name = "cluster-enabled", .type = T_BOOL, .ptr = &compat.cluster_enabled, .deflt = "no", .flags = IMMUTABLE },
    { .name = "latency-tracking", .type = T_BOOL, .ptr = &compat.latency_tracking, .deflt = "yes" },
    { .name = "dynamic-hz", .type = T_BOOL, .ptr = &compat.dynamic_hz, .deflt = "yes" },
    { .name = "jemalloc-bg-thread", .type = T_BOOL, .ptr = &compat.jemalloc_bg_thread, .deflt = "yes" },
    { .name = "activedefrag", .type = T_BOOL, .ptr = &compat.activedefrag, .deflt = "no" },
    { .name = "disable-thp", .type = T_BOOL, .ptr = &compat.disable_thp, .deflt = "yes", .flags = IMMUTABLE },
    { .name = "oom-score-adj", .type = T_ENUM, .ptr = &compat.oom_score_adj, .deflt = "no", .enum_names = oom_score_adj_names },
    { .name = "io-threads", .type = T_INT, .ptr = &compat.io_threads, .deflt = "1", .min = 1, .max = 128, .flags = IMMUTABLE },
    { .name = "shutdown-timeout", .type = T_INT, .ptr = &compat.shutdown_timeout, .deflt = "10", .min = 0, .max = INT_MAX },
    { .name = "stream-node-max-bytes", .type = T_MEM, .ptr = &compat.stream_node_max_bytes, .deflt = "4096", .min = 0, .max = LLONG_MAX },
    { .name = "stream-node-max-entries", .type = T_LL, .ptr = &compat.stream_node_max_entries, .deflt = "100", .min = 0, .max = LLONG_MAX },
    { .name = "hll-sparse-max-bytes", .type = T_MEM, .ptr = &compat.hll_sparse_max_bytes, .deflt = "3000", .min = 0, .max = LLONG_MAX },
    { .name = "tracking-table-max-keys", .type = T_LL, .ptr = &compat.tracking_table_max_keys, .deflt = "1000000", .min = 0, .max = LLONG_MAX },
    { .name = "acllog-max-len", .type = T_LL, .ptr = &compat.acllog_max_len, .deflt = "128", .min = 0, .max = LLONG_MAX },
    { .name = "maxmemory-clients", .type = T_MEM, .ptr = &compat.maxmemory_clients, .deflt = "0", .min = 0, .max = LLONG_MAX },
    { .name = NULL },
};

static configDef *find_config(const char *name, size_t len) {
    for (configDef *d = configs; d->name; d++)
        if (arg_is(name, len, d->name) || (d->alias && arg_is(name, len, d->alias))) return d;
    return NULL;
}

/* "argument(s) must be one of the following: a, b, c" for an enum's names. */
static const char *enum_error(const char *const *names) {
    static char buf[256];
    size_t n = (size_t)snprintf(buf, sizeof(buf), "argument(s) must be one of the following: ");
    for (int i = 0; names[i] && n < sizeof(buf); i++)
        n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s", i ? ", " : "", names[i]);
    return buf;
}

/* Parses and stores one parameter's value. Returns 0 or -1 with *err set (Redis's wording). */
static int set_value(configDef *d, int argc, karg *argv, const char **err) {
    if (d->type == T_SPECIAL) return d->sset(argc, argv, err);
    if (argc != 1) {
        *err = "wrong number of arguments";
        return -1;
    }
    const char *v = argv[0].ptr;
    size_t vlen = argv[0].len;
    switch (d->type) {
    case T_BOOL:
        if (arg_is(v, vlen, "yes")) *(int *)d->ptr = 1;
        else if (arg_is(v, vlen, "no")) *(int *)d->ptr = 0;
        else {
            *err = "argument must be 'yes' or 'no'";
            return -1;
        }
        return 0;
    case T_INT:
    case T_LL:
    case T_MEM: {
        long long n;
        int ok;
        if (d->type == T_MEM) {
            ok = parse_memory(v, &n);
            if (!ok || n < 0) {
                *err = "argument must be a memory value";
                return -1;
            }
        } else if (d->octal) {
            char *end;
            errno = 0;
            n = strtoll(v, &end, 8);
            ok = vlen && *end == '\0' && !errno;
        } else {
            ok = str_to_ll(v, vlen, &n);
        }
        if (!ok) {
            *err = "argument couldn't be parsed into an integer";
            return -1;
        }
        if (n < d->min || n > d->max) {
            static char buf[128];
            snprintf(buf, sizeof(buf), "argument must be between %lld and %lld inclusive", d->min, d->max);
            *err = buf;
            return -1;
        }
        if (d->type == T_INT)
            *(int *)d->ptr = (int)n;
        else
            *(long long *)d->ptr = n;
        return 0;
    }
    case T_ENUM:
        for (int i = 0; d->enum_names[i]; i++) {
            if (arg_is(v, vlen, d->enum_names[i])) {
                *(int *)d->ptr = i;
                return 0;
            }
        }
        *err = enum_error(d->enum_names);
        return -1;
    case T_STRING: {
        char **field = d->ptr;
        kfree(*field);
        *field = vlen ? kstrdup(v) : NULL;
        return 0;
    }
    }
    return -1;
}

static kstr *format_value(const configDef *d, kstr *out) {
    switch (d->type) {
    case T_BOOL: return kstr_catc(out, *(int *)d->ptr ? "yes" : "no");
    case T_INT: return kstr_catfmt(out, d->octal ? "%o" : "%d", *(int *)d->ptr);
    case T_LL:
    case T_MEM: return kstr_catfmt(out, "%lld", *(long long *)d->ptr);
    case T_ENUM: return kstr_catc(out, d->enum_names[*(int *)d->ptr]);
    case T_STRING: {
        char *s = *(char **)d->ptr;
        return kstr_catc(out, s ? s : "");
    }
    case T_SPECIAL: return d->sget(out);
    }
    return out;
}

/* Applies side effects of a changed parameter. */
static void after_change(const configDef *d) {
    if (d->ptr == &server.loglevel) log_set_level(server.loglevel);
    if (d->ptr == &server.hz) server.hz = server.hz < 1 ? 1 : server.hz > 500 ? 500 : server.hz;
    if (d->ptr == &server.maxmemory && server.maxmemory) evict_to_fit();
}

static int set_from_words(configDef *d, int argc, karg *argv, const char **err) {
    int rc = set_value(d, argc, argv, err);
    if (rc == 0) after_change(d);
    return rc;
}

void config_init_defaults(void) {
    for (configDef *d = configs; d->name; d++) {
        karg *argv = NULL;
        int cap = 0;
        char *store = NULL;
        size_t store_cap = 0;
        const char *err = NULL;
        int argc = split_args(d->deflt, strlen(d->deflt), &argv, &cap, &store, &store_cap);
        if (argc == 0 && d->type != T_SPECIAL) {
            /* An empty default: one empty value. */
            karg empty = {store ? store : (char *)"", 0};
            set_value(d, 1, &empty, &err);
        } else {
            set_value(d, argc, argv, &err);
        }
        kfree(argv);
        kfree(store);
    }
}

kstr *config_read_file(const char *path) {
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
    if (!f) return NULL;
    kstr *s = kstr_empty(4096);
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0) s = kstr_cat(s, buf, n);
    if (f != stdin) fclose(f);
    return s;
}

int config_load_text(const char *text, char *err, size_t errlen) {
    int lineno = 0;
    karg *argv = NULL;
    int cap = 0;
    char *store = NULL;
    size_t store_cap = 0;
    int rc = 0;
    const char *p = text;
    while (*p && rc == 0) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        lineno++;
        const char *line = p;
        p = nl ? nl + 1 : p + len;
        while (len && isspace((unsigned char)*line)) line++, len--;
        while (len && isspace((unsigned char)line[len - 1])) len--;
        if (len == 0 || line[0] == '#') continue;
        int argc = split_args(line, len, &argv, &cap, &store, &store_cap);
        const char *why = NULL;
        if (argc < 0) {
            why = "Unbalanced quotes in configuration line";
        } else if (argc > 0) {
            configDef *d = find_config(argv[0].ptr, argv[0].len);
            if (!d) {
                /* Directives of features Keel doesn't have are rejected like unknown ones. */
                why = "Bad directive or wrong number of arguments";
            } else {
                karg empty = {(char *)"", 0};
                int vargc = argc - 1;
                karg *vargv = argv + 1;
                if (vargc == 0 && d->type == T_STRING) vargc = 1, vargv = &empty;
                if (vargc == 0 && d->type != T_SPECIAL) why = "Bad directive or wrong number of arguments";
                else if (set_from_words(d, vargc, vargv, &why) != 0 && !why)
                    why = "Bad directive or wrong number of arguments";
            }
        }
        if (why) {
            snprintf(err, errlen,
                     "\n*** FATAL CONFIG FILE ERROR (Keel %s) ***\nReading the configuration file, at line %d\n>>> '%.*s'\n%s",
                     KEEL_VERSION, lineno, (int)len, line, why);
            rc = -1;
        }
    }
    kfree(argv);
    kfree(store);
    return rc;
}

void config_get_matching(const char *pattern, size_t plen, config_visit_fn *fn, void *priv) {
    if (!memchr(pattern, '*', plen) && !memchr(pattern, '?', plen) && !memchr(pattern, '[', plen)) {
        /* A plain name is looked up (case-insensitively) and reported as the caller spelled it,
         * as Redis does. */
        configDef *d = find_config(pattern, plen);
        if (!d) return;
        kstr *v = format_value(d, kstr_empty(32));
        fn(priv, pattern, v->buf, v->len);
        kstr_free(v);
        return;
    }
    for (configDef *d = configs; d->name; d++) {
        /* A pattern may match the name, the alias, or both: each matching one is listed. */
        int by_name = glob_match(pattern, plen, d->name, strlen(d->name), 1);
        int by_alias = d->alias && glob_match(pattern, plen, d->alias, strlen(d->alias), 1);
        if (!by_name && !by_alias) continue;
        kstr *v = format_value(d, kstr_empty(32));
        if (by_name) fn(priv, d->name, v->buf, v->len);
        if (by_alias) fn(priv, d->alias, v->buf, v->len);
        kstr_free(v);
    }
}

/* CONFIG SET port/bind take effect at once: listen again on the new addresses, as Redis does.
 * At start-up (no event loop yet) server_init() listens later. */
static int relisten(const configDef *d, const char **err) {
    if (!server.el) return 0;
    net_close_listeners();
    if (net_listen() == 0) return 0;
    static char buf[128];
    snprintf(buf, sizeof(buf), "Unable to listen on this port: %s", strerror(errno));
    *err = d->ptr == &server.port ? buf : "Failed to bind to specified addresses.";
    net_close_listeners();
    return -1;
}

/* Sets a parameter from a CONFIG SET value: multi-word specials (bind, save) take the value
 * split on spaces, everything else takes it as one word. */
static int apply_value(configDef *d, const char *value, size_t len, const char **why) {
    int listener = d->ptr == &server.port || d->sset == set_bind;
    kstr *before = listener ? format_value(d, kstr_empty(32)) : NULL;
    int rc;
    if (d->type == T_SPECIAL && d->sset != set_obuf && d->sset != set_notify) {
        karg *argv = NULL;
        int cap = 0;
        char *store = NULL;
        size_t store_cap = 0;
        int n = split_args(value, len, &argv, &cap, &store, &store_cap);
        rc = n < 0 ? -1 : set_from_words(d, n, argv, why);
        kfree(argv);
        kfree(store);
    } else {
        karg v = {(char *)value, len};
        rc = set_from_words(d, 1, &v, why);
    }
    if (rc == 0 && listener) {
        kstr *after = format_value(d, kstr_empty(32));
        if (after->len != before->len || memcmp(after->buf, before->buf, after->len) != 0) rc = relisten(d, why);
        kstr_free(after);
    }
    kstr_free(before);
    return rc;
}

/* The checks Redis makes on every name before setting anything. */
static const char *check_settable(configDef **defs, int i) {
    if (defs[i]->flags & IMMUTABLE) return "can't set immutable config";
    if ((defs[i]->flags & PROTECTED) && compat.enable_protected_configs != ENABLE_DEBUG_YES)
        return "can't set protected config";
    for (int j = 0; j < i; j++)
        if (defs[j] == defs[i]) return "duplicate parameter";
    return NULL;
}

int config_set_pairs(int argc, char **names, size_t *nlens, char **values, size_t *vlens, char *err, size_t errlen) {
    configDef **defs = kmalloc(sizeof(*defs) * (size_t)argc);
    kstr **old = kcalloc(sizeof(*old) * (size_t)argc);
    int failed = -1;
    const char *why = NULL;
    for (int i = 0; i < argc && !why; i++) {
        defs[i] = find_config(names[i], nlens[i]);
        if (!defs[i]) {
            snprintf(err, errlen, "Unknown option or number of arguments for CONFIG SET - '%s'", names[i]);
            why = "";
        } else if ((why = check_settable(defs, i)) != NULL) {
            snprintf(err, errlen, "CONFIG SET failed (possibly related to argument '%s') - %s", names[i], why);
        }
    }
    if (!why) {
        /* Keep the old values so that a failure part way leaves every parameter unchanged. */
        for (int i = 0; i < argc; i++) old[i] = format_value(defs[i], kstr_empty(32));
        for (int i = 0; i < argc && failed < 0; i++)
            if (apply_value(defs[i], values[i], vlens[i], &why) != 0) failed = i;
    }
    if (failed >= 0) {
        snprintf(err, errlen, "CONFIG SET failed (possibly related to argument '%s') - %s", names[failed],
                 why ? why : "invalid argument");
        const char *ignored;
        for (int i = 0; i <= failed; i++) apply_value(defs[i], old[i]->buf, old[i]->len, &ignored);
    }
    for (int i = 0; i < argc; i++) kstr_free(old[i]);
    kfree(old);
    kfree(defs);
    return (why || failed >= 0) ? -1 : 0;
}

/* Quotes a value for the config file when it needs it. */
static kstr *cat_config_value(kstr *out, const char *v, size_t len) {
    int plain = len > 0;
    for (size_t i = 0; i < len; i++)
        if (!isgraph((unsigned char)v[i]) || v[i] == '"' || v[i] == '\'') plain = 0;
    if (plain) return kstr_cat(out, v, len);
    out = kstr_cat(out, "\"", 1);
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)v[i];
        if (ch == '"' || ch == '\\') out = kstr_catfmt(out, "\\%c", ch);
        else if (isprint(ch)) out = kstr_cat(out, &v[i], 1);
        else out = kstr_catfmt(out, "\\x%02x", ch);
    }
    return kstr_cat(out, "\"", 1);
}

/* Memory values are rewritten with the largest exact unit, as Redis writes them ("200mb"). */
static kstr *cat_memory_value(kstr *out, long long bytes) {
    static const struct {
        long long unit;
        const char *suffix;
    } units[] = {{1024LL * 1024 * 1024, "gb"}, {1024 * 1024, "mb"}, {1024, "kb"}};
    for (size_t i = 0; bytes > 0 && i < sizeof(units) / sizeof(units[0]); i++)
        if (bytes % units[i].unit == 0) return kstr_catfmt(out, "%lld%s", bytes / units[i].unit, units[i].suffix);
    return kstr_catfmt(out, "%lld", bytes);
}

static kstr *config_line(kstr *out, const configDef *d) {
    kstr *v = format_value(d, kstr_empty(32));
    out = kstr_catc(out, d->name);
    out = kstr_cat(out, " ", 1);
    if (d->type == T_MEM)
        out = cat_memory_value(out, *(long long *)d->ptr);
    else if (d->type == T_SPECIAL && d->sset != set_notify && v->len)
        out = kstr_cat(out, v->buf, v->len);   /* multi-word values are written as words */
    else
        out = cat_config_value(out, v->buf, v->len);
    kstr_free(v);
    return kstr_cat(out, "\n", 1);
}

static int is_default(const configDef *d) {
    kstr *v = format_value(d, kstr_empty(32));
    /* Compare through a scratch copy of the default parsed and formatted the same way would
     * need a second server struct; the textual default is good enough except for memory units. */
    int same = strcmp(v->buf, d->deflt) == 0;
    if (!same && (d->type == T_MEM)) {
        long long dv;
        same = parse_memory(d->deflt, &dv) && dv == *(long long *)d->ptr;
    }
    kstr_free(v);
    return same;
}

int config_rewrite(char *err, size_t errlen) {
    if (!server.configfile) {
        snprintf(err, errlen, "The server is running without a config file");
        return -1;
    }
    kstr *orig = config_read_file(server.configfile);
    if (!orig) orig = kstr_empty(0);
    kstr *out = kstr_empty(orig->len + 1024);
    int written[sizeof(configs) / sizeof(configs[0])] = {0};
    karg *argv = NULL;
    int cap = 0;
    char *store = NULL;
    size_t store_cap = 0;
    const char *p = orig->buf;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        const char *line = p;
        p = nl ? nl + 1 : p + len;
        /* Lines are kept trimmed, as Redis rewrites them. */
        while (len && isspace((unsigned char)*line)) line++, len--;
        while (len && isspace((unsigned char)line[len - 1])) len--;
        int argc = (len && line[0] != '#') ? split_args(line, len, &argv, &cap, &store, &store_cap) : 0;
        configDef *d = argc > 0 ? find_config(argv[0].ptr, argv[0].len) : NULL;
        if (!d) {
            out = kstr_cat(out, line, len);
            out = kstr_cat(out, "\n", 1);
            continue;
        }
        int idx = (int)(d - configs);
        if (!written[idx]) out = config_line(out, d);   /* later duplicates are dropped */
        written[idx] = 1;
    }
    int header = 0;
    for (configDef *d = configs; d->name; d++) {
        int idx = (int)(d - configs);
        if (written[idx] || is_default(d)) continue;
        if (!header) out = kstr_catc(out, "# Generated by CONFIG REWRITE\n"), header = 1;
        out = config_line(out, d);
    }
    kfree(argv);
    kfree(store);
    kstr_free(orig);
    char tmp[4200];
    snprintf(tmp, sizeof(tmp), "%s.tmp-%d", server.configfile, (int)getpid());
    FILE *f = fopen(tmp, "w");
    int rc = -1;
    if (f) {
        size_t w = fwrite(out->buf, 1, out->len, f);
        int ok = w == out->len && fflush(f) == 0 && fsync(fileno(f)) == 0;
        ok = (fclose(f) == 0) && ok;
        if (ok && rename(tmp, server.configfile) == 0) rc = 0;
        else unlink(tmp);
    }
    if (rc) snprintf(err, errlen, "Rewriting config file: %s", strerror(errno));
    kstr_free(out);
    return rc;
}
