/* pubsub.c - SUBSCRIBE, PSUBSCRIBE, SSUBSCRIBE, their UNSUBSCRIBE forms, PUBLISH, SPUBLISH,
 * PUBSUB; see pubsub.h for the model and its invariants. Keyspace notifications are published
 * from core/notify.c.
 *
 * Structures: per kind, a Keel table of subEntry (name -> FIFO list of subNodes); a subNode is
 * one (client, entry) subscription, linked in its entry's list and referenced from the client's
 * array for that kind, so unsubscribing one name costs O(subscriptions of the client) and
 * publishing costs O(subscribers + patterns). Messages go out as RESP3 push frames or RESP2
 * arrays (reply_push_len picks), so a subscriber sees them in publish order. */
#include "core/pubsub.h"

#include <stdio.h>
#include <string.h>

#include "protocol/reply.h"
#include "util/crc16.h"
#include "util/mem.h"
#include "util/util.h"

typedef struct subNode subNode;

typedef struct subEntry {
    tableLink link;
    subNode *head, *tail;       /* subscribers, oldest first; never empty */
    uint32_t len;
    char name[];
} subEntry;

struct subNode {
    subNode *prev, *next;
    client *c;
    subEntry *e;
};

enum { KIND_CHANNEL = 0, KIND_PATTERN = 1, KIND_SHARD = 2, KINDS };

/* A client's subscriptions of one kind, in subscription order. */
typedef struct subList {
    subNode **nodes;
    size_t len, cap;
} subList;

typedef struct pubsubState {
    subList kinds[KINDS];
} pubsubState;

/* What differs between the kinds: their table and the words of their replies. */
typedef struct subKind {
    table *t;
    const char *sub_word, *unsub_word;
} subKind;

static subKind kinds[KINDS] = {
    {NULL, "subscribe", "unsubscribe"},
    {NULL, "psubscribe", "punsubscribe"},
    {NULL, "ssubscribe", "sunsubscribe"},
};

static const char *entry_name(const void *entry, size_t *len) {
    const subEntry *e = entry;
    *len = e->len;
    return e->name;
}

static const tableType sub_table_type = {
    .entry_key = entry_name,
    .entry_free = NULL,
    .hash = NULL,
    .grow_allowed = NULL,
};

static table *kind_table(int kind) {
    if (!kinds[kind].t) kinds[kind].t = tableCreate(&sub_table_type);
    return kinds[kind].t;
}

static size_t kind_size(int kind) {
    return kinds[kind].t ? tableSize(kinds[kind].t) : 0;
}

/* ---------------------------------------------------------------- per-client state */

static long long count_of(const client *c, int kind) {
    return c->pstate ? (long long)c->pstate->kinds[kind].len : 0;
}

/* The count SUBSCRIBE-family replies carry: shard subscriptions are counted apart. */
static long long reply_count(const client *c, int kind) {
    if (kind == KIND_SHARD) return count_of(c, KIND_SHARD);
    return count_of(c, KIND_CHANNEL) + count_of(c, KIND_PATTERN);
}

static long long total_count(const client *c) {
    return count_of(c, KIND_CHANNEL) + count_of(c, KIND_PATTERN) + count_of(c, KIND_SHARD);
}

void pubsub_info(long long *channels, long long *patterns, long long *shard_channels) {
    *channels = (long long)kind_size(KIND_CHANNEL);
    *patterns = (long long)kind_size(KIND_PATTERN);
    *shard_channels = (long long)kind_size(KIND_SHARD);
}

void pubsub_client_counts(const client *c, long long *sub, long long *psub, long long *ssub) {
    *sub = count_of(c, KIND_CHANNEL);
    *psub = count_of(c, KIND_PATTERN);
    *ssub = count_of(c, KIND_SHARD);
}

size_t pubsub_client_memory(const client *c) {
    if (!c->pstate) return 0;
    size_t n = sizeof(*c->pstate);
    for (int kind = 0; kind < KINDS; kind++) {
        const subList *l = &c->pstate->kinds[kind];
        n += l->cap * sizeof(subNode *) + l->len * sizeof(subNode);
    }
    return n;
}

int pubsub_client_all(const client *c, pubsub_name_test *ok, const void *priv) {
    for (int kind = 0; c->pstate && kind < KINDS; kind++) {
        const subList *l = &c->pstate->kinds[kind];
        for (size_t i = 0; i < l->len; i++)
            if (!ok(priv, l->nodes[i]->e->name, l->nodes[i]->e->len, kind == KIND_PATTERN)) return 0;
    }
    return 1;
}

/* The index of c's subscription to name in its list of that kind, or -1. */
static long find_sub(const client *c, int kind, const char *name, size_t len) {
    if (!c->pstate) return -1;
    const subList *l = &c->pstate->kinds[kind];
    for (size_t i = 0; i < l->len; i++) {
        const subEntry *e = l->nodes[i]->e;
        if (e->len == len && memcmp(e->name, name, len) == 0) return (long)i;
    }
    return -1;
}

