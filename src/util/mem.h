/* mem.h - the allocator every part of Keel uses.
 *
 * All heap memory that belongs to the dataset or to clients goes through these wrappers so that
 * used_memory (INFO memory, maxmemory) is an honest count: each wrapper adds or subtracts the
 * allocator's usable size of the block. Allocation failure aborts the process with a log line,
 * as Redis does: callers never see NULL. The counter is atomic because the lazy-free thread
 * frees memory too. */
#ifndef KEEL_MEM_H
#define KEEL_MEM_H

#include <stddef.h>

void *kmalloc(size_t size);
void *kcalloc(size_t size);               /* zeroed */
void *krealloc(void *ptr, size_t size);   /* ptr may be NULL */
void kfree(void *ptr);                    /* ptr may be NULL */
char *kstrdup(const char *s);
void *kmemdup(const void *p, size_t len);
size_t kmalloc_size(const void *ptr);     /* usable size of a block from kmalloc */

/* Active defragmentation. With jemalloc: if ptr sits in a slab that is less used than its size
 * class's slabs on average (and is not the slab new blocks come from), moves the block to a
 * fresh one, bypassing the thread cache so the old region goes back to its slab, and returns
 * the new address; otherwise returns NULL and ptr stays valid. The question is asked through
 * jemalloc 5.3's experimental.utilization.query mallctl, so a stock jemalloc will do. With the
 * C library's allocator (the sanitizer builds) every block is moved, so that a stale pointer
 * left behind by the defragmenter is a use-after-free ASan reports. */
void *kdefrag(void *ptr);
/* 1 if kdefrag works: jemalloc answers the utilization query, or the C library's allocator. */
int mem_defrag_supported(void);

/* jemalloc-bg-thread: jemalloc's background threads return freed pages to the kernel (purging),
 * which the thread that freed the memory does otherwise, in the middle of whatever it was doing:
 * for the event loop, a latency spike of milliseconds while the defragmenter or a big DEL frees.
 * Returns 0, or -1 if the allocator refused; a no-op with the C library's allocator. */
int mem_set_background_thread(int on);

size_t mem_used(void);                    /* bytes currently allocated through these wrappers */
const char *mem_allocator_name(void);     /* "jemalloc-5.x.y" or "libc" */
size_t mem_rss(void);                     /* resident set size of the process, bytes */

#endif
