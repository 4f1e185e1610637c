/* cmd_debug.c - DEBUG, OBJECT and MEMORY: looking at keys and memory from the inside.
 *
 * DEBUG is refused unless enable-debug-command allows it (yes, or local for loopback and unix
 * socket clients), as in Redis. DEBUG RELOAD saves and reloads the RDB file (src/persist/), and
 * DEBUG OBJECT's serializedlength is the value's RDB serialization length.
 *
 * OBJECT REFCOUNT: Keel never shares values, but Redis reports its shared integers (0..9999,
 * used unless maxmemory is set with an LRU/LFU policy) as 2147483647; Keel reports the same
 * for the values Redis would share, and 1 otherwise. OBJECT IDLETIME and FREQ read the access
 * data keyspace/evict.c keeps in the entry's lru field. */
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifdef KEEL_JEMALLOC
#include <jemalloc/jemalloc.h>
#endif

#include "cluster/cluster.h"
#include "commands/admin.h"
#include "commands/commands.h"
#include "core/config.h"
#include "core/notify.h"
#include "keyspace/db.h"
#include "keyspace/evict.h"
#include "keyspace/table.h"
#include "persist/aof.h"
#include "persist/persist.h"
#include "persist/rdb.h"
#include "protocol/reply.h"
#include "repl/repl.h"
#include "scripting/script.h"
#include "types/collection.h"
#include "types/quicklist.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/util.h"

#define SHARED_INTEGERS 10000
#define SHARED_REFCOUNT 2147483647LL

static const char *const ERR_LFU_NOT_SELECTED =
    "An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when "
    "switching between policies at runtime LRU and LFU data will take some time to adjust.";
static const char *const ERR_LFU_SELECTED =
    "An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching "
    "between policies at runtime LRU and LFU data will take some time to adjust.";

static int policy_is_lfu(void) {
    return evict_policy_is_lfu();
}

static int policy_is_lru(void) {
    return server.maxmemory_policy == MAXMEMORY_VOLATILE_LRU || server.maxmemory_policy == MAXMEMORY_ALLKEYS_LRU;
}

/* The key named by argv[2] without touching its access time; replies `missing` if absent
 * (NULL: a null reply). */
static kobj *lookup_or_reply(client *c, const char *missing) {
    kobj *o = db_lookup(c->db, c->argv[2].ptr, c->argv[2].len, LOOKUP_NOTOUCH);
    if (o) return o;
    if (missing) reply_error(c, missing);
    else reply_null(c);
    return NULL;
}

static long long idle_seconds(const kobj *o) {
    return evict_idle_seconds(o);
}

static long long refcount(const kobj *o) {
    int shared_allowed = server.maxmemory == 0 || !(policy_is_lru() || policy_is_lfu());
    if (o->type == OBJ_STRING && o->encoding == ENC_INT && shared_allowed) {
        long long v = obj_int(o);
        if (v >= 0 && v < SHARED_INTEGERS) return SHARED_REFCOUNT;
    }
    return 1;
}

/* ---------------------------------------------------------------- OBJECT */

void object_encoding_command(client *c) {
    kobj *o = lookup_or_reply(c, NULL);
    if (o) reply_bulk_cstr(c, obj_encoding_name(o->encoding));
}

void object_refcount_command(client *c) {
    kobj *o = lookup_or_reply(c, NULL);
    if (o) reply_integer(c, refcount(o));
}

void object_idletime_command(client *c) {
    kobj *o = lookup_or_reply(c, NULL);
    if (!o) return;
    if (policy_is_lfu()) reply_error(c, ERR_LFU_SELECTED);
    else reply_integer(c, idle_seconds(o));
}

void object_freq_command(client *c) {
    kobj *o = lookup_or_reply(c, NULL);
    if (!o) return;
    if (!policy_is_lfu()) reply_error(c, ERR_LFU_NOT_SELECTED);
    else reply_integer(c, evict_lfu_counter(o));
}

void object_help_command(client *c) {
    static const char *const help[] = {
        "ENCODING <key>",
        "    Return the kind of internal representation used in order to store the value",
        "    associated with a <key>.",
        "FREQ <key>",
        "    Return the access frequency index of the <key>. The returned integer is",
        "    proportional to the logarithm of the recent access frequency of the key.",
        "IDLETIME <key>",
        "    Return the idle time of the <key>, that is the approximated number of",
        "    seconds elapsed since the last access to the key.",
        "REFCOUNT <key>",
        "    Return the number of references of the value associated with the specified",
        "    <key>.",
        NULL,
    };
    reply_help(c, help);
}

