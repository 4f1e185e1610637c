/* unit.h - the minimal harness every C unit test uses.
 *
 * A test file defines test functions with TEST(name) { ... }, lists them in main() through
 * RUN(name), and ends with `return unit_report();`. CHECK() records a failure and goes on;
 * REQUIRE() records it and leaves the current test. The last line printed is
 * "N passed, N failed", which CI reads. KEEL_LONG=1 in the environment selects long modes
 * (unit_long()). */
#ifndef KEEL_UNIT_H
#define KEEL_UNIT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int unit_passed, unit_failed, unit_current_failed;

#define TEST(name) static void name(void)

#define CHECK(cond)                                                                    \
    do {                                                                               \
        if (!(cond)) {                                                                 \
            fprintf(stderr, "  %s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond); \
            unit_current_failed = 1;                                                   \
        }                                                                              \
    } while (0)

#define REQUIRE(cond)                                                                    \
    do {                                                                                 \
        if (!(cond)) {                                                                   \
            fprintf(stderr, "  %s:%d: REQUIRE(%s) failed\n", __FILE__, __LINE__, #cond); \
            unit_current_failed = 1;                                                     \
            return;                                                                      \
        }                                                                                \
    } while (0)

#define RUN(name)                                              \
    do {                                                       \
        unit_current_failed = 0;                               \
        name();                                                \
        if (unit_current_failed) {                             \
            unit_failed++;                                     \
            fprintf(stderr, "FAIL %s\n", #name);               \
        } else {                                               \
            unit_passed++;                                     \
            printf("ok   %s\n", #name);                        \
        }                                                      \
    } while (0)

static inline int unit_long(void) {
    const char *v = getenv("KEEL_LONG");
    return v && *v && strcmp(v, "0") != 0;
}

static inline int unit_report(void) {
    printf("%d passed, %d failed\n", unit_passed, unit_failed);
    return unit_failed ? 1 : 0;
}

#endif
