/* command_table.c - THE command table: the only place that names a command. Each row holds
 * every fact about one command as a named field (see struct command in server.h): name,
 * procedure, arity, flags (Redis's and Keel's own), ACL categories, key specs, the getkeys
 * procedure where the specs cannot find every key, how it propagates, and its documentation.
 * Dispatch, MULTI, pub/sub, scripts, tracking, COMMAND INFO/DOCS/COUNT/LIST/GETKEYS all read it.
 *
 * What redis-server documents about a command (ACL_CATS_<id>, KS_<id>, DOC_<id>) is generated
 * into command_data.h by tools/gen_command_data.py and reachable only through the row that
 * names it. Adding a command: docs/architecture.md, "Adding a command". */
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cluster/cluster_cmd.h"
#include "commands/commands.h"
#include "commands/sort.h"
#include "persist/aof.h"
#include "persist/persist.h"
#include "repl/repl.h"
#include "server.h"
#include "util/mem.h"

#include "commands/command_data.h"

#define END { .name = NULL }

/* ---- subcommands of connection, server and introspection commands (cmd_client.c, cmd_server.c,
 * cmd_config.c, cmd_command.c, cmd_debug.c; ACL's in core/acl.c) ---- */
static command acl_subcommands[] = {
    {.name = "acl|cat", .proc = acl_cat_command, .arity = -2, .flags = CMD_NOSCRIPT | CMD_LOADING | CMD_STALE,
     .acl_categories = ACL_CATS_acl_cat, .key_specs = KS_acl_cat, .doc = &DOC_acl_cat},
    {.name = "acl|deluser", .proc = acl_deluser_command, .arity = -3, .flags = CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE,
     .acl_categories = ACL_CATS_acl_deluser, .key_specs = KS_acl_deluser, .doc = &DOC_acl_deluser},
    {.name = "acl|dryrun", .proc = acl_dryrun_command, .arity = -4, .flags = CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE,
     .acl_categories = ACL_CATS_acl_dryrun, .key_specs = KS_acl_dryrun, .doc = &DOC_acl_dryrun},
    {.name = "acl|genpass", .proc = acl_genpass_command, .arity = -2, .flags = CMD_NOSCRIPT | CMD_LOADING | CMD_STALE,
     .acl_categories = ACL_CATS_acl_genpass, .key_specs = KS_acl_genpass, .doc = &DOC_acl_genpass},
    {.name = "acl|getuser", .proc = acl_getuser_command, .arity = 3, .flags = CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE,
     .acl_categories = ACL_CATS_acl_getuser, .key_specs = KS_acl_getuser, .doc = &DOC_acl_getuser},
    {.name = "acl|help", .proc = acl_help_command, .arity = 2, .flags = CMD_LOADING | CMD_STALE,
     .acl_categories = ACL_CATS_acl_help, .key_specs = KS_acl_help, .doc = &DOC_acl_help},
    {.name = "acl|list", .proc = acl_list_command, .arity = 2, .flags = CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE,
     .acl_categories = ACL_CATS_acl_list, .key_specs = KS_acl_list, .doc = &DOC_acl_list},
    {.name = "acl|load", .proc = acl_load_command, .arity = 2, .flags = CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE,
     .acl_categories = ACL_CATS_acl_load, .key_specs = KS_acl_load, .doc = &DOC_acl_load},
    {.name = "acl|log", .proc = acl_log_command, .arity = -2, .flags = CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE,
     .acl_categories = ACL_CATS_acl_log, .key_specs = KS_acl_log, .doc = &DOC_acl_log},
    {.name = "acl|save", .proc = acl_save_command, .arity = 2, .flags = CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE,
     .acl_categories = ACL_CATS_acl_save, .key_specs = KS_acl_save, .doc = &DOC_acl_save},
    {.name = "acl|setuser", .proc = acl_setuser_command, .arity = -3, .flags = CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE,
     .acl_categories = ACL_CATS_acl_setuser, .key_specs = KS_acl_setuser, .doc = &DOC_acl_setuser},
    {.name = "acl|users", .proc = acl_users_command, .arity = 2, .flags = CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE,
     .acl_categories = ACL_CATS_acl_users, .key_specs = KS_acl_users, .doc = &DOC_acl_users},
    {.name = "acl|whoami", .proc = acl_whoami_command, .arity = 2, .flags = CMD_NOSCRIPT | CMD_LOADING | CMD_STALE,
     .acl_categories = ACL_CATS_acl_whoami, .key_specs = KS_acl_whoami, .doc = &DOC_acl_whoami},
    END,
};
static command client_subcommands[] = {
    {.name = "client|caching", .proc = client_caching_command, .arity = 3, .flags = CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_KEEPS_CACHING,
     .acl_categories = ACL_CATS_client_caching, .key_specs = KS_client_caching, .doc = &DOC_client_caching},
    {.name = "client|getname", .proc = client_getname_command, .arity = 2, .flags = CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_KEEPS_CACHING,
     .acl_categories = ACL_CATS_client_getname, .key_specs = KS_client_getname, .doc = &DOC_client_getname},
    {.name = "client|getredir", .proc = client_getredir_command, .arity = 2, .flags = CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_KEEPS_CACHING,
     .acl_categories = ACL_CATS_client_getredir, .key_specs = KS_client_getredir, .doc = &DOC_client_getredir},
    {.name = "client|help", .proc = client_help_command, .arity = 2, .flags = CMD_LOADING | CMD_STALE | CMD_KEEPS_CACHING,
     .acl_categories = ACL_CATS_client_help, .key_specs = KS_client_help, .doc = &DOC_client_help},
    {.name = "client|id", .proc = client_id_command, .arity = 2, .flags = CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_KEEPS_CACHING,
     .acl_categories = ACL_CATS_client_id, .key_specs = KS_client_id, .doc = &DOC_client_id},
    {.name = "client|info", .proc = client_info_command, .arity = 2, .flags = CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_KEEPS_CACHING,
     .acl_categories = ACL_CATS_client_info, .key_specs = KS_client_info, .doc = &DOC_client_info},
    {.name = "client|kill", .proc = client_kill_command, .arity = -3, .flags = CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_KEEPS_CACHING,
     .acl_categories = ACL_CATS_client_kill, .key_specs = KS_client_kill, .doc = &DOC_client_kill},
    {.name = "client|list", .proc = client_list_command, .arity = -2, .flags = CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_KEEPS_CACHING,
     .acl_categories = ACL_CATS_client_list, .key_specs = KS_client_list, .doc = &DOC_client_list},
    {.name = "client|no-evict", .proc = client_no_evict_command, .arity = 3, .flags = CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_KEEPS_CACHING,
     .acl_categories = ACL_CATS_client_no_evict, .key_specs = KS_client_no_evict, .doc = &DOC_client_no_evict},
    {.name = "client|pause", .proc = client_pause_command, .arity = -3, .flags = CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_KEEPS_CACHING,
     .acl_categories = ACL_CATS_client_pause, .key_specs = KS_client_pause, .doc = &DOC_client_pause},
    {.name = "client|reply", .proc = client_reply_command, .arity = 3, .flags = CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_KEEPS_CACHING,
     .acl_categories = ACL_CATS_client_reply, .key_specs = KS_client_reply, .doc = &DOC_client_reply},
    {.name = "client|setname", .proc = client_setname_command, .arity = 3, .flags = CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_KEEPS_CACHING,
     .acl_categories = ACL_CATS_client_setname, .key_specs = KS_client_setname, .doc = &DOC_client_setname},
    {.name = "client|tracking", .proc = client_tracking_command, .arity = -3, .flags = CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_KEEPS_CACHING,
     .acl_categories = ACL_CATS_client_tracking, .key_specs = KS_client_tracking, .doc = &DOC_client_tracking},
    {.name = "client|trackinginfo", .proc = client_trackinginfo_command, .arity = 2, .flags = CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_KEEPS_CACHING,
     .acl_categories = ACL_CATS_client_trackinginfo, .key_specs = KS_client_trackinginfo, .doc = &DOC_client_trackinginfo},
    {.name = "client|unblock", .proc = client_unblock_command, .arity = -3, .flags = CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_KEEPS_CACHING,
     .acl_categories = ACL_CATS_client_unblock, .key_specs = KS_client_unblock, .doc = &DOC_client_unblock},
    {.name = "client|unpause", .proc = client_unpause_command, .arity = 2, .flags = CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_KEEPS_CACHING,
     .acl_categories = ACL_CATS_client_unpause, .key_specs = KS_client_unpause, .doc = &DOC_client_unpause},
    END,
};
static command slowlog_subcommands[] = {
    {.name = "slowlog|get", .proc = slowlog_get_command, .arity = -2, .flags = CMD_ADMIN | CMD_LOADING | CMD_STALE,
     .acl_categories = ACL_CATS_slowlog_get, .key_specs = KS_slowlog_get, .doc = &DOC_slowlog_get},
    {.name = "slowlog|help", .proc = slowlog_help_command, .arity = 2, .flags = CMD_LOADING | CMD_STALE,
     .acl_categories = ACL_CATS_slowlog_help, .key_specs = KS_slowlog_help, .doc = &DOC_slowlog_help},
    {.name = "slowlog|len", .proc = slowlog_len_command, .arity = 2, .flags = CMD_ADMIN | CMD_LOADING | CMD_STALE,
     .acl_categories = ACL_CATS_slowlog_len, .key_specs = KS_slowlog_len, .doc = &DOC_slowlog_len},
    {.name = "slowlog|reset", .proc = slowlog_reset_command, .arity = 2, .flags = CMD_ADMIN | CMD_LOADING | CMD_STALE,
     .acl_categories = ACL_CATS_slowlog_reset, .key_specs = KS_slowlog_reset, .doc = &DOC_slowlog_reset},
    END,
};
static command latency_subcommands[] = {
    {.name = "latency|doctor", .proc = latency_doctor_command, .arity = 2, .flags = CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE,
     .acl_categories = ACL_CATS_latency_doctor, .key_specs = KS_latency_doctor, .doc = &DOC_latency_doctor},
    {.name = "latency|histogram", .proc = latency_histogram_command, .arity = -2, .flags = CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE,
     .acl_categories = ACL_CATS_latency_histogram, .key_specs = KS_latency_histogram, .doc = &DOC_latency_histogram},
    {.name = "latency|help", .proc = latency_help_command, .arity = 2, .flags = CMD_LOADING | CMD_STALE,
     .acl_categories = ACL_CATS_latency_help, .key_specs = KS_latency_help, .doc = &DOC_latency_help},
    {.name = "latency|history", .proc = latency_history_command, .arity = 3, .flags = CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE,
     .acl_categories = ACL_CATS_latency_history, .key_specs = KS_latency_history, .doc = &DOC_latency_history},
    {.name = "latency|latest", .proc = latency_latest_command, .arity = 2, .flags = CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE,
     .acl_categories = ACL_CATS_latency_latest, .key_specs = KS_latency_latest, .doc = &DOC_latency_latest},
    {.name = "latency|reset", .proc = latency_reset_command, .arity = -2, .flags = CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE,
     .acl_categories = ACL_CATS_latency_reset, .key_specs = KS_latency_reset, .doc = &DOC_latency_reset},
    END,
};
static command config_subcommands[] = {
    {.name = "config|get", .proc = config_get_command, .arity = -3, .flags = CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE,
     .acl_categories = ACL_CATS_config_get, .key_specs = KS_config_get, .doc = &DOC_config_get},
    {.name = "config|help", .proc = config_help_command, .arity = 2, .flags = CMD_LOADING | CMD_STALE,
     .acl_categories = ACL_CATS_config_help, .key_specs = KS_config_help, .doc = &DOC_config_help},
    {.name = "config|resetstat", .proc = config_resetstat_command, .arity = 2, .flags = CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE,
     .acl_categories = ACL_CATS_config_resetstat, .key_specs = KS_config_resetstat, .doc = &DOC_config_resetstat},
    {.name = "config|rewrite", .proc = config_rewrite_command, .arity = 2, .flags = CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE,
     .acl_categories = ACL_CATS_config_rewrite, .key_specs = KS_config_rewrite, .doc = &DOC_config_rewrite},
    {.name = "config|set", .proc = config_set_command, .arity = -4, .flags = CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE,
     .acl_categories = ACL_CATS_config_set, .key_specs = KS_config_set, .doc = &DOC_config_set},
    END,
};
static command command_subcommands[] = {
    {.name = "command|count", .proc = command_count_command, .arity = 2, .flags = CMD_LOADING | CMD_STALE,
     .acl_categories = ACL_CATS_command_count, .key_specs = KS_command_count, .doc = &DOC_command_count},
    {.name = "command|docs", .proc = command_docs_command, .arity = -2, .flags = CMD_LOADING | CMD_STALE,
     .acl_categories = ACL_CATS_command_docs, .key_specs = KS_command_docs, .doc = &DOC_command_docs},
    {.name = "command|getkeys", .proc = command_getkeys_command, .arity = -4, .flags = CMD_LOADING | CMD_STALE,
     .acl_categories = ACL_CATS_command_getkeys, .key_specs = KS_command_getkeys, .doc = &DOC_command_getkeys},
    {.name = "command|getkeysandflags", .proc = command_getkeysandflags_command, .arity = -4, .flags = CMD_LOADING | CMD_STALE,
     .acl_categories = ACL_CATS_command_getkeysandflags, .key_specs = KS_command_getkeysandflags, .doc = &DOC_command_getkeysandflags},
    {.name = "command|help", .proc = command_help_command, .arity = 2, .flags = CMD_LOADING | CMD_STALE,
     .acl_categories = ACL_CATS_command_help, .key_specs = KS_command_help, .doc = &DOC_command_help},
    {.name = "command|info", .proc = command_info_command, .arity = -2, .flags = CMD_LOADING | CMD_STALE,
     .acl_categories = ACL_CATS_command_info, .key_specs = KS_command_info, .doc = &DOC_command_info},
    {.name = "command|list", .proc = command_list_command, .arity = -2, .flags = CMD_LOADING | CMD_STALE,
     .acl_categories = ACL_CATS_command_list, .key_specs = KS_command_list, .doc = &DOC_command_list},
    END,
};
/* ---- subcommands of the stream containers (t_stream.c) ---- */
static command xgroup_subcommands[] = {
    {.name = "xgroup|create", .proc = xgroup_command, .arity = -5, .flags = CMD_WRITE | CMD_DENYOOM,
     .acl_categories = ACL_CATS_xgroup_create, .key_specs = KS_xgroup_create, .propagate = PROPAGATE_ASIS, .doc = &DOC_xgroup_create},
    {.name = "xgroup|createconsumer", .proc = xgroup_command, .arity = 5, .flags = CMD_WRITE | CMD_DENYOOM,
     .acl_categories = ACL_CATS_xgroup_createconsumer, .key_specs = KS_xgroup_createconsumer, .propagate = PROPAGATE_ASIS, .doc = &DOC_xgroup_createconsumer},
    {.name = "xgroup|delconsumer", .proc = xgroup_command, .arity = 5, .flags = CMD_WRITE,
     .acl_categories = ACL_CATS_xgroup_delconsumer, .key_specs = KS_xgroup_delconsumer, .propagate = PROPAGATE_ASIS, .doc = &DOC_xgroup_delconsumer},
    {.name = "xgroup|destroy", .proc = xgroup_command, .arity = 4, .flags = CMD_WRITE,
     .acl_categories = ACL_CATS_xgroup_destroy, .key_specs = KS_xgroup_destroy, .propagate = PROPAGATE_ASIS, .doc = &DOC_xgroup_destroy},
    {.name = "xgroup|help", .proc = xgroup_help_command, .arity = 2, .flags = CMD_LOADING | CMD_STALE,
     .acl_categories = ACL_CATS_xgroup_help, .key_specs = KS_xgroup_help, .doc = &DOC_xgroup_help},
    {.name = "xgroup|setid", .proc = xgroup_command, .arity = -5, .flags = CMD_WRITE,
     .acl_categories = ACL_CATS_xgroup_setid, .key_specs = KS_xgroup_setid, .propagate = PROPAGATE_ASIS, .doc = &DOC_xgroup_setid},
    END,
};
static command xinfo_subcommands[] = {
    {.name = "xinfo|consumers", .proc = xinfo_consumers_command, .arity = 4, .flags = CMD_READONLY,
     .acl_categories = ACL_CATS_xinfo_consumers, .key_specs = KS_xinfo_consumers, .doc = &DOC_xinfo_consumers},
    {.name = "xinfo|groups", .proc = xinfo_groups_command, .arity = 3, .flags = CMD_READONLY,
     .acl_categories = ACL_CATS_xinfo_groups, .key_specs = KS_xinfo_groups, .doc = &DOC_xinfo_groups},
    {.name = "xinfo|help", .proc = xinfo_help_command, .arity = 2, .flags = CMD_LOADING | CMD_STALE,
     .acl_categories = ACL_CATS_xinfo_help, .key_specs = KS_xinfo_help, .doc = &DOC_xinfo_help},
    {.name = "xinfo|stream", .proc = xinfo_stream_command, .arity = -3, .flags = CMD_READONLY,
     .acl_categories = ACL_CATS_xinfo_stream, .key_specs = KS_xinfo_stream, .doc = &DOC_xinfo_stream},
    END,
};
static command object_subcommands[] = {
    {.name = "object|encoding", .proc = object_encoding_command, .arity = 3, .flags = CMD_READONLY,
     .acl_categories = ACL_CATS_object_encoding, .key_specs = KS_object_encoding, .doc = &DOC_object_encoding},
    {.name = "object|freq", .proc = object_freq_command, .arity = 3, .flags = CMD_READONLY,
     .acl_categories = ACL_CATS_object_freq, .key_specs = KS_object_freq, .doc = &DOC_object_freq},
    {.name = "object|help", .proc = object_help_command, .arity = 2, .flags = CMD_LOADING | CMD_STALE,
     .acl_categories = ACL_CATS_object_help, .key_specs = KS_object_help, .doc = &DOC_object_help},
    {.name = "object|idletime", .proc = object_idletime_command, .arity = 3, .flags = CMD_READONLY,
     .acl_categories = ACL_CATS_object_idletime, .key_specs = KS_object_idletime, .doc = &DOC_object_idletime},
    {.name = "object|refcount", .proc = object_refcount_command, .arity = 3, .flags = CMD_READONLY,
     .acl_categories = ACL_CATS_object_refcount, .key_specs = KS_object_refcount, .doc = &DOC_object_refcount},
    END,
};
static command memory_subcommands[] = {
    {.name = "memory|doctor", .proc = memory_doctor_command, .arity = 2, .flags = 0,
     .acl_categories = ACL_CATS_memory_doctor, .key_specs = KS_memory_doctor, .doc = &DOC_memory_doctor},
    {.name = "memory|help", .proc = memory_help_command, .arity = 2, .flags = CMD_LOADING | CMD_STALE,
     .acl_categories = ACL_CATS_memory_help, .key_specs = KS_memory_help, .doc = &DOC_memory_help},
    {.name = "memory|malloc-stats", .proc = memory_malloc_stats_command, .arity = 2, .flags = 0,
     .acl_categories = ACL_CATS_memory_malloc_stats, .key_specs = KS_memory_malloc_stats, .doc = &DOC_memory_malloc_stats},
    {.name = "memory|purge", .proc = memory_purge_command, .arity = 2, .flags = 0,
     .acl_categories = ACL_CATS_memory_purge, .key_specs = KS_memory_purge, .doc = &DOC_memory_purge},
    {.name = "memory|stats", .proc = memory_stats_command, .arity = 2, .flags = 0,
     .acl_categories = ACL_CATS_memory_stats, .key_specs = KS_memory_stats, .doc = &DOC_memory_stats},
    {.name = "memory|usage", .proc = memory_usage_command, .arity = -3, .flags = CMD_READONLY,
     .acl_categories = ACL_CATS_memory_usage, .key_specs = KS_memory_usage, .doc = &DOC_memory_usage},
    END,
};
static command module_subcommands[] = {
    {.name = "module|help", .proc = module_help_command, .arity = 2, .flags = CMD_LOADING | CMD_STALE,
     .acl_categories = ACL_CATS_module_help, .key_specs = KS_module_help, .doc = &DOC_module_help},
    {.name = "module|list", .proc = module_list_command, .arity = 2, .flags = CMD_ADMIN | CMD_NOSCRIPT,
     .acl_categories = ACL_CATS_module_list, .key_specs = KS_module_list, .doc = &DOC_module_list},
    END,
};

