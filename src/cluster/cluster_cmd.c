/* cluster_cmd.c - CLUSTER's subcommands, ASKING/READONLY/READWRITE and the routing check; see
 * cluster_cmd.h. Replies and errors are redis-server 7.0.15's, word for word. */
#include "cluster/cluster_cmd.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cluster/cluster.h"
#include "core/blocking.h"
#include "core/multi.h"
#include "core/pubsub.h"
#include "keyspace/db.h"
#include "protocol/reply.h"
#include "repl/repl.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/util.h"

#define ERR_DISABLED "This instance has cluster support disabled"

/* In a TLS cluster (tls-cluster yes) a client that is not on TLS is shown the nodes' plain
 * ports (pport), as Redis. */
static int use_pport(const client *c) {
    return server.tls_cluster && c->fd >= 0 && !c->tls;
}

static int client_port(const client *c, const clusterNode *n) {
    return use_pport(c) && n->pport ? n->pport : n->port;
}

/* Every CLUSTER subcommand and ASKING/READONLY/READWRITE refuse to run outside cluster mode. */
static int enabled_or_reply(client *c) {
    if (server.cluster_enabled) return 1;
    reply_error(c, ERR_DISABLED);
    return 0;
}

static int slot_or_reply(client *c, const karg *a) {
    long long slot;
    if (!str_to_ll(a->ptr, a->len, &slot) || slot < 0 || slot >= CLUSTER_SLOTS) {
        reply_error(c, "Invalid or out of range slot");
        return -1;
    }
    return (int)slot;
}

static clusterNode *node_arg(const karg *a) {
    return cluster_lookup(a->ptr, a->len);
}

/* The node named by argv[i], or NULL after replying Redis's "Unknown node" error. */
static clusterNode *known_node_or_reply(client *c, int i) {
    clusterNode *n = node_arg(&c->argv[i]);
    if (!n) reply_errorf(c, "Unknown node %s", c->argv[i].ptr);
    return n;
}

/* ---------------------------------------------------------------- slots */

/* ADDSLOTS/DELSLOTS[RANGE]: validates every range first (Redis's errors, in its order), then
 * applies them all. */
static int check_range(client *c, unsigned char *seen, int del, int from, int to) {
    for (int s = from; s <= to; s++) {
        if (del && !cluster.slots[s]) {
            reply_errorf(c, "Slot %d is already unassigned", s);
            return -1;
        }
        if (!del && cluster.slots[s]) {
            reply_errorf(c, "Slot %d is already busy", s);
            return -1;
        }
        if (seen[s]++ == 1) {
            reply_errorf(c, "Slot %d specified multiple times", s);
            return -1;
        }
    }
    return 0;
}

static void apply_slots(const unsigned char *seen, int del) {
    for (int s = 0; s < CLUSTER_SLOTS; s++) {
        if (!seen[s]) continue;
        if (del) {
            cluster_del_slot(s);
        } else {
            cluster.importing_from[s] = NULL;   /* we own it now */
            cluster_add_slot(cluster.myself, s);
        }
    }
    cluster_todo(CLUSTER_TODO_UPDATE_STATE | CLUSTER_TODO_SAVE_CONFIG);
}

static void slots_command(client *c, int del) {
    if (!enabled_or_reply(c)) return;
    for (int j = 2; j < c->argc; j++)
        if (slot_or_reply(c, &c->argv[j]) < 0) return;
    unsigned char *seen = kcalloc(CLUSTER_SLOTS);
    for (int j = 2; j < c->argc; j++) {
        int s = slot_or_reply(c, &c->argv[j]);
        if (check_range(c, seen, del, s, s) < 0) {
            kfree(seen);
            return;
        }
    }
    apply_slots(seen, del);
    kfree(seen);
    reply_ok(c);
}

static void slots_range_command(client *c, int del) {
    if (!enabled_or_reply(c)) return;
    if (c->argc % 2 == 1) {
        reply_error_arity(c);
        return;
    }
    unsigned char *seen = kcalloc(CLUSTER_SLOTS);
    for (int j = 2; j < c->argc; j += 2) {
        int from = slot_or_reply(c, &c->argv[j]);
        int to = from < 0 ? -1 : slot_or_reply(c, &c->argv[j + 1]);
        if (to >= 0 && from > to) reply_errorf(c, "start slot number %d is greater than end slot number %d", from, to);
        if (to < 0 || from > to || check_range(c, seen, del, from, to) < 0) {
            kfree(seen);
            return;
        }
    }
    apply_slots(seen, del);
    kfree(seen);
    reply_ok(c);
}

void cluster_addslots_command(client *c) {
    slots_command(c, 0);
}

void cluster_delslots_command(client *c) {
    slots_command(c, 1);
}

void cluster_addslotsrange_command(client *c) {
    slots_range_command(c, 0);
}

void cluster_delslotsrange_command(client *c) {
    slots_range_command(c, 1);
}

