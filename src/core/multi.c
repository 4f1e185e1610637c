/* multi.c - MULTI, EXEC, DISCARD, WATCH, UNWATCH; see multi.h for the model and invariants.
 *
 * Structures:
 *  - per client (c->mstate): the queue of commands, each one allocation holding the command row,
 *    a karg array and the argument bytes (the client's argv points into its query buffer, which
 *    moves on before EXEC); the two failure flags; the client's watchNodes;
 *  - per database id, a Keel table of watchKey entries (key -> list of watchNodes). Tables are
 *    per id, not per kdb contents: SWAPDB leaves clients watching in the database they chose. */
#include "core/multi.h"

#include <string.h>

#include "core/acl.h"
#include "keyspace/db.h"
#include "protocol/reply.h"
#include "util/mem.h"

typedef struct watchKey watchKey;

typedef struct watchNode {
    struct watchNode *prev, *next;   /* in the watchKey's list */
    struct watchNode *c_next;        /* in the client's list */
    client *c;
    watchKey *wk;
    kdb *db;
    int expired;                     /* the key was already logically expired at WATCH time */
} watchNode;

struct watchKey {
    tableLink link;
    watchNode *head;
    uint32_t klen;
    char key[];
};

typedef struct queuedCmd {
    const command *cmd;
    int argc;
    karg argv[];                     /* then the argument bytes, each NUL-terminated */
} queuedCmd;

typedef struct multiState {
    queuedCmd **queue;
    size_t len, cap;
    int dirty_exec;                  /* a command was rejected while queueing: EXECABORT */
    int dirty_cas;                   /* a watched key changed: EXEC replies a null array */
    uint64_t queued_flags;           /* union of the queued commands' flags */
    uint64_t queued_inv_flags;       /* union of their complements: a flag some command lacks */
    size_t queued_alloc;             /* the queued copies' allocations (client memory) */
    size_t queued_arg_bytes;         /* CLIENT LIST multi-mem: their lengths + a pointer each */
    size_t nwatched;                 /* the client's watchNodes */
    watchNode *watched;
} multiState;

static table **watch_tables;         /* by db id, created on first WATCH */
static long long nwatched;           /* watchNodes alive: touching keys is free when 0 */

/* ---------------------------------------------------------------- state */

static multiState *state_of(client *c) {
    if (!c->mstate) c->mstate = kcalloc(sizeof(multiState));
    return c->mstate;
}

/* Keeps c->mstate NULL when it holds nothing. */
static void maybe_free_state(client *c) {
    multiState *ms = c->mstate;
    if (!ms || (c->flags & CLIENT_MULTI) || ms->watched) return;
    kfree(ms->queue);
    kfree(ms);
    c->mstate = NULL;
}

static void free_queue(multiState *ms) {
    for (size_t i = 0; i < ms->len; i++) kfree(ms->queue[i]);
    ms->len = 0;
    ms->queued_alloc = ms->queued_arg_bytes = 0;
    ms->dirty_exec = 0;
    ms->queued_flags = 0;
    ms->queued_inv_flags = 0;
}

int multi_refused_when_oom(const client *c, const command *cmd) {
    if (cmd->flags & CMD_DENYOOM) return 1;
    if (cmd->flags & CMD_EXECS_QUEUED) return c->mstate && (c->mstate->queued_flags & CMD_DENYOOM);
    return (c->flags & CLIENT_MULTI) && !(cmd->flags & CMD_MULTI_LEAVES);
}

int multi_watch_dirty(const client *c) {
    return c->mstate && c->mstate->dirty_cas;
}

int multi_queued_command(const client *c, size_t i, const command **cmd, int *argc, const karg **argv) {
    if (!(c->flags & CLIENT_MULTI) || !c->mstate || i >= c->mstate->len) return 0;
    const queuedCmd *q = c->mstate->queue[i];
    *cmd = q->cmd;
    *argc = q->argc;
    *argv = q->argv;
    return 1;
}

