/* tracking.c - client-side caching support; see tracking.h for the model and invariants.
 *
 * Structures: the tracking-clients table (client id -> trackingState, so invalidating a key
 * resolves each id in O(1) and ids of clients gone are skipped); the tracked-keys table (key ->
 * array of client ids); the BCAST prefixes (a short array: prefix -> clients, and the keys
 * written since the last broadcast with the id of the client that wrote each, for NOLOOP); the
 * pending list (invalidations for the client whose command is running, sent after its reply). */
#include "core/tracking.h"

#include <string.h>

#include "core/pubsub.h"
#include "protocol/reply.h"
#include "util/mem.h"
#include "util/util.h"

#define TRK_ON (1 << 0)
#define TRK_BCAST (1 << 1)
#define TRK_OPTIN (1 << 2)
#define TRK_OPTOUT (1 << 3)
#define TRK_NOLOOP (1 << 4)
#define TRK_CACHING (1 << 5)       /* CLIENT CACHING yes|no given for the next command */
#define TRK_BROKEN_REDIR (1 << 6)

typedef struct trackingState {
    tableLink link;
    uint64_t id;                   /* the table key */
    client *c;
    int flags;
    uint64_t redirect;             /* 0: none */
    kstr **prefixes;               /* BCAST prefixes, sorted */
    int nprefixes;
} trackingState;

typedef struct trackedKey {
    tableLink link;
    uint64_t *ids;
    uint32_t nids, cap;
    uint32_t klen;
    char key[];
} trackedKey;

typedef struct bcastPrefix {
    kstr *prefix;
    client **clients;
    int nclients, ccap;
    kstr **keys;                   /* written since the last broadcast */
    uint64_t *by;                  /* id of the client that wrote keys[i], 0 if none */
    int nkeys, kcap;
} bcastPrefix;

typedef struct pendingInval {
    uint64_t id;
    kstr *key;                     /* NULL: a flush */
} pendingInval;

static table *states;
static table *tracked;
static long long tracked_items;
static long long tracking_on_count;
static bcastPrefix **bcast;
static int nbcast, bcast_cap;
static pendingInval *pending;
static size_t npending, pending_cap;
static int flushed;                /* a flush was announced by the running command */

/* ---------------------------------------------------------------- tables */

static const char *state_key(const void *entry, size_t *len) {
    *len = sizeof(uint64_t);
    return (const char *)&((const trackingState *)entry)->id;
}

static const char *tracked_key(const void *entry, size_t *len) {
    const trackedKey *tk = entry;
    *len = tk->klen;
    return tk->key;
}

static void tracked_free(void *entry) {
    trackedKey *tk = entry;
    kfree(tk->ids);
    kfree(tk);
}

static const tableType state_type = {.entry_key = state_key};
static const tableType tracked_type = {.entry_key = tracked_key, .entry_free = tracked_free};

static trackingState *state_by_id(uint64_t id) {
    return states ? tableFind(states, (const char *)&id, sizeof(id)) : NULL;
}

static trackingState *state_of(client *c) {
    if (c->tstate) return c->tstate;
    if (!states) states = tableCreate(&state_type);
    trackingState *s = kcalloc(sizeof(*s));
    s->id = c->id;
    s->c = c;
    tableAdd(states, s);
    c->tstate = s;
    return s;
}

static client *client_by_id(uint64_t id) {
    for (client *x = server.clients; x; x = x->next)
        if (x->id == id) return x;
    return NULL;
}

/* ---------------------------------------------------------------- sending */

/* Sends one invalidation whose value (RESP: an array of keys, or a null) is payload, to the
 * client itself in RESP3 or to its redirect target, following Redis's rules. */
static void send_invalidation(trackingState *s, const char *payload, size_t plen) {
    client *to = s->c;
    if (s->redirect) {
        to = client_by_id(s->redirect);
        if (!to) {
            s->flags |= TRK_BROKEN_REDIR;
            if (s->c->resp > 2) {
                int saved = push_begin(s->c);
                reply_push_len(s->c, 2);
                reply_bulk(s->c, "tracking-redir-broken", 21);
                reply_integer(s->c, (long long)s->redirect);
                push_end(s->c, saved);
            }
            return;
        }
    }
    static const char push[] = ">2\r\n$10\r\ninvalidate\r\n";
    static const char msg[] = "*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n";
    int saved = push_begin(to);
    if (to->resp > 2)
        reply_raw(to, push, sizeof(push) - 1);
    else if (to != s->c && (to->flags & CLIENT_PUBSUB))
        reply_raw(to, msg, sizeof(msg) - 1);
    else
        plen = 0;   /* a RESP2 connection can't carry pushes */
    if (plen) reply_raw(to, payload, plen);
    push_end(to, saved);
}

