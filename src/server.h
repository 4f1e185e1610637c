/* server.h - the shared state of keel-server: clients, databases, commands, configuration.
 *
 * Keel is single-threaded: every structure here is touched only by the event loop thread,
 * except memory that was handed to the lazy-free thread (which then owns it alone). */
#ifndef KEEL_SERVER_H
#define KEEL_SERVER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/event.h"
#include "keyspace/db.h"
#include "protocol/request.h"
#include "util/kstr.h"

#define KEEL_VERSION "0.1.0"
#define REDIS_COMPAT_VERSION "7.0.15"

/* ---------------------------------------------------------------- clients */

#define CLIENT_CLOSE_AFTER_REPLY (1 << 0) /* QUIT, protocol error: close once replies are out */
#define CLIENT_CLOSE_ASAP (1 << 1)        /* close in beforeSleep (limits, CLIENT KILL) */
#define CLIENT_PENDING_WRITE (1 << 2)     /* in server.pending_writes */
#define CLIENT_UNIX_SOCKET (1 << 3)
#define CLIENT_MONITOR (1 << 4)
#define CLIENT_NO_EVICT (1 << 5)
#define CLIENT_REPLY_OFF (1 << 6)
#define CLIENT_REPLY_SKIP_NEXT (1 << 7)
#define CLIENT_REPLY_SKIP (1 << 8)
#define CLIENT_FAKE (1 << 9)              /* no connection (Lua, tests) */
#define CLIENT_PUBSUB (1 << 10)
#define CLIENT_MULTI (1 << 11)
#define CLIENT_BLOCKED (1 << 12)
#define CLIENT_EXECUTING (1 << 13)        /* inside process_command: don't free now */
#define CLIENT_MASTER (1 << 14)           /* the link to our primary (src/repl/): no replies */
#define CLIENT_SLAVE (1 << 15)            /* a replica of ours (src/repl/): fed the stream */
#define CLIENT_MASTER_REPLY (1 << 16)     /* the master client may reply now (REPLCONF ACK); on a replica's
                                             * link: the replication layer's own bytes */
#define CLIENT_READ_HELD (1 << 17)        /* readable while executing: reads wait for the end */
#define CLIENT_ASKING (1 << 24)           /* cluster: ASKING, for the next command */
#define CLIENT_READONLY (1 << 25)         /* cluster: READONLY */
#define CLIENT_LUA_DEBUG (1 << 29)        /* SCRIPT DEBUG: its next EVAL is debugged (src/scripting/lua_debugger.c) */
#define CLIENT_LUA_DEBUG_SYNC (1 << 30)   /* ... in the synchronous mode */

/* A reply chunk. The client's output is a list of these; `used` bytes are valid, `sent` of them
 * already went to the socket (only the head block has sent > 0). */
typedef struct replyBlock {
    struct replyBlock *next;
    size_t size;
    size_t used;
    size_t sent;
    char buf[];
} replyBlock;

/* repl-diskless-load, in the order of its names */
enum { REPL_DISKLESS_LOAD_DISABLED, REPL_DISKLESS_LOAD_ON_EMPTY_DB, REPL_DISKLESS_LOAD_SWAPDB };

typedef struct command command;

