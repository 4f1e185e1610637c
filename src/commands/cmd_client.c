/* cmd_client.c - CLIENT and its subcommands, and the CLIENT LIST line of a client.
 *
 * Client types, as Redis names them: "normal", "pubsub" (CLIENT_PUBSUB), "master" (the link to
 * our primary, CLIENT_MASTER) and "replica"/"slave" (CLIENT_SLAVE). MONITOR clients count as
 * normal, as in Redis. Client-side caching (TRACKING,
 * CACHING, GETREDIR, TRACKINGINFO) lives in core/tracking.c.
 * CLIENT UNBLOCK hands the blocked client to core/blocking.c. */
#include <string.h>

#include "commands/admin.h"
#include "commands/commands.h"
#include "core/acl.h"
#include "core/blocking.h"
#include "core/client_evict.h"
#include "core/event.h"
#include "core/multi.h"
#include "core/pubsub.h"
#include "core/tracking.h"
#include "protocol/reply.h"
#include "repl/repl.h"
#include "util/mem.h"
#include "util/util.h"

enum { CTYPE_NORMAL, CTYPE_REPLICA, CTYPE_PUBSUB, CTYPE_MASTER };

/* -1 if the name isn't a client type. */
static int client_type_by_name(const karg *a) {
    if (arg_is(a->ptr, a->len, "normal")) return CTYPE_NORMAL;
    if (arg_is(a->ptr, a->len, "slave") || arg_is(a->ptr, a->len, "replica")) return CTYPE_REPLICA;
    if (arg_is(a->ptr, a->len, "pubsub")) return CTYPE_PUBSUB;
    if (arg_is(a->ptr, a->len, "master")) return CTYPE_MASTER;
    return -1;
}

static int client_type(const client *c) {
    if (c->flags & CLIENT_MASTER) return CTYPE_MASTER;
    if (c->flags & CLIENT_SLAVE) return CTYPE_REPLICA;
    return (c->flags & CLIENT_PUBSUB) ? CTYPE_PUBSUB : CTYPE_NORMAL;
}

static void reply_unknown_type(client *c, const karg *a) {
    reply_errorf(c, "Unknown client type '%s'", a->ptr);
}

/* ---------------------------------------------------------------- CLIENT LIST line */

/* Flag letters in Redis's order; 'N' when none applies. *redir: the tracking redirect (redir=). */
static void client_flags_string(const client *c, char *out, long long *redir) {
    char *p = out;
    if (c->flags & CLIENT_MONITOR) *p++ = 'O';
    if (c->flags & CLIENT_SLAVE) *p++ = 'S';
    if (c->flags & CLIENT_MASTER) *p++ = 'M';
    if (c->flags & CLIENT_PUBSUB) *p++ = 'P';
    if (c->flags & CLIENT_MULTI) *p++ = 'x';
    if (c->flags & CLIENT_BLOCKED) *p++ = 'b';
    p = tracking_client_flags(c, p, redir);    /* core/tracking.c: t, R, B */
    if (multi_watch_dirty(c)) *p++ = 'd';      /* core/multi.c */
    if (c->flags & CLIENT_CLOSE_AFTER_REPLY) *p++ = 'c';
    if (c->flags & CLIENT_CLOSE_ASAP) *p++ = 'A';
    if (c->flags & CLIENT_UNIX_SOCKET) *p++ = 'U';
    if (c->flags & CLIENT_NO_EVICT) *p++ = 'e';
    if (p == out) *p++ = 'N';
    *p = '\0';
}

static size_t argv_bytes(const client *c) {
    size_t n = 0;
    for (int i = 0; i < c->argc; i++) n += c->argv[i].len;
    return n;
}

