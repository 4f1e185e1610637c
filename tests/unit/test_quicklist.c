/* test_quicklist.c - the list encoding and its compressor.
 *
 * LZF: round trips of compressible, incompressible and edge-sized inputs, refusal when the
 * output doesn't fit, and rejection of malformed blocks. Quicklist: node sizing for count and
 * byte fills, compression of interior nodes (and never of the ends), and a randomized model
 * test that mirrors every operation (push, pop, delete ranges, iterate with delete, replace,
 * insert) on a plain array of strings and checks contents and ql_verify() after each step, for
 * several fill/depth combinations. KEEL_LONG=1 runs the model test longer. Also the list API
 * that SORT uses (t_list.h). */
#include <stdint.h>

#include "keyspace/object.h"
#include "server.h"
#include "types/lzf.h"
#include "types/quicklist.h"
#include "types/t_list.h"
#include "unit.h"
#include "util/mem.h"
#include "util/util.h"

/* ---------------------------------------------------------------- LZF */

/* A list in its own allocation (the server keeps the struct inside the keyspace entry). */
static quicklist *new_list(int fill, int depth) {
    quicklist *ql = kmalloc(sizeof(*ql));
    ql_init(ql, fill, depth);
    return ql;
}

static quicklist *dup_list(const quicklist *src) {
    quicklist *ql = kmalloc(sizeof(*ql));
    ql_copy(ql, src);
    return ql;
}

