/* defrag.c - the active defragmentation walk; see defrag.h and docs/defrag.md.
 *
 * A pass visits the databases in order. Per database: first its table's own blocks and its TTL
 * array, then its keys through the table's stateless scan (so keys added, deleted or moved
 * between steps, resizes and SWAPDB never break it: at worst a key is visited twice or, if
 * added meanwhile, not at all). Per key: its value's blocks, then the entry itself, swapped in
 * the table and the TTL index by db_replace(). A value bigger than max_scan_fields (a hash or
 * set table, a skiplist sorted set, a list, a stream) is queued by name and walked in batches
 * by later steps, each looking the key up again and resuming from a cursor of numbers (scan
 * cursor, rank, node index, stream position), never a pointer. */
#include "keyspace/defrag.h"

#include <string.h>

#include "keyspace/db.h"
#include "keyspace/object.h"
#include "types/quicklist.h"
#include "types/stream.h"
#include "types/t_zset.h"
#include "util/kstr.h"
#include "util/mem.h"
#include "util/util.h"

#define KEY_BATCH 16        /* keys per scan call, between clock reads */
#define FIELD_BATCH 64      /* elements of a big value per scan call */
#define LIST_BATCH 256      /* a big list's nodes per call (each call seeks its start node) */

defragStats defrag_stats;

typedef struct bigValue {
    int db;
    int encoding;           /* what was queued: a key now holding another encoding is dropped */
    kstr *key;
} bigValue;

static struct {
    int db;                 /* database being walked */
    uint64_t cursor;        /* its scan cursor; 0 with !db_started: not begun */
    int db_started;         /* its table and TTL array were offered this pass */
    bigValue *big;          /* queue of big values to walk (key names, never pointers) */
    size_t nbig, capbig;
    uint64_t big_cursor;    /* big[0]'s cursor: a table's scan cursor, or a sorted set's rank */
    streamDefragCursor big_stream;   /* big[0]'s cursor when it is a stream */
} walk;

/* One scan call's entries: keys, and elements of a value (moving a key's value scans it). */
typedef struct found {
    void **e;
    size_t n, cap;
} found;
static found found_keys, found_fields;

static int moved_now;       /* allocations moved for the key being walked */

static void *move(void *block) {
    void *n = kdefrag(block);
    if (n) {
        defrag_stats.hits++;
        moved_now++;
    } else {
        defrag_stats.misses++;
    }
    return n;
}

static void collect(void *privdata, void *entry) {
    found *f = privdata;
    if (f->n == f->cap) {
        f->cap = f->cap ? f->cap * 2 : 64;
        f->e = krealloc(f->e, f->cap * sizeof(void *));
    }
    f->e[f->n++] = entry;
}

/* One scan call over a value's table, moving the entries it emits. */
static uint64_t move_table_entries(table *t, uint64_t cursor, size_t count) {
    found_fields.n = 0;
    cursor = tableScan(t, cursor, count, collect, &found_fields);
    for (size_t i = 0; i < found_fields.n; i++) {
        void *n = move(found_fields.e[i]);
        if (n) tableReplaceEntry(t, found_fields.e[i], n);
    }
    return cursor;
}

static void queue_big(int db, const kobj *o) {
    if (walk.nbig == walk.capbig) {
        walk.capbig = walk.capbig ? walk.capbig * 2 : 8;
        walk.big = krealloc(walk.big, walk.capbig * sizeof(bigValue));
    }
    walk.big[walk.nbig].db = db;
    walk.big[walk.nbig].encoding = o->encoding;
    walk.big[walk.nbig].key = kstr_new(obj_key(o), obj_keylen(o));
    walk.nbig++;
}

static void drop_big(void) {
    kstr_free(walk.big[0].key);
    memmove(walk.big, walk.big + 1, (walk.nbig - 1) * sizeof(bigValue));
    walk.nbig--;
    walk.big_cursor = 0;
    memset(&walk.big_stream, 0, sizeof(walk.big_stream));
}

/* Offers o's value blocks; a hash or set table, a sorted set's skiplist, a list or a stream
 * larger than max_fields (elements; a list's nodes; a stream's nodes, consumers and pending
 * entries) is queued instead. */