typedef struct client {
    uint64_t id;
    int fd;
    int flags;
    int resp;                   /* 2 or 3 */
    int authenticated;
    kdb *db;
    kstr *name;                 /* CLIENT SETNAME, NULL if none */

    /* Input: querybuf[0..qpos) is consumed; the parser works on querybuf + qpos. */
    kstr *querybuf;
    size_t qpos;
    size_t querybuf_peak;
    reqParser parser;
    int argc;
    karg *argv;                 /* current command's arguments */
    const command *cmd;

    /* Output */
    replyBlock *reply_head, *reply_tail;
    size_t reply_bytes;         /* bytes queued and not yet sent */
    long long obuf_soft_since;  /* ms when the soft limit was first exceeded, 0 if not */

    /* Bookkeeping */
    long long ctime_ms;         /* connected at */
    long long last_interaction_ms;
    char addr[64];
    char laddr[64];
    struct client *prev, *next;         /* server.clients */
    struct client *pending_next;        /* server.pending_writes */
    struct client *close_next;          /* clients closing asynchronously */
    int paused;                 /* waiting for CLIENT UNPAUSE */
    int shutdown_blocked;       /* a SHUTDOWN waiting for the replicas (server.c) */
    struct blockState *bstate;  /* core/blocking.c: set iff CLIENT_BLOCKED */
    struct multiState *mstate;  /* core/multi.c: queued commands and WATCHed keys, NULL if none */
    struct pubsubState *pstate; /* core/pubsub.c: subscriptions, NULL if none */
    struct trackingState *tstate; /* core/tracking.c: CLIENT TRACKING state, NULL if never used */
    struct replicaLink *rlink;  /* src/repl/: from its first REPLCONF or PSYNC, NULL if none */
    struct aclUser *user;       /* core/acl.c: whose permissions apply; NULL: everything (fake clients) */
    uint64_t redacted;          /* bit i: argv[i] is a secret MONITOR and the slow log show as "(redacted)" */
    struct tlsConn *tls;        /* core/tls.c: set iff the client came through a tls-port listener */
    /* core/client_evict.c: while maxmemory-clients is set, the memory last counted for the
     * client in the evictable total (0 if not counted) and its place in a memory bucket. */
    size_t mem_counted;
    size_t mem_evicted;         /* evicted, closing asynchronously: its memory until freed */
    int mem_bucket;             /* bucket index + 1; 0: in no bucket */
    struct client *mem_prev, *mem_next;
} client;

/* ---------------------------------------------------------------- commands */

typedef void command_proc(client *c);

/* Command flags. The first group are Redis's, named as COMMAND INFO reports them (may_replicate,
 * protected and touches_arbitrary_keys are Redis's too, which COMMAND INFO hides); movablekeys is derived at start-up
 * from the key specs and the getkeys procedure, as Redis does. */
#define CMD_WRITE (1ULL << 0)
#define CMD_READONLY (1ULL << 1)
#define CMD_DENYOOM (1ULL << 2)
#define CMD_ADMIN (1ULL << 4)
#define CMD_PUBSUB (1ULL << 5)
#define CMD_NOSCRIPT (1ULL << 6)
#define CMD_BLOCKING (1ULL << 8)
#define CMD_LOADING (1ULL << 9)
#define CMD_STALE (1ULL << 10)
#define CMD_SKIP_MONITOR (1ULL << 11)
#define CMD_SKIP_SLOWLOG (1ULL << 12)
#define CMD_ASKING (1ULL << 13)
#define CMD_FAST (1ULL << 14)
#define CMD_NO_AUTH (1ULL << 15)
#define CMD_MAY_REPLICATE (1ULL << 16)
#define CMD_NO_MANDATORY_KEYS (1ULL << 19)
#define CMD_PROTECTED (1ULL << 20)
#define CMD_NO_ASYNC_LOADING (1ULL << 23)
#define CMD_NO_MULTI (1ULL << 24)
#define CMD_MOVABLE_KEYS (1ULL << 25)
#define CMD_ALLOW_BUSY (1ULL << 26)
/* Hidden by COMMAND INFO, as in Redis: run directly (not from EXEC or a script), what the command
 * propagates (the DELs of keys it found expired) is not wrapped in MULTI/EXEC (SCAN, RANDOMKEY). */
#define CMD_TOUCHES_ARBITRARY_KEYS (1ULL << 28)
/* Keel's own flags: how the command behaves in a client state; Redis has no names for them. */
#define CMD_SUBSCRIBED_OK (1ULL << 40)    /* allowed while a RESP2 client is subscribed */
#define CMD_MULTI_RUNS_NOW (1ULL << 41)   /* inside MULTI it runs (to act or to fail), not queued */
#define CMD_MULTI_LEAVES (1ULL << 42)     /* leaves a transaction: not refused for OOM inside MULTI */
#define CMD_EXECS_QUEUED (1ULL << 43)     /* runs the queued transaction (EXEC) */
#define CMD_KEEPS_CACHING (1ULL << 44)    /* CLIENT CACHING's yes/no outlives it (CLIENT ...) */
#define CMD_FAILS_ON_MISCONF (1ULL << 45) /* refused like a write after a failed save (PING, as Redis) */

