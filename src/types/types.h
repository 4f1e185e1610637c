/* types.h - what the keyspace needs to know about the aggregate types' payloads.
 *
 * A kobj of type set, zset, hash or stream owns a pointer to a payload whose layout depends on
 * its encoding; a list holds its quicklist struct inline (keyspace/object.h). These three
 * functions are the only places that dispatch on (type, encoding) for generic work: freeing,
 * copying (COPY: not lists, whose inline struct obj_dup copies itself) and memory accounting
 * (MEMORY USAGE). */
#ifndef KEEL_TYPES_H
#define KEEL_TYPES_H

#include <stddef.h>

struct kobj;

void type_free_payload(struct kobj *o);
void *type_dup_payload(const struct kobj *o);
size_t type_payload_memory(const struct kobj *o);

#endif
