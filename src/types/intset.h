/* intset.h - a sorted set of integers in one allocation (the small encoding of integer sets).
 *
 * Layout: [u32 width][u32 len][len values of `width` bytes (2, 4 or 8), ascending]. The width
 * is the smallest of 2/4/8 bytes that holds every value ever added; adding a value that needs
 * more upgrades the whole set (it never downgrades, like Redis). Lookups are binary searches;
 * adds and removes move the tail (O(n)), so the set is kept small by its users
 * (set-max-intset-entries). Invariants (intsetValidate): width is 2, 4 or 8; values strictly
 * ascending; the allocation holds exactly the header and len values. */
#ifndef KEEL_INTSET_H
#define KEEL_INTSET_H

#include <stddef.h>
#include <stdint.h>

typedef struct intset {
    uint32_t width;
    uint32_t len;
    unsigned char data[];
} intset;

intset *intsetNew(void);
void intsetFree(intset *is);
intset *intsetDup(const intset *is);

/* Adds v; *added (if not NULL) receives 1 if it was absent. Returns the (moved) set. */
intset *intsetAdd(intset *is, int64_t v, int *added);
/* Removes v; *removed (if not NULL) receives 1 if it was present. Returns the (moved) set. */
intset *intsetRemove(intset *is, int64_t v, int *removed);
int intsetFind(const intset *is, int64_t v);              /* 1 if present */

uint32_t intsetLen(const intset *is);
int64_t intsetGet(const intset *is, uint32_t index);      /* index < len, ascending order */
int64_t intsetRandom(const intset *is);                    /* len > 0 */
size_t intsetBytes(const intset *is);                      /* header and values */

/* 1 if the invariants above hold; otherwise prints the violation (if verbose) and returns 0. */
int intsetValidate(const intset *is, int verbose);

#endif
