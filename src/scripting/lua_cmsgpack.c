/* lua_cmsgpack.c - the `cmsgpack` library Redis scripts use (no Debian package provides the C
 * module): cmsgpack.pack(v1, ...) -> the concatenated MessagePack encodings,
 * cmsgpack.unpack(s) -> every value in s, cmsgpack.unpack_one(s [, offset]) and
 * cmsgpack.unpack_limit(s, limit [, offset]) -> next offset (-1 at the end), then the values.
 *
 * Encoding rules (those of lua-cmsgpack, which Redis bundles): integral numbers use the
 * smallest integer format; other numbers float 32 when exact, else float 64; strings use
 * fixstr/str8/str16/str32; a table whose keys are exactly 1..n is an array (an empty table is
 * an empty array), any other table a map; tables nested deeper than 16 levels, functions and
 * other types encode as nil. Decoding accepts every MessagePack type except extensions. */
#include <lauxlib.h>
#include <lua.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "scripting/lua_internal.h"

#define MAX_NESTING 16

/* ---------------------------------------------------------------- encoding */

/* Output goes to a kstr, not a luaL_Buffer: encoding walks tables with the Lua stack, which a
 * luaL_Buffer must have to itself. */
static void add_bytes(kstr **b, const void *p, size_t len) { *b = kstr_cat(*b, p, len); }
static void add_char(kstr **b, char ch) { *b = kstr_cat(*b, &ch, 1); }

static void put_be(kstr **b, unsigned char tag, uint64_t v, int bytes) {
    char buf[9];
    buf[0] = (char)tag;
    for (int i = 0; i < bytes; i++) buf[1 + i] = (char)(v >> (8 * (bytes - 1 - i)));
    add_bytes(b, buf, (size_t)bytes + 1);
}

static void encode_int(kstr **b, int64_t v) {
    if (v >= 0) {
        if (v <= 127) add_char(b, (char)v);
        else if (v <= 0xff) put_be(b, 0xcc, (uint64_t)v, 1);
        else if (v <= 0xffff) put_be(b, 0xcd, (uint64_t)v, 2);
        else if (v <= 0xffffffffLL) put_be(b, 0xce, (uint64_t)v, 4);
        else put_be(b, 0xcf, (uint64_t)v, 8);
    } else {
        if (v >= -32) add_char(b, (char)(int8_t)v);
        else if (v >= -128) put_be(b, 0xd0, (uint64_t)v & 0xff, 1);
        else if (v >= -32768) put_be(b, 0xd1, (uint64_t)v & 0xffff, 2);
        else if (v >= -2147483648LL) put_be(b, 0xd2, (uint64_t)v & 0xffffffffULL, 4);
        else put_be(b, 0xd3, (uint64_t)v, 8);
    }
}

static void encode_number(kstr **b, lua_Number n) {
    if (!isinf(n) && !isnan(n) && n >= -9223372036854775808.0 && n < 9223372036854775808.0 &&
        (lua_Number)(int64_t)n == n) {
        encode_int(b, (int64_t)n);
        return;
    }
    float f = (float)n;
    if ((lua_Number)f == n) {
        uint32_t bits;
        memcpy(&bits, &f, 4);
        put_be(b, 0xca, bits, 4);
    } else {
        uint64_t bits;
        memcpy(&bits, &n, 8);
        put_be(b, 0xcb, bits, 8);
    }
}

static void encode_string(kstr **b, const char *s, size_t len) {
    if (len < 32) add_char(b, (char)(0xa0 | len));
    else if (len <= 0xff) put_be(b, 0xd9, len, 1);
    else if (len <= 0xffff) put_be(b, 0xda, len, 2);
    else put_be(b, 0xdb, len, 4);
    add_bytes(b, s, len);
}

static void encode_header(kstr **b, size_t n, unsigned char fix, unsigned char t16) {
    if (n < 16) add_char(b, (char)(fix | n));
    else if (n <= 0xffff) put_be(b, t16, n, 2);
    else put_be(b, (unsigned char)(t16 + 1), n, 4);
}

/* Number of elements if the table at t has exactly the keys 1..n, else -1. */
static long long array_length(lua_State *L, int t) {
    long long count = 0, max = 0;
    lua_pushnil(L);
    while (lua_next(L, t)) {
        lua_pop(L, 1);
        if (lua_type(L, -1) != LUA_TNUMBER) {
            lua_pop(L, 1);
            return -1;
        }
        lua_Number k = lua_tonumber(L, -1);
        if (k <= 0 || k != floor(k)) {
            lua_pop(L, 1);
            return -1;
        }
        if (k > max) max = (long long)k;
        count++;
    }
    return max == count ? count : -1;
}

