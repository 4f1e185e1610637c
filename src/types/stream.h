/* stream.h - the stream type's storage: entries, consumer groups and pending entries lists.
 *
 * A stream (OBJ_STREAM, ENC_STREAM; obj_ptr = stream) keeps its entries in nodes: each node is
 * ONE allocation holding a packed run of entries with increasing IDs, and the stream keeps its
 * nodes in an idMap keyed by the ID of each node's first entry. Node layout:
 *
 *   streamNode header | master: [varint nfields][field]...  | entry | entry | ...
 *   entry:  [flags][varint ms delta][varint seq][values...]
 *     flags:  STREAM_F_DELETED (a tombstone: XDEL/XTRIM only set this bit, in place),
 *             STREAM_F_SAMEFIELDS (the entry has exactly the master fields, so only values
 *             follow; otherwise [varint nfields][field][value]... follow)
 *     ms delta = ms - first.ms; seq = seq - first.seq when the delta is 0, else seq itself
 *   strings: [varint len << 1][bytes], or a canonical integer below 2^62 in magnitude as the
 *            single varint zigzag(v) << 1 | 1 (it reads back as the same bytes).
 *   Varints are LEB128 (7 bits a byte, low group first).
 *
 * The master fields are the fields of the node's first entry. A node is closed (a new one
 * starts) when it holds stream-node-max-entries entries, tombstones included, or when adding
 * the entry's fields and values would reach stream-node-max-bytes, as Redis decides for its
 * listpacks; approximate trimming (~) removes whole nodes only, so trimmed counts match Redis.
 *
 * Invariants: length = live entries of all nodes; every node has count >= 1 entries of which
 * `live` are not tombstones (a node whose last live entry is XDELeted is removed; exact
 * trimming may leave a node of tombstones, as Redis does); IDs increase across the stream and
 * are <= last_id; first_id is the first live entry's ID (0-0 when empty).
 *
 * Consumer groups are kept sorted by name (XINFO GROUPS order); each has its consumers sorted by
 * name and a PEL (an idMap of streamNACK by ID); each consumer has its own idMap over the same
 * NACKs (a NACK is in exactly its owner's map and in its group's map). */
#ifndef KEEL_STREAM_H
#define KEEL_STREAM_H

#include <stddef.h>
#include <stdint.h>

typedef struct streamID {
    uint64_t ms, seq;
} streamID;

int stream_id_cmp(const streamID *a, const streamID *b);
/* Next/previous ID; 0 when it would wrap (the ID is the largest/smallest). */
int stream_id_incr(streamID *id);
int stream_id_decr(streamID *id);
/* "ms-seq" into buf (>= STREAM_ID_BUF bytes); returns the length. */
#define STREAM_ID_BUF 44
int stream_id_format(char *buf, const streamID *id);

/* ---- idMap: (ID -> pointer) sorted by ID ---------------------------------------------------
 * A sorted array with a gap at the front, so appending and removing the first element (the
 * common cases: new entries, acknowledging the oldest) are O(1); other inserts/removals move
 * the elements after them. */
typedef struct idEntry {
    streamID id;
    void *ptr;
} idEntry;

typedef struct idMap {
    idEntry *a;
    size_t head, len, cap;   /* elements are a[head .. head+len) */
} idMap;

static inline idEntry *idmap_at(const idMap *m, size_t i) {
    return &m->a[m->head + i];
}
size_t idmap_lower_bound(const idMap *m, const streamID *id);   /* first index with ID >= id */
void *idmap_find(const idMap *m, const streamID *id);           /* exact match or NULL */
void idmap_insert(idMap *m, const streamID *id, void *ptr);     /* id must be absent */
void idmap_remove_at(idMap *m, size_t i);
int idmap_remove(idMap *m, const streamID *id);                 /* 1 if it was present */
void idmap_free(idMap *m);
size_t idmap_memory(const idMap *m);

/* ---- Streams -------------------------------------------------------------------------------- */

#define STREAM_F_DELETED 1
#define STREAM_F_SAMEFIELDS 2

typedef struct streamNode {
    uint32_t count;          /* entries, tombstones included */
    uint32_t live;
    uint32_t bytes;          /* of data[] */
    uint32_t entries_off;    /* where the first entry starts in data[] (after the master) */
    uint32_t last_off;       /* where the last entry starts */
    streamID last;           /* ID of the last entry (live or not) */
    unsigned char data[];
} streamNode;

typedef struct streamConsumer {
    char *name;
    size_t namelen;
    long long seen_time;     /* ms of the last read or claim */
    idMap pel;               /* streamNACK * of this consumer */
} streamConsumer;

