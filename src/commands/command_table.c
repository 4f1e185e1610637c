/* command_table.c - THE command table: every command's name, procedure, arity, flags, key
 * positions and documentation, in one array. Dispatch, COMMAND INFO/DOCS/COUNT/LIST, the OOM
 * check and key extraction all read it; nothing else registers commands.
 *
 * Row: CMD(name, proc, arity, flags, first_key, last_key, key_step, group, since, complexity,
 *          summary). Arity: n > 0 exactly n arguments (with the name), n < 0 at least -n.
 * Container commands (CONFIG, CLIENT, ...) use SUBCMDS(name, array, flags, group, since,
 * summary) and list their subcommands in a separate array of CMD rows named "parent|sub". */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "commands/commands.h"
#include "persist/persist.h"
#include "server.h"

#define CMD(n, p, a, f, fk, lk, ks, g, ver, cx, sum) \
    { .name = n, .proc = p, .arity = a, .flags = f, .first_key = fk, .last_key = lk, .key_step = ks, \
      .group = g, .since = ver, .complexity = cx, .summary = sum }
#define SUBCMDS(n, subs, f, g, ver, sum) \
    { .name = n, .proc = NULL, .arity = -2, .flags = f, .group = g, .since = ver, .complexity = "", \
      .summary = sum, .subcommands = subs }
#define END { .name = NULL }

#define W CMD_WRITE
#define R CMD_READONLY
#define M CMD_DENYOOM
#define F CMD_FAST
#define A CMD_ADMIN
#define NS CMD_NOSCRIPT
#define L CMD_LOADING
#define S CMD_STALE
#define NA CMD_NO_AUTH
#define SM CMD_SKIP_MONITOR
#define SS CMD_SKIP_SLOWLOG

/* ---- subcommands of connection, server and introspection commands (cmd_client.c, cmd_server.c,
 * cmd_config.c, cmd_command.c, cmd_debug.c) ---- */
static command client_subcommands[] = {
    CMD("client|caching", client_caching_command, 3, NS | L | S, 0, 0, 0, "connection", "6.0.0", "O(1)", "Instruct the server about tracking or not keys in the next request"),
    CMD("client|getname", client_getname_command, 2, NS | L | S, 0, 0, 0, "connection", "2.6.9", "O(1)", "Get the current connection name"),
    CMD("client|getredir", client_getredir_command, 2, NS | L | S, 0, 0, 0, "connection", "6.0.0", "O(1)", "Get tracking notifications redirection client ID if any"),
    CMD("client|help", client_help_command, 2, L | S, 0, 0, 0, "connection", "5.0.0", "O(1)", "Show helpful text about the different subcommands"),
    CMD("client|id", client_id_command, 2, NS | L | S, 0, 0, 0, "connection", "5.0.0", "O(1)", "Returns the client ID for the current connection"),
    CMD("client|info", client_info_command, 2, NS | L | S, 0, 0, 0, "connection", "6.2.0", "O(1)", "Returns information about the current client connection."),
    CMD("client|kill", client_kill_command, -3, A | NS | L | S, 0, 0, 0, "connection", "2.4.0", "O(N) where N is the number of client connections", "Kill the connection of a client"),
    CMD("client|list", client_list_command, -2, A | NS | L | S, 0, 0, 0, "connection", "2.4.0", "O(N) where N is the number of client connections", "Get the list of client connections"),
    CMD("client|no-evict", client_no_evict_command, 3, A | NS | L | S, 0, 0, 0, "connection", "7.0.0", "O(1)", "Set client eviction mode for the current connection"),
    CMD("client|pause", client_pause_command, -3, A | NS | L | S, 0, 0, 0, "connection", "2.9.50", "O(1)", "Stop processing commands from clients for some time"),
    CMD("client|reply", client_reply_command, 3, NS | L | S, 0, 0, 0, "connection", "3.2.0", "O(1)", "Instruct the server whether to reply to commands"),
    CMD("client|setname", client_setname_command, 3, NS | L | S, 0, 0, 0, "connection", "2.6.9", "O(1)", "Set the current connection name"),
    CMD("client|tracking", client_tracking_command, -3, NS | L | S, 0, 0, 0, "connection", "6.0.0", "O(1). Some options may introduce additional complexity.", "Enable or disable server assisted client side caching support"),
    CMD("client|trackinginfo", client_trackinginfo_command, 2, NS | L | S, 0, 0, 0, "connection", "6.2.0", "O(1)", "Return information about server assisted client side caching for the current connection"),
    CMD("client|unblock", client_unblock_command, -3, A | NS | L | S, 0, 0, 0, "connection", "5.0.0", "O(log N) where N is the number of client connections", "Unblock a client blocked in a blocking command from a different connection"),
    CMD("client|unpause", client_unpause_command, 2, A | NS | L | S, 0, 0, 0, "connection", "6.2.0", "O(N) Where N is the number of paused clients", "Resume processing of clients that were paused"),
    END,
};
static command slowlog_subcommands[] = {
    CMD("slowlog|get", slowlog_get_command, -2, A | L | S, 0, 0, 0, "server", "2.2.12", "O(N) where N is the number of entries returned", "Get the slow log's entries"),
    CMD("slowlog|help", slowlog_help_command, 2, L | S, 0, 0, 0, "server", "6.2.0", "O(1)", "Show helpful text about the different subcommands"),
    CMD("slowlog|len", slowlog_len_command, 2, A | L | S, 0, 0, 0, "server", "2.2.12", "O(1)", "Get the slow log's length"),
    CMD("slowlog|reset", slowlog_reset_command, 2, A | L | S, 0, 0, 0, "server", "2.2.12", "O(N) where N is the number of entries in the slowlog", "Clear all entries from the slow log"),
    END,
};
static command latency_subcommands[] = {
    CMD("latency|doctor", latency_doctor_command, 2, A | NS | L | S, 0, 0, 0, "server", "2.8.13", "O(1)", "Return a human readable latency analysis report."),
    CMD("latency|help", latency_help_command, 2, L | S, 0, 0, 0, "server", "2.8.13", "O(1)", "Show helpful text about the different subcommands."),
    CMD("latency|history", latency_history_command, 3, A | NS | L | S, 0, 0, 0, "server", "2.8.13", "O(1)", "Return timestamp-latency samples for the event."),
    CMD("latency|latest", latency_latest_command, 2, A | NS | L | S, 0, 0, 0, "server", "2.8.13", "O(1)", "Return the latest latency samples for all events."),
    CMD("latency|reset", latency_reset_command, -2, A | NS | L | S, 0, 0, 0, "server", "2.8.13", "O(1)", "Reset latency data for one or more events."),
    END,
};
static command config_subcommands[] = {
    CMD("config|get", config_get_command, -3, A | NS | L | S, 0, 0, 0, "server", "2.0.0", "O(N) when N is the number of configuration parameters provided", "Get the values of configuration parameters"),
    CMD("config|help", config_help_command, 2, L | S, 0, 0, 0, "server", "5.0.0", "O(1)", "Show helpful text about the different subcommands"),
    CMD("config|resetstat", config_resetstat_command, 2, A | NS | L | S, 0, 0, 0, "server", "2.0.0", "O(1)", "Reset the stats returned by INFO"),
    CMD("config|rewrite", config_rewrite_command, 2, A | NS | L | S, 0, 0, 0, "server", "2.8.0", "O(1)", "Rewrite the configuration file with the in memory configuration"),
    CMD("config|set", config_set_command, -4, A | NS | L | S, 0, 0, 0, "server", "2.0.0", "O(N) when N is the number of configuration parameters provided", "Set configuration parameters to the given values"),
    END,
};
static command command_subcommands[] = {
    CMD("command|count", command_count_command, 2, L | S, 0, 0, 0, "server", "2.8.13", "O(1)", "Get total number of Redis commands"),
    CMD("command|docs", command_docs_command, -2, L | S, 0, 0, 0, "server", "7.0.0", "O(N) where N is the number of commands to look up", "Get array of specific Redis command documentation"),
    CMD("command|getkeys", command_getkeys_command, -4, L | S, 0, 0, 0, "server", "2.8.13", "O(N) where N is the number of arguments to the command", "Extract keys given a full Redis command"),
    CMD("command|getkeysandflags", command_getkeysandflags_command, -4, L | S, 0, 0, 0, "server", "7.0.0", "O(N) where N is the number of arguments to the command", "Extract keys and access flags given a full Redis command"),
    CMD("command|help", command_help_command, 2, L | S, 0, 0, 0, "server", "5.0.0", "O(1)", "Show helpful text about the different subcommands"),
    CMD("command|info", command_info_command, -2, L | S, 0, 0, 0, "server", "2.8.13", "O(N) where N is the number of commands to look up", "Get array of specific Redis command details, or all when no argument is given."),
    CMD("command|list", command_list_command, -2, L | S, 0, 0, 0, "server", "7.0.0", "O(N) where N is the total number of Redis commands", "Get an array of Redis command names"),
    END,
};
static command object_subcommands[] = {
    CMD("object|encoding", object_encoding_command, 3, R, 2, 2, 1, "generic", "2.2.3", "O(1)", "Inspect the internal encoding of a Redis object"),
    CMD("object|freq", object_freq_command, 3, R, 2, 2, 1, "generic", "4.0.0", "O(1)", "Get the logarithmic access frequency counter of a Redis object"),
    CMD("object|help", object_help_command, 2, L | S, 0, 0, 0, "generic", "6.2.0", "O(1)", "Show helpful text about the different subcommands"),
    CMD("object|idletime", object_idletime_command, 3, R, 2, 2, 1, "generic", "2.2.3", "O(1)", "Get the time since a Redis object was last accessed"),
    CMD("object|refcount", object_refcount_command, 3, R, 2, 2, 1, "generic", "2.2.3", "O(1)", "Get the number of references to the value of the key"),
    END,
};
static command memory_subcommands[] = {
    CMD("memory|doctor", memory_doctor_command, 2, 0, 0, 0, 0, "server", "4.0.0", "O(1)", "Outputs memory problems report"),
    CMD("memory|help", memory_help_command, 2, L | S, 0, 0, 0, "server", "4.0.0", "O(1)", "Show helpful text about the different subcommands"),
    CMD("memory|malloc-stats", memory_malloc_stats_command, 2, 0, 0, 0, 0, "server", "4.0.0", "Depends on how much memory is allocated, could be slow", "Show allocator internal stats"),
    CMD("memory|purge", memory_purge_command, 2, 0, 0, 0, 0, "server", "4.0.0", "Depends on how much memory is allocated, could be slow", "Ask the allocator to release memory"),
    CMD("memory|stats", memory_stats_command, 2, 0, 0, 0, 0, "server", "4.0.0", "O(1)", "Show memory usage details"),
    CMD("memory|usage", memory_usage_command, -3, R, 2, 2, 1, "server", "4.0.0", "O(N) where N is the number of samples.", "Estimate the memory usage of a key"),
    END,
};

