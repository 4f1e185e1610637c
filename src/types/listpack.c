/* listpack.c - compact sequences of strings and integers; see listpack.h for the format.
 *
 * Internally an entry is handled as an `lpEnc`: the encoding bytes (first byte, length or the
 * integer itself) plus a pointer to the string bytes, which together with the optional
 * back-length make the bytes written into the listpack. All writes go through one routine,
 * splice(), which replaces a byte range of the listpack by a new one and keeps the header. */
#include "types/listpack.h"

#include <stdio.h>
#include <string.h>

#include "util/mem.h"
#include "util/util.h"

#define HDR_BACKLEN_BIT 0x80000000u
#define HDR_TOTAL_MASK 0x7fffffffu
#define LP_SAFETY_LIMIT (1u << 30)

/* ---- Header ------------------------------------------------------------------------------ */

static uint32_t rd_u32(const unsigned char *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void wr_u32(unsigned char *p, uint32_t v) {
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 24);
}

static size_t hdr_total(const unsigned char *lp) {
    return rd_u32(lp) & HDR_TOTAL_MASK;
}

static unsigned hdr_count(const unsigned char *lp) {
    return (unsigned)lp[4] | (unsigned)lp[5] << 8;
}

static void set_total(unsigned char *lp, size_t total) {
    wr_u32(lp, (rd_u32(lp) & HDR_BACKLEN_BIT) | (uint32_t)total);
}

static void set_count(unsigned char *lp, size_t n) {
    if (n > LP_COUNT_UNKNOWN) n = LP_COUNT_UNKNOWN;
    lp[4] = (unsigned char)n;
    lp[5] = (unsigned char)(n >> 8);
}

int lpHasBacklen(const unsigned char *lp) {
    return (rd_u32(lp) & HDR_BACKLEN_BIT) != 0;
}

static const unsigned char *lp_end(const unsigned char *lp) {
    return lp + hdr_total(lp);
}

/* ---- Decoding one entry ------------------------------------------------------------------ */

/* Bytes of the encoding and data of the entry at p (back-length excluded). */
static size_t enc_size(const unsigned char *p) {
    unsigned b = p[0];
    if (b < 0x80) return 1;
    if (b < 0xC0) return 1 + (b & 0x3F);
    if (b < 0xE0) return 2;
    if (b < 0xF0) return 2 + (((b & 0x0F) << 8) | p[1]);
    if (b == 0xF0) return 5 + (size_t)rd_u32(p + 1);
    return 1 + (b - 0xF0);
}

static size_t backlen_size(size_t l) {
    size_t n = 1;
    while (l >= 128) {
        l >>= 7;
        n++;
    }
    return n;
}

/* Writes the back-length of an entry of l bytes at dst; returns its size. */
static size_t write_backlen(unsigned char *dst, size_t l) {
    size_t n = backlen_size(l);
    for (size_t i = 0; i < n; i++)
        dst[n - 1 - i] = (unsigned char)(((l >> (7 * i)) & 127) | (i + 1 < n ? 128 : 0));
    return n;
}

/* Reads the back-length that ends just before `end`; *n receives its size in bytes. */
static size_t read_backlen(const unsigned char *end, size_t *n) {
    size_t v = 0;
    unsigned shift = 0;
    const unsigned char *q = end - 1;
    *n = 1;
    for (;;) {
        v |= (size_t)(*q & 127) << shift;
        if (!(*q & 128)) break;
        shift += 7;
        q--;
        (*n)++;
    }
    return v;
}

static size_t entry_size(const unsigned char *lp, const unsigned char *p) {
    size_t e = enc_size(p);
    return lpHasBacklen(lp) ? e + backlen_size(e) : e;
}

/* Sign-extends the low `bits` bits of u. */
static long long sign_extend(uint64_t u, unsigned bits) {
    if (bits < 64 && (u & (1ULL << (bits - 1)))) u |= ~0ULL << bits;
    return (long long)u;
}

