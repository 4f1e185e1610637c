/* t_stream.c - the stream commands (X*), on the storage of stream.h.
 *
 * Replies, errors and their order follow redis-server 7.0.15. Blocking XREAD/XREADGROUP use
 * core/blocking.c: the blocked command is re-executed for the key that became ready; before
 * blocking, `$` IDs are replaced in the saved arguments by the stream's last ID at that moment,
 * so the re-execution waits for the same thing. XREADGROUP waiters are also woken when their
 * key is deleted or overwritten (db.c signals streams on delete) and when a group is
 * destroyed, and fail then as Redis's do. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "commands/commands.h"
#include "core/blocking.h"
#include "core/notify.h"
#include "keyspace/db.h"
#include "persist/wstream.h"
#include "protocol/reply.h"
#include "types/collection.h"
#include "types/stream.h"
#include "util/mem.h"
#include "util/util.h"

#define STREAM(o) ((stream *)obj_ptr(o))
/* XREAD BLOCK without COUNT serves at most this many entries per stream (Redis's value). */
#define XREAD_BLOCKED_DEFAULT_COUNT 1000
#define ERR_INVALID_ID "Invalid stream ID specified as stream command argument"

static const streamID ID_MIN = {0, 0};
static const streamID ID_MAX = {UINT64_MAX, UINT64_MAX};

/* ---- types.c hooks -------------------------------------------------------------------------- */

void stream_free_payload(kobj *o) {
    stream_free(STREAM(o));
}

void *stream_dup_payload(const kobj *o) {
    return stream_dup(STREAM(o));
}

size_t stream_payload_memory(const kobj *o) {
    return stream_memory(STREAM(o));
}

size_t stream_free_effort(const kobj *o) {
    const stream *s = STREAM(o);
    size_t effort = s->nodes.len;
    for (size_t i = 0; i < s->ngroups; i++) effort += s->groups[i]->pel.len + s->groups[i]->nconsumers;
    return effort;
}

/* ---- Arguments ------------------------------------------------------------------------------ */

/* Redis's string2ull: a strict long long >= 0, else whatever strtoull takes whole. */
static int parse_u64(const char *s, unsigned long long *out) {
    long long ll;
    if (str_to_ll(s, strlen(s), &ll)) {
        if (ll < 0) return 0;
        *out = (unsigned long long)ll;
        return 1;
    }
    char *end = NULL;
    errno = 0;
    *out = strtoull(s, &end, 10);
    return !(errno == EINVAL || errno == ERANGE || *s == '\0' || *end != '\0');
}

/* Parses "ms-seq", "ms" (seq = missing_seq), "-" and "+" (unless strict), and with seq_given
 * "ms-*" (*seq_given = 0). Returns 1, or 0 after replying the invalid ID error. */
static int parse_id(client *c, const char *arg, size_t len, streamID *id, uint64_t missing_seq, int strict,
                    int *seq_given) {
    char buf[128];
    if (len > sizeof(buf) - 1) goto invalid;
    memcpy(buf, arg, len);
    buf[len] = '\0';
    if (strict && (buf[0] == '-' || buf[0] == '+') && buf[1] == '\0') goto invalid;
    if (seq_given) *seq_given = 1;
    if (buf[0] == '-' && buf[1] == '\0') {
        *id = ID_MIN;
        return 1;
    }
    if (buf[0] == '+' && buf[1] == '\0') {
        *id = ID_MAX;
        return 1;
    }
    unsigned long long ms, seq = missing_seq;
    char *dash = strchr(buf, '-');
    if (dash) *dash = '\0';
    if (!parse_u64(buf, &ms)) goto invalid;
    if (dash) {
        if (seq_given && dash[1] == '*' && dash[2] == '\0') {
            seq = 0;
            *seq_given = 0;
        } else if (!parse_u64(dash + 1, &seq)) {
            goto invalid;
        }
    }
    id->ms = ms;
    id->seq = seq;
    return 1;
invalid:
    if (c) reply_error(c, ERR_INVALID_ID);
    return 0;
}

static int parse_strict_id(client *c, const karg *a, streamID *id) {
    return parse_id(c, a->ptr, a->len, id, 0, 1, NULL);
}

/* A range bound: "(" makes it exclusive (then it is parsed strictly and stepped inwards). */
static int parse_range_bound(client *c, const karg *a, streamID *id, uint64_t missing_seq, int is_start) {
    int exclusive = a->len > 1 && a->ptr[0] == '(';
    if (!exclusive) return parse_id(c, a->ptr, a->len, id, missing_seq, 0, NULL);
    if (!parse_id(c, a->ptr + 1, a->len - 1, id, missing_seq, 1, NULL)) return 0;
    if (is_start ? !stream_id_incr(id) : !stream_id_decr(id)) {
        reply_error(c, is_start ? "invalid start ID for the interval" : "invalid end ID for the interval");
        return 0;
    }
    return 1;
}

static void reply_id(client *c, const streamID *id) {
    char buf[STREAM_ID_BUF];
    reply_bulk(c, buf, (size_t)stream_id_format(buf, id));
}

static void reply_subcommand_syntax(client *c) {
    char parent[16];
    size_t n = c->argv[0].len < sizeof(parent) - 1 ? c->argv[0].len : sizeof(parent) - 1;
    for (size_t i = 0; i < n; i++) parent[i] = (char)(c->argv[0].ptr[i] & ~0x20);
    parent[n] = '\0';
    reply_errorf(c, "unknown subcommand or wrong number of arguments for '%.128s'. Try %s HELP.", c->argv[1].ptr,
                 parent);
}

static void written(client *c, const karg *key, const char *event) {
    notify_keyspace_event(NOTIFY_STREAM, event, key->ptr, key->len, c->db->id);
    signal_modified_key(c, c->db, key->ptr, key->len);
}

/* ---- Propagating consumer-group effects ----------------------------------------------------
 *
 * As Redis 7.0.15: XREADGROUP, XCLAIM and XAUTOCLAIM do not propagate themselves (they rewrite
 * to nothing) but what they did, in the order they did it:
 *  - each entry delivered (or claimed, or dropped from the PEL because it was deleted) as
 *    "XCLAIM key group consumer 0 id TIME ms RETRYCOUNT n FORCE JUSTID LASTID group-last-id",
 *    which replays idempotently (a deleted entry's XCLAIM drops the PEL entry on replay too);
 *  - a group's last ID moved without any such XCLAIM (NOACK reads, XCLAIM LASTID) as
 *    "XGROUP SETID key group last-id ENTRIESREAD n";
 *  - a consumer created by a NOACK read as "XGROUP CREATECONSUMER key group consumer" (an
 *    XCLAIM creates its consumer on replay by itself). */

/* XCLAIM of the entry id (idarg: as the client wrote it, NULL: formatted from id), owned by
 * consumer, delivered at time ms, count times. */
static void propagate_claim(client *c, const karg *key, const karg *group, const karg *idarg, const streamID *id,
                            const char *consumer, size_t consumer_len, long long time_ms, uint64_t count,
                            const streamCG *cg) {
    char idbuf[STREAM_ID_BUF], timebuf[24], countbuf[24], lastbuf[STREAM_ID_BUF];
    karg argv[14] = {
        WSTREAM_ARG("XCLAIM"), *key, *group, {.ptr = (char *)consumer, .len = consumer_len}, WSTREAM_ARG("0"),
        {.ptr = idbuf, .len = 0}, WSTREAM_ARG("TIME"), {.ptr = timebuf, .len = 0}, WSTREAM_ARG("RETRYCOUNT"),
        {.ptr = countbuf, .len = 0}, WSTREAM_ARG("FORCE"), WSTREAM_ARG("JUSTID"), WSTREAM_ARG("LASTID"),
        {.ptr = lastbuf, .len = 0},
    };
    if (idarg)
        argv[5] = *idarg;
    else
        argv[5].len = (size_t)stream_id_format(idbuf, id);
    argv[7].len = (size_t)ll_to_str(timebuf, sizeof(timebuf), time_ms);
    argv[9].len = (size_t)ull_to_str(countbuf, sizeof(countbuf), count);
    argv[13].len = (size_t)stream_id_format(lastbuf, &cg->last_id);
    wstream_append(c->db->id, 14, argv);
}

static void propagate_nack(client *c, const karg *key, const karg *group, const karg *idarg, const streamNACK *nack,
                           const streamCG *cg) {
    propagate_claim(c, key, group, idarg, &nack->id, nack->consumer->name, nack->consumer->namelen,
                    nack->delivery_time, nack->delivery_count, cg);
}

