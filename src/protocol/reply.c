/* reply.c - RESP reply writers; see reply.h. */
#include "protocol/reply.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/latency.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/util.h"

#define REPLY_BLOCK_SIZE (16 * 1024 - sizeof(replyBlock))

int reply_enabled(client *c) {
    if (c->flags & (CLIENT_CLOSE_ASAP | CLIENT_REPLY_OFF | CLIENT_REPLY_SKIP)) return 0;
    /* The primary's link gets no replies but the acknowledgements (src/repl/). */
    if ((c->flags & CLIENT_MASTER) && !(c->flags & CLIENT_MASTER_REPLY)) return 0;
    /* A replica's link carries the stream, never the reply to a command the replica sent
     * (PING, GET...): as Redis, such a replica is disconnected instead. The replication
     * layer marks its own writes (+FULLRESYNC, the RDB) with CLIENT_MASTER_REPLY. */
    if ((c->flags & CLIENT_SLAVE) && !(c->flags & CLIENT_MASTER_REPLY)) {
        log_msg(LL_WARNING, "Replica generated a reply to command '%s', disconnecting it: id=%llu addr=%s",
                c->cmd ? c->cmd->fullname : "<unknown>", (unsigned long long)c->id, c->addr);
        client_close_async(c);
        return 0;
    }
    return 1;
}

static replyBlock *new_block(client *c, size_t size) {
    replyBlock *b = kmalloc(sizeof(replyBlock) + size);
    b->next = NULL;
    b->size = kmalloc_size(b) - sizeof(replyBlock);
    b->used = 0;
    b->sent = 0;
    if (c->reply_tail)
        c->reply_tail->next = b;
    else
        c->reply_head = b;
    c->reply_tail = b;
    return b;
}

/* Output buffer hard limit: checked on every append so one huge reply can't grow memory
 * without bound; the soft limit is timed in clients_cron. */
static void check_obuf_limit(client *c) {
    if (c->flags & CLIENT_FAKE) return;
    int cls = (c->flags & CLIENT_SLAVE) ? OBUF_REPLICA : (c->flags & CLIENT_PUBSUB) ? OBUF_PUBSUB : OBUF_NORMAL;
    long long hard = server.obuf_limits[cls].hard_bytes;
    if (hard && (long long)c->reply_bytes > hard) {
        server.stat_client_outbuf_limit_disconnections++;
        client_close_async(c);
    }
}

void reply_raw(client *c, const void *p, size_t len) {
    if (!reply_enabled(c) || len == 0) return;
    const char *src = p;
    replyBlock *b = c->reply_tail;
    if (b && b->used < b->size) {
        size_t n = b->size - b->used;
        if (n > len) n = len;
        memcpy(b->buf + b->used, src, n);
        b->used += n;
        src += n;
        len -= n;
        c->reply_bytes += n;
        if (c->flags & CLIENT_SLAVE) server.replica_output_bytes += n;
    }
    if (len) {
        b = new_block(c, len > REPLY_BLOCK_SIZE ? len : REPLY_BLOCK_SIZE);
        memcpy(b->buf, src, len);
        b->used = len;
        c->reply_bytes += len;
        if (c->flags & CLIENT_SLAVE) server.replica_output_bytes += len;
    }
    client_queue_write(c);
    check_obuf_limit(c);
}

void reply_free_all(client *c) {
    replyBlock *b = c->reply_head;
    while (b) {
        replyBlock *n = b->next;
        kfree(b);
        b = n;
    }
    c->reply_head = c->reply_tail = NULL;
    if (c->flags & CLIENT_SLAVE) server.replica_output_bytes -= c->reply_bytes;
    c->reply_bytes = 0;
}

static void reply_header(client *c, char prefix, long long n) {
    char buf[32];
    buf[0] = prefix;
    int len = 1 + ll_to_str(buf + 1, sizeof(buf) - 3, n);
    buf[len++] = '\r';
    buf[len++] = '\n';
    reply_raw(c, buf, (size_t)len);
}

void reply_ok(client *c) {
    reply_raw(c, "+OK\r\n", 5);
}

void reply_status_len(client *c, const char *s, size_t len) {
    reply_raw(c, "+", 1);
    reply_raw(c, s, len);
    reply_raw(c, "\r\n", 2);
}

void reply_status(client *c, const char *s) {
    reply_status_len(c, s, strlen(s));
}

