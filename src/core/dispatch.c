/* dispatch.c - from a parsed request to a command call: lookup, checks, timing, slowlog,
 * MONITOR. The checks run in Redis's order, so a request that fails several of them gets the
 * same error Redis gives: unknown command, arity, authentication, memory. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "core/blocking.h"
#include "core/latency.h"
#include "commands/commands.h"
#include "core/multi.h"
#include "core/pubsub.h"
#include "core/tracking.h"
#include "keyspace/db.h"
#include "persist/persist.h"
#include "protocol/reply.h"
#include "scripting/script.h"   /* -BUSY check, monitor_feed */
#include "server.h"
#include "util/mem.h"
#include "keyspace/evict.h"
#include "util/util.h"

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

static int arity_ok(const command *cmd, int argc) {
    return cmd->arity > 0 ? argc == cmd->arity : argc >= -cmd->arity;
}

/* Appends a MONITOR line's argument: quoted, with non-printable bytes escaped like Redis. */
static kstr *cat_repr(kstr *s, const char *p, size_t len) {
    s = kstr_cat(s, "\"", 1);
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)p[i];
        switch (ch) {
        case '\\': s = kstr_cat(s, "\\\\", 2); break;
        case '"': s = kstr_cat(s, "\\\"", 2); break;
        case '\n': s = kstr_cat(s, "\\n", 2); break;
        case '\r': s = kstr_cat(s, "\\r", 2); break;
        case '\t': s = kstr_cat(s, "\\t", 2); break;
        case '\a': s = kstr_cat(s, "\\a", 2); break;
        case '\b': s = kstr_cat(s, "\\b", 2); break;
        default:
            if (isprint(ch))
                s = kstr_cat(s, &p[i], 1);
            else
                s = kstr_catfmt(s, "\\x%02x", ch);
        }
    }
    return kstr_cat(s, "\"", 1);
}

/* Takes a client out of MONITOR mode (RESET, disconnect). */
void monitor_remove(client *c) {
    if (!(c->flags & CLIENT_MONITOR)) return;
    for (int i = 0; i < server.nmonitors; i++) {
        if (server.monitors[i] == c) {
            server.monitors[i] = server.monitors[--server.nmonitors];
            break;
        }
    }
    c->flags &= ~CLIENT_MONITOR;
}

static void feed_monitors(client *c) {
    if (server.nmonitors == 0 || (c->cmd->flags & (CMD_SKIP_MONITOR | CMD_ADMIN))) return;
    monitor_feed(c);
}

/* The MONITOR line of c's command, whatever its flags: EVAL (skip_monitor) shows itself this way
 * before its script's commands, as in Redis (src/scripting/lua_engine.c). */
void monitor_feed(client *c) {
    if (server.nmonitors == 0) return;
    long long us = ustime();
    kstr *line = kstr_empty(128);
    if (c->flags & CLIENT_FAKE)
        line = kstr_catfmt(line, "+%lld.%06lld [%d lua] ", us / 1000000, us % 1000000, c->db->id);
    else if (c->flags & CLIENT_UNIX_SOCKET)
        line = kstr_catfmt(line, "+%lld.%06lld [%d unix:%s] ", us / 1000000, us % 1000000, c->db->id,
                           server.unixsocket ? server.unixsocket : "");
    else
        line = kstr_catfmt(line, "+%lld.%06lld [%d %s] ", us / 1000000, us % 1000000, c->db->id, c->addr);
    for (int i = 0; i < c->argc; i++) {
        if (i) line = kstr_cat(line, " ", 1);
        line = cat_repr(line, c->argv[i].ptr, c->argv[i].len);
    }
    line = kstr_cat(line, "\r\n", 2);
    for (int i = 0; i < server.nmonitors; i++)
        reply_raw(server.monitors[i], line->buf, line->len);   /* a monitor sees its own commands too */
    kstr_free(line);
}

#define SLOWLOG_ARGC_MAX 32
#define SLOWLOG_ARG_MAX 128