/* CLIENT LIST's qbuf and argv-mem as Redis shows them. While a big argument (32 KB or more,
 * Redis's PROTO_MBULK_BIG_ARG) is arriving, Redis has moved the request's earlier arguments
 * out of its query buffer (argv-mem) and the buffer starts at the big argument; Keel keeps
 * the whole request in its buffer (arguments are slices of it), so the figures are derived:
 * qbuf counts from the big argument's first byte, argv-mem the arguments before it. */
static void query_figures(const client *c, size_t *qbuf, size_t *argv_mem) {
    const reqParser *p = &c->parser;
    *qbuf = c->querybuf->len;
    *argv_mem = argv_bytes(c);
    if (c->argc == 0 && p->multibulk_len >= 0 && p->bulk_len >= 32 * 1024) {
        size_t start = c->qpos + p->pos;
        *qbuf = c->querybuf->len > start ? c->querybuf->len - start : 0;
        for (int i = 0; i < p->argc; i++) *argv_mem += p->argv[i].len;
    }
}

/* Output buffer figures: obl = bytes pending in the first block, oll = further blocks, omem =
 * their allocation. Keel's reply blocks play the part of Redis's buffer and reply list. */
static void output_figures(const client *c, size_t *obl, size_t *oll, size_t *omem) {
    *obl = *oll = *omem = 0;
    for (const replyBlock *b = c->reply_head; b; b = b->next) {
        if (b == c->reply_head) {
            *obl = b->used - b->sent;
        } else {
            (*oll)++;
            *omem += kmalloc_size(b);
        }
    }
    /* A replica's stream waits in the shared replication buffer: its share counts as Redis
     * counts it (omem here, tot-mem in client_info_line). */
    *omem += repl_client_output_memory(c);
}

const char *client_info_line(client *c, kstr **out) {
    char flags[16];
    long long redir;
    client_flags_string(c, flags, &redir);
    size_t obl, oll, omem, multi_mem;
    output_figures(c, &obl, &oll, &omem);
    multi_client_memory(c, &multi_mem);   /* core/multi.c: the queued arguments */
    size_t qbuf, argv_mem;
    query_figures(c, &qbuf, &argv_mem);
    long long now = mstime();
    size_t rbs = c->reply_tail ? c->reply_tail->size : 0;
    const command *cmd = c->cmd;
    int writable = c->fd >= 0 && (el_mask(server.el, c->fd) & EL_WRITABLE);
    long long sub, psub, ssub;
    pubsub_client_counts(c, &sub, &psub, &ssub);   /* core/pubsub.c */
    *out = kstr_catfmt(*out,
                       "id=%llu addr=%s laddr=%s fd=%d name=%s age=%lld idle=%lld flags=%s db=%d sub=%lld psub=%lld "
                       "ssub=%lld multi=%lld qbuf=%zu qbuf-free=%zu argv-mem=%zu multi-mem=%zu rbs=%zu rbp=%zu obl=%zu "
                       "oll=%zu omem=%zu tot-mem=%zu events=%s cmd=%s user=%s redir=%lld resp=%d\n",
                       (unsigned long long)c->id, c->addr, c->laddr, c->fd, c->name ? c->name->buf : "",
                       (now - c->ctime_ms) / 1000, (now - c->last_interaction_ms) / 1000, flags, c->db->id, sub, psub, ssub,
                       multi_queued_count(c),
                       qbuf, c->querybuf->cap - c->querybuf->len, argv_mem, multi_mem, rbs, rbs, obl, oll,
                       omem, client_memory_usage(c, NULL) + repl_client_output_memory(c), writable ? "rw" : "r",
                       cmd ? cmd->fullname : "NULL", acl_user_name(c->user), redir, c->resp);
    return (*out)->buf;
}

/* ---------------------------------------------------------------- filters (LIST, KILL) */

typedef struct clientFilter {
    int type;                 /* -1: any */
    const karg *user;         /* NULL: any */
    const karg *addr, *laddr; /* NULL: any */
    long long *ids;           /* NULL: any */
    int nids;
    int skipme;               /* KILL: leave the caller alone */
} clientFilter;

