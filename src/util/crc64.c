/* crc64.c - table-driven CRC-64/Jones, eight bytes per step ("slicing by 8"), so checksumming
 * a multi-gigabyte snapshot costs well under a second. The tables are built on first use. */
#include "util/crc64.h"

#include <pthread.h>
#include <string.h>

#define CRC64_POLY 0x95ac9329ac4bc9b5ULL   /* 0xad93d23594c935a9 bit-reversed */

static uint64_t crc_table[8][256];
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

static void crc_build(void) {
    for (int n = 0; n < 256; n++) {
        uint64_t c = (uint64_t)n;
        for (int k = 0; k < 8; k++) c = (c & 1) ? (c >> 1) ^ CRC64_POLY : c >> 1;
        crc_table[0][n] = c;
    }
    for (int n = 0; n < 256; n++)
        for (int k = 1; k < 8; k++) crc_table[k][n] = (crc_table[k - 1][n] >> 8) ^ crc_table[0][crc_table[k - 1][n] & 0xff];
}

uint64_t crc64(uint64_t crc, const void *buf, size_t len) {
    pthread_once(&crc_once, crc_build);
    const unsigned char *p = buf;
    while (len >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);   /* little-endian host assumed, as the rest of Keel's formats */
        crc ^= w;
        crc = crc_table[7][crc & 0xff] ^ crc_table[6][(crc >> 8) & 0xff] ^ crc_table[5][(crc >> 16) & 0xff] ^
              crc_table[4][(crc >> 24) & 0xff] ^ crc_table[3][(crc >> 32) & 0xff] ^ crc_table[2][(crc >> 40) & 0xff] ^
              crc_table[1][(crc >> 48) & 0xff] ^ crc_table[0][crc >> 56];
        p += 8;
        len -= 8;
    }
    while (len--) crc = crc_table[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
    return crc;
}
