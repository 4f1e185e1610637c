/* lua_debugger.c - the Lua debugger (LDB) of SCRIPT DEBUG SYNC, as Redis 7.0's synchronous mode.
 *
 * A client that sent SCRIPT DEBUG SYNC starts a session with its next EVAL: the script runs with
 * a line hook (ldb_line_hook) that stops at the first line and wherever a breakpoint,
 * redis.breakpoint() or a step asks, and then talks to that client only. The server does nothing
 * else meanwhile (sync mode blocks, as Redis's): the hook writes the collected log lines to the
 * client's socket as an array of status replies and reads the client's debugger commands (RESP
 * arrays) from the socket itself, blocking, with Redis's deliberately simple parser
 * (parse_command). When the script ends, "<endsession>" is sent, the EVAL reply follows through
 * the client's normal output, and the client is closed after it.
 *
 * SCRIPT DEBUG YES (Redis forks a child that debugs on a copy of the data) is refused: Keel
 * never forks.
 *
 * Invariants: ldb.active only between ldb_session_start and ldb_session_end (one EVAL); the
 * log list is empty outside a session once sent; ldb.client is the debugging client while
 * active. Nothing here allocates on the Lua stack beyond what it pops again. */
#include <errno.h>
#include <lauxlib.h>
#include <lua.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/tls.h"
#include "protocol/reply.h"
#include "scripting/lua_internal.h"
#include "scripting/script.h"
#include "util/kstr.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/util.h"

#define LDB_BREAKPOINTS_MAX 64
#define LDB_MAX_LEN_DEFAULT 256
#define LDB_MAX_VALUES_DEPTH (LUA_MINSTACK / 2)
#define LDB_MAX_ARGS 1024          /* the parser's limits, as Redis's */
#define LDB_MAX_ARG_LEN 1024
#define LDB_MAX_CBUF (1 << 20)
#define LDB_SEND_TIMEOUT_MS 5000

static struct {
    int active;              /* an EVAL is being debugged */
    client *client;          /* its client (I/O goes straight to its socket) */
    kstr **logs;             /* log lines not sent yet */
    int nlogs, logs_cap;
    int bp[LDB_BREAKPOINTS_MAX];
    int bpcount;
    int step;                /* stop at the next line */
    int luabp;               /* redis.breakpoint() was called: stop at the next line */
    kstr **src;              /* the script's lines */
    int lines;
    int currentline;
    kstr *cbuf;              /* debugger commands read and not parsed yet */
    size_t maxlen;           /* trim replies and values to this (0: no limit) */
    int maxlen_hint_sent;
    long long start_ms;      /* the timeout's origin: session start or the last stop */
} ldb;

/* ---------------------------------------------------------------- modes (SCRIPT DEBUG) */

void ldb_enable(client *c, int sync) {
    c->flags |= CLIENT_LUA_DEBUG;
    if (sync) c->flags |= CLIENT_LUA_DEBUG_SYNC;
    ldb.step = 1;
    ldb.bpcount = 0;
    ldb.luabp = 0;
    ldb.maxlen = LDB_MAX_LEN_DEFAULT;
    ldb.maxlen_hint_sent = 0;
}

void ldb_disable(client *c) {
    c->flags &= ~(CLIENT_LUA_DEBUG | CLIENT_LUA_DEBUG_SYNC);
}

int ldb_active(void) {
    return ldb.active;
}

int ldb_logging(void) {
    return ldb.active && ldb.step;
}

/* ---------------------------------------------------------------- the log */

static void ldb_log(kstr *entry) {
    if (ldb.nlogs == ldb.logs_cap) {
        ldb.logs_cap = ldb.logs_cap ? ldb.logs_cap * 2 : 16;
        ldb.logs = krealloc(ldb.logs, sizeof(kstr *) * (size_t)ldb.logs_cap);
    }
    ldb.logs[ldb.nlogs++] = entry;
}

static void ldb_logc(const char *s) {
    ldb_log(kstr_new(s, strlen(s)));
}

static void ldb_flush_log(void) {
    for (int i = 0; i < ldb.nlogs; i++) kstr_free(ldb.logs[i]);
    ldb.nlogs = 0;
}