static int filter_match(const clientFilter *f, const client *target, const client *caller) {
    if (f->type >= 0 && client_type(target) != f->type) return 0;
    if (f->addr && strcmp(target->addr, f->addr->ptr) != 0) return 0;
    if (f->laddr && strcmp(target->laddr, f->laddr->ptr) != 0) return 0;
    if (f->skipme && target == caller) return 0;
    if (f->user && strcmp(acl_user_name(target->user), f->user->ptr) != 0) return 0;
    if (!f->ids) return 1;
    for (int i = 0; i < f->nids; i++)
        if ((unsigned long long)f->ids[i] == target->id) return 1;
    return 0;
}

static void reply_client_list(client *c, const clientFilter *f) {
    kstr *s = kstr_empty(256);
    /* Oldest first, as Redis lists them. */
    client *last = server.clients;
    while (last && last->next) last = last->next;
    for (client *x = last; x; x = x->prev)
        if (filter_match(f, x, c)) client_info_line(x, &s);
    reply_verbatim(c, s->buf, s->len, "txt");
    kstr_free(s);
}

void client_list_command(client *c) {
    clientFilter f = {.type = -1};
    if (c->argc == 4 && arg_is(c->argv[2].ptr, c->argv[2].len, "type")) {
        f.type = client_type_by_name(&c->argv[3]);
        if (f.type < 0) {
            reply_unknown_type(c, &c->argv[3]);
            return;
        }
    } else if (c->argc > 3 && arg_is(c->argv[2].ptr, c->argv[2].len, "id")) {
        f.nids = c->argc - 3;
        f.ids = kmalloc(sizeof(long long) * (size_t)f.nids);
        for (int i = 0; i < f.nids; i++) {
            if (!str_to_ll(c->argv[3 + i].ptr, c->argv[3 + i].len, &f.ids[i])) {
                reply_error(c, "Invalid client ID");
                kfree(f.ids);
                return;
            }
        }
    } else if (c->argc != 2) {
        reply_error(c, ERR_SYNTAX);
        return;
    }
    reply_client_list(c, &f);
    kfree(f.ids);
}

void client_info_command(client *c) {
    kstr *s = kstr_empty(256);
    client_info_line(c, &s);
    reply_verbatim(c, s->buf, s->len, "txt");
    kstr_free(s);
}

/* ---------------------------------------------------------------- KILL */

/* Parses the "<option> <value> ..." form. Replies the error and returns 0 on bad input. */
static int parse_kill_filter(client *c, clientFilter *f, long long *id) {
    if ((c->argc - 2) % 2 != 0) {
        reply_error(c, ERR_SYNTAX);
        return 0;
    }
    for (int i = 2; i < c->argc; i += 2) {
        const karg *opt = &c->argv[i], *val = &c->argv[i + 1];
        if (arg_is(opt->ptr, opt->len, "id")) {
            if (!str_to_ll(val->ptr, val->len, id) || *id < 1) {
                reply_error(c, "client-id should be greater than 0");
                return 0;
            }
            f->ids = id;
            f->nids = 1;
        } else if (arg_is(opt->ptr, opt->len, "type")) {
            f->type = client_type_by_name(val);
            if (f->type < 0) {
                reply_unknown_type(c, val);
                return 0;
            }
        } else if (arg_is(opt->ptr, opt->len, "addr")) {
            f->addr = val;
        } else if (arg_is(opt->ptr, opt->len, "laddr")) {
            f->laddr = val;
        } else if (arg_is(opt->ptr, opt->len, "user")) {
            if (!acl_user_exists(val)) {
                reply_errorf(c, "No such user '%s'", val->ptr);
                return 0;
            }
            f->user = val;
        } else if (arg_is(opt->ptr, opt->len, "skipme")) {
            if (arg_is(val->ptr, val->len, "yes")) f->skipme = 1;
            else if (arg_is(val->ptr, val->len, "no")) f->skipme = 0;
            else {
                reply_error(c, ERR_SYNTAX);
                return 0;
            }
        } else {
            reply_error(c, ERR_SYNTAX);
            return 0;
        }
    }
    return 1;
}