static void propagate_group_id(client *c, const karg *key, const karg *group, const streamCG *cg) {
    char lastbuf[STREAM_ID_BUF], readbuf[24];
    karg argv[7] = {
        WSTREAM_ARG("XGROUP"), WSTREAM_ARG("SETID"), *key, *group, {.ptr = lastbuf, .len = 0},
        WSTREAM_ARG("ENTRIESREAD"), {.ptr = readbuf, .len = 0},
    };
    argv[4].len = (size_t)stream_id_format(lastbuf, &cg->last_id);
    argv[6].len = (size_t)ll_to_str(readbuf, sizeof(readbuf), cg->entries_read);
    wstream_append(c->db->id, 7, argv);
}

static void propagate_consumer_creation(client *c, const karg *key, const karg *group, const karg *consumer) {
    karg argv[5] = {WSTREAM_ARG("XGROUP"), WSTREAM_ARG("CREATECONSUMER"), *key, *group, *consumer};
    wstream_append(c->db->id, 5, argv);
}

/* ---- Replying entries ----------------------------------------------------------------------- */

static void reply_current_entry(client *c, streamIter *it) {
    reply_array_len(c, 2);
    reply_id(c, &it->id);
    reply_array_len(c, (long long)it->nfields * 2);
    for (size_t i = 0; i < it->nfields; i++) {
        streamStr f, v;
        stream_iter_field(it, &f, &v);
        reply_bulk(c, f.ptr, f.len);
        reply_bulk(c, v.ptr, v.len);
    }
}

/* The entry with this ID, bare (no array around it); 0 if it does not exist. */
static int reply_one_entry(client *c, stream *s, const streamID *id) {
    streamIter it;
    stream_iter_start(&it, s, id, id, 0);
    int found = stream_iter_next(&it);
    if (found) reply_current_entry(c, &it);
    stream_iter_stop(&it);
    return found;
}

/* A consumer-group read: the group advances, entries enter the PEL (unless noack). key and
 * gname name the stream and group in what the read propagates. */
typedef struct groupRead {
    streamCG *group;
    streamConsumer *consumer;
    int noack;
    const karg *key, *gname;
    int last_id_moved;       /* set by group_deliver */
} groupRead;

static void group_deliver(client *c, stream *s, groupRead *gr, const streamID *id, long long now) {
    streamCG *cg = gr->group;
    if (stream_id_cmp(id, &cg->last_id) > 0) {
        if (cg->entries_read != STREAM_ENTRIES_READ_UNKNOWN && !stream_range_has_tombstones(s, id))
            cg->entries_read++;
        else if (s->entries_added)
            cg->entries_read = stream_estimate_distance(s, id);
        cg->last_id = *id;
        gr->last_id_moved = 1;
    }
    if (gr->noack) return;
    streamNACK *nack = idmap_find(&cg->pel, id);
    if (nack) {
        stream_nack_move(nack, gr->consumer);
        nack->delivery_time = now;
        nack->delivery_count = 1;
    } else {
        nack = stream_nack_new(gr->consumer, id, now);
        idmap_insert(&cg->pel, id, nack);
        idmap_insert(&gr->consumer->pel, id, nack);
    }
    propagate_nack(c, gr->key, gr->gname, NULL, nack, cg);
}

/* Entries in [start, end] (count 0 = all) as an array; with gr, delivered to a consumer.
 * With a count the length is counted first (a deferred length costs reply blocks). */
static size_t reply_range(client *c, stream *s, const streamID *start, const streamID *end, size_t count, int rev,
                          groupRead *gr) {
    replyDeferred d = {NULL};
    if (count)
        reply_array_len(c, (long long)stream_range_count(s, start, end, rev, count));
    else
        d = reply_deferred(c);
    size_t n = 0;
    long long now = mstime();
    streamIter it;
    stream_iter_start(&it, s, start, end, rev);
    while (stream_iter_next(&it)) {
        if (gr) group_deliver(c, s, gr, &it.id, now);
        reply_current_entry(c, &it);
        if (++n == count) break;
    }
    stream_iter_stop(&it);
    /* Without NOACK the XCLAIMs carried the last ID. */
    if (gr && gr->noack && gr->last_id_moved) propagate_group_id(c, gr->key, gr->gname, gr->group);
    if (!count) reply_set_deferred_array(c, d, (long long)n);
    return n;
}

/* XREADGROUP with an ID: the consumer's own pending entries from start (deleted ones as
 * [id, nil]); each counts as delivered again. */
static void reply_consumer_history(client *c, stream *s, const streamID *start, size_t count, streamConsumer *sc) {
    size_t from = idmap_lower_bound(&sc->pel, start), n = sc->pel.len - from;
    if (count && count < n) n = count;
    reply_array_len(c, (long long)n);
    long long now = mstime();
    for (size_t i = from; i < from + n; i++) {
        streamNACK *nack = idmap_at(&sc->pel, i)->ptr;
        if (reply_one_entry(c, s, &nack->id)) {
            nack->delivery_time = now;
            nack->delivery_count++;
        } else {
            reply_array_len(c, 2);
            reply_id(c, &nack->id);
            reply_null_array(c);
        }
    }
}

/* XINFO STREAM's radix-tree-nodes: the nodes Redis's rax would have for our node keys (128-bit
 * big-endian IDs). Redis keeps its rax compressed: a node at the root, at every branching point,
 * at every leaf, and one more for each edge of length > 1 out of a branching point (the
 * branching node holds the edge's first byte, a compressed node the rest). Walks the sorted keys
 * with a stack of the rightmost path's depths (common prefixes of neighbours, in bytes). */
static int key_lcp(const streamID *a, const streamID *b) {
    if (a->ms != b->ms) return __builtin_clzll(a->ms ^ b->ms) / 8;
    if (a->seq != b->seq) return 8 + __builtin_clzll(a->seq ^ b->seq) / 8;
    return 16;
}

static long long rax_node_count(const stream *s) {
    size_t n = s->nodes.len;
    long long nodes = 1, extra = 0, root_edges = 0, root_extra = 0;
    int st[18], top = 0;
    st[0] = 0;
#define RAX_EDGE(parent, child)                                                 \
    do {                                                                        \
        if ((parent) == 0) root_edges++, root_extra += (child) - (parent) > 1; \
        else extra += (child) - (parent) > 1;                                   \
    } while (0)
    for (size_t i = 0; i < n; i++) {
        if (i > 0) {
            int l = key_lcp(&idmap_at(&s->nodes, i - 1)->id, &idmap_at(&s->nodes, i)->id);
            while (st[top] > l) {
                int d = st[top--];
                int parent = st[top] > l ? st[top] : l;
                RAX_EDGE(parent, d);
            }
            if (st[top] < l) {
                st[++top] = l;
                nodes++;
            }
        }
        st[++top] = 16;
        nodes++;
    }
    while (top > 0) {
        int d = st[top--];
        RAX_EDGE(st[top], d);
    }
#undef RAX_EDGE
    return nodes + extra + (root_edges > 1 ? root_extra : 0);
}

/* ---- XADD / XTRIM --------------------------------------------------------------------------- */

typedef struct trimArgs {
    int strategy;            /* 0 none, TRIM_MAXLEN, TRIM_MINID */
    int approx;
    long long maxlen;
    streamID minid;
    long long limit;
    int nomkstream;
    int id_given, seq_given;
    streamID id;
    int approx_at, limit_at;  /* argv index of "~" and of LIMIT, 0 if absent */
} trimArgs;

#define TRIM_MAXLEN 1
#define TRIM_MINID 2

/* The options of XADD (xadd = 1, up to and including the ID) or XTRIM. Returns the index of
 * the ID (XADD) or of the end, or -1 after replying an error. */
