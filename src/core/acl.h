/* acl.h - users and their permissions (Redis 7.0's ACL): the user table, the rules of ACL
 * SETUSER, the checks every command passes, AUTH, the ACL log and the ACL file.
 *
 * A user has flags, password hashes (SHA-256, hex) and selectors: the first is the root
 * selector (the rules given outside parentheses), the others come from "(...)" rules. A
 * command is allowed when one selector allows it whole: the command (a bit per command row,
 * or an allowed first argument), every key it names with the access its key specs declare
 * (read: ACCESS; write: INSERT, DELETE, UPDATE), and every channel it publishes or subscribes
 * to. Categories are the command table's acl_categories.
 *
 * Invariants: the user named "default" always exists; every client's `user` points at a live
 * user or is NULL (fake clients run anything); a deleted user's clients are closed first. */
#ifndef KEEL_ACL_H
#define KEEL_ACL_H

#include <stddef.h>

#include "server.h"

/* Check results, in Redis's order of relevance (a higher one is reported when no selector
 * allows the command). */
enum { ACL_OK = 0, ACL_DENIED_CMD, ACL_DENIED_KEY, ACL_DENIED_AUTH, ACL_DENIED_CHANNEL };
/* Where a denial happened (ACL LOG's context). */
enum { ACL_CTX_TOPLEVEL, ACL_CTX_MULTI, ACL_CTX_LUA };

typedef struct aclUser aclUser;

/* Creates the default user ("on nopass ~* &* +@all"), once; before the configuration is read. */
void acl_init(void);
/* After the command table is ready: applies the config file's "user" lines, then the aclfile.
 * Returns 0, or -1 with the reason in err. */
int acl_load_at_startup(char *err, size_t errlen);
/* A config file "user <name> <rules...>" line (argv[0] is the name), applied by
 * acl_load_at_startup(); NULL, or the config error (a duplicate user, a bad rule). */
const char *acl_queue_config_user(int argc, const karg *argv);
/* CONFIG REWRITE's "user" lines: every user as ACL LIST shows it, or nothing with an aclfile. */
kstr *acl_cat_config_users(kstr *out);
/* CONFIG SET requirepass / the config file: the default user's only password ("" = nopass). */
void acl_set_default_password(const char *pass, size_t len);   /* len 0: nopass */

/* Clients: who they are and whether they must still authenticate (Redis's authRequired). */
void acl_client_set_default(client *c);
int acl_auth_required(const client *c);
int acl_default_has_no_password(void);   /* the default user is "nopass" */
const char *acl_user_name(const aclUser *u);
int acl_user_exists(const karg *name);
/* AUTH / HELLO AUTH: on success c is that user; on failure the attempt is logged. */
int acl_authenticate(client *c, const karg *user, const karg *pass);

/* Whether u may run cmd with argv; *errpos is the argument index of the denied key or channel. */
int acl_check(const aclUser *u, const command *cmd, int argc, const karg *argv, int *errpos);
/* Whether one of u's selectors allows cmd and lets it read any key (~* or %R~*): SORT's BY and
 * GET patterns need it. */
int acl_may_read_all_keys(const aclUser *u, const command *cmd, int argc, const karg *argv);
/* The dispatcher's check of c's command (c->cmd, c->argv): NULL, or the -NOPERM error after
 * logging the denial. */
const char *acl_check_client(client *c, const command *cmd, int context);
/* EXEC's check of a queued command (before it becomes c's command, so that the log shows EXEC
 * running): NULL, or the error saying the rules changed. */
const char *acl_check_queued(client *c, const command *cmd, int argc, const karg *argv);
/* redis.call's check for the script's caller: NULL, or the script error (logged). */
const char *acl_check_script(client *caller, const command *cmd, int argc, const karg *argv);

/* ACL subcommands (rows in commands/command_table.c). */
command_proc acl_cat_command, acl_deluser_command, acl_dryrun_command, acl_genpass_command,
    acl_getuser_command, acl_help_command, acl_list_command, acl_load_command, acl_log_command,
    acl_save_command, acl_setuser_command, acl_users_command, acl_whoami_command;

#endif
