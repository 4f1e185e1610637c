/* script.h - Lua scripting (EVAL and friends, functions and FCALL): the engine behind
 * src/commands/cmd_script.c and cmd_function.c.
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

/* The Lua debugger (lua_debugger.c). SCRIPT DEBUG SYNC|NO set and clear the client's debug
 * mode; ldb_eval runs an EVAL of a client in that mode as a debugging session (the client is
 * closed after the reply). */
void ldb_enable(client *c, int sync);
void ldb_disable(client *c);
void ldb_eval(client *c, int readonly);
/* DEBUG SET-DISABLE-DENY-SCRIPTS 0|1: let scripts call no-script commands (as Redis's debug knob). */
void script_set_disable_deny(int on);

/* For INFO (number_of_cached_scripts, used_memory_lua). */
long long scripting_cached_count(void);
size_t scripting_memory(void);

/* While a script is busy (past busy-reply-threshold), the -BUSY error; NULL otherwise. */
const char *script_busy_reply(void);


/* SCRIPT KILL (function = 0) and FUNCTION KILL (1): replies NOTBUSY, UNKILLABLE, BUSY (the
 * other kind of script runs) or OK (the script then fails at its next hook). */
void script_kill(client *c, int function);

/* Flag names in Redis's order (shebangs, redis.register_function, FUNCTION LIST). */
typedef struct scriptFlagName {
    const char *name;
    int flag;
} scriptFlagName;
extern const scriptFlagName script_flag_names[];

/* ---- Functions (functions.c): libraries of named Lua functions in their own Lua state,
 * loaded by FUNCTION LOAD/RESTORE and from RDB files (FUNCTION2), called by FCALL. */
void functions_init(void);
void function_load(client *c);       /* FUNCTION LOAD [REPLACE] code */
void function_delete(client *c);     /* FUNCTION DELETE name */
void function_flush(client *c);      /* FUNCTION FLUSH [ASYNC|SYNC] */
void function_list(client *c);       /* FUNCTION LIST [LIBRARYNAME pattern] [WITHCODE] */
void function_stats(client *c);
void function_dump(client *c);
void function_restore(client *c);    /* FUNCTION RESTORE payload [FLUSH|APPEND|REPLACE] */
void fcall(client *c, int readonly); /* FCALL and FCALL_RO */

#endif