static int parse_add_trim(client *c, trimArgs *a, int xadd) {
    memset(a, 0, sizeof(*a));
    int i = 2, limit_given = 0;
    for (; i < c->argc; i++) {
        int more = c->argc - 1 - i;
        const karg *opt = &c->argv[i];
        int is_maxlen = arg_is(opt->ptr, opt->len, "maxlen"), is_minid = arg_is(opt->ptr, opt->len, "minid");
        if (xadd && opt->len == 1 && opt->ptr[0] == '*') {
            break;
        } else if ((is_maxlen || is_minid) && more) {
            if (a->strategy) {
                reply_error(c, "syntax error, MAXLEN and MINID options at the same time are not compatible");
                return -1;
            }
            a->approx = 0;
            const karg *next = &c->argv[i + 1];
            if (more >= 2 && next->len == 1 && (next->ptr[0] == '~' || next->ptr[0] == '=')) {
                a->approx = next->ptr[0] == '~';
                a->approx_at = a->approx ? i + 1 : 0;
                i++;
            }
            if (is_maxlen) {
                if (!arg_ll_or_reply(c, &c->argv[i + 1], &a->maxlen, NULL)) return -1;
                if (a->maxlen < 0) {
                    reply_error(c, "The MAXLEN argument must be >= 0.");
                    return -1;
                }
            } else if (!parse_strict_id(c, &c->argv[i + 1], &a->minid)) {
                return -1;
            }
            i++;
            a->strategy = is_maxlen ? TRIM_MAXLEN : TRIM_MINID;
        } else if (arg_is(opt->ptr, opt->len, "limit") && more) {
            if (!arg_ll_or_reply(c, &c->argv[i + 1], &a->limit, NULL)) return -1;
            if (a->limit < 0) {
                reply_error(c, "The LIMIT argument must be >= 0.");
                return -1;
            }
            limit_given = 1;
            a->limit_at = i;
            i++;
        } else if (xadd && arg_is(opt->ptr, opt->len, "nomkstream")) {
            a->nomkstream = 1;
        } else if (xadd) {
            if (!parse_id(c, opt->ptr, opt->len, &a->id, 0, 1, &a->seq_given)) return -1;
            a->id_given = 1;
            break;
        } else {
            reply_error(c, ERR_SYNTAX);
            return -1;
        }
    }
    if (a->limit && !a->strategy) {
        reply_error(c, "syntax error, LIMIT cannot be used without specifying a trimming strategy");
        return -1;
    }
    if (!xadd && !a->strategy) {
        reply_error(c, "syntax error, XTRIM must be called with a trimming strategy");
        return -1;
    }
    if ((c->flags & CLIENT_MASTER) || (server.loading && (c->flags & CLIENT_FAKE))) {
        /* Our primary's stream or the AOF: "~" was propagated as "=" with the result (LIMIT
         * kept), so trim exactly, without a limit and without LIMIT's "~" check, as Redis. */
        a->limit = 0;
        return i;
    }
    if (limit_given && !a->approx) {
        reply_error(c, "syntax error, LIMIT cannot be used without the special ~ option");
        return -1;
    }
    if (!limit_given) {
        a->limit = 0;
        if (a->approx) {
            a->limit = 100 * server.stream_node_max_entries;
            if (a->limit <= 0) a->limit = 10000;
            if (a->limit > 1000000) a->limit = 1000000;
        }
    }
    return i;
}

static long long do_trim(stream *s, const trimArgs *a) {
    return stream_trim(s, a->strategy == TRIM_MAXLEN ? a->maxlen : -1, &a->minid, a->approx, a->limit);
}

/* The ID XADD gives the entry: 1, or 0 when it is not greater than the top item, or -1 when
 * "ms-*" has no sequence left (Redis then reports the elements as too large). */
static int next_id(const stream *s, const trimArgs *a, streamID *id) {
    if (!a->id_given) {
        uint64_t ms = (uint64_t)mstime();
        if (ms > s->last_id.ms) {
            id->ms = ms;
            id->seq = 0;
        } else {
            *id = s->last_id;
            stream_id_incr(id);
        }
        return 1;
    }
    *id = a->id;
    if (!a->seq_given) {
        if (s->last_id.ms == a->id.ms) {
            if (s->last_id.seq == UINT64_MAX) return -1;
            *id = s->last_id;
            id->seq++;
        }
    }
    return stream_id_cmp(id, &s->last_id) > 0;
}

/* What XADD (idpos: its ID's index) and XTRIM propagate, as Redis 7.0.15: the ID the server
 * chose, and an approximate trim ("~") as "=" with what is left: the length for MAXLEN, the
 * first entry's ID, tombstones included, for MINID (UINT64_MAX-UINT64_MAX when there is none).
 * XADD rewrites "~" whenever it is given, trimmed or not; XTRIM propagates only when it removed
 * entries. LIMIT stays in the command: the primary's stream and the AOF ignore it (parse_add_trim). */
static void propagate_add_trim(client *c, const trimArgs *a, stream *s, int idpos, const streamID *id) {
    int new_id = idpos >= 0 && (!a->id_given || !a->seq_given), exact = a->approx_at != 0;
    if (!new_id && !exact) return;
    char idbuf[STREAM_ID_BUF], valbuf[STREAM_ID_BUF];
    size_t vallen = 0;
    if (exact && a->strategy == TRIM_MAXLEN) {
        vallen = (size_t)ll_to_str(valbuf, sizeof(valbuf), (long long)s->length);
    } else if (exact) {
        streamID first = {UINT64_MAX, UINT64_MAX}, master;
        if (stream_node_count(s)) {
            streamIter it;
            size_t nfields;
            int flags;
            stream_iter_node(&it, s, 0, &master, &nfields);
            if (stream_iter_next_raw(&it, &flags)) first = it.id;
            stream_iter_stop(&it);
        }
        vallen = (size_t)stream_id_format(valbuf, &first);
    }
    karg stack[16] = {{0}};
    karg *argv = c->argc <= 16 ? stack : kmalloc(sizeof(karg) * (size_t)c->argc);
    for (int i = 0; i < c->argc; i++) {
        argv[i] = c->argv[i];
        if (new_id && i == idpos) argv[i].len = (size_t)stream_id_format(argv[i].ptr = idbuf, id);
        if (exact && i == a->approx_at) argv[i] = (karg){.ptr = "=", .len = 1};
        if (exact && i == a->approx_at + 1) argv[i] = (karg){.ptr = valbuf, .len = vallen};
    }
    wstream_rewrite(c->argc, argv);
    if (argv != stack) kfree(argv);
}

void xadd_command(client *c) {
    trimArgs a;
    int idpos = parse_add_trim(c, &a, 1);
    if (idpos < 0) return;
    int fpos = idpos + 1;
    if (c->argc - fpos < 2 || (c->argc - fpos) % 2 == 1) {
        reply_error_arity(c);
        return;
    }
    if (a.id_given && a.seq_given && a.id.ms == 0 && a.id.seq == 0) {
        reply_error(c, "The ID specified in XADD must be greater than 0-0");
        return;
    }
    kobj *o;
    if (!coll_lookup_write(c, &c->argv[1], OBJ_STREAM, &o)) return;
    if (!o) {
        if (a.nomkstream) {
            reply_null(c);
            return;
        }
        o = obj_new_ptr(c->argv[1].ptr, c->argv[1].len, OBJ_STREAM, ENC_STREAM, stream_new());
        db_add(c->db, o);
    }
    stream *s = STREAM(o);
    if (s->last_id.ms == UINT64_MAX && s->last_id.seq == UINT64_MAX) {
        reply_error(c, "The stream has exhausted the last possible ID, unable to add more items");
        return;
    }
    streamID id;
    int idok = next_id(s, &a, &id);
    if (idok == 0) {
        reply_error(c, "The ID specified in XADD is equal or smaller than the target stream top item");
        return;
    }
    size_t total = 0;
    for (int i = fpos; i < c->argc; i++) total += c->argv[i].len;
    if (idok < 0 || total > (1ULL << 30)) {
        reply_error(c, "Elements are too large to be stored");
        return;
    }
    stream_append(s, &id, (const streamStr *)(const void *)&c->argv[fpos], (size_t)(c->argc - fpos) / 2,
                  server.stream_node_max_bytes, server.stream_node_max_entries);
    reply_id(c, &id);
    written(c, &c->argv[1], "xadd");
    int trimmed = a.strategy && do_trim(s, &a);
    if (trimmed) notify_keyspace_event(NOTIFY_STREAM, "xtrim", c->argv[1].ptr, c->argv[1].len, c->db->id);
    propagate_add_trim(c, &a, s, idpos, &id);
    signal_key_as_ready(c->db, c->argv[1].ptr, c->argv[1].len);
}

void xtrim_command(client *c) {
    trimArgs a;
    if (parse_add_trim(c, &a, 0) < 0) return;
    kobj *o;
    if (!coll_lookup_write(c, &c->argv[1], OBJ_STREAM, &o)) return;
    long long deleted = o ? do_trim(STREAM(o), &a) : 0;
    if (deleted) {
        notify_keyspace_event(NOTIFY_STREAM, "xtrim", c->argv[1].ptr, c->argv[1].len, c->db->id);
        signal_modified_key(c, c->db, c->argv[1].ptr, c->argv[1].len);
        propagate_add_trim(c, &a, STREAM(o), -1, NULL);
    }
    reply_integer(c, deleted);
}

/* ---- XRANGE / XREVRANGE / XLEN / XDEL / XSETID ------------------------------------------------ */

