/* quicklist.c - lists as linked listpack nodes; see quicklist.h for the layout and invariants.
 *
 * Compression bookkeeping: a node is either raw (data = listpack) or compressed (data = a block
 * [u32 compressed size][LZF bytes], sz still the listpack size). use() makes a node raw for an
 * iterator and marks it in_use; unuse() compresses it again unless it lies within the
 * uncompressed zone at the ends. A node that was only read gets its old compressed block back
 * (the iterator keeps it meanwhile), so reads cost one decompression and no compression. settle() re-establishes Q3 after the set of nodes changed at an
 * end: nodes in the zone are made raw and the first node past the zone on each side is
 * compressed (nodes deeper in were compressed when they crossed that position or when they
 * were created by a split). A node that failed to compress is flagged incompressible until its
 * content changes, so it is not retried on every push. */
#include "types/quicklist.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "types/lzf.h"
#include "util/mem.h"

struct qlNode {
    qlNode *prev, *next;
    unsigned char *data;        /* listpack, or compressed block when `compressed` */
    uint32_t sz;                /* listpack bytes (uncompressed) */
    uint32_t count : 28;        /* entries */
    uint32_t dirty : 1;         /* changed since an iterator decompressed it */
    uint32_t compressed : 1;
    uint32_t in_use : 1;        /* an iterator works in it: never compressed meanwhile */
    uint32_t incompressible : 1;/* compression was tried on this content and didn't pay */
};

#define FILL_MAX 32767
#define DEPTH_MAX 255
#define FILL_BIAS 5                 /* quicklist.fill holds fill + 5 */

/* The tail is head->prev (quicklist.h); a node's predecessor is NULL at the head. */
static qlNode *tail_of(const quicklist *ql) {
    return ql->head ? ql->head->prev : NULL;
}

static qlNode *prev_of(const quicklist *ql, const qlNode *n) {
    return n == ql->head ? NULL : n->prev;
}
#define SIZE_SAFETY_LIMIT 8192      /* byte bound of nodes with a count fill, as Redis */
#define MIN_COMPRESS_BYTES 48       /* smaller nodes are never compressed */
#define MIN_COMPRESS_GAIN 8         /* keep a compressed node only if it saves this much */
#define BLOCK_HDR 4                 /* u32 compressed size before the LZF bytes */

/* Byte limits of fill -1..-5. */
static const size_t fill_bytes[] = {4096, 8192, 16384, 32768, 65536};

/* The uncompressed zone at each end. list-compress-depth 0 means "no compression" in Redis;
 * Keel still compresses the interior of long lists then, keeping the head and tail nodes raw:
 * all the work of pushes and pops happens in those two nodes, so the cost is one compression
 * each time a node fills up, and a list then takes well under 0.8x Redis's memory. */
#define IMPLICIT_DEPTH 1

static unsigned effective_depth(const quicklist *ql) {
    return ql->depth > 0 ? (unsigned)ql->depth : IMPLICIT_DEPTH;
}

/* ---------------------------------------------------------------- nodes */

static qlNode *node_new(unsigned char *lp, unsigned count) {
    qlNode *n = kcalloc(sizeof(*n));
    n->data = lp;
    n->sz = (uint32_t)lpBytes(lp);
    n->count = count;
    return n;
}

static void node_free(qlNode *n) {
    kfree(n->data);
    kfree(n);
}

/* After the node's listpack changed. */
static void node_update(qlNode *n) {
    n->sz = (uint32_t)lpBytes(n->data);
    n->incompressible = 0;
    n->dirty = 1;
}

static uint32_t block_size(const unsigned char *block) {
    uint32_t csz;
    memcpy(&csz, block, sizeof(csz));
    return csz;
}

static void compress(qlNode *n) {
    if (n->compressed || n->in_use || n->incompressible || n->sz < MIN_COMPRESS_BYTES) return;
    size_t cap = n->sz - MIN_COMPRESS_GAIN;
    unsigned char *block = kmalloc(BLOCK_HDR + cap);
    size_t csz = klzf_compress(n->data, n->sz, block + BLOCK_HDR, cap);
    if (csz == 0) {
        kfree(block);
        n->incompressible = 1;
        return;
    }
    uint32_t c32 = (uint32_t)csz;
    memcpy(block, &c32, sizeof(c32));
    kfree(n->data);
    n->data = krealloc(block, BLOCK_HDR + csz);
    n->compressed = 1;
}

/* Makes n raw. Returns its compressed block (NULL if it was raw) when keep_block, so that an
 * iterator that only reads can put it back instead of compressing again; else frees it. */
