/* functions.c - Redis 7.0's functions: libraries of named Lua functions (FUNCTION LOAD, DELETE,
 * FLUSH, LIST, STATS, DUMP, RESTORE; FCALL, FCALL_RO), kept in RDB files as FUNCTION2 opcodes.
 *
 * A library is its code: "#!lua name=<lib>\n" and Lua that calls redis.register_function for
 * each of its functions. All libraries live in one Lua state of their own (EVAL's SCRIPT FLUSH
 * does not touch them), built as EVAL's (same sandbox, same redis.* API), whose scripts'
 * environment proxy looks names up in the library API ({redis = {register_function, log,
 * LOG_*, REDIS_VERSION*}}) while a library's code runs at load time, and in the globals while a
 * function runs. Functions are kept in the registry (luaL_ref) and called with the KEYS and ARGV
 * tables as arguments.
 *
 * Invariants: function names are unique across `current`'s libraries; every library has >= 1
 * function; `loading` is set only while a library's code runs; a library set that fails to
 * build or join is undone whole (FUNCTION LOAD/RESTORE change nothing on error). */
#include <lauxlib.h>
#include <lua.h>
#include <string.h>
#include <strings.h>

#include "core/monitor.h"
#include "persist/rdb.h"
#include "protocol/reply.h"
#include "protocol/request.h"
#include "scripting/lua_internal.h"
#include "scripting/script.h"
#include "util/kstr.h"
#include "util/mem.h"
#include "util/util.h"

#define REG_LIBRARY_API "keel_library_api"   /* registry: the globals library code sees */
#define LOAD_TIMEOUT_MS 500                  /* a library's code must finish within (Redis's) */
#define ENGINE_NAME "LUA"
#define ERR_BAD_NAME "Library names can only contain letters, numbers, or underscores(_) and must be at least one " \
                     "character long"

typedef struct fnLib fnLib;

typedef struct fnInfo {
    char *name;
    kstr *desc;              /* NULL when not given */
    int flags;               /* SCRIPT_FLAG_* */
    int ref;                 /* the callback, in the registry */
    fnLib *lib;
} fnInfo;

struct fnLib {
    char *name;
    kstr *code;              /* the whole library, shebang included (FUNCTION LIST, DUMP, RDB) */
    fnInfo **fns;
    size_t nfns;
};

/* A set of libraries: the current one, or one being restored before it joins. */
typedef struct fnSet {
    fnLib **libs;
    size_t nlibs;
} fnSet;

static lua_State *flua;
static fnSet current;
static fnLib *loading;                     /* the library whose code runs (register_function) */
static long long load_start_ms;

/* ---------------------------------------------------------------- sets */

static fnLib *find_lib(const fnSet *set, const char *name, size_t len) {
    for (size_t i = 0; i < set->nlibs; i++)
        if (strlen(set->libs[i]->name) == len && memcmp(set->libs[i]->name, name, len) == 0) return set->libs[i];
    return NULL;
}

/* Function names are unique and looked up case-insensitively across libraries (FCALL TEST
 * calls test), as in Redis; within a library they differ by case only. */
static fnInfo *find_fn(const fnSet *set, const char *name, size_t len) {
    for (size_t i = 0; i < set->nlibs; i++)
        for (size_t j = 0; j < set->libs[i]->nfns; j++) {
            fnInfo *fn = set->libs[i]->fns[j];
            if (strlen(fn->name) == len && strncasecmp(fn->name, name, len) == 0) return fn;
        }
    return NULL;
}

static void set_add(fnSet *set, fnLib *lib) {
    set->libs = krealloc(set->libs, sizeof(fnLib *) * (set->nlibs + 1));
    set->libs[set->nlibs++] = lib;
}

static void set_remove(fnSet *set, fnLib *lib) {
    for (size_t i = 0; i < set->nlibs; i++) {
        if (set->libs[i] != lib) continue;
        memmove(set->libs + i, set->libs + i + 1, sizeof(fnLib *) * (set->nlibs - i - 1));
        set->nlibs--;
        return;
    }
}

