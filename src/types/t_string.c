/* t_string.c - the string commands: GET/SET and their variants, MGET/MSET, INCR and friends,
 * INCRBYFLOAT, APPEND, STRLEN, GETRANGE, SETRANGE, LCS; plus the helpers of t_string.h.
 *
 * Replies, error texts and the order of checks follow redis-server 7.0.15 exactly (an argument
 * error is reported before or after a WRONGTYPE exactly where Redis reports it).
 * Encodings follow Redis too: values written whole (SET, MSET, GETSET, APPEND to a missing key)
 * get obj_new_string's int/embstr/raw choice; values edited in place (APPEND, SETRANGE) are
 * raw; INCR results are int; INCRBYFLOAT results are embstr/raw, never int.
 * TTLs: SET/GETSET/MSET drop the old TTL unless KEEPTTL; every in-place edit and INCR* keep it. */
#include "types/t_string.h"

#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "commands/commands.h"
#include "core/notify.h"
#include "keyspace/db.h"
#include "persist/wstream.h"
#include "protocol/reply.h"
#include "util/mem.h"
#include "util/util.h"

/* ------------------------------------------------------------------ shared helpers */

int string_lookup(client *c, int i, int for_write, kobj **out) {
    const karg *k = &c->argv[i];
    kobj *o = for_write ? db_lookup_write(c->db, k->ptr, k->len) : db_lookup_read(c->db, k->ptr, k->len);
    if (o && o->type != OBJ_STRING) {
        reply_error(c, ERR_WRONGTYPE);
        return 0;
    }
    *out = o;
    return 1;
}

int string_size_ok(client *c, long long size, long long append) {
    /* Unsigned addition: an overflow shows up as a total smaller than a term. */
    long long total = (long long)((unsigned long long)size + (unsigned long long)append);
    if (total > server.proto_max_bulk_len || total < size || total < append) {
        reply_error(c, "string exceeds maximum allowed size (proto-max-bulk-len)");
        return 0;
    }
    return 1;
}

kobj *string_make_raw(kdb *db, kobj *o) {
    kobj *n = obj_make_raw(o);
    db_replace(db, o, n);
    return n;
}

int string_range(long long *start, long long *end, long long len) {
    if (*start < 0) *start += len;
    if (*end < 0) *end += len;
    if (*start < 0) *start = 0;
    if (*end < 0) *end = 0;
    if (*end >= len) *end = len - 1;
    return *start <= *end;
}

void string_reclaim_expired(client *c, int i) {
    if (db_expires(c->db)) db_lookup_write(c->db, c->argv[i].ptr, c->argv[i].len);
}

void string_key_changed(client *c, int i, int type, const char *event) {
    notify_key_changed(c, &c->argv[i], type, event);
}

/* ------------------------------------------------------------------ GET, SET and variants */

/* GET's reply for argv[1]: the value, or null when missing. Returns 0 after replying WRONGTYPE
 * (Redis's getGenericCommand, also used by SET GET, GETSET and GETDEL). */
static int reply_value(client *c) {
    kobj *o;
    if (!string_lookup(c, 1, 0, &o)) return 0;
    if (o)
        reply_obj_string(c, o);
    else
        reply_null(c);
    return 1;
}

void get_command(client *c) {
    reply_value(c);
}

/* Options of SET (from argv[3]) and GETEX (from argv[2]). */
#define OPT_NX (1 << 0)
#define OPT_XX (1 << 1)
#define OPT_GET (1 << 2)
#define OPT_KEEPTTL (1 << 3)
#define OPT_PERSIST (1 << 4)
#define OPT_EX (1 << 5)
#define OPT_PX (1 << 6)
#define OPT_EXAT (1 << 7)
#define OPT_PXAT (1 << 8)
#define OPT_EXPIRES (OPT_EX | OPT_PX | OPT_EXAT | OPT_PXAT)
#define OPT_SECONDS (OPT_EX | OPT_EXAT)
#define OPT_RELATIVE (OPT_EX | OPT_PX)