static void xrange_generic(client *c, int rev) {
    streamID start, end;
    long long count = -1;
    if (!parse_range_bound(c, &c->argv[rev ? 3 : 2], &start, 0, 1)) return;
    if (!parse_range_bound(c, &c->argv[rev ? 2 : 3], &end, UINT64_MAX, 0)) return;
    for (int j = 4; j < c->argc; j++) {
        if (arg_is(c->argv[j].ptr, c->argv[j].len, "count") && j + 1 < c->argc) {
            if (!arg_ll_or_reply(c, &c->argv[++j], &count, NULL)) return;
            if (count < 0) count = 0;
        } else {
            reply_error(c, ERR_SYNTAX);
            return;
        }
    }
    kobj *o;
    if (!coll_lookup_read(c, &c->argv[1], OBJ_STREAM, &o)) return;
    if (!o)
        reply_empty_array(c);
    else if (count == 0)
        reply_null_array(c);
    else
        reply_range(c, STREAM(o), &start, &end, count == -1 ? 0 : (size_t)count, rev, NULL);
}

void xrange_command(client *c) {
    xrange_generic(c, 0);
}

void xrevrange_command(client *c) {
    xrange_generic(c, 1);
}

void xlen_command(client *c) {
    kobj *o;
    if (coll_lookup_read(c, &c->argv[1], OBJ_STREAM, &o)) reply_integer(c, o ? (long long)STREAM(o)->length : 0);
}

/* XDEL and XACK: all of argv[from..argc) are parsed as strict IDs first (no partial work on
 * a bad one), then fn is applied to each. Returns how many fn counted, or -1 after an error
 * reply. */
typedef int id_fn(void *ctx, const streamID *id);

static long long apply_to_ids(client *c, int from, id_fn *fn, void *ctx) {
    streamID *ids = kmalloc(sizeof(streamID) * (size_t)(c->argc - from));
    long long n = 0;
    for (int j = from; j < c->argc && n >= 0; j++)
        if (!parse_strict_id(c, &c->argv[j], &ids[j - from])) n = -1;
    for (int j = from; j < c->argc && n >= 0; j++) n += fn(ctx, &ids[j - from]);
    kfree(ids);
    return n;
}

static int delete_id(void *s, const streamID *id) {
    return stream_delete(s, id);
}

void xdel_command(client *c) {
    kobj *o;
    if (!coll_lookup_write(c, &c->argv[1], OBJ_STREAM, &o)) return;
    long long deleted = o ? apply_to_ids(c, 2, delete_id, STREAM(o)) : 0;
    if (deleted < 0) return;
    if (deleted) written(c, &c->argv[1], "xdel");
    reply_integer(c, deleted);
}

void xsetid_command(client *c) {
    streamID id, max_xdel = ID_MIN;
    long long entries_added = -1;
    if (!parse_strict_id(c, &c->argv[2], &id)) return;
    for (int i = 3; i < c->argc; i += 2) {
        const karg *opt = &c->argv[i];
        int more = c->argc - 1 - i;
        if (arg_is(opt->ptr, opt->len, "entriesadded") && more) {
            if (!arg_ll_or_reply(c, &c->argv[i + 1], &entries_added, NULL)) return;
            if (entries_added < 0) {
                reply_error(c, "entries_added must be positive");
                return;
            }
        } else if (arg_is(opt->ptr, opt->len, "maxdeletedid") && more) {
            if (!parse_strict_id(c, &c->argv[i + 1], &max_xdel)) return;
            if (stream_id_cmp(&id, &max_xdel) < 0) {
                reply_error(c, "The ID specified in XSETID is smaller than the provided max_deleted_entry_id");
                return;
            }
        } else {
            reply_error(c, ERR_SYNTAX);
            return;
        }
    }
    kobj *o;
    if (!coll_lookup_write(c, &c->argv[1], OBJ_STREAM, &o)) return;
    if (!o) {
        reply_error(c, ERR_NOSUCHKEY);
        return;
    }
    stream *s = STREAM(o);
    if (s->length > 0) {
        streamID maxid;
        stream_edge_id(s, 0, &maxid);
        if (stream_id_cmp(&id, &maxid) < 0) {
            reply_error(c, "The ID specified in XSETID is smaller than the target stream top item");
            return;
        }
        if (entries_added != -1 && s->length > (uint64_t)entries_added) {
            reply_error(c, "The entries_added specified in XSETID is smaller than the target stream length");
            return;
        }
    }
    s->last_id = id;
    if (entries_added != -1) s->entries_added = (uint64_t)entries_added;
    if (stream_id_cmp(&max_xdel, &ID_MIN) != 0) s->max_deleted_id = max_xdel;
    reply_ok(c);
    server.dirty++;
    /* Redis 7.0.15 does not signal the key as modified here (WATCH survives XSETID). */
    notify_keyspace_event(NOTIFY_STREAM, "xsetid", c->argv[1].ptr, c->argv[1].len, c->db->id);
}

/* ---- XREAD / XREADGROUP --------------------------------------------------------------------- */

typedef struct xreadArgs {
    long long deadline;      /* -1 without BLOCK, 0 forever, else unix ms */
    long long count;
    int streams_arg, nstreams;
    const karg *group, *consumer;
    int noack;
} xreadArgs;

static int xread_parse(client *c, int xreadgroup, xreadArgs *a) {
    memset(a, 0, sizeof(*a));
    a->deadline = -1;
    for (int i = 1; i < c->argc; i++) {
        int more = c->argc - i - 1;
        const karg *o = &c->argv[i];
        if (arg_is(o->ptr, o->len, "block") && more) {
            if (c->flags & CLIENT_FAKE && !(c->flags & CLIENT_MULTI)) {
                reply_errorf(c, "%s command is not allowed with BLOCK option from scripts", c->argv[0].ptr);
                return 0;
            }
            long long ms;
            if (!arg_ll_or_reply(c, &c->argv[++i], &ms, "timeout is not an integer or out of range")) return 0;
            if (ms < 0) {
                reply_error(c, "timeout is negative");
                return 0;
            }
            long long now = server_time_ms();
            a->deadline = ms == 0 || ms > LLONG_MAX - now ? 0 : now + ms;
        } else if (arg_is(o->ptr, o->len, "count") && more) {
            if (!arg_ll_or_reply(c, &c->argv[++i], &a->count, NULL)) return 0;
            if (a->count < 0) a->count = 0;
        } else if (arg_is(o->ptr, o->len, "streams") && more) {
            a->streams_arg = i + 1;
            a->nstreams = c->argc - a->streams_arg;
            if (a->nstreams % 2 != 0) {
                reply_error(c, "Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.");
                return 0;
            }
            a->nstreams /= 2;
            break;
        } else if (arg_is(o->ptr, o->len, "group") && more >= 2) {
            if (!xreadgroup) {
                reply_error(c, "The GROUP option is only supported by XREADGROUP. You called XREAD instead.");
                return 0;
            }
            a->group = &c->argv[i + 1];
            a->consumer = &c->argv[i + 2];
            i += 2;
        } else if (arg_is(o->ptr, o->len, "noack")) {
            if (!xreadgroup) {
                reply_error(c, "The NOACK option is only supported by XREADGROUP. You called XREAD instead.");
                return 0;
            }
            a->noack = 1;
        } else {
            reply_error(c, ERR_SYNTAX);
            return 0;
        }
    }
    if (a->streams_arg == 0) {
        reply_error(c, ERR_SYNTAX);
        return 0;
    }
    if (xreadgroup && !a->group) {
        reply_error(c, "Missing GROUP option for XREADGROUP");
        return 0;
    }
    return 1;
}

static int is_arg(const karg *a, const char *s) {
    return a->len == strlen(s) && memcmp(a->ptr, s, a->len) == 0;
}

/* The consumer named by the command, looked up (its seen time refreshed) or created (then
 * *created is set, if given). */
static streamConsumer *consumer_for_read(client *c, streamCG *cg, const karg *name, const karg *key, int *created) {
    long long now = mstime();
    streamConsumer *sc = stream_consumer_find(cg, name->ptr, name->len);
    if (sc) {
        sc->seen_time = now;
        return sc;
    }
    server.dirty++;
    if (created) *created = 1;
    notify_keyspace_event(NOTIFY_STREAM, "xgroup-createconsumer", key->ptr, key->len, c->db->id);
    return stream_consumer_create(cg, name->ptr, name->len, now);
}

/* XREAD's reply is a map of key -> entries in RESP3, an array of [key, entries] in RESP2. */
static void reply_streams_len(client *c, long long n) {
    if (c->resp == 2)
        reply_array_len(c, n);
    else
        reply_map_len(c, n);
}

