/* kstr.c - growable strings; see kstr.h. */
#include "util/kstr.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util/mem.h"

kstr *kstr_empty(size_t cap) {
    kstr *s = kmalloc(sizeof(kstr) + cap + 1);
    s->len = 0;
    s->cap = kmalloc_size(s) - sizeof(kstr) - 1;
    s->buf[0] = '\0';
    return s;
}

kstr *kstr_new(const void *p, size_t len) {
    kstr *s = kstr_empty(len);
    if (len) memcpy(s->buf, p, len);
    s->len = len;
    s->buf[len] = '\0';
    return s;
}

kstr *kstr_reserve(kstr *s, size_t extra) {
    if (s->cap - s->len >= extra) return s;
    size_t need = s->len + extra;
    /* Double while small, then grow by 1 MB steps so that huge strings don't overshoot. */
    size_t cap = need < (1u << 20) ? need * 2 : need + (1u << 20);
    s = krealloc(s, sizeof(kstr) + cap + 1);
    s->cap = kmalloc_size(s) - sizeof(kstr) - 1;
    return s;
}

kstr *kstr_reserve_exact(kstr *s, size_t extra) {
    if (s->cap - s->len >= extra) return s;
    s = krealloc(s, sizeof(kstr) + s->len + extra + 1);
    s->cap = kmalloc_size(s) - sizeof(kstr) - 1;
    return s;
}

kstr *kstr_resize(kstr *s, size_t cap) {
    if (s->len > cap) s->len = cap;
    s = krealloc(s, sizeof(kstr) + cap + 1);
    s->cap = cap;
    s->buf[s->len] = '\0';
    return s;
}

kstr *kstr_cat(kstr *s, const void *p, size_t len) {
    s = kstr_reserve(s, len);
    memcpy(s->buf + s->len, p, len);
    s->len += len;
    s->buf[s->len] = '\0';
    return s;
}

kstr *kstr_catc(kstr *s, const char *cstr) {
    return kstr_cat(s, cstr, strlen(cstr));
}

kstr *kstr_catfmt(kstr *s, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char small[256];
    int n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0) return s;
    if ((size_t)n < sizeof(small)) return kstr_cat(s, small, (size_t)n);
    s = kstr_reserve(s, (size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(s->buf + s->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    s->len += (size_t)n;
    return s;
}

kstr *kstr_grow_zero(kstr *s, size_t len) {
    if (len <= s->len) return s;
    s = kstr_reserve(s, len - s->len);
    memset(s->buf + s->len, 0, len - s->len);
    s->len = len;
    s->buf[len] = '\0';
    return s;
}

void kstr_range_keep(kstr *s, size_t start, size_t len) {
    if (start > s->len) start = s->len;
    if (len > s->len - start) len = s->len - start;
    if (start && len) memmove(s->buf, s->buf + start, len);
    s->len = len;
    s->buf[len] = '\0';
}

void kstr_free(kstr *s) {
    kfree(s);
}

size_t kstr_alloc_size(const kstr *s) {
    return kmalloc_size(s);
}

kstr *kstr_catrepr(kstr *s, const char *p, size_t len) {
    s = kstr_cat(s, "\"", 1);
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)p[i];
        switch (ch) {
        case '\\': s = kstr_cat(s, "\\\\", 2); break;
        case '"': s = kstr_cat(s, "\\\"", 2); break;
        case '\n': s = kstr_cat(s, "\\n", 2); break;
        case '\r': s = kstr_cat(s, "\\r", 2); break;
        case '\t': s = kstr_cat(s, "\\t", 2); break;
        case '\a': s = kstr_cat(s, "\\a", 2); break;
        case '\b': s = kstr_cat(s, "\\b", 2); break;
        default:
            if (isprint(ch)) s = kstr_cat(s, &p[i], 1);
            else s = kstr_catfmt(s, "\\x%02x", ch);
        }
    }
    return kstr_cat(s, "\"", 1);
}