#define FOR_SET 1
#define FOR_GETEX 2

/* Each option with the options it conflicts with. Repeating an option is allowed (as in
 * Redis: "EX 1 EX 2" uses 2); only the listed combinations are syntax errors. */
static const struct {
    const char *name;
    int flag;
    int conflicts;
    int commands;   /* FOR_SET | FOR_GETEX */
} set_options[] = {
    {"nx", OPT_NX, OPT_XX, FOR_SET},
    {"xx", OPT_XX, OPT_NX, FOR_SET},
    {"get", OPT_GET, 0, FOR_SET},
    {"keepttl", OPT_KEEPTTL, OPT_PERSIST | OPT_EXPIRES, FOR_SET},
    {"persist", OPT_PERSIST, OPT_KEEPTTL | OPT_EXPIRES, FOR_GETEX},
    {"ex", OPT_EX, OPT_KEEPTTL | OPT_PERSIST | (OPT_EXPIRES & ~OPT_EX), FOR_SET | FOR_GETEX},
    {"px", OPT_PX, OPT_KEEPTTL | OPT_PERSIST | (OPT_EXPIRES & ~OPT_PX), FOR_SET | FOR_GETEX},
    {"exat", OPT_EXAT, OPT_KEEPTTL | OPT_PERSIST | (OPT_EXPIRES & ~OPT_EXAT), FOR_SET | FOR_GETEX},
    {"pxat", OPT_PXAT, OPT_KEEPTTL | OPT_PERSIST | (OPT_EXPIRES & ~OPT_PXAT), FOR_SET | FOR_GETEX},
};

typedef struct setOptions {
    int flags;
    int expire_arg;     /* argv index of the expire time, 0 if none */
} setOptions;

/* Parses argv[first..] for SET or GETEX; on error replies "syntax error" and returns 0.
 * Options compare as C strings, like Redis (an argument is NUL-terminated). */
static int parse_set_options(client *c, int first, int command, setOptions *so) {
    so->flags = 0;
    so->expire_arg = 0;
    for (int j = first; j < c->argc; j++) {
        size_t k, n = sizeof(set_options) / sizeof(set_options[0]);
        for (k = 0; k < n; k++)
            if (strcasecmp(c->argv[j].ptr, set_options[k].name) == 0) break;
        int ok = k < n && (set_options[k].commands & command) && !(so->flags & set_options[k].conflicts);
        if (ok && (set_options[k].flag & OPT_EXPIRES)) {
            ok = j + 1 < c->argc;
            so->expire_arg = ++j;
        }
        if (!ok) {
            reply_error(c, ERR_SYNTAX);
            return 0;
        }
        so->flags |= set_options[k].flag;
    }
    return 1;
}

/* The absolute expire time (unix ms) that argv[arg] means under the unit/base of `flags`; on an
 * invalid or overflowing time replies Redis's "invalid expire time" error and returns 0. */
static int expire_time_or_reply(client *c, int arg, int flags, long long *when) {
    long long v;
    if (!arg_ll_or_reply(c, &c->argv[arg], &v, NULL)) return 0;
    int valid = v > 0 && !((flags & OPT_SECONDS) && v > LLONG_MAX / 1000);
    if (valid && (flags & OPT_SECONDS)) v *= 1000;
    if (valid && (flags & OPT_RELATIVE)) {
        long long now = server_time_ms();
        valid = v <= LLONG_MAX - now;
        if (valid) v += now;
    }
    if (!valid) {
        reply_errorf(c, "invalid expire time in '%s' command", c->cmd->fullname);
        return 0;
    }
    *when = v;
    return 1;
}

/* SET ... GET propagates without its GET, as Redis. */
static void propagate_without_get(client *c) {
    karg argv[8];   /* SET key value and at most 5 options */
    int n = 0;
    for (int i = 0; i < c->argc && n < 8; i++)
        if (i < 3 || !arg_is(c->argv[i].ptr, c->argv[i].len, "get")) argv[n++] = c->argv[i];
    wstream_rewrite(n, argv);
}