/* ---- subcommands of pubsub (core/pubsub.c) ---- */
static command pubsub_subcommands[] = {
    {.name = "pubsub|channels", .proc = pubsub_channels_command, .arity = -2, .flags = CMD_PUBSUB | CMD_LOADING | CMD_STALE,
     .acl_categories = ACL_CATS_pubsub_channels, .key_specs = KS_pubsub_channels, .doc = &DOC_pubsub_channels},
    {.name = "pubsub|help", .proc = pubsub_help_command, .arity = 2, .flags = CMD_LOADING | CMD_STALE,
     .acl_categories = ACL_CATS_pubsub_help, .key_specs = KS_pubsub_help, .doc = &DOC_pubsub_help},
    {.name = "pubsub|numpat", .proc = pubsub_numpat_command, .arity = 2, .flags = CMD_PUBSUB | CMD_LOADING | CMD_STALE,
     .acl_categories = ACL_CATS_pubsub_numpat, .key_specs = KS_pubsub_numpat, .doc = &DOC_pubsub_numpat},
    {.name = "pubsub|numsub", .proc = pubsub_numsub_command, .arity = -2, .flags = CMD_PUBSUB | CMD_LOADING | CMD_STALE,
     .acl_categories = ACL_CATS_pubsub_numsub, .key_specs = KS_pubsub_numsub, .doc = &DOC_pubsub_numsub},
    {.name = "pubsub|shardchannels", .proc = pubsub_shardchannels_command, .arity = -2, .flags = CMD_PUBSUB | CMD_LOADING | CMD_STALE,
     .acl_categories = ACL_CATS_pubsub_shardchannels, .key_specs = KS_pubsub_shardchannels, .doc = &DOC_pubsub_shardchannels},
    {.name = "pubsub|shardnumsub", .proc = pubsub_shardnumsub_command, .arity = -2, .flags = CMD_PUBSUB | CMD_LOADING | CMD_STALE,
     .acl_categories = ACL_CATS_pubsub_shardnumsub, .key_specs = KS_pubsub_shardnumsub, .doc = &DOC_pubsub_shardnumsub},
    END,
};

/* ---- functions (cmd_function.c) ---- */
static command function_subcommands[] = {
    {.name = "function|load", .proc = function_load_command, .arity = -3, .flags = CMD_WRITE | CMD_DENYOOM | CMD_NOSCRIPT,
     .acl_categories = ACL_CATS_function_load, .key_specs = KS_function_load, .propagate = PROPAGATE_ASIS, .doc = &DOC_function_load},
    {.name = "function|delete", .proc = function_delete_command, .arity = 3, .flags = CMD_WRITE | CMD_NOSCRIPT,
     .acl_categories = ACL_CATS_function_delete, .key_specs = KS_function_delete, .propagate = PROPAGATE_ASIS, .doc = &DOC_function_delete},
    {.name = "function|flush", .proc = function_flush_command, .arity = -2, .flags = CMD_WRITE | CMD_NOSCRIPT,
     .acl_categories = ACL_CATS_function_flush, .key_specs = KS_function_flush, .propagate = PROPAGATE_ASIS, .doc = &DOC_function_flush},
    {.name = "function|list", .proc = function_list_command, .arity = -2, .flags = CMD_NOSCRIPT,
     .acl_categories = ACL_CATS_function_list, .key_specs = KS_function_list, .doc = &DOC_function_list},
    {.name = "function|stats", .proc = function_stats_command, .arity = 2, .flags = CMD_NOSCRIPT | CMD_ALLOW_BUSY,
     .acl_categories = ACL_CATS_function_stats, .key_specs = KS_function_stats, .doc = &DOC_function_stats},
    {.name = "function|kill", .proc = function_kill_command, .arity = 2, .flags = CMD_NOSCRIPT | CMD_ALLOW_BUSY,
     .acl_categories = ACL_CATS_function_kill, .key_specs = KS_function_kill, .doc = &DOC_function_kill},
    {.name = "function|dump", .proc = function_dump_command, .arity = 2, .flags = CMD_NOSCRIPT,
     .acl_categories = ACL_CATS_function_dump, .key_specs = KS_function_dump, .doc = &DOC_function_dump},
    {.name = "function|restore", .proc = function_restore_command, .arity = -3, .flags = CMD_WRITE | CMD_DENYOOM | CMD_NOSCRIPT,
     .acl_categories = ACL_CATS_function_restore, .key_specs = KS_function_restore, .propagate = PROPAGATE_ASIS, .doc = &DOC_function_restore},
    {.name = "function|help", .proc = function_help_command, .arity = 2, .flags = CMD_LOADING | CMD_STALE,
     .acl_categories = ACL_CATS_function_help, .key_specs = KS_function_help, .doc = &DOC_function_help},
    END,
};

/* ---- scripting (cmd_script.c) ---- */
static command script_subcommands[] = {
    {.name = "script|debug", .proc = script_debug_command, .arity = 3, .flags = CMD_NOSCRIPT,
     .acl_categories = ACL_CATS_script_debug, .key_specs = KS_script_debug, .doc = &DOC_script_debug},
    {.name = "script|exists", .proc = script_exists_command, .arity = -3, .flags = CMD_NOSCRIPT,
     .acl_categories = ACL_CATS_script_exists, .key_specs = KS_script_exists, .doc = &DOC_script_exists},
    {.name = "script|flush", .proc = script_flush_command, .arity = -2, .flags = CMD_NOSCRIPT,
     .acl_categories = ACL_CATS_script_flush, .key_specs = KS_script_flush, .doc = &DOC_script_flush},
    {.name = "script|help", .proc = script_help_command, .arity = 2, .flags = CMD_LOADING | CMD_STALE,
     .acl_categories = ACL_CATS_script_help, .key_specs = KS_script_help, .doc = &DOC_script_help},
    {.name = "script|kill", .proc = script_kill_command, .arity = 2, .flags = CMD_NOSCRIPT | CMD_ALLOW_BUSY,
     .acl_categories = ACL_CATS_script_kill, .key_specs = KS_script_kill, .doc = &DOC_script_kill},
    {.name = "script|load", .proc = script_load_command, .arity = 3, .flags = CMD_NOSCRIPT | CMD_STALE,
     .acl_categories = ACL_CATS_script_load, .key_specs = KS_script_load, .doc = &DOC_script_load},
    END,
};