void cluster_flushslots_command(client *c) {
    if (!enabled_or_reply(c)) return;
    if (db_size(db_by_id(0)) != 0) {
        reply_error(c, "DB must be empty to perform CLUSTER FLUSHSLOTS.");
        return;
    }
    for (int s = 0; s < CLUSTER_SLOTS; s++)
        if (cluster.slots[s] == cluster.myself) cluster_del_slot(s);
    cluster_todo(CLUSTER_TODO_UPDATE_STATE | CLUSTER_TODO_SAVE_CONFIG);
    reply_ok(c);
}

static int master_or_reply(client *c, clusterNode *n, const karg *name, const char *unknown_fmt) {
    if (!n) {
        reply_errorf(c, unknown_fmt, name->ptr);
        return 0;
    }
    if (n->flags & NODE_SLAVE) {
        reply_error(c, "Target node is not a master");
        return 0;
    }
    return 1;
}

/* SETSLOT <slot> NODE <id>: the slot changes owner. */
static int setslot_node(client *c, int slot) {
    clusterNode *n = node_arg(&c->argv[4]);
    if (!master_or_reply(c, n, &c->argv[4], "Unknown node %s")) return 0;
    kdb *db = db_by_id(0);
    if (cluster.slots[slot] == cluster.myself && n != cluster.myself && db_slot_size(db, slot) != 0) {
        reply_errorf(c, "Can't assign hashslot %d to a different node while I still hold keys for this hash slot.", slot);
        return 0;
    }
    if (db_slot_size(db, slot) == 0 && cluster.migrating_to[slot]) cluster.migrating_to[slot] = NULL;
    int was_mine = cluster.slots[slot] == cluster.myself;
    cluster_del_slot(slot);
    cluster_add_slot(n, slot);
    /* A primary that gave its last slot away follows the new owner (Redis 7.0). */
    if (was_mine && n != cluster.myself && cluster.myself->numslots == 0 && server.cluster_allow_replica_migration) {
        log_msg(LL_WARNING, "Configuration change detected. Reconfiguring myself as a replica of %.40s", n->name);
        cluster_set_my_primary(n);
    }
    if (n == cluster.myself && cluster.importing_from[slot]) {
        /* A slot imported by hand: a new epoch lets the new owner win everywhere. */
        if (cluster_bump_epoch_without_consensus() == 0)
            log_msg(LL_WARNING, "configEpoch updated after importing slot %d", slot);
        cluster.importing_from[slot] = NULL;
        bus_broadcast_pong(0);
    }
    return 1;
}

void cluster_setslot_command(client *c) {
    if (!enabled_or_reply(c)) return;
    if (cluster.myself->flags & NODE_SLAVE) {
        reply_error(c, "Please use SETSLOT only with masters.");
        return;
    }
    int slot = slot_or_reply(c, &c->argv[2]);
    if (slot < 0) return;
    const karg *action = &c->argv[3];
    if (arg_is(action->ptr, action->len, "migrating") && c->argc == 5) {
        if (cluster.slots[slot] != cluster.myself) {
            reply_errorf(c, "I'm not the owner of hash slot %u", slot);
            return;
        }
        clusterNode *n = node_arg(&c->argv[4]);
        if (!master_or_reply(c, n, &c->argv[4], "I don't know about node %s")) return;
        cluster.migrating_to[slot] = n;
    } else if (arg_is(action->ptr, action->len, "importing") && c->argc == 5) {
        if (cluster.slots[slot] == cluster.myself) {
            reply_errorf(c, "I'm already the owner of hash slot %u", slot);
            return;
        }
        clusterNode *n = node_arg(&c->argv[4]);
        if (!master_or_reply(c, n, &c->argv[4], "I don't know about node %s")) return;
        cluster.importing_from[slot] = n;
    } else if (arg_is(action->ptr, action->len, "stable") && c->argc == 4) {
        cluster.importing_from[slot] = NULL;
        cluster.migrating_to[slot] = NULL;
    } else if (arg_is(action->ptr, action->len, "node") && c->argc == 5) {
        if (!setslot_node(c, slot)) return;
    } else {
        reply_error(c, "Invalid CLUSTER SETSLOT action or number of arguments. Try CLUSTER HELP");
        return;
    }
    cluster_todo(CLUSTER_TODO_SAVE_CONFIG | CLUSTER_TODO_UPDATE_STATE);
    reply_ok(c);
}

/* ---------------------------------------------------------------- keys of slots */

void cluster_keyslot_command(client *c) {
    if (!enabled_or_reply(c)) return;
    reply_integer(c, key_hash_slot(c->argv[2].ptr, c->argv[2].len));
}

void cluster_countkeysinslot_command(client *c) {
    if (!enabled_or_reply(c)) return;
    long long slot;
    if (!arg_ll_or_reply(c, &c->argv[2], &slot, NULL)) return;
    if (slot < 0 || slot >= CLUSTER_SLOTS) {
        reply_error(c, "Invalid slot");
        return;
    }
    reply_integer(c, (long long)db_slot_size(db_by_id(0), (int)slot));
}

