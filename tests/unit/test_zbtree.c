/* test_zbtree.c - the sorted set B+tree: ordered and reverse-ordered loads (edge splits pack
 * nodes), random insertions and removals checked against a sorted reference array after each
 * step (zbtVerify, ranks, seeks by score / member / key, rank positioning, walks both ways),
 * removal down to empty, and equal scores ordered by member bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "types/zbtree.h"
#include "util/mem.h"
#include "unit.h"

static uint64_t rng_state = 0x2545F4914F6CDD1DULL;
static uint64_t rnd(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static zelem *mk(long id, double score) {
    char buf[32];
    int n = snprintf(buf, sizeof(buf), "m%ld", id);
    return zelemNew(buf, (size_t)n, score);
}

static int cmp_elems(const void *a, const void *b) {
    const zelem *x = *(zelem *const *)a, *y = *(zelem *const *)b;
    size_t l1, l2;
    const char *m1 = zelemMember(x, &l1), *m2 = zelemMember(y, &l2);
    return zelemCompare(x->score, m1, l1, y->score, m2, l2);
}

/* The tree's elements in order equal ref[0..n) (sorted), both walking directions. */
static int same_as(const zbt *t, zelem **ref, size_t n) {
    if (t->len != n) return 0;
    zbtIter it;
    size_t i = 0;
    if (n && !zbtSeekRank(t, 0, &it)) return 0;
    for (; n && zbtValid(&it); zbtNext(&it), i++)
        if (i >= n || zbtElem(&it) != ref[i] || zbtScore(&it) != ref[i]->score) return 0;
    if (i != n) return 0;
    if (!n) return 1;
    zbtSeekRank(t, n - 1, &it);
    for (i = n; zbtValid(&it); zbtPrev(&it))
        if (i == 0 || zbtElem(&it) != ref[--i]) return 0;
    return i == 0;
}

/* Ranks, score seeks and rank positioning at a few random places. */
static int probes_ok(const zbt *t, zelem **ref, size_t n) {
    for (int k = 0; k < 8 && n; k++) {
        size_t r = (size_t)(rnd() % n);
        if (zbtRank(t, ref[r]) != r) return 0;
        zbtIter it;
        if (!zbtSeekRank(t, r, &it) || zbtElem(&it) != ref[r]) return 0;
        zbound b = {.kind = ZBOUND_SCORE, .score = ref[r]->score, .ex = (int)(rnd() & 1)};
        size_t want = 0;
        while (want < n && !zboundReached(&b, ref[want]->score, NULL, 0)) want++;
        size_t got = zbtSeek(t, &b, &it);
        if (got != want) return 0;
        if ((want < n) != zbtValid(&it) || (want < n && zbtElem(&it) != ref[want])) return 0;
    }
    zbtIter it;
    return !zbtSeekRank(t, n, &it);
}

static void release_all(zbt *t, zelem **ref, size_t n) {
    zbtRelease(t);
    for (size_t i = 0; i < n; i++) zelemFree(ref[i]);
}

TEST(ordered_load_packs_leaves) {
    zbt t;
    zbtInit(&t);
    size_t n = 30000;
    zelem **ref = malloc(sizeof(*ref) * n);
    for (size_t i = 0; i < n; i++) zbtInsert(&t, ref[i] = mk((long)i, (double)i));
    CHECK(zbtVerify(&t));
    CHECK(same_as(&t, ref, n));
    CHECK(probes_ok(&t, ref, n));
    /* 30 slots per leaf: an ordered load fills all of them but the last leaf's. */
    CHECK(t.leaves == (n + 29) / 30);
    release_all(&t, ref, n);
    free(ref);
}

TEST(reverse_load_packs_leaves) {
    zbt t;
    zbtInit(&t);
    size_t n = 30000;
    zelem **ref = malloc(sizeof(*ref) * n);
    for (size_t i = n; i-- > 0;) zbtInsert(&t, ref[i] = mk((long)i, (double)i));
    CHECK(zbtVerify(&t));
    CHECK(same_as(&t, ref, n));
    CHECK(t.leaves <= n / 29 + 2);
    release_all(&t, ref, n);
    free(ref);
}

