/* lua_struct.c - the `struct` library Redis scripts use: struct.pack(fmt, ...),
 * struct.unpack(fmt, s [, pos]) and struct.size(fmt), with Roberto Ierusalimschy's format
 * language (no Debian package provides it for Lua 5.1, so Keel has its own implementation):
 *
 *   >  big endian        <  little endian       !n  max alignment n (default: native)
 *   x  one pad byte      b/B  signed/unsigned char       h/H  short       l/L  long
 *   T  size_t            i/I[n]  int of n bytes (default sizeof(int))     f  float   d  double
 *   c[n]  n chars (pack: n = 0 means the whole string; unpack: n = 0 takes the length from the
 *         previous value)          s  zero-terminated string          spaces are ignored
 *
 * Integers are packed from Lua numbers truncated to 64 bits; unpack returns the values and
 * then the position after the last byte read. */
#include <ctype.h>
#include <lauxlib.h>
#include <lua.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "scripting/lua_internal.h"

#define MAXINTSIZE 32

typedef struct {
    int little;
    int align;
} fmtState;

static int host_is_little(void) {
    const uint16_t one = 1;
    return *(const char *)&one == 1;
}

/* Reads the optional size after a format letter, or df. */
static size_t opt_size(lua_State *L, const char **fmt, size_t df) {
    if (!isdigit((unsigned char)**fmt)) return df;
    size_t a = 0;
    while (isdigit((unsigned char)**fmt)) {
        if (a > ((size_t)-1) / 10) luaL_error(L, "integral size overflow");
        a = a * 10 + (size_t)(*((*fmt)++) - '0');
    }
    return a;
}

/* Size of one item; handles the state-changing letters (returning 0 for them). */
static size_t item_size(lua_State *L, char opt, const char **fmt) {
    switch (opt) {
    case 'B': case 'b': return 1;
    case 'H': case 'h': return sizeof(short);
    case 'L': case 'l': return sizeof(long);
    case 'T': return sizeof(size_t);
    case 'f': return sizeof(float);
    case 'd': return sizeof(double);
    case 'x': return 1;
    case 'c': return opt_size(L, fmt, 1);
    case 'i': case 'I': {
        size_t sz = opt_size(L, fmt, sizeof(int));
        if (sz > MAXINTSIZE) luaL_error(L, "integral size %d is larger than limit of %d", (int)sz, MAXINTSIZE);
        return sz;
    }
    default: return 0;
    }
}

static size_t padding(const fmtState *h, size_t len, size_t size) {
    size_t align = size;
    if (align <= 1) return 0;
    if (align > (size_t)h->align) align = (size_t)h->align;
    if ((align & (align - 1)) != 0) return 0;   /* only powers of two align */
    return (align - (len & (align - 1))) & (align - 1);
}

/* Applies '<', '>', '!' and ' '; returns 1 if opt was one of them. */
static int control_option(lua_State *L, char opt, const char **fmt, fmtState *h) {
    switch (opt) {
    case ' ': return 1;
    case '>': h->little = 0; return 1;
    case '<': h->little = 1; return 1;
    case '!': {
        size_t a = opt_size(L, fmt, offsetof(struct { char c; double d; }, d));
        if (a == 0 || (a & (a - 1)) != 0) luaL_error(L, "alignment %d is not a power of 2", (int)a);
        h->align = (int)a;
        return 1;
    }
    default: return 0;
    }
}

static int bad_option(lua_State *L, char opt) {
    return luaL_argerror(L, 1, lua_pushfstring(L, "invalid format option '%c'", opt));
}

static void init_state(fmtState *h) {
    h->little = host_is_little();
    h->align = 1;
}

static void put_integer(luaL_Buffer *b, lua_Number n, int little, size_t size) {
    char buf[MAXINTSIZE];
    uint64_t v = n < 0 ? (uint64_t)lua_number_to_ll(n)
                       : n < 18446744073709551616.0 ? (uint64_t)n : 0;   /* NaN: 0 too */
    for (size_t i = 0; i < size; i++) {
        buf[little ? i : size - 1 - i] = (char)(v & 0xff);
        v >>= 8;   /* beyond 8 bytes: zeros, as the original library */
    }
    luaL_addlstring(b, buf, size);
}

/* Copies a float/double in the requested byte order. */
static void put_bytes(luaL_Buffer *b, const void *p, size_t size, int little) {
    const char *s = p;
    if (little == host_is_little()) {
        luaL_addlstring(b, s, size);
    } else {
        for (size_t i = 0; i < size; i++) luaL_addchar(b, s[size - 1 - i]);
    }
}

