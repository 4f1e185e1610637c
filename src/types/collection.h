/* collection.h - pieces shared by the aggregate types (hashes, sets; sorted sets may use them):
 *
 *  - collEntry: the element of a large hash or set, ONE allocation linked in a Keel table:
 *      [tableLink][varint klen][key bytes][varint vlen][value bytes]    (value part: hashes only)
 *    Varints are LEB128 (7 bits per byte, low group first), so short fields cost one byte of
 *    length each. The key bytes never change while linked; a new value reallocates the entry.
 *  - Redis's numeric argument rules with their exact error replies.
 *  - HSCAN/SSCAN/ZSCAN: cursor and option parsing, the reply, and a table scan step.
 *  - uniform sampling of k distinct indices out of n. */
#ifndef KEEL_COLLECTION_H
#define KEEL_COLLECTION_H

#include <stddef.h>
#include <stdint.h>

#include "keyspace/table.h"
#include "protocol/reply.h"
#include "server.h"

/* ---- Varints (LEB128, also used by stream nodes) ------------------------------------------ */

size_t varint_size(size_t v);                                       /* bytes varint_put writes */
size_t varint_put(unsigned char *p, size_t v);                      /* returns the bytes written */
const unsigned char *varint_get(const unsigned char *p, size_t *v); /* returns the next byte */

/* ---- Table entries ----------------------------------------------------------------------- */

typedef struct collEntry {
    tableLink link;
    unsigned char data[];
} collEntry;

/* A new unlinked entry; with has_value = 0 it has no value part (set members). */
collEntry *coll_entry_new(const char *key, size_t klen, const char *val, size_t vlen, int has_value);
const char *coll_entry_key(const void *entry, size_t *len);     /* tableType.entry_key */
const char *coll_entry_value(const collEntry *e, size_t *len);  /* entries with a value */
/* Gives e a new value; returns the (possibly moved) entry, which the caller swaps into its
 * table with tableReplaceEntry() when it moved. */
collEntry *coll_entry_set_value(collEntry *e, const char *val, size_t vlen);
size_t coll_entry_bytes(const collEntry *e, int has_value);     /* bytes used (not allocated) */
collEntry *coll_entry_dup(const collEntry *e, int has_value);
void coll_entry_free(void *entry);                               /* tableType.entry_free */

/* The table type of collection entries (key = the entry's key bytes). */
extern const tableType coll_table_type;
/* A copy of t with copies of its entries. */
table *coll_table_dup(table *t, int has_value);
/* Payload bytes of a table of collEntry: exact up to a few thousand entries, above that the
 * table's own memory plus the size times the mean allocation of a random sample. */
size_t coll_table_memory(table *t);

/* ---- Keys ------------------------------------------------------------------------------- */

/* Looks up a key for a command on `type` (db_lookup_read / db_lookup_write): returns 0 after
 * replying WRONGTYPE when the key holds another type, else 1 with *o = the object, or NULL when
 * the key is missing. */
int coll_lookup_read(client *c, const karg *key, int type, kobj **o);
int coll_lookup_write(client *c, const karg *key, int type, kobj **o);
/* Deletes a key whose collection became empty, with the "del" keyspace event. */
void coll_delete_emptied(client *c, const karg *key);

/* ---- Numeric arguments (Redis's getLongFromObjectOrReply family) --------------------------- */
/* (The plain form, without limits, is arg_ll_or_reply() in protocol/reply.h.) */

/* A long long within [min, max]; out of range replies msg or "value is out of range, value must
 * between MIN and MAX". */
int coll_get_range_long_or_reply(client *c, const karg *arg, long long min, long long max, long long *out,
                                 const char *msg);
/* A value >= 0; any failure replies msg or "value is out of range, must be positive". */
int coll_get_positive_long_or_reply(client *c, const karg *arg, long long *out, const char *msg);

/* ---- SCAN family ------------------------------------------------------------------------- */

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

/* ---- Sampling ---------------------------------------------------------------------------- */

/* Stores k distinct indices of [0, n) in ascending order in out (k <= n); every k-subset is
 * equally likely. O(n). */
void coll_sample_indices(size_t n, size_t k, uint32_t *out);
/* Shuffles a[0..n) uniformly (Fisher-Yates). */
void coll_shuffle(uint32_t *a, size_t n);

#endif
