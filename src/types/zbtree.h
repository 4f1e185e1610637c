/* zbtree.h - the large sorted set encoding's ordered index: an order-statistic B+tree over the
 * members of a sorted set, plus the member element those members are.
 *
 * A large sorted set is two structures sharing one allocation per member (see docs/zset.md):
 *
 *   zelem  [tableLink][double score][len: u8, or 0xFF + u32][member bytes]
 *          linked in a Keel table keyed by the member (member -> score in O(1)), and pointed at
 *          by exactly one leaf slot of the tree.
 *   zbt    a B+tree whose leaves hold (score, zelem *) pairs sorted by (score, member), member
 *          order being memcmp then length (Redis's sdscmp). Inner nodes hold, for each child,
 *          the number of elements below it (rank queries in O(log n)) and a copy of the child's
 *          greatest (score, zelem *) pair (the separator used to descend). Leaves are linked
 *          both ways, so a range is walked without going back to the root.
 *
 * Invariants (checked by zbtVerify):
 *  B1  all leaves are at the same depth; t->height inner levels are above them;
 *  B2  every node has 1..CAP entries, except the root leaf of an empty tree (0 entries);
 *  B3  leaf entries are strictly increasing in (score, member), also across leaf boundaries;
 *      slot scores equal their element's score;
 *  B4  for every inner slot i: count[i] = elements below child[i], and (score[i], elem[i]) is
 *      child[i]'s greatest pair; t->len = sum of the root's counts;
 *  B5  the leaf list (head..tail through next, back through prev) visits every leaf in order.
 * A node has no minimum fill: appends at the right edge (and prepends at the left edge) split
 * a full node unevenly, leaving it full, so that members added in score order pack leaves
 * completely; deletions merge or rebalance a node that falls under a third of its capacity.
 *
 * The caller owns the elements: the tree only stores pointers to them. An element's score must
 * not change while it is in the tree (remove it, change the score, insert it again). */
#ifndef KEEL_ZBTREE_H
#define KEEL_ZBTREE_H

#include <stddef.h>
#include <stdint.h>

#include "keyspace/table.h"

/* ---- Elements ------------------------------------------------------------------------------ */

typedef struct zelem {
    tableLink link;
    double score;
    unsigned char data[];   /* member length (1 byte, or 0xFF and 4 bytes), member bytes */
} zelem;

zelem *zelemNew(const char *member, size_t len, double score);
const char *zelemMember(const zelem *e, size_t *len);
/* Bytes used by the element (not the allocator's size class). */
size_t zelemBytes(const zelem *e);
/* Total order of (score, member) pairs: <0, 0, >0. */
int zelemCompare(double s1, const char *m1, size_t l1, double s2, const char *m2, size_t l2);
/* tableType callbacks: the key is the member; entry_free frees the element. */
const char *zelemTableKey(const void *entry, size_t *len);
void zelemFree(void *entry);

/* ---- Bounds: where a search stops ---------------------------------------------------------- */

/* An element is "at or past" a bound when, in the tree's order, it is not before it. Every
 * search returns the first such element, so a range [min, max] is the ranks between the bound
 * "min" and the bound "past max" (the same value with ex flipped). */
enum { ZBOUND_SCORE, ZBOUND_LEX, ZBOUND_KEY };
typedef struct zbound {
    int kind;
    int ex;             /* exclusive: at-or-past means strictly greater */
    int inf;            /* ZBOUND_LEX: -1 for "-" (everything is past it), +1 for "+" (nothing) */
    double score;       /* ZBOUND_SCORE, ZBOUND_KEY */
    const char *m;      /* ZBOUND_LEX, ZBOUND_KEY */
    size_t mlen;
} zbound;

/* 1 if the element (score, member) is at or past b. ZBOUND_SCORE never reads the member. */
int zboundReached(const zbound *b, double score, const char *m, size_t mlen);

/* ---- The tree ------------------------------------------------------------------------------ */

typedef struct zbtLeaf zbtLeaf;

typedef struct zbt {
    void *root;             /* a zbtLeaf when height == 0, else an inner node */
    zbtLeaf *head, *tail;   /* first and last leaves */
    size_t len;             /* elements */
    size_t leaves, inners;  /* allocated nodes (memory accounting) */
    int height;             /* inner levels above the leaves */
} zbt;

/* A position: a leaf and a slot in it. Invalid (leaf == NULL) past either end. Positions are
 * invalidated by any insertion or removal. */
typedef struct zbtIter {
    zbtLeaf *leaf;
    int pos;
} zbtIter;

void zbtInit(zbt *t);
/* Frees the nodes (not the elements); the tree is left empty and must be zbtInit'ed again. */
void zbtRelease(zbt *t);

/* Inserts e (whose member is not in the tree) at its place. */
void zbtInsert(zbt *t, zelem *e);
/* Removes e, which must be in the tree with its current score. */
void zbtRemove(zbt *t, zelem *e);

/* The rank (0-based) of the first element at or past b, or t->len if none; *it (may be NULL)
 * receives its position. O(log n). */
size_t zbtSeek(const zbt *t, const zbound *b, zbtIter *it);
/* The rank of e, which must be in the tree. */
size_t zbtRank(const zbt *t, const zelem *e);
/* Positions *it at rank (< t->len). Returns 0 if out of range. */
int zbtSeekRank(const zbt *t, size_t rank, zbtIter *it);

int zbtValid(const zbtIter *it);
zelem *zbtElem(const zbtIter *it);
double zbtScore(const zbtIter *it);
void zbtNext(zbtIter *it);
void zbtPrev(zbtIter *it);

/* Active defragmentation (keyspace/defrag.c), one batch: offers to move() the elements of
 * ranks [from, from + count), the leaves holding them and the inner nodes above those leaves;
 * move returns the block's new address (the old one is freed) or NULL if it stays. Every link
 * to a moved node (parent slot or root, leaf neighbours, head, tail) and every slot holding a
 * moved element (leaf slot, separators) is updated; moved(priv, old, new) is called for each
 * moved element so that the caller updates its other index (the member table). Returns the
 * rank to continue from: the walk is complete once it is >= t->len. A rank past the end (the
 * set shrank since the last batch) visits the last leaf. No iterator may be live. */
size_t zbtDefrag(zbt *t, size_t from, size_t count, void *(*move)(void *block),
                 void (*moved)(void *priv, zelem *old, zelem *nw), void *priv);

/* Bytes held by the nodes (the elements are not included). */
size_t zbtNodeBytes(const zbt *t);
/* Checks B1-B5 (O(n)). Returns 1 if they hold; otherwise prints the first violation to stderr. */
int zbtVerify(const zbt *t);

#endif
