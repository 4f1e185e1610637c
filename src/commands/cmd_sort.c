/* cmd_sort.c - SORT and SORT_RO.
 *
 * SORT key [BY pattern] [LIMIT offset count] [GET pattern ...] [ASC|DESC] [ALPHA] [STORE dst]
 * with redis-server 7.0.15's parsing, errors, ordering rules and quirks:
 *  - options are parsed (and rejected) before the key is looked up; a missing key sorts as an
 *    empty list, a string key is WRONGTYPE;
 *  - a BY pattern without '*' means "don't sort" (the native order, DESC reversing it for lists
 *    and sorted sets), except for a set being STOREd or sorted from a script, which is sorted
 *    with ALPHA so replicas and scripts see a deterministic order;
 *  - numeric sort parses each key with strtod (error "One or more scores can't be converted
 *    into double"), ties broken by comparing the elements' bytes; ALPHA compares bytes up to the
 *    first NUL (strcoll in the C locale), or exactly when storing, as Redis does;
 *  - BY/GET patterns: '#' is the element, the first '*' is replaced by the element, and
 *    "->field" after it reads a hash field.
 *
 * The core works on a sortVec of copied element strings: it is generic over where elements
 * come from. sort_source_length()/sort_load_elements() (the input) and sort_new_list() (STORE)
 * are the only places that know the aggregate types. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "commands/commands.h"
#include "commands/sort.h"
#include "core/notify.h"
#include "keyspace/db.h"
#include "protocol/reply.h"
#include "types/t_hash.h"
#include "types/t_list.h"
#include "types/t_set.h"
#include "types/t_zset.h"
#include "util/kstr.h"
#include "util/mem.h"
#include "util/util.h"

#define ERR_SCORE "One or more scores can't be converted into double"

/* ---------------------------------------------------------------- the element vector */

/* One element. Strings live in the vector's arena, each followed by a NUL; offsets are turned
 * into pointers (sort_vec_resolve) only once the arena stops growing. */
typedef struct sortItem {
    size_t off, len;            /* the element */
    size_t cmp_off, cmp_len;    /* ALPHA with BY: the BY value, if has_cmp */
    int has_cmp;
    double score;               /* numeric sort: the parsed BY value (0 when missing) */
    const char *ptr, *cmp;      /* resolved offsets */
} sortItem;

struct sortVec {
    sortItem *items;
    size_t n, cap;
    kstr *arena;
};

static void sort_vec_init(sortVec *v) {
    v->items = NULL;
    v->n = v->cap = 0;
    v->arena = kstr_empty(256);
}

static void sort_vec_free(sortVec *v) {
    kfree(v->items);
    kstr_free(v->arena);
}

static size_t arena_add(sortVec *v, const char *p, size_t len) {
    size_t off = v->arena->len;
    v->arena = kstr_cat(v->arena, p, len);
    v->arena = kstr_cat(v->arena, "", 1);   /* the NUL that ALPHA's C-string compare stops at */
    return off;
}

void sort_vec_push(sortVec *v, const char *p, size_t len) {
    if (v->n == v->cap) {
        v->cap = v->cap ? v->cap * 2 : 16;
        v->items = krealloc(v->items, sizeof(sortItem) * v->cap);
    }
    sortItem *it = &v->items[v->n++];
    memset(it, 0, sizeof(*it));
    it->off = arena_add(v, p, len);
    it->len = len;
}

void sort_vec_push_ll(sortVec *v, long long value) {
    char buf[24];
    sort_vec_push(v, buf, (size_t)ll_to_str(buf, sizeof(buf), value));
}

static const char *item_bytes(const sortVec *v, const sortItem *it) {
    return v->arena->buf + it->off;
}

static void sort_vec_resolve(sortVec *v) {
    for (size_t i = 0; i < v->n; i++) {
        sortItem *it = &v->items[i];
        it->ptr = v->arena->buf + it->off;
        it->cmp = it->has_cmp ? v->arena->buf + it->cmp_off : NULL;
    }
}

/* ---------------------------------------------------------------- the aggregate types' side */

