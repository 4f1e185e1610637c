/* t_geo.c - the geo commands: GEOADD, GEOPOS, GEODIST, GEOHASH, GEOSEARCH, GEOSEARCHSTORE,
 * GEORADIUS, GEORADIUSBYMEMBER and their _RO forms.
 *
 * A geo index is a plain sorted set whose scores are 52-bit geohashes (geohash.h), so every Z*
 * command works on it. GEOADD is ZADD with the scores computed from the coordinates, as in
 * Redis (same replies, errors and "zadd" events). A search scans the score ranges of at most 9
 * boxes in Redis's order, keeps the points inside the shape, then sorts them by distance when
 * asked (or when COUNT is given without ANY), so members, order and printed numbers are those
 * of redis-server. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands/commands.h"
#include "core/notify.h"
#include "keyspace/db.h"
#include "persist/wstream.h"
#include "protocol/reply.h"
#include "types/collection.h"
#include "types/geohash.h"
#include "types/t_zset.h"
#include "util/kstr.h"
#include "util/mem.h"
#include "util/util.h"

/* ---- Arguments ------------------------------------------------------------------------------ */

static int double_or_reply(client *c, const karg *a, double *out, const char *err) {
    if (str_to_d(a->ptr, a->len, out)) return 1;
    reply_error(c, err ? err : ERR_NOT_FLOAT);
    return 0;
}

/* Longitude and latitude from a[0], a[1], within the indexable limits. */
static int lonlat_or_reply(client *c, const karg *a, double *xy) {
    if (!double_or_reply(c, &a[0], &xy[0], NULL) || !double_or_reply(c, &a[1], &xy[1], NULL)) return 0;
    if (xy[0] < GEO_LONG_MIN || xy[0] > GEO_LONG_MAX || xy[1] < GEO_LAT_MIN || xy[1] > GEO_LAT_MAX) {
        reply_errorf(c, "-ERR invalid longitude,latitude pair %f,%f", xy[0], xy[1]);
        return 0;
    }
    return 1;
}

/* Metres per unit, or -1 after replying. */
static double unit_or_reply(client *c, const karg *a) {
    static const struct {
        const char *name;
        double meters;
    } units[] = {{"m", 1}, {"km", 1000}, {"ft", 0.3048}, {"mi", 1609.34}};
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
        if (arg_is(a->ptr, a->len, units[i].name)) return units[i].meters;
    reply_error(c, "unsupported unit provided. please use M, KM, FT, MI");
    return -1;
}

/* "radius unit" at a[0], a[1]. */
static int radius_or_reply(client *c, const karg *a, geoShape *s) {
    if (!double_or_reply(c, &a[0], &s->radius, "need numeric radius")) return 0;
    if (s->radius < 0) {
        reply_error(c, "radius cannot be negative");
        return 0;
    }
    s->type = GEO_CIRCLE;
    return (s->unit = unit_or_reply(c, &a[1])) >= 0;
}

/* "width height unit" at a[0..2]. */
static int box_or_reply(client *c, const karg *a, geoShape *s) {
    if (!double_or_reply(c, &a[0], &s->width, "need numeric width") ||
        !double_or_reply(c, &a[1], &s->height, "need numeric height"))
        return 0;
    if (s->width < 0 || s->height < 0) {
        reply_error(c, "height or width cannot be negative");
        return 0;
    }
    s->type = GEO_BOX;
    return (s->unit = unit_or_reply(c, &a[2])) >= 0;
}

/* The position of member m of o (NULL: a missing key): 1 if it is there. */
static int member_xy(const kobj *o, const karg *m, double *xy) {
    double score;
    return o && zset_member_score(o, m->ptr, m->len, &score) && geohash_decode_score(score, xy);
}

/* The position of a member of the index (replies and returns 0 when it is not there). */
static int member_pos_or_reply(client *c, const kobj *o, const karg *m, double *xy) {
    if (member_xy(o, m, xy)) return 1;
    reply_error(c, "could not decode requested zset member");
    return 0;
}

/* ---- Replies -------------------------------------------------------------------------------- */

