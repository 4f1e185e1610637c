/* failover.c - replicas taking over their primary, as Redis 7.0 does it: automatic failover
 * (an election once the primary is FAIL), manual CLUSTER FAILOVER [FORCE|TAKEOVER], the votes
 * primaries give, and replica migration to orphaned primaries.
 *
 * Election (replica side): once my primary is FAIL (or a manual failover may start), I wait
 * 500 ms + random(500 ms) + 1 s per replica of my primary with a larger offset (my rank), then
 * take currentEpoch + 1 as the election's epoch and broadcast FAILOVER_AUTH_REQUEST. Primaries
 * serving slots vote at most once per epoch and once per 2 x node-timeout per failed primary
 * (failover_vote); with the votes of a majority of them I take my primary's slots with the
 * election's epoch as my config epoch and broadcast a PONG, which moves the slots everywhere
 * (the higher epoch wins) and turns the other replicas, and the old primary when it returns,
 * into my replicas (bus.c's update_slots_with). An election not won within 2 x node-timeout
 * (at least 2 s) is retried after twice that.
 *
 * Manual failover: the replica sends MFSTART; its primary pauses writes (2 x the 5 s limit) and
 * pings the replica every tick with its offset and the PAUSED flag; once the replica has
 * applied that offset it runs the election at once, with FORCEACK so that primaries vote
 * although the primary is not failed. FORCE skips the wait for the offset; TAKEOVER skips
 * the election (a new config epoch without consensus). */
#include <string.h>

#include "cluster/cluster.h"
#include "repl/repl.h"
#include "util/log.h"
#include "util/util.h"

#define MF_TIMEOUT 5000             /* ms a manual failover may take */
#define MF_PAUSE_MULT 2             /* the primary pauses writes for MF_TIMEOUT x this */
#define SLAVE_MIGRATION_DELAY 5000  /* ms a primary is orphaned before a replica migrates */

enum { CANT_NONE, CANT_DATA_AGE, CANT_WAITING_DELAY, CANT_EXPIRED, CANT_WAITING_VOTES };

static long long node_timeout(void) {
    return server.cluster_node_timeout;
}

/* The reason an election cannot go on, logged when it changes or every 10 s while the
 * primary has been FAIL for more than node-timeout (Redis's clusterLogCantFailover). */
static void log_cant_failover(int reason) {
    long long now = mstime();
    clusterNode *master = cluster.myself->slaveof;
    if (reason == cluster.cant_failover_reason && now - cluster.cant_failover_logged < 10000) return;
    cluster.cant_failover_reason = reason;
    if (master && now - master->fail_time < node_timeout()) return;
    static const char *const msgs[] = {
        [CANT_DATA_AGE] = "Disconnected from master for longer than allowed. Please check the "
                          "'cluster-replica-validity-factor' configuration option.",
        [CANT_WAITING_DELAY] = "Waiting the delay before I can start a new failover.",
        [CANT_EXPIRED] = "Failover attempt expired.",
        [CANT_WAITING_VOTES] = "Waiting for votes, but majority still not reached.",
    };
    cluster.cant_failover_logged = now;
    log_msg(LL_NOTICE, "Currently unable to failover: %s", msgs[reason]);
}

/* How many other replicas of my primary have a larger offset than mine. */
static int my_rank(void) {
    clusterNode *master = cluster.myself->slaveof;
    long long mine = cluster_my_offset();
    int rank = 0;
    if (!master) return 0;
    for (int i = 0; i < master->nslaves; i++) {
        clusterNode *s = master->slaves[i];
        if (s != cluster.myself && !(s->flags & NODE_NOFAILOVER) && s->repl_offset > mine) rank++;
    }
    return rank;
}

void failover_reset_manual(void) {
    if (cluster.mf_slave) {
        /* The pause of writes this primary took for the failover ends (clients resume
         * before the next poll). */
        server.clients_paused_until_ms = 0;
        server.clients_pause_write_only = 0;
    }
    cluster.mf_end = 0;
    cluster.mf_can_start = 0;
    cluster.mf_slave = NULL;
    cluster.mf_master_offset = -1;
}

