/* coll_scan.c - HSCAN/SSCAN/ZSCAN's arguments and reply; see coll_scan.h. */
#include "types/coll_scan.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>

#include "types/coll_entry.h"
#include "util/mem.h"
#include "util/util.h"

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