/* ---- subcommands of pubsub (core/pubsub.c) ---- */
static command pubsub_subcommands[] = {
    CMD("pubsub|channels", pubsub_channels_command, -2, CMD_PUBSUB | L | S, 0, 0, 0, "pubsub", "2.8.0", "O(N) where N is the number of active channels, and assuming constant time pattern matching (relatively short channels and patterns)", "List active channels"),
    CMD("pubsub|help", pubsub_help_command, 2, L | S, 0, 0, 0, "pubsub", "6.2.0", "O(1)", "Show helpful text about the different subcommands"),
    CMD("pubsub|numpat", pubsub_numpat_command, 2, CMD_PUBSUB | L | S, 0, 0, 0, "pubsub", "2.8.0", "O(1)", "Get the count of unique patterns pattern subscriptions"),
    CMD("pubsub|numsub", pubsub_numsub_command, -2, CMD_PUBSUB | L | S, 0, 0, 0, "pubsub", "2.8.0", "O(N) for the NUMSUB subcommand, where N is the number of requested channels", "Get the count of subscribers for channels"),
    CMD("pubsub|shardchannels", pubsub_shardchannels_command, -2, CMD_PUBSUB | L | S, 0, 0, 0, "pubsub", "7.0.0", "O(N) where N is the number of active shard channels, and assuming constant time pattern matching (relatively short shard channels).", "List active shard channels"),
    CMD("pubsub|shardnumsub", pubsub_shardnumsub_command, -2, CMD_PUBSUB | L | S, 0, 0, 0, "pubsub", "7.0.0", "O(N) for the SHARDNUMSUB subcommand, where N is the number of requested shard channels", "Get the count of subscribers for shard channels"),
    END,
};

/* ---- scripting (cmd_script.c) ---- */
static command script_subcommands[] = {
    CMD("script|debug", script_debug_command, 3, NS, 0, 0, 0, "scripting", "3.2.0", "O(1)", "Set the debug mode for executed scripts."),
    CMD("script|exists", script_exists_command, -3, NS, 0, 0, 0, "scripting", "2.6.0", "O(N) with N being the number of scripts to check (so checking a single script is an O(1) operation).", "Check existence of scripts in the script cache."),
    CMD("script|flush", script_flush_command, -2, NS, 0, 0, 0, "scripting", "2.6.0", "O(N) with N being the number of scripts in cache", "Remove all the scripts from the script cache."),
    CMD("script|help", script_help_command, 2, L | S, 0, 0, 0, "scripting", "5.0.0", "O(1)", "Show helpful text about the different subcommands"),
    CMD("script|kill", script_kill_command, 2, NS | CMD_ALLOW_BUSY, 0, 0, 0, "scripting", "2.6.0", "O(1)", "Kill the script currently in execution."),
    CMD("script|load", script_load_command, 3, NS | S, 0, 0, 0, "scripting", "2.6.0", "O(N) with N being the length in bytes of the script body.", "Load the specified Lua script into the script cache."),
    END,
};