/* One stream's part of the reply: [key, entries] (a map entry in RESP3). */
static void reply_stream_part(client *c, const karg *key, stream *s, const streamID *after, size_t count,
                              streamCG *cg, const xreadArgs *a, int history) {
    if (c->resp == 2) reply_array_len(c, 2);
    reply_bulk(c, key->ptr, key->len);
    streamID start = *after;
    stream_id_incr(&start);
    if (!cg) {
        reply_range(c, s, &start, &ID_MAX, count, 0, NULL);
        return;
    }
    /* The group's state changes: the BGSAVE writes the stream first. */
    db_will_change(c->db, db_lookup(c->db, key->ptr, key->len, LOOKUP_NOTOUCH | LOOKUP_NOSTATS | LOOKUP_NONOTIFY));
    int created = 0;
    streamConsumer *sc = consumer_for_read(c, cg, a->consumer, key, &created);
    if (created && a->noack) propagate_consumer_creation(c, key, a->group, a->consumer);
    if (history) {
        reply_consumer_history(c, s, &start, count, sc);
    } else {
        groupRead gr = {cg, sc, a->noack, key, a->group, 0};
        reply_range(c, s, &start, &ID_MAX, count, 0, &gr);
    }
    server.dirty++;
    wstream_rewrite(0, NULL);   /* XREADGROUP itself never propagates */
}

/* Serve mode: the key this blocked client waits on became ready (blocking.h). */
static void xread_serve(client *c, const xreadArgs *a, const karg *ready) {
    int i = 0;
    while (i < a->nstreams && !(c->argv[a->streams_arg + i].len == ready->len &&
                                memcmp(c->argv[a->streams_arg + i].ptr, ready->ptr, ready->len) == 0))
        i++;
    const karg *key = &c->argv[a->streams_arg + i];
    kobj *o = db_lookup(c->db, key->ptr, key->len, LOOKUP_NOTOUCH | LOOKUP_NOSTATS | LOOKUP_NONOTIFY);
    if (!o || o->type != OBJ_STREAM) {
        if (a->group)
            reply_error(c, "-UNBLOCKED the stream key no longer exists");
        else
            block_for_keys(c, NULL, 0, 0);
        return;
    }
    stream *s = STREAM(o);
    streamID after;
    streamCG *cg = NULL;
    if (a->group) {
        cg = stream_group_find(s, a->group->ptr, a->group->len);
        if (!cg) {
            reply_error(c, "-NOGROUP the consumer group this client was blocked on no longer exists");
            return;
        }
        after = cg->last_id;
    } else {
        parse_strict_id(NULL, &c->argv[a->streams_arg + a->nstreams + i], &after);
    }
    if (stream_id_cmp(&s->last_id, &after) <= 0) {
        block_for_keys(c, NULL, 0, 0);
        return;
    }
    reply_streams_len(c, 1);
    reply_stream_part(c, key, s, &after, a->count ? (size_t)a->count : XREAD_BLOCKED_DEFAULT_COUNT, cg, a, 0);
}

/* Blocks on the streams, with `$` replaced by each stream's last ID in the saved arguments. */
static void xread_block(client *c, const xreadArgs *a, const streamID *ids) {
    karg *saved = c->argv;
    karg *argv = kmalloc(sizeof(karg) * (size_t)c->argc);
    char(*bufs)[STREAM_ID_BUF] = kmalloc(STREAM_ID_BUF * (size_t)a->nstreams);
    memcpy(argv, saved, sizeof(karg) * (size_t)c->argc);
    for (int i = 0; i < a->nstreams; i++) {
        karg *idarg = &argv[a->streams_arg + a->nstreams + i];
        if (!is_arg(idarg, "$")) continue;
        idarg->len = (size_t)stream_id_format(bufs[i], &ids[i]);
        idarg->ptr = bufs[i];
    }
    c->argv = argv;
    block_for_keys(c, &argv[a->streams_arg], a->nstreams, a->deadline);
    if (a->group) blocking_serve_when_deleted(c);
    c->argv = saved;
    kfree(bufs);
    kfree(argv);
}

/* The stream at the i-th key if it has something for the reader now, else NULL. *after is
 * the ID to read after (a group's last delivered ID for ">"); *history is set for XREADGROUP
 * with an explicit ID (the consumer's pending entries, always served). */
static stream *xread_servable(client *c, const xreadArgs *a, int i, streamCG *cg, streamID *after, int *history,
                              int lookup_flags) {
    const karg *key = &c->argv[a->streams_arg + i];
    kobj *o = db_lookup(c->db, key->ptr, key->len, lookup_flags);
    if (!o) return NULL;
    stream *s = STREAM(o);
    *history = cg && stream_id_cmp(after, &ID_MAX) != 0;
    if (*history) return s;
    if (!s->length) return NULL;
    streamID maxid;
    stream_edge_id(s, 0, &maxid);
    if (cg) *after = cg->last_id;
    return stream_id_cmp(&maxid, after) > 0 ? s : NULL;
}

static void xread_generic(client *c, int xreadgroup) {
    xreadArgs a;
    if (!xread_parse(c, xreadgroup, &a)) return;
    const karg *ready = blocking_ready_key(c);
    if (ready) {
        xread_serve(c, &a, ready);
        return;
    }
    streamID *ids = kmalloc(sizeof(streamID) * (size_t)a.nstreams);
    streamCG **groups = kcalloc(sizeof(streamCG *) * (size_t)a.nstreams);
    for (int i = 0; i < a.nstreams; i++) {
        const karg *key = &c->argv[a.streams_arg + i], *idarg = &c->argv[a.streams_arg + a.nstreams + i];
        kobj *o = db_lookup_read(c->db, key->ptr, key->len);
        if (o && o->type != OBJ_STREAM) {
            reply_error(c, ERR_WRONGTYPE);
            goto cleanup;
        }
        if (a.group) {
            groups[i] = o ? stream_group_find(STREAM(o), a.group->ptr, a.group->len) : NULL;
            if (!groups[i]) {
                reply_errorf(c, "-NOGROUP No such key '%s' or consumer group '%s' in XREADGROUP with GROUP option",
                             key->ptr, a.group->ptr);
                goto cleanup;
            }
        }
        if (is_arg(idarg, "$")) {
            if (xreadgroup) {
                reply_error(c, "The $ ID is meaningless in the context of XREADGROUP: you want to read the history of "
                               "this consumer by specifying a proper ID, or use the > ID to get new messages. The $ "
                               "ID would just return an empty result set.");
                goto cleanup;
            }
            ids[i] = o ? STREAM(o)->last_id : ID_MIN;
        } else if (is_arg(idarg, ">")) {
            if (!xreadgroup) {
                reply_error(c, "The > ID can be specified only when calling XREADGROUP using the GROUP <group> "
                               "<consumer> option.");
                goto cleanup;
            }
            ids[i] = ID_MAX;
        } else if (!parse_strict_id(c, idarg, &ids[i])) {
            goto cleanup;
        }
    }
    /* The reply's length is counted first (no deferred length on the hot path), except for
     * XREADGROUP over several streams, where serving one may change what the next one has. */
    long long served = 0;
    int precount = !a.group || a.nstreams == 1;
    for (int i = 0; precount && i < a.nstreams; i++) {
        streamID after = ids[i];
        int history;
        served += xread_servable(c, &a, i, groups[i], &after, &history,
                                 LOOKUP_NOTOUCH | LOOKUP_NOSTATS | LOOKUP_NONOTIFY) != NULL;
    }
    replyDeferred d = {NULL};
    if (served) {
        reply_streams_len(c, served);
    } else if (!precount) {
        d = reply_deferred(c);
    }
    long long replied = 0;
    for (int i = 0; i < a.nstreams; i++) {
        streamID after = ids[i];
        int history;
        stream *s = xread_servable(c, &a, i, groups[i], &after, &history, LOOKUP_NONE);
        if (!s) continue;
        reply_stream_part(c, &c->argv[a.streams_arg + i], s, &after, (size_t)a.count, groups[i], &a, history);
        replied++;
    }
    if (!precount) {
        served = replied;
        if (c->resp == 2)
            reply_set_deferred_array(c, d, served);
        else
            reply_set_deferred_map(c, d, served);
    }
    if (!served && a.deadline != -1 && !blocking_denied(c))
        xread_block(c, &a, ids);
    else if (!served)
        reply_null_array(c);
cleanup:
    kfree(ids);
    kfree(groups);
}

void xread_command(client *c) {
    xread_generic(c, 0);
}

void xreadgroup_command(client *c) {
    xread_generic(c, 1);
}

/* ---- XGROUP --------------------------------------------------------------------------------- */

static const char *const xgroup_help[] = {
    "CREATE <key> <groupname> <id|$> [option]",
    "    Create a new consumer group. Options are:",
    "    * MKSTREAM",
    "      Create the empty stream if it does not exist.",
    "    * ENTRIESREAD entries_read",
    "      Set the group's entries_read counter (internal use).",
    "CREATECONSUMER <key> <groupname> <consumer>",
    "    Create a new consumer in the specified group.",
    "DELCONSUMER <key> <groupname> <consumer>",
    "    Remove the specified consumer.",
    "DESTROY <key> <groupname>",
    "    Remove the specified group.",
    "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
    "    Set the current group ID and entries_read counter.",
    NULL,
};

