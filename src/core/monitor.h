/* monitor.h - MONITOR: clients that receive a line for every command the server runs.
 *
 * The line is Redis's: "+<unix seconds>.<micro> [<db> <peer>] "arg" "arg"...", peer being the
 * address, "unix:<path>" or "lua" for a script's commands, arguments quoted with
 * non-printable bytes escaped. A client is in the monitor list iff it has CLIENT_MONITOR. */
#ifndef KEEL_MONITOR_H
#define KEEL_MONITOR_H

#include "server.h"

void monitor_add(client *c);            /* MONITOR: c must not be monitoring yet */
void monitor_remove(client *c);         /* RESET, disconnect; no-op unless c is monitoring */
/* After every call, nested ones too: c's command line, unless the command is admin or
 * skip_monitor. */
void monitor_feed_call(client *c);
/* c's command line whatever its flags: EVAL (skip_monitor) shows itself this way before the
 * commands of its script, as in Redis. */
void monitor_feed(client *c);
void monitor_free_all(void);            /* shutdown */

#endif