static long long kill_matching(client *c, const clientFilter *f) {
    long long killed = 0;
    for (client *x = server.clients; x; x = x->next) {
        if (!filter_match(f, x, c)) continue;
        /* The caller gets its reply first; others go before the next poll. */
        if (x == c) c->flags |= CLIENT_CLOSE_AFTER_REPLY;
        else client_close_async(x);
        killed++;
    }
    return killed;
}

void client_kill_command(client *c) {
    clientFilter f = {.type = -1, .skipme = 1};
    long long id;
    if (c->argc == 3) {
        /* Old form: CLIENT KILL addr:port, which may kill the caller too. */
        f.addr = &c->argv[2];
        f.skipme = 0;
        if (kill_matching(c, &f) == 0) reply_error(c, "No such client");
        else reply_ok(c);
        return;
    }
    if (!parse_kill_filter(c, &f, &id)) return;
    reply_integer(c, kill_matching(c, &f));
}

/* ---------------------------------------------------------------- names, ids */

int client_set_name(client *c, const karg *name) {
    for (size_t i = 0; i < name->len; i++) {
        if (name->ptr[i] < '!' || name->ptr[i] > '~') {
            reply_error(c, "Client names cannot contain spaces, newlines or special characters.");
            return 0;
        }
    }
    kstr_free(c->name);
    c->name = name->len ? kstr_new(name->ptr, name->len) : NULL;
    return 1;
}

void client_setname_command(client *c) {
    if (client_set_name(c, &c->argv[2])) reply_ok(c);
}

void client_getname_command(client *c) {
    if (c->name) reply_bulk_kstr(c, c->name);
    else reply_null(c);
}

void client_id_command(client *c) {
    reply_integer(c, (long long)c->id);
}

/* GETREDIR, TRACKINGINFO, TRACKING and CACHING live in core/tracking.c. */

/* ---------------------------------------------------------------- UNBLOCK */

static client *client_by_id(long long id) {
    for (client *x = server.clients; x; x = x->next)
        if ((long long)x->id == id) return x;
    return NULL;
}

/* CLIENT UNBLOCK id [TIMEOUT|ERROR]: 1 if the client was blocked on keys (it then gets the
 * timeout reply, or the UNBLOCKED error), 0 otherwise. */