/* ACL categories, in Redis's order (COMMAND INFO lists them in it). */
enum {
    ACL_CAT_KEYSPACE, ACL_CAT_READ, ACL_CAT_WRITE, ACL_CAT_SET, ACL_CAT_SORTEDSET, ACL_CAT_LIST,
    ACL_CAT_HASH, ACL_CAT_STRING, ACL_CAT_BITMAP, ACL_CAT_HYPERLOGLOG, ACL_CAT_GEO, ACL_CAT_STREAM,
    ACL_CAT_PUBSUB, ACL_CAT_ADMIN, ACL_CAT_FAST, ACL_CAT_SLOW, ACL_CAT_BLOCKING, ACL_CAT_DANGEROUS,
    ACL_CAT_CONNECTION, ACL_CAT_TRANSACTION, ACL_CAT_SCRIPTING, ACL_CAT_COUNT,
};
#define ACL_KEYSPACE (1ULL << ACL_CAT_KEYSPACE)
#define ACL_READ (1ULL << ACL_CAT_READ)
#define ACL_WRITE (1ULL << ACL_CAT_WRITE)
#define ACL_SET (1ULL << ACL_CAT_SET)
#define ACL_SORTEDSET (1ULL << ACL_CAT_SORTEDSET)
#define ACL_LIST (1ULL << ACL_CAT_LIST)
#define ACL_HASH (1ULL << ACL_CAT_HASH)
#define ACL_STRING (1ULL << ACL_CAT_STRING)
#define ACL_BITMAP (1ULL << ACL_CAT_BITMAP)
#define ACL_HYPERLOGLOG (1ULL << ACL_CAT_HYPERLOGLOG)
#define ACL_GEO (1ULL << ACL_CAT_GEO)
#define ACL_STREAM (1ULL << ACL_CAT_STREAM)
#define ACL_PUBSUB (1ULL << ACL_CAT_PUBSUB)
#define ACL_ADMIN (1ULL << ACL_CAT_ADMIN)
#define ACL_FAST (1ULL << ACL_CAT_FAST)
#define ACL_SLOW (1ULL << ACL_CAT_SLOW)
#define ACL_BLOCKING (1ULL << ACL_CAT_BLOCKING)
#define ACL_DANGEROUS (1ULL << ACL_CAT_DANGEROUS)
#define ACL_CONNECTION (1ULL << ACL_CAT_CONNECTION)
#define ACL_TRANSACTION (1ULL << ACL_CAT_TRANSACTION)
#define ACL_SCRIPTING (1ULL << ACL_CAT_SCRIPTING)

/* Key spec flags (Redis 7.0's), in COMMAND INFO's order. */
#define KS_RO (1 << 0)
#define KS_RW (1 << 1)
#define KS_OW (1 << 2)
#define KS_RM (1 << 3)
#define KS_ACCESS (1 << 4)
#define KS_UPDATE (1 << 5)
#define KS_INSERT (1 << 6)
#define KS_DELETE (1 << 7)
#define KS_NOT_KEY (1 << 8)
#define KS_INCOMPLETE (1 << 9)
#define KS_VARIABLE_FLAGS (1 << 10)

/* A key spec (Redis 7.0): where the search for keys begins (an argument index, or just after
 * a keyword searched from `startfrom`, negative counting from the end), then how keys are found
 * from there (a range, or a count argument followed by the keys). An array of specs ends with
 * a spec whose begin_search is KSB_END. */
enum { KSB_END = 0, KSB_INDEX, KSB_KEYWORD, KSB_UNKNOWN };
enum { KSF_RANGE = 1, KSF_KEYNUM, KSF_UNKNOWN };
typedef struct keySpec {
    const char *notes;          /* NULL if none */
    int flags;                  /* KS_* */
    int begin_search;           /* KSB_* */
    union {
        struct { int pos; } index;
        struct { const char *keyword; int startfrom; } keyword;
    } bs;
    int find_keys;              /* KSF_* */
    union {
        struct { int lastkey, keystep, limit; } range;     /* lastkey relative to the first key */
        struct { int keynumidx, firstkey, keystep; } keynum;
    } fk;
} keySpec;

/* COMMAND DOCS's argument tree. An array of arguments ends with a row whose name is NULL. */
enum { ARG_STRING, ARG_INTEGER, ARG_DOUBLE, ARG_KEY, ARG_PATTERN, ARG_UNIX_TIME, ARG_PURE_TOKEN,
       ARG_ONEOF, ARG_BLOCK };
