/* mem.c - counting allocator wrappers; see mem.h. */
#include "util/mem.h"

#include <malloc.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef KEEL_JEMALLOC
#include <jemalloc/jemalloc.h>
#endif

/* glibc declares malloc_usable_size() as reading its argument's memory, so gcc (with the
 * sanitizers) warns that a fresh block is "used uninitialized"; only the pointer is read. */
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

static _Atomic size_t used_bytes;

__attribute__((noreturn)) static void oom(size_t size) {
    fprintf(stderr, "Out Of Memory allocating %zu bytes!\n", size);
    abort();
}

size_t kmalloc_size(const void *ptr) {
    return ptr ? malloc_usable_size((void *)ptr) : 0;
}

void *kmalloc(size_t size) {
    void *p = malloc(size ? size : 1);
    if (!p) oom(size);
    atomic_fetch_add_explicit(&used_bytes, kmalloc_size(p), memory_order_relaxed);
    return p;
}

void *kcalloc(size_t size) {
    void *p = calloc(1, size ? size : 1);
    if (!p) oom(size);
    atomic_fetch_add_explicit(&used_bytes, kmalloc_size(p), memory_order_relaxed);
    return p;
}

void *krealloc(void *ptr, size_t size) {
    if (!ptr) return kmalloc(size);
    size_t old = kmalloc_size(ptr);
    void *p = realloc(ptr, size ? size : 1);
    if (!p) oom(size);
    size_t now = kmalloc_size(p);
    if (now >= old)
        atomic_fetch_add_explicit(&used_bytes, now - old, memory_order_relaxed);
    else
        atomic_fetch_sub_explicit(&used_bytes, old - now, memory_order_relaxed);
    return p;
}

void kfree(void *ptr) {
    if (!ptr) return;
    atomic_fetch_sub_explicit(&used_bytes, kmalloc_size(ptr), memory_order_relaxed);
    free(ptr);
}

char *kstrdup(const char *s) {
    return kmemdup(s, strlen(s) + 1);
}

void *kmemdup(const void *p, size_t len) {
    void *d = kmalloc(len);
    memcpy(d, p, len);
    return d;
}

size_t mem_used(void) {
    return atomic_load_explicit(&used_bytes, memory_order_relaxed);
}

const char *mem_allocator_name(void) {
#ifdef KEEL_JEMALLOC
    static char name[64];
    if (!name[0]) {
        const char *v = NULL;
        size_t sz = sizeof(v);
        if (mallctl("version", &v, &sz, NULL, 0) == 0 && v) {
            /* "5.3.0-0-g54eaed1d..." -> "jemalloc-5.3.0" */
            size_t n = strcspn(v, "-");
            snprintf(name, sizeof(name), "jemalloc-%.*s", (int)n, v);
        } else {
            snprintf(name, sizeof(name), "jemalloc");
        }
    }
    return name;
#else
    return "libc";
#endif
}

size_t mem_rss(void) {
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f) return 0;
    unsigned long pages_total = 0, pages_rss = 0;
    int n = fscanf(f, "%lu %lu", &pages_total, &pages_rss);
    fclose(f);
    if (n != 2) return 0;
    return (size_t)pages_rss * (size_t)sysconf(_SC_PAGESIZE);
}