static void move_value(kdb *db, kobj *o, long long max_fields) {
    void *p, *n = NULL;
    switch (o->encoding) {
    case ENC_RAW:
    case ENC_LISTPACK:
    case ENC_INTSET:
        n = move(obj_ptr(o));
        break;
    case ENC_QUICKLIST:   /* the struct is inside the entry, which moves below */
        if ((long long)ql_nodes(obj_ptr(o), (unsigned long)max_fields + 1) > max_fields) {
            queue_big(db->id, o);
            return;
        }
        ql_defrag(obj_ptr(o), move);
        break;
    case ENC_HT:
        p = obj_ptr(o);
        if ((long long)tableSize(p) > max_fields) {
            queue_big(db->id, o);
            return;
        }
        uint64_t cursor = 0;
        do cursor = move_table_entries(p, cursor, FIELD_BATCH); while (cursor != 0);
        n = tableDefrag(p, move);
        if (n == p) n = NULL;
        break;
    case ENC_SKIPLIST:   /* struct, member table, tree nodes and members */
        if ((long long)zset_length(o) > max_fields) {
            queue_big(db->id, o);
            return;
        }
        zset_defrag_big(o, 0, zset_length(o), move);
        break;
    case ENC_STREAM:
        p = obj_ptr(o);
        if ((long long)stream_defrag_size(p) > max_fields) {
            queue_big(db->id, o);
            return;
        }
        streamDefragCursor sc = {0};
        n = stream_defrag(p, &sc, SIZE_MAX, move);
        if (n == p) n = NULL;
        break;
    default:   /* ENC_EMBSTR, ENC_INT: inside the entry */
        break;
    }
    if (n) obj_set_ptr(o, n);
}

static void move_key(kdb *db, kobj *o, long long max_fields) {
    moved_now = 0;
    move_value(db, o, max_fields);
    kobj *n = move(o);
    if (n) db_replace(db, o, n);
    if (moved_now)
        defrag_stats.key_hits++;
    else
        defrag_stats.key_misses++;
}

/* Walks big[0] until its scan ends or the deadline; returns 1 if the deadline came first. */
static int walk_big(uint64_t deadline) {
    bigValue *b = &walk.big[0];
    kdb *db = db_by_id(b->db);
    kobj *o = db && db->keys ? tableFind(db->keys, b->key->buf, b->key->len) : NULL;
    if (!o || o->encoding != b->encoding) {   /* deleted or replaced since it was queued */
        drop_big();
        return 0;
    }
    if (o->encoding == ENC_SKIPLIST) {   /* by rank: a changed set is walked on from there */
        do {
            walk.big_cursor = zset_defrag_big(o, walk.big_cursor, FIELD_BATCH, move);
            if (walk.big_cursor >= zset_length(o)) {
                drop_big();
                return 0;
            }
        } while (monotonic_us() < deadline);
        return 1;
    }
    if (o->encoding == ENC_QUICKLIST) {   /* by node index */
        do {
            walk.big_cursor = ql_defrag_range(obj_ptr(o), walk.big_cursor, LIST_BATCH, move);
            if (walk.big_cursor == 0) {
                drop_big();
                return 0;
            }
        } while (monotonic_us() < deadline);
        return 1;
    }
    if (o->encoding == ENC_STREAM) {
        do {
            stream *s = obj_ptr(o), *n = stream_defrag(s, &walk.big_stream, FIELD_BATCH, move);
            if (n != s) obj_set_ptr(o, n);
            if (walk.big_stream.phase == 3) {
                drop_big();
                return 0;
            }
        } while (monotonic_us() < deadline);
        return 1;
    }
    table *t = obj_ptr(o);
    if (walk.big_cursor == 0) {
        table *n = tableDefrag(t, move);
        if (n != t) obj_set_ptr(o, t = n);
    }
    do {
        walk.big_cursor = move_table_entries(t, walk.big_cursor, FIELD_BATCH);
        if (walk.big_cursor == 0) {
            drop_big();
            return 0;
        }
    } while (monotonic_us() < deadline);
    return 1;
}

/* Starts the current database: its table's blocks and TTL array. */
static void start_db(kdb *db) {
    if (db->keys) db->keys = tableDefrag(db->keys, move);
    uint32_t *hashes = move(db->ttl.hashes);
    if (hashes) db->ttl.hashes = hashes;
    walk.db_started = 1;
}

int defrag_step(long max_us, long long max_scan_fields) {
    uint64_t deadline = monotonic_us() + (uint64_t)(max_us > 0 ? max_us : 0);
    do {
        if (walk.nbig) {
            if (walk_big(deadline)) return 0;
            continue;
        }
        if (walk.db >= db_count()) {
            defrag_restart();
            return 1;
        }
        kdb *db = db_by_id(walk.db);
        if (!walk.db_started) start_db(db);
        if (db->keys) {
            found_keys.n = 0;
            walk.cursor = tableScan(db->keys, walk.cursor, KEY_BATCH, collect, &found_keys);
            for (size_t i = 0; i < found_keys.n; i++) move_key(db, found_keys.e[i], max_scan_fields);
        }
        if (!db->keys || walk.cursor == 0) {
            walk.db++;
            walk.cursor = 0;
            walk.db_started = 0;
        }
    } while (monotonic_us() < deadline);
    return 0;
}

void defrag_restart(void) {
    while (walk.nbig) drop_big();
    walk.db = 0;
    walk.cursor = 0;
    walk.db_started = 0;
}
