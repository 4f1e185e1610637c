/* kstr.h - growable binary-safe strings.
 *
 * Invariant: s->buf[s->len] == '\0' and s->len <= s->cap, so a kstr can be handed to C string
 * functions when it holds no NUL byte. A kstr is one allocation; any call that may grow it
 * returns the (possibly moved) string, and the caller must store the result. */
#ifndef KEEL_KSTR_H
#define KEEL_KSTR_H

#include <stddef.h>

typedef struct kstr {
    size_t len;
    size_t cap;
    char buf[];
} kstr;

kstr *kstr_new(const void *p, size_t len);
kstr *kstr_empty(size_t cap);
kstr *kstr_cat(kstr *s, const void *p, size_t len);
kstr *kstr_catc(kstr *s, const char *cstr);
kstr *kstr_catfmt(kstr *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends p[0..len) quoted, with \\ \" \n \r \t \a \b and \xHH escapes for other unprintable
 * bytes (Redis's sdscatrepr: MONITOR lines, the AOF manifest's file names). */
kstr *kstr_catrepr(kstr *s, const char *p, size_t len);
kstr *kstr_reserve(kstr *s, size_t extra);      /* cap >= len + extra afterwards */
kstr *kstr_reserve_exact(kstr *s, size_t extra); /* the same, growing only to what is asked */
/* Reallocates to cap bytes (truncating len if shorter) and reports exactly cap as the
 * capacity, even where the allocator gave more, as Redis's sdsResize does. */
kstr *kstr_resize(kstr *s, size_t cap);
kstr *kstr_grow_zero(kstr *s, size_t len);      /* extends with zero bytes up to len */
void kstr_range_keep(kstr *s, size_t start, size_t len); /* keep buf[start..start+len) */
void kstr_free(kstr *s);
size_t kstr_alloc_size(const kstr *s);

#endif
