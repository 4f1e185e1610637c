/* cmd_keys.c - generic key commands. */
#include <string.h>

#include "commands/commands.h"
#include "keyspace/db.h"
#include "protocol/reply.h"
#include "util/util.h"

void del_command(client *c) {
    long long n = 0;
    for (int i = 1; i < c->argc; i++) {
        db_lookup_write(c->db, c->argv[i].ptr, c->argv[i].len);   /* expire first, like Redis */
        if (db_delete(c->db, c->argv[i].ptr, c->argv[i].len)) {
            signal_modified_key(c, c->db, c->argv[i].ptr, c->argv[i].len);
            n++;
        }
    }
    reply_integer(c, n);
}

void exists_command(client *c) {
    long long n = 0;
    for (int i = 1; i < c->argc; i++)
        if (db_lookup(c->db, c->argv[i].ptr, c->argv[i].len, LOOKUP_NOTOUCH)) n++;
    reply_integer(c, n);
}

void dbsize_command(client *c) {
    reply_integer(c, (long long)db_size(c->db));
}

/* FLUSHDB/FLUSHALL [ASYNC|SYNC]: returns -1 after replying an error. */
static int flush_mode(client *c) {
    if (c->argc == 1) return server.lazyfree_lazy_user_flush;
    if (c->argc == 2 && arg_is(c->argv[1].ptr, c->argv[1].len, "sync")) return 0;
    if (c->argc == 2 && arg_is(c->argv[1].ptr, c->argv[1].len, "async")) return 1;
    reply_error(c, ERR_SYNTAX);
    return -1;
}

void flushdb_command(client *c) {
    int async = flush_mode(c);
    if (async < 0) return;
    db_flush(c->db, async);
    server.dirty++;
    reply_ok(c);
}

void flushall_command(client *c) {
    int async = flush_mode(c);
    if (async < 0) return;
    for (int i = 0; i < server.dbnum; i++) db_flush(&server.db[i], async);
    server.dirty++;
    reply_ok(c);
}
