/* lua_convert.c - values between Lua and RESP, as Redis 7.0 converts them.
 *
 * RESP -> Lua (the reply of a command run by redis.call): integer -> number, bulk -> string,
 * null bulk/array -> false (RESP2) or nil (RESP3 null), status -> {ok=s}, error -> {err=s},
 * array -> table, map -> table k->v, set -> table k->true, boolean -> boolean,
 * double -> {double=n}, big number -> {big_number=s}, verbatim -> {verbatim_string={format,string}}.
 *
 * Lua -> RESP (a script's return value): string -> bulk, number -> integer (truncated),
 * true -> 1 / #t, false -> null / #f, tables as above in reverse, other tables -> arrays that
 * stop at the first nil; anything else -> null. */
#include <lauxlib.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/reply.h"
#include "scripting/lua_internal.h"
#include "util/mem.h"
#include "util/util.h"

/* Reads the decimal after the type byte up to CRLF. Returns the position after CRLF or NULL. */
static const char *read_line_ll(const char *p, const char *end, long long *v) {
    const char *cr = memchr(p, '\r', (size_t)(end - p));
    if (!cr || cr + 1 >= end) return NULL;
    if (!str_to_ll(p + 1, (size_t)(cr - p - 1), v)) *v = 0;
    return cr + 2;
}

static const char *line_end(const char *p, const char *end) {
    const char *cr = memchr(p, '\r', (size_t)(end - p));
    return cr && cr + 1 < end ? cr : NULL;
}

static void set_field_string(lua_State *L, const char *field, const char *s, size_t len) {
    lua_pushstring(L, field);
    lua_pushlstring(L, s, len);
    lua_settable(L, -3);
}

void lua_push_error_table(lua_State *L, const char *msg, size_t len, int counted) {
    if (ldb_logging()) ldb_log_error(msg, len);   /* a stepping debugger shows every error */
    while (len && (msg[len - 1] == '\r' || msg[len - 1] == '\n')) len--;
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    if (len && msg[0] == '-') {
        const char *sp = memchr(msg, ' ', len);
        if (sp) {
            luaL_addlstring(&b, msg + 1, len - 1);
        } else {
            luaL_addstring(&b, "ERR ");
            luaL_addlstring(&b, msg + 1, len - 1);
        }
    } else {
        luaL_addstring(&b, "ERR ");
        luaL_addlstring(&b, msg, len);
    }
    lua_newtable(L);
    lua_pushstring(L, "err");
    luaL_pushresult(&b);
    lua_settable(L, -3);
    if (counted) {
        lua_pushboolean(L, 1);
        lua_setfield(L, -2, ERR_FIELD_COUNTED);
    }
}

void reply_error_uncounted(client *c, const char *msg) {
    /* Not a new error for the stats, but the command replying it failed (Redis's
     * ERR_REPLY_FLAG_NO_STATS_UPDATE). */
    if (c->cmd) ((command *)c->cmd)->failed_calls++;
    size_t len = strlen(msg);
    char *line = kmalloc(len + 2);
    for (size_t i = 0; i < len; i++) line[i] = (msg[i] == '\r' || msg[i] == '\n') ? ' ' : msg[i];
    memcpy(line + len, "\r\n", 2);
    reply_raw(c, line, len + 2);
    kfree(line);
}

int lua_error_table_counted(lua_State *L, int t) {
    lua_getfield(L, t, ERR_FIELD_COUNTED);
    int counted = lua_toboolean(L, -1);
    lua_pop(L, 1);
    return counted;
}

static const char *parse(lua_State *L, const char *p, const char *end);

/* Aggregates: n elements (or n pairs for maps). Maps and sets become {map={k=v}} and
 * {set={k=true}} so that returning them gives a map or set reply again. */
static const char *parse_aggregate(lua_State *L, char type, long long n, const char *p, const char *end) {
    int wrapped = type == '%' || type == '~';
    if (wrapped) {
        lua_newtable(L);
        lua_pushstring(L, type == '%' ? "map" : "set");
    }
    lua_newtable(L);
    for (long long i = 0; i < n && p; i++) {
        if (!wrapped) lua_pushnumber(L, (lua_Number)(i + 1));
        p = parse(L, p, end);
        if (p && type == '%') p = parse(L, p, end);
        else if (p && type == '~') lua_pushboolean(L, 1);
        if (p) lua_settable(L, -3);
    }
    if (wrapped) lua_settable(L, -3);
    return p;
}

