/* cmd_server.c - server administration commands. */
#include <string.h>

#include "commands/commands.h"
#include "protocol/reply.h"
#include "util/util.h"

void shutdown_command(client *c) {
    int nosave = 0;
    for (int i = 1; i < c->argc; i++) {
        const karg *a = &c->argv[i];
        if (arg_is(a->ptr, a->len, "nosave")) nosave = 1;
        else if (arg_is(a->ptr, a->len, "save")) nosave = 0;
        else if (arg_is(a->ptr, a->len, "now") || arg_is(a->ptr, a->len, "force") || arg_is(a->ptr, a->len, "abort")) continue;
        else {
            reply_error(c, ERR_SYNTAX);
            return;
        }
    }
    /* On success Redis closes the connection without a reply; the cron exits the process. */
    server.shutdown_asap = 1;
    server.shutdown_nosave = nosave;
    c->flags |= CLIENT_CLOSE_AFTER_REPLY;
}
