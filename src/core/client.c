/* client.c - connected clients: reading requests, running them, writing replies, limits.
 *
 * Life of a request: the read handler appends socket bytes to querybuf, then parses and runs as
 * many complete commands as the buffer holds (pipelining), each through process_command().
 * Replies accumulate in the client's block list; the client is queued on server.pending_writes
 * and written before the next poll (one write for a whole pipeline). What the socket doesn't
 * take is written when it becomes writable.
 *
 * A client is never freed while one of its commands runs (CLIENT_EXECUTING): closing it then
 * only marks CLIENT_CLOSE_ASAP, and the close happens after the command returns. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "core/acl.h"
#include "core/blocking.h"
#include "core/client_evict.h"
#include "core/monitor.h"
#include "core/multi.h"
#include "core/pubsub.h"
#include "core/tls.h"
#include "core/tracking.h"
#include "protocol/reply.h"
#include "server.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/util.h"

/* Bytes read from one client per readable event. Redis reads 16 KB; Keel reads 4 KB so that a
 * client streaming a long pipeline yields the loop every ~100 commands: with 16 KB a PING from
 * another client waited behind ~1 ms of a bulk loader's commands (bench/growth.py: PING p50
 * 1.1 ms; with 4 KB 0.2 ms, and the loader itself goes faster). Big arguments are still read
 * whole (req_pending_bulk). */
#define READ_CHUNK (16 * 1024)       /* Redis's PROTO_IOBUF_LEN */
#define QUERYBUF_RESIZE_MIN (32 * 1024) /* Redis's PROTO_RESIZE_THRESHOLD */
#define WRITE_MAX_PER_EVENT (64 * 1024 * 1024)

void (*client_master_applied)(client *c, const char *buf, size_t len);
void (*client_repl_freed)(client *c);
int (*client_repl_output)(client *c, struct iovec *iov, int max);
void (*client_repl_sent)(client *c, size_t n);
int (*client_repl_pending)(const client *c);

static client *closing_clients;  /* CLIENT_CLOSE_ASAP clients, linked through close_next */
static int some_client_paused;   /* a client stopped reading for CLIENT PAUSE */

static void unlink_client(client *c) {
    if (c->prev) c->prev->next = c->next;
    else if (server.clients == c) server.clients = c->next;
    if (c->next) c->next->prev = c->prev;
    c->prev = c->next = NULL;
}

static void init_client(client *c) {
    c->id = ++server.next_client_id;
    c->resp = 2;
    acl_client_set_default(c);   /* core/acl.c: the default user, authenticated if it has no password */
    c->db = db_by_id(0);
    c->querybuf = kstr_empty(0);
    req_init(&c->parser, server.proto_max_bulk_len);
    c->ctime_ms = c->last_interaction_ms = mstime();
}

client *client_create(int fd, int is_unix) {
    client *c = kcalloc(sizeof(*c));
    c->fd = fd;
    init_client(c);
    if (is_unix) c->flags |= CLIENT_UNIX_SOCKET;
    c->next = server.clients;
    if (server.clients) server.clients->prev = c;
    server.clients = c;
    server.nclients++;
    if (el_add(server.el, fd, EL_READABLE, client_read_handler, c) < 0) {
        client_free(c);
        return NULL;
    }
    return c;
}

client *client_create_fake(void) {
    client *c = kcalloc(sizeof(*c));
    c->fd = -1;
    init_client(c);
    c->flags |= CLIENT_FAKE;
    c->authenticated = 1;
    c->user = NULL;   /* runs anything; a script's commands are checked for its caller */
    return c;
}

