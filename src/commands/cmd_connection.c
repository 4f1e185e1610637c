/* cmd_connection.c - PING, ECHO, QUIT, SELECT, HELLO, AUTH, RESET.
 *
 * AUTH <password> is AUTH default <password>; with a default user that has no password it is
 * an error, as in Redis. Users and passwords are core/acl.c's. */
#include <string.h>

#include "commands/admin.h"
#include "commands/commands.h"
#include "core/acl.h"
#include "core/monitor.h"
#include "core/multi.h"
#include "core/pubsub.h"
#include "core/tracking.h"
#include "keyspace/db.h"
#include "protocol/reply.h"
#include "util/mem.h"
#include "util/util.h"

void ping_command(client *c) {
    if (c->argc > 2) {
        reply_error_arity(c);
        return;
    }
    if (c->flags & CLIENT_PUBSUB && c->resp == 2) {
        /* In RESP2 subscriber mode PING answers with a pong message array. */
        reply_array_len(c, 2);
        reply_bulk(c, "pong", 4);
        if (c->argc == 2)
            reply_bulk(c, c->argv[1].ptr, c->argv[1].len);
        else
            reply_bulk(c, "", 0);
        return;
    }
    if (c->argc == 2)
        reply_bulk(c, c->argv[1].ptr, c->argv[1].len);
    else
        reply_raw(c, "+PONG\r\n", 7);
}

void echo_command(client *c) {
    reply_bulk(c, c->argv[1].ptr, c->argv[1].len);
}

void quit_command(client *c) {
    reply_ok(c);
    c->flags |= CLIENT_CLOSE_AFTER_REPLY;
}

void select_command(client *c) {
    long long id;
    if (!arg_ll_or_reply(c, &c->argv[1], &id, NULL)) return;
    if (id < INT32_MIN || id > INT32_MAX) {
        reply_error(c, "value is out of range, value must between -2147483648 and 2147483647");
        return;
    }
    if (server.cluster_enabled && id != 0) {
        reply_error(c, "SELECT is not allowed in cluster mode");
        return;
    }
    kdb *db = db_by_id((int)id);
    if (!db) {
        reply_error(c, ERR_DB_INDEX);
        return;
    }
    c->db = db;
    reply_ok(c);
}

/* AUTH [username] password, HELLO's AUTH username password. */
static int authenticate(client *c, const karg *user, const karg *pass) {
    if (!acl_authenticate(c, user, pass)) {
        reply_error(c, "-WRONGPASS invalid username-password pair or user is disabled.");
        return 0;
    }
    return 1;
}

void auth_command(client *c) {
    if (c->argc > 3) {
        reply_error(c, ERR_SYNTAX);
        return;
    }
    c->redacted |= c->argc == 3 ? (1 << 1) | (1 << 2) : (1 << 1);
    karg default_name = {(char *)"default", 7};
    if (c->argc == 2 && acl_default_has_no_password()) {
        reply_error(c, "AUTH <password> called without any password configured for the default user. "
                       "Are you sure your configuration is correct?");
        return;
    }
    if (authenticate(c, c->argc == 3 ? &c->argv[1] : &default_name, &c->argv[c->argc - 1])) reply_ok(c);
}

static void reply_hello_map(client *c) {
    reply_map_len(c, 7);
    reply_bulk_cstr(c, "server");
    reply_bulk_cstr(c, "redis");
    reply_bulk_cstr(c, "version");
    reply_bulk_cstr(c, REDIS_COMPAT_VERSION);
    reply_bulk_cstr(c, "proto");
    reply_integer(c, c->resp);
    reply_bulk_cstr(c, "id");
    reply_integer(c, (long long)c->id);
    reply_bulk_cstr(c, "mode");
    reply_bulk_cstr(c, "standalone");
    reply_bulk_cstr(c, "role");
    reply_bulk_cstr(c, "master");
    reply_bulk_cstr(c, "modules");
    reply_empty_array(c);
}

void hello_command(client *c) {
    long long ver = 0;
    int next = 1;
    if (c->argc >= 2) {
        if (!str_to_ll(c->argv[1].ptr, c->argv[1].len, &ver)) {
            reply_error(c, "Protocol version is not an integer or out of range");
            return;
        }
        next = 2;
        if (ver < 2 || ver > 3) {
            reply_error(c, "-NOPROTO unsupported protocol version");
            return;
        }
    }
    const karg *user = NULL, *pass = NULL, *name = NULL;
    for (int j = next; j < c->argc; j++) {
        int more = c->argc - j - 1;
        if (arg_is(c->argv[j].ptr, c->argv[j].len, "AUTH") && more >= 2) {
            if (j + 2 < 64) c->redacted |= (3ULL << (j + 1));
            user = &c->argv[j + 1];
            pass = &c->argv[j + 2];
            j += 2;
        } else if (arg_is(c->argv[j].ptr, c->argv[j].len, "SETNAME") && more >= 1) {
            name = &c->argv[j + 1];
            j += 1;
        } else {
            reply_errorf(c, "Syntax error in HELLO option '%s'", c->argv[j].ptr);
            return;
        }
    }
    if (pass && !authenticate(c, user, pass)) return;
    if (acl_auth_required(c)) {
        reply_error(c, "-NOAUTH HELLO must be called with the client already authenticated, otherwise the "
                       "HELLO AUTH <user> <pass> option can be used to authenticate the client and "
                       "select the RESP protocol version at the same time");
        return;
    }
    if (name && !client_set_name(c, name)) return;
    if (ver) c->resp = (int)ver;
    reply_hello_map(c);
}

void reset_command(client *c) {
    monitor_remove(c);
    multi_reset(c);             /* core/multi.c: discard MULTI, forget WATCHes */
    pubsub_unsubscribe_all(c);  /* core/pubsub.c: leaves subscriber mode */
    tracking_client_reset(c);   /* core/tracking.c: tracking off */
    c->resp = 2;
    c->db = db_by_id(0);
    kstr_free(c->name);
    c->name = NULL;
    c->flags &= ~(CLIENT_REPLY_OFF | CLIENT_REPLY_SKIP | CLIENT_REPLY_SKIP_NEXT | CLIENT_NO_EVICT);
    acl_client_set_default(c);   /* core/acl.c: back to the default user */
    reply_status(c, "RESET");
}
