/* test_intset.c - the sorted integer set: width upgrades (16 -> 32 -> 64 bits, negative and
 * positive), removal, lookup at and beyond each width's bounds, and a randomized comparison with
 * a sorted reference array (intsetValidate after each operation). */
#include <stdint.h>

#include "types/intset.h"
#include "unit.h"

static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;
static uint64_t rnd(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

TEST(basic_add_find_remove) {
    intset *is = intsetNew();
    int added, removed;
    is = intsetAdd(is, 5, &added);
    CHECK(added == 1);
    is = intsetAdd(is, 5, &added);
    CHECK(added == 0);
    is = intsetAdd(is, -3, &added);
    is = intsetAdd(is, 100, &added);
    CHECK(intsetLen(is) == 3);
    CHECK(intsetGet(is, 0) == -3 && intsetGet(is, 1) == 5 && intsetGet(is, 2) == 100);
    CHECK(intsetFind(is, 5) && !intsetFind(is, 6) && !intsetFind(is, 1LL << 40));
    is = intsetRemove(is, 5, &removed);
    CHECK(removed == 1 && intsetLen(is) == 2);
    is = intsetRemove(is, 5, &removed);
    CHECK(removed == 0);
    is = intsetRemove(is, 1LL << 40, &removed);
    CHECK(removed == 0);
    CHECK(intsetBytes(is) == 8 + 2 * 2);
    CHECK(intsetValidate(is, 1));
    intsetFree(is);
}

TEST(upgrades) {
    intset *is = intsetNew();
    is = intsetAdd(is, 1, NULL);
    is = intsetAdd(is, 2, NULL);
    CHECK(is->width == 2);
    is = intsetAdd(is, 32768, NULL);              /* positive: appended */
    CHECK(is->width == 4);
    CHECK(intsetGet(is, 2) == 32768 && intsetGet(is, 0) == 1);
    is = intsetAdd(is, -2147483649LL, NULL);      /* negative: prepended */
    CHECK(is->width == 8);
    CHECK(intsetGet(is, 0) == -2147483649LL && intsetGet(is, 1) == 1 && intsetGet(is, 3) == 32768);
    is = intsetAdd(is, INT64_MAX, NULL);
    is = intsetAdd(is, INT64_MIN, NULL);
    CHECK(intsetLen(is) == 6);
    CHECK(intsetGet(is, 0) == INT64_MIN && intsetGet(is, 5) == INT64_MAX);
    CHECK(intsetFind(is, INT16_MIN) == 0 && intsetFind(is, 32768));
    /* removing the wide values never downgrades */
    is = intsetRemove(is, INT64_MAX, NULL);
    is = intsetRemove(is, INT64_MIN, NULL);
    CHECK(is->width == 8);
    CHECK(intsetValidate(is, 1));
    intset *d = intsetDup(is);
    CHECK(intsetBytes(d) == intsetBytes(is) && memcmp(d, is, intsetBytes(is)) == 0);
    intsetFree(d);
    intsetFree(is);
}

TEST(random_member) {
    intset *is = intsetNew();
    for (int i = 0; i < 10; i++) is = intsetAdd(is, i * 7, NULL);
    int seen[10] = {0};
    for (int i = 0; i < 1000; i++) {
        int64_t v = intsetRandom(is);
        CHECK(v % 7 == 0 && v >= 0 && v < 70);
        if (v % 7 == 0 && v >= 0 && v < 70) seen[v / 7] = 1;
    }
    for (int i = 0; i < 10; i++) CHECK(seen[i]);
    intsetFree(is);
}

static int64_t random_value(void) {
    switch (rnd() % 3) {
    case 0: return (int64_t)(rnd() % 2000) - 1000;
    case 1: return (int64_t)(int32_t)rnd();
    default: return (int64_t)rnd();
    }
}

TEST(model) {
    enum { MAX = 2000 };
    static int64_t ref[MAX];
    int n = 0, steps = unit_long() ? 300000 : 30000;
    intset *is = intsetNew();
    for (int step = 0; step < steps; step++) {
        int64_t v = (n && rnd() % 2) ? ref[rnd() % (uint64_t)n] : random_value();
        int pos = 0;
        while (pos < n && ref[pos] < v) pos++;
        int present = pos < n && ref[pos] == v;
        int done;
        if (n < MAX - 1 && rnd() % 3 != 0) {
            is = intsetAdd(is, v, &done);
            CHECK(done == !present);
            if (!present) {
                memmove(ref + pos + 1, ref + pos, sizeof(int64_t) * (size_t)(n - pos));
                ref[pos] = v;
                n++;
            }
        } else {
            is = intsetRemove(is, v, &done);
            CHECK(done == present);
            if (present) {
                memmove(ref + pos, ref + pos + 1, sizeof(int64_t) * (size_t)(n - pos - 1));
                n--;
            }
        }
        int ok = intsetValidate(is, 1) && intsetLen(is) == (uint32_t)n;
        for (int i = 0; ok && i < n; i++) ok = intsetGet(is, (uint32_t)i) == ref[i];
        if (!ok) {
            fprintf(stderr, "  model mismatch at step %d\n", step);
            CHECK(0);
            break;
        }
    }
    intsetFree(is);
}

int main(void) {
    RUN(basic_add_find_remove);
    RUN(upgrades);
    RUN(random_member);
    RUN(model);
    return unit_report();
}
