/* test_listpack.c - the listpack encoding: exact sizes of each encoding, integer canonicalisation,
 * navigation both ways, seek, find with skip, every modification, and a randomized model test
 * (operations mirrored on an array of strings, lpValidate after each) in both the back-length
 * and the forward-only layout. KEEL_LONG=1 runs the model test longer. */
#include <stdint.h>

#include "types/listpack.h"
#include "unit.h"
#include "util/mem.h"
#include "util/util.h"

/* The entry at p as a NUL-terminated string in buf (size >= 64 for these tests' values). */
static const char *str_of(const unsigned char *p, char *buf, size_t size) {
    char nb[LP_INTBUF];
    size_t len;
    const char *s = lpGetStr(p, &len, nb);
    if (len >= size) len = size - 1;
    memcpy(buf, s, len);
    buf[len] = '\0';
    return buf;
}

static int entry_is(const unsigned char *p, const char *want) {
    char buf[256];
    return p && strcmp(str_of(p, buf, sizeof(buf)), want) == 0;
}

static size_t size_of_single(const char *s, int flags) {
    unsigned char *lp = lpAppend(lpNew(flags), s, strlen(s));
    size_t n = lpBytes(lp) - LP_HDR_SIZE;
    lpFree(lp);
    return n;
}

TEST(empty_listpack) {
    unsigned char *lp = lpNew(0);
    CHECK(lpBytes(lp) == LP_HDR_SIZE);
    CHECK(lpLength(lp) == 0);
    CHECK(lpFirst(lp) == NULL);
    CHECK(lpLast(lp) == NULL);
    CHECK(lpSeek(lp, 0) == NULL);
    CHECK(lpSeek(lp, -1) == NULL);
    CHECK(lpValidate(lp, 1));
    lpFree(lp);
}

TEST(encoding_sizes) {
    /* forward-only: encoding + data */
    CHECK(size_of_single("0", 0) == 1);
    CHECK(size_of_single("127", 0) == 1);
    CHECK(size_of_single("128", 0) == 2);
    CHECK(size_of_single("-1", 0) == 2);
    CHECK(size_of_single("-4096", 0) == 2);
    CHECK(size_of_single("4095", 0) == 2);
    CHECK(size_of_single("4096", 0) == 3);
    CHECK(size_of_single("32767", 0) == 3);
    CHECK(size_of_single("32768", 0) == 4);
    CHECK(size_of_single("9223372036854775807", 0) == 9);
    CHECK(size_of_single("-9223372036854775808", 0) == 9);
    CHECK(size_of_single("", 0) == 1);
    CHECK(size_of_single("field:0", 0) == 8);
    CHECK(size_of_single("vvvvvvvvvvvvvvvv", 0) == 17);
    /* with back-lengths: one more byte for small entries */
    CHECK(size_of_single("0", LP_BACKLEN) == 2);
    CHECK(size_of_single("field:0", LP_BACKLEN) == 9);
    /* non-canonical integers stay strings */
    CHECK(size_of_single("01", 0) == 3);
    CHECK(size_of_single("+1", 0) == 3);
    CHECK(size_of_single("-0", 0) == 3);
    CHECK(size_of_single(" 1", 0) == 3);
    CHECK(size_of_single("9223372036854775808", 0) == 20);
}

TEST(hash_of_ten_fields_fits_256_bytes) {
    /* The memory goal of 100,000 small hashes depends on this exact size. */
    unsigned char *lp = lpNew(0);
    for (int i = 0; i < 10; i++) {
        char f[32];
        snprintf(f, sizeof(f), "field:%d", i);
        lp = lpAppend(lp, f, strlen(f));
        lp = lpAppend(lp, "vvvvvvvvvvvvvvvv", 16);
    }
    CHECK(lpBytes(lp) == 256);
    CHECK(lpValidate(lp, 1));
    lpFree(lp);
}

TEST(long_strings) {
    for (int flags = 0; flags <= LP_BACKLEN; flags++) {
        size_t sizes[] = {63, 64, 4095, 4096, 100000};
        for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
            size_t n = sizes[i];
            char *s = kmalloc(n);
            memset(s, 'a' + (int)i, n);
            unsigned char *lp = lpAppend(lpNew(flags), "x", 1);
            lp = lpAppend(lp, s, n);
            lp = lpAppend(lp, "y", 1);
            CHECK(lpValidate(lp, 1));
            unsigned char *p = lpSeek(lp, 1);
            REQUIRE(p);
            lpValue v;
            lpGet(p, &v);
            CHECK(v.str && v.len == n && memcmp(v.str, s, n) == 0);
            CHECK(entry_is(lpNext(lp, p), "y"));
            CHECK(entry_is(lpPrev(lp, p), "x"));
            CHECK(lpPrev(lp, lpLast(lp)) == p);
            kfree(s);
            lpFree(lp);
        }
    }
}

