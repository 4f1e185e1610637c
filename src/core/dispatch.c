/* dispatch.c - from a parsed request to a command call: lookup, checks, timing, and what
 * follows a call (slow log, MONITOR, tracking, blocked clients). The checks run in Redis's
 * order, so a request that fails several of them gets the same error Redis gives: unknown
 * command, arity, authentication, transaction, ACL permissions, memory. */
#include <stdio.h>
#include <string.h>

#include "core/acl.h"
#include "core/blocking.h"
#include "core/config.h"
#include "core/latency.h"
#include "core/monitor.h"
#include "core/multi.h"
#include "core/pubsub.h"
#include "core/slowlog.h"
#include "core/tracking.h"
#include "keyspace/evict.h"
#include "protocol/reply.h"
#include "server.h"
#include "util/mem.h"
#include "util/util.h"

const char *(*dispatch_busy_error)(client *c, const command *cmd);
const char *(*dispatch_write_error)(void);
const char *(*dispatch_repl_error)(client *c, const command *cmd);
void (*dispatch_propagate)(client *c, const command *cmd, long long dirty);
uint64_t (*dispatch_script_flags)(const command *cmd, int argc, const karg *argv);

uint64_t command_call_flags(const command *cmd, int argc, const karg *argv) {
    return dispatch_script_flags ? dispatch_script_flags(cmd, argc, argv) : cmd->flags;
}
int (*dispatch_redirect)(client *c, const command *cmd);

static void reject_unknown(client *c) {
    char args[512];
    size_t n = 0;
    args[0] = '\0';
    for (int i = 1; i < c->argc && n < 128; i++) {
        int room = 128 - (int)n;
        int w = snprintf(args + n, sizeof(args) - n, "'%.*s' ", room < (int)c->argv[i].len ? room : (int)c->argv[i].len,
                         c->argv[i].ptr);
        if (w < 0) break;
        n += (size_t)w;
        if (n >= sizeof(args)) n = sizeof(args) - 1;
    }
    reply_errorf(c, "unknown command '%.128s', with args beginning with: %s", c->argv[0].ptr, args);
}

int command_arity_ok(const command *cmd, int argc) {
    return cmd->arity > 0 ? argc == cmd->arity : argc >= -cmd->arity;
}

/* stat_total_error_replies when the last call (nested ones included) ended: a call failed if
 * errors were replied after that, so EXEC or EVAL is not charged with its commands' errors. */
static long long errors_mark;

void command_count_rejection(const command *cmd) {
    if (cmd && server.stat_total_error_replies > errors_mark) ((command *)cmd)->rejected_calls++;
    errors_mark = server.stat_total_error_replies;
}

void call_command(client *c, const command *cmd) {
    command *row = (command *)cmd;
    int outer = server.executing_depth == 0;
    if (outer) {
        server.cmd_time_ms = mstime();
        server.current_client = c;   /* core/tracking.c: whose reply comes before its invalidations */
    }
    server.executing_depth++;
    errors_mark = server.stat_total_error_replies;
    uint64_t start = monotonic_us();
    long long dirty = server.dirty;
    c->cmd = cmd;
    c->redacted = 0;   /* AUTH, HELLO AUTH, ACL SETUSER mark their secrets */
    cmd->proc(c);
    long long duration = (long long)(monotonic_us() - start);
    server.executing_depth--;
    if (dispatch_propagate) dispatch_propagate(c, cmd, server.dirty - dirty);
    row->calls++;
    row->microseconds += duration;
    if (server.latency_tracking) latency_histogram_record(&row->latency_histogram, duration * 1000);
    if (server.stat_total_error_replies > errors_mark) row->failed_calls++;
    errors_mark = server.stat_total_error_replies;
    server.stat_numcommands++;
    tracking_after_call(c, cmd, outer);   /* core/tracking.c: remember keys read, send held invalidations */
    /* Every call, nested ones too (commands run by EXEC or a script), after it ran: Redis shows
     * MULTI, the transaction's commands, then EXEC. */
    monitor_feed_call(c);
    /* Every call, as Redis: EXEC's and scripts' commands too (EXEC itself skips the slow log);
     * a client that blocked is logged when it is served (core/blocking.c). */
    if (!(c->flags & CLIENT_BLOCKED)) {
        slowlog_push(c, duration);
        latency_sample((cmd->flags & CMD_FAST) ? "fast-command" : "command", duration / 1000);
    }
    if (outer) blocking_serve_ready();   /* core/blocking.c: serve clients waiting on keys this made ready */
}

/* Replies a rejection of cmd and counts it. EXEC's rejections also end the transaction and
 * read "-EXECABORT Transaction discarded because of: <error>", as in Redis (core/multi.c). */
static void reject(client *c, const command *cmd, const char *msg) {
    ((command *)cmd)->rejected_calls++;
    if (cmd->flags & CMD_EXECS_QUEUED)
        multi_exec_abort(c, msg);
    else
        reply_error(c, msg);
}

/* Looks the command up and runs Redis's checks in its order. Returns the command row to run,
 * or NULL after replying the rejection. */