#define ARG_OPTIONAL (1 << 0)
#define ARG_MULTIPLE (1 << 1)
#define ARG_MULTIPLE_TOKEN (1 << 2)
typedef struct commandArg {
    const char *name;
    int type;                   /* ARG_* */
    int key_spec_index;         /* -1 unless type is ARG_KEY */
    const char *token, *since, *deprecated_since;   /* NULL if none */
    int flags;                  /* ARG_OPTIONAL ... */
    const struct commandArg *subargs;   /* ARG_ONEOF and ARG_BLOCK only */
} commandArg;

typedef struct commandHistory {
    const char *since, *change;
} commandHistory;

#define DOC_DEPRECATED (1 << 0)
#define DOC_SYSCMD (1 << 1)

/* What COMMAND DOCS (and COMMAND INFO's tips) say about a command; NULL-terminated arrays,
 * NULL pointers where Redis has nothing. */
typedef struct commandDoc {
    const char *summary, *since, *group, *complexity;
    int doc_flags;              /* DOC_* */
    const char *deprecated_since, *replaced_by;
    const commandHistory *history;
    const char *const *tips;
    const commandArg *args;
} commandDoc;

/* How a write reaches replicas and the AOF (read by the write stream, persist/wstream.h) when
 * the call changed data: as the client sent it, rewritten by its procedure into a deterministic
 * equivalent (EXPIRE -> PEXPIREAT, blocking pops -> plain pops, ...: wstream_rewrite), or never
 * (not a write; or EXEC and scripts, whose commands propagate themselves). */
enum { PROPAGATE_NEVER = 0, PROPAGATE_ASIS, PROPAGATE_REWRITTEN };

/* Extra key positions for commands whose key specs cannot find every key (SORT's STORE): writes
 * at most max positions and their KS_* flags, returns the number of keys. */
typedef int command_getkeys_proc(int argc, const karg *argv, int *pos, int *flags, int max);

/* One row of the command table (src/commands/command_table.c): the only place that names a
 * command and holds every fact about it. Arity follows Redis: n > 0 means exactly n arguments
 * including the name, n < 0 at least -n. Container commands (CONFIG, CLIENT, ...) have
 * subcommands, each a full row; their own proc is NULL unless they run alone (COMMAND).
 * acl_categories, key_specs and doc point at data generated from redis-server by
 * tools/gen_command_data.py (src/commands/command_data.h); see docs/architecture.md. */
struct command {
    const char *name;           /* lowercase; "parent|sub" for a subcommand */
    command_proc *proc;
    int arity;
    uint64_t flags;             /* CMD_* */
    uint64_t acl_categories;    /* ACL_* */
    const keySpec *key_specs;
    command_getkeys_proc *getkeys;  /* NULL unless the specs are incomplete */
    int propagate;              /* PROPAGATE_* */
    const commandDoc *doc;
    command *subcommands;       /* array ending with a row whose name is NULL */
    /* Filled at start-up. */
    command *parent;
    char fullname[64];          /* "get", "config|get" */
    int key_specs_num;
    int first_key, last_key, key_step;  /* Redis's legacy range, derived from the specs */
    long long calls, microseconds, rejected_calls, failed_calls;
    struct latencyHistogram *latency_histogram;   /* core/latency.h; NULL until a call is timed */
    int acl_id;                 /* the row's bit in ACL selectors (core/acl.c), 0.. in table order */
};

/* ---------------------------------------------------------------- server */

#define CONFIG_BINDADDR_MAX 16
/* tls-auth-clients (the enum's order in config.c) */
enum { TLS_AUTH_NO = 0, TLS_AUTH_YES = 1, TLS_AUTH_OPTIONAL = 2 };
enum { ACL_PUBSUB_ALLCHANNELS = 0, ACL_PUBSUB_RESETCHANNELS = 1 };
enum { OBUF_NORMAL = 0, OBUF_REPLICA = 1, OBUF_PUBSUB = 2, OBUF_CLASSES };
enum { AOF_FSYNC_EVERYSEC = 0, AOF_FSYNC_ALWAYS, AOF_FSYNC_NO };

typedef struct obufLimit {
    long long hard_bytes;
    long long soft_bytes;
    long long soft_seconds;
} obufLimit;

