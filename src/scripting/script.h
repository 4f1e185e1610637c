/* script.h - Lua scripting (EVAL and friends): the engine behind src/commands/cmd_script.c.
 *
 * One Lua 5.1 state (Debian's liblua5.1, linked) holds every cached script as a function named
 * by the SHA-1 of its body. A script runs atomically: redis.call() executes commands through
 * one fake client and turns its RESP reply back into Lua values (lua_convert.c). SCRIPT FLUSH
 * closes the state and opens a fresh one, which frees every script at once.
 *
 * Invariants: at most one script runs at a time (script_running()); outside a run the fake
 * client has no queued output; every script in the cache compiled successfully. */
#ifndef KEEL_SCRIPT_H
#define KEEL_SCRIPT_H

#include <stddef.h>

#include "server.h"

/* Shebang flags ("#!lua flags=..."); SCRIPT_FLAG_COMPAT marks a script without a shebang. */
#define SCRIPT_FLAG_NO_WRITES (1 << 0)
#define SCRIPT_FLAG_ALLOW_OOM (1 << 1)
#define SCRIPT_FLAG_ALLOW_STALE (1 << 2)
#define SCRIPT_FLAG_NO_CLUSTER (1 << 3)
#define SCRIPT_FLAG_ALLOW_CROSS_SLOT (1 << 4)
#define SCRIPT_FLAG_COMPAT (1 << 5)

void scripting_init(void);
void scripting_reset(void);          /* SCRIPT FLUSH: drops every cached script */

/* Compiles and caches body (if not cached yet), writing its SHA-1 to sha. On failure replies
 * Redis's error to c and returns -1. */
int script_load(client *c, const char *body, size_t len, char sha[41]);
int script_exists(const char *sha, size_t len);

/* EVAL/EVALSHA: argv[1] is the body (by_sha = 0) or the SHA-1, argv[2] numkeys. readonly for
 * the *_RO variants. Replies to c. */
void script_eval(client *c, int by_sha, int readonly);

int script_running(void);

/* For INFO (number_of_cached_scripts, used_memory_lua): not wired into cmd_info.c yet. */
long long scripting_cached_count(void);
size_t scripting_memory(void);



/* SCRIPT KILL: replies NOTBUSY, UNKILLABLE or OK (the script then fails at its next hook). */
void script_kill(client *c);

#endif
