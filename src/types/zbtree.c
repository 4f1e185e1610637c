/* zbtree.c - the order-statistic B+tree of sorted set members; see zbtree.h and docs/zset.md.
 *
 * Both node kinds are a count followed by parallel arrays of 8-byte slots (a leaf: score and
 * element; an inner node: subtree count, greatest score, greatest element and child), so the
 * slot moves that splits, merges and rebalancing need are written once, over a descriptor of
 * the node kind's arrays. Sizes are chosen so that both kinds fill a 512-byte size class. */
#include "types/zbtree.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/mem.h"

#define LEAF_CAP 30
#define INNER_CAP 15
#define LEAF_MIN (LEAF_CAP / 3)
#define INNER_MIN (INNER_CAP / 3)

#define EDGE_LEFT 1
#define EDGE_RIGHT 2

/* ---- Elements ------------------------------------------------------------------------------ */

#define LEN_LONG 0xFF   /* length byte meaning "a 4-byte length follows" */

_Static_assert(sizeof(double) == 8 && sizeof(void *) == 8 && sizeof(size_t) == 8, "8-byte slots");

zelem *zelemNew(const char *member, size_t len, double score) {
    size_t hdr = len < LEN_LONG ? 1 : 5;
    zelem *e = kmalloc(sizeof(zelem) + hdr + len);
    e->link.next = NULL;
    e->score = score;
    if (hdr == 1) {
        e->data[0] = (unsigned char)len;
    } else {
        uint32_t l32 = (uint32_t)len;
        e->data[0] = LEN_LONG;
        memcpy(e->data + 1, &l32, 4);
    }
    if (len) memcpy(e->data + hdr, member, len);
    return e;
}

const char *zelemMember(const zelem *e, size_t *len) {
    if (e->data[0] != LEN_LONG) {
        *len = e->data[0];
        return (const char *)e->data + 1;
    }
    uint32_t l32;
    memcpy(&l32, e->data + 1, 4);
    *len = l32;
    return (const char *)e->data + 5;
}

size_t zelemBytes(const zelem *e) {
    size_t len;
    const char *m = zelemMember(e, &len);
    return (size_t)(m - (const char *)e) + len;
}

/* Redis's member order (sdscmp): bytes as unsigned, then the shorter first. */
static int member_compare(const char *m1, size_t l1, const char *m2, size_t l2) {
    int c = memcmp(m1, m2, l1 < l2 ? l1 : l2);
    if (c) return c;
    return (l1 > l2) - (l1 < l2);
}

int zelemCompare(double s1, const char *m1, size_t l1, double s2, const char *m2, size_t l2) {
    if (s1 < s2) return -1;
    if (s1 > s2) return 1;
    return member_compare(m1, l1, m2, l2);
}

const char *zelemTableKey(const void *entry, size_t *len) {
    return zelemMember(entry, len);
}

void zelemFree(void *entry) {
    kfree(entry);
}

/* ---- Bounds -------------------------------------------------------------------------------- */

int zboundReached(const zbound *b, double score, const char *m, size_t mlen) {
    int c;
    if (b->kind == ZBOUND_SCORE) return b->ex ? score > b->score : score >= b->score;
    if (b->kind == ZBOUND_LEX) {
        if (b->inf) return b->inf < 0;
        c = member_compare(m, mlen, b->m, b->mlen);
    } else {
        c = zelemCompare(score, m, mlen, b->score, b->m, b->mlen);
    }
    return b->ex ? c > 0 : c >= 0;
}

static int reached(const zbound *b, double score, const zelem *e) {
    if (b->kind == ZBOUND_SCORE) return zboundReached(b, score, NULL, 0);
    /* A key whose score differs is decided by the slot's copy of the score: the element (a
     * likely cache miss) is read only on a tie. */
    if (b->kind == ZBOUND_KEY && score != b->score) return score > b->score;
    size_t len;
    const char *m = zelemMember(e, &len);
    return zboundReached(b, score, m, len);
}

static zbound key_of(const zelem *e) {
    zbound key = {.kind = ZBOUND_KEY, .ex = 0, .inf = 0, .score = e->score};
    key.m = zelemMember(e, &key.mlen);
    return key;
}

