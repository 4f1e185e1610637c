/* t_zset.h - the sorted set type: what other modules need besides the commands.
 *
 * Encodings (docs/zset.md): ENC_LISTPACK (obj_ptr = a listpack with back-lengths holding
 * member, score, member, score, ... sorted by (score, member)) while the set has at most
 * zset-max-listpack-entries members of at most zset-max-listpack-value bytes; otherwise
 * ENC_SKIPLIST, which is what OBJECT ENCODING reports, although the structure is Keel's: a table
 * of zelem (member -> score) plus an order-statistic B+tree over the same elements (zbtree.h).
 * A sorted set never returns to the listpack, except results built whole (ZUNIONSTORE,
 * ZINTERSTORE, ZDIFFSTORE), which get the small encoding when they fit, as in Redis. A key
 * never holds an empty sorted set. */
#ifndef KEEL_T_ZSET_H
#define KEEL_T_ZSET_H

#include <stddef.h>

#include "keyspace/object.h"

size_t zset_length(const kobj *o);

/* For SORT. Redis 7.0 converts a listpack sorted set to a skiplist before sorting it (visible
 * in OBJECT ENCODING afterwards); SORT calls this on its source key first. */
void zset_convert_for_sort(kobj *o);

/* Calls fn for `count` members from rank `start` in ascending score order, or with `reverse`
 * from rank len-1-start downwards (SORT BY nosort with LIMIT and DESC). The range must be
 * within the set. The member bytes are valid only during the call; fn must not modify o. */
typedef void zset_member_fn(void *privdata, const char *member, size_t len);
void zset_for_range(const kobj *o, size_t start, size_t count, int reverse, zset_member_fn *fn, void *privdata);

/* For the geo commands (t_geo.c), whose indexes are sorted sets scored by 52-bit geohashes. */
/* The score of a member: 1 if it is in the set. */
int zset_member_score(const kobj *o, const char *m, size_t mlen, double *score);
/* Calls fn, in ascending order, for the members with min <= score < max (and, when accept is
 * not NULL, for which accept(privdata, score) returns 1: it is called just before fn for the
 * same element, so it may leave work for fn in privdata), until fn returns 0. The member bytes
 * are valid only during the call; fn must not modify o. */
typedef int zset_scored_fn(void *privdata, const char *member, size_t len, double score);
typedef int zset_score_filter_fn(void *privdata, double score);
void zset_for_score_range(const kobj *o, double min, double max, zset_score_filter_fn *accept, zset_scored_fn *fn,
                          void *privdata);
/* A new, empty sorted set under key, encoded for `hint` members as Redis encodes a set it
 * builds whole (a skiplist past zset-max-listpack-entries, or when that is 0; hint 0 when the
 * size is unknown); zset_put adds a member or gives it a new score. */
kobj *zset_create(const char *key, size_t klen, size_t hint);
void zset_put(kobj *o, const char *m, size_t mlen, double score);

/* Persistence (src/persist/): sets built member by member from zset_create(key, klen, 0), and
 * a walk with scores. */
/* Adds a member that must be absent; returns 0 (and changes nothing) if it is present. */
int zset_load_member(kobj *o, const char *m, size_t mlen, double score);
/* Calls fn for every member in ascending (score, member) order, or descending with
 * `descending` (the order Redis writes a skiplist in an RDB file), until fn returns 0; fn must
 * not modify o. */
void zset_for_each_scored(const kobj *o, int descending, zset_scored_fn *fn, void *privdata);

/* Active defragmentation of an ENC_SKIPLIST set (keyspace/defrag.c), in batches: with from 0
 * first the set's struct and its member table's own blocks, then the members of ranks
 * [from, from + count) with their tree nodes (zbtDefrag). Returns the rank to continue from;
 * the walk is complete when it is >= zset_length(o). Keeps no pointer between calls. */
size_t zset_defrag_big(kobj *o, size_t from, size_t count, void *(*move)(void *block));

/* types.c dispatch */
void zset_free_payload(kobj *o);
void *zset_dup_payload(const kobj *o);
size_t zset_payload_memory(const kobj *o);

#endif
