/* lzf.h - a small LZ77 compressor in the LZF format, for the interior nodes of quicklists.
 *
 * The format (the one liblzf and Redis use) is a sequence of items, each starting with a
 * control byte:
 *   000LLLLL                      literal run: L+1 bytes (1..32) follow verbatim
 *   LLLooooo [E] oooooooo         back reference: length L+2 (3..8), or, when L == 7, 9+E
 *                                 (9..264); offset ((ooooo << 8) | low byte) + 1 (1..8192)
 *                                 bytes back from the current output position.
 * Compression is greedy with a hash of 3-byte prefixes; it is deterministic and never reads or
 * writes outside the given buffers. Decompression validates every item against both buffers,
 * so a corrupt block fails cleanly instead of overrunning. */
#ifndef KEEL_LZF_H
#define KEEL_LZF_H

#include <stddef.h>

/* Compresses in[0..in_len) into out[0..out_cap). Returns the compressed size, or 0 if the
 * result would not fit in out_cap bytes (the caller then keeps the data uncompressed). */
size_t klzf_compress(const unsigned char *in, size_t in_len, unsigned char *out, size_t out_cap);

/* Decompresses in[0..in_len) into out[0..out_cap). Returns the decompressed size, or 0 if the
 * input is malformed or the output would not fit. */
size_t klzf_decompress(const unsigned char *in, size_t in_len, unsigned char *out, size_t out_cap);

#endif
