/* lua_engine.c - the Lua state, the sandbox, the redis.* API and running scripts.
 *
 * Sandbox (Redis 7.0 makes _G and the library tables read-only with a patched Lua; Debian's
 * stock Lua 5.1 has no such switch, so Keel uses proxies):
 *   - every script function runs with an environment that is an empty proxy table whose
 *     __index is the real globals table and whose __newindex raises "Attempt to modify a
 *     readonly table"; the real globals table's own __index raises "Script attempted to access
 *     nonexistent global variable 'x'";
 *   - the library tables (redis, string, math, table, cjson, bit, struct, cmsgpack) are
 *     replaced in the globals by the same kind of read-only proxy; rawset() and setmetatable()
 *     refuse proxies; chunks from loadstring()/load() get the proxy environment too;
 *   - KEYS and ARGV are set in the real globals table by C before each run.
 * Divergence: pairs() over a library proxy sees nothing.
 *
 * Errors: a script error is a table {err=..., source=..., line=...}; the message handler
 * (error_handler) turns string errors into such tables and records where the error happened
 * (the caller of a C function, as Redis reports it). run_script() then replies
 * "-<err> script: <sha>, on <source>:<line>.". The global pcall() hands scripts the err string
 * of such tables, as Redis 7's does.
 *
 * Invariants: the Lua stack is empty between runs; `run` describes the script in progress
 * (run.running, run.caller != NULL) and its busy/killed flags are 0 between runs; the caller
 * stops reading while its script is busy. */
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lua-bitop.h>
#include <lua-cjson.h>

#include "core/acl.h"
#include "commands/commands.h"
#include "cluster/cluster_cmd.h"
#include "core/monitor.h"
#include "keyspace/db.h"
#include "persist/wstream.h"
#include "protocol/reply.h"
#include "repl/repl.h"
#include "scripting/lua_internal.h"
#include "scripting/script.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/crc16.h"
#include "util/sha1.h"
#include "util/util.h"

#define REG_SCRIPTS "keel_scripts"       /* registry: sha -> compiled function */
#define REG_FLAGS "keel_script_flags"    /* registry: sha -> shebang flags */
#define REG_PROXIES "keel_proxies"       /* registry: weak set of read-only proxies */
#define REG_ENV "keel_env"               /* registry: the scripts' environment proxy */
#define REG_HANDLER "keel_err_handler"   /* registry: error_handler, made once */
#define GC_PERIOD 50                     /* runs between incremental GC steps, as Redis */

static lua_State *lua;                   /* EVAL's scripts (SCRIPT FLUSH replaces it) */
static client *lua_client;               /* the fake client redis.call() runs commands on */
static long long cached_scripts;         /* entries of REG_SCRIPTS */

/* The run in progress (valid while running != 0). */
static struct {
    int running;
    int function;            /* an FCALL (else an EVAL): FUNCTION KILL vs SCRIPT KILL */
    const char *name;        /* the function's name (FUNCTION STATS) */
    client *caller;
    int flags;               /* SCRIPT_FLAG_* of the running script */
    int readonly;            /* *_RO command or no-writes flag: writes are refused */
    int wrote;
    long long start_ms;
    int oom;                 /* over maxmemory when the script started */
    int busy;                /* past busy-reply-threshold: other clients get -BUSY */
    int killed;              /* SCRIPT KILL asked: the hook raises until the script ends */
    int slot;                /* cluster mode: the slot of the keys declared or used, -1 none yet */
} run;

#define HOOK_INSTRUCTIONS 100000   /* the count hook's period: cheap, yet ~ms granularity */
#define ERR_BUSY "-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."
#define ERR_BUSY_FUNCTION "-BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE."
#define ERR_KILLED "-ERR Script killed by user with SCRIPT KILL..."

/* ---------------------------------------------------------------- state and sandbox */

static void *lua_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
    (void)ud;
    (void)osize;
    if (nsize == 0) {
        kfree(ptr);
        return NULL;
    }
    return krealloc(ptr, nsize);
}

static int readonly_newindex(lua_State *L) {
    return luaL_error(L, "Attempt to modify a readonly table");
}

int script_missing_global(lua_State *L) {
    return luaL_error(L, "Script attempted to access nonexistent global variable '%s'", lua_tostring(L, 2));
}

/* Records the table on top of the stack as read-only (is_proxy, rawset and setmetatable). */
static void register_proxy(lua_State *L) {
    lua_getfield(L, LUA_REGISTRYINDEX, REG_PROXIES);
    lua_pushvalue(L, -2);
    lua_pushboolean(L, 1);
    lua_rawset(L, -3);
    lua_pop(L, 1);
}

void script_push_readonly_proxy(lua_State *L, int t) {
    lua_newtable(L);
    lua_newtable(L);
    lua_pushvalue(L, t);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, readonly_newindex);
    lua_setfield(L, -2, "__newindex");
    /* What getmetatable() shows: an empty table, read-only too, as Redis's _G has. */
    lua_newtable(L);
    lua_newtable(L);
    lua_pushcfunction(L, readonly_newindex);
    lua_setfield(L, -2, "__newindex");
    lua_setmetatable(L, -2);
    register_proxy(L);
    lua_setfield(L, -2, "__metatable");
    lua_setmetatable(L, -2);
    register_proxy(L);
}

/* 1 if the value at idx is one of the read-only proxies. */
static int is_proxy(lua_State *L, int idx) {
    if (!lua_istable(L, idx)) return 0;
    lua_getfield(L, LUA_REGISTRYINDEX, REG_PROXIES);
    lua_pushvalue(L, idx);
    lua_rawget(L, -2);
    int yes = lua_toboolean(L, -1);
    lua_pop(L, 2);
    return yes;
}

static int readonly_error(lua_State *L) {
    lua_pushstring(L, "Attempt to modify a readonly table");
    return lua_error(L);
}

/* rawset() and setmetatable() refuse the proxies (Redis: the tables themselves are read-only;
 * the error has no position, as it comes from a C function there too). */
static int safe_rawset(lua_State *L) {
    luaL_checktype(L, 1, LUA_TTABLE);
    luaL_checkany(L, 2);
    luaL_checkany(L, 3);
    if (is_proxy(L, 1)) return readonly_error(L);
    lua_settop(L, 3);
    lua_rawset(L, 1);
    return 1;
}