typedef struct streamNACK {
    streamID id;
    long long delivery_time;
    uint64_t delivery_count;
    streamConsumer *consumer;
} streamNACK;

#define STREAM_ENTRIES_READ_UNKNOWN (-1LL)

typedef struct streamCG {
    char *name;
    size_t namelen;
    streamID last_id;
    long long entries_read;  /* logical read counter, or STREAM_ENTRIES_READ_UNKNOWN */
    idMap pel;               /* streamNACK * */
    streamConsumer **consumers;   /* sorted by name */
    size_t nconsumers;
} streamCG;

typedef struct stream {
    idMap nodes;             /* streamNode * by first ID */
    uint64_t length;
    streamID last_id, first_id, max_deleted_id;
    uint64_t entries_added;
    streamCG **groups;       /* sorted by name */
    size_t ngroups;
    /* Seek hint (a cache, no state): when hint_off != 0, a forward scan from any ID >= hint_lo
     * whose start falls in node hint_ni may begin at offset hint_off of that node (every entry
     * before it has a smaller ID or is a tombstone). Set by forward iterations at their first
     * live entry, so that reading on from where the last read stopped (XREADGROUP >, XREAD,
     * XRANGE pagination) does not decode the node from its start; cleared when a node is
     * removed (node indexes shift). Offsets never move: entries are only appended, and
     * deletion only sets a flag. */
    uint32_t hint_ni, hint_off;
    streamID hint_lo;
} stream;

stream *stream_new(void);
void stream_free(stream *s);
stream *stream_dup(const stream *s);
size_t stream_memory(const stream *s);

/* Appends an entry with fields/values argv-style (pairs ptr/len, 2*nfields strings); the ID
 * must be greater than last_id (the caller checks). node_max_bytes / node_max_entries are the
 * configured limits (0 = unlimited). */
#define STREAM_STR_BUF 24   /* room for a formatted long long */
typedef struct streamStr {
    const char *ptr;
    size_t len;
} streamStr;
void stream_append(stream *s, const streamID *id, const streamStr *fv, size_t nfields, long long node_max_bytes,
                   long long node_max_entries);

/* Iteration over live entries in [start, end], forwards or backwards. */
typedef struct streamIter {
    stream *s;
    streamID start, end;
    int rev;
    size_t ni;                 /* node index */
    streamNode *node;
    streamID first;            /* the node's first ID */
    size_t pos;                /* forward: offset of the next entry */
    uint32_t *offs;            /* backward: entry offsets of the node */
    size_t noffs;
    /* current entry */
    streamID id;
    size_t entry_off;
    size_t nfields;
    const unsigned char *fp;   /* next field/value bytes */
    const unsigned char *mp;   /* next master field (SAMEFIELDS entries) */
    char fbuf[STREAM_STR_BUF], vbuf[STREAM_STR_BUF];   /* integers formatted for the caller */
    int same;
    int done;
    int hinted;                /* forward: the stream's seek hint was set from this iteration */
} streamIter;

void stream_iter_start(streamIter *it, stream *s, const streamID *start, const streamID *end, int rev);
/* 1 and the entry in it->id / it->nfields, or 0 at the end. */
int stream_iter_next(streamIter *it);
/* The current entry's next field and value (call it->nfields times); the bytes are valid
 * until the next call. */
void stream_iter_field(streamIter *it, streamStr *f, streamStr *v);
/* Marks the current entry deleted (a tombstone); removes its node if no live entry is left,
 * after which the iterator must be stopped. Updates length, not first_id. */
void stream_iter_delete(streamIter *it);
void stream_iter_stop(streamIter *it);
/* Live entries in [start, end], counting up to limit. */
size_t stream_range_count(stream *s, const streamID *start, const streamID *end, int rev, size_t limit);

/* Deletes the entry with this ID: 1 if it existed. Updates length, first_id, max_deleted_id. */
int stream_delete(stream *s, const streamID *id);
int stream_entry_exists(stream *s, const streamID *id);
/* The first (first != 0) or last live entry's ID. Without live entries, as Redis's
 * streamGetEdgeID: UINT64_MAX-UINT64_MAX for the first, 0-0 for the last. */
void stream_edge_id(stream *s, int first, streamID *id);

/* Trimming, as Redis's streamTrim: maxlen >= 0 trims to that length, otherwise entries below
 * minid go; approx removes whole nodes only; limit (0 = none) caps the entries removed.
 * Returns the number of entries removed. */
long long stream_trim(stream *s, long long maxlen, const streamID *minid, int approx, long long limit);

