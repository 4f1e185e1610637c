/* t_set.h - the set type: what other modules need besides the commands.
 *
 * Encodings (Redis 7.0.15 has no listpack sets; set-max-listpack-* are 7.2 settings):
 * ENC_INTSET (obj_ptr = intset) while every member is a canonical long long and there are at
 * most set-max-intset-entries members; otherwise ENC_HT (obj_ptr = a Keel table of collEntry
 * members without values). A set never returns to the intset, and a key never holds an empty
 * set. */
#ifndef KEEL_T_SET_H
#define KEEL_T_SET_H

#include <stddef.h>

#include "keyspace/object.h"

size_t set_size(const kobj *o);

/* Calls fn once per member (for SORT), in the set's order: ascending for intsets. The member
 * bytes are valid only during the call; fn must not modify the set. */
typedef void set_member_fn(void *privdata, const char *member, size_t len);
void set_for_each(const kobj *o, set_member_fn *fn, void *privdata);

/* Persistence (src/persist/): an empty set (intset) that members are added to as SADD would,
 * converting past set-max-intset-entries or at the first non-integer. */
kobj *set_new_object(const char *key, size_t klen);
/* Returns 1 if the member was absent (and is now added), 0 if present. */
int set_load_member(kobj *o, const char *s, size_t len);

/* types.c dispatch */
void set_free_payload(kobj *o);
void *set_dup_payload(const kobj *o);
size_t set_payload_memory(const kobj *o);

#endif
