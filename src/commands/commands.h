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

#endif