void cluster_getkeysinslot_command(client *c) {
    if (!enabled_or_reply(c)) return;
    long long slot, max;
    if (!arg_ll_or_reply(c, &c->argv[2], &slot, NULL) || !arg_ll_or_reply(c, &c->argv[3], &max, NULL)) return;
    if (slot < 0 || slot >= CLUSTER_SLOTS || max < 0) {
        reply_error(c, "Invalid slot or number of keys");
        return;
    }
    kdb *db = db_by_id(0);
    size_t want = db_slot_size(db, (int)slot);
    if ((size_t)max < want) want = (size_t)max;
    kobj **keys = kmalloc(sizeof(kobj *) * (want ? want : 1));
    size_t n = db_slot_keys(db, (int)slot, keys, want);
    reply_array_len(c, (long long)n);
    for (size_t i = 0; i < n; i++) reply_bulk(c, obj_key(keys[i]), obj_keylen(keys[i]));
    kfree(keys);
}

/* ---------------------------------------------------------------- nodes and epochs */

void cluster_meet_command(client *c) {
    if (!enabled_or_reply(c)) return;
    if (c->argc > 5) {
        reply_subcommand_syntax_error(c);
        return;
    }
    long long port, cport;
    if (!str_to_ll(c->argv[3].ptr, c->argv[3].len, &port)) {
        reply_errorf(c, "Invalid TCP base port specified: %s", c->argv[3].ptr);
        return;
    }
    if (c->argc == 5) {
        if (!str_to_ll(c->argv[4].ptr, c->argv[4].len, &cport)) {
            reply_errorf(c, "Invalid TCP bus port specified: %s", c->argv[4].ptr);
            return;
        }
    } else {
        cport = port + CLUSTER_PORT_INCR;
    }
    if (bus_start_handshake(c->argv[2].ptr, (int)port, (int)cport) < 0 && errno == EINVAL) {
        reply_errorf(c, "Invalid node address specified: %s:%s", c->argv[2].ptr, c->argv[3].ptr);
        return;
    }
    reply_ok(c);
}

void cluster_forget_command(client *c) {
    if (!enabled_or_reply(c)) return;
    clusterNode *n = known_node_or_reply(c, 2);
    if (!n) return;
    if (n == cluster.myself) {
        reply_error(c, "I tried hard but I can't forget myself...");
        return;
    }
    cluster_blacklist_add(n);
    cluster_node_delete(n);
    cluster_todo(CLUSTER_TODO_UPDATE_STATE | CLUSTER_TODO_SAVE_CONFIG);
    reply_ok(c);
}

void cluster_reset_command(client *c) {
    if (!enabled_or_reply(c)) return;
    int hard = 0;
    if (c->argc == 3) {
        if (arg_is(c->argv[2].ptr, c->argv[2].len, "hard")) {
            hard = 1;
        } else if (!arg_is(c->argv[2].ptr, c->argv[2].len, "soft")) {
            reply_error(c, ERR_SYNTAX);
            return;
        }
    } else if (c->argc > 3) {
        reply_subcommand_syntax_error(c);
        return;
    }
    if ((cluster.myself->flags & NODE_MASTER) && db_size(db_by_id(0)) != 0) {
        reply_error(c, "CLUSTER RESET can't be called with master nodes containing keys");
        return;
    }
    if (cluster.myself->flags & NODE_SLAVE) {
        /* A replica becomes an empty primary. */
        cluster_set_node_as_master(cluster.myself);
        repl_cluster_set_primary(NULL, 0);
        db_flush(db_by_id(0), 0);
    }
    failover_reset_manual();
    for (int s = 0; s < CLUSTER_SLOTS; s++) {
        cluster.migrating_to[s] = cluster.importing_from[s] = NULL;
        cluster_del_slot(s);
    }
    for (int i = cluster.nnodes - 1; i >= 0; i--)
        if (cluster.nodes[i] != cluster.myself) cluster_node_delete(cluster.nodes[i]);
    if (hard) {
        cluster.current_epoch = cluster.last_vote_epoch = 0;
        cluster.myself->config_epoch = 0;
        log_msg(LL_WARNING, "configEpoch set to 0 via CLUSTER RESET HARD");
        char name[CLUSTER_NAMELEN];
        clusterNode *fresh = cluster_node_new(NULL, 0);
        memcpy(name, fresh->name, CLUSTER_NAMELEN);
        kfree(fresh);
        cluster_node_rename(cluster.myself, name);
        log_msg(LL_NOTICE, "Node hard reset, now I'm %.40s", cluster.myself->name);
    }
    cluster_todo(CLUSTER_TODO_SAVE_CONFIG | CLUSTER_TODO_UPDATE_STATE);
    reply_ok(c);
}

