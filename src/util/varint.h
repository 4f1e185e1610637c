/* varint.h - unsigned LEB128 varints: 7 bits a byte, low bits first, the high bit set on every
 * byte but the last. Used by the large hash/set element (types/coll_entry.c) and stream nodes
 * (types/stream.c). varint_get trusts its input: callers read only what they wrote. */
#ifndef KEEL_VARINT_H
#define KEEL_VARINT_H

#include <stddef.h>

size_t varint_size(size_t v);                                       /* bytes varint_put writes */
size_t varint_put(unsigned char *p, size_t v);                      /* returns the bytes written */
const unsigned char *varint_get(const unsigned char *p, size_t *v); /* returns the next byte */

#endif