void client_unblock_command(client *c) {
    int error = 0;
    if (c->argc > 4) {
        reply_subcommand_syntax_error(c);
        return;
    }
    if (c->argc == 4) {
        const karg *why = &c->argv[3];
        if (arg_is(why->ptr, why->len, "error")) error = 1;
        else if (!arg_is(why->ptr, why->len, "timeout")) {
            reply_error(c, "CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
            return;
        }
    }
    long long id;
    if (!arg_ll_or_reply(c, &c->argv[2], &id, NULL)) return;
    client *target = client_by_id(id);
    reply_integer(c, target && blocking_unblock_client(target, error));
}

/* ---------------------------------------------------------------- PAUSE, REPLY, NO-EVICT */

void client_pause_command(client *c) {
    long long ms;
    if (!str_to_ll(c->argv[2].ptr, c->argv[2].len, &ms)) {
        reply_error(c, "timeout is not an integer or out of range");
        return;
    }
    if (ms < 0) {
        reply_error(c, "timeout is negative");
        return;
    }
    int write_only = 0;
    if (c->argc == 4) {
        const karg *mode = &c->argv[3];
        if (arg_is(mode->ptr, mode->len, "write")) write_only = 1;
        else if (!arg_is(mode->ptr, mode->len, "all")) {
            reply_error(c, "CLIENT PAUSE mode must be WRITE or ALL");
            return;
        }
    } else if (c->argc > 4) {
        reply_subcommand_syntax_error(c);
        return;
    }
    /* A pause in effect is never shortened nor weakened (ALL beats WRITE), as in Redis. */
    long long end = mstime() + ms;
    if (server_clients_paused()) {
        server.clients_pause_write_only = server.clients_pause_write_only && write_only;
        if (end > server.clients_paused_until_ms) server.clients_paused_until_ms = end;
    } else {
        server.clients_pause_write_only = write_only;
        server.clients_paused_until_ms = end;
    }
    reply_ok(c);
}

void client_unpause_command(client *c) {
    /* Held clients resume before the next poll (clients_resume_paused). */
    server.clients_paused_until_ms = 0;
    server.clients_pause_write_only = 0;
    reply_ok(c);
}

void client_reply_command(client *c) {
    const karg *a = &c->argv[2];
    if (arg_is(a->ptr, a->len, "on")) {
        c->flags &= ~(CLIENT_REPLY_OFF | CLIENT_REPLY_SKIP);   /* even this command's skip */
        reply_ok(c);
    } else if (arg_is(a->ptr, a->len, "off")) {
        c->flags |= CLIENT_REPLY_OFF;
    } else if (arg_is(a->ptr, a->len, "skip")) {
        if (!(c->flags & CLIENT_REPLY_OFF)) c->flags |= CLIENT_REPLY_SKIP_NEXT;
    } else {
        reply_error(c, ERR_SYNTAX);
    }
}

void client_no_evict_command(client *c) {
    const karg *a = &c->argv[2];
    if (arg_is(a->ptr, a->len, "on")) c->flags |= CLIENT_NO_EVICT;
    else if (arg_is(a->ptr, a->len, "off")) c->flags &= ~CLIENT_NO_EVICT;
    else {
        reply_error(c, ERR_SYNTAX);
        return;
    }
    client_mem_update(c);   /* core/client_evict.c: into or out of the eviction buckets */
    reply_ok(c);
}

void client_help_command(client *c) {
    static const char *const help[] = {
        "CACHING (YES|NO)",
        "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
        "GETREDIR",
        "    Return the client ID we are redirecting to when tracking is enabled.",
        "GETNAME",
        "    Return the name of the current connection.",
        "ID",
        "    Return the ID of the current connection.",
        "INFO",
        "    Return information about the current client connection.",
        "KILL <ip:port>",
        "    Kill connection made from <ip:port>.",
        "KILL <option> <value> [<option> <value> [...]]",
        "    Kill connections. Options are:",
        "    * ADDR (<ip:port>|<unixsocket>:0)",
        "      Kill connections made from the specified address",
        "    * LADDR (<ip:port>|<unixsocket>:0)",
        "      Kill connections made to specified local address",
        "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
        "      Kill connections by type.",
        "    * USER <username>",
        "      Kill connections authenticated by <username>.",
        "    * SKIPME (YES|NO)",
        "      Skip killing current connection (default: yes).",
        "LIST [options ...]",
        "    Return information about client connections. Options:",
        "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
        "      Return clients of specified type.",
        "UNPAUSE",
        "    Stop the current client pause, resuming traffic.",
        "PAUSE <timeout> [WRITE|ALL]",
        "    Suspend all, or just write, clients for <timeout> milliseconds.",
        "REPLY (ON|OFF|SKIP)",
        "    Control the replies sent to the current connection.",
        "SETNAME <name>",
        "    Assign the name <name> to the current connection.",
        "UNBLOCK <clientid> [TIMEOUT|ERROR]",
        "    Unblock the specified blocked client.",
        "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
        "         [OPTIN] [OPTOUT] [NOLOOP]",
        "    Control server assisted client side caching.",
        "TRACKINGINFO",
        "    Report tracking status for the current connection.",
        "NO-EVICT (ON|OFF)",
        "    Protect current client connection from eviction.",
        NULL,
    };
    reply_help(c, help);
}
