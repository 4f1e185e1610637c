/* varint.c - LEB128 varints; see varint.h. */
#include "util/varint.h"

size_t varint_size(size_t v) {
    size_t n = 1;
    while (v >= 128) {
        v >>= 7;
        n++;
    }
    return n;
}

size_t varint_put(unsigned char *p, size_t v) {
    size_t n = 0;
    while (v >= 128) {
        p[n++] = (unsigned char)(v | 128);
        v >>= 7;
    }
    p[n++] = (unsigned char)v;
    return n;
}

const unsigned char *varint_get(const unsigned char *p, size_t *v) {
    size_t r = 0;
    unsigned shift = 0;
    while (*p & 128) {
        r |= (size_t)(*p++ & 127) << shift;
        shift += 7;
    }
    *v = r | (size_t)*p << shift;
    return p + 1;
}