void cluster_set_config_epoch_command(client *c) {
    if (!enabled_or_reply(c)) return;
    long long epoch;
    if (!arg_ll_or_reply(c, &c->argv[2], &epoch, NULL)) return;
    if (epoch < 0) {
        reply_errorf(c, "Invalid config epoch specified: %lld", epoch);
    } else if (cluster.nnodes > 1) {
        reply_error(c, "The user can assign a config epoch only when the node does not know any other node.");
    } else if (cluster.myself->config_epoch != 0) {
        reply_error(c, "Node config epoch is already non-zero");
    } else {
        cluster.myself->config_epoch = (uint64_t)epoch;
        log_msg(LL_WARNING, "configEpoch set to %llu via CLUSTER SET-CONFIG-EPOCH", (unsigned long long)epoch);
        if (cluster.current_epoch < (uint64_t)epoch) cluster.current_epoch = (uint64_t)epoch;
        cluster_todo(CLUSTER_TODO_UPDATE_STATE | CLUSTER_TODO_SAVE_CONFIG);
        reply_ok(c);
    }
}

void cluster_bumpepoch_command(client *c) {
    if (!enabled_or_reply(c)) return;
    int bumped = cluster_bump_epoch_without_consensus() == 0;
    char buf[64];
    snprintf(buf, sizeof(buf), "%s %llu", bumped ? "BUMPED" : "STILL", (unsigned long long)cluster.myself->config_epoch);
    reply_status(c, buf);
}

void cluster_count_failure_reports_command(client *c) {
    if (!enabled_or_reply(c)) return;
    clusterNode *n = known_node_or_reply(c, 2);
    if (!n) return;
    reply_integer(c, bus_failure_reports(n));
}

void cluster_saveconfig_command(client *c) {
    if (!enabled_or_reply(c)) return;
    if (cluster_save_config() < 0) {
        reply_errorf(c, "error saving the cluster node config: %s", strerror(errno));
        return;
    }
    reply_ok(c);
}

/* ---------------------------------------------------------------- replicas */

void cluster_replicate_command(client *c) {
    if (!enabled_or_reply(c)) return;
    clusterNode *n = known_node_or_reply(c, 2);
    if (!n) return;
    if (n == cluster.myself) {
        reply_error(c, "Can't replicate myself");
        return;
    }
    if (n->flags & NODE_SLAVE) {
        reply_error(c, "I can only replicate a master, not a replica.");
        return;
    }
    if ((cluster.myself->flags & NODE_MASTER) && (cluster.myself->numslots != 0 || db_size(db_by_id(0)) != 0)) {
        reply_error(c, "To set a master the node must be empty and without assigned slots.");
        return;
    }
    cluster_set_my_primary(n);
    cluster_todo(CLUSTER_TODO_UPDATE_STATE | CLUSTER_TODO_SAVE_CONFIG);
    reply_ok(c);
}

/* CLUSTER REPLICAS and its old name SLAVES: the CLUSTER NODES lines of a primary's replicas. */
void cluster_replicas_command(client *c) {
    if (!enabled_or_reply(c)) return;
    clusterNode *n = known_node_or_reply(c, 2);
    if (!n) return;
    if (n->flags & NODE_SLAVE) {
        reply_error(c, "The specified node is not a master");
        return;
    }
    reply_array_len(c, n->nslaves);
    for (int i = 0; i < n->nslaves; i++) {
        kstr *line = cluster_node_description(kstr_empty(128), n->slaves[i], use_pport(c));
        reply_bulk(c, line->buf, line->len);
        kstr_free(line);
    }
}

void cluster_slaves_command(client *c) {
    cluster_replicas_command(c);
}

void cluster_failover_command(client *c) {
    if (!enabled_or_reply(c)) return;
    int force = 0, takeover = 0;
    if (c->argc == 3) {
        if (arg_is(c->argv[2].ptr, c->argv[2].len, "force")) {
            force = 1;
        } else if (arg_is(c->argv[2].ptr, c->argv[2].len, "takeover")) {
            force = takeover = 1;
        } else {
            reply_error(c, ERR_SYNTAX);
            return;
        }
    }
    const char *err = failover_manual_start(force, takeover);
    if (err)
        reply_error(c, err);
    else
        reply_ok(c);
}

/* ---------------------------------------------------------------- reports */

void cluster_myid_command(client *c) {
    if (!enabled_or_reply(c)) return;
    reply_bulk(c, cluster.myself->name, CLUSTER_NAMELEN);
}

void cluster_nodes_command(client *c) {
    if (!enabled_or_reply(c)) return;
    cluster_update_myself_announced();
    kstr *s = cluster_nodes_description(0, use_pport(c));
    reply_verbatim(c, s->buf, s->len, "txt");
    kstr_free(s);
}

static const char *const msg_type_names[MSG_TYPE_COUNT] = {
    "ping", "pong", "meet", "fail", "publish", "auth-req", "auth-ack", "update", "mfstart", "module", "publishshard",
};