static const command *checked_command(client *c) {
    const command *cmd = command_lookup(c->argv[0].ptr, c->argv[0].len);
    if (!cmd) {
        c->cmd = NULL;
        reject_unknown(c);
        return NULL;
    }
    /* A container with a procedure of its own (COMMAND) runs it when called alone. */
    if (cmd->subcommands && !(c->argc == 1 && cmd->proc)) {
        if (c->argc == 1) {
            c->cmd = cmd;
            reply_error_arity(c);
            ((command *)cmd)->rejected_calls++;
            return NULL;
        }
        const command *sub = command_lookup_argv(c->argc, c->argv);
        if (!sub || sub == cmd) {
            reply_error_subcommand(c);
            ((command *)cmd)->rejected_calls++;
            return NULL;
        }
        cmd = sub;
    }
    c->cmd = cmd;
    char msg[256];
    if (!command_arity_ok(cmd, c->argc)) {
        snprintf(msg, sizeof(msg), "wrong number of arguments for '%s' command", cmd->fullname);
        reject(c, cmd, msg);
        return NULL;
    }
    /* Protected commands (DEBUG; Keel has no MODULE LOAD) run only as enable-debug-command says. */
    int debug_mode = config_enable_debug_command();
    if ((cmd->flags & CMD_PROTECTED) && !(debug_mode == ENABLE_DEBUG_YES ||
                                          (debug_mode == ENABLE_DEBUG_LOCAL && client_is_local(c)))) {
        reject(c, cmd, "DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you can "
                       "run it from a local connection, otherwise you need to set this option in the configuration "
                       "file, and then restart the server.");
        return NULL;
    }
    if (acl_auth_required(c) && !(cmd->flags & CMD_NO_AUTH)) {
        reject(c, cmd, ERR_NOAUTH);
        return NULL;
    }
    if ((c->flags & CLIENT_MULTI) && (cmd->flags & CMD_NO_MULTI)) {
        reject(c, cmd, "Command not allowed inside a transaction");
        return NULL;
    }
    /* core/acl.c: the user's permissions for the command, its keys and channels (logged). */
    const char *denied = acl_check_client(c, cmd, (c->flags & CLIENT_MULTI) ? ACL_CTX_MULTI : ACL_CTX_TOPLEVEL);
    if (denied) {
        reject(c, cmd, denied);
        return NULL;
    }
    /* cluster/: a key another node serves (-MOVED, -ASK), or -CROSSSLOT, -TRYAGAIN, -CLUSTERDOWN. */
    if (dispatch_redirect && dispatch_redirect(c, cmd)) {
        ((command *)cmd)->rejected_calls++;
        return NULL;
    }
    /* As Redis: evict before every command while over the limit; only commands that may grow
     * memory are refused when eviction can't get under it. Nothing is evicted while a file
     * loads (Redis's isSafeToPerformEvictions): the AOF's own DELs replay its evictions. */
    if (server.maxmemory && !(c->flags & CLIENT_MASTER) && !server.loading && !server.loading_rdb &&
        mem_used() > (size_t)server.maxmemory && !evict_to_fit() &&
        multi_refused_when_oom(c, cmd)) {   /* core/multi.c: denyoom, or queueing in MULTI */
        reject(c, cmd, ERR_OOM);
        return NULL;
    }
    /* persist/: after a failed save with stop-writes-on-bgsave-error, writes (and PING) fail. */
    const char *write_error = dispatch_write_error ? dispatch_write_error() : NULL;
    if (write_error && (cmd->flags & (CMD_WRITE | CMD_FAILS_ON_MISCONF))) {
        reject(c, cmd, write_error);
        return NULL;
    }
    /* repl/: writes on a read-only replica, a stale replica, too few good replicas. */
    const char *repl_error = dispatch_repl_error ? dispatch_repl_error(c, cmd) : NULL;
    if (repl_error) {
        reject(c, cmd, repl_error);
        return NULL;
    }
    /* RESP2 subscriber mode: the connection only carries subscription traffic (core/pubsub.c). */
    if ((c->flags & CLIENT_PUBSUB) && c->resp == 2 && !pubsub_allowed_in_subscriber_mode(cmd)) {
        snprintf(msg, sizeof(msg), "Can't execute '%s': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / "
                 "RESET are allowed in this context", cmd->fullname);
        reject(c, cmd, msg);
        return NULL;
    }
    /* persist/: while the RDB file (at start-up) or the AOF loads, clients the loop serves run
     * only commands flagged loading; the AOF's loading client itself (fake) runs everything. */
    if ((server.loading_rdb || (server.loading && !(c->flags & CLIENT_FAKE))) && !(cmd->flags & CMD_LOADING)) {
        reject(c, cmd, "-LOADING Redis is loading the dataset in memory");
        return NULL;
    }
    if (server.async_loading && (cmd->flags & CMD_NO_ASYNC_LOADING)) {
        reject(c, cmd, "-LOADING Redis is loading the dataset in memory");
        return NULL;
    }
    /* scripting: while a script runs past busy-reply-threshold only allow-busy commands run. */
    const char *busy = dispatch_busy_error ? dispatch_busy_error(c, cmd) : NULL;
    if (busy) {
        reject(c, cmd, busy);
        return NULL;
    }
    return cmd;
}

void process_command(client *c) {
    /* CLIENT REPLY SKIP applies to exactly one command: the one after it. */
    if (c->flags & CLIENT_REPLY_SKIP) c->flags &= ~CLIENT_REPLY_SKIP;
    if (c->flags & CLIENT_REPLY_SKIP_NEXT) {
        c->flags &= ~CLIENT_REPLY_SKIP_NEXT;
        c->flags |= CLIENT_REPLY_SKIP;
    }
    /* Cluster ASKING holds for one command (or one transaction), as in Redis. */
    int asking = c->flags & CLIENT_ASKING;
    const command *cmd = checked_command(c);
    if (!cmd) {
        multi_flag_error(c);   /* core/multi.c: a rejected command dooms an open MULTI */
    } else {
        tracking_limit_keys();   /* core/tracking.c: tracking-table-max-keys, before every command as in Redis */
        if ((c->flags & CLIENT_MULTI) && !multi_runs_immediately(cmd))
            multi_queue_command(c, cmd);   /* core/multi.c: replies +QUEUED */
        else
            call_command(c, cmd);
    }
    if (asking && !(c->flags & CLIENT_MULTI)) c->flags &= ~CLIENT_ASKING;
}