/* Stores argv[val] at argv[1] with an optional expire time: SET, SETNX, SETEX, PSETEX.
 * `nx_reply` selects SETNX's :1/:0 replies instead of +OK/null. */
static void set_generic(client *c, int flags, int val, int expire_arg, int nx_reply) {
    const karg *key = &c->argv[1];
    long long when = 0;
    if (expire_arg && !expire_time_or_reply(c, expire_arg, flags, &when)) return;
    if ((flags & OPT_GET) && !reply_value(c)) return;
    if (flags & (OPT_NX | OPT_XX)) {
        int found = db_lookup_write(c->db, key->ptr, key->len) != NULL;
        if ((flags & OPT_NX) ? found : !found) {
            if (nx_reply)
                reply_integer(c, 0);
            else if (!(flags & OPT_GET))
                reply_null(c);
            return;
        }
    } else {
        string_reclaim_expired(c, 1);
    }
    kobj *o = obj_new_string(key->ptr, key->len, c->argv[val].ptr, c->argv[val].len);
    if (expire_arg) {
        /* Give the new entry its TTL before linking it: one move instead of two. */
        o = obj_with_expire_area(o, 1);
        obj_set_expire_inplace(o, when);
    }
    db_set(c->db, o, flags & OPT_KEEPTTL);
    string_key_changed(c, 1, NOTIFY_STRING, "set");
    if (expire_arg) notify_keyspace_event(NOTIFY_GENERIC, "expire", key->ptr, key->len, c->db->id);
    if (expire_arg) {
        /* As Redis: any TTL propagates as "SET key value PXAT ms" (NX, XX, GET dropped). */
        char ms[24];
        karg argv[5] = {WSTREAM_ARG("SET"), *key, c->argv[val], WSTREAM_ARG("PXAT"), {.ptr = ms, .len = 0}};
        argv[4].len = (size_t)ll_to_str(ms, sizeof(ms), when);
        wstream_rewrite(5, argv);
    } else if (flags & OPT_GET) {
        propagate_without_get(c);
    }
    if (nx_reply)
        reply_integer(c, 1);
    else if (!(flags & OPT_GET))
        reply_ok(c);
}

int set_get_keys(int argc, const karg *argv, int *pos, int *flags, int max) {
    int f = KS_OW | KS_UPDATE;
    for (int i = 3; i < argc; i++)
        if (arg_is(argv[i].ptr, argv[i].len, "get")) f = KS_RW | KS_ACCESS | KS_UPDATE;
    if (max > 0) {
        pos[0] = 1;
        if (flags) flags[0] = f;
    }
    return 1;
}

void set_command(client *c) {
    setOptions so;
    if (!parse_set_options(c, 3, FOR_SET, &so)) return;
    set_generic(c, so.flags, 2, so.expire_arg, 0);
}

void setnx_command(client *c) {
    set_generic(c, OPT_NX, 2, 0, 1);
}

void setex_command(client *c) {
    set_generic(c, OPT_EX, 3, 2, 0);
}

void psetex_command(client *c) {
    set_generic(c, OPT_PX, 3, 2, 0);
}

void getset_command(client *c) {
    if (!reply_value(c)) return;
    const karg *key = &c->argv[1];
    db_set(c->db, obj_new_string(key->ptr, key->len, c->argv[2].ptr, c->argv[2].len), 0);
    string_key_changed(c, 1, NOTIFY_STRING, "set");
    karg argv[3] = {WSTREAM_ARG("SET"), *key, c->argv[2]};
    wstream_rewrite(3, argv);   /* as Redis */
}

void getdel_command(client *c) {
    if (!reply_value(c)) return;
    if (db_delete(c->db, c->argv[1].ptr, c->argv[1].len)) string_key_changed(c, 1, NOTIFY_GENERIC, "del");
    wstream_rewrite_key("DEL", &c->argv[1]);
}