void cluster_info_command(client *c) {
    if (!enabled_or_reply(c)) return;
    int assigned = 0, ok = 0, pfail = 0, fail = 0;
    for (int s = 0; s < CLUSTER_SLOTS; s++) {
        clusterNode *n = cluster.slots[s];
        if (!n) continue;
        assigned++;
        if (n->flags & NODE_FAIL)
            fail++;
        else if (n->flags & NODE_PFAIL)
            pfail++;
        else
            ok++;
    }
    kstr *s = kstr_catfmt(kstr_empty(1024),
                          "cluster_state:%s\r\ncluster_slots_assigned:%d\r\ncluster_slots_ok:%d\r\n"
                          "cluster_slots_pfail:%d\r\ncluster_slots_fail:%d\r\ncluster_known_nodes:%d\r\n"
                          "cluster_size:%d\r\ncluster_current_epoch:%llu\r\ncluster_my_epoch:%llu\r\n",
                          cluster.state == CLUSTER_OK ? "ok" : "fail", assigned, ok, pfail, fail, cluster.nnodes,
                          cluster.size, (unsigned long long)cluster.current_epoch,
                          (unsigned long long)cluster.myself->config_epoch);
    for (int dir = 0; dir < 2; dir++) {
        const long long *counts = dir ? cluster.stats_received : cluster.stats_sent;
        const char *what = dir ? "received" : "sent";
        long long total = 0;
        for (int t = 0; t < MSG_TYPE_COUNT; t++) {
            if (!counts[t]) continue;
            total += counts[t];
            s = kstr_catfmt(s, "cluster_stats_messages_%s_%s:%lld\r\n", msg_type_names[t], what, counts[t]);
        }
        s = kstr_catfmt(s, "cluster_stats_messages_%s:%lld\r\n", what, total);
    }
    s = kstr_catfmt(s, "total_cluster_links_buffer_limit_exceeded:%lld\r\n", cluster.stat_links_buffer_limit_exceeded);
    reply_verbatim(c, s->buf, s->len, "txt");
    kstr_free(s);
}

/* A node in CLUSTER SLOTS: endpoint, port, id, and the other known endpoints as a map. */
static void reply_slot_node(client *c, const clusterNode *n) {
    int type = server.cluster_preferred_endpoint_type;
    reply_array_len(c, 4);
    if (type == 2)
        reply_null(c);
    else
        reply_bulk_cstr(c, cluster_endpoint(n));
    reply_integer(c, client_port(c, n));
    reply_bulk(c, n->name, CLUSTER_NAMELEN);
    int extra_ip = type != 0, extra_host = type != 1 && n->hostname[0];
    reply_map_len(c, extra_ip + extra_host);
    if (extra_ip) {
        reply_bulk_cstr(c, "ip");
        reply_bulk_cstr(c, n->ip);
    }
    if (extra_host) {
        reply_bulk_cstr(c, "hostname");
        reply_bulk_cstr(c, n->hostname);
    }
}

/* A replica CLUSTER SLOTS lists: not failed, and it has data (a non-zero offset). */
static int replica_available(const clusterNode *n) {
    if (n->flags & NODE_FAIL) return 0;
    return ((n->flags & NODE_MYSELF) ? cluster_my_offset() : n->repl_offset) != 0;
}

void cluster_slots_command(client *c) {
    if (!enabled_or_reply(c)) return;
    cluster_update_myself_announced();
    replyDeferred d = reply_deferred(c);
    long long ranges = 0;
    for (int s = 0; s < CLUSTER_SLOTS; s++) {
        clusterNode *n = cluster.slots[s];
        if (!n) continue;
        int start = s;
        while (s + 1 < CLUSTER_SLOTS && cluster.slots[s + 1] == n) s++;
        int avail = 0;
        for (int i = 0; i < n->nslaves; i++) avail += replica_available(n->slaves[i]);
        reply_array_len(c, 3 + avail);
        reply_integer(c, start);
        reply_integer(c, s);
        reply_slot_node(c, n);
        for (int i = 0; i < n->nslaves; i++)
            if (replica_available(n->slaves[i])) reply_slot_node(c, n->slaves[i]);
        ranges++;
    }
    reply_set_deferred_array(c, d, ranges);
}

static void reply_shard_node(client *c, const clusterNode *n) {
    /* As Redis: in a TLS cluster port is the plain port (pport) and tls-port the node's port. */
    int plain = server.tls_cluster ? n->pport : n->port, tls = server.tls_cluster ? n->port : 0;
    reply_map_len(c, (plain ? 1 : 0) + (tls ? 1 : 0) + 6 + (n->hostname[0] ? 1 : 0));
    reply_bulk_cstr(c, "id");
    reply_bulk(c, n->name, CLUSTER_NAMELEN);
    if (plain) {
        reply_bulk_cstr(c, "port");
        reply_integer(c, plain);
    }
    if (tls) {
        reply_bulk_cstr(c, "tls-port");
        reply_integer(c, tls);
    }
    reply_bulk_cstr(c, "ip");
    reply_bulk_cstr(c, n->ip);
    reply_bulk_cstr(c, "endpoint");
    reply_bulk_cstr(c, cluster_endpoint(n));
    if (n->hostname[0]) {
        reply_bulk_cstr(c, "hostname");
        reply_bulk_cstr(c, n->hostname);
    }
    long long offset = (n->flags & NODE_MYSELF) ? cluster_my_offset() : n->repl_offset;
    int replica = (n->flags & NODE_SLAVE) != 0;
    reply_bulk_cstr(c, "role");
    reply_bulk_cstr(c, replica ? "replica" : "master");
    reply_bulk_cstr(c, "replication-offset");
    reply_integer(c, offset);
    reply_bulk_cstr(c, "health");
    reply_bulk_cstr(c, (n->flags & NODE_FAIL) ? "fail" : (replica && offset == 0) ? "loading" : "online");
}