/* A distance with 4 decimals, rounded half to even as llrint does (Redis's fixedpoint_d2string). */
static void reply_distance(client *c, double d) {
    long long v = llrint(d * 10000.0);
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    char buf[48];
    int n = snprintf(buf, sizeof(buf), "%s%llu.%04llu", v < 0 ? "-" : "", u / 10000, u % 10000);
    reply_bulk(c, buf, (size_t)n);
}

/* A coordinate in human form (%.17Lf without trailing zeros): a bulk string in RESP2, a double
 * in RESP3, as Redis's addReplyHumanLongDouble. */
static void reply_coord(client *c, double d) {
    if (c->resp < 3) {
        reply_long_double(c, d);
        return;
    }
    char buf[5200];
    int n = ld_to_str(buf, sizeof(buf), d);
    reply_raw(c, ",", 1);
    reply_raw(c, buf, (size_t)n);
    reply_raw(c, "\r\n", 2);
}

/* ---- GEOADD, GEOPOS, GEODIST, GEOHASH ------------------------------------------------------- */

void geoadd_command(client *c) {
    int first = 2, nx = 0, xx = 0;
    for (; first < c->argc; first++) {
        const karg *a = &c->argv[first];
        if (arg_is(a->ptr, a->len, "nx")) nx = 1;
        else if (arg_is(a->ptr, a->len, "xx")) xx = 1;
        else if (!arg_is(a->ptr, a->len, "ch")) break;
    }
    if ((c->argc - first) % 3 || (nx && xx)) {
        reply_error(c, ERR_SYNTAX);
        return;
    }
    /* ZADD key [options] score member ...: the arguments and the score texts in one block. */
    int n = (c->argc - first) / 3, argc = first + 2 * n;
    karg *argv = kmalloc(sizeof(karg) * (size_t)argc + (size_t)n * 24);
    char *text = (char *)(argv + argc);
    argv[0] = (karg){"zadd", 4};
    memcpy(argv + 1, c->argv + 1, sizeof(karg) * (size_t)(first - 1));
    for (int i = 0; i < n; i++) {
        double xy[2];
        geoHash h;
        if (!lonlat_or_reply(c, &c->argv[first + 3 * i], xy)) {
            kfree(argv);
            return;
        }
        geohash_encode_wgs84(xy[0], xy[1], GEO_STEP_MAX, &h);
        char *score = text + 24 * i;
        argv[first + 2 * i] = (karg){score, (size_t)ll_to_str(score, 24, (long long)geohash_align52(h))};
        argv[first + 2 * i + 1] = c->argv[first + 3 * i + 2];
    }
    karg *saved = c->argv;
    int saved_argc = c->argc;
    c->argv = argv;
    c->argc = argc;
    zadd_command(c);
    wstream_rewrite(argc, argv);   /* propagates as the ZADD it ran, as Redis */
    c->argv = saved;
    c->argc = saved_argc;
    kfree(argv);
}

void geopos_command(client *c) {
    kobj *o;
    if (!coll_lookup_read(c, &c->argv[1], OBJ_ZSET, &o)) return;
    reply_array_len(c, c->argc - 2);
    for (int j = 2; j < c->argc; j++) {
        double xy[2];
        if (!member_xy(o, &c->argv[j], xy)) {
            reply_null_array(c);
            continue;
        }
        reply_array_len(c, 2);
        reply_coord(c, xy[0]);
        reply_coord(c, xy[1]);
    }
}

void geodist_command(client *c) {
    double unit = 1;
    if (c->argc == 5 && (unit = unit_or_reply(c, &c->argv[4])) < 0) return;
    if (c->argc > 5) {
        reply_error(c, ERR_SYNTAX);
        return;
    }
    kobj *o;
    if (!coll_lookup_read(c, &c->argv[1], OBJ_ZSET, &o)) return;
    double a[2], b[2];
    if (!member_xy(o, &c->argv[2], a) || !member_xy(o, &c->argv[3], b)) {
        reply_null(c);
        return;
    }
    reply_distance(c, geo_distance(a[0], a[1], b[0], b[1]) / unit);
}