/* Logs entry trimmed to maxlen (" ..." marks a cut); the first cut also logs a hint. */
static void ldb_log_maxlen(kstr *entry) {
    int trimmed = 0;
    if (ldb.maxlen && entry->len > ldb.maxlen) {
        entry->len = ldb.maxlen;
        entry->buf[entry->len] = '\0';
        entry = kstr_cat(entry, " ...", 4);
        trimmed = 1;
    }
    ldb_log(entry);
    if (trimmed && !ldb.maxlen_hint_sent) {
        ldb.maxlen_hint_sent = 1;
        ldb_logc("<hint> The above reply was trimmed. Use 'maxlen 0' to disable trimming.");
    }
}

/* Writes all of buf to the debugging client's socket, waiting at most LDB_SEND_TIMEOUT_MS for
 * room (as Redis's send timeout); errors are ignored (the next read sees the disconnect). */
static void ldb_write(const char *buf, size_t len) {
    client *c = ldb.client;
    if (!c || c->fd < 0) return;
    long long deadline = mstime() + LDB_SEND_TIMEOUT_MS;
    while (len > 0) {
        ssize_t w = c->tls ? tls_write(c, buf, len) : write(c->fd, buf, len);
        if (w > 0) {
            server.stat_net_output_bytes += w;
            buf += w;
            len -= (size_t)w;
            continue;
        }
        if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return;
        long long left = deadline - mstime();
        if (left <= 0) return;
        struct pollfd p = {.fd = c->fd, .events = POLLOUT | (c->tls ? POLLIN : 0)};
        if (poll(&p, 1, c->tls ? (left < 50 ? (int)left : 50) : (int)left) < 0 && errno != EINTR) return;
    }
}

/* Sends the log lines as an array of status replies (CR and LF become spaces) and empties it. */
static void ldb_send_logs(void) {
    kstr *out = kstr_catfmt(kstr_empty(256), "*%d\r\n", ldb.nlogs);
    for (int i = 0; i < ldb.nlogs; i++) {
        kstr *e = ldb.logs[i];
        for (size_t j = 0; j < e->len; j++)
            if (e->buf[j] == '\r' || e->buf[j] == '\n') e->buf[j] = ' ';
        out = kstr_cat(out, "+", 1);
        out = kstr_cat(out, e->buf, e->len);
        out = kstr_cat(out, "\r\n", 2);
    }
    ldb_flush_log();
    ldb_write(out->buf, out->len);
    kstr_free(out);
}

/* Reads what the client sent into cbuf, blocking. Returns the bytes read, <= 0 when the
 * connection is gone. */
static ssize_t ldb_read(void) {
    client *c = ldb.client;
    if (!c || c->fd < 0) return 0;
    char buf[1024];
    for (;;) {
        ssize_t n = c->tls ? tls_read(c, buf, sizeof(buf)) : read(c->fd, buf, sizeof(buf));
        if (n > 0) {
            server.stat_net_input_bytes += n;
            ldb.cbuf = kstr_cat(ldb.cbuf, buf, (size_t)n);
            return n;
        }
        if (n == 0) return 0;
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return -1;
        struct pollfd p = {.fd = c->fd, .events = POLLIN};
        if (poll(&p, 1, c->tls ? 50 : -1) < 0 && errno != EINTR) return -1;
    }
}

/* ---------------------------------------------------------------- the session */

static void free_source(void) {
    for (int i = 0; i < ldb.lines; i++) kstr_free(ldb.src[i]);
    kfree(ldb.src);
    ldb.src = NULL;
    ldb.lines = 0;
}

/* Splits the script (trailing CR/LF dropped) into its lines, as the debugger shows them. */
static void load_source(const char *body, size_t len) {
    while (len && (body[len - 1] == '\n' || body[len - 1] == '\r')) len--;
    free_source();
    if (len == 0) return;
    int cap = 16;
    ldb.src = kmalloc(sizeof(kstr *) * (size_t)cap);
    const char *p = body, *end = body + len;
    for (;;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *stop = nl ? nl : end;
        if (ldb.lines == cap) {
            cap *= 2;
            ldb.src = krealloc(ldb.src, sizeof(kstr *) * (size_t)cap);
        }
        ldb.src[ldb.lines++] = kstr_new(p, (size_t)(stop - p));
        if (!nl) break;
        p = nl + 1;
    }
}