static kstr *keys_array(kstr *out, kstr *const *keys, int n) {
    out = kstr_catfmt(out, "*%d\r\n", n);
    for (int i = 0; i < n; i++) {
        out = kstr_catfmt(out, "$%zu\r\n", keys[i]->len);
        out = kstr_cat(out, keys[i]->buf, keys[i]->len);
        out = kstr_cat(out, "\r\n", 2);
    }
    return out;
}

static void send_key(trackingState *s, kstr *key) {
    kstr *payload = keys_array(kstr_empty(key->len + 16), &key, 1);
    send_invalidation(s, payload->buf, payload->len);
    kstr_free(payload);
}

static void send_flush(trackingState *s) {
    /* The null is in the tracking client's protocol, as in Redis. */
    if (s->c->resp > 2)
        send_invalidation(s, "_\r\n", 3);
    else
        send_invalidation(s, "$-1\r\n", 5);
}

static int running_client_is(const client *c) {
    return server.executing_depth > 0 && server.current_client == c;
}

static void pending_add(uint64_t id, kstr *key) {
    if (npending == pending_cap) {
        pending_cap = pending_cap ? pending_cap * 2 : 8;
        pending = krealloc(pending, sizeof(*pending) * pending_cap);
    }
    pending[npending].id = id;
    pending[npending].key = key;
    npending++;
}

static void send_pending(void) {
    for (size_t i = 0; i < npending; i++) {
        trackingState *s = state_by_id(pending[i].id);
        if (s && (s->flags & TRK_ON)) {
            if (pending[i].key)
                send_key(s, pending[i].key);
            else
                send_flush(s);
        }
        kstr_free(pending[i].key);
    }
    npending = 0;
}

/* ---------------------------------------------------------------- default mode */

static void remember_key(uint64_t id, const char *key, size_t len) {
    if (!tracked) tracked = tableCreate(&tracked_type);
    trackedKey *tk = tableFind(tracked, key, len);
    if (!tk) {
        tk = kcalloc(sizeof(*tk) + len + 1);
        tk->klen = (uint32_t)len;
        memcpy(tk->key, key, len);
        tableAdd(tracked, tk);
    }
    for (uint32_t i = 0; i < tk->nids; i++)
        if (tk->ids[i] == id) return;
    if (tk->nids == tk->cap) {
        tk->cap = tk->cap ? tk->cap * 2 : 2;
        tk->ids = krealloc(tk->ids, sizeof(uint64_t) * tk->cap);
    }
    tk->ids[tk->nids++] = id;
    tracked_items++;
}

static void remember_keys(client *c, const command *cmd) {
    trackingState *s = c->tstate;
    int caching = s->flags & TRK_CACHING;
    if (((s->flags & TRK_OPTIN) && !caching) || ((s->flags & TRK_OPTOUT) && caching)) return;
    int *pos = kmalloc(sizeof(int) * (size_t)c->argc);
    int n = command_get_keys(cmd, c->argc, c->argv, pos, NULL, c->argc);
    for (int i = 0; i < n && i < c->argc; i++) remember_key(s->id, c->argv[pos[i]].ptr, c->argv[pos[i]].len);
    kfree(pos);
}

static void invalidate_tracked(const char *key, size_t len) {
    trackedKey *tk = tableFind(tracked, key, len);
    if (!tk) return;
    tableDeleteEntry(tracked, tk);
    tracked_items -= tk->nids;
    for (uint32_t i = 0; i < tk->nids; i++) {
        trackingState *s = state_by_id(tk->ids[i]);
        if (!s || !(s->flags & TRK_ON) || (s->flags & TRK_BCAST)) continue;
        int self = running_client_is(s->c);
        if ((s->flags & TRK_NOLOOP) && self) continue;
        kstr *k = kstr_new(key, len);
        if (self) {
            pending_add(s->id, k);   /* after the command's reply */
        } else {
            send_key(s, k);
            kstr_free(k);
        }
    }
    tracked_free(tk);
}

/* ---------------------------------------------------------------- BCAST mode */

