/* test_sha256.c - SHA-256 (src/util/sha256.c) against the FIPS 180 examples and lengths around
 * the 55/56/64-byte padding boundaries (checked against sha256sum). */
#include "unit.h"
#include "util/sha256.h"

static int sha_is(const char *data, size_t len, const char *hex) {
    char out[65];
    sha256_hex(data, len, out);
    return strcmp(out, hex) == 0;
}

TEST(known_vectors) {
    CHECK(sha_is("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
    CHECK(sha_is("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
    const char *two_blocks = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    CHECK(sha_is(two_blocks, strlen(two_blocks), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"));
}

TEST(padding_boundaries) {
    char a[200];
    memset(a, 'a', sizeof(a));
    CHECK(sha_is(a, 55, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318"));
    CHECK(sha_is(a, 56, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a"));
    CHECK(sha_is(a, 57, "f13b2d724659eb3bf47f2dd6af1accc87b81f09f59f2b75e5c0bed6589dfe8c6"));
    CHECK(sha_is(a, 64, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb"));
    CHECK(sha_is(a, 119, "31eba51c313a5c08226adf18d4a359cfdfd8d2e816b13f4af952f7ea6584dcfb"));
}

int main(void) {
    RUN(known_vectors);
    RUN(padding_boundaries);
    return unit_report();
}