/* EVAL of a client in debug mode: the whole command runs inside a session. */
void ldb_eval(client *c, int readonly) {
    log_msg(LL_WARNING, "Redis synchronous debugging eval session started");
    /* Replies already queued for the client (an EXEC's header, when the EVAL runs in a
     * transaction) go after the session's lines, as in Redis, which writes them to the socket
     * directly too. */
    ldb.client = c;
    ldb.active = 1;
    ldb.start_ms = mstime();
    ldb_flush_log();
    load_source(c->argv[1].ptr, c->argv[1].len);
    /* What the client pipelined behind the EVAL is its first debugger input (Redis would leave
     * it unread in the query buffer). */
    if (!ldb.cbuf) ldb.cbuf = kstr_empty(64);
    ldb.cbuf->len = 0;
    if (c->qpos < c->querybuf->len) ldb.cbuf = kstr_cat(ldb.cbuf, c->querybuf->buf + c->qpos, c->querybuf->len - c->qpos);

    script_eval(c, 0, readonly);

    ldb_logc("<endsession>");
    ldb_send_logs();
    log_msg(LL_WARNING, "Redis synchronous debugging eval session ended");
    /* The end of the session is the end of the connection, after the EVAL reply. */
    c->flags |= CLIENT_CLOSE_AFTER_REPLY;
    free_source();
    ldb.cbuf->len = 0;
    ldb.active = 0;
    ldb.client = NULL;
    ldb_disable(c);
}

/* ---------------------------------------------------------------- showing things */

static const char *source_line(int line) {
    int idx = line - 1;
    if (idx < 0 || idx >= ldb.lines) return "<out of range source code line>";
    return ldb.src[idx]->buf;
}

static int is_breakpoint(int line) {
    for (int i = 0; i < ldb.bpcount; i++)
        if (ldb.bp[i] == line) return 1;
    return 0;
}

/* 1 if added; 0 for a line out of the script, one already set, or no room left. */
static int add_breakpoint(long line) {
    if (line <= 0 || line > ldb.lines) return 0;
    if (!is_breakpoint((int)line) && ldb.bpcount != LDB_BREAKPOINTS_MAX) {
        ldb.bp[ldb.bpcount++] = (int)line;
        return 1;
    }
    return 0;
}

static int del_breakpoint(long line) {
    for (int i = 0; i < ldb.bpcount; i++) {
        if (ldb.bp[i] == line) {
            ldb.bpcount--;
            memmove(ldb.bp + i, ldb.bp + i + 1, sizeof(int) * (size_t)(ldb.bpcount - i));
            return 1;
        }
    }
    return 0;
}

static void log_source_line(int line) {
    int bp = is_breakpoint(line), current = ldb.currentline == line;
    const char *prefix = current && bp ? "->#" : current ? "-> " : bp ? "  #" : "   ";
    ldb_log(kstr_catfmt(kstr_empty(64), "%s%-3d %s", prefix, line, source_line(line)));
}

static void ldb_list(int around, int context) {
    for (int j = 1; j <= ldb.lines; j++) {
        if (around != 0 && abs(around - j) > context) continue;
        log_source_line(j);
    }
}

/* Appends a readable form of the Lua value at idx: strings quoted and escaped, numbers with
 * %g, tables as {a; b} (arrays) or {[k]=v; ...}, other objects as "type@pointer". */
