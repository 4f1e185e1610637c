/* multi.h - transactions: MULTI/EXEC/DISCARD and optimistic locking with WATCH.
 *
 * While a client has CLIENT_MULTI, dispatch queues every command except the few that act on the
 * transaction itself (multi_runs_immediately) with a copy of its arguments; EXEC runs the queue
 * as one outer command. A command rejected while queueing (unknown, arity, no_multi, ...) makes
 * the transaction fail with EXECABORT.
 *
 * WATCH: each watched (db, key) is an entry of a per-database table listing the clients that
 * watch it. A write to the key (signal_modified_key), FLUSHDB/FLUSHALL and SWAPDB (when the key
 * exists on either side) mark those clients' transactions as failed (EXEC replies a null
 * array). As in Redis 7.0, a watched key that expires counts as modified, unless it had already
 * expired when WATCH ran.
 *
 * Invariants: c->mstate is NULL when the client is neither in MULTI nor watching a key; a
 * watched-key entry exists iff at least one client watches that key. */
#ifndef KEEL_MULTI_H
#define KEEL_MULTI_H

#include <stddef.h>
#include <stdint.h>

#include "server.h"

/* 1 for the commands that run at once even inside MULTI (their rows have CMD_MULTI_RUNS_NOW). */
int multi_runs_immediately(const command *cmd);

/* Queues the current command (c->argv, c->argc) of a client in MULTI and replies +QUEUED. */
void multi_queue_command(client *c, const command *cmd);

/* EXEC itself was rejected (arity, ...): ends any transaction and replies
 * "-EXECABORT Transaction discarded because of: <msg>" (msg may start with "-CODE "). */
void multi_exec_abort(client *c, const char *msg);

/* A command was rejected while c was in MULTI: EXEC will fail with EXECABORT. */
void multi_flag_error(client *c);

/* Discards the transaction and every WATCH of c without replying (RESET, client_free). */
void multi_reset(client *c);

/* signal_modified_key hook: key in db was written. */
void multi_touch_key(kdb *db, const char *key, size_t len);

/* FLUSHDB/FLUSHALL (replaced_with NULL) and SWAPDB: called before emptied's contents go away or
 * are replaced by replaced_with's. */
void multi_touch_db(kdb *emptied, kdb *replaced_with);

/* The OOM check's rule (Redis 7.0): when over maxmemory, refuse cmd if it is denyoom, or if c
 * is queueing in MULTI (anything but the CMD_MULTI_LEAVES commands), or if it is the EXEC
 * (CMD_EXECS_QUEUED) of a transaction holding a denyoom command. */
int multi_refused_when_oom(const client *c, const command *cmd);

/* CLIENT LIST: 1 if a WATCHed key of c changed (flag 'd'). */
int multi_watch_dirty(const client *c);

/* CLIENT LIST's multi= field: queued commands, or -1 outside MULTI. */
long long multi_queued_count(const client *c);
/* What c's transaction state costs (client eviction, CLIENT LIST tot-mem): the queue and its
 * copies, the client's WATCH nodes (not the shared watched-key entries, as Redis); *arg_bytes
 * (may be NULL): CLIENT LIST's multi-mem, the queued arguments' lengths plus a pointer each
 * (Redis's argv_len_sums). */
size_t multi_client_memory(const client *c, size_t *arg_bytes);

/* The i-th command c has queued: 1 and its row and arguments, or 0 past the end (cluster
 * redirections check the keys of a whole transaction at EXEC). */
int multi_queued_command(const client *c, size_t i, const command **cmd, int *argc, const karg **argv);

/* The union of the flags of the commands c has queued (0 outside MULTI). */
uint64_t multi_queued_flags(const client *c);

/* Redis checks EXEC with its transaction's flags at EXEC time (a write refused by
 * min-replicas-to-write, a stale replica): flag if cmd has it, or cmd is EXEC and a queued
 * command has it; else 0. */
uint64_t multi_exec_flags(const client *c, const command *cmd, uint64_t flag);
/* 1 if cmd lacks flag, or cmd is EXEC and some queued command lacks it. */
int multi_exec_lacks(const client *c, const command *cmd, uint64_t flag);

/* Command procedures implemented here (rows in commands/command_table.c). */
command_proc multi_command, exec_command, discard_command, watch_command, unwatch_command;

#endif