static void sublist_push(subList *l, subNode *n) {
    if (l->len == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 4;
        l->nodes = krealloc(l->nodes, sizeof(*l->nodes) * l->cap);
    }
    l->nodes[l->len++] = n;
}

/* Frees the client's state once nothing is left in it, keeping c->pstate NULL-iff-empty. */
static void maybe_free_state(client *c) {
    if (!c->pstate || total_count(c) > 0) return;
    for (int k = 0; k < KINDS; k++) kfree(c->pstate->kinds[k].nodes);
    kfree(c->pstate);
    c->pstate = NULL;
}

/* ---------------------------------------------------------------- subscribe / unsubscribe */

/* Adds the subscription; returns 0 if c already had it. */
static int subscribe(client *c, int kind, const char *name, size_t len) {
    if (find_sub(c, kind, name, len) >= 0) return 0;
    table *t = kind_table(kind);
    subEntry *e = tableFind(t, name, len);
    if (!e) {
        e = kcalloc(sizeof(*e) + len + 1);
        e->len = (uint32_t)len;
        memcpy(e->name, name, len);
        tableAdd(t, e);
    }
    subNode *n = kcalloc(sizeof(*n));
    n->c = c;
    n->e = e;
    n->prev = e->tail;
    if (e->tail) e->tail->next = n;
    else e->head = n;
    e->tail = n;
    if (!c->pstate) c->pstate = kcalloc(sizeof(*c->pstate));
    sublist_push(&c->pstate->kinds[kind], n);
    return 1;
}

/* Removes the i-th subscription of that kind from c (keeping the order of the others). */
static void unsubscribe_at(client *c, int kind, size_t i) {
    subList *l = &c->pstate->kinds[kind];
    subNode *n = l->nodes[i];
    memmove(&l->nodes[i], &l->nodes[i + 1], sizeof(*l->nodes) * (l->len - i - 1));
    l->len--;
    subEntry *e = n->e;
    if (n->prev) n->prev->next = n->next;
    else e->head = n->next;
    if (n->next) n->next->prev = n->prev;
    else e->tail = n->prev;
    kfree(n);
    if (!e->head) {
        tableDeleteEntry(kinds[kind].t, e);
        kfree(e);
    }
}

int push_begin(client *c) {
    int saved = c->flags & (CLIENT_REPLY_OFF | CLIENT_REPLY_SKIP);
    c->flags &= ~saved;
    return saved;
}

void push_end(client *c, int saved) {
    c->flags |= saved;
}

static void reply_sub_event(client *c, const char *word, const char *name, size_t len, long long count) {
    int saved = push_begin(c);
    reply_push_len(c, 3);
    reply_bulk_cstr(c, word);
    if (name)
        reply_bulk(c, name, len);
    else
        reply_null(c);
    reply_integer(c, count);
    push_end(c, saved);
}

/* The client leaves subscriber mode when its last subscription goes. */
static void update_pubsub_flag(client *c) {
    if (total_count(c) > 0)
        c->flags |= CLIENT_PUBSUB;
    else
        c->flags &= ~CLIENT_PUBSUB;
    maybe_free_state(c);
}

static void subscribe_command_of(client *c, int kind) {
    for (int j = 1; j < c->argc; j++) {
        subscribe(c, kind, c->argv[j].ptr, c->argv[j].len);
        reply_sub_event(c, kinds[kind].sub_word, c->argv[j].ptr, c->argv[j].len, reply_count(c, kind));
    }
    c->flags |= CLIENT_PUBSUB;
}

/* Drops c's subscription to name (if any), replying when notify is set. */
static void unsubscribe_one(client *c, int kind, const char *name, size_t len, int notify) {
    long i = find_sub(c, kind, name, len);
    if (i >= 0) unsubscribe_at(c, kind, (size_t)i);
    if (notify) reply_sub_event(c, kinds[kind].unsub_word, name, len, reply_count(c, kind));
}

/* Drops every subscription of that kind, oldest first, one reply per name (or one with a null
 * name when there was none). */
static void unsubscribe_all_of(client *c, int kind, int notify) {
    if (count_of(c, kind) == 0) {
        if (notify) reply_sub_event(c, kinds[kind].unsub_word, NULL, 0, reply_count(c, kind));
        return;
    }
    subList *l = &c->pstate->kinds[kind];
    while (l->len > 0) {
        /* Reply first: the reply needs the entry's name, which may go with the subscription. */
        subEntry *e = l->nodes[0]->e;
        if (notify) reply_sub_event(c, kinds[kind].unsub_word, e->name, e->len, reply_count(c, kind) - 1);
        unsubscribe_at(c, kind, 0);
    }
}

