/* crc16.h - Redis Cluster's key hash slots: CRC16-CCITT (XMODEM: polynomial 0x1021, initial
 * value 0, no reflection, no final xor; crc16("123456789") == 0x31c3) modulo 16384, of the
 * key's hash tag when it has one. */
#ifndef KEEL_CRC16_H
#define KEEL_CRC16_H

#include <stddef.h>
#include <stdint.h>

#define CLUSTER_SLOTS 16384

uint16_t crc16(const void *buf, size_t len);

/* The slot of a key: of the bytes between the first '{' and the first '}' after it when they
 * are not empty (the hash tag), else of the whole key. */
int key_hash_slot(const char *key, size_t len);

#endif
