/* cmd_command.c - COMMAND and its subcommands: the command table as clients see it.
 *
 * Everything here is derived from the rows of command_table.c; nothing is registered twice.
 * What the table doesn't hold is derived once, in one function each:
 *   - ACL categories: from the group and the flags (command_acl_categories);
 *   - key specs: one "range" spec from first/last/step, or a "keynum" spec for the commands
 *     listed in keynum_layouts (numkeys-style movable keys);
 *   - documentation: summary, since, group, complexity (no argument lists or history: the
 *     table doesn't carry them, and redis-cli falls back to its own hints without them).
 * Command tips are not in the table either, so COMMAND INFO reports none. */
#include <string.h>
#include <strings.h>

#include "commands/admin.h"
#include "commands/commands.h"
#include "commands/sort.h"
#include "protocol/reply.h"
#include "util/util.h"

/* ---------------------------------------------------------------- lookup */

static int name_is(const char *name, const char *s, size_t len) {
    return strlen(name) == len && strncasecmp(name, s, len) == 0;
}

const command *command_lookup_fullname(const char *name, size_t len) {
    const char *bar = memchr(name, '|', len);
    if (!bar) return command_lookup(name, len);
    const command *parent = command_lookup(name, (size_t)(bar - name));
    if (!parent || !parent->subcommands) return NULL;
    for (const command *sub = parent->subcommands; sub->name; sub++)
        if (name_is(sub->name, name, len)) return sub;
    return NULL;
}

/* ---------------------------------------------------------------- ACL categories */

enum {
    ACL_KEYSPACE, ACL_READ, ACL_WRITE, ACL_SET, ACL_SORTEDSET, ACL_LIST, ACL_HASH, ACL_STRING,
    ACL_BITMAP, ACL_HYPERLOGLOG, ACL_GEO, ACL_STREAM, ACL_PUBSUB, ACL_ADMIN, ACL_FAST, ACL_SLOW,
    ACL_BLOCKING, ACL_DANGEROUS, ACL_CONNECTION, ACL_TRANSACTION, ACL_SCRIPTING,
};
#define ACL(x) (1ULL << ACL_##x)

/* In Redis's order, which is the order COMMAND INFO lists them in. */
static const char *const acl_names[] = {
    "keyspace", "read", "write", "set", "sortedset", "list", "hash", "string", "bitmap", "hyperloglog",
    "geo", "stream", "pubsub", "admin", "fast", "slow", "blocking", "dangerous", "connection",
    "transaction", "scripting", NULL,
};

const char *acl_category_name(int i) {
    return i >= 0 && i < (int)(sizeof(acl_names) / sizeof(acl_names[0])) ? acl_names[i] : NULL;
}

static const struct {
    const char *group;
    uint64_t cat;
} group_categories[] = {
    {"string", ACL(STRING)}, {"hash", ACL(HASH)}, {"list", ACL(LIST)}, {"set", ACL(SET)},
    {"sorted-set", ACL(SORTEDSET)}, {"generic", ACL(KEYSPACE)}, {"connection", ACL(CONNECTION)},
    {"bitmap", ACL(BITMAP)}, {"hyperloglog", ACL(HYPERLOGLOG)}, {"geo", ACL(GEO)},
    {"stream", ACL(STREAM)}, {"pubsub", ACL(PUBSUB)}, {"scripting", ACL(SCRIPTING)},
    {"transactions", ACL(TRANSACTION)}, {NULL, 0},
};

/* The few commands whose categories Redis declares beyond what group and flags imply. The
 * entry applies to the command and to its subcommands. */
static const struct {
    const char *name;
    uint64_t add, remove;
} acl_exceptions[] = {
    {"command", ACL(CONNECTION), 0},
    {"keys", ACL(DANGEROUS), 0},
    {"info", ACL(DANGEROUS), 0},
    {"flushall", ACL(DANGEROUS), 0},
    {"flushdb", ACL(DANGEROUS), 0},
    {"swapdb", ACL(DANGEROUS), 0},
    {"migrate", ACL(DANGEROUS), 0},
    {"restore", ACL(DANGEROUS), 0},
    {"restore-asking", ACL(DANGEROUS), 0},
    {"lastsave", ACL(ADMIN) | ACL(DANGEROUS), 0},
    {"role", ACL(ADMIN) | ACL(DANGEROUS), 0},
    {"sort", ACL(DANGEROUS) | ACL(SET) | ACL(SORTEDSET) | ACL(LIST), ACL(KEYSPACE)},
    {"sort_ro", ACL(DANGEROUS) | ACL(SET) | ACL(SORTEDSET) | ACL(LIST), ACL(KEYSPACE)},
    {"wait", ACL(CONNECTION), ACL(KEYSPACE)},
    {"asking", ACL(CONNECTION), 0},
    {"readonly", ACL(CONNECTION), 0},
    {"readwrite", ACL(CONNECTION), 0},
    {NULL, 0, 0},
};