TEST(integers_roundtrip) {
    long long vals[] = {0, 1, 127, 128, -1, -4096, -4097, 4095, 4096, 32767, -32768, 32768, 8388607,
                        -8388608, 8388608, 2147483647LL, -2147483648LL, 1LL << 40, -(1LL << 40),
                        INT64_MAX, INT64_MIN};
    size_t n = sizeof(vals) / sizeof(vals[0]);
    unsigned char *lp = lpNew(LP_BACKLEN);
    for (size_t i = 0; i < n; i++) lp = (i % 2) ? lpAppendInt(lp, vals[i]) : lpPrependInt(lp, vals[i]);
    CHECK(lpValidate(lp, 1));
    CHECK(lpLength(lp) == n);
    for (size_t i = 0; i < n; i++) {
        lpKey k;
        char buf[32];
        snprintf(buf, sizeof(buf), "%lld", vals[i]);
        lpKeyInit(&k, buf, strlen(buf));
        unsigned char *p = lpFind(lp, lpFirst(lp), &k, 0);
        long long got;
        CHECK(p && lpGetInt(p, &got) && got == vals[i]);
        CHECK(p && lpGetStrLen(p) == strlen(buf));
    }
    lpFree(lp);
}

static unsigned char *build(int flags, int n) {
    unsigned char *lp = lpNew(flags);
    for (int i = 0; i < n; i++) {
        char buf[32];
        int len = snprintf(buf, sizeof(buf), (i % 3 == 0) ? "%d" : "item-%d", i);
        lp = lpAppend(lp, buf, (size_t)len);
    }
    return lp;
}

TEST(navigation_and_seek) {
    for (int flags = 0; flags <= LP_BACKLEN; flags++) {
        unsigned char *lp = build(flags, 50);
        CHECK(lpLength(lp) == 50);
        CHECK(entry_is(lpFirst(lp), "0"));
        CHECK(entry_is(lpLast(lp), "item-49"));
        CHECK(entry_is(lpSeek(lp, 3), "3"));
        CHECK(entry_is(lpSeek(lp, 40), "item-40"));
        CHECK(entry_is(lpSeek(lp, -1), "item-49"));
        CHECK(entry_is(lpSeek(lp, -50), "0"));
        CHECK(lpSeek(lp, -51) == NULL);
        CHECK(lpSeek(lp, 50) == NULL);
        int count = 0;
        for (unsigned char *p = lpLast(lp); p; p = lpPrev(lp, p)) count++;
        CHECK(count == 50);
        count = 0;
        for (unsigned char *p = lpFirst(lp); p; p = lpNext(lp, p)) count++;
        CHECK(count == 50);
        lpFree(lp);
    }
}

TEST(find_with_skip) {
    unsigned char *lp = lpNew(0);
    const char *kv[] = {"a", "b", "b", "c", "10", "a", "c", "10"};
    for (int i = 0; i < 8; i++) lp = lpAppend(lp, kv[i], strlen(kv[i]));
    lpKey k;
    lpKeyInit(&k, "b", 1);
    CHECK(lpFind(lp, lpFirst(lp), &k, 1) == lpSeek(lp, 2));   /* field "b", not value "b" */
    lpKeyInit(&k, "c", 1);
    CHECK(lpFind(lp, lpFirst(lp), &k, 1) == lpSeek(lp, 6));
    lpKeyInit(&k, "10", 2);
    CHECK(lpFind(lp, lpFirst(lp), &k, 1) == lpSeek(lp, 4));
    CHECK(lpFind(lp, lpSeek(lp, 1), &k, 1) == lpSeek(lp, 7));
    lpKeyInit(&k, "a", 1);
    CHECK(lpFind(lp, lpSeek(lp, 1), &k, 1) == lpSeek(lp, 5));  /* odd offsets only, not 0 */
    lpKeyInit(&k, "b", 1);
    CHECK(lpFind(lp, lpSeek(lp, 3), &k, 1) == NULL);           /* 2 is never looked at */
    lpKeyInit(&k, "010", 3);
    CHECK(lpFind(lp, lpFirst(lp), &k, 0) == NULL);
    lpFree(lp);
}

