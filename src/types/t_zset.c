/* t_zset.c - sorted sets: the two encodings (see t_zset.h, docs/zset.md) and the Z* commands.
 *
 * Every command is written once over both encodings through a few primitives: find a member,
 * insert, update, remove, remove a rank range, the rank of the first element at or past a
 * bound (zbtree.h's zbound: score, lex or (score, member)), and a cursor that walks ranks both
 * ways. Ranges of every kind (by rank, score or lex, with LIMIT and REV) are first turned into
 * a run of ranks, so the reply's length is known before anything is written and deletions and
 * counts are rank arithmetic.
 *
 * Small encoding (ENC_LISTPACK, "listpack" for OBJECT ENCODING as in Redis): a zpack
 * (types/zpack.h), pairs sorted by (score, member) in one forward-only allocation; a score that
 * is an integer in d2string's exact range (|x| < 2^52) is stored as an integer, so -0 becomes
 * 0 as in Redis's listpacks.
 *
 * Replies, error texts and the order of checks follow redis-server 7.0.15's t_zset.c. */
#include "types/t_zset.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "commands/commands.h"
#include "core/blocking.h"
#include "core/notify.h"
#include "keyspace/db.h"
#include "persist/wstream.h"
#include "protocol/reply.h"
#include "types/coll_entry.h"
#include "types/coll_scan.h"
#include "types/collection.h"
#include "types/t_set.h"
#include "types/zbtree.h"
#include "types/zpack.h"
#include "util/mem.h"
#include "util/util.h"

/* ---- Representation ---------------------------------------------------------------------- */

typedef struct zsetBig {
    table *dict;        /* member -> zelem */
    zbt tree;           /* the same zelems in (score, member) order */
} zsetBig;

static const tableType zelem_table_type = {
    .entry_key = zelemTableKey,
    .entry_free = zelemFree,
    .hash = NULL,
    .grow_allowed = NULL,
};

#define ZS_ZP(o) ((unsigned char *)obj_ptr(o))
#define ZS_BIG(o) ((zsetBig *)obj_ptr(o))
#define IS_BIG(o) ((o)->encoding == ENC_SKIPLIST)


/* A big set whose table is `dict` (NULL: a new one) and whose tree is empty. */
static zsetBig *big_new(table *dict) {
    zsetBig *z = kmalloc(sizeof(*z));
    z->dict = dict ? dict : tableCreate(&zelem_table_type);
    zbtInit(&z->tree);
    return z;
}

static void big_free(zsetBig *z) {
    zbtRelease(&z->tree);
    tableRelease(z->dict);   /* frees the elements */
    kfree(z);
}

static void big_add(zsetBig *z, zelem *e) {
    tableAdd(z->dict, e);
    zbtInsert(&z->tree, e);
}

/* An empty sorted set object named key. */
static kobj *zset_new(const char *key, size_t klen, int big) {
    if (big) return obj_new_ptr(key, klen, OBJ_ZSET, ENC_SKIPLIST, big_new(NULL));
    return obj_new_ptr(key, klen, OBJ_ZSET, ENC_LISTPACK, zpNew());
}

size_t zset_length(const kobj *o) {
    return IS_BIG(o) ? ZS_BIG(o)->tree.len : zpLength(ZS_ZP(o));
}

/* ---- Small sets: members and scores -------------------------------------------------------- */

/* The first pair at or past b (NULL if none) and its rank in *rank. */
static unsigned char *zp_seek(const unsigned char *zp, const zbound *b, size_t *rank) {
    size_t r = 0;
    unsigned char *p = zpFirst(zp);
    for (; p; p = zpNext(zp, p), r++) {
        size_t mlen;
        double score;
        const char *m = zpGet(p, &mlen, &score);
        if (zboundReached(b, score, m, mlen)) break;
    }
    if (rank) *rank = r;
    return p;
}

/* The pair of member m (NULL if absent) and its rank in *rank. */
static unsigned char *zp_find(const unsigned char *zp, const char *m, size_t mlen, size_t *rank) {
    size_t r = 0;
    unsigned char *p = zpFirst(zp);
    for (; p; p = zpNext(zp, p), r++) {
        size_t l;
        const char *x = zpGet(p, &l, NULL);
        if (l == mlen && memcmp(x, m, mlen) == 0) break;
    }
    if (rank) *rank = r;
    return p;
}

/* Inserts the pair at its place (the member must be absent). */
static unsigned char *zp_insert_sorted(unsigned char *zp, const char *m, size_t mlen, double score) {
    zbound key = {.kind = ZBOUND_KEY, .score = score, .m = m, .mlen = mlen};
    return zpInsert(zp, zp_seek(zp, &key, NULL), m, mlen, score);
}

/* ---- Conversions --------------------------------------------------------------------------- */

static void zset_convert_big(kobj *o) {
    unsigned char *zp = ZS_ZP(o);
    zsetBig *z = big_new(NULL);
    for (unsigned char *p = zpFirst(zp); p; p = zpNext(zp, p)) {
        size_t mlen;
        double score;
        const char *m = zpGet(p, &mlen, &score);
        big_add(z, zelemNew(m, mlen, score));
    }
    zpFree(zp);
    obj_set_ptr(o, z);
    o->encoding = ENC_SKIPLIST;
}

void zset_convert_for_sort(kobj *o) {
    if (!IS_BIG(o)) zset_convert_big(o);
}

/* ---- Members ------------------------------------------------------------------------------- */

/* A member found in a set: where it is and its score. */
typedef struct zfound {
    zelem *e;               /* big */
    unsigned char *p;       /* small: the pair's entry */
    double score;
} zfound;

static int zset_find(const kobj *o, const char *m, size_t mlen, zfound *f) {
    if (IS_BIG(o)) {
        f->e = tableFind(ZS_BIG(o)->dict, m, mlen);
        if (f->e) f->score = f->e->score;
        return f->e != NULL;
    }
    f->p = zp_find(ZS_ZP(o), m, mlen, NULL);
    if (f->p) f->score = zpScore(f->p);
    return f->p != NULL;
}

static int zset_score(const kobj *o, const char *m, size_t mlen, double *score) {
    zfound f;
    if (!zset_find(o, m, mlen, &f)) return 0;
    *score = f.score;
    return 1;
}

/* Adds a member that is not in the set, converting to the big encoding past the thresholds. */
static void zset_insert(kobj *o, const char *m, size_t mlen, double score) {
    if (!IS_BIG(o)) {
        if (zset_length(o) + 1 <= (size_t)server.zset_max_listpack_entries &&
            mlen <= (size_t)server.zset_max_listpack_value && zpSafeToAdd(ZS_ZP(o), mlen)) {
            obj_set_ptr(o, zp_insert_sorted(ZS_ZP(o), m, mlen, score));
            return;
        }
        zset_convert_big(o);
    }
    big_add(ZS_BIG(o), zelemNew(m, mlen, score));
}

/* Gives the member found at f a new score. */
static void zset_update(kobj *o, const zfound *f, const char *m, size_t mlen, double score) {
    if (IS_BIG(o)) {
        zbtRemove(&ZS_BIG(o)->tree, f->e);
        f->e->score = score;
        zbtInsert(&ZS_BIG(o)->tree, f->e);
        return;
    }
    unsigned char *zp = zpDelete(ZS_ZP(o), f->p, 1);
    obj_set_ptr(o, zp_insert_sorted(zp, m, mlen, score));
}

static int zset_remove(kobj *o, const char *m, size_t mlen) {
    if (IS_BIG(o)) {
        zsetBig *z = ZS_BIG(o);
        zelem *e = tableDelete(z->dict, m, mlen);
        if (!e) return 0;
        zbtRemove(&z->tree, e);
        zelemFree(e);
        return 1;
    }
    unsigned char *p = zp_find(ZS_ZP(o), m, mlen, NULL);
    if (!p) return 0;
    obj_set_ptr(o, zpDelete(ZS_ZP(o), p, 1));
    return 1;
}