static int safe_setmetatable(lua_State *L) {
    if (is_proxy(L, 1)) return readonly_error(L);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
    return lua_gettop(L);
}

/* loadstring()/load(): chunks run in the scripts' environment, not the real globals. Binary
 * (precompiled) chunks are refused, as Redis refuses them: the call returns nil and a message. */
static int sandboxed_load(lua_State *L) {
    size_t len;
    const char *src = lua_type(L, 1) == LUA_TSTRING ? lua_tolstring(L, 1, &len) : NULL;
    if (src && len > 0 && src[0] == LUA_SIGNATURE[0]) {
        lua_pushnil(L);
        lua_pushstring(L, "binary chunks are not allowed");
        return 2;
    }
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
    if (lua_isfunction(L, 1)) {
        lua_getfield(L, LUA_REGISTRYINDEX, REG_ENV);
        lua_setfenv(L, 1);
    }
    return lua_gettop(L);
}

/* pcall() that gives the message string of Redis error tables ({err=...}), as Redis 7 does, so
 * `local ok, e = pcall(redis.call, ...)` sees "ERR ..." rather than a table. */
static int redis_style_pcall(lua_State *L) {
    luaL_checkany(L, 1);
    int status = lua_pcall(L, lua_gettop(L) - 1, LUA_MULTRET, 0);
    if (status != 0 && lua_istable(L, -1)) {
        lua_getfield(L, -1, "err");
        if (lua_isstring(L, -1)) lua_replace(L, -2);
        else lua_pop(L, 1);
    }
    lua_pushboolean(L, status == 0);
    lua_insert(L, 1);
    return lua_gettop(L);
}

/* Replaces the global `name` by closure fn with the original as its upvalue. */
static void wrap_global(lua_State *L, const char *name, lua_CFunction fn) {
    lua_getglobal(L, name);
    lua_pushcclosure(L, fn, 1);
    lua_setglobal(L, name);
}

static void open_lib(lua_State *L, const char *name, lua_CFunction open) {
    lua_pushcfunction(L, open);
    lua_pushstring(L, name);
    lua_call(L, 1, 0);
}

/* bit.tohex(x, n) negates n inside lua-bitop, which overflows for n = -2^31 (CVE-2024-31449):
 * that count becomes -2^31 + 1 (the same digits, uppercase) before the library's tohex, the
 * closure's upvalue, runs. n is read as lua-bitop reads it: the low 32 bits of the rounded
 * number. */
static int safe_tohex(lua_State *L) {
    if (lua_gettop(L) >= 2) {
        double d = luaL_checknumber(L, 2) + 6755399441055744.0;   /* 2^52 + 2^51 */
        uint64_t bits;
        memcpy(&bits, &d, sizeof(bits));
        if ((int32_t)(uint32_t)bits == INT32_MIN) {
            lua_pushnumber(L, (lua_Number)INT32_MIN + 1);
            lua_replace(L, 2);
        }
    }
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, 1);
    return 1;
}

/* Opens the libraries scripts may use and removes what they may not. */
static void open_libs(lua_State *L) {
    open_lib(L, "", luaopen_base);
    open_lib(L, LUA_TABLIBNAME, luaopen_table);
    open_lib(L, LUA_STRLIBNAME, luaopen_string);
    open_lib(L, LUA_MATHLIBNAME, luaopen_math);
    /* The extra libraries Redis gives scripts, each as the global its opener returns. */
    static const struct { const char *global; lua_CFunction open; } extras[] = {
        {"cjson", luaopen_cjson}, {"bit", luaopen_bit},
        {"struct", luaopen_keel_struct}, {"cmsgpack", luaopen_keel_cmsgpack},
    };
    for (size_t i = 0; i < sizeof(extras) / sizeof(extras[0]); i++) {
        lua_pushcfunction(L, extras[i].open);
        lua_call(L, 0, 1);
        lua_setglobal(L, extras[i].global);
    }
    lua_getglobal(L, "bit");
    lua_getfield(L, -1, "tohex");
    lua_pushcclosure(L, safe_tohex, 1);
    lua_setfield(L, -2, "tohex");
    lua_pop(L, 1);
    static const char *const removed[] = {"dofile", "loadfile", "print", "getfenv", "setfenv", "module",
                                          "require", "package", NULL};
    for (int i = 0; removed[i]; i++) {
        lua_pushnil(L);
        lua_setglobal(L, removed[i]);
    }
    lua_pushcfunction(L, safe_rawset);
    lua_setglobal(L, "rawset");
    lua_pushcfunction(L, redis_style_pcall);
    lua_setglobal(L, "pcall");
    wrap_global(L, "setmetatable", safe_setmetatable);
    wrap_global(L, "loadstring", sandboxed_load);
    wrap_global(L, "load", sandboxed_load);
}

static void register_redis_api(lua_State *L);
static int error_handler(lua_State *L);

/* Replaces the library tables by read-only proxies, then builds the scripts' environment. */
static void protect_globals(lua_State *L) {
    lua_newtable(L);
    lua_newtable(L);
    lua_pushstring(L, "k");
    lua_setfield(L, -2, "__mode");
    lua_setmetatable(L, -2);
    lua_setfield(L, LUA_REGISTRYINDEX, REG_PROXIES);

    static const char *const libs[] = {"redis", "string", "table", "math", "cjson", "bit", "struct",
                                       "cmsgpack", NULL};
    for (int i = 0; libs[i]; i++) {
        lua_getglobal(L, libs[i]);
        script_push_readonly_proxy(L, lua_gettop(L));
        lua_setglobal(L, libs[i]);
        lua_pop(L, 1);
    }
    /* The strings' metatable is shared by every script: getmetatable('') gives a read-only
     * proxy of it (its __metatable field), so no script can change string methods for the
     * others (CVE-2022-24735). The VM itself still reads the real table. */
    lua_pushliteral(L, "");
    lua_getmetatable(L, -1);
    script_push_readonly_proxy(L, lua_gettop(L));
    lua_setfield(L, -2, "__metatable");
    lua_pop(L, 2);
    script_push_readonly_proxy(L, LUA_GLOBALSINDEX);
    lua_pushvalue(L, -1);
    lua_setglobal(L, "_G");
    lua_setfield(L, LUA_REGISTRYINDEX, REG_ENV);
    /* Last: from now on reading a missing global raises. */
    lua_newtable(L);
    lua_pushcfunction(L, script_missing_global);
    lua_setfield(L, -2, "__index");
    lua_setmetatable(L, LUA_GLOBALSINDEX);
}