void failover_replace_my_master(void) {
    clusterNode *me = cluster.myself, *old = me->slaveof;
    if ((me->flags & NODE_MASTER) || !old) return;
    cluster_set_node_as_master(me);
    repl_cluster_set_primary(NULL, 0);
    for (int s = 0; s < CLUSTER_SLOTS; s++) {
        if (!cluster_node_has_slot(old, s)) continue;
        cluster_del_slot(s);
        cluster_add_slot(me, s);
    }
    cluster_update_state();
    if (cluster_save_config() < 0) log_msg(LL_WARNING, "Error writing the cluster config file after a failover");
    bus_broadcast_pong(0);
    failover_reset_manual();
}

/* Redis's clusterHandleSlaveFailover. */
static void handle_slave_failover(void) {
    clusterNode *me = cluster.myself, *master = me->slaveof;
    long long now = mstime(), timeout = node_timeout();
    long long auth_age = now - cluster.failover_auth_time;
    int needed = cluster.size / 2 + 1;
    int manual = cluster.mf_end != 0 && cluster.mf_can_start;
    long long auth_timeout = timeout * 2 < 2000 ? 2000 : timeout * 2, auth_retry = auth_timeout * 2;
    cluster.todo &= ~CLUSTER_TODO_HANDLE_FAILOVER;
    if ((me->flags & NODE_MASTER) || !master || (!(master->flags & NODE_FAIL) && !manual) ||
        (server.cluster_replica_no_failover && !manual) || master->numslots == 0) {
        cluster.cant_failover_reason = CANT_NONE;
        return;
    }
    long long data_age = repl_primary_data_age_ms();
    if (data_age > timeout) data_age -= timeout;
    if (server.cluster_replica_validity_factor &&
        data_age > (long long)server.repl_ping_replica_period * 1000 + timeout * server.cluster_replica_validity_factor &&
        !manual) {
        log_cant_failover(CANT_DATA_AGE);
        return;
    }
    if (auth_age > auth_retry) {
        cluster.failover_auth_time = now + 500 + (long long)(rand64() % 500);
        cluster.failover_auth_count = 0;
        cluster.failover_auth_sent = 0;
        cluster.failover_auth_rank = my_rank();
        cluster.failover_auth_time += cluster.failover_auth_rank * 1000LL;
        if (cluster.mf_end) {
            cluster.failover_auth_time = now;
            cluster.failover_auth_rank = 0;
            cluster_todo(CLUSTER_TODO_HANDLE_FAILOVER);
        }
        log_msg(LL_WARNING, "Start of election delayed for %lld milliseconds (rank #%d, offset %lld).",
                cluster.failover_auth_time - now, cluster.failover_auth_rank, cluster_my_offset());
        bus_broadcast_pong(1);   /* my offset to the other replicas, for their rank */
        return;
    }
    if (!cluster.failover_auth_sent && !cluster.mf_end) {
        int rank = my_rank();
        if (rank > cluster.failover_auth_rank) {
            long long added = (rank - cluster.failover_auth_rank) * 1000LL;
            cluster.failover_auth_time += added;
            cluster.failover_auth_rank = rank;
            log_msg(LL_WARNING, "Replica rank updated to #%d, added %lld milliseconds of delay.", rank, added);
        }
    }
    if (now < cluster.failover_auth_time) {
        log_cant_failover(CANT_WAITING_DELAY);
        return;
    }
    if (auth_age > auth_timeout) {
        log_cant_failover(CANT_EXPIRED);
        return;
    }
    if (!cluster.failover_auth_sent) {
        cluster.current_epoch++;
        cluster.failover_auth_epoch = cluster.current_epoch;
        log_msg(LL_WARNING, "Starting a failover election for epoch %llu.", (unsigned long long)cluster.current_epoch);
        bus_request_failover_auth();
        cluster.failover_auth_sent = 1;
        cluster_todo(CLUSTER_TODO_SAVE_CONFIG | CLUSTER_TODO_UPDATE_STATE);
        return;
    }
    if (cluster.failover_auth_count >= needed) {
        log_msg(LL_WARNING, "Failover election won: I'm the new master.");
        if (me->config_epoch < cluster.failover_auth_epoch) {
            me->config_epoch = cluster.failover_auth_epoch;
            log_msg(LL_WARNING, "configEpoch set to %llu after successful failover",
                    (unsigned long long)me->config_epoch);
        }
        failover_replace_my_master();
    } else {
        log_cant_failover(CANT_WAITING_VOTES);
    }
}

