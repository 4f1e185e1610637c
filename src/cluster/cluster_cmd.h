/* cluster_cmd.h - the CLUSTER command and its subcommands, ASKING/READONLY/READWRITE, and the
 * routing check dispatch runs before every command in cluster mode (redirections). */
#ifndef KEEL_CLUSTER_CMD_H
#define KEEL_CLUSTER_CMD_H

#include "server.h"
#include "util/kstr.h"

/* Installs the routing check (dispatch_redirect). */
void cluster_cmd_install(void);
/* Clients blocked on keys (BLPOP, XREAD, ...) whose slot is no longer served here get -MOVED
 * (-CLUSTERDOWN when the slot is unbound or the cluster is down) and are unblocked (the cron,
 * as Redis's clientsCron). */
void cluster_redirect_blocked_clients(void);
/* redis.call() in cluster mode: the error for a command a script may not run here (a key of
 * another node, the cluster down), or NULL. slot is the script's slot (-1 until a key fixes
 * it): a key of another slot is refused too, unless slot is NULL (cross-slot allowed). */
const char *cluster_script_error(client *caller, const command *cmd, int argc, const karg *argv, int *slot);
/* CLUSTER NODES's line of a node (no newline), and the whole text (nodes in handshake too
 * when with_handshake). */
struct clusterNode;
kstr *cluster_node_description(kstr *s, const struct clusterNode *n, int use_pport);
kstr *cluster_nodes_description(int with_handshake, int use_pport);

command_proc cluster_addslots_command, cluster_addslotsrange_command, cluster_bumpepoch_command,
    cluster_count_failure_reports_command, cluster_countkeysinslot_command, cluster_delslots_command,
    cluster_delslotsrange_command, cluster_flushslots_command, cluster_forget_command,
    cluster_getkeysinslot_command, cluster_help_command, cluster_info_command, cluster_keyslot_command,
    cluster_links_command, cluster_meet_command, cluster_myid_command, cluster_nodes_command,
    cluster_reset_command, cluster_saveconfig_command, cluster_set_config_epoch_command,
    cluster_setslot_command, cluster_shards_command, cluster_slots_command, asking_command, readonly_command,
    readwrite_command, cluster_replicate_command, cluster_replicas_command, cluster_slaves_command,
    cluster_failover_command;
/* migrate.c */
command_proc migrate_command;
command_getkeys_proc migrate_get_keys;
/* MIGRATE's cached target connections (INFO migrate_cached_sockets); the cron closes those idle
 * for 10 s, as Redis. */
int migrate_cached_sockets(void);
void migrate_cache_cron(void);

#endif
