/* wstream.h - the write stream: every change to the data set, as redis-server 7.0.15
 * propagates it to its AOF and its replicas, handed to the readers attached to it.
 *
 * Model (Redis's call()/alsoPropagate): each command call that changed data (server.dirty grew)
 * adds its effect to the pending operations of the execution unit: its own arguments, or what
 * its procedure replaced them with (wstream_rewrite), after whatever it added on the way
 * (wstream_append: SPOP's batches of SREM, the DEL of a key that expired under it). Commands
 * whose row propagates nothing (PROPAGATE_NEVER: reads, EXEC, scripts) add nothing themselves;
 * the commands they run do. When the outermost call ends (or at once outside any call: active
 * expiry, eviction) the unit's operations go to every reader, wrapped in MULTI/EXEC when there
 * are several. PUBLISH and SPUBLISH reach replicas only (not readers with aof set), even though
 * they change no data, as in Redis.
 *
 * Invariants: a reader gets whole commands only; a command of database n is preceded by
 * "SELECT n" whenever the reader's db differs (MULTI takes the first operation's database,
 * EXEC none); nothing is handed out while loading (wstream_pause). */
#ifndef KEEL_WSTREAM_H
#define KEEL_WSTREAM_H

#include <stddef.h>

#include "server.h"

/* A reader of the write stream (the AOF, the replication backlog). The stream hands each reader
 * whole RESP commands, in order; before a command of a database other than reader->db it first
 * hands "SELECT <db>" and sets reader->db. A reader attached with db = -1 gets SELECT first. */
typedef struct wstream_reader {
    void (*write)(struct wstream_reader *reader, const char *buf, size_t len);
    int db;
    struct wstream_reader *next;   /* owned by the stream */
    int aof;                       /* 1: the AOF, which does not get what goes to replicas only */
} wstream_reader;
void wstream_attach(wstream_reader *reader);
void wstream_detach(wstream_reader *reader);
/* Appends one command to the stream as if a command of database dbid had propagated it
 * (replication uses it for its PINGs only when no transaction is open; keep it total). */
void wstream_append(int dbid, int argc, const karg *argv);

/* Inside a command procedure: what the running call propagates instead of its own arguments
 * if it changed data (argc 0: nothing, when it appended its effect itself). Each call's
 * replacement is its own: a nested call's does not apply to its caller. */
void wstream_rewrite(int argc, const karg *argv);
/* A string literal as an argument of a rewrite: WSTREAM_ARG("PEXPIREAT"). */
#define WSTREAM_ARG(lit) ((karg){.ptr = (char *)(lit), .len = sizeof(lit) - 1})
/* The running call propagates as "<name> <key>" (DEL, UNLINK, PERSIST...), or as "<name>
 * <key> <ms>" with an absolute time (PEXPIREAT). */
void wstream_rewrite_key(const char *name, const karg *key);
void wstream_rewrite_key_ms(const char *name, const karg *key, long long ms);

/* Expiry (lazy or active) or eviction removed key from database dbid: Redis's DEL, or UNLINK
 * when lazy (lazyfree-lazy-expire / lazyfree-lazy-eviction). */
void wstream_key_removed(int dbid, const char *key, size_t len, int lazy);

/* Where the operations added from now on go (a script's redis.set_repl): a mask of
 * WSTREAM_TO_AOF and WSTREAM_TO_REPLICAS; WSTREAM_TO_NONE drops them. The MULTI/EXEC around
 * an execution unit of several operations still goes to every reader, as in Redis. The script
 * engine puts it back to WSTREAM_TO_ALL when the script ends. */
#define WSTREAM_TO_NONE 0
#define WSTREAM_TO_AOF 1
#define WSTREAM_TO_REPLICAS 2
#define WSTREAM_TO_ALL 3
void wstream_set_targets(int targets);

/* Inside a command procedure: the running call propagates even if server.dirty did not grow
 * over it (FLUSHALL, whose save with save points resets server.dirty: Redis's
 * forceCommandPropagation). */
void wstream_force(void);

/* While paused (loading a file), calls propagate nothing. */
void wstream_pause(int paused);

/* Start-up: installs the hook dispatch calls after each command (dispatch_propagate). */
void wstream_init(void);

#endif