static int overlap(const char *a, size_t alen, const char *b, size_t blen) {
    return memcmp(a, b, alen < blen ? alen : blen) == 0;
}

/* Byte order of two strings, shorter first on a common prefix (Redis's rax order). */
static int bytes_cmp(const char *a, size_t alen, const char *b, size_t blen) {
    int cmp = memcmp(a, b, alen < blen ? alen : blen);
    if (cmp) return cmp;
    return alen < blen ? -1 : alen > blen;
}

/* Where p is, or would go, in a sorted array of kstr (client prefixes). */
static int sorted_slot(kstr *const *arr, int n, const char *p, size_t len, int *found) {
    int at = 0;
    while (at < n && bytes_cmp(arr[at]->buf, arr[at]->len, p, len) < 0) at++;
    *found = at < n && bytes_cmp(arr[at]->buf, arr[at]->len, p, len) == 0;
    return at;
}

/* The BCAST prefixes are kept sorted: broadcasts go out in Redis's prefix order. */
static bcastPrefix *bcast_find(const char *p, size_t len, int create) {
    int at = 0;
    while (at < nbcast && bytes_cmp(bcast[at]->prefix->buf, bcast[at]->prefix->len, p, len) < 0) at++;
    if (at < nbcast && bytes_cmp(bcast[at]->prefix->buf, bcast[at]->prefix->len, p, len) == 0) return bcast[at];
    if (!create) return NULL;
    if (nbcast == bcast_cap) {
        bcast_cap = bcast_cap ? bcast_cap * 2 : 4;
        bcast = krealloc(bcast, sizeof(*bcast) * (size_t)bcast_cap);
    }
    bcastPrefix *bp = kcalloc(sizeof(*bp));
    bp->prefix = kstr_new(p, len);
    memmove(&bcast[at + 1], &bcast[at], sizeof(*bcast) * (size_t)(nbcast - at));
    bcast[at] = bp;
    nbcast++;
    return bp;
}

static void bcast_free_keys(bcastPrefix *bp) {
    for (int i = 0; i < bp->nkeys; i++) kstr_free(bp->keys[i]);
    bp->nkeys = 0;
}

static void bcast_remove_client(bcastPrefix *bp, client *c) {
    for (int i = 0; i < bp->nclients; i++) {
        if (bp->clients[i] != c) continue;
        memmove(&bp->clients[i], &bp->clients[i + 1], sizeof(client *) * (size_t)(bp->nclients - i - 1));
        bp->nclients--;
        break;
    }
    if (bp->nclients > 0) return;
    for (int i = 0; i < nbcast; i++) {
        if (bcast[i] != bp) continue;
        memmove(&bcast[i], &bcast[i + 1], sizeof(*bcast) * (size_t)(nbcast - i - 1));
        nbcast--;
        break;
    }
    bcast_free_keys(bp);
    kfree(bp->keys);
    kfree(bp->by);
    kfree(bp->clients);
    kstr_free(bp->prefix);
    kfree(bp);
}

/* Adds prefix p to the client (kept sorted) and the client to the prefix, once. */
static void bcast_add(trackingState *s, const char *p, size_t len) {
    int found;
    int at = sorted_slot(s->prefixes, s->nprefixes, p, len, &found);
    if (found) return;
    s->prefixes = krealloc(s->prefixes, sizeof(kstr *) * (size_t)(s->nprefixes + 1));
    memmove(&s->prefixes[at + 1], &s->prefixes[at], sizeof(kstr *) * (size_t)(s->nprefixes - at));
    s->prefixes[at] = kstr_new(p, len);
    s->nprefixes++;
    bcastPrefix *bp = bcast_find(p, len, 1);
    if (bp->nclients == bp->ccap) {
        bp->ccap = bp->ccap ? bp->ccap * 2 : 4;
        bp->clients = krealloc(bp->clients, sizeof(client *) * (size_t)bp->ccap);
    }
    bp->clients[bp->nclients++] = s->c;
}

static void bcast_remember(client *c, const char *key, size_t len) {
    for (int i = 0; i < nbcast; i++) {
        bcastPrefix *bp = bcast[i];
        if (len < bp->prefix->len || memcmp(key, bp->prefix->buf, bp->prefix->len) != 0) continue;
        if (bp->nkeys == bp->kcap) {
            bp->kcap = bp->kcap ? bp->kcap * 2 : 8;
            bp->keys = krealloc(bp->keys, sizeof(kstr *) * (size_t)bp->kcap);
            bp->by = krealloc(bp->by, sizeof(uint64_t) * (size_t)bp->kcap);
        }
        bp->keys[bp->nkeys] = kstr_new(key, len);
        bp->by[bp->nkeys] = c ? c->id : 0;
        bp->nkeys++;
    }
}

