/* crc64.h - the CRC-64 of RDB files and DUMP payloads (Jones polynomial, reflected, initial
 * value 0, no final xor: crc64(0, "123456789") == 0xe9c6d914c4b8d9ca, as Redis computes it). */
#ifndef KEEL_CRC64_H
#define KEEL_CRC64_H

#include <stddef.h>
#include <stdint.h>

/* Continues crc over len more bytes (start with crc = 0). */
uint64_t crc64(uint64_t crc, const void *buf, size_t len);

#endif
