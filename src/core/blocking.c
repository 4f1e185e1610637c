/* blocking.c - clients blocked on keys; see blocking.h for the model and its invariants.
 *
 * Structures:
 *  - per database, a Keel table of waitKey entries (key -> FIFO queue of waitNodes);
 *  - per blocked client, one allocation (blockState) holding its waitNodes (one per distinct
 *    key), a copy of its arguments (its argv pointed into a query buffer that moves on), its
 *    deadline and its slot in the timeout heap;
 *  - the ready list: waitKeys signalled since the last serve, in signal order, linked through
 *    the waitKeys themselves (so freeing a waitKey unlinks it in O(1));
 *  - a binary min-heap of blocked clients by deadline, driven by an event-loop timer that fires
 *    at the earliest deadline (so timeouts are accurate to about a millisecond);
 *  - the resume list: clients unblocked since the last before_sleep whose buffered commands
 *    must run. */
#include "core/blocking.h"

#include <limits.h>
#include <math.h>
#include <string.h>

#include "core/slowlog.h"
#include "keyspace/db.h"
#include "protocol/reply.h"
#include "util/mem.h"
#include "util/util.h"

typedef struct waitKey waitKey;

typedef struct waitNode {
    struct waitNode *prev, *next;
    client *c;
    waitKey *wk;
} waitNode;

struct waitKey {
    tableLink link;
    waitNode *head, *tail;         /* clients waiting, oldest first; never empty */
    waitKey *ready_prev, *ready_next;
    kdb *db;
    uint32_t klen;
    int ready;                     /* in the ready list */
    char key[];
};

#define NO_SLOT ((size_t)-1)

typedef struct blockState {
    client *c;
    const command *cmd;
    long long deadline_ms;         /* unix ms; 0 = no timeout */
    size_t heap_slot;              /* index in the timeout heap, NO_SLOT without a deadline */
    karg serving;                  /* serve mode: the ready key (ptr NULL otherwise) */
    int still_blocked;             /* serve mode: the command asked to keep waiting */
    int serve_deleted;             /* re-executed even when the ready key no longer exists */
    blocking_reply_fn *on_timeout; /* block_for_other: its timeout reply; NULL: a null array */
    int argc;
    karg *argv;                    /* copy of the arguments, inside this allocation */
    int nnodes;
    waitNode nodes[];              /* then karg argv[argc], then the argument bytes */
} blockState;

static table **wait_tables;        /* by db id, created on first use */
static waitKey *ready_head, *ready_tail;
static blockState **heap;
static size_t heap_len, heap_cap;
static client **resume;
static size_t resume_len, resume_cap;
static long long nblocked;
static long long timer_id = -1;     /* the timer that tracks the earliest deadline */
static long long timer_when;        /* when it fires (unix ms) */
static int serving_now;

/* ---------------------------------------------------------------- wait tables */

static const char *wait_key_of(const void *entry, size_t *len) {
    const waitKey *wk = entry;
    *len = wk->klen;
    return wk->key;
}

static const tableType wait_table_type = {
    .entry_key = wait_key_of,
    .entry_free = NULL,
    .hash = NULL,
    .grow_allowed = NULL,
};

static table *wait_table(kdb *db, int create) {
    if (!wait_tables) {
        if (!create) return NULL;
        wait_tables = kcalloc(sizeof(table *) * (size_t)server.dbnum);
    }
    if (!wait_tables[db->id] && create) wait_tables[db->id] = tableCreate(&wait_table_type);
    return wait_tables[db->id];
}

static waitKey *wait_key_get(kdb *db, const char *key, size_t len) {
    table *t = wait_table(db, 1);
    waitKey *wk = tableFind(t, key, len);
    if (wk) return wk;
    wk = kcalloc(sizeof(*wk) + len + 1);
    wk->db = db;
    wk->klen = (uint32_t)len;
    memcpy(wk->key, key, len);
    tableAdd(t, wk);
    return wk;
}

static void ready_unlink(waitKey *wk) {
    if (wk->ready_prev)
        wk->ready_prev->ready_next = wk->ready_next;
    else
        ready_head = wk->ready_next;
    if (wk->ready_next)
        wk->ready_next->ready_prev = wk->ready_prev;
    else
        ready_tail = wk->ready_prev;
    wk->ready_prev = wk->ready_next = NULL;
    wk->ready = 0;
}

static void node_unlink(waitNode *n) {
    waitKey *wk = n->wk;
    if (n->prev)
        n->prev->next = n->next;
    else
        wk->head = n->next;
    if (n->next)
        n->next->prev = n->prev;
    else
        wk->tail = n->prev;
    if (wk->head) return;
    if (wk->ready) ready_unlink(wk);
    tableDeleteEntry(wait_table(wk->db, 0), wk);
    kfree(wk);
}

