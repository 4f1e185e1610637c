/* test_sha1.c - SHA-1 (src/util/sha1.c) against the FIPS 180 examples and lengths around the
 * 55/56/64-byte padding boundaries (checked against sha1sum). */
#include "unit.h"
#include "util/sha1.h"

static int sha_is(const char *data, size_t len, const char *hex) {
    char out[41];
    sha1_hex(data, len, out);
    return strcmp(out, hex) == 0;
}

TEST(known_vectors) {
    CHECK(sha_is("", 0, "da39a3ee5e6b4b0d3255bfef95601890afd80709"));
    CHECK(sha_is("abc", 3, "a9993e364706816aba3e25717850c26c9cd0d89d"));
    const char *two_blocks = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    CHECK(sha_is(two_blocks, strlen(two_blocks), "84983e441c3bd26ebaae4aa1f95129e5e54670f1"));
    CHECK(sha_is("return 1", 8, "e0e1f9fabfc9d4800c877a703b823ac0578ff8db"));
}

TEST(padding_boundaries) {
    char a[200];
    memset(a, 'a', sizeof(a));
    CHECK(sha_is(a, 55, "c1c8bbdc22796e28c0e15163d20899b65621d65a"));
    CHECK(sha_is(a, 56, "c2db330f6083854c99d4b5bfb6e8f29f201be699"));
    CHECK(sha_is(a, 64, "0098ba824b5c16427bd7a1122a5a442a25ec644d"));
    CHECK(sha_is(a, 57, "f08f24908d682555111be7ff6f004e78283d989a"));
}

int main(void) {
    RUN(known_vectors);
    RUN(padding_boundaries);
    return unit_report();
}
