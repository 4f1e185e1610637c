/* types.c - payload dispatch for aggregate types; see types.h.
 *
 * Keel has no aggregate types yet (issue "Hashes, lists, sets and sorted sets"); no command can
 * create a non-string kobj, so reaching here is a bug and aborts loudly. */
#include "types/types.h"

#include <stdio.h>
#include <stdlib.h>

#include "keyspace/object.h"

static void unknown_type(const struct kobj *o) {
    fprintf(stderr, "BUG: payload of unknown type %d encoding %d\n", (int)o->type, (int)o->encoding);
    abort();
}

void type_free_payload(struct kobj *o) {
    unknown_type(o);
}

void *type_dup_payload(const struct kobj *o) {
    unknown_type(o);
    return NULL;
}

size_t type_payload_memory(const struct kobj *o) {
    unknown_type(o);
    return 0;
}
