/* t_list.c - the list commands, blocking ones included, with Redis 7.0.15's replies, errors,
 * argument order of checks and keyspace events.
 *
 * Lists are quicklists (t_list.h). Blocking commands use the core in src/core/blocking.c: when
 * there is nothing to pop they block; when a key they wait on becomes ready they are re-run in
 * serve mode, where they look only at the ready key (blocking_ready_key()) and call
 * block_for_keys() again to keep waiting if that key isn't a list (Redis 7.0 leaves such
 * clients blocked). Popping replies are built by the same functions in both modes. */
#include "types/t_list.h"

#include <limits.h>
#include <string.h>

#include "commands/commands.h"
#include "core/blocking.h"
#include "core/notify.h"
#include "keyspace/db.h"
#include "persist/wstream.h"
#include "protocol/reply.h"
#include "types/collection.h"
#include "types/quicklist.h"
#include "util/mem.h"
#include "util/util.h"

#define LIST(o) ((quicklist *)obj_ptr(o))

/* ---------------------------------------------------------------- object helpers */

kobj *list_new_object(const char *key, size_t klen) {
    kobj *o = obj_new_inline(key, klen, OBJ_LIST, ENC_QUICKLIST);
    ql_init(LIST(o), server.list_max_listpack_size, server.list_compress_depth);
    return o;
}

void list_append(kobj *o, const char *s, size_t len) {
    ql_push(LIST(o), QL_TAIL, s, len);
}

size_t list_length(const kobj *o) {
    return ql_count(LIST(o));
}

/* An element as bytes: integers are formatted into buf (LP_INTBUF bytes). */
static const char *value_bytes(const lpValue *v, char *buf, size_t *len) {
    if (v->str) {
        *len = v->len;
        return (const char *)v->str;
    }
    *len = (size_t)ll_to_str(buf, LP_INTBUF, v->ll);
    return buf;
}

void list_for_range(const kobj *o, long start, long count, int reverse, list_elem_fn *fn, void *privdata) {
    qlIter it;
    lpValue v;
    /* Iteration decompresses nodes on the way; the list's content doesn't change. */
    ql_iter_at(&it, LIST(o), reverse ? -start - 1 : start, reverse ? QL_BACKWARD : QL_FORWARD);
    while (count-- > 0 && ql_next(&it, &v)) {
        char buf[LP_INTBUF];
        size_t len;
        const char *s = value_bytes(&v, buf, &len);
        fn(privdata, s, len);
    }
    ql_iter_release(&it);
}

void list_free_payload(kobj *o) {
    ql_release(LIST(o));
}

size_t list_payload_memory(const kobj *o) {
    return ql_memory(LIST(o));
}

/* Creates the list at key in c's database (signalling clients blocked on it). */
static kobj *list_create(client *c, const karg *key) {
    kobj *o = list_new_object(key->ptr, key->len);
    db_add(c->db, o);
    return o;
}

static void reply_value(client *c, const lpValue *v) {
    if (v->str)
        reply_bulk(c, v->str, v->len);
    else
        reply_bulk_ll(c, v->ll);
}

/* Replies n elements from index start (0 <= start) going in direction dir, as an array. */
static void reply_elements(client *c, quicklist *ql, long start, long n, int dir) {
    qlIter it;
    lpValue v;
    reply_array_len(c, n);
    ql_iter_at(&it, ql, start, dir);
    while (n-- > 0 && ql_next(&it, &v)) reply_value(c, &v);
    ql_iter_release(&it);
}

/* LEFT / RIGHT, or a syntax error. */
static int parse_where(client *c, const karg *arg, int *where) {
    if (arg_is(arg->ptr, arg->len, "left"))
        *where = QL_HEAD;
    else if (arg_is(arg->ptr, arg->len, "right"))
        *where = QL_TAIL;
    else {
        reply_error(c, ERR_SYNTAX);
        return 0;
    }
    return 1;
}

/* After elements were popped from key at `where` (Redis's listElementsRemoved). */
static void list_popped(client *c, const karg *key, int where, kobj *o) {
    notify_keyspace_event(NOTIFY_LIST, where == QL_HEAD ? "lpop" : "rpop", key->ptr, key->len, c->db->id);
    if (ql_count(LIST(o)) == 0) coll_delete_emptied(c, key);
    signal_modified_key(c, c->db, key->ptr, key->len);
}