void geohash_command(client *c) {
    static const char alphabet[] = "0123456789bcdefghjkmnpqrstuvwxyz";
    static const geoRange lon_r = {-180, 180}, lat_r = {-90, 90};
    kobj *o;
    if (!coll_lookup_read(c, &c->argv[1], OBJ_ZSET, &o)) return;
    reply_array_len(c, c->argc - 2);
    for (int j = 2; j < c->argc; j++) {
        double xy[2];
        if (!member_xy(o, &c->argv[j], xy)) {
            reply_null(c);
            continue;
        }
        /* The standard geohash uses latitudes -90..90: re-encode. 52 bits give 10 characters
         * and 2 bits; the 11th character is '0' as in Redis. */
        geoHash h;
        geohash_encode(&lon_r, &lat_r, xy[0], xy[1], GEO_STEP_MAX, &h);
        char buf[11];
        for (int i = 0; i < 10; i++) buf[i] = alphabet[(h.bits >> (52 - (i + 1) * 5)) & 0x1f];
        buf[10] = '0';
        reply_bulk(c, buf, sizeof(buf));
    }
}

/* ---- Searches ------------------------------------------------------------------------------- */

enum { SORT_NONE, SORT_ASC, SORT_DESC };
#define SEARCH_COORDS (1 << 0)      /* GEORADIUS: centre and radius as arguments */
#define SEARCH_MEMBER (1 << 1)      /* GEORADIUSBYMEMBER */
#define SEARCH_NOSTORE (1 << 2)     /* the _RO forms */
#define SEARCH_GEOSEARCH (1 << 3)   /* GEOSEARCH options */
#define SEARCH_STORE (1 << 4)       /* GEOSEARCHSTORE */

typedef struct geoPoint {
    double xy[2], dist, score;
    kstr *member;
} geoPoint;

typedef struct geoSearch {
    const geoShape *shape;
    geoPoint *v;
    size_t len, cap;
    size_t limit;           /* ANY COUNT: stop at this many; 0 = all */
    geoPoint next;          /* in_shape's point, which collect_point adds */
} geoSearch;

static int full(const geoSearch *g) {
    return g->len && g->limit && g->len >= g->limit;
}

/* The shape test needs only the score (the geohash): the member is read (a cache miss per
 * point in a big set) only for the points inside. */
static int in_shape(void *privdata, double score) {
    geoSearch *g = privdata;
    return geo_in_shape(g->shape, score, g->next.xy, &g->next.dist);
}

static int collect_point(void *privdata, const char *m, size_t mlen, double score) {
    geoSearch *g = privdata;
    geoPoint p = g->next;
    if (g->len == g->cap) {
        g->cap = g->cap ? 2 * g->cap : 8;
        g->v = krealloc(g->v, sizeof(geoPoint) * g->cap);
    }
    p.score = score;
    p.member = kstr_new(m, mlen);
    g->v[g->len++] = p;
    return !full(g);
}

/* The points of o inside the shape, box by box; a box equal to the last one scanned is skipped
 * (huge radii make neighbours coincide). Redis never compares a box with the centre box. */
static void search_points(const kobj *o, geoSearch *g) {
    geoHash boxes[9];
    geo_search_boxes(g->shape, boxes);
    int last = 0;
    for (int i = 0; i < 9; i++) {
        if (boxes[i].bits == 0 && boxes[i].step == 0) continue;
        if (last && boxes[i].bits == boxes[last].bits && boxes[i].step == boxes[last].step) continue;
        if (full(g)) break;
        geoHash next = boxes[i];
        next.bits++;
        zset_for_score_range(o, (double)geohash_align52(boxes[i]), (double)geohash_align52(next), in_shape,
                             collect_point, g);
        last = i;
    }
}

static int cmp_asc(const void *a, const void *b) {
    double x = ((const geoPoint *)a)->dist, y = ((const geoPoint *)b)->dist;
    return x > y ? 1 : x == y ? 0 : -1;
}

static int cmp_desc(const void *a, const void *b) {
    return -cmp_asc(a, b);
}

typedef int point_cmp(const void *a, const void *b);

static void swap_points(geoPoint *v, size_t i, size_t j) {
    geoPoint t = v[i];
    v[i] = v[j];
    v[j] = t;
}

static void swap_runs(geoPoint *v, size_t i, size_t j, size_t n) {
    for (size_t k = 0; k < n; k++) swap_points(v, i + k, j + k);
}

