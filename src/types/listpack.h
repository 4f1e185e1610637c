/* listpack.h - Keel's compact encoding of a sequence of strings and integers in one allocation.
 *
 * Used by the small encodings of hashes (field, value, field, value, ...), lists (one per
 * quicklist node) and sorted sets (member, score, ...). Everything lives in a single kmalloc
 * block sized exactly to its content, so a small collection costs one allocation.
 *
 * Layout (all multi-byte numbers little-endian):
 *
 *   header  [u32 total_bytes | LP_HDR_BACKLEN bit 31][u16 count]      6 bytes
 *   entries [entry][entry]...                                          up to total_bytes
 *
 *   entry   [encoding + data][back-length]      back-length only in LP_BACKLEN listpacks
 *
 * Encodings, chosen by the first byte:
 *   0xxxxxxx                      integer 0..127
 *   10xxxxxx  + len bytes         string of 0..63 bytes
 *   110xxxxx yyyyyyyy             integer -4096..4095 (13-bit two's complement, x high bits)
 *   1110xxxx yyyyyyyy + len bytes string of 64..4095 bytes (12-bit length, x high bits)
 *   11110000 + u32 len + bytes    string of any length
 *   1111nnnn (n = 2..8) + n bytes integer in n bytes of two's complement (0xF2..0xF8)
 * A string that is a canonical long long (Redis's strict string2ll: no '+', no leading zeros,
 * no spaces, "-0" excluded) is always stored as an integer, so one value has one encoding and
 * reads back byte-identical; the smallest encoding that holds a value is always used.
 *
 * Back-length: the size of the entry's encoding+data, in 1..5 bytes read right to left: the
 * last byte holds the low 7 bits, bit 7 set when more bytes follow to its left. It lets
 * lpPrev() step back in O(1). Listpacks created without LP_BACKLEN omit it (one byte per entry
 * saved: hashes only walk forward); there lpPrev()/lpLast() scan from the start, O(n).
 *
 * count is the number of entries, or LP_COUNT_UNKNOWN (65535) once it reaches that; lpLength()
 * then walks (and stays O(n) while the listpack is that large).
 *
 * Positions: an entry is addressed by a pointer `p` into the listpack. Every function that may
 * reallocate returns the new listpack and invalidates all positions except those it hands back
 * through a `unsigned char **` argument. Invariants (checked by lpValidate()): total_bytes is
 * the allocation's content size; entries tile the area after the header exactly; every entry is
 * well formed and canonical; back-lengths (if present) match; count matches (unless unknown). */
#ifndef KEEL_LISTPACK_H
#define KEEL_LISTPACK_H

#include <stddef.h>
#include <stdint.h>

#define LP_HDR_SIZE 6
#define LP_COUNT_UNKNOWN 65535
#define LP_BACKLEN 1        /* lpNew flag: entries carry back-lengths (O(1) backward steps) */
#define LP_INTBUF 21        /* buffer size that holds any long long in decimal */

/* ---- Lifetime ---------------------------------------------------------------------------- */

unsigned char *lpNew(int flags);                 /* empty listpack; flags: 0 or LP_BACKLEN */
void lpFree(unsigned char *lp);
unsigned char *lpDup(const unsigned char *lp);

/* ---- Size -------------------------------------------------------------------------------- */

size_t lpBytes(const unsigned char *lp);         /* total bytes including the header */
size_t lpLength(const unsigned char *lp);        /* number of entries; O(1) below 65535 */
int lpHasBacklen(const unsigned char *lp);
/* 1 if adding `add` more bytes of payload keeps the listpack within 1 GB (Redis's safety limit;
 * far below the 2^31 that total_bytes can express). lp may be NULL (an empty listpack). */
int lpSafeToAdd(const unsigned char *lp, size_t add);

/* ---- Navigation: each returns an entry position or NULL ---------------------------------- */