lua_State *script_new_state(void) {
    lua_State *L = lua_newstate(lua_alloc, NULL);
    open_libs(L);
    register_redis_api(L);
    lua_newtable(L);
    lua_setfield(L, LUA_REGISTRYINDEX, REG_SCRIPTS);
    lua_newtable(L);
    lua_setfield(L, LUA_REGISTRYINDEX, REG_FLAGS);
    lua_pushcfunction(L, error_handler);
    lua_setfield(L, LUA_REGISTRYINDEX, REG_HANDLER);
    protect_globals(L);
    return L;
}

void script_env_index(lua_State *L, int idx) {
    lua_getfield(L, LUA_REGISTRYINDEX, REG_ENV);
    lua_getmetatable(L, -1);
    if (idx) lua_pushvalue(L, idx);
    else lua_pushvalue(L, LUA_GLOBALSINDEX);
    lua_setfield(L, -2, "__index");
    lua_pop(L, 2);
}

void script_set_env(lua_State *L) {
    lua_getfield(L, LUA_REGISTRYINDEX, REG_ENV);
    lua_setfenv(L, -2);
}

static const char *busy_error(client *c, const command *cmd);
static uint64_t script_call_flags(const command *cmd, int argc, const karg *argv);

void scripting_init(void) {
    dispatch_busy_error = busy_error;
    dispatch_script_flags = script_call_flags;
    lua = script_new_state();
    lua_client = client_create_fake();
    functions_init();
}

void scripting_reset(void) {
    if (run.running) return;
    lua_close(lua);
    lua = script_new_state();
    cached_scripts = 0;
}

long long scripting_cached_count(void) {
    return cached_scripts;
}

size_t scripting_memory(void) {
    return (size_t)lua_gc(lua, LUA_GCCOUNT, 0) * 1024 + (size_t)lua_gc(lua, LUA_GCCOUNTB, 0);
}

int script_running(void) {
    return run.running;
}

/* ---------------------------------------------------------------- long scripts */

/* dispatch_busy_error: see server.h. While a script is busy only allow-busy commands run
 * (SCRIPT KILL, SHUTDOWN, ...); SHUTDOWN itself refuses to save then (cmd_server.c). */
const char *script_busy_reply(void) {
    return !run.busy ? NULL : run.function ? ERR_BUSY_FUNCTION : ERR_BUSY;
}

static const char *busy_error(client *c, const command *cmd) {
    return cmd->flags & CMD_ALLOW_BUSY ? NULL : script_busy_reply();
}

void script_kill(client *c, int function) {
    if (!run.busy) {
        reply_error(c, "-NOTBUSY No scripts in execution right now.");
    } else if (run.wrote) {
        reply_error(c, "-UNKILLABLE Sorry the script already executed write commands against the dataset. You can "
                       "either wait the script termination or kill the server in a hard way using the SHUTDOWN "
                       "NOSAVE command.");
    } else if (function != run.function) {
        reply_error(c, run.function ? ERR_BUSY_FUNCTION : ERR_BUSY);
    } else {
        run.killed = 1;
        reply_ok(c);
    }
}

/* The count hook: after busy-reply-threshold ms, serve other clients between instructions so
 * SCRIPT KILL and SHUTDOWN NOSAVE can arrive; raise once the script was killed. */
static void busy_hook(lua_State *L, lua_Debug *ar) {
    (void)ar;
    if (!run.killed) {
        long long elapsed = mstime() - run.start_ms;
        if (elapsed < server.busy_reply_threshold) return;
        if (!run.busy) {
            run.busy = 1;
            client_pause_reading(run.caller, 1);
            log_msg(LL_WARNING, "Slow script detected: still in execution after %lld milliseconds. You can try "
                    "killing the script using the SCRIPT KILL command.", elapsed);
        }
        clients_process_while_busy();
        if (server.shutdown_asap && server.shutdown_nosave && server_prepare_shutdown(1) == 0) {
            server_shutdown();
            exit(0);
        }
    }
    if (run.killed) {
        /* Every line from now on fails too, so a pcall() loop can't swallow the kill. */
        lua_sethook(L, busy_hook, LUA_MASKLINE, 0);
        lua_push_error_table(L, ERR_KILLED, strlen(ERR_KILLED), 0);
        lua_error(L);
    }
}

/* ---------------------------------------------------------------- redis.call / redis.pcall */

/* Raises (call) or returns (pcall) the error table for msg. */
static int call_error_counted(lua_State *L, int raise, const char *msg, int counted) {
    lua_push_error_table(L, msg, strlen(msg), counted);
    return raise ? lua_error(L) : 1;
}

static int call_error(lua_State *L, int raise, const char *msg) {
    return call_error_counted(L, raise, msg, 0);
}

/* Counts a refused command in the error stats now, as Redis does (through the fake client,
 * whose output is dropped), and as a rejected call of the command. */
static void count_refusal(const command *cmd, const char *msg) {
    reply_error(lua_client, msg);
    reply_free_all(lua_client);
    command_count_rejection(cmd);
}

/* Turns the arguments on the stack into strings in place (numbers as "%.17g", like Redis) and
 * fills argv. Returns 0 if one of them is neither a string nor a number. */
static int collect_args(lua_State *L, int argc, karg *argv) {
    for (int i = 1; i <= argc; i++) {
        int t = lua_type(L, i);
        if (t == LUA_TNUMBER) {
            char buf[64];
            lua_Number n = lua_tonumber(L, i);
            /* Integral values print the same as "%.17g" would, without printf's cost. */
            if (n > -1e15 && n < 1e15 && n == (lua_Number)(long long)n && !(n == 0 && signbit(n)))
                ll_to_str(buf, sizeof(buf), (long long)n);
            else
                d_to_str(buf, sizeof(buf), n);
            lua_pushstring(L, buf);
            lua_replace(L, i);
        } else if (t != LUA_TSTRING) {
            return 0;
        }
        argv[i - 1].ptr = (char *)lua_tolstring(L, i, &argv[i - 1].len);
    }
    return 1;
}