TEST(equal_scores_by_member) {
    zbt t;
    zbtInit(&t);
    const char *names[] = {"b", "a", "ab", "", "\xff", "a\x00", "B"};
    size_t lens[] = {1, 1, 2, 0, 1, 2, 1};
    zelem *ref[7];
    for (int i = 0; i < 7; i++) zbtInsert(&t, ref[i] = zelemNew(names[i], lens[i], 1.0));
    qsort(ref, 7, sizeof(ref[0]), cmp_elems);
    CHECK(same_as(&t, ref, 7));
    size_t l;
    CHECK(zelemMember(ref[0], &l) && l == 0);
    CHECK(memcmp(zelemMember(ref[1], &l), "B", 1) == 0);
    CHECK(memcmp(zelemMember(ref[6], &l), "\xff", 1) == 0);
    zbound lex = {.kind = ZBOUND_LEX, .m = "a", .mlen = 1, .ex = 1};
    CHECK(zbtSeek(&t, &lex, NULL) == 3);   /* "", "B", "a" are not past (a */
    lex.inf = 1;
    CHECK(zbtSeek(&t, &lex, NULL) == 7);
    lex.inf = -1;
    CHECK(zbtSeek(&t, &lex, NULL) == 0);
    release_all(&t, ref, 7);
}

TEST(long_members) {
    zbt t;
    zbtInit(&t);
    char *big = malloc(70000);
    memset(big, 'x', 70000);
    zelem *e = zelemNew(big, 70000, 2.5), *s = zelemNew("x", 1, 2.5);
    size_t l;
    CHECK(zelemMember(e, &l) == (const char *)e->data + 5 && l == 70000);
    CHECK(zelemBytes(e) == sizeof(zelem) + 5 + 70000);
    zbtInsert(&t, e);
    zbtInsert(&t, s);
    CHECK(zbtRank(&t, s) == 0 && zbtRank(&t, e) == 1);
    zelem *ref[2] = {s, e};
    release_all(&t, ref, 2);
    free(big);
}

/* Random operations against a sorted reference array; verified after every step. */
static void random_run(size_t steps, long keyspace, int score_range) {
    zbt t;
    zbtInit(&t);
    zelem **ref = malloc(sizeof(*ref) * (size_t)keyspace);
    size_t n = 0;
    int ok = 1;
    for (size_t step = 0; step < steps && ok; step++) {
        int add = n == 0 || (rnd() % 100) < (n < (size_t)keyspace / 2 ? 60 : 40);
        if (add && n < (size_t)keyspace) {
            long id = (long)(rnd() % (uint64_t)keyspace);
            char buf[32];
            int len = snprintf(buf, sizeof(buf), "m%ld", id);
            int present = 0;
            for (size_t i = 0; i < n && !present; i++) {
                size_t l;
                const char *m = zelemMember(ref[i], &l);
                present = l == (size_t)len && memcmp(m, buf, l) == 0;
            }
            if (present) continue;
            zelem *e = mk(id, (double)(rnd() % (uint64_t)score_range) - score_range / 2);
            zbtInsert(&t, e);
            ref[n++] = e;
            qsort(ref, n, sizeof(ref[0]), cmp_elems);
        } else if (n) {
            size_t i = (size_t)(rnd() % n);
            zelem *e = ref[i];
            zbtRemove(&t, e);
            zelemFree(e);
            memmove(ref + i, ref + i + 1, (n - i - 1) * sizeof(ref[0]));
            n--;
        }
        ok = zbtVerify(&t) && same_as(&t, ref, n) && probes_ok(&t, ref, n);
    }
    CHECK(ok);
    /* Drain to empty, then reuse. */
    while (n && ok) {
        size_t i = (size_t)(rnd() % n);
        zbtRemove(&t, ref[i]);
        zelemFree(ref[i]);
        ref[i] = ref[--n];
        qsort(ref, n, sizeof(ref[0]), cmp_elems);
        ok = zbtVerify(&t) && same_as(&t, ref, n);
    }
    CHECK(ok);
    CHECK(t.height == 0 && t.len == 0 && t.leaves == 1 && t.inners == 0);
    zelem *e = mk(1, 1);
    zbtInsert(&t, e);
    CHECK(zbtVerify(&t) && t.len == 1);
    zbtRemove(&t, e);
    zelemFree(e);
    zbtRelease(&t);
    free(ref);
}

TEST(random_small_scores) {
    random_run(unit_long() ? 200000 : 20000, 3000, 20);
}

TEST(random_wide_scores) {
    random_run(unit_long() ? 200000 : 20000, 5000, 1 << 30);
}