void client_free(client *c) {
    if (c == server.current_client) server.current_client = NULL;
    client_mem_freed(c);        /* core/client_evict.c */
    /* Its queued output stops counting as a replica's before the link goes (src/repl/ forgets
     * the replica without looking at CLIENT_SLAVE). */
    if (c->flags & CLIENT_SLAVE) {
        server.replica_output_bytes -= c->reply_bytes;
        c->flags &= ~CLIENT_SLAVE;
    }
    if (client_repl_freed && ((c->flags & CLIENT_MASTER) || c->rlink)) client_repl_freed(c);
    blocking_client_freed(c);   /* core/blocking.c: leave the wait queues */
    multi_reset(c);             /* core/multi.c: drop the queue and the WATCHes */
    pubsub_unsubscribe_all(c);  /* core/pubsub.c: leave every channel and pattern */
    tracking_client_reset(c);   /* core/tracking.c: tracking off, prefixes dropped */
    if (c->fd >= 0) {
        el_del(server.el, c->fd, EL_READABLE | EL_WRITABLE);
        if (c->tls) tls_conn_free(c);
        close(c->fd);
        c->fd = -1;
        unlink_client(c);
        server.nclients--;
    }
    if (c->flags & CLIENT_PENDING_WRITE) {
        client **link = &server.pending_writes;
        while (*link && *link != c) link = &(*link)->pending_next;
        if (*link) *link = c->pending_next;
    }
    monitor_remove(c);
    if (c->flags & CLIENT_CLOSE_ASAP) {
        client **link = &closing_clients;
        while (*link && *link != c) link = &(*link)->close_next;
        if (*link) *link = c->close_next;
    }
    reply_free_all(c);
    req_free(&c->parser);
    kstr_free(c->querybuf);
    kstr_free(c->name);
    kfree(c);
}

/* Marks the client to be closed before the next poll; safe from inside its own command. */
void client_close_async(client *c) {
    if (c->flags & (CLIENT_CLOSE_ASAP | CLIENT_FAKE)) return;
    c->flags |= CLIENT_CLOSE_ASAP;
    client_mem_forget(c);   /* a closing client's memory is not evicted again */
    c->close_next = closing_clients;
    closing_clients = c;
}

void client_queue_write(client *c) {
    if (c->flags & (CLIENT_PENDING_WRITE | CLIENT_FAKE)) return;
    c->flags |= CLIENT_PENDING_WRITE;
    c->pending_next = server.pending_writes;
    server.pending_writes = c;
}

void client_set_args(client *c, int argc, karg *argv) {
    c->argc = argc;
    c->argv = argv;
}

void client_execute(client *c, int argc, karg *argv) {
    client_set_args(c, argc, argv);
    c->flags |= CLIENT_EXECUTING;
    process_command(c);
    c->flags &= ~CLIENT_EXECUTING;
    c->argc = 0;
    c->argv = NULL;
    if (c->flags & CLIENT_READ_HELD) {   /* see client_read_handler */
        c->flags &= ~CLIENT_READ_HELD;
        if (c->fd >= 0 && !(c->flags & CLIENT_CLOSE_ASAP))
            el_add(server.el, c->fd, EL_READABLE, client_read_handler, c);
    }
}

/* Writes as much queued output as the socket takes. Returns -1 if the client was freed. */
void (*client_output_barrier)(void);

/* Writes iov[0..n) (TLS: iov[0] only, one record per SSL_write); counts the bytes. Returns what
 * the socket took, 0 if it would block, -1 if the client was closed on an error. */
static ssize_t write_iov(client *c, struct iovec *iov, int n) {
    /* TLS: one block per SSL_write (a record each; the caller goes on with the next). One
     * block (nearly every reply) goes by write(): the kernel's writev path copies and checks
     * the iovec array first, measurably more per request at -P 1. */
    ssize_t w = c->tls  ? tls_write(c, iov[0].iov_base, iov[0].iov_len)
                : n == 1 ? write(c->fd, iov[0].iov_base, iov[0].iov_len)
                         : writev(c->fd, iov, n);
    if (w < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return 0;
        log_msg(LL_VERBOSE, "Error writing to client: %s", strerror(errno));
        /* A client whose command is still running (a long script serving others writes
         * pending output) is closed once that command returns. */
        if (c->flags & CLIENT_EXECUTING) client_close_async(c);
        else client_free(c);
        return -1;
    }
    server.stat_net_output_bytes += w;
    return w;
}