/* The command for argv, with subcommands resolved; NULL if unknown. */
static const command *lookup_script_command(int argc, karg *argv) {
    const command *cmd = command_lookup(argv[0].ptr, argv[0].len);
    if (cmd && cmd->subcommands && argc > 1) {
        const command *sub = command_lookup_argv(argc, argv);
        cmd = sub && sub != cmd ? sub : NULL;
    }
    return cmd;
}

/* Runs the command on the fake client and pushes its reply as a Lua value. A reply that fits
 * one block (the usual case) is parsed in place; a longer one is joined first. The arguments
 * (strings on the Lua stack that argv points into) are popped once the command ran, as Redis
 * pops them, so a call with nearly Lua's limit of values (unpack of 7999) has room for its
 * reply. */
static void execute_and_push(lua_State *L, const command *cmd, int argc, karg *argv) {
    client *fc = lua_client;
    client_set_args(fc, argc, argv);
    call_command(fc, cmd);
    fc->argc = 0;
    fc->argv = NULL;
    lua_settop(L, 0);
    replyBlock *b = fc->reply_head;
    if (b && !b->next) {
        resp_to_lua(L, b->buf, b->used);
        if (ldb_logging()) ldb_log_reply(b->buf, b->used);
    } else {
        kstr *out = kstr_empty(256);
        for (; b; b = b->next) out = kstr_cat(out, b->buf, b->used);
        resp_to_lua(L, out->buf, out->len);
        if (ldb_logging()) ldb_log_reply(out->buf, out->len);
        kstr_free(out);
    }
    reply_free_all(fc);
}

/* A replica whose link to its primary is down, told not to serve stale data. */
static int running_stale(void) {
    return server.masterhost && !repl_link_up() && !server.repl_serve_stale_data;
}

/* DEBUG SET-DISABLE-DENY-SCRIPTS: scripts may call no-script commands (the suite's tests of
 * DEBUG PROTOCOL from Lua). */
static int disable_deny_scripts;

void script_set_disable_deny(int on) {
    disable_deny_scripts = on != 0;
}

/* redis.call's checks, in Redis's order. Returns the refusal message or NULL. */
static const char *check_script_command(const command *cmd, int argc, const karg *argv) {
    if (!cmd) return "Unknown Redis command called from script";
    if (!command_arity_ok(cmd, argc)) return "Wrong number of args calling Redis command from script";
    if ((cmd->flags & CMD_NOSCRIPT) && !disable_deny_scripts) return "This Redis command is not allowed from script";
    /* A replica whose link is down, with replica-serve-stale-data no: only stale-ok commands. */
    if (running_stale() && !(cmd->flags & CMD_STALE)) return "Can not execute the command on a stale replica";
    /* core/acl.c: the caller's permissions (a denial is logged with context "lua"). */
    const char *denied = acl_check_script(run.caller, cmd, argc, argv);
    if (denied) return denied;
    /* May-replicate commands (PUBLISH, PFCOUNT) count as writes, so read-only scripts can run
     * during CLIENT PAUSE WRITE. */
    if ((cmd->flags & (CMD_WRITE | CMD_MAY_REPLICATE)) && run.readonly)
        return "Write commands are not allowed from read-only scripts.";
    /* As Redis's scriptVerifyWriteCommandAllow: until the script wrote, a write is refused on a
     * read-only replica, after a failed save, and with too few good replicas (a script without
     * shebang; one with a shebang that may write was refused at dispatch). */
    if ((cmd->flags & CMD_WRITE) && !run.wrote) {
        if (server.masterhost && server.repl_slave_ro && run.caller && !(run.caller->flags & CLIENT_MASTER) &&
            !(server.loading && (run.caller->flags & CLIENT_FAKE)))
            return "-READONLY You can't write against a read only replica.";
        const char *write_error = dispatch_write_error ? dispatch_write_error() : NULL;
        if (write_error) return write_error;
        const char *repl_error = repl_min_replicas_error(lua_client, cmd);
        if (repl_error) return repl_error;
    }
    /* Over maxmemory, only the first write may be refused: later ones would break atomicity. */
    if ((cmd->flags & CMD_DENYOOM) && run.oom && !run.wrote && !(run.flags & SCRIPT_FLAG_ALLOW_OOM))
        return ERR_OOM;
    /* A script's first write, as Redis's scriptVerifyWriteCommandAllow: not on a read-only
     * replica (unless the script came from the primary or the AOF), and only with enough good
     * replicas (scripts with flags were checked up front, script_check_flags). */
    if ((cmd->flags & CMD_WRITE) && !run.wrote) {
        int obey = run.caller && (run.caller->flags & (CLIENT_MASTER | CLIENT_FAKE));
        if (server.masterhost && server.repl_slave_ro && !obey)
            return "-READONLY You can't write against a read only replica.";
        if (!repl_good_replicas_ok()) return REPL_NOREPLICAS_ERR;
    }
    return NULL;
}

