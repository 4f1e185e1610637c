/* table.h - Keel's hash table: linear hashing over segmented bucket heads, intrusive chains.
 *
 * See docs/table.md for the design and the arguments behind it. In brief:
 *
 *  - Entries are allocated by the caller and begin with a tableLink at offset 0, through which
 *    the table threads its chains. The table never allocates per element; its own memory is one
 *    struct, a directory, and arrays of bucket heads (pointers to the first entry of a chain).
 *  - Addressing (Litwin's linear hashing): with level L and split pointer s (0 <= s < 2^L) the
 *    table has nb = 2^L + s buckets; hash h lives in bucket b = h mod 2^L, or h mod 2^(L+1) if
 *    that b < s. Buckets [0, s) and [2^L, nb) use L+1 hash bits, buckets [s, 2^L) use L bits.
 *  - The table grows and shrinks one bucket at a time (split bucket s / merge bucket nb-1), at
 *    most TABLE_RESIZE_CATCHUP buckets per modifying operation, so memory moves in steps of at
 *    most one 8 KB segment and no operation ever rehashes more than a few chains.
 *
 * Invariants (checked by tableVerify()):
 *  I1  every entry is in the chain of the bucket its hash addresses, in exactly one chain;
 *  I2  the number of linked entries equals tableSize();
 *  I3  TABLE_MIN_BUCKETS <= nb, and every allocated head at an index >= nb is NULL;
 *  I4  no chain is longer than the table's chain bound (used for fair random picks);
 *  I5  tableOverheadBytes() equals the usable size of the struct, directory and head arrays.
 * Balance (not an invariant, since resizing can be paused or deferred): the table is at its
 * target when 2*size <= 5*nb (load <= 2.5) and (size >= nb or nb == TABLE_MIN_BUCKETS)
 * (load >= 1), or at the floor tableReserve set while size is below it; tableIsResizing()
 * reports whether it is away from it.
 *
 * Not thread-safe: one thread uses a table at a time. Entries may be freed by another thread
 * once unlinked (tableDelete/tablePop return them without freeing). */
#ifndef KEEL_TABLE_H
#define KEEL_TABLE_H

#include <stddef.h>
#include <stdint.h>

/* The first member of every entry. Owned by the table while the entry is linked. */
typedef struct tableLink {
    void *next;
} tableLink;

typedef struct tableType {
    /* The key bytes of an entry, and their length in *len. Required. The bytes must not change
     * while the entry is linked. */
    const char *(*entry_key)(const void *entry, size_t *len);
    /* Frees an entry (tableRelease/tableClear). May be NULL: entries are left alone. */
    void (*entry_free)(void *entry);
    /* Hash of key bytes. NULL: hash_bytes() (keyed SipHash). Tests override it to place keys. */
    uint64_t (*hash)(const char *key, size_t len);
    /* Asked before the table allocates `bytes` more for growth; returning 0 defers growth
     * (used with maxmemory so that growing never causes evictions). NULL: always allowed. */
    int (*grow_allowed)(size_t bytes);
} tableType;

typedef struct table table;

/* Tuning constants; docs/table.md explains each choice. */
#define TABLE_MIN_BUCKETS 4          /* never fewer buckets than this */
#define TABLE_SEGMENT_HEADS 1024     /* heads per segment (8 KB); also the cap of the first array */
#define TABLE_MAX_LOAD_X2 5          /* split while 2*size > 5*nb, i.e. load > 2.5 */
#define TABLE_MIN_LOAD 1             /* merge while size < nb (and nb > TABLE_MIN_BUCKETS) */
#define TABLE_HARD_LOAD 8            /* above this load growth ignores grow_allowed */
#define TABLE_RESIZE_CATCHUP 4       /* max buckets split/merged by one modifying operation */
#define TABLE_SCAN_BUCKETS_PER_COUNT 100 /* a scan call visits at most 100*max(COUNT,1) buckets */

/* ---- Lifetime ---------------------------------------------------------------------------- */

/* An empty table with TABLE_MIN_BUCKETS buckets. `type` must outlive the table. */
table *tableCreate(const tableType *type);

/* Frees every entry through type->entry_free (if set), then the table. No iterator may be live. */
void tableRelease(table *t);

/* Frees every entry through type->entry_free (if set) and returns the table to its minimum
 * size. Live safe iterators are ended (their next call returns NULL). */
void tableClear(table *t);

/* Seeds the generator from which each later tableCreate() derives its table's random state
 * (tableRandom/tablePop/tableSample). The default seed is 0: runs are reproducible unless the
 * server seeds it. */
void tableSeedRandom(uint64_t seed);

/* ---- Lookup and modification --------------------------------------------------------------- */

size_t tableSize(const table *t);

