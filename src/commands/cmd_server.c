/* cmd_server.c - server administration: SHUTDOWN, TIME, LASTSAVE, MONITOR, SLOWLOG, LATENCY.
 *
 * SHUTDOWN saves first (SAVE, or save points configured and no NOSAVE) and refuses to stop when
 * that fails, unless FORCE; LASTSAVE reports src/persist/'s last successful save (the start time
 * before any, as Redis).
 * The slow log (core/slowlog.c), the latency monitor (core/latency.c) and the MONITOR clients
 * (core/monitor.c) are fed by the dispatcher (core/dispatch.c). */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "commands/admin.h"
#include "commands/commands.h"
#include "core/blocking.h"
#include "core/latency.h"
#include "core/monitor.h"
#include "core/slowlog.h"
#include "persist/persist.h"
#include "protocol/reply.h"
#include "scripting/script.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/util.h"

/* ---------------------------------------------------------------- SHUTDOWN, TIME, LASTSAVE */

enum { SHUT_SAVE = 1, SHUT_NOSAVE = 2, SHUT_NOW = 4, SHUT_FORCE = 8, SHUT_ABORT = 16 };

static int shutdown_flag(const karg *a) {
    static const struct {
        const char *name;
        int flag;
    } words[] = {{"save", SHUT_SAVE}, {"nosave", SHUT_NOSAVE}, {"now", SHUT_NOW}, {"force", SHUT_FORCE}, {"abort", SHUT_ABORT}};
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
        if (arg_is(a->ptr, a->len, words[i].name)) return words[i].flag;
    return 0;
}

void shutdown_command(client *c) {
    int flags = 0;
    for (int i = 1; i < c->argc; i++) {
        int f = shutdown_flag(&c->argv[i]);
        if (!f) {
            reply_error(c, ERR_SYNTAX);
            return;
        }
        flags |= f;
    }
    if (((flags & SHUT_ABORT) && flags != SHUT_ABORT) || ((flags & SHUT_SAVE) && (flags & SHUT_NOSAVE))) {
        reply_error(c, ERR_SYNTAX);
        return;
    }
    if (flags & SHUT_ABORT) {
        if (server_shutdown_abort() != 0) reply_error(c, "No shutdown in progress.");
        else reply_ok(c);
        return;
    }
    /* A client served while a script is busy runs nested in the script's command, so
     * blocking_denied() says yes, but it is not a client that may not block (Redis's
     * CLIENT_DENY_BLOCKING is the client's own: MULTI, scripts). */
    const char *busy = script_busy_reply();
    if (!(flags & SHUT_NOW) && !busy && blocking_denied(c)) {
        reply_error(c, "SHUTDOWN without NOW or ABORT isn't allowed for DENY BLOCKING client");
        return;
    }
    /* Past a busy script only with NOSAVE: saving needs the dataset in a consistent state. */
    if (busy && !(flags & SHUT_NOSAVE)) {
        reply_error(c, busy);
        return;
    }
    /* A shutdown already waiting for the replicas: this one waits with it (as Redis). */
    if (server_shutdown_waiting()) {
        server_shutdown_block(c);
        return;
    }
    if (server.loading_rdb || server.loading) flags = (flags & ~SHUT_SAVE) | SHUT_NOSAVE;
    /* Lagging replicas: the cron finishes the shutdown (the save too) once they caught up. */
    log_msg(LL_WARNING, "User requested shutdown...");
    if (server_shutdown_wait(flags & (SHUT_SAVE | SHUT_NOSAVE | SHUT_NOW | SHUT_FORCE))) {
        server_shutdown_block(c);
        return;
    }
    if (server_finish_shutdown(flags & (SHUT_SAVE | SHUT_NOSAVE | SHUT_NOW | SHUT_FORCE)) != 0) {
        reply_error(c, "Errors trying to SHUTDOWN. Check logs.");
        return;
    }
    /* On success Redis exits without a reply; before_sleep exits the process. */
    server.shutdown_asap = 1;
    server.shutdown_nosave = 1;
    server.shutdown_finished = 1;
    c->flags |= CLIENT_CLOSE_AFTER_REPLY;
}

void time_command(client *c) {
    long long us = ustime();
    reply_array_len(c, 2);
    reply_bulk_ll(c, us / 1000000);
    reply_bulk_ll(c, us % 1000000);
}

void lastsave_command(client *c) {
    reply_integer(c, persist_lastsave());
}

/* ---------------------------------------------------------------- MONITOR */