void getex_command(client *c) {
    setOptions so;
    kobj *o;
    long long when = 0;
    if (!parse_set_options(c, 2, FOR_GETEX, &so) || !string_lookup(c, 1, 0, &o)) return;
    if (!o) {
        reply_null(c);
        return;
    }
    if (so.expire_arg && !expire_time_or_reply(c, so.expire_arg, so.flags, &when)) return;
    reply_obj_string(c, o);
    if ((so.flags & (OPT_EXAT | OPT_PXAT)) && server_time_already_past(when)) {
        /* An absolute time already past deletes the key now, as Redis does. */
        db_delete(c->db, c->argv[1].ptr, c->argv[1].len);
        string_key_changed(c, 1, NOTIFY_GENERIC, "del");
        wstream_rewrite_key(server.lazyfree_lazy_expire ? "UNLINK" : "DEL", &c->argv[1]);
    } else if (so.expire_arg) {
        db_set_expire(c->db, o, when);
        string_key_changed(c, 1, NOTIFY_GENERIC, "expire");
        wstream_rewrite_key_ms("PEXPIREAT", &c->argv[1], when);
    } else if ((so.flags & OPT_PERSIST) && o->has_expire) {
        db_persist(c->db, o);
        string_key_changed(c, 1, NOTIFY_GENERIC, "persist");
        wstream_rewrite_key("PERSIST", &c->argv[1]);
    }
}

/* ------------------------------------------------------------------ MGET, MSET, MSETNX */

void mget_command(client *c) {
    reply_array_len(c, c->argc - 1);
    for (int j = 1; j < c->argc; j++) {
        kobj *o = db_lookup_read(c->db, c->argv[j].ptr, c->argv[j].len);
        if (o && o->type == OBJ_STRING)
            reply_obj_string(c, o);
        else
            reply_null(c);
    }
}

static void mset_generic(client *c, int nx) {
    if (c->argc % 2 == 0) {
        reply_error_arity(c);
        return;
    }
    if (nx) {
        for (int j = 1; j < c->argc; j += 2) {
            if (db_lookup_write(c->db, c->argv[j].ptr, c->argv[j].len)) {
                reply_integer(c, 0);
                return;
            }
        }
    }
    for (int j = 1; j < c->argc; j += 2) {
        const karg *k = &c->argv[j], *v = &c->argv[j + 1];
        string_reclaim_expired(c, j);
        db_set(c->db, obj_new_string(k->ptr, k->len, v->ptr, v->len), 0);
        string_key_changed(c, j, NOTIFY_STRING, "set");
    }
    if (nx)
        reply_integer(c, 1);
    else
        reply_ok(c);
}

void mset_command(client *c) {
    mset_generic(c, 0);
}

void msetnx_command(client *c) {
    mset_generic(c, 1);
}

/* ------------------------------------------------------------------ INCR family */

/* The string value of o as a long long (Redis's getLongLongFromObject). */
static int obj_to_ll(const kobj *o, long long *v) {
    if (o->encoding == ENC_INT) {
        *v = obj_int(o);
        return 1;
    }
    char buf[24];
    size_t len;
    const char *s = obj_str(o, &len, buf);
    return str_to_ll(s, len, v);
}

static void incr_by(client *c, long long incr) {
    kobj *o;
    long long v = 0;
    if (!string_lookup(c, 1, 1, &o)) return;
    if (o && !obj_to_ll(o, &v)) {
        reply_error(c, ERR_NOT_INT);
        return;
    }
    if ((incr < 0 && v < 0 && incr < LLONG_MIN - v) || (incr > 0 && v > 0 && incr > LLONG_MAX - v)) {
        reply_error(c, ERR_OVERFLOW);
        return;
    }
    v += incr;
    const karg *key = &c->argv[1];
    if (o && o->encoding == ENC_INT)
        obj_set_int(o, v);      /* the fast path: no allocation, the entry stays put */
    else if (o)
        db_set(c->db, obj_new_int(key->ptr, key->len, v), 1);
    else
        db_add(c->db, obj_new_int(key->ptr, key->len, v));
    string_key_changed(c, 1, NOTIFY_STRING, "incrby");
    reply_integer(c, v);
}