/* Removes ranks [first, first + count), which must exist. */
static void zset_remove_ranks(kobj *o, size_t first, size_t count) {
    if (count == zset_length(o)) {  /* everything: drop the structures at once */
        zset_free_payload(o);
        obj_set_ptr(o, zpNew());
        o->encoding = ENC_LISTPACK;
        return;
    }
    if (!IS_BIG(o)) {
        obj_set_ptr(o, zpDelete(ZS_ZP(o), zpSeek(ZS_ZP(o), first), count));
        return;
    }
    zsetBig *z = ZS_BIG(o);
    for (size_t i = 0; i < count; i++) {
        zbtIter it;
        zbtSeekRank(&z->tree, first, &it);
        zelem *e = zbtElem(&it);
        zbtRemove(&z->tree, e);
        tableDeleteEntry(z->dict, e);
        zelemFree(e);
    }
}

/* The rank of the first element at or past b (the length if none). */
static size_t zset_seek(const kobj *o, const zbound *b) {
    if (IS_BIG(o)) return zbtSeek(&ZS_BIG(o)->tree, b, NULL);
    size_t rank;
    zp_seek(ZS_ZP(o), b, &rank);
    return rank;
}

/* The rank of a member, or -1. */
static long long zset_rank(const kobj *o, const char *m, size_t mlen) {
    if (IS_BIG(o)) {
        zelem *e = tableFind(ZS_BIG(o)->dict, m, mlen);
        return e ? (long long)zbtRank(&ZS_BIG(o)->tree, e) : -1;
    }
    size_t rank;
    return zp_find(ZS_ZP(o), m, mlen, &rank) ? (long long)rank : -1;
}

/* ---- Walking ranks ------------------------------------------------------------------------- */

typedef struct zitem {
    const char *m;          /* member bytes, in the set */
    size_t mlen;
    double score;
} zitem;

typedef struct zcur {
    const kobj *o;
    unsigned char *p;       /* small: the pair's entry, NULL past either end */
    zbtIter it;             /* big */
} zcur;

static int zcur_at(zcur *z, const kobj *o, size_t rank) {
    z->o = o;
    if (IS_BIG(o)) return zbtSeekRank(&ZS_BIG(o)->tree, rank, &z->it);
    z->p = zpSeek(ZS_ZP(o), rank);
    return z->p != NULL;
}

static int zcur_valid(const zcur *z) {
    return IS_BIG(z->o) ? zbtValid(&z->it) : z->p != NULL;
}

static void zcur_step(zcur *z, int reverse) {
    if (!IS_BIG(z->o))
        z->p = reverse ? zpPrev(ZS_ZP(z->o), z->p) : zpNext(ZS_ZP(z->o), z->p);
    else if (reverse)
        zbtPrev(&z->it);
    else
        zbtNext(&z->it);
}

static void zcur_get(const zcur *z, zitem *it) {
    if (IS_BIG(z->o)) {
        it->m = zelemMember(zbtElem(&z->it), &it->mlen);
        it->score = zbtScore(&z->it);
        return;
    }
    it->m = zpGet(z->p, &it->mlen, &it->score);
}

typedef void zitem_fn(void *ctx, const zitem *it);

/* Calls fn for `count` elements from rank `rank` upwards, or with `reverse` downwards. The
 * ranks must exist. */
static void zset_walk(const kobj *o, size_t rank, size_t count, int reverse, zitem_fn *fn, void *ctx) {
    zcur z;
    zitem it;
    if (!count) return;
    if (reverse && !IS_BIG(o)) {   /* forward-only: collect ranks rank-count+1 .. rank first */
        unsigned char *stack[128], **v = count <= 128 ? stack : kmalloc(sizeof(*v) * count);
        const unsigned char *zp = ZS_ZP(o);
        unsigned char *p = zpSeek(zp, rank + 1 - count);
        for (size_t i = 0; i < count; i++, p = zpNext(zp, p)) v[i] = p;
        for (size_t i = count; i-- > 0;) {
            it.m = zpGet(v[i], &it.mlen, &it.score);
            fn(ctx, &it);
        }
        if (v != stack) kfree(v);
        return;
    }
    if (!zcur_at(&z, o, rank)) return;
    for (size_t i = 0; i < count; i++, zcur_step(&z, reverse)) {
        zcur_get(&z, &it);
        fn(ctx, &it);
    }
}

typedef struct memberFnCtx {
    zset_member_fn *fn;
    void *privdata;
} memberFnCtx;

static void call_member_fn(void *ctx, const zitem *it) {
    memberFnCtx *mc = ctx;
    mc->fn(mc->privdata, it->m, it->mlen);
}

void zset_for_range(const kobj *o, size_t start, size_t count, int reverse, zset_member_fn *fn, void *privdata) {
    memberFnCtx mc = {fn, privdata};
    size_t rank = reverse ? zset_length(o) - 1 - start : start;
    zset_walk(o, rank, count, reverse, call_member_fn, &mc);
}

/* ---- Geo access ---------------------------------------------------------------------------- */

int zset_member_score(const kobj *o, const char *m, size_t mlen, double *score) {
    return zset_score(o, m, mlen, score);
}

void zset_for_score_range(const kobj *o, double min, double max, zset_score_filter_fn *accept, zset_scored_fn *fn,
                          void *privdata) {
    zbound b = {.kind = ZBOUND_SCORE, .score = min};
    zcur z;
    zitem it;
    for (int more = zcur_at(&z, o, zset_seek(o, &b)); more && zcur_valid(&z); zcur_step(&z, 0)) {
        /* The score first: a big set keeps it in the tree's leaf, while the member is behind
         * a pointer (a cache miss per element), read only for the elements accept keeps. */
        double score = IS_BIG(o) ? zbtScore(&z.it) : zpScore(z.p);
        if (score >= max) break;
        if (accept && !accept(privdata, score)) continue;
        zcur_get(&z, &it);
        more = fn(privdata, it.m, it.mlen, it.score);
    }
}

kobj *zset_create(const char *key, size_t klen, size_t hint) {
    size_t max = (size_t)server.zset_max_listpack_entries;
    return zset_new(key, klen, max == 0 || hint > max);
}

void zset_put(kobj *o, const char *m, size_t mlen, double score) {
    zfound f;
    if (zset_find(o, m, mlen, &f))
        zset_update(o, &f, m, mlen, score);
    else
        zset_insert(o, m, mlen, score);
}

/* ---- Persistence ----------------------------------------------------------------------------- */

int zset_load_member(kobj *o, const char *m, size_t mlen, double score) {
    zfound f;
    if (zset_find(o, m, mlen, &f)) return 0;
    zset_insert(o, m, mlen, score);
    return 1;
}

typedef struct scoredFnCtx {
    zset_scored_fn *fn;
    void *privdata;
    int stopped;        /* fn returned 0: the walk goes on, fn is not called again */
} scoredFnCtx;

static void call_scored_fn(void *ctx, const zitem *it) {
    scoredFnCtx *sc = ctx;
    if (!sc->stopped && !sc->fn(sc->privdata, it->m, it->mlen, it->score)) sc->stopped = 1;
}

void zset_for_each_scored(const kobj *o, int descending, zset_scored_fn *fn, void *privdata) {
    scoredFnCtx sc = {fn, privdata, 0};
    size_t n = zset_length(o);
    zset_walk(o, descending ? n - 1 : 0, n, descending, call_scored_fn, &sc);
}

/* ---- types.c hooks ------------------------------------------------------------------------- */

void zset_free_payload(kobj *o) {
    if (IS_BIG(o))
        big_free(ZS_BIG(o));
    else
        zpFree(ZS_ZP(o));
}

