/* Unit tests of the request parser (src/protocol/request.c) and the number/glob helpers it and
 * the commands rely on (src/util/util.c). */
#include <limits.h>

#include "protocol/request.h"
#include "unit.h"
#include "util/mem.h"
#include "util/util.h"

/* Parses buf (copied, since the parser writes NULs into it) and returns the parse result. */
static int parse(reqParser *p, const char *text, size_t len, size_t *consumed, char *copy) {
    memcpy(copy, text, len);
    return req_parse(p, copy, len, consumed);
}

TEST(multibulk_basic) {
    reqParser p;
    req_init(&p, 512 * 1024 * 1024LL);
    char buf[128];
    const char *req = "*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n";
    size_t used = 0;
    REQUIRE(parse(&p, req, strlen(req), &used, buf) == REQ_OK);
    CHECK(used == strlen(req));
    CHECK(p.argc == 2);
    CHECK(p.argv[0].len == 3 && memcmp(p.argv[0].ptr, "GET", 3) == 0);
    CHECK(p.argv[1].ptr[3] == '\0');   /* NUL-terminated in place */
    req_free(&p);
}

TEST(multibulk_incremental) {
    /* Feeding a request one byte at a time must give the same result as all at once. */
    reqParser p;
    req_init(&p, 512 * 1024 * 1024LL);
    char buf[128];
    const char *req = "*3\r\n$3\r\nSET\r\n$1\r\na\r\n$5\r\nhello\r\n";
    size_t n = strlen(req), used = 0;
    memcpy(buf, req, n);
    int r = REQ_INCOMPLETE;
    for (size_t have = 1; have <= n; have++) {
        r = req_parse(&p, buf, have, &used);
        if (have < n) REQUIRE(r == REQ_INCOMPLETE);
    }
    REQUIRE(r == REQ_OK);
    CHECK(p.argc == 3 && p.argv[2].len == 5 && memcmp(p.argv[2].ptr, "hello", 5) == 0);
    CHECK(used == n);
    req_free(&p);
}

TEST(multibulk_binary_args) {
    reqParser p;
    req_init(&p, 1024);
    char buf[64];
    const char req[] = "*1\r\n$4\r\na\r\n\0\r\n";
    size_t used;
    REQUIRE(parse(&p, req, sizeof(req) - 1, &used, buf) == REQ_OK);
    CHECK(p.argv[0].len == 4 && p.argv[0].ptr[1] == '\r' && p.argv[0].ptr[3] == '\0');
    req_free(&p);
}

TEST(multibulk_errors) {
    struct {
        const char *req;
        const char *err;
    } cases[] = {
        {"*abc\r\n", "Protocol error: invalid multibulk length"},
        {"*3000000000\r\n", "Protocol error: invalid multibulk length"},
        {"*1\r\n+foo\r\n", "Protocol error: expected '$', got '+'"},
        {"*1\r\n$-5\r\n", "Protocol error: invalid bulk length"},
        {"*1\r\n$x\r\n", "Protocol error: invalid bulk length"},
        {"*1\r\n$2000\r\n", "Protocol error: invalid bulk length"},   /* over max_bulk_len */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        reqParser p;
        req_init(&p, 1024);
        char buf[64];
        size_t used;
        CHECK(parse(&p, cases[i].req, strlen(cases[i].req), &used, buf) == REQ_ERROR);
        CHECK(p.error && strcmp(p.error, cases[i].err) == 0);
        req_free(&p);
    }
}

TEST(unauthenticated_limits) {
    reqParser p;
    req_init(&p, 1 << 20);
    p.unauthenticated = 1;
    char buf[64];
    size_t used;
    CHECK(parse(&p, "*11\r\n", 5, &used, buf) == REQ_ERROR);
    CHECK(strcmp(p.error, "Protocol error: unauthenticated multibulk length") == 0);
    CHECK(parse(&p, "*1\r\n$16385\r\n", 13, &used, buf) == REQ_ERROR);
    CHECK(strcmp(p.error, "Protocol error: unauthenticated bulk length") == 0);
    p.unauthenticated = 0;
    CHECK(parse(&p, "*11\r\n", 5, &used, buf) == REQ_INCOMPLETE);
    req_free(&p);
}

TEST(empty_multibulk_is_skipped) {
    reqParser p;
    req_init(&p, 1024);
    char buf[64];
    size_t used;
    REQUIRE(parse(&p, "*0\r\n*-1\r\n", 9, &used, buf) == REQ_OK);
    CHECK(p.argc == 0 && used == 4);
    req_free(&p);
}

