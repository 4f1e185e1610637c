/* cmd_command.c - COMMAND and its subcommands: the command table as clients see it.
 *
 * Everything here is read from the rows of command_table.c (and the generated data they point
 * to); nothing names a command. Key extraction follows Redis 7.0: the key specs, then the row's
 * getkeys procedure when the specs cannot find every key. */
#include <string.h>
#include <strings.h>

#include "commands/admin.h"
#include "commands/commands.h"
#include "protocol/reply.h"
#include "util/mem.h"
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

/* Indexed by ACL_CAT_*. */
static const char *const acl_names[ACL_CAT_COUNT] = {
    "keyspace", "read", "write", "set", "sortedset", "list", "hash", "string", "bitmap", "hyperloglog",
    "geo", "stream", "pubsub", "admin", "fast", "slow", "blocking", "dangerous", "connection",
    "transaction", "scripting",
};

int acl_category_by_name(const char *s, size_t len) {
    for (int i = 0; i < ACL_CAT_COUNT; i++)
        if (name_is(acl_names[i], s, len)) return i;
    return -1;
}

const char *acl_category_name(int cat) {
    return acl_names[cat];
}

/* ---------------------------------------------------------------- key extraction */

static int add_key(int *pos, int *flags, int max, int count, int at, int f) {
    if (count < max) {
        pos[count] = at;
        if (flags) flags[count] = f;
    }
    return count + 1;
}

/* Where spec's search for keys begins in argv, 0 if its keyword is absent. */
static int spec_begin(const keySpec *ks, int argc, const karg *argv) {
    if (ks->begin_search == KSB_INDEX) return ks->bs.index.pos;
    int from = ks->bs.keyword.startfrom;
    /* As Redis: the search stops before `end`, so a keyword in the last argument (forwards) or
     * the command name (backwards) is not one: "GEORADIUS g 0 0 1 km STORE" has no STORE key. */
    int start = from > 0 ? from : argc + from, end = from > 0 ? argc - 1 : 0;
    for (int i = start; i != end && i >= 1 && i < argc; i += start <= end ? 1 : -1)
        if (arg_is(argv[i].ptr, argv[i].len, ks->bs.keyword.keyword)) return i + 1;
    return 0;
}

/* Adds the keys one spec finds. Returns the new count, or -1 when the arguments don't fit the
 * spec (bad numkeys, keys past the end) or the spec can't be followed (unknown, incomplete). */
static int spec_keys(const keySpec *ks, int argc, const karg *argv, int *pos, int *flags, int max, int count) {
    if (ks->begin_search == KSB_UNKNOWN) return -1;
    int first = spec_begin(ks, argc, argv), last, step;
    if (!first) return count;
    if (ks->find_keys == KSF_RANGE) {
        step = ks->fk.range.keystep;
        int lastkey = ks->fk.range.lastkey, limit = ks->fk.range.limit;
        if (lastkey >= 0) last = first + lastkey;
        else if (!limit) last = argc + lastkey;
        else last = first + ((argc - first) / limit + lastkey);
    } else if (ks->find_keys == KSF_KEYNUM) {
        step = ks->fk.keynum.keystep;
        int at = first + ks->fk.keynum.keynumidx;
        long long n;
        if (at >= argc || !str_to_ll(argv[at].ptr, argv[at].len, &n) || n < 0 || n > argc) return -1;
        first += ks->fk.keynum.firstkey;
        last = first + (int)n - 1;
    } else {
        return -1;
    }
    if (last >= argc || last < first || first >= argc) return -1;
    /* A key whose paired argument is missing (MSET a 1 b) is still reported, as Redis does. */
    for (int i = first; i <= last; i += step) count = add_key(pos, flags, max, count, i, ks->flags);
    return (ks->flags & KS_INCOMPLETE) ? -1 : count;
}

/* Redis's getKeysUsingKeySpecs: every spec's keys, in spec order; -1 if a spec fails. */
static int keys_from_specs(const command *cmd, int argc, const karg *argv, int *pos, int *flags, int max) {
    int count = 0;
    for (int i = 0; i < cmd->key_specs_num; i++) {
        const keySpec *ks = &cmd->key_specs[i];
        if (ks->flags & KS_NOT_KEY) continue;
        count = spec_keys(ks, argc, argv, pos, flags, max, count);
        if (count < 0) return -1;
    }
    return count;
}