static command commands[] = {
    /* ---- connection (cmd_connection.c, cmd_client.c) ---- */
    CMD("ping", ping_command, -1, F, 0, 0, 0, "connection", "1.0.0", "O(1)", "Ping the server"),
    CMD("echo", echo_command, 2, L | S | F, 0, 0, 0, "connection", "1.0.0", "O(1)", "Echo the given string"),
    CMD("quit", quit_command, -1, NS | L | S | F | NA | CMD_ALLOW_BUSY, 0, 0, 0, "connection", "1.0.0", "O(1)", "Close the connection"),
    CMD("select", select_command, 2, L | S | F, 0, 0, 0, "connection", "1.0.0", "O(1)", "Change the selected database for the current connection"),
    CMD("hello", hello_command, -1, NS | L | S | F | NA | CMD_ALLOW_BUSY, 0, 0, 0, "connection", "6.0.0", "O(1)", "Handshake with Redis"),
    CMD("auth", auth_command, -2, NS | L | S | F | NA | CMD_ALLOW_BUSY, 0, 0, 0, "connection", "1.0.0", "O(N) where N is the number of passwords defined for the user", "Authenticate to the server"),
    CMD("reset", reset_command, 1, NS | L | S | F | NA | CMD_ALLOW_BUSY, 0, 0, 0, "connection", "6.2.0", "O(1)", "Reset the connection"),
    SUBCMDS("client", client_subcommands, 0, "connection", "2.4.0", "A container for client connection commands"),

    /* ---- strings (t_string.c, t_bitops.c) ---- */
    CMD("get", get_command, 2, R | F, 1, 1, 1, "string", "1.0.0", "O(1)", "Get the value of a key"),
    CMD("set", set_command, -3, W | M, 1, 1, 1, "string", "1.0.0", "O(1)", "Set the string value of a key"),
    CMD("setnx", setnx_command, 3, W | M | F, 1, 1, 1, "string", "1.0.0", "O(1)", "Set the value of a key, only if the key does not exist"),
    CMD("setex", setex_command, 4, W | M, 1, 1, 1, "string", "2.0.0", "O(1)", "Set the value and expiration of a key"),
    CMD("psetex", psetex_command, 4, W | M, 1, 1, 1, "string", "2.6.0", "O(1)", "Set the value and expiration in milliseconds of a key"),
    CMD("getset", getset_command, 3, W | M | F, 1, 1, 1, "string", "1.0.0", "O(1)", "Set the string value of a key and return its old value"),
    CMD("getdel", getdel_command, 2, W | F, 1, 1, 1, "string", "6.2.0", "O(1)", "Get the value of a key and delete the key"),
    CMD("getex", getex_command, -2, W | F, 1, 1, 1, "string", "6.2.0", "O(1)", "Get the value of a key and optionally set its expiration"),
    CMD("mget", mget_command, -2, R | F, 1, -1, 1, "string", "1.0.0", "O(N) where N is the number of keys to retrieve.", "Get the values of all the given keys"),
    CMD("mset", mset_command, -3, W | M, 1, -1, 2, "string", "1.0.1", "O(N) where N is the number of keys to set.", "Set multiple keys to multiple values"),
    CMD("msetnx", msetnx_command, -3, W | M, 1, -1, 2, "string", "1.0.1", "O(N) where N is the number of keys to set.", "Set multiple keys to multiple values, only if none of the keys exist"),
    CMD("incr", incr_command, 2, W | M | F, 1, 1, 1, "string", "1.0.0", "O(1)", "Increment the integer value of a key by one"),
    CMD("decr", decr_command, 2, W | M | F, 1, 1, 1, "string", "1.0.0", "O(1)", "Decrement the integer value of a key by one"),
    CMD("incrby", incrby_command, 3, W | M | F, 1, 1, 1, "string", "1.0.0", "O(1)", "Increment the integer value of a key by the given amount"),
    CMD("decrby", decrby_command, 3, W | M | F, 1, 1, 1, "string", "1.0.0", "O(1)", "Decrement the integer value of a key by the given number"),
    CMD("incrbyfloat", incrbyfloat_command, 3, W | M | F, 1, 1, 1, "string", "2.6.0", "O(1)", "Increment the float value of a key by the given amount"),
    CMD("append", append_command, 3, W | M | F, 1, 1, 1, "string", "2.0.0", "O(1). The amortized time complexity is O(1) assuming the appended value is small and the already present value is of any size, since the dynamic string library used by Redis will double the free space available on every reallocation.", "Append a value to a key"),
    CMD("strlen", strlen_command, 2, R | F, 1, 1, 1, "string", "2.2.0", "O(1)", "Get the length of the value stored in a key"),
    CMD("getrange", getrange_command, 4, R, 1, 1, 1, "string", "2.4.0", "O(N) where N is the length of the returned string. The complexity is ultimately determined by the returned length, but because creating a substring from an existing string is very cheap, it can be considered O(1) for small strings.", "Get a substring of the string stored at a key"),
    CMD("substr", getrange_command, 4, R, 1, 1, 1, "string", "1.0.0", "O(N) where N is the length of the returned string. The complexity is ultimately determined by the returned length, but because creating a substring from an existing string is very cheap, it can be considered O(1) for small strings.", "Get a substring of the string stored at a key"),
    CMD("setrange", setrange_command, 4, W | M, 1, 1, 1, "string", "2.2.0", "O(1), not counting the time taken to copy the new string in place. Usually, this string is very small so the amortized complexity is O(1). Otherwise, complexity is O(M) with M being the length of the value argument.", "Overwrite part of a string at key starting at the specified offset"),
    CMD("lcs", lcs_command, -3, R, 1, 2, 1, "string", "7.0.0", "O(N*M) where N and M are the lengths of s1 and s2, respectively", "Find longest common substring"),
    CMD("setbit", setbit_command, 4, W | M, 1, 1, 1, "bitmap", "2.2.0", "O(1)", "Sets or clears the bit at offset in the string value stored at key"),
    CMD("getbit", getbit_command, 3, R | F, 1, 1, 1, "bitmap", "2.2.0", "O(1)", "Returns the bit value at offset in the string value stored at key"),
    CMD("bitcount", bitcount_command, -2, R, 1, 1, 1, "bitmap", "2.6.0", "O(N)", "Count set bits in a string"),
    CMD("bitpos", bitpos_command, -3, R, 1, 1, 1, "bitmap", "2.8.7", "O(N)", "Find first bit set or clear in a string"),
    CMD("bitop", bitop_command, -4, W | M, 2, -1, 1, "bitmap", "2.6.0", "O(N)", "Perform bitwise operations between strings"),
    CMD("bitfield", bitfield_command, -2, W | M, 1, 1, 1, "bitmap", "3.2.0", "O(1) for each subcommand specified", "Perform arbitrary bitfield integer operations on strings"),
    CMD("bitfield_ro", bitfield_ro_command, -2, R | F, 1, 1, 1, "bitmap", "6.0.0", "O(1) for each subcommand specified", "Perform arbitrary bitfield integer operations on strings. Read-only variant of BITFIELD"),

    /* ---- keys (cmd_keys.c, cmd_expire.c, cmd_sort.c) ---- */
    CMD("del", del_command, -2, W, 1, -1, 1, "generic", "1.0.0", "O(N) where N is the number of keys that will be removed. When a key to remove holds a value other than a string, the individual complexity for this key is O(M) where M is the number of elements in the list, set, sorted set or hash. Removing a single key that holds a string value is O(1).", "Delete a key"),
    CMD("unlink", unlink_command, -2, W | F, 1, -1, 1, "generic", "4.0.0", "O(1) for each key removed regardless of its size. Then the command does O(N) work in a different thread in order to reclaim memory, where N is the number of allocations the deleted objects where composed of.", "Delete a key asynchronously in another thread. Otherwise it is just as DEL, but non blocking."),
    CMD("exists", exists_command, -2, R | F, 1, -1, 1, "generic", "1.0.0", "O(N) where N is the number of keys to check.", "Determine if a key exists"),
    CMD("type", type_command, 2, R | F, 1, 1, 1, "generic", "1.0.0", "O(1)", "Determine the type stored at key"),
    CMD("touch", touch_command, -2, R | F, 1, -1, 1, "generic", "3.2.1", "O(N) where N is the number of keys that will be touched.", "Alters the last access time of a key(s). Returns the number of existing keys specified."),
    CMD("rename", rename_command, 3, W, 1, 2, 1, "generic", "1.0.0", "O(1)", "Rename a key"),
    CMD("renamenx", renamenx_command, 3, W | F, 1, 2, 1, "generic", "1.0.0", "O(1)", "Rename a key, only if the new key does not exist"),
    CMD("copy", copy_command, -3, W | M, 1, 2, 1, "generic", "6.2.0", "O(N) worst case for collections, where N is the number of nested items. O(1) for string values.", "Copy a key"),
    CMD("move", move_command, 3, W | F, 1, 1, 1, "generic", "1.0.0", "O(1)", "Move a key to another database"),
    CMD("swapdb", swapdb_command, 3, W | F, 0, 0, 0, "server", "4.0.0", "O(N) where N is the count of clients watching or blocking on keys from both databases.", "Swaps two Redis databases"),
    CMD("keys", keys_command, 2, R, 0, 0, 0, "generic", "1.0.0", "O(N) with N being the number of keys in the database, under the assumption that the key names in the database and the given pattern have limited length.", "Find all keys matching the given pattern"),
    CMD("scan", scan_command, -2, R, 0, 0, 0, "generic", "2.8.0", "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.", "Incrementally iterate the keys space"),
    CMD("randomkey", randomkey_command, 1, R, 0, 0, 0, "generic", "1.0.0", "O(1)", "Return a random key from the keyspace"),
    CMD("expire", expire_command, -3, W | F, 1, 1, 1, "generic", "1.0.0", "O(1)", "Set a key's time to live in seconds"),
    CMD("pexpire", pexpire_command, -3, W | F, 1, 1, 1, "generic", "2.6.0", "O(1)", "Set a key's time to live in milliseconds"),
    CMD("expireat", expireat_command, -3, W | F, 1, 1, 1, "generic", "1.2.0", "O(1)", "Set the expiration for a key as a UNIX timestamp"),
    CMD("pexpireat", pexpireat_command, -3, W | F, 1, 1, 1, "generic", "2.6.0", "O(1)", "Set the expiration for a key as a UNIX timestamp specified in milliseconds"),
    CMD("ttl", ttl_command, 2, R | F, 1, 1, 1, "generic", "1.0.0", "O(1)", "Get the time to live for a key in seconds"),
    CMD("pttl", pttl_command, 2, R | F, 1, 1, 1, "generic", "2.6.0", "O(1)", "Get the time to live for a key in milliseconds"),
    CMD("expiretime", expiretime_command, 2, R | F, 1, 1, 1, "generic", "7.0.0", "O(1)", "Get the expiration Unix timestamp for a key"),
    CMD("pexpiretime", pexpiretime_command, 2, R | F, 1, 1, 1, "generic", "7.0.0", "O(1)", "Get the expiration Unix timestamp for a key in milliseconds"),
    CMD("persist", persist_command, 2, W | F, 1, 1, 1, "generic", "2.2.0", "O(1)", "Remove the expiration from a key"),
    CMD("sort", sort_command, -2, W | M | CMD_MOVABLE_KEYS, 1, 1, 1, "generic", "1.0.0", "O(N+M*log(M)) where N is the number of elements in the list or set to sort, and M the number of returned elements. When the elements are not sorted, complexity is O(N).", "Sort the elements in a list, set or sorted set"),
    CMD("sort_ro", sort_ro_command, -2, R | CMD_MOVABLE_KEYS, 1, 1, 1, "generic", "7.0.0", "O(N+M*log(M)) where N is the number of elements in the list or set to sort, and M the number of returned elements. When the elements are not sorted, complexity is O(N).", "Sort the elements in a list, set or sorted set. Read-only variant of SORT."),
    CMD("dbsize", dbsize_command, 1, R | F, 0, 0, 0, "server", "1.0.0", "O(1)", "Return the number of keys in the selected database"),
    CMD("flushdb", flushdb_command, -1, W, 0, 0, 0, "server", "1.0.0", "O(N) where N is the number of keys in the selected database", "Remove all keys from the current database"),
    CMD("flushall", flushall_command, -1, W, 0, 0, 0, "server", "1.0.0", "O(N) where N is the total number of keys in all databases", "Remove all keys from all databases"),

    /* ---- persistence (src/persist/persist.c) ---- */
    CMD("save", save_command, 1, A | NS | CMD_NO_MULTI, 0, 0, 0, "server", "1.0.0", "O(N) where N is the total number of keys in all databases", "Synchronously save the dataset to disk"),
    CMD("bgsave", bgsave_command, -1, A | NS, 0, 0, 0, "server", "1.0.0", "O(N) where N is the total number of keys in all databases", "Asynchronously save the dataset to disk"),
    CMD("dump", dump_command, 2, R, 1, 1, 1, "generic", "2.6.0", "O(1) to access the key and additional O(N*M) to serialize it, where N is the number of Redis objects composing the value and M their average size. For small string values the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1).", "Return a serialized version of the value stored at the specified key."),
    CMD("restore", restore_command, -4, W | M, 1, 1, 1, "generic", "2.6.0", "O(1) to create the new key and additional O(N*M) to reconstruct the serialized value, where N is the number of Redis objects composing the value and M their average size. For small string values the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1). However for sorted set values the complexity is O(N*M*log(N)) because inserting values into sorted sets is O(log(N)).", "Create a key using the provided serialized value, previously obtained using DUMP."),

    /* ---- server (cmd_server.c) ---- */
    CMD("shutdown", shutdown_command, -1, A | NS | L | S | CMD_NO_MULTI | CMD_ALLOW_BUSY, 0, 0, 0, "server", "1.0.0", "O(N) when saving, where N is the total number of keys in all databases when saving data, otherwise O(1)", "Synchronously save the dataset to disk and then shut down the server"),
    CMD("time", time_command, 1, L | S | F, 0, 0, 0, "server", "2.6.0", "O(1)", "Return the current server time"),
    CMD("lastsave", lastsave_command, 1, L | S | F, 0, 0, 0, "server", "1.0.0", "O(1)", "Get the UNIX time stamp of the last successful save to disk"),
    CMD("monitor", monitor_command, 1, A | NS | L | S, 0, 0, 0, "server", "1.0.0", "", "Listen for all requests received by the server in real time"),
    SUBCMDS("slowlog", slowlog_subcommands, 0, "server", "2.2.12", "A container for slow log commands"),
    SUBCMDS("latency", latency_subcommands, 0, "server", "2.8.13", "A container for latency diagnostics commands"),

    /* ---- introspection (cmd_info.c, cmd_config.c, cmd_command.c, cmd_debug.c) ---- */
    CMD("info", info_command, -1, L | S, 0, 0, 0, "server", "1.0.0", "O(1)", "Get information and statistics about the server"),
    SUBCMDS("config", config_subcommands, 0, "server", "2.0.0", "A container for server configuration commands"),
    /* COMMAND alone lists every command, so the container has a procedure of its own. */
    { .name = "command", .proc = command_command, .arity = -1, .flags = L | S, .group = "server", .since = "2.8.13",
      .complexity = "O(N) where N is the total number of Redis commands", .summary = "Get array of Redis command details",
      .subcommands = command_subcommands },
    CMD("debug", debug_command, -2, A | NS | L | S, 0, 0, 0, "server", "1.0.0", "Depends on subcommand.", "A container for debugging commands"),
    SUBCMDS("object", object_subcommands, 0, "generic", "2.2.3", "A container for object introspection commands"),
    SUBCMDS("memory", memory_subcommands, 0, "server", "4.0.0", "A container for memory diagnostics commands"),

    /* ---- hashes (t_hash.c) ---- */
CMD("hset", hset_command, -4, W | M | F, 1, 1, 1, "hash", "2.0.0", "O(1) for each field/value pair added, so O(N) to add N field/value pairs when the command is called with multiple field/value pairs.", "Set the string value of a hash field"),
    CMD("hsetnx", hsetnx_command, 4, W | M | F, 1, 1, 1, "hash", "2.0.0", "O(1)", "Set the value of a hash field, only if the field does not exist"),
    CMD("hmset", hmset_command, -4, W | M | F, 1, 1, 1, "hash", "2.0.0", "O(N) where N is the number of fields being set.", "Set multiple hash fields to multiple values"),
    CMD("hget", hget_command, 3, R | F, 1, 1, 1, "hash", "2.0.0", "O(1)", "Get the value of a hash field"),
    CMD("hmget", hmget_command, -3, R | F, 1, 1, 1, "hash", "2.0.0", "O(N) where N is the number of fields being requested.", "Get the values of all the given hash fields"),
    CMD("hdel", hdel_command, -3, W | F, 1, 1, 1, "hash", "2.0.0", "O(N) where N is the number of fields to be removed.", "Delete one or more hash fields"),
    CMD("hlen", hlen_command, 2, R | F, 1, 1, 1, "hash", "2.0.0", "O(1)", "Get the number of fields in a hash"),
    CMD("hstrlen", hstrlen_command, 3, R | F, 1, 1, 1, "hash", "3.2.0", "O(1)", "Get the length of the value of a hash field"),
    CMD("hexists", hexists_command, 3, R | F, 1, 1, 1, "hash", "2.0.0", "O(1)", "Determine if a hash field exists"),
    CMD("hkeys", hkeys_command, 2, R, 1, 1, 1, "hash", "2.0.0", "O(N) where N is the size of the hash.", "Get all the fields in a hash"),
    CMD("hvals", hvals_command, 2, R, 1, 1, 1, "hash", "2.0.0", "O(N) where N is the size of the hash.", "Get all the values in a hash"),
    CMD("hgetall", hgetall_command, 2, R, 1, 1, 1, "hash", "2.0.0", "O(N) where N is the size of the hash.", "Get all the fields and values in a hash"),
    CMD("hincrby", hincrby_command, 4, W | M | F, 1, 1, 1, "hash", "2.0.0", "O(1)", "Increment the integer value of a hash field by the given number"),
    CMD("hincrbyfloat", hincrbyfloat_command, 4, W | M | F, 1, 1, 1, "hash", "2.6.0", "O(1)", "Increment the float value of a hash field by the given amount"),
    CMD("hrandfield", hrandfield_command, -2, R, 1, 1, 1, "hash", "6.2.0", "O(N) where N is the number of fields returned", "Get one or multiple random fields from a hash"),
    CMD("hscan", hscan_command, -3, R, 1, 1, 1, "hash", "2.8.0", "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..", "Incrementally iterate hash fields and associated values"),

    /* ---- lists (t_list.c) ---- */
    CMD("lpush", lpush_command, -3, W | M | F, 1, 1, 1, "list", "1.0.0", "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.", "Prepend one or multiple elements to a list"),
    CMD("rpush", rpush_command, -3, W | M | F, 1, 1, 1, "list", "1.0.0", "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.", "Append one or multiple elements to a list"),
    CMD("lpushx", lpushx_command, -3, W | M | F, 1, 1, 1, "list", "2.2.0", "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.", "Prepend an element to a list, only if the list exists"),
    CMD("rpushx", rpushx_command, -3, W | M | F, 1, 1, 1, "list", "2.2.0", "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.", "Append an element to a list, only if the list exists"),
    CMD("lpop", lpop_command, -2, W | F, 1, 1, 1, "list", "1.0.0", "O(N) where N is the number of elements returned", "Remove and get the first elements in a list"),
    CMD("rpop", rpop_command, -2, W | F, 1, 1, 1, "list", "1.0.0", "O(N) where N is the number of elements returned", "Remove and get the last elements in a list"),
    CMD("llen", llen_command, 2, R | F, 1, 1, 1, "list", "1.0.0", "O(1)", "Get the length of a list"),
    CMD("lrange", lrange_command, 4, R, 1, 1, 1, "list", "1.0.0", "O(S+N) where S is the distance of start offset from HEAD for small lists, from nearest end (HEAD or TAIL) for large lists; and N is the number of elements in the specified range.", "Get a range of elements from a list"),
    CMD("lindex", lindex_command, 3, R, 1, 1, 1, "list", "1.0.0", "O(N) where N is the number of elements to traverse to get to the element at index. This makes asking for the first or the last element of the list O(1).", "Get an element from a list by its index"),
    CMD("lset", lset_command, 4, W | M, 1, 1, 1, "list", "1.0.0", "O(N) where N is the length of the list. Setting either the first or the last element of the list is O(1).", "Set the value of an element in a list by its index"),
    CMD("linsert", linsert_command, 5, W | M, 1, 1, 1, "list", "2.2.0", "O(N) where N is the number of elements to traverse before seeing the value pivot. This means that inserting somewhere on the left end on the list (head) can be considered O(1) and inserting somewhere on the right end (tail) is O(N).", "Insert an element before or after another element in a list"),
    CMD("lrem", lrem_command, 4, W, 1, 1, 1, "list", "1.0.0", "O(N+M) where N is the length of the list and M is the number of elements removed.", "Remove elements from a list"),
    CMD("ltrim", ltrim_command, 4, W, 1, 1, 1, "list", "1.0.0", "O(N) where N is the number of elements to be removed by the operation.", "Trim a list to the specified range"),
    CMD("lpos", lpos_command, -3, R, 1, 1, 1, "list", "6.0.6", "O(N) where N is the number of elements in the list, for the average case. When searching for elements near the head or the tail of the list, or when the MAXLEN option is provided, the command may run in constant time.", "Return the index of matching elements on a list"),
    CMD("lmove", lmove_command, 5, W | M, 1, 2, 1, "list", "6.2.0", "O(1)", "Pop an element from a list, push it to another list and return it"),
    CMD("rpoplpush", rpoplpush_command, 3, W | M, 1, 2, 1, "list", "1.2.0", "O(1)", "Remove the last element in a list, prepend it to another list and return it"),
    CMD("lmpop", lmpop_command, -4, W | CMD_MOVABLE_KEYS, 0, 0, 0, "list", "7.0.0", "O(N+M) where N is the number of provided keys and M is the number of elements returned.", "Pop elements from a list"),
    CMD("blpop", blpop_command, -3, W | NS | CMD_BLOCKING, 1, -2, 1, "list", "2.0.0", "O(N) where N is the number of provided keys.", "Remove and get the first element in a list, or block until one is available"),
    CMD("brpop", brpop_command, -3, W | NS | CMD_BLOCKING, 1, -2, 1, "list", "2.0.0", "O(N) where N is the number of provided keys.", "Remove and get the last element in a list, or block until one is available"),
    CMD("blmove", blmove_command, 6, W | M | NS | CMD_BLOCKING, 1, 2, 1, "list", "6.2.0", "O(1)", "Pop an element from a list, push it to another list and return it; or block until one is available"),
    CMD("brpoplpush", brpoplpush_command, 4, W | M | NS | CMD_BLOCKING, 1, 2, 1, "list", "2.2.0", "O(1)", "Pop an element from a list, push it to another list and return it; or block until one is available"),
    CMD("blmpop", blmpop_command, -5, W | CMD_BLOCKING | CMD_MOVABLE_KEYS, 0, 0, 0, "list", "7.0.0", "O(N+M) where N is the number of provided keys and M is the number of elements returned.", "Pop elements from a list, or block until one is available"),

    /* ---- sets (t_set.c) ---- */
    CMD("sadd", sadd_command, -3, W | M | F, 1, 1, 1, "set", "1.0.0", "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.", "Add one or more members to a set"),
    CMD("srem", srem_command, -3, W | F, 1, 1, 1, "set", "1.0.0", "O(N) where N is the number of members to be removed.", "Remove one or more members from a set"),
    CMD("scard", scard_command, 2, R | F, 1, 1, 1, "set", "1.0.0", "O(1)", "Get the number of members in a set"),
    CMD("sismember", sismember_command, 3, R | F, 1, 1, 1, "set", "1.0.0", "O(1)", "Determine if a given value is a member of a set"),
    CMD("smismember", smismember_command, -3, R | F, 1, 1, 1, "set", "6.2.0", "O(N) where N is the number of elements being checked for membership", "Returns the membership associated with the given elements for a set"),
    CMD("smembers", smembers_command, 2, R, 1, 1, 1, "set", "1.0.0", "O(N) where N is the set cardinality.", "Get all the members in a set"),
    CMD("spop", spop_command, -2, W | F, 1, 1, 1, "set", "1.0.0", "Without the count argument O(1), otherwise O(N) where N is the value of the passed count.", "Remove and return one or multiple random members from a set"),
    CMD("srandmember", srandmember_command, -2, R, 1, 1, 1, "set", "1.0.0", "Without the count argument O(1), otherwise O(N) where N is the absolute value of the passed count.", "Get one or multiple random members from a set"),
    CMD("smove", smove_command, 4, W | F, 1, 2, 1, "set", "1.0.0", "O(1)", "Move a member from one set to another"),
    CMD("sinter", sinter_command, -2, R, 1, -1, 1, "set", "1.0.0", "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.", "Intersect multiple sets"),
    CMD("sintercard", sintercard_command, -3, R | CMD_MOVABLE_KEYS, 0, 0, 0, "set", "7.0.0", "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.", "Intersect multiple sets and return the cardinality of the result"),
    CMD("sinterstore", sinterstore_command, -3, W | M, 1, -1, 1, "set", "1.0.0", "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.", "Intersect multiple sets and store the resulting set in a key"),
    CMD("sunion", sunion_command, -2, R, 1, -1, 1, "set", "1.0.0", "O(N) where N is the total number of elements in all given sets.", "Add multiple sets"),
    CMD("sunionstore", sunionstore_command, -3, W | M, 1, -1, 1, "set", "1.0.0", "O(N) where N is the total number of elements in all given sets.", "Add multiple sets and store the resulting set in a key"),
    CMD("sdiff", sdiff_command, -2, R, 1, -1, 1, "set", "1.0.0", "O(N) where N is the total number of elements in all given sets.", "Subtract multiple sets"),
    CMD("sdiffstore", sdiffstore_command, -3, W | M, 1, -1, 1, "set", "1.0.0", "O(N) where N is the total number of elements in all given sets.", "Subtract multiple sets and store the resulting set in a key"),
    CMD("sscan", sscan_command, -3, R, 1, 1, 1, "set", "2.8.0", "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..", "Incrementally iterate Set elements"),

    /* ---- sorted sets (t_zset.c) ---- */
    CMD("zadd", zadd_command, -4, W | M | F, 1, 1, 1, "sorted-set", "1.2.0", "O(log(N)) for each item added, where N is the number of elements in the sorted set.", "Add one or more members to a sorted set, or update its score if it already exists"),
    CMD("zincrby", zincrby_command, 4, W | M | F, 1, 1, 1, "sorted-set", "1.2.0", "O(log(N)) where N is the number of elements in the sorted set.", "Increment the score of a member in a sorted set"),
    CMD("zrem", zrem_command, -3, W | F, 1, 1, 1, "sorted-set", "1.2.0", "O(M*log(N)) with N being the number of elements in the sorted set and M the number of elements to be removed.", "Remove one or more members from a sorted set"),
    CMD("zcard", zcard_command, 2, R | F, 1, 1, 1, "sorted-set", "1.2.0", "O(1)", "Get the number of members in a sorted set"),
    CMD("zscore", zscore_command, 3, R | F, 1, 1, 1, "sorted-set", "1.2.0", "O(1)", "Get the score associated with the given member in a sorted set"),
    CMD("zmscore", zmscore_command, -3, R | F, 1, 1, 1, "sorted-set", "6.2.0", "O(N) where N is the number of members being requested.", "Get the score associated with the given members in a sorted set"),
    CMD("zrank", zrank_command, 3, R | F, 1, 1, 1, "sorted-set", "2.0.0", "O(log(N))", "Determine the index of a member in a sorted set"),
    CMD("zrevrank", zrevrank_command, 3, R | F, 1, 1, 1, "sorted-set", "2.0.0", "O(log(N))", "Determine the index of a member in a sorted set, with scores ordered from high to low"),
    CMD("zrange", zrange_command, -4, R, 1, 1, 1, "sorted-set", "1.2.0", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned.", "Return a range of members in a sorted set"),
    CMD("zrangestore", zrangestore_command, -5, W | M, 1, 2, 1, "sorted-set", "6.2.0", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements stored into the destination key.", "Store a range of members from sorted set into another key"),
    CMD("zrevrange", zrevrange_command, -4, R, 1, 1, 1, "sorted-set", "1.2.0", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned.", "Return a range of members in a sorted set, by index, with scores ordered from high to low"),
    CMD("zrangebyscore", zrangebyscore_command, -4, R, 1, 1, 1, "sorted-set", "1.0.5", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).", "Return a range of members in a sorted set, by score"),
    CMD("zrevrangebyscore", zrevrangebyscore_command, -4, R, 1, 1, 1, "sorted-set", "2.2.0", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).", "Return a range of members in a sorted set, by score, with scores ordered from high to low"),
    CMD("zrangebylex", zrangebylex_command, -4, R, 1, 1, 1, "sorted-set", "2.8.9", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).", "Return a range of members in a sorted set, by lexicographical range"),
    CMD("zrevrangebylex", zrevrangebylex_command, -4, R, 1, 1, 1, "sorted-set", "2.8.9", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).", "Return a range of members in a sorted set, by lexicographical range, ordered from higher to lower strings."),
    CMD("zcount", zcount_command, 4, R | F, 1, 1, 1, "sorted-set", "2.0.0", "O(log(N)) with N being the number of elements in the sorted set.", "Count the members in a sorted set with scores within the given values"),
    CMD("zlexcount", zlexcount_command, 4, R | F, 1, 1, 1, "sorted-set", "2.8.9", "O(log(N)) with N being the number of elements in the sorted set.", "Count the number of members in a sorted set between a given lexicographical range"),
    CMD("zpopmin", zpopmin_command, -2, W | F, 1, 1, 1, "sorted-set", "5.0.0", "O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped.", "Remove and return members with the lowest scores in a sorted set"),
    CMD("zpopmax", zpopmax_command, -2, W | F, 1, 1, 1, "sorted-set", "5.0.0", "O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped.", "Remove and return members with the highest scores in a sorted set"),
    CMD("bzpopmin", bzpopmin_command, -3, W | NS | CMD_BLOCKING | F, 1, -2, 1, "sorted-set", "5.0.0", "O(log(N)) with N being the number of elements in the sorted set.", "Remove and return the member with the lowest score from one or more sorted sets, or block until one is available"),
    CMD("bzpopmax", bzpopmax_command, -3, W | NS | CMD_BLOCKING | F, 1, -2, 1, "sorted-set", "5.0.0", "O(log(N)) with N being the number of elements in the sorted set.", "Remove and return the member with the highest score from one or more sorted sets, or block until one is available"),
    CMD("bzmpop", bzmpop_command, -5, W | CMD_BLOCKING | CMD_MOVABLE_KEYS, 0, 0, 0, "sorted-set", "7.0.0", "O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped.", "Remove and return members with scores in a sorted set or block until one is available"),
    CMD("zmpop", zmpop_command, -4, W | CMD_MOVABLE_KEYS, 0, 0, 0, "sorted-set", "7.0.0", "O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped.", "Remove and return members with scores in a sorted set"),
    CMD("zunion", zunion_command, -3, R | CMD_MOVABLE_KEYS, 0, 0, 0, "sorted-set", "6.2.0", "O(N)+O(M*log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set.", "Add multiple sorted sets"),
    CMD("zinter", zinter_command, -3, R | CMD_MOVABLE_KEYS, 0, 0, 0, "sorted-set", "6.2.0", "O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input sorted sets and M being the number of elements in the resulting sorted set.", "Intersect multiple sorted sets"),
    CMD("zdiff", zdiff_command, -3, R | CMD_MOVABLE_KEYS, 0, 0, 0, "sorted-set", "6.2.0", "O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of the first set, and K is the size of the result set.", "Subtract multiple sorted sets"),
    CMD("zunionstore", zunionstore_command, -4, W | M | CMD_MOVABLE_KEYS, 1, 1, 1, "sorted-set", "2.0.0", "O(N)+O(M log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set.", "Add multiple sorted sets and store the resulting sorted set in a new key"),
    CMD("zinterstore", zinterstore_command, -4, W | M | CMD_MOVABLE_KEYS, 1, 1, 1, "sorted-set", "2.0.0", "O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input sorted sets and M being the number of elements in the resulting sorted set.", "Intersect multiple sorted sets and store the resulting sorted set in a new key"),
    CMD("zdiffstore", zdiffstore_command, -4, W | M | CMD_MOVABLE_KEYS, 1, 1, 1, "sorted-set", "6.2.0", "O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of the first set, and K is the size of the result set.", "Subtract multiple sorted sets and store the resulting sorted set in a new key"),
    CMD("zintercard", zintercard_command, -3, R | CMD_MOVABLE_KEYS, 0, 0, 0, "sorted-set", "7.0.0", "O(N*K) worst case with N being the smallest input sorted set, K being the number of input sorted sets.", "Intersect multiple sorted sets and return the cardinality of the result"),
    CMD("zrandmember", zrandmember_command, -2, R, 1, 1, 1, "sorted-set", "6.2.0", "O(N) where N is the number of elements returned", "Get one or multiple random elements from a sorted set"),
    CMD("zremrangebyrank", zremrangebyrank_command, 4, W, 1, 1, 1, "sorted-set", "2.0.0", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.", "Remove all members in a sorted set within the given indexes"),
    CMD("zremrangebyscore", zremrangebyscore_command, 4, W, 1, 1, 1, "sorted-set", "1.2.0", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.", "Remove all members in a sorted set within the given scores"),
    CMD("zremrangebylex", zremrangebylex_command, 4, W, 1, 1, 1, "sorted-set", "2.8.9", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.", "Remove all members in a sorted set between the given lexicographical range"),
    CMD("zscan", zscan_command, -3, R, 1, 1, 1, "sorted-set", "2.8.0", "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..", "Incrementally iterate sorted sets elements and associated scores"),


    /* ---- transactions (core/multi.c) ---- */
    CMD("multi", multi_command, 1, NS | L | S | F | CMD_ALLOW_BUSY, 0, 0, 0, "transactions", "1.2.0", "O(1)", "Mark the start of a transaction block"),
    CMD("exec", exec_command, 1, NS | L | S | SS, 0, 0, 0, "transactions", "1.2.0", "Depends on commands in the transaction", "Execute all commands issued after MULTI"),
    CMD("discard", discard_command, 1, NS | L | S | F | CMD_ALLOW_BUSY, 0, 0, 0, "transactions", "2.0.0", "O(N), when N is the number of queued commands", "Discard all commands issued after MULTI"),
    CMD("watch", watch_command, -2, NS | L | S | F | CMD_ALLOW_BUSY, 1, -1, 1, "transactions", "2.2.0", "O(1) for every key.", "Watch the given keys to determine execution of the MULTI/EXEC block"),
    CMD("unwatch", unwatch_command, 1, NS | L | S | F | CMD_ALLOW_BUSY, 0, 0, 0, "transactions", "2.2.0", "O(1)", "Forget about all watched keys"),

    /* ---- pubsub (core/pubsub.c) ---- */
    CMD("subscribe", subscribe_command, -2, CMD_PUBSUB | NS | L | S, 0, 0, 0, "pubsub", "2.0.0", "O(N) where N is the number of channels to subscribe to.", "Listen for messages published to the given channels"),
    CMD("unsubscribe", unsubscribe_command, -1, CMD_PUBSUB | NS | L | S, 0, 0, 0, "pubsub", "2.0.0", "O(N) where N is the number of clients already subscribed to a channel.", "Stop listening for messages posted to the given channels"),
    CMD("psubscribe", psubscribe_command, -2, CMD_PUBSUB | NS | L | S, 0, 0, 0, "pubsub", "2.0.0", "O(N) where N is the number of patterns the client is already subscribed to.", "Listen for messages published to channels matching the given patterns"),
    CMD("punsubscribe", punsubscribe_command, -1, CMD_PUBSUB | NS | L | S, 0, 0, 0, "pubsub", "2.0.0", "O(N+M) where N is the number of patterns the client is already subscribed and M is the number of total patterns subscribed in the system (by any client).", "Stop listening for messages posted to channels matching the given patterns"),
    CMD("publish", publish_command, 3, CMD_PUBSUB | L | S | F, 0, 0, 0, "pubsub", "2.0.0", "O(N+M) where N is the number of clients subscribed to the receiving channel and M is the total number of subscribed patterns (by any client).", "Post a message to a channel"),
    CMD("ssubscribe", ssubscribe_command, -2, CMD_PUBSUB | NS | L | S, 1, -1, 1, "pubsub", "7.0.0", "O(N) where N is the number of shard channels to subscribe to.", "Listen for messages published to the given shard channels"),
    CMD("sunsubscribe", sunsubscribe_command, -1, CMD_PUBSUB | NS | L | S, 1, -1, 1, "pubsub", "7.0.0", "O(N) where N is the number of clients already subscribed to a shard channel.", "Stop listening for messages posted to the given shard channels"),
    CMD("spublish", spublish_command, 3, CMD_PUBSUB | L | S | F, 1, 1, 1, "pubsub", "7.0.0", "O(N) where N is the number of clients subscribed to the receiving shard channel.", "Post a message to a shard channel"),
    SUBCMDS("pubsub", pubsub_subcommands, 0, "pubsub", "2.8.0", "A container for Pub/Sub commands"),
    /* ---- scripting (cmd_script.c) ---- */
    CMD("eval", eval_command, -3, NS | S | SM | CMD_NO_MANDATORY_KEYS | CMD_MOVABLE_KEYS, 0, 0, 0, "scripting", "2.6.0", "Depends on the script that is executed.", "Execute a Lua script server side"),
    CMD("evalsha", evalsha_command, -3, NS | S | SM | CMD_NO_MANDATORY_KEYS | CMD_MOVABLE_KEYS, 0, 0, 0, "scripting", "2.6.0", "Depends on the script that is executed.", "Execute a Lua script server side"),
    CMD("eval_ro", eval_ro_command, -3, R | NS | S | SM | CMD_NO_MANDATORY_KEYS | CMD_MOVABLE_KEYS, 0, 0, 0, "scripting", "7.0.0", "Depends on the script that is executed.", "Execute a read-only Lua script server side"),
    CMD("evalsha_ro", evalsha_ro_command, -3, R | NS | S | SM | CMD_NO_MANDATORY_KEYS | CMD_MOVABLE_KEYS, 0, 0, 0, "scripting", "7.0.0", "Depends on the script that is executed.", "Execute a read-only Lua script server side"),
    SUBCMDS("script", script_subcommands, 0, "scripting", "2.6.0", "A container for Lua scripts management commands"),
    END,
};

/* Flag names in COMMAND INFO's order. */
static const struct {
    uint64_t bit;
    const char *name;
} flag_names[] = {
    {CMD_WRITE, "write"}, {CMD_READONLY, "readonly"}, {CMD_DENYOOM, "denyoom"}, {CMD_ADMIN, "admin"},
    {CMD_PUBSUB, "pubsub"}, {CMD_NOSCRIPT, "noscript"}, {CMD_BLOCKING, "blocking"}, {CMD_LOADING, "loading"},
    {CMD_STALE, "stale"}, {CMD_SKIP_MONITOR, "skip_monitor"}, {CMD_SKIP_SLOWLOG, "skip_slowlog"},
    {CMD_FAST, "fast"}, {CMD_NO_AUTH, "no_auth"}, {CMD_MAY_REPLICATE, "may_replicate"},
    {CMD_NO_MANDATORY_KEYS, "no_mandatory_keys"}, {CMD_PROTECTED, "protected"}, {CMD_NO_MULTI, "no_multi"},
    {CMD_MOVABLE_KEYS, "movablekeys"}, {CMD_ALLOW_BUSY, "allow_busy"}, {0, NULL},
};

const char *command_flag_name(int i, uint64_t *bit) {
    *bit = flag_names[i].bit;
    return flag_names[i].name;
}

/* Lookup: open addressing over lowercased names, built once at start-up. */
#define LOOKUP_SLOTS 1024
static command *lookup_slots[LOOKUP_SLOTS];

static uint32_t name_hash(const char *lower, size_t len) {
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < len; i++) h = (h ^ (unsigned char)lower[i]) * 16777619u;
    return h;
}

static void index_command(command *cmd) {
    uint32_t h = name_hash(cmd->name, strlen(cmd->name)) & (LOOKUP_SLOTS - 1);
    while (lookup_slots[h]) h = (h + 1) & (LOOKUP_SLOTS - 1);
    lookup_slots[h] = cmd;
}

void commands_init(void) {
    for (command *cmd = commands; cmd->name; cmd++) {
        snprintf(cmd->fullname, sizeof(cmd->fullname), "%s", cmd->name);
        index_command(cmd);
        for (command *sub = cmd->subcommands; sub && sub->name; sub++) {
            sub->parent = cmd;
            snprintf(sub->fullname, sizeof(sub->fullname), "%s", sub->name);
        }
    }
}

const command *command_lookup(const char *name, size_t len) {
    char lower[64];
    if (len >= sizeof(lower)) return NULL;
    for (size_t i = 0; i < len; i++) lower[i] = (char)tolower((unsigned char)name[i]);
    uint32_t h = name_hash(lower, len) & (LOOKUP_SLOTS - 1);
    for (command *cmd; (cmd = lookup_slots[h]) != NULL; h = (h + 1) & (LOOKUP_SLOTS - 1))
        if (strlen(cmd->name) == len && memcmp(cmd->name, lower, len) == 0) return cmd;
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

int command_has_keys(const command *cmd) {
    return cmd->first_key != 0 || (cmd->flags & CMD_MOVABLE_KEYS);
}