static uint64_t group_category(const char *group) {
    for (int i = 0; group && group_categories[i].group; i++)
        if (strcmp(group_categories[i].group, group) == 0) return group_categories[i].cat;
    return 0;
}

uint64_t command_acl_categories(const command *cmd) {
    /* A pure container (no procedure of its own) is only @slow, as in Redis. */
    if (cmd->subcommands && !cmd->proc) return ACL(SLOW);
    uint64_t f = cmd->flags, cats = 0;
    if (f & CMD_WRITE) cats |= ACL(WRITE);
    if ((f & CMD_READONLY) && strcmp(cmd->group, "scripting") != 0) cats |= ACL(READ);
    if (f & CMD_ADMIN) cats |= ACL(ADMIN) | ACL(DANGEROUS);
    if (f & CMD_PUBSUB) cats |= ACL(PUBSUB);
    cats |= (f & CMD_FAST) ? ACL(FAST) : ACL(SLOW);
    if (f & CMD_BLOCKING) cats |= ACL(BLOCKING);
    cats |= group_category(cmd->group);
    /* Server commands that read or write the keyspace as a whole (DBSIZE, FLUSHDB, ...) are
     * @keyspace; those that name keys (MEMORY USAGE) are not. */
    if (strcmp(cmd->group, "server") == 0 && (f & (CMD_WRITE | CMD_READONLY)) && !command_has_keys(cmd))
        cats |= ACL(KEYSPACE);
    const char *base = cmd->parent ? cmd->parent->name : cmd->name;
    for (int i = 0; acl_exceptions[i].name; i++) {
        if (strcmp(acl_exceptions[i].name, base) == 0) {
            cats |= acl_exceptions[i].add;
            cats &= ~acl_exceptions[i].remove;
        }
    }
    return cats;
}

static int acl_category_by_name(const char *s, size_t len) {
    for (int i = 0; acl_names[i]; i++)
        if (name_is(acl_names[i], s, len)) return i;
    return -1;
}

/* ---------------------------------------------------------------- key specs and key extraction */

/* Commands whose keys are counted by a numkeys argument: the count is at argv[keynum] and the
 * keys follow it, one every `step`; a destination key, if any, is at argv[dest]. Their rows
 * carry CMD_MOVABLE_KEYS, so first/last/step alone can't describe them. */
static const struct {
    const char *name;
    int dest;       /* index of the destination key, 0 if none */
    int keynum;     /* index of numkeys */
    int step;
} keynum_layouts[] = {
    {"zunionstore", 1, 2, 1}, {"zinterstore", 1, 2, 1}, {"zdiffstore", 1, 2, 1}, {"zunion", 0, 1, 1},
    {"zinter", 0, 1, 1}, {"zdiff", 0, 1, 1}, {"zintercard", 0, 1, 1}, {"sintercard", 0, 1, 1},
    {"lmpop", 0, 1, 1}, {"zmpop", 0, 1, 1}, {"blmpop", 0, 2, 1}, {"bzmpop", 0, 2, 1},
    {"eval", 0, 2, 1}, {"evalsha", 0, 2, 1}, {"eval_ro", 0, 2, 1}, {"evalsha_ro", 0, 2, 1},
    {"fcall", 0, 2, 1}, {"fcall_ro", 0, 2, 1}, {NULL, 0, 0, 0},
};

static int keynum_layout(const command *cmd) {
    for (int i = 0; keynum_layouts[i].name; i++)
        if (strcmp(keynum_layouts[i].name, cmd->fullname) == 0) return i;
    return -1;
}

static int add_key(int *pos, int max, int count, int at) {
    if (count < max) pos[count] = at;
    return count + 1;
}

/* Keys of a numkeys-style command, or -1 when numkeys is missing, bad, or too large. */
static int keynum_keys(int layout, int argc, const karg *argv, int *pos, int max) {
    int at = keynum_layouts[layout].keynum, step = keynum_layouts[layout].step;
    long long n;
    if (at >= argc || !str_to_ll(argv[at].ptr, argv[at].len, &n) || n < 0) return -1;
    if (n > (argc - at - 1 + step - 1) / step) return -1;
    int count = 0;
    if (keynum_layouts[layout].dest) count = add_key(pos, max, count, keynum_layouts[layout].dest);
    for (long long k = 0; k < n; k++) count = add_key(pos, max, count, at + 1 + (int)(k * step));
    return count;
}

