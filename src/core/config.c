/* config.c - the parameter table and its parsers; see config.h.
 *
 * Invariant: every parameter's value is written only through set_value() (defaults, file,
 * command line, CONFIG SET, rollback), so the validation rules live in one place, and every
 * parameter is one row of configs[] of the same form (config_row): name, alias, type, flags,
 * where the value lives, default, limits or enum names, special parser, hook.
 *
 * Names, defaults, limits, mutability and error texts follow redis-server 7.0.15, and every
 * parameter redis-server 7.0.15 reports (and its hidden ones) is in the table. A parameter of
 * a feature Keel doesn't have (AOF, replication, cluster, TLS, ACL files, ...) keeps its value
 * in its own row (`store`) and has no effect; where a value would ask for that feature
 * (appendonly yes, cluster-enabled yes, tls-port 6380, ...) the row's hook refuses it, so the
 * config file stops start-up and CONFIG SET fails with a message naming the feature. The RDB
 * parameters are plain fields of `server` for the RDB code to read. */
#include "core/config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/notify.h"
#include "keyspace/db.h"
#include "keyspace/evict.h"
#include "core/acl.h"
#include "core/client_evict.h"
#include "core/proctitle.h"
#include "core/tls.h"
#include "core/watchdog.h"
#include "protocol/request.h"
#include "server.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/util.h"

enum { T_BOOL, T_INT, T_LL, T_MEM, T_ENUM, T_STRING, T_SPECIAL };

/* Row flags. */
#define IMMUTABLE 1     /* set only by the config file and the command line */
#define PROTECTED 2     /* CONFIG SET only with enable-protected-configs */
#define HIDDEN 4        /* CONFIG GET lists it only when named exactly, never for a pattern */
#define OCTAL 8         /* T_INT read and shown in base 8 */
#define PERCENT 16      /* T_MEM that also takes "N%" (stored as -N) */
#define MULTI_ARG 32    /* a CONFIG SET value is split into words, as a config file line */
#define DENY_LOADING 64 /* CONFIG SET refused with -LOADING while a data set loads (Redis's DENY_LOADING_CONFIG) */

typedef struct configDef configDef;
/* T_SPECIAL rows parse and format themselves; the value lives at d->ptr. */
typedef int special_set_fn(configDef *d, int argc, karg *argv, const char **err);
typedef kstr *special_get_fn(const configDef *d, kstr *out);
typedef struct configSpecial {
    special_set_fn *set;
    special_get_fn *get;
} configSpecial;
/* Runs after every store of a new value (file, command line, CONFIG SET, rollback): applies
 * it, or refuses it with -1 and *err (the caller then puts the previous value back). */
typedef int config_hook_fn(const configDef *d, const char **err);

struct configDef {
    const char *name;
    const char *alias;
    int type;
    int flags;
    void *ptr;                       /* the value; NULL: the row's own `store` */
    const char *deflt;
    long long min, max;              /* T_INT, T_LL, T_MEM */
    const char *const *enum_names;   /* T_ENUM: index = value */
    const configSpecial *special;    /* T_SPECIAL */
    config_hook_fn *hook;            /* may be NULL */
    union {
        int i;
        long long ll;
        char *s;
    } store;
};

/* The one row form of configs[]: config_row(name, alias, type, flags, ptr, default, min, max,
 * enum_names, special, hook); NOLIM and NONE stand for unused columns. */
#define config_row(...) { __VA_ARGS__, {0} }

static const char *const loglevel_names[] = {"debug", "verbose", "notice", "warning", NULL};
static const char *const enable_names[] = {"no", "yes", "local", NULL};
static const char *const appendfsync_names[] = {"everysec", "always", "no", NULL};
static const char *const supervised_names[] = {"upstart", "systemd", "auto", "no", NULL};
static const char *const oom_score_adj_names[] = {"no", "yes", "relative", "absolute", NULL};
static const char *const syslog_facility_names[] = {"user", "local0", "local1", "local2", "local3",
                                                    "local4", "local5", "local6", "local7", NULL};
static const char *const diskless_load_names[] = {"disabled", "on-empty-db", "swapdb", NULL};
static const char *const tls_auth_names[] = {"no", "yes", "optional", NULL};
static const char *const acl_pubsub_names[] = {"allchannels", "resetchannels", NULL};   /* ACL_PUBSUB_* */
static const char *const sanitize_names[] = {"no", "yes", "clients", NULL};
static const char *const endpoint_names[] = {"ip", "hostname", "unknown-endpoint", NULL};
static const char *const propagation_names[] = {"ignore", "panic", "panic-on-replicas", NULL};
/* shutdown-on-sigint/-sigterm: a set of flags; "default" is none, the others are bits 1, 2, 4, 8. */
static const char *const shutdown_flag_names[] = {"default", "save", "nosave", "now", "force", NULL};
enum { OOM_NO = 0, OOM_YES = 1, OOM_RELATIVE = 2, OOM_ABSOLUTE = 3 };

/* Values code here or in DEBUG reads that have no field in `server`. */
static struct {
    int enable_debug_command, enable_protected_configs;
    int oom_score_adj, oom_score_adj_values[3];
    int jemalloc_bg_thread;
} compat;

int config_enable_debug_command(void) {
    return compat.enable_debug_command;
}

/* ---- special parameters ---- */