static unsigned char *decompress_keep(qlNode *n, int keep_block) {
    if (!n->compressed) return NULL;
    unsigned char *lp = kmalloc(n->sz), *block = n->data;
    size_t got = klzf_decompress(block + BLOCK_HDR, block_size(block), lp, n->sz);
    if (got != n->sz) {
        fprintf(stderr, "BUG: quicklist node decompressed to %zu bytes, expected %u\n", got, n->sz);
        abort();
    }
    n->data = lp;
    n->compressed = 0;
    n->dirty = 0;
    if (keep_block) return block;
    kfree(block);
    return NULL;
}

static void decompress(qlNode *n) {
    decompress_keep(n, 0);
}

/* 1 if n is within the uncompressed zone at either end. O(depth). */
static int in_edge_zone(const quicklist *ql, const qlNode *n) {
    unsigned d = effective_depth(ql);
    const qlNode *f = ql->head, *r = tail_of(ql);
    for (unsigned i = 0; i < d && f; i++, f = f->next, r = r->prev)   /* r wraps only when f ends */
        if (f == n || r == n) return 1;
    return 0;
}

/* Prepares n for an iterator; returns the compressed block it had, if any (see unuse). */
static unsigned char *use(qlNode *n) {
    n->in_use = 1;
    return decompress_keep(n, 1);
}

/* The iterator is done with n. A node it only read gets its old compressed block back. */
static void unuse(const quicklist *ql, qlNode *n, unsigned char *block) {
    n->in_use = 0;
    if (in_edge_zone(ql, n)) {
        kfree(block);
    } else if (block && !n->dirty) {
        kfree(n->data);
        n->data = block;
        n->compressed = 1;
    } else {
        kfree(block);
        compress(n);
    }
}

/* Re-establishes Q3 after nodes were added or removed at the ends. O(depth). */
static void settle(quicklist *ql) {
    unsigned d = effective_depth(ql);
    qlNode *f = ql->head, *r = tail_of(ql);
    for (unsigned i = 0; i < d; i++) {
        if (!f) return;
        decompress(f);
        decompress(r);
        if (f == r || f->next == r) return;   /* the zones meet: nothing is interior */
        f = f->next;
        r = r->prev;
    }
    compress(f);
    compress(r);
}

/* 1 if a node of sz bytes and count entries is within the list's fill limit. */
static int within_limit(const quicklist *ql, size_t sz, unsigned long count) {
    int fill = ql_fill(ql);
    if (fill < 0) return sz <= fill_bytes[-fill - 1];
    return count <= (unsigned long)fill && sz <= SIZE_SAFETY_LIMIT;
}

/* An upper bound of the bytes a string of len bytes takes as a listpack entry. */
static size_t entry_bound(size_t len) {
    if (len < 64) return len + 2;
    if (len < 4096) return len + 4;
    return len + 10;
}

/* Elements of at least this many bytes get a node of their own (Redis's plain nodes; DEBUG
 * QUICKLIST-PACKED-THRESHOLD sets it, 1 GB by default). */
#define PACKED_THRESHOLD_DEFAULT ((size_t)1 << 30)
static size_t packed_threshold = PACKED_THRESHOLD_DEFAULT;

int ql_set_packed_threshold(unsigned long long sz) {
    if (sz > ((unsigned long long)1 << 32) - ((unsigned long long)1 << 20)) return 0;
    packed_threshold = sz ? (size_t)sz : PACKED_THRESHOLD_DEFAULT;
    return 1;
}

/* A node holding one element of at least the threshold takes no other. */
static int node_is_plain(const qlNode *n) {
    return n->count == 1 && n->sz >= packed_threshold;
}

static int node_allows(const quicklist *ql, const qlNode *n, size_t len) {
    if (len >= packed_threshold || node_is_plain(n)) return 0;
    return within_limit(ql, n->sz + entry_bound(len), (unsigned long)n->count + 1);
}

/* Links n after `at` (NULL: as the new head), keeping head->prev the tail. */
static void link_after(quicklist *ql, qlNode *at, qlNode *n) {
    qlNode *tail = tail_of(ql);
    if (!at) {
        n->next = ql->head;
        n->prev = tail ? tail : n;
        if (ql->head) ql->head->prev = n;
        ql->head = n;
        return;
    }
    n->prev = at;
    n->next = at->next;
    if (n->next)
        n->next->prev = n;
    else
        ql->head->prev = n;   /* new tail */
    at->next = n;
}

