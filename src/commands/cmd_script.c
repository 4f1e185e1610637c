/* cmd_script.c - EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and SCRIPT LOAD|EXISTS|FLUSH|KILL|HELP.
 * The work happens in the scripting engine (src/scripting/); this file parses arguments and
 * replies. */
#include <string.h>

#include "commands/commands.h"
#include "core/monitor.h"
#include "protocol/reply.h"
#include "scripting/script.h"
#include "server.h"
#include "util/util.h"

/* A client in debug mode (SCRIPT DEBUG SYNC) can only debug EVAL: EVALSHA is refused, as in
 * Redis (after its NOSCRIPT check of the length). */
static int debugging(client *c) {
    return (c->flags & CLIENT_LUA_DEBUG) && c->fd >= 0 && !(c->flags & (CLIENT_FAKE | CLIENT_MASTER));
}

static void evalsha_generic(client *c, int readonly) {
    if (!debugging(c)) {
        script_eval(c, 1, readonly);
        return;
    }
    monitor_feed(c);
    if (c->argv[1].len != 40) reply_error(c, "-NOSCRIPT No matching script. Please use EVAL.");
    else reply_error(c, "Please use EVAL instead of EVALSHA for debugging");
}

void eval_command(client *c) {
    if (debugging(c)) ldb_eval(c, 0);
    else script_eval(c, 0, 0);
}

void eval_ro_command(client *c) {
    if (debugging(c)) ldb_eval(c, 1);
    else script_eval(c, 0, 1);
}

void evalsha_command(client *c) { evalsha_generic(c, 0); }
void evalsha_ro_command(client *c) { evalsha_generic(c, 1); }

void script_load_command(client *c) {
    char sha[41];
    if (script_load(c, c->argv[2].ptr, c->argv[2].len, sha) == 0) reply_bulk(c, sha, 40);
}

void script_exists_command(client *c) {
    reply_array_len(c, c->argc - 2);
    for (int i = 2; i < c->argc; i++) reply_integer(c, script_exists(c->argv[i].ptr, c->argv[i].len));
}

/* SCRIPT FLUSH [ASYNC|SYNC]: both free the scripts at once (the cache is one Lua state). */
void script_flush_command(client *c) {
    if (c->argc > 3 || (c->argc == 3 && !arg_is(c->argv[2].ptr, c->argv[2].len, "sync") &&
                        !arg_is(c->argv[2].ptr, c->argv[2].len, "async"))) {
        reply_error(c, "SCRIPT FLUSH only support SYNC|ASYNC option");
        return;
    }
    scripting_reset();
    reply_ok(c);
}

void script_kill_command(client *c) { script_kill(c, 0); }

/* SCRIPT DEBUG YES|SYNC|NO: the mode of the client's next EVAL (src/scripting/lua_debugger.c).
 * YES is Redis's forked session, which Keel (never forking) doesn't have; SYNC is. A client
 * without a socket of its own (the AOF's, the primary's link) never debugs. */
void script_debug_command(client *c) {
    const karg *mode = &c->argv[2];
    if (client_output_pending(c)) {
        reply_error(c, "SCRIPT DEBUG must be called outside a pipeline");
        return;
    }
    if (arg_is(mode->ptr, mode->len, "no")) {
        ldb_disable(c);
        reply_ok(c);
    } else if (arg_is(mode->ptr, mode->len, "yes")) {
        reply_error(c, "SCRIPT DEBUG YES (a forked debugging session) is not supported by this server, "
                       "use SCRIPT DEBUG SYNC");
    } else if (arg_is(mode->ptr, mode->len, "sync")) {
        if (c->fd < 0 || (c->flags & (CLIENT_FAKE | CLIENT_MASTER))) {
            reply_error(c, "SCRIPT DEBUG is not allowed from this client");
            return;
        }
        ldb_enable(c, 1);
        reply_ok(c);
    } else {
        reply_error(c, "Use SCRIPT DEBUG YES/SYNC/NO");
    }
}

void script_help_command(client *c) {
    static const char *const help[] = {
        "DEBUG (YES|SYNC|NO)",
        "    Set the debug mode for subsequent scripts executed.",
        "EXISTS <sha1> [<sha1> ...]",
        "    Return information about the existence of the scripts in the script cache.",
        "FLUSH [ASYNC|SYNC]",
        "    Flush the Lua scripts cache. Very dangerous on replicas.",
        "    When called without the optional mode argument, the behavior is determined by the",
        "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
        "    * ASYNC: Asynchronously flush the scripts cache.",
        "    * SYNC: Synchronously flush the scripts cache.",
        "KILL",
        "    Kill the currently executing Lua script.",
        "LOAD <script>",
        "    Load a script into the scripts cache without executing it.",
        NULL,
    };
    reply_help(c, help);
}