/* ---------------------------------------------------------------- MEMORY */

/* The bytes a key costs: its entry and value, plus its share of the table's bucket array. */
static size_t key_memory(kdb *db, const kobj *o) {
    size_t bytes = obj_memory(o);
    size_t n = db_size(db);
    if (n && db->keys) bytes += tableOverheadBytes(db->keys) / n;
    return bytes;
}

void memory_usage_command(client *c) {
    for (int j = 3; j < c->argc; j++) {
        long long samples;
        if (!arg_is(c->argv[j].ptr, c->argv[j].len, "samples") || j + 1 >= c->argc) {
            reply_error(c, ERR_SYNTAX);
            return;
        }
        if (!arg_ll_or_reply(c, &c->argv[j + 1], &samples, NULL)) return;
        if (samples < 0) {
            reply_error(c, ERR_SYNTAX);
            return;
        }
        j++;   /* Keel measures whole values: SAMPLES is accepted and needs no sampling */
    }
    kobj *o = lookup_or_reply(c, NULL);
    if (o) reply_integer(c, (long long)key_memory(c->db, o));
}

static void reply_kv_size(client *c, const char *k, size_t v) {
    reply_bulk_cstr(c, k);
    reply_integer(c, (long long)v);
}

/* Differences that may be negative (RSS below the allocator's view, for one). */
static void reply_kv_diff(client *c, const char *k, size_t a, size_t b) {
    reply_bulk_cstr(c, k);
    reply_integer(c, (long long)a - (long long)b);
}

static void reply_kv_double(client *c, const char *k, double v) {
    reply_bulk_cstr(c, k);
    reply_double(c, v);
}

static double ratio(size_t a, size_t b) {
    return b ? (double)a / (double)b : 0.0;
}

static void reply_db_overheads(client *c, int *ndbs) {
    for (int i = 0; i < server.dbnum; i++) {
        kdb *db = db_by_id(i);
        size_t main, expires;
        if (db_size(db) == 0) continue;
        db_overhead_bytes(db, &main, &expires);
        char name[32];
        snprintf(name, sizeof(name), "db.%d", i);
        reply_bulk_cstr(c, name);
        reply_map_len(c, 3);
        reply_kv_size(c, "overhead.hashtable.main", main);
        reply_kv_size(c, "overhead.hashtable.expires", expires);
        reply_kv_size(c, "overhead.hashtable.slot-to-keys", 0);
        (*ndbs)++;
    }
}

void memory_stats_command(client *c) {
    memOverview m;
    memory_overview(&m, 1);
    size_t net = m.used > m.startup ? m.used - m.startup : 0;
    replyDeferred d = reply_deferred(c);
    int ndbs = 0;
    reply_kv_size(c, "peak.allocated", m.peak);
    reply_kv_size(c, "total.allocated", m.used);
    reply_kv_size(c, "startup.allocated", m.startup);
    reply_kv_size(c, "replication.backlog", m.repl_backlog);
    reply_kv_size(c, "clients.slaves", m.clients_slaves);
    reply_kv_size(c, "clients.normal", m.clients_normal);
    reply_kv_size(c, "cluster.links", 0);
    reply_kv_size(c, "aof.buffer", 0);
    reply_kv_size(c, "lua.caches", 0);
    reply_kv_size(c, "functions.caches", 0);
    reply_db_overheads(c, &ndbs);
    reply_kv_size(c, "overhead.total", m.overhead);
    reply_kv_size(c, "keys.count", m.keys);
    reply_kv_size(c, "keys.bytes-per-key", m.keys ? net / m.keys : 0);
    reply_kv_size(c, "dataset.bytes", m.dataset);
    reply_kv_double(c, "dataset.percentage", 100.0 * ratio(m.dataset, net));
    reply_kv_double(c, "peak.percentage", 100.0 * ratio(m.used, m.peak));
    reply_kv_size(c, "allocator.allocated", m.allocated);
    reply_kv_size(c, "allocator.active", m.active);
    reply_kv_size(c, "allocator.resident", m.resident);
    reply_kv_double(c, "allocator-fragmentation.ratio", ratio(m.active, m.allocated));
    reply_kv_diff(c, "allocator-fragmentation.bytes", m.active, m.allocated);
    reply_kv_double(c, "allocator-rss.ratio", ratio(m.resident, m.active));
    reply_kv_diff(c, "allocator-rss.bytes", m.resident, m.active);
    reply_kv_double(c, "rss-overhead.ratio", ratio(m.rss, m.resident));
    reply_kv_diff(c, "rss-overhead.bytes", m.rss, m.resident);
    reply_kv_double(c, "fragmentation", ratio(m.rss, m.used));
    reply_kv_diff(c, "fragmentation.bytes", m.rss, m.used);
    reply_set_deferred_map(c, d, 27 + ndbs);
}