static int redis_call_common(lua_State *L, int raise) {
    int argc = lua_gettop(L);
    if (argc == 0) return call_error(L, raise, "Please specify at least one argument for this redis lib call");
    karg stack_argv[16];
    karg *argv = argc <= 16 ? stack_argv : kmalloc(sizeof(karg) * (size_t)argc);
    const char *err = NULL;
    const command *cmd = NULL;
    int bad_args = !collect_args(L, argc, argv);
    if (!bad_args) {
        if (ldb_logging()) ldb_log_command(argc, argv);
        cmd = lookup_script_command(argc, argv);
        err = check_script_command(cmd, argc, argv);
        /* cluster/: only local keys, of one slot unless the script allows cross-slot keys */
        int cross = (run.flags & (SCRIPT_FLAG_COMPAT | SCRIPT_FLAG_ALLOW_CROSS_SLOT)) != 0;
        if (!err) err = cluster_script_error(run.caller, cmd, argc, argv, cross ? NULL : &run.slot);
        if (!err) {
            if (cmd->flags & CMD_WRITE) run.wrote = 1;
            execute_and_push(L, cmd, argc, argv);
        }
    }
    if (argv != stack_argv) kfree(argv);
    if (bad_args) return call_error(L, raise, "Lua redis lib command arguments must be strings or integers");
    if (err) {
        count_refusal(cmd, err);
        return call_error_counted(L, raise, err, 1);
    }
    /* redis.call raises the command's error reply; redis.pcall returns it. */
    if (raise && lua_istable(L, -1)) {
        lua_getfield(L, -1, "err");
        int is_err = lua_isstring(L, -1);
        lua_pop(L, 1);
        if (is_err) return lua_error(L);
    }
    return 1;
}

/* redis.acl_check_cmd(cmd, args...): whether the script's caller may run that command with
 * those arguments (true/false, nothing logged); unknown commands raise. */
static int redis_acl_check_cmd(lua_State *L) {
    if (!run.running) return call_error(L, 1, "redis.acl_check_cmd can only be called inside a script invocation");
    int argc = lua_gettop(L);
    if (argc == 0) return call_error(L, 1, "Please specify at least one argument for this redis lib call");
    karg stack_argv[16];
    karg *argv = argc <= 16 ? stack_argv : kmalloc(sizeof(karg) * (size_t)argc);
    int bad_args = !collect_args(L, argc, argv), allowed = 0;
    const command *cmd = bad_args ? NULL : lookup_script_command(argc, argv);
    if (cmd) {
        int pos;
        allowed = acl_check(run.caller ? run.caller->user : NULL, cmd, argc, argv, &pos) == ACL_OK;
    }
    if (argv != stack_argv) kfree(argv);
    if (bad_args) return call_error(L, 1, "Lua redis lib command arguments must be strings or integers");
    if (!cmd) return call_error(L, 1, "Invalid command passed to redis.acl_check_cmd()");
    lua_pushboolean(L, allowed);
    return 1;
}

static int redis_call(lua_State *L) { return redis_call_common(L, 1); }
static int redis_pcall(lua_State *L) { return redis_call_common(L, 0); }

/* ---------------------------------------------------------------- the rest of redis.* */

/* redis.error_reply / redis.status_reply: wrong arguments give an error table, not a raise. */
static int redis_error_reply(lua_State *L) {
    if (lua_gettop(L) != 1 || lua_type(L, 1) != LUA_TSTRING)
        return call_error(L, 0, "wrong number or type of arguments");
    size_t len;
    const char *s = lua_tolstring(L, 1, &len);
    if (len && s[0] == '-') {
        lua_push_error_table(L, s, len, 0);
    } else {
        lua_pushstring(L, "-");
        lua_pushvalue(L, 1);
        lua_concat(L, 2);
        s = lua_tolstring(L, -1, &len);
        lua_push_error_table(L, s, len, 0);
    }
    return 1;
}

static int redis_status_reply(lua_State *L) {
    if (lua_gettop(L) != 1 || lua_type(L, 1) != LUA_TSTRING)
        return call_error(L, 0, "wrong number or type of arguments");
    lua_newtable(L);
    lua_pushvalue(L, 1);
    lua_setfield(L, -2, "ok");
    return 1;
}

static int redis_sha1hex(lua_State *L) {
    if (lua_gettop(L) != 1) return call_error(L, 1, "wrong number of arguments");
    size_t len;
    const char *s = lua_tolstring(L, 1, &len);
    char hex[41];
    sha1_hex(s ? s : "", s ? len : 0, hex);
    lua_pushstring(L, hex);
    return 1;
}

static int redis_log(lua_State *L) {
    int argc = lua_gettop(L);
    if (argc < 2) return call_error(L, 1, "redis.log() requires two arguments or more.");
    if (!lua_isnumber(L, 1)) return call_error(L, 1, "First argument must be a number (log level).");
    int level = lua_number_to_int(lua_tonumber(L, 1));
    if (level < LL_DEBUG || level > LL_WARNING) return call_error(L, 1, "Invalid debug level.");
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (int i = 2; i <= argc; i++) {
        if (i > 2) luaL_addchar(&b, ' ');
        size_t len;
        const char *s = lua_tolstring(L, i, &len);
        if (s) luaL_addlstring(&b, s, len);
    }
    luaL_pushresult(&b);
    log_msg(level, "%s", lua_tostring(L, -1));
    return 0;
}

static int redis_setresp(lua_State *L) {
    if (lua_gettop(L) != 1) return call_error(L, 1, "redis.setresp() requires one argument.");
    int resp = lua_number_to_int(lua_tonumber(L, 1));
    if (resp != 2 && resp != 3) return call_error(L, 1, "RESP version must be 2 or 3.");
    lua_client->resp = resp;
    return 0;
}

#define REPL_NONE 0
#define REPL_AOF 1
#define REPL_REPLICA 2
#define REPL_ALL 3

static int redis_set_repl(lua_State *L) {
    if (lua_gettop(L) != 1) return call_error(L, 1, "redis.set_repl() requires two arguments.");
    int flags = lua_number_to_int(lua_tonumber(L, 1));
    if (flags < REPL_NONE || flags > REPL_ALL)
        return call_error(L, 1, "Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.");
    /* The script's later writes go where asked until it ends (run_pushed puts it back). */
    wstream_set_targets((flags & REPL_AOF ? WSTREAM_TO_AOF : 0) | (flags & REPL_REPLICA ? WSTREAM_TO_REPLICAS : 0));
    return 0;
}

static int redis_replicate_commands(lua_State *L) {
    lua_pushboolean(L, 1);
    return 1;
}

static void set_int_field(lua_State *L, const char *name, int v) {
    lua_pushnumber(L, v);
    lua_setfield(L, -2, name);
}