/* Number of elements of o, a list, set or sorted set. */
static long long sort_source_length(const kobj *o) {
    switch (o->type) {
    case OBJ_SET: return (long long)set_size(o);
    case OBJ_LIST: return (long long)list_length(o);
    case OBJ_ZSET: return (long long)zset_length(o);
    default: return 0;
    }
}

static void push_member(void *privdata, const char *member, size_t len) {
    sort_vec_push(privdata, member, len);
}

/* Appends to v `count` elements of o from position `start` of its native order (list order,
 * ascending score for a sorted set, iteration order for a set), or with `reverse` from
 * position len-1-start walking backwards. SORT asks for ranges only of lists and sorted sets
 * (BY nosort); sets are always loaded whole (start 0, count = length, reverse 0). */
static void sort_load_elements(const kobj *o, sortVec *v, long long start, long long count, int reverse) {
    if (o->type == OBJ_SET)
        set_for_each(o, push_member, v);
    else if (o->type == OBJ_LIST)
        list_for_range(o, (long)start, (long)count, reverse, push_member, v);
    else if (o->type == OBJ_ZSET)
        zset_for_range(o, (size_t)start, (size_t)count, reverse, push_member, v);
}

/* A new list named `key` holding out's elements in order (SORT ... STORE). */
static kobj *sort_new_list(const karg *key, const sortVec *out) {
    kobj *list = list_new_object(key->ptr, key->len);
    for (size_t i = 0; i < out->n; i++)
        list_append(list, item_bytes(out, &out->items[i]), out->items[i].len);
    return list;
}

static int sortable_type(int type) {
    return type == OBJ_LIST || type == OBJ_SET || type == OBJ_ZSET;
}

/* ---------------------------------------------------------------- options */

typedef struct sortOptions {
    int desc, alpha, dontsort;
    long long limit_start, limit_count;     /* count < 0: to the end */
    const karg *by;                         /* NULL: the elements themselves */
    const karg *store;                      /* NULL: reply to the client */
    const karg **gets;                      /* GET patterns, in order */
    int ngets;
    kstr *keybuf;                           /* scratch for substituted key names */
} sortOptions;

static int parse_sort_options(client *c, int readonly, sortOptions *so) {
    /* core/acl.c: BY and GET read keys no key spec names, so they need access to every key. */
    int all_keys = acl_may_read_all_keys(c->user, c->cmd, c->argc, c->argv);
    for (int j = 2; j < c->argc; j++) {
        const karg *a = &c->argv[j];
        int left = c->argc - j - 1;
        if (arg_is(a->ptr, a->len, "asc")) {
            so->desc = 0;
        } else if (arg_is(a->ptr, a->len, "desc")) {
            so->desc = 1;
        } else if (arg_is(a->ptr, a->len, "alpha")) {
            so->alpha = 1;
        } else if (arg_is(a->ptr, a->len, "limit") && left >= 2) {
            if (!arg_ll_or_reply(c, &c->argv[j + 1], &so->limit_start, NULL)) return 0;
            if (!arg_ll_or_reply(c, &c->argv[j + 2], &so->limit_count, NULL)) return 0;
            j += 2;
        } else if (!readonly && arg_is(a->ptr, a->len, "store") && left >= 1) {
            so->store = &c->argv[++j];
        } else if (arg_is(a->ptr, a->len, "by") && left >= 1) {
            so->by = &c->argv[++j];
            /* Redis never clears this again: a later BY with '*' doesn't bring sorting back. */
            if (!strchr(so->by->ptr, '*')) {
                so->dontsort = 1;
            } else if (!all_keys) {
                reply_error(c, "BY option of SORT denied due to insufficient ACL permissions.");
                return 0;
            }
        } else if (arg_is(a->ptr, a->len, "get") && left >= 1) {
            if (!all_keys) {
                reply_error(c, "GET option of SORT denied due to insufficient ACL permissions.");
                return 0;
            }
            so->gets[so->ngets++] = &c->argv[++j];
        } else {
            reply_error(c, ERR_SYNTAX);
            return 0;
        }
    }
    return 1;
}