int command_get_keys(const command *cmd, int argc, const karg *argv, int *pos, int *flags, int max) {
    int variable = 0, real = 0;
    for (int i = 0; i < cmd->key_specs_num; i++) {
        if (!(cmd->key_specs[i].flags & KS_NOT_KEY)) real = 1;
        if (cmd->key_specs[i].flags & KS_VARIABLE_FLAGS) variable = 1;
    }
    /* The specs first, when their flags are reliable; the procedure where they fail. */
    if (real && !variable) {
        int n = keys_from_specs(cmd, argc, argv, pos, flags, max);
        if (n >= 0) return n;
    }
    return cmd->getkeys ? cmd->getkeys(argc, argv, pos, flags, max) : 0;
}

/* Key spec and argument flags as RESP3 sets of status replies. */
static const char *const key_flag_names[] = {
    "RO", "RW", "OW", "RM", "access", "update", "insert", "delete", "not_key", "incomplete", "variable_flags",
};
static const char *const arg_flag_names[] = {"optional", "multiple", "multiple_token"};
static const char *const doc_flag_names[] = {"deprecated", "syscmd"};

static void reply_flag_set(client *c, int flags, const char *const *names, int n) {
    reply_set_len(c, __builtin_popcount((unsigned)flags));
    for (int i = 0; i < n; i++)
        if (flags & (1 << i)) reply_status(c, names[i]);
}

static void reply_key_flags(client *c, int flags) {
    reply_flag_set(c, flags, key_flag_names, (int)(sizeof(key_flag_names) / sizeof(key_flag_names[0])));
}

static void reply_kv_str(client *c, const char *k, const char *v) {
    reply_bulk_cstr(c, k);
    reply_bulk_cstr(c, v);
}

static void reply_kv_int(client *c, const char *k, long long v) {
    reply_bulk_cstr(c, k);
    reply_integer(c, v);
}

/* A begin_search or find_keys map up to its spec map's length: {type, spec: {<nfields>}}. */
static void reply_search_step(client *c, const char *type, int nfields) {
    reply_map_len(c, 2);
    reply_kv_str(c, "type", type);
    reply_bulk_cstr(c, "spec");
    reply_map_len(c, nfields);
}

/* One key spec map, fields in Redis's order. */
static void reply_key_spec(client *c, const keySpec *ks) {
    reply_map_len(c, 3 + (ks->notes != NULL));
    if (ks->notes) reply_kv_str(c, "notes", ks->notes);
    reply_bulk_cstr(c, "flags");
    reply_key_flags(c, ks->flags);
    reply_bulk_cstr(c, "begin_search");
    if (ks->begin_search == KSB_INDEX) {
        reply_search_step(c, "index", 1);
        reply_kv_int(c, "index", ks->bs.index.pos);
    } else if (ks->begin_search == KSB_KEYWORD) {
        reply_search_step(c, "keyword", 2);
        reply_kv_str(c, "keyword", ks->bs.keyword.keyword);
        reply_kv_int(c, "startfrom", ks->bs.keyword.startfrom);
    } else {
        reply_search_step(c, "unknown", 0);
    }
    reply_bulk_cstr(c, "find_keys");
    if (ks->find_keys == KSF_RANGE) {
        reply_search_step(c, "range", 3);
        reply_kv_int(c, "lastkey", ks->fk.range.lastkey);
        reply_kv_int(c, "keystep", ks->fk.range.keystep);
        reply_kv_int(c, "limit", ks->fk.range.limit);
    } else if (ks->find_keys == KSF_KEYNUM) {
        reply_search_step(c, "keynum", 3);
        reply_kv_int(c, "keynumidx", ks->fk.keynum.keynumidx);
        reply_kv_int(c, "firstkey", ks->fk.keynum.firstkey);
        reply_kv_int(c, "keystep", ks->fk.keynum.keystep);
    } else {
        reply_search_step(c, "unknown", 0);
    }
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
    uint64_t cats = cmd->acl_categories;
    reply_set_len(c, __builtin_popcountll(cats));
    char buf[32];
    for (int i = 0; i < ACL_CAT_COUNT; i++) {
        if (!(cats & (1ULL << i))) continue;
        buf[0] = '@';
        strcpy(buf + 1, acl_names[i]);
        reply_status(c, buf);
    }
}