/* Cluster (src/cluster/cluster_cmd.c). */
static command cluster_subcommands[] = {
    {.name = "cluster|addslots", .proc = cluster_addslots_command, .arity = -3, .flags = CMD_ADMIN | CMD_STALE | CMD_NO_ASYNC_LOADING,
     .acl_categories = ACL_CATS_cluster_addslots, .key_specs = KS_cluster_addslots, .doc = &DOC_cluster_addslots},
    {.name = "cluster|addslotsrange", .proc = cluster_addslotsrange_command, .arity = -4, .flags = CMD_ADMIN | CMD_STALE | CMD_NO_ASYNC_LOADING,
     .acl_categories = ACL_CATS_cluster_addslotsrange, .key_specs = KS_cluster_addslotsrange, .doc = &DOC_cluster_addslotsrange},
    {.name = "cluster|bumpepoch", .proc = cluster_bumpepoch_command, .arity = 2, .flags = CMD_ADMIN | CMD_STALE | CMD_NO_ASYNC_LOADING,
     .acl_categories = ACL_CATS_cluster_bumpepoch, .key_specs = KS_cluster_bumpepoch, .doc = &DOC_cluster_bumpepoch},
    {.name = "cluster|count-failure-reports", .proc = cluster_count_failure_reports_command, .arity = 3, .flags = CMD_ADMIN | CMD_STALE,
     .acl_categories = ACL_CATS_cluster_count_failure_reports, .key_specs = KS_cluster_count_failure_reports, .doc = &DOC_cluster_count_failure_reports},
    {.name = "cluster|countkeysinslot", .proc = cluster_countkeysinslot_command, .arity = 3, .flags = CMD_STALE,
     .acl_categories = ACL_CATS_cluster_countkeysinslot, .key_specs = KS_cluster_countkeysinslot, .doc = &DOC_cluster_countkeysinslot},
    {.name = "cluster|delslots", .proc = cluster_delslots_command, .arity = -3, .flags = CMD_ADMIN | CMD_STALE | CMD_NO_ASYNC_LOADING,
     .acl_categories = ACL_CATS_cluster_delslots, .key_specs = KS_cluster_delslots, .doc = &DOC_cluster_delslots},
    {.name = "cluster|delslotsrange", .proc = cluster_delslotsrange_command, .arity = -4, .flags = CMD_ADMIN | CMD_STALE | CMD_NO_ASYNC_LOADING,
     .acl_categories = ACL_CATS_cluster_delslotsrange, .key_specs = KS_cluster_delslotsrange, .doc = &DOC_cluster_delslotsrange},
    {.name = "cluster|flushslots", .proc = cluster_flushslots_command, .arity = 2, .flags = CMD_ADMIN | CMD_STALE | CMD_NO_ASYNC_LOADING,
     .acl_categories = ACL_CATS_cluster_flushslots, .key_specs = KS_cluster_flushslots, .doc = &DOC_cluster_flushslots},
    {.name = "cluster|forget", .proc = cluster_forget_command, .arity = 3, .flags = CMD_ADMIN | CMD_STALE | CMD_NO_ASYNC_LOADING,
     .acl_categories = ACL_CATS_cluster_forget, .key_specs = KS_cluster_forget, .doc = &DOC_cluster_forget},
    {.name = "cluster|getkeysinslot", .proc = cluster_getkeysinslot_command, .arity = 4, .flags = CMD_STALE,
     .acl_categories = ACL_CATS_cluster_getkeysinslot, .key_specs = KS_cluster_getkeysinslot, .doc = &DOC_cluster_getkeysinslot},
    {.name = "cluster|help", .proc = cluster_help_command, .arity = 2, .flags = CMD_LOADING | CMD_STALE,
     .acl_categories = ACL_CATS_cluster_help, .key_specs = KS_cluster_help, .doc = &DOC_cluster_help},
    {.name = "cluster|info", .proc = cluster_info_command, .arity = 2, .flags = CMD_STALE,
     .acl_categories = ACL_CATS_cluster_info, .key_specs = KS_cluster_info, .doc = &DOC_cluster_info},
    {.name = "cluster|keyslot", .proc = cluster_keyslot_command, .arity = 3, .flags = CMD_STALE,
     .acl_categories = ACL_CATS_cluster_keyslot, .key_specs = KS_cluster_keyslot, .doc = &DOC_cluster_keyslot},
    {.name = "cluster|links", .proc = cluster_links_command, .arity = 2, .flags = CMD_STALE,
     .acl_categories = ACL_CATS_cluster_links, .key_specs = KS_cluster_links, .doc = &DOC_cluster_links},
    {.name = "cluster|meet", .proc = cluster_meet_command, .arity = -4, .flags = CMD_ADMIN | CMD_STALE | CMD_NO_ASYNC_LOADING,
     .acl_categories = ACL_CATS_cluster_meet, .key_specs = KS_cluster_meet, .doc = &DOC_cluster_meet},
    {.name = "cluster|myid", .proc = cluster_myid_command, .arity = 2, .flags = CMD_STALE,
     .acl_categories = ACL_CATS_cluster_myid, .key_specs = KS_cluster_myid, .doc = &DOC_cluster_myid},
    {.name = "cluster|nodes", .proc = cluster_nodes_command, .arity = 2, .flags = CMD_STALE,
     .acl_categories = ACL_CATS_cluster_nodes, .key_specs = KS_cluster_nodes, .doc = &DOC_cluster_nodes},
    {.name = "cluster|reset", .proc = cluster_reset_command, .arity = -2, .flags = CMD_ADMIN | CMD_NOSCRIPT | CMD_STALE,
     .acl_categories = ACL_CATS_cluster_reset, .key_specs = KS_cluster_reset, .doc = &DOC_cluster_reset},
    {.name = "cluster|saveconfig", .proc = cluster_saveconfig_command, .arity = 2, .flags = CMD_ADMIN | CMD_STALE | CMD_NO_ASYNC_LOADING,
     .acl_categories = ACL_CATS_cluster_saveconfig, .key_specs = KS_cluster_saveconfig, .doc = &DOC_cluster_saveconfig},
    {.name = "cluster|set-config-epoch", .proc = cluster_set_config_epoch_command, .arity = 3, .flags = CMD_ADMIN | CMD_STALE | CMD_NO_ASYNC_LOADING,
     .acl_categories = ACL_CATS_cluster_set_config_epoch, .key_specs = KS_cluster_set_config_epoch, .doc = &DOC_cluster_set_config_epoch},
    {.name = "cluster|setslot", .proc = cluster_setslot_command, .arity = -4, .flags = CMD_ADMIN | CMD_STALE | CMD_NO_ASYNC_LOADING,
     .acl_categories = ACL_CATS_cluster_setslot, .key_specs = KS_cluster_setslot, .doc = &DOC_cluster_setslot},
    {.name = "cluster|failover", .proc = cluster_failover_command, .arity = -2, .flags = CMD_ADMIN | CMD_STALE | CMD_NO_ASYNC_LOADING,
     .acl_categories = ACL_CATS_cluster_failover, .key_specs = KS_cluster_failover, .doc = &DOC_cluster_failover},
    {.name = "cluster|replicas", .proc = cluster_replicas_command, .arity = 3, .flags = CMD_ADMIN | CMD_STALE,
     .acl_categories = ACL_CATS_cluster_replicas, .key_specs = KS_cluster_replicas, .doc = &DOC_cluster_replicas},
    {.name = "cluster|replicate", .proc = cluster_replicate_command, .arity = 3, .flags = CMD_ADMIN | CMD_STALE | CMD_NO_ASYNC_LOADING,
     .acl_categories = ACL_CATS_cluster_replicate, .key_specs = KS_cluster_replicate, .doc = &DOC_cluster_replicate},
    {.name = "cluster|slaves", .proc = cluster_slaves_command, .arity = 3, .flags = CMD_ADMIN | CMD_STALE,
     .acl_categories = ACL_CATS_cluster_slaves, .key_specs = KS_cluster_slaves, .doc = &DOC_cluster_slaves},
    {.name = "cluster|shards", .proc = cluster_shards_command, .arity = 2, .flags = CMD_STALE,
     .acl_categories = ACL_CATS_cluster_shards, .key_specs = KS_cluster_shards, .doc = &DOC_cluster_shards},
    {.name = "cluster|slots", .proc = cluster_slots_command, .arity = 2, .flags = CMD_STALE,
     .acl_categories = ACL_CATS_cluster_slots, .key_specs = KS_cluster_slots, .doc = &DOC_cluster_slots},
    END,
};