/* ---------------------------------------------------------------- BY / GET patterns */

/* The value pattern `pat` names for element el (lookupKeyByPattern) in *val and *vlen, valid until
 * the next keyspace lookup; numbuf (24 bytes) may hold it. 0 if there is none. Like Redis, the
 * pattern is searched as a C string ('#', '*' and "->" before any NUL byte count). */
static int sort_lookup(client *c, sortOptions *so, const karg *pat, const char *el, size_t ellen,
                       const char **val, size_t *vlen, char *numbuf) {
    if (pat->ptr[0] == '#' && pat->ptr[1] == '\0') {
        *val = el;
        *vlen = ellen;
        return 1;
    }
    const char *star = strchr(pat->ptr, '*');
    if (!star) return 0;
    const char *arrow = strstr(star + 1, "->");
    const char *field = arrow && arrow[2] != '\0' ? arrow + 2 : NULL;
    size_t flen = field ? pat->len - (size_t)(field - pat->ptr) : 0;
    size_t prefix = (size_t)(star - pat->ptr);
    size_t postfix = pat->len - prefix - 1 - (field ? flen + 2 : 0);
    kstr *k = so->keybuf;
    kstr_range_keep(k, 0, 0);
    k = kstr_cat(k, pat->ptr, prefix);
    k = kstr_cat(k, el, ellen);
    k = kstr_cat(k, star + 1, postfix);
    so->keybuf = k;
    kobj *o = db_lookup_read(c->db, k->buf, k->len);
    if (!o) return 0;
    if (field) return o->type == OBJ_HASH && hash_get_value(o, field, flen, val, vlen, numbuf);
    if (o->type != OBJ_STRING) return 0;
    *val = obj_str(o, vlen, numbuf);
    return 1;
}

/* ---------------------------------------------------------------- sorting */

/* Redis parses scores with strtod on NUL-terminated strings: whatever follows a NUL byte is
 * ignored, leading spaces are skipped, and overflow, underflow or NaN are errors. */
static int parse_score(const char *p, size_t len, double *out) {
    size_t n = strnlen(p, len);
    char small[128];
    char *buf = n < sizeof(small) ? small : kmalloc(n + 1);
    memcpy(buf, p, n);
    buf[n] = '\0';
    char *end;
    errno = 0;
    double d = strtod(buf, &end);
    int ok = *end == '\0' && errno != ERANGE && !isnan(d);
    if (buf != small) kfree(buf);
    *out = d;
    return ok;
}

/* Fills each element's sort key: its BY value (or itself) as a score, or as a string for
 * ALPHA with BY. Returns 0 if some score is not a number. */
static int sort_compute_keys(client *c, sortOptions *so, sortVec *v) {
    int ok = 1;
    char numbuf[24];
    for (size_t i = 0; i < v->n; i++) {
        sortItem *it = &v->items[i];
        const char *by = item_bytes(v, it);
        size_t blen = it->len;
        if (so->by && !sort_lookup(c, so, so->by, by, blen, &by, &blen, numbuf)) continue;
        if (!so->alpha) {
            if (!parse_score(by, blen, &it->score)) ok = 0;
        } else if (so->by) {
            /* `by` points into the keyspace, never into the arena that grows here. */
            it->cmp_off = arena_add(v, by, blen);
            it->cmp_len = blen;
            it->has_cmp = 1;
        }
    }
    return ok;
}

typedef struct sortCmpMode {
    int desc, alpha, by, exact;   /* exact: binary compare of ALPHA strings (STORE) */
} sortCmpMode;

static int bytes_cmp(const char *a, size_t alen, const char *b, size_t blen) {
    int cmp = memcmp(a, b, alen < blen ? alen : blen);
    if (cmp) return cmp;
    return alen < blen ? -1 : alen > blen;
}

static int alpha_cmp(const char *a, size_t alen, const char *b, size_t blen, int exact) {
    return exact ? bytes_cmp(a, alen, b, blen) : strcmp(a, b);
}