/* Pops up to count elements from `where`, replying them as an array (RPOP's order: last first). */
static void pop_range_reply(client *c, kobj *o, int where, long long count) {
    quicklist *ql = LIST(o);
    unsigned long n = (unsigned long long)count < ql_count(ql) ? (unsigned long)count : ql_count(ql);
    if (where == QL_HEAD) {
        reply_elements(c, ql, 0, (long)n, QL_FORWARD);
        ql_del_range(ql, 0, n);
    } else {
        reply_elements(c, ql, -1, (long)n, QL_BACKWARD);
        ql_del_range(ql, ql_count(ql) - n, n);
    }
}

/* Pops one element from `where` and replies it as a bulk string. */
static void pop_one_reply(client *c, kobj *o, int where) {
    quicklist *ql = LIST(o);
    lpValue v;
    ql_peek(ql, where, &v);
    reply_value(c, &v);
    ql_del_range(ql, where == QL_HEAD ? 0 : ql_count(ql) - 1, 1);
}

/* LMPOP/BLMPOP's reply: [key, [elements]], then the pop's side effects; it propagates as
 * "LPOP|RPOP key <elements popped>", as Redis. */
static void mpop_reply(client *c, const karg *key, kobj *o, int where, long long count) {
    long long n = (unsigned long long)count < ql_count(LIST(o)) ? count : (long long)ql_count(LIST(o));
    reply_array_len(c, 2);
    reply_bulk(c, key->ptr, key->len);
    pop_range_reply(c, o, where, count);
    list_popped(c, key, where, o);
    char num[24];
    karg argv[3] = {where == QL_HEAD ? WSTREAM_ARG("LPOP") : WSTREAM_ARG("RPOP"), *key, {.ptr = num, .len = 0}};
    argv[2].len = (size_t)ll_to_str(num, sizeof(num), n);
    wstream_rewrite(3, argv);
}

/* ---------------------------------------------------------------- push */

static void push_generic(client *c, int where, int only_existing) {
    kobj *o;
    if (!coll_lookup_write(c, &c->argv[1], OBJ_LIST, &o)) return;
    if (!o) {
        if (only_existing) {
            reply_integer(c, 0);
            return;
        }
        o = list_create(c, &c->argv[1]);
    }
    quicklist *ql = LIST(o);
    for (int i = 2; i < c->argc; i++) ql_push(ql, where, c->argv[i].ptr, c->argv[i].len);
    reply_integer(c, (long long)ql_count(ql));
    signal_modified_key(c, c->db, c->argv[1].ptr, c->argv[1].len);
    notify_keyspace_event(NOTIFY_LIST, where == QL_HEAD ? "lpush" : "rpush", c->argv[1].ptr, c->argv[1].len,
                          c->db->id);
}

void lpush_command(client *c) {
    push_generic(c, QL_HEAD, 0);
}

void rpush_command(client *c) {
    push_generic(c, QL_TAIL, 0);
}

void lpushx_command(client *c) {
    push_generic(c, QL_HEAD, 1);
}

void rpushx_command(client *c) {
    push_generic(c, QL_TAIL, 1);
}

void linsert_command(client *c) {
    int after;
    if (arg_is(c->argv[2].ptr, c->argv[2].len, "after"))
        after = 1;
    else if (arg_is(c->argv[2].ptr, c->argv[2].len, "before"))
        after = 0;
    else {
        reply_error(c, ERR_SYNTAX);
        return;
    }
    kobj *o;
    if (!coll_lookup_write(c, &c->argv[1], OBJ_LIST, &o)) return;
    if (!o) {
        reply_integer(c, 0);
        return;
    }
    lpKey pivot;
    lpKeyInit(&pivot, c->argv[3].ptr, c->argv[3].len);
    qlIter it;
    lpValue v;
    int inserted = 0;
    ql_iter_at(&it, LIST(o), 0, QL_FORWARD);
    while (!inserted && ql_next(&it, &v)) {
        if (!ql_iter_eq(&it, &pivot)) continue;
        ql_iter_insert(&it, after, c->argv[4].ptr, c->argv[4].len);
        inserted = 1;
    }
    ql_iter_release(&it);
    if (!inserted) {
        reply_integer(c, -1);
        return;
    }
    signal_modified_key(c, c->db, c->argv[1].ptr, c->argv[1].len);
    notify_keyspace_event(NOTIFY_LIST, "linsert", c->argv[1].ptr, c->argv[1].len, c->db->id);
    reply_integer(c, (long long)ql_count(LIST(o)));
}

/* ---------------------------------------------------------------- read */