/* ---- Nodes --------------------------------------------------------------------------------- */

typedef struct zbtHdr {
    uint32_t n;         /* slots in use */
    uint32_t spare;
} zbtHdr;

struct zbtLeaf {
    zbtHdr h;
    struct zbtLeaf *prev, *next;
    double score[LEAF_CAP];
    zelem *elem[LEAF_CAP];
};

typedef struct zbtInner {
    zbtHdr h;
    size_t count[INNER_CAP];    /* elements below child[i] */
    double score[INNER_CAP];    /* child[i]'s greatest pair */
    zelem *elem[INNER_CAP];
    void *child[INNER_CAP];
} zbtInner;

/* A node kind: its capacity and the offsets of its slot arrays (all 8-byte slots). */
typedef struct nodeKind {
    int cap, min;
    int narrays;
    size_t off[4];
} nodeKind;

static const nodeKind LEAF = {LEAF_CAP, LEAF_MIN, 2, {offsetof(zbtLeaf, score), offsetof(zbtLeaf, elem)}};
static const nodeKind INNER = {INNER_CAP, INNER_MIN, 4,
                               {offsetof(zbtInner, count), offsetof(zbtInner, score), offsetof(zbtInner, elem),
                                offsetof(zbtInner, child)}};

static const nodeKind *kind_at(int level) {
    return level ? &INNER : &LEAF;
}

static int nslots(const void *node) {
    return (int)((const zbtHdr *)node)->n;
}

static void set_nslots(void *node, int n) {
    ((zbtHdr *)node)->n = (uint32_t)n;
}

static char *slot_at(void *node, const nodeKind *k, int a, int pos) {
    return (char *)node + k->off[a] + (size_t)pos * 8;
}

/* Moves slots [from, n) of node by delta positions (left when negative). */
static void slots_shift(void *node, const nodeKind *k, int from, int delta) {
    int cnt = nslots(node) - from;
    if (cnt <= 0 || delta == 0) return;
    for (int a = 0; a < k->narrays; a++)
        memmove(slot_at(node, k, a, from + delta), slot_at(node, k, a, from), (size_t)cnt * 8);
}

/* Copies cnt slots of src from spos to dst at dpos (counts are the caller's business). */
static void slots_copy(void *dst, int dpos, void *src, int spos, int cnt, const nodeKind *k) {
    if (cnt <= 0) return;
    for (int a = 0; a < k->narrays; a++)
        memcpy(slot_at(dst, k, a, dpos), slot_at(src, k, a, spos), (size_t)cnt * 8);
}

static zbtLeaf *leaf_new(zbt *t) {
    zbtLeaf *l = kmalloc(sizeof(*l));
    l->h.n = l->h.spare = 0;
    l->prev = l->next = NULL;
    t->leaves++;
    return l;
}

static zbtInner *inner_new(zbt *t) {
    zbtInner *in = kmalloc(sizeof(*in));
    in->h.n = in->h.spare = 0;
    t->inners++;
    return in;
}

static void leaf_link_after(zbt *t, zbtLeaf *l, zbtLeaf *r) {
    r->prev = l;
    r->next = l->next;
    if (l->next)
        l->next->prev = r;
    else
        t->tail = r;
    l->next = r;
}

static void leaf_unlink(zbt *t, zbtLeaf *l) {
    if (l->prev)
        l->prev->next = l->next;
    else
        t->head = l->next;
    if (l->next)
        l->next->prev = l->prev;
    else
        t->tail = l->prev;
}

/* Frees a node at `level` that holds no slots any more (or whose slots moved elsewhere). */
static void node_free(zbt *t, void *node, int level) {
    if (level) {
        t->inners--;
    } else {
        leaf_unlink(t, node);
        t->leaves--;
    }
    kfree(node);
}

/* Elements below a node. */
static size_t node_count(const void *node, int level) {
    if (!level) return (size_t)nslots(node);
    const zbtInner *in = node;
    size_t n = 0;
    for (uint32_t i = 0; i < in->h.n; i++) n += in->count[i];
    return n;
}

