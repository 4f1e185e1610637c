/* request.c - request parser; see request.h. */
#include "protocol/request.h"

#include <ctype.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "util/mem.h"
#include "util/util.h"

#define INLINE_MAX (64 * 1024)

void req_init(reqParser *p, long long max_bulk_len) {
    memset(p, 0, sizeof(*p));
    p->max_bulk_len = max_bulk_len;
    p->max_inline_len = INLINE_MAX;
    p->multibulk_len = -1;
    p->bulk_len = -1;
}

void req_free(reqParser *p) {
    kfree(p->argv);
    kfree(p->inline_buf);
    p->argv = NULL;
    p->inline_buf = NULL;
    p->argv_cap = 0;
    p->inline_cap = 0;
}

static void reset_progress(reqParser *p) {
    p->multibulk_len = -1;
    p->bulk_len = -1;
    p->pos = 0;
}

static void ensure_argv(karg **argv, int *cap, int need) {
    if (need <= *cap) return;
    int n = *cap ? *cap : 8;
    while (n < need) n *= 2;
    *argv = krealloc(*argv, sizeof(karg) * (size_t)n);
    *cap = n;
}

static int fail(reqParser *p, const char *msg) {
    p->error = msg;
    reset_progress(p);
    return REQ_ERROR;
}