#define DOCTOR_MIN_MEMORY (5 * 1024 * 1024)
#define DOCTOR_MIN_FRAG_BYTES (10 * 1024 * 1024)

/* MEMORY DOCTOR: Redis's report texts for the "nothing to say" cases, and for an instance
 * with issues a list of the ones Keel can measure. */
void memory_doctor_command(client *c) {
    memOverview m;
    memory_overview(&m, 1);
    kstr *s = kstr_empty(512);
    if (m.used < DOCTOR_MIN_MEMORY) {
        s = kstr_catc(s, "Hi Sam, this instance is empty or is using very little memory, my issues detector can't "
                         "be used in these conditions. Please, leave for your mission on Earth and fill it with "
                         "some data. The new Sam and I will be back to our programming as soon as I finished "
                         "rebooting.\n");
    } else {
        int issues = 0;
        kstr *list = kstr_empty(256);
        if (m.peak > m.used && (double)m.peak / (double)m.used > 1.5) {
            list = kstr_catfmt(list, " * Peak memory: in the past this instance used more than 150%% the memory "
                                     "that is currently using (peak %zu, now %zu).\n\n", m.peak, m.used);
            issues++;
        }
        if (ratio(m.rss, m.used) > 1.4) {
            list = kstr_catfmt(list, " * High total RSS: the process resident set is %.2f times the memory "
                                     "allocated for data.\n\n", ratio(m.rss, m.used));
            issues++;
        }
        /* Redis's test and text: what active defrag is for. */
        if (ratio(m.active, m.allocated) > 1.1 && m.active > m.allocated + DOCTOR_MIN_FRAG_BYTES) {
            list = kstr_catc(list, " * High allocator fragmentation: This instance has an allocator external "
                                   "fragmentation greater than 1.1. This problem is usually due either to a large "
                                   "peak memory (check if there is a peak memory entry above in the report) or may "
                                   "result from a workload that causes the allocator to fragment memory a lot. You "
                                   "can try enabling 'activedefrag' config option.\n\n");
            issues++;
        }
        if (server.nclients && m.clients_normal / (size_t)server.nclients > 200 * 1024) {
            list = kstr_catc(list, " * Big client buffers: the clients use more than 200 KB each on average.\n\n");
            issues++;
        }
        if (issues == 0)
            s = kstr_catc(s, "Hi Sam, I can't find any memory issue in your instance. I can only account for "
                             "what occurs on this base.\n");
        else
            s = kstr_catfmt(s, "Sam, I detected a few issues in this Redis instance memory implants:\n\n%s", list->buf);
        kstr_free(list);
    }
    reply_verbatim(c, s->buf, s->len, "txt");
    kstr_free(s);
}

#ifdef KEEL_JEMALLOC
static void malloc_stats_write(void *priv, const char *text) {
    kstr **s = priv;
    *s = kstr_catc(*s, text);
}
#endif

void memory_malloc_stats_command(client *c) {
    kstr *s = kstr_empty(4096);
#ifdef KEEL_JEMALLOC
    malloc_stats_print(malloc_stats_write, &s, NULL);
#else
    s = kstr_catc(s, "Stats not supported for the current allocator");
#endif
    reply_verbatim(c, s->buf, s->len, "txt");
    kstr_free(s);
}

void memory_purge_command(client *c) {
#ifdef KEEL_JEMALLOC
    char cmd[64];
    snprintf(cmd, sizeof(cmd), "arena.%d.purge", MALLCTL_ARENAS_ALL);
    if (mallctl(cmd, NULL, NULL, NULL, 0) != 0) {
        reply_error(c, "Error purging dirty pages");
        return;
    }
#else
    malloc_trim(0);
#endif
    reply_ok(c);
}

