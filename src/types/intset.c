/* intset.c - sorted integer sets with width upgrade; see intset.h. Values are stored in the
 * host's byte order (the set never leaves the process). */
#include "types/intset.h"

#include <stdio.h>
#include <string.h>

#include "util/mem.h"
#include "util/util.h"

static uint32_t width_for(int64_t v) {
    if (v >= INT16_MIN && v <= INT16_MAX) return 2;
    if (v >= INT32_MIN && v <= INT32_MAX) return 4;
    return 8;
}

static int64_t get_w(const intset *is, uint32_t i, uint32_t width) {
    const unsigned char *p = is->data + (size_t)i * width;
    if (width == 2) {
        int16_t v;
        memcpy(&v, p, 2);
        return v;
    }
    if (width == 4) {
        int32_t v;
        memcpy(&v, p, 4);
        return v;
    }
    int64_t v;
    memcpy(&v, p, 8);
    return v;
}

static void set_at(intset *is, uint32_t i, int64_t v) {
    unsigned char *p = is->data + (size_t)i * is->width;
    if (is->width == 2) {
        int16_t x = (int16_t)v;
        memcpy(p, &x, 2);
    } else if (is->width == 4) {
        int32_t x = (int32_t)v;
        memcpy(p, &x, 4);
    } else {
        memcpy(p, &v, 8);
    }
}

static intset *resize(intset *is, uint32_t len) {
    return krealloc(is, sizeof(intset) + (size_t)len * is->width);
}

/* Binary search: 1 and *pos = index if found, else 0 and *pos = insertion point. */
static int search(const intset *is, int64_t v, uint32_t *pos) {
    uint32_t lo = 0, hi = is->len;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        int64_t cur = get_w(is, mid, is->width);
        if (cur == v) {
            *pos = mid;
            return 1;
        }
        if (cur < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    *pos = lo;
    return 0;
}

intset *intsetNew(void) {
    intset *is = kmalloc(sizeof(intset));
    is->width = 2;
    is->len = 0;
    return is;
}

void intsetFree(intset *is) {
    kfree(is);
}

intset *intsetDup(const intset *is) {
    return kmemdup(is, intsetBytes(is));
}

/* Widens every value to hold v, which is out of the current range, and adds v: it is below
 * every value (negative) or above every value (positive), so it goes first or last. */
static intset *upgrade_and_add(intset *is, int64_t v) {
    uint32_t old = is->width, len = is->len;
    is->width = width_for(v);
    is = resize(is, len + 1);
    int prepend = v < 0;
    for (uint32_t i = len; i-- > 0;) set_at(is, i + (uint32_t)prepend, get_w(is, i, old));
    set_at(is, prepend ? 0 : len, v);
    is->len = len + 1;
    return is;
}

intset *intsetAdd(intset *is, int64_t v, int *added) {
    uint32_t pos;
    if (added) *added = 1;
    if (width_for(v) > is->width) return upgrade_and_add(is, v);
    if (search(is, v, &pos)) {
        if (added) *added = 0;
        return is;
    }
    is = resize(is, is->len + 1);
    memmove(is->data + (size_t)(pos + 1) * is->width, is->data + (size_t)pos * is->width,
            (size_t)(is->len - pos) * is->width);
    set_at(is, pos, v);
    is->len++;
    return is;
}

intset *intsetRemove(intset *is, int64_t v, int *removed) {
    uint32_t pos;
    if (removed) *removed = 0;
    if (width_for(v) > is->width || !search(is, v, &pos)) return is;
    memmove(is->data + (size_t)pos * is->width, is->data + (size_t)(pos + 1) * is->width,
            (size_t)(is->len - pos - 1) * is->width);
    is->len--;
    if (removed) *removed = 1;
    return resize(is, is->len);
}

int intsetFind(const intset *is, int64_t v) {
    uint32_t pos;
    return width_for(v) <= is->width && search(is, v, &pos);
}

uint32_t intsetLen(const intset *is) {
    return is->len;
}

int64_t intsetGet(const intset *is, uint32_t index) {
    return get_w(is, index, is->width);
}

int64_t intsetRandom(const intset *is) {
    return get_w(is, (uint32_t)(rand64() % is->len), is->width);
}

size_t intsetBytes(const intset *is) {
    return sizeof(intset) + (size_t)is->len * is->width;
}

int intsetValidate(const intset *is, int verbose) {
    const char *why = NULL;
    if (is->width != 2 && is->width != 4 && is->width != 8)
        why = "bad width";
    else if (kmalloc_size(is) < intsetBytes(is))
        why = "allocation smaller than the content";
    for (uint32_t i = 1; !why && i < is->len; i++)
        if (get_w(is, i - 1, is->width) >= get_w(is, i, is->width)) why = "values not strictly ascending";
    if (why && verbose) fprintf(stderr, "intset: %s\n", why);
    return why == NULL;
}