struct keelServer {
    /* configuration (see src/core/config.c for names, defaults and limits) */
    int port;
    char *bindaddr[CONFIG_BINDADDR_MAX];
    int bindaddr_count;
    char *unixsocket;
    char *bind_source_addr;     /* outgoing replica and cluster bus links bind to it (NULL: any) */
    int unixsocketperm;
    int protected_mode;
    int tcp_backlog;
    int tcp_keepalive;
    int maxidletime;            /* timeout, seconds; 0 = never */
    long long maxclients;
    kstr *requirepass;          /* binary-safe, as Redis's: NULL when empty */
    int dbnum;
    /* TLS (core/tls.c); a string is NULL when empty */
    int tls_port;
    char *tls_cert_file, *tls_key_file, *tls_key_file_pass;
    char *tls_client_cert_file, *tls_client_key_file, *tls_client_key_file_pass;   /* outgoing links */
    char *tls_ca_cert_file, *tls_ca_cert_dir, *tls_dh_params_file;
    char *tls_protocols, *tls_ciphers, *tls_ciphersuites;
    int tls_auth_clients;       /* TLS_AUTH_* */
    int tls_replication, tls_cluster, tls_prefer_server_ciphers;
    int tls_session_caching, tls_session_cache_size, tls_session_cache_timeout;
    int hz;
    int loglevel;
    char *logfile;
    char *pidfile;
    int daemonize;
    int always_show_logo;
    char *dir;
    char *configfile;           /* absolute path, NULL if started without one */
    char *proc_title_template;  /* core/proctitle.c */
    long long maxmemory;
    int maxmemory_policy;
    int maxmemory_samples;
    int maxmemory_eviction_tenacity;
    int lfu_log_factor;
    int lfu_decay_time;
    long long proto_max_bulk_len;
    long long client_max_querybuf_len;
    long long maxmemory_clients;  /* client eviction: bytes, -N for N% of maxmemory, 0 off */
    obufLimit obuf_limits[OBUF_CLASSES];
    int active_expire_enabled;  /* DEBUG SET-ACTIVE-EXPIRE */
    int pause_cron;             /* DEBUG PAUSE-CRON: server_cron does nothing while set */
    int active_expire_effort;
    long long slowlog_log_slower_than;
    long long slowlog_max_len;
    long long latency_monitor_threshold;
    int latency_tracking;                   /* per-command latency histograms */
    char *latency_tracking_info_percentiles;   /* "50 99 99.9": INFO latencystats */
    int notify_keyspace_events; /* class flags */
    int lazyfree_lazy_eviction, lazyfree_lazy_expire, lazyfree_lazy_server_del,
        lazyfree_lazy_user_del, lazyfree_lazy_user_flush;
    long long hash_max_listpack_entries, hash_max_listpack_value;
    long long set_max_intset_entries;
    int set_max_listpack_entries, set_max_listpack_value;
    long long zset_max_listpack_entries, zset_max_listpack_value;
    long long hll_sparse_max_bytes;  /* a sparse HLL turns dense past this size (t_hll.c) */
    int list_max_listpack_size, list_compress_depth;
    long long stream_node_max_bytes, stream_node_max_entries;
    long long busy_reply_threshold;
    long long tracking_table_max_keys;   /* core/tracking.c forgets random keys past it (0: no limit) */
    int active_defrag;          /* activedefrag and its limits (src/server.c, docs/defrag.md) */
    long long active_defrag_ignore_bytes;
    int active_defrag_threshold_lower, active_defrag_threshold_upper;
    int active_defrag_cycle_min, active_defrag_cycle_max;
    long long active_defrag_max_scan_fields;
    /* RDB snapshots (src/persist/): save points as text ("" = none), dbfilename relative to dir */
    char *save_params;
    char *dbfilename;
    int rdbcompression, rdbchecksum, stop_writes_on_bgsave_error, rdb_del_sync_files;
    int sanitize_dump_payload;  /* 0 no, 1 yes, 2 clients: Keel always validates deeply (rdb.h) */
    int rdb_key_save_delay, key_load_delay;   /* hidden test knobs, microseconds */
    int watchdog_period;                      /* ms, 0: off (core/watchdog.c) */
    long long loading_events_interval;        /* loading-process-events-interval-bytes */
    int loading_rdb;            /* an RDB is loading (the file at start-up, or a replica's full sync
                                 * with repl-diskless-load): clients get -LOADING */
    int async_loading;          /* a replica's swapdb full sync of the same history: the old data
                                 * is served meanwhile, no-async-loading commands get -LOADING */
    long long loading_start_time;
    int rdb_fsync_delay;                      /* hidden test knob: microseconds before a save's fsync */
    /* the append-only file (src/persist/aof.c) */
    int appendonly;
    char *appendfilename, *appenddirname;
    int appendfsync;            /* AOF_FSYNC_* (config.c's order) */
    int no_appendfsync_on_rewrite, aof_load_truncated, aof_use_rdb_preamble, aof_timestamp_enabled,
        aof_disable_auto_gc;
    int auto_aof_rewrite_perc;
    long long auto_aof_rewrite_min_size;
    /* replication (src/repl/) */
    char *masterhost;           /* replicaof: NULL when this server is a primary */
    int masterport;
    kstr *masterauth;           /* binary-safe; NULL when empty */
    char *masteruser;
    int repl_serve_stale_data, repl_slave_ro, repl_ping_replica_period, repl_timeout;
    int repl_min_replicas_to_write, repl_min_replicas_max_lag;
    long long repl_backlog_size, repl_backlog_ttl;
    int replica_priority, replica_announced, replica_announce_port;
    char *replica_announce_ip;
    int repl_diskless_sync, repl_diskless_sync_delay, repl_diskless_sync_max_replicas;
    int repl_diskless_load;     /* REPL_DISKLESS_LOAD_* */
    char *acl_filename;         /* aclfile, "" = none */
    long long acllog_max_len;
    int acl_pubsub_default;     /* ACL_PUBSUB_*: acl-pubsub-default, what new users' channels are */
    /* Cluster (src/cluster/) */
    int cluster_enabled;
    char *cluster_configfile;
    int cluster_port;           /* 0: port + 10000 */
    long long cluster_node_timeout;
    int cluster_require_full_coverage, cluster_allow_reads_when_down, cluster_allow_pubsubshard_when_down;
    char *cluster_announce_ip, *cluster_announce_hostname;
    int cluster_announce_port, cluster_announce_bus_port;
    int cluster_announce_tls_port;         /* with tls-cluster: the port announced (the plain one as pport) */
    int cluster_preferred_endpoint_type;   /* 0 ip, 1 hostname, 2 unknown-endpoint */
    long long cluster_link_sendbuf_limit;  /* bytes queued on a bus link before it is dropped; 0 none */
    int cluster_replica_validity_factor, cluster_migration_barrier;   /* failover.c */
    int cluster_allow_replica_migration, cluster_replica_no_failover;