static command commands[] = {
    /* ---- connection (cmd_connection.c, cmd_client.c) ---- */
    {.name = "ping", .proc = ping_command, .arity = -1, .flags = CMD_FAST | CMD_SUBSCRIBED_OK | CMD_FAILS_ON_MISCONF,
     .acl_categories = ACL_CATS_ping, .key_specs = KS_ping, .doc = &DOC_ping},
    {.name = "echo", .proc = echo_command, .arity = 2, .flags = CMD_LOADING | CMD_STALE | CMD_FAST,
     .acl_categories = ACL_CATS_echo, .key_specs = KS_echo, .doc = &DOC_echo},
    {.name = "quit", .proc = quit_command, .arity = -1, .flags = CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_FAST | CMD_NO_AUTH | CMD_ALLOW_BUSY | CMD_SUBSCRIBED_OK | CMD_MULTI_RUNS_NOW | CMD_MULTI_LEAVES,
     .acl_categories = ACL_CATS_quit, .key_specs = KS_quit, .doc = &DOC_quit},
    {.name = "select", .proc = select_command, .arity = 2, .flags = CMD_LOADING | CMD_STALE | CMD_FAST,
     .acl_categories = ACL_CATS_select, .key_specs = KS_select, .doc = &DOC_select},
    {.name = "hello", .proc = hello_command, .arity = -1, .flags = CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_FAST | CMD_NO_AUTH | CMD_ALLOW_BUSY,
     .acl_categories = ACL_CATS_hello, .key_specs = KS_hello, .doc = &DOC_hello},
    {.name = "acl", .proc = NULL, .arity = -2, .flags = 0,
     .acl_categories = ACL_CATS_acl, .key_specs = KS_acl, .subcommands = acl_subcommands, .doc = &DOC_acl},
    {.name = "auth", .proc = auth_command, .arity = -2, .flags = CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_FAST | CMD_NO_AUTH | CMD_ALLOW_BUSY,
     .acl_categories = ACL_CATS_auth, .key_specs = KS_auth, .doc = &DOC_auth},
    {.name = "reset", .proc = reset_command, .arity = 1, .flags = CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_FAST | CMD_NO_AUTH | CMD_ALLOW_BUSY | CMD_SUBSCRIBED_OK | CMD_MULTI_RUNS_NOW | CMD_MULTI_LEAVES,
     .acl_categories = ACL_CATS_reset, .key_specs = KS_reset, .doc = &DOC_reset},
    {.name = "client", .proc = NULL, .arity = -2, .flags = 0,
     .acl_categories = ACL_CATS_client, .key_specs = KS_client, .subcommands = client_subcommands, .doc = &DOC_client},

    /* ---- strings (t_string.c, t_bitops.c) ---- */
    {.name = "get", .proc = get_command, .arity = 2, .flags = CMD_READONLY | CMD_FAST,
     .acl_categories = ACL_CATS_get, .key_specs = KS_get, .doc = &DOC_get},
    {.name = "set", .proc = set_command, .arity = -3, .flags = CMD_WRITE | CMD_DENYOOM,
     .acl_categories = ACL_CATS_set, .key_specs = KS_set, .getkeys = set_get_keys, .propagate = PROPAGATE_REWRITTEN, .doc = &DOC_set},
    {.name = "setnx", .proc = setnx_command, .arity = 3, .flags = CMD_WRITE | CMD_DENYOOM | CMD_FAST,
     .acl_categories = ACL_CATS_setnx, .key_specs = KS_setnx, .propagate = PROPAGATE_ASIS, .doc = &DOC_setnx},
    {.name = "setex", .proc = setex_command, .arity = 4, .flags = CMD_WRITE | CMD_DENYOOM,
     .acl_categories = ACL_CATS_setex, .key_specs = KS_setex, .propagate = PROPAGATE_REWRITTEN, .doc = &DOC_setex},
    {.name = "psetex", .proc = psetex_command, .arity = 4, .flags = CMD_WRITE | CMD_DENYOOM,
     .acl_categories = ACL_CATS_psetex, .key_specs = KS_psetex, .propagate = PROPAGATE_REWRITTEN, .doc = &DOC_psetex},
    {.name = "getset", .proc = getset_command, .arity = 3, .flags = CMD_WRITE | CMD_DENYOOM | CMD_FAST,
     .acl_categories = ACL_CATS_getset, .key_specs = KS_getset, .propagate = PROPAGATE_REWRITTEN, .doc = &DOC_getset},
    {.name = "getdel", .proc = getdel_command, .arity = 2, .flags = CMD_WRITE | CMD_FAST,
     .acl_categories = ACL_CATS_getdel, .key_specs = KS_getdel, .propagate = PROPAGATE_REWRITTEN, .doc = &DOC_getdel},
    {.name = "getex", .proc = getex_command, .arity = -2, .flags = CMD_WRITE | CMD_FAST,
     .acl_categories = ACL_CATS_getex, .key_specs = KS_getex, .propagate = PROPAGATE_REWRITTEN, .doc = &DOC_getex},
    {.name = "mget", .proc = mget_command, .arity = -2, .flags = CMD_READONLY | CMD_FAST,
     .acl_categories = ACL_CATS_mget, .key_specs = KS_mget, .doc = &DOC_mget},
    {.name = "mset", .proc = mset_command, .arity = -3, .flags = CMD_WRITE | CMD_DENYOOM,
     .acl_categories = ACL_CATS_mset, .key_specs = KS_mset, .propagate = PROPAGATE_ASIS, .doc = &DOC_mset},
    {.name = "msetnx", .proc = msetnx_command, .arity = -3, .flags = CMD_WRITE | CMD_DENYOOM,
     .acl_categories = ACL_CATS_msetnx, .key_specs = KS_msetnx, .propagate = PROPAGATE_ASIS, .doc = &DOC_msetnx},
    {.name = "incr", .proc = incr_command, .arity = 2, .flags = CMD_WRITE | CMD_DENYOOM | CMD_FAST,
     .acl_categories = ACL_CATS_incr, .key_specs = KS_incr, .propagate = PROPAGATE_ASIS, .doc = &DOC_incr},
    {.name = "decr", .proc = decr_command, .arity = 2, .flags = CMD_WRITE | CMD_DENYOOM | CMD_FAST,
     .acl_categories = ACL_CATS_decr, .key_specs = KS_decr, .propagate = PROPAGATE_ASIS, .doc = &DOC_decr},
    {.name = "incrby", .proc = incrby_command, .arity = 3, .flags = CMD_WRITE | CMD_DENYOOM | CMD_FAST,
     .acl_categories = ACL_CATS_incrby, .key_specs = KS_incrby, .propagate = PROPAGATE_ASIS, .doc = &DOC_incrby},
    {.name = "decrby", .proc = decrby_command, .arity = 3, .flags = CMD_WRITE | CMD_DENYOOM | CMD_FAST,
     .acl_categories = ACL_CATS_decrby, .key_specs = KS_decrby, .propagate = PROPAGATE_ASIS, .doc = &DOC_decrby},
    {.name = "incrbyfloat", .proc = incrbyfloat_command, .arity = 3, .flags = CMD_WRITE | CMD_DENYOOM | CMD_FAST,
     .acl_categories = ACL_CATS_incrbyfloat, .key_specs = KS_incrbyfloat, .propagate = PROPAGATE_REWRITTEN, .doc = &DOC_incrbyfloat},
    {.name = "append", .proc = append_command, .arity = 3, .flags = CMD_WRITE | CMD_DENYOOM | CMD_FAST,
     .acl_categories = ACL_CATS_append, .key_specs = KS_append, .propagate = PROPAGATE_ASIS, .doc = &DOC_append},
    {.name = "strlen", .proc = strlen_command, .arity = 2, .flags = CMD_READONLY | CMD_FAST,
     .acl_categories = ACL_CATS_strlen, .key_specs = KS_strlen, .doc = &DOC_strlen},
    {.name = "getrange", .proc = getrange_command, .arity = 4, .flags = CMD_READONLY,
     .acl_categories = ACL_CATS_getrange, .key_specs = KS_getrange, .doc = &DOC_getrange},
    {.name = "substr", .proc = getrange_command, .arity = 4, .flags = CMD_READONLY,
     .acl_categories = ACL_CATS_substr, .key_specs = KS_substr, .doc = &DOC_substr},
    {.name = "setrange", .proc = setrange_command, .arity = 4, .flags = CMD_WRITE | CMD_DENYOOM,
     .acl_categories = ACL_CATS_setrange, .key_specs = KS_setrange, .propagate = PROPAGATE_ASIS, .doc = &DOC_setrange},
    {.name = "lcs", .proc = lcs_command, .arity = -3, .flags = CMD_READONLY,
     .acl_categories = ACL_CATS_lcs, .key_specs = KS_lcs, .doc = &DOC_lcs},
    {.name = "setbit", .proc = setbit_command, .arity = 4, .flags = CMD_WRITE | CMD_DENYOOM,
     .acl_categories = ACL_CATS_setbit, .key_specs = KS_setbit, .propagate = PROPAGATE_ASIS, .doc = &DOC_setbit},
    {.name = "getbit", .proc = getbit_command, .arity = 3, .flags = CMD_READONLY | CMD_FAST,
     .acl_categories = ACL_CATS_getbit, .key_specs = KS_getbit, .doc = &DOC_getbit},
    {.name = "bitcount", .proc = bitcount_command, .arity = -2, .flags = CMD_READONLY,
     .acl_categories = ACL_CATS_bitcount, .key_specs = KS_bitcount, .doc = &DOC_bitcount},
    {.name = "bitpos", .proc = bitpos_command, .arity = -3, .flags = CMD_READONLY,
     .acl_categories = ACL_CATS_bitpos, .key_specs = KS_bitpos, .doc = &DOC_bitpos},
    {.name = "bitop", .proc = bitop_command, .arity = -4, .flags = CMD_WRITE | CMD_DENYOOM,
     .acl_categories = ACL_CATS_bitop, .key_specs = KS_bitop, .propagate = PROPAGATE_ASIS, .doc = &DOC_bitop},
    {.name = "bitfield", .proc = bitfield_command, .arity = -2, .flags = CMD_WRITE | CMD_DENYOOM,
     .acl_categories = ACL_CATS_bitfield, .key_specs = KS_bitfield, .getkeys = bitfield_get_keys, .propagate = PROPAGATE_ASIS, .doc = &DOC_bitfield},
    {.name = "bitfield_ro", .proc = bitfield_ro_command, .arity = -2, .flags = CMD_READONLY | CMD_FAST,
     .acl_categories = ACL_CATS_bitfield_ro, .key_specs = KS_bitfield_ro, .doc = &DOC_bitfield_ro},

    /* ---- keys (cmd_keys.c, cmd_expire.c, cmd_sort.c) ---- */
    {.name = "del", .proc = del_command, .arity = -2, .flags = CMD_WRITE,
     .acl_categories = ACL_CATS_del, .key_specs = KS_del, .propagate = PROPAGATE_ASIS, .doc = &DOC_del},
    {.name = "unlink", .proc = unlink_command, .arity = -2, .flags = CMD_WRITE | CMD_FAST,
     .acl_categories = ACL_CATS_unlink, .key_specs = KS_unlink, .propagate = PROPAGATE_ASIS, .doc = &DOC_unlink},
    {.name = "exists", .proc = exists_command, .arity = -2, .flags = CMD_READONLY | CMD_FAST,
     .acl_categories = ACL_CATS_exists, .key_specs = KS_exists, .doc = &DOC_exists},
    {.name = "type", .proc = type_command, .arity = 2, .flags = CMD_READONLY | CMD_FAST,
     .acl_categories = ACL_CATS_type, .key_specs = KS_type, .doc = &DOC_type},
    {.name = "touch", .proc = touch_command, .arity = -2, .flags = CMD_READONLY | CMD_FAST,
     .acl_categories = ACL_CATS_touch, .key_specs = KS_touch, .doc = &DOC_touch},
    {.name = "rename", .proc = rename_command, .arity = 3, .flags = CMD_WRITE,
     .acl_categories = ACL_CATS_rename, .key_specs = KS_rename, .propagate = PROPAGATE_ASIS, .doc = &DOC_rename},
    {.name = "renamenx", .proc = renamenx_command, .arity = 3, .flags = CMD_WRITE | CMD_FAST,
     .acl_categories = ACL_CATS_renamenx, .key_specs = KS_renamenx, .propagate = PROPAGATE_ASIS, .doc = &DOC_renamenx},
    {.name = "copy", .proc = copy_command, .arity = -3, .flags = CMD_WRITE | CMD_DENYOOM,
     .acl_categories = ACL_CATS_copy, .key_specs = KS_copy, .propagate = PROPAGATE_ASIS, .doc = &DOC_copy},
    {.name = "move", .proc = move_command, .arity = 3, .flags = CMD_WRITE | CMD_FAST,
     .acl_categories = ACL_CATS_move, .key_specs = KS_move, .propagate = PROPAGATE_ASIS, .doc = &DOC_move},
    {.name = "swapdb", .proc = swapdb_command, .arity = 3, .flags = CMD_WRITE | CMD_FAST,
     .acl_categories = ACL_CATS_swapdb, .key_specs = KS_swapdb, .propagate = PROPAGATE_ASIS, .doc = &DOC_swapdb},
    {.name = "keys", .proc = keys_command, .arity = 2, .flags = CMD_READONLY,
     .acl_categories = ACL_CATS_keys, .key_specs = KS_keys, .doc = &DOC_keys},
    {.name = "scan", .proc = scan_command, .arity = -2, .flags = CMD_READONLY | CMD_TOUCHES_ARBITRARY_KEYS,
     .acl_categories = ACL_CATS_scan, .key_specs = KS_scan, .doc = &DOC_scan},
    {.name = "randomkey", .proc = randomkey_command, .arity = 1, .flags = CMD_READONLY | CMD_TOUCHES_ARBITRARY_KEYS,
     .acl_categories = ACL_CATS_randomkey, .key_specs = KS_randomkey, .doc = &DOC_randomkey},
    {.name = "expire", .proc = expire_command, .arity = -3, .flags = CMD_WRITE | CMD_FAST,
     .acl_categories = ACL_CATS_expire, .key_specs = KS_expire, .propagate = PROPAGATE_REWRITTEN, .doc = &DOC_expire},
    {.name = "pexpire", .proc = pexpire_command, .arity = -3, .flags = CMD_WRITE | CMD_FAST,
     .acl_categories = ACL_CATS_pexpire, .key_specs = KS_pexpire, .propagate = PROPAGATE_REWRITTEN, .doc = &DOC_pexpire},
    {.name = "expireat", .proc = expireat_command, .arity = -3, .flags = CMD_WRITE | CMD_FAST,
     .acl_categories = ACL_CATS_expireat, .key_specs = KS_expireat, .propagate = PROPAGATE_REWRITTEN, .doc = &DOC_expireat},
    {.name = "pexpireat", .proc = pexpireat_command, .arity = -3, .flags = CMD_WRITE | CMD_FAST,
     .acl_categories = ACL_CATS_pexpireat, .key_specs = KS_pexpireat, .propagate = PROPAGATE_REWRITTEN, .doc = &DOC_pexpireat},
    {.name = "ttl", .proc = ttl_command, .arity = 2, .flags = CMD_READONLY | CMD_FAST,
     .acl_categories = ACL_CATS_ttl, .key_specs = KS_ttl, .doc = &DOC_ttl},
    {.name = "pttl", .proc = pttl_command, .arity = 2, .flags = CMD_READONLY | CMD_FAST,
     .acl_categories = ACL_CATS_pttl, .key_specs = KS_pttl, .doc = &DOC_pttl},
    {.name = "expiretime", .proc = expiretime_command, .arity = 2, .flags = CMD_READONLY | CMD_FAST,
     .acl_categories = ACL_CATS_expiretime, .key_specs = KS_expiretime, .doc = &DOC_expiretime},
    {.name = "pexpiretime", .proc = pexpiretime_command, .arity = 2, .flags = CMD_READONLY | CMD_FAST,
     .acl_categories = ACL_CATS_pexpiretime, .key_specs = KS_pexpiretime, .doc = &DOC_pexpiretime},
    {.name = "persist", .proc = persist_command, .arity = 2, .flags = CMD_WRITE | CMD_FAST,
     .acl_categories = ACL_CATS_persist, .key_specs = KS_persist, .propagate = PROPAGATE_ASIS, .doc = &DOC_persist},
    {.name = "sort", .proc = sort_command, .arity = -2, .flags = CMD_WRITE | CMD_DENYOOM,
     .acl_categories = ACL_CATS_sort, .key_specs = KS_sort, .propagate = PROPAGATE_ASIS, .getkeys = sort_get_keys, .doc = &DOC_sort},
    {.name = "sort_ro", .proc = sort_ro_command, .arity = -2, .flags = CMD_READONLY,
     .acl_categories = ACL_CATS_sort_ro, .key_specs = KS_sort_ro, .getkeys = sort_ro_get_keys, .doc = &DOC_sort_ro},
    {.name = "dbsize", .proc = dbsize_command, .arity = 1, .flags = CMD_READONLY | CMD_FAST,
     .acl_categories = ACL_CATS_dbsize, .key_specs = KS_dbsize, .doc = &DOC_dbsize},
    {.name = "flushdb", .proc = flushdb_command, .arity = -1, .flags = CMD_WRITE,
     .acl_categories = ACL_CATS_flushdb, .key_specs = KS_flushdb, .propagate = PROPAGATE_ASIS, .doc = &DOC_flushdb},
    {.name = "flushall", .proc = flushall_command, .arity = -1, .flags = CMD_WRITE,
     .acl_categories = ACL_CATS_flushall, .key_specs = KS_flushall, .propagate = PROPAGATE_ASIS, .doc = &DOC_flushall},

    /* ---- server (cmd_server.c) ---- */
    {.name = "shutdown", .proc = shutdown_command, .arity = -1, .flags = CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_NO_MULTI | CMD_ALLOW_BUSY,
     .acl_categories = ACL_CATS_shutdown, .key_specs = KS_shutdown, .doc = &DOC_shutdown},
    {.name = "time", .proc = time_command, .arity = 1, .flags = CMD_LOADING | CMD_STALE | CMD_FAST,
     .acl_categories = ACL_CATS_time, .key_specs = KS_time, .doc = &DOC_time},
    {.name = "lastsave", .proc = lastsave_command, .arity = 1, .flags = CMD_LOADING | CMD_STALE | CMD_FAST,
     .acl_categories = ACL_CATS_lastsave, .key_specs = KS_lastsave, .doc = &DOC_lastsave},
    {.name = "save", .proc = save_command, .arity = 1, .flags = CMD_ADMIN | CMD_NOSCRIPT | CMD_NO_ASYNC_LOADING | CMD_NO_MULTI,
     .acl_categories = ACL_CATS_save, .key_specs = KS_save, .doc = &DOC_save},
    {.name = "bgrewriteaof", .proc = bgrewriteaof_command, .arity = 1, .flags = CMD_ADMIN | CMD_NOSCRIPT | CMD_NO_ASYNC_LOADING,
     .acl_categories = ACL_CATS_bgrewriteaof, .key_specs = KS_bgrewriteaof, .doc = &DOC_bgrewriteaof},
    {.name = "bgsave", .proc = bgsave_command, .arity = -1, .flags = CMD_ADMIN | CMD_NOSCRIPT | CMD_NO_ASYNC_LOADING,
     .acl_categories = ACL_CATS_bgsave, .key_specs = KS_bgsave, .doc = &DOC_bgsave},
    {.name = "dump", .proc = dump_command, .arity = 2, .flags = CMD_READONLY,
     .acl_categories = ACL_CATS_dump, .key_specs = KS_dump, .doc = &DOC_dump},
    {.name = "restore", .proc = restore_command, .arity = -4, .flags = CMD_WRITE | CMD_DENYOOM,
     .acl_categories = ACL_CATS_restore, .key_specs = KS_restore, .propagate = PROPAGATE_ASIS, .doc = &DOC_restore},
    {.name = "monitor", .proc = monitor_command, .arity = 1, .flags = CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE,
     .acl_categories = ACL_CATS_monitor, .key_specs = KS_monitor, .doc = &DOC_monitor},
    {.name = "slowlog", .proc = NULL, .arity = -2, .flags = 0,
     .acl_categories = ACL_CATS_slowlog, .key_specs = KS_slowlog, .subcommands = slowlog_subcommands, .doc = &DOC_slowlog},
    {.name = "latency", .proc = NULL, .arity = -2, .flags = 0,
     .acl_categories = ACL_CATS_latency, .key_specs = KS_latency, .subcommands = latency_subcommands, .doc = &DOC_latency},

    /* ---- introspection (cmd_info.c, cmd_config.c, cmd_command.c, cmd_debug.c) ---- */
    {.name = "info", .proc = info_command, .arity = -1, .flags = CMD_LOADING | CMD_STALE,
     .acl_categories = ACL_CATS_info, .key_specs = KS_info, .doc = &DOC_info},
    {.name = "config", .proc = NULL, .arity = -2, .flags = 0,
     .acl_categories = ACL_CATS_config, .key_specs = KS_config, .subcommands = config_subcommands, .doc = &DOC_config},
    /* COMMAND alone lists every command, so the container has a procedure of its own. */
    {.name = "command", .proc = command_command, .arity = -1, .flags = CMD_LOADING | CMD_STALE,
     .acl_categories = ACL_CATS_command, .key_specs = KS_command, .subcommands = command_subcommands, .doc = &DOC_command},
    {.name = "debug", .proc = debug_command, .arity = -2, .flags = CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_PROTECTED,
     .acl_categories = ACL_CATS_debug, .key_specs = KS_debug, .doc = &DOC_debug},
    {.name = "module", .proc = NULL, .arity = -2, .flags = 0,
     .acl_categories = ACL_CATS_module, .key_specs = KS_module, .subcommands = module_subcommands, .doc = &DOC_module},
    {.name = "lolwut", .proc = lolwut_command, .arity = -1, .flags = CMD_READONLY | CMD_FAST,
     .acl_categories = ACL_CATS_lolwut, .key_specs = KS_lolwut, .doc = &DOC_lolwut},
    {.name = "object", .proc = NULL, .arity = -2, .flags = 0,
     .acl_categories = ACL_CATS_object, .key_specs = KS_object, .subcommands = object_subcommands, .doc = &DOC_object},
    {.name = "memory", .proc = NULL, .arity = -2, .flags = 0,
     .acl_categories = ACL_CATS_memory, .key_specs = KS_memory, .subcommands = memory_subcommands, .doc = &DOC_memory},

    /* ---- hashes (t_hash.c) ---- */
    {.name = "hset", .proc = hset_command, .arity = -4, .flags = CMD_WRITE | CMD_DENYOOM | CMD_FAST,
     .acl_categories = ACL_CATS_hset, .key_specs = KS_hset, .propagate = PROPAGATE_ASIS, .doc = &DOC_hset},
    {.name = "hsetnx", .proc = hsetnx_command, .arity = 4, .flags = CMD_WRITE | CMD_DENYOOM | CMD_FAST,
     .acl_categories = ACL_CATS_hsetnx, .key_specs = KS_hsetnx, .propagate = PROPAGATE_ASIS, .doc = &DOC_hsetnx},
    {.name = "hmset", .proc = hmset_command, .arity = -4, .flags = CMD_WRITE | CMD_DENYOOM | CMD_FAST,
     .acl_categories = ACL_CATS_hmset, .key_specs = KS_hmset, .propagate = PROPAGATE_ASIS, .doc = &DOC_hmset},
    {.name = "hget", .proc = hget_command, .arity = 3, .flags = CMD_READONLY | CMD_FAST,
     .acl_categories = ACL_CATS_hget, .key_specs = KS_hget, .doc = &DOC_hget},
    {.name = "hmget", .proc = hmget_command, .arity = -3, .flags = CMD_READONLY | CMD_FAST,
     .acl_categories = ACL_CATS_hmget, .key_specs = KS_hmget, .doc = &DOC_hmget},
    {.name = "hdel", .proc = hdel_command, .arity = -3, .flags = CMD_WRITE | CMD_FAST,
     .acl_categories = ACL_CATS_hdel, .key_specs = KS_hdel, .propagate = PROPAGATE_ASIS, .doc = &DOC_hdel},
    {.name = "hlen", .proc = hlen_command, .arity = 2, .flags = CMD_READONLY | CMD_FAST,
     .acl_categories = ACL_CATS_hlen, .key_specs = KS_hlen, .doc = &DOC_hlen},
    {.name = "hstrlen", .proc = hstrlen_command, .arity = 3, .flags = CMD_READONLY | CMD_FAST,
     .acl_categories = ACL_CATS_hstrlen, .key_specs = KS_hstrlen, .doc = &DOC_hstrlen},
    {.name = "hexists", .proc = hexists_command, .arity = 3, .flags = CMD_READONLY | CMD_FAST,
     .acl_categories = ACL_CATS_hexists, .key_specs = KS_hexists, .doc = &DOC_hexists},
    {.name = "hkeys", .proc = hkeys_command, .arity = 2, .flags = CMD_READONLY,
     .acl_categories = ACL_CATS_hkeys, .key_specs = KS_hkeys, .doc = &DOC_hkeys},
    {.name = "hvals", .proc = hvals_command, .arity = 2, .flags = CMD_READONLY,
     .acl_categories = ACL_CATS_hvals, .key_specs = KS_hvals, .doc = &DOC_hvals},
    {.name = "hgetall", .proc = hgetall_command, .arity = 2, .flags = CMD_READONLY,
     .acl_categories = ACL_CATS_hgetall, .key_specs = KS_hgetall, .doc = &DOC_hgetall},
    {.name = "hincrby", .proc = hincrby_command, .arity = 4, .flags = CMD_WRITE | CMD_DENYOOM | CMD_FAST,
     .acl_categories = ACL_CATS_hincrby, .key_specs = KS_hincrby, .propagate = PROPAGATE_ASIS, .doc = &DOC_hincrby},
    {.name = "hincrbyfloat", .proc = hincrbyfloat_command, .arity = 4, .flags = CMD_WRITE | CMD_DENYOOM | CMD_FAST,
     .acl_categories = ACL_CATS_hincrbyfloat, .key_specs = KS_hincrbyfloat, .propagate = PROPAGATE_REWRITTEN, .doc = &DOC_hincrbyfloat},
    {.name = "hrandfield", .proc = hrandfield_command, .arity = -2, .flags = CMD_READONLY,
     .acl_categories = ACL_CATS_hrandfield, .key_specs = KS_hrandfield, .doc = &DOC_hrandfield},
    {.name = "hscan", .proc = hscan_command, .arity = -3, .flags = CMD_READONLY,
     .acl_categories = ACL_CATS_hscan, .key_specs = KS_hscan, .doc = &DOC_hscan},

    /* ---- lists (t_list.c) ---- */
    {.name = "lpush", .proc = lpush_command, .arity = -3, .flags = CMD_WRITE | CMD_DENYOOM | CMD_FAST,
     .acl_categories = ACL_CATS_lpush, .key_specs = KS_lpush, .propagate = PROPAGATE_ASIS, .doc = &DOC_lpush},
    {.name = "rpush", .proc = rpush_command, .arity = -3, .flags = CMD_WRITE | CMD_DENYOOM | CMD_FAST,
     .acl_categories = ACL_CATS_rpush, .key_specs = KS_rpush, .propagate = PROPAGATE_ASIS, .doc = &DOC_rpush},
    {.name = "lpushx", .proc = lpushx_command, .arity = -3, .flags = CMD_WRITE | CMD_DENYOOM | CMD_FAST,
     .acl_categories = ACL_CATS_lpushx, .key_specs = KS_lpushx, .propagate = PROPAGATE_ASIS, .doc = &DOC_lpushx},
    {.name = "rpushx", .proc = rpushx_command, .arity = -3, .flags = CMD_WRITE | CMD_DENYOOM | CMD_FAST,
     .acl_categories = ACL_CATS_rpushx, .key_specs = KS_rpushx, .propagate = PROPAGATE_ASIS, .doc = &DOC_rpushx},
    {.name = "lpop", .proc = lpop_command, .arity = -2, .flags = CMD_WRITE | CMD_FAST,
     .acl_categories = ACL_CATS_lpop, .key_specs = KS_lpop, .propagate = PROPAGATE_ASIS, .doc = &DOC_lpop},
    {.name = "rpop", .proc = rpop_command, .arity = -2, .flags = CMD_WRITE | CMD_FAST,
     .acl_categories = ACL_CATS_rpop, .key_specs = KS_rpop, .propagate = PROPAGATE_ASIS, .doc = &DOC_rpop},
    {.name = "llen", .proc = llen_command, .arity = 2, .flags = CMD_READONLY | CMD_FAST,
     .acl_categories = ACL_CATS_llen, .key_specs = KS_llen, .doc = &DOC_llen},
    {.name = "lrange", .proc = lrange_command, .arity = 4, .flags = CMD_READONLY,
     .acl_categories = ACL_CATS_lrange, .key_specs = KS_lrange, .doc = &DOC_lrange},
    {.name = "lindex", .proc = lindex_command, .arity = 3, .flags = CMD_READONLY,
     .acl_categories = ACL_CATS_lindex, .key_specs = KS_lindex, .doc = &DOC_lindex},
    {.name = "lset", .proc = lset_command, .arity = 4, .flags = CMD_WRITE | CMD_DENYOOM,
     .acl_categories = ACL_CATS_lset, .key_specs = KS_lset, .propagate = PROPAGATE_ASIS, .doc = &DOC_lset},
    {.name = "linsert", .proc = linsert_command, .arity = 5, .flags = CMD_WRITE | CMD_DENYOOM,
     .acl_categories = ACL_CATS_linsert, .key_specs = KS_linsert, .propagate = PROPAGATE_ASIS, .doc = &DOC_linsert},
    {.name = "lrem", .proc = lrem_command, .arity = 4, .flags = CMD_WRITE,
     .acl_categories = ACL_CATS_lrem, .key_specs = KS_lrem, .propagate = PROPAGATE_ASIS, .doc = &DOC_lrem},
    {.name = "ltrim", .proc = ltrim_command, .arity = 4, .flags = CMD_WRITE,
     .acl_categories = ACL_CATS_ltrim, .key_specs = KS_ltrim, .propagate = PROPAGATE_ASIS, .doc = &DOC_ltrim},
    {.name = "lpos", .proc = lpos_command, .arity = -3, .flags = CMD_READONLY,
     .acl_categories = ACL_CATS_lpos, .key_specs = KS_lpos, .doc = &DOC_lpos},
    {.name = "lmove", .proc = lmove_command, .arity = 5, .flags = CMD_WRITE | CMD_DENYOOM,
     .acl_categories = ACL_CATS_lmove, .key_specs = KS_lmove, .propagate = PROPAGATE_ASIS, .doc = &DOC_lmove},
    {.name = "rpoplpush", .proc = rpoplpush_command, .arity = 3, .flags = CMD_WRITE | CMD_DENYOOM,
     .acl_categories = ACL_CATS_rpoplpush, .key_specs = KS_rpoplpush, .propagate = PROPAGATE_ASIS, .doc = &DOC_rpoplpush},
    {.name = "lmpop", .proc = lmpop_command, .arity = -4, .flags = CMD_WRITE,
     .acl_categories = ACL_CATS_lmpop, .key_specs = KS_lmpop, .propagate = PROPAGATE_REWRITTEN, .doc = &DOC_lmpop},
    {.name = "blpop", .proc = blpop_command, .arity = -3, .flags = CMD_WRITE | CMD_NOSCRIPT | CMD_BLOCKING,
     .acl_categories = ACL_CATS_blpop, .key_specs = KS_blpop, .propagate = PROPAGATE_REWRITTEN, .doc = &DOC_blpop},
    {.name = "brpop", .proc = brpop_command, .arity = -3, .flags = CMD_WRITE | CMD_NOSCRIPT | CMD_BLOCKING,
     .acl_categories = ACL_CATS_brpop, .key_specs = KS_brpop, .propagate = PROPAGATE_REWRITTEN, .doc = &DOC_brpop},
    {.name = "blmove", .proc = blmove_command, .arity = 6, .flags = CMD_WRITE | CMD_DENYOOM | CMD_NOSCRIPT | CMD_BLOCKING,
     .acl_categories = ACL_CATS_blmove, .key_specs = KS_blmove, .propagate = PROPAGATE_REWRITTEN, .doc = &DOC_blmove},
    {.name = "brpoplpush", .proc = brpoplpush_command, .arity = 4, .flags = CMD_WRITE | CMD_DENYOOM | CMD_NOSCRIPT | CMD_BLOCKING,
     .acl_categories = ACL_CATS_brpoplpush, .key_specs = KS_brpoplpush, .propagate = PROPAGATE_REWRITTEN, .doc = &DOC_brpoplpush},
    {.name = "blmpop", .proc = blmpop_command, .arity = -5, .flags = CMD_WRITE | CMD_BLOCKING,
     .acl_categories = ACL_CATS_blmpop, .key_specs = KS_blmpop, .propagate = PROPAGATE_REWRITTEN, .doc = &DOC_blmpop},

    /* ---- sets (t_set.c) ---- */
    {.name = "sadd", .proc = sadd_command, .arity = -3, .flags = CMD_WRITE | CMD_DENYOOM | CMD_FAST,
     .acl_categories = ACL_CATS_sadd, .key_specs = KS_sadd, .propagate = PROPAGATE_ASIS, .doc = &DOC_sadd},
    {.name = "srem", .proc = srem_command, .arity = -3, .flags = CMD_WRITE | CMD_FAST,
     .acl_categories = ACL_CATS_srem, .key_specs = KS_srem, .propagate = PROPAGATE_ASIS, .doc = &DOC_srem},
    {.name = "scard", .proc = scard_command, .arity = 2, .flags = CMD_READONLY | CMD_FAST,
     .acl_categories = ACL_CATS_scard, .key_specs = KS_scard, .doc = &DOC_scard},
    {.name = "sismember", .proc = sismember_command, .arity = 3, .flags = CMD_READONLY | CMD_FAST,
     .acl_categories = ACL_CATS_sismember, .key_specs = KS_sismember, .doc = &DOC_sismember},
    {.name = "smismember", .proc = smismember_command, .arity = -3, .flags = CMD_READONLY | CMD_FAST,
     .acl_categories = ACL_CATS_smismember, .key_specs = KS_smismember, .doc = &DOC_smismember},
    {.name = "smembers", .proc = smembers_command, .arity = 2, .flags = CMD_READONLY,
     .acl_categories = ACL_CATS_smembers, .key_specs = KS_smembers, .doc = &DOC_smembers},
    {.name = "spop", .proc = spop_command, .arity = -2, .flags = CMD_WRITE | CMD_FAST,
     .acl_categories = ACL_CATS_spop, .key_specs = KS_spop, .propagate = PROPAGATE_REWRITTEN, .doc = &DOC_spop},
    {.name = "srandmember", .proc = srandmember_command, .arity = -2, .flags = CMD_READONLY,
     .acl_categories = ACL_CATS_srandmember, .key_specs = KS_srandmember, .doc = &DOC_srandmember},
    {.name = "smove", .proc = smove_command, .arity = 4, .flags = CMD_WRITE | CMD_FAST,
     .acl_categories = ACL_CATS_smove, .key_specs = KS_smove, .propagate = PROPAGATE_ASIS, .doc = &DOC_smove},
    {.name = "sinter", .proc = sinter_command, .arity = -2, .flags = CMD_READONLY,
     .acl_categories = ACL_CATS_sinter, .key_specs = KS_sinter, .doc = &DOC_sinter},
    {.name = "sintercard", .proc = sintercard_command, .arity = -3, .flags = CMD_READONLY,
     .acl_categories = ACL_CATS_sintercard, .key_specs = KS_sintercard, .doc = &DOC_sintercard},
    {.name = "sinterstore", .proc = sinterstore_command, .arity = -3, .flags = CMD_WRITE | CMD_DENYOOM,
     .acl_categories = ACL_CATS_sinterstore, .key_specs = KS_sinterstore, .propagate = PROPAGATE_ASIS, .doc = &DOC_sinterstore},
    {.name = "sunion", .proc = sunion_command, .arity = -2, .flags = CMD_READONLY,
     .acl_categories = ACL_CATS_sunion, .key_specs = KS_sunion, .doc = &DOC_sunion},
    {.name = "sunionstore", .proc = sunionstore_command, .arity = -3, .flags = CMD_WRITE | CMD_DENYOOM,
     .acl_categories = ACL_CATS_sunionstore, .key_specs = KS_sunionstore, .propagate = PROPAGATE_ASIS, .doc = &DOC_sunionstore},
    {.name = "sdiff", .proc = sdiff_command, .arity = -2, .flags = CMD_READONLY,
     .acl_categories = ACL_CATS_sdiff, .key_specs = KS_sdiff, .doc = &DOC_sdiff},
    {.name = "sdiffstore", .proc = sdiffstore_command, .arity = -3, .flags = CMD_WRITE | CMD_DENYOOM,
     .acl_categories = ACL_CATS_sdiffstore, .key_specs = KS_sdiffstore, .propagate = PROPAGATE_ASIS, .doc = &DOC_sdiffstore},
    {.name = "sscan", .proc = sscan_command, .arity = -3, .flags = CMD_READONLY,
     .acl_categories = ACL_CATS_sscan, .key_specs = KS_sscan, .doc = &DOC_sscan},

    /* ---- sorted sets (t_zset.c) ---- */
    {.name = "zadd", .proc = zadd_command, .arity = -4, .flags = CMD_WRITE | CMD_DENYOOM | CMD_FAST,
     .acl_categories = ACL_CATS_zadd, .key_specs = KS_zadd, .propagate = PROPAGATE_ASIS, .doc = &DOC_zadd},
    {.name = "zincrby", .proc = zincrby_command, .arity = 4, .flags = CMD_WRITE | CMD_DENYOOM | CMD_FAST,
     .acl_categories = ACL_CATS_zincrby, .key_specs = KS_zincrby, .propagate = PROPAGATE_ASIS, .doc = &DOC_zincrby},
    {.name = "zrem", .proc = zrem_command, .arity = -3, .flags = CMD_WRITE | CMD_FAST,
     .acl_categories = ACL_CATS_zrem, .key_specs = KS_zrem, .propagate = PROPAGATE_ASIS, .doc = &DOC_zrem},
    {.name = "zcard", .proc = zcard_command, .arity = 2, .flags = CMD_READONLY | CMD_FAST,
     .acl_categories = ACL_CATS_zcard, .key_specs = KS_zcard, .doc = &DOC_zcard},
    {.name = "zscore", .proc = zscore_command, .arity = 3, .flags = CMD_READONLY | CMD_FAST,
     .acl_categories = ACL_CATS_zscore, .key_specs = KS_zscore, .doc = &DOC_zscore},
    {.name = "zmscore", .proc = zmscore_command, .arity = -3, .flags = CMD_READONLY | CMD_FAST,
     .acl_categories = ACL_CATS_zmscore, .key_specs = KS_zmscore, .doc = &DOC_zmscore},
    {.name = "zrank", .proc = zrank_command, .arity = 3, .flags = CMD_READONLY | CMD_FAST,
     .acl_categories = ACL_CATS_zrank, .key_specs = KS_zrank, .doc = &DOC_zrank},
    {.name = "zrevrank", .proc = zrevrank_command, .arity = 3, .flags = CMD_READONLY | CMD_FAST,
     .acl_categories = ACL_CATS_zrevrank, .key_specs = KS_zrevrank, .doc = &DOC_zrevrank},
    {.name = "zrange", .proc = zrange_command, .arity = -4, .flags = CMD_READONLY,
     .acl_categories = ACL_CATS_zrange, .key_specs = KS_zrange, .doc = &DOC_zrange},
    {.name = "zrangestore", .proc = zrangestore_command, .arity = -5, .flags = CMD_WRITE | CMD_DENYOOM,
     .acl_categories = ACL_CATS_zrangestore, .key_specs = KS_zrangestore, .propagate = PROPAGATE_ASIS, .doc = &DOC_zrangestore},
    {.name = "zrevrange", .proc = zrevrange_command, .arity = -4, .flags = CMD_READONLY,
     .acl_categories = ACL_CATS_zrevrange, .key_specs = KS_zrevrange, .doc = &DOC_zrevrange},
    {.name = "zrangebyscore", .proc = zrangebyscore_command, .arity = -4, .flags = CMD_READONLY,
     .acl_categories = ACL_CATS_zrangebyscore, .key_specs = KS_zrangebyscore, .doc = &DOC_zrangebyscore},
    {.name = "zrevrangebyscore", .proc = zrevrangebyscore_command, .arity = -4, .flags = CMD_READONLY,
     .acl_categories = ACL_CATS_zrevrangebyscore, .key_specs = KS_zrevrangebyscore, .doc = &DOC_zrevrangebyscore},
    {.name = "zrangebylex", .proc = zrangebylex_command, .arity = -4, .flags = CMD_READONLY,
     .acl_categories = ACL_CATS_zrangebylex, .key_specs = KS_zrangebylex, .doc = &DOC_zrangebylex},
    {.name = "zrevrangebylex", .proc = zrevrangebylex_command, .arity = -4, .flags = CMD_READONLY,
     .acl_categories = ACL_CATS_zrevrangebylex, .key_specs = KS_zrevrangebylex, .doc = &DOC_zrevrangebylex},
    {.name = "zcount", .proc = zcount_command, .arity = 4, .flags = CMD_READONLY | CMD_FAST,
     .acl_categories = ACL_CATS_zcount, .key_specs = KS_zcount, .doc = &DOC_zcount},
    {.name = "zlexcount", .proc = zlexcount_command, .arity = 4, .flags = CMD_READONLY | CMD_FAST,
     .acl_categories = ACL_CATS_zlexcount, .key_specs = KS_zlexcount, .doc = &DOC_zlexcount},
    {.name = "zpopmin", .proc = zpopmin_command, .arity = -2, .flags = CMD_WRITE | CMD_FAST,
     .acl_categories = ACL_CATS_zpopmin, .key_specs = KS_zpopmin, .propagate = PROPAGATE_ASIS, .doc = &DOC_zpopmin},
    {.name = "zpopmax", .proc = zpopmax_command, .arity = -2, .flags = CMD_WRITE | CMD_FAST,
     .acl_categories = ACL_CATS_zpopmax, .key_specs = KS_zpopmax, .propagate = PROPAGATE_ASIS, .doc = &DOC_zpopmax},
    {.name = "bzpopmin", .proc = bzpopmin_command, .arity = -3, .flags = CMD_WRITE | CMD_NOSCRIPT | CMD_BLOCKING | CMD_FAST,
     .acl_categories = ACL_CATS_bzpopmin, .key_specs = KS_bzpopmin, .propagate = PROPAGATE_REWRITTEN, .doc = &DOC_bzpopmin},
    {.name = "bzpopmax", .proc = bzpopmax_command, .arity = -3, .flags = CMD_WRITE | CMD_NOSCRIPT | CMD_BLOCKING | CMD_FAST,
     .acl_categories = ACL_CATS_bzpopmax, .key_specs = KS_bzpopmax, .propagate = PROPAGATE_REWRITTEN, .doc = &DOC_bzpopmax},
    {.name = "bzmpop", .proc = bzmpop_command, .arity = -5, .flags = CMD_WRITE | CMD_BLOCKING,
     .acl_categories = ACL_CATS_bzmpop, .key_specs = KS_bzmpop, .propagate = PROPAGATE_REWRITTEN, .doc = &DOC_bzmpop},
    {.name = "zmpop", .proc = zmpop_command, .arity = -4, .flags = CMD_WRITE,
     .acl_categories = ACL_CATS_zmpop, .key_specs = KS_zmpop, .propagate = PROPAGATE_REWRITTEN, .doc = &DOC_zmpop},
    {.name = "zunion", .proc = zunion_command, .arity = -3, .flags = CMD_READONLY,
     .acl_categories = ACL_CATS_zunion, .key_specs = KS_zunion, .doc = &DOC_zunion},
    {.name = "zinter", .proc = zinter_command, .arity = -3, .flags = CMD_READONLY,
     .acl_categories = ACL_CATS_zinter, .key_specs = KS_zinter, .doc = &DOC_zinter},
    {.name = "zdiff", .proc = zdiff_command, .arity = -3, .flags = CMD_READONLY,
     .acl_categories = ACL_CATS_zdiff, .key_specs = KS_zdiff, .doc = &DOC_zdiff},
    {.name = "zunionstore", .proc = zunionstore_command, .arity = -4, .flags = CMD_WRITE | CMD_DENYOOM,
     .acl_categories = ACL_CATS_zunionstore, .key_specs = KS_zunionstore, .propagate = PROPAGATE_ASIS, .doc = &DOC_zunionstore},
    {.name = "zinterstore", .proc = zinterstore_command, .arity = -4, .flags = CMD_WRITE | CMD_DENYOOM,
     .acl_categories = ACL_CATS_zinterstore, .key_specs = KS_zinterstore, .propagate = PROPAGATE_ASIS, .doc = &DOC_zinterstore},
    {.name = "zdiffstore", .proc = zdiffstore_command, .arity = -4, .flags = CMD_WRITE | CMD_DENYOOM,
     .acl_categories = ACL_CATS_zdiffstore, .key_specs = KS_zdiffstore, .propagate = PROPAGATE_ASIS, .doc = &DOC_zdiffstore},
    {.name = "zintercard", .proc = zintercard_command, .arity = -3, .flags = CMD_READONLY,
     .acl_categories = ACL_CATS_zintercard, .key_specs = KS_zintercard, .doc = &DOC_zintercard},
    {.name = "zrandmember", .proc = zrandmember_command, .arity = -2, .flags = CMD_READONLY,
     .acl_categories = ACL_CATS_zrandmember, .key_specs = KS_zrandmember, .doc = &DOC_zrandmember},
    {.name = "zremrangebyrank", .proc = zremrangebyrank_command, .arity = 4, .flags = CMD_WRITE,
     .acl_categories = ACL_CATS_zremrangebyrank, .key_specs = KS_zremrangebyrank, .propagate = PROPAGATE_ASIS, .doc = &DOC_zremrangebyrank},
    {.name = "zremrangebyscore", .proc = zremrangebyscore_command, .arity = 4, .flags = CMD_WRITE,
     .acl_categories = ACL_CATS_zremrangebyscore, .key_specs = KS_zremrangebyscore, .propagate = PROPAGATE_ASIS, .doc = &DOC_zremrangebyscore},
    {.name = "zremrangebylex", .proc = zremrangebylex_command, .arity = 4, .flags = CMD_WRITE,
     .acl_categories = ACL_CATS_zremrangebylex, .key_specs = KS_zremrangebylex, .propagate = PROPAGATE_ASIS, .doc = &DOC_zremrangebylex},
    {.name = "zscan", .proc = zscan_command, .arity = -3, .flags = CMD_READONLY,
     .acl_categories = ACL_CATS_zscan, .key_specs = KS_zscan, .doc = &DOC_zscan},

    /* ---- HyperLogLog (t_hll.c) and geo (t_geo.c) ---- */
    {.name = "pfadd", .proc = pfadd_command, .arity = -2, .flags = CMD_WRITE | CMD_DENYOOM | CMD_FAST,
     .acl_categories = ACL_CATS_pfadd, .key_specs = KS_pfadd, .propagate = PROPAGATE_ASIS, .doc = &DOC_pfadd},
    {.name = "pfcount", .proc = pfcount_command, .arity = -2, .flags = CMD_READONLY | CMD_MAY_REPLICATE,
     .acl_categories = ACL_CATS_pfcount, .key_specs = KS_pfcount, .propagate = PROPAGATE_ASIS, .doc = &DOC_pfcount},
    {.name = "pfmerge", .proc = pfmerge_command, .arity = -2, .flags = CMD_WRITE | CMD_DENYOOM,
     .acl_categories = ACL_CATS_pfmerge, .key_specs = KS_pfmerge, .propagate = PROPAGATE_ASIS, .doc = &DOC_pfmerge},
    {.name = "pfdebug", .proc = pfdebug_command, .arity = 3, .flags = CMD_WRITE | CMD_DENYOOM | CMD_ADMIN,
     .acl_categories = ACL_CATS_pfdebug, .key_specs = KS_pfdebug, .propagate = PROPAGATE_ASIS, .doc = &DOC_pfdebug},
    {.name = "pfselftest", .proc = pfselftest_command, .arity = 1, .flags = CMD_ADMIN,
     .acl_categories = ACL_CATS_pfselftest, .key_specs = KS_pfselftest, .doc = &DOC_pfselftest},
    {.name = "geoadd", .proc = geoadd_command, .arity = -5, .flags = CMD_WRITE | CMD_DENYOOM,
     .acl_categories = ACL_CATS_geoadd, .key_specs = KS_geoadd, .propagate = PROPAGATE_ASIS, .doc = &DOC_geoadd},
    {.name = "geopos", .proc = geopos_command, .arity = -2, .flags = CMD_READONLY,
     .acl_categories = ACL_CATS_geopos, .key_specs = KS_geopos, .doc = &DOC_geopos},
    {.name = "geodist", .proc = geodist_command, .arity = -4, .flags = CMD_READONLY,
     .acl_categories = ACL_CATS_geodist, .key_specs = KS_geodist, .doc = &DOC_geodist},
    {.name = "geohash", .proc = geohash_command, .arity = -2, .flags = CMD_READONLY,
     .acl_categories = ACL_CATS_geohash, .key_specs = KS_geohash, .doc = &DOC_geohash},
    {.name = "geosearch", .proc = geosearch_command, .arity = -7, .flags = CMD_READONLY,
     .acl_categories = ACL_CATS_geosearch, .key_specs = KS_geosearch, .doc = &DOC_geosearch},
    {.name = "geosearchstore", .proc = geosearchstore_command, .arity = -8, .flags = CMD_WRITE | CMD_DENYOOM,
     .acl_categories = ACL_CATS_geosearchstore, .key_specs = KS_geosearchstore, .propagate = PROPAGATE_ASIS, .doc = &DOC_geosearchstore},
    {.name = "georadius", .proc = georadius_command, .arity = -6, .flags = CMD_WRITE | CMD_DENYOOM,
     .acl_categories = ACL_CATS_georadius, .key_specs = KS_georadius, .propagate = PROPAGATE_ASIS, .doc = &DOC_georadius},
    {.name = "georadius_ro", .proc = georadius_ro_command, .arity = -6, .flags = CMD_READONLY,
     .acl_categories = ACL_CATS_georadius_ro, .key_specs = KS_georadius_ro, .doc = &DOC_georadius_ro},
    {.name = "georadiusbymember", .proc = georadiusbymember_command, .arity = -5, .flags = CMD_WRITE | CMD_DENYOOM,
     .acl_categories = ACL_CATS_georadiusbymember, .key_specs = KS_georadiusbymember, .propagate = PROPAGATE_ASIS, .doc = &DOC_georadiusbymember},
    {.name = "georadiusbymember_ro", .proc = georadiusbymember_ro_command, .arity = -5, .flags = CMD_READONLY,
     .acl_categories = ACL_CATS_georadiusbymember_ro, .key_specs = KS_georadiusbymember_ro, .doc = &DOC_georadiusbymember_ro},

    /* ---- streams (t_stream.c) ---- */
    {.name = "xadd", .proc = xadd_command, .arity = -5, .flags = CMD_WRITE | CMD_DENYOOM | CMD_FAST,
     .acl_categories = ACL_CATS_xadd, .key_specs = KS_xadd, .propagate = PROPAGATE_REWRITTEN, .doc = &DOC_xadd},
    {.name = "xrange", .proc = xrange_command, .arity = -4, .flags = CMD_READONLY,
     .acl_categories = ACL_CATS_xrange, .key_specs = KS_xrange, .doc = &DOC_xrange},
    {.name = "xrevrange", .proc = xrevrange_command, .arity = -4, .flags = CMD_READONLY,
     .acl_categories = ACL_CATS_xrevrange, .key_specs = KS_xrevrange, .doc = &DOC_xrevrange},
    {.name = "xlen", .proc = xlen_command, .arity = 2, .flags = CMD_READONLY | CMD_FAST,
     .acl_categories = ACL_CATS_xlen, .key_specs = KS_xlen, .doc = &DOC_xlen},
    {.name = "xdel", .proc = xdel_command, .arity = -3, .flags = CMD_WRITE | CMD_FAST,
     .acl_categories = ACL_CATS_xdel, .key_specs = KS_xdel, .propagate = PROPAGATE_ASIS, .doc = &DOC_xdel},
    {.name = "xtrim", .proc = xtrim_command, .arity = -4, .flags = CMD_WRITE,
     .acl_categories = ACL_CATS_xtrim, .key_specs = KS_xtrim, .propagate = PROPAGATE_REWRITTEN, .doc = &DOC_xtrim},
    {.name = "xsetid", .proc = xsetid_command, .arity = -3, .flags = CMD_WRITE | CMD_DENYOOM | CMD_FAST,
     .acl_categories = ACL_CATS_xsetid, .key_specs = KS_xsetid, .propagate = PROPAGATE_ASIS, .doc = &DOC_xsetid},
    {.name = "xread", .proc = xread_command, .arity = -4, .flags = CMD_READONLY | CMD_BLOCKING,
     .acl_categories = ACL_CATS_xread, .key_specs = KS_xread, .doc = &DOC_xread},
    {.name = "xreadgroup", .proc = xreadgroup_command, .arity = -7, .flags = CMD_WRITE | CMD_BLOCKING,
     .acl_categories = ACL_CATS_xreadgroup, .key_specs = KS_xreadgroup, .propagate = PROPAGATE_REWRITTEN, .doc = &DOC_xreadgroup},
    {.name = "xgroup", .proc = NULL, .arity = -2, .flags = 0,
     .acl_categories = ACL_CATS_xgroup, .key_specs = KS_xgroup, .subcommands = xgroup_subcommands, .doc = &DOC_xgroup},
    {.name = "xack", .proc = xack_command, .arity = -4, .flags = CMD_WRITE | CMD_FAST,
     .acl_categories = ACL_CATS_xack, .key_specs = KS_xack, .propagate = PROPAGATE_ASIS, .doc = &DOC_xack},
    {.name = "xpending", .proc = xpending_command, .arity = -3, .flags = CMD_READONLY,
     .acl_categories = ACL_CATS_xpending, .key_specs = KS_xpending, .doc = &DOC_xpending},
    {.name = "xclaim", .proc = xclaim_command, .arity = -6, .flags = CMD_WRITE | CMD_FAST,
     .acl_categories = ACL_CATS_xclaim, .key_specs = KS_xclaim, .propagate = PROPAGATE_REWRITTEN, .doc = &DOC_xclaim},
    {.name = "xautoclaim", .proc = xautoclaim_command, .arity = -6, .flags = CMD_WRITE | CMD_FAST,
     .acl_categories = ACL_CATS_xautoclaim, .key_specs = KS_xautoclaim, .propagate = PROPAGATE_REWRITTEN, .doc = &DOC_xautoclaim},
    {.name = "xinfo", .proc = NULL, .arity = -2, .flags = 0,
     .acl_categories = ACL_CATS_xinfo, .key_specs = KS_xinfo, .subcommands = xinfo_subcommands, .doc = &DOC_xinfo},


    /* ---- transactions (core/multi.c) ---- */
    {.name = "multi", .proc = multi_command, .arity = 1, .flags = CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_FAST | CMD_ALLOW_BUSY | CMD_MULTI_RUNS_NOW,
     .acl_categories = ACL_CATS_multi, .key_specs = KS_multi, .doc = &DOC_multi},
    {.name = "exec", .proc = exec_command, .arity = 1, .flags = CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_SKIP_SLOWLOG | CMD_MULTI_RUNS_NOW | CMD_EXECS_QUEUED,
     .acl_categories = ACL_CATS_exec, .key_specs = KS_exec, .doc = &DOC_exec},
    {.name = "discard", .proc = discard_command, .arity = 1, .flags = CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_FAST | CMD_ALLOW_BUSY | CMD_MULTI_RUNS_NOW | CMD_MULTI_LEAVES,
     .acl_categories = ACL_CATS_discard, .key_specs = KS_discard, .doc = &DOC_discard},
    {.name = "watch", .proc = watch_command, .arity = -2, .flags = CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_FAST | CMD_ALLOW_BUSY | CMD_MULTI_RUNS_NOW,
     .acl_categories = ACL_CATS_watch, .key_specs = KS_watch, .doc = &DOC_watch},
    {.name = "unwatch", .proc = unwatch_command, .arity = 1, .flags = CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_FAST | CMD_ALLOW_BUSY,
     .acl_categories = ACL_CATS_unwatch, .key_specs = KS_unwatch, .doc = &DOC_unwatch},

    /* ---- pubsub (core/pubsub.c) ---- */
    {.name = "subscribe", .proc = subscribe_command, .arity = -2, .flags = CMD_PUBSUB | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_SUBSCRIBED_OK,
     .acl_categories = ACL_CATS_subscribe, .key_specs = KS_subscribe, .doc = &DOC_subscribe},
    {.name = "unsubscribe", .proc = unsubscribe_command, .arity = -1, .flags = CMD_PUBSUB | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_SUBSCRIBED_OK,
     .acl_categories = ACL_CATS_unsubscribe, .key_specs = KS_unsubscribe, .doc = &DOC_unsubscribe},
    {.name = "psubscribe", .proc = psubscribe_command, .arity = -2, .flags = CMD_PUBSUB | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_SUBSCRIBED_OK,
     .acl_categories = ACL_CATS_psubscribe, .key_specs = KS_psubscribe, .doc = &DOC_psubscribe},
    {.name = "punsubscribe", .proc = punsubscribe_command, .arity = -1, .flags = CMD_PUBSUB | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_SUBSCRIBED_OK,
     .acl_categories = ACL_CATS_punsubscribe, .key_specs = KS_punsubscribe, .doc = &DOC_punsubscribe},
    {.name = "publish", .proc = publish_command, .arity = 3, .flags = CMD_PUBSUB | CMD_LOADING | CMD_STALE | CMD_FAST | CMD_MAY_REPLICATE,
     .acl_categories = ACL_CATS_publish, .key_specs = KS_publish, .propagate = PROPAGATE_ASIS, .doc = &DOC_publish},
    {.name = "ssubscribe", .proc = ssubscribe_command, .arity = -2, .flags = CMD_PUBSUB | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_SUBSCRIBED_OK,
     .acl_categories = ACL_CATS_ssubscribe, .key_specs = KS_ssubscribe, .doc = &DOC_ssubscribe},
    {.name = "sunsubscribe", .proc = sunsubscribe_command, .arity = -1, .flags = CMD_PUBSUB | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_SUBSCRIBED_OK,
     .acl_categories = ACL_CATS_sunsubscribe, .key_specs = KS_sunsubscribe, .doc = &DOC_sunsubscribe},
    {.name = "spublish", .proc = spublish_command, .arity = 3, .flags = CMD_PUBSUB | CMD_LOADING | CMD_STALE | CMD_FAST | CMD_MAY_REPLICATE,
     .acl_categories = ACL_CATS_spublish, .key_specs = KS_spublish, .propagate = PROPAGATE_ASIS, .doc = &DOC_spublish},
    {.name = "pubsub", .proc = NULL, .arity = -2, .flags = 0,
     .acl_categories = ACL_CATS_pubsub, .key_specs = KS_pubsub, .subcommands = pubsub_subcommands, .doc = &DOC_pubsub},
    /* ---- scripting (cmd_script.c) ---- */
    {.name = "eval", .proc = eval_command, .arity = -3, .flags = CMD_NOSCRIPT | CMD_STALE | CMD_SKIP_MONITOR | CMD_NO_MANDATORY_KEYS | CMD_MAY_REPLICATE,
     .acl_categories = ACL_CATS_eval, .key_specs = KS_eval, .doc = &DOC_eval},
    {.name = "evalsha", .proc = evalsha_command, .arity = -3, .flags = CMD_NOSCRIPT | CMD_STALE | CMD_SKIP_MONITOR | CMD_NO_MANDATORY_KEYS | CMD_MAY_REPLICATE,
     .acl_categories = ACL_CATS_evalsha, .key_specs = KS_evalsha, .doc = &DOC_evalsha},
    {.name = "eval_ro", .proc = eval_ro_command, .arity = -3, .flags = CMD_READONLY | CMD_NOSCRIPT | CMD_STALE | CMD_SKIP_MONITOR | CMD_NO_MANDATORY_KEYS,
     .acl_categories = ACL_CATS_eval_ro, .key_specs = KS_eval_ro, .doc = &DOC_eval_ro},
    {.name = "evalsha_ro", .proc = evalsha_ro_command, .arity = -3, .flags = CMD_READONLY | CMD_NOSCRIPT | CMD_STALE | CMD_SKIP_MONITOR | CMD_NO_MANDATORY_KEYS,
     .acl_categories = ACL_CATS_evalsha_ro, .key_specs = KS_evalsha_ro, .doc = &DOC_evalsha_ro},
    {.name = "script", .proc = NULL, .arity = -2, .flags = 0,
     .acl_categories = ACL_CATS_script, .key_specs = KS_script, .subcommands = script_subcommands, .doc = &DOC_script},
    {.name = "replicaof", .proc = replicaof_command, .arity = 3, .flags = CMD_ADMIN | CMD_NOSCRIPT | CMD_STALE | CMD_NO_ASYNC_LOADING,
     .acl_categories = ACL_CATS_replicaof, .key_specs = KS_replicaof, .doc = &DOC_replicaof},
    {.name = "slaveof", .proc = slaveof_command, .arity = 3, .flags = CMD_ADMIN | CMD_NOSCRIPT | CMD_STALE | CMD_NO_ASYNC_LOADING,
     .acl_categories = ACL_CATS_slaveof, .key_specs = KS_slaveof, .doc = &DOC_slaveof},
    {.name = "replconf", .proc = replconf_command, .arity = -1, .flags = CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_ALLOW_BUSY,
     .acl_categories = ACL_CATS_replconf, .key_specs = KS_replconf, .doc = &DOC_replconf},
    {.name = "psync", .proc = psync_command, .arity = -3, .flags = CMD_ADMIN | CMD_NOSCRIPT | CMD_NO_ASYNC_LOADING | CMD_NO_MULTI,
     .acl_categories = ACL_CATS_psync, .key_specs = KS_psync, .doc = &DOC_psync},
    {.name = "sync", .proc = sync_command, .arity = 1, .flags = CMD_ADMIN | CMD_NOSCRIPT | CMD_NO_ASYNC_LOADING | CMD_NO_MULTI,
     .acl_categories = ACL_CATS_sync, .key_specs = KS_sync, .doc = &DOC_sync},
    {.name = "role", .proc = role_command, .arity = 1, .flags = CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_FAST,
     .acl_categories = ACL_CATS_role, .key_specs = KS_role, .doc = &DOC_role},
    {.name = "wait", .proc = wait_command, .arity = 3, .flags = CMD_NOSCRIPT,
     .acl_categories = ACL_CATS_wait, .key_specs = KS_wait, .doc = &DOC_wait},
    {.name = "failover", .proc = failover_command, .arity = -1, .flags = CMD_ADMIN | CMD_NOSCRIPT | CMD_STALE,
     .acl_categories = ACL_CATS_failover, .key_specs = KS_failover, .doc = &DOC_failover},
    /* ---- functions (cmd_function.c) ---- */
    {.name = "fcall", .proc = fcall_command, .arity = -3, .flags = CMD_NOSCRIPT | CMD_STALE | CMD_SKIP_MONITOR | CMD_NO_MANDATORY_KEYS,
     .acl_categories = ACL_CATS_fcall, .key_specs = KS_fcall, .doc = &DOC_fcall},
    {.name = "fcall_ro", .proc = fcall_ro_command, .arity = -3, .flags = CMD_READONLY | CMD_NOSCRIPT | CMD_STALE | CMD_SKIP_MONITOR | CMD_NO_MANDATORY_KEYS,
     .acl_categories = ACL_CATS_fcall_ro, .key_specs = KS_fcall_ro, .doc = &DOC_fcall_ro},
    {.name = "function", .proc = NULL, .arity = -2, .flags = 0,
     .acl_categories = ACL_CATS_function, .key_specs = KS_function, .subcommands = function_subcommands, .doc = &DOC_function},
    /* ---- cluster (src/cluster/cluster_cmd.c) ---- */
    {.name = "cluster", .proc = NULL, .arity = -2, .flags = 0,
     .acl_categories = ACL_CATS_cluster, .key_specs = KS_cluster, .subcommands = cluster_subcommands, .doc = &DOC_cluster},
    {.name = "asking", .proc = asking_command, .arity = 1, .flags = CMD_FAST,
     .acl_categories = ACL_CATS_asking, .key_specs = KS_asking, .doc = &DOC_asking},
    {.name = "readonly", .proc = readonly_command, .arity = 1, .flags = CMD_LOADING | CMD_STALE | CMD_FAST,
     .acl_categories = ACL_CATS_readonly, .key_specs = KS_readonly, .doc = &DOC_readonly},
    {.name = "readwrite", .proc = readwrite_command, .arity = 1, .flags = CMD_LOADING | CMD_STALE | CMD_FAST,
     .acl_categories = ACL_CATS_readwrite, .key_specs = KS_readwrite, .doc = &DOC_readwrite},
    {.name = "migrate", .proc = migrate_command, .arity = -6, .flags = CMD_WRITE, .propagate = PROPAGATE_REWRITTEN,
     .acl_categories = ACL_CATS_migrate, .key_specs = KS_migrate, .getkeys = migrate_get_keys, .doc = &DOC_migrate},
    {.name = "restore-asking", .proc = restore_command, .arity = -4, .flags = CMD_WRITE | CMD_DENYOOM | CMD_ASKING,
     .acl_categories = ACL_CATS_restore_asking, .key_specs = KS_restore_asking, .propagate = PROPAGATE_ASIS, .doc = &DOC_restore_asking},
    END,
};