TEST(inline_commands) {
    reqParser p;
    req_init(&p, 1024);
    char buf[128];
    size_t used;
    const char *req = "SET \"a b\" 'c d' \"\\x41\\n\"\r\n";
    REQUIRE(parse(&p, req, strlen(req), &used, buf) == REQ_OK);
    CHECK(used == strlen(req));
    REQUIRE(p.argc == 4);
    CHECK(p.argv[1].len == 3 && memcmp(p.argv[1].ptr, "a b", 3) == 0);
    CHECK(p.argv[2].len == 3 && memcmp(p.argv[2].ptr, "c d", 3) == 0);
    CHECK(p.argv[3].len == 2 && p.argv[3].ptr[0] == 'A' && p.argv[3].ptr[1] == '\n');

    CHECK(parse(&p, "PING", 4, &used, buf) == REQ_INCOMPLETE);   /* no newline yet */
    CHECK(parse(&p, "SET \"a b\r\n", 10, &used, buf) == REQ_ERROR);
    CHECK(strcmp(p.error, "Protocol error: unbalanced quotes in request") == 0);
    CHECK(parse(&p, "\r\n", 2, &used, buf) == REQ_OK && p.argc == 0);
    req_free(&p);
}

TEST(inline_too_big) {
    reqParser p;
    req_init(&p, 1024);
    size_t n = 70 * 1024, used;
    char *buf = kmalloc(n);
    memset(buf, 'a', n);
    CHECK(req_parse(&p, buf, n, &used) == REQ_ERROR);
    CHECK(strcmp(p.error, "Protocol error: too big inline request") == 0);
    kfree(buf);
    req_free(&p);
}

TEST(strict_integers) {
    long long v;
    CHECK(str_to_ll("0", 1, &v) && v == 0);
    CHECK(str_to_ll("-9223372036854775808", 20, &v) && v == LLONG_MIN);
    CHECK(str_to_ll("9223372036854775807", 19, &v) && v == LLONG_MAX);
    CHECK(!str_to_ll("9223372036854775808", 19, &v));
    CHECK(!str_to_ll("01", 2, &v));
    CHECK(!str_to_ll("-0", 2, &v));
    CHECK(!str_to_ll("+1", 2, &v));
    CHECK(!str_to_ll(" 1", 2, &v));
    CHECK(!str_to_ll("", 0, &v));
    double d;
    CHECK(str_to_d("1.5", 3, &d) && d == 1.5);
    CHECK(str_to_d("-inf", 4, &d));
    CHECK(!str_to_d("nan", 3, &d));
    CHECK(!str_to_d(" 1", 2, &d));
    char out[64];
    CHECK(ll_to_str(out, sizeof(out), LLONG_MIN) == 20 && strcmp(out, "-9223372036854775808") == 0);
    CHECK(ll_to_str(out, sizeof(out), 0) == 1 && strcmp(out, "0") == 0);
    CHECK(ll_to_str(out, sizeof(out), -7) == 2 && strcmp(out, "-7") == 0);
    char longnum[200];
    memset(longnum, '0', sizeof(longnum));
    longnum[199] = '5';
    CHECK(str_to_d(longnum, sizeof(longnum), &d) && d == 5.0);
    CHECK(ld_to_str(out, sizeof(out), 10.5L) == 4 && strcmp(out, "10.5") == 0);
    CHECK(ld_to_str(out, sizeof(out), 3.0L) == 1 && strcmp(out, "3") == 0);
}

TEST(globs) {
#define G(p, s) glob_match(p, strlen(p), s, strlen(s), 0)
    CHECK(!G("*", ""));   /* Redis's quirk: an empty string matches only an empty pattern */
    CHECK(G("", ""));
    CHECK(G("a*", "a"));
    CHECK(G("h?llo", "hello"));
    CHECK(!G("h?llo", "hllo"));
    CHECK(G("h*llo", "heeeello"));
    CHECK(G("h[ae]llo", "hallo"));
    CHECK(!G("h[ae]llo", "hillo"));
    CHECK(G("h[^e]llo", "hallo"));
    CHECK(!G("h[^e]llo", "hello"));
    CHECK(G("h[a-b]llo", "hbllo"));
    CHECK(G("h\\*llo", "h*llo"));
    CHECK(!G("h\\*llo", "hello"));
    CHECK(G("*a*b*c*", "xxaxxbxxcxx"));
    CHECK(!G("*a*b*c*", "xxaxxcxxbxx"));
    CHECK(glob_match("HeLLo", 5, "hello", 5, 1));
#undef G
}

int main(void) {
    RUN(multibulk_basic);
    RUN(multibulk_incremental);
    RUN(multibulk_binary_args);
    RUN(multibulk_errors);
    RUN(unauthenticated_limits);
    RUN(empty_multibulk_is_skipped);
    RUN(inline_commands);
    RUN(inline_too_big);
    RUN(strict_integers);
    RUN(globs);
    return unit_report();
}