    /* runtime */
    eventLoop *el;
    pid_t pid;
    char runid[41];
    long long start_ms;
    int listen_fds[CONFIG_BINDADDR_MAX];
    int listen_count;
    int tls_listen_fds[CONFIG_BINDADDR_MAX];   /* tls-port listeners (core/tls.c serves them) */
    int tls_listen_count;
    int unix_fd;
    client *clients;            /* doubly linked list, newest first */
    long long nclients;
    client *pending_writes;
    client *current_client;
    uint64_t next_client_id;
    long long dirty;
    int shutdown_asap;
    int shutdown_nosave;
    int shutdown_timeout;       /* shutdown-timeout: seconds a shutdown waits for lagging replicas */
    int shutdown_on_sigint;     /* shutdown-on-sigint/-sigterm: SHUTDOWN_* flags */
    int shutdown_on_sigterm;
    volatile int last_signal;   /* the last SIGTERM/SIGINT received */
    long long shutdown_deadline_ms;   /* waiting for replicas until then (0: not waiting) */
    int shutdown_finished;      /* SHUTDOWN ran server_finish_shutdown: only the exit is left */
    int shutdown_flags;         /* the waiting shutdown's SHUTDOWN_* flags */
    long long clients_paused_until_ms;
    int clients_pause_write_only;
    int failover_pause;         /* FAILOVER holds write commands (src/repl/failover.c) */
    uint32_t lruclock;
    long long cmd_time_ms;      /* mstime() cached at command start: one "now" per command */
    int executing_depth;
    int loading;                /* the AOF is being loaded: nothing expires (as Redis) */
    int in_exec;                /* EXEC is running its queue (core/multi.c) */
    int aof_flush_sleep_us;     /* DEBUG AOF-FLUSH-SLEEP: a pause before each AOF write (tests) */