static int sort_cmp(const void *pa, const void *pb, void *arg) {
    const sortItem *a = pa, *b = pb;
    const sortCmpMode *m = arg;
    int cmp;
    if (!m->alpha) {
        if (a->score != b->score)
            cmp = a->score > b->score ? 1 : -1;
        else   /* deterministic ties */
            cmp = bytes_cmp(a->ptr, a->len, b->ptr, b->len);
    } else if (m->by) {
        if (!a->cmp || !b->cmp)   /* a missing BY value sorts first */
            cmp = a->cmp == b->cmp ? 0 : (a->cmp ? 1 : -1);
        else
            cmp = alpha_cmp(a->cmp, a->cmp_len, b->cmp, b->cmp_len, m->exact);
    } else {
        cmp = alpha_cmp(a->ptr, a->len, b->ptr, b->len, m->exact);
    }
    return m->desc ? -cmp : cmp;
}

/* The output range [*start, *end] of `len` elements after LIMIT (Redis's clamping, without its
 * overflow on huge counts). *end < *start means nothing. */
static void sort_range(const sortOptions *so, long long len, long long *start, long long *end) {
    *start = so->limit_start < 0 ? 0 : so->limit_start;
    if (*start >= len) {
        *start = len - 1;
        *end = len - 2;
        return;
    }
    if (so->limit_count < 0 || so->limit_count > len - *start)
        *end = len - 1;
    else
        *end = *start + so->limit_count - 1;
}

/* Loads the elements of o (NULL: missing key) into v and sets the range of v to output. */
static void sort_load(const kobj *o, int type, const sortOptions *so, sortVec *v, long long *start,
                      long long *end) {
    long long len = o ? sort_source_length(o) : 0;
    sort_range(so, len, start, end);
    if (so->dontsort && (type == OBJ_LIST || type == OBJ_ZSET)) {
        /* Already in order: load only the output range, in output order. */
        if (o && *end >= *start) sort_load_elements(o, v, *start, *end - *start + 1, so->desc);
        *start = 0;
        *end = (long long)v->n - 1;
    } else if (o) {
        sort_load_elements(o, v, 0, len, 0);
    }
}

/* ---------------------------------------------------------------- output */

static void sort_reply(client *c, sortOptions *so, const sortVec *v, long long start, long long end) {
    long long n = end - start + 1;
    char numbuf[24];
    reply_array_len(c, so->ngets ? so->ngets * n : n);
    for (long long j = start; j <= end; j++) {
        const sortItem *it = &v->items[j];
        if (!so->ngets) reply_bulk(c, it->ptr, it->len);
        for (int g = 0; g < so->ngets; g++) {
            const char *val;
            size_t vlen;
            if (sort_lookup(c, so, so->gets[g], it->ptr, it->len, &val, &vlen, numbuf))
                reply_bulk(c, val, vlen);
            else
                reply_null(c);
        }
    }
}

/* Writes STORE's result: a list under dst, or no key at all when the result is empty. */
static void sort_store_result(client *c, const karg *dst, const sortVec *out) {
    if (out->n == 0) {
        if (db_delete(c->db, dst->ptr, dst->len)) {
            signal_modified_key(c, c->db, dst->ptr, dst->len);
            notify_keyspace_event(NOTIFY_GENERIC, "del", dst->ptr, dst->len, c->db->id);
        }
        reply_integer(c, 0);
        return;
    }
    kobj *list = sort_new_list(dst, out);
    db_set(c->db, list, 0);
    signal_modified_key(c, c->db, dst->ptr, dst->len);
    notify_keyspace_event(NOTIFY_LIST, "sortstore", dst->ptr, dst->len, c->db->id);
    server.dirty += (long long)out->n;
    reply_integer(c, (long long)out->n);
}

