/* acl.c - users, the ACL SETUSER rule language, permission checks, AUTH, the ACL log and the
 * ACL file (see acl.h for the model and its invariants).
 *
 * A selector's command permissions are a bitmap indexed by the rows' acl_id, plus allowed
 * first arguments. ACL LIST and GETUSER describe the bitmap as Redis 7.0 does: +@all or -@all,
 * then the categories that fit best, then single commands in table order, so that replaying
 * the description gives the same bitmap. Bit ACL_FUTURE_BIT stands for commands that don't
 * exist yet: only +@all sets it. */
#include "core/acl.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/config.h"
#include "core/pubsub.h"
#include "protocol/reply.h"
#include "protocol/request.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/sha256.h"
#include "util/util.h"

#define ACL_CMD_BITS 1024
#define ACL_FUTURE_BIT (ACL_CMD_BITS - 1)

/* User flags, in ACL LIST's order. */
#define USER_ON (1 << 0)
#define USER_OFF (1 << 1)
#define USER_NOPASS (1 << 2)
#define USER_SKIP_SANITIZE (1 << 3)
#define USER_SANITIZE (1 << 4)
static const struct {
    const char *name;
    int flag;
} user_flags[] = {{"on", USER_ON}, {"off", USER_OFF}, {"nopass", USER_NOPASS},
                  {"skip-sanitize-payload", USER_SKIP_SANITIZE}, {"sanitize-payload", USER_SANITIZE}};
#define USER_FLAG_COUNT (int)(sizeof(user_flags) / sizeof(user_flags[0]))

/* Selector flags. */
#define SEL_ROOT (1 << 0)
#define SEL_ALLKEYS (1 << 1)
#define SEL_ALLCOMMANDS (1 << 2)
#define SEL_ALLCHANNELS (1 << 3)

/* Key pattern permissions. */
#define KEY_READ 1
#define KEY_WRITE 2
#define KEY_ALL (KEY_READ | KEY_WRITE)

/* Why a rule failed (Redis's errno values, as messages). */
enum { RULE_OK = 0, RULE_UNKNOWN, RULE_SYNTAX, RULE_KEYS_AFTER_ALL, RULE_CHANNELS_AFTER_ALL, RULE_NO_PASS,
       RULE_BAD_HASH, RULE_SUBCOMMAND_FIRSTARG };
static const char *const rule_errors[] = {
    "",
    "Unknown command or category name in ACL",
    "Syntax error",
    "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. "
    "Try 'resetkeys' to start with an empty list of patterns",
    "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any "
    "effect. Try 'resetchannels' to start with an empty list of channels",
    "The password you are trying to remove from the user does not exist",
    "The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters",
    "Allowing first-arg of a subcommand is not supported",
};

typedef struct keyPattern {
    int perm;                   /* KEY_* */
    kstr *pat;
} keyPattern;

typedef struct firstArg {
    int id;                     /* the command's acl_id */
    kstr *arg;
} firstArg;

typedef struct aclSelector {
    int flags;                  /* SEL_* */
    uint64_t allowed[ACL_CMD_BITS / 64];
    keyPattern *keys;
    int nkeys;
    kstr **channels;
    int nchannels;
    firstArg *firstargs;        /* +select|0: first arguments allowed for otherwise denied commands */
    int nfirstargs;
} aclSelector;

struct aclUser {
    kstr *name;
    int flags;                  /* USER_* */
    char (*passwords)[65];      /* SHA-256 hex, in the order added */
    int npasswords;
    aclSelector **selectors;    /* [0] is the root selector */
    int nselectors;
};

typedef struct aclLogEntry {
    long long count;
    int reason, context;
    kstr *object, *username, *cinfo;
    long long ctime_ms;
} aclLogEntry;

static aclUser **users;         /* sorted by name */
static int nusers;
static aclUser *default_user;
static aclLogEntry **acl_log;   /* newest first */
static long long acl_log_len;
static karg **config_users;     /* "user" lines of the config file, applied at start-up */
static int *config_user_argc;
static int nconfig_users;

/* ---------------------------------------------------------------- selectors */

static aclSelector *selector_new(int flags) {
    aclSelector *s = kcalloc(sizeof(*s));
    s->flags = flags | (server.acl_pubsub_default == ACL_PUBSUB_ALLCHANNELS ? SEL_ALLCHANNELS : 0);
    return s;
}

static void clear_keys(aclSelector *s) {
    for (int i = 0; i < s->nkeys; i++) kstr_free(s->keys[i].pat);
    kfree(s->keys);
    s->keys = NULL;
    s->nkeys = 0;
}

static void clear_channels(aclSelector *s) {
    for (int i = 0; i < s->nchannels; i++) kstr_free(s->channels[i]);
    kfree(s->channels);
    s->channels = NULL;
    s->nchannels = 0;
}

static void clear_firstargs(aclSelector *s, int id) {
    int kept = 0;
    for (int i = 0; i < s->nfirstargs; i++) {
        if (id < 0 || s->firstargs[i].id == id) kstr_free(s->firstargs[i].arg);
        else s->firstargs[kept++] = s->firstargs[i];
    }
    s->nfirstargs = kept;
}

static void selector_free(aclSelector *s) {
    clear_keys(s);
    clear_channels(s);
    clear_firstargs(s, -1);
    kfree(s->firstargs);
    kfree(s);
}

static aclSelector *selector_copy(const aclSelector *from) {
    aclSelector *s = kmemdup(from, sizeof(*from));
    s->keys = from->nkeys ? kmalloc(sizeof(keyPattern) * (size_t)from->nkeys) : NULL;
    for (int i = 0; i < from->nkeys; i++)
        s->keys[i] = (keyPattern){from->keys[i].perm, kstr_new(from->keys[i].pat->buf, from->keys[i].pat->len)};
    s->channels = from->nchannels ? kmalloc(sizeof(kstr *) * (size_t)from->nchannels) : NULL;
    for (int i = 0; i < from->nchannels; i++) s->channels[i] = kstr_new(from->channels[i]->buf, from->channels[i]->len);
    s->firstargs = from->nfirstargs ? kmalloc(sizeof(firstArg) * (size_t)from->nfirstargs) : NULL;
    for (int i = 0; i < from->nfirstargs; i++)
        s->firstargs[i] = (firstArg){from->firstargs[i].id, kstr_new(from->firstargs[i].arg->buf, from->firstargs[i].arg->len)};
    return s;
}

static int has_bit(const aclSelector *s, int id) {
    return (s->allowed[id / 64] >> (id % 64)) & 1;
}

static void set_bit(aclSelector *s, int id, int allow) {
    if (allow) {
        s->allowed[id / 64] |= 1ULL << (id % 64);
    } else {
        s->allowed[id / 64] &= ~(1ULL << (id % 64));
        s->flags &= ~SEL_ALLCOMMANDS;
    }
}

/* A command and its subcommands get the permission; its allowed first arguments go. */
static void change_command(aclSelector *s, const command *cmd, int allow) {
    set_bit(s, cmd->acl_id, allow);
    clear_firstargs(s, cmd->acl_id);
    for (const command *sub = cmd->subcommands; sub && sub->name; sub++) set_bit(s, sub->acl_id, allow);
}

static void change_category(aclSelector *s, uint64_t cat, int allow) {
    for (const command *cmd = command_table(); cmd->name; cmd++) {
        if (cmd->acl_categories & cat) change_command(s, cmd, allow);
        for (const command *sub = cmd->subcommands; sub && sub->name; sub++)
            if (sub->acl_categories & cat) change_command(s, sub, allow);
    }
}

static int has_space(const char *p, size_t len) {
    for (size_t i = 0; i < len; i++)
        if (isspace((unsigned char)p[i]) || p[i] == '\0') return 1;
    return 0;
}

