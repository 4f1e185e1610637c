/* coll_scan.h - HSCAN/SSCAN/ZSCAN (and SCAN's options): cursor and option parsing, the reply,
 * and a table scan step. */
#ifndef KEEL_COLL_SCAN_H
#define KEEL_COLL_SCAN_H

#include <stddef.h>
#include <stdint.h>

#include "keyspace/table.h"
#include "protocol/reply.h"
#include "server.h"

typedef struct collScanOpts {
    const char *pat;        /* MATCH pattern, NULL when absent or "*" */
    size_t plen;
    long long count;        /* COUNT, default 10 */
} collScanOpts;

/* The cursor argument with Redis's (strtoul) rules; replies "invalid cursor" and returns 0. */
int coll_scan_cursor_or_reply(client *c, const karg *arg, uint64_t *cursor);
/* [MATCH pattern] [COUNT count] from argv[first..]; replies the error and returns 0. */
int coll_scan_opts_or_reply(client *c, int first, collScanOpts *opts);

/* Writing a reply: begin (cursor), emit each element (filtered by MATCH on the key), end. With
 * has_value the value follows its key and both are dropped when the key doesn't match. */
typedef struct collScanReply {
    replyDeferred len;
    long long n;
    const collScanOpts *opts;
} collScanReply;

void coll_scan_begin(client *c, collScanReply *r, const collScanOpts *opts, uint64_t cursor);
void coll_scan_emit(client *c, collScanReply *r, const char *k, size_t klen, int has_value, const char *v,
                    size_t vlen);
void coll_scan_end(client *c, collScanReply *r);
/* The reply for a missing key: cursor 0, no elements. */
void coll_scan_reply_empty(client *c);

/* One tableScan step with opts->count; the emitted entries (valid until the table changes) go
 * to a kmalloc'ed array in *out (free with kfree), their number in *n. Returns the cursor. */
uint64_t coll_table_scan(table *t, uint64_t cursor, const collScanOpts *opts, void ***out, size_t *n);

/* The whole reply of one scan step over a table of collEntry (the large hash and set
 * encodings); the small encodings use begin/emit/end directly. */
void coll_table_scan_reply(client *c, table *t, uint64_t cursor, const collScanOpts *opts, int has_value);

#endif