/* Encodes the value at the top of the stack (left in place). Two stack slots per level. */
static void encode_value(lua_State *L, kstr **b, int level);

static void encode_table(lua_State *L, kstr **b, int level) {
    int t = lua_gettop(L);
    long long n = array_length(L, t);
    if (n >= 0) {
        encode_header(b, (size_t)n, 0x90, 0xdc);
        for (long long i = 1; i <= n; i++) {
            lua_rawgeti(L, t, (int)i);
            encode_value(L, b, level + 1);
            lua_pop(L, 1);
        }
        return;
    }
    size_t pairs = 0;
    lua_pushnil(L);
    while (lua_next(L, t)) {
        lua_pop(L, 1);
        pairs++;
    }
    encode_header(b, pairs, 0x80, 0xde);
    lua_pushnil(L);
    while (lua_next(L, t)) {
        lua_pushvalue(L, -2);
        encode_value(L, b, level + 1);   /* key */
        lua_pop(L, 1);
        encode_value(L, b, level + 1);   /* value */
        lua_pop(L, 1);
    }
}

static void encode_value(lua_State *L, kstr **b, int level) {
    luaL_checkstack(L, 4, "cmsgpack: nesting too deep");
    switch (lua_type(L, -1)) {
    case LUA_TBOOLEAN:
        add_char(b, lua_toboolean(L, -1) ? (char)0xc3 : (char)0xc2);
        break;
    case LUA_TNUMBER:
        encode_number(b, lua_tonumber(L, -1));
        break;
    case LUA_TSTRING: {
        size_t len;
        const char *s = lua_tolstring(L, -1, &len);
        encode_string(b, s, len);
        break;
    }
    case LUA_TTABLE:
        if (level < MAX_NESTING) encode_table(L, b, level);
        else add_char(b, (char)0xc0);   /* too deep: nil */
        break;
    default:
        add_char(b, (char)0xc0);
    }
}

static int mp_pack(lua_State *L) {
    int argc = lua_gettop(L);
    if (argc == 0) return luaL_argerror(L, 0, "MessagePack pack needs input.");
    kstr *out = kstr_empty(64);
    for (int i = 1; i <= argc; i++) {
        lua_pushvalue(L, i);
        encode_value(L, &out, 0);
        lua_pop(L, 1);
    }
    lua_pushlstring(L, out->buf, out->len);
    kstr_free(out);
    return 1;
}

/* ---------------------------------------------------------------- decoding */

typedef struct {
    const unsigned char *p;
    size_t left;
    int err;   /* 0, or 1 = missing bytes, 2 = bad data */
} mpCursor;

static uint64_t take_be(mpCursor *c, int bytes) {
    if (c->left < (size_t)bytes) {
        c->err = 1;
        return 0;
    }
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++) v = (v << 8) | c->p[i];
    c->p += bytes;
    c->left -= (size_t)bytes;
    return v;
}

static void decode_value(lua_State *L, mpCursor *c);

static void decode_string(lua_State *L, mpCursor *c, size_t len) {
    if (c->err) return;
    if (c->left < len) {
        c->err = 1;
        return;
    }
    lua_pushlstring(L, (const char *)c->p, len);
    c->p += len;
    c->left -= len;
}

static void decode_array(lua_State *L, mpCursor *c, size_t n) {
    if (c->err) return;
    luaL_checkstack(L, 4, "cmsgpack: nesting too deep");
    lua_newtable(L);
    for (size_t i = 1; i <= n && !c->err; i++) {
        decode_value(L, c);
        if (!c->err) lua_rawseti(L, -2, (int)i);
    }
}

static void decode_map(lua_State *L, mpCursor *c, size_t n) {
    if (c->err) return;
    luaL_checkstack(L, 4, "cmsgpack: nesting too deep");
    lua_newtable(L);
    for (size_t i = 0; i < n && !c->err; i++) {
        decode_value(L, c);
        if (c->err) break;
        decode_value(L, c);
        if (c->err) {
            lua_pop(L, 1);
            break;
        }
        if (lua_isnil(L, -2)) lua_pop(L, 2);   /* nil keys can't be stored */
        else lua_settable(L, -3);
    }
}

static void push_float(lua_State *L, mpCursor *c, int bytes) {
    uint64_t bits = take_be(c, bytes);
    if (c->err) return;
    if (bytes == 4) {
        uint32_t b32 = (uint32_t)bits;
        float f;
        memcpy(&f, &b32, 4);
        lua_pushnumber(L, f);
    } else {
        double d;
        memcpy(&d, &bits, 8);
        lua_pushnumber(L, d);
    }
}