/* STORE: the output (GET values, "" when missing) becomes a list; an empty result deletes dst. */
static void sort_store(client *c, sortOptions *so, const sortVec *v, long long start, long long end) {
    sortVec out;
    sort_vec_init(&out);
    char numbuf[24];
    for (long long j = start; j <= end; j++) {
        const sortItem *it = &v->items[j];
        if (!so->ngets) sort_vec_push(&out, it->ptr, it->len);
        for (int g = 0; g < so->ngets; g++) {
            const char *val = "";
            size_t vlen = 0;
            sort_lookup(c, so, so->gets[g], it->ptr, it->len, &val, &vlen, numbuf);
            sort_vec_push(&out, val, vlen);
        }
    }
    sort_store_result(c, so->store, &out);
    sort_vec_free(&out);
}

/* ---------------------------------------------------------------- the commands */

/* Sorts (unless BY nosort) and answers, once the options are parsed and the key is known. */
static void sort_run(client *c, sortOptions *so, const kobj *o) {
    int type = o ? (int)o->type : OBJ_LIST;   /* a missing key is an empty list */
    /* CLIENT_FAKE marks the scripting client: scripts need a deterministic set order. */
    if (so->dontsort && type == OBJ_SET && (so->store || (c->flags & CLIENT_FAKE))) {
        so->dontsort = 0;
        so->alpha = 1;
        so->by = NULL;
    }
    sortVec v;
    sort_vec_init(&v);
    long long start, end;
    sort_load(o, type, so, &v, &start, &end);
    int ok = so->dontsort || sort_compute_keys(c, so, &v);
    sort_vec_resolve(&v);
    if (!ok) {
        reply_error(c, ERR_SCORE);
    } else {
        if (!so->dontsort && v.n > 1) {
            sortCmpMode m = {so->desc, so->alpha, so->by != NULL, so->store != NULL};
            qsort_r(v.items, v.n, sizeof(sortItem), sort_cmp, &m);
        }
        if (so->store)
            sort_store(c, so, &v, start, end);
        else
            sort_reply(c, so, &v, start, end);
    }
    sort_vec_free(&v);
}

static void sort_generic(client *c, int readonly) {
    sortOptions so;
    memset(&so, 0, sizeof(so));
    so.limit_count = -1;
    so.gets = kmalloc(sizeof(karg *) * (size_t)c->argc);
    so.keybuf = kstr_empty(64);
    if (parse_sort_options(c, readonly, &so)) {
        kobj *o = db_lookup_read(c->db, c->argv[1].ptr, c->argv[1].len);
        if (o && !sortable_type(o->type)) {
            reply_error(c, ERR_WRONGTYPE);
        } else {
            if (o && o->type == OBJ_ZSET) {
                db_will_change(c->db, o);   /* a read lookup: announce the conversion */
                zset_convert_for_sort(o);   /* as Redis 7.0 does */
            }
            sort_run(c, &so, o);
        }
    }
    kfree(so.gets);
    kstr_free(so.keybuf);
}

void sort_command(client *c) {
    sort_generic(c, 0);
}

void sort_ro_command(client *c) {
    sort_generic(c, 1);
}

int sort_get_keys(int argc, const karg *argv, int *pos, int *flags, int max) {
    int n = 0, store = 0;
    if (argc < 2) return 0;
    if (n < max) {
        pos[n] = 1;
        if (flags) flags[n] = KS_RO | KS_ACCESS;
    }
    n++;
    /* Like Redis: skip LIMIT's and GET's/BY's arguments; an unknown word is a flag. The STORE
     * destination is not skipped, so a key named "limit" after STORE shifts the scan. */
    for (int i = 2; i < argc; i++) {
        const karg *a = &argv[i];
        if (arg_is(a->ptr, a->len, "limit"))
            i += 2;
        else if (arg_is(a->ptr, a->len, "get") || arg_is(a->ptr, a->len, "by"))
            i += 1;
        else if (arg_is(a->ptr, a->len, "store") && i + 1 < argc)
            store = i + 1;
    }
    if (!store) return n;
    if (n < max) {
        pos[n] = store;
        if (flags) flags[n] = KS_OW | KS_UPDATE;
    }
    return n + 1;
}

int sort_ro_get_keys(int argc, const karg *argv, int *pos, int *flags, int max) {
    return sort_get_keys(argc < 2 ? argc : 2, argv, pos, flags, max);
}