void *zset_dup_payload(const kobj *o) {
    if (!IS_BIG(o)) return zpDup(ZS_ZP(o));
    const zsetBig *src = ZS_BIG(o);
    zsetBig *z = big_new(NULL);
    zbtIter it;
    /* In order: appends at the right edge pack the copy's leaves. */
    for (zbtSeekRank(&src->tree, 0, &it); zbtValid(&it); zbtNext(&it)) {
        zelem *e = kmemdup(zbtElem(&it), zelemBytes(zbtElem(&it)));
        e->link.next = NULL;
        big_add(z, e);
    }
    return z;
}

size_t zset_payload_memory(const kobj *o) {
    if (!IS_BIG(o)) return kmalloc_size(ZS_ZP(o));
    const zsetBig *z = ZS_BIG(o);
    return kmalloc_size(z) + coll_table_memory(z->dict) + zbtNodeBytes(&z->tree);
}

/* keyspace/defrag.c: a moved element is swapped in the member table (the tree's slots were
 * updated by zbtDefrag). */
static void zelem_moved(void *dict, zelem *old, zelem *nw) {
    tableReplaceEntry(dict, old, nw);
}

size_t zset_defrag_big(kobj *o, size_t from, size_t count, void *(*move)(void *block)) {
    zsetBig *z = ZS_BIG(o);
    if (from == 0) {
        zsetBig *n = move(z);
        if (n) obj_set_ptr(o, z = n);
        z->dict = tableDefrag(z->dict, move);
    }
    return zbtDefrag(&z->tree, from, count, move, zelem_moved, z->dict);
}

/* ---- Arguments ----------------------------------------------------------------------------- */

/* A score argument (ZADD, ZINCRBY): Redis's getDoubleFromObject. */
static int score_arg(client *c, const karg *a, double *out, const char *msg) {
    if (str_to_d(a->ptr, a->len, out)) return 1;
    reply_error(c, msg ? msg : ERR_NOT_FLOAT);
    return 0;
}

/* One end of a score range: strtod after an optional '(' (Redis's zslParseRangeItem, which,
 * unlike scores, accepts leading spaces and an empty number). Arguments are NUL-terminated. */
static int score_bound_arg(const karg *a, double *v, int *ex) {
    const char *s = a->ptr;
    char *end;
    *ex = s[0] == '(';
    *v = strtod(s + *ex, &end);
    return end[0] == '\0' && !isnan(*v);
}

/* One end of a lex range: "-", "+", "(member" or "[member" (Redis's zslParseLexRangeItem).
 * past = 1 for the upper end, which is stored as the bound of the first element past it. */
static int lex_bound_arg(const karg *a, zbound *b, int past) {
    memset(b, 0, sizeof(*b));
    b->kind = ZBOUND_LEX;
    switch (a->ptr[0]) {
    case '+':
    case '-':
        if (a->ptr[1] != '\0') return 0;
        b->inf = a->ptr[0] == '+' ? 1 : -1;
        return 1;
    case '(':
    case '[':
        b->m = a->ptr + 1;
        b->mlen = a->len - 1;
        b->ex = (a->ptr[0] == '(') != past;
        return 1;
    default:
        return 0;
    }
}

/* ---- Ranges -------------------------------------------------------------------------------- */

enum { ZR_AUTO, ZR_RANK, ZR_SCORE, ZR_LEX };

typedef struct zrangeSpec {
    int type;                   /* ZR_RANK, ZR_SCORE, ZR_LEX */
    int rev;                    /* 1: emitted from the top down (-1: REV not parsed yet) */
    long long start, end;       /* ZR_RANK */
    zbound min, past;           /* ZR_SCORE, ZR_LEX: the range is [first at/past min, first at/past past) */
    long long offset, limit;    /* LIMIT; limit < 0: no limit */
} zrangeSpec;

/* Parses the range argv[lo], argv[hi] of r->type into r; replies the error and returns 0. */
static int range_args(client *c, int lo, int hi, zrangeSpec *r) {
    const karg *a = &c->argv[lo], *b = &c->argv[hi];
    if (r->type == ZR_RANK) return arg_ll_or_reply(c, a, &r->start, NULL) && arg_ll_or_reply(c, b, &r->end, NULL);
    if (r->type == ZR_LEX) {
        if (lex_bound_arg(a, &r->min, 0) && lex_bound_arg(b, &r->past, 1)) return 1;
        reply_error(c, "min or max not valid string range item");
        return 0;
    }
    double min, max;
    int minex, maxex;
    if (!score_bound_arg(a, &min, &minex) || !score_bound_arg(b, &max, &maxex)) {
        reply_error(c, "min or max is not a float");
        return 0;
    }
    r->min = (zbound){.kind = ZBOUND_SCORE, .score = min, .ex = minex};
    r->past = (zbound){.kind = ZBOUND_SCORE, .score = max, .ex = !maxex};
    return 1;
}

static void range_init(zrangeSpec *r, int type, int rev) {
    memset(r, 0, sizeof(*r));
    r->type = type;
    r->rev = rev;
    r->limit = -1;
}

/* The run of ranks a range selects in o: ascending ranks [*first, *first + *count); with REV
 * the elements are emitted from the top of the run down. */
static void range_ranks(const kobj *o, const zrangeSpec *r, size_t *first, size_t *count) {
    long long len = (long long)zset_length(o);
    *first = *count = 0;
    if (r->type == ZR_RANK) {   /* Redis's index sanitizing */
        long long start = r->start, end = r->end;
        if (start < 0) start += len;
        if (end < 0) end += len;
        if (start < 0) start = 0;
        if (start > end || start >= len) return;
        if (end >= len) end = len - 1;
        *count = (size_t)(end - start + 1);
        *first = (size_t)(r->rev ? len - 1 - end : start);
        return;
    }
    size_t lo = zset_seek(o, &r->min), hi = zset_seek(o, &r->past);
    if (hi <= lo || r->offset < 0 || (unsigned long long)r->offset >= hi - lo) return;
    size_t n = hi - lo - (size_t)r->offset;
    if (r->limit >= 0 && (unsigned long long)r->limit < n) n = (size_t)r->limit;
    *count = n;
    *first = r->rev ? hi - (size_t)r->offset - n : lo + (size_t)r->offset;
}

/* ---- Output: a reply, or a sorted set being built (the STORE variants) --------------------- */

typedef struct zsink {
    client *c;
    int withscores;
    int nested;             /* each member and score as a 2-element array */
    const karg *dst;        /* store into this key instead of replying */
    kobj *out;
} zsink;

static void sink_init(zsink *s, client *c, int withscores, int nested, const karg *dst) {
    s->c = c;
    s->withscores = withscores;
    s->nested = nested;
    s->dst = dst;
    s->out = NULL;
}

/* Starts an output of n elements. A store starts as a listpack unless n_known and n is over
 * the listpack limit, as Redis's zrangeResultBeginStore does: it matters, because a listpack
 * turns a -0 score into 0 before a later conversion. */
static void sink_begin(zsink *s, size_t n, int n_known) {
    if (s->dst) {
        s->out = zset_new(s->dst->ptr, s->dst->len, n_known && n > (size_t)server.zset_max_listpack_entries);
        return;
    }
    reply_array_len(s->c, (long long)(s->withscores && !s->nested ? 2 * n : n));
}

static void sink_emit(void *ctx, const zitem *it) {
    zsink *s = ctx;
    if (s->dst) {
        zset_insert(s->out, it->m, it->mlen, it->score);
        return;
    }
    if (s->nested) reply_array_len(s->c, 2);
    reply_bulk(s->c, it->m, it->mlen);
    if (s->withscores) reply_double(s->c, it->score);
}