void llen_command(client *c) {
    kobj *o;
    if (!coll_lookup_read(c, &c->argv[1], OBJ_LIST, &o)) return;
    reply_integer(c, o ? (long long)ql_count(LIST(o)) : 0);
}

/* Clips [start, end] (negative: from the tail) to a list of llen elements, as Redis's
 * LRANGE/LTRIM do. Returns the number of elements in the range (0: empty). */
static long long clip_range(long long start, long long end, long long llen, long long *from) {
    if (start < 0) start += llen;
    if (end < 0) end += llen;
    if (start < 0) start = 0;
    if (start > end || start >= llen) return 0;
    if (end >= llen) end = llen - 1;
    *from = start;
    return end - start + 1;
}

void lrange_command(client *c) {
    long long start, end;
    if (!arg_ll_or_reply(c, &c->argv[2], &start, NULL) || !arg_ll_or_reply(c, &c->argv[3], &end, NULL))
        return;
    kobj *o;
    if (!coll_lookup_read(c, &c->argv[1], OBJ_LIST, &o)) return;
    if (!o) {
        reply_empty_array(c);
        return;
    }
    long long from = 0, n = clip_range(start, end, (long long)ql_count(LIST(o)), &from);
    reply_elements(c, LIST(o), (long)from, (long)n, QL_FORWARD);
}

void lindex_command(client *c) {
    kobj *o;
    if (!coll_lookup_read(c, &c->argv[1], OBJ_LIST, &o)) return;
    if (!o) {
        reply_null(c);
        return;
    }
    long long index;
    if (!arg_ll_or_reply(c, &c->argv[2], &index, NULL)) return;
    qlIter it;
    lpValue v;
    ql_iter_at(&it, LIST(o), (long)index, QL_FORWARD);
    if (ql_next(&it, &v))
        reply_value(c, &v);
    else
        reply_null(c);
    ql_iter_release(&it);
}

void lpos_command(client *c) {
    long long rank = 1, count = -1, maxlen = 0;   /* count -1: no COUNT option */
    for (int j = 3; j < c->argc; j++) {
        const karg *opt = &c->argv[j];
        int more = j + 1 < c->argc;
        if (more && arg_is(opt->ptr, opt->len, "rank")) {
            if (!arg_ll_or_reply(c, &c->argv[++j], &rank, NULL)) return;
            if (rank == 0) {
                reply_error(c, "RANK can't be zero: use 1 to start from the first match, 2 from the second ... "
                               "or use negative to start from the end of the list");
                return;
            }
        } else if (more && arg_is(opt->ptr, opt->len, "count")) {
            if (!coll_get_positive_long_or_reply(c, &c->argv[++j], &count, "COUNT can't be negative")) return;
        } else if (more && arg_is(opt->ptr, opt->len, "maxlen")) {
            if (!coll_get_positive_long_or_reply(c, &c->argv[++j], &maxlen, "MAXLEN can't be negative")) return;
        } else {
            reply_error(c, ERR_SYNTAX);
            return;
        }
    }
    kobj *o;
    if (!coll_lookup_read(c, &c->argv[1], OBJ_LIST, &o)) return;
    if (!o) {
        if (count != -1)
            reply_empty_array(c);
        else
            reply_null(c);
        return;
    }
    int dir = QL_FORWARD;
    if (rank < 0) {
        dir = QL_BACKWARD;
        /* Redis negates RANK -2^63 into itself: every match qualifies and COUNT is never met. */
        if (rank == LLONG_MIN) count = count == -1 ? -1 : 0;
        rank = rank == LLONG_MIN ? 1 : -rank;
    }
    lpKey k;
    lpKeyInit(&k, c->argv[2].ptr, c->argv[2].len);
    quicklist *ql = LIST(o);
    long long llen = (long long)ql_count(ql), index = 0, matches = 0, found = -1, emitted = 0;
    replyDeferred d = {0};
    if (count != -1) d = reply_deferred(c);
    qlIter it;
    lpValue v;
    ql_iter_at(&it, ql, dir == QL_FORWARD ? 0 : -1, dir);
    while ((maxlen == 0 || index < maxlen) && ql_next(&it, &v)) {
        if (ql_iter_eq(&it, &k) && ++matches >= rank) {
            long long pos = dir == QL_FORWARD ? index : llen - index - 1;
            if (count == -1) {
                found = pos;
                break;
            }
            reply_integer(c, pos);
            emitted++;
            if (count && matches - rank + 1 >= count) break;
        }
        index++;
    }
    ql_iter_release(&it);
    if (count != -1)
        reply_set_deferred_array(c, d, emitted);
    else if (found != -1)
        reply_integer(c, found);
    else
        reply_null(c);
}