static void unlink_free(quicklist *ql, qlNode *n) {
    qlNode *tail = tail_of(ql);
    if (n == ql->head) {
        ql->head = n->next;
        if (ql->head) ql->head->prev = tail;
    } else {
        n->prev->next = n->next;
        if (n->next)
            n->next->prev = n->prev;
        else
            ql->head->prev = n->prev;   /* n was the tail */
    }
    ql->count -= n->count;
    node_free(n);
}

/* The node holding element index (0 <= index < count) and the element's offset in it, walking
 * from the nearer end. */
static qlNode *locate(const quicklist *ql, unsigned long index, long *off) {
    if (index < ql->count / 2) {
        qlNode *n = ql->head;
        while (index >= n->count) {
            index -= n->count;
            n = n->next;
        }
        *off = (long)index;
        return n;
    }
    unsigned long back = ql->count - 1 - index;   /* elements after it */
    qlNode *n = tail_of(ql);
    while (back >= n->count) {
        back -= n->count;
        n = n->prev;
    }
    *off = (long)(n->count - 1 - back);
    return n;
}

/* Splits n (raw) before its entry at (0 < at < count), the second part linked after it. */
static qlNode *split_at(quicklist *ql, qlNode *n, unsigned at) {
    unsigned char *right = lpDeleteRange(lpDup(n->data), 0, at);
    qlNode *m = node_new(right, n->count - at);
    n->data = lpDeleteRange(n->data, at, n->count - at);
    n->count = at;
    node_update(n);
    link_after(ql, n, m);
    return m;
}

/* Splits n (raw) into two nodes of half the entries each, the second linked after it. */
static qlNode *split(quicklist *ql, qlNode *n) {
    return split_at(ql, n, n->count / 2);
}

/* Gives every element of at least the packed threshold in the raw nodes from n up to (not
 * including) stop a node of its own. */
static void isolate_large(quicklist *ql, qlNode *n, qlNode *stop) {
    while (n != stop) {
        unsigned i = 0;
        unsigned char *p = lpFirst(n->data);
        while (p && n->count > 1) {
            lpValue v;
            lpGet(p, &v);
            if (v.str && v.len >= packed_threshold) break;
            p = lpNext(n->data, p);
            i++;
        }
        if (p && n->count > 1) {
            if (i > 0) n = split_at(ql, n, i);   /* n now starts with the large element */
            if (n->count > 1) split_at(ql, n, 1);
        }
        n = n->next;
    }
}

/* Splits n (raw) until every piece is within the fill limit or holds a single entry. */
static void split_oversize(quicklist *ql, qlNode *n) {
    while (n->count > 1 && !within_limit(ql, n->sz, n->count)) {
        qlNode *m = split(ql, n);
        split_oversize(ql, m);
    }
}

/* ---------------------------------------------------------------- lifetime */

void ql_init(quicklist *ql, int fill, int depth) {
    memset(ql, 0, sizeof(*ql));
    ql->fill = (unsigned)((fill > FILL_MAX ? FILL_MAX : fill < -5 ? -5 : fill) + FILL_BIAS);
    ql->depth = (unsigned)(depth > DEPTH_MAX ? DEPTH_MAX : depth < 0 ? 0 : depth);
}

unsigned long ql_nodes(const quicklist *ql, unsigned long limit) {
    unsigned long k = 0;
    for (const qlNode *n = ql->head; n && k < limit; n = n->next) k++;
    return k;
}

void ql_release(quicklist *ql) {
    for (qlNode *n = ql->head, *next; n; n = next) {
        next = n->next;
        node_free(n);
    }
    ql->head = NULL;
    ql->count = 0;
}

/* Offers node n and its data to move; returns where n now is, every link to it re-pointed. */
static qlNode *defrag_node(quicklist *ql, qlNode *n, void *(*move)(void *block)) {
    qlNode *m = move(n);
    if (m) {   /* m has n's links; whatever pointed at n must point at m */
        int was_head = ql->head == n;
        if (was_head && !m->next) {
            m->prev = m;   /* alone: it is its own tail */
        } else {
            if (!was_head) m->prev->next = m;
            if (m->next) m->next->prev = m;
        }
        if (was_head) ql->head = m;
        else if (!m->next) ql->head->prev = m;   /* m is the tail */
        n = m;
    }
    unsigned char *data = move(n->data);
    if (data) n->data = data;
    return n;
}

void ql_defrag(quicklist *ql, void *(*move)(void *block)) {
    for (qlNode *n = ql->head; n; n = n->next) n = defrag_node(ql, n, move);
}