void xgroup_help_command(client *c) {
    reply_help(c, xgroup_help);
}

/* Every XGROUP subcommand but HELP: Redis checks them in one place, in this order. */
void xgroup_command(client *c) {
    const karg *sub = &c->argv[1];
    int create = arg_is(sub->ptr, sub->len, "create"), setid = arg_is(sub->ptr, sub->len, "setid");
    int mkstream = 0;
    long long entries_read = STREAM_ENTRIES_READ_UNKNOWN;
    for (int i = 5; i < c->argc;) {
        const karg *opt = &c->argv[i];
        if (create && arg_is(opt->ptr, opt->len, "mkstream")) {
            mkstream = 1;
            i++;
        } else if ((create || setid) && arg_is(opt->ptr, opt->len, "entriesread") && i + 1 < c->argc) {
            if (!arg_ll_or_reply(c, &c->argv[i + 1], &entries_read, NULL)) return;
            if (entries_read < 0 && entries_read != STREAM_ENTRIES_READ_UNKNOWN) {
                reply_error(c, "value for ENTRIESREAD must be positive or -1");
                return;
            }
            i += 2;
        } else {
            reply_subcommand_syntax(c);
            return;
        }
    }
    const karg *key = &c->argv[2], *gname = &c->argv[3];
    kobj *o;
    if (!coll_lookup_write(c, key, OBJ_STREAM, &o)) return;
    stream *s = o ? STREAM(o) : NULL;
    streamCG *cg = s ? stream_group_find(s, gname->ptr, gname->len) : NULL;
    if (!mkstream) {
        if (!s) {
            reply_error(c, "The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use "
                           "the MKSTREAM option to create an empty stream automatically.");
            return;
        }
        if (!cg && !create && !arg_is(sub->ptr, sub->len, "destroy")) {
            reply_errorf(c, "-NOGROUP No such consumer group '%s' for key name '%s'", gname->ptr, key->ptr);
            return;
        }
    }
    if (create && c->argc <= 8) {
        streamID id;
        if (is_arg(&c->argv[4], "$"))
            id = s ? s->last_id : ID_MIN;
        else if (!parse_strict_id(c, &c->argv[4], &id))
            return;
        if (!s) {
            s = stream_new();
            db_add(c->db, obj_new_ptr(key->ptr, key->len, OBJ_STREAM, ENC_STREAM, s));
            signal_modified_key(c, c->db, key->ptr, key->len);
        }
        if (stream_group_create(s, gname->ptr, gname->len, &id, entries_read)) {
            reply_ok(c);
            server.dirty++;
            notify_keyspace_event(NOTIFY_STREAM, "xgroup-create", key->ptr, key->len, c->db->id);
        } else {
            reply_error(c, "-BUSYGROUP Consumer Group name already exists");
        }
    } else if (setid && (c->argc == 5 || c->argc == 7)) {
        streamID id;
        if (is_arg(&c->argv[4], "$"))
            id = s->last_id;
        else if (!parse_id(c, c->argv[4].ptr, c->argv[4].len, &id, 0, 0, NULL))
            return;
        cg->last_id = id;
        cg->entries_read = entries_read;
        reply_ok(c);
        server.dirty++;
        notify_keyspace_event(NOTIFY_STREAM, "xgroup-setid", key->ptr, key->len, c->db->id);
    } else if (arg_is(sub->ptr, sub->len, "destroy") && c->argc == 4) {
        if (!cg) {
            reply_integer(c, 0);
            return;
        }
        stream_group_destroy(s, cg);
        reply_integer(c, 1);
        server.dirty++;
        notify_keyspace_event(NOTIFY_STREAM, "xgroup-destroy", key->ptr, key->len, c->db->id);
        signal_key_as_ready(c->db, key->ptr, key->len);
    } else if (arg_is(sub->ptr, sub->len, "createconsumer") && c->argc == 5) {
        int created = stream_consumer_create(cg, c->argv[4].ptr, c->argv[4].len, mstime()) != NULL;
        if (created) {
            server.dirty++;
            notify_keyspace_event(NOTIFY_STREAM, "xgroup-createconsumer", key->ptr, key->len, c->db->id);
        }
        reply_integer(c, created);
    } else if (arg_is(sub->ptr, sub->len, "delconsumer") && c->argc == 5) {
        streamConsumer *sc = stream_consumer_find(cg, c->argv[4].ptr, c->argv[4].len);
        size_t pending = 0;
        if (sc) {
            pending = stream_consumer_delete(cg, sc);
            server.dirty++;
            notify_keyspace_event(NOTIFY_STREAM, "xgroup-delconsumer", key->ptr, key->len, c->db->id);
        }
        reply_integer(c, (long long)pending);
    } else {
        reply_subcommand_syntax(c);
    }
}

/* ---- XACK / XPENDING / XCLAIM / XAUTOCLAIM ------------------------------------------------- */

/* The group named by argv[2] of the stream at argv[1]: 0 after a WRONGTYPE reply, else 1 with
 * *cg (NULL when the key or group is missing) and *s. With write, a found group's stream is
 * announced as changing (the BGSAVE writes it first). */
static int lookup_group(client *c, stream **s, streamCG **cg, int write) {
    kobj *o;
    if (!coll_lookup_read(c, &c->argv[1], OBJ_STREAM, &o)) return 0;
    *s = o ? STREAM(o) : NULL;
    *cg = o ? stream_group_find(*s, c->argv[2].ptr, c->argv[2].len) : NULL;
    if (*cg && write) db_will_change(c->db, o);
    return 1;
}

static void reply_nogroup(client *c) {
    reply_errorf(c, "-NOGROUP No such key '%s' or consumer group '%s'", c->argv[1].ptr, c->argv[2].ptr);
}

static int ack_id(void *cg, const streamID *id) {
    streamNACK *nack = idmap_find(&((streamCG *)cg)->pel, id);
    if (nack) stream_nack_delete(cg, nack);
    return nack != NULL;
}

void xack_command(client *c) {
    stream *s;
    streamCG *cg;
    if (!lookup_group(c, &s, &cg, 1)) return;
    if (!cg) {
        reply_integer(c, 0);
        return;
    }
    long long acked = apply_to_ids(c, 3, ack_id, cg);
    if (acked > 0) server.dirty += acked;
    if (acked >= 0) reply_integer(c, acked);
}

static void xpending_summary(client *c, streamCG *cg) {
    reply_array_len(c, 4);
    reply_integer(c, (long long)cg->pel.len);
    if (!cg->pel.len) {
        reply_null(c);
        reply_null(c);
        reply_null_array(c);
        return;
    }
    reply_id(c, &idmap_at(&cg->pel, 0)->id);
    reply_id(c, &idmap_at(&cg->pel, cg->pel.len - 1)->id);
    replyDeferred d = reply_deferred(c);
    long long n = 0;
    for (size_t i = 0; i < cg->nconsumers; i++) {
        streamConsumer *sc = cg->consumers[i];
        if (!sc->pel.len) continue;
        reply_array_len(c, 2);
        reply_bulk(c, sc->name, sc->namelen);
        reply_bulk_ll(c, (long long)sc->pel.len);
        n++;
    }
    reply_set_deferred_array(c, d, n);
}

void xpending_command(client *c) {
    streamID start, end;
    long long count = 0, minidle = 0;
    const karg *consumer = NULL;
    if (c->argc != 3 && (c->argc < 6 || c->argc > 9)) {
        reply_error(c, ERR_SYNTAX);
        return;
    }
    if (c->argc >= 6) {
        int at = 3;
        if (arg_is(c->argv[3].ptr, c->argv[3].len, "idle")) {
            if (!arg_ll_or_reply(c, &c->argv[4], &minidle, NULL)) return;
            if (c->argc < 8) {
                reply_error(c, ERR_SYNTAX);
                return;
            }
            at += 2;
        }
        if (!arg_ll_or_reply(c, &c->argv[at + 2], &count, NULL)) return;
        if (count < 0) count = 0;
        if (!parse_range_bound(c, &c->argv[at], &start, 0, 1)) return;
        if (!parse_range_bound(c, &c->argv[at + 1], &end, UINT64_MAX, 0)) return;
        if (at + 3 < c->argc) consumer = &c->argv[at + 3];
    }
    stream *s;
    streamCG *cg;
    if (!lookup_group(c, &s, &cg, 0)) return;
    if (!cg) {
        reply_nogroup(c);
        return;
    }
    if (c->argc == 3) {
        xpending_summary(c, cg);
        return;
    }
    streamConsumer *sc = NULL;
    if (consumer && !(sc = stream_consumer_find(cg, consumer->ptr, consumer->len))) {
        reply_empty_array(c);
        return;
    }
    idMap *pel = sc ? &sc->pel : &cg->pel;
    long long now = mstime();
    replyDeferred d = reply_deferred(c);
    long long n = 0;
    for (size_t i = idmap_lower_bound(pel, &start); count && i < pel->len; i++) {
        streamNACK *nack = idmap_at(pel, i)->ptr;
        if (stream_id_cmp(&nack->id, &end) > 0) break;
        long long idle = now - nack->delivery_time;
        if (minidle && idle < minidle) continue;
        n++;
        count--;
        reply_array_len(c, 4);
        reply_id(c, &nack->id);
        reply_bulk(c, nack->consumer->name, nack->consumer->namelen);
        reply_integer(c, idle < 0 ? 0 : idle);
        reply_integer(c, (long long)nack->delivery_count);
    }
    reply_set_deferred_array(c, d, n);
}