static int hexval(int c) {
    if (c >= '0' && c <= '9') return c - '0';
    c = tolower(c);
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

int split_args(const char *line, size_t len, karg **argv, int *argv_cap, char **store, size_t *store_cap) {
    /* Redis splits a C string: the line ends at its first NUL byte (in quotes: unbalanced). */
    len = strnlen(line, len);
    /* Unquoting never makes a line longer, so one buffer of len + argc NULs suffices. */
    size_t need = len * 2 + 1;
    if (*store_cap < need) {
        *store = krealloc(*store, need);
        *store_cap = need;
    }
    char *out = *store;
    size_t o = 0, i = 0;
    int argc = 0;
    /* Offsets first: argv is filled with pointers at the end, after the store stops moving. */
    while (1) {
        while (i < len && isspace((unsigned char)line[i])) i++;
        if (i >= len) break;
        size_t start = o;
        int inq = 0, insq = 0, done = 0;
        while (!done) {
            if (inq) {
                if (i >= len) return -1;
                if (line[i] == '\\' && i + 3 < len && line[i + 1] == 'x' && hexval(line[i + 2]) >= 0 &&
                    hexval(line[i + 3]) >= 0) {
                    out[o++] = (char)(hexval(line[i + 2]) * 16 + hexval(line[i + 3]));
                    i += 4;
                } else if (line[i] == '\\' && i + 1 < len) {
                    char c = line[i + 1];
                    switch (c) {
                    case 'n': c = '\n'; break;
                    case 'r': c = '\r'; break;
                    case 't': c = '\t'; break;
                    case 'b': c = '\b'; break;
                    case 'a': c = '\a'; break;
                    default: break;
                    }
                    out[o++] = c;
                    i += 2;
                } else if (line[i] == '"') {
                    /* The closing quote must be followed by a space or the end. */
                    if (i + 1 < len && !isspace((unsigned char)line[i + 1])) return -1;
                    done = 1;
                    i++;
                } else {
                    out[o++] = line[i++];
                }
            } else if (insq) {
                if (i >= len) return -1;
                if (line[i] == '\\' && i + 1 < len && line[i + 1] == '\'') {
                    out[o++] = '\'';
                    i += 2;
                } else if (line[i] == '\'') {
                    if (i + 1 < len && !isspace((unsigned char)line[i + 1])) return -1;
                    done = 1;
                    i++;
                } else {
                    out[o++] = line[i++];
                }
            } else {
                if (i >= len) {
                    done = 1;
                } else {
                    switch (line[i]) {
                    case ' ': case '\n': case '\r': case '\t': case '\0':
                        done = 1;
                        break;
                    case '"':
                        inq = 1;
                        i++;
                        break;
                    case '\'':
                        insq = 1;
                        i++;
                        break;
                    default:
                        out[o++] = line[i++];
                    }
                }
            }
        }
        out[o++] = '\0';
        ensure_argv(argv, argv_cap, argc + 1);
        (*argv)[argc].ptr = (char *)(uintptr_t)start;
        (*argv)[argc].len = o - 1 - start;
        argc++;
    }
    for (int a = 0; a < argc; a++) (*argv)[a].ptr = out + (uintptr_t)(*argv)[a].ptr;
    return argc;
}

static int parse_inline(reqParser *p, char *buf, size_t len, size_t *consumed) {
    /* Redis looks for the newline with strchr: a NUL byte before it hides it, and the request
     * stays incomplete until it is too big. Same here, byte for byte. */
    char *nl = memchr(buf, '\n', strnlen(buf, len));
    if (!nl) {
        if (len > (size_t)p->max_inline_len) return fail(p, "Protocol error: too big inline request");
        return REQ_INCOMPLETE;
    }
    size_t linelen = (size_t)(nl - buf);
    size_t used = linelen + 1;
    if (linelen && buf[linelen - 1] == '\r') linelen--;
    int argc = split_args(buf, linelen, &p->argv, &p->argv_cap, &p->inline_buf, &p->inline_cap);
    if (argc < 0) return fail(p, "Protocol error: unbalanced quotes in request");
    p->argc = argc;
    *consumed = used;
    reset_progress(p);
    return REQ_OK;
}

/* Reads a "<prefix><number>\r\n" header at p->pos. Returns 1 with *out set, 0 if incomplete,
 * -1 if the line is too long to be a header. */
static int read_header(reqParser *p, char *buf, size_t len, long long *out, int *ok) {
    char *start = buf + p->pos;
    size_t avail = len - p->pos;
    char *cr = memchr(start, '\r', avail);
    if (!cr || (size_t)(cr - start) + 1 >= avail) {
        if (avail > INLINE_MAX) return -1;
        return 0;
    }
    *ok = str_to_ll(start + 1, (size_t)(cr - start - 1), out);
    p->pos += (size_t)(cr - start) + 2;
    return 1;
}

static int parse_multibulk(reqParser *p, char *buf, size_t len, size_t *consumed) {
    int ok;
    if (p->multibulk_len < 0) {
        long long n;
        int r = read_header(p, buf, len, &n, &ok);
        if (r < 0) return fail(p, "Protocol error: too big mbulk count string");
        if (r == 0) return REQ_INCOMPLETE;
        if (!ok || n > INT_MAX) return fail(p, "Protocol error: invalid multibulk length");
        if (p->unauthenticated && n > 10) return fail(p, "Protocol error: unauthenticated multibulk length");
        if (n <= 0) {
            /* "*0" and "*-1" are empty requests: consumed, nothing to run. */
            p->argc = 0;
            *consumed = p->pos;
            reset_progress(p);
            return REQ_OK;
        }
        p->multibulk_len = n;
        p->argc = 0;
        /* Don't trust a huge count before the arguments arrive. */
        ensure_argv(&p->argv, &p->argv_cap, n < 1024 ? (int)n : 1024);
    }
    while (p->argc < p->multibulk_len) {
        if (p->bulk_len < 0) {
            if (p->pos >= len) return REQ_INCOMPLETE;
            if (buf[p->pos] != '$') {
                snprintf(p->error_buf, sizeof(p->error_buf), "Protocol error: expected '$', got '%c'",
                         buf[p->pos]);
                return fail(p, p->error_buf);
            }
            long long n;
            int r = read_header(p, buf, len, &n, &ok);
            if (r < 0) return fail(p, "Protocol error: too big bulk count string");
            if (r == 0) return REQ_INCOMPLETE;
            if (!ok || n < 0 || n > p->max_bulk_len) return fail(p, "Protocol error: invalid bulk length");
            if (p->unauthenticated && n > 16384) return fail(p, "Protocol error: unauthenticated bulk length");
            p->bulk_len = n;
        }
        if (len - p->pos < (size_t)p->bulk_len + 2) return REQ_INCOMPLETE;
        ensure_argv(&p->argv, &p->argv_cap, p->argc + 1);
        /* Offsets until the command is complete: the buffer may move between calls. */
        p->argv[p->argc].ptr = (char *)(uintptr_t)p->pos;
        p->argv[p->argc].len = (size_t)p->bulk_len;
        p->argc++;
        p->pos += (size_t)p->bulk_len;
        buf[p->pos] = '\0';
        p->pos += 2;
        p->bulk_len = -1;
    }
    for (int i = 0; i < p->argc; i++) p->argv[i].ptr = buf + (uintptr_t)p->argv[i].ptr;
    *consumed = p->pos;
    reset_progress(p);
    return REQ_OK;
}

int req_parse(reqParser *p, char *buf, size_t len, size_t *consumed) {
    p->error = NULL;
    if (len == 0) return REQ_INCOMPLETE;
    if (p->multibulk_len >= 0 || buf[0] == '*') return parse_multibulk(p, buf, len, consumed);
    return parse_inline(p, buf, len, consumed);
}

size_t req_pending_bulk(const reqParser *p, size_t buffered) {
    if (p->multibulk_len < 0 || p->bulk_len < 0) return 0;
    size_t need = p->pos + (size_t)p->bulk_len + 2;
    return need > buffered ? need - buffered : 0;
}