/* "+name", "+name|sub" or "+name|firstarg". */
static int allow_command_rule(aclSelector *s, const char *op, size_t len) {
    const char *bar = NULL;
    for (size_t i = len; i > 1; i--)
        if (op[i - 1] == '|') {
            bar = op + i - 1;
            break;
        }
    if (!bar) {
        const command *cmd = command_lookup(op + 1, len - 1);
        if (!cmd) return RULE_UNKNOWN;
        change_command(s, cmd, 1);
        return RULE_OK;
    }
    const command *cmd = command_lookup_fullname(op + 1, (size_t)(bar - op - 1));
    if (!cmd) return RULE_UNKNOWN;
    if (cmd->parent) return RULE_SUBCOMMAND_FIRSTARG;   /* "+config|get|x" */
    const char *sub = bar + 1;
    size_t sublen = len - (size_t)(sub - op);
    if (sublen == 0) return RULE_SYNTAX;
    if (cmd->subcommands) {
        karg two[2] = {{(char *)op + 1, (size_t)(bar - op - 1)}, {(char *)sub, sublen}};
        const command *subcmd = command_lookup_argv(2, two);
        if (!subcmd) return RULE_UNKNOWN;
        change_command(s, subcmd, 1);
    } else {
        log_msg(LL_WARNING, "Deprecation warning: Allowing a first arg of an otherwise blocked command is a misuse "
                            "of ACL and may get disabled in the future (offender: +%.*s)", (int)len - 1, op + 1);
        int dup = 0;
        for (int i = 0; i < s->nfirstargs; i++)
            if (s->firstargs[i].id == cmd->acl_id && arg_is(sub, sublen, s->firstargs[i].arg->buf)) dup = 1;
        if (!dup) {
            s->firstargs = krealloc(s->firstargs, sizeof(firstArg) * (size_t)(s->nfirstargs + 1));
            s->firstargs[s->nfirstargs++] = (firstArg){cmd->acl_id, kstr_new(sub, sublen)};
        }
    }
    return RULE_OK;
}

/* "~pattern", "%R~pattern", "%W~pattern", "%RW~pattern". */
static int key_rule(aclSelector *s, const char *op, size_t len) {
    if (s->flags & SEL_ALLKEYS) return RULE_KEYS_AFTER_ALL;
    int perm = 0;
    size_t off = 1;
    if (op[0] == '%') {
        for (; off < len; off++) {
            char ch = (char)toupper((unsigned char)op[off]);
            if (ch == 'R' && !(perm & KEY_READ)) perm |= KEY_READ;
            else if (ch == 'W' && !(perm & KEY_WRITE)) perm |= KEY_WRITE;
            else if (op[off] == '~' && perm) {
                off++;
                break;
            } else return RULE_SYNTAX;
        }
    } else {
        perm = KEY_ALL;
    }
    if (has_space(op + off, len - off)) return RULE_SYNTAX;
    for (int i = 0; i < s->nkeys; i++) {
        kstr *p = s->keys[i].pat;
        if (p->len == len - off && memcmp(p->buf, op + off, p->len) == 0) {
            s->keys[i].perm |= perm;
            return RULE_OK;
        }
    }
    s->keys = krealloc(s->keys, sizeof(keyPattern) * (size_t)(s->nkeys + 1));
    s->keys[s->nkeys++] = (keyPattern){perm, kstr_new(op + off, len - off)};
    return RULE_OK;
}

static int channel_rule(aclSelector *s, const char *op, size_t len) {
    if (s->flags & SEL_ALLCHANNELS) return RULE_CHANNELS_AFTER_ALL;
    if (has_space(op + 1, len - 1)) return RULE_SYNTAX;
    for (int i = 0; i < s->nchannels; i++)
        if (s->channels[i]->len == len - 1 && memcmp(s->channels[i]->buf, op + 1, len - 1) == 0) return RULE_OK;
    s->channels = krealloc(s->channels, sizeof(kstr *) * (size_t)(s->nchannels + 1));
    s->channels[s->nchannels++] = kstr_new(op + 1, len - 1);
    return RULE_OK;
}

/* One selector rule (Redis's ACLSetSelector). */
static int selector_rule(aclSelector *s, const char *op, size_t len) {
    if (arg_is(op, len, "allkeys") || arg_is(op, len, "~*")) {
        s->flags |= SEL_ALLKEYS;
        clear_keys(s);
    } else if (arg_is(op, len, "resetkeys")) {
        s->flags &= ~SEL_ALLKEYS;
        clear_keys(s);
    } else if (arg_is(op, len, "allchannels") || arg_is(op, len, "&*")) {
        s->flags |= SEL_ALLCHANNELS;
        clear_channels(s);
    } else if (arg_is(op, len, "resetchannels")) {
        s->flags &= ~SEL_ALLCHANNELS;
        clear_channels(s);
    } else if (arg_is(op, len, "allcommands") || arg_is(op, len, "+@all")) {
        memset(s->allowed, 0xff, sizeof(s->allowed));
        s->flags |= SEL_ALLCOMMANDS;
        clear_firstargs(s, -1);
    } else if (arg_is(op, len, "nocommands") || arg_is(op, len, "-@all")) {
        memset(s->allowed, 0, sizeof(s->allowed));
        s->flags &= ~SEL_ALLCOMMANDS;
        clear_firstargs(s, -1);
    } else if (op[0] == '~' || op[0] == '%') {
        return key_rule(s, op, len);
    } else if (op[0] == '&') {
        return channel_rule(s, op, len);
    } else if (op[0] == '+' && (len == 1 || op[1] != '@')) {
        return allow_command_rule(s, op, len);
    } else if (op[0] == '-' && (len == 1 || op[1] != '@')) {
        const command *cmd = command_lookup_fullname(op + 1, len - 1);
        if (!cmd) return RULE_UNKNOWN;
        change_command(s, cmd, 0);
    } else if (op[0] == '+' || op[0] == '-') {
        int cat = acl_category_by_name(op + 2, len - 2);
        if (cat < 0) return RULE_UNKNOWN;
        change_category(s, 1ULL << cat, op[0] == '+');
    } else {
        return RULE_SYNTAX;
    }
    return RULE_OK;
}

/* ---------------------------------------------------------------- users */

static aclUser *user_new(const char *name, size_t len) {
    aclUser *u = kcalloc(sizeof(*u));
    u->name = kstr_new(name, len);
    u->flags = USER_OFF;
    u->selectors = kmalloc(sizeof(aclSelector *));
    u->selectors[0] = selector_new(SEL_ROOT);
    u->nselectors = 1;
    return u;
}

static void clear_selectors(aclUser *u) {
    for (int i = 1; i < u->nselectors; i++) selector_free(u->selectors[i]);
    u->nselectors = 1;
}

static void user_free(aclUser *u) {
    clear_selectors(u);
    selector_free(u->selectors[0]);
    kfree(u->selectors);
    kfree(u->passwords);
    kstr_free(u->name);
    kfree(u);
}

/* Makes `to` hold `from`'s rules (the name stays). */
static void user_copy_rules(aclUser *to, const aclUser *from) {
    for (int i = 0; i < to->nselectors; i++) selector_free(to->selectors[i]);
    to->selectors = krealloc(to->selectors, sizeof(aclSelector *) * (size_t)from->nselectors);
    for (int i = 0; i < from->nselectors; i++) to->selectors[i] = selector_copy(from->selectors[i]);
    to->nselectors = from->nselectors;
    to->flags = from->flags;
    kfree(to->passwords);
    to->passwords = from->npasswords ? kmemdup(from->passwords, sizeof(*from->passwords) * (size_t)from->npasswords) : NULL;
    to->npasswords = from->npasswords;
}

static int find_password(const aclUser *u, const char *hex) {
    for (int i = 0; i < u->npasswords; i++)
        if (memcmp(u->passwords[i], hex, 64) == 0) return i;
    return -1;
}

static int valid_hash(const char *p, size_t len) {
    if (len != 64) return 0;
    for (size_t i = 0; i < len; i++)
        if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f'))) return 0;
    return 1;
}

/* The hash a ">pass"/"#hash"/"<pass"/"!hash" rule names; 0 for a malformed hash. */
static int rule_hash(const char *op, size_t len, char hex[65]) {
    if (op[0] == '>' || op[0] == '<') {
        sha256_hex(op + 1, len - 1, hex);
        return 1;
    }
    if (!valid_hash(op + 1, len - 1)) return 0;
    memcpy(hex, op + 1, 64);
    hex[64] = '\0';
    return 1;
}

static int selector_from_opset(aclUser *u, const char *op, size_t len);