void cluster_shards_command(client *c) {
    if (!enabled_or_reply(c)) return;
    cluster_update_myself_announced();
    long long shards = 0;
    for (int i = 0; i < cluster.nnodes; i++)
        if (cluster.nodes[i]->flags & NODE_MASTER) shards++;
    reply_array_len(c, shards);
    for (int i = 0; i < cluster.nnodes; i++) {
        const clusterNode *n = cluster.nodes[i];
        if (!(n->flags & NODE_MASTER)) continue;
        reply_map_len(c, 2);
        reply_bulk_cstr(c, "slots");
        replyDeferred d = reply_deferred(c);
        long long bounds = 0;
        for (int s = 0; s < CLUSTER_SLOTS; s++) {
            if (!cluster_node_has_slot(n, s)) continue;
            int start = s;
            while (s + 1 < CLUSTER_SLOTS && cluster_node_has_slot(n, s + 1)) s++;
            reply_integer(c, start);
            reply_integer(c, s);
            bounds += 2;
        }
        reply_set_deferred_array(c, d, bounds);
        reply_bulk_cstr(c, "nodes");
        reply_array_len(c, 1 + n->nslaves);
        reply_shard_node(c, n);
        for (int j = 0; j < n->nslaves; j++) reply_shard_node(c, n->slaves[j]);
    }
}

void cluster_links_command(client *c) {
    if (!enabled_or_reply(c)) return;
    bus_links_reply(c);
}

void cluster_help_command(client *c) {
    static const char *const help[] = {
        "CLUSTER <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "ADDSLOTS <slot> [<slot> ...]",
        "    Assign slots to current node.",
        "ADDSLOTSRANGE <start slot> <end slot> [<start slot> <end slot> ...]",
        "    Assign slots which are between <start-slot> and <end-slot> to current node.",
        "BUMPEPOCH",
        "    Advance the cluster config epoch.",
        "COUNT-FAILURE-REPORTS <node-id>",
        "    Return number of failure reports for <node-id>.",
        "COUNTKEYSINSLOT <slot>",
        "    Return the number of keys in <slot>.",
        "DELSLOTS <slot> [<slot> ...]",
        "    Delete slots information from current node.",
        "DELSLOTSRANGE <start slot> <end slot> [<start slot> <end slot> ...]",
        "    Delete slots information which are between <start-slot> and <end-slot> from current node.",
        "FAILOVER [FORCE|TAKEOVER]",
        "    Promote current replica node to being a master.",
        "FORGET <node-id>",
        "    Remove a node from the cluster.",
        "GETKEYSINSLOT <slot> <count>",
        "    Return key names stored by current node in a slot.",
        "FLUSHSLOTS",
        "    Delete current node own slots information.",
        "INFO",
        "    Return information about the cluster.",
        "KEYSLOT <key>",
        "    Return the hash slot for <key>.",
        "MEET <ip> <port> [<bus-port>]",
        "    Connect nodes into a working cluster.",
        "MYID",
        "    Return the node id.",
        "NODES",
        "    Return cluster configuration seen by node. Output format:",
        "    <id> <ip:port> <flags> <master> <pings> <pongs> <epoch> <link> <slot> ...",
        "REPLICATE <node-id>",
        "    Configure current node as replica to <node-id>.",
        "RESET [HARD|SOFT]",
        "    Reset current node (default: soft).",
        "SET-CONFIG-EPOCH <epoch>",
        "    Set config epoch of current node.",
        "SETSLOT <slot> (IMPORTING <node-id>|MIGRATING <node-id>|STABLE|NODE <node-id>)",
        "    Set slot state.",
        "REPLICAS <node-id>",
        "    Return <node-id> replicas.",
        "SAVECONFIG",
        "    Force saving cluster configuration on disk.",
        "SLOTS",
        "    Return information about slots range mappings. Each range is made of:",
        "    start, end, master and replicas IP addresses, ports and ids",
        "SHARDS",
        "    Return information about slot range mappings and the nodes associated with them.",
        "LINKS",
        "    Return information about all network links between this node and its peers.",
        "    Output format is an array where each array element is a map containing attributes of a link",
        NULL,
    };
    if (!enabled_or_reply(c)) return;
    reply_help(c, help + 1);
}

/* ---------------------------------------------------------------- ASKING, READONLY */

void asking_command(client *c) {
    if (!enabled_or_reply(c)) return;
    c->flags |= CLIENT_ASKING;
    reply_ok(c);
}

