/* md.c - the block loop, padding and hex output of SHA-1 and SHA-256 (see md.h).
 * Invariant of the block loop: h[] holds the state after every full 64-byte block so far. */
#include "util/md.h"

#include <string.h>

void md_hash_hex(md_block_fn *block, uint32_t *h, int nwords, const void *data, size_t len, char *hex) {
    const unsigned char *p = data;
    size_t n = len;
    for (; n >= 64; n -= 64, p += 64) block(h, p);
    /* Tail: the rest, 0x80, zeros, then the bit length big-endian; one or two blocks. */
    unsigned char tail[128] = {0};
    memcpy(tail, p, n);
    tail[n] = 0x80;
    size_t tlen = n + 1 + 8 <= 64 ? 64 : 128;
    uint64_t bits = (uint64_t)len * 8;
    for (int i = 0; i < 8; i++) tail[tlen - 1 - i] = (unsigned char)(bits >> (8 * i));
    for (size_t off = 0; off < tlen; off += 64) block(h, tail + off);
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < 4 * nwords; i++) {
        unsigned char byte = (unsigned char)(h[i / 4] >> (24 - 8 * (i % 4)));
        hex[2 * i] = digits[byte >> 4];
        hex[2 * i + 1] = digits[byte & 15];
    }
    hex[8 * nwords] = '\0';
}
