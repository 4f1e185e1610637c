/* collection.c - entries, argument rules, SCAN and sampling shared by the aggregate types; see
 * collection.h. */
#include "types/collection.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "keyspace/db.h"
#include "util/mem.h"
#include "util/util.h"

/* ---- Varints ----------------------------------------------------------------------------- */

size_t varint_size(size_t v) {
    size_t n = 1;
    while (v >= 128) {
        v >>= 7;
        n++;
    }
    return n;
}

size_t varint_put(unsigned char *p, size_t v) {
    size_t n = 0;
    while (v >= 128) {
        p[n++] = (unsigned char)(v | 128);
        v >>= 7;
    }
    p[n++] = (unsigned char)v;
    return n;
}

const unsigned char *varint_get(const unsigned char *p, size_t *v) {
    size_t r = 0;
    unsigned shift = 0;
    while (*p & 128) {
        r |= (size_t)(*p++ & 127) << shift;
        shift += 7;
    }
    *v = r | (size_t)*p << shift;
    return p + 1;
}

/* ---- Table entries ----------------------------------------------------------------------- */

static size_t entry_size(size_t klen, size_t vlen, int has_value) {
    size_t n = sizeof(collEntry) + varint_size(klen) + klen;
    return has_value ? n + varint_size(vlen) + vlen : n;
}

/* Writes the value part at p. */
static void put_value(unsigned char *p, const char *val, size_t vlen) {
    p += varint_put(p, vlen);
    if (vlen) memcpy(p, val, vlen);
}

collEntry *coll_entry_new(const char *key, size_t klen, const char *val, size_t vlen, int has_value) {
    collEntry *e = kmalloc(entry_size(klen, vlen, has_value));
    e->link.next = NULL;
    unsigned char *p = e->data + varint_put(e->data, klen);
    if (klen) memcpy(p, key, klen);
    if (has_value) put_value(p + klen, val, vlen);
    return e;
}

const char *coll_entry_key(const void *entry, size_t *len) {
    const collEntry *e = entry;
    return (const char *)varint_get(e->data, len);
}

/* Start of the value part (its varint). */
static const unsigned char *value_part(const collEntry *e) {
    size_t klen;
    const char *k = coll_entry_key(e, &klen);
    return (const unsigned char *)k + klen;
}

const char *coll_entry_value(const collEntry *e, size_t *len) {
    return (const char *)varint_get(value_part(e), len);
}

collEntry *coll_entry_set_value(collEntry *e, const char *val, size_t vlen) {
    size_t klen;
    coll_entry_key(e, &klen);
    size_t voff = (size_t)(value_part(e) - (const unsigned char *)e), old_vlen;
    coll_entry_value(e, &old_vlen);
    /* The new value may not alias the old entry (callers pass argument bytes). A value of the
     * same length (counters, fixed-size values) is overwritten in place. */
    if (vlen != old_vlen) e = krealloc(e, entry_size(klen, vlen, 1));
    put_value((unsigned char *)e + voff, val, vlen);
    return e;
}

size_t coll_entry_bytes(const collEntry *e, int has_value) {
    size_t klen, vlen = 0;
    coll_entry_key(e, &klen);
    if (has_value) coll_entry_value(e, &vlen);
    return entry_size(klen, vlen, has_value);
}

collEntry *coll_entry_dup(const collEntry *e, int has_value) {
    collEntry *n = kmemdup(e, coll_entry_bytes(e, has_value));
    n->link.next = NULL;
    return n;
}

void coll_entry_free(void *entry) {
    kfree(entry);
}

const tableType coll_table_type = {
    .entry_key = coll_entry_key,
    .entry_free = coll_entry_free,
    .hash = NULL,
    .grow_allowed = NULL,
};

table *coll_table_dup(table *t, int has_value) {
    table *n = tableCreate(&coll_table_type);
    tableIter it;
    tableIterInit(&it, t, 0);
    for (collEntry *e; (e = tableIterNext(&it)) != NULL;) tableAdd(n, coll_entry_dup(e, has_value));
    tableIterRelease(&it);
    return n;
}

#define MEMORY_EXACT_MAX 4096
#define MEMORY_SAMPLES 1024

size_t coll_table_memory(table *t) {
    size_t total = tableOverheadBytes(t), size = tableSize(t);
    if (size <= MEMORY_EXACT_MAX) {
        tableIter it;
        tableIterInit(&it, t, 0);
        for (void *e; (e = tableIterNext(&it)) != NULL;) total += kmalloc_size(e);
        tableIterRelease(&it);
        return total;
    }
    void **sample = kmalloc(sizeof(void *) * MEMORY_SAMPLES);
    size_t got = tableSample(t, sample, MEMORY_SAMPLES), bytes = 0;
    for (size_t i = 0; i < got; i++) bytes += kmalloc_size(sample[i]);
    kfree(sample);
    return total + (size_t)((double)bytes / (double)got * (double)size);
}

/* ---- Keys ------------------------------------------------------------------------------- */

static int check_type(client *c, kobj *found, int type, kobj **o) {
    if (found && (int)found->type != type) {
        reply_error(c, ERR_WRONGTYPE);
        return 0;
    }
    *o = found;
    return 1;
}

int coll_lookup_read(client *c, const karg *key, int type, kobj **o) {
    return check_type(c, db_lookup_read(c->db, key->ptr, key->len), type, o);
}

int coll_lookup_write(client *c, const karg *key, int type, kobj **o) {
    return check_type(c, db_lookup_write(c->db, key->ptr, key->len), type, o);
}