/* Sends each prefix's written keys to its clients (without a NOLOOP client's own writes). */
static void bcast_send(void) {
    for (int i = 0; i < nbcast; i++) {
        bcastPrefix *bp = bcast[i];
        if (bp->nkeys == 0) continue;
        kstr **keys = kmalloc(sizeof(kstr *) * (size_t)bp->nkeys);
        for (int j = 0; j < bp->nclients; j++) {
            trackingState *s = bp->clients[j]->tstate;
            int n = 0;
            for (int k = 0; k < bp->nkeys; k++)
                if (!(s->flags & TRK_NOLOOP) || bp->by[k] != s->id) keys[n++] = bp->keys[k];
            if (n == 0) continue;
            kstr *payload = keys_array(kstr_empty(64), keys, n);
            send_invalidation(s, payload->buf, payload->len);
            kstr_free(payload);
        }
        kfree(keys);
        bcast_free_keys(bp);
    }
}

/* ---------------------------------------------------------------- hooks */

void tracking_invalidate_key(client *c, const char *key, size_t len) {
    if (nbcast) bcast_remember(c, key, len);
    if (tracked && tableSize(tracked)) invalidate_tracked(key, len);
}

void tracking_on_flush(void) {
    if (tracked) {
        tableRelease(tracked);   /* frees the entries (tracked_free) */
        tracked = NULL;
    }
    tracked_items = 0;
    if (flushed || tracking_on_count == 0) return;
    flushed = 1;
    for (client *x = server.clients; x; x = x->next) {
        trackingState *s = x->tstate;
        if (!s || !(s->flags & TRK_ON)) continue;
        if (running_client_is(x))
            pending_add(s->id, NULL);
        else
            send_flush(s);
    }
}

/* Whose keys a read-only call makes tracked, as Redis 7.0 does: a command run by a script
 * (the fake client) tracks the keys its caller's EVAL declared, and the read-only script
 * runners (EVAL_RO, EVALSHA_RO: read-only and noscript) track nothing by themselves. */
static client *tracking_reader(client *c, const command *cmd) {
    if (!(cmd->flags & CMD_READONLY) || (cmd->flags & CMD_NOSCRIPT)) return NULL;
    if ((c->flags & CLIENT_FAKE) && server.executing_depth > 0) return server.current_client;
    return c;
}

void tracking_after_call(client *c, const command *cmd, int outer) {
    trackingState *s = c->tstate;
    client *reader = tracking_reader(c, cmd);
    trackingState *rs = reader ? reader->tstate : NULL;
    if (rs && (rs->flags & TRK_ON) && !(rs->flags & TRK_BCAST)) remember_keys(reader, reader->cmd);
    if (!outer) return;
    /* CLIENT CACHING applies to the next command (or the whole transaction). */
    if (s && !(c->flags & CLIENT_MULTI) && !(cmd->flags & CMD_KEEPS_CACHING)) s->flags &= ~TRK_CACHING;
    if (npending) send_pending();
    if (nbcast) bcast_send();
    flushed = 0;
}

void tracking_limit_keys(void) {
    static int overdue;
    long long max = server.tracking_table_max_keys;
    if (max == 0 || !tracked || (long long)tableSize(tracked) <= max) {
        overdue = 0;
        return;
    }
    for (int effort = 100 * (overdue + 1); effort > 0 && (long long)tableSize(tracked) > max; effort--) {
        trackedKey *tk = tableRandom(tracked);
        invalidate_tracked(tk->key, tk->klen);
    }
    overdue = (long long)tableSize(tracked) > max ? overdue + 1 : 0;
}

void tracking_before_sleep(void) {
    if (npending) send_pending();
    if (nbcast) bcast_send();
}

static void disable(trackingState *s) {
    if (!(s->flags & TRK_ON)) return;
    for (int i = 0; i < s->nprefixes; i++) {
        bcastPrefix *bp = bcast_find(s->prefixes[i]->buf, s->prefixes[i]->len, 0);
        if (bp) bcast_remove_client(bp, s->c);
        kstr_free(s->prefixes[i]);
    }
    kfree(s->prefixes);
    s->prefixes = NULL;
    s->nprefixes = 0;
    s->flags = 0;
    s->redirect = 0;
    tracking_on_count--;
}

