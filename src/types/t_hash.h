/* t_hash.h - the hash type: what other modules need besides the commands.
 *
 * Encodings: ENC_LISTPACK (obj_ptr = forward-only listpack of field, value, field, value, ...,
 * in insertion order) while the hash has at most hash-max-listpack-entries fields and every
 * field and value is at most hash-max-listpack-value bytes; then ENC_HT (obj_ptr = a Keel table
 * of collEntry {field, value}). A hash never returns to the listpack, and a key never holds an
 * empty hash. */
#ifndef KEEL_T_HASH_H
#define KEEL_T_HASH_H

#include <stddef.h>

#include "keyspace/object.h"

#define HASH_NUMBUF 21   /* room for a value stored as an integer, formatted */

/* The value of `field` in hash object o: 1 with *val and *vlen (bytes inside the hash, or formatted
 * into numbuf of HASH_NUMBUF bytes) if present, 0 otherwise. For SORT's "key->field" patterns. */
int hash_get_value(const kobj *o, const char *field, size_t flen, const char **val, size_t *vlen, char *numbuf);
size_t hash_length(const kobj *o);

/* Persistence (src/persist/): an empty listpack hash that fields are added to as HSET would,
 * converting past hash-max-listpack-*. */
kobj *hash_new_object(const char *key, size_t klen);
/* Adds a field that must be absent: returns 0 (the hash is then unusable: free it) if the field
 * was present. */
int hash_load_field(kobj *o, const char *f, size_t flen, const char *v, size_t vlen);

/* types.c dispatch */
void hash_free_payload(kobj *o);
void *hash_dup_payload(const kobj *o);
size_t hash_payload_memory(const kobj *o);

#endif