uint64_t multi_queued_flags(const client *c) {
    return (c->flags & CLIENT_MULTI) && c->mstate ? c->mstate->queued_flags : 0;
}

/* The command's flags as Redis's getCommandFlags gives them (an EVAL's shebang flags replace
 * its row's), then, for EXEC, those of what it queued. */
uint64_t multi_exec_flags(const client *c, const command *cmd, uint64_t flag) {
    uint64_t f = command_call_flags(cmd, c->argc, c->argv);
    if (f & flag) return flag;
    return (f & CMD_EXECS_QUEUED) ? multi_queued_flags(c) & flag : 0;
}

int multi_exec_lacks(const client *c, const command *cmd, uint64_t flag) {
    if (!(command_call_flags(cmd, c->argc, c->argv) & flag)) return 1;
    return (cmd->flags & CMD_EXECS_QUEUED) && (c->flags & CLIENT_MULTI) && c->mstate &&
           (c->mstate->queued_inv_flags & flag);
}

size_t multi_client_memory(const client *c, size_t *arg_bytes) {
    const multiState *ms = c->mstate;
    if (arg_bytes) *arg_bytes = ms ? ms->queued_arg_bytes : 0;
    if (!ms) return 0;
    return sizeof(*ms) + ms->cap * sizeof(*ms->queue) + ms->queued_alloc + ms->nwatched * sizeof(watchNode);
}

long long multi_queued_count(const client *c) {
    if (!(c->flags & CLIENT_MULTI)) return -1;
    return c->mstate ? (long long)c->mstate->len : 0;
}

/* ---------------------------------------------------------------- queueing */

int multi_runs_immediately(const command *cmd) {
    return (cmd->flags & CMD_MULTI_RUNS_NOW) != 0;
}

static queuedCmd *queued_copy(const command *cmd, int argc, const karg *argv) {
    size_t bytes = 0;
    for (int i = 0; i < argc; i++) bytes += argv[i].len + 1;
    queuedCmd *q = kmalloc(sizeof(*q) + sizeof(karg) * (size_t)argc + bytes);
    q->cmd = cmd;
    q->argc = argc;
    char *p = (char *)&q->argv[argc];
    for (int i = 0; i < argc; i++) {
        memcpy(p, argv[i].ptr, argv[i].len);
        p[argv[i].len] = '\0';
        q->argv[i].ptr = p;
        q->argv[i].len = argv[i].len;
        p += argv[i].len + 1;
    }
    return q;
}

void multi_queue_command(client *c, const command *cmd) {
    multiState *ms = state_of(c);
    /* Once the transaction is doomed, keeping more commands would only waste memory. */
    if (!ms->dirty_exec && !ms->dirty_cas) {
        if (ms->len == ms->cap) {
            ms->cap = ms->cap ? ms->cap * 2 : 8;
            ms->queue = krealloc(ms->queue, sizeof(*ms->queue) * ms->cap);
        }
        queuedCmd *q = queued_copy(cmd, c->argc, c->argv);
        ms->queue[ms->len++] = q;
        ms->queued_alloc += kmalloc_size(q);
        /* As Redis's argv_len_sums: the lengths, and an object pointer per argument. */
        for (int i = 0; i < c->argc; i++) ms->queued_arg_bytes += c->argv[i].len + sizeof(void *);
        uint64_t f = command_call_flags(cmd, c->argc, c->argv);
        ms->queued_flags |= f;
        ms->queued_inv_flags |= ~f;
    }
    reply_status(c, "QUEUED");
}

void multi_flag_error(client *c) {
    if (c->flags & CLIENT_MULTI) state_of(c)->dirty_exec = 1;
}

/* ---------------------------------------------------------------- WATCH */

static const char *watch_key_of(const void *entry, size_t *len) {
    const watchKey *wk = entry;
    *len = wk->klen;
    return wk->key;
}

static const tableType watch_table_type = {
    .entry_key = watch_key_of,
    .entry_free = NULL,
    .hash = NULL,
    .grow_allowed = NULL,
};