/* One rule of ACL SETUSER on u (Redis's ACLSetUser). */
static int user_rule(aclUser *u, const char *op, size_t len) {
    char hex[65];
    if (len == 0) return RULE_OK;
    if (arg_is(op, len, "on")) {
        u->flags = (u->flags | USER_ON) & ~USER_OFF;
    } else if (arg_is(op, len, "off")) {
        u->flags = (u->flags | USER_OFF) & ~USER_ON;
    } else if (arg_is(op, len, "skip-sanitize-payload")) {
        u->flags = (u->flags | USER_SKIP_SANITIZE) & ~USER_SANITIZE;
    } else if (arg_is(op, len, "sanitize-payload")) {
        u->flags = (u->flags | USER_SANITIZE) & ~USER_SKIP_SANITIZE;
    } else if (arg_is(op, len, "nopass") || arg_is(op, len, "resetpass")) {
        if (arg_is(op, len, "nopass")) u->flags |= USER_NOPASS;
        else u->flags &= ~USER_NOPASS;
        kfree(u->passwords);
        u->passwords = NULL;
        u->npasswords = 0;
    } else if (op[0] == '>' || op[0] == '#') {
        if (!rule_hash(op, len, hex)) return RULE_BAD_HASH;
        if (find_password(u, hex) < 0) {
            u->passwords = krealloc(u->passwords, sizeof(*u->passwords) * (size_t)(u->npasswords + 1));
            memcpy(u->passwords[u->npasswords++], hex, 65);
        }
        u->flags &= ~USER_NOPASS;
    } else if (op[0] == '<' || op[0] == '!') {
        if (!rule_hash(op, len, hex)) return RULE_BAD_HASH;
        int i = find_password(u, hex);
        if (i < 0) return RULE_NO_PASS;
        memmove(u->passwords[i], u->passwords[i + 1], sizeof(*u->passwords) * (size_t)(u->npasswords - i - 1));
        u->npasswords--;
    } else if (op[0] == '(' && op[len - 1] == ')') {
        return selector_from_opset(u, op, len);
    } else if (arg_is(op, len, "clearselectors")) {
        clear_selectors(u);
    } else if (arg_is(op, len, "reset")) {
        static const char *const steps[] = {"resetpass", "resetkeys", "resetchannels", "off", "sanitize-payload",
                                            "clearselectors", "-@all"};
        for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
            user_rule(u, steps[i], strlen(steps[i]));
            if (i == 2 && server.acl_pubsub_default == ACL_PUBSUB_ALLCHANNELS) user_rule(u, "allchannels", 11);
        }
    } else {
        return selector_rule(u->selectors[0], op, len);
    }
    return RULE_OK;
}

/* "(rule rule ...)": a new selector; nothing is added if a rule fails. */
static int selector_from_opset(aclUser *u, const char *op, size_t len) {
    karg *argv = NULL;
    int cap = 0;
    char *store = NULL;
    size_t store_cap = 0;
    int argc = split_args(op + 1, len - 2, &argv, &cap, &store, &store_cap);
    aclSelector *s = selector_new(0);
    int rc = RULE_OK;
    for (int i = 0; i < argc && rc == RULE_OK; i++) rc = selector_rule(s, argv[i].ptr, argv[i].len);
    kfree(argv);
    kfree(store);
    if (rc != RULE_OK) {
        selector_free(s);
        return rc;
    }
    u->selectors = krealloc(u->selectors, sizeof(aclSelector *) * (size_t)(u->nselectors + 1));
    u->selectors[u->nselectors++] = s;
    return RULE_OK;
}

static int user_index(const char *name, size_t len, int *found) {
    int lo = 0, hi = nusers;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        const kstr *n = users[mid]->name;
        size_t m = n->len < len ? n->len : len;
        int cmp = memcmp(n->buf, name, m);
        if (cmp == 0) cmp = n->len < len ? -1 : n->len > len ? 1 : 0;
        if (cmp == 0) {
            *found = 1;
            return mid;
        }
        if (cmp < 0) lo = mid + 1;
        else hi = mid;
    }
    *found = 0;
    return lo;
}

static aclUser *user_lookup(const char *name, size_t len) {
    int found;
    int i = user_index(name, len, &found);
    return found ? users[i] : NULL;
}

static void user_link(aclUser *u) {
    int found;
    int i = user_index(u->name->buf, u->name->len, &found);
    users = krealloc(users, sizeof(aclUser *) * (size_t)(nusers + 1));
    memmove(users + i + 1, users + i, sizeof(aclUser *) * (size_t)(nusers - i));
    users[i] = u;
    nusers++;
}

static void user_unlink(aclUser *u) {
    int found;
    int i = user_index(u->name->buf, u->name->len, &found);
    memmove(users + i, users + i + 1, sizeof(aclUser *) * (size_t)(nusers - i - 1));
    nusers--;
}

/* Groups "(a", "b)" into one "(a b)" argument, as Redis's ACLMergeSelectorArguments. Returns
 * the merged count, or -1 with *bad the index of the unclosed "(". */
static int merge_selector_args(int argc, const karg *argv, kstr **out, int *bad) {
    int n = 0, open = -1;
    for (int i = 0; i < argc; i++) {
        const karg *a = &argv[i];
        int closes = a->len && a->ptr[a->len - 1] == ')';
        if (open < 0 && a->len && a->ptr[0] == '(' && !closes) {
            open = i;
            out[n] = kstr_new(a->ptr, a->len);
            continue;
        }
        if (open >= 0) {
            out[n] = kstr_cat(kstr_cat(out[n], " ", 1), a->ptr, a->len);
            if (closes) {
                open = -1;
                n++;
            }
            continue;
        }
        out[n++] = kstr_new(a->ptr, a->len);
    }
    if (open >= 0) {
        for (int i = 0; i <= n; i++) kstr_free(out[i]);
        *bad = open;
        return -1;
    }
    return n;
}

static void kill_pubsub_clients_if_needed(const aclUser *old, const aclUser *now);

/* ACL SETUSER's rules on a copy of the user (or a new one), applied only if all succeed.
 * Returns NULL, or the error (to free). */
static kstr *user_set_rules(const char *name, size_t nlen, int argc, const karg *argv) {
    kstr **merged = kmalloc(sizeof(kstr *) * (size_t)(argc + 1));
    int bad = 0;
    int n = merge_selector_args(argc, argv, merged, &bad);
    if (n < 0) {
        kfree(merged);
        return kstr_catfmt(kstr_empty(64), "Unmatched parenthesis in acl selector starting at '%s'.", argv[bad].ptr);
    }
    aclUser *u = user_lookup(name, nlen);
    aclUser *tmp = user_new(name, nlen);
    if (u) user_copy_rules(tmp, u);
    kstr *err = NULL;
    for (int i = 0; i < n && !err; i++) {
        int rc = user_rule(tmp, merged[i]->buf, merged[i]->len);
        if (rc != RULE_OK)
            err = kstr_catfmt(kstr_empty(64), "Error in ACL SETUSER modifier '%s': %s", merged[i]->buf, rule_errors[rc]);
    }
    for (int i = 0; i < n; i++) kstr_free(merged[i]);
    kfree(merged);
    if (err) {
        user_free(tmp);
        return err;
    }
    if (u) {
        kill_pubsub_clients_if_needed(u, tmp);
        user_copy_rules(u, tmp);
        user_free(tmp);
    } else {
        user_link(tmp);
    }
    return NULL;
}

/* A user named "default" as a server starts with it: "on nopass ~* &* +@all". */
static aclUser *new_default_user(void) {
    aclUser *u = user_new("default", 7);
    static const char *const rules[] = {"+@all", "~*", "&*", "on", "nopass"};
    for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) user_rule(u, rules[i], strlen(rules[i]));
    return u;
}

void acl_init(void) {
    if (default_user) return;
    default_user = new_default_user();
    user_link(default_user);
}

void acl_set_default_password(const char *pass, size_t len) {
    if (!default_user) return;
    user_rule(default_user, "resetpass", 9);
    if (!pass || !len) {
        user_rule(default_user, "nopass", 6);
        return;
    }
    kstr *op = kstr_cat(kstr_cat(kstr_empty(len + 1), ">", 1), pass, len);
    user_rule(default_user, op->buf, op->len);
    kstr_free(op);
}

int acl_user_exists(const karg *name) {
    return user_lookup(name->ptr, name->len) != NULL;
}

const char *acl_user_name(const aclUser *u) {
    return u ? u->name->buf : "default";
}

/* ---------------------------------------------------------------- describing users */

