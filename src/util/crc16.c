/* crc16.c - see crc16.h. The table is built once, on first use, from the polynomial. */
#include "util/crc16.h"

static uint16_t crc_table[256];
static int crc_table_ready;

static void build_table(void) {
    for (int i = 0; i < 256; i++) {
        uint16_t r = (uint16_t)(i << 8);
        for (int b = 0; b < 8; b++) r = (uint16_t)((r & 0x8000) ? (r << 1) ^ 0x1021 : r << 1);
        crc_table[i] = r;
    }
    crc_table_ready = 1;
}

uint16_t crc16(const void *buf, size_t len) {
    if (!crc_table_ready) build_table();
    const unsigned char *p = buf;
    uint16_t crc = 0;
    for (size_t i = 0; i < len; i++) crc = (uint16_t)((crc << 8) ^ crc_table[((crc >> 8) ^ p[i]) & 0xff]);
    return crc;
}

int key_hash_slot(const char *key, size_t len) {
    size_t open = 0;
    while (open < len && key[open] != '{') open++;
    if (open < len) {
        size_t close = open + 1;
        while (close < len && key[close] != '}') close++;
        if (close < len && close > open + 1) return crc16(key + open + 1, close - open - 1) & (CLUSTER_SLOTS - 1);
    }
    return crc16(key, len) & (CLUSTER_SLOTS - 1);
}
