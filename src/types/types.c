/* types.c - payload dispatch for aggregate types; see types.h.
 *
 * One case per type; each type's module handles its own encodings. A type without a case here
 * can't be created by any command, so reaching the default is a bug and aborts loudly. */
#include "types/types.h"

#include <stdio.h>
#include <stdlib.h>

#include "keyspace/object.h"
#include "types/t_hash.h"
#include "types/t_list.h"
#include "types/t_set.h"
#include "types/t_zset.h"
#include "types/stream.h"

static void unknown_type(const struct kobj *o) {
    fprintf(stderr, "BUG: payload of unknown type %d encoding %d\n", (int)o->type, (int)o->encoding);
    abort();
}

void type_free_payload(struct kobj *o) {
    switch (o->type) {
    case OBJ_HASH: hash_free_payload(o); return;
    case OBJ_LIST: list_free_payload(o); return;
    case OBJ_SET: set_free_payload(o); return;
    case OBJ_ZSET: zset_free_payload(o); return;
    case OBJ_STREAM: stream_free_payload(o); return;
    default: unknown_type(o);
    }
}

void *type_dup_payload(const struct kobj *o) {
    switch (o->type) {
    case OBJ_HASH: return hash_dup_payload(o);
    case OBJ_SET: return set_dup_payload(o);
    case OBJ_ZSET: return zset_dup_payload(o);
    case OBJ_STREAM: return stream_dup_payload(o);
    default: unknown_type(o); return NULL;
    }
}

size_t type_payload_memory(const struct kobj *o) {
    switch (o->type) {
    case OBJ_HASH: return hash_payload_memory(o);
    case OBJ_LIST: return list_payload_memory(o);
    case OBJ_SET: return set_payload_memory(o);
    case OBJ_ZSET: return zset_payload_memory(o);
    case OBJ_STREAM: return stream_payload_memory(o);
    default: unknown_type(o); return 0;
    }
}