static void unsubscribe_command_of(client *c, int kind) {
    if (c->argc == 1)
        unsubscribe_all_of(c, kind, 1);
    else
        for (int j = 1; j < c->argc; j++) unsubscribe_one(c, kind, c->argv[j].ptr, c->argv[j].len, 1);
    update_pubsub_flag(c);
}

void pubsub_unsubscribe_all(client *c) {
    if (!c->pstate) return;
    for (int k = 0; k < KINDS; k++) unsubscribe_all_of(c, k, 0);
    update_pubsub_flag(c);
}

void subscribe_command(client *c) { subscribe_command_of(c, KIND_CHANNEL); }
void psubscribe_command(client *c) { subscribe_command_of(c, KIND_PATTERN); }
void ssubscribe_command(client *c) { subscribe_command_of(c, KIND_SHARD); }
void unsubscribe_command(client *c) { unsubscribe_command_of(c, KIND_CHANNEL); }
void punsubscribe_command(client *c) { unsubscribe_command_of(c, KIND_PATTERN); }
void sunsubscribe_command(client *c) { unsubscribe_command_of(c, KIND_SHARD); }

int pubsub_allowed_in_subscriber_mode(const command *cmd) {
    return (cmd->flags & CMD_SUBSCRIBED_OK) != 0;
}

/* ---------------------------------------------------------------- publish */

/* The message frame in RESP2 form, built once per publish and copied to each subscriber: the
 * RESP3 push frame differs only in its first byte ('>' instead of '*'). */
static kstr *message_frame(const char *word, const subEntry *pattern, const char *channel, size_t clen,
                           const char *msg, size_t mlen) {
    kstr *f = kstr_empty(64 + clen + mlen + (pattern ? pattern->len : 0));
    f = kstr_catfmt(f, "*%d\r\n$%zu\r\n%s\r\n", pattern ? 4 : 3, strlen(word), word);
    if (pattern) {
        f = kstr_catfmt(f, "$%u\r\n", pattern->len);
        f = kstr_cat(f, pattern->name, pattern->len);
        f = kstr_cat(f, "\r\n", 2);
    }
    f = kstr_catfmt(f, "$%zu\r\n", clen);
    f = kstr_cat(f, channel, clen);
    f = kstr_catfmt(f, "\r\n$%zu\r\n", mlen);
    f = kstr_cat(f, msg, mlen);
    return kstr_cat(f, "\r\n", 2);
}

/* Sends the frame to every subscriber of e; returns how many there were. */
static long long deliver(const subEntry *e, const kstr *frame) {
    long long n = 0;
    for (subNode *x = e->head; x; x = x->next, n++) {
        client *c = x->c;
        int saved = push_begin(c);
        if (c->resp >= 3) {
            reply_raw(c, ">", 1);
            reply_raw(c, frame->buf + 1, frame->len - 1);
        } else {
            reply_raw(c, frame->buf, frame->len);
        }
        push_end(c, saved);
    }
    return n;
}

/* Delivers to the exact subscribers of channel in kind's table. */
static long long publish_exact(int kind, const char *word, const char *channel, size_t clen, const char *msg,
                               size_t mlen) {
    subEntry *e = kind_size(kind) ? tableFind(kinds[kind].t, channel, clen) : NULL;
    if (!e) return 0;
    kstr *frame = message_frame(word, NULL, channel, clen, msg, mlen);
    long long receivers = deliver(e, frame);
    kstr_free(frame);
    return receivers;
}

static long long publish_patterns(const char *channel, size_t clen, const char *msg, size_t mlen) {
    if (kind_size(KIND_PATTERN) == 0) return 0;
    long long receivers = 0;
    tableIter it;
    tableIterInit(&it, kinds[KIND_PATTERN].t, 0);
    for (subEntry *e; (e = tableIterNext(&it)) != NULL;) {
        if (!glob_match(e->name, e->len, channel, clen, 0)) continue;
        kstr *frame = message_frame("pmessage", e, channel, clen, msg, mlen);
        receivers += deliver(e, frame);
        kstr_free(frame);
    }
    tableIterRelease(&it);
    return receivers;
}

long long pubsub_publish(const char *channel, size_t clen, const char *msg, size_t mlen) {
    return publish_exact(KIND_CHANNEL, "message", channel, clen, msg, mlen) +
           publish_patterns(channel, clen, msg, mlen);
}

void (*pubsub_propagate)(const char *channel, size_t clen, const char *msg, size_t mlen);

void publish_command(client *c) {
    reply_integer(c, pubsub_publish(c->argv[1].ptr, c->argv[1].len, c->argv[2].ptr, c->argv[2].len));
    if (pubsub_propagate) pubsub_propagate(c->argv[1].ptr, c->argv[1].len, c->argv[2].ptr, c->argv[2].len);
}