int command_get_keys(const command *cmd, int argc, const karg *argv, int *pos, int max) {
    /* SORT's STORE key sits after options, so only its own parser can find it. */
    if (cmd->proc == sort_command || cmd->proc == sort_ro_command) return sort_get_keys(argc, argv, pos, max);
    if (cmd->proc == xread_command || cmd->proc == xreadgroup_command) return xread_get_keys(argc, argv, pos, max);
    int layout = keynum_layout(cmd);
    if (layout >= 0) return keynum_keys(layout, argc, argv, pos, max);
    if (cmd->first_key <= 0) return 0;
    int last = cmd->last_key >= 0 ? cmd->last_key : argc + cmd->last_key;
    if (last >= argc) last = argc - 1;
    int step = cmd->key_step > 0 ? cmd->key_step : 1;
    int count = 0;
    /* A key whose paired argument is missing (MSET a 1 b) is still reported, as Redis does. */
    for (int i = cmd->first_key; i <= last; i += step) count = add_key(pos, max, count, i);
    return count;
}

static int has_key_spec(const command *cmd) {
    return cmd->first_key > 0 || keynum_layout(cmd) >= 0 || cmd->proc == xread_command ||
           cmd->proc == xreadgroup_command;
}

/* The access flags of the key spec: RO/RW, plus the data access Redis marks on type commands. */
static int key_spec_flags(const command *cmd, const char **out) {
    int n = 0;
    int data_group = (group_category(cmd->group) & ~(ACL(KEYSPACE) | ACL(CONNECTION))) != 0;
    if (cmd->flags & CMD_WRITE) {
        out[n++] = "RW";
        if (data_group) out[n++] = "access";
        out[n++] = "update";
    } else {
        out[n++] = "RO";
        if (data_group) out[n++] = "access";
    }
    return n;
}

static void reply_key_spec_flags(client *c, const command *cmd) {
    const char *flags[4];
    int n = key_spec_flags(cmd, flags);
    reply_set_len(c, n);
    for (int i = 0; i < n; i++) reply_status(c, flags[i]);
}

static void reply_kv_str(client *c, const char *k, const char *v) {
    reply_bulk_cstr(c, k);
    reply_bulk_cstr(c, v);
}

static void reply_kv_int(client *c, const char *k, long long v) {
    reply_bulk_cstr(c, k);
    reply_integer(c, v);
}

/* One key spec map: flags, begin_search {index}, find_keys {range or keynum}. */
static void reply_key_spec(client *c, const command *cmd, int index, int layout) {
    reply_map_len(c, 3);
    reply_bulk_cstr(c, "flags");
    reply_key_spec_flags(c, cmd);
    reply_bulk_cstr(c, "begin_search");
    reply_map_len(c, 2);
    reply_kv_str(c, "type", "index");
    reply_bulk_cstr(c, "spec");
    reply_map_len(c, 1);
    reply_kv_int(c, "index", index);
    reply_bulk_cstr(c, "find_keys");
    reply_map_len(c, 2);
    reply_kv_str(c, "type", layout >= 0 ? "keynum" : "range");
    reply_bulk_cstr(c, "spec");
    reply_map_len(c, 3);
    if (layout >= 0) {
        reply_kv_int(c, "keynumidx", 0);
        reply_kv_int(c, "firstkey", 1);
        reply_kv_int(c, "keystep", keynum_layouts[layout].step);
    } else {
        /* lastkey is relative to the first key; negative values count from the end. */
        reply_kv_int(c, "lastkey", cmd->last_key < 0 ? cmd->last_key : cmd->last_key - cmd->first_key);
        reply_kv_int(c, "keystep", cmd->key_step);
        reply_kv_int(c, "limit", 0);
    }
}

static void reply_key_specs(client *c, const command *cmd) {
    int layout = keynum_layout(cmd);
    if (layout < 0) {
        reply_set_len(c, cmd->first_key > 0);
        if (cmd->first_key > 0) reply_key_spec(c, cmd, cmd->first_key, -1);
        return;
    }
    int dest = keynum_layouts[layout].dest;
    reply_set_len(c, 1 + (dest > 0));
    if (dest) {
        /* The destination is a one-key range spec of its own. */
        command one = *cmd;
        one.first_key = one.last_key = dest;
        one.key_step = 1;
        reply_key_spec(c, &one, dest, -1);
    }
    reply_key_spec(c, cmd, keynum_layouts[layout].keynum, layout);
}

/* ---------------------------------------------------------------- COMMAND INFO */