void tracking_client_reset(client *c) {
    trackingState *s = c->tstate;
    if (!s) return;
    disable(s);
    tableDeleteEntry(states, s);
    kfree(s);
    c->tstate = NULL;
}

char *tracking_client_flags(const client *c, char *p, long long *redir) {
    const trackingState *s = c->tstate;
    *redir = -1;
    if (!s || !(s->flags & TRK_ON)) return p;
    *redir = (long long)s->redirect;
    *p++ = 't';
    if (s->flags & TRK_BROKEN_REDIR) *p++ = 'R';
    if (s->flags & TRK_BCAST) *p++ = 'B';
    return p;
}

size_t tracking_client_memory(const client *c) {
    const trackingState *s = c->tstate;
    if (!s) return 0;
    return sizeof(*s) + (size_t)s->nprefixes * (sizeof(kstr *) + sizeof(kstr) + 16);
}

void tracking_info(long long *clients, long long *keys, long long *items, long long *prefixes) {
    *clients = tracking_on_count;
    *keys = tracked ? (long long)tableSize(tracked) : 0;
    *items = tracked_items;
    *prefixes = nbcast;
}

/* ---------------------------------------------------------------- commands */

/* Redis's prefix checks: against the client's prefixes, then among the given ones. */
static int prefixes_ok(client *c, trackingState *s, const karg *p, int n) {
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < s->nprefixes; j++) {
            if (!overlap(s->prefixes[j]->buf, s->prefixes[j]->len, p[i].ptr, p[i].len)) continue;
            reply_errorf(c, "Prefix '%s' overlaps with an existing prefix '%s'. Prefixes for a single client "
                            "must not overlap.", p[i].ptr, s->prefixes[j]->buf);
            return 0;
        }
        for (int j = i + 1; j < n; j++) {
            if (!overlap(p[i].ptr, p[i].len, p[j].ptr, p[j].len)) continue;
            reply_errorf(c, "Prefix '%s' overlaps with another provided prefix '%s'. Prefixes for a single "
                            "client must not overlap.", p[i].ptr, p[j].ptr);
            return 0;
        }
    }
    return 1;
}

/* The checks Redis makes before turning tracking on, in its order. */
static int options_ok(client *c, trackingState *s, int opts, const karg *p, int n) {
    const char *err = NULL;
    if (!(opts & TRK_BCAST) && n)
        err = "PREFIX option requires BCAST mode to be enabled";
    else if ((s->flags & TRK_ON) && !!(s->flags & TRK_BCAST) != !!(opts & TRK_BCAST))
        err = "You can't switch BCAST mode on/off before disabling tracking for this client, and then "
              "re-enabling it with a different mode.";
    else if ((opts & TRK_BCAST) && (opts & (TRK_OPTIN | TRK_OPTOUT)))
        err = "OPTIN and OPTOUT are not compatible with BCAST";
    else if ((opts & TRK_OPTIN) && (opts & TRK_OPTOUT))
        err = "You can't specify both OPTIN mode and OPTOUT mode";
    else if (((opts & TRK_OPTIN) && (s->flags & TRK_OPTOUT)) || ((opts & TRK_OPTOUT) && (s->flags & TRK_OPTIN)))
        err = "You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then "
              "re-enabling it with a different mode.";
    if (err) {
        reply_error(c, err);
        return 0;
    }
    return !(opts & TRK_BCAST) || prefixes_ok(c, s, p, n);
}

static void enable(trackingState *s, uint64_t redir, int opts, const karg *p, int n) {
    if (!(s->flags & TRK_ON)) tracking_on_count++;
    s->flags = (s->flags & TRK_CACHING) | TRK_ON | (opts & (TRK_BCAST | TRK_OPTIN | TRK_OPTOUT | TRK_NOLOOP));
    s->redirect = redir;
    if (!(opts & TRK_BCAST)) return;
    if (n == 0) bcast_add(s, "", 0);
    for (int i = 0; i < n; i++) bcast_add(s, p[i].ptr, p[i].len);
}