static void slowlog_push(client *c, long long duration) {
    if (server.slowlog_log_slower_than < 0 || duration < server.slowlog_log_slower_than) return;
    if (c->cmd->flags & CMD_SKIP_SLOWLOG) return;
    slowlogEntry *e = kcalloc(sizeof(*e));
    e->id = server.slowlog_next_id++;
    e->time_sec = ustime() / 1000000;
    e->duration_us = duration;
    e->argc = c->argc > SLOWLOG_ARGC_MAX ? SLOWLOG_ARGC_MAX : c->argc;
    e->argv = kmalloc(sizeof(kstr *) * (size_t)e->argc);
    for (int i = 0; i < e->argc; i++) {
        if (c->argc > SLOWLOG_ARGC_MAX && i == SLOWLOG_ARGC_MAX - 1) {
            e->argv[i] = kstr_empty(32);
            e->argv[i] = kstr_catfmt(e->argv[i], "... (%d more arguments)", c->argc - SLOWLOG_ARGC_MAX + 1);
        } else if (c->argv[i].len > SLOWLOG_ARG_MAX) {
            e->argv[i] = kstr_new(c->argv[i].ptr, SLOWLOG_ARG_MAX);
            e->argv[i] = kstr_catfmt(e->argv[i], "... (%zu more bytes)", c->argv[i].len - SLOWLOG_ARG_MAX);
        } else {
            e->argv[i] = kstr_new(c->argv[i].ptr, c->argv[i].len);
        }
    }
    e->peer = kstr_new(c->addr, strlen(c->addr));
    e->cname = c->name ? kstr_new(c->name->buf, c->name->len) : kstr_empty(0);
    e->next = server.slowlog;
    server.slowlog = e;
    server.slowlog_len++;
    slowlog_trim();
}

void call_command(client *c, const command *cmd) {
    command *row = (command *)cmd;
    int outer = server.executing_depth == 0;
    if (outer) {
        server.cmd_time_ms = mstime();
        server.current_client = c;   /* core/tracking.c: whose reply comes before its invalidations */
    }
    server.executing_depth++;
    long long errors_before = server.stat_total_error_replies;
    uint64_t start = monotonic_us();
    c->cmd = cmd;
    cmd->proc(c);
    long long duration = (long long)(monotonic_us() - start);
    server.executing_depth--;
    row->calls++;
    row->microseconds += duration;
    if (server.stat_total_error_replies > errors_before) row->failed_calls++;
    server.stat_numcommands++;
    c->commands_processed++;
    c->lastcmd = cmd;
    tracking_after_call(c, cmd, outer);   /* core/tracking.c: remember keys read, send held invalidations */
    /* Every call, nested ones too (commands run by EXEC or a script), after it ran: Redis shows
     * MULTI, the transaction's commands, then EXEC. */
    feed_monitors(c);
    if (outer) {
        slowlog_push(c, duration);
        latency_sample((cmd->flags & CMD_FAST) ? "fast-command" : "command", duration / 1000);
        blocking_serve_ready();   /* core/blocking.c: serve clients waiting on keys this made ready */
    }
}

/* Replies a rejection of cmd and counts it. EXEC's rejections also end the transaction and
 * read "-EXECABORT Transaction discarded because of: <error>", as in Redis (core/multi.c). */
static void reject(client *c, const command *cmd, const char *msg) {
    ((command *)cmd)->rejected_calls++;
    if (cmd->proc == exec_command)
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
    if (!arity_ok(cmd, c->argc)) {
        snprintf(msg, sizeof(msg), "wrong number of arguments for '%s' command", cmd->fullname);
        reject(c, cmd, msg);
        return NULL;
    }
    if (!c->authenticated && !(cmd->flags & CMD_NO_AUTH)) {
        reject(c, cmd, ERR_NOAUTH);
        return NULL;
    }
    if ((c->flags & CLIENT_MULTI) && (cmd->flags & CMD_NO_MULTI)) {
        reject(c, cmd, "Command not allowed inside a transaction");
        return NULL;
    }
    /* As Redis: evict before every command while over the limit; only commands that may grow
     * memory are refused when eviction can't get under it. */
    if (server.maxmemory && mem_used() > (size_t)server.maxmemory && !evict_to_fit() &&
        multi_refused_when_oom(c, cmd)) {   /* core/multi.c: denyoom, or queueing in MULTI */
        reject(c, cmd, ERR_OOM);
        return NULL;
    }
    /* persist/: after a failed save with stop-writes-on-bgsave-error, writes (and PING) fail. */
    if (((cmd->flags & CMD_WRITE) || cmd->proc == ping_command) && persist_writes_refused()) {
        reject(c, cmd, ERR_MISCONF);
        return NULL;
    }
    /* RESP2 subscriber mode: the connection only carries subscription traffic (core/pubsub.c). */
    if ((c->flags & CLIENT_PUBSUB) && c->resp == 2 && !pubsub_allowed_in_subscriber_mode(cmd)) {
        snprintf(msg, sizeof(msg), "Can't execute '%s': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / "
                 "RESET are allowed in this context", cmd->fullname);
        reject(c, cmd, msg);
        return NULL;
    }
    /* scripting: while a script runs past busy-reply-threshold only allow-busy commands run. */
    const char *busy = script_busy_error(c, cmd);
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
    const command *cmd = checked_command(c);
    if (!cmd) {
        multi_flag_error(c);   /* core/multi.c: a rejected command dooms an open MULTI */
        return;
    }
    if ((c->flags & CLIENT_MULTI) && !multi_runs_immediately(cmd)) {
        multi_queue_command(c, cmd);   /* core/multi.c: replies +QUEUED */
        return;
    }
    call_command(c, cmd);
}