static const char *parse_verbatim(lua_State *L, const char *body, long long n) {
    lua_newtable(L);
    lua_pushstring(L, "verbatim_string");
    lua_newtable(L);
    size_t fl = n >= 4 ? 3 : 0;
    set_field_string(L, "format", body, fl);
    set_field_string(L, "string", body + (n >= 4 ? 4 : 0), (size_t)n - (n >= 4 ? 4 : 0));
    lua_settable(L, -3);
    return body;
}

/* Pushes one value; returns the position after it, or NULL on a truncated buffer. */
static const char *parse(lua_State *L, const char *p, const char *end) {
    if (p >= end) return NULL;
    luaL_checkstack(L, 4, "reply too deep");
    const char *le = line_end(p, end);
    if (!le) return NULL;
    long long n = 0;
    switch (*p) {
    case '+':
        lua_newtable(L);
        set_field_string(L, "ok", p + 1, (size_t)(le - p - 1));
        return le + 2;
    case '-':
        lua_push_error_table(L, p, (size_t)(le - p), 1);   /* the command counted it */
        return le + 2;
    case ':':
        read_line_ll(p, end, &n);
        lua_pushnumber(L, (lua_Number)n);
        return le + 2;
    case '_':
        lua_pushnil(L);
        return le + 2;
    case '#':
        lua_pushboolean(L, p[1] == 't');
        return le + 2;
    case ',': {
        char num[64];
        size_t l = (size_t)(le - p - 1);
        if (l >= sizeof(num)) l = sizeof(num) - 1;
        memcpy(num, p + 1, l);
        num[l] = '\0';
        lua_newtable(L);
        lua_pushstring(L, "double");
        lua_pushnumber(L, strtod(num, NULL));
        lua_settable(L, -3);
        return le + 2;
    }
    case '(':
        lua_newtable(L);
        set_field_string(L, "big_number", p + 1, (size_t)(le - p - 1));
        return le + 2;
    case '$':
    case '=': {
        const char *body = read_line_ll(p, end, &n);
        if (n < 0) {
            lua_pushboolean(L, 0);
            return body;
        }
        if (!body || end - body < n + 2) return NULL;
        if (*p == '=') parse_verbatim(L, body, n);
        else lua_pushlstring(L, body, (size_t)n);
        return body + n + 2;
    }
    case '*':
    case '%':
    case '~':
    case '>': {
        const char *next = read_line_ll(p, end, &n);
        if (n < 0) {
            lua_pushboolean(L, 0);
            return next;
        }
        return parse_aggregate(L, *p, n, next, end);
    }
    case '|': {
        /* An attribute precedes the real reply: skip it (Redis ignores attributes too). */
        const char *next = read_line_ll(p, end, &n);
        next = parse_aggregate(L, '*', 2 * n, next, end);
        lua_pop(L, 1);
        return next ? parse(L, next, end) : NULL;
    }
    default:
        return NULL;
    }
}

size_t resp_to_lua(lua_State *L, const char *buf, size_t len) {
    int top = lua_gettop(L);
    const char *e = parse(L, buf, buf + len);
    if (!e) {
        lua_settop(L, top);
        lua_pushnil(L);
        return 0;
    }
    return (size_t)(e - buf);
}

/* t[field] as the stack top if it has the given type; returns 1 then, else pops and returns 0. */
static int get_field(lua_State *L, int t, const char *field, int type) {
    lua_pushstring(L, field);
    lua_rawget(L, t);
    if (lua_type(L, -1) == type) return 1;
    lua_pop(L, 1);
    return 0;
}

static void reply_value(client *c, lua_State *L);

static int script_resp;   /* redis.setresp() of the script whose value is being converted */

long long lua_number_to_ll(lua_Number d) {
    if (!(d > -9223372036854775808.0 && d < 9223372036854775808.0)) return LLONG_MIN;
    return (long long)d;
}

int lua_number_to_int(lua_Number d) {
    if (!(d > (lua_Number)INT_MIN - 1 && d < (lua_Number)INT_MAX + 1)) return INT_MIN;
    return (int)d;
}

static void reply_array(client *c, lua_State *L, int t) {
    replyDeferred d = reply_deferred(c);
    long long n = 0;
    for (;;) {
        lua_rawgeti(L, t, (int)n + 1);
        if (lua_isnil(L, -1)) {
            lua_pop(L, 1);
            break;
        }
        reply_value(c, L);
        n++;
    }
    reply_set_deferred_array(c, d, n);
}