static kstr *cat_value(kstr *s, lua_State *L, int idx, int level) {
    if (level++ == LDB_MAX_VALUES_DEPTH) return kstr_catc(s, "<max recursion level reached! Nested table?>");
    if (idx < 0 && idx > LUA_REGISTRYINDEX) idx = lua_gettop(L) + idx + 1;
    int t = lua_type(L, idx);
    switch (t) {
    case LUA_TSTRING: {
        size_t len;
        const char *p = lua_tolstring(L, idx, &len);
        return kstr_catrepr(s, p, len);
    }
    case LUA_TBOOLEAN:
        return kstr_catc(s, lua_toboolean(L, idx) ? "true" : "false");
    case LUA_TNUMBER:
        return kstr_catfmt(s, "%g", (double)lua_tonumber(L, idx));
    case LUA_TNIL:
        return kstr_catc(s, "nil");
    case LUA_TTABLE: {
        if (!lua_checkstack(L, 3)) return kstr_catc(s, "<max recursion level reached! Nested table?>");
        int expected = 1, is_array = 1;
        kstr *arr = kstr_empty(32), *full = kstr_empty(32);
        lua_pushnil(L);
        while (lua_next(L, idx)) {
            if (is_array && (lua_type(L, -2) != LUA_TNUMBER || lua_tonumber(L, -2) != expected)) is_array = 0;
            arr = cat_value(arr, L, -1, level);
            arr = kstr_cat(arr, "; ", 2);
            full = kstr_cat(full, "[", 1);
            full = cat_value(full, L, -2, level);
            full = kstr_cat(full, "]=", 2);
            full = cat_value(full, L, -1, level);
            full = kstr_cat(full, "; ", 2);
            lua_pop(L, 1);
            expected++;
        }
        if (arr->len) arr->len -= 2;
        if (full->len) full->len -= 2;
        kstr *pick = is_array ? arr : full;
        s = kstr_cat(s, "{", 1);
        s = kstr_cat(s, pick->buf, pick->len);
        s = kstr_cat(s, "}", 1);
        kstr_free(arr);
        kstr_free(full);
        return s;
    }
    case LUA_TFUNCTION:
    case LUA_TUSERDATA:
    case LUA_TTHREAD:
    case LUA_TLIGHTUSERDATA: {
        const char *name = t == LUA_TFUNCTION ? "function"
                           : t == LUA_TUSERDATA ? "userdata"
                           : t == LUA_TTHREAD  ? "thread"
                                                : "light-userdata";
        return kstr_catfmt(s, "\"%s@%p\"", name, lua_topointer(L, idx));
    }
    default:
        return kstr_catc(s, "\"<unknown-lua-type>\"");
    }
}

static void log_stack_value(lua_State *L, const char *prefix) {
    ldb_log_maxlen(cat_value(kstr_new(prefix, strlen(prefix)), L, -1, 0));
}

/* A RESP reply in the debugger's human form; returns the bytes used (all of them when the
 * reply is cut short, which a command's own reply never is). */
static size_t cat_reply(kstr **o, const char *p, const char *end) {
    if (p >= end) return 0;
    const char *cr = memchr(p, '\r', (size_t)(end - p));
    if (!cr || cr + 1 >= end) return (size_t)(end - p);
    const char *next = cr + 2;
    long long n = 0;
    switch (*p) {
    case ':':
        *o = kstr_cat(*o, p + 1, (size_t)(cr - p - 1));
        return (size_t)(next - p);
    case '+':
    case '-':
        *o = kstr_catrepr(*o, p, (size_t)(cr - p));
        return (size_t)(next - p);
    case '$':
        str_to_ll(p + 1, (size_t)(cr - p - 1), &n);
        if (n < 0) {
            *o = kstr_cat(*o, "NULL", 4);
            return (size_t)(next - p);
        }
        if (n > end - next) n = end - next;
        *o = kstr_catrepr(*o, next, (size_t)n);
        next += n + 2;
        return next > end ? (size_t)(end - p) : (size_t)(next - p);
    case '_':
        *o = kstr_cat(*o, "(null)", 6);
        return (size_t)(next - p);
    case '#':
        *o = kstr_catc(*o, p[1] == 't' ? "#true" : "#false");
        return (size_t)(next - p);
    case ',':
        *o = kstr_cat(*o, "(double) ", 9);
        *o = kstr_cat(*o, p + 1, (size_t)(cr - p - 1));
        return (size_t)(next - p);
    case '*':
    case '~':
    case '%': {
        str_to_ll(p + 1, (size_t)(cr - p - 1), &n);
        if (*p == '*' && n < 0) {
            *o = kstr_cat(*o, "NULL", 4);
            return (size_t)(next - p);
        }
        *o = kstr_catc(*o, *p == '*' ? "[" : *p == '~' ? "~(" : "{");
        for (long long j = 0; j < n && next < end; j++) {
            next += cat_reply(o, next, end);
            if (*p == '%') {
                *o = kstr_cat(*o, " => ", 4);
                next += cat_reply(o, next, end);
            }
            if (j != n - 1) *o = kstr_cat(*o, ",", 1);
        }
        *o = kstr_catc(*o, *p == '*' ? "]" : *p == '~' ? ")" : "}");
        return (size_t)(next - p);
    }
    default: {
        /* Types Redis's debugger doesn't show (big numbers, verbatim strings, attributes):
         * nothing is shown, the element is skipped. */
        if (*p == '=' ) {
            str_to_ll(p + 1, (size_t)(cr - p - 1), &n);
            next += n + 2;
        } else if (*p == '|') {
            str_to_ll(p + 1, (size_t)(cr - p - 1), &n);
            for (long long j = 0; j < 2 * n && next < end; j++) {
                kstr *skip = kstr_empty(16);
                next += cat_reply(&skip, next, end);
                kstr_free(skip);
            }
        }
        return next > end ? (size_t)(end - p) : (size_t)(next - p);
    }
    }
}