void reply_error(client *c, const char *msg) {
    server.stat_total_error_replies++;
    errorstat_count(msg[0] == '-' ? msg + 1 : "ERR", msg[0] == '-' ? strlen(msg + 1) : 3);
    /* A command of the replication stream failed here (on a replica: one its primary applied),
     * so the data sets may now differ: logged as Redis logs it (the error goes nowhere). */
    if (c->flags & (CLIENT_MASTER | CLIENT_SLAVE)) {
        int to_master = (c->flags & CLIENT_MASTER) != 0;
        server.stat_unexpected_error_replies++;
        log_msg(LL_WARNING, "== CRITICAL == This %s is sending an error to its %s: '%s' after processing the command '%s'",
                to_master ? "replica" : "master", to_master ? "master" : "replica", msg,
                c->cmd ? c->cmd->fullname : "<unknown>");
    }
    if (!reply_enabled(c)) return;
    char buf[1024];
    size_t len;
    if (msg[0] == '-')
        len = (size_t)snprintf(buf, sizeof(buf), "%s", msg);
    else
        len = (size_t)snprintf(buf, sizeof(buf), "-ERR %s", msg);
    if (len >= sizeof(buf)) len = sizeof(buf) - 1;
    /* A newline would end the error line early and desynchronise the client. */
    for (size_t i = 0; i < len; i++)
        if (buf[i] == '\r' || buf[i] == '\n') buf[i] = ' ';
    reply_raw(c, buf, len);
    reply_raw(c, "\r\n", 2);
}

void reply_errorf(client *c, const char *fmt, ...) {
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    reply_error(c, msg);
}

void reply_error_arity(client *c) {
    const char *name = c->cmd ? c->cmd->fullname : "unknown";
    reply_errorf(c, "wrong number of arguments for '%s' command", name);
}

/* The container command's name in capitals ("CONFIG"), as the subcommand errors show it. */
static void parent_name(const client *c, char parent[64]) {
    size_t n = c->argv[0].len < 63 ? c->argv[0].len : 63;
    for (size_t i = 0; i < n; i++) parent[i] = (char)toupper((unsigned char)c->argv[0].ptr[i]);
    parent[n] = '\0';
}

void reply_error_subcommand(client *c) {
    char parent[64];
    parent_name(c, parent);
    reply_errorf(c, "unknown subcommand '%.128s'. Try %s HELP.", c->argc > 1 ? c->argv[1].ptr : "", parent);
}

void reply_subcommand_syntax_error(client *c) {
    char parent[64];
    parent_name(c, parent);
    reply_errorf(c, "unknown subcommand or wrong number of arguments for '%.128s'. Try %s HELP.", c->argv[1].ptr, parent);
}

void reply_integer(client *c, long long v) {
    reply_header(c, ':', v);
}

void reply_bulk(client *c, const void *p, size_t len) {
    reply_header(c, '$', (long long)len);
    reply_raw(c, p, len);
    reply_raw(c, "\r\n", 2);
}

void reply_bulk_cstr(client *c, const char *s) {
    if (!s)
        reply_null(c);
    else
        reply_bulk(c, s, strlen(s));
}

void reply_bulk_ll(client *c, long long v) {
    char buf[32];
    int n = ll_to_str(buf, sizeof(buf), v);
    reply_bulk(c, buf, (size_t)n);
}

void reply_bulk_kstr(client *c, const kstr *s) {
    reply_bulk(c, s->buf, s->len);
}

void reply_obj_string(client *c, const kobj *o) {
    char buf[24];
    size_t len;
    const char *v = obj_str(o, &len, buf);
    reply_bulk(c, v, len);
}

void reply_null(client *c) {
    if (c->resp >= 3)
        reply_raw(c, "_\r\n", 3);
    else
        reply_raw(c, "$-1\r\n", 5);
}

void reply_null_array(client *c) {
    if (c->resp >= 3)
        reply_raw(c, "_\r\n", 3);
    else
        reply_raw(c, "*-1\r\n", 5);
}

void reply_empty_array(client *c) {
    reply_raw(c, "*0\r\n", 4);
}

void reply_array_len(client *c, long long n) {
    reply_header(c, '*', n);
}

void reply_map_len(client *c, long long n) {
    if (c->resp >= 3)
        reply_header(c, '%', n);
    else
        reply_header(c, '*', n * 2);
}