/* ---------------------------------------------------------------- modify */

void lset_command(client *c) {
    kobj *o;
    if (!coll_lookup_write(c, &c->argv[1], OBJ_LIST, &o)) return;
    if (!o) {
        reply_error(c, ERR_NOSUCHKEY);
        return;
    }
    long long index;
    if (!arg_ll_or_reply(c, &c->argv[2], &index, NULL)) return;
    qlIter it;
    lpValue v;
    ql_iter_at(&it, LIST(o), (long)index, QL_FORWARD);
    int found = ql_next(&it, &v);
    if (found) ql_iter_replace(&it, c->argv[3].ptr, c->argv[3].len);
    ql_iter_release(&it);
    if (!found) {
        reply_error(c, "index out of range");
        return;
    }
    reply_ok(c);
    signal_modified_key(c, c->db, c->argv[1].ptr, c->argv[1].len);
    notify_keyspace_event(NOTIFY_LIST, "lset", c->argv[1].ptr, c->argv[1].len, c->db->id);
}

void lrem_command(client *c) {
    long long toremove;
    if (!arg_ll_or_reply(c, &c->argv[2], &toremove, NULL)) return;
    kobj *o;
    if (!coll_lookup_write(c, &c->argv[1], OBJ_LIST, &o)) return;
    if (!o) {
        reply_integer(c, 0);
        return;
    }
    int dir = toremove < 0 ? QL_BACKWARD : QL_FORWARD;
    /* As in Redis, -2^63 stays negative when negated: no limit. */
    unsigned long long limit = toremove == LLONG_MIN ? 0 : (unsigned long long)(toremove < 0 ? -toremove : toremove);
    lpKey k;
    lpKeyInit(&k, c->argv[3].ptr, c->argv[3].len);
    quicklist *ql = LIST(o);
    unsigned long long removed = 0;
    qlIter it;
    lpValue v;
    ql_iter_at(&it, ql, dir == QL_FORWARD ? 0 : -1, dir);
    while (ql_next(&it, &v)) {
        if (!ql_iter_eq(&it, &k)) continue;
        ql_iter_delete(&it);
        if (++removed == limit) break;
    }
    ql_iter_release(&it);
    if (removed) notify_keyspace_event(NOTIFY_LIST, "lrem", c->argv[1].ptr, c->argv[1].len, c->db->id);
    if (ql_count(ql) == 0) coll_delete_emptied(c, &c->argv[1]);
    if (removed) signal_modified_key(c, c->db, c->argv[1].ptr, c->argv[1].len);
    reply_integer(c, (long long)removed);
}

void ltrim_command(client *c) {
    long long start, end;
    if (!arg_ll_or_reply(c, &c->argv[2], &start, NULL) || !arg_ll_or_reply(c, &c->argv[3], &end, NULL))
        return;
    kobj *o;
    if (!coll_lookup_write(c, &c->argv[1], OBJ_LIST, &o)) return;
    if (!o) {
        reply_ok(c);
        return;
    }
    quicklist *ql = LIST(o);
    long long llen = (long long)ql_count(ql), from = 0;
    long long keep = clip_range(start, end, llen, &from);
    ql_del_range(ql, (unsigned long)(from + keep), (unsigned long)(llen - from - keep));
    ql_del_range(ql, 0, (unsigned long)from);
    notify_keyspace_event(NOTIFY_LIST, "ltrim", c->argv[1].ptr, c->argv[1].len, c->db->id);
    if (ql_count(ql) == 0) coll_delete_emptied(c, &c->argv[1]);
    signal_modified_key(c, c->db, c->argv[1].ptr, c->argv[1].len);
    if (keep == llen) wstream_rewrite(0, NULL);   /* nothing removed: Redis counts no change */
    reply_ok(c);
}

/* ---------------------------------------------------------------- pop */

static void pop_generic(client *c, int where) {
    if (c->argc > 3) {
        reply_error_arity(c);
        return;
    }
    int has_count = c->argc == 3;
    long long count = 0;
    if (has_count && !coll_get_positive_long_or_reply(c, &c->argv[2], &count, NULL)) return;
    kobj *o;
    if (!coll_lookup_write(c, &c->argv[1], OBJ_LIST, &o)) return;
    if (!o) {
        if (has_count)
            reply_null_array(c);
        else
            reply_null(c);
        return;
    }
    if (has_count && count == 0) {
        reply_empty_array(c);
        return;
    }
    if (has_count)
        pop_range_reply(c, o, where, count);
    else
        pop_one_reply(c, o, where);
    list_popped(c, &c->argv[1], where, o);
}