void memory_help_command(client *c) {
    static const char *const help[] = {
        "DOCTOR",
        "    Return memory problems reports.",
        "MALLOC-STATS",
        "    Return internal statistics report from the memory allocator.",
        "PURGE",
        "    Attempt to purge dirty pages for reclamation by the allocator.",
        "STATS",
        "    Return information about the memory usage of the server.",
        "USAGE <key> [SAMPLES <count>]",
        "    Return memory in bytes used by <key> and its value. Nested values are",
        "    sampled up to <count> times (default: 5, 0 means sample all).",
        NULL,
    };
    reply_help(c, help);
}

/* ---------------------------------------------------------------- DEBUG */

/* Hash table statistics text of one table, with Redis's wording for an empty one. */
static kstr *cat_table_stats(kstr *s, table *t) {
    if (!t || tableSize(t) == 0)
        return kstr_catc(s, "Hash table 0 stats (main hash table):\nNo stats available for empty dictionaries\n");
    char buf[4096];
    tableGetStats(t, buf, sizeof(buf), 1);
    return kstr_catc(s, buf);
}

/* The TTL index is a dense array, not a hash table: its size and fill are what there is. */
static kstr *cat_ttl_stats(kstr *s, const ttlIndex *ttl) {
    if (ttl->len == 0)
        return kstr_catc(s, "Hash table 0 stats (main hash table):\nNo stats available for empty dictionaries\n");
    return kstr_catfmt(s, "Hash table 0 stats (main hash table):\n table size: %u\n number of elements: %u\n",
                       ttl->cap, ttl->len);
}

static void debug_htstats(client *c) {
    long long id;
    if (!arg_ll_or_reply(c, &c->argv[2], &id, NULL)) return;
    if (id < 0 || id >= server.dbnum) {
        reply_error(c, "Out of range database");
        return;
    }
    kdb *db = db_by_id(id);
    kstr *s = kstr_catc(kstr_empty(1024), "[Dictionary HT]\n");
    s = cat_table_stats(s, db->keys);
    s = kstr_catc(s, "[Expires HT]\n");
    s = cat_ttl_stats(s, &db->ttl);
    reply_verbatim(c, s->buf, s->len, "txt");
    kstr_free(s);
}

static void debug_htstats_key(client *c) {
    kobj *o = lookup_or_reply(c, ERR_NOSUCHKEY);
    if (!o) return;
    if (o->encoding != ENC_HT) {
        reply_error(c, "The value stored at the specified key is not represented using an hash table");
        return;
    }
    kstr *s = cat_table_stats(kstr_empty(1024), obj_ptr(o));
    reply_verbatim(c, s->buf, s->len, "txt");
    kstr_free(s);
}

static void debug_object(client *c) {
    /* As Redis: the entry as stored, even logically expired (a replica keeps those until its
     * primary's DEL; the suite's replication-4 checks it with DEBUG OBJECT). */
    kobj *o = c->db->keys ? tableFind(c->db->keys, c->argv[2].ptr, c->argv[2].len) : NULL;
    if (!o) {
        reply_error(c, ERR_NOSUCHKEY);
        return;
    }
    size_t serialized = rdb_serialized_length(o);
    char line[256];
    snprintf(line, sizeof(line), "Value at:%p refcount:%lld encoding:%s serializedlength:%zu lru:%u lru_seconds_idle:%lld",
             (void *)o, refcount(o), obj_encoding_name(o->encoding), serialized, (unsigned)o->lru, idle_seconds(o));
    reply_status(c, line);
}

/* DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE], as Redis. */
static void debug_reload(client *c) {
    int nosave = 0, flush = 1, merge = 0;
    for (int i = 2; i < c->argc; i++) {
        const karg *a = &c->argv[i];
        if (arg_is(a->ptr, a->len, "nosave")) {
            nosave = 1;
        } else if (arg_is(a->ptr, a->len, "noflush")) {
            flush = 0;
        } else if (arg_is(a->ptr, a->len, "merge")) {
            merge = 1;
        } else {
            reply_error(c, "DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.");
            return;
        }
    }
    if (persist_reload(nosave, flush, merge) != 0) {
        reply_error(c, "Error trying to load the RDB dump, check server logs.");
        return;
    }
    log_msg(LL_NOTICE, "DB reloaded by DEBUG RELOAD");
    reply_ok(c);
}