/* Pushes one value, or sets c->err (pushing nothing). */
static void decode_value(lua_State *L, mpCursor *c) {
    if (c->left == 0) {
        c->err = 1;
        return;
    }
    unsigned char t = *c->p++;
    c->left--;
    if (t <= 0x7f) { lua_pushnumber(L, t); return; }
    if (t >= 0xe0) { lua_pushnumber(L, (int8_t)t); return; }
    if ((t & 0xe0) == 0xa0) { decode_string(L, c, t & 0x1f); return; }
    if ((t & 0xf0) == 0x90) { decode_array(L, c, t & 0x0f); return; }
    if ((t & 0xf0) == 0x80) { decode_map(L, c, t & 0x0f); return; }
    uint64_t v;
    switch (t) {
    case 0xc0: lua_pushnil(L); return;
    case 0xc2: lua_pushboolean(L, 0); return;
    case 0xc3: lua_pushboolean(L, 1); return;
    case 0xca: push_float(L, c, 4); return;
    case 0xcb: push_float(L, c, 8); return;
    case 0xcc: case 0xcd: case 0xce: case 0xcf:
        v = take_be(c, 1 << (t - 0xcc));
        if (!c->err) lua_pushnumber(L, (lua_Number)v);
        return;
    case 0xd0: v = take_be(c, 1); if (!c->err) lua_pushnumber(L, (int8_t)v); return;
    case 0xd1: v = take_be(c, 2); if (!c->err) lua_pushnumber(L, (int16_t)v); return;
    case 0xd2: v = take_be(c, 4); if (!c->err) lua_pushnumber(L, (int32_t)v); return;
    case 0xd3: v = take_be(c, 8); if (!c->err) lua_pushnumber(L, (lua_Number)(int64_t)v); return;
    case 0xc4: case 0xd9: v = take_be(c, 1); decode_string(L, c, v); return;
    case 0xc5: case 0xda: v = take_be(c, 2); decode_string(L, c, v); return;
    case 0xc6: case 0xdb: v = take_be(c, 4); decode_string(L, c, v); return;
    case 0xdc: v = take_be(c, 2); decode_array(L, c, v); return;
    case 0xdd: v = take_be(c, 4); decode_array(L, c, v); return;
    case 0xde: v = take_be(c, 2); decode_map(L, c, v); return;
    case 0xdf: v = take_be(c, 4); decode_map(L, c, v); return;
    default: c->err = 2; return;
    }
}

/* Decodes from s at offset up to limit values (limit 0 with offset 0: all of them, and no
 * offset is returned); else the next offset (-1 once the input is used up) comes first. The
 * argument checks and messages are lua-cmsgpack's, including its error naming the input length
 * as the limit. */
static int unpack_full(lua_State *L, int limit, int offset) {
    size_t len;
    const char *s = luaL_checklstring(L, 1, &len);
    int all = limit == 0 && offset == 0;
    if (offset < 0 || limit < 0)
        return luaL_error(L, "Invalid request to unpack with offset of %d and limit of %d.", offset, (int)len);
    if ((size_t)offset > len)
        return luaL_error(L, "Start offset %d greater than input length %d.", offset, (int)len);
    lua_settop(L, 1);
    mpCursor c = {(const unsigned char *)s + offset, len - (size_t)offset, 0};
    int n = 0;
    for (; c.left > 0 && (all || n < limit); n++) {
        luaL_checkstack(L, 2, "too many values to unpack");
        decode_value(L, &c);
        if (c.err) return luaL_error(L, c.err == 1 ? "Missing bytes in input." : "Bad data format in input.");
    }
    if (all) return n;
    lua_pushinteger(L, c.left == 0 ? -1 : (lua_Integer)(len - c.left));
    lua_insert(L, 2);
    return n + 1;
}

static int mp_unpack(lua_State *L) {
    return unpack_full(L, 0, 0);
}

static int mp_unpack_one(lua_State *L) {
    return unpack_full(L, 1, (int)luaL_optinteger(L, 2, 0));
}

static int mp_unpack_limit(lua_State *L) {
    int limit = (int)luaL_checkinteger(L, 2);
    return unpack_full(L, limit, (int)luaL_optinteger(L, 3, 0));
}

int luaopen_keel_cmsgpack(lua_State *L) {
    static const luaL_Reg fns[] = {
        {"pack", mp_pack}, {"unpack", mp_unpack}, {"unpack_one", mp_unpack_one},
        {"unpack_limit", mp_unpack_limit}, {NULL, NULL}};
    lua_newtable(L);
    for (int i = 0; fns[i].name; i++) {
        lua_pushcfunction(L, fns[i].func);
        lua_setfield(L, -2, fns[i].name);
    }
    lua_pushstring(L, "lua-cmsgpack");
    lua_setfield(L, -2, "_NAME");
    return 1;
}