unsigned long ql_defrag_range(quicklist *ql, unsigned long from, unsigned long count, void *(*move)(void *block)) {
    qlNode *n = ql->head;
    for (unsigned long i = 0; n && i < from; i++) n = n->next;
    for (; n && count; count--, from++) n = defrag_node(ql, n, move)->next;
    return n ? from : 0;
}

static size_t data_bytes(const qlNode *n) {
    return n->compressed ? BLOCK_HDR + block_size(n->data) : n->sz;
}

void ql_copy(quicklist *ql, const quicklist *src) {
    ql_init(ql, ql_fill(src), src->depth);
    for (const qlNode *n = src->head; n; n = n->next) {
        qlNode *m = kmalloc(sizeof(*m));
        *m = *n;
        m->data = kmemdup(n->data, data_bytes(n));
        m->in_use = 0;
        link_after(ql, tail_of(ql), m);
    }
    ql->count = src->count;
}

size_t ql_memory(const quicklist *ql) {
    size_t bytes = 0;
    for (const qlNode *n = ql->head; n; n = n->next) bytes += kmalloc_size(n) + kmalloc_size(n->data);
    return bytes;
}

/* ---------------------------------------------------------------- ends */

void ql_push(quicklist *ql, int where, const char *s, size_t len) {
    qlNode *n = where == QL_HEAD ? ql->head : tail_of(ql);
    ql->count++;
    if (n && node_allows(ql, n, len)) {
        n->data = where == QL_HEAD ? lpPrepend(n->data, s, len) : lpAppend(n->data, s, len);
        n->count++;
        node_update(n);
        return;
    }
    qlNode *m = node_new(lpAppend(lpNew(LP_BACKLEN), s, len), 1);
    link_after(ql, where == QL_HEAD ? NULL : tail_of(ql), m);
    settle(ql);
}

int ql_peek(const quicklist *ql, int where, lpValue *v) {
    const qlNode *n = where == QL_HEAD ? ql->head : tail_of(ql);
    if (!n) return 0;
    lpGet(where == QL_HEAD ? lpFirst(n->data) : lpLast(n->data), v);
    return 1;
}

void ql_del_range(quicklist *ql, unsigned long start, unsigned long n) {
    if (start >= ql->count || n == 0) return;
    if (n > ql->count - start) n = ql->count - start;
    long off;
    qlNode *node = locate(ql, start, &off);
    int removed = 0;
    while (n > 0) {
        qlNode *next = node->next;
        unsigned long k = node->count - (unsigned long)off;
        if (k > n) k = n;
        if (off == 0 && k == node->count) {
            unlink_free(ql, node);
            removed = 1;
        } else {
            unsigned char *block = use(node);
            node->data = lpDeleteRange(node->data, off, k);
            node->count -= (uint32_t)k;
            ql->count -= k;
            node_update(node);
            unuse(ql, node, block);
        }
        n -= k;
        off = 0;
        node = next;
    }
    if (removed) settle(ql);
}

/* ---------------------------------------------------------------- iteration */

static long node_start(int dir) {
    return dir == QL_FORWARD ? 0 : -1;
}

void ql_iter_at(qlIter *it, quicklist *ql, long index, int dir) {
    it->ql = ql;
    it->dir = dir;
    it->next = it->cur = NULL;
    it->entered = 0;
    it->node = NULL;
    it->block = NULL;
    if (index < 0) index += (long)ql->count;
    if (index < 0 || (unsigned long)index >= ql->count) return;
    it->node = locate(ql, (unsigned long)index, &it->start);
}

static void leave_node(qlIter *it) {
    qlNode *n = it->node;
    it->node = it->dir == QL_FORWARD ? n->next : prev_of(it->ql, n);
    it->entered = 0;
    it->start = node_start(it->dir);
    it->cur = it->next = NULL;
    unuse(it->ql, n, it->block);
    it->block = NULL;
}

int ql_next(qlIter *it, lpValue *v) {
    while (it->node) {
        if (!it->entered) {
            it->block = use(it->node);
            it->next = lpSeek(it->node->data, it->start);
            it->entered = 1;
        }
        if (it->next) {
            unsigned char *lp = it->node->data;
            it->cur = it->next;
            lpGet(it->cur, v);
            it->next = it->dir == QL_FORWARD ? lpNext(lp, it->cur) : lpPrev(lp, it->cur);
            return 1;
        }
        leave_node(it);
    }
    return 0;
}

int ql_iter_eq(const qlIter *it, const lpKey *k) {
    return lpEq(it->cur, k);
}

