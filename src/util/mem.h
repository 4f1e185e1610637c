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

size_t mem_used(void);                    /* bytes currently allocated through these wrappers */
const char *mem_allocator_name(void);     /* "jemalloc-5.x.y" or "libc" */
size_t mem_rss(void);                     /* resident set size of the process, bytes */

#endif
