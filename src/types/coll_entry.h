/* coll_entry.h - the element of a large hash or set, ONE allocation linked in a Keel table:
 *
 *   [tableLink][varint klen][key bytes][varint vlen][value bytes]    (value part: hashes only)
 *
 * Varints are LEB128 (7 bits per byte, low group first), so short fields cost one byte of
 * length each. The key bytes never change while linked; a new value reallocates the entry. */
#ifndef KEEL_COLL_ENTRY_H
#define KEEL_COLL_ENTRY_H

#include <stddef.h>

#include "keyspace/table.h"

typedef struct collEntry {
    tableLink link;
    unsigned char data[];
} collEntry;

/* A new unlinked entry; with has_value = 0 it has no value part (set members). */
collEntry *coll_entry_new(const char *key, size_t klen, const char *val, size_t vlen, int has_value);
const char *coll_entry_key(const void *entry, size_t *len);     /* tableType.entry_key */
const char *coll_entry_value(const collEntry *e, size_t *len);  /* entries with a value */
/* Gives e a new value; returns the (possibly moved) entry, which the caller swaps into its
 * table with tableReplaceEntry() when it moved. */
collEntry *coll_entry_set_value(collEntry *e, const char *val, size_t vlen);
size_t coll_entry_bytes(const collEntry *e, int has_value);     /* bytes used (not allocated) */
collEntry *coll_entry_dup(const collEntry *e, int has_value);
void coll_entry_free(void *entry);                               /* tableType.entry_free */

/* The table type of collection entries (key = the entry's key bytes). */
extern const tableType coll_table_type;
/* A copy of t with copies of its entries. */
table *coll_table_dup(table *t, int has_value);
/* Payload bytes of a table of collEntry: exact up to a few thousand entries, above that the
 * table's own memory plus the size times the mean allocation of a random sample. */
size_t coll_table_memory(table *t);

#endif