static size_t median3(const geoPoint *v, size_t a, size_t b, size_t c, point_cmp *cmp) {
    if (cmp(&v[a], &v[b]) < 0) return cmp(&v[b], &v[c]) < 0 ? b : cmp(&v[a], &v[c]) < 0 ? c : a;
    return cmp(&v[b], &v[c]) > 0 ? b : cmp(&v[a], &v[c]) < 0 ? a : c;
}

/* Sorts v[lo, lo + n) far enough that ranks keep_lo..keep_hi hold their final elements: the
 * Bentley-McIlroy quicksort (median of 3 or ninther, three-way partition) that only goes into
 * the parts overlapping the kept ranks. Redis sorts COUNT results this way, and its order of
 * points at equal distances is what the reply shows, so every comparison and swap is the same. */
static void partial_sort(geoPoint *v, size_t lo, size_t n, point_cmp *cmp, size_t keep_lo, size_t keep_hi) {
    for (;;) {
        if (n < 7) {
            for (size_t m = lo + 1; m < lo + n; m++)
                for (size_t l = m; l > lo && cmp(&v[l - 1], &v[l]) > 0; l--) swap_points(v, l, l - 1);
            return;
        }
        size_t pm = lo + n / 2;
        if (n > 7) {
            size_t pl = lo, pn = lo + n - 1;
            if (n > 40) {
                size_t d = n / 8;
                pl = median3(v, pl, pl + d, pl + 2 * d, cmp);
                pm = median3(v, pm - d, pm, pm + d, cmp);
                pn = median3(v, pn - 2 * d, pn - d, pn, cmp);
            }
            pm = median3(v, pl, pm, pn, cmp);
        }
        swap_points(v, lo, pm);
        size_t pa = lo + 1, pb = lo + 1, pc = lo + n - 1, pd = lo + n - 1;
        for (;;) {
            int r;
            for (; pb <= pc && (r = cmp(&v[pb], &v[lo])) <= 0; pb++)
                if (r == 0) swap_points(v, pa++, pb);
            for (; pb <= pc && (r = cmp(&v[pc], &v[lo])) >= 0; pc--)
                if (r == 0) swap_points(v, pc, pd--);
            if (pb > pc) break;
            swap_points(v, pb++, pc--);
        }
        size_t end = lo + n, r = pa - lo < pb - pa ? pa - lo : pb - pa;
        swap_runs(v, lo, pb - r, r);
        r = pd - pc < end - pd - 1 ? pd - pc : end - pd - 1;
        swap_runs(v, pb, end - r, r);
        /* The elements below and above the pivot's value; equal ones are in place. */
        if ((r = pb - pa) > 1 && !(keep_hi < lo || keep_lo > lo + r - 1))
            partial_sort(v, lo, r, cmp, keep_lo, keep_hi);
        if ((r = pd - pc) <= 1) return;
        lo = end - r;
        n = r;
        if (keep_hi < lo || keep_lo > lo + r - 1) return;
    }
}

typedef struct searchOpts {
    int withdist, withhash, withcoord, any, sort, storedist;
    int from_member, from_lonlat, by_radius, by_box;
    long long count;
    const karg *store;
} searchOpts;

/* The options after the fixed arguments, in Redis's georadiusGeneric order of checks. A
 * FROMMEMBER of a missing key is only noted (o is NULL): the reply is then the empty one. */