/* {map = {...}} and {set = {...}}: the inner table is at the top. */
static void reply_map_or_set(client *c, lua_State *L, int is_map) {
    int t = lua_gettop(L);
    replyDeferred d = reply_deferred(c);
    long long n = 0;
    lua_pushnil(L);
    while (lua_next(L, t)) {
        lua_pushvalue(L, -2);
        reply_value(c, L);   /* key */
        if (is_map) reply_value(c, L);
        else lua_pop(L, 1);
        n++;
    }
    if (is_map) reply_set_deferred_map(c, d, n);
    else reply_set_deferred_set(c, d, n);
    lua_pop(L, 1);
}

static void reply_verbatim_table(client *c, lua_State *L) {
    int t = lua_gettop(L);
    if (get_field(L, t, "format", LUA_TSTRING) && get_field(L, t, "string", LUA_TSTRING)) {
        size_t len;
        const char *s = lua_tolstring(L, -1, &len);
        reply_verbatim(c, s, len, lua_tostring(L, -2));
        lua_pop(L, 2);
    } else {
        lua_settop(L, t);
        reply_null(c);
    }
    lua_pop(L, 1);
}

static void reply_table(client *c, lua_State *L) {
    int t = lua_gettop(L);
    if (get_field(L, t, "err", LUA_TSTRING)) {
        size_t len;
        const char *s = lua_tolstring(L, -1, &len);
        kstr *msg = kstr_cat(kstr_new("-", 1), s, len);
        if (lua_error_table_counted(L, t)) reply_error_uncounted(c, msg->buf);
        else reply_error(c, msg->buf);
        kstr_free(msg);
        lua_pop(L, 1);
    } else if (get_field(L, t, "ok", LUA_TSTRING)) {
        size_t len;
        const char *s = lua_tolstring(L, -1, &len);
        reply_status_len(c, s, len);
        lua_pop(L, 1);
    } else if (get_field(L, t, "double", LUA_TNUMBER)) {
        reply_double(c, lua_tonumber(L, -1));
        lua_pop(L, 1);
    } else if (get_field(L, t, "big_number", LUA_TSTRING)) {
        size_t len;
        const char *s = lua_tolstring(L, -1, &len);
        /* As Redis: CR and LF become spaces, so the reply stays one protocol line. */
        if (memchr(s, '\r', len) || memchr(s, '\n', len)) {
            char *copy = kmalloc(len ? len : 1);
            for (size_t i = 0; i < len; i++) copy[i] = s[i] == '\r' || s[i] == '\n' ? ' ' : s[i];
            reply_big_number(c, copy, len);
            kfree(copy);
        } else {
            reply_big_number(c, s, len);
        }
        lua_pop(L, 1);
    } else if (get_field(L, t, "map", LUA_TTABLE)) {
        reply_map_or_set(c, L, 1);
    } else if (get_field(L, t, "set", LUA_TTABLE)) {
        reply_map_or_set(c, L, 0);
    } else if (get_field(L, t, "verbatim_string", LUA_TTABLE)) {
        reply_verbatim_table(c, L);
    } else {
        reply_array(c, L, t);
    }
    lua_pop(L, 1);
}

static void reply_value(client *c, lua_State *L) {
    /* Room for a map's key and value plus temporaries. Each nesting level keeps one slot, so
     * deep or cyclic tables end with this error at Lua's C stack limit, where Redis's do. */
    if (!lua_checkstack(L, 4)) {
        lua_pop(L, 1);
        reply_error(c, "reached lua stack limit");
        return;
    }
    switch (lua_type(L, -1)) {
    case LUA_TSTRING: {
        size_t len;
        const char *s = lua_tolstring(L, -1, &len);
        reply_bulk(c, s, len);
        break;
    }
    case LUA_TBOOLEAN:
        /* The script's protocol (redis.setresp) decides, not the caller's. */
        if (script_resp == 3) reply_bool(c, lua_toboolean(L, -1));
        else if (lua_toboolean(L, -1)) reply_integer(c, 1);
        else reply_null(c);
        break;
    case LUA_TNUMBER:
        reply_integer(c, lua_number_to_ll(lua_tonumber(L, -1)));
        break;
    case LUA_TTABLE:
        reply_table(c, L);
        return;   /* reply_table popped it */
    default:
        reply_null(c);
    }
    lua_pop(L, 1);
}

void lua_to_reply(client *c, lua_State *L, int resp) {
    script_resp = resp;
    reply_value(c, L);
}