void reply_set_len(client *c, long long n) {
    reply_header(c, c->resp >= 3 ? '~' : '*', n);
}

void reply_push_len(client *c, long long n) {
    reply_header(c, c->resp >= 3 ? '>' : '*', n);
}

void reply_attribute_len(client *c, long long n) {
    if (c->resp >= 3) reply_header(c, '|', n);
}

void reply_double(client *c, double d) {
    char buf[64];
    int n;
    if (isnan(d))
        n = snprintf(buf, sizeof(buf), "nan");
    else
        n = d_to_str(buf, sizeof(buf), d);
    if (c->resp >= 3) {
        reply_raw(c, ",", 1);
        reply_raw(c, buf, (size_t)n);
        reply_raw(c, "\r\n", 2);
    } else {
        reply_bulk(c, buf, (size_t)n);
    }
}

void reply_long_double(client *c, long double d) {
    char buf[5200];
    int n = ld_to_str(buf, sizeof(buf), d);
    reply_bulk(c, buf, (size_t)n);
}

void reply_bool(client *c, int v) {
    if (c->resp >= 3)
        reply_raw(c, v ? "#t\r\n" : "#f\r\n", 4);
    else
        reply_integer(c, v ? 1 : 0);
}

void reply_verbatim(client *c, const char *s, size_t len, const char *ext) {
    if (c->resp < 3) {
        reply_bulk(c, s, len);
        return;
    }
    reply_header(c, '=', (long long)len + 4);
    reply_raw(c, ext, 3);
    reply_raw(c, ":", 1);
    reply_raw(c, s, len);
    reply_raw(c, "\r\n", 2);
}

void reply_big_number(client *c, const char *digits, size_t len) {
    if (c->resp < 3) {
        reply_bulk(c, digits, len);
        return;
    }
    reply_raw(c, "(", 1);
    reply_raw(c, digits, len);
    reply_raw(c, "\r\n", 2);
}

void reply_help(client *c, const char *const *lines) {
    char name[64];
    size_t n = c->argv[0].len < sizeof(name) - 1 ? c->argv[0].len : sizeof(name) - 1;
    for (size_t i = 0; i < n; i++) name[i] = (char)toupper((unsigned char)c->argv[0].ptr[i]);
    name[n] = '\0';
    long long count = 0;
    while (lines[count]) count++;
    reply_array_len(c, count + 3);
    char head[160];
    snprintf(head, sizeof(head), "%s <subcommand> [<arg> [value] [opt] ...]. Subcommands are:", name);
    reply_status(c, head);
    for (long long i = 0; i < count; i++) reply_status(c, lines[i]);
    reply_status(c, "HELP");
    reply_status(c, "    Prints this help.");
}

int arg_ll_or_reply(client *c, const karg *arg, long long *out, const char *err) {
    if (str_to_ll(arg->ptr, arg->len, out)) return 1;
    reply_error(c, err ? err : ERR_NOT_INT);
    return 0;
}

replyDeferred reply_deferred(client *c) {
    replyDeferred d = {NULL};
    if (!reply_enabled(c)) return d;
    /* A block of its own, marked full until the length is known, so later replies go after it
     * (appends only ever go to the tail block). */
    replyBlock *b = new_block(c, 32);
    b->used = b->size;
    d.slot = b;
    return d;
}

static void set_deferred(client *c, replyDeferred d, char prefix, long long n) {
    if (!d.slot) return;
    char buf[32];
    buf[0] = prefix;
    int len = 1 + ll_to_str(buf + 1, sizeof(buf) - 3, n);
    buf[len++] = '\r';
    buf[len++] = '\n';
    memcpy(d.slot->buf, buf, (size_t)len);
    d.slot->used = (size_t)len;
    c->reply_bytes += (size_t)len;
    if (c->flags & CLIENT_SLAVE) server.replica_output_bytes += (size_t)len;
    client_queue_write(c);   /* an empty aggregate may be the only output */
}

void reply_set_deferred_array(client *c, replyDeferred d, long long n) {
    set_deferred(c, d, '*', n);
}

void reply_set_deferred_map(client *c, replyDeferred d, long long n) {
    if (c->resp >= 3)
        set_deferred(c, d, '%', n);
    else
        set_deferred(c, d, '*', n * 2);
}

void reply_set_deferred_set(client *c, replyDeferred d, long long n) {
    set_deferred(c, d, c->resp >= 3 ? '~' : '*', n);
}
