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

#ifdef KEEL_JEMALLOC
/* jemalloc 5.3's reply to experimental.utilization.query (inspect_extent_util_stats_verbose_t):
 * the slab holding the pointer (free regions, regions, slab bytes) and its size class's bin
 * (free and total regions over all its slabs, and the slab new allocations come from). */
typedef struct slabUsage {
    void *slabcur_addr;
    size_t nfree, nregs, size;
    size_t bin_nfree, bin_nregs;
} slabUsage;

/* The query runs once per block the defragmenter offers, so its name is resolved to a MIB once:
 * mallctl() by name walks jemalloc's name tree on every call. */
static int query_slab(const void *ptr, slabUsage *u) {
    static size_t mib[4], miblen;
    static int resolved;   /* 1: mib holds the name; -1: this jemalloc lacks it */
    if (!resolved) {
        miblen = sizeof(mib) / sizeof(mib[0]);
        resolved = mallctlnametomib("experimental.utilization.query", mib, &miblen) == 0 ? 1 : -1;
    }
    size_t sz = sizeof(*u);
    return resolved > 0 && mallctlbymib(mib, miblen, u, &sz, &ptr, sizeof(ptr)) == 0 && sz == sizeof(*u);
}

/* Worth moving: a slab with free regions, not the current one, and used less than the bin's
 * slabs on average plus 1/8 (moving blocks out of the emptier slabs lets them be released). */
static int in_sparse_slab(const void *ptr) {
    slabUsage u;
    if (!query_slab(ptr, &u) || u.nfree == 0 || u.nregs <= 1 || u.bin_nregs == 0) return 0;
    const char *cur = u.slabcur_addr, *p = ptr;
    if (cur && p >= cur && p < cur + u.size) return 0;
    size_t used = u.nregs - u.nfree, bin_used = u.bin_nregs - u.bin_nfree;
    return (double)used * (double)u.bin_nregs * 8 < (double)bin_used * (double)u.nregs * 9;
}

void *kdefrag(void *ptr) {
    if (!ptr || !in_sparse_slab(ptr)) return NULL;
    size_t size = malloc_usable_size(ptr);
    void *p = mallocx(size, MALLOCX_TCACHE_NONE);
    if (!p) return NULL;
    memcpy(p, ptr, size);
    dallocx(ptr, MALLOCX_TCACHE_NONE);
    return p;
}

int mem_set_background_thread(int on) {
    _Bool b = on != 0;
    return mallctl("background_thread", NULL, NULL, &b, sizeof(b)) == 0 ? 0 : -1;
}

int mem_defrag_supported(void) {
    static int supported = -1;
    if (supported < 0) {
        void *probe = malloc(64);
        slabUsage u;
        supported = probe && query_slab(probe, &u) && u.nregs > 1;
        free(probe);
    }
    return supported;
}
#else
void *kdefrag(void *ptr) {
    if (!ptr) return NULL;
    size_t size = malloc_usable_size(ptr);
    void *p = malloc(size);
    if (!p) return NULL;
    memcpy(p, ptr, size);
    atomic_fetch_add_explicit(&used_bytes, kmalloc_size(p), memory_order_relaxed);
    kfree(ptr);
    return p;
}

int mem_defrag_supported(void) {
    return 1;
}

int mem_set_background_thread(int on) {
    (void)on;
    return 0;
}
#endif

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