static kstr *cat_key_pattern(kstr *out, const keyPattern *k) {
    if (k->perm == KEY_ALL) return kstr_catfmt(out, "~%s", k->pat->buf);
    return kstr_catfmt(out, "%%%s%s~%s", (k->perm & KEY_READ) ? "R" : "", (k->perm & KEY_WRITE) ? "W" : "", k->pat->buf);
}

static void count_category(const aclSelector *s, uint64_t cat, long *on, long *off) {
    *on = *off = 0;
    for (const command *cmd = command_table(); cmd->name; cmd++) {
        if (cmd->acl_categories & cat) has_bit(s, cmd->acl_id) ? (*on)++ : (*off)++;
        for (const command *sub = cmd->subcommands; sub && sub->name; sub++)
            if (sub->acl_categories & cat) has_bit(s, sub->acl_id) ? (*on)++ : (*off)++;
    }
}

/* "+cmd"/"-cmd" where `fake` differs from s (applied to fake as they go), and s's allowed first
 * arguments of a denied command. */
static kstr *cat_single_commands(kstr *out, const aclSelector *s, aclSelector *fake, const command *cmd) {
    int bit = has_bit(s, cmd->acl_id);
    if (bit != has_bit(fake, cmd->acl_id)) {
        out = kstr_catfmt(out, " %c%s", bit ? '+' : '-', cmd->fullname);
        change_command(fake, cmd, bit);
    }
    for (const command *sub = cmd->subcommands; sub && sub->name; sub++) out = cat_single_commands(out, s, fake, sub);
    for (int i = 0; !bit && i < s->nfirstargs; i++)
        if (s->firstargs[i].id == cmd->acl_id) out = kstr_catfmt(out, " +%s|%s", cmd->fullname, s->firstargs[i].arg->buf);
    return out;
}

/* The command rules that rebuild s's bitmap (Redis's ACLDescribeSelectorCommandRules): from
 * +@all (if s may run future commands) or -@all, the category that differs least from what is
 * left to describe, while one agrees more than it differs; then single commands. */
static kstr *cat_command_rules(kstr *out, const aclSelector *s) {
    int additive = !has_bit(s, ACL_FUTURE_BIT);
    aclSelector fake = {0}, left = {0};
    selector_rule(&fake, additive ? "-@all" : "+@all", 5);
    out = kstr_catc(out, additive ? "-@all" : "+@all");
    memcpy(left.allowed, s->allowed, sizeof(left.allowed));
    int applied[ACL_CAT_COUNT] = {0};
    for (;;) {
        int best = -1;
        long mindiff = LONG_MAX, maxsame = 0;
        for (int j = 0; j < ACL_CAT_COUNT; j++) {
            if (applied[j]) continue;
            long on, off;
            count_category(&left, 1ULL << j, &on, &off);
            long diff = additive ? off : on, same = additive ? on : off;
            if (same > diff && (diff < mindiff || (diff == mindiff && same > maxsame))) {
                best = j;
                mindiff = diff;
                maxsame = same;
            }
        }
        if (best < 0) break;
        change_category(&fake, 1ULL << best, additive);
        change_category(&left, 1ULL << best, !additive);
        out = kstr_catfmt(out, " %c@%s", additive ? '+' : '-', acl_category_name(best));
        applied[best] = 1;
    }
    for (const command *cmd = command_table(); cmd->name; cmd++) out = cat_single_commands(out, s, &fake, cmd);
    clear_firstargs(&fake, -1);
    kfree(fake.firstargs);
    return out;
}

/* GETUSER's "keys" and "channels" values (space-separated, no "resetchannels"). */
static kstr *cat_keys(kstr *out, const aclSelector *s) {
    if (s->flags & SEL_ALLKEYS) return kstr_catc(out, "~*");
    for (int i = 0; i < s->nkeys; i++) {
        if (i) out = kstr_cat(out, " ", 1);
        out = cat_key_pattern(out, &s->keys[i]);
    }
    return out;
}

static kstr *cat_channels(kstr *out, const aclSelector *s) {
    if (s->flags & SEL_ALLCHANNELS) return kstr_catc(out, "&*");
    for (int i = 0; i < s->nchannels; i++) out = kstr_catfmt(out, "%s&%s", i ? " " : "", s->channels[i]->buf);
    return out;
}

/* ACL LIST's form of a selector: keys, channels, command rules. */
static kstr *cat_selector(kstr *out, const aclSelector *s) {
    if (s->flags & SEL_ALLKEYS) {
        out = kstr_catc(out, "~* ");
    } else {
        for (int i = 0; i < s->nkeys; i++) out = kstr_cat(cat_key_pattern(out, &s->keys[i]), " ", 1);
    }
    if (s->flags & SEL_ALLCHANNELS) {
        out = kstr_catc(out, "&* ");
    } else {
        out = kstr_catc(out, "resetchannels ");
        for (int i = 0; i < s->nchannels; i++) out = kstr_catfmt(out, "&%s ", s->channels[i]->buf);
    }
    return cat_command_rules(out, s);
}

/* "user <name> <rules>", as ACL LIST and the ACL file show it. */
static kstr *cat_user_line(kstr *out, const aclUser *u) {
    out = kstr_catfmt(out, "user %s ", u->name->buf);
    for (int i = 0; i < USER_FLAG_COUNT; i++)
        if (u->flags & user_flags[i].flag) out = kstr_catfmt(out, "%s ", user_flags[i].name);
    for (int i = 0; i < u->npasswords; i++) out = kstr_catfmt(out, "#%s ", u->passwords[i]);
    for (int i = 0; i < u->nselectors; i++) {
        if (i) out = kstr_catc(out, " (");
        out = cat_selector(out, u->selectors[i]);
        if (i) out = kstr_cat(out, ")", 1);
    }
    return out;
}

/* ---------------------------------------------------------------- checks */

static int key_allowed(const aclSelector *s, const karg *key, int ks_flags) {
    if (s->flags & SEL_ALLKEYS) return 1;
    int need = 0;
    if (ks_flags & KS_ACCESS) need |= KEY_READ;
    if (ks_flags & (KS_INSERT | KS_DELETE | KS_UPDATE)) need |= KEY_WRITE;
    for (int i = 0; i < s->nkeys; i++) {
        if ((s->keys[i].perm & need) != need) continue;
        if (glob_match(s->keys[i].pat->buf, s->keys[i].pat->len, key->ptr, key->len, 0)) return 1;
    }
    return 0;
}

/* A channel is matched by the selector's patterns; a pattern (PSUBSCRIBE) only literally. */
static int channel_allowed(const aclSelector *s, const karg *ch, int is_pattern) {
    if (s->flags & SEL_ALLCHANNELS) return 1;
    for (int i = 0; i < s->nchannels; i++) {
        const kstr *p = s->channels[i];
        if (is_pattern ? p->len == ch->len && memcmp(p->buf, ch->ptr, ch->len) == 0
                       : glob_match(p->buf, p->len, ch->ptr, ch->len, 0))
            return 1;
    }
    return 0;
}

/* The channels a command publishes or subscribes to: the first argument (PUBLISH, SPUBLISH) or
 * all of them (SUBSCRIBE, SSUBSCRIBE, PSUBSCRIBE: patterns). Returns the first index, or 0. */
static int command_channels(const command *cmd, int argc, int *last, int *is_pattern) {
    *is_pattern = cmd->proc == psubscribe_command;
    if (cmd->proc == publish_command || cmd->proc == spublish_command) {
        *last = 1;
        return 1;
    }
    if (cmd->proc == subscribe_command || cmd->proc == ssubscribe_command || *is_pattern) {
        *last = argc - 1;
        return 1;
    }
    return 0;
}

typedef struct keyCache {
    int done, n;
    int pos[64], flags[64];
    int *hpos, *hflags;         /* more than 64 keys */
} keyCache;

static int cached_keys(keyCache *kc, const command *cmd, int argc, const karg *argv, int **pos, int **flags) {
    if (!kc->done) {
        kc->done = 1;
        kc->n = command_get_keys(cmd, argc, argv, kc->pos, kc->flags, 64);
        if (kc->n > 64) {
            kc->hpos = kmalloc(sizeof(int) * (size_t)kc->n);
            kc->hflags = kmalloc(sizeof(int) * (size_t)kc->n);
            kc->n = command_get_keys(cmd, argc, argv, kc->hpos, kc->hflags, kc->n);
        }
        if (kc->n < 0) kc->n = 0;
    }
    *pos = kc->hpos ? kc->hpos : kc->pos;
    *flags = kc->hflags ? kc->hflags : kc->flags;
    return kc->n;
}