void lpGet(const unsigned char *p, lpValue *v) {
    unsigned b = p[0];
    v->str = NULL;
    v->len = 0;
    if (b < 0x80) {
        v->ll = b;
    } else if (b < 0xC0) {
        v->str = p + 1;
        v->len = b & 0x3F;
    } else if (b < 0xE0) {
        v->ll = sign_extend(((uint64_t)(b & 0x1F) << 8) | p[1], 13);
    } else if (b < 0xF0) {
        v->str = p + 2;
        v->len = ((b & 0x0F) << 8) | p[1];
    } else if (b == 0xF0) {
        v->str = p + 5;
        v->len = rd_u32(p + 1);
    } else {
        unsigned n = b - 0xF0;
        uint64_t u = 0;
        for (unsigned i = 0; i < n; i++) u |= (uint64_t)p[1 + i] << (8 * i);
        v->ll = sign_extend(u, 8 * n);
    }
}

const char *lpGetStr(const unsigned char *p, size_t *len, char *buf) {
    lpValue v;
    lpGet(p, &v);
    if (v.str) {
        *len = v.len;
        return (const char *)v.str;
    }
    *len = (size_t)ll_to_str(buf, LP_INTBUF, v.ll);
    return buf;
}

size_t lpGetStrLen(const unsigned char *p) {
    char buf[LP_INTBUF];
    size_t len;
    lpGetStr(p, &len, buf);
    return len;
}

int lpGetInt(const unsigned char *p, long long *ll) {
    lpValue v;
    lpGet(p, &v);
    if (v.str) return 0;
    *ll = v.ll;
    return 1;
}

/* ---- Navigation -------------------------------------------------------------------------- */

unsigned char *lpFirst(const unsigned char *lp) {
    return hdr_total(lp) > LP_HDR_SIZE ? (unsigned char *)lp + LP_HDR_SIZE : NULL;
}

unsigned char *lpNext(const unsigned char *lp, const unsigned char *p) {
    const unsigned char *n = p + entry_size(lp, p);
    return n < lp_end(lp) ? (unsigned char *)n : NULL;
}

/* The entry before position pos (an entry or the end of the listpack), or NULL. */
static unsigned char *prev_of(const unsigned char *lp, const unsigned char *pos) {
    if (pos <= lp + LP_HDR_SIZE) return NULL;
    if (lpHasBacklen(lp)) {
        size_t bl;
        size_t e = read_backlen(pos, &bl);
        return (unsigned char *)pos - bl - e;
    }
    const unsigned char *p = lp + LP_HDR_SIZE, *n;
    while ((n = p + entry_size(lp, p)) < pos) p = n;
    return (unsigned char *)p;
}

unsigned char *lpPrev(const unsigned char *lp, const unsigned char *p) {
    return prev_of(lp, p);
}

unsigned char *lpLast(const unsigned char *lp) {
    return prev_of(lp, lp_end(lp));
}

size_t lpLength(const unsigned char *lp) {
    unsigned c = hdr_count(lp);
    if (c != LP_COUNT_UNKNOWN) return c;
    size_t n = 0;
    for (unsigned char *p = lpFirst(lp); p; p = lpNext(lp, p)) n++;
    return n;
}

size_t lpBytes(const unsigned char *lp) {
    return hdr_total(lp);
}

int lpSafeToAdd(const unsigned char *lp, size_t add) {
    size_t have = lp ? lpBytes(lp) : LP_HDR_SIZE;
    return add <= LP_SAFETY_LIMIT && have + add <= LP_SAFETY_LIMIT;
}

static unsigned char *walk_forward(const unsigned char *lp, unsigned char *p, size_t steps) {
    while (p && steps--) p = lpNext(lp, p);
    return p;
}

static unsigned char *walk_back(const unsigned char *lp, unsigned char *p, size_t steps) {
    while (p && steps--) p = lpPrev(lp, p);
    return p;
}

unsigned char *lpSeek(const unsigned char *lp, long index) {
    int back = lpHasBacklen(lp);
    if (index < 0 && back) return walk_back(lp, lpLast(lp), (size_t)(-(index + 1)));
    size_t len = lpLength(lp);
    if (index < 0) index += (long)len;
    if (index < 0 || (size_t)index >= len) return NULL;
    if (back && (size_t)index > len / 2) return walk_back(lp, lpLast(lp), len - 1 - (size_t)index);
    return walk_forward(lp, lpFirst(lp), (size_t)index);
}