void readonly_command(client *c) {
    if (!enabled_or_reply(c)) return;
    c->flags |= CLIENT_READONLY;
    reply_ok(c);
}

void readwrite_command(client *c) {
    if (!enabled_or_reply(c)) return;
    c->flags &= ~CLIENT_READONLY;
    reply_ok(c);
}

/* ---------------------------------------------------------------- routing */

enum { REDIR_NONE, REDIR_CROSSSLOT, REDIR_TRYAGAIN, REDIR_ASK, REDIR_MOVED, REDIR_DOWN, REDIR_DOWN_UNBOUND, REDIR_DOWN_RO };

/* What the keys of one command say, accumulated over a transaction's commands. */
typedef struct routing {
    const char *first;
    size_t first_len;
    int slot;
    clusterNode *owner;
    int multiple, migrating, importing, missing, existing;
} routing;

/* SPUBLISH, SSUBSCRIBE, SUNSUBSCRIBE: their shard channels route as keys do (Redis's
 * is_pubsubshard), though their key specs say not_key. */
static int is_shard_pubsub(const command *cmd) {
    return cmd->proc == spublish_command || cmd->proc == ssubscribe_command || cmd->proc == sunsubscribe_command;
}

/* Returns REDIR_NONE while the keys agree, or the error. */
static int route_keys(routing *r, const command *cmd, int argc, const karg *argv) {
    int *pos = kmalloc(sizeof(int) * (size_t)(argc ? argc : 1));
    int n = 0;
    if (is_shard_pubsub(cmd)) {
        int last = cmd->proc == spublish_command ? 1 : argc - 1;
        for (int j = 1; j <= last && j < argc; j++) pos[n++] = j;
    } else {
        n = command_get_keys(cmd, argc, argv, pos, NULL, argc);
    }
    /* A shard channel of an open slot is served by the source until SETSLOT NODE: no key to
     * look for. */
    int shard = is_shard_pubsub(cmd);
    int err = REDIR_NONE;
    for (int j = 0; j < n && err == REDIR_NONE; j++) {
        const karg *k = &argv[pos[j]];
        int slot = key_hash_slot(k->ptr, k->len);
        if (!r->first) {
            r->first = k->ptr;
            r->first_len = k->len;
            r->slot = slot;
            r->owner = cluster.slots[slot];
            if (!r->owner) {
                err = REDIR_DOWN_UNBOUND;
                break;
            }
            r->migrating = r->owner == cluster.myself && cluster.migrating_to[slot];
            r->importing = cluster.importing_from[slot] != NULL;
        } else if (k->len != r->first_len || memcmp(k->ptr, r->first, k->len) != 0) {
            if (slot != r->slot) {
                err = REDIR_CROSSSLOT;
                break;
            }
            r->multiple = 1;
        }
        if ((r->migrating || r->importing) && !shard) {
            if (db_lookup(db_by_id(0), k->ptr, k->len, LOOKUP_NOTOUCH | LOOKUP_NOSTATS | LOOKUP_NONOTIFY))
                r->existing++;
            else
                r->missing++;
        }
    }
    kfree(pos);
    return err;
}

/* Redis's getNodeByQuery: the node that must serve cmd (argv) sent by c, or NULL with *err;
 * *slot is the keys' slot, -1 if it has none. */
static clusterNode *node_for(client *c, const command *cmd, int argc, const karg *argv, int *err, int *slot) {
    routing r = {0};
    int is_exec = (cmd->flags & CMD_EXECS_QUEUED) != 0;
    /* Redis's getCommandFlags: an EVAL's or FCALL's flags are its script's (a shebang script
     * without no-writes is a write, -MOVED on a replica even for a READONLY client). */
    uint64_t flags = command_call_flags(cmd, argc, argv);
    *err = REDIR_NONE;
    if (is_exec) {
        if (!(c->flags & CLIENT_MULTI)) return cluster.myself;
        const command *qc;
        int qargc;
        const karg *qargv;
        for (size_t i = 0; *err == REDIR_NONE && multi_queued_command(c, i, &qc, &qargc, &qargv); i++)
            *err = route_keys(&r, qc, qargc, qargv);
        flags = multi_queued_flags(c);
    } else {
        *err = route_keys(&r, cmd, argc, argv);
    }
    *slot = r.first ? r.slot : -1;
    if (*err != REDIR_NONE) return NULL;
    if (!r.first) return cluster.myself;
    int shard = is_shard_pubsub(cmd);
    if (cluster.state != CLUSTER_OK) {
        if (shard) {
            if (!server.cluster_allow_pubsubshard_when_down) {
                *err = REDIR_DOWN;
                return NULL;
            }
        } else if (!server.cluster_allow_reads_when_down) {
            *err = REDIR_DOWN;
            return NULL;
        } else if (flags & CMD_WRITE) {
            *err = REDIR_DOWN_RO;
            return NULL;
        }
    }
    /* MIGRATE moves keys of an open slot, whichever of them are still here. */
    if ((r.migrating || r.importing) && cmd->proc == migrate_command) return cluster.myself;
    if (r.migrating && r.missing) {
        if (r.existing) {
            *err = REDIR_TRYAGAIN;
            return NULL;
        }
        *err = REDIR_ASK;
        return cluster.migrating_to[r.slot];
    }
    if (r.importing && ((c->flags & CLIENT_ASKING) || (cmd->flags & CMD_ASKING))) {
        if (r.multiple && r.missing) {
            *err = REDIR_TRYAGAIN;
            return NULL;
        }
        return cluster.myself;
    }
    /* A READONLY client reads on a replica of the slot's primary; shard channels are served
     * by every node of the slot's shard. */
    if (((c->flags & CLIENT_READONLY) || shard) && !(flags & CMD_WRITE) && (cluster.myself->flags & NODE_SLAVE) &&
        cluster.myself->slaveof == r.owner)
        return cluster.myself;
    if (r.owner != cluster.myself) *err = REDIR_MOVED;
    return r.owner;
}