void coll_delete_emptied(client *c, const karg *key) {
    db_delete(c->db, key->ptr, key->len);
    notify_keyspace_event(NOTIFY_GENERIC, "del", key->ptr, key->len, c->db->id);
}

/* ---- Numeric arguments ------------------------------------------------------------------- */

int coll_get_range_long_or_reply(client *c, const karg *arg, long long min, long long max, long long *out,
                                 const char *msg) {
    if (!arg_ll_or_reply(c, arg, out, msg)) return 0;
    if (*out >= min && *out <= max) return 1;
    if (msg)
        reply_error(c, msg);
    else
        reply_errorf(c, "value is out of range, value must between %lld and %lld", min, max);
    return 0;
}

int coll_get_positive_long_or_reply(client *c, const karg *arg, long long *out, const char *msg) {
    const char *m = msg ? msg : "value is out of range, must be positive";
    return coll_get_range_long_or_reply(c, arg, 0, INT64_MAX, out, m);
}

/* ---- SCAN -------------------------------------------------------------------------------- */

int coll_scan_cursor_or_reply(client *c, const karg *arg, uint64_t *cursor) {
    /* Redis parses with strtoul: leading '+'/'-', zeros and an empty string are accepted. */
    char *end;
    errno = 0;
    unsigned long long v = strtoull(arg->ptr, &end, 10);
    if (isspace((unsigned char)arg->ptr[0]) || *end != '\0' || errno == ERANGE) {
        reply_error(c, "invalid cursor");
        return 0;
    }
    *cursor = v;
    return 1;
}

int coll_scan_opts_or_reply(client *c, int first, collScanOpts *opts) {
    opts->pat = NULL;
    opts->plen = 0;
    opts->count = 10;
    for (int i = first; i < c->argc; i += 2) {
        const karg *opt = &c->argv[i], *val = &c->argv[i + 1];
        int has_val = i + 1 < c->argc;
        if (has_val && arg_is(opt->ptr, opt->len, "count")) {
            if (!arg_ll_or_reply(c, val, &opts->count, NULL)) return 0;
            if (opts->count < 1) {
                reply_error(c, ERR_SYNTAX);
                return 0;
            }
        } else if (has_val && arg_is(opt->ptr, opt->len, "match")) {
            int all = val->len == 1 && val->ptr[0] == '*';   /* "*" needs no matching */
            opts->pat = all ? NULL : val->ptr;
            opts->plen = all ? 0 : val->len;
        } else {
            reply_error(c, ERR_SYNTAX);
            return 0;
        }
    }
    return 1;
}

void coll_scan_begin(client *c, collScanReply *r, const collScanOpts *opts, uint64_t cursor) {
    char buf[24];
    reply_array_len(c, 2);
    reply_bulk(c, buf, (size_t)ull_to_str(buf, sizeof(buf), cursor));
    r->len = reply_deferred(c);
    r->n = 0;
    r->opts = opts;
}

void coll_scan_emit(client *c, collScanReply *r, const char *k, size_t klen, int has_value, const char *v,
                    size_t vlen) {
    if (r->opts->pat && !glob_match(r->opts->pat, r->opts->plen, k, klen, 0)) return;
    reply_bulk(c, k, klen);
    r->n++;
    if (has_value) {
        reply_bulk(c, v, vlen);
        r->n++;
    }
}

void coll_scan_end(client *c, collScanReply *r) {
    reply_set_deferred_array(c, r->len, r->n);
}

void coll_scan_reply_empty(client *c) {
    reply_array_len(c, 2);
    reply_bulk(c, "0", 1);
    reply_empty_array(c);
}

typedef struct scanCollect {
    void **items;
    size_t n, cap;
} scanCollect;

static void collect_entry(void *privdata, void *entry) {
    scanCollect *sc = privdata;
    if (sc->n == sc->cap) {
        sc->cap = sc->cap ? sc->cap * 2 : 16;
        sc->items = krealloc(sc->items, sizeof(void *) * sc->cap);
    }
    sc->items[sc->n++] = entry;
}

uint64_t coll_table_scan(table *t, uint64_t cursor, const collScanOpts *opts, void ***out, size_t *n) {
    scanCollect sc = {NULL, 0, 0};
    cursor = tableScan(t, cursor, (size_t)opts->count, collect_entry, &sc);
    *out = sc.items;
    *n = sc.n;
    return cursor;
}

void coll_table_scan_reply(client *c, table *t, uint64_t cursor, const collScanOpts *opts, int has_value) {
    void **items;
    size_t n;
    collScanReply r;
    cursor = coll_table_scan(t, cursor, opts, &items, &n);
    coll_scan_begin(c, &r, opts, cursor);
    for (size_t i = 0; i < n; i++) {
        size_t klen, vlen = 0;
        const char *k = coll_entry_key(items[i], &klen), *v = NULL;
        if (has_value) v = coll_entry_value(items[i], &vlen);
        coll_scan_emit(c, &r, k, klen, has_value, v, vlen);
    }
    coll_scan_end(c, &r);
    kfree(items);
}

/* ---- Sampling ---------------------------------------------------------------------------- */

void coll_sample_indices(size_t n, size_t k, uint32_t *out) {
    /* Selection sampling (Knuth's algorithm S): index i is taken with probability
     * (still needed) / (still available). */
    size_t got = 0;
    for (size_t i = 0; i < n && got < k; i++)
        if (rand64() % (n - i) < k - got) out[got++] = (uint32_t)i;
}

void coll_shuffle(uint32_t *a, size_t n) {
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)(rand64() % i);
        uint32_t t = a[i - 1];
        a[i - 1] = a[j];
        a[j] = t;
    }
}
