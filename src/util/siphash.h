/* siphash.h - keyed 64-bit hashing of byte strings (SipHash-2-4).
 *
 * SipHash (Aumasson and Bernstein, 2012) is a pseudo-random function keyed by 128 bits: without
 * the key an attacker cannot choose inputs that collide, so hash tables keyed with a secret
 * seed cannot be flooded into long chains. Keel uses the 2-4 variant (2 compression rounds per
 * 8-byte block, 4 finalization rounds): it is the one the SipHash paper specifies and gives
 * reference vectors for, so the code that ships is the code the unit test checks.
 *
 * The process-wide seed starts as all zeros; the server calls hash_seed_init() once at start-up,
 * before creating any table (hashes are not stable across seeds, so the seed must not change
 * while a table holds entries). Tests use hash_seed_set() for reproducible layouts. */
#ifndef KEEL_SIPHASH_H
#define KEEL_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

/* SipHash-2-4 of len bytes at p under the 16-byte key (read as two little-endian words). */
uint64_t siphash24(const uint8_t key[16], const void *p, size_t len);

/* Seeds the global key from /dev/urandom. Falls back (with a warning on stderr) to a mix of the
 * clock, pid and addresses if the device cannot be read. */
void hash_seed_init(void);

/* Sets the global key (tests, or a configured fixed seed). */
void hash_seed_set(const uint8_t seed[16]);

/* SipHash-2-4 under the global key. */
uint64_t hash_bytes(const void *p, size_t len);

#endif