void failover_vote(clusterNode *node, uint64_t req_current_epoch, uint64_t req_config_epoch,
                   const unsigned char *claimed_slots, int force_ack) {
    clusterNode *me = cluster.myself, *master = node->slaveof;
    long long now = mstime();
    if ((me->flags & NODE_SLAVE) || me->numslots == 0) return;
    if (req_current_epoch < cluster.current_epoch) {
        log_msg(LL_WARNING, "Failover auth denied to %.40s: reqEpoch (%llu) < curEpoch(%llu)", node->name,
                (unsigned long long)req_current_epoch, (unsigned long long)cluster.current_epoch);
        return;
    }
    if (cluster.last_vote_epoch == cluster.current_epoch) {
        log_msg(LL_WARNING, "Failover auth denied to %.40s: already voted for epoch %llu", node->name,
                (unsigned long long)cluster.current_epoch);
        return;
    }
    if ((node->flags & NODE_MASTER) || !master || (!(master->flags & NODE_FAIL) && !force_ack)) {
        log_msg(LL_WARNING, "Failover auth denied to %.40s: %s", node->name,
                (node->flags & NODE_MASTER) ? "it is a master node"
                : !master                   ? "I don't know its master"
                                            : "its master is up");
        return;
    }
    if (now - master->voted_time < node_timeout() * 2) {
        log_msg(LL_WARNING, "Failover auth denied to %.40s: can't vote about this master before %lld milliseconds",
                node->name, node_timeout() * 2 - (now - master->voted_time));
        return;
    }
    for (int s = 0; s < CLUSTER_SLOTS; s++) {
        if (!((claimed_slots[s >> 3] >> (s & 7)) & 1)) continue;
        if (!cluster.slots[s] || cluster.slots[s]->config_epoch <= req_config_epoch) continue;
        log_msg(LL_WARNING, "Failover auth denied to %.40s: slot %d epoch (%llu) > reqEpoch (%llu)", node->name, s,
                (unsigned long long)cluster.slots[s]->config_epoch, (unsigned long long)req_config_epoch);
        return;
    }
    cluster.last_vote_epoch = cluster.current_epoch;
    master->voted_time = now;
    /* The vote is on disk before it is sent: a restarted primary must not vote twice. */
    if (cluster_save_config() < 0) log_msg(LL_WARNING, "Error writing the cluster config file before a vote");
    bus_send_failover_ack(node);
    log_msg(LL_WARNING, "Failover auth granted to %.40s for epoch %llu", node->name,
            (unsigned long long)cluster.current_epoch);
}

void failover_ack_received(clusterNode *sender, uint64_t sender_current_epoch) {
    if ((sender->flags & NODE_MASTER) && sender->numslots > 0 && sender_current_epoch >= cluster.failover_auth_epoch) {
        cluster.failover_auth_count++;
        cluster_todo(CLUSTER_TODO_HANDLE_FAILOVER);
    }
}

void failover_mfstart_received(clusterNode *sender) {
    if (sender->slaveof != cluster.myself) return;
    long long now = mstime();
    failover_reset_manual();
    cluster.mf_end = now + MF_TIMEOUT;
    cluster.mf_slave = sender;
    long long until = now + MF_TIMEOUT * MF_PAUSE_MULT;
    if (!server.clients_paused_until_ms || server.clients_paused_until_ms < until) server.clients_paused_until_ms = until;
    server.clients_pause_write_only = 1;
    log_msg(LL_WARNING, "Manual failover requested by replica %.40s.", sender->name);
    bus_send_ping(sender);   /* carries the PAUSED flag and my offset */
}

void failover_master_offset(clusterNode *sender, long long offset, int paused) {
    if (cluster.mf_end && (cluster.myself->flags & NODE_SLAVE) && cluster.myself->slaveof == sender && paused &&
        cluster.mf_master_offset == -1) {
        cluster.mf_master_offset = offset;
        log_msg(LL_WARNING, "Received replication offset for paused master manual failover: %lld", offset);
    }
}

const char *failover_manual_start(int force, int takeover) {
    clusterNode *me = cluster.myself;
    if (me->flags & NODE_MASTER) return "You should send CLUSTER FAILOVER to a replica";
    if (!me->slaveof) return "I'm a replica but my master is unknown to me";
    if (!force && ((me->slaveof->flags & NODE_FAIL) || !me->slaveof->link))
        return "Master is down or failed, please use CLUSTER FAILOVER FORCE";
    failover_reset_manual();
    cluster.mf_end = mstime() + MF_TIMEOUT;
    if (takeover) {
        log_msg(LL_WARNING, "Taking over the master (user request).");
        cluster_bump_epoch_without_consensus();
        failover_replace_my_master();
    } else if (force) {
        log_msg(LL_WARNING, "Forced failover user request accepted.");
        cluster.mf_can_start = 1;
    } else {
        log_msg(LL_WARNING, "Manual failover user request accepted.");
        bus_send_mfstart(me->slaveof);
    }
    return NULL;
}