/* The hash the table uses for these key bytes (type->hash or hash_bytes). */
uint64_t tableHashKey(const table *t, const char *key, size_t len);

/* The first entry of the chain that holds hash `hash` (NULL if empty): walk it through the
 * entries' tableLink. Only the low L+1 bits of the hash are used (L = the table's level), so a
 * truncated hash works while the table has at most 2^31 buckets (5 billion entries at load 2.5). */
void *tableChainFor(const table *t, uint64_t hash);

/* A hint: starts fetching the head of the chain that holds `hash` into the cache, so that an
 * insert or lookup of that key a little later waits on one miss fewer. Changes nothing. */
void tablePrefetch(const table *t, uint64_t hash);

/* A hint for a batch of inserts, one step along a chain per call: with `entry` NULL, the first
 * entry of the chain that holds `hash`, else the entry after `entry`; either way it starts
 * fetching the entry returned into the cache. `entry` must not have been freed (it may have
 * moved to another chain since: the walk then goes astray, which costs nothing but the hint).
 * Changes nothing. NULL at the chain's end. */
void *tablePrefetchStep(const table *t, uint64_t hash, void *entry);

/* The entry with this key, or NULL. Never resizes. */
void *tableFind(table *t, const char *key, size_t len);

/* tableFind with a hash the caller computed by tableHashKey() for the same key. */
void *tableFindHashed(table *t, const char *key, size_t len, uint64_t hash);

/* Links entry at the head of its chain. Returns 1, or 0 (entry not linked) if an entry with the
 * same key is present. May split up to TABLE_RESIZE_CATCHUP buckets. */
int tableAdd(table *t, void *entry);

/* Links entry, whose key the caller guarantees absent and whose key hashes to `hash`
 * (tableHashKey). Both are asserted in KEEL_DEBUG builds. */
void tableAddHashed(table *t, void *entry, uint64_t hash);

/* Links entry; if an entry with the same key was present, entry takes its place in the chain and
 * the old entry is returned, unlinked, for the caller to free. Returns NULL if it was absent. */
void *tableAddOrReplace(table *t, void *entry);

/* Substitutes new_entry for old_entry in place (e.g. the caller reallocated the entry). The key
 * bytes must be equal, and new_entry's tableLink must hold a copy of old_entry's (as realloc or
 * memcpy leaves it). old_entry is compared but never dereferenced, so it may already be freed.
 * old_entry must be linked. Safe iterators about to return old_entry will return new_entry. */
void tableReplaceEntry(table *t, void *old_entry, void *new_entry);

/* Unlinks and returns the entry with this key (the caller frees it, maybe later or in another
 * thread), or NULL if absent. May merge up to TABLE_RESIZE_CATCHUP buckets. */
void *tableDelete(table *t, const char *key, size_t len);

/* Unlinks this exact entry pointer. Returns 1 if it was linked, 0 otherwise. */
int tableDeleteEntry(table *t, void *entry);

/* ---- Random access ------------------------------------------------------------------------ */

/* A uniformly random entry (every entry has probability 1/size), or NULL if empty. */
void *tableRandom(table *t);

/* Unlinks and returns a uniformly random entry, or NULL if empty. */
void *tablePop(table *t);

/* Stores min(k, size) distinct entries in out[] and returns their number. Every subset of that
 * size is equally likely; in particular each entry is included with probability k/size. The
 * order of out[] is unspecified. */
size_t tableSample(table *t, void **out, size_t k);

/* ---- Iteration ----------------------------------------------------------------------------- */

/* A public struct so that it can live on the stack; its fields are private to table.c.
 *
 * Safe iterator (safe = 1): the table may be modified freely while it lives (adds, deletes of
 * any entry including the one just returned and the one about to be returned, pops,
 * replacements). Every entry linked from tableIterInit() to the end of the iteration is returned
 * exactly once; an entry unlinked before the iterator reached it is never returned; entries
 * added meanwhile may or may not be returned. Resizing is paused while any safe iterator of the
 * table is live (so the load can exceed its bounds until the last one is released).
 *
 * Fast iterator (safe = 0): the table must not be modified at all (nor resized by
 * tableResizeStep/For) until tableIterRelease(). KEEL_DEBUG builds abort with a message when
 * they detect a violation, at the next tableIterNext() or at tableIterRelease(). */
typedef struct tableIter {
    table *t;
    size_t bucket;               /* bucket of `next` */
    void *next;                  /* the entry the next call returns; NULL: look in later buckets */
    struct tableIter *next_safe; /* the table's list of live safe iterators */
    int safe;
    uint64_t fingerprint;        /* fast iterators, KEEL_DEBUG builds: the table's state at init */
} tableIter;