static int search_options(client *c, int first, int flags, const kobj *o, geoShape *s, searchOpts *opt) {
    int gs = (flags & SEARCH_GEOSEARCH) != 0;
    for (int i = first; i < c->argc; i++) {
        const karg *a = &c->argv[i];
        int left = c->argc - i - 1;
        if (arg_is(a->ptr, a->len, "withdist")) opt->withdist = 1;
        else if (arg_is(a->ptr, a->len, "withhash")) opt->withhash = 1;
        else if (arg_is(a->ptr, a->len, "withcoord")) opt->withcoord = 1;
        else if (arg_is(a->ptr, a->len, "any")) opt->any = 1;
        else if (arg_is(a->ptr, a->len, "asc")) opt->sort = SORT_ASC;
        else if (arg_is(a->ptr, a->len, "desc")) opt->sort = SORT_DESC;
        else if (arg_is(a->ptr, a->len, "count") && left >= 1) {
            if (!arg_ll_or_reply(c, &c->argv[++i], &opt->count, NULL)) return 0;
            if (opt->count <= 0) {
                reply_error(c, "COUNT must be > 0");
                return 0;
            }
        } else if ((arg_is(a->ptr, a->len, "store") || arg_is(a->ptr, a->len, "storedist")) && left >= 1 &&
                   !(flags & SEARCH_NOSTORE) && !gs) {
            opt->storedist = arg_is(a->ptr, a->len, "storedist");
            opt->store = &c->argv[++i];
        } else if (arg_is(a->ptr, a->len, "storedist") && (flags & SEARCH_STORE)) {
            opt->storedist = 1;
        } else if (arg_is(a->ptr, a->len, "frommember") && left >= 1 && gs && !opt->from_lonlat) {
            i++;
            if (o && !member_pos_or_reply(c, o, &c->argv[i], s->xy)) return 0;
            opt->from_member = 1;
        } else if (arg_is(a->ptr, a->len, "fromlonlat") && left >= 2 && gs && !opt->from_member) {
            if (!lonlat_or_reply(c, &c->argv[i + 1], s->xy)) return 0;
            opt->from_lonlat = 1;
            i += 2;
        } else if (arg_is(a->ptr, a->len, "byradius") && left >= 2 && gs && !opt->by_box) {
            if (!radius_or_reply(c, &c->argv[i + 1], s)) return 0;
            opt->by_radius = 1;
            i += 2;
        } else if (arg_is(a->ptr, a->len, "bybox") && left >= 3 && gs && !opt->by_radius) {
            if (!box_or_reply(c, &c->argv[i + 1], s)) return 0;
            opt->by_box = 1;
            i += 3;
        } else {
            reply_error(c, ERR_SYNTAX);
            return 0;
        }
    }
    return 1;
}

/* The checks that follow the options; replies the error and returns 0. */
static int search_options_valid(client *c, int flags, const searchOpts *opt) {
    const karg *name = &c->argv[0];
    if (opt->store && (opt->withdist || opt->withhash || opt->withcoord)) {
        reply_errorf(c, "%s is not compatible with WITHDIST, WITHHASH and WITHCOORD options",
                     (flags & SEARCH_STORE) ? "GEOSEARCHSTORE" : "STORE option in GEORADIUS");
        return 0;
    }
    if ((flags & SEARCH_GEOSEARCH) && !(opt->from_member || opt->from_lonlat)) {
        reply_errorf(c, "exactly one of FROMMEMBER or FROMLONLAT can be specified for %.*s", (int)name->len, name->ptr);
        return 0;
    }
    if ((flags & SEARCH_GEOSEARCH) && !(opt->by_radius || opt->by_box)) {
        reply_errorf(c, "exactly one of BYRADIUS and BYBOX can be specified for %.*s", (int)name->len, name->ptr);
        return 0;
    }
    if (opt->any && !opt->count) {
        reply_error(c, "the ANY argument requires COUNT argument");
        return 0;
    }
    return 1;
}

static void reply_points(client *c, const geoSearch *g, size_t n, const searchOpts *opt, double unit) {
    int extra = opt->withdist + opt->withhash + opt->withcoord;
    reply_array_len(c, (long long)n);
    for (size_t i = 0; i < n; i++) {
        const geoPoint *p = &g->v[i];
        if (extra) reply_array_len(c, extra + 1);
        reply_bulk(c, p->member->buf, p->member->len);
        if (opt->withdist) reply_distance(c, p->dist / unit);
        if (opt->withhash) reply_integer(c, (long long)p->score);
        if (opt->withcoord) {
            reply_array_len(c, 2);
            reply_coord(c, p->xy[0]);
            reply_coord(c, p->xy[1]);
        }
    }
}