/* Stores `out` (NULL or empty: deletes dst) and replies its length. */
static void store_result(client *c, const karg *dst, kobj *out, const char *event) {
    long long n = out ? (long long)zset_length(out) : 0;
    if (n > 0) {
        db_set(c->db, out, 0);
        signal_modified_key(c, c->db, dst->ptr, dst->len);
        notify_keyspace_event(NOTIFY_ZSET, event, dst->ptr, dst->len, c->db->id);
    } else {
        if (out) obj_free(out);
        if (db_delete(c->db, dst->ptr, dst->len)) {
            signal_modified_key(c, c->db, dst->ptr, dst->len);
            notify_keyspace_event(NOTIFY_GENERIC, "del", dst->ptr, dst->len, c->db->id);
        }
    }
    reply_integer(c, n);
}

/* Emits ranks [first, first + count) of o, walking down from the top with rev. */
static void sink_ranks(zsink *s, const kobj *o, size_t first, size_t count, int rev, int count_known,
                       const char *event) {
    sink_begin(s, count, count_known);
    if (count) zset_walk(o, rev ? first + count - 1 : first, count, rev, sink_emit, s);
    if (s->dst) store_result(s->c, s->dst, s->out, event);
}

/* ---- Writes -------------------------------------------------------------------------------- */

/* After members were removed from key: events, and the key goes when the set is empty. */
static void zset_removed(client *c, const karg *key, kobj *o, const char *event) {
    notify_keyspace_event(NOTIFY_ZSET, event, key->ptr, key->len, c->db->id);
    if (zset_length(o) == 0) coll_delete_emptied(c, key);
    signal_modified_key(c, c->db, key->ptr, key->len);
}

/* ---- ZADD, ZINCRBY ------------------------------------------------------------------------- */

#define ZADD_NX (1 << 0)
#define ZADD_XX (1 << 1)
#define ZADD_GT (1 << 2)
#define ZADD_LT (1 << 3)
#define ZADD_CH (1 << 4)
#define ZADD_INCR (1 << 5)

enum { ZADD_NOP, ZADD_ADDED, ZADD_UPDATED, ZADD_SAME, ZADD_NAN };

/* Redis's zsetAdd: adds or updates member under the flags; *score becomes the resulting score.
 * Returns ZADD_NOP (flags forbade it), ZADD_ADDED, ZADD_UPDATED, ZADD_SAME (processed, score
 * unchanged) or ZADD_NAN (INCR produced NaN; nothing changed). */
static int zset_add(kobj *o, const char *m, size_t mlen, int flags, double *score) {
    zfound f;
    if (!zset_find(o, m, mlen, &f)) {
        if (flags & ZADD_XX) return ZADD_NOP;
        zset_insert(o, m, mlen, *score);
        return ZADD_ADDED;
    }
    if (flags & ZADD_NX) return ZADD_NOP;
    if (flags & ZADD_INCR) {
        *score += f.score;
        if (isnan(*score)) return ZADD_NAN;
    }
    if (((flags & ZADD_LT) && *score >= f.score) || ((flags & ZADD_GT) && *score <= f.score)) return ZADD_NOP;
    if (*score == f.score) return ZADD_SAME;
    zset_update(o, &f, m, mlen, *score);
    return ZADD_UPDATED;
}

static int zadd_flag(const karg *a) {
    static const struct {
        const char *name;
        int flag;
    } names[] = {{"nx", ZADD_NX}, {"xx", ZADD_XX}, {"gt", ZADD_GT}, {"lt", ZADD_LT}, {"ch", ZADD_CH}, {"incr", ZADD_INCR}};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (arg_is(a->ptr, a->len, names[i].name)) return names[i].flag;
    return 0;
}

/* Checks ZADD's flags and pairs; replies the error and returns 0. */
static int zadd_check(client *c, int flags, int pairs_args) {
    const char *err = NULL;
    if (pairs_args % 2 || pairs_args == 0)
        err = ERR_SYNTAX;
    else if ((flags & ZADD_NX) && (flags & ZADD_XX))
        err = "XX and NX options at the same time are not compatible";
    else if (((flags & ZADD_NX) && (flags & (ZADD_GT | ZADD_LT))) || ((flags & ZADD_GT) && (flags & ZADD_LT)))
        err = "GT, LT, and/or NX options at the same time are not compatible";
    else if ((flags & ZADD_INCR) && pairs_args > 2)
        err = "INCR option supports a single increment-element pair";
    if (err) reply_error(c, err);
    return err == NULL;
}

#define ZADD_STACK_SCORES 16

typedef struct zaddResult {
    long long added, updated, processed;
    double score;               /* the last element's resulting score (INCR's reply) */
} zaddResult;

/* Applies the n (score, member) pairs from argv[idx]; returns 0 when INCR produced NaN. */
static int zadd_apply(client *c, kobj *o, int idx, const double *scores, int n, int flags, zaddResult *r) {
    for (int j = 0; j < n; j++) {
        const karg *m = &c->argv[idx + 2 * j + 1];
        r->score = scores[j];
        int res = zset_add(o, m->ptr, m->len, flags, &r->score);
        if (res == ZADD_NAN) return 0;
        r->added += res == ZADD_ADDED;
        r->updated += res == ZADD_UPDATED;
        r->processed += res != ZADD_NOP;
    }
    return 1;
}

/* The key for ZADD: the existing set, a new one (added to the database, encoded as Redis's
 * zaddGenericCommand chooses from the first member), or NULL with XX and no key. Returns 0
 * after replying WRONGTYPE. */
static int zadd_target(client *c, int idx, int flags, kobj **o) {
    const karg *key = &c->argv[1], *first = &c->argv[idx + 1];
    if (!coll_lookup_write(c, key, OBJ_ZSET, o)) return 0;
    if (*o || (flags & ZADD_XX)) return 1;
    int big = server.zset_max_listpack_entries == 0 || (size_t)server.zset_max_listpack_value < first->len;
    *o = zset_new(key->ptr, key->len, big);
    db_add(c->db, *o);
    return 1;
}

/* ZADD and ZINCRBY (flags = ZADD_INCR): Redis's zaddGenericCommand. */
static void zadd_generic(client *c, int flags) {
    int idx = 2;
    for (int f; idx < c->argc && (f = zadd_flag(&c->argv[idx])) != 0; idx++) flags |= f;
    if (!zadd_check(c, flags, c->argc - idx)) return;
    int n = (c->argc - idx) / 2, ok = 1;
    double stack_scores[ZADD_STACK_SCORES];
    double *scores = n <= ZADD_STACK_SCORES ? stack_scores : kmalloc(sizeof(double) * (size_t)n);
    for (int j = 0; j < n && ok; j++) ok = score_arg(c, &c->argv[idx + 2 * j], &scores[j], NULL);
    kobj *o = NULL;
    zaddResult r = {0, 0, 0, 0};
    if (ok && zadd_target(c, idx, flags, &o)) {
        if (o && !zadd_apply(c, o, idx, scores, n, flags, &r))
            reply_error(c, "resulting score is not a number (NaN)");
        else if (!(flags & ZADD_INCR))
            reply_integer(c, (flags & ZADD_CH) ? r.added + r.updated : r.added);
        else if (r.processed)
            reply_double(c, r.score);
        else
            reply_null(c);
    }
    if (r.added || r.updated) {
        signal_modified_key(c, c->db, c->argv[1].ptr, c->argv[1].len);
        notify_keyspace_event(NOTIFY_ZSET, (flags & ZADD_INCR) ? "zincr" : "zadd", c->argv[1].ptr, c->argv[1].len,
                              c->db->id);
    }
    if (scores != stack_scores) kfree(scores);
}

void zadd_command(client *c) {
    zadd_generic(c, 0);
}

void zincrby_command(client *c) {
    zadd_generic(c, ZADD_INCR);
}

/* ---- Single-member reads and ZREM ---------------------------------------------------------- */

void zrem_command(client *c) {
    kobj *o;
    if (!coll_lookup_write(c, &c->argv[1], OBJ_ZSET, &o)) return;
    long long deleted = 0;
    for (int i = 2; o && i < c->argc && zset_length(o) > 0; i++) deleted += zset_remove(o, c->argv[i].ptr, c->argv[i].len);
    if (deleted) zset_removed(c, &c->argv[1], o, "zrem");
    reply_integer(c, deleted);
}