TEST(remove_in_order_and_reverse) {
    zbt t;
    zbtInit(&t);
    size_t n = 5000;
    zelem **ref = malloc(sizeof(*ref) * n);
    for (size_t i = 0; i < n; i++) zbtInsert(&t, ref[i] = mk((long)(rnd() % 1000000), (double)i));
    int ok = 1;
    for (size_t i = 0; i < n / 2 && ok; i++) {   /* ZPOPMIN-like */
        zbtRemove(&t, ref[i]);
        ok = zbtVerify(&t);
    }
    for (size_t i = n; i-- > n / 2 && ok;) {     /* ZPOPMAX-like */
        zbtRemove(&t, ref[i]);
        ok = zbtVerify(&t);
    }
    CHECK(ok && t.len == 0);
    release_all(&t, ref, n);
    free(ref);
}

/* Active defrag's move: always to a new block, the old one freed (a stale pointer is then a
 * use-after-free the sanitizer build reports). */
static long moves, relinks;

static void *move_always(void *block) {
    void *p = kmemdup(block, kmalloc_size(block));
    kfree(block);
    moves++;
    return p;
}

/* The caller's other index of the elements: here the reference array, searched linearly. */
typedef struct refIndex {
    zelem **ref;
    size_t n;
} refIndex;

static void relink_ref(void *priv, zelem *old, zelem *nw) {
    refIndex *r = priv;
    for (size_t i = 0; i < r->n; i++)
        if (r->ref[i] == old) {
            r->ref[i] = nw;
            relinks++;
            return;
        }
}

/* Batches of a few ranks, so that a leaf is visited by several batches and separators of
 * moved elements sit in inner nodes of several levels; the tree is checked after each batch,
 * and between passes it changes (members removed and inserted) under the rank cursor. */
TEST(defrag_moves_nodes_and_elements_in_batches) {
    zbt t;
    zbtInit(&t);
    size_t n = 2000;
    zelem **ref = malloc(sizeof(*ref) * n);
    for (size_t i = 0; i < n; i++) zbtInsert(&t, ref[i] = mk((long)i, (double)(rnd() % 500)));
    qsort(ref, n, sizeof(*ref), cmp_elems);
    refIndex ri = {ref, n};
    int ok = 1;
    for (int pass = 0; pass < 3 && ok; pass++) {
        size_t count = pass == 0 ? 7 : pass == 1 ? 1 : 100, batches = 0;
        moves = relinks = 0;
        for (size_t r = 0; r < t.len && ok; batches++) {
            r = zbtDefrag(&t, r, count, move_always, relink_ref, &ri);
            ok = zbtVerify(&t) && same_as(&t, ref, ri.n);
            if (pass == 2 && batches == 5 && ri.n > 10) {   /* the set shrinks mid-walk */
                zbtRemove(&t, ref[ri.n - 1]);
                zelemFree(ref[--ri.n]);
                zbtRemove(&t, ref[0]);
                zelemFree(ref[0]);
                memmove(ref, ref + 1, sizeof(*ref) * --ri.n);
            }
        }
        CHECK(ok);
        CHECK(relinks >= (long)ri.n - 2 && moves > (long)(ri.n + t.leaves) - 2);
        CHECK(probes_ok(&t, ref, ri.n));
    }
    /* A rank past the end (the set shrank since the last batch): the last leaf is visited. */
    size_t r = zbtDefrag(&t, t.len + 50, 10, move_always, relink_ref, &ri);
    CHECK(r >= t.len && zbtVerify(&t) && same_as(&t, ref, ri.n));
    release_all(&t, ref, ri.n);
    free(ref);
    /* A tree of one leaf: the root, head and tail are the same node. */
    zbtInit(&t);
    zelem *one[3];
    for (int i = 0; i < 3; i++) zbtInsert(&t, one[i] = mk(i, i));
    ri = (refIndex){one, 3};
    zbtDefrag(&t, 0, 3, move_always, relink_ref, &ri);
    CHECK(zbtVerify(&t) && same_as(&t, one, 3) && t.root == t.head && t.head == t.tail);
    release_all(&t, one, 3);
}

int main(void) {
    RUN(ordered_load_packs_leaves);
    RUN(reverse_load_packs_leaves);
    RUN(equal_scores_by_member);
    RUN(long_members);
    RUN(random_small_scores);
    RUN(random_wide_scores);
    RUN(remove_in_order_and_reverse);
    RUN(defrag_moves_nodes_and_elements_in_batches);
    return unit_report();
}