/* ---- The RDB form (persist/rdb.c) -------------------------------------------------------------
 * Writing: stream_iter_node starts an iterator on node i (0 <= i < stream_node_count) and gives
 * its master ID (the node's key) and master field count; it->node->count / ->live are its
 * entries with and without tombstones. stream_iter_master_field then reads the master fields in
 * order (nfields calls), and stream_iter_next_raw every entry of the node, tombstones included,
 * with its STREAM_F_* flags (fields and values with stream_iter_field; stop with
 * stream_iter_stop).
 * Loading: stream_load_node adds a node keyed master with these master fields, then
 * stream_load_entry appends entries to it (fv in pairs as for stream_append; with
 * STREAM_F_SAMEFIELDS only the values are kept, and nfields must be the master's count). The
 * caller keeps the invariants: every node gets >= 1 entry, master <= its first entry, IDs
 * strictly increase across the stream, flags hold only STREAM_F_* bits. Loading counts length;
 * last_id, first_id, max_deleted_id and entries_added are the caller's. */
size_t stream_node_count(const stream *s);
void stream_iter_node(streamIter *it, stream *s, size_t i, streamID *master, size_t *nfields);
void stream_iter_master_field(streamIter *it, streamStr *f);
int stream_iter_next_raw(streamIter *it, int *flags);
void stream_load_node(stream *s, const streamID *master, const streamStr *fields, size_t nfields);
void stream_load_entry(stream *s, const streamID *id, int flags, const streamStr *fv, size_t nfields);

/* ---- Consumer groups ------------------------------------------------------------------------ */

streamCG *stream_group_find(const stream *s, const char *name, size_t len);
/* NULL if a group of that name exists. */
streamCG *stream_group_create(stream *s, const char *name, size_t len, const streamID *id, long long entries_read);
void stream_group_destroy(stream *s, streamCG *cg);
streamConsumer *stream_consumer_find(const streamCG *cg, const char *name, size_t len);
/* Creates the consumer (seen_time = now); NULL if it exists. */
streamConsumer *stream_consumer_create(streamCG *cg, const char *name, size_t len, long long now);
/* Deletes the consumer and its pending entries; returns how many were pending. */
size_t stream_consumer_delete(streamCG *cg, streamConsumer *sc);

streamNACK *stream_nack_new(streamConsumer *sc, const streamID *id, long long now);
/* Removes a NACK from its consumer and group and frees it. */
void stream_nack_delete(streamCG *cg, streamNACK *nack);
/* Moves a NACK to another consumer. */
void stream_nack_move(streamNACK *nack, streamConsumer *to);

/* Redis's lag bookkeeping (7.0): the logical position of id counted from the first entry ever
 * added, or STREAM_ENTRIES_READ_UNKNOWN. */
long long stream_estimate_distance(stream *s, const streamID *id);
int stream_range_has_tombstones(stream *s, const streamID *start);

/* ---- Active defragmentation (keyspace/defrag.c) ----------------------------------------------
 * stream_defrag offers the stream's blocks to move (which returns a block's new address, the
 * old one freed, or NULL if it stays) and re-links every pointer to a moved one, in batches of
 * about `budget` blocks: first the struct with its node map and group array, then the nodes,
 * then per group its struct, name, PEL array and consumer array, its consumers (name, PEL
 * array, struct) and its NACKs (each in the group's PEL and its consumer's). Returns the
 * stream's (possibly new) address; c->phase is 3 when the walk is complete. The cursor holds
 * only indexes, so the stream may change between calls (a zeroed cursor starts a walk). A
 * consumer with more than STREAM_DEFRAG_PEL_MAX pending entries keeps its struct (moving it
 * rewrites every one of its NACKs). stream_defrag_size: the number of such steps, roughly. */
#define STREAM_DEFRAG_PEL_MAX 1024
typedef struct streamDefragCursor {
    int phase;   /* 0 not begun, 1 nodes, 2 groups, 3 done */
    size_t i, j;
} streamDefragCursor;
stream *stream_defrag(stream *s, streamDefragCursor *c, size_t budget, void *(*move)(void *block));
size_t stream_defrag_size(const stream *s);

/* ---- The keyspace's hooks (t_stream.c) -------------------------------------------------------- */

struct kobj;
void stream_free_payload(struct kobj *o);
void *stream_dup_payload(const struct kobj *o);
size_t stream_payload_memory(const struct kobj *o);
size_t stream_free_effort(const struct kobj *o);   /* lazyfree.c: allocations to free, roughly */

#endif