void lpop_command(client *c) {
    pop_generic(c, QL_HEAD);
}

void rpop_command(client *c) {
    pop_generic(c, QL_TAIL);
}

/* LMPOP/BLMPOP arguments: numkeys at argv[numkeys_at], the keys, LEFT|RIGHT, [COUNT n]. */
typedef struct mpopArgs {
    const karg *keys;
    int nkeys;
    int where;
    long long count;
} mpopArgs;

static int parse_mpop(client *c, int numkeys_at, mpopArgs *a) {
    long long numkeys;
    if (!coll_get_range_long_or_reply(c, &c->argv[numkeys_at], 1, LLONG_MAX, &numkeys,
                                      "numkeys should be greater than 0"))
        return 0;
    if (numkeys >= c->argc || numkeys_at + numkeys + 1 >= c->argc) {
        reply_error(c, ERR_SYNTAX);
        return 0;
    }
    int where_at = numkeys_at + (int)numkeys + 1;
    if (!parse_where(c, &c->argv[where_at], &a->where)) return 0;
    a->count = -1;
    for (int j = where_at + 1; j < c->argc; j++) {
        if (a->count == -1 && j + 1 < c->argc && arg_is(c->argv[j].ptr, c->argv[j].len, "count")) {
            if (!coll_get_range_long_or_reply(c, &c->argv[++j], 1, LLONG_MAX, &a->count,
                                              "count should be greater than 0"))
                return 0;
        } else {
            reply_error(c, ERR_SYNTAX);
            return 0;
        }
    }
    if (a->count == -1) a->count = 1;
    a->keys = &c->argv[numkeys_at + 1];
    a->nkeys = (int)numkeys;
    return 1;
}

void lmpop_command(client *c) {
    mpopArgs a;
    if (!parse_mpop(c, 1, &a)) return;
    for (int i = 0; i < a.nkeys; i++) {
        kobj *o;
        if (!coll_lookup_write(c, &a.keys[i], OBJ_LIST, &o)) return;
        if (!o) continue;
        mpop_reply(c, &a.keys[i], o, a.where, a.count);
        return;
    }
    reply_null_array(c);
}

/* ---------------------------------------------------------------- move */

/* An element copied out of a list, so that it survives the pop that precedes the push. */
typedef struct heldValue {
    char small[64];
    char *p;
    size_t len;
} heldValue;

static void hold_value(heldValue *h, const lpValue *v) {
    char buf[LP_INTBUF];
    const char *s = value_bytes(v, buf, &h->len);
    h->p = h->len <= sizeof(h->small) ? h->small : kmalloc(h->len);
    memcpy(h->p, s, h->len);
}

static void release_value(heldValue *h) {
    if (h->p != h->small) kfree(h->p);
}

/* LMOVE's core (Redis's lmoveGenericCommand) on an existing source list src at argv[1]. */
static void move_generic(client *c, kobj *src, int wherefrom, int whereto) {
    const karg *skey = &c->argv[1], *dkey = &c->argv[2];
    kobj *dst;
    if (!coll_lookup_write(c, dkey, OBJ_LIST, &dst)) return;
    heldValue h;
    lpValue v;
    ql_peek(LIST(src), wherefrom, &v);
    hold_value(&h, &v);
    quicklist *sql = LIST(src);
    ql_del_range(sql, wherefrom == QL_HEAD ? 0 : ql_count(sql) - 1, 1);
    /* Push first (Redis's lmoveHandlePush), so that moving within one list never empties it. */
    if (!dst) dst = list_create(c, dkey);
    signal_modified_key(c, c->db, dkey->ptr, dkey->len);
    ql_push(LIST(dst), whereto, h.p, h.len);
    notify_keyspace_event(NOTIFY_LIST, whereto == QL_HEAD ? "lpush" : "rpush", dkey->ptr, dkey->len, c->db->id);
    reply_bulk(c, h.p, h.len);
    release_value(&h);
    list_popped(c, skey, wherefrom, src);
}

void lmove_command(client *c) {
    int wherefrom, whereto;
    if (!parse_where(c, &c->argv[3], &wherefrom) || !parse_where(c, &c->argv[4], &whereto)) return;
    kobj *src;
    if (!coll_lookup_write(c, &c->argv[1], OBJ_LIST, &src)) return;
    if (!src) {
        reply_null(c);
        return;
    }
    move_generic(c, src, wherefrom, whereto);
}