/* Copies the greatest pair of inner slot i's child (at level `clevel`) into the slot. */
static void inner_set_max(zbtInner *in, int i, int clevel) {
    void *child = in->child[i];
    int last = nslots(child) - 1;
    if (clevel) {
        zbtInner *c = child;
        in->score[i] = c->score[last];
        in->elem[i] = c->elem[last];
    } else {
        zbtLeaf *c = child;
        in->score[i] = c->score[last];
        in->elem[i] = c->elem[last];
    }
}

/* Recomputes inner slot i from its child: count and greatest pair. */
static void inner_refresh(zbtInner *in, int i, int clevel) {
    in->count[i] = node_count(in->child[i], clevel);
    inner_set_max(in, i, clevel);
}

/* First leaf slot at or past b (n if none): binary search, valid since slots are sorted. */
static int leaf_find(const zbtLeaf *l, const zbound *b) {
    int lo = 0, hi = (int)l->h.n;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (reached(b, l->score[mid], l->elem[mid]))
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

/* The child to descend into for b: the first whose greatest pair is at or past b, else the
 * last (then nothing below this node reaches b). */
static int inner_find(const zbtInner *in, const zbound *b) {
    int lo = 0, hi = (int)in->h.n - 1;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (reached(b, in->score[mid], in->elem[mid]))
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

static int child_edge(const zbtInner *in, int i, int edge) {
    int e = 0;
    if ((edge & EDGE_LEFT) && i == 0) e |= EDGE_LEFT;
    if ((edge & EDGE_RIGHT) && i == (int)in->h.n - 1) e |= EDGE_RIGHT;
    return e;
}

/* ---- Insertion ----------------------------------------------------------------------------- */

static void leaf_put(zbtLeaf *l, int pos, double s, zelem *e) {
    slots_shift(l, &LEAF, pos, 1);
    l->score[pos] = s;
    l->elem[pos] = e;
    l->h.n++;
}

static void inner_put(zbtInner *in, int pos, void *child, int clevel) {
    slots_shift(in, &INNER, pos, 1);
    in->child[pos] = child;
    in->h.n++;
    inner_refresh(in, pos, clevel);
}

/* Slots a full node keeps when it splits to take a new slot at pos. A node at the edge of the
 * tree growing outward stays full, so that ordered insertions pack nodes; others split evenly. */
static int split_keep(int n, int pos, int edge) {
    if ((edge & EDGE_RIGHT) && pos == n) return n;
    if ((edge & EDGE_LEFT) && pos <= 1) return pos;
    return n / 2;
}

/* Splits the full node `node` at `level` into node and a new right sibling (returned), so that
 * slot pos can be opened in one of them; *into and *at tell where. */
static void *split(zbt *t, void *node, int level, int pos, int edge, void **into, int *at) {
    const nodeKind *k = kind_at(level);
    void *right;
    if (level) {
        right = inner_new(t);
    } else {
        right = leaf_new(t);
        leaf_link_after(t, node, right);
    }
    int n = nslots(node), keep = split_keep(n, pos, edge);
    slots_copy(right, 0, node, keep, n - keep, k);
    set_nslots(right, n - keep);
    set_nslots(node, keep);
    if (pos <= keep && keep < k->cap) {
        *into = node;
        *at = pos;
    } else {
        *into = right;
        *at = pos - keep;
    }
    return right;
}

/* Inserts e under node; returns the new right sibling if node had to split. */
static void *node_insert(zbt *t, void *node, int level, zelem *e, const zbound *key, int edge) {
    void *into, *right;
    int at;
    if (!level) {
        zbtLeaf *l = node;
        int pos = leaf_find(l, key);
        if (l->h.n < LEAF_CAP) {
            leaf_put(l, pos, e->score, e);
            return NULL;
        }
        right = split(t, l, 0, pos, edge, &into, &at);
        leaf_put(into, at, e->score, e);
        return right;
    }
    zbtInner *in = node;
    int i = inner_find(in, key);
    void *grown = node_insert(t, in->child[i], level - 1, e, key, child_edge(in, i, edge));
    if (!grown) {
        in->count[i]++;
        inner_set_max(in, i, level - 1);   /* e may be the child's new greatest pair */
        return NULL;
    }
    inner_refresh(in, i, level - 1);
    if (in->h.n < INNER_CAP) {
        inner_put(in, i + 1, grown, level - 1);
        return NULL;
    }
    right = split(t, in, level, i + 1, edge, &into, &at);
    inner_put(into, at, grown, level - 1);
    return right;
}

void zbtInsert(zbt *t, zelem *e) {
    zbound key = key_of(e);
    void *right = node_insert(t, t->root, t->height, e, &key, EDGE_LEFT | EDGE_RIGHT);
    t->len++;
    if (!right) return;
    zbtInner *root = inner_new(t);
    inner_put(root, 0, t->root, t->height);
    inner_put(root, 1, right, t->height);
    t->root = root;
    t->height++;
}

/* ---- Removal ------------------------------------------------------------------------------- */

/* Child slots a and a+1 of in (at level clevel) are merged if they fit in one node, otherwise
 * their slots are shared out evenly. */
static void rebalance_pair(zbt *t, zbtInner *in, int a, int clevel) {
    const nodeKind *k = kind_at(clevel);
    void *left = in->child[a], *right = in->child[a + 1];
    int nl = nslots(left), nr = nslots(right);
    if (nl + nr <= k->cap) {
        slots_copy(left, nl, right, 0, nr, k);
        set_nslots(left, nl + nr);
        node_free(t, right, clevel);
        slots_shift(in, &INNER, a + 2, -1);
        in->h.n--;
        inner_refresh(in, a, clevel);
        return;
    }
    int target = (nl + nr) / 2;     /* slots the left node ends with */
    if (nl > target) {
        int m = nl - target;
        slots_shift(right, k, 0, m);
        slots_copy(right, 0, left, target, m, k);
    } else {
        int m = target - nl;
        slots_copy(left, nl, right, 0, m, k);
        slots_shift(right, k, m, -m);
    }
    set_nslots(left, target);
    set_nslots(right, nl + nr - target);
    inner_refresh(in, a, clevel);
    inner_refresh(in, a + 1, clevel);
}

static void node_remove(zbt *t, void *node, int level, const zbound *key, const zelem *e) {
    if (!level) {
        zbtLeaf *l = node;
        int pos = leaf_find(l, key);
        if (pos >= (int)l->h.n || l->elem[pos] != e) {
            fprintf(stderr, "BUG: zbtRemove of an element not in the tree\n");
            abort();
        }
        slots_shift(l, &LEAF, pos + 1, -1);
        l->h.n--;
        return;
    }
    zbtInner *in = node;
    int i = inner_find(in, key);
    void *child = in->child[i];
    node_remove(t, child, level - 1, key, e);
    in->count[i]--;
    int cn = nslots(child);
    if (cn == 0) {
        node_free(t, child, level - 1);
        slots_shift(in, &INNER, i + 1, -1);
        in->h.n--;
        return;
    }
    inner_set_max(in, i, level - 1);
    if (cn < kind_at(level - 1)->min && in->h.n > 1) rebalance_pair(t, in, i + 1 < (int)in->h.n ? i : i - 1, level - 1);
}

void zbtRemove(zbt *t, zelem *e) {
    zbound key = key_of(e);
    node_remove(t, t->root, t->height, &key, e);
    t->len--;
    /* An inner root left with one child gives way to it (none: the tree is empty again). */
    while (t->height > 0 && nslots(t->root) <= 1) {
        zbtInner *root = t->root;
        t->root = root->h.n ? root->child[0] : NULL;
        t->inners--;
        kfree(root);
        t->height--;
        if (!t->root) {
            t->height = 0;
            t->root = t->head = t->tail = leaf_new(t);
        }
    }
}

/* ---- Lifetime ------------------------------------------------------------------------------ */

void zbtInit(zbt *t) {
    t->leaves = t->inners = 0;
    t->len = 0;
    t->height = 0;
    zbtLeaf *l = leaf_new(t);
    t->root = t->head = t->tail = l;
}

static void free_subtree(zbt *t, void *node, int level) {
    if (level) {
        zbtInner *in = node;
        for (uint32_t i = 0; i < in->h.n; i++) free_subtree(t, in->child[i], level - 1);
    }
    kfree(node);
}

void zbtRelease(zbt *t) {
    free_subtree(t, t->root, t->height);
    t->root = t->head = t->tail = NULL;
    t->len = t->leaves = t->inners = 0;
}

/* ---- Searching and walking ----------------------------------------------------------------- */

size_t zbtSeek(const zbt *t, const zbound *b, zbtIter *it) {
    size_t rank = 0;
    const void *node = t->root;
    for (int level = t->height; level > 0; level--) {
        const zbtInner *in = node;
        int i = inner_find(in, b);
        for (int j = 0; j < i; j++) rank += in->count[j];
        node = in->child[i];
    }
    const zbtLeaf *l = node;
    int pos = leaf_find(l, b);
    if (it) {
        it->leaf = (zbtLeaf *)l;
        it->pos = pos;
        if (pos == (int)l->h.n) {
            it->leaf = l->next;   /* NULL: see inner_find, nothing reaches b */
            it->pos = 0;
        }
    }
    return rank + (size_t)pos;
}

size_t zbtRank(const zbt *t, const zelem *e) {
    zbound key = key_of(e);
    return zbtSeek(t, &key, NULL);
}

int zbtSeekRank(const zbt *t, size_t rank, zbtIter *it) {
    it->leaf = NULL;
    it->pos = 0;
    if (rank >= t->len) return 0;
    if (rank == t->len - 1) {   /* ZPOPMAX, ZREVRANGE 0 ...: straight to the tail */
        it->leaf = t->tail;
        it->pos = (int)t->tail->h.n - 1;
        return 1;
    }
    const void *node = t->root;
    for (int level = t->height; level > 0; level--) {
        const zbtInner *in = node;
        int i = 0;
        while (rank >= in->count[i]) rank -= in->count[i++];
        node = in->child[i];
    }
    it->leaf = (zbtLeaf *)node;
    it->pos = (int)rank;
    return 1;
}

int zbtValid(const zbtIter *it) {
    return it->leaf != NULL;
}

zelem *zbtElem(const zbtIter *it) {
    return it->leaf->elem[it->pos];
}

double zbtScore(const zbtIter *it) {
    return it->leaf->score[it->pos];
}

void zbtNext(zbtIter *it) {
    if (++it->pos >= (int)it->leaf->h.n) {
        it->leaf = it->leaf->next;
        it->pos = 0;
    }
}

void zbtPrev(zbtIter *it) {
    if (--it->pos < 0) {
        it->leaf = it->leaf->prev;
        it->pos = it->leaf ? (int)it->leaf->h.n - 1 : 0;
    }
}

/* ---- Defragmentation ----------------------------------------------------------------------- */

typedef struct defragState {
    zbt *t;
    size_t lo, hi;                  /* ranks whose leaves are visited */
    void *(*move)(void *block);
    void (*moved)(void *priv, zelem *old, zelem *nw);
    void *priv;
} defragState;

/* Visits node (at `level`, whose first element has rank `base`): its children overlapping
 * [lo, hi), then the node itself. Returns where the node now is; the caller stores it in the
 * parent's slot (or the root). A leaf's elements in the range move first, then the leaf, whose
 * neighbours (or the tree's head/tail) are re-linked to its new place. An inner node's
 * separators are copied again from its visited children, so none keeps a moved element. */
static void *defrag_node(defragState *d, void *node, int level, size_t base) {
    if (!level) {
        zbtLeaf *l = node;
        int from = d->lo > base ? (int)(d->lo - base) : 0;
        int to = d->hi - base < l->h.n ? (int)(d->hi - base) : (int)l->h.n;
        for (int i = from; i < to; i++) {
            zelem *e = l->elem[i], *n = d->move(e);
            if (n) {
                l->elem[i] = n;
                d->moved(d->priv, e, n);
            }
        }
        zbtLeaf *m = d->move(l);
        if (!m) return l;
        if (m->prev)
            m->prev->next = m;
        else
            d->t->head = m;
        if (m->next)
            m->next->prev = m;
        else
            d->t->tail = m;
        return m;
    }
    zbtInner *in = node;
    size_t b = base;
    for (uint32_t i = 0; i < in->h.n && b < d->hi; i++) {
        size_t c = in->count[i];
        if (b + c > d->lo) {
            in->child[i] = defrag_node(d, in->child[i], level - 1, b);
            inner_set_max(in, (int)i, level - 1);
        }
        b += c;
    }
    zbtInner *m = d->move(in);
    return m ? m : in;
}

size_t zbtDefrag(zbt *t, size_t from, size_t count, void *(*move)(void *block),
                 void (*moved)(void *priv, zelem *old, zelem *nw), void *priv) {
    if (from >= t->len) from = t->len ? t->len - 1 : 0;   /* the set shrank: visit its last leaf */
    defragState d = {t, from, from + (count ? count : 1), move, moved, priv};
    t->root = defrag_node(&d, t->root, t->height, 0);
    return d.hi;
}

/* ---- Introspection ------------------------------------------------------------------------- */

size_t zbtNodeBytes(const zbt *t) {
    return t->leaves * kmalloc_size(t->head) + t->inners * (t->height ? kmalloc_size(t->root) : 0);
}

typedef struct verifyState {
    const zbt *t;
    const zbtLeaf *expect_leaf;     /* the next leaf of the list, in tree order */
    const zbtLeaf *prev_leaf;
    double last_score;
    const zelem *last;
    size_t leaves, inners;
    int ok;
} verifyState;

static void vfail(verifyState *v, const char *what) {
    if (v->ok) fprintf(stderr, "zbtVerify: %s\n", what);
    v->ok = 0;
}

static void verify_leaf(verifyState *v, const zbtLeaf *l) {
    v->leaves++;
    if (l != v->expect_leaf) vfail(v, "leaf list out of tree order (B5)");
    if (l->prev != v->prev_leaf) vfail(v, "leaf prev link wrong (B5)");
    v->prev_leaf = l;
    v->expect_leaf = l->next;
    for (uint32_t i = 0; i < l->h.n; i++) {
        const zelem *e = l->elem[i];
        if (l->score[i] != e->score) vfail(v, "slot score differs (B3)");
        if (v->last) {
            size_t l1, l2;
            const char *m1 = zelemMember(v->last, &l1), *m2 = zelemMember(e, &l2);
            if (zelemCompare(v->last_score, m1, l1, l->score[i], m2, l2) >= 0) vfail(v, "order violated (B3)");
        }
        v->last = e;
        v->last_score = l->score[i];
    }
}

/* Returns the number of elements below node; checks its greatest pair against the parent's. */
static size_t verify_node(verifyState *v, const void *node, int level, int is_root) {
    int n = nslots(node);
    if (n > kind_at(level)->cap || (n == 0 && !(is_root && level == 0))) vfail(v, "node size out of bounds (B2)");
    if (!level) {
        verify_leaf(v, node);
        return (size_t)n;
    }
    v->inners++;
    const zbtInner *in = node;
    size_t total = 0;
    for (int i = 0; i < n; i++) {
        size_t c = verify_node(v, in->child[i], level - 1, 0);
        if (c != in->count[i]) vfail(v, "subtree count wrong (B4)");
        if (v->last != in->elem[i] || v->last_score != in->score[i]) vfail(v, "separator is not the child's max (B4)");
        total += c;
    }
    return total;
}

int zbtVerify(const zbt *t) {
    verifyState v = {t, t->head, NULL, 0, NULL, 0, 0, 1};
    size_t total = verify_node(&v, t->root, t->height, 1);
    if (total != t->len) vfail(&v, "length differs from the elements (B4)");
    if (v.expect_leaf != NULL || v.prev_leaf != t->tail) vfail(&v, "leaf list does not end at the tail (B5)");
    if (v.leaves != t->leaves || v.inners != t->inners) vfail(&v, "node counters wrong");
    return v.ok;
}