/* ---------------------------------------------------------------- timeout heap */

static void heap_set(size_t i, blockState *bs) {
    heap[i] = bs;
    bs->heap_slot = i;
}

static void heap_up(size_t i) {
    blockState *bs = heap[i];
    while (i > 0 && heap[(i - 1) / 2]->deadline_ms > bs->deadline_ms) {
        heap_set(i, heap[(i - 1) / 2]);
        i = (i - 1) / 2;
    }
    heap_set(i, bs);
}

static void heap_down(size_t i) {
    blockState *bs = heap[i];
    for (;;) {
        size_t l = 2 * i + 1, m = l;
        if (l >= heap_len) break;
        if (l + 1 < heap_len && heap[l + 1]->deadline_ms < heap[l]->deadline_ms) m = l + 1;
        if (heap[m]->deadline_ms >= bs->deadline_ms) break;
        heap_set(i, heap[m]);
        i = m;
    }
    heap_set(i, bs);
}

static void heap_push(blockState *bs) {
    if (heap_len == heap_cap) {
        heap_cap = heap_cap ? heap_cap * 2 : 16;
        heap = krealloc(heap, sizeof(*heap) * heap_cap);
    }
    heap_set(heap_len++, bs);
    heap_up(heap_len - 1);
}

static void heap_remove(blockState *bs) {
    size_t i = bs->heap_slot;
    bs->heap_slot = NO_SLOT;
    blockState *last = heap[--heap_len];
    if (i == heap_len) return;
    heap_set(i, last);
    heap_up(i);
    heap_down(last->heap_slot);
}

/* ---------------------------------------------------------------- block / unblock */

static void resume_later(client *c) {
    if (resume_len == resume_cap) {
        resume_cap = resume_cap ? resume_cap * 2 : 16;
        resume = krealloc(resume, sizeof(*resume) * resume_cap);
    }
    resume[resume_len++] = c;
}

/* Takes c out of every queue and the heap and frees its state. */
static void unblock(client *c, int will_resume) {
    blockState *bs = c->bstate;
    for (int i = 0; i < bs->nnodes; i++) node_unlink(&bs->nodes[i]);
    if (bs->heap_slot != NO_SLOT) heap_remove(bs);
    kfree(bs);
    c->bstate = NULL;
    c->flags &= ~CLIENT_BLOCKED;
    nblocked--;
    if (will_resume) resume_later(c);
}

static long long timeout_timer(eventLoop *el, long long id, void *data);

static void timeout_reply(client *c) {
    if (c->bstate->on_timeout) c->bstate->on_timeout(c);
    else reply_null_array(c);
}

/* Timer delays are capped so that far deadlines can't overflow the event loop's clock; the
 * timer then just fires early and re-arms. */
#define TIMER_MAX_WAIT_MS (1LL << 30)

static long long timer_delay(long long deadline, long long now) {
    long long wait = deadline - now;
    return wait < 0 ? 0 : wait > TIMER_MAX_WAIT_MS ? TIMER_MAX_WAIT_MS : wait;
}

/* Makes sure a timer fires no later than deadline. */
static void arm_timer(long long deadline) {
    if (timer_id >= 0 && timer_when <= deadline) return;
    timer_id = el_add_timer(server.el, timer_delay(deadline, mstime()), timeout_timer, NULL);
    timer_when = deadline;
}

static long long timeout_timer(eventLoop *el, long long id, void *data) {
    (void)el;
    (void)data;
    long long now = mstime();
    while (heap_len && heap[0]->deadline_ms <= now) {
        client *c = heap[0]->c;
        timeout_reply(c);
        unblock(c, 1);
    }
    if (id != timer_id) return EL_NOMORE;   /* superseded by a timer for an earlier deadline */
    if (!heap_len) {
        timer_id = -1;
        return EL_NOMORE;
    }
    timer_when = heap[0]->deadline_ms;
    return timer_delay(timer_when, now);
}