static void register_redis_api(lua_State *L) {
    static const luaL_Reg fns[] = {
        {"call", redis_call},
        {"pcall", redis_pcall},
        {"error_reply", redis_error_reply},
        {"status_reply", redis_status_reply},
        {"sha1hex", redis_sha1hex},
        {"log", redis_log},
        {"setresp", redis_setresp},
        {"set_repl", redis_set_repl},
        {"acl_check_cmd", redis_acl_check_cmd},
        {"replicate_commands", redis_replicate_commands},
        {"breakpoint", ldb_redis_breakpoint},   /* lua_debugger.c: false / nothing outside a session */
        {"debug", ldb_redis_debug},
        {NULL, NULL},
    };
    lua_newtable(L);
    for (int i = 0; fns[i].name; i++) {
        lua_pushcfunction(L, fns[i].func);
        lua_setfield(L, -2, fns[i].name);
    }
    set_int_field(L, "LOG_DEBUG", LL_DEBUG);
    set_int_field(L, "LOG_VERBOSE", LL_VERBOSE);
    set_int_field(L, "LOG_NOTICE", LL_NOTICE);
    set_int_field(L, "LOG_WARNING", LL_WARNING);
    set_int_field(L, "REPL_NONE", REPL_NONE);
    set_int_field(L, "REPL_AOF", REPL_AOF);
    set_int_field(L, "REPL_SLAVE", REPL_REPLICA);
    set_int_field(L, "REPL_REPLICA", REPL_REPLICA);
    set_int_field(L, "REPL_ALL", REPL_ALL);
    lua_pushstring(L, REDIS_COMPAT_VERSION);
    lua_setfield(L, -2, "REDIS_VERSION");
    int maj = 0, min = 0, pat = 0;
    sscanf(REDIS_COMPAT_VERSION, "%d.%d.%d", &maj, &min, &pat);
    set_int_field(L, "REDIS_VERSION_NUM", (maj << 16) | (min << 8) | pat);
    lua_setglobal(L, "redis");
}

/* ---------------------------------------------------------------- script cache */

const scriptFlagName script_flag_names[] = {
    {"no-writes", SCRIPT_FLAG_NO_WRITES}, {"allow-oom", SCRIPT_FLAG_ALLOW_OOM},
    {"allow-stale", SCRIPT_FLAG_ALLOW_STALE}, {"no-cluster", SCRIPT_FLAG_NO_CLUSTER},
    {"allow-cross-slot-keys", SCRIPT_FLAG_ALLOW_CROSS_SLOT}, {NULL, 0},
};

/* Parses a "#!lua ..." first line into flags. Returns 0, or -1 after replying the error (to c,
 * unless NULL). */
static int parse_shebang(client *c, const char *body, size_t len, int *flags) {
    const char *nl = memchr(body, '\n', len);
    size_t llen = nl ? (size_t)(nl - body) : len;
    kstr *line = kstr_new(body, llen);
    int rc = 0;
    *flags = 0;
    char *save = NULL;
    char *tok = strtok_r(line->buf, " ", &save);
    if (!tok || strcmp(tok, "#!lua") != 0) {
        if (c) reply_errorf(c, "Unexpected engine in script shebang: %s", tok ? tok : line->buf);
        rc = -1;
    }
    while (rc == 0 && (tok = strtok_r(NULL, " ", &save))) {
        if (strncmp(tok, "flags=", 6) != 0) {
            if (c) reply_errorf(c, "Unknown lua shebang option: %s", tok);
            rc = -1;
            break;
        }
        const scriptFlagName *names = script_flag_names;
        char *save2 = NULL;
        for (char *f = strtok_r(tok + 6, ",", &save2); f; f = strtok_r(NULL, ",", &save2)) {
            int i = 0;
            while (names[i].name && strcmp(names[i].name, f) != 0) i++;
            if (!names[i].name) {
                if (c) reply_errorf(c, "Unexpected flag in script shebang: %s", f);
                rc = -1;
                break;
            }
            *flags |= names[i].flag;
        }
    }
    kstr_free(line);
    return rc;
}

/* Pushes registry[reg][sha] (nil if absent). */
static void push_cached(const char *reg, const char *sha) {
    lua_getfield(lua, LUA_REGISTRYINDEX, reg);
    lua_getfield(lua, -1, sha);
    lua_remove(lua, -2);
}

/* SHA-1 names are matched case-insensitively, as Redis does. */
static void sha_lower(const char *sha, char out[41]) {
    for (int i = 0; i < 40; i++) out[i] = (char)((sha[i] >= 'A' && sha[i] <= 'Z') ? sha[i] + 32 : sha[i]);
    out[40] = '\0';
}

int script_exists(const char *sha, size_t len) {
    if (len != 40) return 0;
    char lower[41];
    sha_lower(sha, lower);
    push_cached(REG_SCRIPTS, lower);
    int found = !lua_isnil(lua, -1);
    lua_pop(lua, 1);
    return found;
}

int script_load(client *c, const char *body, size_t len, char sha[41]) {
    sha1_hex(body, len, sha);
    if (script_exists(sha, 40)) return 0;
    int flags = SCRIPT_FLAG_COMPAT;
    kstr *src;
    if (len >= 2 && body[0] == '#' && body[1] == '!') {
        if (parse_shebang(c, body, len, &flags) < 0) return -1;
        /* Keep line numbers: the shebang line becomes a comment. */
        src = kstr_cat(kstr_new("--", 2), body, len);
    } else {
        src = kstr_new(body, len);
    }
    int rc = luaL_loadbuffer(lua, src->buf, src->len, "@user_script");
    kstr_free(src);
    if (rc != 0) {
        reply_errorf(c, "Error compiling script (new function): %s", lua_tostring(lua, -1));
        lua_pop(lua, 1);
        return -1;
    }
    lua_getfield(lua, LUA_REGISTRYINDEX, REG_ENV);
    lua_setfenv(lua, -2);
    lua_getfield(lua, LUA_REGISTRYINDEX, REG_SCRIPTS);
    lua_pushvalue(lua, -2);
    lua_setfield(lua, -2, sha);
    lua_pop(lua, 2);
    lua_getfield(lua, LUA_REGISTRYINDEX, REG_FLAGS);
    lua_pushnumber(lua, flags);
    lua_setfield(lua, -2, sha);
    lua_pop(lua, 1);
    cached_scripts++;
    return 0;
}

