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

static command commands[] = {
    /* ---- connection (cmd_connection.c) ---- */
    CMD("ping", ping_command, -1, F | S, 0, 0, 0, "connection", "1.0.0", "O(1)", "Returns the server's liveliness response."),
    CMD("echo", echo_command, 2, F | L | S, 0, 0, 0, "connection", "1.0.0", "O(1)", "Returns the given string."),
    CMD("quit", quit_command, -1, F | NS | L | S | NA | CMD_ALLOW_BUSY, 0, 0, 0, "connection", "1.0.0", "O(1)", "Closes the connection."),
    CMD("select", select_command, 2, F | L | S, 0, 0, 0, "connection", "1.0.0", "O(1)", "Changes the selected database."),
    CMD("hello", hello_command, -1, F | NS | L | S | NA | CMD_ALLOW_BUSY, 0, 0, 0, "connection", "6.0.0", "O(1)", "Handshakes with the Redis server."),
    CMD("auth", auth_command, -2, F | NS | L | S | NA | CMD_ALLOW_BUSY, 0, 0, 0, "connection", "1.0.0", "O(N) where N is the number of passwords defined for the user", "Authenticates the connection."),
    CMD("reset", reset_command, 1, F | NS | L | S | NA | CMD_ALLOW_BUSY, 0, 0, 0, "connection", "6.2.0", "O(1)", "Resets the connection."),

    /* ---- strings (t_string.c) ---- */
    CMD("get", get_command, 2, R | F, 1, 1, 1, "string", "1.0.0", "O(1)", "Returns the string value of a key."),
    CMD("set", set_command, -3, W | M, 1, 1, 1, "string", "1.0.0", "O(1)", "Sets the string value of a key, ignoring its type. The key is created if it doesn't exist."),

    /* ---- keys (cmd_keys.c) ---- */
    CMD("del", del_command, -2, W, 1, -1, 1, "generic", "1.0.0", "O(N) where N is the number of keys that will be removed.", "Deletes one or more keys."),
    CMD("exists", exists_command, -2, R | F, 1, -1, 1, "generic", "1.0.0", "O(N) where N is the number of keys to check.", "Determines whether one or more keys exist."),
    CMD("dbsize", dbsize_command, 1, R | F, 0, 0, 0, "server", "1.0.0", "O(1)", "Returns the number of keys in the database."),
    CMD("flushdb", flushdb_command, -1, W, 0, 0, 0, "server", "1.0.0", "O(N) where N is the number of keys in the selected database", "Remove all keys from the current database."),
    CMD("flushall", flushall_command, -1, W, 0, 0, 0, "server", "1.0.0", "O(N) where N is the total number of keys in all databases", "Removes all keys from all databases."),

    /* ---- server (cmd_server.c) ---- */
    CMD("shutdown", shutdown_command, -1, A | NS | L | S | CMD_NO_MULTI | CMD_ALLOW_BUSY, 0, 0, 0, "server", "1.0.0", "O(N) when saving, where N is the total number of keys in all databases when saving data, otherwise O(1)", "Synchronously saves the database(s) to disk and shuts down the Redis server."),

    /* ---- introspection (cmd_info.c, cmd_config.c, cmd_client.c, cmd_command.c, cmd_debug.c) ---- */

    /* ---- hashes (t_hash.c) ---- */

    /* ---- lists (t_list.c) ---- */

    /* ---- sets (t_set.c) ---- */

    /* ---- sorted sets (t_zset.c) ---- */

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