/* Flag names in COMMAND INFO's order (Redis hides may_replicate and protected). */
static const struct {
    uint64_t bit;
    const char *name;
} flag_names[] = {
    {CMD_WRITE, "write"}, {CMD_READONLY, "readonly"}, {CMD_DENYOOM, "denyoom"}, {CMD_ADMIN, "admin"},
    {CMD_PUBSUB, "pubsub"}, {CMD_NOSCRIPT, "noscript"}, {CMD_BLOCKING, "blocking"}, {CMD_LOADING, "loading"},
    {CMD_STALE, "stale"}, {CMD_SKIP_MONITOR, "skip_monitor"}, {CMD_SKIP_SLOWLOG, "skip_slowlog"},
    {CMD_ASKING, "asking"}, {CMD_FAST, "fast"}, {CMD_NO_AUTH, "no_auth"},
    {CMD_NO_MANDATORY_KEYS, "no_mandatory_keys"}, {CMD_NO_ASYNC_LOADING, "no_async_loading"},
    {CMD_NO_MULTI, "no_multi"}, {CMD_MOVABLE_KEYS, "movablekeys"}, {CMD_ALLOW_BUSY, "allow_busy"}, {0, NULL},
};
const char *command_flag_name(int i, uint64_t *bit) {
    *bit = flag_names[i].bit;
    return flag_names[i].name;
}

