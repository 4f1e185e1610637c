/* quicklist.h - the list encoding: a doubly linked list of listpack nodes.
 *
 * Each node holds a listpack (src/types/listpack.h, with back-lengths, so both ends are O(1))
 * of at most a bounded size, set by list-max-listpack-size when the list is created:
 *   fill < 0   -1..-5: the node's listpack stays within 4, 8, 16, 32 or 64 KB;
 *   fill > 0   at most `fill` entries (and 8 KB, Redis's safety limit).
 * A node always accepts its first entry, so one element bigger than the limit gets a node of
 * its own.
 *
 * Compression: the nodes more than `depth` nodes away from both ends are kept LZF-compressed
 * (src/types/lzf.h) when that saves at least 8 bytes; see effective_depth() in quicklist.c
 * for the policy when list-compress-depth is 0. A node is decompressed while an iterator works
 * in it and compressed again when the iterator leaves it.
 *
 * Invariants (checked by ql_verify()):
 *  Q1 no node is empty, and count is the sum of the nodes' entry counts;
 *  Q2 prev/next links are consistent, tail->next is NULL and head->prev is the tail;
 *  Q3 the head and tail nodes (and every node within depth of an end) are never compressed, so
 *     ql_peek() and pushes never decompress;
 *  Q4 a node's sz is the byte size of its (decompressed) listpack.
 *
 * Values read from the list (lpValue: a string, or an integer when str is NULL) point into a
 * node and stay valid until the list is modified or the iterator moves to another node. */
#ifndef KEEL_QUICKLIST_H
#define KEEL_QUICKLIST_H

#include <stddef.h>
#include <stdint.h>

#include "types/listpack.h"

#define QL_HEAD 0          /* where: the left end (LPUSH, LPOP) */
#define QL_TAIL 1          /* where: the right end (RPUSH, RPOP) */

#define QL_FORWARD 0       /* iteration from head to tail */
#define QL_BACKWARD 1      /* iteration from tail to head */

typedef struct qlNode qlNode;

/* 16 bytes, kept inside the list's keyspace entry: with a key of up to 14 bytes the entry takes
 * a 48-byte jemalloc class where a 32-byte struct made it 64 (docs/memory.md). The tail is
 * head->prev (the prev links are circular at the head: head->prev is the tail, never NULL
 * while the list has nodes); the number of nodes is not kept (ql_nodes() counts them). */
typedef struct quicklist {
    qlNode *head;
    uint64_t count : 40;   /* elements (2^40: a list of at least 2 TB of listpack) */
    uint64_t fill : 16;    /* list-max-listpack-size at creation + 5 (-5..32767 stored as 0..32772) */
    uint64_t depth : 8;    /* list-compress-depth at creation, clamped to 0..255 */
} quicklist;

/* ---- Lifetime ---------------------------------------------------------------------------- */

/* The struct is the caller's (a list keeps it inside its keyspace entry, keyspace/object.h):
 * these set it up as an empty list, free its nodes, or make it a deep copy of src. Nothing
 * points at the struct (nodes have no link back to it), so it may be moved with memcpy. */
void ql_init(quicklist *ql, int fill, int depth);
void ql_release(quicklist *ql);
void ql_copy(quicklist *dst, const quicklist *src);
/* Bytes allocated for the list's nodes and their (compressed) listpacks. O(nodes). */
size_t ql_memory(const quicklist *ql);

static inline unsigned long ql_count(const quicklist *ql) {
    return (unsigned long)ql->count;
}
/* list-max-listpack-size the list was created with. */
static inline int ql_fill(const quicklist *ql) {
    return (int)ql->fill - 5;
}
/* Number of nodes, counting at most `limit` of them (O(min(nodes, limit))). */
unsigned long ql_nodes(const quicklist *ql, unsigned long limit);

/* DEBUG QUICKLIST-PACKED-THRESHOLD: elements of at least sz bytes get a node of their own
 * (0: the default, 1 GB). Returns 0, changing nothing, above 4 GB - 1 MB. Process-wide. */
int ql_set_packed_threshold(unsigned long long sz);
/* Offers every node and every node's data to `move` (active defrag), which returns a block's
 * new address or NULL to leave it. No iterator may be live. */
void ql_defrag(quicklist *ql, void *(*move)(void *block));
/* The same for at most `count` nodes from node index `from` (0 = the head, reached in O(from)):
 * returns the index to continue from, or 0 once the last node was visited (also when from is
 * past the end: the list shrank since the last call). The active defrag walk calls it with an
 * index kept across event-loop callbacks, so a list that changes in between is walked on from
 * there (some nodes visited twice or not at all). */
unsigned long ql_defrag_range(quicklist *ql, unsigned long from, unsigned long count, void *(*move)(void *block));

/* ---- Ends -------------------------------------------------------------------------------- */

/* Adds an element at the head or tail (stored as an integer when canonical). */
void ql_push(quicklist *ql, int where, const char *s, size_t len);
/* Reads the first (QL_HEAD) or last (QL_TAIL) element. Returns 0 if the list is empty. */
int ql_peek(const quicklist *ql, int where, lpValue *v);

/* ---- Ranges ------------------------------------------------------------------------------ */

/* Deletes n elements starting at index start (0 <= start; the range is clipped to the list). */
void ql_del_range(quicklist *ql, unsigned long start, unsigned long n);

/* ---- Iteration --------------------------------------------------------------------------- */

/* A public struct so that it lives on the stack; its fields are private to quicklist.c.
 * Between ql_iter_at() and ql_iter_release() only the iterator may modify the list. */
typedef struct qlIter {
    quicklist *ql;
    qlNode *node;          /* node the iterator is in (in use), or NULL at the end */
    unsigned char *next;   /* entry the next call returns; NULL: step to the next node */
    unsigned char *cur;    /* entry the last call returned (NULL after a delete) */
    unsigned char *block;  /* node's compressed block, kept while it is only read */
    long start;            /* offset in `node` of the first entry, before the first call */
    int dir;
    int entered;           /* node has been prepared (decompressed) for use */
} qlIter;

/* Starts an iteration at the element at index (negative: from the tail, -1 is the last)
 * going in direction dir. An index outside the list gives an empty iteration. */
void ql_iter_at(qlIter *it, quicklist *ql, long index, int dir);
/* The next element, or 0 at the end. */
int ql_next(qlIter *it, lpValue *v);
/* 1 if the element last returned equals k (a key prepared with lpKeyInit). */
int ql_iter_eq(const qlIter *it, const lpKey *k);
/* Deletes the element last returned; iteration goes on with the one after it. */
void ql_iter_delete(qlIter *it);
/* Replaces the element last returned. The iteration ends (release the iterator). */
void ql_iter_replace(qlIter *it, const char *s, size_t len);
/* Inserts an element before or after the one last returned. The iteration ends. */
void ql_iter_insert(qlIter *it, int after, const char *s, size_t len);
void ql_iter_release(qlIter *it);

/* ---- Introspection ----------------------------------------------------------------------- */

typedef struct qlStats {
    unsigned long nodes;
    unsigned long compressed_nodes;
    size_t raw_bytes;          /* sum of the nodes' listpack sizes, uncompressed */
    size_t stored_bytes;       /* sum of what the nodes hold (compressed blocks when compressed) */
} qlStats;

void ql_stats(const quicklist *ql, qlStats *st);
/* Checks Q1-Q4 and every node's listpack (O(n)). Returns 1 if they hold, else prints the first
 * violation to stderr and returns 0. */
int ql_verify(const quicklist *ql);

#endif