/* ---- Comparison -------------------------------------------------------------------------- */

void lpKeyInit(lpKey *k, const char *s, size_t len) {
    k->s = s;
    k->len = len;
    k->is_int = str_to_ll(s, len, &k->ll);
}

int lpEq(const unsigned char *p, const lpKey *k) {
    unsigned b = p[0];
    int is_str = (b >= 0x80 && b < 0xC0) || (b >= 0xE0 && b <= 0xF0);
    if (is_str != !k->is_int) return 0;     /* canonical ints are never stored as strings */
    lpValue v;
    lpGet(p, &v);
    if (is_str) return v.len == k->len && (k->len == 0 || memcmp(v.str, k->s, k->len) == 0);
    return v.ll == k->ll;
}

unsigned char *lpFind(const unsigned char *lp, const unsigned char *p, const lpKey *k, unsigned skip) {
    const unsigned char *end = lp_end(lp);
    int back = lpHasBacklen(lp);
    while (p && p < end) {
        if (lpEq(p, k)) return (unsigned char *)p;
        for (unsigned i = 0; i <= skip && p < end; i++) {
            size_t e = enc_size(p);
            p += back ? e + backlen_size(e) : e;
        }
    }
    return NULL;
}

/* ---- Encoding ---------------------------------------------------------------------------- */

/* A value ready to be written: hdr[0..hlen) then data[0..dlen). */
typedef struct lpEnc {
    unsigned char hdr[9];
    size_t hlen;
    const char *data;
    size_t dlen;
} lpEnc;

static void encode_int(lpEnc *e, long long v) {
    e->data = NULL;
    e->dlen = 0;
    if (v >= 0 && v <= 127) {
        e->hdr[0] = (unsigned char)v;
        e->hlen = 1;
    } else if (v >= -4096 && v <= 4095) {
        uint64_t u = (uint64_t)v & 0x1FFF;
        e->hdr[0] = (unsigned char)(0xC0 | (u >> 8));
        e->hdr[1] = (unsigned char)u;
        e->hlen = 2;
    } else {
        unsigned n = 2;
        while (n < 8 && (v < -(1LL << (8 * n - 1)) || v >= (1LL << (8 * n - 1)))) n++;
        e->hdr[0] = (unsigned char)(0xF0 + n);
        for (unsigned i = 0; i < n; i++) e->hdr[1 + i] = (unsigned char)((uint64_t)v >> (8 * i));
        e->hlen = 1 + n;
    }
}

static void encode_str(lpEnc *e, const char *s, size_t len) {
    long long v;
    if (len <= 20 && str_to_ll(s, len, &v)) {
        encode_int(e, v);
        return;
    }
    if (len < 64) {
        e->hdr[0] = (unsigned char)(0x80 | len);
        e->hlen = 1;
    } else if (len < 4096) {
        e->hdr[0] = (unsigned char)(0xE0 | (len >> 8));
        e->hdr[1] = (unsigned char)len;
        e->hlen = 2;
    } else {
        e->hdr[0] = 0xF0;
        wr_u32(e->hdr + 1, (uint32_t)len);
        e->hlen = 5;
    }
    e->data = s;
    e->dlen = len;
}

static size_t enc_total(const unsigned char *lp, const lpEnc *e) {
    size_t l = e->hlen + e->dlen;
    return lpHasBacklen(lp) ? l + backlen_size(l) : l;
}

static void write_enc(const unsigned char *lp, unsigned char *dst, const lpEnc *e) {
    memcpy(dst, e->hdr, e->hlen);
    if (e->dlen) memcpy(dst + e->hlen, e->data, e->dlen);
    if (lpHasBacklen(lp)) write_backlen(dst + e->hlen + e->dlen, e->hlen + e->dlen);
}

/* ---- Lifetime ---------------------------------------------------------------------------- */

unsigned char *lpNew(int flags) {
    unsigned char *lp = kmalloc(LP_HDR_SIZE);
    wr_u32(lp, LP_HDR_SIZE | ((flags & LP_BACKLEN) ? HDR_BACKLEN_BIT : 0));
    set_count(lp, 0);
    return lp;
}

void lpFree(unsigned char *lp) {
    kfree(lp);
}