void zcard_command(client *c) {
    kobj *o;
    if (coll_lookup_read(c, &c->argv[1], OBJ_ZSET, &o)) reply_integer(c, o ? (long long)zset_length(o) : 0);
}

void zscore_command(client *c) {
    kobj *o;
    double score;
    if (!coll_lookup_read(c, &c->argv[1], OBJ_ZSET, &o)) return;
    if (o && zset_score(o, c->argv[2].ptr, c->argv[2].len, &score))
        reply_double(c, score);
    else
        reply_null(c);
}

void zmscore_command(client *c) {
    kobj *o;
    double score;
    if (!coll_lookup_read(c, &c->argv[1], OBJ_ZSET, &o)) return;
    reply_array_len(c, c->argc - 2);
    for (int i = 2; i < c->argc; i++) {
        if (o && zset_score(o, c->argv[i].ptr, c->argv[i].len, &score))
            reply_double(c, score);
        else
            reply_null(c);
    }
}

static void zrank_generic(client *c, int rev) {
    kobj *o;
    if (!coll_lookup_read(c, &c->argv[1], OBJ_ZSET, &o)) return;
    long long rank = o ? zset_rank(o, c->argv[2].ptr, c->argv[2].len) : -1;
    if (rank < 0)
        reply_null(c);
    else
        reply_integer(c, rev ? (long long)zset_length(o) - 1 - rank : rank);
}

void zrank_command(client *c) {
    zrank_generic(c, 0);
}

void zrevrank_command(client *c) {
    zrank_generic(c, 1);
}

/* ---- ZRANGE and its variants --------------------------------------------------------------- */

/* ZRANGE's options after argv[keyidx + 2] into r (whose type/rev are ZR_AUTO/-1 when the
 * command lets BYSCORE/BYLEX/REV choose them), then Redis's checks of their combination.
 * Replies the error and returns 0. */
static int zrange_options(client *c, int keyidx, const karg *dst, zrangeSpec *r, int *withscores) {
    int has_limit = 0;
    for (int j = keyidx + 3; j < c->argc; j++) {
        const karg *a = &c->argv[j];
        int left = c->argc - j - 1;
        if (!dst && arg_is(a->ptr, a->len, "withscores")) {
            *withscores = 1;
        } else if (arg_is(a->ptr, a->len, "limit") && left >= 2) {
            if (!arg_ll_or_reply(c, &c->argv[j + 1], &r->offset, NULL) ||
                !arg_ll_or_reply(c, &c->argv[j + 2], &r->limit, NULL))
                return 0;
            has_limit = r->limit != -1;     /* Redis tells "no LIMIT" by limit == -1 */
            j += 2;
        } else if (r->rev < 0 && arg_is(a->ptr, a->len, "rev")) {
            r->rev = 1;
        } else if (r->type == ZR_AUTO && arg_is(a->ptr, a->len, "bylex")) {
            r->type = ZR_LEX;
        } else if (r->type == ZR_AUTO && arg_is(a->ptr, a->len, "byscore")) {
            r->type = ZR_SCORE;
        } else {
            reply_error(c, ERR_SYNTAX);
            return 0;
        }
    }
    r->rev = r->rev > 0;
    if (r->type == ZR_AUTO) r->type = ZR_RANK;
    const char *err = NULL;
    if (has_limit && r->type == ZR_RANK)
        err = "syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX";
    else if (*withscores && r->type == ZR_LEX)
        err = "syntax error, WITHSCORES not supported in combination with BYLEX";
    if (err) reply_error(c, err);
    return err == NULL;
}

/* Redis's zrangeGenericCommand: the source key is argv[keyidx], its range and options follow;
 * dst != NULL for ZRANGESTORE. type/rev are fixed by the legacy commands, ZR_AUTO/-1 for
 * ZRANGE and ZRANGESTORE, which take BYSCORE/BYLEX/REV. */
static void zrange_generic(client *c, int keyidx, const karg *dst, int type, int rev) {
    zrangeSpec r;
    int withscores = 0;
    kobj *o;
    range_init(&r, type, rev);
    if (!zrange_options(c, keyidx, dst, &r, &withscores)) return;
    /* REV with BYSCORE/BYLEX takes the range as max, min. */
    int swap = r.rev && r.type != ZR_RANK;
    if (!range_args(c, keyidx + 1 + swap, keyidx + 2 - swap, &r)) return;
    if (!coll_lookup_read(c, &c->argv[keyidx], OBJ_ZSET, &o)) return;
    zsink s;
    size_t first = 0, count = 0;
    sink_init(&s, c, withscores || dst, withscores && c->resp > 2, dst);
    if (o) range_ranks(o, &r, &first, &count);
    sink_ranks(&s, o, first, count, r.rev, r.type == ZR_RANK, "zrangestore");
}

void zrange_command(client *c) {
    zrange_generic(c, 1, NULL, ZR_AUTO, -1);
}

void zrangestore_command(client *c) {
    zrange_generic(c, 2, &c->argv[1], ZR_AUTO, -1);
}

void zrevrange_command(client *c) {
    zrange_generic(c, 1, NULL, ZR_RANK, 1);
}

void zrangebyscore_command(client *c) {
    zrange_generic(c, 1, NULL, ZR_SCORE, 0);
}

void zrevrangebyscore_command(client *c) {
    zrange_generic(c, 1, NULL, ZR_SCORE, 1);
}

void zrangebylex_command(client *c) {
    zrange_generic(c, 1, NULL, ZR_LEX, 0);
}

void zrevrangebylex_command(client *c) {
    zrange_generic(c, 1, NULL, ZR_LEX, 1);
}

/* ZCOUNT, ZLEXCOUNT: the range first, then the key. */
static void zcount_generic(client *c, int type) {
    zrangeSpec r;
    kobj *o;
    size_t first, count = 0;
    range_init(&r, type, 0);
    if (!range_args(c, 2, 3, &r) || !coll_lookup_read(c, &c->argv[1], OBJ_ZSET, &o)) return;
    if (o) range_ranks(o, &r, &first, &count);
    reply_integer(c, (long long)count);
}

void zcount_command(client *c) {
    zcount_generic(c, ZR_SCORE);
}

void zlexcount_command(client *c) {
    zcount_generic(c, ZR_LEX);
}

/* ZREMRANGEBYRANK, ZREMRANGEBYSCORE, ZREMRANGEBYLEX. */
static void zremrange_generic(client *c, int type, const char *event) {
    zrangeSpec r;
    kobj *o;
    size_t first, count = 0;
    range_init(&r, type, 0);
    if (!range_args(c, 2, 3, &r) || !coll_lookup_write(c, &c->argv[1], OBJ_ZSET, &o)) return;
    if (o) range_ranks(o, &r, &first, &count);
    if (count) {
        zset_remove_ranks(o, first, count);
        zset_removed(c, &c->argv[1], o, event);
    }
    reply_integer(c, (long long)count);
}

void zremrangebyrank_command(client *c) {
    zremrange_generic(c, ZR_RANK, "zremrangebyrank");
}

void zremrangebyscore_command(client *c) {
    zremrange_generic(c, ZR_SCORE, "zremrangebyscore");
}

void zremrangebylex_command(client *c) {
    zremrange_generic(c, ZR_LEX, "zremrangebylex");
}

/* ---- Pops ---------------------------------------------------------------------------------- */

/* Redis's genericZpopCommand: pops up to count (-1: one, flat reply) members from the lowest or
 * (max) highest end of the first non-empty key among keys[0..nkeys). emitkey: the reply starts
 * with the key (BZPOP*, ZMPOP); nested: members and scores as pairs; nil_when_empty: a null
 * array rather than an empty one when no key exists. */