/* DEBUG POPULATE <count> [<prefix>] [<size>], as redis-server 7.0.15: adds string keys
 * "<prefix>:<n>" (prefix "key"; the name is cut at 127 bytes and at a NUL in the prefix, as
 * Redis's snprintf into 128 bytes) for n in [0, count), skipping names that exist; the value is
 * "value:<n>", or with a size that many bytes: "value:<n>" cut or padded with zero bytes. Never
 * an int encoding, not counted as a change (nothing is propagated), each key signalled as
 * modified (WATCH, tracking) and announced "new". Redis runs out of memory on absurd counts
 * or sizes; Keel refuses a request that could not fit in the machine's memory instead. */
static void debug_populate(client *c) {
    long long keys, valsize = 0;
    if (!coll_get_positive_long_or_reply(c, &c->argv[2], &keys, NULL)) return;
    if (c->argc == 5 && !coll_get_positive_long_or_reply(c, &c->argv[4], &valsize, NULL)) return;
    const char *prefix = c->argc == 3 ? "key" : c->argv[3].ptr;
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    double ram = pages > 0 && page > 0 ? (double)pages * (double)page : 0;
    double per_key = 64.0 + (double)strnlen(prefix, 128) + 20 + (double)(valsize > 20 ? valsize : 20);
    if (ram > 0 && (double)keys * per_key > ram) {
        reply_error(c, "OOM: DEBUG POPULATE would need more memory than the machine has");
        return;
    }
    char *val = valsize > 0 && keys > 0 ? kcalloc((size_t)valsize) : NULL;
    long long dirty = server.dirty;   /* signal_modified_key counts changes; Redis's populate does not */
    for (long long j = 0; j < keys; j++) {
        char key[128], num[128];
        int klen = snprintf(key, sizeof(key), "%s:%lld", prefix, j);
        if (klen >= (int)sizeof(key)) klen = sizeof(key) - 1;
        if (db_lookup(c->db, key, (size_t)klen, LOOKUP_NOSTATS | LOOKUP_NONOTIFY)) continue;
        int nlen = snprintf(num, sizeof(num), "value:%lld", j);
        kobj *o;
        if (!val) {
            o = obj_new_string_noint(key, (size_t)klen, num, (size_t)nlen);
        } else {
            size_t n = (size_t)nlen < (size_t)valsize ? (size_t)nlen : (size_t)valsize;
            memcpy(val, num, n);
            o = obj_new_string_noint(key, (size_t)klen, val, (size_t)valsize);
            memset(val, 0, n);
        }
        db_add(c->db, o);
        signal_modified_key(c, c->db, key, (size_t)klen);
    }
    if (val) kfree(val);
    server.dirty = dirty;
    reply_ok(c);
}

static void debug_sleep(client *c) {
    double secs = strtod(c->argv[2].ptr, NULL);
    if (secs > 0) {
        long long us = (long long)(secs * 1000000);
        struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
        nanosleep(&ts, NULL);
    }
    reply_ok(c);
}

/* DEBUG PROTOCOL <type>: one reply of each RESP type, with redis-server's values, for clients'
 * protocol tests. Attributes and pushes are followed by a real reply, as in Redis. */
static void debug_protocol(client *c) {
    const karg *t = &c->argv[2];
    if (arg_is(t->ptr, t->len, "string")) {
        reply_bulk_cstr(c, "Hello World");
    } else if (arg_is(t->ptr, t->len, "integer")) {
        reply_integer(c, 12345);
    } else if (arg_is(t->ptr, t->len, "double")) {
        reply_double(c, 3.141);
    } else if (arg_is(t->ptr, t->len, "bignum")) {
        reply_big_number(c, "1234567999999999999999999999999999999", 37);
    } else if (arg_is(t->ptr, t->len, "null")) {
        reply_null(c);
    } else if (arg_is(t->ptr, t->len, "array") || arg_is(t->ptr, t->len, "set")) {
        if (arg_is(t->ptr, t->len, "set")) reply_set_len(c, 3);
        else reply_array_len(c, 3);
        for (int j = 0; j < 3; j++) reply_integer(c, j);
    } else if (arg_is(t->ptr, t->len, "map")) {
        reply_map_len(c, 3);
        for (int j = 0; j < 3; j++) {
            reply_integer(c, j);
            reply_bool(c, j == 1);
        }
    } else if (arg_is(t->ptr, t->len, "attrib")) {
        if (c->resp >= 3) {
            reply_attribute_len(c, 1);
            reply_bulk_cstr(c, "key-popularity");
            reply_array_len(c, 2);
            reply_bulk_cstr(c, "key:123");
            reply_integer(c, 90);
        }
        reply_bulk_cstr(c, "Some real reply following the attribute");
    } else if (arg_is(t->ptr, t->len, "push")) {
        if (c->resp < 3) {
            reply_error(c, "RESP2 is not supported by this command");
            return;
        }
        reply_push_len(c, 2);
        reply_bulk_cstr(c, "server-cpu-usage");
        reply_integer(c, 42);
        reply_bulk_cstr(c, "Some real reply following the push reply");
    } else if (arg_is(t->ptr, t->len, "true") || arg_is(t->ptr, t->len, "false")) {
        reply_bool(c, arg_is(t->ptr, t->len, "true"));
    } else if (arg_is(t->ptr, t->len, "verbatim")) {
        reply_verbatim(c, "This is a verbatim\nstring", 25, "txt");
    } else {
        reply_error(c, "Wrong protocol type name. Please use one of the following: "
                       "string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false");
    }
}