static void log_redis_reply(const char *buf, size_t len) {
    kstr *s = kstr_new("<reply> ", 8);
    cat_reply(&s, buf, buf + len);
    ldb_log_maxlen(s);
}

/* ---------------------------------------------------------------- hooks in the engine */

void ldb_log_command(int argc, const karg *argv) {
    kstr *s = kstr_new("<redis>", 7);
    for (int j = 0; j < argc; j++) {
        if (j == 10) {
            s = kstr_catfmt(s, " ... (%d more)", argc - j - 1);
            break;
        }
        s = kstr_cat(s, " ", 1);
        s = kstr_cat(s, argv[j].ptr, argv[j].len);
    }
    ldb_log(s);
}

void ldb_log_reply(const char *buf, size_t len) {
    log_redis_reply(buf, len);
}

void ldb_log_error(const char *msg, size_t len) {
    kstr *s = kstr_new("<error> ", 8);
    ldb_log(kstr_cat(s, msg, len));
}

int ldb_redis_breakpoint(lua_State *L) {
    if (ldb.active) ldb.luabp = 1;
    lua_pushboolean(L, ldb.active);
    return 1;
}

int ldb_redis_debug(lua_State *L) {
    if (!ldb.active) return 0;
    int argc = lua_gettop(L);
    kstr *s = kstr_catfmt(kstr_empty(64), "<debug> line %d: ", ldb.currentline);
    for (int i = 1; i <= argc; i++) {
        s = cat_value(s, L, i, 0);
        if (i != argc) s = kstr_cat(s, ", ", 2);
    }
    ldb_log(s);
    return 0;
}

/* ---------------------------------------------------------------- debugger commands */

typedef struct {
    int argc;
    kstr **argv;
} ldbCmd;

static void free_cmd(ldbCmd *cmd) {
    for (int i = 0; i < cmd->argc; i++) kstr_free(cmd->argv[i]);
    kfree(cmd->argv);
    cmd->argv = NULL;
    cmd->argc = 0;
}

/* atoi() of the digits between p and the CR: a length field of the protocol. */
static long field_number(const char *p, const char *cr) {
    char num[32];
    size_t n = (size_t)(cr - p);
    if (n >= sizeof(num)) n = sizeof(num) - 1;
    memcpy(num, p, n);
    num[n] = '\0';
    return atol(num);
}

/* Parses one command (a RESP array of bulk strings) from cbuf, as forgiving and as strict as
 * Redis's debugger: bytes before the '*' are skipped, at most 1024 arguments of 1 to 1024 bytes.
 * Returns 1 with *cmd filled, 0 to read more, -1 on a protocol error. */
static int parse_command(ldbCmd *cmd) {
    const char *buf = ldb.cbuf->buf, *end = buf + ldb.cbuf->len;
    cmd->argc = 0;
    cmd->argv = NULL;
    if (ldb.cbuf->len == 0) return 0;
    const char *p = memchr(buf, '*', ldb.cbuf->len);
    if (!p) return -1;
    const char *cr = memmem(p, (size_t)(end - p), "\r\n", 2);
    if (!cr) return 0;
    long argc = field_number(p + 1, cr);
    if (argc <= 0 || argc > LDB_MAX_ARGS) return -1;
    p = cr + 2;
    cmd->argv = kmalloc(sizeof(kstr *) * (size_t)argc);
    while (cmd->argc < argc) {
        if (p >= end) goto more;
        if (*p != '$') goto error;
        cr = memmem(p, (size_t)(end - p), "\r\n", 2);
        if (!cr) goto more;
        long len = field_number(p + 1, cr);
        if (len <= 0 || len > LDB_MAX_ARG_LEN) goto error;
        p = cr + 2;
        if (end - p < len + 2) goto more;
        cmd->argv[cmd->argc++] = kstr_new(p, (size_t)len);
        p += len;
        if (p[0] != '\r' || p[1] != '\n') goto error;
        p += 2;
    }
    return 1;
error:
    free_cmd(cmd);
    return -1;
more:
    free_cmd(cmd);
    return 0;
}

