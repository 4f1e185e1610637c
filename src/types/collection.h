/* collection.h - command helpers shared by the aggregate types (hashes, lists, sets, sorted
 * sets):
 *
 *  - looking a key up for a type (WRONGTYPE) and deleting a key whose collection emptied;
 *  - Redis's numeric argument rules with their exact error replies;
 *  - uniform sampling of k distinct indices out of n.
 *
 * The element of a large hash or set is in coll_entry.h, the *SCAN commands' helpers in
 * coll_scan.h. */
#ifndef KEEL_COLLECTION_H
#define KEEL_COLLECTION_H

#include <stddef.h>
#include <stdint.h>

#include "server.h"

/* ---- Keys ------------------------------------------------------------------------------- */

/* Looks up a key for a command on `type` (db_lookup_read / db_lookup_write): returns 0 after
 * replying WRONGTYPE when the key holds another type, else 1 with *o = the object, or NULL when
 * the key is missing. */
int coll_lookup_read(client *c, const karg *key, int type, kobj **o);
int coll_lookup_write(client *c, const karg *key, int type, kobj **o);
/* Deletes a key whose collection became empty, with the "del" keyspace event. */
void coll_delete_emptied(client *c, const karg *key);

/* ---- Numeric arguments (Redis's getLongFromObjectOrReply family) --------------------------- */
/* (The plain form, without limits, is arg_ll_or_reply() in protocol/reply.h.) */

/* A long long within [min, max]; out of range replies msg or "value is out of range, value must
 * between MIN and MAX". */
int coll_get_range_long_or_reply(client *c, const karg *arg, long long min, long long max, long long *out,
                                 const char *msg);
/* A value >= 0; any failure replies msg or "value is out of range, must be positive". */
int coll_get_positive_long_or_reply(client *c, const karg *arg, long long *out, const char *msg);

/* ---- Sampling ---------------------------------------------------------------------------- */

/* Stores k distinct indices of [0, n) in ascending order in out (k <= n); every k-subset is
 * equally likely. O(n). */
void coll_sample_indices(size_t n, size_t k, uint32_t *out);
/* Shuffles a[0..n) uniformly (Fisher-Yates). */
void coll_shuffle(uint32_t *a, size_t n);

#endif
