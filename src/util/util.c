/* util.c - see util.h. */
#include "util/util.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>

#include "util/mem.h"

int str_to_ll(const char *s, size_t len, long long *out) {
    if (len == 0 || len > 20) return 0;
    if (len == 1 && s[0] == '0') {
        *out = 0;
        return 1;
    }
    size_t i = 0;
    int neg = 0;
    if (s[0] == '-') {
        neg = 1;
        i = 1;
        if (len == 1) return 0;
    }
    if (s[i] < '1' || s[i] > '9') return 0;
    unsigned long long v = 0;
    for (; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') return 0;
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (ULLONG_MAX - d) / 10) return 0;
        v = v * 10 + d;
    }
    if (neg) {
        if (v > (unsigned long long)LLONG_MAX + 1) return 0;
        *out = v == (unsigned long long)LLONG_MAX + 1 ? LLONG_MIN : -(long long)v;
    } else {
        if (v > (unsigned long long)LLONG_MAX) return 0;
        *out = (long long)v;
    }
    return 1;
}

int str_to_d(const char *s, size_t len, double *out) {
    char small[128];
    if (len == 0 || isspace((unsigned char)s[0])) return 0;
    /* strtod needs a terminated copy; long inputs (zero-padded numbers) are rare but valid. */
    char *buf = len < sizeof(small) ? small : kmalloc(len + 1);
    memcpy(buf, s, len);
    buf[len] = '\0';
    char *end;
    errno = 0;
    double v = strtod(buf, &end);
    int ok = (size_t)(end - buf) == len && !isnan(v) &&
             !(errno == ERANGE && (v == HUGE_VAL || v == -HUGE_VAL || fpclassify(v) == FP_ZERO));
    if (buf != small) kfree(buf);
    if (ok) *out = v;
    return ok;
}

int str_to_ld(const char *s, size_t len, long double *out) {
    char buf[5 * 1024];
    if (len == 0 || len >= sizeof(buf) || isspace((unsigned char)s[0])) return 0;
    memcpy(buf, s, len);
    buf[len] = '\0';
    char *end;
    errno = 0;
    long double v = strtold(buf, &end);
    if ((size_t)(end - buf) != len || isnan(v)) return 0;
    /* Like Redis's string2ld: overflow is an error, a denormal underflow is not. */
    if (errno == ERANGE && (v == HUGE_VALL || v == -HUGE_VALL || fpclassify(v) == FP_ZERO)) return 0;
    *out = v;
    return 1;
}

/* Every RESP length header goes through these, so they avoid snprintf's parsing. */
int ull_to_str(char *buf, size_t size, unsigned long long v) {
    char tmp[20];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    if ((size_t)n + 1 > size) return snprintf(buf, size, "%s", "");
    for (int i = 0; i < n; i++) buf[i] = tmp[n - 1 - i];
    buf[n] = '\0';
    return n;
}

int ll_to_str(char *buf, size_t size, long long v) {
    if (v >= 0) return ull_to_str(buf, size, (unsigned long long)v);
    if (size < 2) return snprintf(buf, size, "%s", "");
    buf[0] = '-';
    /* -(v + 1) + 1 avoids overflowing on LLONG_MIN. */
    return 1 + ull_to_str(buf + 1, size - 1, (unsigned long long)(-(v + 1)) + 1);
}

int ld_to_str(char *buf, size_t size, long double v) {
    if (isinf(v)) return snprintf(buf, size, v > 0 ? "inf" : "-inf");
    int n = snprintf(buf, size, "%.17Lf", v);
    if (n < 0 || (size_t)n >= size) return n;
    if (strchr(buf, '.')) {
        while (n > 0 && buf[n - 1] == '0') n--;
        if (n > 0 && buf[n - 1] == '.') n--;
        buf[n] = '\0';
    }
    if (n == 2 && buf[0] == '-' && buf[1] == '0') {
        buf[0] = '0';
        buf[1] = '\0';
        n = 1;
    }
    return n;
}

int d_to_str(char *buf, size_t size, double v) {
    if (isinf(v)) return snprintf(buf, size, v > 0 ? "inf" : "-inf");
    return snprintf(buf, size, "%.17g", v);
}