static void debug_help(client *c) {
    static const char *const help[] = {
        "ERROR <string>",
        "    Return a Redis protocol error with <string> as message. Useful for clients",
        "    unit tests to simulate Redis errors.",
        "CONFIG-REWRITE-FORCE-ALL",
        "    Like CONFIG REWRITE but writes all configuration options, including",
        "    keywords not listed in original configuration file or default values.",
        "DIGEST",
        "    Output a hex signature representing the current DB content.",
        "DIGEST-VALUE <key> [<key> ...]",
        "    Output a hex signature of the values of all the specified keys.",
        "HTSTATS <dbid>",
        "    Return hash table statistics of the specified Redis database.",
        "HTSTATS-KEY <key>",
        "    Like HTSTATS but for the hash table stored at <key>'s value.",
        "LOG <message>",
        "    Write <message> to the server log.",
        "OBJECT <key>",
        "    Show low level info about `key` and associated value.",
        "PAUSE-CRON <0|1>",
        "    Stop periodic cron job processing.",
        "REPLYBUFFER PEAK-RESET-TIME <NEVER||RESET|time>",
        "    Sets the time (in milliseconds) to wait between client reply buffer peak resets.",
        "    In case NEVER is provided the last observed peak will never be reset",
        "    In case RESET is provided the peak reset time will be restored to the default value",
        "REPLYBUFFER RESIZING <0|1>",
        "    Enable or disable the reply buffer resize cron job",
        "QUICKLIST-PACKED-THRESHOLD <size>",
        "    Sets the threshold for elements to be inserted as plain vs packed nodes",
        "    Default value is 1GB, allows values up to 4GB. Setting to 0 restores to default.",
        "POPULATE <count> [<prefix>] [<size>]",
        "    Create <count> string keys named key:<num>. If <prefix> is specified then",
        "    it is used instead of the 'key' prefix. These are not propagated to",
        "    replicas. Cluster slots are not respected so keys not belonging to the",
        "    current node can be created in cluster mode.",
        "PROTOCOL <type>",
        "    Reply with a test value of the specified type. <type> can be: string,",
        "    integer, double, bignum, null, array, set, map, attrib, push, verbatim,",
        "    true, false.",
        "RELOAD [option ...]",
        "    Not supported: Keel has no persistence yet.",
        "RELOAD [MERGE] [NOFLUSH] [NOSAVE]",
        "    Save the RDB on disk and reload it back to memory. With NOSAVE the file",
        "    already on disk is loaded instead.",
        "SET-SKIP-CHECKSUM-VALIDATION <0|1>",
        "    Enables or disables checksum checks for RDB files and RESTORE's payload.",
        "SET-ACTIVE-EXPIRE <0|1>",
        "    Setting it to 0 disables expiring keys in background when they are not",
        "    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
        "    default.",
        "SLEEP <seconds>",
        "    Stop the server for <seconds>. Decimals allowed.",
        NULL,
    };
    reply_help(c, help);
}

#ifdef KEEL_JEMALLOC
/* DEBUG MALLCTL <name> [<value>]: reads (and writes) an integer mallctl as redis-server 7.0.15
 * does: the width is not known, so it starts at 8 bytes and halves the width jemalloc leaves in
 * the length after each EINVAL (which is why a 4-byte or boolean name ends in "Invalid
 * argument" there too); a write-only name (EPERM on the read) is just written, replying +OK. */
