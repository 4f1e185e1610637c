/* tracking.h - server-assisted client-side caching: CLIENT TRACKING, CACHING, GETREDIR,
 * TRACKINGINFO and the invalidation messages.
 *
 * Default mode: the keys a tracking client reads (read-only commands; in OPTIN mode only after
 * CLIENT CACHING yes, in OPTOUT mode unless CLIENT CACHING no) are remembered in one global
 * table, key -> ids of the clients that may have cached it, as in Redis (not per database). The
 * first write to such a key sends each of those clients one invalidation and forgets the key.
 * BCAST mode: the client registers prefixes ("" = every key); every write to a matching key is
 * announced, batched per prefix, after the command that made it. FLUSHDB/FLUSHALL send every
 * tracking client a null invalidation.
 *
 * Messages: RESP3 "> invalidate <keys>" pushes, or, with REDIRECT to a RESP2 client in
 * subscriber mode, "message __redis__:invalidate <keys>". Invalidations for the client whose
 * command caused them are sent after that command's reply, as Redis 7.0 does.
 *
 * Invariants: c->tstate, once allocated, lives as long as the client and is indexed by id in
 * the tracking-clients table; a client is listed in a BCAST prefix iff it is on in BCAST mode
 * with that prefix. */
#ifndef KEEL_TRACKING_H
#define KEEL_TRACKING_H

#include <stddef.h>

#include "server.h"

/* signal_modified_key hook: c (may be NULL) wrote key. */
void tracking_invalidate_key(client *c, const char *key, size_t len);

/* Before a database is emptied (keyspace hook db_will_empty): every tracking client gets a
 * null invalidation after the command. */
void tracking_on_flush(void);

/* call_command hook, after cmd ran for c: remembers the keys a read-only command read; after
 * the outermost command, sends what was held back (outer = 1). */
void tracking_after_call(client *c, const command *cmd, int outer);

/* Before each command and in the cron: keeps the default-mode table within
 * tracking-table-max-keys, as Redis does: random keys are invalidated (their clients told)
 * and forgotten, at most 100 per call, 100 more each time the table stayed over the limit. */
void tracking_limit_keys(void);

/* Event loop, before sleeping: sends what no command's end sent: the BCAST invalidations of
 * keys changed outside any command (active expiry, eviction), and those held back for a
 * blocked client served after the command that unblocked it (its reply comes first). */
void tracking_before_sleep(void);

/* What c's tracking state costs it (client eviction): the state and its BCAST prefixes,
 * estimated from their count (as Redis, without walking them). */
size_t tracking_client_memory(const client *c);

/* RESET and client_free: tracking off, state freed. */
void tracking_client_reset(client *c);

/* CLIENT LIST: appends the flag letters 't', 'R' (broken redirect), 'B' (BCAST) that apply to
 * c at p and returns the new end; *redir is the redirect id, 0 without one, -1 when off. */
char *tracking_client_flags(const client *c, char *p, long long *redir);

/* INFO: tracking_clients, tracking_total_keys, tracking_total_items, tracking_total_prefixes. */
void tracking_info(long long *clients, long long *keys, long long *items, long long *prefixes);

/* Command procedures implemented here (rows in commands/command_table.c). */
command_proc client_tracking_command, client_caching_command;

#endif