static int selector_check(const aclSelector *s, const command *cmd, int argc, const karg *argv, int *errpos,
                          keyCache *kc) {
    if (!(s->flags & SEL_ALLCOMMANDS) && !(cmd->flags & CMD_NO_AUTH) && !has_bit(s, cmd->acl_id)) {
        int idx = cmd->parent ? 2 : 1, ok = 0;
        for (int i = 0; i < s->nfirstargs && argc > idx; i++)
            if (s->firstargs[i].id == cmd->acl_id && arg_is(argv[idx].ptr, argv[idx].len, s->firstargs[i].arg->buf)) ok = 1;
        if (!ok) return ACL_DENIED_CMD;
    }
    if (!(s->flags & SEL_ALLKEYS) && command_has_keys(cmd)) {
        int *pos, *flags;
        int n = cached_keys(kc, cmd, argc, argv, &pos, &flags);
        for (int i = 0; i < n; i++) {
            if (key_allowed(s, &argv[pos[i]], flags[i])) continue;
            *errpos = pos[i];
            return ACL_DENIED_KEY;
        }
    }
    int last, is_pattern;
    int first = command_channels(cmd, argc, &last, &is_pattern);
    if (!(s->flags & SEL_ALLCHANNELS) && first) {
        for (int i = first; i <= last; i++) {
            if (channel_allowed(s, &argv[i], is_pattern)) continue;
            *errpos = i;
            return ACL_DENIED_CHANNEL;
        }
    }
    return ACL_OK;
}

int acl_check(const aclUser *u, const command *cmd, int argc, const karg *argv, int *errpos) {
    *errpos = 0;
    if (!u) return ACL_OK;
    keyCache kc = {0};
    int worst = ACL_DENIED_CMD, worst_pos = 0, rc = ACL_OK;
    for (int i = 0; i < u->nselectors; i++) {
        int pos = 0;
        rc = selector_check(u->selectors[i], cmd, argc, argv, &pos, &kc);
        if (rc == ACL_OK) break;
        if (rc > worst || (rc == worst && pos > worst_pos)) {
            worst = rc;
            worst_pos = pos;
        }
    }
    kfree(kc.hpos);
    kfree(kc.hflags);
    if (rc == ACL_OK) return ACL_OK;
    *errpos = worst_pos;
    return worst;
}

int acl_may_read_all_keys(const aclUser *u, const command *cmd, int argc, const karg *argv) {
    if (!u) return 1;
    keyCache kc = {0};
    int ok = 0;
    for (int i = 0; i < u->nselectors && !ok; i++) {
        const aclSelector *s = u->selectors[i];
        int pos;
        if (selector_check(s, cmd, argc, argv, &pos, &kc) != ACL_OK) continue;
        ok = (s->flags & SEL_ALLKEYS) != 0;
        for (int k = 0; k < s->nkeys && !ok; k++)
            ok = (s->keys[k].perm & KEY_READ) && s->keys[k].pat->len == 1 && s->keys[k].pat->buf[0] == '*';
    }
    kfree(kc.hpos);
    kfree(kc.hflags);
    return ok;
}

/* ---------------------------------------------------------------- the log */

static void log_entry_free(aclLogEntry *e) {
    kstr_free(e->object);
    kstr_free(e->username);
    kstr_free(e->cinfo);
    kfree(e);
}

static void trim_log(void) {
    while (acl_log_len > server.acllog_max_len) log_entry_free(acl_log[--acl_log_len]);
}

/* Adds a denial; one like it (same reason, context, object, user) from the last minute among
 * the 10 newest is counted again and moved to the front instead. */
static void log_denial(client *c, int reason, int context, const char *object, size_t olen, const char *username) {
    long long now = mstime();
    kstr *cinfo = kstr_empty(256);
    client_info_line(c, &cinfo);
    if (cinfo->len && cinfo->buf[cinfo->len - 1] == '\n') cinfo->len--;
    for (long long i = 0; i < acl_log_len && i < 10; i++) {
        aclLogEntry *e = acl_log[i];
        if (e->reason != reason || e->context != context || now - e->ctime_ms > 60000) continue;
        if (e->object->len != olen || memcmp(e->object->buf, object, olen) != 0) continue;
        if (strcmp(e->username->buf, username) != 0) continue;
        e->count++;
        e->ctime_ms = now;
        kstr_free(e->cinfo);
        e->cinfo = cinfo;
        memmove(acl_log + 1, acl_log, sizeof(*acl_log) * (size_t)i);
        acl_log[0] = e;
        return;
    }
    aclLogEntry *e = kcalloc(sizeof(*e));
    *e = (aclLogEntry){1, reason, context, kstr_new(object, olen), kstr_new(username, strlen(username)), cinfo, now};
    acl_log = krealloc(acl_log, sizeof(*acl_log) * (size_t)(acl_log_len + 1));
    memmove(acl_log + 1, acl_log, sizeof(*acl_log) * (size_t)acl_log_len);
    acl_log[0] = e;
    acl_log_len++;
    trim_log();
}

/* Logs the denial of cmd (reason from acl_check) with the object Redis names: the command,
 * or the denied key or channel. */
static void log_check_denial(client *c, const aclUser *u, int reason, int context, const command *cmd,
                             const karg *argv, int errpos) {
    if (reason == ACL_DENIED_CMD) log_denial(c, reason, context, cmd->fullname, strlen(cmd->fullname), acl_user_name(u));
    else log_denial(c, reason, context, argv[errpos].ptr, argv[errpos].len, acl_user_name(u));
}

const char *acl_check_client(client *c, const command *cmd, int context) {
    int pos;
    int rc = acl_check(c->user, cmd, c->argc, c->argv, &pos);
    if (rc == ACL_OK) return NULL;
    log_check_denial(c, c->user, rc, context, cmd, c->argv, pos);
    static char msg[256];
    if (rc == ACL_DENIED_CMD)
        snprintf(msg, sizeof(msg), "-NOPERM this user has no permissions to run the '%s' command", cmd->fullname);
    else
        snprintf(msg, sizeof(msg), "-NOPERM this user has no permissions to access one of the %s used as arguments",
                 rc == ACL_DENIED_KEY ? "keys" : "channels");
    return msg;
}

const char *acl_check_queued(client *c, const command *cmd, int argc, const karg *argv) {
    int pos;
    int rc = acl_check(c->user, cmd, argc, argv, &pos);
    if (rc == ACL_OK) return NULL;
    log_check_denial(c, c->user, rc, ACL_CTX_MULTI, cmd, argv, pos);
    static char msg[320];
    snprintf(msg, sizeof(msg),
             "-NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. "
             "This command is no longer allowed for the following reason: %s",
             rc == ACL_DENIED_CMD ? "no permission to execute the command or subcommand"
             : rc == ACL_DENIED_KEY ? "no permission to touch the specified keys"
                                    : "no permission to access one of the channels used as arguments");
    return msg;
}

const char *acl_check_script(client *caller, const command *cmd, int argc, const karg *argv) {
    if (!caller) return NULL;
    int pos;
    int rc = acl_check(caller->user, cmd, argc, argv, &pos);
    if (rc == ACL_OK) return NULL;
    log_check_denial(caller, caller->user, rc, ACL_CTX_LUA, cmd, argv, pos);
    if (rc == ACL_DENIED_CMD) return "The user executing the script can't run this command or subcommand";
    if (rc == ACL_DENIED_KEY) return "The user executing the script can't access at least one of the keys mentioned in the command arguments";
    return "The user executing the script can't publish to the channel mentioned in the command";
}

/* ---------------------------------------------------------------- clients and AUTH */

void acl_client_set_default(client *c) {
    c->user = default_user;
    c->authenticated = (default_user->flags & USER_NOPASS) && !(default_user->flags & USER_OFF);
}

int acl_auth_required(const client *c) {
    if (c->flags & CLIENT_FAKE) return 0;
    return (!(default_user->flags & USER_NOPASS) || (default_user->flags & USER_OFF)) && !c->authenticated;
}