static void fn_free(fnInfo *fn) {
    luaL_unref(flua, LUA_REGISTRYINDEX, fn->ref);
    kfree(fn->name);
    if (fn->desc) kstr_free(fn->desc);
    kfree(fn);
}

static void lib_free(fnLib *lib) {
    for (size_t i = 0; i < lib->nfns; i++) fn_free(lib->fns[i]);
    kfree(lib->fns);
    kfree(lib->name);
    kstr_free(lib->code);
    kfree(lib);
}

static void set_clear(fnSet *set) {
    for (size_t i = 0; i < set->nlibs; i++) lib_free(set->libs[i]);
    kfree(set->libs);
    set->libs = NULL;
    set->nlibs = 0;
}

static long long set_function_count(const fnSet *set) {
    long long n = 0;
    for (size_t i = 0; i < set->nlibs; i++) n += (long long)set->libs[i]->nfns;
    return n;
}

/* ---------------------------------------------------------------- redis.register_function */

/* [a-zA-Z0-9_]+ */
static int valid_name(const char *s, size_t len) {
    if (len == 0) return 0;
    for (size_t i = 0; i < len; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
            return 0;
    return 1;
}

static int raise_error(lua_State *L, const char *msg) {
    lua_push_error_table(L, msg, strlen(msg), 0);
    return lua_error(L);
}

/* The flags table on top of the stack: 0 with *flags, or -1 on a flag Redis doesn't know. */
static int read_flags(lua_State *L, int *flags) {
    *flags = 0;
    for (int j = 1;; j++) {
        lua_rawgeti(L, -1, j);
        if (lua_isnil(L, -1)) {
            lua_pop(L, 1);
            return 0;
        }
        const char *name = lua_isstring(L, -1) ? lua_tostring(L, -1) : NULL;
        int i = 0;
        while (name && script_flag_names[i].name && strcasecmp(script_flag_names[i].name, name) != 0) i++;
        lua_pop(L, 1);
        if (!name || !script_flag_names[i].name) return -1;
        *flags |= script_flag_names[i].flag;
    }
}

typedef struct regArgs {
    kstr *name, *desc;
    int ref, flags;
} regArgs;

static void reg_args_free(lua_State *L, regArgs *a) {
    if (a->name) kstr_free(a->name);
    if (a->desc) kstr_free(a->desc);
    luaL_unref(L, LUA_REGISTRYINDEX, a->ref);
}

static kstr *string_arg(lua_State *L, int idx) {
    size_t len;
    if (!lua_isstring(L, idx)) return NULL;
    const char *s = lua_tolstring(L, idx, &len);
    return kstr_new(s, len);
}

/* redis.register_function{function_name=..., callback=..., flags=..., description=...}:
 * NULL, or the error message (a->ref and strings set so far are the caller's to free). */
static const char *read_named_args(lua_State *L, regArgs *a) {
    if (!lua_istable(L, 1))
        return "calling redis.register_function with a single argument is only applicable to Lua table "
               "(representing named arguments).";
    lua_pushnil(L);
    while (lua_next(L, 1)) {
        if (lua_type(L, -2) != LUA_TSTRING && lua_type(L, -2) != LUA_TNUMBER)
            return "named argument key given to redis.register_function is not a string";
        lua_pushvalue(L, -2);   /* tostring on a copy: lua_next needs the key as it is */
        const char *key = lua_tostring(L, -1);
        lua_pop(L, 1);
        if (strcasecmp(key, "function_name") == 0) {
            if (a->name) kstr_free(a->name);
            if (!(a->name = string_arg(L, -1)))
                return "function_name argument given to redis.register_function must be a string";
        } else if (strcasecmp(key, "description") == 0) {
            if (a->desc) kstr_free(a->desc);
            if (!(a->desc = string_arg(L, -1)))
                return "description argument given to redis.register_function must be a string";
        } else if (strcasecmp(key, "callback") == 0) {
            if (!lua_isfunction(L, -1)) return "callback argument given to redis.register_function must be a function";
            luaL_unref(L, LUA_REGISTRYINDEX, a->ref);
            a->ref = luaL_ref(L, LUA_REGISTRYINDEX);
            continue;   /* luaL_ref popped the value */
        } else if (strcasecmp(key, "flags") == 0) {
            if (!lua_istable(L, -1))
                return "flags argument to redis.register_function must be a table representing function flags";
            if (read_flags(L, &a->flags) < 0) return "unknown flag given";
        } else {
            return "unknown argument given to redis.register_function";
        }
        lua_pop(L, 1);
    }
    if (!a->name) return "redis.register_function must get a function name argument";
    if (a->ref == LUA_NOREF) return "redis.register_function must get a callback argument";
    return NULL;
}

static const char *read_args(lua_State *L, regArgs *a) {
    int argc = lua_gettop(L);
    if (argc < 1 || argc > 2) return "wrong number of arguments to redis.register_function";
    if (argc == 1) return read_named_args(L, a);
    if (!(a->name = string_arg(L, 1))) return "first argument to redis.register_function must be a string";
    if (!lua_isfunction(L, 2)) return "second argument to redis.register_function must be a function";
    a->ref = luaL_ref(L, LUA_REGISTRYINDEX);
    return NULL;
}

static int register_function(lua_State *L) {
    if (!loading) return raise_error(L, "redis.register_function can only be called on FUNCTION LOAD command");
    regArgs a = {NULL, NULL, LUA_NOREF, 0};
    const char *err = read_args(L, &a);
    if (!err && !valid_name(a.name->buf, a.name->len)) err = ERR_BAD_NAME;
    if (!err) {
        for (size_t i = 0; i < loading->nfns && !err; i++)
            if (strcmp(loading->fns[i]->name, a.name->buf) == 0) err = "Function already exists in the library";
    }
    if (err) {
        reg_args_free(L, &a);
        return raise_error(L, err);
    }
    fnInfo *fn = kcalloc(sizeof(*fn));
    fn->name = kmemdup(a.name->buf, a.name->len + 1);
    fn->desc = a.desc;
    fn->flags = a.flags;
    fn->ref = a.ref;
    fn->lib = loading;
    kstr_free(a.name);
    loading->fns = krealloc(loading->fns, sizeof(fnInfo *) * (loading->nfns + 1));
    loading->fns[loading->nfns++] = fn;
    return 0;
}

/* ---------------------------------------------------------------- libraries */

static void load_timeout_hook(lua_State *L, lua_Debug *ar) {
    (void)ar;
    if (mstime() - load_start_ms <= LOAD_TIMEOUT_MS) return;
    lua_sethook(L, load_timeout_hook, LUA_MASKLINE, 0);   /* every line fails from now on */
    raise_error(L, "FUNCTION LOAD timeout");
}

/* Runs the library's Lua body (after its shebang line) so it registers its functions into lib.
 * Returns NULL or the error (a kstr the caller frees). */
static kstr *run_library_code(fnLib *lib, const char *body, size_t len) {
    if (luaL_loadbuffer(flua, body, len, "@user_function") != 0) {
        kstr *err = kstr_catfmt(kstr_empty(64), "Error compiling function: %s", lua_tostring(flua, -1));
        lua_pop(flua, 1);
        return err;
    }
    script_set_env(flua);
    lua_getfield(flua, LUA_REGISTRYINDEX, REG_LIBRARY_API);
    script_env_index(flua, lua_gettop(flua));
    lua_pop(flua, 1);
    loading = lib;
    load_start_ms = mstime();
    lua_sethook(flua, load_timeout_hook, LUA_MASKCOUNT, 100000);
    int rc = lua_pcall(flua, 0, 0, 0);
    lua_sethook(flua, NULL, 0, 0);
    loading = NULL;
    script_env_index(flua, 0);
    if (rc == 0) return NULL;
    kstr *err = kstr_empty(64);
    if (lua_isstring(flua, -1)) {
        err = kstr_catfmt(err, "Error registering functions: ERR %s", lua_tostring(flua, -1));
    } else {
        lua_getfield(flua, -1, "err");
        err = kstr_catfmt(err, "Error registering functions: %s", lua_isstring(flua, -1) ? lua_tostring(flua, -1) : "");
        lua_pop(flua, 1);
    }
    lua_pop(flua, 1);
    return err;
}

/* Splits the shebang line ("#!<engine> name=<lib>", quoted as redis-cli quotes) into engine
 * and library name. Returns NULL or the error; *body is where the Lua code starts (the newline
 * ending the shebang, so line numbers count the shebang as line 1, as in Redis). */
static kstr *parse_metadata(const char *code, size_t len, kstr **engine, kstr **name, size_t *body) {
    *engine = *name = NULL;
    if (len < 2 || code[0] != '#' || code[1] != '!') return kstr_new("Missing library metadata", 24);
    const char *nl = memchr(code, '\n', len);
    if (!nl) return kstr_new("Invalid library metadata", 24);
    *body = (size_t)(nl - code);
    karg *argv = NULL;
    char *store = NULL;
    int argv_cap = 0;
    size_t store_cap = 0;
    int argc = split_args(code, *body, &argv, &argv_cap, &store, &store_cap);
    kstr *err = NULL;
    if (argc <= 0) err = kstr_new("Invalid library metadata", 24);
    else *engine = kstr_new(argv[0].ptr + 2, argv[0].len - 2);
    for (int i = 1; i < argc && !err; i++) {
        if (argv[i].len < 5 || strncasecmp(argv[i].ptr, "name=", 5) != 0)
            err = kstr_catfmt(kstr_empty(64), "Invalid metadata value given: %s", argv[i].ptr);
        else if (*name)
            err = kstr_new("Invalid metadata value, name argument was given multiple times", 63);
        else
            *name = kstr_new(argv[i].ptr + 5, argv[i].len - 5);
    }
    if (!err && !*name) err = kstr_new("Library name was not given", 26);
    kfree(argv);
    kfree(store);
    return err;
}

/* Builds the library of `code` into set (replacing a library of the same name when replace is
 * set). Returns NULL, or the error (set unchanged). */
static kstr *create_library(fnSet *set, const char *code, size_t len, int replace, fnLib **out) {
    kstr *engine, *name, *err;
    size_t body = 0;
    fnLib *old = NULL, *lib = NULL;
    if ((err = parse_metadata(code, len, &engine, &name, &body)) != NULL) goto done;
    if (!valid_name(name->buf, name->len)) {
        err = kstr_new(ERR_BAD_NAME, strlen(ERR_BAD_NAME));
        goto done;
    }
    if (strcasecmp(engine->buf, "lua") != 0) {
        err = kstr_catfmt(kstr_empty(64), "Engine '%s' not found", engine->buf);
        goto done;
    }
    old = find_lib(set, name->buf, name->len);
    if (old && !replace) {
        old = NULL;
        err = kstr_catfmt(kstr_empty(64), "Library '%s' already exists", name->buf);
        goto done;
    }
    if (old) set_remove(set, old);
    lib = kcalloc(sizeof(*lib));
    lib->name = kmemdup(name->buf, name->len + 1);
    lib->code = kstr_new(code, len);
    if ((err = run_library_code(lib, code + body, len - body)) != NULL) goto done;
    if (lib->nfns == 0) {
        err = kstr_new("No functions registered", 23);
        goto done;
    }
    for (size_t i = 0; i < lib->nfns && !err; i++)
        if (find_fn(set, lib->fns[i]->name, strlen(lib->fns[i]->name)))
            err = kstr_catfmt(kstr_empty(64), "Function %s already exists", lib->fns[i]->name);
done:
    if (err) {
        if (lib) lib_free(lib);
        if (old) set_add(set, old);
    } else {
        set_add(set, lib);
        if (old) lib_free(old);
        if (out) *out = lib;
    }
    if (engine) kstr_free(engine);
    if (name) kstr_free(name);
    return err;
}

/* Moves every library of src into current; with replace, libraries of the same name go.
 * Returns NULL (src emptied) or the error (both unchanged). */
static kstr *join_libraries(fnSet *src, int replace) {
    fnSet olds = {NULL, 0};
    kstr *err = NULL;
    for (size_t i = 0; i < src->nlibs && !err; i++) {
        fnLib *old = find_lib(&current, src->libs[i]->name, strlen(src->libs[i]->name));
        if (!old) continue;
        if (!replace) {
            err = kstr_catfmt(kstr_empty(64), "Library %s already exists", src->libs[i]->name);
        } else {
            set_remove(&current, old);
            set_add(&olds, old);
        }
    }
    for (size_t i = 0; i < src->nlibs && !err; i++)
        for (size_t j = 0; j < src->libs[i]->nfns && !err; j++)
            if (find_fn(&current, src->libs[i]->fns[j]->name, strlen(src->libs[i]->fns[j]->name)))
                err = kstr_catfmt(kstr_empty(64), "Function %s already exists", src->libs[i]->fns[j]->name);
    if (err) {
        for (size_t i = 0; i < olds.nlibs; i++) set_add(&current, olds.libs[i]);
        kfree(olds.libs);
        return err;
    }
    for (size_t i = 0; i < src->nlibs; i++) set_add(&current, src->libs[i]);
    src->nlibs = 0;
    set_clear(&olds);
    return NULL;
}

/* ---------------------------------------------------------------- RDB hooks */

static size_t rdb_count(void) {
    return current.nlibs;
}

static const char *rdb_code(size_t i, size_t *len) {
    *len = current.libs[i]->code->len;
    return current.libs[i]->code->buf;
}

static int rdb_load(const char *code, size_t len, int replace, char *errbuf, size_t errlen) {
    kstr *err = create_library(&current, code, len, replace, NULL);
    if (!err) return 0;
    snprintf(errbuf, errlen, "%s", err->buf);
    kstr_free(err);
    return -1;
}

static void rdb_clear(void) {
    set_clear(&current);
}

/* ---------------------------------------------------------------- start-up */

void functions_init(void) {
    flua = script_new_state();
    /* The library API: redis = {register_function, log, LOG_*, REDIS_VERSION*}, read-only,
     * and nothing else (a missing name raises, as for scripts). */
    lua_newtable(flua);
    int api = lua_gettop(flua);
    lua_newtable(flua);
    int redis = lua_gettop(flua);
    lua_pushcfunction(flua, register_function);
    lua_setfield(flua, redis, "register_function");
    static const char *const copied[] = {"log", "LOG_DEBUG", "LOG_VERBOSE", "LOG_NOTICE", "LOG_WARNING",
                                         "REDIS_VERSION", "REDIS_VERSION_NUM", NULL};
    lua_getglobal(flua, "redis");
    for (int i = 0; copied[i]; i++) {
        lua_getfield(flua, -1, copied[i]);
        lua_setfield(flua, redis, copied[i]);
    }
    lua_pop(flua, 1);
    lua_newtable(flua);   /* redis.call and the like are missing names at load time */
    lua_pushcfunction(flua, script_missing_global);
    lua_setfield(flua, -2, "__index");
    lua_setmetatable(flua, redis);
    script_push_readonly_proxy(flua, redis);
    lua_setfield(flua, api, "redis");
    lua_pop(flua, 1);
    lua_newtable(flua);
    lua_pushcfunction(flua, script_missing_global);
    lua_setfield(flua, -2, "__index");
    lua_setmetatable(flua, api);
    lua_setfield(flua, LUA_REGISTRYINDEX, REG_LIBRARY_API);
    rdb_function_hooks = (rdbFunctionHooks){rdb_count, rdb_code, rdb_load, rdb_clear};
}

/* ---------------------------------------------------------------- commands */

void function_load(client *c) {
    int replace = 0, at = 2;
    while (at < c->argc - 1) {
        const karg *a = &c->argv[at++];
        if (!arg_is(a->ptr, a->len, "replace")) {
            reply_errorf(c, "Unknown option given: %s", a->ptr);
            return;
        }
        replace = 1;
    }
    fnLib *lib = NULL;
    kstr *err = create_library(&current, c->argv[at].ptr, c->argv[at].len, replace, &lib);
    if (err) {
        reply_error(c, err->buf);
        kstr_free(err);
        return;
    }
    server.dirty++;
    reply_bulk(c, lib->name, strlen(lib->name));
}

void function_delete(client *c) {
    fnLib *lib = find_lib(&current, c->argv[2].ptr, c->argv[2].len);
    if (!lib) {
        reply_error(c, "Library not found");
        return;
    }
    set_remove(&current, lib);
    lib_free(lib);
    server.dirty++;
    reply_ok(c);
}

void function_flush(client *c) {
    if (c->argc > 3) {
        reply_subcommand_syntax_error(c);
        return;
    }
    if (c->argc == 3 && !arg_is(c->argv[2].ptr, c->argv[2].len, "sync") &&
        !arg_is(c->argv[2].ptr, c->argv[2].len, "async")) {
        reply_error(c, "FUNCTION FLUSH only supports SYNC|ASYNC option");
        return;
    }
    set_clear(&current);
    server.dirty++;
    reply_ok(c);
}

static void reply_flags(client *c, int flags) {
    int n = 0;
    for (int i = 0; script_flag_names[i].name; i++) n += (flags & script_flag_names[i].flag) != 0;
    reply_set_len(c, n);
    for (int i = 0; script_flag_names[i].name; i++)
        if (flags & script_flag_names[i].flag) reply_status(c, script_flag_names[i].name);
}

static void reply_library(client *c, const fnLib *lib, int with_code) {
    reply_map_len(c, with_code ? 4 : 3);
    reply_bulk_cstr(c, "library_name");
    reply_bulk_cstr(c, lib->name);
    reply_bulk_cstr(c, "engine");
    reply_bulk_cstr(c, ENGINE_NAME);
    reply_bulk_cstr(c, "functions");
    reply_array_len(c, (long long)lib->nfns);
    for (size_t i = 0; i < lib->nfns; i++) {
        const fnInfo *fn = lib->fns[i];
        reply_map_len(c, 3);
        reply_bulk_cstr(c, "name");
        reply_bulk_cstr(c, fn->name);
        reply_bulk_cstr(c, "description");
        if (fn->desc) reply_bulk(c, fn->desc->buf, fn->desc->len);
        else reply_null(c);
        reply_bulk_cstr(c, "flags");
        reply_flags(c, fn->flags);
    }
    if (with_code) {
        reply_bulk_cstr(c, "library_code");
        reply_bulk(c, lib->code->buf, lib->code->len);
    }
}

void function_list(client *c) {
    int with_code = 0;
    const karg *pattern = NULL;
    for (int i = 2; i < c->argc; i++) {
        const karg *a = &c->argv[i];
        if (!with_code && arg_is(a->ptr, a->len, "withcode")) {
            with_code = 1;
        } else if (!pattern && arg_is(a->ptr, a->len, "libraryname")) {
            if (i >= c->argc - 1) {
                reply_error(c, "library name argument was not given");
                return;
            }
            pattern = &c->argv[++i];
        } else {
            reply_errorf(c, "Unknown argument %s", a->ptr);
            return;
        }
    }
    long long n = 0;
    for (size_t i = 0; i < current.nlibs; i++)
        n += !pattern || glob_match(pattern->ptr, pattern->len, current.libs[i]->name, strlen(current.libs[i]->name), 1);
    reply_array_len(c, n);
    for (size_t i = 0; i < current.nlibs; i++)
        if (!pattern || glob_match(pattern->ptr, pattern->len, current.libs[i]->name, strlen(current.libs[i]->name), 1))
            reply_library(c, current.libs[i], with_code);
}

void function_stats(client *c) {
    const char *name;
    client *caller;
    long long duration;
    int running = script_run_info(&name, &caller, &duration);
    if (running < 0) {
        reply_error(c, "-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.");
        return;
    }
    reply_map_len(c, 2);
    reply_bulk_cstr(c, "running_script");
    if (!running) {
        reply_null(c);
    } else {
        reply_map_len(c, 3);
        reply_bulk_cstr(c, "name");
        reply_bulk_cstr(c, name);
        reply_bulk_cstr(c, "command");
        reply_array_len(c, caller->argc);
        for (int i = 0; i < caller->argc; i++) reply_bulk(c, caller->argv[i].ptr, caller->argv[i].len);
        reply_bulk_cstr(c, "duration_ms");
        reply_integer(c, duration);
    }
    reply_bulk_cstr(c, "engines");
    reply_map_len(c, 1);
    reply_bulk_cstr(c, ENGINE_NAME);
    reply_map_len(c, 2);
    reply_bulk_cstr(c, "libraries_count");
    reply_integer(c, (long long)current.nlibs);
    reply_bulk_cstr(c, "functions_count");
    reply_integer(c, set_function_count(&current));
}

void function_dump(client *c) {
    kstr *payload = rdb_dump_functions();
    reply_bulk(c, payload->buf, payload->len);
    kstr_free(payload);
}

typedef struct restoreCtx {
    fnSet set;
    kstr *err;
} restoreCtx;

static int restore_library(void *priv, const char *code, size_t len) {
    restoreCtx *r = priv;
    r->err = create_library(&r->set, code, len, 0, NULL);
    return r->err ? -1 : 0;
}

void function_restore(client *c) {
    if (c->argc > 4) {
        reply_subcommand_syntax_error(c);
        return;
    }
    enum { APPEND, REPLACE, FLUSH } policy = APPEND;
    if (c->argc == 4) {
        const karg *a = &c->argv[3];
        if (arg_is(a->ptr, a->len, "append")) {
            policy = APPEND;
        } else if (arg_is(a->ptr, a->len, "replace")) {
            policy = REPLACE;
        } else if (arg_is(a->ptr, a->len, "flush")) {
            policy = FLUSH;
        } else {
            reply_error(c, "Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.");
            return;
        }
    }
    restoreCtx r = {{NULL, 0}, NULL};
    const char *why;
    if (rdb_restore_functions((const unsigned char *)c->argv[2].ptr, c->argv[2].len, restore_library, &r, &why) < 0) {
        if (why) r.err = kstr_new(why, strlen(why));
    } else if (policy == FLUSH) {
        set_clear(&current);
        current = r.set;
        r.set = (fnSet){NULL, 0};
    } else {
        r.err = join_libraries(&r.set, policy == REPLACE);
    }
    set_clear(&r.set);
    if (r.err) {
        reply_error(c, r.err->buf);
        kstr_free(r.err);
        return;
    }
    server.dirty++;
    reply_ok(c);
}

int function_flags_by_name(const char *name, size_t len) {
    fnInfo *fn = find_fn(&current, name, len);
    return fn ? fn->flags : -1;
}

void fcall(client *c, int readonly) {
    monitor_feed(c);   /* before the function's own commands */
    fnInfo *fn = find_fn(&current, c->argv[1].ptr, c->argv[1].len);
    if (!fn) {
        reply_error(c, "Function not found");
        return;
    }
    long long nkeys;
    if (!str_to_ll(c->argv[2].ptr, c->argv[2].len, &nkeys)) {
        reply_error(c, "Bad number of keys provided");
        return;
    }
    if (nkeys > c->argc - 3) {
        reply_error(c, "Number of keys can't be greater than number of args");
        return;
    }
    if (nkeys < 0) {
        reply_error(c, "Number of keys can't be negative");
        return;
    }
    if (script_check_flags(c, fn->flags, readonly) < 0) return;
    script_run_function(c, flua, fn->ref, fn->name, fn->flags, readonly, (int)nkeys);
}