static void debug_mallctl(client *c) {
    const char *name = c->argv[2].ptr;
    int64_t old = 0, val = 0;
    int write = c->argc > 3;
    if (write) {
        long long ll;
        if (!arg_ll_or_reply(c, &c->argv[3], &ll, NULL)) return;
        val = ll;
    }
    for (size_t sz = sizeof(old); sz > 0; sz /= 2) {
        int ret = mallctl(name, &old, &sz, write ? &val : NULL, write ? sz : 0);
        if (ret == 0) {
            reply_integer(c, old);
            return;
        }
        if (ret == EPERM && write && (ret = mallctl(name, NULL, NULL, &val, sz)) == 0) {
            reply_ok(c);
            return;
        }
        if (ret != EINVAL) {
            reply_errorf(c, "%s", strerror(ret));
            return;
        }
    }
    reply_errorf(c, "%s", strerror(EINVAL));
}

/* DEBUG MALLCTL-STR <name> [<value>|VOID]: a string mallctl, as redis-server: the current value
 * is read first (EPERM is tolerated when writing: write-only names such as
 * thread.tcache.flush); VOID writes nothing but triggers the name. Replies the old value when it
 * could be read, else the write's error, else +OK. */
static void debug_mallctl_str(client *c) {
    const char *name = c->argv[2].ptr;
    const char *old = NULL;
    size_t sz = sizeof(old);
    int rret = mallctl(name, &old, &sz, NULL, 0), wret = 0;
    if (rret && !(rret == EPERM && c->argc > 3)) {
        reply_errorf(c, "%s", strerror(rret));
        return;
    }
    if (c->argc > 3) {
        const char *val = c->argv[3].ptr;
        int trigger = strcmp(val, "VOID") == 0;
        wret = mallctl(name, NULL, NULL, trigger ? NULL : (void *)&val, trigger ? 0 : sz);
    }
    if (!rret)
        reply_bulk(c, old, strlen(old));
    else if (wret)
        reply_errorf(c, "%s", strerror(wret));
    else
        reply_ok(c);
}
#endif

/* DEBUG CLUSTERLINK KILL <to|from|all> <node-id>: drops bus links to a node (cluster/bus.c
 * reconnects the outbound one), for the tests of link handling. */
static void debug_clusterlink_kill(client *c) {
    if (!server.cluster_enabled) {
        reply_error(c, "Debug option only available for cluster mode enabled setup!");
        return;
    }
    clusterNode *n = cluster_lookup(c->argv[4].ptr, c->argv[4].len);
    if (!n) {
        reply_errorf(c, "Unknown node %s", c->argv[4].ptr);
        return;
    }
    const karg *dir = &c->argv[3];
    int to = arg_is(dir->ptr, dir->len, "to"), from = arg_is(dir->ptr, dir->len, "from");
    if (arg_is(dir->ptr, dir->len, "all")) to = from = 1;
    if (!to && !from) {
        reply_errorf(c, "Unknown direction %s", dir->ptr);
        return;
    }
    if (to && n->link) bus_link_free(n->link);
    if (from && n->inbound_link) bus_link_free(n->inbound_link);
    reply_ok(c);
}

