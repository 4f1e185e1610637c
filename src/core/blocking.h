/* blocking.h - clients blocked on keys (BLPOP, BLMOVE, BLMPOP, BZPOPMIN, ...).
 *
 * The model is Redis's: a command that finds nothing to serve calls block_for_keys(); the
 * client stops processing input (CLIENT_BLOCKED) and waits in a FIFO queue per key. A write that
 * may make a key servable calls signal_key_as_ready() (the keyspace's key_ready hook does it
 * for new lists and sorted sets). After the outermost command returns, blocking_serve_ready()
 * visits every ready key and re-executes the command of each client waiting on it, oldest
 * first, in serve mode:
 *
 *   - blocking_ready_key(c) is the key that became ready (NULL when not in serve mode); the
 *     command looks only at that key, as Redis 7.0 serves from the key that was signalled;
 *   - if the command can serve the client it replies as usual and the client is unblocked;
 *   - if it can't (the key holds another type, or is empty again) it calls block_for_keys()
 *     again, which in serve mode only keeps the client blocked where it is (same queue
 *     position, same deadline) and sends nothing.
 *
 * A client leaves the blocked state when served, when its deadline passes (reply: null array),
 * by CLIENT UNBLOCK, or when it is freed. Commands buffered behind the blocking one run after it
 * is unblocked, from before_sleep.
 *
 * Invariants: a client has CLIENT_BLOCKED iff c->bstate != NULL; it is queued exactly once on
 * each distinct key it waits on, in the wait table of the database it blocked in; a key has an
 * entry in the wait table iff its queue is non-empty; a waiting key is in the ready list at most
 * once; a blocked client with a deadline is in the timeout heap exactly once. */
#ifndef KEEL_BLOCKING_H
#define KEEL_BLOCKING_H

#include <stddef.h>

#include "server.h"

/* Parses a timeout in seconds (fractions allowed) into an absolute deadline in unix ms, or 0 for
 * "forever". Replies Redis's error ("timeout is not a float or out of range", "timeout is
 * negative") and returns 0 on failure, 1 on success. */
int blocking_parse_timeout(client *c, const karg *arg, long long *deadline_ms);

/* 1 if c may not block now (inside MULTI/EXEC, a script, or any nested call): the command must
 * reply as if it had timed out instead. */
int blocking_denied(const client *c);

/* Blocks c on keys[0..nkeys) of c->db until deadline_ms (0 = forever). The caller sends no
 * reply. In serve mode: keeps the client blocked as it was. */
void block_for_keys(client *c, const karg *keys, int nkeys, long long deadline_ms);

/* Blocks c on something other than keys (WAIT) until blocking_unblock_other(c), after the
 * caller replied, or until deadline_ms (0 = forever), when on_timeout(c) replies (CLIENT
 * UNBLOCK too). The caller sends no reply now. */
typedef void blocking_reply_fn(client *c);
void block_for_other(client *c, long long deadline_ms, blocking_reply_fn *on_timeout);
void blocking_unblock_other(client *c);

/* Right after block_for_keys(): c is also served when a key it waits on is signalled but no
 * longer exists (XREADGROUP fails then; others wait on for the key to come back). */
void blocking_serve_when_deleted(client *c);

/* In serve mode, the key whose readiness is being served; otherwise NULL. */
const karg *blocking_ready_key(const client *c);

/* A key of db may have become servable. Cheap when nobody waits. */
void signal_key_as_ready(kdb *db, const char *key, size_t len);

/* After SWAPDB: every key clients wait on in db that now exists is signalled. */
void blocking_signal_db(kdb *db);

/* Before FLUSHDB/FLUSHALL/SWAPDB replace db's values: every key clients wait on that holds a
 * stream is signalled (XREADGROUP waiters fail if it is gone when served). */
void blocking_signal_streams(kdb *db);

/* Serves the ready keys (the dispatch hook after the outermost command). */
void blocking_serve_ready(void);

/* Runs the input buffered by clients unblocked since the last call (before_sleep hook). */
void blocking_resume_unblocked(void);

/* CLIENT UNBLOCK: if c is blocked on keys, replies the timeout reply (or, with error, the
 * "-UNBLOCKED client unblocked via CLIENT UNBLOCK" error), unblocks it and returns 1; else 0. */
int blocking_unblock_client(client *c, int error);

/* If c is blocked on keys: sets *key and *len to the first of them, *cmd to the blocked command and
 * returns 1; else (not blocked, or blocked on something else, as WAIT) 0. Cluster mode: the
 * keys of a blocked command share one slot, so the first says where it must be served. */
int blocking_first_key(const client *c, const char **key, size_t *len, const command **cmd);

/* Replies err to c (blocked on keys) and unblocks it; its buffered commands run next. No call
 * statistics change (Redis's clusterRedirectClient + unblockClient: the slot moved away). */
void blocking_unblock_error(client *c, const char *err);

/* Every blocked client (on keys or otherwise, as WAIT) gets err and is closed once it is sent:
 * a primary turning into a replica must not serve its old blocked commands with its new
 * primary's writes (Redis's disconnectAllBlockedClients). */
void blocking_unblock_all(const char *err);

/* client_free hook: forgets c (blocked or waiting to resume). */
void blocking_client_freed(client *c);

/* INFO: clients blocked on keys, and those of them with a deadline. */
long long blocking_clients_count(void);
long long blocking_timeout_clients_count(void);

#endif