void incr_command(client *c) {
    incr_by(c, 1);
}

void decr_command(client *c) {
    incr_by(c, -1);
}

void incrby_command(client *c) {
    long long incr;
    if (arg_ll_or_reply(c, &c->argv[2], &incr, NULL)) incr_by(c, incr);
}

void decrby_command(client *c) {
    long long incr;
    if (!arg_ll_or_reply(c, &c->argv[2], &incr, NULL)) return;
    if (incr == LLONG_MIN) {
        reply_error(c, "decrement would overflow");
        return;
    }
    incr_by(c, -incr);
}

/* The string value of o as a long double (Redis's getLongDoubleFromObject). */
static int obj_to_ld(const kobj *o, long double *v) {
    if (o->encoding == ENC_INT) {
        *v = (long double)obj_int(o);
        return 1;
    }
    char buf[24];
    size_t len;
    const char *s = obj_str(o, &len, buf);
    return str_to_ld(s, len, v);
}

/* Room for any finite long double in INCRBYFLOAT's %.17Lf form (Redis's MAX_LONG_DOUBLE_CHARS). */
#define LD_STR_MAX (5 * 1024)

void incrbyfloat_command(client *c) {
    kobj *o;
    long double v = 0, incr;
    if (!string_lookup(c, 1, 1, &o)) return;
    if ((o && !obj_to_ld(o, &v)) || !str_to_ld(c->argv[2].ptr, c->argv[2].len, &incr)) {
        reply_error(c, ERR_NOT_FLOAT);
        return;
    }
    v += incr;
    if (isnan(v) || isinf(v)) {
        reply_error(c, "increment would produce NaN or Infinity");
        return;
    }
    char buf[LD_STR_MAX];
    size_t len = (size_t)ld_to_str(buf, sizeof(buf), v);
    const karg *key = &c->argv[1];
    db_set(c->db, obj_new_string_noint(key->ptr, key->len, buf, len), 1);
    string_key_changed(c, 1, NOTIFY_STRING, "incrbyfloat");
    /* As Redis: the result, so that float formatting can't make copies differ. */
    karg argv[4] = {WSTREAM_ARG("SET"), *key, {.ptr = buf, .len = len}, WSTREAM_ARG("KEEPTTL")};
    wstream_rewrite(4, argv);
    reply_bulk(c, buf, len);
}

/* ------------------------------------------------------------------ APPEND, STRLEN, ranges */

void append_command(client *c) {
    kobj *o;
    const karg *key = &c->argv[1], *val = &c->argv[2];
    size_t total;
    if (!string_lookup(c, 1, 1, &o)) return;
    if (!o) {
        db_add(c->db, obj_new_string(key->ptr, key->len, val->ptr, val->len));
        total = val->len;
    } else {
        if (!string_size_ok(c, (long long)obj_strlen(o), (long long)val->len)) return;
        o = string_make_raw(c->db, o);
        kstr *s = kstr_cat(obj_ptr(o), val->ptr, val->len);
        obj_set_ptr(o, s);
        total = s->len;
    }
    string_key_changed(c, 1, NOTIFY_STRING, "append");
    reply_integer(c, (long long)total);
}

void strlen_command(client *c) {
    kobj *o;
    if (!string_lookup(c, 1, 0, &o)) return;
    reply_integer(c, o ? (long long)obj_strlen(o) : 0);
}

/* GETRANGE and its old name SUBSTR. */
void getrange_command(client *c) {
    long long start, end;
    kobj *o;
    if (!arg_ll_or_reply(c, &c->argv[2], &start, NULL) || !arg_ll_or_reply(c, &c->argv[3], &end, NULL)) return;
    if (!string_lookup(c, 1, 0, &o)) return;
    char buf[24];
    size_t len = 0;
    const char *s = o ? obj_str(o, &len, buf) : "";
    /* Both negative and reversed (-1 -5) is empty whatever the length, as in Redis. */
    if (!(start < 0 && end < 0 && start > end) && string_range(&start, &end, (long long)len))
        reply_bulk(c, s + start, (size_t)(end - start + 1));
    else
        reply_bulk(c, "", 0);
}