/* Lookup: open addressing over lowercased names, built at start-up and again after each
 * rename-command. A slot holds the name the row answers to: its own, or its new name. */
#define LOOKUP_SLOTS 1024
static struct {
    const char *name;
    command *cmd;
} lookup_slots[LOOKUP_SLOTS];

/* rename-command: rows known by another name ("" = none), in config order. */
static struct rename {
    command *cmd;
    char *name;
} *renames;
static int nrenames;

static uint32_t name_hash(const char *lower, size_t len) {
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < len; i++) h = (h ^ (unsigned char)lower[i]) * 16777619u;
    return h;
}

static void index_command(command *cmd) {
    const char *name = cmd->name;
    for (int i = 0; i < nrenames; i++)
        if (renames[i].cmd == cmd) name = renames[i].name;
    if (!name[0]) return;
    uint32_t h = name_hash(name, strlen(name)) & (LOOKUP_SLOTS - 1);
    while (lookup_slots[h].cmd) h = (h + 1) & (LOOKUP_SLOTS - 1);
    lookup_slots[h].name = name;
    lookup_slots[h].cmd = cmd;
}

static void index_all(void) {
    memset(lookup_slots, 0, sizeof(lookup_slots));
    for (command *cmd = commands; cmd->name; cmd++) index_command(cmd);
}