/* Raises the Lua error {err="ERR msg"} from inside the hook: the script ends with it. */
static int raise_error(lua_State *L, const char *msg) {
    lua_push_error_table(L, msg, strlen(msg), 0);
    return lua_error(L);
}

static int is_cmd(const kstr *a, const char *name, const char *alias) {
    return strcasecmp(a->buf, name) == 0 || strcasecmp(a->buf, alias) == 0;
}

static void cmd_help(void) {
    static const char *const lines[] = {
        "Redis Lua debugger help:",
        "[h]elp               Show this help.",
        "[s]tep               Run current line and stop again.",
        "[n]ext               Alias for step.",
        "[c]ontinue           Run till next breakpoint.",
        "[l]ist               List source code around current line.",
        "[l]ist [line]        List source code around [line].",
        "                     line = 0 means: current position.",
        "[l]ist [line] [ctx]  In this form [ctx] specifies how many lines",
        "                     to show before/after [line].",
        "[w]hole              List all source code. Alias for 'list 1 1000000'.",
        "[p]rint              Show all the local variables.",
        "[p]rint <var>        Show the value of the specified variable.",
        "                     Can also show global vars KEYS and ARGV.",
        "[b]reak              Show all breakpoints.",
        "[b]reak <line>       Add a breakpoint to the specified line.",
        "[b]reak -<line>      Remove breakpoint from the specified line.",
        "[b]reak 0            Remove all breakpoints.",
        "[t]race              Show a backtrace.",
        "[e]val <code>        Execute some Lua code (in a different callframe).",
        "[r]edis <cmd>        Execute a Redis command.",
        "[m]axlen [len]       Trim logged Redis replies and Lua var dumps to len.",
        "                     Specifying zero as <len> means unlimited.",
        "[a]bort              Stop the execution of the script. In sync",
        "                     mode dataset changes will be retained.",
        "",
        "Debugger functions you can call from Lua scripts:",
        "redis.debug()        Produce logs in the debugger console.",
        "redis.breakpoint()   Stop execution like if there was a breakpoint in the",
        "                     next line of code.",
        NULL,
    };
    for (int i = 0; lines[i]; i++) ldb_logc(lines[i]);
}

static void cmd_print_var(lua_State *L, const char *name) {
    lua_Debug ar;
    for (int level = 0; lua_getstack(L, level, &ar); level++) {
        const char *local;
        for (int i = 1; (local = lua_getlocal(L, &ar, i)) != NULL; i++) {
            if (strcmp(name, local) == 0) {
                log_stack_value(L, "<value> ");
                lua_pop(L, 1);
                return;
            }
            lua_pop(L, 1);
        }
    }
    if (strcmp(name, "ARGV") == 0 || strcmp(name, "KEYS") == 0) {
        lua_getglobal(L, name);
        log_stack_value(L, "<value> ");
        lua_pop(L, 1);
    } else {
        ldb_logc("No such variable.");
    }
}

static void cmd_print_all(lua_State *L) {
    lua_Debug ar;
    int vars = 0;
    if (lua_getstack(L, 0, &ar)) {
        const char *name;
        for (int i = 1; (name = lua_getlocal(L, &ar, i)) != NULL; i++) {
            if (!strstr(name, "(*temporary)")) {
                kstr *prefix = kstr_catfmt(kstr_empty(32), "<value> %s = ", name);
                log_stack_value(L, prefix->buf);
                kstr_free(prefix);
                vars++;
            }
            lua_pop(L, 1);
        }
    }
    if (vars == 0) ldb_logc("No local variables in the current context.");
}