int client_output_pending(const client *c) {
    return c->reply_bytes > 0 || (c->rlink && client_repl_pending && client_repl_pending(c));
}

int client_write_now(client *c) {
    size_t total = 0;
    int blocked = 0;   /* the socket took less than offered */
    if (client_output_barrier && c->reply_head) client_output_barrier();
    while (c->reply_head) {
        replyBlock *b = c->reply_head;
        if (b->sent == b->used) {
            /* A fully sent block: drop it, unless it's the tail that may take more bytes. */
            if (b == c->reply_tail) {
                b->used = b->sent = 0;
                break;
            }
            c->reply_head = b->next;
            kfree(b);
            continue;
        }
        struct iovec iov[16];
        int n = 0;
        size_t offered = 0;
        for (replyBlock *x = b; x && n < 16; x = x->next) {
            size_t off = x == b ? b->sent : 0;
            if (x->used > off) {
                iov[n].iov_base = x->buf + off;
                iov[n].iov_len = x->used - off;
                offered += iov[n].iov_len;
                n++;
            }
        }
        ssize_t w = write_iov(c, iov, n);
        if (w < 0) return -1;
        total += (size_t)w;
        c->reply_bytes -= (size_t)w;
        if (c->flags & CLIENT_SLAVE) server.replica_output_bytes -= (size_t)w;
        size_t left = (size_t)w;
        for (replyBlock *x = c->reply_head; x && left;) {
            size_t pending = x->used - x->sent;
            size_t take = left < pending ? left : pending;
            x->sent += take;
            left -= take;
            if (x->sent == x->used && x != c->reply_tail) {
                c->reply_head = x->next;
                kfree(x);
                x = c->reply_head;
            } else {
                x = x->next;
            }
        }
        if ((size_t)w < (c->tls ? iov[0].iov_len : offered)) blocked = 1;
        if (blocked || total > WRITE_MAX_PER_EVENT) break;  /* be fair to other clients */
    }
    /* A replica's stream follows its own replies, straight from the shared replication buffer. */
    while (!blocked && c->reply_bytes == 0 && c->rlink && client_repl_output && total <= WRITE_MAX_PER_EVENT) {
        struct iovec iov[16];
        int n = client_repl_output(c, iov, 16);
        if (n == 0) break;
        size_t offered = 0;
        for (int i = 0; i < n; i++) offered += iov[i].iov_len;
        ssize_t w = write_iov(c, iov, n);
        if (w < 0) return -1;
        total += (size_t)w;
        if (w) client_repl_sent(c, (size_t)w);
        if ((size_t)w < (c->tls ? iov[0].iov_len : offered)) blocked = 1;
    }
    int pending = client_output_pending(c);
    if (!pending && (c->flags & CLIENT_CLOSE_AFTER_REPLY)) {
        client_free(c);
        return -1;
    }
    client_mem_update(c);   /* its output shrank (or grew since the last count) */
    if (c->tls) {
        tls_update_interest(c);   /* OpenSSL may wait for readability instead */
        return 0;
    }
    int mask = el_mask(server.el, c->fd);
    if (pending && !(mask & EL_WRITABLE)) {
        el_add(server.el, c->fd, EL_WRITABLE, client_read_handler, c);
    } else if (!pending && (mask & EL_WRITABLE)) {
        el_del(server.el, c->fd, EL_WRITABLE);
    }
    return 0;
}

static void free_closing_clients(void) {
    while (closing_clients) {
        client *c = closing_clients;
        if (c->flags & CLIENT_EXECUTING) break;  /* freed after its command returns */
        closing_clients = c->close_next;
        c->flags &= ~CLIENT_CLOSE_ASAP;
        client_free(c);
    }
}