static void free_list(quicklist *ql) {
    ql_release(ql);
    kfree(ql);
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static int roundtrip(const unsigned char *in, size_t len) {
    size_t cap = len + len / 16 + 64;
    unsigned char *c = kmalloc(cap), *d = kmalloc(len + 1);
    size_t clen = klzf_compress(in, len, c, cap);
    int ok = (len == 0 || clen > 0) && klzf_decompress(c, clen, d, len + 1) == len && memcmp(in, d, len) == 0;
    kfree(c);
    kfree(d);
    return ok;
}

TEST(lzf_roundtrips) {
    unsigned char buf[70000];
    for (size_t i = 0; i < sizeof(buf); i++) buf[i] = (unsigned char)(i % 7 == 0 ? 'x' : 'a' + i % 3);
    CHECK(roundtrip(buf, 0));
    CHECK(roundtrip(buf, 1));
    CHECK(roundtrip(buf, 2));
    CHECK(roundtrip(buf, 3));
    CHECK(roundtrip(buf, 100));
    CHECK(roundtrip(buf, sizeof(buf)));
    for (size_t i = 0; i < sizeof(buf); i++) buf[i] = (unsigned char)rnd();
    CHECK(roundtrip(buf, 33));
    CHECK(roundtrip(buf, sizeof(buf)));
    memset(buf, 'z', sizeof(buf));  /* long runs: overlapping references */
    CHECK(roundtrip(buf, sizeof(buf)));
    for (int t = 0; t < 200; t++) {  /* mixed: random literals with repeats at random distances */
        size_t len = (size_t)(rnd() % 20000);
        for (size_t i = 0; i < len; i++) {
            size_t back = 1 + (size_t)(rnd() % 9000);
            buf[i] = (i >= back && rnd() % 4) ? buf[i - back] : (unsigned char)(rnd() % 4);
        }
        CHECK(roundtrip(buf, len));
    }
}

TEST(lzf_compresses_repetitive_data) {
    char text[8192];
    size_t len = 0;
    for (int i = 0; len + 20 < sizeof(text); i++) len += (size_t)snprintf(text + len, 20, "val:%012d", i);
    unsigned char out[8192];
    size_t clen = klzf_compress((unsigned char *)text, len, out, sizeof(out));
    CHECK(clen > 0 && clen < len / 2);
    /* Short inputs use a smaller match table (lzf.c): they still compress. */
    memset(text, 'v', 150);
    clen = klzf_compress((unsigned char *)text, 150, out, sizeof(out));
    CHECK(clen > 0 && clen < 16);
    len = (size_t)snprintf(text, sizeof(text), "user:%d:%s", 42, "name=ab;name=ab;name=ab;name=ab;name=ab;name=ab");
    clen = klzf_compress((unsigned char *)text, len, out, sizeof(out));
    CHECK(clen > 0 && clen < len * 2 / 3);
}

TEST(lzf_refuses_small_output_and_bad_input) {
    unsigned char in[4096], out[4096], back[4096];
    for (size_t i = 0; i < sizeof(in); i++) in[i] = (unsigned char)rnd();
    CHECK(klzf_compress(in, sizeof(in), out, sizeof(in) - 8) == 0);  /* random: doesn't shrink */
    memset(in, 'q', sizeof(in));
    size_t clen = klzf_compress(in, sizeof(in), out, sizeof(out));
    REQUIRE(clen > 0);
    CHECK(klzf_decompress(out, clen, back, sizeof(in) - 1) == 0);    /* output too small */
    CHECK(klzf_decompress(out, clen - 1, back, sizeof(back)) != sizeof(in));
    unsigned char bad_ref[] = {0x20, 0x05};                          /* reference before start */
    CHECK(klzf_decompress(bad_ref, sizeof(bad_ref), back, sizeof(back)) == 0);
    unsigned char bad_lit[] = {0x05, 'a'};                           /* literal run cut short */
    CHECK(klzf_decompress(bad_lit, sizeof(bad_lit), back, sizeof(back)) == 0);
    unsigned char cut_ref[] = {0x00, 'a', 0xE0};                     /* long reference cut short */
    CHECK(klzf_decompress(cut_ref, sizeof(cut_ref), back, sizeof(back)) == 0);
}

/* ---------------------------------------------------------------- quicklist helpers */

static const char *value_str(const lpValue *v, char *buf, size_t *len) {
    if (v->str) {
        *len = v->len;
        return (const char *)v->str;
    }
    *len = (size_t)ll_to_str(buf, 32, v->ll);
    return buf;
}

/* The model: an array of NUL-terminated strings (no NULs in the test values). */
typedef struct model {
    char **v;
    size_t n, cap;
} model;

static void m_insert(model *m, size_t at, const char *s) {
    if (m->n == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 64;
        m->v = krealloc(m->v, m->cap * sizeof(char *));
    }
    memmove(m->v + at + 1, m->v + at, (m->n - at) * sizeof(char *));
    m->v[at] = kstrdup(s);
    m->n++;
}

static void m_delete(model *m, size_t at, size_t count) {
    for (size_t i = at; i < at + count; i++) kfree(m->v[i]);
    memmove(m->v + at, m->v + at + count, (m->n - at - count) * sizeof(char *));
    m->n -= count;
}

static void m_free(model *m) {
    m_delete(m, 0, m->n);
    kfree(m->v);
}

/* 1 if the list holds exactly the model's elements, read forward and backward. */
static int same_as_model(quicklist *ql, const model *m) {
    if (ql_count(ql) != m->n) return 0;
    for (int dir = QL_FORWARD; dir <= QL_BACKWARD; dir++) {
        qlIter it;
        lpValue v;
        size_t i = 0;
        ql_iter_at(&it, ql, dir == QL_FORWARD ? 0 : -1, dir);
        while (ql_next(&it, &v)) {
            char buf[32];
            size_t len;
            const char *s = value_str(&v, buf, &len);
            size_t idx = dir == QL_FORWARD ? i : m->n - 1 - i;
            if (i >= m->n || strlen(m->v[idx]) != len || memcmp(m->v[idx], s, len) != 0) {
                ql_iter_release(&it);
                return 0;
            }
            i++;
        }
        ql_iter_release(&it);
        if (i != m->n) return 0;
    }
    return 1;
}

/* A random value: small ints, big ints, short and long strings, repetitive or random. */
static void random_value(char *buf, size_t size) {
    switch (rnd() % 6) {
    case 0: snprintf(buf, size, "%d", (int)(rnd() % 200)); break;
    case 1: snprintf(buf, size, "%lld", (long long)rnd()); break;
    case 2: snprintf(buf, size, "val:%012d", (int)(rnd() % 1000000)); break;
    case 3: {
        size_t len = 64 + rnd() % 300;
        if (len >= size) len = size - 1;
        for (size_t i = 0; i < len; i++) buf[i] = (char)('a' + rnd() % 3);
        buf[len] = '\0';
        break;
    }
    case 4: {
        size_t len = rnd() % 40;
        for (size_t i = 0; i < len; i++) buf[i] = (char)('!' + rnd() % 90);
        buf[len] = '\0';
        break;
    }
    default: snprintf(buf, size, "item-%d", (int)(rnd() % 50)); break;
    }
}

/* ---------------------------------------------------------------- quicklist tests */

TEST(push_peek_and_node_fill) {
    quicklist *ql = new_list(5, 0);   /* 5 entries per node */
    for (int i = 0; i < 23; i++) {
        char b[16];
        snprintf(b, sizeof(b), "%d", i);
        ql_push(ql, QL_TAIL, b, strlen(b));
    }
    qlStats st;
    ql_stats(ql, &st);
    CHECK(st.nodes == 5);
    CHECK(ql_count(ql) == 23);
    lpValue v;
    CHECK(ql_peek(ql, QL_HEAD, &v) && v.str == NULL && v.ll == 0);
    CHECK(ql_peek(ql, QL_TAIL, &v) && v.str == NULL && v.ll == 22);
    CHECK(ql_verify(ql));
    free_list(ql);

    ql = new_list(-1, 0);             /* 4 KB nodes */
    char big[1000];
    memset(big, 'b', sizeof(big));
    for (int i = 0; i < 40; i++) ql_push(ql, QL_HEAD, big, sizeof(big));
    ql_stats(ql, &st);
    CHECK(st.nodes == 10);          /* four 1 KB entries fit in 4 KB */
    char huge[20000];
    memset(huge, 'h', sizeof(huge));
    ql_push(ql, QL_TAIL, huge, sizeof(huge));   /* bigger than a node: a node of its own */
    ql_push(ql, QL_TAIL, "x", 1);
    ql_stats(ql, &st);
    CHECK(st.nodes == 12);
    CHECK(ql_verify(ql));
    free_list(ql);

    ql = new_list(0, 0);              /* fill 0: one element per node, as Redis */
    for (int i = 0; i < 3; i++) ql_push(ql, QL_TAIL, "a", 1);
    ql_stats(ql, &st);
    CHECK(st.nodes == 3);
    free_list(ql);
}

/* DEBUG QUICKLIST-PACKED-THRESHOLD: elements at or over it get a node of their own, pushed
 * or inserted or set in the middle of a node; the limits are Redis's. */
TEST(packed_threshold_isolates_large_elements) {
    CHECK(!ql_set_packed_threshold(((unsigned long long)1 << 32)));
    REQUIRE(ql_set_packed_threshold(10));
    quicklist *ql = new_list(128, 1);
    for (int i = 0; i < 6; i++) ql_push(ql, QL_TAIL, "s", 1);
    qlStats st;
    ql_stats(ql, &st);
    CHECK(st.nodes == 1);
    ql_push(ql, QL_TAIL, "0123456789", 10);   /* large: a node of its own */
    ql_push(ql, QL_TAIL, "t", 1);             /* and nothing joins it */
    ql_stats(ql, &st);
    CHECK(st.nodes == 3);
    qlIter it;
    lpValue v;
    ql_iter_at(&it, ql, 2, QL_FORWARD);
    REQUIRE(ql_next(&it, &v));
    ql_iter_insert(&it, 1, "abcdefghijkl", 12); /* between entries 2 and 3 of the first node */
    ql_iter_release(&it);
    ql_stats(ql, &st);
    CHECK(st.nodes == 5);
    ql_iter_at(&it, ql, 0, QL_FORWARD);
    REQUIRE(ql_next(&it, &v));
    ql_iter_replace(&it, "ABCDEFGHIJKL", 12);  /* the head's first entry */
    ql_iter_release(&it);
    ql_stats(ql, &st);
    CHECK(st.nodes == 6);
    CHECK(ql_count(ql) == 9);
    ql_iter_at(&it, ql, 3, QL_FORWARD);
    REQUIRE(ql_next(&it, &v));
    CHECK(v.str && v.len == 12 && memcmp(v.str, "abcdefghijkl", 12) == 0);
    ql_iter_release(&it);
    CHECK(ql_verify(ql));
    free_list(ql);
    CHECK(ql_set_packed_threshold(0));        /* back to the default, 1 GB */
}

TEST(interior_nodes_are_compressed) {
    quicklist *ql = new_list(-2, 0);
    char b[32];
    for (int i = 0; i < 100000; i++) {
        int n = snprintf(b, sizeof(b), "val:%012d", i);
        ql_push(ql, QL_TAIL, b, (size_t)n);
    }
    qlStats st;
    ql_stats(ql, &st);
    CHECK(st.nodes > 100);
    CHECK(st.compressed_nodes == st.nodes - 2);        /* all but head and tail */
    CHECK(st.stored_bytes * 2 < st.raw_bytes);
    CHECK(ql_verify(ql));
    /* Reading the middle decompresses a node only while the iterator is in it. */
    qlIter it;
    lpValue v;
    ql_iter_at(&it, ql, 50000, QL_FORWARD);
    CHECK(ql_next(&it, &v) && v.len == 16 && memcmp(v.str, "val:000000050000", 16) == 0);
    ql_iter_release(&it);
    ql_stats(ql, &st);
    CHECK(st.compressed_nodes == st.nodes - 2);
    /* Deep depth keeps more nodes raw. */
    quicklist *q3 = new_list(-2, 3);
    for (int i = 0; i < 20000; i++) {
        int n = snprintf(b, sizeof(b), "val:%012d", i);
        ql_push(q3, QL_HEAD, b, (size_t)n);
    }
    ql_stats(q3, &st);
    CHECK(st.compressed_nodes == st.nodes - 6);
    CHECK(ql_verify(q3));
    /* A copy is equal and independent. */
    quicklist *d = dup_list(ql);
    CHECK(ql_verify(d));
    ql_del_range(d, 0, 99990);
    CHECK(ql_count(d) == 10 && ql_count(ql) == 100000);
    CHECK(ql_verify(d));
    CHECK(ql_peek(d, QL_HEAD, &v) && memcmp(v.str, "val:000000099990", 16) == 0);
    free_list(d);
    free_list(q3);
    free_list(ql);
}

TEST(incompressible_nodes_stay_raw) {
    quicklist *ql = new_list(-2, 1);
    char b[64];
    for (int i = 0; i < 5000; i++) {
        for (int j = 0; j < 40; j++) b[j] = (char)(rnd() | 1);
        ql_push(ql, QL_TAIL, b, 40);
    }
    qlStats st;
    ql_stats(ql, &st);
    CHECK(st.compressed_nodes == 0);
    CHECK(ql_verify(ql));
    free_list(ql);
}

/* One random operation on both the list and the model. */
static void random_op(quicklist *ql, model *m) {
    char val[400];
    unsigned op = (unsigned)(rnd() % 100);
    if (op < 35 || m->n == 0) {                       /* push */
        random_value(val, sizeof(val));
        int head = (int)(rnd() % 2);
        ql_push(ql, head ? QL_HEAD : QL_TAIL, val, strlen(val));
        m_insert(m, head ? 0 : m->n, val);
    } else if (op < 50) {                             /* pop one end */
        int head = (int)(rnd() % 2);
        ql_del_range(ql, head ? 0 : ql_count(ql) - 1, 1);
        m_delete(m, head ? 0 : m->n - 1, 1);
    } else if (op < 58) {                             /* delete a range */
        size_t start = (size_t)(rnd() % m->n), n = (size_t)(rnd() % 300);
        ql_del_range(ql, start, n);
        m_delete(m, start, n > m->n - start ? m->n - start : n);
    } else if (op < 70) {                             /* iterate and delete matches */
        int dir = (int)(rnd() % 2);
        long start = (long)(rnd() % m->n);
        const char *target = m->v[rnd() % m->n];
        char t[400];
        snprintf(t, sizeof(t), "%s", target);
        lpKey k;
        lpKeyInit(&k, t, strlen(t));
        qlIter it;
        lpValue v;
        long idx = start;
        size_t limit = 1 + (size_t)(rnd() % 5);
        ql_iter_at(&it, ql, start, dir);
        while (limit && ql_next(&it, &v)) {
            if (ql_iter_eq(&it, &k)) {
                ql_iter_delete(&it);
                m_delete(m, (size_t)idx, 1);
                limit--;
                if (dir == QL_BACKWARD) idx--;
            } else {
                idx += dir == QL_FORWARD ? 1 : -1;
            }
        }
        ql_iter_release(&it);
    } else if (op < 85) {                             /* replace at an index */
        size_t at = (size_t)(rnd() % m->n);
        random_value(val, sizeof(val));
        qlIter it;
        lpValue v;
        ql_iter_at(&it, ql, (long)at - (rnd() % 2 ? (long)m->n : 0), QL_FORWARD);
        if (ql_next(&it, &v)) ql_iter_replace(&it, val, strlen(val));
        ql_iter_release(&it);
        kfree(m->v[at]);
        m->v[at] = kstrdup(val);
    } else {                                          /* insert before/after an index */
        size_t at = (size_t)(rnd() % m->n);
        int after = (int)(rnd() % 2);
        random_value(val, sizeof(val));
        qlIter it;
        lpValue v;
        ql_iter_at(&it, ql, (long)at, rnd() % 2 ? QL_FORWARD : QL_BACKWARD);
        if (ql_next(&it, &v)) ql_iter_insert(&it, after, val, strlen(val));
        ql_iter_release(&it);
        m_insert(m, at + (size_t)after, val);
    }
}

TEST(model_random_operations) {
    static const int fills[] = {-5, -2, -1, 1, 3, 16, 128};
    static const int depths[] = {0, 1, 2, 5};
    int steps = unit_long() ? 20000 : 2500;
    for (size_t f = 0; f < sizeof(fills) / sizeof(fills[0]); f++) {
        for (size_t d = 0; d < sizeof(depths) / sizeof(depths[0]); d++) {
            quicklist *ql = new_list(fills[f], depths[d]);
            model m = {0};
            int ok = 1;
            for (int s = 0; s < steps && ok; s++) {
                random_op(ql, &m);
                if (s % 50 == 0 || s == steps - 1) ok = ql_verify(ql) && same_as_model(ql, &m);
            }
            if (!ok) fprintf(stderr, "  fill %d depth %d diverged\n", fills[f], depths[d]);
            CHECK(ok);
            free_list(ql);
            m_free(&m);
        }
    }
}

TEST(memory_accounting) {
    quicklist *ql = new_list(-2, 0);
    size_t before = mem_used();
    for (int i = 0; i < 10000; i++) ql_push(ql, QL_TAIL, "abcdefgh", 8);
    CHECK(ql_memory(ql) == mem_used() - before);
    ql_release(ql);
    CHECK(mem_used() == before && ql_count(ql) == 0);
    free_list(ql);
}

/* Active defrag's move: always to a new block (a stale pointer is then a use-after-free the
 * sanitizer build reports). */
static long moves;

static void *move_always(void *block) {
    void *p = kmemdup(block, kmalloc_size(block));
    kfree(block);
    moves++;
    return p;
}

TEST(defrag_moves_struct_nodes_and_data) {
    quicklist *ql = new_list(4, 1);            /* 4 entries per node, interior nodes compressed */
    char buf[64];
    for (int i = 0; i < 200; i++) {
        int n = snprintf(buf, sizeof(buf), "element-%d-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", i);
        ql_push(ql, QL_TAIL, buf, (size_t)n);
    }
    size_t before = mem_used();
    moves = 0;
    ql_defrag(ql, move_always);
    CHECK(moves == 2 * 50);                  /* each node and its data */
    CHECK(mem_used() == before);
    CHECK(ql_verify(ql));
    REQUIRE(ql_count(ql) == 200);
    lpValue v;
    REQUIRE(ql_peek(ql, QL_HEAD, &v) && v.str && memcmp(v.str, "element-0-", 10) == 0);
    REQUIRE(ql_peek(ql, QL_TAIL, &v) && v.str && memcmp(v.str, "element-199-", 12) == 0);
    ql_del_range(ql, 0, 100);                /* the moved links hold for edits */
    CHECK(ql_verify(ql) && ql_count(ql) == 100);
    free_list(ql);
}

/* The batched form: 3 nodes per call from a kept index, the list checked after each call and
 * changed between calls (the head popped, the tail pushed); a past-the-end index ends it. */
TEST(defrag_range_in_batches) {
    quicklist *ql = new_list(4, 1);
    char buf[64];
    for (int i = 0; i < 200; i++) {
        int n = snprintf(buf, sizeof(buf), "element-%d-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", i);
        ql_push(ql, QL_TAIL, buf, (size_t)n);
    }
    moves = 0;
    unsigned long at = 0, calls = 0;
    int ok = 1;
    do {
        at = ql_defrag_range(ql, at, 3, move_always);
        ok = ok && ql_verify(ql);
        if (++calls % 4 == 0) {
            ql_del_range(ql, 0, 1);
            ql_push(ql, QL_TAIL, "pushed", 6);
        }
    } while (at && calls < 1000);
    CHECK(ok && at == 0 && calls < 1000);
    CHECK(moves >= 2 * 40 && ql_count(ql) == 200);
    CHECK(ql_defrag_range(ql, 100000, 3, move_always) == 0 && ql_verify(ql));
    ql_del_range(ql, 0, 150);
    CHECK(ql_verify(ql) && ql_count(ql) == 50);
    free_list(ql);
}

/* ---------------------------------------------------------------- t_list.h (SORT's side) */

typedef struct collected {
    char text[256];
    size_t len;
} collected;

static void collect(void *privdata, const char *s, size_t len) {
    collected *c = privdata;
    if (c->len + len + 1 < sizeof(c->text)) {
        memcpy(c->text + c->len, s, len);
        c->len += len;
        c->text[c->len++] = ',';
        c->text[c->len] = '\0';
    }
}

TEST(list_api_for_sort) {
    server.list_max_listpack_size = 2;    /* tiny nodes: ranges cross node boundaries */
    server.list_compress_depth = 0;
    kobj *o = list_new_object("k", 1);
    const char *vals[] = {"a", "12", "-7", "bcd", "e", "99999999999"};
    for (int i = 0; i < 6; i++) list_append(o, vals[i], strlen(vals[i]));
    CHECK(list_length(o) == 6);
    collected c = {{0}, 0};
    list_for_range(o, 0, 6, 0, collect, &c);
    CHECK(strcmp(c.text, "a,12,-7,bcd,e,99999999999,") == 0);
    c.len = 0;
    c.text[0] = '\0';
    list_for_range(o, 1, 3, 0, collect, &c);
    CHECK(strcmp(c.text, "12,-7,bcd,") == 0);
    c.len = 0;
    c.text[0] = '\0';
    list_for_range(o, 1, 3, 1, collect, &c);          /* from len-1-1 backwards */
    CHECK(strcmp(c.text, "e,bcd,-7,") == 0);
    c.len = 0;
    c.text[0] = '\0';
    list_for_range(o, 4, 10, 1, collect, &c);         /* clipped at the head */
    CHECK(strcmp(c.text, "12,a,") == 0);
    CHECK(obj_memory(o) > list_payload_memory(o));
    obj_free(o);
}

/* ---------------------------------------------------------------- the struct inside the entry */

static int list_is(const kobj *o, const char *expect) {
    collected c = {{0}, 0};
    list_for_range(o, 0, (long)list_length(o), 0, collect, &c);
    return strcmp(c.text, expect) == 0 && ql_verify(obj_ptr(o));
}

TEST(inline_struct_survives_entry_moves) {
    server.list_max_listpack_size = 2;
    server.list_compress_depth = 0;
    const char *keys[] = {"k", "key-of-7", "a-key-of-eleven-b", "a-longer-key-name-of-thirty-one"};
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        kobj *o = list_new_object(keys[i], strlen(keys[i]));
        CHECK(((uintptr_t)obj_ptr(o) & 7) == 0);
        for (int j = 0; j < 5; j++) list_append(o, "elem", 4);
        list_append(o, "12", 2);
        o = obj_with_expire_area(o, 1);             /* the TTL area shifts key and struct */
        obj_set_expire_inplace(o, 123456789);
        CHECK(((uintptr_t)obj_ptr(o) & 7) == 0);
        CHECK(obj_expire(o) == 123456789 && obj_keylen(o) == strlen(keys[i]));
        CHECK(memcmp(obj_key(o), keys[i], strlen(keys[i])) == 0);
        CHECK(list_is(o, "elem,elem,elem,elem,elem,12,"));
        list_append(o, "x", 1);                     /* the moved struct still owns its nodes */
        o = obj_with_expire_area(o, 0);
        CHECK(((uintptr_t)obj_ptr(o) & 7) == 0 && obj_expire(o) == OBJ_NO_EXPIRE);
        CHECK(list_is(o, "elem,elem,elem,elem,elem,12,x,"));
        kobj *copy = obj_dup(o, "copy", 4);         /* COPY: a deep copy of the nodes */
        list_append(copy, "y", 1);
        CHECK(list_is(o, "elem,elem,elem,elem,elem,12,x,"));
        CHECK(list_is(copy, "elem,elem,elem,elem,elem,12,x,y,"));
        o = obj_rekey(o, "renamed", 7);              /* RENAME: the same nodes, a new entry */
        CHECK(list_is(o, "elem,elem,elem,elem,elem,12,x,"));
        CHECK(obj_memory(o) == kmalloc_size(o) + ql_memory(obj_ptr(o)));
        obj_free(copy);
        obj_free(o);
    }
}

int main(void) {
    RUN(lzf_roundtrips);
    RUN(lzf_compresses_repetitive_data);
    RUN(lzf_refuses_small_output_and_bad_input);
    RUN(push_peek_and_node_fill);
    RUN(packed_threshold_isolates_large_elements);
    RUN(interior_nodes_are_compressed);
    RUN(incompressible_nodes_stay_raw);
    RUN(model_random_operations);
    RUN(memory_accounting);
    RUN(list_api_for_sort);
    RUN(defrag_moves_struct_nodes_and_data);
    RUN(defrag_range_in_batches);
    RUN(inline_struct_survives_entry_moves);
    return unit_report();
}