static blockState *state_new(client *c, int nkeys) {
    size_t bytes = sizeof(blockState) + sizeof(waitNode) * (size_t)nkeys + sizeof(karg) * (size_t)c->argc;
    for (int i = 0; i < c->argc; i++) bytes += c->argv[i].len + 1;
    blockState *bs = kmalloc(bytes);
    memset(bs, 0, sizeof(*bs));
    bs->c = c;
    bs->cmd = c->cmd;
    bs->heap_slot = NO_SLOT;
    bs->argc = c->argc;
    bs->argv = (karg *)(void *)&bs->nodes[nkeys];
    char *p = (char *)&bs->argv[c->argc];
    for (int i = 0; i < c->argc; i++) {
        memcpy(p, c->argv[i].ptr, c->argv[i].len);
        p[c->argv[i].len] = '\0';
        bs->argv[i].ptr = p;
        bs->argv[i].len = c->argv[i].len;
        p += c->argv[i].len + 1;
    }
    return bs;
}

void block_for_keys(client *c, const karg *keys, int nkeys, long long deadline_ms) {
    if (c->bstate) {   /* serve mode: not servable after all; keep waiting as before */
        c->bstate->still_blocked = 1;
        return;
    }
    blockState *bs = state_new(c, nkeys);
    for (int i = 0; i < nkeys; i++) {
        waitKey *wk = wait_key_get(c->db, keys[i].ptr, keys[i].len);
        if (wk->tail && wk->tail->c == c) continue;   /* the same key given twice */
        waitNode *n = &bs->nodes[bs->nnodes++];
        n->c = c;
        n->wk = wk;
        n->next = NULL;
        n->prev = wk->tail;
        if (wk->tail)
            wk->tail->next = n;
        else
            wk->head = n;
        wk->tail = n;
    }
    c->bstate = bs;
    c->flags |= CLIENT_BLOCKED;
    nblocked++;
    if (deadline_ms) {
        bs->deadline_ms = deadline_ms;
        heap_push(bs);
        arm_timer(deadline_ms);
    }
}

void block_for_other(client *c, long long deadline_ms, blocking_reply_fn *on_timeout) {
    block_for_keys(c, NULL, 0, deadline_ms);
    c->bstate->on_timeout = on_timeout;
}

void blocking_unblock_other(client *c) {
    if (c->bstate) unblock(c, 1);
}

void blocking_serve_when_deleted(client *c) {
    c->bstate->serve_deleted = 1;
}

const karg *blocking_ready_key(const client *c) {
    return c->bstate && c->bstate->serving.ptr ? &c->bstate->serving : NULL;
}

int blocking_denied(const client *c) {
    return server.executing_depth > 1 || (c->flags & (CLIENT_MULTI | CLIENT_FAKE));
}

int blocking_parse_timeout(client *c, const karg *arg, long long *deadline_ms) {
    long double secs;
    if (!str_to_ld(arg->ptr, arg->len, &secs)) {
        reply_error(c, "timeout is not a float or out of range");
        return 0;
    }
    /* Redis 7.0 rounds up to whole ms and converts to long long; values beyond its range
     * (inf, 1e400, ...) come out negative there, and so they do here. */
    long double ms = ceill(secs * 1000.0L);
    long long tval = ms < 0x1p63L && ms >= -0x1p63L ? (long long)ms : LLONG_MIN;
    if (tval < 0) {
        reply_error(c, "timeout is negative");
        return 0;
    }
    long long now = server_time_ms();
    /* A deadline beyond the clock's range waits forever. */
    *deadline_ms = tval == 0 || tval > LLONG_MAX - now ? 0 : now + tval;
    return 1;
}

/* ---------------------------------------------------------------- signalling and serving */

void signal_key_as_ready(kdb *db, const char *key, size_t len) {
    if (nblocked == 0) return;
    table *t = wait_table(db, 0);
    waitKey *wk = t ? tableFind(t, key, len) : NULL;
    if (!wk || wk->ready) return;
    wk->ready = 1;
    wk->ready_next = NULL;
    wk->ready_prev = ready_tail;
    if (ready_tail)
        ready_tail->ready_next = wk;
    else
        ready_head = wk;
    ready_tail = wk;
}

void blocking_signal_db(kdb *db) {
    table *t = nblocked ? wait_table(db, 0) : NULL;
    if (!t || !db->keys) return;
    tableIter it;
    tableIterInit(&it, t, 0);
    for (waitKey *wk; (wk = tableIterNext(&it)) != NULL;)
        if (tableFind(db->keys, wk->key, wk->klen)) signal_key_as_ready(db, wk->key, wk->klen);
    tableIterRelease(&it);
}

void blocking_signal_streams(kdb *db) {
    table *t = nblocked ? wait_table(db, 0) : NULL;
    if (!t || !db->keys) return;
    tableIter it;
    tableIterInit(&it, t, 0);
    for (waitKey *wk; (wk = tableIterNext(&it)) != NULL;) {
        kobj *o = tableFind(db->keys, wk->key, wk->klen);
        if (o && o->type == OBJ_STREAM) signal_key_as_ready(db, wk->key, wk->klen);
    }
    tableIterRelease(&it);
}