void clients_write_pending(void) {
    while (server.pending_writes) {
        client *c = server.pending_writes;
        server.pending_writes = c->pending_next;
        c->pending_next = NULL;
        c->flags &= ~CLIENT_PENDING_WRITE;
        if (c->flags & CLIENT_CLOSE_ASAP) continue;
        client_write_now(c);
    }
    free_closing_clients();
}

/* Keeps the parsed-but-unconsumed tail of the query buffer and drops the rest. */
static void trim_querybuf(client *c) {
    if (c->qpos == 0) return;
    kstr_range_keep(c->querybuf, c->qpos, c->querybuf->len - c->qpos);
    c->qpos = 0;
}

static void protocol_error(client *c, const char *msg) {
    log_msg(LL_VERBOSE, "Protocol error (%s) from client: id=%llu addr=%s", msg,
            (unsigned long long)c->id, c->addr);
    reply_error(c, msg);
    c->flags |= CLIENT_CLOSE_AFTER_REPLY;
}

/* CLIENT PAUSE WRITE and FAILOVER hold the commands that may change data (write or
 * may-replicate, as Redis), and EXEC of a transaction holding one; everything else runs. The
 * master client is never held (a failing-over primary becomes a replica while writes wait),
 * nor are replicas (see held_by_pause). */
static int held_by_write_pause(client *c) {
    if (c->flags & (CLIENT_FAKE | CLIENT_SLAVE)) return 0;
    int failover = (server.failover_pause || server.shutdown_deadline_ms) && !(c->flags & CLIENT_MASTER);
    if (!failover && (!server.clients_pause_write_only || !server_clients_paused())) return 0;
    if (c->parser.argc == 0) return 0;
    const command *cmd = command_lookup_argv(c->parser.argc, c->parser.argv);
    if (!cmd || !command_arity_ok(cmd, c->parser.argc)) return 0;   /* its error replies at once */
    uint64_t flags = command_call_flags(cmd, c->parser.argc, c->parser.argv) |
                     ((cmd->flags & CMD_EXECS_QUEUED) ? multi_queued_flags(c) : 0);
    return (flags & (CMD_WRITE | CMD_MAY_REPLICATE)) != 0;
}

/* CLIENT PAUSE (ALL) holds every client but a replica, as Redis: a replica's REPLCONF ACKs
 * are still read, so WAIT and a shutdown waiting for its replicas see their offsets (a SIGTERM
 * during a pause otherwise waited all of shutdown-timeout for an ack already sent). */
static int held_by_pause(client *c) {
    return server_clients_paused() && !server.clients_pause_write_only && !(c->flags & (CLIENT_FAKE | CLIENT_SLAVE));
}

/* Parses and runs every complete command in the buffer. */
static void process_input(client *c) {
    while (c->qpos < c->querybuf->len) {
        if (c->flags & (CLIENT_CLOSE_AFTER_REPLY | CLIENT_CLOSE_ASAP | CLIENT_BLOCKED)) break;
        if (c->paused || held_by_pause(c)) {
            c->paused = 1;
            some_client_paused = 1;
            break;
        }
        size_t used = 0;
        c->parser.unauthenticated = acl_auth_required(c);
        int r = req_parse(&c->parser, c->querybuf->buf + c->qpos, c->querybuf->len - c->qpos, &used);
        if (r == REQ_INCOMPLETE) break;
        if (r == REQ_ERROR) {
            protocol_error(c, c->parser.error);
            break;
        }
        if (held_by_write_pause(c)) {
            /* Not consumed: the command is parsed again when the pause ends. */
            c->paused = 1;
            some_client_paused = 1;
            break;
        }
        char *start = c->querybuf->buf + c->qpos;
        c->qpos += used;
        if (c->parser.argc == 0) continue;
        if (server.maxmemory_clients) {
            /* As Redis before each command: the clients over maxmemory-clients go first,
             * this one too (its command then never runs). */
            client_mem_update(c);
            clients_evict(0);
            if (c->flags & CLIENT_CLOSE_ASAP) break;
        }
        client_execute(c, c->parser.argc, c->parser.argv);
        client_mem_update(c);
        if ((c->flags & CLIENT_MASTER) && client_master_applied) client_master_applied(c, start, used);
    }
    trim_querybuf(c);
    client_mem_update(c);   /* a big argument still arriving counts as it grows */
}