static void reply_flags(client *c, const command *cmd) {
    int n = 0;
    uint64_t bit;
    for (int i = 0; command_flag_name(i, &bit); i++)
        if (cmd->flags & bit) n++;
    reply_set_len(c, n);
    for (int i = 0; command_flag_name(i, &bit); i++)
        if (cmd->flags & bit) reply_status(c, command_flag_name(i, &bit));
}

static void reply_categories(client *c, const command *cmd) {
    uint64_t cats = command_acl_categories(cmd);
    reply_set_len(c, __builtin_popcountll(cats));
    char buf[32];
    for (int i = 0; acl_names[i]; i++) {
        if (!(cats & (1ULL << i))) continue;
        buf[0] = '@';
        strcpy(buf + 1, acl_names[i]);
        reply_status(c, buf);
    }
}

static int subcommand_count(const command *cmd) {
    int n = 0;
    for (const command *sub = cmd->subcommands; sub && sub->name; sub++) n++;
    return n;
}

static void reply_command_info(client *c, const command *cmd) {
    reply_array_len(c, 10);
    reply_bulk_cstr(c, cmd->fullname);
    reply_integer(c, cmd->arity);
    reply_flags(c, cmd);
    reply_integer(c, cmd->first_key);
    reply_integer(c, cmd->last_key);
    reply_integer(c, cmd->key_step);
    reply_categories(c, cmd);
    reply_set_len(c, 0);    /* tips: not in the table */
    reply_key_specs(c, cmd);
    int nsub = subcommand_count(cmd);
    if (nsub == 0) {
        reply_set_len(c, 0);
        return;
    }
    reply_array_len(c, nsub);
    for (const command *sub = cmd->subcommands; sub->name; sub++) reply_command_info(c, sub);
}

static long long top_level_count(void) {
    long long n = 0;
    for (const command *cmd = command_table(); cmd->name; cmd++) n++;
    return n;
}

static void reply_all_info(client *c) {
    reply_array_len(c, top_level_count());
    for (const command *cmd = command_table(); cmd->name; cmd++) reply_command_info(c, cmd);
}

void command_command(client *c) {
    reply_all_info(c);
}

void command_info_command(client *c) {
    if (c->argc == 2) {
        reply_all_info(c);
        return;
    }
    reply_array_len(c, c->argc - 2);
    for (int i = 2; i < c->argc; i++) {
        const command *cmd = command_lookup_fullname(c->argv[i].ptr, c->argv[i].len);
        if (cmd) reply_command_info(c, cmd);
        else reply_null(c);
    }
}

void command_count_command(client *c) {
    reply_integer(c, top_level_count());
}

/* ---------------------------------------------------------------- COMMAND DOCS */

static void reply_command_docs(client *c, const command *cmd) {
    int nsub = subcommand_count(cmd);
    const char *complexity = cmd->complexity && cmd->complexity[0] ? cmd->complexity : NULL;
    if (!complexity && nsub) complexity = "Depends on subcommand.";
    reply_map_len(c, 3 + (complexity != NULL) + (nsub > 0));
    reply_kv_str(c, "summary", cmd->summary);
    reply_kv_str(c, "since", cmd->since);
    reply_kv_str(c, "group", cmd->group);
    if (complexity) reply_kv_str(c, "complexity", complexity);
    if (nsub) {
        reply_bulk_cstr(c, "subcommands");
        reply_map_len(c, nsub);
        for (const command *sub = cmd->subcommands; sub->name; sub++) {
            reply_bulk_cstr(c, sub->fullname);
            reply_command_docs(c, sub);
        }
    }
}

void command_docs_command(client *c) {
    if (c->argc == 2) {
        reply_map_len(c, top_level_count());
        for (const command *cmd = command_table(); cmd->name; cmd++) {
            reply_bulk_cstr(c, cmd->fullname);
            reply_command_docs(c, cmd);
        }
        return;
    }
    /* Unknown names are left out; the map's length is known only at the end. */
    replyDeferred d = reply_deferred(c);
    long long n = 0;
    for (int i = 2; i < c->argc; i++) {
        const command *cmd = command_lookup_fullname(c->argv[i].ptr, c->argv[i].len);
        if (!cmd) continue;
        reply_bulk_cstr(c, cmd->fullname);
        reply_command_docs(c, cmd);
        n++;
    }
    reply_set_deferred_map(c, d, n);
}

/* ---------------------------------------------------------------- COMMAND LIST */

enum { FILTER_NONE, FILTER_MODULE, FILTER_ACLCAT, FILTER_PATTERN };