static table *watch_table(const kdb *db, int create) {
    if (!watch_tables) {
        if (!create) return NULL;
        watch_tables = kcalloc(sizeof(table *) * (size_t)server.dbnum);
    }
    if (!watch_tables[db->id] && create) watch_tables[db->id] = tableCreate(&watch_table_type);
    return watch_tables[db->id];
}

/* 1 if db (may be NULL) holds the key and its TTL has passed (the key is not deleted here). */
static int key_is_expired(kdb *db, const char *key, size_t len) {
    kobj *o = db && db->keys ? tableFind(db->keys, key, len) : NULL;
    return o && obj_is_expired(o);
}

static int key_exists(kdb *db, const char *key, size_t len) {
    return db && db->keys && tableFind(db->keys, key, len) != NULL;
}

static int client_watches(const multiState *ms, const kdb *db, const char *key, size_t len) {
    for (const watchNode *n = ms->watched; n; n = n->c_next)
        if (n->db == db && n->wk->klen == len && memcmp(n->wk->key, key, len) == 0) return 1;
    return 0;
}

static void watch_key(client *c, const char *key, size_t len) {
    multiState *ms = state_of(c);
    if (client_watches(ms, c->db, key, len)) return;
    table *t = watch_table(c->db, 1);
    watchKey *wk = tableFind(t, key, len);
    if (!wk) {
        wk = kcalloc(sizeof(*wk) + len + 1);
        wk->klen = (uint32_t)len;
        memcpy(wk->key, key, len);
        tableAdd(t, wk);
    }
    watchNode *n = kcalloc(sizeof(*n));
    n->c = c;
    n->wk = wk;
    n->db = c->db;
    n->expired = key_is_expired(c->db, key, len);
    n->next = wk->head;
    if (wk->head) wk->head->prev = n;
    wk->head = n;
    n->c_next = ms->watched;
    ms->watched = n;
    ms->nwatched++;
    nwatched++;
}

static void unwatch_all(client *c) {
    multiState *ms = c->mstate;
    if (!ms) return;
    while (ms->watched) {
        watchNode *n = ms->watched;
        ms->watched = n->c_next;
        watchKey *wk = n->wk;
        if (n->prev) n->prev->next = n->next;
        else wk->head = n->next;
        if (n->next) n->next->prev = n->prev;
        if (!wk->head) {
            tableDeleteEntry(watch_table(n->db, 0), wk);
            kfree(wk);
        }
        kfree(n);
        nwatched--;
    }
    ms->nwatched = 0;
    ms->dirty_cas = 0;
}

void multi_touch_key(kdb *db, const char *key, size_t len) {
    if (nwatched == 0) return;
    table *t = watch_table(db, 0);
    watchKey *wk = t ? tableFind(t, key, len) : NULL;
    if (!wk) return;
    for (watchNode *n = wk->head; n; n = n->next) {
        /* A key already expired at WATCH time that is now gone changed nothing logically. */
        if (n->expired && !key_exists(db, key, len)) {
            n->expired = 0;
            continue;
        }
        n->c->mstate->dirty_cas = 1;
    }
}

/* Redis 7.0's rules for a watched key of a flushed or swapped database. */
static void touch_flushed_node(watchNode *n, kdb *replaced_with, int in_emptied) {
    const char *key = n->wk->key;
    size_t len = n->wk->klen;
    if (n->expired) {
        if (!key_exists(replaced_with, key, len)) {
            n->expired = 0;       /* the expired key is deleted: no logical change */
            return;
        }
        if (key_is_expired(replaced_with, key, len)) return;   /* still expired */
    } else if (!in_emptied && key_is_expired(replaced_with, key, len)) {
        n->expired = 1;           /* a missing key replaced with an expired one */
        return;
    }
    n->c->mstate->dirty_cas = 1;
}

