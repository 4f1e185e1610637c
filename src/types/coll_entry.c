/* coll_entry.c - the element of a large hash or set and tables of them; see coll_entry.h. */
#include "types/coll_entry.h"

#include <string.h>

#include "util/mem.h"

/* ---- Varints ----------------------------------------------------------------------------- */

static size_t varint_size(size_t v) {
    size_t n = 1;
    while (v >= 128) {
        v >>= 7;
        n++;
    }
    return n;
}

static size_t varint_put(unsigned char *p, size_t v) {
    size_t n = 0;
    while (v >= 128) {
        p[n++] = (unsigned char)(v | 128);
        v >>= 7;
    }
    p[n++] = (unsigned char)v;
    return n;
}

static const unsigned char *varint_get(const unsigned char *p, size_t *v) {
    size_t r = 0;
    unsigned shift = 0;
    while (*p & 128) {
        r |= (size_t)(*p++ & 127) << shift;
        shift += 7;
    }
    *v = r | (size_t)*p << shift;
    return p + 1;
}

/* ---- Table entries ----------------------------------------------------------------------- */

static size_t entry_size(size_t klen, size_t vlen, int has_value) {
    size_t n = sizeof(collEntry) + varint_size(klen) + klen;
    return has_value ? n + varint_size(vlen) + vlen : n;
}

/* Writes the value part at p. */
static void put_value(unsigned char *p, const char *val, size_t vlen) {
    p += varint_put(p, vlen);
    if (vlen) memcpy(p, val, vlen);
}

collEntry *coll_entry_new(const char *key, size_t klen, const char *val, size_t vlen, int has_value) {
    collEntry *e = kmalloc(entry_size(klen, vlen, has_value));
    e->link.next = NULL;
    unsigned char *p = e->data + varint_put(e->data, klen);
    if (klen) memcpy(p, key, klen);
    if (has_value) put_value(p + klen, val, vlen);
    return e;
}

const char *coll_entry_key(const void *entry, size_t *len) {
    const collEntry *e = entry;
    return (const char *)varint_get(e->data, len);
}

/* Start of the value part (its varint). */
static const unsigned char *value_part(const collEntry *e) {
    size_t klen;
    const char *k = coll_entry_key(e, &klen);
    return (const unsigned char *)k + klen;
}

const char *coll_entry_value(const collEntry *e, size_t *len) {
    return (const char *)varint_get(value_part(e), len);
}

collEntry *coll_entry_set_value(collEntry *e, const char *val, size_t vlen) {
    size_t klen;
    coll_entry_key(e, &klen);
    size_t voff = (size_t)(value_part(e) - (const unsigned char *)e), old_vlen;
    coll_entry_value(e, &old_vlen);
    /* The new value may not alias the old entry (callers pass argument bytes). A value of the
     * same length (counters, fixed-size values) is overwritten in place. */
    if (vlen != old_vlen) e = krealloc(e, entry_size(klen, vlen, 1));
    put_value((unsigned char *)e + voff, val, vlen);
    return e;
}

size_t coll_entry_bytes(const collEntry *e, int has_value) {
    size_t klen, vlen = 0;
    coll_entry_key(e, &klen);
    if (has_value) coll_entry_value(e, &vlen);
    return entry_size(klen, vlen, has_value);
}

collEntry *coll_entry_dup(const collEntry *e, int has_value) {
    collEntry *n = kmemdup(e, coll_entry_bytes(e, has_value));
    n->link.next = NULL;
    return n;
}

void coll_entry_free(void *entry) {
    kfree(entry);
}

const tableType coll_table_type = {
    .entry_key = coll_entry_key,
    .entry_free = coll_entry_free,
    .hash = NULL,
    .grow_allowed = NULL,
};

table *coll_table_dup(table *t, int has_value) {
    table *n = tableCreate(&coll_table_type);
    tableIter it;
    tableIterInit(&it, t, 0);
    for (collEntry *e; (e = tableIterNext(&it)) != NULL;) tableAdd(n, coll_entry_dup(e, has_value));
    tableIterRelease(&it);
    return n;
}

#define MEMORY_EXACT_MAX 4096
#define MEMORY_SAMPLES 1024

size_t coll_table_memory(table *t) {
    size_t total = tableOverheadBytes(t), size = tableSize(t);
    if (size <= MEMORY_EXACT_MAX) {
        tableIter it;
        tableIterInit(&it, t, 0);
        for (void *e; (e = tableIterNext(&it)) != NULL;) total += kmalloc_size(e);
        tableIterRelease(&it);
        return total;
    }
    void **sample = kmalloc(sizeof(void *) * MEMORY_SAMPLES);
    size_t got = tableSample(t, sample, MEMORY_SAMPLES), bytes = 0;
    for (size_t i = 0; i < got; i++) bytes += kmalloc_size(sample[i]);
    kfree(sample);
    return total + (size_t)((double)bytes / (double)got * (double)size);
}
