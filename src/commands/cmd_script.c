/* cmd_script.c - EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and SCRIPT LOAD|EXISTS|FLUSH|KILL|HELP.
 * The work happens in the scripting engine (src/scripting/); this file parses arguments and
 * replies. */
#include <string.h>

#include "commands/commands.h"
#include "protocol/reply.h"
#include "scripting/script.h"
#include "server.h"
#include "util/util.h"

void eval_command(client *c) { script_eval(c, 0, 0); }
void evalsha_command(client *c) { script_eval(c, 1, 0); }
void eval_ro_command(client *c) { script_eval(c, 0, 1); }
void evalsha_ro_command(client *c) { script_eval(c, 1, 1); }

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

/* SCRIPT DEBUG: Keel has no Lua debugger (LDB); NO (the default state) is accepted. */
void script_debug_command(client *c) {
    const karg *mode = &c->argv[2];
    if (arg_is(mode->ptr, mode->len, "no"))
        reply_ok(c);
    else if (arg_is(mode->ptr, mode->len, "yes") || arg_is(mode->ptr, mode->len, "sync"))
        reply_error(c, "SCRIPT DEBUG is not supported by this server");
    else
        reply_error(c, "Use SCRIPT DEBUG YES/SYNC/NO");
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