/* Gives a pending entry to the claiming consumer (created on first use) and replies it. */
static void claim_one(client *c, stream *s, streamCG *cg, streamConsumer **sc, streamNACK *nack,
                      long long delivery_time, long long retrycount, int justid) {
    if (!*sc) *sc = consumer_for_read(c, cg, &c->argv[3], &c->argv[1], NULL);
    if (nack->consumer)
        stream_nack_move(nack, *sc);
    else {
        nack->consumer = *sc;
        idmap_insert(&(*sc)->pel, &nack->id, nack);
    }
    nack->delivery_time = delivery_time;
    if (retrycount >= 0)
        nack->delivery_count = (uint64_t)retrycount;
    else if (!justid)
        nack->delivery_count++;
    if (justid)
        reply_id(c, &nack->id);
    else
        reply_one_entry(c, s, &nack->id);
}

void xclaim_command(client *c) {
    stream *s;
    streamCG *cg;
    if (!lookup_group(c, &s, &cg, 1)) return;
    if (!cg) {
        reply_nogroup(c);
        return;
    }
    long long minidle, retrycount = -1, deliverytime = -1;
    int force = 0, justid = 0;
    if (!arg_ll_or_reply(c, &c->argv[4], &minidle, "Invalid min-idle-time argument for XCLAIM")) return;
    if (minidle < 0) minidle = 0;
    streamID *ids = kmalloc(sizeof(streamID) * (size_t)(c->argc - 5));
    int j = 5;
    while (j < c->argc && parse_strict_id(NULL, &c->argv[j], &ids[j - 5])) j++;
    int nids = j - 5;
    long long now = mstime();
    streamID last_id = ID_MIN;
    for (; j < c->argc; j++) {
        const karg *opt = &c->argv[j];
        int more = c->argc - 1 - j;
        if (arg_is(opt->ptr, opt->len, "force")) {
            force = 1;
        } else if (arg_is(opt->ptr, opt->len, "justid")) {
            justid = 1;
        } else if (arg_is(opt->ptr, opt->len, "idle") && more) {
            if (!arg_ll_or_reply(c, &c->argv[++j], &deliverytime, "Invalid IDLE option argument for XCLAIM"))
                goto cleanup;
            deliverytime = now - deliverytime;
        } else if (arg_is(opt->ptr, opt->len, "time") && more) {
            if (!arg_ll_or_reply(c, &c->argv[++j], &deliverytime, "Invalid TIME option argument for XCLAIM"))
                goto cleanup;
        } else if (arg_is(opt->ptr, opt->len, "retrycount") && more) {
            if (!arg_ll_or_reply(c, &c->argv[++j], &retrycount, "Invalid RETRYCOUNT option argument for XCLAIM"))
                goto cleanup;
        } else if (arg_is(opt->ptr, opt->len, "lastid") && more) {
            if (!parse_strict_id(c, &c->argv[++j], &last_id)) goto cleanup;
        } else {
            reply_errorf(c, "Unrecognized XCLAIM option '%s'", opt->ptr);
            goto cleanup;
        }
    }
    int propagate_last_id = 0;   /* until an XCLAIM carries it */
    if (stream_id_cmp(&last_id, &cg->last_id) > 0) {
        cg->last_id = last_id;
        propagate_last_id = 1;
    }
    if (deliverytime == -1 || deliverytime < 0 || deliverytime > now) deliverytime = now;
    streamConsumer *sc = NULL;
    replyDeferred d = reply_deferred(c);
    long long n = 0;
    for (int i = 0; i < nids; i++) {
        streamNACK *nack = idmap_find(&cg->pel, &ids[i]);
        if (!stream_entry_exists(s, &ids[i])) {
            if (nack) {
                propagate_nack(c, &c->argv[1], &c->argv[2], &c->argv[5 + i], nack, cg);
                propagate_last_id = 0;
                server.dirty++;
                stream_nack_delete(cg, nack);
            }
            continue;
        }
        if (force && !nack) {
            nack = stream_nack_new(NULL, &ids[i], now);
            idmap_insert(&cg->pel, &ids[i], nack);
        }
        if (!nack) continue;
        if (nack->consumer && minidle && now - nack->delivery_time < minidle) continue;
        claim_one(c, s, cg, &sc, nack, deliverytime, retrycount, justid);
        propagate_nack(c, &c->argv[1], &c->argv[2], &c->argv[5 + i], nack, cg);
        propagate_last_id = 0;
        server.dirty++;
        n++;
    }
    if (propagate_last_id) {
        propagate_group_id(c, &c->argv[1], &c->argv[2], cg);
        server.dirty++;
    }
    reply_set_deferred_array(c, d, n);
    wstream_rewrite(0, NULL);   /* what it did went out above */
cleanup:
    kfree(ids);
}

/* COUNT's upper bound in Redis: LONG_MAX / max(sizeof(streamID), 10 attempts per entry). */
#define XAUTOCLAIM_MAX_COUNT (LONG_MAX / 16)

void xautoclaim_command(client *c) {
    long long minidle, count = 100;
    int justid = 0;
    streamID start;
    if (!arg_ll_or_reply(c, &c->argv[4], &minidle, "Invalid min-idle-time argument for XAUTOCLAIM")) return;
    if (minidle < 0) minidle = 0;
    if (!parse_range_bound(c, &c->argv[5], &start, 0, 1)) return;
    for (int j = 6; j < c->argc; j++) {
        const karg *opt = &c->argv[j];
        if (arg_is(opt->ptr, opt->len, "count") && j + 1 < c->argc) {
            if (!coll_get_range_long_or_reply(c, &c->argv[++j], 1, XAUTOCLAIM_MAX_COUNT, &count, "COUNT must be > 0"))
                return;
        } else if (arg_is(opt->ptr, opt->len, "justid")) {
            justid = 1;
        } else {
            reply_error(c, ERR_SYNTAX);
            return;
        }
    }
    stream *s;
    streamCG *cg;
    if (!lookup_group(c, &s, &cg, 1)) return;
    if (!cg) {
        reply_nogroup(c);
        return;
    }
    /* First pass: drop pending entries whose stream entry is gone and pick the ones to claim
     * (the cursor goes first in the reply, so it must be known before claiming). Both
     * propagate in PEL order, as Redis does them in one pass: a claim as the state the second
     * pass gives it (this consumer, delivered now, one more delivery unless JUSTID). */
    long long attempts = count * 10, now = mstime();
    size_t i = idmap_lower_bound(&cg->pel, &start), ndeleted = 0, nclaim = 0;
    size_t most = cg->pel.len - i < (size_t)count ? cg->pel.len - i : (size_t)count;
    streamID *deleted = kmalloc(sizeof(streamID) * (most + 1));
    streamNACK **claim = kmalloc(sizeof(streamNACK *) * (most + 1));
    while (attempts-- && count && i < cg->pel.len) {
        streamNACK *nack = idmap_at(&cg->pel, i)->ptr;
        if (!stream_entry_exists(s, &nack->id)) {
            deleted[ndeleted++] = nack->id;
            propagate_nack(c, &c->argv[1], &c->argv[2], NULL, nack, cg);
            server.dirty++;
            stream_nack_delete(cg, nack);
            count--;
            continue;
        }
        i++;
        if (minidle && now - nack->delivery_time < minidle) continue;
        claim[nclaim++] = nack;
        propagate_claim(c, &c->argv[1], &c->argv[2], NULL, &nack->id, c->argv[3].ptr, c->argv[3].len, now,
                        nack->delivery_count + !justid, cg);
        server.dirty++;
        count--;
    }
    reply_array_len(c, 3);
    /* The cursor is the first entry not examined, 0-0 when the PEL was exhausted. */
    reply_id(c, i < cg->pel.len ? &idmap_at(&cg->pel, i)->id : &ID_MIN);
    reply_array_len(c, (long long)nclaim);
    streamConsumer *sc = NULL;
    for (size_t k = 0; k < nclaim; k++) claim_one(c, s, cg, &sc, claim[k], now, -1, justid);
    reply_array_len(c, (long long)ndeleted);
    for (size_t k = 0; k < ndeleted; k++) reply_id(c, &deleted[k]);
    kfree(claim);
    kfree(deleted);
    wstream_rewrite(0, NULL);   /* what it did went out above */
}