static void cmd_break(ldbCmd *cmd) {
    if (cmd->argc == 1) {
        if (ldb.bpcount == 0) {
            ldb_logc("No breakpoints set. Use 'b <line>' to add one.");
            return;
        }
        ldb_log(kstr_catfmt(kstr_empty(32), "%d breakpoints set:", ldb.bpcount));
        for (int i = 0; i < ldb.bpcount; i++) log_source_line(ldb.bp[i]);
        return;
    }
    for (int j = 1; j < cmd->argc; j++) {
        kstr *arg = cmd->argv[j];
        long long line;
        if (!str_to_ll(arg->buf, arg->len, &line)) {
            ldb_log(kstr_catfmt(kstr_empty(32), "Invalid argument:'%s'", arg->buf));
        } else if (line == 0) {
            ldb.bpcount = 0;
            ldb_logc("All breakpoints removed.");
        } else if (line > 0) {
            if (ldb.bpcount == LDB_BREAKPOINTS_MAX) ldb_logc("Too many breakpoints set.");
            else if (add_breakpoint(line > 0x7fffffff ? 0 : (long)line)) ldb_list((int)line, 1);
            else ldb_logc("Wrong line number.");
        } else {
            if (line >= -0x7fffffff && del_breakpoint((long)-line)) ldb_logc("Breakpoint removed.");
            else ldb_logc("No breakpoint in the specified line.");
        }
    }
}

/* The text of the error value on top of the stack (an {err=...} table gives its err). */
static const char *error_text(lua_State *L) {
    if (lua_istable(L, -1)) {
        lua_getfield(L, -1, "err");
        const char *s = lua_tostring(L, -1);
        lua_pop(L, 1);   /* the table still holds the string */
        return s ? s : "(error object is a table value)";
    }
    const char *s = lua_tostring(L, -1);
    return s ? s : "(error object is not a string)";
}

static void cmd_eval(lua_State *L, ldbCmd *cmd) {
    kstr *code = kstr_empty(64);
    for (int i = 1; i < cmd->argc; i++) {
        if (i > 1) code = kstr_cat(code, " ", 1);
        code = kstr_cat(code, cmd->argv[i]->buf, cmd->argv[i]->len);
    }
    kstr *expr = kstr_cat(kstr_new("return ", 7), code->buf, code->len);
    /* An expression first ("return " in front), else a statement. */
    int rc = luaL_loadbuffer(L, expr->buf, expr->len, "@ldb_eval");
    if (rc) {
        lua_pop(L, 1);
        rc = luaL_loadbuffer(L, code->buf, code->len, "@ldb_eval");
    }
    kstr_free(code);
    kstr_free(expr);
    if (rc) {
        ldb_log(kstr_catfmt(kstr_empty(64), "<error> %s", error_text(L)));
        lua_pop(L, 1);
        return;
    }
    script_set_env(L);   /* the scripts' read-only globals, as the script itself sees them */
    if (lua_pcall(L, 0, 1, 0)) {
        ldb_log(kstr_catfmt(kstr_empty(64), "<error> %s", error_text(L)));
        lua_pop(L, 1);
        return;
    }
    log_stack_value(L, "<retval> ");
    lua_pop(L, 1);
}

/* "redis <cmd> ...": redis.call with logging on, so the command and its reply are logged. */
static void cmd_redis(lua_State *L, ldbCmd *cmd) {
    if (!lua_checkstack(L, cmd->argc + 1)) {
        log_redis_reply("max lua stack reached", strlen("max lua stack reached"));
        return;
    }
    lua_getglobal(L, "redis");
    lua_getfield(L, -1, "call");
    for (int j = 1; j < cmd->argc; j++) lua_pushlstring(L, cmd->argv[j]->buf, cmd->argv[j]->len);
    ldb.step = 1;
    lua_pcall(L, cmd->argc - 1, 1, 0);
    ldb.step = 0;
    lua_pop(L, 2);
}

static void cmd_trace(lua_State *L) {
    lua_Debug ar;
    int level = 0;
    while (lua_getstack(L, level, &ar)) {
        lua_getinfo(L, "Snl", &ar);
        if (strstr(ar.short_src, "user_script")) {
            ldb_log(kstr_catfmt(kstr_empty(32), "%s %s:", level == 0 ? "In" : "From", ar.name ? ar.name : "top level"));
            log_source_line(ar.currentline);
        }
        level++;
    }
    if (level == 0) ldb_logc("<error> Can't retrieve Lua stack.");
}

static void cmd_maxlen(ldbCmd *cmd) {
    if (cmd->argc == 2) {
        int v = atoi(cmd->argv[1]->buf);
        ldb.maxlen_hint_sent = 1;
        if (v != 0 && v <= 60) v = 60;
        ldb.maxlen = (size_t)v;
    }
    if (ldb.maxlen) ldb_log(kstr_catfmt(kstr_empty(64), "<value> replies are truncated at %d bytes.", (int)ldb.maxlen));
    else ldb_logc("<value> replies are unlimited.");
}