/* Matches a [...] class at pat (just past '['); advances *pi past the closing ']'. */
static int glob_class(const char *pat, size_t plen, size_t *pi, unsigned char c, int nocase) {
    size_t i = *pi;
    int negate = 0, matched = 0;
    if (i < plen && pat[i] == '^') {
        negate = 1;
        i++;
    }
    for (; i < plen && pat[i] != ']'; i++) {
        if (pat[i] == '\\' && i + 1 < plen) {
            i++;
            if ((unsigned char)pat[i] == c) matched = 1;
        } else if (i + 2 < plen && pat[i + 1] == '-') {
            unsigned char a = (unsigned char)pat[i], b = (unsigned char)pat[i + 2];
            if (a > b) {
                unsigned char t = a;
                a = b;
                b = t;
            }
            unsigned char cc = c;
            if (nocase) {
                a = (unsigned char)tolower(a);
                b = (unsigned char)tolower(b);
                cc = (unsigned char)tolower(cc);
            }
            if (cc >= a && cc <= b) matched = 1;
            i += 2;
        } else if (nocase ? tolower((unsigned char)pat[i]) == tolower(c) : (unsigned char)pat[i] == c) {
            matched = 1;
        }
    }
    /* An unterminated class ends at the pattern's end, as in Redis. */
    if (i < plen) i++;
    *pi = i;
    return negate ? !matched : matched;
}

/* Iterative matcher: on a mismatch after '*', retry with the star absorbing one more byte. */
int glob_match(const char *pat, size_t plen, const char *str, size_t slen, int nocase) {
    /* Redis's matcher never matches an empty string against a non-empty pattern, not even "*"
     * (KEYS * and SCAN special-case the lone "*" pattern themselves). */
    if (slen == 0) return plen == 0;
    size_t pi = 0, si = 0;
    size_t star_p = (size_t)-1, star_s = 0;
    while (si < slen || pi < plen) {
        if (pi < plen) {
            char pc = pat[pi];
            if (pc == '*') {
                while (pi < plen && pat[pi] == '*') pi++;
                if (pi == plen) return 1;
                star_p = pi;
                star_s = si;
                continue;
            }
            if (si < slen) {
                unsigned char c = (unsigned char)str[si];
                size_t next = pi + 1;
                int ok;
                if (pc == '?') {
                    ok = 1;
                } else if (pc == '[') {
                    ok = glob_class(pat, plen, &next, c, nocase);
                } else {
                    if (pc == '\\' && pi + 1 < plen) next = pi + 2, pc = pat[pi + 1];
                    ok = nocase ? tolower((unsigned char)pc) == tolower(c) : (unsigned char)pc == c;
                }
                if (ok) {
                    pi = next;
                    si++;
                    continue;
                }
            }
        }
        if (star_p != (size_t)-1 && star_s < slen) {
            star_s++;
            pi = star_p;
            si = star_s;
            continue;
        }
        return 0;
    }
    return 1;
}

long long ustime(void) {
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (long long)tv.tv_sec * 1000000 + tv.tv_usec;
}

long long mstime(void) {
    return ustime() / 1000;
}

uint64_t monotonic_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

int arg_is(const char *arg, size_t len, const char *word) {
    return strlen(word) == len && strncasecmp(arg, word, len) == 0;
}

int parse_memory(const char *s, long long *out) {
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (end == s || errno) return 0;
    long long mul = 1;
    if (!strcasecmp(end, "") || !strcasecmp(end, "b")) mul = 1;
    else if (!strcasecmp(end, "k")) mul = 1000;
    else if (!strcasecmp(end, "kb")) mul = 1024;
    else if (!strcasecmp(end, "m")) mul = 1000LL * 1000;
    else if (!strcasecmp(end, "mb")) mul = 1024LL * 1024;
    else if (!strcasecmp(end, "g")) mul = 1000LL * 1000 * 1000;
    else if (!strcasecmp(end, "gb")) mul = 1024LL * 1024 * 1024;
    else return 0;
    if (v != 0 && (v > LLONG_MAX / mul || v < LLONG_MIN / mul)) return 0;
    *out = v * mul;
    return 1;
}

void bytes_to_human(char *buf, size_t size, unsigned long long n) {
    const char *units = "BKMGTPE";
    double d = (double)n;
    int u = 0;
    if (n < 1024) {
        snprintf(buf, size, "%lluB", n);
        return;
    }
    while (d >= 1024 && u < 6) {
        d /= 1024;
        u++;
    }
    snprintf(buf, size, "%.2f%c", d, units[u]);
}

static uint64_t rng_state[2];

uint64_t rand64(void) {
    if (!rng_state[0] && !rng_state[1]) {
        uint64_t seed = (uint64_t)ustime() ^ ((uint64_t)monotonic_us() << 17);
        rng_state[0] = seed | 1;
        rng_state[1] = seed * 0x9E3779B97F4A7C15ULL + 7;
    }
    /* xorshift128+ */
    uint64_t s1 = rng_state[0];
    const uint64_t s0 = rng_state[1];
    rng_state[0] = s0;
    s1 ^= s1 << 23;
    rng_state[1] = s1 ^ s0 ^ (s1 >> 17) ^ (s0 >> 26);
    return rng_state[1] + s0;
}