static int struct_pack(lua_State *L) {
    const char *fmt = luaL_checkstring(L, 1);
    fmtState h;
    init_state(&h);
    int arg = 2;
    size_t total = 0;
    luaL_Buffer b;
    lua_pushnil(L);   /* separates the arguments from the buffer: a missing one reads "nil" */
    luaL_buffinit(L, &b);
    while (*fmt) {
        char opt = *fmt++;
        if (control_option(L, opt, &fmt, &h)) continue;
        size_t size = item_size(L, opt, &fmt);
        size_t pad = opt == 'c' || opt == 's' ? 0 : padding(&h, total, size);
        for (; pad > 0; pad--, total++) luaL_addchar(&b, 0);
        switch (opt) {
        case 'b': case 'B': case 'h': case 'H': case 'l': case 'L': case 'T': case 'i': case 'I':
            put_integer(&b, luaL_checknumber(L, arg++), h.little, size);
            break;
        case 'x':
            luaL_addchar(&b, 0);
            break;
        case 'f': {
            float f = (float)luaL_checknumber(L, arg++);
            put_bytes(&b, &f, sizeof(f), h.little);
            break;
        }
        case 'd': {
            double d = luaL_checknumber(L, arg++);
            put_bytes(&b, &d, sizeof(d), h.little);
            break;
        }
        case 'c': case 's': {
            size_t l;
            const char *s = luaL_checklstring(L, arg, &l);
            if (opt == 's') {
                size = l + 1;
                luaL_addlstring(&b, s, l);
                luaL_addchar(&b, 0);
            } else {
                if (size == 0) size = l;
                luaL_argcheck(L, l >= size, arg, "string too short");
                luaL_addlstring(&b, s, size);
            }
            arg++;
            break;
        }
        default:
            return bad_option(L, opt);
        }
        total += size;
    }
    luaL_pushresult(&b);
    return 1;
}

static lua_Number get_integer(const char *p, int little, int is_signed, size_t size) {
    uint64_t v = 0;
    size_t n = size > 8 ? 8 : size;
    for (size_t i = 0; i < n; i++) {
        unsigned char byte = (unsigned char)p[little ? n - 1 - i : size - n + i];
        v = (v << 8) | byte;
    }
    if (is_signed && n > 0 && n < 8 && (v >> (8 * n - 1)) & 1) v |= ~(uint64_t)0 << (8 * n);
    return is_signed ? (lua_Number)(int64_t)v : (lua_Number)v;
}

static void get_bytes(void *out, const char *p, size_t size, int little) {
    char *o = out;
    if (little == host_is_little()) {
        memcpy(o, p, size);
    } else {
        for (size_t i = 0; i < size; i++) o[i] = p[size - 1 - i];
    }
}

static int struct_unpack(lua_State *L) {
    const char *fmt = luaL_checkstring(L, 1);
    size_t ld;
    const char *data = luaL_checklstring(L, 2, &ld);
    lua_Integer first = luaL_optinteger(L, 3, 1);
    luaL_argcheck(L, first != 0, 3, "offset must be 1 or greater");
    size_t pos = (size_t)first - 1;   /* negative: huge, so "data string too short" below */
    fmtState h;
    init_state(&h);
    int n = 0;
    while (*fmt) {
        char opt = *fmt++;
        if (control_option(L, opt, &fmt, &h)) continue;
        size_t size = item_size(L, opt, &fmt);
        if (opt != 'c' && opt != 's') pos += padding(&h, pos, size);
        luaL_argcheck(L, size <= ld && pos <= ld - size, 2, "data string too short");
        luaL_checkstack(L, 2, "too many results");
        switch (opt) {
        case 'b': case 'B': case 'h': case 'H': case 'l': case 'L': case 'T': case 'i': case 'I':
            lua_pushnumber(L, get_integer(data + pos, h.little, islower((unsigned char)opt), size));
            n++;
            break;
        case 'x':
            break;
        case 'f': {
            float f;
            get_bytes(&f, data + pos, sizeof(f), h.little);
            lua_pushnumber(L, f);
            n++;
            break;
        }
        case 'd': {
            double d;
            get_bytes(&d, data + pos, sizeof(d), h.little);
            lua_pushnumber(L, d);
            n++;
            break;
        }
        case 'c':
            if (size == 0) {
                if (n == 0 || !lua_isnumber(L, -1)) luaL_error(L, "format 'c0' needs a previous size");
                lua_Number len = lua_tonumber(L, -1);
                size = len >= 0 && len <= (lua_Number)ld ? (size_t)len : (size_t)-1;   /* -> too short */
                lua_pop(L, 1);
                n--;
                luaL_argcheck(L, size <= ld && pos <= ld - size, 2, "data string too short");
            }
            lua_pushlstring(L, data + pos, size);
            n++;
            break;
        case 's': {
            const char *e = memchr(data + pos, 0, ld - pos);
            if (!e) luaL_error(L, "unfinished string in data");
            size = (size_t)(e - (data + pos)) + 1;
            lua_pushlstring(L, data + pos, size - 1);
            n++;
            break;
        }
        default:
            return bad_option(L, opt);
        }
        pos += size;
    }
    lua_pushinteger(L, (lua_Integer)pos + 1);
    return n + 1;
}

static int struct_size(lua_State *L) {
    const char *fmt = luaL_checkstring(L, 1);
    fmtState h;
    init_state(&h);
    size_t pos = 0;
    while (*fmt) {
        char opt = *fmt++;
        if (control_option(L, opt, &fmt, &h)) continue;
        size_t size = item_size(L, opt, &fmt);
        if (opt == 's') luaL_argerror(L, 1, "options 's' has no fixed size");
        if (opt == 'c' && size == 0) luaL_argerror(L, 1, "options 'c0' has no fixed size");
        if (opt != 'c') pos += padding(&h, pos, size);
        pos += size;
    }
    lua_pushinteger(L, (lua_Integer)pos);
    return 1;
}

int luaopen_keel_struct(lua_State *L) {
    static const luaL_Reg fns[] = {
        {"pack", struct_pack}, {"unpack", struct_unpack}, {"size", struct_size}, {NULL, NULL}};
    lua_newtable(L);
    for (int i = 0; fns[i].name; i++) {
        lua_pushcfunction(L, fns[i].func);
        lua_setfield(L, -2, fns[i].name);
    }
    return 1;
}