void tableIterInit(tableIter *it, table *t, int safe);
void *tableIterNext(tableIter *it);      /* the next entry, or NULL at the end */
void tableIterRelease(tableIter *it);    /* required for every initialized iterator */

/* ---- Scan ---------------------------------------------------------------------------------- */

/* Called for each entry a scan step emits. It must not modify the table: collect, then act. */
typedef void (*tableScanFn)(void *privdata, void *entry);

/* One step of a stateless full scan (SCAN's semantics). Start with cursor 0 and pass back each
 * returned cursor until it is 0 again. Guarantees, whatever modifications and resizes happen
 * between calls: every entry linked for the whole scan is emitted, and no key is emitted twice
 * (not even one deleted and re-added, nor across shrinks). A call emits buckets until it has
 * emitted at least
 * `count` entries, the scan ends, or it has visited TABLE_SCAN_BUCKETS_PER_COUNT * max(count,1)
 * buckets; so an empty page means that many consecutive buckets were empty. */
uint64_t tableScan(table *t, uint64_t cursor, size_t count, tableScanFn fn, void *privdata);

/* 1 if a scan whose last step returned `cursor` has already passed this key's position: the
 * key, if it was linked then, has been emitted, and a later step can never emit it. With
 * cursor 0 (a scan not started, or finished) nothing has been passed. Decidable because every
 * step emits exactly the entries whose reversed hash lies between its cursor and the next. */
int tableScanPassed(const table *t, uint64_t cursor, const char *key, size_t len);

/* ---- Resize control ------------------------------------------------------------------------ */

/* Splits or merges up to max_buckets buckets toward the target size. Returns how many it did:
 * fewer than max_buckets means it reached the target, is paused by a safe iterator, or growth
 * was deferred by type->grow_allowed. */
int tableResizeStep(table *t, int max_buckets);

/* Runs tableResizeStep in batches for about max_us microseconds (at least one batch) or until
 * no more work can be done. Returns the number of buckets split or merged. */
size_t tableResizeFor(table *t, long max_us);

/* Prepares the table for n entries in all (a bulk load: RDB's RESIZEDB, as Redis's
 * dictExpand): splits buckets now, up to the count n entries call for at the maximum load, and
 * keeps the table from merging below that count until its size reaches it. While few entries
 * are linked a split moves almost nothing, so the load then inserts without splitting chains.
 * The buckets are those the table would have after the load anyway, allocated a segment at a
 * time; growth still asks type->grow_allowed. tableReserve(t, 0) drops the floor (end of the
 * load); tableClear drops it too. */
void tableReserve(table *t, size_t n);

/* 1 if the bucket count differs from the target for the current size (work is pending). */
int tableIsResizing(const table *t);

/* ---- Defragmentation ------------------------------------------------------------------------ */

/* Offers the table's own blocks (struct, directory, head segments) to `move`, which returns a
 * block's new address or NULL to leave it; returns the table's (possibly new) address. Entries
 * are the caller's (tableScan, then tableReplaceEntry). Does nothing while a safe iterator is
 * live, since iterators point at the struct. */
table *tableDefrag(table *t, void *(*move)(void *block));

/* ---- Introspection ------------------------------------------------------------------------- */

/* The table's own memory in bytes (usable sizes): struct, directory and head arrays. Entries
 * are not included. O(1). */
size_t tableOverheadBytes(const table *t);

typedef struct tableInfo {
    size_t size;            /* entries */
    size_t buckets;         /* nb = 2^level + split */
    size_t target_buckets;  /* nb the table is heading for; == buckets when balanced */
    unsigned level;
    size_t split;
    size_t head_capacity;   /* heads allocated (>= buckets) */
    size_t segments;        /* head arrays allocated, including the first */
    size_t dir_capacity;    /* directory slots (1: the directory is inside the struct) */
    size_t chain_bound;     /* upper bound on chain lengths used by random picks */
    uint64_t splits;        /* buckets split since creation */
    uint64_t merges;        /* buckets merged since creation */
    size_t safe_iterators;  /* live safe iterators (resizing is paused while > 0) */
} tableInfo;

void tableGetInfo(const table *t, tableInfo *info);

/* DEBUG HTSTATS text in Redis's layout, NUL-terminated and truncated to bufsize. With full = 0
 * only the size lines. When work is pending, a "Hash table 1 stats (rehashing target):" section
 * gives the target bucket count and the linear-hashing state. O(nb) when full. */
void tableGetStats(const table *t, char *buf, size_t bufsize, int full);

/* Checks invariants I1-I5 (O(size + nb)). Returns 1 if they hold; otherwise prints the first
 * violation to stderr and returns 0. For tests and debugging. */
int tableVerify(const table *t);

#endif