/* Reads and runs debugger commands until one resumes the script. Returns 0, or -1 when the
 * client went away (the script then runs to its end without stopping). */
static int ldb_repl(lua_State *L) {
    for (;;) {
        ldbCmd cmd;
        int r;
        while ((r = parse_command(&cmd)) != 1) {
            if (r < 0) raise_error(L, "protocol error");
            if (ldb_read() <= 0) {
                ldb.step = 0;
                ldb.bpcount = 0;
                return -1;
            }
            if (ldb.cbuf->len > LDB_MAX_CBUF) {
                ldb.cbuf->len = 0;
                raise_error(L, "max client buffer reached");
            }
        }
        ldb.cbuf->len = 0;
        kstr *a0 = cmd.argv[0];
        int resume = 0;
        if (is_cmd(a0, "h", "help")) {
            cmd_help();
        } else if (is_cmd(a0, "s", "step") || is_cmd(a0, "n", "next")) {
            ldb.step = 1;
            resume = 1;
        } else if (is_cmd(a0, "c", "continue")) {
            resume = 1;
        } else if (is_cmd(a0, "t", "trace")) {
            cmd_trace(L);
        } else if (is_cmd(a0, "m", "maxlen")) {
            cmd_maxlen(&cmd);
        } else if (is_cmd(a0, "b", "break")) {
            cmd_break(&cmd);
        } else if (is_cmd(a0, "e", "eval")) {
            cmd_eval(L, &cmd);
        } else if (is_cmd(a0, "a", "abort")) {
            free_cmd(&cmd);
            raise_error(L, "script aborted for user request");
        } else if (cmd.argc > 1 && is_cmd(a0, "r", "redis")) {
            cmd_redis(L, &cmd);
        } else if (is_cmd(a0, "p", "print")) {
            if (cmd.argc == 2) cmd_print_var(L, cmd.argv[1]->buf);
            else cmd_print_all(L);
        } else if (is_cmd(a0, "l", "list")) {
            int around = ldb.currentline, ctx = 5;
            if (cmd.argc > 1) {
                int num = atoi(cmd.argv[1]->buf);
                if (num > 0) around = num;
            }
            if (cmd.argc > 2) ctx = atoi(cmd.argv[2]->buf);
            ldb_list(around, ctx);
        } else if (is_cmd(a0, "w", "whole")) {
            ldb_list(1, 1000000);
        } else {
            ldb_logc("<error> Unknown Redis Lua debugger command or wrong number of arguments.");
        }
        free_cmd(&cmd);
        if (resume) return 0;
        ldb_send_logs();
    }
}

/* The line (and count) hook of a debugged script: stops where asked, and after the time limit
 * when the script runs on without stopping (an infinite loop?). */
static void ldb_line_hook(lua_State *L, lua_Debug *ar) {
    lua_getstack(L, 0, ar);
    lua_getinfo(L, "Sl", ar);
    ldb.currentline = ar->currentline;
    int bp = is_breakpoint(ldb.currentline) || ldb.luabp;
    int timeout = 0;
    if (!strstr(ar->short_src, "user_script")) return;
    if (ar->event == LUA_HOOKCOUNT && ldb.step == 0 && bp == 0) {
        long long limit = server.busy_reply_threshold ? server.busy_reply_threshold : 5000;
        if (mstime() - ldb.start_ms < limit) return;
        timeout = 1;
        ldb.step = 1;
    }
    if (!ldb.step && !bp) return;
    const char *reason = bp ? (ldb.luabp ? "redis.breakpoint() called" : "break point")
                         : timeout ? "timeout reached, infinite loop?"
                                   : "step over";
    ldb.step = 0;
    ldb.luabp = 0;
    ldb_log(kstr_catfmt(kstr_empty(64), "* Stopped at %d, stop reason = %s", ldb.currentline, reason));
    log_source_line(ldb.currentline);
    ldb_send_logs();
    if (ldb_repl(L) < 0 && timeout)
        raise_error(L, "timeout during Lua debugging with client closing connection");
    ldb.start_ms = mstime();
}

void ldb_install_hook(lua_State *L) {
    lua_sethook(L, ldb_line_hook, LUA_MASKLINE | LUA_MASKCOUNT, 100000);
}