void rpoplpush_command(client *c) {
    kobj *src;
    if (!coll_lookup_write(c, &c->argv[1], OBJ_LIST, &src)) return;
    if (!src) {
        reply_null(c);
        return;
    }
    move_generic(c, src, QL_TAIL, QL_HEAD);
}

/* ---------------------------------------------------------------- blocking */

/* Looks key up for a blocking command. Returns 1 with *o (NULL: nothing to pop) or 0 when the
 * command must stop: WRONGTYPE was replied, or, in serve mode, the key holds another type and
 * the client keeps waiting (Redis 7.0 serves list waiters only from lists). */
static int lookup_blocking(client *c, const karg *key, kobj **o) {
    kobj *found = db_lookup_write(c->db, key->ptr, key->len);
    if (found && found->type != OBJ_LIST) {
        if (blocking_ready_key(c))
            block_for_keys(c, key, 1, 0);
        else
            reply_error(c, ERR_WRONGTYPE);
        return 0;
    }
    *o = found;
    return 1;
}

/* BLPOP/BRPOP (count < 0: one element, reply [key, value]) and BLMPOP ([key, [elements]]). */
static void blocking_pop(client *c, const karg *keys, int nkeys, int where, long long count, long long deadline) {
    const karg *ready = blocking_ready_key(c);
    const karg *look = ready ? ready : keys;
    int nlook = ready ? 1 : nkeys;
    for (int i = 0; i < nlook; i++) {
        kobj *o;
        if (!lookup_blocking(c, &look[i], &o)) return;
        if (!o) continue;
        if (count >= 0) {
            mpop_reply(c, &look[i], o, where, count);
        } else {
            reply_array_len(c, 2);
            reply_bulk(c, look[i].ptr, look[i].len);
            pop_one_reply(c, o, where);
            list_popped(c, &look[i], where, o);
            wstream_rewrite_key(where == QL_HEAD ? "LPOP" : "RPOP", &look[i]);
        }
        return;
    }
    if (blocking_denied(c)) {
        reply_null_array(c);
        return;
    }
    block_for_keys(c, keys, nkeys, deadline);
}

static void bpop_generic(client *c, int where) {
    long long deadline;
    if (!blocking_parse_timeout(c, &c->argv[c->argc - 1], &deadline)) return;
    blocking_pop(c, &c->argv[1], c->argc - 2, where, -1, deadline);
}

void blpop_command(client *c) {
    bpop_generic(c, QL_HEAD);
}

void brpop_command(client *c) {
    bpop_generic(c, QL_TAIL);
}

void blmpop_command(client *c) {
    mpopArgs a;
    long long deadline;
    if (!parse_mpop(c, 2, &a) || !blocking_parse_timeout(c, &c->argv[1], &deadline)) return;
    blocking_pop(c, a.keys, a.nkeys, a.where, a.count, deadline);
}

static void bmove_generic(client *c, int wherefrom, int whereto, long long deadline) {
    kobj *src;
    if (!lookup_blocking(c, &c->argv[1], &src)) return;
    if (src) {
        /* Propagates as LMOVE (the sides as sent) or RPOPLPUSH. */
        karg argv[5] = {c->argc == 4 ? WSTREAM_ARG("RPOPLPUSH") : WSTREAM_ARG("LMOVE"), c->argv[1], c->argv[2],
                        c->argv[3], c->argv[4]};
        move_generic(c, src, wherefrom, whereto);
        wstream_rewrite(c->argc == 4 ? 3 : 5, argv);
        return;
    }
    if (blocking_denied(c)) {
        reply_null(c);   /* Redis: a null bulk here, a null array on timeout */
        return;
    }
    block_for_keys(c, &c->argv[1], 1, deadline);
}

void blmove_command(client *c) {
    int wherefrom, whereto;
    long long deadline;
    if (!parse_where(c, &c->argv[3], &wherefrom) || !parse_where(c, &c->argv[4], &whereto) ||
        !blocking_parse_timeout(c, &c->argv[5], &deadline))
        return;
    bmove_generic(c, wherefrom, whereto, deadline);
}

void brpoplpush_command(client *c) {
    long long deadline;
    if (!blocking_parse_timeout(c, &c->argv[3], &deadline)) return;
    bmove_generic(c, QL_TAIL, QL_HEAD, deadline);
}