    /* stats */
    long long stat_numcommands;
    long long stat_numconnections;
    long long stat_rejected_conn;
    long long stat_expiredkeys;
    long long stat_evictedkeys;
    long long stat_evictedclients;
    long long stat_net_input_bytes;
    long long stat_net_output_bytes;
    long long stat_total_error_replies;
    long long stat_unexpected_error_replies;
    long long stat_client_qbuf_limit_disconnections;
    long long stat_client_outbuf_limit_disconnections;
    size_t stat_peak_memory;
    /* Bytes queued for replicas (CLIENT_SLAVE clients' reply_bytes, kept by protocol/reply.c and
     * core/client.c): INFO's mem_clients_slaves and mem_not_counted_for_evict, and not counted
     * against maxmemory, as Redis leaves replication buffers out. */
    size_t replica_output_bytes;
};

extern struct keelServer server;

/* ---------------------------------------------------------------- entry points by module */

/* core/client.c */
/* Installed by the AOF (persist/aof.c): called before any reply is written to a socket, so
 * that no client sees a reply before the write it acknowledges is in the AOF. */
extern void (*client_output_barrier)(void);
client *client_create(int fd, int is_unix);
client *client_create_fake(void);
void client_free(client *c);
void client_close_async(client *c);
void client_queue_write(client *c);        /* has output: write it before the next poll */
void client_set_args(client *c, int argc, karg *argv);
/* Runs one command as c's (process_command), marked as executing so that c is not freed under
 * it; argv stays the caller's. */
void client_execute(client *c, int argc, karg *argv);
void client_read_handler(eventLoop *el, int fd, void *data, int mask);
void clients_write_pending(void);
void clients_cron(void);
void clients_resume_paused(void);
int client_write_now(client *c);
void client_process_input(client *c);      /* runs buffered commands (after an unblock) */
/* Installed by src/repl/: after each command the master client ran, its bytes as received
 * (offsets, chained replicas); when any client is freed (the replica or master link ends). */
extern void (*client_master_applied)(client *c, const char *buf, size_t len);
extern void (*client_repl_freed)(client *c);
/* Installed by src/repl/ for replicas (clients with rlink): their stream bytes live in the shared
 * replication buffer, not in their reply blocks, and go out after those. client_repl_output
 * points up to max iovecs at the next unsent ones (0: none, or not yet: the replica is still
 * syncing), client_repl_sent consumes n of them, client_repl_pending says whether any wait. */
struct iovec;
extern int (*client_repl_output)(client *c, struct iovec *iov, int max);
extern void (*client_repl_sent)(client *c, size_t n);
extern int (*client_repl_pending)(const client *c);
/* Anything queued for c: its reply blocks or, for a replica, stream bytes. */
int client_output_pending(const client *c);
const char *client_info_line(client *c, kstr **out);  /* appends CLIENT LIST's line for c */
/* While a script runs long: one poll of the event loop's file events (reads, accepts), then
 * the pending replies; the client running the script must have stopped reading
 * (client_pause_reading), since its query buffer holds the running command. */
void clients_process_while_busy(void);
/* Called first by clients_process_while_busy (server.c: what Redis's whileBlockedCron does, the
 * active defrag's share of the time the loop was blocked); NULL: nothing. */
extern void (*clients_busy_cron)(void);
void client_pause_reading(client *c, int pause);
int client_is_local(const client *c);      /* Unix socket or loopback address */

/* core/dispatch.c */
void process_command(client *c);
void call_command(client *c, const command *cmd);
int command_arity_ok(const command *cmd, int argc);
/* After a refusal was replied outside process_command (a script's redis.call refused for
 * OOM or a write in a read-only script): charges cmd's rejected_calls, not the caller's
 * failed_calls, as Redis's incrCommandStatsOnError. */
void command_count_rejection(const command *cmd);
/* Installed by the scripting engine (scripting_init): while a script is busy (past
 * busy-reply-threshold), the -BUSY error for every command but the allow-busy ones (SCRIPT
 * KILL, SHUTDOWN NOSAVE, ...); NULL when cmd may run. */