int acl_default_has_no_password(void) {
    return (default_user->flags & USER_NOPASS) != 0;
}

static int credentials_ok(const aclUser *u, const karg *pass) {
    if (!u || (u->flags & USER_OFF)) return 0;
    if (u->flags & USER_NOPASS) return 1;
    char hex[65];
    sha256_hex(pass->ptr, pass->len, hex);
    int ok = 0;
    /* Every stored hash is compared in full, so timing doesn't reveal which one matched. */
    for (int i = 0; i < u->npasswords; i++) {
        unsigned diff = 0;
        for (int j = 0; j < 64; j++) diff |= (unsigned char)(u->passwords[i][j] ^ hex[j]);
        ok |= diff == 0;
    }
    return ok;
}

int acl_authenticate(client *c, const karg *user, const karg *pass) {
    aclUser *u = user_lookup(user->ptr, user->len);
    if (credentials_ok(u, pass)) {
        c->user = u;
        c->authenticated = 1;
        return 1;
    }
    kstr *name = kstr_new(user->ptr, user->len);
    log_denial(c, ACL_DENIED_AUTH, (c->flags & CLIENT_MULTI) ? ACL_CTX_MULTI : ACL_CTX_TOPLEVEL, c->argv[0].ptr,
               c->argv[0].len, name->buf);
    kstr_free(name);
    return 0;
}

/* Closes u's clients (u is going away): the caller after its reply, others before the next
 * poll; until then they are the default user, unauthenticated. */
static void kill_user_clients(const aclUser *u) {
    for (client *x = server.clients; x; x = x->next) {
        if (x->user != u) continue;
        x->user = default_user;
        x->authenticated = 0;
        if (x == server.current_client) x->flags |= CLIENT_CLOSE_AFTER_REPLY;
        else client_close_async(x);
    }
}

/* A subscription the channel patterns of one of u's selectors allow. */
static int subscription_allowed(const void *priv, const char *name, size_t len, int is_pattern) {
    const aclUser *u = priv;
    karg ch = {(char *)name, len};
    for (int i = 0; i < u->nselectors; i++)
        if (channel_allowed(u->selectors[i], &ch, is_pattern)) return 1;
    return 0;
}

/* After SETUSER, u's subscribers lose their connection if a subscription is no longer allowed
 * (Redis's ACLKillPubsubClientsIfNeeded): unless a selector allows every channel, or every old
 * channel pattern is still one of the new ones (then nothing was revoked). */
static void kill_pubsub_clients_if_needed(const aclUser *old, const aclUser *now) {
    for (int i = 0; i < now->nselectors; i++)
        if (now->selectors[i]->flags & SEL_ALLCHANNELS) return;
    int revoked = 0;
    for (int i = 0; i < old->nselectors && !revoked; i++) {
        const aclSelector *s = old->selectors[i];
        revoked = (s->flags & SEL_ALLCHANNELS) != 0;
        for (int j = 0; j < s->nchannels && !revoked; j++)
            revoked = !subscription_allowed(now, s->channels[j]->buf, s->channels[j]->len, 1);   /* literally */
    }
    if (!revoked) return;
    for (client *x = server.clients; x; x = x->next) {
        if (x->user != old || !(x->flags & CLIENT_PUBSUB)) continue;
        if (pubsub_client_all(x, subscription_allowed, now)) continue;
        if (x == server.current_client) x->flags |= CLIENT_CLOSE_AFTER_REPLY;
        else client_close_async(x);
    }
}

/* ---------------------------------------------------------------- ACL subcommands */

void acl_setuser_command(client *c) {
    c->redacted = ~3ULL;   /* the user name and every rule: rules hold passwords */
    const karg *name = &c->argv[2];
    if (has_space(name->ptr, name->len)) {
        reply_error(c, "Usernames can't contain spaces or null characters");
        return;
    }
    kstr *err = user_set_rules(name->ptr, name->len, c->argc - 3, c->argv + 3);
    if (!err) {
        reply_ok(c);
        return;
    }
    reply_error(c, err->buf);
    kstr_free(err);
}

static void reply_kstr_free(client *c, kstr *s) {
    reply_bulk(c, s->buf, s->len);
    kstr_free(s);
}

static void reply_selector(client *c, const aclSelector *s) {
    reply_bulk_cstr(c, "commands");
    reply_kstr_free(c, cat_command_rules(kstr_empty(64), s));
    reply_bulk_cstr(c, "keys");
    reply_kstr_free(c, cat_keys(kstr_empty(64), s));
    reply_bulk_cstr(c, "channels");
    reply_kstr_free(c, cat_channels(kstr_empty(64), s));
}

void acl_getuser_command(client *c) {
    const aclUser *u = user_lookup(c->argv[2].ptr, c->argv[2].len);
    if (!u) {
        reply_null(c);
        return;
    }
    reply_map_len(c, 6);
    reply_bulk_cstr(c, "flags");
    int nflags = 0;
    for (int i = 0; i < USER_FLAG_COUNT; i++) nflags += (u->flags & user_flags[i].flag) != 0;
    reply_set_len(c, nflags);
    for (int i = 0; i < USER_FLAG_COUNT; i++)
        if (u->flags & user_flags[i].flag) reply_bulk_cstr(c, user_flags[i].name);
    reply_bulk_cstr(c, "passwords");
    reply_array_len(c, u->npasswords);
    for (int i = 0; i < u->npasswords; i++) reply_bulk(c, u->passwords[i], 64);
    reply_selector(c, u->selectors[0]);
    reply_bulk_cstr(c, "selectors");
    reply_array_len(c, u->nselectors - 1);
    for (int i = 1; i < u->nselectors; i++) {
        reply_map_len(c, 3);
        reply_selector(c, u->selectors[i]);
    }
}

void acl_deluser_command(client *c) {
    long long deleted = 0;
    for (int i = 2; i < c->argc; i++) {
        if (c->argv[i].len == 7 && memcmp(c->argv[i].ptr, "default", 7) == 0) {
            reply_error(c, "The 'default' user cannot be removed");
            return;
        }
    }
    for (int i = 2; i < c->argc; i++) {
        aclUser *u = user_lookup(c->argv[i].ptr, c->argv[i].len);
        if (!u) continue;
        user_unlink(u);
        kill_user_clients(u);
        user_free(u);
        deleted++;
    }
    reply_integer(c, deleted);
}

void acl_list_command(client *c) {
    reply_array_len(c, nusers);
    for (int i = 0; i < nusers; i++) reply_kstr_free(c, cat_user_line(kstr_empty(128), users[i]));
}

void acl_users_command(client *c) {
    reply_array_len(c, nusers);
    for (int i = 0; i < nusers; i++) reply_bulk(c, users[i]->name->buf, users[i]->name->len);
}

void acl_whoami_command(client *c) {
    const char *name = acl_user_name(c->user);
    reply_bulk(c, name, strlen(name));
}

void acl_cat_command(client *c) {
    if (c->argc == 2) {
        reply_array_len(c, ACL_CAT_COUNT);
        for (int i = 0; i < ACL_CAT_COUNT; i++) reply_bulk_cstr(c, acl_category_name(i));
        return;
    }
    if (c->argc > 3) {
        reply_subcommand_syntax_error(c);
        return;
    }
    int cat = acl_category_by_name(c->argv[2].ptr, c->argv[2].len);
    if (cat < 0) {
        reply_errorf(c, "Unknown category '%.128s'", c->argv[2].ptr);
        return;
    }
    replyDeferred d = reply_deferred(c);
    long long n = 0;
    for (const command *cmd = command_table(); cmd->name; cmd++) {
        if (cmd->acl_categories & (1ULL << cat)) reply_bulk_cstr(c, cmd->fullname), n++;
        for (const command *sub = cmd->subcommands; sub && sub->name; sub++)
            if (sub->acl_categories & (1ULL << cat)) reply_bulk_cstr(c, sub->fullname), n++;
    }
    reply_set_deferred_array(c, d, n);
}

