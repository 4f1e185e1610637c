/* object.h - the keyspace entry: one allocation per key.
 *
 * Layout of a kobj (all in one block from kmalloc):
 *
 *   [tableLink next][type:4 encoding:4 lru:24][keylen:30 has_expire:1 -:1]     16 bytes
 *   [int64 expire_ms][uint32 ttl_slot]                          12 bytes, only if has_expire
 *   [key bytes][NUL]
 *   [value]   EMBSTR: [uint8 len][bytes][NUL]   INT: int64
 *             QUICKLIST: the quicklist struct itself, at the next multiple of 8 bytes
 *             other encodings: void *ptr
 *
 * Invariants: a kobj is linked in at most one keyspace table; has_expire <=> the entry sits in
 * its database's TTL index at ttl_slot; EMBSTR values are at most OBJ_EMBSTR_MAX bytes. Values
 * that change size move the entry: every function that may reallocate returns the new pointer,
 * and the database layer swaps it in the table and the TTL index (db_replace). Nothing else
 * may keep a kobj pointer across commands: callers keep key names, not entries. */
#ifndef KEEL_OBJECT_H
#define KEEL_OBJECT_H

#include <stddef.h>
#include <stdint.h>

#include "keyspace/table.h"
#include "util/kstr.h"

/* Types and encodings use Redis's numbers (RDB and OBJECT ENCODING names follow them). */
enum { OBJ_STRING = 0, OBJ_LIST = 1, OBJ_SET = 2, OBJ_ZSET = 3, OBJ_HASH = 4, OBJ_STREAM = 6 };
enum {
    ENC_RAW = 0,        /* string in a separate kstr */
    ENC_INT = 1,        /* string that is a long long, stored inline */
    ENC_HT = 2,         /* hashtable (keyspace table) */
    ENC_INTSET = 6,
    ENC_SKIPLIST = 7,
    ENC_EMBSTR = 8,     /* short string stored inline */
    ENC_QUICKLIST = 9,
    ENC_STREAM = 10,    /* types/stream.h */
    ENC_LISTPACK = 11,
};

#define OBJ_EMBSTR_MAX 44
#define OBJ_NO_EXPIRE (-1LL)

typedef struct kobj {
    tableLink link;
    uint32_t type : 4;
    uint32_t encoding : 4;
    uint32_t lru : 24;
    uint32_t keylen : 30;
    uint32_t has_expire : 1;
    uint32_t spare : 1;
    char data[];
} kobj;

/* Constructors. The value bytes are copied; the encoding is chosen as Redis does for SET:
 * int if the value is a canonical long long of at most 20 chars, embstr up to 44 bytes, else raw. */
kobj *obj_new_string(const char *key, size_t klen, const char *val, size_t vlen);
/* Same without the int encoding: embstr up to 44 bytes, else raw (Redis's createStringObject,
 * used for INCRBYFLOAT results). */
kobj *obj_new_string_noint(const char *key, size_t klen, const char *val, size_t vlen);
/* String with a given encoding decision skipped: always raw (APPEND/SETRANGE results). */
kobj *obj_new_raw(const char *key, size_t klen, kstr *val);
kobj *obj_new_int(const char *key, size_t klen, long long v);
/* Object whose value is a pointer owned by the object (aggregate types, raw strings). */
kobj *obj_new_ptr(const char *key, size_t klen, int type, int encoding, void *ptr);
/* Object whose value is a struct stored inside it (ENC_QUICKLIST), uninitialized: the caller
 * sets it up through obj_ptr(). */
kobj *obj_new_inline(const char *key, size_t klen, int type, int encoding);
/* Same value under another key (RENAME/MOVE): the payload moves, `o` is freed. */
kobj *obj_rekey(kobj *o, const char *key, size_t klen);
/* Deep copy under another key (COPY). */
kobj *obj_dup(const kobj *o, const char *key, size_t klen);
void obj_free(kobj *o);
/* Bytes the object holds (the entry and its payload): MEMORY USAGE. */
size_t obj_memory(const kobj *o);

/* Accessors. */
static inline const char *obj_key(const kobj *o) {
    return o->data + (o->has_expire ? 12 : 0);
}
static inline size_t obj_keylen(const kobj *o) {
    return o->keylen;
}
long long obj_expire(const kobj *o);             /* unix ms, or OBJ_NO_EXPIRE */
void obj_set_expire_inplace(kobj *o, long long when); /* requires has_expire */
uint32_t obj_ttl_slot(const kobj *o);
void obj_set_ttl_slot(kobj *o, uint32_t slot);
/* Adds or removes the TTL area; returns the (possibly moved) object. */
kobj *obj_with_expire_area(kobj *o, int has_expire);

void *obj_ptr(const kobj *o);                    /* pointer encodings; inline ones: the struct */
void obj_set_ptr(kobj *o, void *ptr);            /* pointer encodings only */
long long obj_int(const kobj *o);                /* ENC_INT */
void obj_set_int(kobj *o, long long v);          /* ENC_INT, in place */

/* The string value's bytes. For ENC_INT the number is formatted into numbuf (>= 24 bytes). */
const char *obj_str(const kobj *o, size_t *len, char *numbuf);
/* Turns a string object into ENC_RAW (to be modified in place): returns the moved object. */
kobj *obj_make_raw(kobj *o);
/* Length of the string value without formatting it. */
size_t obj_strlen(const kobj *o);

const char *obj_type_name(int type);
const char *obj_encoding_name(int encoding);

/* tableType.entry_key for kobj entries. */
const char *obj_table_key(const void *entry, size_t *len);

#endif