void monitor_command(client *c) {
    if (c->flags & (CLIENT_MULTI | CLIENT_FAKE)) {
        reply_error(c, "MONITOR isn't allowed for DENY BLOCKING client");
        return;
    }
    if (c->flags & CLIENT_MONITOR) return;   /* already monitoring: Redis ignores it silently */
    monitor_add(c);
    reply_ok(c);
}


/* ---------------------------------------------------------------- SLOWLOG */

static void reply_slowlog_entry(client *c, const slowlogEntry *e) {
    reply_array_len(c, 6);
    reply_integer(c, e->id);
    reply_integer(c, e->time_sec);
    reply_integer(c, e->duration_us);
    reply_array_len(c, e->argc);
    for (int i = 0; i < e->argc; i++) reply_bulk_kstr(c, e->argv[i]);
    reply_bulk_kstr(c, e->peer);
    reply_bulk_kstr(c, e->cname);
}

void slowlog_get_command(client *c) {
    long long count = 10;
    if (c->argc > 3) {
        reply_subcommand_syntax_error(c);
        return;
    }
    if (c->argc == 3) {
        if (!str_to_ll(c->argv[2].ptr, c->argv[2].len, &count) || count < -1) {
            reply_error(c, "count should be greater than or equal to -1");
            return;
        }
        if (count == -1) count = slowlog_len();
    }
    if (count > slowlog_len()) count = slowlog_len();
    reply_array_len(c, count);
    const slowlogEntry *e = slowlog_newest();
    for (long long i = 0; i < count && e; i++, e = e->next) reply_slowlog_entry(c, e);
}

void slowlog_len_command(client *c) {
    reply_integer(c, slowlog_len());
}

void slowlog_reset_command(client *c) {
    slowlog_reset();
    reply_ok(c);
}

void slowlog_help_command(client *c) {
    static const char *const help[] = {
        "GET [<count>]",
        "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
        "    Entries are made of:",
        "    id, timestamp, time in microseconds, arguments array, client IP and port,",
        "    client name",
        "LEN",
        "    Return the length of the slowlog.",
        "RESET",
        "    Reset the slowlog.",
        NULL,
    };
    reply_help(c, help);
}

/* ---------------------------------------------------------------- LATENCY */

/* Samples of an event, oldest first: the ring's slots from idx on, skipping unused ones. */
static int event_samples(const latencyEvent *e, const latencySample **out) {
    int n = 0;
    for (int i = 0; i < LATENCY_HISTORY_LEN; i++) {
        const latencySample *s = &e->samples[(e->idx + i) % LATENCY_HISTORY_LEN];
        if (s->time) out[n++] = s;
    }
    return n;
}

void latency_latest_command(client *c) {
    int n = latency_event_count();
    reply_array_len(c, n);
    for (int i = 0; i < n; i++) {
        const latencyEvent *e = latency_event_at(i);
        const latencySample *last = &e->samples[(e->idx + LATENCY_HISTORY_LEN - 1) % LATENCY_HISTORY_LEN];
        reply_array_len(c, 4);
        reply_bulk_cstr(c, e->name);
        reply_integer(c, last->time);
        reply_integer(c, last->latency);
        reply_integer(c, e->max);
    }
}

void latency_history_command(client *c) {
    const latencyEvent *e = latency_event_find(c->argv[2].ptr, c->argv[2].len);
    if (!e) {
        reply_empty_array(c);
        return;
    }
    const latencySample *samples[LATENCY_HISTORY_LEN];
    int n = event_samples(e, samples);
    reply_array_len(c, n);
    for (int i = 0; i < n; i++) {
        reply_array_len(c, 2);
        reply_integer(c, samples[i]->time);
        reply_integer(c, samples[i]->latency);
    }
}

void latency_reset_command(client *c) {
    int n = c->argc - 2;
    const char **names = kmalloc(sizeof(char *) * (size_t)(n + 1));
    size_t *lens = kmalloc(sizeof(size_t) * (size_t)(n + 1));
    for (int i = 0; i < n; i++) {
        names[i] = c->argv[2 + i].ptr;
        lens[i] = c->argv[2 + i].len;
    }
    reply_integer(c, latency_reset(n, names, lens));
    kfree(names);
    kfree(lens);
}

/* Per event: number of spikes, average, mean deviation, average period between spikes. */
static kstr *doctor_event(kstr *s, int num, const latencyEvent *e) {
    const latencySample *samples[LATENCY_HISTORY_LEN];
    int n = event_samples(e, samples);
    long long sum = 0, dev = 0;
    for (int i = 0; i < n; i++) sum += samples[i]->latency;
    long long avg = n ? sum / n : 0;
    for (int i = 0; i < n; i++) {
        long long d = (long long)samples[i]->latency - avg;
        dev += d < 0 ? -d : d;
    }
    double period = n > 1 ? (double)(samples[n - 1]->time - samples[0]->time) / (n - 1) : 0.0;
    return kstr_catfmt(s, "%d. %s: %d latency spikes (average %lldms, mean deviation %lldms, period %.2f sec). "
                          "Worst all time event %ums.\n",
                       num, e->name, n, avg, n ? dev / n : 0, period, e->max);
}