void acl_genpass_command(client *c) {
    long long bits = 256;
    if (c->argc > 3) {
        reply_subcommand_syntax_error(c);
        return;
    }
    if (c->argc == 3 && !arg_ll_or_reply(c, &c->argv[2], &bits, NULL)) return;
    if (bits <= 0 || bits > 4096) {
        reply_error(c, "ACL GENPASS argument must be the number of bits for the output password, a positive number "
                       "up to 4096");
        return;
    }
    size_t chars = (size_t)(bits + 3) / 4;
    char out[1025];
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < chars; i += 16) {
        uint64_t r = rand64();
        for (size_t j = i; j < chars && j < i + 16; j++, r >>= 4) out[j] = digits[r & 15];
    }
    reply_bulk(c, out, chars);
}

static const char *const context_names[] = {"toplevel", "multi", "lua"};
static const char *const reason_names[] = {"", "command", "key", "auth", "channel"};

void acl_log_command(client *c) {
    long long count = 10;
    if (c->argc > 3) {
        reply_subcommand_syntax_error(c);
        return;
    }
    if (c->argc == 3) {
        if (arg_is(c->argv[2].ptr, c->argv[2].len, "reset")) {
            while (acl_log_len) log_entry_free(acl_log[--acl_log_len]);
            reply_ok(c);
            return;
        }
        if (!arg_ll_or_reply(c, &c->argv[2], &count, NULL)) return;
        if (count < 0) count = 0;
    }
    if (count > acl_log_len) count = acl_log_len;
    long long now = mstime();
    reply_array_len(c, count);
    for (long long i = 0; i < count; i++) {
        const aclLogEntry *e = acl_log[i];
        reply_map_len(c, 7);
        reply_bulk_cstr(c, "count");
        reply_integer(c, e->count);
        reply_bulk_cstr(c, "reason");
        reply_bulk_cstr(c, reason_names[e->reason]);
        reply_bulk_cstr(c, "context");
        reply_bulk_cstr(c, context_names[e->context]);
        reply_bulk_cstr(c, "object");
        reply_bulk(c, e->object->buf, e->object->len);
        reply_bulk_cstr(c, "username");
        reply_bulk(c, e->username->buf, e->username->len);
        reply_bulk_cstr(c, "age-seconds");
        reply_double(c, (double)(now - e->ctime_ms) / 1000);
        reply_bulk_cstr(c, "client-info");
        reply_bulk(c, e->cinfo->buf, e->cinfo->len);
    }
}

void acl_dryrun_command(client *c) {
    const aclUser *u = user_lookup(c->argv[2].ptr, c->argv[2].len);
    if (!u) {
        reply_errorf(c, "User '%s' not found", c->argv[2].ptr);
        return;
    }
    int argc = c->argc - 3;
    const karg *argv = c->argv + 3;
    const command *cmd = argc == 1 ? command_lookup(argv[0].ptr, argv[0].len) : command_lookup_argv(argc, argv);
    if (!cmd) {
        reply_errorf(c, "Command '%s' not found", argv[0].ptr);
        return;
    }
    if (cmd->arity > 0 ? argc != cmd->arity : argc < -cmd->arity) {
        reply_errorf(c, "wrong number of arguments for '%s' command", cmd->fullname);
        return;
    }
    int pos;
    int rc = acl_check(u, cmd, argc, argv, &pos);
    if (rc == ACL_OK) {
        reply_ok(c);
        return;
    }
    kstr *msg = rc == ACL_DENIED_CMD
                    ? kstr_catfmt(kstr_empty(64), "This user has no permissions to run the '%s' command", cmd->fullname)
                    : kstr_catfmt(kstr_empty(64), "This user has no permissions to access the '%s' %s", argv[pos].ptr,
                                  rc == ACL_DENIED_KEY ? "key" : "channel");
    reply_kstr_free(c, msg);
}

void acl_help_command(client *c) {
    static const char *const help[] = {
        "CAT [<category>]",
        "    List all commands that belong to <category>, or all command categories",
        "    when no category is specified.",
        "DELUSER <username> [<username> ...]",
        "    Delete a list of users.",
        "DRYRUN <username> <command> [<arg> ...]",
        "    Returns whether the user can execute the given command without executing the command.",
        "GETUSER <username>",
        "    Get the user's details.",
        "GENPASS [<bits>]",
        "    Generate a secure 256-bit user password. The optional `bits` argument can",
        "    be used to specify a different size.",
        "LIST",
        "    Show users details in config file format.",
        "LOAD",
        "    Reload users from the ACL file.",
        "LOG [<count> | RESET]",
        "    Show the ACL log entries.",
        "SAVE",
        "    Save the current config to the ACL file.",
        "SETUSER <username> <attribute> [<attribute> ...]",
        "    Create or modify a user with the specified attributes.",
        "USERS",
        "    List all the registered usernames.",
        "WHOAMI",
        "    Return the current connection username.",
        NULL,
    };
    reply_help(c, help);
}

/* ---------------------------------------------------------------- the ACL file and config users */

/* Applies one line's rules ("(" selectors merged) to u. Returns RULE_OK, or the failing rule's
 * error with *bad_rule set (to free); -1 for an unclosed "(". */
static int apply_rules(aclUser *u, int argc, const karg *argv, kstr **bad_rule) {
    kstr **merged = kmalloc(sizeof(kstr *) * (size_t)(argc + 1));
    int bad = 0;
    int n = merge_selector_args(argc, argv, merged, &bad);
    int rc = n < 0 ? -1 : RULE_OK;
    for (int i = 0; i < n; i++) {
        if (rc == RULE_OK) rc = user_rule(u, merged[i]->buf, merged[i]->len);
        if (rc != RULE_OK && !*bad_rule) *bad_rule = merged[i];
        else kstr_free(merged[i]);
    }
    kfree(merged);
    return rc;
}

/* An ACL file line's rules on u. Every rule is tried, as Redis does: each unknown command or
 * category is reported, and the first other error of the line. */
static kstr *file_line_rules(aclUser *u, int argc, const karg *argv, kstr *errors, const char *path, int lineno) {
    kstr **merged = kmalloc(sizeof(kstr *) * (size_t)(argc + 1));
    int bad = 0, syntax_error = 0;
    int n = merge_selector_args(argc, argv, merged, &bad);
    if (n < 0) errors = kstr_catfmt(errors, "%s:%d: Unmatched parenthesis in selector definition.", path, lineno);
    for (int i = 0; i < n; i++) {
        int rc = user_rule(u, merged[i]->buf, merged[i]->len);
        if (rc == RULE_UNKNOWN) {
            errors = kstr_catfmt(errors, "%s:%d: Error in applying operation '%s': %s. ", path, lineno, merged[i]->buf,
                                 rule_errors[rc]);
        } else if (rc != RULE_OK && !syntax_error) {
            errors = kstr_catfmt(errors, "%s:%d: %s. ", path, lineno, rule_errors[rc]);
            syntax_error = 1;
        }
        kstr_free(merged[i]);
    }
    kfree(merged);
    return errors;
}

/* Splits a line on single spaces, as Redis reads the ACL file. */
static int split_spaces(const char *line, size_t len, karg **argv) {
    int n = 0;
    *argv = kmalloc(sizeof(karg) * (len + 1));   /* at most one word per byte, plus one */
    const char *p = line, *end = line + len;
    while (p <= end) {
        const char *sp = memchr(p, ' ', (size_t)(end - p));
        if (!sp) sp = end;
        (*argv)[n++] = (karg){(char *)p, (size_t)(sp - p)};
        p = sp + 1;
    }
    return n;
}

/* Replaces the users with the file's; on errors nothing changes and the errors are returned
 * (to free). The default user keeps its identity (clients point at it); other users' clients
 * are closed, as Redis does. */
