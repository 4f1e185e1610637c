/* fuzz_request.c - libFuzzer harness for the request parser (src/protocol/request.c).
 *
 * The first input byte picks the limits (authenticated or not, a small or the default
 * proto-max-bulk-len); the rest is the byte stream a client sent. The stream is parsed twice:
 * all at once, and as a client whose bytes arrive one at a time (the parser keeps its progress
 * across REQ_INCOMPLETE calls). Both must produce the same commands and the same error, and
 * every REQ_OK must satisfy the parser's contract: consumed within the buffer and every
 * argument NUL-terminated. A violation traps; ASan/UBSan catch everything else.
 *
 * Built by `make fuzz` (clang-14, -fsanitize=fuzzer,address,undefined). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/request.h"
#include "util/mem.h"

#define CHECK(cond) do { if (!(cond)) __builtin_trap(); } while (0)
#define MAX_INCREMENTAL 4096   /* the byte-at-a-time pass is O(n^2): small inputs only */

/* FNV-1a over the commands parsed so far, so the two passes can be compared cheaply. */
static uint64_t mix(uint64_t h, const void *p, size_t n) {
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 1099511628211ULL;
    return h;
}

static uint64_t digest_command(uint64_t h, const reqParser *p) {
    h = mix(h, &p->argc, sizeof(p->argc));
    for (int i = 0; i < p->argc; i++) {
        CHECK(p->argv[i].ptr[p->argv[i].len] == '\0');
        h = mix(h, &p->argv[i].len, sizeof(p->argv[i].len));
        h = mix(h, p->argv[i].ptr, p->argv[i].len);
    }
    return h;
}

static void setup(reqParser *p, uint8_t mode) {
    req_init(p, (mode & 1) ? 1024 : 512LL * 1024 * 1024);
    p->unauthenticated = (mode & 2) != 0;
}

/* Parses buf[0..len) as it grows by `step` bytes at a time (step 0: all at once). Returns the
 * digest of the commands and the error; *done is set to the bytes consumed. */
static uint64_t run(uint8_t mode, const uint8_t *data, size_t len, size_t step, size_t *done) {
    reqParser p;
    setup(&p, mode);
    char *buf = kmalloc(len ? len : 1);   /* exact size: ASan sees any over-read */
    memcpy(buf, data, len);
    uint64_t h = 1469598103934665603ULL;
    size_t pos = 0, have = step ? 0 : len;
    while (pos < len) {
        if (step && have < len) have += step;
        if (have > len) have = len;
        size_t used = 0;
        int r = req_parse(&p, buf + pos, have - pos, &used);
        if (r == REQ_ERROR) {
            CHECK(p.error != NULL);
            h = mix(h, p.error, strlen(p.error));
            break;
        }
        if (r == REQ_INCOMPLETE) {
            if (have == len) break;
            continue;
        }
        CHECK(used > 0 && used <= have - pos);
        h = digest_command(h, &p);
        pos += used;
    }
    *done = pos;
    req_free(&p);
    kfree(buf);
    return h;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0) return 0;
    uint8_t mode = data[0];
    data++;
    size--;
    size_t done_all, done_inc;
    uint64_t all = run(mode, data, size, 0, &done_all);
    if (size <= MAX_INCREMENTAL) {
        uint64_t inc = run(mode, data, size, 1, &done_inc);
        CHECK(all == inc && done_all == done_inc);
    }
    return 0;
}
