/* test_zpack.c - the small sorted set encoding (types/zpack.h): every score code round-trips
 * exactly (and -0 reads back as 0), member lengths across the varint boundary, the sizes the
 * format promises, and a randomized comparison with a reference array of positional inserts
 * and range deletes, walking forwards, backwards (zpPrev) and by rank after each step. */
#include <math.h>
#include <stdint.h>

#include "types/zpack.h"
#include "unit.h"
#include "util/mem.h"

static uint64_t rng_state = 0x2545F4914F6CDD1DULL;
static uint64_t rnd(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static const double scores[] = {0, 1, 11, 12, -1, 127, 128, -128, -129, 32767, 32768, -32768, -32769,
                                2147483647.0, 2147483648.0, -2147483648.0, -2147483649.0,
                                4503599627370495.0, 4503599627370496.0, 1.5, -2.25, 1e300, -1e-300};

TEST(score_codes_round_trip) {
    unsigned char *zp = zpNew();
    size_t n = sizeof(scores) / sizeof(scores[0]);
    for (size_t i = 0; i < n; i++) zp = zpInsert(zp, NULL, "m", 1, scores[i]);
    zp = zpInsert(zp, NULL, "inf", 3, INFINITY);
    zp = zpInsert(zp, NULL, "-inf", 4, -INFINITY);
    zp = zpInsert(zp, NULL, "-0", 2, -0.0);
    REQUIRE(zpLength(zp) == n + 3);
    unsigned char *p = zpFirst(zp);
    for (size_t i = 0; i < n; i++, p = zpNext(zp, p)) {
        REQUIRE(p);
        CHECK(zpScore(p) == scores[i]);
    }
    CHECK(zpScore(p) == INFINITY);
    p = zpNext(zp, p);
    CHECK(zpScore(p) == -INFINITY);
    p = zpNext(zp, p);
    CHECK(zpScore(p) == 0 && !signbit(zpScore(p)));   /* an integer, as in Redis's listpacks */
    CHECK(zpNext(zp, p) == NULL);
    zpFree(zp);
}

TEST(sizes) {
    unsigned char *zp = zpNew();
    CHECK(zpBytes(zp) == 2 && zpFirst(zp) == NULL && zpSeek(zp, 0) == NULL);
    char m[24];
    for (int i = 0; i < 10; i++) {
        snprintf(m, sizeof(m), "member:%d", i);
        zp = zpInsert(zp, NULL, m, 8, i);
    }
    CHECK(zpBytes(zp) == 2 + 10 * 9);   /* the layout docs/memory.md counts on */
#if defined(KEEL_JEMALLOC) && KEEL_JEMALLOC
    CHECK(kmalloc_size(zp) == 96);   /* jemalloc's class; libc malloc rounds otherwise */
#endif
    zpFree(zp);
}

TEST(member_lengths) {
    static const size_t lens[] = {0, 1, 14, 15, 16, 127, 128, 129, 16383, 16384, 70000};
    size_t n = sizeof(lens) / sizeof(lens[0]);
    char *buf = kmalloc(70000);
    unsigned char *zp = zpNew();
    for (size_t i = 0; i < n; i++) {
        memset(buf, 'a' + (int)i, lens[i]);
        zp = zpInsert(zp, NULL, buf, lens[i], (double)i);
    }
    unsigned char *p = zpFirst(zp);
    for (size_t i = 0; i < n; i++, p = zpNext(zp, p)) {
        size_t l;
        double s;
        REQUIRE(p);
        const char *x = zpGet(p, &l, &s);
        CHECK(l == lens[i] && s == (double)i);
        CHECK(l == 0 || (x[0] == 'a' + (int)i && x[l - 1] == 'a' + (int)i));
    }
    CHECK(p == NULL);
    unsigned char *d = zpDup(zp);
    CHECK(zpBytes(d) == zpBytes(zp) && memcmp(d, zp, zpBytes(zp)) == 0);
    zpFree(d);
    zpFree(zp);
    kfree(buf);
}

/* Reference: parallel arrays of member ids and scores. */
#define MAXN 300
static int ref_id[MAXN];
static double ref_score[MAXN];
static size_t ref_n;

static int check_against_ref(const unsigned char *zp) {
    if (zpLength(zp) != ref_n) return 0;
    unsigned char *p = zpFirst(zp), *last = NULL;
    for (size_t i = 0; i < ref_n; i++) {
        char want[32];
        int wl = snprintf(want, sizeof(want), "id%d", ref_id[i]);
        size_t l;
        double s;
        if (!p) return 0;
        const char *m = zpGet(p, &l, &s);
        if (l != (size_t)wl || memcmp(m, want, l) != 0 || s != ref_score[i]) return 0;
        if (zpSeek(zp, i) != p) return 0;
        if (zpPrev(zp, p) != last) return 0;
        last = p;
        p = zpNext(zp, p);
    }
    return p == NULL && zpSeek(zp, ref_n) == NULL;
}

TEST(random_against_reference) {
    unsigned char *zp = zpNew();
    ref_n = 0;
    int rounds = unit_long() ? 200000 : 20000;
    for (int r = 0; r < rounds; r++) {
        if (ref_n < MAXN && (ref_n == 0 || rnd() % 3)) {
            size_t at = (size_t)(rnd() % (ref_n + 1));
            int id = (int)(rnd() % 100000);
            double s = scores[rnd() % (sizeof(scores) / sizeof(scores[0]))];
            if (rnd() % 4 == 0) s = (double)(int64_t)(rnd() % 200000) - 100000.0;
            char m[32];
            int ml = snprintf(m, sizeof(m), "id%d", id);
            zp = zpInsert(zp, at < ref_n ? zpSeek(zp, at) : NULL, m, (size_t)ml, s);
            memmove(ref_id + at + 1, ref_id + at, (ref_n - at) * sizeof(int));
            memmove(ref_score + at + 1, ref_score + at, (ref_n - at) * sizeof(double));
            ref_id[at] = id;
            ref_score[at] = s;
            ref_n++;
        } else {
            size_t at = (size_t)(rnd() % ref_n), k = 1 + (size_t)(rnd() % 3);
            if (k > ref_n - at) k = ref_n - at;
            zp = zpDelete(zp, zpSeek(zp, at), k);
            memmove(ref_id + at, ref_id + at + k, (ref_n - at - k) * sizeof(int));
            memmove(ref_score + at, ref_score + at + k, (ref_n - at - k) * sizeof(double));
            ref_n -= k;
        }
        if (r % 97 == 0 || ref_n < 3) REQUIRE(check_against_ref(zp));
    }
    REQUIRE(check_against_ref(zp));
    zpFree(zp);
}

int main(void) {
    RUN(score_codes_round_trip);
    RUN(sizes);
    RUN(member_lengths);
    RUN(random_against_reference);
    return unit_report();
}
