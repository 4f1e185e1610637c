/* cmd_expire.c - TTL commands: EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT (with NX|XX|GT|LT), TTL,
 * PTTL, EXPIRETIME, PEXPIRETIME, PERSIST.
 *
 * Times are unix milliseconds internally; "now" is the command's cached time
 * (server_time_ms), so every key a command touches is judged against the same instant.
 * Replies and errors follow redis-server 7.0.15, including its overflow checks and the rule
 * that a TTL in the past deletes the key (reported as a "del" event, replying 1). */
#include <limits.h>
#include <string.h>

#include "commands/commands.h"
#include "core/notify.h"
#include "keyspace/db.h"
#include "persist/wstream.h"
#include "protocol/reply.h"
#include "util/mem.h"
#include "util/util.h"

#define EXPIRE_NX (1 << 0)
#define EXPIRE_XX (1 << 1)
#define EXPIRE_GT (1 << 2)
#define EXPIRE_LT (1 << 3)

/* The NX|XX|GT|LT options after the time argument: 0 after replying an error. */
static int parse_expire_flags(client *c, int *flags) {
    static const struct {
        const char *name;
        int flag;
    } opts[] = {{"nx", EXPIRE_NX}, {"xx", EXPIRE_XX}, {"gt", EXPIRE_GT}, {"lt", EXPIRE_LT}};
    *flags = 0;
    for (int j = 3; j < c->argc; j++) {
        const karg *a = &c->argv[j];
        size_t i = 0;
        while (i < sizeof(opts) / sizeof(opts[0]) && !arg_is(a->ptr, a->len, opts[i].name)) i++;
        if (i == sizeof(opts) / sizeof(opts[0])) {
            reply_errorf(c, "Unsupported option %s", a->ptr);
            return 0;
        }
        *flags |= opts[i].flag;
    }
    if ((*flags & EXPIRE_NX) && (*flags & (EXPIRE_XX | EXPIRE_GT | EXPIRE_LT))) {
        reply_error(c, "NX and XX, GT or LT options at the same time are not compatible");
        return 0;
    }
    if ((*flags & EXPIRE_GT) && (*flags & EXPIRE_LT)) {
        reply_error(c, "GT and LT options at the same time are not compatible");
        return 0;
    }
    return 1;
}

/* Whether the options let `when` replace the current TTL (OBJ_NO_EXPIRE counts as infinite). */
static int expire_flags_allow(int flags, long long current, long long when) {
    int has = current != OBJ_NO_EXPIRE;
    if ((flags & EXPIRE_NX) && has) return 0;
    if ((flags & EXPIRE_XX) && !has) return 0;
    if ((flags & EXPIRE_GT) && (!has || when <= current)) return 0;
    if ((flags & EXPIRE_LT) && has && when >= current) return 0;
    return 1;
}

/* The absolute expiry time from the argument: the argument in `unit_ms` milliseconds plus
 * `basetime`. 0 after replying the overflow error Redis gives. */
static int parse_expire_time(client *c, long long basetime, long long unit_ms, long long *when) {
    long long v;
    if (!arg_ll_or_reply(c, &c->argv[2], &v, NULL)) return 0;
    if ((unit_ms > 1 && (v > LLONG_MAX / unit_ms || v < LLONG_MIN / unit_ms)) ||
        v * unit_ms > LLONG_MAX - basetime) {
        reply_errorf(c, "invalid expire time in '%s' command", c->cmd->fullname);
        return 0;
    }
    *when = v * unit_ms + basetime;
    return 1;
}

/* As Redis: PEXPIREAT with the absolute time, the other arguments (NX, GT...) kept. */
static void propagate_pexpireat(client *c, long long when) {
    char num[24];
    karg stack[8];
    karg *argv = c->argc <= 8 ? stack : kmalloc(sizeof(karg) * (size_t)c->argc);
    memcpy(argv, c->argv, sizeof(karg) * (size_t)c->argc);
    argv[0] = WSTREAM_ARG("PEXPIREAT");
    argv[2] = (karg){.ptr = num, .len = (size_t)ll_to_str(num, sizeof(num), when)};
    wstream_rewrite(c->argc, argv);
    if (argv != stack) kfree(argv);
}

static void expire_generic(client *c, long long basetime, long long unit_ms) {
    const karg *key = &c->argv[1];
    int flags;
    long long when;
    if (!parse_expire_flags(c, &flags)) return;
    if (!parse_expire_time(c, basetime, unit_ms, &when)) return;
    kobj *o = db_lookup_write(c->db, key->ptr, key->len);
    if (!o || !expire_flags_allow(flags, obj_expire(o), when)) {
        reply_integer(c, 0);
        return;
    }
    const char *event = "expire";
    if (server_time_already_past(when)) {
        /* Already in the past: the key goes now, as a deletion, and propagates as one. */
        if (server.lazyfree_lazy_expire)
            db_delete_async(c->db, key->ptr, key->len);
        else
            db_delete(c->db, key->ptr, key->len);
        wstream_rewrite_key(server.lazyfree_lazy_expire ? "UNLINK" : "DEL", key);
        event = "del";
    } else {
        db_set_expire(c->db, o, when);
        if (basetime != 0 || unit_ms != 1) propagate_pexpireat(c, when);   /* PEXPIREAT goes as sent */
    }
    signal_modified_key(c, c->db, key->ptr, key->len);
    notify_keyspace_event(NOTIFY_GENERIC, event, key->ptr, key->len, c->db->id);
    reply_integer(c, 1);
}

void expire_command(client *c) {
    expire_generic(c, server_time_ms(), 1000);
}

void pexpire_command(client *c) {
    expire_generic(c, server_time_ms(), 1);
}

void expireat_command(client *c) {
    expire_generic(c, 0, 1000);
}

void pexpireat_command(client *c) {
    expire_generic(c, 0, 1);
}

/* TTL, PTTL, EXPIRETIME, PEXPIRETIME: -2 for a missing key, -1 without TTL; seconds are
 * rounded to the nearest. */
static void ttl_generic(client *c, int in_ms, int absolute) {
    kobj *o = db_lookup(c->db, c->argv[1].ptr, c->argv[1].len, LOOKUP_NOTOUCH);
    if (!o) {
        reply_integer(c, -2);
        return;
    }
    long long when = obj_expire(o);
    if (when == OBJ_NO_EXPIRE) {
        reply_integer(c, -1);
        return;
    }
    long long t = absolute ? when : when - server_time_ms();
    if (t < 0) t = 0;
    /* Rounded to the nearest second without overflowing near LLONG_MAX (Redis's replies are
     * the exact values there too). */
    reply_integer(c, in_ms ? t : t / 1000 + (t % 1000 + 500) / 1000);
}

void ttl_command(client *c) {
    ttl_generic(c, 0, 0);
}

void pttl_command(client *c) {
    ttl_generic(c, 1, 0);
}

void expiretime_command(client *c) {
    ttl_generic(c, 0, 1);
}

void pexpiretime_command(client *c) {
    ttl_generic(c, 1, 1);
}

void persist_command(client *c) {
    const karg *key = &c->argv[1];
    kobj *o = db_lookup_write(c->db, key->ptr, key->len);
    if (!o || !o->has_expire) {
        reply_integer(c, 0);
        return;
    }
    db_persist(c->db, o);
    signal_modified_key(c, c->db, key->ptr, key->len);
    notify_keyspace_event(NOTIFY_GENERIC, "persist", key->ptr, key->len, c->db->id);
    reply_integer(c, 1);
}
