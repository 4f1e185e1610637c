/* lua_internal.h - shared between the scripting engine (lua_engine.c) and its conversions
 * (lua_convert.c). Nothing outside src/scripting/ includes it. */
#ifndef KEEL_LUA_INTERNAL_H
#define KEEL_LUA_INTERNAL_H

#include <lua.h>
#include <stddef.h>

#include "server.h"

/* Pushes the Lua value of the RESP reply at buf[0..len) (the fake client's output for one
 * command): RESP2 and RESP3 types as Redis documents them. Returns the bytes consumed, 0 if the
 * buffer doesn't hold a whole reply (pushes nil then). */
size_t resp_to_lua(lua_State *L, const char *buf, size_t len);

/* Sends the Lua value at the top of the stack to c as a reply (Redis's conversion rules; tables
 * with err/ok/double/map/set/big_number/verbatim_string fields are special). resp is the
 * script's redis.setresp() protocol: booleans are 1/null under 2 and #t/#f under 3. Pops it. */
void lua_to_reply(client *c, lua_State *L, int resp);

/* Pushes the error table {err = "CODE message"} Redis scripts see for an error text that may
 * start with "-CODE " (otherwise the code is ERR). Trailing CR/LF are trimmed. counted: the
 * error was already counted in the error stats (a command's error reply, or a command refused
 * by redis.call's checks); the table then carries ignore_error_stats_update = true, as in
 * Redis, and replying it later doesn't count it again. */
#define ERR_FIELD_COUNTED "ignore_error_stats_update"
void lua_push_error_table(lua_State *L, const char *msg, size_t len, int counted);
int lua_error_table_counted(lua_State *L, int t);   /* t: absolute index of an error table */
/* Sends "-msg" (msg starts with '-') without counting it in the error stats (it was counted
 * when it happened); c's command is charged a failed call. */
void reply_error_uncounted(client *c, const char *msg);

/* C casts of Lua numbers without undefined behaviour: out of range (and NaN) gives the minimum
 * (what x86's conversion instructions give redis-server), else truncation toward zero. */
int lua_number_to_int(lua_Number n);
long long lua_number_to_ll(lua_Number n);

/* ---- What functions.c shares with the engine (lua_engine.c) ---- */
/* A sandboxed state as EVAL's: libraries, the redis API, read-only globals, the scripts'
 * environment proxy. */
lua_State *script_new_state(void);
/* Points the environment proxy's lookups at the table at idx (0: the real globals): FUNCTION
 * LOAD runs library code against the library API, FCALL against the globals. */
void script_env_index(lua_State *L, int idx);
void script_set_env(lua_State *L);                   /* the function on top runs in the proxy */
void script_push_readonly_proxy(lua_State *L, int t);
int script_missing_global(lua_State *L);             /* __index raising the missing-global error */
/* Runs the function registry[ref] with the KEYS and ARGV tables of an FCALL (argv[3..]) as its
 * arguments, replies its result or its error (named name). */
void script_run_function(client *c, lua_State *L, int ref, const char *name, int flags, int readonly, int nkeys);
/* The flags' refusals before a run (OOM, *_RO): replies and returns -1, else 0. */
int script_check_flags(client *c, int flags, int readonly);
/* functions.c: the flags of the loaded function called name, or -1 if there is none. */
int function_flags_by_name(const char *name, size_t len);
/* The run in progress: 1 (a function) or -1 (an EVAL) with its name, caller and duration; 0. */
int script_run_info(const char **name, client **caller, long long *duration_ms);

/* The struct and cmsgpack libraries (lua_struct.c, lua_cmsgpack.c): push the module table. */
int luaopen_keel_struct(lua_State *L);
int luaopen_keel_cmsgpack(lua_State *L);

/* ---- The debugger's hooks in the engine (lua_debugger.c) ---- */
int ldb_active(void);                      /* a debugging session runs the script */
int ldb_logging(void);                     /* ... and is stepping: log redis.call's traffic */
void ldb_install_hook(lua_State *L);       /* the session's line hook, instead of the busy hook */
void ldb_log_command(int argc, const karg *argv);   /* "<redis> cmd args..." */
void ldb_log_reply(const char *buf, size_t len);    /* "<reply> ..." of a RESP reply */
void ldb_log_error(const char *msg, size_t len);    /* "<error> msg" */
int ldb_redis_breakpoint(lua_State *L);    /* redis.breakpoint() */
int ldb_redis_debug(lua_State *L);         /* redis.debug(...) */

#endif