void debug_command(client *c) {
    const karg *sub = &c->argv[1];
    int argc = c->argc;
    if (argc == 2 && arg_is(sub->ptr, sub->len, "help")) debug_help(c);
    else if (argc == 3 && arg_is(sub->ptr, sub->len, "error")) reply_errorf(c, "-%s", c->argv[2].ptr);
    else if (argc == 3 && arg_is(sub->ptr, sub->len, "htstats")) debug_htstats(c);
    else if (argc == 3 && arg_is(sub->ptr, sub->len, "htstats-key")) debug_htstats_key(c);
    else if (argc == 3 && arg_is(sub->ptr, sub->len, "object")) debug_object(c);
    else if (argc == 2 && arg_is(sub->ptr, sub->len, "digest")) debug_digest(c);
    else if (argc == 3 && arg_is(sub->ptr, sub->len, "set-skip-checksum-validation")) {
        rdb_set_skip_checksum(atoi(c->argv[2].ptr) != 0);
        reply_ok(c);
    }
    else if (argc >= 2 && arg_is(sub->ptr, sub->len, "digest-value")) debug_digest_value(c);
    else if (argc == 3 && arg_is(sub->ptr, sub->len, "sleep")) debug_sleep(c);
    else if (argc >= 3 && argc <= 5 && arg_is(sub->ptr, sub->len, "populate")) debug_populate(c);
    else if (argc == 3 && arg_is(sub->ptr, sub->len, "protocol")) debug_protocol(c);
    else if (argc == 3 && arg_is(sub->ptr, sub->len, "set-active-expire")) {
        server.active_expire_enabled = atoi(c->argv[2].ptr) != 0;
        reply_ok(c);
    } else if (argc == 3 && arg_is(sub->ptr, sub->len, "quicklist-packed-threshold")) {
        long long sz;
        if (!parse_memory(c->argv[2].ptr, &sz) || sz < 0 || !ql_set_packed_threshold((unsigned long long)sz))
            reply_error(c, "argument must be a memory value bigger than 1 and smaller than 4gb");
        else
            reply_ok(c);
    } else if (argc == 3 && arg_is(sub->ptr, sub->len, "set-disable-deny-scripts")) {
        script_set_disable_deny(atoi(c->argv[2].ptr));
        reply_ok(c);
    } else if (argc == 4 && arg_is(sub->ptr, sub->len, "replybuffer")) {
        /* Keel's reply blocks are allocated while output is pending and freed once sent; no
         * cron resizes a per-client buffer, so there is nothing to tune: the arguments are
         * checked as Redis checks them and accepted. */
        const karg *what = &c->argv[2], *v = &c->argv[3];
        long long ms;
        if (arg_is(what->ptr, what->len, "peak-reset-time")) {
            if (!arg_is(v->ptr, v->len, "never") && !arg_is(v->ptr, v->len, "reset") && !str_to_ll(v->ptr, v->len, &ms)) {
                reply_error(c, ERR_NOT_INT);
                return;
            }
        } else if (!arg_is(what->ptr, what->len, "resizing")) {
            reply_subcommand_syntax_error(c);
            return;
        }
        reply_ok(c);
    } else if (argc == 2 && arg_is(sub->ptr, sub->len, "config-rewrite-force-all")) {
        char err[512];
        if (config_rewrite_force_all(err, sizeof(err)) == 0)
            reply_ok(c);
        else
            reply_errorf(c, "CONFIG-REWRITE-FORCE-ALL failed: %s", err);
    } else if (argc == 3 && arg_is(sub->ptr, sub->len, "pause-cron")) {
        server.pause_cron = atoi(c->argv[2].ptr) != 0;
        reply_ok(c);
    } else if (argc == 3 && arg_is(sub->ptr, sub->len, "log")) {
        log_msg(LL_WARNING, "DEBUG LOG: %s", c->argv[2].ptr);
        reply_ok(c);
    } else if (argc == 2 && arg_is(sub->ptr, sub->len, "loadaof")) {
        if (aof_debug_loadaof() == 0)
            reply_ok(c);
        else
            reply_error(c, "Error loading the AOF, check the server logs");
    } else if (argc == 3 && arg_is(sub->ptr, sub->len, "aof-flush-sleep")) {
        server.aof_flush_sleep_us = atoi(c->argv[2].ptr);
        reply_ok(c);
    } else if (argc >= 2 && arg_is(sub->ptr, sub->len, "reload")) {
        debug_reload(c);
    } else if (argc == 5 && arg_is(sub->ptr, sub->len, "clusterlink") && arg_is(c->argv[2].ptr, c->argv[2].len, "kill")) {
        debug_clusterlink_kill(c);
    } else if (argc >= 3 && arg_is(sub->ptr, sub->len, "replicate")) {
        repl_feed_command(argc - 2, c->argv + 2);
        reply_ok(c);
    } else if (argc == 3 && arg_is(sub->ptr, sub->len, "drop-cluster-packet-filter")) {
        long long type;   /* cluster/bus.c drops incoming bus messages of this type; -1 none */
        if (!arg_ll_or_reply(c, &c->argv[2], &type, NULL)) return;
        cluster.drop_packet_filter = type;
        reply_ok(c);
#ifdef KEEL_JEMALLOC
    } else if ((argc == 3 || argc == 4) && arg_is(sub->ptr, sub->len, "mallctl")) {
        debug_mallctl(c);
    } else if ((argc == 3 || argc == 4) && arg_is(sub->ptr, sub->len, "mallctl-str")) {
        debug_mallctl_str(c);
#endif
    } else {
        reply_subcommand_syntax_error(c);
    }
}