unsigned char *lpFirst(const unsigned char *lp);
unsigned char *lpLast(const unsigned char *lp);                    /* O(n) without backlen */
unsigned char *lpNext(const unsigned char *lp, const unsigned char *p);
unsigned char *lpPrev(const unsigned char *lp, const unsigned char *p); /* O(n) without backlen */
/* The entry at index (0 first, -1 last), or NULL when out of range. Walks from the nearer end
 * (from the front only, without backlen). */
unsigned char *lpSeek(const unsigned char *lp, long index);

/* ---- Reading ----------------------------------------------------------------------------- */

/* An entry's value: a string (str != NULL, len bytes; not NUL-terminated, points into the
 * listpack) or an integer (str == NULL, value in ll). */
typedef struct lpValue {
    const unsigned char *str;
    size_t len;
    long long ll;
} lpValue;

void lpGet(const unsigned char *p, lpValue *v);
/* The entry as bytes: strings point into the listpack, integers are formatted into buf (which
 * must hold LP_INTBUF bytes). */
const char *lpGetStr(const unsigned char *p, size_t *len, char *buf);
/* Length of the entry's string form (integers: digits and sign). */
size_t lpGetStrLen(const unsigned char *p);
/* 1 and *ll if the entry is an integer or a string holding a long long (never true for strings,
 * since those are stored as integers); 0 otherwise. */
int lpGetInt(const unsigned char *p, long long *ll);

/* A search key prepared once for many comparisons (lpFind, lpEq). */
typedef struct lpKey {
    const char *s;
    size_t len;
    int is_int;       /* s is a canonical long long: only integer entries can match */
    long long ll;
} lpKey;

void lpKeyInit(lpKey *k, const char *s, size_t len);
int lpEq(const unsigned char *p, const lpKey *k);        /* entry equals the key's bytes */
/* The first entry at or after p that equals k, looking only at every (skip+1)-th entry (p
 * itself, then skip entries are stepped over, ...): skip = 1 searches the fields of a hash's
 * field/value pairs. NULL if none. */
unsigned char *lpFind(const unsigned char *lp, const unsigned char *p, const lpKey *k, unsigned skip);

/* ---- Writing: every function returns the (possibly moved) listpack ----------------------- */

/* Inserts a string (stored as an integer when canonical) or an integer before entry p, or at
 * the end when p is NULL. If newp is not NULL it receives the position of the new entry. */
unsigned char *lpInsert(unsigned char *lp, unsigned char *p, const char *s, size_t len, unsigned char **newp);
unsigned char *lpInsertInt(unsigned char *lp, unsigned char *p, long long v, unsigned char **newp);
unsigned char *lpAppend(unsigned char *lp, const char *s, size_t len);
unsigned char *lpAppendInt(unsigned char *lp, long long v);
unsigned char *lpPrepend(unsigned char *lp, const char *s, size_t len);
unsigned char *lpPrependInt(unsigned char *lp, long long v);

/* Replaces the value of the entry at *p; *p receives its new position. */
unsigned char *lpReplace(unsigned char *lp, unsigned char **p, const char *s, size_t len);
unsigned char *lpReplaceInt(unsigned char *lp, unsigned char **p, long long v);

/* Deletes the entry at *p; *p receives the position of the entry that followed (NULL if it was
 * the last). */
unsigned char *lpDelete(unsigned char *lp, unsigned char **p);
/* Deletes up to n entries starting at *p (fewer if the listpack ends first); *p as lpDelete. */
unsigned char *lpDeleteRangeAt(unsigned char *lp, unsigned char **p, size_t n);
/* Deletes up to n entries starting at index (negative: from the end). */
unsigned char *lpDeleteRange(unsigned char *lp, long index, size_t n);
/* Appends all entries of `src` (another listpack, kept) to `lp`: a block copy when both have
 * the same layout, else entry by entry. */
unsigned char *lpConcat(unsigned char *lp, const unsigned char *src);

/* ---- Checking ---------------------------------------------------------------------------- */

/* Verifies every invariant listed above. Returns 1 if they hold; otherwise prints the first
 * violation to stderr (if verbose) and returns 0. O(n). */
int lpValidate(const unsigned char *lp, int verbose);

#endif
