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

/* A reply chunk. The client's output is a list of these; `used` bytes are valid, `sent` of them
 * already went to the socket (only the head block has sent > 0). */
typedef struct replyBlock {
    struct replyBlock *next;
    size_t size;
    size_t used;
    size_t sent;
    char buf[];
} replyBlock;

typedef struct command command;

typedef struct client {
    uint64_t id;
    int fd;
    int flags;
    int resp;                   /* 2 or 3 */
    int authenticated;
    kdb *db;
    kstr *name;                 /* CLIENT SETNAME, NULL if none */
    kstr *lib_name, *lib_ver;

    /* Input: querybuf[0..qpos) is consumed; the parser works on querybuf + qpos. */
    kstr *querybuf;
    size_t qpos;
    size_t querybuf_peak;
    reqParser parser;
    int argc;
    karg *argv;                 /* current command's arguments */
    const command *cmd, *lastcmd;

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
    long long commands_processed;
    int paused;                 /* waiting for CLIENT UNPAUSE */
    struct blockState *bstate;  /* core/blocking.c: set iff CLIENT_BLOCKED */
    struct multiState *mstate;  /* core/multi.c: queued commands and WATCHed keys, NULL if none */
    struct pubsubState *pstate; /* core/pubsub.c: subscriptions, NULL if none */
    struct trackingState *tstate; /* core/tracking.c: CLIENT TRACKING state, NULL if never used */
} client;

/* ---------------------------------------------------------------- commands */

typedef void command_proc(client *c);

/* Command flags: the names COMMAND INFO reports. */
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
#define CMD_FAST (1ULL << 14)
#define CMD_NO_AUTH (1ULL << 15)
#define CMD_MAY_REPLICATE (1ULL << 16)
#define CMD_NO_MANDATORY_KEYS (1ULL << 19)
#define CMD_PROTECTED (1ULL << 20)
#define CMD_NO_MULTI (1ULL << 24)
#define CMD_MOVABLE_KEYS (1ULL << 25)
#define CMD_ALLOW_BUSY (1ULL << 26)

/* One row of the command table (src/commands/command_table.c), the only place that knows every
 * command's name, arity, flags and key positions. Arity follows Redis: n > 0 means exactly n
 * arguments including the name, n < 0 means at least -n. Container commands (CONFIG, CLIENT,
 * ...) have subcommands, each a full row; their own proc is NULL. */
struct command {
    const char *name;           /* lowercase */
    command_proc *proc;
    int arity;
    uint64_t flags;
    int first_key, last_key, key_step;   /* 0 0 0 when the command has no keys */
    const char *group;          /* "string", "generic", "connection", "server", ... */
    const char *summary;
    const char *since;
    const char *complexity;
    command *subcommands;       /* array ending with a row whose name is NULL */
    /* Filled at start-up. */
    command *parent;
    char fullname[64];          /* "get", "config|get" */
    long long calls, microseconds, rejected_calls, failed_calls;
};

/* ---------------------------------------------------------------- server */

