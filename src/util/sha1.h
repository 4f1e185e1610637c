/* sha1.h - SHA-1 (FIPS 180-4), used to name scripts in the script cache like Redis does.
 * Not for security: only as a content address. */
#ifndef KEEL_SHA1_H
#define KEEL_SHA1_H

#include <stddef.h>

/* Writes the 40 lowercase hex digits of SHA-1(p[0..len)) and a NUL to hex[41]. */
void sha1_hex(const void *p, size_t len, char hex[41]);

#endif