/* Redis's legacy (first, last, step) triple: the one index+range spec as it is, or else the
 * span of the consecutive step-1 index+range specs; 0 0 0 if there are none. */
static void derive_legacy_range(command *cmd) {
    const keySpec *ks = cmd->key_specs;
    int first = INT_MAX, last = 0, prev_last = 0, simple = cmd->key_specs_num == 1;
    for (int i = 0; i < cmd->key_specs_num; i++) {
        if (ks[i].begin_search != KSB_INDEX || ks[i].find_keys != KSF_RANGE) continue;
        int pos = ks[i].bs.index.pos, lastkey = ks[i].fk.range.lastkey;
        if (simple) {
            cmd->first_key = pos;
            cmd->last_key = lastkey < 0 ? lastkey : pos + lastkey;
            cmd->key_step = ks[i].fk.range.keystep;
            return;
        }
        if (ks[i].fk.range.keystep != 1 || (prev_last && prev_last != pos - 1)) continue;
        int abs_last = lastkey < 0 ? lastkey : pos + lastkey;
        if (pos < first) first = pos;
        /* Unsigned, so that a negative (counted from the end) last key is the largest. */
        if ((unsigned)abs_last > (unsigned)last) last = abs_last;
        prev_last = last;
    }
    if (first == INT_MAX) return;
    cmd->first_key = first;
    cmd->last_key = last;
    cmd->key_step = 1;
}