static int list_filter_match(const command *cmd, int kind, const karg *arg, int cat) {
    switch (kind) {
    case FILTER_MODULE: return 0;   /* Keel has no modules */
    case FILTER_ACLCAT: return cat >= 0 && (command_acl_categories(cmd) & (1ULL << cat));
    case FILTER_PATTERN: return glob_match(arg->ptr, arg->len, cmd->fullname, strlen(cmd->fullname), 1);
    }
    return 1;
}

void command_list_command(client *c) {
    int kind = FILTER_NONE;
    const karg *arg = NULL;
    if (c->argc == 5 && arg_is(c->argv[2].ptr, c->argv[2].len, "filterby")) {
        arg = &c->argv[4];
        const karg *k = &c->argv[3];
        if (arg_is(k->ptr, k->len, "module")) kind = FILTER_MODULE;
        else if (arg_is(k->ptr, k->len, "aclcat")) kind = FILTER_ACLCAT;
        else if (arg_is(k->ptr, k->len, "pattern")) kind = FILTER_PATTERN;
    }
    if (c->argc != 2 && kind == FILTER_NONE) {
        reply_error(c, ERR_SYNTAX);
        return;
    }
    int cat = kind == FILTER_ACLCAT ? acl_category_by_name(arg->ptr, arg->len) : -1;
    replyDeferred d = reply_deferred(c);
    long long n = 0;
    for (const command *cmd = command_table(); cmd->name; cmd++) {
        if (list_filter_match(cmd, kind, arg, cat)) reply_bulk_cstr(c, cmd->fullname), n++;
        for (const command *sub = cmd->subcommands; sub && sub->name; sub++)
            if (list_filter_match(sub, kind, arg, cat)) reply_bulk_cstr(c, sub->fullname), n++;
    }
    reply_set_deferred_array(c, d, n);
}

/* ---------------------------------------------------------------- COMMAND GETKEYS */

#define GETKEYS_MAX 4096

/* Resolves the command line after "COMMAND GETKEYS" and its keys; replies the error and
 * returns -1 when there are none. */
static int getkeys_prepare(client *c, const command **out, int *pos) {
    int argc = c->argc - 2;
    const karg *argv = c->argv + 2;
    const command *cmd = command_lookup_argv(argc, argv);
    if (!cmd || (cmd->subcommands && !cmd->proc)) {
        reply_error(c, "Invalid command specified");
        return -1;
    }
    if (!has_key_spec(cmd)) {
        reply_error(c, "The command has no key arguments");
        return -1;
    }
    if (cmd->arity > 0 ? argc != cmd->arity : argc < -cmd->arity) {
        reply_error(c, "Invalid number of arguments specified for command");
        return -1;
    }
    int n = command_get_keys(cmd, argc, argv, pos, GETKEYS_MAX);
    if (n == 0 && (cmd->flags & CMD_NO_MANDATORY_KEYS)) n = 0;   /* EVAL s 0: no keys is fine */
    else if (n <= 0 || n > GETKEYS_MAX) {
        reply_error(c, "Invalid arguments specified for command");
        return -1;
    }
    *out = cmd;
    return n;
}

static void getkeys(client *c, int with_flags) {
    static int pos[GETKEYS_MAX];
    const command *cmd;
    int n = getkeys_prepare(c, &cmd, pos);
    if (n < 0) return;
    reply_array_len(c, n);
    for (int i = 0; i < n; i++) {
        const karg *key = &c->argv[2 + pos[i]];
        if (with_flags) reply_array_len(c, 2);
        reply_bulk(c, key->ptr, key->len);
        if (with_flags) reply_key_spec_flags(c, cmd);
    }
}

void command_getkeys_command(client *c) {
    getkeys(c, 0);
}

void command_getkeysandflags_command(client *c) {
    getkeys(c, 1);
}

void command_help_command(client *c) {
    static const char *const help[] = {
        "(no subcommand)",
        "    Return details about all Redis commands.",
        "COUNT",
        "    Return the total number of commands in this Redis server.",
        "LIST",
        "    Return a list of all commands in this Redis server.",
        "INFO [<command-name> ...]",
        "    Return details about multiple Redis commands.",
        "    If no command names are given, documentation details for all",
        "    commands are returned.",
        "DOCS [<command-name> ...]",
        "    Return documentation details about multiple Redis commands.",
        "    If no command names are given, documentation details for all",
        "    commands are returned.",
        "GETKEYS <full-command>",
        "    Return the keys from a full Redis command.",
        "GETKEYSANDFLAGS <full-command>",
        "    Return the keys and the access flags from a full Redis command.",
        NULL,
    };
    reply_help(c, help);
}
