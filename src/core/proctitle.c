/* proctitle.c - the process title; see proctitle.h. */
#include "core/proctitle.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "server.h"
#include "util/kstr.h"
#include "util/mem.h"

extern char **environ;

static struct {
    char *title;    /* argv[0], copied: the area below is overwritten */
    char *area;     /* the argument strings, then the environment strings: contiguous */
    size_t len;     /* bytes from area to the last string's NUL, included */
    int started;    /* main() no longer reads its arguments */
} pt;

void proctitle_init(int argc, char **argv) {
    if (argc < 1 || !argv[0]) return;
    pt.title = kstrdup(argv[0]);
    char *end = argv[0] + strlen(argv[0]) + 1;
    for (int i = 1; i < argc; i++)
        if (argv[i] == end) end = argv[i] + strlen(argv[i]) + 1;
    /* The environment usually follows; its strings move to the heap so the area can grow. */
    size_t n = 0;
    while (environ && environ[n]) n++;
    char **moved = kmalloc((n + 1) * sizeof(char *));
    for (size_t i = 0; i < n; i++) {
        if (environ[i] == end) end = environ[i] + strlen(environ[i]) + 1;
        moved[i] = kstrdup(environ[i]);
    }
    moved[n] = NULL;
    environ = moved;
    pt.area = argv[0];
    pt.len = (size_t)(end - argv[0]);
}

static const char *listen_addr(char *buf, size_t cap) {
    int port = server.port ? server.port : server.tls_port;
    snprintf(buf, cap, "%s:%d", server.bindaddr_count ? server.bindaddr[0] : "*", port);
    return buf;
}

/* The value of the variable name[0..len), or NULL for an unknown one. */
static const char *variable(const char *name, size_t len, const char *title, char *buf, size_t cap) {
#define IS(s) (len == sizeof(s) - 1 && memcmp(name, s, len) == 0)
    if (IS("title")) return title;
    if (IS("listen-addr")) return listen_addr(buf, cap);
    if (IS("server-mode")) return server.cluster_enabled ? "[cluster]" : "";
    if (IS("port")) return snprintf(buf, cap, "%d", server.port), buf;
    if (IS("tls-port")) return snprintf(buf, cap, "%d", server.tls_port), buf;
    if (IS("unixsocket")) return server.unixsocket ? server.unixsocket : "";
    if (IS("config-file")) return server.configfile ? server.configfile : "-";   /* as Redis */
    return NULL;
#undef IS
}

/* The expanded template with spaces trimmed at both ends, or NULL if it is invalid. */
static kstr *expand(const char *tpl, const char *title) {
    kstr *out = kstr_empty(64);
    char buf[300];
    for (const char *p = tpl; *p;) {
        if (p[0] == '{' && p[1] == '{') {
            out = kstr_cat(out, "{", 1);
            p += 2;
        } else if (p[0] == '{') {
            const char *close = strchr(p + 1, '}');
            const char *v = close ? variable(p + 1, (size_t)(close - p - 1), title, buf, sizeof(buf)) : NULL;
            if (!v) {
                kstr_free(out);
                return NULL;
            }
            out = kstr_catc(out, v);
            p = close + 1;
        } else {
            out = kstr_cat(out, p, 1);
            p++;
        }
    }
    size_t start = 0, end = out->len;
    while (start < end && out->buf[start] == ' ') start++;
    while (end > start && out->buf[end - 1] == ' ') end--;
    kstr_range_keep(out, start, end - start);
    return out;
}

int proctitle_template_valid(const char *template) {
    kstr *t = expand(template ? template : "", "");
    int ok = t && t->len > 0;
    kstr_free(t);
    return ok;
}

void proctitle_start(void) {
    pt.started = 1;
    proctitle_apply();
}

void proctitle_apply(void) {
    if (!pt.started || !pt.area || pt.len < 2 || !server.proc_title_template) return;
    kstr *t = expand(server.proc_title_template, pt.title);
    if (!t) return;
    size_t n = t->len < pt.len - 1 ? t->len : pt.len - 1;
    memcpy(pt.area, t->buf, n);
    memset(pt.area + n, 0, pt.len - n);
    kstr_free(t);
}