/* The connection is gone or must close while reading: freed now, or - when one of its commands
 * is still running (a long script or an AOF load serving the loop) - once that command returns,
 * with no more read events meanwhile. */
static void drop_reader(client *c) {
    if (c->flags & CLIENT_EXECUTING) {
        el_del(server.el, c->fd, EL_READABLE);
        client_close_async(c);
    } else {
        client_free(c);
    }
}

void client_read_handler(eventLoop *el, int fd, void *data, int mask) {
    client *c = data;
    if (c->tls && tls_event(c, &mask) <= 0) return;   /* handshake, or OpenSSL's cross waits */
    if (mask & EL_WRITABLE) {
        client_write_now(c);
        return;
    }
    /* The loop is served from inside one of this client's commands (an AOF load for DEBUG
     * LOADAOF, a slow script of the AOF): its arguments point into the query buffer, which a
     * read could move, and its next command must wait. Reading resumes when it returns (a
     * disconnect is seen then). */
    if (c->flags & CLIENT_EXECUTING) {
        el_del(server.el, c->fd, EL_READABLE);
        c->flags |= CLIENT_READ_HELD;
        return;
    }
    size_t want = READ_CHUNK;
    size_t big = req_pending_bulk(&c->parser, c->querybuf->len - c->qpos);
    if (big > want) want = big;  /* read a big argument with few syscalls */
    if (want > (size_t)1 << 26) want = (size_t)1 << 26;
    /* As Redis: a big argument, or a first buffer, gets exactly the room asked for; otherwise
     * the buffer grows greedily and a read fills what it has. The cron shrinks it back. */
    if (big > READ_CHUNK || c->querybuf->cap < READ_CHUNK) {
        c->querybuf = kstr_reserve_exact(c->querybuf, want);
    } else {
        c->querybuf = kstr_reserve(c->querybuf, want);
        want = c->querybuf->cap - c->querybuf->len;
    }
    ssize_t n = c->tls ? tls_read(c, c->querybuf->buf + c->querybuf->len, want)
                       : read(fd, c->querybuf->buf + c->querybuf->len, want);
    if (n == 0) {
        log_msg(LL_VERBOSE, "Client closed connection id=%llu addr=%s", (unsigned long long)c->id, c->addr);
        drop_reader(c);
        return;
    }
    if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return;
        log_msg(LL_VERBOSE, "Reading from client: %s", strerror(errno));
        drop_reader(c);
        return;
    }
    c->querybuf->len += (size_t)n;
    c->querybuf->buf[c->querybuf->len] = '\0';
    server.stat_net_input_bytes += n;
    c->last_interaction_ms = mstime();
    if (c->querybuf->len > c->querybuf_peak) c->querybuf_peak = c->querybuf->len;
    if (server.client_max_querybuf_len && (long long)(c->querybuf->len - c->qpos) > server.client_max_querybuf_len) {
        log_msg(LL_WARNING, "Closing client that reached max query buffer length: id=%llu addr=%s qbuf=%zu",
                (unsigned long long)c->id, c->addr, c->querybuf->len);
        server.stat_client_qbuf_limit_disconnections++;
        drop_reader(c);
        return;
    }
    process_input(c);
    if (c->flags & CLIENT_CLOSE_ASAP) return;
    /* Give back the argument array of a big request once it's done (the cron shrinks the
     * query buffer). */
    if (c->parser.argv_cap > 1024 && c->parser.multibulk_len < 0) {
        kfree(c->parser.argv);
        c->parser.argv = NULL;
        c->parser.argv_cap = 0;
    }
}

void client_process_input(client *c) {
    process_input(c);
}