static int set_bind(configDef *d, int argc, karg *argv, const char **err) {
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

static kstr *get_bind(const configDef *d, kstr *out) {
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

static int set_obuf(configDef *d, int argc, karg *argv, const char **err) {
    obufLimit tmp[OBUF_CLASSES];
    memcpy(tmp, server.obuf_limits, sizeof(tmp));
    if (argc % 4 != 0) {   /* none is fine: no class changes */
        *err = "Wrong number of arguments in buffer limit configuration.";
        return -1;
    }
    for (int i = 0; i < argc; i += 4) {
        int cls = obuf_class(&argv[i]);
        long long hard, soft, secs;
        if (cls < 0) {
            *err = "Invalid client class specified in buffer limit configuration.";
            return -1;
        }
        if (!parse_memory(argv[i + 1].ptr, &hard) || !parse_memory(argv[i + 2].ptr, &soft) ||
            !str_to_ll(argv[i + 3].ptr, argv[i + 3].len, &secs) || hard < 0 || soft < 0 || secs < 0) {
            *err = "Error in hard, soft or soft_seconds setting in buffer limit configuration.";
            return -1;
        }
        tmp[cls].hard_bytes = hard;
        tmp[cls].soft_bytes = soft;
        tmp[cls].soft_seconds = secs;
    }
    memcpy(server.obuf_limits, tmp, sizeof(tmp));
    return 0;
}

static kstr *get_obuf(const configDef *d, kstr *out) {
    for (int i = 0; i < OBUF_CLASSES; i++) {
        obufLimit *l = &server.obuf_limits[i];
        out = kstr_catfmt(out, "%s%s %lld %lld %lld", i ? " " : "", obuf_class_names[i], l->hard_bytes,
                          l->soft_bytes, l->soft_seconds);
    }
    return out;
}

/* Words joined by single spaces: the stored form of the multi-word string specials. */
static char *join_words(int argc, karg *argv) {
    kstr *v = kstr_empty(32);
    for (int i = 0; i < argc; i++) {
        if (i) v = kstr_cat(v, " ", 1);
        v = kstr_cat(v, argv[i].ptr, argv[i].len);
    }
    char *s = kstrdup(v->buf);
    kstr_free(v);
    return s;
}

static void replace_string(char **field, char *value) {
    kfree(*field);
    *field = value;
}

static kstr *get_string(const configDef *d, kstr *out) {
    const char *s = *(char **)d->ptr;
    return kstr_catc(out, s ? s : "");
}

static int reading_config;   /* config_load_text() is running: the file and command line */

static int set_save(configDef *d, int argc, karg *argv, const char **err) {
    /* Pairs of "<seconds >= 1> <changes >= 0>", as Redis validates them; one empty word
     * means none. Stored as text for the RDB code. */
    if (argc == 1 && argv[0].len == 0) argc = 0;
    for (int i = 0; i < argc; i++) {
        long long n;
        if (argc % 2 != 0 || !str_to_ll(argv[i].ptr, argv[i].len, &n) || n < (i % 2 == 0 ? 1 : 0)) {
            *err = "Invalid save parameters";
            return -1;
        }
    }
    /* As Redis: in the configuration (file and command line, read as one text) the first
     * "save" replaces the built-in default and later ones add their pairs; "save ''" empties
     * the list. CONFIG SET replaces it. */
    static int loaded_once;
    char *joined = join_words(argc, argv);
    const char *old = *(char **)d->ptr;
    if (reading_config && loaded_once && argc > 0 && old && old[0]) {
        kstr *both = kstr_cat(kstr_cat(kstr_catc(kstr_empty(64), old), " ", 1), joined, strlen(joined));
        kfree(joined);
        joined = kstrdup(both->buf);
        kstr_free(both);
    }
    if (reading_config) loaded_once = 1;
    replace_string(d->ptr, joined);
    return 0;
}

static int set_notify(configDef *d, int argc, karg *argv, const char **err) {
    if (argc != 1) {
        *err = "wrong number of arguments";
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

static kstr *get_notify(const configDef *d, kstr *out) {
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
    return out;
}

static int set_dir(configDef *d, int argc, karg *argv, const char **err) {
    if (argc != 1 || chdir(argv[0].ptr) != 0) {
        *err = strerror(errno ? errno : EINVAL);
        return -1;
    }
    return 0;
}

static kstr *get_dir(const configDef *d, kstr *out) {
    char cwd[4096];
    return kstr_catc(out, getcwd(cwd, sizeof(cwd)) ? cwd : "");
}

static int set_oom_values(configDef *d, int argc, karg *argv, const char **err) {
    int v[3];
    if (argc != 3) {
        *err = "wrong number of arguments";
        return -1;
    }
    for (int i = 0; i < 3; i++) {
        long long n;
        if (!str_to_ll(argv[i].ptr, argv[i].len, &n) || n < -2000 || n > 2000) {
            *err = "Invalid oom-score-adj-values, elements must be between -2000 and 2000.";
            return -1;
        }
        v[i] = (int)n;
    }
    memcpy(d->ptr, v, sizeof(v));
    return 0;
}

static kstr *get_oom_values(const configDef *d, kstr *out) {
    const int *v = d->ptr;
    return kstr_catfmt(out, "%d %d %d", v[0], v[1], v[2]);
}

/* replicaof / slaveof: "host port" sets the primary src/repl/ connects to at start-up, "no one"
 * clears it. */
static int set_replicaof(configDef *d, int argc, karg *argv, const char **err) {
    if (argc != 2) {
        *err = "wrong number of arguments";
        return -1;
    }
    replace_string(&server.masterhost, NULL);
    server.masterport = 0;
    if (arg_is(argv[0].ptr, argv[0].len, "no") && arg_is(argv[1].ptr, argv[1].len, "one")) return 0;
    long long port;
    if (!str_to_ll(argv[1].ptr, argv[1].len, &port) || port < 0 || port > 65535) {
        *err = "Invalid master port";
        return -1;
    }
    server.masterhost = kstrdup(argv[0].ptr);
    server.masterport = (int)port;
    return 0;
}

static kstr *get_replicaof(const configDef *d, kstr *out) {
    return server.masterhost ? kstr_catfmt(out, "%s %d", server.masterhost, server.masterport) : out;
}

/* latency-tracking-info-percentiles: numbers in [0, 100], kept as text, each written as
 * Redis writes it (%f without trailing zeros). */
static int set_percentiles(configDef *d, int argc, karg *argv, const char **err) {
    if (argc == 1 && argv[0].len == 0) argc = 0;
    kstr *v = kstr_empty(32);
    for (int i = 0; i < argc; i++) {
        double p;
        if (!str_to_d(argv[i].ptr, argv[i].len, &p)) {
            *err = "Invalid latency-tracking-info-percentiles parameters";
        } else if (p < 0.0 || p > 100.0) {
            *err = "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]";
        } else {
            char buf[64];
            int n = snprintf(buf, sizeof(buf), "%f", p);
            while (n > 1 && buf[n - 1] == '0') n--;
            if (buf[n - 1] == '.') n--;
            v = kstr_catfmt(v, "%s%.*s", i ? " " : "", n, buf);
            continue;
        }
        kstr_free(v);
        return -1;
    }
    replace_string(d->ptr, kstrdup(v->buf));
    kstr_free(v);
    return 0;
}

static int set_shutdown_flags(configDef *d, int argc, karg *argv, const char **err) {
    int flags = 0;
    if (argc == 0) {   /* no flag at all is an error in Redis too ("default" names none) */
        *err = "argument(s) must be one of the following: default, save, nosave, now, force";
        return -1;
    }
    for (int i = 0; i < argc; i++) {
        int bit = -1;
        for (int j = 0; shutdown_flag_names[j]; j++)
            if (arg_is(argv[i].ptr, argv[i].len, shutdown_flag_names[j])) bit = j;
        if (bit < 0) {
            *err = "argument(s) must be one of the following: default, save, nosave, now, force";
            return -1;
        }
        if (bit > 0) flags |= 1 << (bit - 1);
    }
    *(int *)d->ptr = flags;
    return 0;
}

static kstr *get_shutdown_flags(const configDef *d, kstr *out) {
    int flags = *(const int *)d->ptr;
    if (!flags) return kstr_catc(out, shutdown_flag_names[0]);
    int first = 1;
    for (int j = 1; shutdown_flag_names[j]; j++) {
        if (!(flags & (1 << (j - 1)))) continue;
        out = kstr_catfmt(out, "%s%s", first ? "" : " ", shutdown_flag_names[j]);
        first = 0;
    }
    return out;
}

/* cluster-announce-hostname: Redis's check of the characters. */
static int check_hostname(const configDef *d, const char **err) {
    const char *s = *(char **)d->ptr;
    if (s && strlen(s) >= 256) {
        *err = "Hostnames must be less than 256 characters";
        return -1;
    }
    if (!s || strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.") == strlen(s)) return 0;
    *err = "Hostnames may only contain alphanumeric characters, hyphens or dots";
    return -1;
}

/* requirepass, masterauth: any bytes, NUL included (Redis keeps them as sds); NULL when empty. */
static int set_binary(configDef *d, int argc, karg *argv, const char **err) {
    if (argc != 1) {
        *err = "wrong number of arguments";
        return -1;
    }
    kstr **field = d->ptr;
    kstr_free(*field);
    *field = argv[0].len ? kstr_new(argv[0].ptr, argv[0].len) : NULL;
    return 0;
}

static kstr *get_binary(const configDef *d, kstr *out) {
    const kstr *s = *(kstr **)d->ptr;
    return s ? kstr_cat(out, s->buf, s->len) : out;
}

static const configSpecial sp_binary = {set_binary, get_binary};
static const configSpecial sp_bind = {set_bind, get_bind};
static const configSpecial sp_obuf = {set_obuf, get_obuf};
static const configSpecial sp_save = {set_save, get_string};
static const configSpecial sp_notify = {set_notify, get_notify};
static const configSpecial sp_dir = {set_dir, get_dir};
static const configSpecial sp_oom_values = {set_oom_values, get_oom_values};
static const configSpecial sp_replicaof = {set_replicaof, get_replicaof};
static const configSpecial sp_percentiles = {set_percentiles, get_string};
static const configSpecial sp_shutdown = {set_shutdown_flags, get_shutdown_flags};

/* ---- hooks ---- */

static int apply_loglevel(const configDef *d, const char **err) {
    log_set_level(server.loglevel);
    return 0;
}

static int apply_hz(const configDef *d, const char **err) {
    server.hz = server.hz < 1 ? 1 : server.hz > 500 ? 500 : server.hz;
    return 0;
}

static int apply_watchdog(const configDef *d, const char **err) {
    watchdog_apply();
    return 0;
}

/* requirepass is the default user's password (core/acl.c). */
static int apply_requirepass(const configDef *d, const char **err) {
    acl_set_default_password(server.requirepass ? server.requirepass->buf : NULL,
                             server.requirepass ? server.requirepass->len : 0);
    return 0;
}

/* As Redis 7.0: a new limit below the usage is only logged here; the evictions run from the
 * event loop (evict_schedule), so CONFIG SET inside MULTI or a script evicts nothing under the
 * transaction, and the evictions' DELs reach the replicas and the AOF each on its own. */
static int apply_maxmemory(const configDef *d, const char **err) {
    if (!server.maxmemory) return 0;
    if ((size_t)server.maxmemory < mem_used())
        log_msg(LL_WARNING, "WARNING: the new maxmemory value set via CONFIG SET (%llu) is smaller than the current "
                "memory usage (%zu). This will result in key eviction and/or the inability to accept new write "
                "commands depending on the maxmemory-policy.", (unsigned long long)server.maxmemory, mem_used());
    evict_schedule();
    return 0;
}

static kstr *format_value(const configDef *d, kstr *out);

/* Client eviction (core/client_evict.c) counts every client from now on, or stops; the
 * clients over a lowered limit are evicted before the next poll. */
static int apply_maxmemory_clients(const configDef *d, const char **err) {
    (void)d;
    (void)err;
    client_mem_reset_all();
    return 0;
}

int (*config_appendonly_changed)(const char **err);

/* appendonly: switching the AOF on or off at run time (persist/aof.c); at start-up it only
 * stores the value. */
static int apply_appendonly(const configDef *d, const char **err) {
    return config_appendonly_changed ? config_appendonly_changed(err) : 0;
}

int (*config_aof_auto_gc_changed)(const char **err);

static int apply_aof_auto_gc(const configDef *d, const char **err) {
    return config_aof_auto_gc_changed ? config_aof_auto_gc_changed(err) : 0;
}

/* The parameters whose non-default values switch on a feature Keel doesn't have. */
static const struct {
    const char *name, *feature;
} missing_features[] = {
    {"syslog-enabled", "syslog logging"},
    {"supervised", "upstart/systemd supervision"},
    {"io-threads", "I/O threads"},
};

/* tls-* parameters: the TLS context is rebuilt once after all the parameters of a CONFIG SET
 * are stored (a certificate and its key change together), see config_set_pairs(). At start-up
 * server_init() builds it. */
static int tls_dirty;
static int tls_changed(const configDef *d, const char **err) {
    tls_dirty = 1;
    return 0;
}

/* Hook of those parameters: refuses any value but the default, naming the feature. */
static int needs_feature(const configDef *d, const char **err) {
    kstr *v = format_value(d, kstr_empty(32));
    int same = strcmp(v->buf, d->deflt) == 0;
    kstr_free(v);
    if (same) return 0;
    const char *feature = "a feature";
    for (size_t i = 0; i < sizeof(missing_features) / sizeof(missing_features[0]); i++)
        if (strcmp(missing_features[i].name, d->name) == 0) feature = missing_features[i].feature;
    static char buf[160];
    snprintf(buf, sizeof(buf), "'%s' other than '%s' needs %s, which Keel does not have yet", d->name,
             d->deflt, feature);
    *err = buf;
    return -1;
}

/* Redis's own refusal when the allocator can't defragment (a jemalloc that does not answer
 * the utilization query): the text Debian's redis-server gives. */
static int check_activedefrag(const configDef *d, const char **err) {
    if (!*(int *)d->ptr || mem_defrag_supported()) return 0;
    *err = "Active defragmentation cannot be enabled: it requires a Redis server compiled with a modified "
           "Jemalloc like the one shipped by default with the Redis source distribution";
    return -1;
}

/* oom-score-adj(-values): the score Linux uses to pick a process to kill under memory
 * pressure, set as Redis sets it for its class (values[0] for a primary, values[1] for a
 * replica, values[2] for the save's stand-in child: config_oom_score_child): "yes"/"relative"
 * add the value to the score the process had when Keel took control, "absolute" sets it, "no"
 * gives the score it had back. REPLICAOF switches the class (config_oom_score_class_changed). */
static int oom_base, oom_adjusted;   /* adjusted: Keel controls the score; base: the one before */

int config_oom_score_child(int *score) {
    if (compat.oom_score_adj == OOM_NO || !oom_adjusted) return 0;   /* the child keeps ours */
    int v = compat.oom_score_adj_values[2];
    if (compat.oom_score_adj != OOM_ABSOLUTE) v += oom_base;
    *score = v < -1000 ? -1000 : v > 1000 ? 1000 : v;
    return 1;
}

static int apply_oom_score_adj(const configDef *d, const char **err) {
    int mode = compat.oom_score_adj;
    if (mode == OOM_NO && !oom_adjusted) return 0;
    int ok = 1;
    if (mode != OOM_NO && !oom_adjusted) {
        FILE *f = fopen("/proc/self/oom_score_adj", "r");
        ok = f && fscanf(f, "%d", &oom_base) == 1;
        if (f) fclose(f);
    }
    int v = mode == OOM_NO ? oom_base : compat.oom_score_adj_values[server.masterhost ? 1 : 0];
    if (mode == OOM_YES || mode == OOM_RELATIVE) v += oom_base;
    v = v < -1000 ? -1000 : v > 1000 ? 1000 : v;
    char buf[16];
    int n = snprintf(buf, sizeof(buf), "%d\n", v);
    int fd = ok ? open("/proc/self/oom_score_adj", O_WRONLY) : -1;
    ok = fd >= 0 && write(fd, buf, (size_t)n) == n;
    if (fd >= 0) close(fd);
    if (!ok) {
        log_msg(LL_WARNING, "Unable to write oom_score_adj: %s", strerror(errno));
        *err = "Failed to set current oom_score_adj. Check server logs.";
        return -1;
    }
    oom_adjusted = mode != OOM_NO;
    return 0;
}

static int apply_proc_title(const configDef *d, const char **err) {
    (void)d;
    if (!proctitle_template_valid(server.proc_title_template)) {
        *err = "template format is invalid or contains unknown variables";
        return -1;
    }
    proctitle_apply();
    return 0;
}

/* jemalloc-bg-thread: on by default, as in Redis; see mem_set_background_thread(). */
static int apply_jemalloc_bg_thread(const configDef *d, const char **err) {
    (void)d;
    (void)err;
    if (mem_set_background_thread(compat.jemalloc_bg_thread) != 0)
        log_msg(LL_WARNING, "Failed to %s jemalloc's background thread", compat.jemalloc_bg_thread ? "start" : "stop");
    return 0;
}

void config_start_allocator_threads(void) {
    apply_jemalloc_bg_thread(NULL, NULL);
}

void config_oom_score_class_changed(void) {
    const char *err = NULL;
    apply_oom_score_adj(NULL, &err);   /* a failure is logged there */
}

/* ---- the table ---- */

#define NOLIM 0, 0               /* min, max */
#define NONE NULL, NULL, NULL     /* enum_names, special, hook */

static configDef configs[] = {
    /* Network and clients. */
    config_row("port", NULL, T_INT, 0, &server.port, "6379", 0, 65535, NONE),
    config_row("bind", NULL, T_SPECIAL, MULTI_ARG, NULL, "* -::*", NOLIM, NULL, &sp_bind, NULL),
    config_row("unixsocket", NULL, T_STRING, IMMUTABLE, &server.unixsocket, "", NOLIM, NONE),
    config_row("unixsocketperm", NULL, T_INT, IMMUTABLE | OCTAL, &server.unixsocketperm, "0", 0, 0777, NONE),
    config_row("protected-mode", NULL, T_BOOL, 0, &server.protected_mode, "yes", NOLIM, NONE),
    config_row("tcp-backlog", NULL, T_INT, IMMUTABLE, &server.tcp_backlog, "511", 0, INT_MAX, NONE),
    config_row("tcp-keepalive", NULL, T_INT, 0, &server.tcp_keepalive, "300", 0, INT_MAX, NONE),
    config_row("timeout", NULL, T_INT, 0, &server.maxidletime, "0", 0, INT_MAX, NONE),
    config_row("maxclients", NULL, T_LL, 0, &server.maxclients, "10000", 1, UINT_MAX, NONE),
    config_row("requirepass", NULL, T_SPECIAL, 0, &server.requirepass, "", NOLIM, NULL, &sp_binary, apply_requirepass),
    config_row("proto-max-bulk-len", NULL, T_MEM, 0, &server.proto_max_bulk_len, "512mb", 1024 * 1024, LONG_MAX, NONE),
    config_row("client-query-buffer-limit", NULL, T_MEM, 0, &server.client_max_querybuf_len, "1gb", 1024 * 1024, LONG_MAX, NONE),
    config_row("client-output-buffer-limit", NULL, T_SPECIAL, MULTI_ARG, NULL, "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60", NOLIM, NULL, &sp_obuf, NULL),
    config_row("maxmemory-clients", NULL, T_MEM, PERCENT, &server.maxmemory_clients, "0", -100, LLONG_MAX, NULL, NULL, apply_maxmemory_clients),
    config_row("bind-source-addr", NULL, T_STRING, 0, &server.bind_source_addr, "", NOLIM, NONE),
    config_row("socket-mark-id", NULL, T_LL, IMMUTABLE, NULL, "0", 0, UINT_MAX, NONE),
    config_row("io-threads", NULL, T_INT, IMMUTABLE, NULL, "1", 1, 128, NULL, NULL, needs_feature),
    config_row("io-threads-do-reads", NULL, T_BOOL, IMMUTABLE, NULL, "no", NOLIM, NONE),

    /* Process, logging, general. */
    config_row("databases", NULL, T_INT, IMMUTABLE, &server.dbnum, "16", 1, INT_MAX, NONE),
    config_row("hz", NULL, T_INT, 0, &server.hz, "10", 0, INT_MAX, NULL, NULL, apply_hz),
    config_row("dynamic-hz", NULL, T_BOOL, 0, NULL, "yes", NOLIM, NONE),
    config_row("loglevel", NULL, T_ENUM, 0, &server.loglevel, "notice", NOLIM, loglevel_names, NULL, apply_loglevel),
    config_row("logfile", NULL, T_STRING, IMMUTABLE, &server.logfile, "", NOLIM, NONE),
    config_row("pidfile", NULL, T_STRING, IMMUTABLE, &server.pidfile, "", NOLIM, NONE),
    config_row("daemonize", NULL, T_BOOL, IMMUTABLE, &server.daemonize, "no", NOLIM, NONE),
    config_row("dir", NULL, T_SPECIAL, PROTECTED | DENY_LOADING, NULL, "", NOLIM, NULL, &sp_dir, NULL),
    config_row("always-show-logo", NULL, T_BOOL, IMMUTABLE, &server.always_show_logo, "no", NOLIM, NONE),
    config_row("set-proc-title", NULL, T_BOOL, IMMUTABLE, NULL, "yes", NOLIM, NONE),
    config_row("proc-title-template", NULL, T_STRING, 0, &server.proc_title_template, "\"{title} {listen-addr} {server-mode}\"", NOLIM, NULL, NULL, apply_proc_title),
    config_row("supervised", NULL, T_ENUM, IMMUTABLE, NULL, "no", NOLIM, supervised_names, NULL, needs_feature),
    config_row("syslog-enabled", NULL, T_BOOL, IMMUTABLE, NULL, "no", NOLIM, NULL, NULL, needs_feature),
    config_row("syslog-ident", NULL, T_STRING, IMMUTABLE, NULL, "redis", NOLIM, NONE),
    config_row("syslog-facility", NULL, T_ENUM, IMMUTABLE, NULL, "local0", NOLIM, syslog_facility_names, NULL, NULL),
    config_row("crash-log-enabled", NULL, T_BOOL, 0, NULL, "yes", NOLIM, NONE),
    config_row("crash-memcheck-enabled", NULL, T_BOOL, 0, NULL, "yes", NOLIM, NONE),
    config_row("use-exit-on-panic", NULL, T_BOOL, HIDDEN, NULL, "no", NOLIM, NONE),
    config_row("watchdog-period", NULL, T_INT, HIDDEN, &server.watchdog_period, "0", 0, INT_MAX, NULL, NULL, apply_watchdog),
    config_row("disable-thp", NULL, T_BOOL, IMMUTABLE, NULL, "yes", NOLIM, NONE),
    config_row("jemalloc-bg-thread", NULL, T_BOOL, 0, &compat.jemalloc_bg_thread, "yes", NOLIM, NULL, NULL, apply_jemalloc_bg_thread),
    config_row("server_cpulist", NULL, T_STRING, IMMUTABLE, NULL, "", NOLIM, NONE),
    config_row("bio_cpulist", NULL, T_STRING, IMMUTABLE, NULL, "", NOLIM, NONE),
    config_row("aof_rewrite_cpulist", NULL, T_STRING, IMMUTABLE, NULL, "", NOLIM, NONE),
    config_row("bgsave_cpulist", NULL, T_STRING, IMMUTABLE, NULL, "", NOLIM, NONE),
    config_row("ignore-warnings", NULL, T_STRING, 0, NULL, "", NOLIM, NONE),
    config_row("oom-score-adj", NULL, T_ENUM, 0, &compat.oom_score_adj, "no", NOLIM, oom_score_adj_names, NULL, apply_oom_score_adj),
    config_row("oom-score-adj-values", NULL, T_SPECIAL, MULTI_ARG, &compat.oom_score_adj_values, "0 200 800", NOLIM, NULL, &sp_oom_values, apply_oom_score_adj),
    config_row("shutdown-timeout", NULL, T_INT, 0, &server.shutdown_timeout, "10", 0, INT_MAX, NONE),
    config_row("shutdown-on-sigint", NULL, T_SPECIAL, MULTI_ARG, &server.shutdown_on_sigint, "default", NOLIM, NULL, &sp_shutdown, NULL),
    config_row("shutdown-on-sigterm", NULL, T_SPECIAL, MULTI_ARG, &server.shutdown_on_sigterm, "default", NOLIM, NULL, &sp_shutdown, NULL),
    config_row("enable-debug-command", NULL, T_ENUM, IMMUTABLE, &compat.enable_debug_command, "no", NOLIM, enable_names, NULL, NULL),
    config_row("enable-protected-configs", NULL, T_ENUM, IMMUTABLE, &compat.enable_protected_configs, "no", NOLIM, enable_names, NULL, NULL),
    config_row("enable-module-command", NULL, T_ENUM, IMMUTABLE, NULL, "no", NOLIM, enable_names, NULL, NULL),

    /* Memory, eviction, expiry. */
    config_row("maxmemory", NULL, T_MEM, 0, &server.maxmemory, "0", 0, LLONG_MAX, NULL, NULL, apply_maxmemory),
    config_row("maxmemory-policy", NULL, T_ENUM, 0, &server.maxmemory_policy, "noeviction", NOLIM, evict_policy_names, NULL, NULL),
    config_row("maxmemory-samples", NULL, T_INT, 0, &server.maxmemory_samples, "5", 1, INT_MAX, NONE),   /* evict.c samples in chunks */
    config_row("maxmemory-eviction-tenacity", NULL, T_INT, 0, &server.maxmemory_eviction_tenacity, "10", 0, 100, NONE),
    config_row("lfu-log-factor", NULL, T_INT, 0, &server.lfu_log_factor, "10", 0, INT_MAX, NONE),
    config_row("lfu-decay-time", NULL, T_INT, 0, &server.lfu_decay_time, "1", 0, INT_MAX, NONE),
    config_row("active-expire-effort", NULL, T_INT, 0, &server.active_expire_effort, "1", 1, 10, NONE),
    config_row("lazyfree-lazy-eviction", NULL, T_BOOL, 0, &server.lazyfree_lazy_eviction, "no", NOLIM, NONE),
    config_row("lazyfree-lazy-expire", NULL, T_BOOL, 0, &server.lazyfree_lazy_expire, "no", NOLIM, NONE),
    config_row("lazyfree-lazy-server-del", NULL, T_BOOL, 0, &server.lazyfree_lazy_server_del, "no", NOLIM, NONE),
    config_row("lazyfree-lazy-user-del", NULL, T_BOOL, 0, &server.lazyfree_lazy_user_del, "no", NOLIM, NONE),
    config_row("lazyfree-lazy-user-flush", NULL, T_BOOL, 0, &server.lazyfree_lazy_user_flush, "no", NOLIM, NONE),
    config_row("activerehashing", NULL, T_BOOL, 0, NULL, "yes", NOLIM, NONE),
    config_row("activedefrag", NULL, T_BOOL, 0, &server.active_defrag, "no", NOLIM, NULL, NULL, check_activedefrag),
    config_row("active-defrag-ignore-bytes", NULL, T_MEM, 0, &server.active_defrag_ignore_bytes, "100mb", 1, LLONG_MAX, NONE),
    config_row("active-defrag-threshold-lower", NULL, T_INT, 0, &server.active_defrag_threshold_lower, "10", 0, 1000, NONE),
    config_row("active-defrag-threshold-upper", NULL, T_INT, 0, &server.active_defrag_threshold_upper, "100", 0, 1000, NONE),
    config_row("active-defrag-cycle-min", NULL, T_INT, 0, &server.active_defrag_cycle_min, "1", 1, 99, NONE),
    config_row("active-defrag-cycle-max", NULL, T_INT, 0, &server.active_defrag_cycle_max, "25", 1, 99, NONE),
    config_row("active-defrag-max-scan-fields", NULL, T_LL, 0, &server.active_defrag_max_scan_fields, "1000", 1, LONG_MAX, NONE),

    /* Monitoring. */
    config_row("slowlog-log-slower-than", NULL, T_LL, 0, &server.slowlog_log_slower_than, "10000", -1, LLONG_MAX, NONE),
    config_row("slowlog-max-len", NULL, T_LL, 0, &server.slowlog_max_len, "128", 0, LONG_MAX, NONE),
    config_row("latency-monitor-threshold", NULL, T_LL, 0, &server.latency_monitor_threshold, "0", 0, LLONG_MAX, NONE),
    config_row("latency-tracking", NULL, T_BOOL, 0, &server.latency_tracking, "yes", NOLIM, NONE),
    config_row("latency-tracking-info-percentiles", NULL, T_SPECIAL, MULTI_ARG, &server.latency_tracking_info_percentiles, "50 99 99.9", NOLIM, NULL, &sp_percentiles, NULL),
    config_row("notify-keyspace-events", NULL, T_SPECIAL, 0, NULL, "", NOLIM, NULL, &sp_notify, NULL),
    config_row("tracking-table-max-keys", NULL, T_LL, 0, &server.tracking_table_max_keys, "1000000", 0, LONG_MAX, NONE),
    config_row("busy-reply-threshold", "lua-time-limit", T_LL, 0, &server.busy_reply_threshold, "5000", 0, LONG_MAX, NONE),

    /* Data types. */
    config_row("hash-max-listpack-entries", "hash-max-ziplist-entries", T_LL, 0, &server.hash_max_listpack_entries, "512", 0, LONG_MAX, NONE),
    config_row("hash-max-listpack-value", "hash-max-ziplist-value", T_MEM, 0, &server.hash_max_listpack_value, "64", 0, LONG_MAX, NONE),
    config_row("set-max-intset-entries", NULL, T_LL, 0, &server.set_max_intset_entries, "512", 0, LONG_MAX, NONE),
    config_row("zset-max-listpack-entries", "zset-max-ziplist-entries", T_LL, 0, &server.zset_max_listpack_entries, "128", 0, LONG_MAX, NONE),
    config_row("zset-max-listpack-value", "zset-max-ziplist-value", T_MEM, 0, &server.zset_max_listpack_value, "64", 0, LONG_MAX, NONE),
    config_row("list-max-listpack-size", "list-max-ziplist-size", T_INT, 0, &server.list_max_listpack_size, "-2", INT_MIN, INT_MAX, NONE),
    config_row("list-compress-depth", NULL, T_INT, 0, &server.list_compress_depth, "0", 0, INT_MAX, NONE),
    config_row("stream-node-max-bytes", NULL, T_MEM, 0, &server.stream_node_max_bytes, "4096", 0, LONG_MAX, NONE),
    config_row("stream-node-max-entries", NULL, T_LL, 0, &server.stream_node_max_entries, "100", 0, LLONG_MAX, NONE),
    config_row("hll-sparse-max-bytes", NULL, T_MEM, 0, &server.hll_sparse_max_bytes, "3000", 0, LONG_MAX, NONE),

    /* RDB snapshots: values for the RDB code. */
    config_row("save", NULL, T_SPECIAL, MULTI_ARG, &server.save_params, "3600 1 300 100 60 10000", NOLIM, NULL, &sp_save, NULL),
    config_row("dbfilename", NULL, T_STRING, PROTECTED, &server.dbfilename, "dump.rdb", NOLIM, NONE),
    config_row("rdbcompression", NULL, T_BOOL, 0, &server.rdbcompression, "yes", NOLIM, NONE),
    config_row("rdbchecksum", NULL, T_BOOL, IMMUTABLE, &server.rdbchecksum, "yes", NOLIM, NONE),
    config_row("stop-writes-on-bgsave-error", NULL, T_BOOL, 0, &server.stop_writes_on_bgsave_error, "yes", NOLIM, NONE),
    config_row("rdb-del-sync-files", NULL, T_BOOL, 0, &server.rdb_del_sync_files, "no", NOLIM, NONE),
    config_row("sanitize-dump-payload", NULL, T_ENUM, 0, &server.sanitize_dump_payload, "no", NOLIM, sanitize_names, NULL, NULL),
    config_row("rdb-save-incremental-fsync", NULL, T_BOOL, 0, NULL, "yes", NOLIM, NONE),
    config_row("rdb-key-save-delay", NULL, T_INT, HIDDEN, &server.rdb_key_save_delay, "0", INT_MIN, INT_MAX, NONE),
    config_row("rdb-fsync-delay", NULL, T_INT, HIDDEN, &server.rdb_fsync_delay, "0", 0, INT_MAX, NONE),
    config_row("key-load-delay", NULL, T_INT, HIDDEN, &server.key_load_delay, "0", INT_MIN, INT_MAX, NONE),
    config_row("loading-process-events-interval-bytes", NULL, T_LL, HIDDEN, &server.loading_events_interval, "2097152", 1024, INT_MAX, NONE),

    /* AOF (not built). */
    config_row("appendonly", NULL, T_BOOL, DENY_LOADING, &server.appendonly, "no", NOLIM, NULL, NULL, apply_appendonly),
    config_row("appendfilename", NULL, T_STRING, IMMUTABLE, &server.appendfilename, "appendonly.aof", NOLIM, NONE),
    config_row("appenddirname", NULL, T_STRING, IMMUTABLE, &server.appenddirname, "appendonlydir", NOLIM, NONE),
    config_row("appendfsync", NULL, T_ENUM, 0, &server.appendfsync, "everysec", NOLIM, appendfsync_names, NULL, NULL),
    config_row("no-appendfsync-on-rewrite", NULL, T_BOOL, 0, &server.no_appendfsync_on_rewrite, "no", NOLIM, NONE),
    config_row("auto-aof-rewrite-percentage", NULL, T_INT, 0, &server.auto_aof_rewrite_perc, "100", 0, INT_MAX, NONE),
    config_row("auto-aof-rewrite-min-size", NULL, T_MEM, 0, &server.auto_aof_rewrite_min_size, "64mb", 0, LLONG_MAX, NONE),
    config_row("aof-load-truncated", NULL, T_BOOL, 0, &server.aof_load_truncated, "yes", NOLIM, NONE),
    config_row("aof-use-rdb-preamble", NULL, T_BOOL, 0, &server.aof_use_rdb_preamble, "yes", NOLIM, NONE),
    config_row("aof-timestamp-enabled", NULL, T_BOOL, 0, &server.aof_timestamp_enabled, "no", NOLIM, NONE),
    config_row("aof-rewrite-incremental-fsync", NULL, T_BOOL, 0, NULL, "yes", NOLIM, NONE),
    config_row("aof-disable-auto-gc", NULL, T_BOOL, 0, &server.aof_disable_auto_gc, "no", NOLIM, NULL, NULL, apply_aof_auto_gc),

    /* Replication (src/repl/). */
    config_row("replicaof", "slaveof", T_SPECIAL, IMMUTABLE | MULTI_ARG, NULL, "", NOLIM, NULL, &sp_replicaof, NULL),
    config_row("masterauth", NULL, T_SPECIAL, 0, &server.masterauth, "", NOLIM, NULL, &sp_binary, NULL),
    config_row("masteruser", NULL, T_STRING, 0, &server.masteruser, "", NOLIM, NONE),
    config_row("min-replicas-to-write", "min-slaves-to-write", T_INT, 0, &server.repl_min_replicas_to_write, "0", 0, INT_MAX, NONE),
    config_row("min-replicas-max-lag", "min-slaves-max-lag", T_INT, 0, &server.repl_min_replicas_max_lag, "10", 0, INT_MAX, NONE),
    config_row("replica-serve-stale-data", "slave-serve-stale-data", T_BOOL, 0, &server.repl_serve_stale_data, "yes", NOLIM, NONE),
    config_row("replica-read-only", "slave-read-only", T_BOOL, 0, &server.repl_slave_ro, "yes", NOLIM, NONE),
    config_row("replica-lazy-flush", "slave-lazy-flush", T_BOOL, 0, NULL, "no", NOLIM, NONE),
    config_row("replica-ignore-maxmemory", "slave-ignore-maxmemory", T_BOOL, 0, NULL, "yes", NOLIM, NONE),
    config_row("replica-ignore-disk-write-errors", NULL, T_BOOL, 0, NULL, "no", NOLIM, NONE),
    config_row("replica-announced", NULL, T_BOOL, 0, &server.replica_announced, "yes", NOLIM, NONE),
    config_row("replica-announce-ip", "slave-announce-ip", T_STRING, 0, &server.replica_announce_ip, "", NOLIM, NONE),
    config_row("replica-announce-port", "slave-announce-port", T_INT, 0, &server.replica_announce_port, "0", 0, 65535, NONE),
    config_row("replica-priority", "slave-priority", T_INT, 0, &server.replica_priority, "100", 0, INT_MAX, NONE),
    config_row("repl-diskless-sync", NULL, T_BOOL, 0, &server.repl_diskless_sync, "yes", NOLIM, NONE),
    config_row("repl-diskless-sync-delay", NULL, T_INT, 0, &server.repl_diskless_sync_delay, "5", 0, INT_MAX, NONE),
    config_row("repl-diskless-sync-max-replicas", NULL, T_INT, 0, &server.repl_diskless_sync_max_replicas, "0", 0, INT_MAX, NONE),
    config_row("repl-diskless-load", NULL, T_ENUM, DENY_LOADING, &server.repl_diskless_load, "disabled", NOLIM, diskless_load_names, NULL, NULL),
    config_row("repl-ping-replica-period", "repl-ping-slave-period", T_INT, 0, &server.repl_ping_replica_period, "10", 1, INT_MAX, NONE),
    config_row("repl-timeout", NULL, T_INT, 0, &server.repl_timeout, "60", 1, INT_MAX, NONE),
    config_row("repl-disable-tcp-nodelay", NULL, T_BOOL, 0, NULL, "no", NOLIM, NONE),
    config_row("repl-backlog-size", NULL, T_MEM, 0, &server.repl_backlog_size, "1mb", 1, LLONG_MAX, NONE),
    config_row("repl-backlog-ttl", NULL, T_LL, 0, &server.repl_backlog_ttl, "3600", 0, LONG_MAX, NONE),
    config_row("propagation-error-behavior", NULL, T_ENUM, 0, NULL, "ignore", NOLIM, propagation_names, NULL, NULL),

    /* Cluster (src/cluster/). */
    config_row("cluster-enabled", NULL, T_BOOL, IMMUTABLE, &server.cluster_enabled, "no", NOLIM, NONE),
    config_row("cluster-config-file", NULL, T_STRING, IMMUTABLE, &server.cluster_configfile, "nodes.conf", NOLIM, NONE),
    config_row("cluster-port", NULL, T_INT, IMMUTABLE, &server.cluster_port, "0", 0, 65535, NONE),
    config_row("cluster-node-timeout", NULL, T_LL, 0, &server.cluster_node_timeout, "15000", 0, LLONG_MAX, NONE),
    config_row("cluster-replica-validity-factor", "cluster-slave-validity-factor", T_INT, 0, &server.cluster_replica_validity_factor, "10", 0, INT_MAX, NONE),
    config_row("cluster-migration-barrier", NULL, T_INT, 0, &server.cluster_migration_barrier, "1", 0, INT_MAX, NONE),
    config_row("cluster-allow-replica-migration", NULL, T_BOOL, 0, &server.cluster_allow_replica_migration, "yes", NOLIM, NONE),
    config_row("cluster-require-full-coverage", NULL, T_BOOL, 0, &server.cluster_require_full_coverage, "yes", NOLIM, NONE),
    config_row("cluster-replica-no-failover", "cluster-slave-no-failover", T_BOOL, 0, &server.cluster_replica_no_failover, "no", NOLIM, NONE),
    config_row("cluster-allow-reads-when-down", NULL, T_BOOL, 0, &server.cluster_allow_reads_when_down, "no", NOLIM, NONE),
    config_row("cluster-allow-pubsubshard-when-down", NULL, T_BOOL, 0, &server.cluster_allow_pubsubshard_when_down, "yes", NOLIM, NONE),
    config_row("cluster-link-sendbuf-limit", NULL, T_MEM, 0, &server.cluster_link_sendbuf_limit, "0", 0, LLONG_MAX, NONE),
    config_row("cluster-announce-hostname", NULL, T_STRING, 0, &server.cluster_announce_hostname, "", NOLIM, NULL, NULL, check_hostname),
    config_row("cluster-announce-ip", NULL, T_STRING, 0, &server.cluster_announce_ip, "", NOLIM, NONE),
    config_row("cluster-announce-port", NULL, T_INT, 0, &server.cluster_announce_port, "0", 0, 65535, NONE),
    config_row("cluster-announce-bus-port", NULL, T_INT, 0, &server.cluster_announce_bus_port, "0", 0, 65535, NONE),
    config_row("cluster-announce-tls-port", NULL, T_INT, 0, &server.cluster_announce_tls_port, "0", 0, 65535, NONE),
    config_row("cluster-preferred-endpoint-type", NULL, T_ENUM, 0, &server.cluster_preferred_endpoint_type, "ip", NOLIM, endpoint_names, NULL, NULL),

    /* TLS (core/tls.c): any change rebuilds the context once per CONFIG SET (tls_changed). */
    config_row("tls-port", NULL, T_INT, 0, &server.tls_port, "0", 0, 65535, NULL, NULL, tls_changed),
    config_row("tls-cert-file", NULL, T_STRING, 0, &server.tls_cert_file, "", NOLIM, NULL, NULL, tls_changed),
    config_row("tls-key-file", NULL, T_STRING, 0, &server.tls_key_file, "", NOLIM, NULL, NULL, tls_changed),
    config_row("tls-key-file-pass", NULL, T_STRING, 0, &server.tls_key_file_pass, "", NOLIM, NULL, NULL, tls_changed),
    config_row("tls-client-cert-file", NULL, T_STRING, 0, &server.tls_client_cert_file, "", NOLIM, NULL, NULL, tls_changed),
    config_row("tls-client-key-file", NULL, T_STRING, 0, &server.tls_client_key_file, "", NOLIM, NULL, NULL, tls_changed),
    config_row("tls-client-key-file-pass", NULL, T_STRING, 0, &server.tls_client_key_file_pass, "", NOLIM, NULL, NULL, tls_changed),
    config_row("tls-dh-params-file", NULL, T_STRING, 0, &server.tls_dh_params_file, "", NOLIM, NULL, NULL, tls_changed),
    config_row("tls-ca-cert-file", NULL, T_STRING, 0, &server.tls_ca_cert_file, "", NOLIM, NULL, NULL, tls_changed),
    config_row("tls-ca-cert-dir", NULL, T_STRING, 0, &server.tls_ca_cert_dir, "", NOLIM, NULL, NULL, tls_changed),
    config_row("tls-protocols", NULL, T_STRING, 0, &server.tls_protocols, "", NOLIM, NULL, NULL, tls_changed),
    config_row("tls-ciphers", NULL, T_STRING, 0, &server.tls_ciphers, "", NOLIM, NULL, NULL, tls_changed),
    config_row("tls-ciphersuites", NULL, T_STRING, 0, &server.tls_ciphersuites, "", NOLIM, NULL, NULL, tls_changed),
    config_row("tls-auth-clients", NULL, T_ENUM, 0, &server.tls_auth_clients, "yes", NOLIM, tls_auth_names, NULL, tls_changed),
    config_row("tls-replication", NULL, T_BOOL, 0, &server.tls_replication, "no", NOLIM, NULL, NULL, tls_changed),
    config_row("tls-cluster", NULL, T_BOOL, 0, &server.tls_cluster, "no", NOLIM, NULL, NULL, tls_changed),
    config_row("tls-prefer-server-ciphers", NULL, T_BOOL, 0, &server.tls_prefer_server_ciphers, "no", NOLIM, NULL, NULL, tls_changed),
    config_row("tls-session-caching", NULL, T_BOOL, 0, &server.tls_session_caching, "yes", NOLIM, NULL, NULL, tls_changed),
    config_row("tls-session-cache-size", NULL, T_INT, 0, &server.tls_session_cache_size, "20480", 0, INT_MAX, NULL, NULL, tls_changed),
    config_row("tls-session-cache-timeout", NULL, T_INT, 0, &server.tls_session_cache_timeout, "300", 0, INT_MAX, NULL, NULL, tls_changed),

    /* ACL (core/acl.c). */
    config_row("aclfile", NULL, T_STRING, IMMUTABLE, &server.acl_filename, "", NOLIM, NONE),
    config_row("acllog-max-len", NULL, T_LL, 0, &server.acllog_max_len, "128", 0, LONG_MAX, NONE),
    config_row("acl-pubsub-default", NULL, T_ENUM, 0, &server.acl_pubsub_default, "resetchannels", NOLIM, acl_pubsub_names, NULL, NULL),

    config_row(NULL, NULL, 0, 0, NULL, NULL, NOLIM, NONE),
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

static const char *range_error(const configDef *d) {
    static char buf[128];
    snprintf(buf, sizeof(buf), "argument must be between %lld and %lld inclusive", d->min, d->max);
    return buf;
}

/* Parses an integer value of d: memory units for T_MEM ("N%" too with PERCENT), base 8 with
 * OCTAL. Returns 0, or -1 with Redis's message. */
static int parse_number(const configDef *d, const char *v, size_t vlen, long long *n, const char **err) {
    if (d->type == T_MEM && (d->flags & PERCENT) && vlen > 1 && v[vlen - 1] == '%') {
        if (!str_to_ll(v, vlen - 1, n) || *n < 0) {
            *err = "argument must be a memory or percent value";
            return -1;
        }
        if (*n > 100) {
            *err = "percentage argument must be less or equal to 100";
            return -1;
        }
        *n = -*n;
        return 0;
    }
    if (d->type == T_MEM) {
        /* As Redis reads memory values: "" is 0, and digits too large for a long long are a
         * value out of range rather than bad syntax. */
        if (vlen == 0) {
            *n = 0;
            return 0;
        }
        if (!parse_memory(v, n) || *n < 0) {
            *err = d->flags & PERCENT ? "argument must be a memory or percent value" : "argument must be a memory value";
            if (isdigit((unsigned char)v[0]) && strspn(v, "0123456789") == vlen) *err = range_error(d);
            return -1;
        }
        return 0;
    }
    int ok;
    if (d->flags & OCTAL) {
        char *end;
        errno = 0;
        *n = strtoll(v, &end, 8);
        ok = vlen && *end == '\0' && !errno;
    } else {
        ok = str_to_ll(v, vlen, n);
    }
    if (!ok) *err = "argument couldn't be parsed into an integer";
    return ok ? 0 : -1;
}

/* Parses and stores one parameter's value. Returns 0 or -1 with *err set (Redis's wording). */
static int set_value(configDef *d, int argc, karg *argv, const char **err) {
    if (d->type == T_SPECIAL) return d->special->set(d, argc, argv, err);
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
        if (parse_number(d, v, vlen, &n, err) != 0) return -1;
        if (n < d->min || n > d->max) {
            *err = range_error(d);
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
    case T_STRING:
        replace_string(d->ptr, vlen ? kstrdup(v) : NULL);
        return 0;
    }
    return -1;
}

static kstr *format_value(const configDef *d, kstr *out) {
    switch (d->type) {
    case T_BOOL: return kstr_catc(out, *(int *)d->ptr ? "yes" : "no");
    case T_INT: return kstr_catfmt(out, (d->flags & OCTAL) ? "%o" : "%d", *(int *)d->ptr);
    case T_LL: return kstr_catfmt(out, "%lld", *(long long *)d->ptr);
    case T_MEM: {
        long long n = *(long long *)d->ptr;
        return n < 0 ? kstr_catfmt(out, "%lld%%", -n) : kstr_catfmt(out, "%lld", n);
    }
    case T_ENUM: return kstr_catc(out, d->enum_names[*(int *)d->ptr]);
    case T_STRING: return get_string(d, out);
    case T_SPECIAL: return d->special->get(d, out);
    }
    return out;
}

static int set_from_words(configDef *d, int argc, karg *argv, const char **err) {
    int rc = set_value(d, argc, argv, err);
    if (rc == 0 && d->hook) rc = d->hook(d, err);
    return rc;
}

/* Sets d from one string: a MULTI_ARG parameter takes it split into words ("save 100 10" as
 * the CONFIG SET value "100 10", or a config line's single quoted argument), others whole. */
static int set_from_value(configDef *d, const char *value, size_t len, const char **why) {
    if (!(d->flags & MULTI_ARG)) {
        karg v = {(char *)value, len};
        return set_from_words(d, 1, &v, why);
    }
    karg *argv = NULL;
    int cap = 0;
    char *store = NULL;
    size_t store_cap = 0;
    int n = split_args(value, len, &argv, &cap, &store, &store_cap);
    int rc = n < 0 ? -1 : set_from_words(d, n, argv, why);
    kfree(argv);
    kfree(store);
    return rc;
}

void config_init_defaults(void) {
    for (configDef *d = configs; d->name; d++) {
        karg *argv = NULL;
        int cap = 0;
        char *store = NULL;
        size_t store_cap = 0;
        const char *err = NULL;
        if (!d->ptr) d->ptr = &d->store;
        int argc = split_args(d->deflt, strlen(d->deflt), &argv, &cap, &store, &store_cap);
        if (argc == 0) {
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

/* Directives of redis.conf that are not parameters: the ones Redis ignores since 7.0, and the
 * ones that need a feature Keel doesn't have. */
static const char *const ignored_directives[] = {"list-max-ziplist-entries", "list-max-ziplist-value",
                                                 "lua-replicate-commands", NULL};
static const char *const unsupported_directives[] = {"loadmodule", "sentinel", NULL};

/* One config line's directive: NULL, or why it stops start-up. */
static const char *load_directive(int argc, karg *argv) {
    if (arg_is(argv[0].ptr, argv[0].len, "user") && argc >= 2) {
        return acl_queue_config_user(argc - 1, argv + 1);   /* core/acl.c: applied once commands exist */
    }
    if (arg_is(argv[0].ptr, argv[0].len, "rename-command") && argc == 3)
        return command_rename(argv[1].ptr, argv[1].len, argv[2].ptr, argv[2].len);   /* commands/command_table.c */
    for (int i = 0; ignored_directives[i]; i++)
        if (arg_is(argv[0].ptr, argv[0].len, ignored_directives[i]) && argc == 2) return NULL;
    for (int i = 0; unsupported_directives[i]; i++) {
        if (!arg_is(argv[0].ptr, argv[0].len, unsupported_directives[i])) continue;
        static char buf[128];
        snprintf(buf, sizeof(buf), "'%s' is not supported by Keel yet", unsupported_directives[i]);
        return buf;
    }
    configDef *d = find_config(argv[0].ptr, argv[0].len);
    if (!d) return "Bad directive or wrong number of arguments";
    karg empty = {(char *)"", 0};
    int vargc = argc - 1;
    karg *vargv = argv + 1;
    if (vargc == 0 && d->type == T_STRING) vargc = 1, vargv = &empty;
    if (vargc == 0 && d->type != T_SPECIAL) return "wrong number of arguments";   /* a known name: Redis's wording */
    const char *why = NULL;
    int rc = (d->flags & MULTI_ARG) && vargc == 1 ? set_from_value(d, vargv[0].ptr, vargv[0].len, &why)
                                                  : set_from_words(d, vargc, vargv, &why);
    if (rc != 0 && !why) why = "Bad directive or wrong number of arguments";
    return why;
}

/* "include path": the file's lines, as if they stood here. */
static int load_include(const char *path, char *err, size_t errlen) {
    static int depth;
    kstr *text = depth < 16 ? config_read_file(path) : NULL;
    if (!text) {
        snprintf(err, errlen, "Fatal error, can't open config file '%s'%s", path, depth < 16 ? "" : " (includes nested too deep)");
        return -1;
    }
    depth++;
    int rc = config_load_text(text->buf, err, errlen);
    depth--;
    kstr_free(text);
    return rc;
}

int config_load_text(const char *text, char *err, size_t errlen) {
    reading_config++;   /* an include nests */
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
        if (argc < 0) why = "Unbalanced quotes in configuration line";
        else if (argc > 1 && arg_is(argv[0].ptr, argv[0].len, "include")) rc = load_include(argv[1].ptr, err, errlen);
        else if (argc > 0) why = load_directive(argc, argv);
        if (why) {
            snprintf(err, errlen,
                     "\n*** FATAL CONFIG FILE ERROR (Keel %s) ***\nReading the configuration file, at line %d\n>>> '%.*s'\n%s",
                     KEEL_VERSION, lineno, (int)len, line, why);
            rc = -1;
        }
    }
    kfree(argv);
    kfree(store);
    reading_config--;
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
        if (d->flags & HIDDEN) continue;   /* named exactly only, as in Redis */
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
    /* port 0 and tls-port 0 at run time: the open connections stay, nothing listens (Redis). */
    if (!server.port && !server.tls_port && !(server.unixsocket && server.unixsocket[0])) return 0;
    if (net_listen() == 0) return 0;
    static char buf[128];
    snprintf(buf, sizeof(buf), "Unable to listen on this port: %s", strerror(errno));
    *err = d->ptr == &server.port || d->ptr == &server.tls_port ? buf : "Failed to bind to specified addresses.";
    net_close_listeners();
    return -1;
}

/* Sets a parameter from a CONFIG SET value: multi-word specials (bind, save) take the value
 * split on spaces, everything else takes it as one word. */
static int apply_value(configDef *d, const char *value, size_t len, const char **why) {
    int listener = d->ptr == &server.port || d->ptr == &server.tls_port || d->special == &sp_bind;
    kstr *before = listener ? format_value(d, kstr_empty(32)) : NULL;
    int rc = set_from_value(d, value, len, why);
    if (rc == 0 && listener) {
        kstr *after = format_value(d, kstr_empty(32));
        if (after->len != before->len || memcmp(after->buf, before->buf, after->len) != 0) rc = relisten(d, why);
        kstr_free(after);
    }
    kstr_free(before);
    return rc;
}

/* The checks Redis makes on every name before setting anything. A parameter named twice is
 * a duplicate; named once by its name and once by its alias it is not (the last one wins),
 * as in Redis, where the alias is an entry of its own. */
static const char *check_settable(configDef **defs, char **names, size_t *nlens, int i, int local) {
    if (defs[i]->flags & IMMUTABLE) return "can't set immutable config";
    int allowed = compat.enable_protected_configs == ENABLE_DEBUG_YES ||
                  (compat.enable_protected_configs == ENABLE_DEBUG_LOCAL && local);
    if ((defs[i]->flags & PROTECTED) && !allowed) return "can't set protected config";
    for (int j = 0; j < i; j++)
        if (defs[j] == defs[i] && arg_is(names[i], nlens[i], defs[i]->name) == arg_is(names[j], nlens[j], defs[j]->name))
            return "duplicate parameter";
    return NULL;
}

int config_is_sensitive(const char *name, size_t len) {
    /* redis-server 7.0.15 does not redact tls-key-file-pass and tls-client-key-file-pass. */
    static const char *const sensitive[] = {"masterauth", "masteruser", "requirepass"};
    const configDef *d = find_config(name, len);
    if (!d) return -1;
    for (size_t i = 0; i < sizeof(sensitive) / sizeof(*sensitive); i++)
        if (strcmp(d->name, sensitive[i]) == 0) return 1;
    return 0;
}

int config_set_pairs(int argc, char **names, size_t *nlens, char **values, size_t *vlens, int local, char *err,
                     size_t errlen) {
    configDef **defs = kmalloc(sizeof(*defs) * (size_t)argc);
    kstr **old = kcalloc(sizeof(*old) * (size_t)argc);
    int failed = -1;
    const char *why = NULL;
    for (int i = 0; i < argc && !why; i++) {
        defs[i] = find_config(names[i], nlens[i]);
        if (!defs[i]) {
            snprintf(err, errlen, "Unknown option or number of arguments for CONFIG SET - '%s'", names[i]);
            why = "";
        } else if ((why = check_settable(defs, names, nlens, i, local)) != NULL) {
            snprintf(err, errlen, "CONFIG SET failed (possibly related to argument '%s') - %s", names[i], why);
        }
    }
    int loading = server.loading || server.loading_rdb || server.async_loading;
    for (int i = 0; i < argc && !why && loading; i++) {
        if (defs[i]->flags & DENY_LOADING) {
            snprintf(err, errlen, "-LOADING Redis is loading the dataset in memory");
            why = "";
        }
    }
    if (!why) {
        /* Keep the old values so that a failure part way leaves every parameter unchanged. */
        for (int i = 0; i < argc; i++) old[i] = format_value(defs[i], kstr_empty(32));
        tls_dirty = 0;
        for (int i = 0; i < argc && failed < 0; i++)
            if (apply_value(defs[i], values[i], vlens[i], &why) != 0) failed = i;
        if (failed < 0 && tls_dirty && server.el && tls_needed() && tls_configure() != 0) {
            /* Redis's words; the log says what failed. Every parameter goes back. */
            for (int i = 0; i < argc; i++)
                if (defs[i]->hook == tls_changed) failed = failed < 0 ? i : failed;
            why = "Unable to update TLS configuration. Check server logs.";
        }
    }
    if (failed >= 0) {
        snprintf(err, errlen, "CONFIG SET failed (possibly related to argument '%s') - %s", names[failed],
                 why ? why : "invalid argument");
        const char *ignored;
        int last = tls_dirty ? argc - 1 : failed;
        for (int i = 0; i <= last; i++) apply_value(defs[i], old[i]->buf, old[i]->len, &ignored);
    }
    tls_dirty = 0;
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
    if (bytes < 0) return kstr_catfmt(out, "%lld%%", -bytes);   /* a PERCENT value */
    for (size_t i = 0; bytes > 0 && i < sizeof(units) / sizeof(units[0]); i++)
        if (bytes % units[i].unit == 0) return kstr_catfmt(out, "%lld%s", bytes / units[i].unit, units[i].suffix);
    return kstr_catfmt(out, "%lld", bytes);
}

static kstr *config_line(kstr *out, const configDef *d) {
    kstr *v = format_value(d, kstr_empty(32));
    if (d->special == &sp_replicaof && v->len == 0) {   /* a primary: no line, as Redis */
        kstr_free(v);
        return out;
    }
    out = kstr_catc(out, d->name);
    out = kstr_cat(out, " ", 1);
    if (d->type == T_MEM)
        out = cat_memory_value(out, *(long long *)d->ptr);
    else if ((d->flags & MULTI_ARG) && v->len)
        out = kstr_cat(out, v->buf, v->len);   /* multi-word values are written as words */
    else
        out = cat_config_value(out, v->buf, v->len);
    kstr_free(v);
    return kstr_cat(out, "\n", 1);
}

static int is_default(const configDef *d) {
    kstr *v = format_value(d, kstr_empty(32));
    /* The default's words (its quotes removed), joined as CONFIG GET joins them; a memory
     * default ("64mb") is compared as a number. */
    karg *argv = NULL;
    int cap = 0;
    char *store = NULL;
    size_t store_cap = 0;
    int n = split_args(d->deflt, strlen(d->deflt), &argv, &cap, &store, &store_cap);
    char *deflt = join_words(n < 0 ? 0 : n, argv);
    int same = v->len == strlen(deflt) && memcmp(v->buf, deflt, v->len) == 0;   /* v may hold NULs */
    if (!same && (d->type == T_MEM)) {
        long long dv;
        same = parse_memory(d->deflt, &dv) && dv == *(long long *)d->ptr;
    }
    kfree(deflt);
    kfree(argv);
    kfree(store);
    kstr_free(v);
    return same;
}

static int rewrite(int force_all, char *err, size_t errlen);

#define REWRITE_SIGNATURE "# Generated by CONFIG REWRITE"

int config_rewrite(char *err, size_t errlen) {
    return rewrite(0, err, errlen);
}

int config_rewrite_force_all(char *err, size_t errlen) {
    return rewrite(1, err, errlen);
}

static int rewrite(int force_all, char *err, size_t errlen) {
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
    kstr *users = acl_cat_config_users(kstr_empty(0));
    size_t users_pos = 0;
    const char *p = orig->buf;
    int header = 0;   /* Redis writes its signature line once: a rewritten file keeps it */
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        const char *line = p;
        p = nl ? nl + 1 : p + len;
        /* Lines are kept trimmed, as Redis rewrites them. */
        while (len && isspace((unsigned char)*line)) line++, len--;
        while (len && isspace((unsigned char)line[len - 1])) len--;
        if (len == strlen(REWRITE_SIGNATURE) && memcmp(line, REWRITE_SIGNATURE, len) == 0) header = 1;
        int argc = (len && line[0] != '#') ? split_args(line, len, &argv, &cap, &store, &store_cap) : 0;
        if (argc > 0 && arg_is(argv[0].ptr, argv[0].len, "user")) {
            /* Each old "user" line's place takes the next user (core/acl.c; none with an aclfile). */
            const char *end = memchr(users->buf + users_pos, '\n', users->len - users_pos);
            size_t next = end ? (size_t)(end - users->buf) + 1 : users->len;
            out = kstr_cat(out, users->buf + users_pos, next - users_pos);
            users_pos = next;
            continue;
        }
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
    for (configDef *d = configs; d->name; d++) {
        int idx = (int)(d - configs);
        if (written[idx] || (!force_all && is_default(d))) continue;
        if (!header) out = kstr_catc(out, REWRITE_SIGNATURE "\n"), header = 1;
        out = config_line(out, d);
    }
    if (users_pos < users->len && !header) out = kstr_catc(out, REWRITE_SIGNATURE "\n");
    out = kstr_cat(out, users->buf + users_pos, users->len - users_pos);
    kstr_free(users);
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