static void zpop_generic(client *c, const karg *keys, long long nkeys, int max, int emitkey, long long count, int nested,
                         int nil_when_empty) {
    kobj *o = NULL;
    const karg *key = NULL;
    for (long long i = 0; i < nkeys && !o; i++) {
        key = &keys[i];
        if (!coll_lookup_write(c, key, OBJ_ZSET, &o)) return;
    }
    if (!o) {
        if (nil_when_empty)
            reply_null_array(c);
        else
            reply_empty_array(c);
        return;
    }
    if (count == 0) {
        reply_empty_array(c);
        return;
    }
    size_t len = zset_length(o);
    size_t n = count < 0 ? 1 : ((unsigned long long)count > len ? len : (size_t)count);
    if (emitkey) {
        reply_array_len(c, nested ? 2 : 2 * (long long)n + 1);
        reply_bulk(c, key->ptr, key->len);
        if (nested) reply_array_len(c, (long long)n);
    } else {
        reply_array_len(c, nested ? (long long)n : 2 * (long long)n);
    }
    zsink s;
    sink_init(&s, c, 1, nested, NULL);
    zset_walk(o, max ? len - 1 : 0, n, max, sink_emit, &s);
    zset_remove_ranks(o, max ? len - n : 0, n);
    zset_removed(c, key, o, max ? "zpopmax" : "zpopmin");
    if (emitkey) {
        /* BZPOP*, ZMPOP, BZMPOP propagate as ZPOPMIN/ZPOPMAX with the count popped, as Redis. */
        char num[24];
        karg argv[3] = {max ? WSTREAM_ARG("ZPOPMAX") : WSTREAM_ARG("ZPOPMIN"), *key, {.ptr = num, .len = 0}};
        if (count >= 0) argv[2].len = (size_t)ll_to_str(num, sizeof(num), (long long)n);
        wstream_rewrite(count >= 0 ? 3 : 2, argv);
    }
}

static void zpop_command(client *c, int max) {
    long long count = -1;
    if (c->argc > 3) {
        reply_error(c, ERR_SYNTAX);
        return;
    }
    if (c->argc == 3 && !coll_get_positive_long_or_reply(c, &c->argv[2], &count, NULL)) return;
    zpop_generic(c, &c->argv[1], 1, max, 0, count, c->resp > 2 && count != -1, 0);
}

void zpopmin_command(client *c) {
    zpop_command(c, 0);
}

void zpopmax_command(client *c) {
    zpop_command(c, 1);
}

/* ZMPOP/BZMPOP arguments from argv[numkeys_idx]: numkeys, keys, MIN|MAX, [COUNT n]. */
static int zmpop_args(client *c, int numkeys_idx, long long *numkeys, int *max, long long *count) {
    if (!coll_get_range_long_or_reply(c, &c->argv[numkeys_idx], 1, LLONG_MAX, numkeys, "numkeys should be greater than 0"))
        return 0;
    *count = -1;
    long long where = *numkeys < c->argc ? numkeys_idx + *numkeys + 1 : c->argc;
    int ok = where < c->argc;
    if (ok) {
        const karg *w = &c->argv[where];
        *max = arg_is(w->ptr, w->len, "max");
        ok = *max || arg_is(w->ptr, w->len, "min");
    }
    for (long long j = where + 1; ok && j < c->argc; j++) {
        const karg *a = &c->argv[j];
        if (*count != -1 || !arg_is(a->ptr, a->len, "count") || j + 1 >= c->argc) {
            ok = 0;
            break;
        }
        if (!coll_get_range_long_or_reply(c, &c->argv[++j], 1, LLONG_MAX, count, "count should be greater than 0"))
            return 0;
    }
    if (!ok) reply_error(c, ERR_SYNTAX);
    if (*count == -1) *count = 1;
    return ok;
}

void zmpop_command(client *c) {
    long long numkeys, count;
    int max = 0;
    if (zmpop_args(c, 1, &numkeys, &max, &count)) zpop_generic(c, &c->argv[2], numkeys, max, 1, count, 1, 1);
}

/* BZPOPMIN/BZPOPMAX (count -1) and BZMPOP: pop from the first non-empty key, or block. In
 * serve mode (src/core/blocking.h) only the ready key is looked at, and a key that is not a
 * sorted set keeps the client blocked, as in Redis 7.0. */
static void bzpop_generic(client *c, const karg *keys, long long nkeys, int max, long long count, long long deadline) {
    const karg *ready = blocking_ready_key(c);
    const karg *look = ready ? ready : keys;
    long long nlook = ready ? 1 : nkeys;
    for (long long i = 0; i < nlook; i++) {
        kobj *o = db_lookup_write(c->db, look[i].ptr, look[i].len);
        if (o && o->type != OBJ_ZSET) {
            if (ready)
                block_for_keys(c, &look[i], 1, 0);
            else
                reply_error(c, ERR_WRONGTYPE);
            return;
        }
        if (o) {
            zpop_generic(c, &look[i], 1, max, 1, count, count != -1, 1);
            return;
        }
    }
    if (blocking_denied(c)) {
        reply_null_array(c);
        return;
    }
    block_for_keys(c, keys, (int)nkeys, deadline);
}

static void bzpop_command(client *c, int max) {
    long long deadline;
    if (!blocking_parse_timeout(c, &c->argv[c->argc - 1], &deadline)) return;
    bzpop_generic(c, &c->argv[1], c->argc - 2, max, -1, deadline);
}

void bzpopmin_command(client *c) {
    bzpop_command(c, 0);
}

void bzpopmax_command(client *c) {
    bzpop_command(c, 1);
}

void bzmpop_command(client *c) {
    long long numkeys, count, deadline;
    int max = 0;
    if (!zmpop_args(c, 2, &numkeys, &max, &count) || !blocking_parse_timeout(c, &c->argv[1], &deadline)) return;
    bzpop_generic(c, &c->argv[3], numkeys, max, count, deadline);
}

/* ---- ZRANDMEMBER --------------------------------------------------------------------------- */

/* A uniformly random member. */
static void zset_random(const kobj *o, zitem *it) {
    if (IS_BIG(o)) {
        zelem *e = tableRandom(ZS_BIG(o)->dict);
        it->m = zelemMember(e, &it->mlen);
        it->score = e->score;
        return;
    }
    zcur z;
    zcur_at(&z, o, (size_t)(rand64() % zset_length(o)));
    zcur_get(&z, it);
}

/* `count` distinct members in any order (count < length). */
static void zrandmember_distinct(zsink *s, const kobj *o, size_t count) {
    zitem it;
    if (IS_BIG(o)) {
        void **picked = kmalloc(sizeof(void *) * count);
        size_t got = tableSample(ZS_BIG(o)->dict, picked, count);
        for (size_t i = 0; i < got; i++) {
            it.m = zelemMember(picked[i], &it.mlen);
            it.score = ((zelem *)picked[i])->score;
            sink_emit(s, &it);
        }
        kfree(picked);
        return;
    }
    size_t len = zset_length(o);
    uint32_t *idx = kmalloc(sizeof(uint32_t) * count);
    coll_sample_indices(len, count, idx);
    coll_shuffle(idx, count);
    for (size_t i = 0; i < count; i++) zset_walk(o, idx[i], 1, 0, sink_emit, s);
    kfree(idx);
}

static void zrandmember_with_count(client *c, long long count, int withscores) {
    kobj *o;
    if (!coll_lookup_read(c, &c->argv[1], OBJ_ZSET, &o)) return;
    if (!o || count == 0) {
        reply_empty_array(c);
        return;
    }
    zsink s;
    sink_init(&s, c, withscores, withscores && c->resp > 2, NULL);
    size_t len = zset_length(o);
    if (count < 0 || count == 1) {  /* repetitions allowed */
        size_t n = count < 0 ? (size_t)-count : 1;
        zitem it;
        sink_begin(&s, n, 1);
        for (size_t i = 0; i < n; i++) {
            zset_random(o, &it);
            sink_emit(&s, &it);
        }
        return;
    }
    if ((size_t)count >= len) {     /* the whole set, highest first as Redis iterates it */
        sink_ranks(&s, o, 0, len, 1, 1, NULL);
        return;
    }
    sink_begin(&s, (size_t)count, 1);
    zrandmember_distinct(&s, o, (size_t)count);
}