/* Scripting hooks (src/scripting/lua_engine.c). While a script runs past busy-reply-threshold
 * the event loop is not running: one poll serves the other clients and accepts new ones
 * (dispatch answers -BUSY to all but SCRIPT KILL, SHUTDOWN NOSAVE and the other allow-busy
 * commands), then the replies are written. The client running the script stops reading
 * meanwhile: its query buffer holds the arguments of the command in progress. */
void (*clients_busy_cron)(void);

void clients_process_while_busy(void) {
    if (clients_busy_cron) clients_busy_cron();
    el_poll_once(server.el, 0);
    clients_write_pending();
}

void client_pause_reading(client *c, int pause) {
    if (c->fd < 0) return;
    if (pause) el_del(server.el, c->fd, EL_READABLE);
    else el_add(server.el, c->fd, EL_READABLE, client_read_handler, c);
}

/* Resumes clients that CLIENT PAUSE held and that still have buffered input. */
void clients_resume_paused(void) {
    if (!some_client_paused || server_clients_paused() || server.failover_pause || server.shutdown_deadline_ms) return;
    some_client_paused = 0;
    for (client *c = server.clients; c;) {
        client *next = c->next;
        if (c->paused) {
            c->paused = 0;
            process_input(c);
        }
        c = next;
    }
}

int client_is_local(const client *c) {
    return (c->flags & CLIENT_UNIX_SOCKET) || strncmp(c->addr, "127.", 4) == 0 || strncmp(c->addr, "::1:", 4) == 0;
}

/* Redis's query buffer policy (CLIENT LIST's qbuf-free shows it): a buffer wasting more than
 * 4 KB shrinks to its content once the client is idle for more than 2 s, or, past 32 KB, to
 * the peak seen since the last cron run (and the bulk being read) when that is under half of
 * it. The peak then restarts from the current length. */
static void resize_querybuf(client *c, long long now) {
    kstr *q = c->querybuf;
    size_t bulk = c->parser.multibulk_len >= 0 && c->parser.bulk_len >= 0 ? (size_t)c->parser.bulk_len : 0;
    if (q->cap - q->len > 4 * 1024) {
        if (now / 1000 - c->last_interaction_ms / 1000 > 2) {
            c->querybuf = kstr_resize(q, q->len);
        } else if (q->cap > QUERYBUF_RESIZE_MIN && q->cap / 2 > c->querybuf_peak) {
            size_t size = q->len > c->querybuf_peak ? q->len : c->querybuf_peak;
            c->querybuf = kstr_resize(q, size > bulk ? size : bulk);
        }
    }
    c->querybuf_peak = c->querybuf->len > bulk ? c->querybuf->len : bulk;
}

/* Timeouts and output buffer soft limits; runs from the server cron. */
void clients_cron(void) {
    long long now = mstime();
    for (client *c = server.clients; c;) {
        client *next = c->next;
        if (server.maxidletime && !(c->flags & (CLIENT_MONITOR | CLIENT_PUBSUB | CLIENT_BLOCKED | CLIENT_MASTER | CLIENT_SLAVE)) &&
            now - c->last_interaction_ms > (long long)server.maxidletime * 1000) {
            log_msg(LL_VERBOSE, "Closing idle client");
            client_free(c);
        } else {
            int cls = (c->flags & CLIENT_SLAVE) ? OBUF_REPLICA : (c->flags & CLIENT_PUBSUB) ? OBUF_PUBSUB : OBUF_NORMAL;
            obufLimit *l = &server.obuf_limits[cls];
            if (l->soft_bytes && (long long)c->reply_bytes > l->soft_bytes) {
                if (!c->obuf_soft_since) {
                    c->obuf_soft_since = now;
                } else if (now / 1000 - c->obuf_soft_since / 1000 > l->soft_seconds) {
                    /* Whole seconds, as Redis counts them: never before soft_seconds passed. */
                    server.stat_client_outbuf_limit_disconnections++;
                    client_close_async(c);
                }
            } else {
                c->obuf_soft_since = 0;
            }
            resize_querybuf(c, now);
        }
        c = next;
    }
}