void setrange_command(client *c) {
    long long offset;
    kobj *o;
    const karg *key = &c->argv[1], *val = &c->argv[3];
    if (!arg_ll_or_reply(c, &c->argv[2], &offset, NULL)) return;
    if (offset < 0) {
        reply_error(c, "offset is out of range");
        return;
    }
    if (!string_lookup(c, 1, 1, &o)) return;
    if (val->len == 0) {
        /* Nothing to write: report the current length, create nothing. */
        reply_integer(c, o ? (long long)obj_strlen(o) : 0);
        return;
    }
    if (!string_size_ok(c, offset, (long long)val->len)) return;
    if (o) {
        o = string_make_raw(c->db, o);
    } else {
        o = obj_new_raw(key->ptr, key->len, kstr_empty((size_t)offset + val->len));
        db_add(c->db, o);
    }
    kstr *s = kstr_grow_zero(obj_ptr(o), (size_t)offset + val->len);
    memcpy(s->buf + offset, val->ptr, val->len);
    obj_set_ptr(o, s);
    string_key_changed(c, 1, NOTIFY_STRING, "setrange");
    reply_integer(c, (long long)s->len);
}

/* ------------------------------------------------------------------ LCS */

typedef struct lcsQuery {
    const char *a, *b;
    uint32_t alen, blen;
    uint32_t *t;            /* (alen+1) x (blen+1) table of prefix LCS lengths */
    int idx, len, withmatchlen;
    long long minmatchlen;
} lcsQuery;

#define LCS_AT(q, i, j) ((q)->t[(size_t)(i) * ((q)->blen + 1) + (j)])

/* Parses LCS's options from argv[3]; replies and returns 0 on error. */
static int lcs_parse(client *c, lcsQuery *q) {
    for (int j = 3; j < c->argc; j++) {
        const char *opt = c->argv[j].ptr;
        if (strcasecmp(opt, "idx") == 0) {
            q->idx = 1;
        } else if (strcasecmp(opt, "len") == 0) {
            q->len = 1;
        } else if (strcasecmp(opt, "withmatchlen") == 0) {
            q->withmatchlen = 1;
        } else if (strcasecmp(opt, "minmatchlen") == 0 && j + 1 < c->argc) {
            if (!arg_ll_or_reply(c, &c->argv[++j], &q->minmatchlen, NULL)) return 0;
            if (q->minmatchlen < 0) q->minmatchlen = 0;
        } else {
            reply_error(c, ERR_SYNTAX);
            return 0;
        }
    }
    if (q->idx && q->len) {
        reply_error(c, "If you want both the length and indexes, please just use IDX.");
        return 0;
    }
    return 1;
}

/* Allocates and fills q->t; replies and returns 0 when the table would be too large. */
static int lcs_table(client *c, lcsQuery *q) {
    unsigned long long cells = (unsigned long long)(q->alen + 1ULL) * (q->blen + 1ULL);
    if (cells > SIZE_MAX / sizeof(uint32_t)) {
        reply_error(c, "Insufficient memory, failed allocating transient memory for LCS");
        return 0;
    }
    if (cells * sizeof(uint32_t) > (unsigned long long)server.proto_max_bulk_len) {
        reply_error(c, "Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len");
        return 0;
    }
    q->t = kmalloc((size_t)cells * sizeof(uint32_t));
    for (uint32_t i = 0; i <= q->alen; i++) {
        for (uint32_t j = 0; j <= q->blen; j++) {
            if (i == 0 || j == 0) {
                LCS_AT(q, i, j) = 0;
            } else if (q->a[i - 1] == q->b[j - 1]) {
                LCS_AT(q, i, j) = LCS_AT(q, i - 1, j - 1) + 1;
            } else {
                uint32_t up = LCS_AT(q, i - 1, j), left = LCS_AT(q, i, j - 1);
                LCS_AT(q, i, j) = up > left ? up : left;
            }
        }
    }
    return 1;
}