#define CONFIG_BINDADDR_MAX 16
enum { OBUF_NORMAL = 0, OBUF_REPLICA = 1, OBUF_PUBSUB = 2, OBUF_CLASSES };

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
    int unixsocketperm;
    int protected_mode;
    int tcp_backlog;
    int tcp_keepalive;
    int maxidletime;            /* timeout, seconds; 0 = never */
    long long maxclients;
    char *requirepass;
    int dbnum;
    int hz;
    int loglevel;
    char *logfile;
    char *pidfile;
    int daemonize;
    char *dir;
    char *configfile;           /* absolute path, NULL if started without one */
    long long maxmemory;
    int maxmemory_policy;
    int maxmemory_samples;
    int maxmemory_eviction_tenacity;
    int lfu_log_factor;
    int lfu_decay_time;
    long long proto_max_bulk_len;
    long long client_max_querybuf_len;
    obufLimit obuf_limits[OBUF_CLASSES];
    int active_expire_enabled;  /* DEBUG SET-ACTIVE-EXPIRE */
    int active_expire_effort;
    long long slowlog_log_slower_than;
    long long slowlog_max_len;
    long long latency_monitor_threshold;
    int notify_keyspace_events; /* class flags */
    int lazyfree_lazy_eviction, lazyfree_lazy_expire, lazyfree_lazy_server_del,
        lazyfree_lazy_user_del, lazyfree_lazy_user_flush;
    int hash_max_listpack_entries, hash_max_listpack_value;
    int set_max_intset_entries, set_max_listpack_entries, set_max_listpack_value;
    int zset_max_listpack_entries, zset_max_listpack_value;
    int list_max_listpack_size, list_compress_depth;
    long long busy_reply_threshold;
    char *save_params;          /* "<seconds> <changes> ..." save points; src/persist/ parses it */
    char *dbfilename;           /* relative to dir (the working directory) */
    int rdbcompression, rdbchecksum, stop_writes_on_bgsave_error, rdb_del_sync_files;
    int sanitize_dump_payload;  /* no, yes, clients: Keel always validates deeply (rdb.h) */
    int rdb_key_save_delay;     /* BGSAVE testing knob: microseconds between keys */
    int appendonly;

    /* runtime */
    eventLoop *el;
    pid_t pid;
    char runid[41];
    long long start_ms;
    int listen_fds[CONFIG_BINDADDR_MAX];
    int listen_count;
    int unix_fd;
    client *clients;            /* doubly linked list, newest first */
    long long nclients;
    client *pending_writes;
    client *current_client;
    uint64_t next_client_id;
    long long dirty;
    int shutdown_asap;
    int shutdown_nosave;
    long long cronloops;
    long long clients_paused_until_ms;
    int clients_pause_write_only;
    uint32_t lruclock;
    long long cmd_time_ms;      /* mstime() cached at command start: one "now" per command */
    int executing_depth;

    /* stats */
    long long stat_numcommands;
    long long stat_numconnections;
    long long stat_rejected_conn;
    long long stat_expiredkeys;
    long long stat_evictedkeys;
    long long stat_net_input_bytes;
    long long stat_net_output_bytes;
    long long stat_total_error_replies;
    long long stat_unexpected_error_replies;
    long long stat_client_qbuf_limit_disconnections;
    long long stat_client_outbuf_limit_disconnections;
    size_t stat_peak_memory;
};

extern struct keelServer server;

/* ---------------------------------------------------------------- entry points by module */

/* core/client.c */
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
const char *client_info_line(client *c, kstr **out);  /* appends CLIENT LIST's line for c */
/* While a script runs long: one poll of the event loop's file events (reads, accepts), then
 * the pending replies; the client running the script must have stopped reading
 * (client_pause_reading), since its query buffer holds the running command. */
void clients_process_while_busy(void);
void client_pause_reading(client *c, int pause);

/* core/dispatch.c */
void process_command(client *c);
void call_command(client *c, const command *cmd);
/* Installed by the scripting engine (scripting_init): while a script is busy (past
 * busy-reply-threshold), the -BUSY error for every command but the allow-busy ones (SCRIPT
 * KILL, SHUTDOWN NOSAVE, ...); NULL when cmd may run. */
extern const char *(*dispatch_busy_error)(client *c, const command *cmd);
/* Installed by persist_start(): the -MISCONF error while writes (and PING) are refused after a
 * failed save, else NULL. */
extern const char *(*dispatch_write_error)(void);

/* commands/command_table.c */
void commands_init(void);
const command *command_lookup(const char *name, size_t len);
const command *command_lookup_argv(int argc, const karg *argv);
command *command_table(void);           /* top-level rows, ending with name == NULL */
int command_has_keys(const command *cmd);

/* core/net.c */
int net_listen(void);
void net_close_listeners(void);

/* server.c */
int server_init(void);
int server_init_headless(void);   /* no signals, no sockets (fuzz harnesses) */
void server_shutdown(void);
int server_prepare_shutdown(int nosave);
uint32_t lru_clock(void);
long long server_time_ms(void);         /* cached per command */
int server_clients_paused(void);

#endif
