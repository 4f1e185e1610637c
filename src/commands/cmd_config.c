/* cmd_config.c - CONFIG GET/SET/RESETSTAT/REWRITE/HELP. The parameter table, its parsers and
 * the rewrite logic live in core/config.c; this file only speaks the protocol. */
#include <string.h>
#include <strings.h>

#include "commands/admin.h"
#include "commands/commands.h"
#include "core/config.h"
#include "core/latency.h"
#include "keyspace/db.h"
#include "keyspace/expire.h"
#include "protocol/reply.h"
#include "util/mem.h"

/* CONFIG GET state: the names already replied, so that a parameter matched by several
 * patterns is listed once (names compare case-insensitively, as Redis's reply dictionary). */
typedef struct configGetReply {
    client *c;
    const char **seen;
    long long n, cap;
} configGetReply;

static void config_get_one(void *priv, const char *name, const char *value, size_t vlen) {
    configGetReply *r = priv;
    for (long long i = 0; i < r->n; i++)
        if (strcasecmp(r->seen[i], name) == 0) return;
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 64;
        r->seen = krealloc(r->seen, sizeof(*r->seen) * (size_t)r->cap);
    }
    r->seen[r->n++] = name;
    reply_bulk_cstr(r->c, name);
    reply_bulk(r->c, value, vlen);
}

void config_get_command(client *c) {
    configGetReply r = {c, NULL, 0, 0};
    replyDeferred d = reply_deferred(c);
    for (int i = 2; i < c->argc; i++) config_get_matching(c->argv[i].ptr, c->argv[i].len, config_get_one, &r);
    reply_set_deferred_map(c, d, r.n);
    kfree(r.seen);
}

void config_set_command(client *c) {
    if ((c->argc - 2) % 2 != 0) {
        reply_error(c, ERR_SYNTAX);
        return;
    }
    int n = (c->argc - 2) / 2;
    char **names = kmalloc(sizeof(char *) * (size_t)n * 2);
    char **values = names + n;
    size_t *lens = kmalloc(sizeof(size_t) * (size_t)n * 2);
    size_t *vlens = lens + n;
    for (int i = 0; i < n; i++) {
        names[i] = c->argv[2 + 2 * i].ptr;
        lens[i] = c->argv[2 + 2 * i].len;
        values[i] = c->argv[3 + 2 * i].ptr;
        vlens[i] = c->argv[3 + 2 * i].len;
    }
    /* As Redis: the values of secret parameters are redacted for MONITOR and the slow log,
     * whether or not the SET succeeds. */
    for (int i = 0; i < n; i++)
        if (config_is_sensitive(names[i], lens[i]) == 1 && 3 + 2 * i < 64) c->redacted |= 1ULL << (3 + 2 * i);
    char err[512];
    if (config_set_pairs(n, names, lens, values, vlens, client_is_local(c), err, sizeof(err)) == 0)
        reply_ok(c);
    else
        reply_error(c, err);
    kfree(names);
    kfree(lens);
}

/* Zeroes the counters INFO stats and commandstats report, as Redis's resetServerStats. */
static void reset_command_stats(command *cmd) {
    cmd->calls = cmd->microseconds = cmd->rejected_calls = cmd->failed_calls = 0;
    latency_histogram_free(&cmd->latency_histogram);
}

void config_resetstat_command(client *c) {
    for (command *cmd = command_table(); cmd->name; cmd++) {
        reset_command_stats(cmd);
        for (command *sub = cmd->subcommands; sub && sub->name; sub++) reset_command_stats(sub);
    }
    server.stat_numcommands = server.stat_numconnections = server.stat_rejected_conn = 0;
    server.stat_expiredkeys = server.stat_evictedkeys = server.stat_evictedclients = 0;
    active_expire_reset_stats();
    keyspace_stats.hits = keyspace_stats.misses = 0;
    server.stat_net_input_bytes = server.stat_net_output_bytes = 0;
    server.stat_total_error_replies = server.stat_unexpected_error_replies = 0;
    server.stat_client_qbuf_limit_disconnections = server.stat_client_outbuf_limit_disconnections = 0;
    keyspace_stats.expire_cycle_us = 0;
    server.stat_peak_memory = mem_used();
    errorstat_reset();
    info_reset_stats();
    reply_ok(c);
}

void config_rewrite_command(client *c) {
    char err[512];
    if (config_rewrite(err, sizeof(err)) == 0)
        reply_ok(c);
    else
        reply_error(c, err);
}

void config_help_command(client *c) {
    static const char *const help[] = {
        "GET <pattern>",
        "    Return parameters matching the glob-like <pattern> and their values.",
        "SET <directive> <value>",
        "    Set the configuration <directive> to <value>.",
        "RESETSTAT",
        "    Reset statistics reported by the INFO command.",
        "REWRITE",
        "    Rewrite the configuration file.",
        NULL,
    };
    reply_help(c, help);
}