/* Stores the first n points into the destination (deleting it when n is 0); replies n. */
static void store_points(client *c, const geoSearch *g, size_t n, const searchOpts *opt, double unit, int flags) {
    const karg *dst = opt->store;
    if (n) {
        kobj *out = zset_create(dst->ptr, dst->len, n);
        for (size_t i = 0; i < n; i++)
            zset_put(out, g->v[i].member->buf, g->v[i].member->len, opt->storedist ? g->v[i].dist / unit : g->v[i].score);
        db_set(c->db, out, 0);
        signal_modified_key(c, c->db, dst->ptr, dst->len);
        notify_keyspace_event(NOTIFY_ZSET, (flags & SEARCH_GEOSEARCH) ? "geosearchstore" : "georadiusstore", dst->ptr,
                              dst->len, c->db->id);
    } else if (db_delete(c->db, dst->ptr, dst->len)) {
        signal_modified_key(c, c->db, dst->ptr, dst->len);
        notify_keyspace_event(NOTIFY_GENERIC, "del", dst->ptr, dst->len, c->db->id);
    }
    reply_integer(c, (long long)n);
}

/* The fixed arguments before the options: the index of the first option, or 0 after replying. */
static int search_centre(client *c, int flags, const kobj *o, geoShape *s, searchOpts *opt) {
    if (flags & SEARCH_COORDS) {
        if (!lonlat_or_reply(c, &c->argv[2], s->xy) || !radius_or_reply(c, &c->argv[4], s)) return 0;
        return 6;
    }
    if (flags & SEARCH_MEMBER) {
        /* Without the key the radius is not even parsed (Redis replies empty). */
        if (o && (!member_pos_or_reply(c, o, &c->argv[2], s->xy) || !radius_or_reply(c, &c->argv[3], s))) return 0;
        return 5;
    }
    if (flags & SEARCH_STORE) opt->store = &c->argv[1];
    return (flags & SEARCH_STORE) ? 3 : 2;
}

/* Redis's georadiusGeneric: every search command. */
static void search_generic(client *c, int src, int flags) {
    kobj *o;
    if (!coll_lookup_read(c, &c->argv[src], OBJ_ZSET, &o)) return;
    geoShape shape;
    searchOpts opt;
    memset(&shape, 0, sizeof(shape));
    memset(&opt, 0, sizeof(opt));
    int first = search_centre(c, flags, o, &shape, &opt);
    if (!first || !search_options(c, first, flags, o, &shape, &opt) || !search_options_valid(c, flags, &opt)) return;
    if (!o) {
        if (opt.store) store_points(c, NULL, 0, &opt, 1, flags);
        else reply_empty_array(c);
        return;
    }
    /* COUNT alone means the nearest ones. */
    if (opt.count && opt.sort == SORT_NONE && !opt.any) opt.sort = SORT_ASC;
    geoSearch g = {.shape = &shape, .limit = opt.any ? (size_t)opt.count : 0};
    search_points(o, &g);
    size_t n = opt.count && (size_t)opt.count < g.len ? (size_t)opt.count : g.len;
    point_cmp *cmp = opt.sort == SORT_ASC ? cmp_asc : cmp_desc;
    /* Redis: the C library's qsort for a full sort, its own partial sort for the first n. */
    if (opt.sort != SORT_NONE && n == g.len && g.len > 1)
        qsort(g.v, g.len, sizeof(geoPoint), cmp);
    else if (opt.sort != SORT_NONE && n < g.len)
        partial_sort(g.v, 0, g.len, cmp, 0, n - 1);
    if (opt.store)
        store_points(c, &g, n, &opt, shape.unit, flags);
    else
        reply_points(c, &g, n, &opt, shape.unit);
    for (size_t i = 0; i < g.len; i++) kstr_free(g.v[i].member);
    kfree(g.v);
}

void georadius_command(client *c) {
    search_generic(c, 1, SEARCH_COORDS);
}

void georadius_ro_command(client *c) {
    search_generic(c, 1, SEARCH_COORDS | SEARCH_NOSTORE);
}

void georadiusbymember_command(client *c) {
    search_generic(c, 1, SEARCH_MEMBER);
}

void georadiusbymember_ro_command(client *c) {
    search_generic(c, 1, SEARCH_MEMBER | SEARCH_NOSTORE);
}

void geosearch_command(client *c) {
    search_generic(c, 1, SEARCH_GEOSEARCH);
}

void geosearchstore_command(client *c) {
    search_generic(c, 2, SEARCH_GEOSEARCH | SEARCH_STORE);
}