/* Redis's clusterHandleManualFailover: the replica may start once it applied the paused
 * primary's whole stream. */
static void handle_manual_failover(void) {
    if (!cluster.mf_end || cluster.mf_can_start || cluster.mf_master_offset == -1) return;
    if (cluster.mf_master_offset == cluster_my_offset()) {
        cluster.mf_can_start = 1;
        log_msg(LL_WARNING, "All master replication stream processed, manual failover can start.");
        cluster_todo(CLUSTER_TODO_HANDLE_FAILOVER);
    }
}

/* Redis's clusterHandleSlaveMigration: a replica of the primary with the most working
 * replicas (the one with the smallest name among them) moves to a primary left without any,
 * after it has been so for SLAVE_MIGRATION_DELAY. */
static void handle_slave_migration(int max_slaves) {
    clusterNode *me = cluster.myself, *mymaster = me->slaveof, *target = NULL, *candidate = me;
    if (cluster.state != CLUSTER_OK || !mymaster) return;
    int okslaves = 0;
    for (int i = 0; i < mymaster->nslaves; i++)
        if (!(mymaster->slaves[i]->flags & (NODE_FAIL | NODE_PFAIL))) okslaves++;
    if (okslaves <= server.cluster_migration_barrier) return;
    long long now = mstime();
    for (int i = 0; i < cluster.nnodes; i++) {
        clusterNode *n = cluster.nodes[i];
        int ok = 0, orphaned = 1;
        if ((n->flags & NODE_SLAVE) || (n->flags & NODE_FAIL)) orphaned = 0;
        if (!(n->flags & NODE_MIGRATE_TO)) orphaned = 0;
        if (n->flags & NODE_MASTER) ok = cluster_count_ok_slaves(n);
        if (ok > 0) orphaned = 0;
        if (orphaned) {
            if (!target && n->numslots > 0) target = n;
            if (!n->orphaned_time) n->orphaned_time = now;
        } else {
            n->orphaned_time = 0;
        }
        if (ok == max_slaves)
            for (int j = 0; j < n->nslaves; j++)
                if (memcmp(n->slaves[j]->name, candidate->name, CLUSTER_NAMELEN) < 0) candidate = n->slaves[j];
    }
    if (target && candidate == me && now - target->orphaned_time > SLAVE_MIGRATION_DELAY) {
        log_msg(LL_WARNING, "Migrating to orphaned master %.40s", target->name);
        cluster_set_my_primary(target);
    }
}

void failover_cron(void) {
    clusterNode *me = cluster.myself;
    if (cluster.mf_end && cluster.mf_end < mstime()) {
        log_msg(LL_WARNING, "Manual failover timed out.");
        failover_reset_manual();
    }
    if (!(me->flags & NODE_SLAVE)) return;
    int orphaned = 0, max_slaves = 0, this_slaves = 0;
    for (int i = 0; i < cluster.nnodes; i++) {
        clusterNode *n = cluster.nodes[i];
        if (n->flags & (NODE_MYSELF | NODE_NOADDR | NODE_HANDSHAKE)) continue;
        if (!(n->flags & NODE_MASTER) || (n->flags & NODE_FAIL)) continue;
        int ok = cluster_count_ok_slaves(n);
        if (ok == 0 && n->numslots > 0 && (n->flags & NODE_MIGRATE_TO)) orphaned++;
        if (ok > max_slaves) max_slaves = ok;
        if (me->slaveof == n) this_slaves = ok;
    }
    handle_manual_failover();
    handle_slave_failover();
    if (orphaned && max_slaves >= 2 && this_slaves == max_slaves && server.cluster_allow_replica_migration)
        handle_slave_migration(max_slaves);
}

void failover_before_sleep(void) {
    if (!(cluster.myself->flags & NODE_SLAVE)) return;
    handle_manual_failover();
    if (cluster.todo & CLUSTER_TODO_HANDLE_FAILOVER) handle_slave_failover();
}