static int count_strings(const char *const *v) {
    int n = 0;
    while (v && v[n]) n++;
    return n;
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
    int ntips = count_strings(cmd->doc->tips);
    reply_set_len(c, ntips);
    for (int i = 0; i < ntips; i++) reply_bulk_cstr(c, cmd->doc->tips[i]);
    reply_set_len(c, cmd->key_specs_num);
    for (int i = 0; i < cmd->key_specs_num; i++) reply_key_spec(c, &cmd->key_specs[i]);
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

static int arg_count(const commandArg *args) {
    int n = 0;
    while (args && args[n].name) n++;
    return n;
}

/* The argument tree, each argument a map with Redis's fields in Redis's order. */
static void reply_args(client *c, const commandArg *args) {
    int n = arg_count(args);
    reply_array_len(c, n);
    for (const commandArg *a = args; a < args + n; a++) {
        int nested = a->type == ARG_ONEOF || a->type == ARG_BLOCK;
        reply_map_len(c, 2 + (a->key_spec_index >= 0) + (a->token != NULL) + (a->since != NULL) +
                             (a->deprecated_since != NULL) + (a->flags != 0) + nested);
        reply_kv_str(c, "name", a->name);
        static const char *const types[] = {"string", "integer", "double", "key", "pattern", "unix-time",
                                            "pure-token", "oneof", "block"};
        reply_kv_str(c, "type", types[a->type]);
        if (a->key_spec_index >= 0) reply_kv_int(c, "key_spec_index", a->key_spec_index);
        if (a->token) reply_kv_str(c, "token", a->token);
        if (a->since) reply_kv_str(c, "since", a->since);
        if (a->deprecated_since) reply_kv_str(c, "deprecated_since", a->deprecated_since);
        if (a->flags) {
            reply_bulk_cstr(c, "flags");
            reply_flag_set(c, a->flags, arg_flag_names, 3);
        }
        if (nested) {
            reply_bulk_cstr(c, "arguments");
            reply_args(c, a->subargs);
        }
    }
}

static void reply_command_docs(client *c, const command *cmd) {
    const commandDoc *d = cmd->doc;
    int nsub = subcommand_count(cmd), nhist = 0;
    while (d->history && d->history[nhist].since) nhist++;
    reply_map_len(c, 3 + (d->complexity != NULL) + (d->doc_flags != 0) + (d->deprecated_since != NULL) +
                         (d->replaced_by != NULL) + (nhist > 0) + (d->args != NULL) + (nsub > 0));
    reply_kv_str(c, "summary", d->summary);
    reply_kv_str(c, "since", d->since);
    reply_kv_str(c, "group", d->group);
    if (d->complexity) reply_kv_str(c, "complexity", d->complexity);
    if (d->doc_flags) {
        reply_bulk_cstr(c, "doc_flags");
        reply_flag_set(c, d->doc_flags, doc_flag_names, 2);
    }
    if (d->deprecated_since) reply_kv_str(c, "deprecated_since", d->deprecated_since);
    if (d->replaced_by) reply_kv_str(c, "replaced_by", d->replaced_by);
    if (nhist) {
        reply_bulk_cstr(c, "history");
        reply_set_len(c, nhist);
        for (int i = 0; i < nhist; i++) {
            reply_array_len(c, 2);
            reply_bulk_cstr(c, d->history[i].since);
            reply_bulk_cstr(c, d->history[i].change);
        }
    }
    if (d->args) {
        reply_bulk_cstr(c, "arguments");
        reply_args(c, d->args);
    }
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
    case FILTER_ACLCAT: return cat >= 0 && (cmd->acl_categories & (1ULL << cat));
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

/* COMMAND GETKEYS[ANDFLAGS] <full command>: Redis's checks, messages and order. */
static void getkeys(client *c, int with_flags) {
    int argc = c->argc - 2;
    const karg *argv = c->argv + 2;
    const command *cmd = command_lookup_argv(argc, argv);
    if (!cmd || (cmd->subcommands && !cmd->proc)) {
        reply_error(c, "Invalid command specified");
        return;
    }
    if (!command_has_keys(cmd)) {
        reply_error(c, "The command has no key arguments");
        return;
    }
    if (cmd->arity > 0 ? argc != cmd->arity : argc < -cmd->arity) {
        reply_error(c, "Invalid number of arguments specified for command");
        return;
    }
    int n = command_get_keys(cmd, argc, argv, NULL, NULL, 0);   /* count, then fill */
    if (n <= 0) {
        if (cmd->flags & CMD_NO_MANDATORY_KEYS) reply_array_len(c, 0);    /* EVAL s 0 */
        else reply_error(c, "Invalid arguments specified for command");
        return;
    }
    int *pos = kmalloc(sizeof(int) * 2 * (size_t)n), *flags = pos + n;
    command_get_keys(cmd, argc, argv, pos, flags, n);
    reply_array_len(c, n);
    for (int i = 0; i < n; i++) {
        const karg *key = &argv[pos[i]];
        if (with_flags) reply_array_len(c, 2);
        reply_bulk(c, key->ptr, key->len);
        if (with_flags) reply_key_flags(c, flags[i]);
    }
    kfree(pos);
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