unsigned char *lpDup(const unsigned char *lp) {
    return kmemdup(lp, lpBytes(lp));
}

/* ---- Modification ------------------------------------------------------------------------ */

/* Recounts the entries when the header lost track (after shrinking from >= 65535). */
static void adjust_count(unsigned char *lp, long delta) {
    unsigned c = hdr_count(lp);
    if (c != LP_COUNT_UNKNOWN) {
        set_count(lp, (size_t)((long)c + delta));
        return;
    }
    if (delta < 0) {
        size_t n = 0;
        for (unsigned char *p = lpFirst(lp); p && n < LP_COUNT_UNKNOWN; p = lpNext(lp, p)) n++;
        set_count(lp, n);
    }
}

/* Replaces bytes [off, off+old_len) by room for new_len bytes (uninitialised), adjusting the
 * count by delta. Returns the moved listpack. */
static unsigned char *splice(unsigned char *lp, size_t off, size_t old_len, size_t new_len, long delta) {
    size_t total = hdr_total(lp);
    size_t tail = total - off - old_len;
    size_t ntotal = total - old_len + new_len;
    if (new_len > old_len) lp = krealloc(lp, ntotal);
    if (new_len != old_len) memmove(lp + off + new_len, lp + off + old_len, tail);
    if (new_len < old_len) lp = krealloc(lp, ntotal);
    set_total(lp, ntotal);
    adjust_count(lp, delta);
    return lp;
}

/* Writes e at offset off, replacing old_len bytes (0 to insert). */
static unsigned char *put_entry(unsigned char *lp, size_t off, size_t old_len, lpEnc *e, long delta,
                                unsigned char **newp) {
    char *copy = NULL;
    /* The source bytes may live inside this listpack, which is about to move. */
    if (e->dlen && (const unsigned char *)e->data >= lp && (const unsigned char *)e->data < lp + hdr_total(lp)) {
        copy = kmemdup(e->data, e->dlen);
        e->data = copy;
    }
    lp = splice(lp, off, old_len, enc_total(lp, e), delta);
    write_enc(lp, lp + off, e);
    kfree(copy);
    if (newp) *newp = lp + off;
    return lp;
}

static size_t offset_of(const unsigned char *lp, const unsigned char *p) {
    return p ? (size_t)(p - lp) : hdr_total(lp);
}

unsigned char *lpInsert(unsigned char *lp, unsigned char *p, const char *s, size_t len, unsigned char **newp) {
    lpEnc e;
    encode_str(&e, s, len);
    return put_entry(lp, offset_of(lp, p), 0, &e, 1, newp);
}

unsigned char *lpInsertInt(unsigned char *lp, unsigned char *p, long long v, unsigned char **newp) {
    lpEnc e;
    encode_int(&e, v);
    return put_entry(lp, offset_of(lp, p), 0, &e, 1, newp);
}

unsigned char *lpAppend(unsigned char *lp, const char *s, size_t len) {
    return lpInsert(lp, NULL, s, len, NULL);
}

unsigned char *lpAppendInt(unsigned char *lp, long long v) {
    return lpInsertInt(lp, NULL, v, NULL);
}

unsigned char *lpPrepend(unsigned char *lp, const char *s, size_t len) {
    return lpInsert(lp, lpFirst(lp), s, len, NULL);
}

unsigned char *lpPrependInt(unsigned char *lp, long long v) {
    return lpInsertInt(lp, lpFirst(lp), v, NULL);
}

unsigned char *lpReplace(unsigned char *lp, unsigned char **p, const char *s, size_t len) {
    lpEnc e;
    encode_str(&e, s, len);
    return put_entry(lp, (size_t)(*p - lp), entry_size(lp, *p), &e, 0, p);
}

unsigned char *lpReplaceInt(unsigned char *lp, unsigned char **p, long long v) {
    lpEnc e;
    encode_int(&e, v);
    return put_entry(lp, (size_t)(*p - lp), entry_size(lp, *p), &e, 0, p);
}