extern const char *(*dispatch_busy_error)(client *c, const command *cmd);
/* The flags a call has, as Redis's getCommandFlags: cmd->flags, except for EVAL and its
 * variants, whose script's shebang flags replace write/may-replicate/denyoom/stale (hook
 * installed by scripting_init). CLIENT PAUSE WRITE and MULTI use it. */
uint64_t command_call_flags(const command *cmd, int argc, const karg *argv);
extern uint64_t (*dispatch_script_flags)(const command *cmd, int argc, const karg *argv);
/* Installed by persist_start(): the -MISCONF error while writes (and PING) are refused after a
 * failed save, else NULL. */
extern const char *(*dispatch_write_error)(void);
/* Installed by src/repl/: the replica and min-replicas errors (-READONLY, -MASTERDOWN,
 * -NOREPLICAS) for cmd from c, else NULL. */
extern const char *(*dispatch_repl_error)(client *c, const command *cmd);
/* Installed by wstream_init() (persist/wstream.h): after each call of a command procedure
 * (nested ones too, and blocked commands served), with the changes it made (server.dirty's
 * growth); server.executing_depth is already the caller's, 0 when the execution unit ended. */
extern void (*dispatch_propagate)(client *c, const command *cmd, long long dirty);
/* Installed by cluster_init(): replies the redirection or cluster error of a command this
 * node must not run (and ends or dooms c's transaction as Redis does); returns 1 then, else 0. */
extern int (*dispatch_redirect)(client *c, const command *cmd);

/* commands/command_table.c */
void commands_init(void);
const command *command_lookup(const char *name, size_t len);
const command *command_lookup_argv(int argc, const karg *argv);
/* rename-command (config file only): the command named `from` answers to `to` from now on, or
 * to nothing if `to` is empty. NULL, or Redis's config error. */
const char *command_rename(const char *from, size_t flen, const char *to, size_t tlen);
/* commands/cmd_command.c */
/* Key positions of `argv` (a full command line for cmd) and their KS_* flags (flags may be
 * NULL), as Redis finds them: the key specs, else the row's getkeys procedure. Writes at most
 * max of them; returns their number (which may exceed max), or <= 0 if there are none or the
 * arguments don't fit the command's key layout. */
int command_get_keys(const command *cmd, int argc, const karg *argv, int *pos, int *flags, int max);
command *command_table(void);           /* top-level rows, ending with name == NULL */
int command_has_keys(const command *cmd);
/* Looks a command up by its full name ("get", "config|get"), case-insensitively. */
const command *command_lookup_fullname(const char *name, size_t len);
/* ACL category names (ACL_CAT_*), and a name's index or -1. */
const char *acl_category_name(int cat);
int acl_category_by_name(const char *s, size_t len);

/* core/net.c */
int net_listen(void);
/* Protected mode's -DENIED line (CRLF included) for a TCP client from addr ("ip:port"), or
 * NULL when it may connect. */
const char *net_protected_denial(const char *addr);
/* bind-source-addr: binds the unconnected socket fd (of the given address family) to it, best
 * effort as Redis (on failure the connection goes out from any address). */
void net_bind_source(int fd, int family);
void net_close_listeners(void);

/* server.c */
int server_init(void);
int server_init_headless(void);   /* no signals, no sockets (fuzz harnesses) */
void server_shutdown(void);
int server_prepare_shutdown(int nosave);
int server_finish_shutdown(int flags);   /* SHUTDOWN_* flags; -1: cancelled (a failed save) */
uint32_t lru_clock(void);
long long server_time_ms(void);         /* cached per command */
int server_time_already_past(long long when_ms);   /* an absolute TTL that deletes at once */
int server_clients_paused(void);
/* SHUTDOWN's and shutdown-on-sig*'s flags (bits in that config's order). */
enum { SHUTDOWN_SAVE = 1, SHUTDOWN_NOSAVE = 2, SHUTDOWN_NOW = 4, SHUTDOWN_FORCE = 8 };
/* Starts a shutdown that waits for lagging replicas (Redis 7.0): 1 if it waits (writes held,
 * the cron finishes it), 0 if there is nothing to wait for (the caller goes on at once). */
int server_shutdown_wait(int flags);
int server_shutdown_waiting(void);
void server_shutdown_block(client *c);   /* a SHUTDOWN client, answered only if it fails */
int server_shutdown_abort(void);          /* SHUTDOWN ABORT: 0 if something was cancelled */

#endif
