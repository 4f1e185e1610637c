/* t_string.c - string commands. */
#include <string.h>

#include "commands/commands.h"
#include "keyspace/db.h"
#include "protocol/reply.h"
#include "util/util.h"

void get_command(client *c) {
    kobj *o = db_lookup_read(c->db, c->argv[1].ptr, c->argv[1].len);
    if (!o) {
        reply_null(c);
        return;
    }
    if (o->type != OBJ_STRING) {
        reply_error(c, ERR_WRONGTYPE);
        return;
    }
    reply_obj_string(c, o);
}

void set_command(client *c) {
    if (c->argc != 3) {
        reply_error(c, ERR_SYNTAX);
        return;
    }
    kobj *o = obj_new_string(c->argv[1].ptr, c->argv[1].len, c->argv[2].ptr, c->argv[2].len);
    db_set(c->db, o, 0);
    signal_modified_key(c, c->db, c->argv[1].ptr, c->argv[1].len);
    reply_ok(c);
}
