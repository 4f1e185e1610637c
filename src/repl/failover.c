/* failover.c - FAILOVER [TO host port [FORCE]] [ABORT] [TIMEOUT ms]: a primary hands its role
 * to one of its replicas without losing writes, as Redis 7.0 does.
 *
 * States (INFO replication's master_failover_state):
 *   no-failover           nothing in progress
 *   waiting-for-sync      writes are held (server.failover_pause: write commands wait as under
 *                         CLIENT PAUSE WRITE, the master client excepted); the primary waits for
 *                         the target (or, without TO, any replica) to acknowledge its whole
 *                         stream (ack offset == master_repl_offset). TIMEOUT ends the wait: with
 *                         FORCE it fails over anyway, without it the failover is aborted
 *   failover-in-progress  this server became a replica of the target and sends it
 *                         "PSYNC <replid> <offset> FAILOVER"; the target, if it is a replica with
 *                         the same replid, becomes a primary and answers +CONTINUE (or
 *                         +FULLRESYNC): the failover is done. Any other answer, or a write error,
 *                         aborts it: this server becomes a primary again.
 * Writes stay held until the state is back to no-failover; held clients then run, and on a
 * replica their writes get -READONLY. FAILOVER ABORT ends any state; REPLICAOF is refused
 * meanwhile; replicas can't SYNC with a server failing over. */
#include <string.h>
#include <strings.h>

#include "protocol/reply.h"
#include "repl/repl.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/util.h"

static struct {
    int state;                  /* FO_* */
    char *host;                 /* the target, NULL while any replica may be it */
    int port;
    long long end_ms;           /* 0: no TIMEOUT */
    int force;
    int timer_on;
} fo;

int repl_failover_state(void) {
    return fo.state;
}

const char *repl_failover_state_name(void) {
    return fo.state == FO_WAIT_SYNC ? "waiting-for-sync" : fo.state == FO_IN_PROGRESS ? "failover-in-progress"
                                                                                      : "no-failover";
}

int repl_failover_timed(void) {
    return fo.state != FO_NONE && fo.end_ms != 0;
}

static void clear_state(void) {
    kfree(fo.host);
    fo.host = NULL;
    fo.port = 0;
    fo.end_ms = 0;
    fo.force = 0;
    fo.state = FO_NONE;
    server.failover_pause = 0;   /* held clients run before the next poll */
}

void repl_failover_abort(const char *why) {
    if (fo.state == FO_NONE) return;
    if (fo.host) log_msg(LL_NOTICE, "FAILOVER to %s:%d aborted: %s", fo.host, fo.port, why);
    else log_msg(LL_NOTICE, "FAILOVER to any replica aborted: %s", why);
    if (fo.state == FO_IN_PROGRESS) repl_unset_master();
    clear_state();
}

void repl_failover_psync_result(int accepted) {
    if (fo.state != FO_IN_PROGRESS) return;
    if (accepted) clear_state();
    else repl_failover_abort("Failover target rejected psync request");
}

static void start_in_progress(void) {
    fo.state = FO_IN_PROGRESS;
    repl_set_master(fo.host, fo.port);
}

void repl_failover_update(void) {
    if (fo.state != FO_WAIT_SYNC) return;
    if (fo.end_ms && fo.end_ms <= mstime()) {
        if (fo.force) {
            log_msg(LL_NOTICE, "FAILOVER to %s:%d time out exceeded, failing over.", fo.host, fo.port);
            start_in_progress();
        } else {
            repl_failover_abort("Replica never caught up before timeout");
        }
        return;
    }
    long long ack;
    int online;
    if (fo.host) {
        if (!repl_replica_lookup(fo.host, fo.port, &ack, &online) || ack != repl_state.offset) return;
    } else {
        char ip[256];
        int port;
        if (!repl_replica_caught_up(ip, sizeof(ip), &port)) return;
        fo.host = kstrdup(ip);
        fo.port = port;
    }
    log_msg(LL_NOTICE, "Failover target %s:%d is synced, failing over.", fo.host, fo.port);
    start_in_progress();
}

/* Every 100 ms while a failover waits (Redis runs its replication cron that often then). */
static long long failover_timer(eventLoop *el, long long id, void *data) {
    (void)el, (void)id, (void)data;
    repl_failover_update();
    if (fo.state == FO_NONE) {
        fo.timer_on = 0;
        return EL_NOMORE;
    }
    return 100;
}

void failover_command(client *c) {
    if (server.cluster_enabled) {
        reply_error(c, "FAILOVER not allowed in cluster mode. Use CLUSTER FAILOVER command instead.");
        return;
    }
    if (c->argc == 2 && arg_is(c->argv[1].ptr, c->argv[1].len, "abort")) {
        if (fo.state == FO_NONE) {
            reply_error(c, "No failover in progress.");
            return;
        }
        repl_failover_abort("Failover manually aborted");
        reply_ok(c);
        return;
    }
    long long timeout = 0, port = 0;
    int force = 0;
    const char *host = NULL;
    for (int j = 1; j < c->argc; j++) {
        const karg *a = &c->argv[j];
        if (arg_is(a->ptr, a->len, "timeout") && j + 1 < c->argc && timeout == 0) {
            if (!arg_ll_or_reply(c, &c->argv[j + 1], &timeout, NULL)) return;
            if (timeout <= 0) {
                reply_error(c, "FAILOVER timeout must be greater than 0");
                return;
            }
            j++;
        } else if (arg_is(a->ptr, a->len, "to") && j + 2 < c->argc && !host) {
            if (!arg_ll_or_reply(c, &c->argv[j + 2], &port, NULL)) return;
            host = c->argv[j + 1].ptr;
            j += 2;
        } else if (arg_is(a->ptr, a->len, "force") && !force) {
            force = 1;
        } else {
            reply_error(c, ERR_SYNTAX);
            return;
        }
    }
    if (fo.state != FO_NONE) {
        reply_error(c, "FAILOVER already in progress.");
        return;
    }
    if (server.masterhost) {
        reply_error(c, "FAILOVER is not valid when server is a replica.");
        return;
    }
    if (repl_replicas_count() == 0) {
        reply_error(c, "FAILOVER requires connected replicas.");
        return;
    }
    if (force && (!timeout || !host)) {
        reply_error(c, "FAILOVER with force option requires both a timeout and target HOST and IP.");
        return;
    }
    if (host) {
        long long ack;
        int online;
        if (!repl_replica_lookup(host, (int)port, &ack, &online)) {
            reply_error(c, "FAILOVER target HOST and PORT is not a replica.");
            return;
        }
        if (!online) {
            reply_error(c, "FAILOVER target replica is not online.");
            return;
        }
        fo.host = kstrdup(host);
        fo.port = (int)port;
        log_msg(LL_NOTICE, "FAILOVER requested to %s:%lld.", host, port);
    } else {
        log_msg(LL_NOTICE, "FAILOVER requested to any replica.");
    }
    fo.end_ms = timeout ? mstime() + timeout : 0;
    fo.force = force;
    fo.state = FO_WAIT_SYNC;
    server.failover_pause = 1;
    if (!fo.timer_on) {
        fo.timer_on = 1;
        el_add_timer(server.el, 100, failover_timer, NULL);
    }
    reply_ok(c);
}