static void lcs_reply_range(client *c, const lcsQuery *q, uint32_t as, uint32_t ae, uint32_t bs, uint32_t be) {
    reply_array_len(c, 2 + q->withmatchlen);
    reply_array_len(c, 2);
    reply_integer(c, as);
    reply_integer(c, ae);
    reply_array_len(c, 2);
    reply_integer(c, bs);
    reply_integer(c, be);
    if (q->withmatchlen) reply_integer(c, ae - as + 1);
}

/* Walks the table back from (alen, blen) as Redis does: writes the LCS string into `out` (if
 * not NULL) and, when `ranges` is set, replies the matching ranges, longest-index first.
 * Returns the number of ranges replied. */
static long long lcs_walk(client *c, const lcsQuery *q, char *out, int ranges) {
    uint32_t i = q->alen, j = q->blen, k = LCS_AT(q, i, j);
    uint32_t as = q->alen, ae = 0, bs = 0, be = 0;   /* as == alen: no range open */
    long long emitted = 0;
    while (i > 0 && j > 0) {
        int emit = 0;
        if (q->a[i - 1] == q->b[j - 1]) {
            if (out) out[k - 1] = q->a[i - 1];
            if (as == q->alen) {
                as = ae = i - 1;
                bs = be = j - 1;
            } else if (as == i && bs == j) {
                as--;   /* the range grows backwards while the match is contiguous */
                bs--;
            } else {
                emit = 1;
            }
            if (as == 0 || bs == 0) emit = 1;
            k--, i--, j--;
        } else {
            if (LCS_AT(q, i - 1, j) > LCS_AT(q, i, j - 1))
                i--;
            else
                j--;
            if (as != q->alen) emit = 1;
        }
        if (emit) {
            if (ranges && (q->minmatchlen == 0 || ae - as + 1 >= q->minmatchlen)) {
                lcs_reply_range(c, q, as, ae, bs, be);
                emitted++;
            }
            as = q->alen;
        }
    }
    return emitted;
}

static void lcs_reply(client *c, const lcsQuery *q) {
    uint32_t total = LCS_AT(q, q->alen, q->blen);
    if (q->len) {
        reply_integer(c, total);
    } else if (q->idx) {
        reply_map_len(c, 2);
        reply_bulk(c, "matches", 7);
        replyDeferred d = reply_deferred(c);
        long long n = lcs_walk(c, q, NULL, 1);
        reply_bulk(c, "len", 3);
        reply_integer(c, total);
        reply_set_deferred_array(c, d, n);
    } else {
        char *s = kmalloc(total + 1);
        lcs_walk(c, q, s, 0);
        reply_bulk(c, s, total);
        kfree(s);
    }
}

void lcs_command(client *c) {
    kobj *oa = db_lookup_read(c->db, c->argv[1].ptr, c->argv[1].len);
    kobj *ob = db_lookup_read(c->db, c->argv[2].ptr, c->argv[2].len);
    if ((oa && oa->type != OBJ_STRING) || (ob && ob->type != OBJ_STRING)) {
        reply_error(c, "The specified keys must contain string values");
        return;
    }
    char abuf[24], bbuf[24];
    size_t alen = 0, blen = 0;
    lcsQuery q = {.a = oa ? obj_str(oa, &alen, abuf) : "", .b = ob ? obj_str(ob, &blen, bbuf) : ""};
    if (!lcs_parse(c, &q)) return;
    if (alen >= UINT32_MAX - 1 || blen >= UINT32_MAX - 1) {
        reply_error(c, "String too long for LCS");
        return;
    }
    q.alen = (uint32_t)alen;
    q.blen = (uint32_t)blen;
    if (!lcs_table(c, &q)) return;
    lcs_reply(c, &q);
    kfree(q.t);
}