void latency_doctor_command(client *c) {
    kstr *s = kstr_empty(512);
    int n = latency_event_count();
    if (server.latency_monitor_threshold == 0 && n == 0) {
        s = kstr_catc(s, "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. "
                         "You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in order to enable it. "
                         "If we weren't in a deep space mission I'd suggest to take a look at "
                         "https://redis.io/topics/latency-monitor.\n");
    } else if (n == 0) {
        s = kstr_catc(s, "Dave, no latency spike was observed during the lifetime of this Redis instance, not in the "
                         "slightest bit. I honestly think you ought to sit down calmly, take a stress pill, and think "
                         "things over.\n");
    } else {
        s = kstr_catc(s, "Dave, I have observed latency spikes in this Redis instance. You don't mind talking about "
                         "it, do you Dave?\n\n");
        for (int i = 0; i < n; i++) s = doctor_event(s, i + 1, latency_event_at(i));
    }
    reply_verbatim(c, s->buf, s->len, "txt");
    kstr_free(s);
}

void latency_help_command(client *c) {
    static const char *const help[] = {
        "DOCTOR",
        "    Return a human readable latency analysis report.",
        "HISTORY <event>",
        "    Return time-latency samples for the <event> class.",
        "LATEST",
        "    Return the latest latency samples for all events.",
        "RESET [<event> ...]",
        "    Reset latency data of one or more <event> classes.",
        "    (default: reset all data for all event classes)",
        "HISTOGRAM [COMMAND ...]",
        "    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
        "    If no commands are specified then all histograms are replied.",
        NULL,
    };
    reply_help(c, help);
}

/* One command's histogram, and those of its subcommands; returns how many were replied. */
static long long reply_histograms(client *c, const command *cmd, int with_subcommands) {
    long long n = 0;
    if (cmd->latency_histogram) {
        reply_bulk_cstr(c, cmd->fullname);
        latency_histogram_reply(c, cmd->latency_histogram);
        n++;
    }
    for (const command *sub = cmd->subcommands; with_subcommands && sub && sub->name; sub++)
        n += reply_histograms(c, sub, 0);
    return n;
}

/* LATENCY HISTOGRAM [command ...]: the commands' (and their subcommands') latency histograms,
 * of every command that has one without arguments; unknown names are skipped. */
void latency_histogram_command(client *c) {
    replyDeferred d = reply_deferred(c);
    long long n = 0;
    if (c->argc == 2) {
        for (const command *cmd = command_table(); cmd->name; cmd++) n += reply_histograms(c, cmd, 1);
    } else {
        for (int i = 2; i < c->argc; i++) {
            const command *cmd = command_lookup_fullname(c->argv[i].ptr, c->argv[i].len);
            if (cmd) n += reply_histograms(c, cmd, 1);
        }
    }
    reply_set_deferred_map(c, d, n);
}

/* ---------------------------------------------------------------- MODULE, LOLWUT */

/* Keel loads no modules: the list is always empty. */
void module_list_command(client *c) {
    reply_array_len(c, 0);
}

void module_help_command(client *c) {
    static const char *const help[] = {
        "LIST",
        "    Return a list of loaded modules.",
        NULL,
    };
    reply_help(c, help);
}

/* LOLWUT [VERSION v]: Redis draws art for versions 5 and 6 (random, so never the same twice)
 * and prints only its version line for the others. Keel prints the captions of 5 and 6 without
 * the art, and the version line. */
void lolwut_command(client *c) {
    long long v = 7;
    if (c->argc >= 3 && arg_is(c->argv[1].ptr, c->argv[1].len, "version") &&
        !str_to_ll(c->argv[2].ptr, c->argv[2].len, &v)) {
        reply_error(c, ERR_NOT_INT);
        return;
    }
    const char *caption = "";
    if (v == 5) caption = "Georg Nees - schotter, plotter on paper, 1968. ";
    else if (v == 6)
        caption = "Dedicated to the 8 bit game developers of past and present.\n"
                  "Original 8 bit image from Plaguemon by hikikomori. ";
    char text[256];
    int len = snprintf(text, sizeof(text), "%sRedis ver. %s\n", caption, REDIS_COMPAT_VERSION);
    reply_verbatim(c, text, (size_t)len, "txt");
}