/* Fills what the row implies: full name, parent, spec count, legacy range, movablekeys (keys
 * that a spec other than index+range finds). */
static void init_row(command *cmd, command *parent) {
    cmd->parent = parent;
    snprintf(cmd->fullname, sizeof(cmd->fullname), "%s", cmd->name);
    while (cmd->key_specs && cmd->key_specs[cmd->key_specs_num].begin_search != KSB_END) cmd->key_specs_num++;
    derive_legacy_range(cmd);
    int movable = 0;
    for (int i = 0; i < cmd->key_specs_num; i++)
        if (cmd->key_specs[i].begin_search != KSB_INDEX || cmd->key_specs[i].find_keys != KSF_RANGE) movable = 1;
    if (movable) cmd->flags |= CMD_MOVABLE_KEYS;
}

void commands_init(void) {
    static int done;   /* the config file's rename-command may have run it already */
    if (done) return;
    done = 1;
    int acl_id = 0;
    for (command *cmd = commands; cmd->name; cmd++) {
        init_row(cmd, NULL);
        cmd->acl_id = acl_id++;
        for (command *sub = cmd->subcommands; sub && sub->name; sub++) {
            init_row(sub, cmd);
            sub->acl_id = acl_id++;
        }
    }
    index_all();
}

const char *command_rename(const char *from, size_t flen, const char *to, size_t tlen) {
    commands_init();
    command *cmd = (command *)command_lookup(from, flen);
    if (!cmd) return "No such command in rename-command";
    if (tlen && command_lookup(to, tlen)) return "Target command name already exists";
    renames = krealloc(renames, sizeof(*renames) * (size_t)(nrenames + 1));
    char *name = kmalloc(tlen + 1);
    for (size_t i = 0; i < tlen; i++) name[i] = (char)tolower((unsigned char)to[i]);
    name[tlen] = '\0';
    renames[nrenames].cmd = cmd;
    renames[nrenames++].name = name;   /* a later entry for the same row wins */
    index_all();
    return NULL;
}

const command *command_lookup(const char *name, size_t len) {
    char lower[64];
    if (len >= sizeof(lower)) return NULL;
    for (size_t i = 0; i < len; i++) lower[i] = (char)tolower((unsigned char)name[i]);
    uint32_t h = name_hash(lower, len) & (LOOKUP_SLOTS - 1);
    for (; lookup_slots[h].cmd; h = (h + 1) & (LOOKUP_SLOTS - 1))
        if (strlen(lookup_slots[h].name) == len && memcmp(lookup_slots[h].name, lower, len) == 0)
            return lookup_slots[h].cmd;
    return NULL;
}

/* For a container command, the subcommand row named by argv[1] ("config|get"); NULL if none. */
const command *command_lookup_argv(int argc, const karg *argv) {
    const command *cmd = command_lookup(argv[0].ptr, argv[0].len);
    if (!cmd || !cmd->subcommands) return cmd;
    if (argc < 2) return NULL;
    size_t plen = strlen(cmd->name);
    for (const command *sub = cmd->subcommands; sub->name; sub++) {
        const char *sname = sub->name + plen + 1;   /* "config|get" -> "get" */
        if (strlen(sname) == argv[1].len && strncasecmp(sname, argv[1].ptr, argv[1].len) == 0) return sub;
    }
    return NULL;
}

command *command_table(void) {
    return commands;
}

/* Redis's doesCommandHaveKeys: a getkeys procedure, or a spec that finds real keys (not the
 * shard channels of SPUBLISH & co). */
int command_has_keys(const command *cmd) {
    if (cmd->getkeys) return 1;
    for (int i = 0; i < cmd->key_specs_num; i++)
        if (!(cmd->key_specs[i].flags & KS_NOT_KEY)) return 1;
    return 0;
}