/* ---------------------------------------------------------------- running */

/* Message handler: makes every error a table {err=...} and adds where it happened. */
static int error_handler(lua_State *L) {
    lua_Debug ar;
    int have = lua_getstack(L, 1, &ar) && lua_getinfo(L, "nSl", &ar);
    if (have && strcmp(ar.what, "C") == 0) have = lua_getstack(L, 2, &ar) && lua_getinfo(L, "nSl", &ar);
    if (!lua_istable(L, 1)) {
        lua_getglobal(L, "tostring");
        lua_pushvalue(L, 1);
        lua_call(L, 1, 1);
        lua_pushstring(L, "ERR ");
        lua_insert(L, -2);
        lua_concat(L, 2);
        lua_newtable(L);
        lua_insert(L, -2);
        lua_setfield(L, -2, "err");
        lua_replace(L, 1);
    }
    if (have) {
        lua_pushstring(L, ar.source);
        lua_setfield(L, 1, "source");
        lua_pushnumber(L, ar.currentline);
        lua_setfield(L, 1, "line");
    }
    lua_settop(L, 1);
    return 1;
}

/* Replies the error table at the top of the stack as Redis formats a failed script. */
static void reply_script_error(client *c, lua_State *L, const char *name) {
    int t = lua_gettop(L);
    const char *err = NULL, *source = NULL;
    if (lua_istable(L, t)) {
        lua_getfield(L, t, "err");
        lua_getfield(L, t, "source");
        lua_getfield(L, t, "line");
        err = lua_tostring(L, t + 1);
        source = lua_tostring(L, t + 2);
    }
    kstr *msg = kstr_catfmt(kstr_empty(128), "-%s", err ? err : "ERR unknown error");
    if (source && lua_isnumber(L, t + 3))
        msg = kstr_catfmt(msg, " script: %s, on %s:%d.", name, source, lua_number_to_int(lua_tonumber(L, t + 3)));
    if (lua_istable(L, t) && lua_error_table_counted(L, t)) reply_error_uncounted(c, msg->buf);
    else reply_error(c, msg->buf);
    kstr_free(msg);
    lua_settop(L, t - 1);
}

static void push_array(lua_State *L, const karg *a, int n) {
    lua_createtable(L, n, 0);
    for (int i = 0; i < n; i++) {
        lua_pushlstring(L, a[i].ptr, a[i].len);
        lua_rawseti(L, -2, i + 1);
    }
}

/* Sets the real global `name` to an array of the given arguments. */
static void set_global_array(const char *name, const karg *a, int n) {
    push_array(lua, a, n);
    lua_pushstring(lua, name);
    lua_insert(lua, -2);
    lua_rawset(lua, LUA_GLOBALSINDEX);
}

/* Dispatch already tried to evict for this command: what is left over the limit stays. */
static int script_over_maxmemory(void) {
    return server.maxmemory && mem_used() > (size_t)server.maxmemory;
}

/* Runs the function below its nargs arguments on L's stack, above the error handler at
 * `handler`, and replies its result or error (named `name`). The call's nkeys keys start at
 * argv[3] (EVAL and FCALL alike); the first one fixes the slot a cluster node allows. */
static void run_pushed(client *c, lua_State *L, int handler, int nargs, const char *name, int flags, int readonly,
                       int function, int nkeys) {
    static int runs_since_gc;
    run.running = 1;
    run.function = function;
    run.name = name;
    run.caller = c;
    run.flags = flags;
    run.readonly = readonly || (flags & SCRIPT_FLAG_NO_WRITES);
    run.wrote = 0;
    run.busy = run.killed = 0;
    run.oom = script_over_maxmemory();
    run.slot = nkeys > 0 ? key_hash_slot(c->argv[3].ptr, c->argv[3].len) : -1;
    run.start_ms = mstime();
    if (ldb_active()) ldb_install_hook(L);   /* a debugging session: no other client is served */
    else if (server.busy_reply_threshold > 0) lua_sethook(L, busy_hook, LUA_MASKCOUNT, HOOK_INSTRUCTIONS);
    lua_client->db = c->db;
    lua_client->resp = 2;
    wstream_set_targets(WSTREAM_TO_ALL);
    int rc = lua_pcall(L, nargs, 1, handler);
    wstream_set_targets(WSTREAM_TO_ALL);
    lua_sethook(L, NULL, 0, 0);
    if (run.busy) {
        client_pause_reading(c, 0);
        log_msg(LL_WARNING, "Slow script finished in %lld milliseconds", mstime() - run.start_ms);
    }
    run.running = run.busy = run.killed = 0;
    run.caller = NULL;
    if (rc != 0) reply_script_error(c, L, name);
    else lua_to_reply(c, L, lua_client->resp);
    lua_settop(L, handler - 1);
    /* Garbage from scripts should not pile up: an incremental step every GC_PERIOD runs. */
    if (++runs_since_gc >= GC_PERIOD) {
        lua_gc(L, LUA_GCSTEP, GC_PERIOD);
        runs_since_gc = 0;
    }
}

static void run_script(client *c, const char *sha, int flags, int readonly, int nkeys) {
    lua_getfield(lua, LUA_REGISTRYINDEX, REG_HANDLER);
    int handler = lua_gettop(lua);
    push_cached(REG_SCRIPTS, sha);
    set_global_array("KEYS", c->argv + 3, nkeys);
    set_global_array("ARGV", c->argv + 3 + nkeys, c->argc - 3 - nkeys);
    run_pushed(c, lua, handler, 0, sha, flags, readonly, 0, nkeys);
}

void script_run_function(client *c, lua_State *L, int ref, const char *name, int flags, int readonly, int nkeys) {
    lua_getfield(L, LUA_REGISTRYINDEX, REG_HANDLER);
    int handler = lua_gettop(L);
    lua_rawgeti(L, LUA_REGISTRYINDEX, ref);
    push_array(L, c->argv + 3, nkeys);
    push_array(L, c->argv + 3 + nkeys, c->argc - 3 - nkeys);
    run_pushed(c, L, handler, 2, name, flags, readonly, 1, nkeys);
}

