/* test_sort_keys.c - sort_get_keys(): the key positions of SORT command lines, checked against
 * what redis-server 7.0.15's COMMAND GETKEYS reports for the same lines. */
#include "commands/sort.h"
#include "server.h"
#include "unit.h"

/* Splits a space-separated command line into argv (at most 16 words, modified in place). */
static int split(char *line, karg *argv) {
    int argc = 0;
    for (char *w = strtok(line, " "); w && argc < 16; w = strtok(NULL, " ")) {
        argv[argc].ptr = w;
        argv[argc].len = strlen(w);
        argc++;
    }
    return argc;
}

/* Keys of `line` as their words joined by spaces, into out. */
static void keys_of(const char *line, char *out, size_t size) {
    char buf[256];
    karg argv[16];
    int pos[4];
    snprintf(buf, sizeof(buf), "%s", line);
    int argc = split(buf, argv);
    int n = sort_get_keys(argc, argv, pos, NULL, 4);
    out[0] = '\0';
    for (int i = 0; i < n; i++) {
        if (i) strncat(out, " ", size - strlen(out) - 1);
        strncat(out, argv[pos[i]].ptr, size - strlen(out) - 1);
    }
}

#define EXPECT_KEYS(line, want)                                   \
    do {                                                          \
        char got[256];                                            \
        keys_of(line, got, sizeof(got));                          \
        if (strcmp(got, want) != 0)                               \
            fprintf(stderr, "  %s -> '%s'\n", line, got);         \
        CHECK(strcmp(got, want) == 0);                            \
    } while (0)

TEST(test_sort_keys_basic) {
    EXPECT_KEYS("SORT abc", "abc");
    EXPECT_KEYS("SORT abc STORE def", "abc def");
    EXPECT_KEYS("sort abc store def", "abc def");
    EXPECT_KEYS("SORT abc ALPHA DESC STORE def LIMIT 0 1", "abc def");
}

TEST(test_sort_keys_last_store_wins) {
    EXPECT_KEYS("SORT abc STORE d1 STORE d2", "abc d2");
    EXPECT_KEYS("SORT abc STORE", "abc");
}

TEST(test_sort_keys_skips_option_arguments) {
    /* A pattern or LIMIT argument spelled "store" is not the STORE option. */
    EXPECT_KEYS("SORT abc BY store GET store", "abc");
    EXPECT_KEYS("SORT abc LIMIT store store", "abc");
    EXPECT_KEYS("SORT abc GET # BY w_* STORE out", "abc out");
}

TEST(test_sort_keys_bounds) {
    karg argv[1] = {{(char *)"SORT", 4}};
    int pos[2], flags[2];
    CHECK(sort_get_keys(1, argv, pos, flags, 2) == 0);
    char line[] = "SORT abc STORE def";
    karg full[16];
    int argc = split(line, full);
    /* The count is the number of keys; only max of them are written. */
    CHECK(sort_get_keys(argc, full, pos, flags, 1) == 2 && pos[0] == 1 && flags[0] == (KS_RO | KS_ACCESS));
    CHECK(sort_get_keys(argc, full, pos, flags, 2) == 2 && pos[1] == 3 && flags[1] == (KS_OW | KS_UPDATE));
}

int main(void) {
    RUN(test_sort_keys_basic);
    RUN(test_sort_keys_last_store_wins);
    RUN(test_sort_keys_skips_option_arguments);
    RUN(test_sort_keys_bounds);
    return unit_report();
}
