/* t_list.h - the list type: what other modules need besides the commands.
 *
 * Every list is ENC_QUICKLIST (src/types/quicklist.h): Redis 7.0.15 has no listpack-encoded
 * lists, and OBJECT ENCODING reports "quicklist" for all of them. The quicklist struct lives
 * inside the keyspace entry (obj_ptr points into it; keyspace/object.h), which saves a pointer
 * and an allocation per list. A key never holds an empty list. Modifying a list never moves its
 * entry, so a list command may keep the kobj while it modifies the list. */
#ifndef KEEL_T_LIST_H
#define KEEL_T_LIST_H

#include <stddef.h>

#include "keyspace/object.h"

/* A new (unlinked) empty list object with the configured fill and compress depth; the caller
 * fills it and adds it to a database (SORT ... STORE). */
kobj *list_new_object(const char *key, size_t klen);
/* Appends an element at the tail. */
void list_append(kobj *o, const char *s, size_t len);
size_t list_length(const kobj *o);

/* Calls fn for count elements from index start (0 <= start) in list order, or with reverse from
 * index len-1-start walking backwards (SORT's convention: cmd_sort.c's sort_load_elements can
 * pass its arguments through). Integers are formatted as Redis replies them. The bytes are
 * valid only during the call; fn must not modify the list. */
typedef void list_elem_fn(void *privdata, const char *s, size_t len);
void list_for_range(const kobj *o, long start, long count, int reverse, list_elem_fn *fn, void *privdata);

/* types.c dispatch */
void list_free_payload(kobj *o);
size_t list_payload_memory(const kobj *o);

#endif
