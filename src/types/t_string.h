/* t_string.h - helpers shared by the string command files: t_string.c (GET, SET, INCR, APPEND,
 * LCS, ...) and t_bitops.c (SETBIT, BITCOUNT, BITOP, BITFIELD, ...).
 *
 * Every helper that can fail has already sent the error reply when it returns 0 / NULL, so a
 * command simply returns. Helpers that may move an entry (making it raw) swap it in the
 * keyspace themselves and return the new pointer. */
#ifndef KEEL_T_STRING_H
#define KEEL_T_STRING_H

#include "server.h"


/* Looks argv[i] up in the client's db (for writing: no hit/miss stats). Stores the entry, or
 * NULL if the key is missing, in *out and returns 1; if the key holds another type, replies
 * WRONGTYPE and returns 0. */
int string_lookup(client *c, int i, int for_write, kobj **out);

/* 1 if a string of size + append bytes is within proto-max-bulk-len; otherwise replies Redis's
 * "string exceeds maximum allowed size" error and returns 0. */
int string_size_ok(client *c, long long size, long long append);

/* Turns the string entry o of db into ENC_RAW so its kstr can be edited in place (Redis's
 * dbUnshareStringValue); returns the (possibly moved) entry, already swapped in. */
kobj *string_make_raw(kdb *db, kobj *o);

/* Resolves an inclusive [start, end] range over len units as GETRANGE, BITCOUNT and BITPOS do:
 * negative indexes count from the end, then both are clamped into [0, len-1]. Returns 0 if the
 * range is empty. */
int string_range(long long *start, long long *end, long long len);

/* Before overwriting the key argv[i] without looking it up: if it has expired, deletes it as
 * Redis's lookupKeyWrite would (counted in expired_keys, "expired" event), so that the new value
 * never inherits a stale TTL (KEEPTTL). O(1) when no key of the db has a TTL. */
void string_reclaim_expired(client *c, int i);

/* After a write to the key argv[i]: signal_modified_key and the keyspace event `event` of
 * class `type` (NOTIFY_STRING, NOTIFY_GENERIC). */
void string_key_changed(client *c, int i, int type, const char *event);

#endif