/* Re-executes c's command in serve mode for the ready key wk. */
static void reexecute(client *c, waitKey *wk) {
    blockState *bs = c->bstate;
    const command *cmd = bs->cmd;
    client *outer_client = server.current_client;
    bs->serving.ptr = wk->key;
    bs->serving.len = wk->klen;
    bs->still_blocked = 0;
    c->argc = bs->argc;
    c->argv = bs->argv;
    c->cmd = cmd;
    c->flags |= CLIENT_EXECUTING;
    server.current_client = c;
    server.executing_depth++;
    server.cmd_time_ms = mstime();
    long long errors = server.stat_total_error_replies;
    uint64_t start = monotonic_us();
    long long dirty = server.dirty;
    cmd->proc(c);
    long long duration = (long long)(monotonic_us() - start);
    ((command *)cmd)->microseconds += duration;
    if (!bs->still_blocked) slowlog_push(c, duration);   /* the served command, as Redis logs it */
    server.executing_depth--;
    if (dispatch_propagate) dispatch_propagate(c, cmd, server.dirty - dirty);
    server.current_client = outer_client;
    c->flags &= ~CLIENT_EXECUTING;
    c->argc = 0;
    c->argv = NULL;
    if (bs->still_blocked) {
        bs->serving.ptr = NULL;
        return;
    }
    if (server.stat_total_error_replies > errors) ((command *)cmd)->failed_calls++;
    unblock(c, 1);
}

/* Serves the clients waiting on wk, oldest first: those that asked for it even when the key
 * does not exist (any more). wk is freed when its last client is served, so it is only touched
 * while a later waiter keeps it alive. */
static void serve_key(waitKey *wk) {
    for (waitNode *n = wk->head; n;) {
        int exists = db_lookup(wk->db, wk->key, wk->klen, LOOKUP_NOTOUCH | LOOKUP_NOSTATS | LOOKUP_NONOTIFY) != NULL;
        waitNode *next = n->next;
        client *c = n->c;
        /* A client being closed gets nothing: the elements would be lost with it. */
        if ((exists || c->bstate->serve_deleted) && !(c->flags & CLIENT_CLOSE_ASAP)) reexecute(c, wk);
        n = next;
    }
}

void blocking_serve_ready(void) {
    if (serving_now || !ready_head) return;
    serving_now = 1;
    while (ready_head) {
        waitKey *wk = ready_head;
        ready_unlink(wk);
        serve_key(wk);
    }
    serving_now = 0;
}

void blocking_resume_unblocked(void) {
    /* Entries may be appended (clients unblocked meanwhile) or cleared (clients freed) while
     * this runs, so walk by index up to the current length. */
    for (size_t i = 0; i < resume_len; i++) {
        client *c = resume[i];
        resume[i] = NULL;
        if (c && !(c->flags & CLIENT_BLOCKED)) client_process_input(c);
    }
    resume_len = 0;
}

int blocking_unblock_client(client *c, int error) {
    if (!c->bstate) return 0;
    if (error) {
        reply_error(c, "-UNBLOCKED client unblocked via CLIENT UNBLOCK");
        ((command *)c->bstate->cmd)->failed_calls++;   /* the blocked call failed, as Redis counts it */
    } else
        timeout_reply(c);
    unblock(c, 1);
    return 1;
}

int blocking_first_key(const client *c, const char **key, size_t *len, const command **cmd) {
    const blockState *bs = c->bstate;
    if (!bs || bs->nnodes == 0) return 0;
    *key = bs->nodes[0].wk->key;
    *len = bs->nodes[0].wk->klen;
    *cmd = bs->cmd;
    return 1;
}

void blocking_unblock_error(client *c, const char *err) {
    if (!c->bstate) return;
    reply_error(c, err);
    unblock(c, 1);
}

void blocking_unblock_all(const char *err) {
    for (client *c = server.clients; c; c = c->next) {
        if (!c->bstate) continue;
        reply_error(c, err);
        unblock(c, 1);
        c->flags |= CLIENT_CLOSE_AFTER_REPLY;
    }
}

void blocking_client_freed(client *c) {
    if (c->bstate) unblock(c, 0);
    for (size_t i = 0; i < resume_len; i++)
        if (resume[i] == c) resume[i] = NULL;
}

long long blocking_clients_count(void) {
    return nblocked;
}

long long blocking_timeout_clients_count(void) {
    return (long long)heap_len;
}