void ql_iter_delete(qlIter *it) {
    qlNode *n = it->node;
    unsigned char *p = it->cur;
    n->data = lpDelete(n->data, &p);
    n->count--;
    it->ql->count--;
    node_update(n);
    it->cur = NULL;
    if (n->count > 0) {
        if (it->dir == QL_FORWARD)
            it->next = p;
        else
            it->next = p ? lpPrev(n->data, p) : lpLast(n->data);
        return;
    }
    it->node = it->dir == QL_FORWARD ? n->next : prev_of(it->ql, n);
    it->entered = 0;
    it->start = node_start(it->dir);
    it->next = NULL;
    kfree(it->block);
    it->block = NULL;
    unlink_free(it->ql, n);
    settle(it->ql);
}

/* Ends an iteration whose node n was edited in place: splits it if it outgrew the fill limit
 * (and around a large element written, `large`) and compresses the resulting interior nodes. */
static void finish_edit(qlIter *it, int large) {
    quicklist *ql = it->ql;
    qlNode *n = it->node, *stop = n->next;
    kfree(it->block);
    it->block = NULL;
    node_update(n);
    split_oversize(ql, n);
    if (large) isolate_large(ql, n, stop);
    n->in_use = 0;
    settle(ql);
    for (qlNode *x = n; x != stop; x = x->next)
        if (!in_edge_zone(ql, x)) compress(x);
    it->node = NULL;
    it->cur = it->next = NULL;
}

void ql_iter_replace(qlIter *it, const char *s, size_t len) {
    unsigned char *p = it->cur;
    it->node->data = lpReplace(it->node->data, &p, s, len);
    finish_edit(it, len >= packed_threshold);
}

void ql_iter_insert(qlIter *it, int after, const char *s, size_t len) {
    qlNode *n = it->node;
    unsigned char *at = after ? lpNext(n->data, it->cur) : it->cur;
    n->data = lpInsert(n->data, at, s, len, NULL);
    n->count++;
    it->ql->count++;
    finish_edit(it, len >= packed_threshold);
}

void ql_iter_release(qlIter *it) {
    if (it->node && it->entered) unuse(it->ql, it->node, it->block);
    it->node = NULL;
    it->block = NULL;
}

/* ---------------------------------------------------------------- introspection */

void ql_stats(const quicklist *ql, qlStats *st) {
    memset(st, 0, sizeof(*st));
    for (const qlNode *n = ql->head; n; n = n->next) {
        st->nodes++;
        st->raw_bytes += n->sz;
        st->stored_bytes += data_bytes(n);
        if (n->compressed) st->compressed_nodes++;
    }
}

#define QL_FAIL(...)                            \
    do {                                        \
        fprintf(stderr, "quicklist: " __VA_ARGS__); \
        fputc('\n', stderr);                    \
        return 0;                               \
    } while (0)

/* Q4 and the listpack invariants of one node. */
static int verify_node(const qlNode *n) {
    unsigned char *lp = n->data;
    if (n->compressed) {
        lp = kmalloc(n->sz);
        size_t got = klzf_decompress(n->data + BLOCK_HDR, block_size(n->data), lp, n->sz);
        if (got != n->sz) {
            kfree(lp);
            QL_FAIL("compressed node expands to %zu bytes, sz says %u", got, n->sz);
        }
    }
    int ok = lpValidate(lp, 1) && lpBytes(lp) == n->sz && lpLength(lp) == n->count && lpHasBacklen(lp);
    if (lp != n->data) kfree(lp);
    if (!ok) QL_FAIL("node listpack invalid or sz/count mismatch (sz %u count %u)", n->sz, (unsigned)n->count);
    return 1;
}

int ql_verify(const quicklist *ql) {
    unsigned long count = 0, len = 0;
    const qlNode *prev = NULL;
    for (const qlNode *n = ql->head; n; prev = n, n = n->next) {
        if (prev_of(ql, n) != prev) QL_FAIL("node %lu: prev link broken", len);
        if (n->count == 0) QL_FAIL("node %lu is empty", len);
        if (n->in_use) QL_FAIL("node %lu still marked in use", len);
        if (n->compressed && in_edge_zone(ql, n)) QL_FAIL("node %lu is compressed within depth", len);
        if (!verify_node(n)) return 0;
        count += n->count;
        len++;
    }
    if (tail_of(ql) != prev) QL_FAIL("head->prev is not the last node");
    if (count != ql->count) QL_FAIL("count %lu, nodes hold %lu", (unsigned long)ql->count, count);
    return 1;
}
