/* dispatch.c - from a parsed request to a command call: lookup, checks, timing, slowlog,
 * MONITOR. The checks run in Redis's order, so a request that fails several of them gets the
 * same error Redis gives: unknown command, arity, authentication, memory. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "core/blocking.h"
#include "core/latency.h"
#include "keyspace/db.h"
#include "protocol/reply.h"
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
    if (outer) server.cmd_time_ms = mstime();
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
    if (outer) {
        slowlog_push(c, duration);
        latency_sample((cmd->flags & CMD_FAST) ? "fast-command" : "command", duration / 1000);
        feed_monitors(c);
        blocking_serve_ready();   /* core/blocking.c: serve clients waiting on keys this made ready */
    }
}

void process_command(client *c) {
    /* CLIENT REPLY SKIP applies to exactly one command: the one after it. */
    if (c->flags & CLIENT_REPLY_SKIP) c->flags &= ~CLIENT_REPLY_SKIP;
    if (c->flags & CLIENT_REPLY_SKIP_NEXT) {
        c->flags &= ~CLIENT_REPLY_SKIP_NEXT;
        c->flags |= CLIENT_REPLY_SKIP;
    }
    const command *cmd = command_lookup(c->argv[0].ptr, c->argv[0].len);
    if (!cmd) {
        c->cmd = NULL;
        reject_unknown(c);
        return;
    }
    /* A container with a procedure of its own (COMMAND) runs it when called alone. */
    if (cmd->subcommands && !(c->argc == 1 && cmd->proc)) {
        if (c->argc == 1) {
            c->cmd = cmd;
            reply_error_arity(c);
            ((command *)cmd)->rejected_calls++;
            return;
        }
        const command *sub = command_lookup_argv(c->argc, c->argv);
        if (!sub || sub == cmd) {
            reply_error_subcommand(c);
            ((command *)cmd)->rejected_calls++;
            return;
        }
        cmd = sub;
    }
    c->cmd = cmd;
    if (!arity_ok(cmd, c->argc)) {
        reply_error_arity(c);
        ((command *)cmd)->rejected_calls++;
        return;
    }
    if (!c->authenticated && !(cmd->flags & CMD_NO_AUTH)) {
        reply_error(c, ERR_NOAUTH);
        ((command *)cmd)->rejected_calls++;
        return;
    }
    if (server.maxmemory && (cmd->flags & CMD_DENYOOM) && mem_used() > (size_t)server.maxmemory &&
        !evict_to_fit()) {
        reply_error(c, ERR_OOM);
        ((command *)cmd)->rejected_calls++;
        return;
    }
    call_command(c, cmd);
}
