/* commands.h - the command procedures the command table (command_table.c) points at.
 * Each group lives in the file named in its section. */
#ifndef KEEL_COMMANDS_H
#define KEEL_COMMANDS_H

#include "core/acl.h"
#include "core/multi.h"
#include "core/pubsub.h"
#include "core/tracking.h"
#include "server.h"

/* connection: src/commands/cmd_connection.c */
command_proc ping_command, echo_command, quit_command, select_command, hello_command, auth_command,
    reset_command;

/* strings: src/types/t_string.c, bit commands: src/types/t_bitops.c */
command_proc get_command, set_command, setnx_command, setex_command, psetex_command, getset_command,
    getdel_command, getex_command, mget_command, mset_command, msetnx_command, incr_command,
    decr_command, incrby_command, decrby_command, incrbyfloat_command, append_command, strlen_command,
    getrange_command, setrange_command, lcs_command;
command_proc setbit_command, getbit_command, bitcount_command, bitpos_command, bitop_command,
    bitfield_command, bitfield_ro_command;
/* The keys' flags depend on the options (the rows' specs say variable_flags): SET with GET
 * reads its key, BITFIELD with only GET and OVERFLOW does not write it. */
command_getkeys_proc set_get_keys, bitfield_get_keys;

/* keys: src/commands/cmd_keys.c, cmd_expire.c, cmd_sort.c */
command_proc del_command, unlink_command, exists_command, type_command, touch_command, rename_command,
    renamenx_command, copy_command, move_command, swapdb_command, keys_command, scan_command,
    randomkey_command, dbsize_command, flushdb_command, flushall_command;
command_proc expire_command, pexpire_command, expireat_command, pexpireat_command, ttl_command, pttl_command,
    expiretime_command, pexpiretime_command, persist_command;
command_proc sort_command, sort_ro_command;

/* server: src/commands/cmd_server.c */
command_proc shutdown_command, time_command, lastsave_command, monitor_command;
command_proc slowlog_get_command, slowlog_len_command, slowlog_reset_command, slowlog_help_command;
command_proc latency_latest_command, latency_history_command, latency_reset_command, latency_doctor_command,
    latency_help_command, latency_histogram_command;

/* introspection: cmd_info.c, cmd_config.c, cmd_client.c, cmd_command.c, cmd_debug.c */
command_proc info_command;
command_proc config_get_command, config_set_command, config_resetstat_command, config_rewrite_command,
    config_help_command;
command_proc client_id_command, client_setname_command, client_getname_command, client_list_command,
    client_info_command, client_kill_command, client_pause_command, client_unpause_command,
    client_reply_command, client_no_evict_command, client_getredir_command, client_trackinginfo_command,
    client_unblock_command, client_help_command;
command_proc command_command, command_count_command, command_info_command, command_docs_command,
    command_list_command, command_getkeys_command, command_getkeysandflags_command, command_help_command;
command_proc debug_command, module_list_command, module_help_command, lolwut_command;
command_proc object_encoding_command, object_refcount_command, object_idletime_command, object_freq_command,
    object_help_command;
command_proc memory_usage_command, memory_stats_command, memory_doctor_command, memory_malloc_stats_command,
    memory_purge_command, memory_help_command;
/* The name COMMAND INFO gives flag i (command_table.c); NULL past the last. */
const char *command_flag_name(int i, uint64_t *bit);

/* hashes: src/types/t_hash.c */
command_proc hset_command, hsetnx_command, hmset_command, hget_command, hmget_command, hdel_command,
    hlen_command, hstrlen_command, hexists_command, hkeys_command, hvals_command, hgetall_command,
    hincrby_command, hincrbyfloat_command, hrandfield_command, hscan_command;

/* lists: src/types/t_list.c */
command_proc lpush_command, rpush_command, lpushx_command, rpushx_command, lpop_command, rpop_command,
    llen_command, lrange_command, lindex_command, lset_command, linsert_command, lrem_command, ltrim_command,
    lpos_command, lmove_command, rpoplpush_command, lmpop_command, blpop_command, brpop_command, blmove_command,
    brpoplpush_command, blmpop_command;

/* sets: src/types/t_set.c */
command_proc sadd_command, srem_command, scard_command, sismember_command, smismember_command,
    smembers_command, spop_command, srandmember_command, smove_command, sinter_command,
    sintercard_command, sinterstore_command, sunion_command, sunionstore_command, sdiff_command,
    sdiffstore_command, sscan_command;

/* sorted sets: src/types/t_zset.c */
command_proc zadd_command, zincrby_command, zrem_command, zcard_command, zscore_command, zmscore_command,
    zrank_command, zrevrank_command, zrange_command, zrangestore_command, zrevrange_command, zrangebyscore_command,
    zrevrangebyscore_command, zrangebylex_command, zrevrangebylex_command, zcount_command, zlexcount_command,
    zpopmin_command, zpopmax_command, bzpopmin_command, bzpopmax_command, zmpop_command, bzmpop_command,
    zunion_command, zinter_command, zdiff_command, zunionstore_command, zinterstore_command, zdiffstore_command,
    zintercard_command, zrandmember_command, zremrangebyrank_command, zremrangebyscore_command,
    zremrangebylex_command, zscan_command;

/* HyperLogLog: src/types/t_hll.c */
command_proc pfadd_command, pfcount_command, pfmerge_command, pfdebug_command, pfselftest_command;

/* streams: src/types/t_stream.c */
command_proc xadd_command, xrange_command, xrevrange_command, xlen_command, xdel_command, xtrim_command,
    xsetid_command, xread_command, xreadgroup_command, xgroup_command, xgroup_help_command, xack_command,
    xpending_command, xclaim_command, xautoclaim_command, xinfo_consumers_command, xinfo_groups_command,
    xinfo_stream_command, xinfo_help_command;

/* geo: src/types/t_geo.c */
command_proc geoadd_command, geopos_command, geodist_command, geohash_command, geosearch_command,
    geosearchstore_command, georadius_command, georadius_ro_command, georadiusbymember_command,
    georadiusbymember_ro_command;

/* scripting: src/commands/cmd_script.c (engine: src/scripting/) */
command_proc eval_command, evalsha_command, eval_ro_command, evalsha_ro_command;
command_proc script_load_command, script_exists_command, script_flush_command, script_kill_command,
    script_help_command, script_debug_command;

/* functions: src/commands/cmd_function.c (engine: src/scripting/functions.c) */
command_proc fcall_command, fcall_ro_command, function_load_command, function_delete_command,
    function_flush_command, function_list_command, function_stats_command, function_kill_command,
    function_dump_command, function_restore_command, function_help_command;

#endif
