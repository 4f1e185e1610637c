/* zpack.h - the small sorted set encoding (OBJECT ENCODING "listpack", as Redis names it).
 *
 * One allocation, forward-only, sorted by (score, member):
 *
 *   [varint count][varint payload bytes][entry][entry]...
 *   entry: [tag][varint member length, if the tag's length code is 15][score bytes][member]
 *   tag:   high nibble: member length 0..14, or 15 (the length follows as a varint);
 *          low nibble:  0..11 the score is that integer (no score bytes); 12: int8; 13: int16;
 *                       14: int32 (little endian); 15: the 8 bytes of the double.
 *
 * Scores that are integers in d2string's exact range (|x| < 2^52, and -0, which becomes 0 as
 * in Redis's listpacks) take the integer codes when they fit 32 bits; all others the double.
 * A pair of a short member and a small integer score takes 1 + member bytes: 10 members of 8
 * bytes with scores 0..9 take 92 bytes (jemalloc class 96) where a listpack with back-lengths
 * took 127 (class 128). The cost: no back-lengths, so the previous entry is found by walking
 * from the first (zpPrev); reverse walks over ranges collect the entries first (t_zset.c).
 *
 * Entry pointers stay valid until the zpack is modified; members are never re-encoded, so
 * zpGet returns bytes inside the zpack. Every modifying call returns the new zpack. */
#ifndef KEEL_ZPACK_H
#define KEEL_ZPACK_H

#include <stddef.h>

unsigned char *zpNew(void);
void zpFree(unsigned char *zp);
unsigned char *zpDup(const unsigned char *zp);
size_t zpLength(const unsigned char *zp);
size_t zpBytes(const unsigned char *zp);
/* 1 if a member of mlen bytes may be added (the zpack stays within 1 GB). */
int zpSafeToAdd(const unsigned char *zp, size_t mlen);

/* The first entry, or NULL if empty; the entry after p, or NULL; the one before p (O(n)). */
unsigned char *zpFirst(const unsigned char *zp);
unsigned char *zpNext(const unsigned char *zp, const unsigned char *p);
unsigned char *zpPrev(const unsigned char *zp, const unsigned char *p);
/* The entry of rank `rank` (0-based), or NULL past the end. */
unsigned char *zpSeek(const unsigned char *zp, size_t rank);
/* The member bytes of entry p (inside the zpack) and its score. */
const char *zpGet(const unsigned char *p, size_t *mlen, double *score);
double zpScore(const unsigned char *p);

/* Inserts a pair before entry p (NULL: at the end). The caller keeps the order. */
unsigned char *zpInsert(unsigned char *zp, const unsigned char *p, const char *m, size_t mlen, double score);
/* A zpack of n pairs, already in order, read through get(ctx, i, ...) (twice each). */
typedef void zpPairFn(void *ctx, size_t i, const char **m, size_t *mlen, double *score);
unsigned char *zpBuild(size_t n, zpPairFn *get, void *ctx);
/* Deletes n entries (which must exist) from entry p on. */
unsigned char *zpDelete(unsigned char *zp, const unsigned char *p, size_t n);

#endif