long long pubsub_spublish(const char *channel, size_t clen, const char *msg, size_t mlen) {
    return publish_exact(KIND_SHARD, "smessage", channel, clen, msg, mlen);
}

void (*pubsub_propagate_shard)(const char *channel, size_t clen, const char *msg, size_t mlen);

void spublish_command(client *c) {
    reply_integer(c, pubsub_spublish(c->argv[1].ptr, c->argv[1].len, c->argv[2].ptr, c->argv[2].len));
    if (pubsub_propagate_shard)
        pubsub_propagate_shard(c->argv[1].ptr, c->argv[1].len, c->argv[2].ptr, c->argv[2].len);
}

void pubsub_shard_unsubscribe_slot(int slot) {
    if (kind_size(KIND_SHARD) == 0) return;
    /* The entries first: each goes away with its last subscriber, the table must not change
     * under the iterator. */
    subEntry **hit = NULL;
    size_t n = 0, cap = 0;
    tableIter it;
    tableIterInit(&it, kinds[KIND_SHARD].t, 0);
    for (subEntry *e; (e = tableIterNext(&it)) != NULL;) {
        if (key_hash_slot(e->name, e->len) != slot) continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 8;
            hit = krealloc(hit, sizeof(*hit) * cap);
        }
        hit[n++] = e;
    }
    tableIterRelease(&it);
    for (size_t i = 0; i < n; i++) {
        subEntry *e = hit[i];
        int last;
        do {
            client *c = e->head->c;
            last = e->head->next == NULL;
            /* The reply before the removal: the name may go with the last subscription. */
            reply_sub_event(c, kinds[KIND_SHARD].unsub_word, e->name, e->len, count_of(c, KIND_SHARD) - 1);
            unsubscribe_at(c, KIND_SHARD, (size_t)find_sub(c, KIND_SHARD, e->name, e->len));
            update_pubsub_flag(c);
        } while (!last);
    }
    kfree(hit);
}

/* ---------------------------------------------------------------- PUBSUB */

/* PUBSUB CHANNELS / SHARDCHANNELS [pattern]: the names of kind's table that match. */
static void reply_channels(client *c, int kind) {
    if (c->argc > 3) {
        reply_subcommand_syntax_error(c);
        return;
    }
    const karg *pat = c->argc == 3 ? &c->argv[2] : NULL;
    replyDeferred d = reply_deferred(c);
    long long n = 0;
    if (kind_size(kind)) {
        tableIter it;
        tableIterInit(&it, kinds[kind].t, 0);
        for (subEntry *e; (e = tableIterNext(&it)) != NULL;) {
            if (pat && !glob_match(pat->ptr, pat->len, e->name, e->len, 0)) continue;
            reply_bulk(c, e->name, e->len);
            n++;
        }
        tableIterRelease(&it);
    }
    reply_set_deferred_array(c, d, n);
}

/* PUBSUB NUMSUB / SHARDNUMSUB name...: name, subscriber count pairs (a flat array). */
static void reply_numsub(client *c, int kind) {
    reply_array_len(c, (long long)(c->argc - 2) * 2);
    for (int j = 2; j < c->argc; j++) {
        subEntry *e = kind_size(kind) ? tableFind(kinds[kind].t, c->argv[j].ptr, c->argv[j].len) : NULL;
        long long n = 0;
        for (subNode *x = e ? e->head : NULL; x; x = x->next) n++;
        reply_bulk(c, c->argv[j].ptr, c->argv[j].len);
        reply_integer(c, n);
    }
}

void pubsub_channels_command(client *c) { reply_channels(c, KIND_CHANNEL); }
void pubsub_shardchannels_command(client *c) { reply_channels(c, KIND_SHARD); }
void pubsub_numsub_command(client *c) { reply_numsub(c, KIND_CHANNEL); }
void pubsub_shardnumsub_command(client *c) { reply_numsub(c, KIND_SHARD); }

void pubsub_numpat_command(client *c) {
    reply_integer(c, (long long)kind_size(KIND_PATTERN));
}

void pubsub_help_command(client *c) {
    static const char *const help[] = {
        "CHANNELS [<pattern>]",
        "    Return the currently active channels matching a <pattern> (default: '*').",
        "NUMPAT",
        "    Return number of subscriptions to patterns.",
        "NUMSUB [<channel> ...]",
        "    Return the number of subscribers for the specified channels, excluding",
        "    pattern subscriptions(default: no channels).",
        "SHARDCHANNELS [<pattern>]",
        "    Return the currently active shard level channels matching a <pattern> (default: '*').",
        "SHARDNUMSUB [<shardchannel> ...]",
        "    Return the number of subscribers for the specified shard level channel(s)",
        NULL,
    };
    reply_help(c, help);
}