TEST(modifications) {
    for (int flags = 0; flags <= LP_BACKLEN; flags++) {
        unsigned char *lp = build(flags, 10);
        unsigned char *p = lpSeek(lp, 5), *np;
        lp = lpInsert(lp, p, "new", 3, &np);
        CHECK(entry_is(np, "new"));
        CHECK(entry_is(lpNext(lp, np), "item-5"));
        CHECK(lpLength(lp) == 11);
        lp = lpReplace(lp, &np, "a much longer replacement value than before", 44);
        CHECK(entry_is(np, "a much longer replacement value than before"));
        CHECK(entry_is(lpPrev(lp, np), "item-4"));
        lp = lpReplaceInt(lp, &np, 7);
        CHECK(entry_is(np, "7"));
        CHECK(lpValidate(lp, 1));
        lp = lpDelete(lp, &np);
        CHECK(entry_is(np, "item-5"));
        p = lpLast(lp);
        lp = lpDelete(lp, &p);
        CHECK(p == NULL);
        CHECK(lpLength(lp) == 9);
        lp = lpDeleteRange(lp, -3, 100);
        CHECK(lpLength(lp) == 6);
        CHECK(entry_is(lpLast(lp), "item-5"));
        lp = lpDeleteRange(lp, 0, 2);
        CHECK(entry_is(lpFirst(lp), "item-2"));
        /* inserting a copy of one of its own entries (the source moves during the insert) */
        lpValue v;
        lpGet(lpFirst(lp), &v);
        lp = lpInsert(lp, NULL, (const char *)v.str, v.len, NULL);
        CHECK(entry_is(lpLast(lp), "item-2"));
        CHECK(lpValidate(lp, 1));
        unsigned char *other = build(flags, 3);
        lp = lpConcat(lp, other);
        CHECK(entry_is(lpLast(lp), "item-2"));
        CHECK(lpLength(lp) == 8);
        CHECK(lpValidate(lp, 1));
        unsigned char *mixed = build(flags ? 0 : LP_BACKLEN, 2);    /* the other layout */
        lp = lpConcat(lp, mixed);
        lpFree(mixed);
        CHECK(entry_is(lpLast(lp), "item-1"));
        CHECK(entry_is(lpPrev(lp, lpLast(lp)), "0"));
        CHECK(lpLength(lp) == 10);
        CHECK(lpValidate(lp, 1));
        unsigned char *dup = lpDup(lp);
        CHECK(lpBytes(dup) == lpBytes(lp) && memcmp(dup, lp, lpBytes(lp)) == 0);
        lpFree(dup);
        lpFree(other);
        lpFree(lp);
    }
}

TEST(count_saturation) {
    unsigned char *lp = lpNew(LP_BACKLEN);
    for (int i = 0; i < 70000; i++) lp = lpAppendInt(lp, i);
    CHECK(lpLength(lp) == 70000);
    CHECK(lpValidate(lp, 1));
    CHECK(entry_is(lpSeek(lp, -1), "69999"));
    lp = lpDeleteRange(lp, 0, 10000);
    CHECK(lpLength(lp) == 60000);
    CHECK(lpValidate(lp, 1));
    lpFree(lp);
}

TEST(validate_detects_corruption) {
    unsigned char *lp = build(LP_BACKLEN, 5);
    unsigned char *p = lpSeek(lp, 1);
    unsigned char *bl = lpNext(lp, p) - 1;
    unsigned char saved = *bl;
    *bl = (unsigned char)(saved + 1);
    CHECK(!lpValidate(lp, 0));
    *bl = saved;
    CHECK(lpValidate(lp, 0));
    lp[4]++;   /* count */
    CHECK(!lpValidate(lp, 0));
    lp[4]--;
    unsigned char first = *lpFirst(lp);
    *lpFirst(lp) = 0xFF;
    CHECK(!lpValidate(lp, 0));
    *lpFirst(lp) = first;
    CHECK(lpValidate(lp, 0));
    lpFree(lp);
}

/* ---- Model test -------------------------------------------------------------------------- */

#define MODEL_MAX 400

typedef struct model {
    char *items[MODEL_MAX];
    size_t lens[MODEL_MAX];
    int n;
} model;

