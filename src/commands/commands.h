/* commands.h - the command procedures the command table (command_table.c) points at.
 * Each group lives in the file named in its section. */
#ifndef KEEL_COMMANDS_H
#define KEEL_COMMANDS_H

#include "server.h"

/* connection: src/commands/cmd_connection.c */
command_proc ping_command, echo_command, quit_command, select_command, hello_command, auth_command,
    reset_command;

/* strings: src/types/t_string.c */
command_proc get_command, set_command;

/* keys: src/commands/cmd_keys.c */
command_proc del_command, exists_command, dbsize_command, flushdb_command, flushall_command;

/* server: src/commands/cmd_server.c */
command_proc shutdown_command;

/* introspection: cmd_info.c, cmd_config.c, cmd_client.c, cmd_command.c, cmd_debug.c */

/* hashes: src/types/t_hash.c */

/* lists: src/types/t_list.c */

/* sets: src/types/t_set.c */

/* sorted sets: src/types/t_zset.c */

#endif