void multi_touch_db(kdb *emptied, kdb *replaced_with) {
    table *t = nwatched ? watch_table(emptied, 0) : NULL;
    if (!t || tableSize(t) == 0) return;
    tableIter it;
    tableIterInit(&it, t, 0);
    for (watchKey *wk; (wk = tableIterNext(&it)) != NULL;) {
        int in_emptied = key_exists(emptied, wk->key, wk->klen);
        if (!in_emptied && !key_exists(replaced_with, wk->key, wk->klen)) continue;
        for (watchNode *n = wk->head; n; n = n->next) touch_flushed_node(n, replaced_with, in_emptied);
    }
    tableIterRelease(&it);
}

/* At EXEC: a watched key that expired since WATCH counts as modified (Redis 7.0). */
static int watched_key_expired(client *c) {
    for (watchNode *n = c->mstate ? c->mstate->watched : NULL; n; n = n->c_next)
        if (!n->expired && key_is_expired(n->db, n->wk->key, n->wk->klen)) return 1;
    return 0;
}

/* ---------------------------------------------------------------- commands */

static void discard_transaction(client *c) {
    if (c->mstate) free_queue(c->mstate);
    c->flags &= ~CLIENT_MULTI;
    unwatch_all(c);
    maybe_free_state(c);
}

void multi_reset(client *c) {
    discard_transaction(c);
}

void multi_exec_abort(client *c, const char *msg) {
    discard_transaction(c);
    reply_errorf(c, "-EXECABORT Transaction discarded because of: %s", msg[0] == '-' ? msg + 1 : msg);
}

void multi_command(client *c) {
    if (c->flags & CLIENT_MULTI) {
        reply_error(c, "MULTI calls can not be nested");
        return;
    }
    state_of(c);
    c->flags |= CLIENT_MULTI;
    reply_ok(c);
}

void discard_command(client *c) {
    if (!(c->flags & CLIENT_MULTI)) {
        reply_error(c, "DISCARD without MULTI");
        return;
    }
    discard_transaction(c);
    reply_ok(c);
}

/* Runs the queued commands, one reply each inside EXEC's array. CLIENT_MULTI stays set while
 * they run, so blocking commands among them answer as if they had timed out. */
static void run_queue(client *c) {
    multiState *ms = c->mstate;
    int argc = c->argc;
    karg *argv = c->argv;
    const command *exec = c->cmd;
    reply_array_len(c, (long long)ms->len);
    server.in_exec = 1;
    for (size_t i = 0; i < ms->len; i++) {
        queuedCmd *q = ms->queue[i];
        /* core/acl.c: the rules may have changed since the command was queued. */
        c->cmd = exec;
        const char *denied = acl_check_queued(c, q->cmd, q->argc, q->argv);
        client_set_args(c, q->argc, q->argv);
        if (denied) reply_error(c, denied);
        else call_command(c, q->cmd);
    }
    server.in_exec = 0;
    client_set_args(c, argc, argv);
    c->cmd = exec;
}

void exec_command(client *c) {
    if (!(c->flags & CLIENT_MULTI)) {
        reply_error(c, "EXEC without MULTI");
        return;
    }
    multiState *ms = c->mstate;
    if (watched_key_expired(c)) ms->dirty_cas = 1;
    if (ms->dirty_exec || ms->dirty_cas) {
        if (ms->dirty_exec)
            reply_error(c, "-EXECABORT Transaction discarded because of previous errors.");
        else
            reply_null_array(c);
        discard_transaction(c);
        return;
    }
    unwatch_all(c);   /* the transaction's own writes must not count against it */
    run_queue(c);
    discard_transaction(c);
}

void watch_command(client *c) {
    if (c->flags & CLIENT_MULTI) {
        reply_error(c, "WATCH inside MULTI is not allowed");
        return;
    }
    for (int j = 1; j < c->argc; j++) watch_key(c, c->argv[j].ptr, c->argv[j].len);
    reply_ok(c);
}

void unwatch_command(client *c) {
    unwatch_all(c);
    maybe_free_state(c);
    reply_ok(c);
}
