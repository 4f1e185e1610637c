/* md.h - the Merkle-Damgard frame SHA-1 and SHA-256 share: whole 64-byte blocks, then the
 * padding (0x80, zeros, the bit length as 64-bit big-endian), then the state words as hex. */
#ifndef KEEL_MD_H
#define KEEL_MD_H

#include <stddef.h>
#include <stdint.h>

typedef void md_block_fn(uint32_t *h, const unsigned char *block);

/* Hashes data into h (already holding the initial state) with block(), then writes the
 * first nwords words of h as 8 * nwords lowercase hex digits and a NUL to hex. */
void md_hash_hex(md_block_fn *block, uint32_t *h, int nwords, const void *data, size_t len, char *hex);

#endif
