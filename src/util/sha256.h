/* sha256.h - SHA-256 (FIPS 180-4) of a whole buffer, as lowercase hex: ACL password hashes. */
#ifndef KEEL_SHA256_H
#define KEEL_SHA256_H

#include <stddef.h>

void sha256_hex(const void *p, size_t len, char hex[65]);

#endif