void zrandmember_command(client *c) {
    if (c->argc >= 3) {
        long long count;
        if (!coll_get_range_long_or_reply(c, &c->argv[2], -LLONG_MAX, LLONG_MAX, &count, NULL)) return;
        int withscores = c->argc == 4;
        if (c->argc > 4 || (withscores && !arg_is(c->argv[3].ptr, c->argv[3].len, "withscores"))) {
            reply_error(c, ERR_SYNTAX);
            return;
        }
        if (withscores && (count < -LLONG_MAX / 2 || count > LLONG_MAX / 2)) {
            reply_error(c, "value is out of range");
            return;
        }
        zrandmember_with_count(c, count, withscores);
        return;
    }
    kobj *o;
    zitem it;
    if (!coll_lookup_read(c, &c->argv[1], OBJ_ZSET, &o)) return;
    if (!o) {
        reply_null(c);
        return;
    }
    zset_random(o, &it);
    reply_bulk(c, it.m, it.mlen);
}

/* ---- ZSCAN --------------------------------------------------------------------------------- */

static void scan_emit(client *c, collScanReply *r, const char *m, size_t mlen, double score) {
    char buf[64];
    int n = d_to_str(buf, sizeof(buf), score);
    coll_scan_emit(c, r, m, mlen, 1, buf, (size_t)n);
}

void zscan_command(client *c) {
    uint64_t cursor;
    kobj *o;
    collScanOpts opts;
    collScanReply r;
    if (!coll_scan_cursor_or_reply(c, &c->argv[2], &cursor)) return;
    if (!coll_lookup_read(c, &c->argv[1], OBJ_ZSET, &o)) return;
    if (!o) {
        coll_scan_reply_empty(c);
        return;
    }
    if (!coll_scan_opts_or_reply(c, 3, &opts)) return;
    if (IS_BIG(o)) {
        void **items;
        size_t n;
        cursor = coll_table_scan(ZS_BIG(o)->dict, cursor, &opts, &items, &n);
        coll_scan_begin(c, &r, &opts, cursor);
        for (size_t i = 0; i < n; i++) {
            size_t mlen;
            const char *m = zelemMember(items[i], &mlen);
            scan_emit(c, &r, m, mlen, ((zelem *)items[i])->score);
        }
        kfree(items);
    } else {    /* a listpack is returned whole, with cursor 0 */
        zcur z;
        zitem it;
        coll_scan_begin(c, &r, &opts, 0);
        for (zcur_at(&z, o, 0); zcur_valid(&z); zcur_step(&z, 0)) {
            zcur_get(&z, &it);
            scan_emit(c, &r, it.m, it.mlen, it.score);
        }
    }
    coll_scan_end(c, &r);
}

/* ---- ZUNION, ZINTER, ZDIFF and their STORE forms, ZINTERCARD ------------------------------- */

enum { ZOP_UNION, ZOP_INTER, ZOP_DIFF };
enum { AGG_SUM, AGG_MIN, AGG_MAX };

/* An input: a sorted set, or a set (every member scores 1) whose members are copied into a
 * table of zelem for lookups, or nothing (missing key). */
typedef struct zsrc {
    kobj *zset;
    table *members;
    size_t len;
    double weight;
} zsrc;

static void copy_set_member(void *privdata, const char *m, size_t len) {
    tableAdd(privdata, zelemNew(m, len, 1.0));
}

static void src_load_set(zsrc *s, const kobj *set) {
    s->members = tableCreate(&zelem_table_type);
    set_for_each(set, copy_set_member, s->members);
}

static int src_score(const zsrc *s, const char *m, size_t mlen, double *score) {
    if (s->zset) return zset_score(s->zset, m, mlen, score);
    if (!s->members) return 0;
    zelem *e = tableFind(s->members, m, mlen);
    if (e) *score = e->score;
    return e != NULL;
}

/* Calls fn for every member of s until it returns 0. */
typedef int src_fn(void *ctx, const zitem *it);

static void src_for_each(const zsrc *s, src_fn *fn, void *ctx) {
    zitem it;
    if (s->zset) {
        zcur z;
        for (zcur_at(&z, s->zset, 0); zcur_valid(&z); zcur_step(&z, 0)) {
            zcur_get(&z, &it);
            if (!fn(ctx, &it)) return;
        }
    } else if (s->members) {
        tableIter ti;
        tableIterInit(&ti, s->members, 0);
        for (zelem *e; (e = tableIterNext(&ti)) != NULL;) {
            it.m = zelemMember(e, &it.mlen);
            it.score = e->score;
            if (!fn(ctx, &it)) break;
        }
        tableIterRelease(&ti);
    }
}

/* Redis's zunionInterAggregate: a NaN sum (inf + -inf) is 0. */
static void aggregate(double *target, double val, int agg) {
    if (agg == AGG_SUM) {
        *target += val;
        if (isnan(*target)) *target = 0.0;
    } else if (agg == AGG_MIN) {
        *target = val < *target ? val : *target;
    } else {
        *target = val > *target ? val : *target;
    }
}

typedef struct zsetop {
    zsrc *src;
    int nsrc, op, agg, card_only;
    long long limit;            /* ZINTERCARD; 0 = none */
    long long card;
    int cur;                    /* the source being added (union) */
    table *out;                 /* the result: member -> zelem with the final score */
} zsetop;

static int union_add(void *ctx, const zitem *it) {
    zsetop *op = ctx;
    const zsrc *s = &op->src[op->cur];
    double score = s->weight * it->score;
    if (isnan(score)) score = 0;
    zelem *e = tableFind(op->out, it->m, it->mlen);
    if (e)
        aggregate(&e->score, score, op->agg);
    else
        tableAdd(op->out, zelemNew(it->m, it->mlen, score));
    return 1;
}

static int inter_add(void *ctx, const zitem *it) {
    zsetop *op = ctx;
    double score = op->src[0].weight * it->score, value;
    if (isnan(score)) score = 0;
    for (int j = 1; j < op->nsrc; j++) {
        if (!src_score(&op->src[j], it->m, it->mlen, &value)) return 1;
        aggregate(&score, value * op->src[j].weight, op->agg);
    }
    if (op->card_only) return !(++op->card >= op->limit && op->limit);
    tableAdd(op->out, zelemNew(it->m, it->mlen, score));
    return 1;
}

static int diff_add(void *ctx, const zitem *it) {
    zsetop *op = ctx;
    double ignored;
    for (int j = 1; j < op->nsrc; j++)
        if (src_score(&op->src[j], it->m, it->mlen, &ignored)) return 1;
    tableAdd(op->out, zelemNew(it->m, it->mlen, it->score));
    return 1;
}

static void zsetop_run(zsetop *op) {
    if (op->op == ZOP_UNION) {
        for (op->cur = 0; op->cur < op->nsrc; op->cur++) src_for_each(&op->src[op->cur], union_add, op);
    } else if (op->src[0].len > 0) {
        src_for_each(&op->src[0], op->op == ZOP_INTER ? inter_add : diff_add, op);
    }
}

static int cmp_elem_order(const void *a, const void *b) {
    const zelem *x = *(zelem *const *)a, *y = *(zelem *const *)b;
    size_t l1, l2;
    const char *m1 = zelemMember(x, &l1), *m2 = zelemMember(y, &l2);
    return zelemCompare(x->score, m1, l1, y->score, m2, l2);
}

