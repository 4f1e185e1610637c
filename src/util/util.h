/* util.h - number parsing and formatting with Redis's exact rules, glob matching, clocks. */
#ifndef KEEL_UTIL_H
#define KEEL_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* Strict integer parse: optional '-', no '+', no spaces, no leading zeros, fits in long long.
 * Returns 1 on success. This is the rule that decides OBJECT ENCODING int and INCR's errors. */
int str_to_ll(const char *s, size_t len, long long *out);
/* Double parse as Redis's getDoubleFromObject: no leading space, whole string, not NaN. */
int str_to_d(const char *s, size_t len, double *out);
/* Long double parse as Redis's string2ld (INCRBYFLOAT). */
int str_to_ld(const char *s, size_t len, long double *out);

/* Formats into buf (size >= 21 for ll); returns the length written. */
int ll_to_str(char *buf, size_t size, long long v);
int ull_to_str(char *buf, size_t size, unsigned long long v);
/* Human long double formatting of INCRBYFLOAT: %.17Lf without trailing zeros. */
int ld_to_str(char *buf, size_t size, long double v);
/* Double reply formatting of Redis 7.0: "inf", "-inf", else %.17g. */
int d_to_str(char *buf, size_t size, double v);

/* Glob-style match of Redis's KEYS/SCAN MATCH: * ? [abc] [^a] [a-z] and \ escapes. */
int glob_match(const char *pat, size_t plen, const char *str, size_t slen, int nocase);

long long ustime(void);          /* wall clock, microseconds */
long long mstime(void);          /* wall clock, milliseconds */
uint64_t monotonic_us(void);     /* monotonic clock, microseconds */

/* Case-insensitive comparison of a counted argument with a C string. */
int arg_is(const char *arg, size_t len, const char *word);

/* Memory sizes in config syntax: 100mb, 1gb, 5k, plain bytes. Returns 1 on success. */
int parse_memory(const char *s, long long *out);
/* Bytes with the human suffix Redis uses in INFO: "1.50M". */
void bytes_to_human(char *buf, size_t size, unsigned long long n);

/* Random 64-bit numbers from a per-process xorshift generator seeded at start-up. */
uint64_t rand64(void);

#endif