static const char *const redirect_errors[] = {
    [REDIR_CROSSSLOT] = "-CROSSSLOT Keys in request don't hash to the same slot",
    [REDIR_TRYAGAIN] = "-TRYAGAIN Multiple keys request during rehashing of slot",
    [REDIR_DOWN] = "-CLUSTERDOWN The cluster is down",
    [REDIR_DOWN_UNBOUND] = "-CLUSTERDOWN Hash slot not served",
    [REDIR_DOWN_RO] = "-CLUSTERDOWN The cluster is down and only accepts read commands",
};

static int redirect(client *c, const command *cmd) {
    if (c->flags & CLIENT_FAKE) return 0;   /* scripts' commands were routed with the script */
    if (c->flags & CLIENT_MASTER) return 0; /* our primary's stream is obeyed whatever the slots say */
    int err, slot;
    clusterNode *n = node_for(c, cmd, c->argc, c->argv, &err, &slot);
    if (n == cluster.myself && err == REDIR_NONE) return 0;
    if (cmd->flags & CMD_EXECS_QUEUED)
        multi_reset(c);   /* as Redis: the transaction is discarded, the error is EXEC's reply */
    else
        multi_flag_error(c);
    if (err == REDIR_ASK || err == REDIR_MOVED)
        reply_errorf(c, "-%s %d %s:%d", err == REDIR_ASK ? "ASK" : "MOVED", slot, cluster_endpoint(n), client_port(c, n));
    else
        reply_error(c, redirect_errors[err]);
    return 1;
}

/* Redis's clusterRedirectBlockedClientIfNeeded, for one client blocked on keys: 1 after
 * replying the error and unblocking it when its keys are no longer served here. */
static int redirect_blocked(client *c) {
    const char *key;
    size_t len;
    const command *cmd;
    if (!blocking_first_key(c, &key, &len, &cmd)) return 0;   /* WAIT and the like stay */
    /* Down: a write that would serve the client may never come, even with
     * cluster-allow-reads-when-down. */
    if (cluster.state == CLUSTER_FAIL) {
        blocking_unblock_error(c, redirect_errors[REDIR_DOWN]);
        return 1;
    }
    int slot = key_hash_slot(key, len);
    clusterNode *n = cluster.slots[slot];
    if ((c->flags & CLIENT_READONLY) && !(cmd->flags & CMD_WRITE) && (cluster.myself->flags & NODE_SLAVE) &&
        cluster.myself->slaveof == n)
        n = cluster.myself;
    if (n == cluster.myself || cluster.importing_from[slot]) return 0;
    if (!n) {
        blocking_unblock_error(c, redirect_errors[REDIR_DOWN_UNBOUND]);
        return 1;
    }
    char err[CLUSTER_IPLEN + 300];
    snprintf(err, sizeof(err), "-MOVED %d %s:%d", slot, cluster_endpoint(n), client_port(c, n));
    blocking_unblock_error(c, err);
    return 1;
}

void cluster_redirect_blocked_clients(void) {
    if (!blocking_clients_count()) return;
    for (client *c = server.clients; c; c = c->next)
        if (c->flags & CLIENT_BLOCKED) redirect_blocked(c);
}

const char *cluster_script_error(client *caller, const command *cmd, int argc, const karg *argv, int *slot) {
    if (!server.cluster_enabled) return NULL;
    int err, this_slot;
    clusterNode *n = node_for(caller, cmd, argc, argv, &err, &this_slot);
    if (n != cluster.myself || err != REDIR_NONE) {
        if (err == REDIR_DOWN_RO) return "Script attempted to execute a write command while the cluster is down and readonly";
        if (err == REDIR_DOWN) return "Script attempted to execute a command while the cluster is down";
        return "Script attempted to access a non local key in a cluster node";
    }
    if (this_slot == -1 || !slot) return NULL;
    if (*slot == -1) *slot = this_slot;
    else if (*slot != this_slot) return "Script attempted to access keys that do not hash to the same slot";
    return NULL;
}

void cluster_cmd_install(void) {
    dispatch_redirect = redirect;
}