int script_run_info(const char **name, client **caller, long long *duration_ms) {
    if (!run.running) return 0;
    *name = run.name;
    *caller = run.caller;
    *duration_ms = mstime() - run.start_ms;
    return run.function ? 1 : -1;
}

int script_check_flags(client *c, int flags, int readonly) {
    /* A stale replica (link down, replica-serve-stale-data no) runs no script without shebang,
     * and only shebang scripts with allow-stale (Redis's scriptPrepareForRun). The AOF's and
     * the primary's scripts are not refused. */
    int stale = running_stale() && !(c->flags & (CLIENT_FAKE | CLIENT_MASTER));
    if (flags & SCRIPT_FLAG_COMPAT) {
        if (stale) {
            reply_error(c, "-MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.");
            return -1;
        }
        return 0;
    }
    /* Redis's order: the cluster flag, staleness, the *_RO check, then memory. */
    if ((flags & SCRIPT_FLAG_NO_CLUSTER) && server.cluster_enabled) {
        reply_error(c, "Can not run script on cluster, 'no-cluster' flag is set.");
        return -1;
    }
    if (stale && !(flags & SCRIPT_FLAG_ALLOW_STALE)) {
        reply_error(c, "-MASTERDOWN Link with MASTER is down, replica-serve-stale-data is set to 'no' and "
                       "'allow-stale' flag is not set on the script.");
        return -1;
    }
    int obey = (c->flags & (CLIENT_MASTER | CLIENT_FAKE)) != 0;
    if (!(flags & SCRIPT_FLAG_NO_WRITES) && server.masterhost && server.repl_slave_ro && !obey) {
        reply_error(c, "-READONLY Can not run script with write flag on readonly replica");
        return -1;
    }
    if (readonly && !(flags & SCRIPT_FLAG_NO_WRITES)) {
        reply_error(c, "Can not execute a script with write flag using *_ro command.");
        return -1;
    }
    if (!(flags & SCRIPT_FLAG_NO_WRITES) && !repl_good_replicas_ok()) {
        reply_error(c, REPL_NOREPLICAS_ERR);
        return -1;
    }
    /* A script that may write, and doesn't allow OOM, is refused up front when over maxmemory. */
    if (!(flags & (SCRIPT_FLAG_ALLOW_OOM | SCRIPT_FLAG_NO_WRITES)) && script_over_maxmemory()) {
        reply_error(c, ERR_OOM);
        return -1;
    }
    return 0;
}

/* Parses numkeys (argv[2]); replies the error and returns -1 when invalid. */
static int parse_numkeys(client *c) {
    long long n;
    if (!str_to_ll(c->argv[2].ptr, c->argv[2].len, &n)) {
        reply_error(c, ERR_NOT_INT);
        return -1;
    }
    if (n > c->argc - 3) {
        reply_error(c, "Number of keys can't be greater than number of args");
        return -1;
    }
    if (n < 0) {
        reply_error(c, "Number of keys can't be negative");
        return -1;
    }
    return (int)n;
}

/* dispatch_script_flags (Redis's evalGetCommandFlags): the shebang flags of the script an
 * EVAL names (cached, or parsed from the body) replace the row's write, may-replicate,
 * denyoom and stale flags; a script without shebang, or unknown, keeps the row's. */
static uint64_t script_call_flags(const command *cmd, int argc, const karg *argv) {
    int by_sha = cmd->proc == evalsha_command || cmd->proc == evalsha_ro_command;
    int flags = SCRIPT_FLAG_COMPAT;
    if ((cmd->proc == fcall_command || cmd->proc == fcall_ro_command) && argc >= 2) {
        /* FCALL: the function's flags, as Redis's fcallGetCommandFlags (unknown: the row's). */
        flags = function_flags_by_name(argv[1].ptr, argv[1].len);
        if (flags < 0) return cmd->flags;
        goto apply;
    }
    if ((!by_sha && cmd->proc != eval_command && cmd->proc != eval_ro_command) || argc < 2) return cmd->flags;
    char sha[41];
    if (by_sha) {
        if (!script_exists(argv[1].ptr, argv[1].len)) return cmd->flags;
        sha_lower(argv[1].ptr, sha);
    } else {
        sha1_hex(argv[1].ptr, argv[1].len, sha);
    }
    if (script_exists(sha, 40)) {
        push_cached(REG_FLAGS, sha);
        flags = lua_number_to_int(lua_tonumber(lua, -1));
        lua_pop(lua, 1);
    } else if (argv[1].len >= 2 && argv[1].ptr[0] == '#' && argv[1].ptr[1] == '!') {
        if (parse_shebang(NULL, argv[1].ptr, argv[1].len, &flags) < 0) return cmd->flags;
    }
apply:
    if (flags & SCRIPT_FLAG_COMPAT) return cmd->flags;
    uint64_t f = cmd->flags & ~(CMD_STALE | CMD_DENYOOM | CMD_WRITE | CMD_MAY_REPLICATE);
    if (!(flags & (SCRIPT_FLAG_ALLOW_OOM | SCRIPT_FLAG_NO_WRITES))) f |= CMD_DENYOOM;
    if (!(flags & SCRIPT_FLAG_NO_WRITES)) f |= CMD_WRITE;
    if (flags & SCRIPT_FLAG_ALLOW_STALE) f |= CMD_STALE;
    return f;
}

void script_eval(client *c, int by_sha, int readonly) {
    monitor_feed(c);   /* before the script's own commands, even when it fails to start */
    int nkeys = parse_numkeys(c);
    if (nkeys < 0) return;
    char sha[41];
    if (by_sha) {
        if (!script_exists(c->argv[1].ptr, c->argv[1].len)) {
            reply_error(c, "-NOSCRIPT No matching script. Please use EVAL.");
            return;
        }
        sha_lower(c->argv[1].ptr, sha);
    } else if (script_load(c, c->argv[1].ptr, c->argv[1].len, sha) < 0) {
        return;
    }
    push_cached(REG_FLAGS, sha);
    int flags = lua_number_to_int(lua_tonumber(lua, -1));
    lua_pop(lua, 1);
    if (script_check_flags(c, flags, readonly) < 0) return;
    run_script(c, sha, flags, readonly, nkeys);
}