unsigned char *lpDeleteRangeAt(unsigned char *lp, unsigned char **p, size_t n) {
    size_t off = (size_t)(*p - lp);
    const unsigned char *end = lp_end(lp), *q = *p;
    size_t deleted = 0;
    while (deleted < n && q < end) {
        q += entry_size(lp, q);
        deleted++;
    }
    lp = splice(lp, off, (size_t)(q - (lp + off)), 0, -(long)deleted);
    *p = off < hdr_total(lp) ? lp + off : NULL;
    return lp;
}

unsigned char *lpDelete(unsigned char *lp, unsigned char **p) {
    return lpDeleteRangeAt(lp, p, 1);
}

unsigned char *lpDeleteRange(unsigned char *lp, long index, size_t n) {
    unsigned char *p = lpSeek(lp, index);
    if (!p || n == 0) return lp;
    return lpDeleteRangeAt(lp, &p, n);
}

unsigned char *lpConcat(unsigned char *lp, const unsigned char *src) {
    if (lpHasBacklen(lp) != lpHasBacklen(src)) {
        /* Different layouts: re-encode entry by entry. */
        for (unsigned char *p = lpFirst(src); p; p = lpNext(src, p)) {
            lpValue v;
            lpGet(p, &v);
            lp = v.str ? lpAppend(lp, (const char *)v.str, v.len) : lpAppendInt(lp, v.ll);
        }
        return lp;
    }
    size_t add = hdr_total(src) - LP_HDR_SIZE;
    if (add == 0) return lp;
    size_t n = lpLength(src), have = hdr_count(lp);
    size_t off = hdr_total(lp);
    lp = splice(lp, off, 0, add, 0);
    memcpy(lp + off, src + LP_HDR_SIZE, add);
    set_count(lp, have == LP_COUNT_UNKNOWN ? LP_COUNT_UNKNOWN : have + n);
    return lp;
}

/* ---- Validation -------------------------------------------------------------------------- */

#define FAIL(...)                                          \
    do {                                                   \
        if (verbose) fprintf(stderr, "listpack: " __VA_ARGS__); \
        return 0;                                          \
    } while (0)

/* Checks that the entry at p (with `room` bytes before the end) is well formed and canonical;
 * returns its encoding size, or 0. */
static size_t check_entry(const unsigned char *p, size_t room, int verbose) {
    unsigned b = p[0];
    if (b > 0xF8 || b == 0xF1) FAIL("invalid encoding byte 0x%02x\n", b);
    if ((b >= 0xE0 && b < 0xF0 && room < 2) || (b == 0xF0 && room < 5) || (b >= 0xC0 && b < 0xE0 && room < 2))
        FAIL("entry header truncated\n");
    size_t e = enc_size(p);
    if (e > room) FAIL("entry of %zu bytes overruns the listpack\n", e);
    lpValue v;
    lpGet(p, &v);
    lpEnc canon;
    if (v.str)
        encode_str(&canon, (const char *)v.str, v.len);
    else
        encode_int(&canon, v.ll);
    if (canon.hlen != e - v.len || memcmp(canon.hdr, p, canon.hlen) != 0) FAIL("non-canonical entry\n");
    return e;
}

int lpValidate(const unsigned char *lp, int verbose) {
    size_t total = hdr_total(lp);
    if (total < LP_HDR_SIZE) FAIL("total %zu below the header size\n", total);
    if (total > kmalloc_size(lp)) FAIL("total %zu exceeds the allocation\n", total);
    const unsigned char *p = lp + LP_HDR_SIZE, *end = lp + total;
    size_t n = 0;
    while (p < end) {
        size_t e = check_entry(p, (size_t)(end - p), verbose);
        if (!e) return 0;
        if (lpHasBacklen(lp)) {
            size_t bl = backlen_size(e), got;
            if (p + e + bl > end) FAIL("back-length overruns the listpack\n");
            if (read_backlen(p + e + bl, &got) != e || got != bl) FAIL("bad back-length at entry %zu\n", n);
            e += bl;
        }
        p += e;
        n++;
    }
    unsigned c = hdr_count(lp);
    if (c != LP_COUNT_UNKNOWN && c != n) FAIL("count %u, found %zu entries\n", c, n);
    if (c == LP_COUNT_UNKNOWN && n < LP_COUNT_UNKNOWN) FAIL("count unknown with only %zu entries\n", n);
    return 1;
}