static kstr *load_acl_file(const char *path) {
    kstr *text = config_read_file(path);
    if (!text) return kstr_catfmt(kstr_empty(64), "Error loading ACLs, opening file '%s': %s", path, strerror(errno));
    aclUser **old = users;
    int nold = nusers;
    users = NULL;
    nusers = 0;
    kstr *errors = kstr_empty(0);
    int lineno = 0;
    for (char *p = text->buf; p < text->buf + text->len;) {
        char *nl = memchr(p, '\n', (size_t)(text->buf + text->len - p));
        size_t len = nl ? (size_t)(nl - p) : (size_t)(text->buf + text->len - p);
        char *line = p;
        p += len + 1;
        lineno++;
        while (len && strchr(" \t\r\n", line[0])) line++, len--;
        while (len && strchr(" \t\r\n", line[len - 1])) len--;
        if (len == 0) continue;
        line[len] = '\0';
        karg *argv;
        int argc = split_spaces(line, len, &argv);
        for (int i = 0; i < argc; i++) {
            while (argv[i].len && strchr("\t\r\n", argv[i].ptr[argv[i].len - 1])) argv[i].len--;
            argv[i].ptr[argv[i].len] = '\0';
        }
        if (argc < 2 || !(argv[0].len == 4 && memcmp(argv[0].ptr, "user", 4) == 0)) {
            errors = kstr_catfmt(errors, "%s:%d should start with user keyword followed by the username. ", path, lineno);
        } else if (has_space(argv[1].ptr, argv[1].len)) {
            errors = kstr_catfmt(errors, "'%s:%d: username '%s' contains invalid characters. ", path, lineno, argv[1].ptr);
        } else if (user_lookup(argv[1].ptr, argv[1].len)) {
            errors = kstr_catfmt(errors, "WARNING: Duplicate user '%s' found on line %d. ", argv[1].ptr, lineno);
        } else {
            aclUser *u = user_new(argv[1].ptr, argv[1].len);
            errors = file_line_rules(u, argc - 2, argv + 2, errors, path, lineno);
            user_link(u);
        }
        kfree(argv);
    }
    kstr_free(text);
    aclUser **loaded = users;
    int nloaded = nusers;
    users = old;
    nusers = nold;
    if (errors->len) {
        for (int i = 0; i < nloaded; i++) user_free(loaded[i]);
        kfree(loaded);
        return kstr_catc(errors, "WARNING: ACL errors detected, no change to the previously active ACL rules was performed");
    }
    kstr_free(errors);
    /* Swap: the file's users, with the old default object holding the new default's rules. */
    for (int i = 0; i < nold; i++) {
        if (old[i] == default_user) continue;
        kill_user_clients(old[i]);
        user_free(old[i]);
    }
    kfree(old);
    users = loaded;
    nusers = nloaded;
    int found;
    int d = user_index("default", 7, &found);
    aclUser *fresh = found ? users[d] : new_default_user();
    user_copy_rules(default_user, fresh);
    if (found) users[d] = default_user;
    else user_link(default_user);
    user_free(fresh);
    return NULL;
}

static const char *const no_acl_file =
    "This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER "
    "command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store "
    "users in the Redis configuration.";

void acl_load_command(client *c) {
    if (!server.acl_filename || !server.acl_filename[0]) {
        reply_error(c, no_acl_file);
        return;
    }
    kstr *errors = load_acl_file(server.acl_filename);
    if (!errors) {
        reply_ok(c);
        return;
    }
    reply_error(c, errors->buf);
    kstr_free(errors);
}

/* Writes every user's line to a temporary file, then renames it over the ACL file. */
static int save_acl_file(const char *path) {
    kstr *text = kstr_empty(256);
    for (int i = 0; i < nusers; i++) text = kstr_cat(cat_user_line(text, users[i]), "\n", 1);
    kstr *tmp = kstr_catfmt(kstr_empty(64), "%s.tmp-%d", path, (int)getpid());
    FILE *f = fopen(tmp->buf, "w");
    int ok = f && fwrite(text->buf, 1, text->len, f) == text->len;
    if (f && fflush(f) != 0) ok = 0;
    if (f && fsync(fileno(f)) != 0) ok = 0;
    if (f && fclose(f) != 0) ok = 0;
    if (ok && rename(tmp->buf, path) != 0) ok = 0;
    if (!ok) {
        log_msg(LL_WARNING, "Saving the ACL file '%s' failed: %s", path, strerror(errno));
        unlink(tmp->buf);
    }
    kstr_free(tmp);
    kstr_free(text);
    return ok;
}

void acl_save_command(client *c) {
    if (!server.acl_filename || !server.acl_filename[0]) {
        reply_error(c, no_acl_file);
        return;
    }
    if (save_acl_file(server.acl_filename)) reply_ok(c);
    else reply_error(c, "There was an error trying to save the ACLs. Please check the server logs for more information");
}

kstr *acl_cat_config_users(kstr *out) {
    if (server.acl_filename && server.acl_filename[0]) return out;
    for (int i = 0; i < nusers; i++) out = kstr_cat(cat_user_line(out, users[i]), "\n", 1);
    return out;
}

const char *acl_queue_config_user(int argc, const karg *argv) {
    static char err[256];
    const char *why = NULL;
    int at = 0;
    for (int i = 0; i < nconfig_users && !why; i++)
        if (config_users[i][0].len == argv[0].len && memcmp(config_users[i][0].ptr, argv[0].ptr, argv[0].len) == 0) {
            why = "Duplicate user found. A user can only be defined once in config files";
            at = 1;
        }
    if (!why) {
        /* Rules are tried on a scratch user; unknown commands are only known later (the
         * table is not ready yet), so only the other errors count now, as in Redis. */
        aclUser *scratch = user_new("", 0);
        kstr **merged = kmalloc(sizeof(kstr *) * (size_t)argc);
        int bad = 0;
        int n = merge_selector_args(argc - 1, argv + 1, merged, &bad);
        if (n < 0) why = rule_errors[RULE_UNKNOWN], at = bad;   /* Redis reports a stale errno here */
        for (int i = 0; i < n; i++) {
            int rc = why ? RULE_OK : user_rule(scratch, merged[i]->buf, merged[i]->len);
            if (rc != RULE_OK && rc != RULE_UNKNOWN) why = rule_errors[rc], at = i;
            kstr_free(merged[i]);
        }
        kfree(merged);
        user_free(scratch);
    }
    if (why) {
        /* Redis names the line's word at the failing rule's index (counting "user" as 0). */
        snprintf(err, sizeof(err), "Error in user declaration '%s': %s", at == 0 ? "user" : argv[at - 1].ptr, why);
        return err;
    }
    karg *copy = kmalloc(sizeof(karg) * (size_t)argc);
    for (int i = 0; i < argc; i++) copy[i] = (karg){kmemdup(argv[i].ptr, argv[i].len + 1), argv[i].len};
    config_users = krealloc(config_users, sizeof(*config_users) * (size_t)(nconfig_users + 1));
    config_user_argc = krealloc(config_user_argc, sizeof(int) * (size_t)(nconfig_users + 1));
    config_users[nconfig_users] = copy;
    config_user_argc[nconfig_users++] = argc;
    return NULL;
}

/* The config file's "user" lines: each user starts from scratch ("user default" resets it). */
static int load_config_users(char *err, size_t errlen) {
    int rc = 0;
    for (int i = 0; i < nconfig_users; i++) {
        const karg *argv = config_users[i];
        int argc = config_user_argc[i];
        aclUser *u = user_lookup(argv[0].ptr, argv[0].len);
        if (!u) {
            u = user_new(argv[0].ptr, argv[0].len);
            user_link(u);
        } else {
            user_rule(u, "reset", 5);
        }
        kstr *bad = NULL;
        int r = rc ? RULE_OK : apply_rules(u, argc - 1, argv + 1, &bad);
        if (r != RULE_OK) {
            snprintf(err, errlen, "Error in user declaration '%s': %s", bad ? bad->buf : argv[0].ptr,
                     r < 0 ? "Unmatched parenthesis in acl selector" : rule_errors[r]);
            rc = -1;
        }
        kstr_free(bad);
        for (int j = 0; j < argc; j++) kfree(argv[j].ptr);
        kfree(config_users[i]);
    }
    kfree(config_users);
    kfree(config_user_argc);
    config_users = NULL;
    config_user_argc = NULL;
    nconfig_users = 0;
    return rc;
}

int acl_load_at_startup(char *err, size_t errlen) {
    int has_file = server.acl_filename && server.acl_filename[0];
    if (has_file && nconfig_users) {
        snprintf(err, errlen, "Configuring Redis with users defined in redis.conf and at the same setting an ACL file "
                              "path is invalid. This setup is very likely to lead to configuration errors and security "
                              "holes, please define either an ACL file or declare users directly in your redis.conf, "
                              "but not both.");
        return -1;
    }
    if (load_config_users(err, errlen) != 0) return -1;
    if (!has_file) return 0;
    kstr *errors = load_acl_file(server.acl_filename);
    if (!errors) return 0;
    snprintf(err, errlen, "Aborting Redis startup because of ACL errors: %s", errors->buf);
    kstr_free(errors);
    return -1;
}