/* The result's elements in (score, member) order, and the longest member's length. */
static zelem **sorted_result(table *t, size_t *maxlen) {
    size_t n = tableSize(t), i = 0;
    zelem **v = kmalloc(sizeof(zelem *) * (n ? n : 1));
    tableIter it;
    *maxlen = 0;
    tableIterInit(&it, t, 0);
    for (zelem *e; (e = tableIterNext(&it)) != NULL;) {
        size_t l;
        zelemMember(e, &l);
        if (l > *maxlen) *maxlen = l;
        v[i++] = e;
    }
    tableIterRelease(&it);
    qsort(v, n, sizeof(zelem *), cmp_elem_order);
    return v;
}

static void result_pair(void *ctx, size_t i, const char **m, size_t *mlen, double *score) {
    zelem *e = ((zelem **)ctx)[i];
    *m = zelemMember(e, mlen);
    *score = e->score;
}

/* The result as a sorted set object named dst, small when it fits (Redis's
 * zsetConvertToListpackIfNeeded). Takes the table and its elements over. */
static kobj *result_object(const karg *dst, table *t, zelem **v, size_t maxlen) {
    size_t n = tableSize(t);
    if (n <= (size_t)server.zset_max_listpack_entries && maxlen <= (size_t)server.zset_max_listpack_value) {
        unsigned char *zp = zpBuild(n, result_pair, v);
        tableRelease(t);
        return obj_new_ptr(dst->ptr, dst->len, OBJ_ZSET, ENC_LISTPACK, zp);
    }
    zsetBig *z = big_new(t);
    for (size_t i = 0; i < n; i++) zbtInsert(&z->tree, v[i]);
    return obj_new_ptr(dst->ptr, dst->len, OBJ_ZSET, ENC_SKIPLIST, z);
}

static void zsetop_reply(client *c, zsetop *op, const karg *dst, int withscores) {
    static const char *const events[] = {"zunionstore", "zinterstore", "zdiffstore"};
    if (op->card_only) {
        reply_integer(c, op->card);
        return;
    }
    size_t maxlen, n = tableSize(op->out);
    zelem **v = sorted_result(op->out, &maxlen);
    if (dst) {
        store_result(c, dst, n ? result_object(dst, op->out, v, maxlen) : NULL, events[op->op]);
        if (!n) tableRelease(op->out);
    } else {
        zsink s;
        zitem it;
        sink_init(&s, c, withscores, withscores && c->resp > 2, NULL);
        sink_begin(&s, n, 1);
        for (size_t i = 0; i < n; i++) {
            it.m = zelemMember(v[i], &it.mlen);
            it.score = v[i]->score;
            sink_emit(&s, &it);
        }
        tableRelease(op->out);
    }
    kfree(v);
}

/* Options after the keys; replies the error and returns 0. */
static int zsetop_options(client *c, int j, zsetop *op, const karg *dst, int *withscores) {
    while (j < c->argc) {
        const karg *a = &c->argv[j];
        int remaining = c->argc - j;
        int weighted = op->op != ZOP_DIFF && !op->card_only;
        if (weighted && remaining >= op->nsrc + 1 && arg_is(a->ptr, a->len, "weights")) {
            for (int i = 0; i < op->nsrc; i++)
                if (!score_arg(c, &c->argv[++j], &op->src[i].weight, "weight value is not a float")) return 0;
            j++;
        } else if (weighted && remaining >= 2 && arg_is(a->ptr, a->len, "aggregate")) {
            const karg *v = &c->argv[j + 1];
            if (arg_is(v->ptr, v->len, "sum"))
                op->agg = AGG_SUM;
            else if (arg_is(v->ptr, v->len, "min"))
                op->agg = AGG_MIN;
            else if (arg_is(v->ptr, v->len, "max"))
                op->agg = AGG_MAX;
            else
                break;
            j += 2;
        } else if (!dst && !op->card_only && arg_is(a->ptr, a->len, "withscores")) {
            *withscores = 1;
            j++;
        } else if (op->card_only && remaining >= 2 && arg_is(a->ptr, a->len, "limit")) {
            if (!coll_get_positive_long_or_reply(c, &c->argv[j + 1], &op->limit, "LIMIT can't be negative")) return 0;
            j += 2;
        } else {
            break;
        }
    }
    if (j < c->argc) reply_error(c, ERR_SYNTAX);
    return j >= c->argc;
}

/* Looks the keys up (sorted sets or sets); replies WRONGTYPE and returns 0. */
static int zsetop_lookup(client *c, int first, zsetop *op, int write) {
    for (int i = 0; i < op->nsrc; i++) {
        const karg *k = &c->argv[first + i];
        kobj *o = write ? db_lookup_write(c->db, k->ptr, k->len) : db_lookup_read(c->db, k->ptr, k->len);
        if (o && o->type != OBJ_ZSET && o->type != OBJ_SET) {
            reply_error(c, ERR_WRONGTYPE);
            return 0;
        }
        op->src[i] = (zsrc){.zset = o && o->type == OBJ_ZSET ? o : NULL, .members = NULL, .len = 0, .weight = 1.0};
        if (o) op->src[i].len = o->type == OBJ_ZSET ? zset_length(o) : set_size(o);
        if (o && o->type == OBJ_SET) src_load_set(&op->src[i], o);
    }
    return 1;
}

/* Smallest input first (stable), which the intersection iterates. */
static void sort_by_length(zsrc *src, int n) {
    for (int i = 1; i < n; i++) {
        zsrc s = src[i];
        int j = i;
        for (; j > 0 && src[j - 1].len > s.len; j--) src[j] = src[j - 1];
        src[j] = s;
    }
}

/* Redis's zunionInterDiffGenericCommand: numkeys at argv[numkeys_idx], dst for the STORE forms. */
static void zsetop_generic(client *c, const karg *dst, int numkeys_idx, int opcode, int card_only) {
    long long setnum;
    if (!arg_ll_or_reply(c, &c->argv[numkeys_idx], &setnum, NULL)) return;
    if (setnum < 1) {
        reply_errorf(c, "at least 1 input key is needed for '%s' command", c->cmd->fullname);
        return;
    }
    if (setnum > c->argc - numkeys_idx - 1) {
        reply_error(c, ERR_SYNTAX);
        return;
    }
    zsetop op = {.nsrc = (int)setnum, .op = opcode, .agg = AGG_SUM, .card_only = card_only};
    op.src = kcalloc(sizeof(zsrc) * (size_t)setnum);
    int withscores = 0;
    if (zsetop_lookup(c, numkeys_idx + 1, &op, dst != NULL) &&
        zsetop_options(c, numkeys_idx + 1 + op.nsrc, &op, dst, &withscores)) {
        if (opcode != ZOP_DIFF) sort_by_length(op.src, op.nsrc);
        op.out = tableCreate(&zelem_table_type);
        zsetop_run(&op);
        if (card_only) tableRelease(op.out);
        zsetop_reply(c, &op, dst, withscores);
    }
    for (int i = 0; i < op.nsrc; i++)
        if (op.src[i].members) tableRelease(op.src[i].members);
    kfree(op.src);
}

void zunion_command(client *c) {
    zsetop_generic(c, NULL, 1, ZOP_UNION, 0);
}

void zinter_command(client *c) {
    zsetop_generic(c, NULL, 1, ZOP_INTER, 0);
}

void zdiff_command(client *c) {
    zsetop_generic(c, NULL, 1, ZOP_DIFF, 0);
}

void zunionstore_command(client *c) {
    zsetop_generic(c, &c->argv[1], 2, ZOP_UNION, 0);
}

void zinterstore_command(client *c) {
    zsetop_generic(c, &c->argv[1], 2, ZOP_INTER, 0);
}

void zdiffstore_command(client *c) {
    zsetop_generic(c, &c->argv[1], 2, ZOP_DIFF, 0);
}

void zintercard_command(client *c) {
    zsetop_generic(c, NULL, 1, ZOP_INTER, 1);
}