/* CLIENT TRACKING (ON|OFF) [REDIRECT id] [BCAST] [PREFIX p ...] [OPTIN] [OPTOUT] [NOLOOP] */
void client_tracking_command(client *c) {
    long long redir = 0;
    int opts = 0, n = 0;
    karg *prefixes = kmalloc(sizeof(karg) * (size_t)c->argc);
    for (int j = 3; j < c->argc; j++) {
        const karg *a = &c->argv[j];
        int more = c->argc - 1 - j;
        if (arg_is(a->ptr, a->len, "redirect") && more) {
            j++;
            if (redir != 0) {
                reply_error(c, "A client can only redirect to a single other client");
                goto done;
            }
            if (!arg_ll_or_reply(c, &c->argv[j], &redir, NULL)) goto done;
            if (!client_by_id((uint64_t)redir)) {
                reply_error(c, "The client ID you want redirect to does not exist");
                goto done;
            }
        } else if (arg_is(a->ptr, a->len, "bcast")) {
            opts |= TRK_BCAST;
        } else if (arg_is(a->ptr, a->len, "optin")) {
            opts |= TRK_OPTIN;
        } else if (arg_is(a->ptr, a->len, "optout")) {
            opts |= TRK_OPTOUT;
        } else if (arg_is(a->ptr, a->len, "noloop")) {
            opts |= TRK_NOLOOP;
        } else if (arg_is(a->ptr, a->len, "prefix") && more) {
            prefixes[n++] = c->argv[++j];
        } else {
            reply_error(c, ERR_SYNTAX);
            goto done;
        }
    }
    const karg *onoff = &c->argv[2];
    if (arg_is(onoff->ptr, onoff->len, "on")) {
        trackingState *s = state_of(c);
        if (!options_ok(c, s, opts, prefixes, n)) goto done;
        enable(s, (uint64_t)redir, opts, prefixes, n);
    } else if (arg_is(onoff->ptr, onoff->len, "off")) {
        if (c->tstate) disable(c->tstate);
    } else {
        reply_error(c, ERR_SYNTAX);
        goto done;
    }
    reply_ok(c);
done:
    kfree(prefixes);
}

void client_caching_command(client *c) {
    trackingState *s = c->tstate;
    if (!s || !(s->flags & TRK_ON)) {
        reply_error(c, "CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or "
                       "OPTOUT mode enabled");
        return;
    }
    const karg *opt = &c->argv[2];
    if (arg_is(opt->ptr, opt->len, "yes")) {
        if (!(s->flags & TRK_OPTIN)) {
            reply_error(c, "CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.");
            return;
        }
    } else if (arg_is(opt->ptr, opt->len, "no")) {
        if (!(s->flags & TRK_OPTOUT)) {
            reply_error(c, "CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.");
            return;
        }
    } else {
        reply_error(c, ERR_SYNTAX);
        return;
    }
    s->flags |= TRK_CACHING;
    reply_ok(c);
}

void client_getredir_command(client *c) {
    trackingState *s = c->tstate;
    reply_integer(c, s && (s->flags & TRK_ON) ? (long long)s->redirect : -1);
}

void client_trackinginfo_command(client *c) {
    trackingState *s = c->tstate;
    int f = s ? s->flags : 0;
    static const struct {
        int bit, need;
        const char *name;
    } names[] = {
        {TRK_ON, 0, "on"}, {TRK_BCAST, 0, "bcast"}, {TRK_OPTIN, 0, "optin"}, {TRK_OPTOUT, 0, "optout"},
        {TRK_CACHING, TRK_OPTIN, "caching-yes"}, {TRK_CACHING, TRK_OPTOUT, "caching-no"},
        {TRK_NOLOOP, 0, "noloop"}, {TRK_BROKEN_REDIR, 0, "broken_redirect"},
    };
    reply_map_len(c, 3);
    reply_bulk_cstr(c, "flags");
    if (!(f & TRK_ON)) {
        reply_set_len(c, 1);
        reply_bulk_cstr(c, "off");
    } else {
        int n = 0;
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
            n += (f & names[i].bit) && (!names[i].need || (f & names[i].need));
        reply_set_len(c, n);
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
            if ((f & names[i].bit) && (!names[i].need || (f & names[i].need))) reply_bulk_cstr(c, names[i].name);
    }
    reply_bulk_cstr(c, "redirect");
    reply_integer(c, (f & TRK_ON) ? (long long)s->redirect : -1);
    reply_bulk_cstr(c, "prefixes");
    reply_array_len(c, s ? s->nprefixes : 0);
    for (int i = 0; s && i < s->nprefixes; i++) reply_bulk_kstr(c, s->prefixes[i]);
}