/* ---- XINFO ---------------------------------------------------------------------------------- */

static const char *const xinfo_help[] = {
    "CONSUMERS <key> <groupname>",
    "    Show consumers of <groupname>.",
    "GROUPS <key>",
    "    Show the stream consumer groups.",
    "STREAM <key> [FULL [COUNT <count>]",
    "    Show information about the stream.",
    NULL,
};

void xinfo_help_command(client *c) {
    reply_help(c, xinfo_help);
}

static void reply_lag(client *c, stream *s, streamCG *cg) {
    long long lag;
    if (!s->entries_added) {
        lag = 0;
    } else if (cg->entries_read != STREAM_ENTRIES_READ_UNKNOWN && !stream_range_has_tombstones(s, &cg->last_id)) {
        lag = (long long)s->entries_added - cg->entries_read;
    } else {
        long long read = stream_estimate_distance(s, &cg->last_id);
        if (read == STREAM_ENTRIES_READ_UNKNOWN) {
            reply_null(c);
            return;
        }
        lag = (long long)s->entries_added - read;
    }
    reply_integer(c, lag);
}

/* A group's last-delivered-id, entries-read and lag (XINFO GROUPS and STREAM FULL). */
static void reply_group_position(client *c, stream *s, streamCG *cg) {
    reply_bulk_cstr(c, "last-delivered-id");
    reply_id(c, &cg->last_id);
    reply_bulk_cstr(c, "entries-read");
    if (cg->entries_read != STREAM_ENTRIES_READ_UNKNOWN)
        reply_integer(c, cg->entries_read);
    else
        reply_null(c);
    reply_bulk_cstr(c, "lag");
    reply_lag(c, s, cg);
}

/* The key for XINFO: NULL after the error reply. */
static stream *xinfo_stream(client *c) {
    kobj *o;
    if (!coll_lookup_read(c, &c->argv[2], OBJ_STREAM, &o)) return NULL;
    if (!o) reply_error(c, ERR_NOSUCHKEY);
    return o ? STREAM(o) : NULL;
}

void xinfo_consumers_command(client *c) {
    stream *s = xinfo_stream(c);
    if (!s) return;
    streamCG *cg = stream_group_find(s, c->argv[3].ptr, c->argv[3].len);
    if (!cg) {
        reply_errorf(c, "-NOGROUP No such consumer group '%s' for key name '%s'", c->argv[3].ptr, c->argv[2].ptr);
        return;
    }
    long long now = mstime();
    reply_array_len(c, (long long)cg->nconsumers);
    for (size_t i = 0; i < cg->nconsumers; i++) {
        streamConsumer *sc = cg->consumers[i];
        long long idle = now - sc->seen_time;
        reply_map_len(c, 3);
        reply_bulk_cstr(c, "name");
        reply_bulk(c, sc->name, sc->namelen);
        reply_bulk_cstr(c, "pending");
        reply_integer(c, (long long)sc->pel.len);
        reply_bulk_cstr(c, "idle");
        reply_integer(c, idle < 0 ? 0 : idle);
    }
}

void xinfo_groups_command(client *c) {
    stream *s = xinfo_stream(c);
    if (!s) return;
    reply_array_len(c, (long long)s->ngroups);
    for (size_t i = 0; i < s->ngroups; i++) {
        streamCG *cg = s->groups[i];
        reply_map_len(c, 6);
        reply_bulk_cstr(c, "name");
        reply_bulk(c, cg->name, cg->namelen);
        reply_bulk_cstr(c, "consumers");
        reply_integer(c, (long long)cg->nconsumers);
        reply_bulk_cstr(c, "pending");
        reply_integer(c, (long long)cg->pel.len);
        reply_group_position(c, s, cg);
    }
}

/* A PEL as XINFO STREAM FULL shows it (at most count entries, 0 = all). */
static void reply_full_pel(client *c, const idMap *pel, long long count, int with_consumer) {
    long long n = pel->len < (size_t)LLONG_MAX ? (long long)pel->len : LLONG_MAX;
    if (count && count < n) n = count;
    reply_array_len(c, n);
    for (long long i = 0; i < n; i++) {
        const streamNACK *nack = idmap_at(pel, (size_t)i)->ptr;
        reply_array_len(c, with_consumer ? 4 : 3);
        reply_id(c, &nack->id);
        if (with_consumer) reply_bulk(c, nack->consumer->name, nack->consumer->namelen);
        reply_integer(c, nack->delivery_time);
        reply_integer(c, (long long)nack->delivery_count);
    }
}

static void reply_full_groups(client *c, stream *s, long long count) {
    reply_array_len(c, (long long)s->ngroups);
    for (size_t i = 0; i < s->ngroups; i++) {
        streamCG *cg = s->groups[i];
        reply_map_len(c, 7);
        reply_bulk_cstr(c, "name");
        reply_bulk(c, cg->name, cg->namelen);
        reply_group_position(c, s, cg);
        reply_bulk_cstr(c, "pel-count");
        reply_integer(c, (long long)cg->pel.len);
        reply_bulk_cstr(c, "pending");
        reply_full_pel(c, &cg->pel, count, 1);
        reply_bulk_cstr(c, "consumers");
        reply_array_len(c, (long long)cg->nconsumers);
        for (size_t j = 0; j < cg->nconsumers; j++) {
            streamConsumer *sc = cg->consumers[j];
            reply_map_len(c, 4);
            reply_bulk_cstr(c, "name");
            reply_bulk(c, sc->name, sc->namelen);
            reply_bulk_cstr(c, "seen-time");
            reply_integer(c, sc->seen_time);
            reply_bulk_cstr(c, "pel-count");
            reply_integer(c, (long long)sc->pel.len);
            reply_bulk_cstr(c, "pending");
            reply_full_pel(c, &sc->pel, count, 0);
        }
    }
}

/* first-entry / last-entry of XINFO STREAM: the entry, or null. */
static void reply_edge_entry(client *c, stream *s, int rev) {
    streamIter it;
    stream_iter_start(&it, s, &ID_MIN, &ID_MAX, rev);
    if (stream_iter_next(&it))
        reply_current_entry(c, &it);
    else
        reply_null(c);
    stream_iter_stop(&it);
}

void xinfo_stream_command(client *c) {
    int full = c->argc > 3;
    long long count = 10;
    stream *s = xinfo_stream(c);
    if (!s) return;
    if (full) {
        if ((c->argc != 4 && c->argc != 6) || !arg_is(c->argv[3].ptr, c->argv[3].len, "full") ||
            (c->argc == 6 && !arg_is(c->argv[4].ptr, c->argv[4].len, "count"))) {
            reply_subcommand_syntax(c);
            return;
        }
        if (c->argc == 6 && !arg_ll_or_reply(c, &c->argv[5], &count, NULL)) return;
        if (count < 0) count = 10;
    }
    reply_map_len(c, full ? 9 : 10);
    reply_bulk_cstr(c, "length");
    reply_integer(c, (long long)s->length);
    reply_bulk_cstr(c, "radix-tree-keys");
    reply_integer(c, (long long)s->nodes.len);
    reply_bulk_cstr(c, "radix-tree-nodes");
    reply_integer(c, rax_node_count(s));
    reply_bulk_cstr(c, "last-generated-id");
    reply_id(c, &s->last_id);
    reply_bulk_cstr(c, "max-deleted-entry-id");
    reply_id(c, &s->max_deleted_id);
    reply_bulk_cstr(c, "entries-added");
    reply_integer(c, (long long)s->entries_added);
    reply_bulk_cstr(c, "recorded-first-entry-id");
    reply_id(c, &s->first_id);
    if (!full) {
        reply_bulk_cstr(c, "groups");
        reply_integer(c, (long long)s->ngroups);
        reply_bulk_cstr(c, "first-entry");
        reply_edge_entry(c, s, 0);
        reply_bulk_cstr(c, "last-entry");
        reply_edge_entry(c, s, 1);
        return;
    }
    reply_bulk_cstr(c, "entries");
    reply_range(c, s, &ID_MIN, &ID_MAX, (size_t)count, 0, NULL);
    reply_bulk_cstr(c, "groups");
    reply_full_groups(c, s, count);
}