static uint64_t rng_state = 88172645463325252ULL;
static uint64_t rnd(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* A random value: small/large integers, non-canonical integer strings, short and long strings. */
static size_t random_value(char *buf) {
    switch (rnd() % 6) {
    case 0: return (size_t)sprintf(buf, "%lld", (long long)(rnd() % 300) - 150);
    case 1: return (size_t)sprintf(buf, "%lld", (long long)rnd());
    case 2: return (size_t)sprintf(buf, "0%d", (int)(rnd() % 10));
    case 3: {
        size_t len = rnd() % 5000;
        memset(buf, 'a' + (int)(rnd() % 26), len);
        return len;
    }
    default: return (size_t)sprintf(buf, "s%llu", (unsigned long long)(rnd() % 1000));
    }
}

static int model_matches(const unsigned char *lp, const model *m) {
    if (lpLength(lp) != (size_t)m->n) return 0;
    int i = 0;
    for (unsigned char *p = lpFirst(lp); p; p = lpNext(lp, p), i++) {
        char nb[LP_INTBUF];
        size_t len;
        const char *s = lpGetStr(p, &len, nb);
        if (i >= m->n || len != m->lens[i] || memcmp(s, m->items[i], len) != 0) return 0;
    }
    i = m->n;
    for (unsigned char *p = lpLast(lp); p; p = lpPrev(lp, p)) i--;
    return i == 0;
}

static void model_insert(model *m, int at, const char *s, size_t len) {
    memmove(m->items + at + 1, m->items + at, sizeof(char *) * (size_t)(m->n - at));
    memmove(m->lens + at + 1, m->lens + at, sizeof(size_t) * (size_t)(m->n - at));
    m->items[at] = kmemdup(s, len ? len : 1);
    m->lens[at] = len;
    m->n++;
}

static void model_delete(model *m, int at, int count) {
    for (int i = at; i < at + count; i++) kfree(m->items[i]);
    memmove(m->items + at, m->items + at + count, sizeof(char *) * (size_t)(m->n - at - count));
    memmove(m->lens + at, m->lens + at + count, sizeof(size_t) * (size_t)(m->n - at - count));
    m->n -= count;
}

static void model_run(int flags, int steps) {
    static char buf[5000];
    model m = {.n = 0};
    unsigned char *lp = lpNew(flags);
    for (int step = 0; step < steps; step++) {
        int op = (int)(rnd() % 4), at = m.n ? (int)(rnd() % (uint64_t)m.n) : 0;
        if (m.n >= MODEL_MAX - 1) op = 2;
        if (m.n == 0) op = 0;
        size_t len = random_value(buf);
        if (op == 0) {
            int idx = (int)(rnd() % (uint64_t)(m.n + 1));
            lp = lpInsert(lp, idx == m.n ? NULL : lpSeek(lp, idx), buf, len, NULL);
            model_insert(&m, idx, buf, len);
        } else if (op == 1) {
            unsigned char *p = lpSeek(lp, at - m.n);   /* negative index */
            lp = lpReplace(lp, &p, buf, len);
            kfree(m.items[at]);
            m.items[at] = kmemdup(buf, len ? len : 1);
            m.lens[at] = len;
        } else if (op == 2) {
            int count = 1 + (int)(rnd() % 3);
            if (count > m.n - at) count = m.n - at;
            lp = lpDeleteRange(lp, at, (size_t)count);
            model_delete(&m, at, count);
        } else {
            lpKey k;
            lpKeyInit(&k, m.items[at], m.lens[at]);
            unsigned char *p = lpFind(lp, lpFirst(lp), &k, 0);
            int first = 0;
            while (first < m.n && !(m.lens[first] == m.lens[at] && memcmp(m.items[first], m.items[at], m.lens[at]) == 0))
                first++;
            CHECK(p == lpSeek(lp, first));
        }
        if (!lpValidate(lp, 1) || !model_matches(lp, &m)) {
            fprintf(stderr, "  model mismatch at step %d (op %d, flags %d)\n", step, op, flags);
            CHECK(0);
            break;
        }
    }
    model_delete(&m, 0, m.n);
    lpFree(lp);
}

TEST(model_backlen) {
    model_run(LP_BACKLEN, unit_long() ? 200000 : 20000);
}

TEST(model_forward_only) {
    model_run(0, unit_long() ? 200000 : 20000);
}

int main(void) {
    RUN(empty_listpack);
    RUN(encoding_sizes);
    RUN(hash_of_ten_fields_fits_256_bytes);
    RUN(long_strings);
    RUN(integers_roundtrip);
    RUN(navigation_and_seek);
    RUN(find_with_skip);
    RUN(modifications);
    RUN(count_saturation);
    RUN(validate_detects_corruption);
    RUN(model_backlen);
    RUN(model_forward_only);
    return unit_report();
}
