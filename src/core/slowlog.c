/* slowlog.c - the slow log; see slowlog.h. */
#include "core/slowlog.h"

#include <string.h>

#include "util/mem.h"
#include "util/util.h"

static slowlogEntry *newest;
static long long len, next_id;

static void free_entry(slowlogEntry *e) {
    for (int i = 0; i < e->argc; i++) kstr_free(e->argv[i]);
    kfree(e->argv);
    kstr_free(e->peer);
    kstr_free(e->cname);
    kfree(e);
}

/* Drops the oldest entries beyond slowlog-max-len. */
static void trim(void) {
    if (len <= server.slowlog_max_len) return;
    slowlogEntry **link = &newest;
    for (long long i = 0; *link && i < server.slowlog_max_len; i++) link = &(*link)->next;
    while (*link) {
        slowlogEntry *e = *link;
        *link = e->next;
        free_entry(e);
        len--;
    }
}

static kstr *entry_arg(const client *c, int i) {
    if (i < 64 && (c->redacted >> i) & 1) return kstr_new("(redacted)", 10);
    if (c->argc > SLOWLOG_ARGC_MAX && i == SLOWLOG_ARGC_MAX - 1)
        return kstr_catfmt(kstr_empty(32), "... (%d more arguments)", c->argc - SLOWLOG_ARGC_MAX + 1);
    if (c->argv[i].len > SLOWLOG_ARG_MAX)
        return kstr_catfmt(kstr_new(c->argv[i].ptr, SLOWLOG_ARG_MAX), "... (%zu more bytes)",
                           c->argv[i].len - SLOWLOG_ARG_MAX);
    return kstr_new(c->argv[i].ptr, c->argv[i].len);
}

void slowlog_push(client *c, long long duration_us) {
    if (server.slowlog_log_slower_than < 0 || duration_us < server.slowlog_log_slower_than) return;
    if (c->cmd->flags & CMD_SKIP_SLOWLOG) return;
    slowlogEntry *e = kcalloc(sizeof(*e));
    e->id = next_id++;
    e->time_sec = ustime() / 1000000;
    e->duration_us = duration_us;
    e->argc = c->argc > SLOWLOG_ARGC_MAX ? SLOWLOG_ARGC_MAX : c->argc;
    e->argv = kmalloc(sizeof(kstr *) * (size_t)e->argc);
    for (int i = 0; i < e->argc; i++) e->argv[i] = entry_arg(c, i);
    const char *peer = (c->flags & CLIENT_FAKE) ? "?:0" : c->addr;   /* a script's commands: Redis's peer of a client without connection */
    e->peer = kstr_new(peer, strlen(peer));
    e->cname = c->name ? kstr_new(c->name->buf, c->name->len) : kstr_empty(0);
    e->next = newest;
    newest = e;
    len++;
    trim();
}

const slowlogEntry *slowlog_newest(void) {
    return newest;
}

long long slowlog_len(void) {
    return len;
}

void slowlog_reset(void) {
    while (newest) {
        slowlogEntry *e = newest;
        newest = e->next;
        free_entry(e);
    }
    len = 0;
}
