/* monitor.c - MONITOR; see monitor.h. */
#include "core/monitor.h"

#include <ctype.h>

#include "protocol/reply.h"
#include "util/mem.h"
#include "util/util.h"

static client **monitors;
static int nmonitors;

void monitor_add(client *c) {
    monitors = krealloc(monitors, sizeof(client *) * (size_t)(nmonitors + 1));
    monitors[nmonitors++] = c;
    c->flags |= CLIENT_MONITOR;
}

void monitor_remove(client *c) {
    if (!(c->flags & CLIENT_MONITOR)) return;
    for (int i = 0; i < nmonitors; i++) {
        if (monitors[i] == c) {
            monitors[i] = monitors[--nmonitors];
            break;
        }
    }
    c->flags &= ~CLIENT_MONITOR;
}

void monitor_free_all(void) {
    kfree(monitors);
    monitors = NULL;
    nmonitors = 0;
}

void monitor_feed_call(client *c) {
    if (nmonitors == 0 || (c->cmd->flags & (CMD_SKIP_MONITOR | CMD_ADMIN))) return;
    monitor_feed(c);
}

void monitor_feed(client *c) {
    if (nmonitors == 0) return;
    long long us = ustime();
    kstr *line = kstr_empty(128);
    if (c->flags & CLIENT_FAKE)
        line = kstr_catfmt(line, "+%lld.%06lld [%d lua] ", us / 1000000, us % 1000000, c->db->id);
    else if (c->flags & CLIENT_UNIX_SOCKET)
        line = kstr_catfmt(line, "+%lld.%06lld [%d unix:%s] ", us / 1000000, us % 1000000, c->db->id,
                           server.unixsocket ? server.unixsocket : "");
    else
        line = kstr_catfmt(line, "+%lld.%06lld [%d %s] ", us / 1000000, us % 1000000, c->db->id, c->addr);
    for (int i = 0; i < c->argc; i++) {
        if (i) line = kstr_cat(line, " ", 1);
        if (i < 64 && (c->redacted >> i) & 1) line = kstr_catc(line, "\"(redacted)\"");
        else line = kstr_catrepr(line, c->argv[i].ptr, c->argv[i].len);
    }
    line = kstr_cat(line, "\r\n", 2);
    for (int i = 0; i < nmonitors; i++)
        reply_raw(monitors[i], line->buf, line->len);   /* a monitor sees its own commands too */
    kstr_free(line);
}
