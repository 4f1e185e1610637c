/* cluster.c - the node table, slot ownership, nodes.conf and the cluster state; see cluster.h.
 *
 * nodes.conf is CLUSTER NODES's text (one line per node, myself with its migrating/importing
 * slots) followed by "vars currentEpoch N lastVoteEpoch N", as Redis writes it; it is written
 * to a temporary file, fsync'ed and renamed over the old one, so a crash leaves the old or the
 * new file, never a mix. */
#include "cluster/cluster.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cluster/cluster_cmd.h"
#include "core/pubsub.h"
#include "keyspace/db.h"
#include "repl/repl.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/util.h"

#define CLUSTER_WRITABLE_DELAY 2000     /* ms a master waits at start-up before state ok */
#define CLUSTER_BLACKLIST_TTL 60000     /* ms a forgotten node is not re-added by gossip */

clusterState cluster;

static long long first_state_update_ms;
static long long among_minority_ms;

/* ---------------------------------------------------------------- nodes */

static void random_name(char *out) {
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < CLUSTER_NAMELEN; i++) out[i] = hex[rand64() & 15];
}

clusterNode *cluster_node_new(const char *name, int flags) {
    clusterNode *n = kcalloc(sizeof(*n));
    if (name)
        memcpy(n->name, name, CLUSTER_NAMELEN);
    else
        random_name(n->name);
    n->flags = flags;
    n->ctime = mstime();
    return n;
}

clusterNode *cluster_lookup(const char *name, size_t len) {
    if (len != CLUSTER_NAMELEN) return NULL;
    for (int i = 0; i < cluster.nnodes; i++)
        if (memcmp(cluster.nodes[i]->name, name, CLUSTER_NAMELEN) == 0) return cluster.nodes[i];
    return NULL;
}

void cluster_node_add(clusterNode *n) {
    if (cluster.nnodes == cluster.nodes_cap) {
        cluster.nodes_cap = cluster.nodes_cap ? cluster.nodes_cap * 2 : 8;
        cluster.nodes = krealloc(cluster.nodes, sizeof(clusterNode *) * (size_t)cluster.nodes_cap);
    }
    cluster.nodes[cluster.nnodes++] = n;
}

/* Drops every reference to n (slots, open slots, failure reports, links), then frees it. */
void cluster_node_delete(clusterNode *n) {
    for (int s = 0; s < CLUSTER_SLOTS; s++) {
        if (cluster.slots[s] == n) cluster_del_slot(s);
        if (cluster.migrating_to[s] == n) cluster.migrating_to[s] = NULL;
        if (cluster.importing_from[s] == n) cluster.importing_from[s] = NULL;
    }
    for (int i = 0; i < cluster.nnodes; i++) {
        clusterNode *o = cluster.nodes[i];
        for (int r = 0; r < o->nreports; r++)
            if (o->reports[r].node == n) o->reports[r--] = o->reports[--o->nreports];
    }
    if (n->slaveof) cluster_node_remove_slave(n->slaveof, n);
    for (int i = 0; i < n->nslaves; i++) n->slaves[i]->slaveof = NULL;
    if (cluster.mf_slave == n) failover_reset_manual();
    for (int i = 0; i < cluster.nnodes; i++)
        if (cluster.nodes[i] == n) cluster.nodes[i] = cluster.nodes[--cluster.nnodes];
    if (n->link) bus_link_free(n->link);
    if (n->inbound_link) bus_link_free(n->inbound_link);
    kfree(n->reports);
    kfree(n->slaves);
    kfree(n);
}

void cluster_node_add_slave(clusterNode *master, clusterNode *slave) {
    for (int i = 0; i < master->nslaves; i++)
        if (master->slaves[i] == slave) return;
    master->slaves = krealloc(master->slaves, sizeof(clusterNode *) * (size_t)(master->nslaves + 1));
    master->slaves[master->nslaves++] = slave;
    master->flags |= NODE_MIGRATE_TO;
}

void cluster_node_remove_slave(clusterNode *master, clusterNode *slave) {
    for (int i = 0; i < master->nslaves; i++)
        if (master->slaves[i] == slave) {
            memmove(master->slaves + i, master->slaves + i + 1, sizeof(clusterNode *) * (size_t)(master->nslaves - i - 1));
            master->nslaves--;
            break;
        }
    if (master->nslaves == 0) master->flags &= ~NODE_MIGRATE_TO;
}

/* Redis's clusterSetNodeAsMaster: a former replica keeps MIGRATE_TO (replica migration may
 * target it). */
void cluster_set_node_as_master(clusterNode *n) {
    if (n->flags & NODE_MASTER) return;
    if (n->slaveof) {
        cluster_node_remove_slave(n->slaveof, n);
        if (n != cluster.myself) n->flags |= NODE_MIGRATE_TO;
    }
    n->flags = (n->flags & ~NODE_SLAVE) | NODE_MASTER;
    n->slaveof = NULL;
    cluster_todo(CLUSTER_TODO_SAVE_CONFIG | CLUSTER_TODO_UPDATE_STATE);
}

void cluster_del_node_slots(clusterNode *n) {
    for (int s = 0; s < CLUSTER_SLOTS; s++) {
        if (cluster.slots[s] == n) cluster_del_slot(s);
        if (cluster.importing_from[s] == n) cluster.importing_from[s] = NULL;
    }
}

void cluster_set_my_primary(clusterNode *n) {
    clusterNode *me = cluster.myself;
    if (n == me) return;
    if (me->flags & NODE_MASTER) {
        me->flags = (me->flags & ~(NODE_MASTER | NODE_MIGRATE_TO)) | NODE_SLAVE;
        for (int s = 0; s < CLUSTER_SLOTS; s++) cluster.migrating_to[s] = cluster.importing_from[s] = NULL;
    } else if (me->slaveof) {
        cluster_node_remove_slave(me->slaveof, me);
    }
    me->slaveof = n;
    cluster_node_add_slave(n, me);
    if (n->ip[0] && !(n->flags & NODE_NOADDR)) repl_cluster_set_primary(n->ip, n->port);
    failover_reset_manual();
    cluster_todo(CLUSTER_TODO_SAVE_CONFIG | CLUSTER_TODO_UPDATE_STATE);
}

long long cluster_my_offset(void) {
    return repl_sync_offset();
}

int cluster_count_ok_slaves(const clusterNode *n) {
    int ok = 0;
    for (int i = 0; i < n->nslaves; i++)
        if (!(n->slaves[i]->flags & (NODE_FAIL | NODE_PFAIL))) ok++;
    return ok;
}

void cluster_node_rename(clusterNode *n, const char *name) {
    memcpy(n->name, name, CLUSTER_NAMELEN);
}

int cluster_node_has_slot(const clusterNode *n, int slot) {
    return (n->slots[slot >> 3] >> (slot & 7)) & 1;
}

int cluster_add_slot(clusterNode *n, int slot) {
    if (cluster.slots[slot]) return -1;
    n->slots[slot >> 3] |= (unsigned char)(1 << (slot & 7));
    n->numslots++;
    cluster.slots[slot] = n;
    return 0;
}

int cluster_del_slot(int slot) {
    clusterNode *n = cluster.slots[slot];
    if (!n) return -1;
    /* A slot leaving my shard ends its shard channels' subscriptions here (Redis's
     * clusterDelSlot): the slot's owner is myself or my primary. */
    if (n == cluster.myself || n == cluster.myself->slaveof) pubsub_shard_unsubscribe_slot(slot);
    n->slots[slot >> 3] &= (unsigned char)~(1 << (slot & 7));
    n->numslots--;
    cluster.slots[slot] = NULL;
    return 0;
}

void cluster_todo(int flags) {
    cluster.todo |= flags;
}

uint64_t cluster_max_epoch(void) {
    uint64_t max = cluster.current_epoch;
    for (int i = 0; i < cluster.nnodes; i++)
        if (cluster.nodes[i]->config_epoch > max) max = cluster.nodes[i]->config_epoch;
    return max;
}

/* Redis's rule: take a new epoch unless mine is already the unique maximum. */
int cluster_bump_epoch_without_consensus(void) {
    uint64_t max = cluster_max_epoch();
    if (cluster.myself->config_epoch != 0 && cluster.myself->config_epoch == max) return -1;
    cluster.current_epoch++;
    cluster.myself->config_epoch = cluster.current_epoch;
    cluster_todo(CLUSTER_TODO_SAVE_CONFIG);
    log_msg(LL_WARNING, "New configEpoch set to %llu", (unsigned long long)cluster.myself->config_epoch);
    return 0;
}

void cluster_blacklist_add(const clusterNode *n) {
    cluster.blacklist = krealloc(cluster.blacklist, sizeof(*cluster.blacklist) * (size_t)(cluster.nblacklist + 1));
    memcpy(cluster.blacklist[cluster.nblacklist].name, n->name, CLUSTER_NAMELEN);
    cluster.blacklist[cluster.nblacklist].until = mstime() + CLUSTER_BLACKLIST_TTL;
    cluster.nblacklist++;
}

int cluster_blacklisted(const char *name) {
    long long now = mstime();
    for (int i = 0; i < cluster.nblacklist; i++) {
        if (cluster.blacklist[i].until < now) {
            cluster.blacklist[i--] = cluster.blacklist[--cluster.nblacklist];
            continue;
        }
        if (memcmp(cluster.blacklist[i].name, name, CLUSTER_NAMELEN) == 0) return 1;
    }
    return 0;
}

const char *cluster_endpoint(const clusterNode *n) {
    switch (server.cluster_preferred_endpoint_type) {
    case 0: return n->ip;
    case 1: return n->hostname[0] ? n->hostname : "?";
    default: return "";
    }
}

/* ---------------------------------------------------------------- nodes.conf */

static const struct {
    int flag;
    const char *name;
} flag_names[] = {
    {NODE_MYSELF, "myself"}, {NODE_MASTER, "master"}, {NODE_SLAVE, "slave"}, {NODE_PFAIL, "fail?"},
    {NODE_FAIL, "fail"}, {NODE_HANDSHAKE, "handshake"}, {NODE_NOADDR, "noaddr"}, {NODE_NOFAILOVER, "nofailover"},
};
#define NFLAGS (int)(sizeof(flag_names) / sizeof(flag_names[0]))

static kstr *cat_flags(kstr *s, int flags) {
    size_t start = s->len;
    for (int i = 0; i < NFLAGS; i++)
        if (flags & flag_names[i].flag) s = kstr_catfmt(s, "%s%s", s->len > start ? "," : "", flag_names[i].name);
    if (s->len == start) s = kstr_catc(s, "noflags");
    return s;
}

/* One CLUSTER NODES line, without the newline; use_pport: the plain port (a TLS cluster seen
 * by a client that is not on TLS), see cluster_client_port(). */
kstr *cluster_node_description(kstr *s, const clusterNode *n, int use_pport) {
    s = kstr_cat(s, n->name, CLUSTER_NAMELEN);
    s = kstr_catfmt(s, " %s:%d@%d", n->ip, use_pport && n->pport ? n->pport : n->port, n->cport);
    if (n->hostname[0]) s = kstr_catfmt(s, ",%s", n->hostname);
    s = kstr_catc(s, " ");
    s = cat_flags(s, n->flags);
    if (n->slaveof)
        s = kstr_catfmt(s, " %.40s", n->slaveof->name);
    else
        s = kstr_catc(s, " -");
    s = kstr_catfmt(s, " %lld %lld %llu %s", n->ping_sent, n->pong_received, (unsigned long long)n->config_epoch,
                    (n->link || (n->flags & NODE_MYSELF)) ? "connected" : "disconnected");
    for (int j = 0; j < CLUSTER_SLOTS; j++) {
        if (!cluster_node_has_slot(n, j)) continue;
        int start = j;
        while (j + 1 < CLUSTER_SLOTS && cluster_node_has_slot(n, j + 1)) j++;
        s = start == j ? kstr_catfmt(s, " %d", j) : kstr_catfmt(s, " %d-%d", start, j);
    }
    if (n->flags & NODE_MYSELF) {
        for (int j = 0; j < CLUSTER_SLOTS; j++) {
            if (cluster.migrating_to[j])
                s = kstr_catfmt(s, " [%d->-%.40s]", j, cluster.migrating_to[j]->name);
            else if (cluster.importing_from[j])
                s = kstr_catfmt(s, " [%d-<-%.40s]", j, cluster.importing_from[j]->name);
        }
    }
    return s;
}

/* CLUSTER NODES: every node but those in handshake (with_handshake 0). */
kstr *cluster_nodes_description(int with_handshake, int use_pport) {
    kstr *s = kstr_empty(256);
    for (int i = 0; i < cluster.nnodes; i++) {
        if (!with_handshake && (cluster.nodes[i]->flags & NODE_HANDSHAKE)) continue;
        s = cluster_node_description(s, cluster.nodes[i], use_pport);
        s = kstr_catc(s, "\n");
    }
    return s;
}

int cluster_save_config(void) {
    kstr *s = kstr_empty(1024);
    for (int i = 0; i < cluster.nnodes; i++) {
        if (cluster.nodes[i]->flags & NODE_HANDSHAKE) continue;
        s = cluster_node_description(s, cluster.nodes[i], 0);
        s = kstr_catc(s, "\n");
    }
    s = kstr_catfmt(s, "vars currentEpoch %llu lastVoteEpoch %llu\n", (unsigned long long)cluster.current_epoch,
                    (unsigned long long)cluster.last_vote_epoch);
    kstr *tmp = kstr_catfmt(kstr_empty(64), "%s.tmp-%d", server.cluster_configfile, (int)getpid());
    int fd = open(tmp->buf, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int ok = fd >= 0;
    size_t off = 0;
    while (ok && off < s->len) {
        ssize_t w = write(fd, s->buf + off, s->len - off);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) ok = 0;
        else off += (size_t)w;
    }
    if (ok && fsync(fd) < 0) ok = 0;
    int saved_errno = errno;
    if (fd >= 0) close(fd);
    if (ok && rename(tmp->buf, server.cluster_configfile) < 0) {
        ok = 0;
        saved_errno = errno;
    }
    if (!ok) unlink(tmp->buf);
    kstr_free(tmp);
    kstr_free(s);
    cluster.todo &= ~CLUSTER_TODO_SAVE_CONFIG;
    errno = saved_errno;
    return ok ? 0 : -1;
}

static int parse_flags(const char *s, int *flags) {
    *flags = 0;
    if (strcmp(s, "noflags") == 0) return 0;
    while (*s) {
        size_t len = strcspn(s, ",");
        int found = 0;
        for (int i = 0; i < NFLAGS; i++)
            if (strlen(flag_names[i].name) == len && memcmp(flag_names[i].name, s, len) == 0) {
                *flags |= flag_names[i].flag;
                found = 1;
            }
        if (!found) return -1;
        s += len;
        if (*s == ',') s++;
    }
    return 0;
}

static int parse_int(const char *s, long long min, long long max, long long *out) {
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max) return -1;
    *out = v;
    return 0;
}

static clusterNode *node_by_name_or_create(const char *name) {
    if (strlen(name) != CLUSTER_NAMELEN) return NULL;
    clusterNode *n = cluster_lookup(name, CLUSTER_NAMELEN);
    if (!n) {
        n = cluster_node_new(name, 0);
        cluster_node_add(n);
    }
    return n;
}

/* "ip:port@cport[,hostname]" into n. */
static int parse_address(clusterNode *n, char *addr) {
    char *comma = strchr(addr, ',');
    if (comma) {
        *comma = '\0';
        if (strlen(comma + 1) >= sizeof(n->hostname)) return -1;
        strcpy(n->hostname, comma + 1);
    }
    char *at = strchr(addr, '@'), *colon = strrchr(addr, ':');
    if (!at || !colon || colon > at) return -1;
    *at = '\0';
    *colon = '\0';
    long long port, cport;
    if (parse_int(colon + 1, 0, 65535, &port) < 0 || parse_int(at + 1, 0, 65535, &cport) < 0) return -1;
    if (strlen(addr) >= CLUSTER_IPLEN) return -1;
    strcpy(n->ip, addr);
    n->port = (int)port;
    n->cport = (int)cport;
    return 0;
}

static int parse_slot_token(clusterNode *n, char *tok) {
    long long a, b;
    if (tok[0] == '[') {
        char *arrow = strstr(tok, "->-"), *back = strstr(tok, "-<-");
        char *mark = arrow ? arrow : back;
        size_t tlen = strlen(tok);
        if (!mark || tok[tlen - 1] != ']') return -1;
        *mark = '\0';
        tok[tlen - 1] = '\0';
        if (parse_int(tok + 1, 0, CLUSTER_SLOTS - 1, &a) < 0) return -1;
        clusterNode *peer = node_by_name_or_create(mark + 3);
        if (!peer) return -1;
        if (arrow)
            cluster.migrating_to[a] = peer;
        else
            cluster.importing_from[a] = peer;
        return 0;
    }
    char *dash = strchr(tok, '-');
    if (dash) *dash = '\0';
    if (parse_int(tok, 0, CLUSTER_SLOTS - 1, &a) < 0) return -1;
    b = a;
    if (dash && parse_int(dash + 1, 0, CLUSTER_SLOTS - 1, &b) < 0) return -1;
    if (b < a) return -1;
    for (long long s = a; s <= b; s++) {
        if (cluster.slots[s]) cluster_del_slot((int)s);
        cluster_add_slot(n, (int)s);
    }
    return 0;
}

/* One line of nodes.conf; the line is modified. */
static int load_line(char *line) {
    char *argv[16384 + 16];
    int argc = 0;
    for (char *tok = strtok(line, " "); tok && argc < (int)(sizeof(argv) / sizeof(argv[0])); tok = strtok(NULL, " "))
        argv[argc++] = tok;
    if (argc == 0) return 0;
    if (strcmp(argv[0], "vars") == 0) {
        for (int j = 1; j + 1 < argc; j += 2) {
            long long v;
            if (parse_int(argv[j + 1], 0, LLONG_MAX, &v) < 0) return -1;
            if (strcmp(argv[j], "currentEpoch") == 0)
                cluster.current_epoch = (uint64_t)v;
            else if (strcmp(argv[j], "lastVoteEpoch") == 0)
                cluster.last_vote_epoch = (uint64_t)v;
        }
        return 0;
    }
    if (argc < 8) return -1;
    clusterNode *n = node_by_name_or_create(argv[0]);
    if (!n || parse_address(n, argv[1]) < 0 || parse_flags(argv[2], &n->flags) < 0) return -1;
    if (n->flags & NODE_MYSELF) {
        if (cluster.myself && cluster.myself != n) return -1;
        cluster.myself = n;
    }
    long long epoch;
    if (parse_int(argv[6], 0, LLONG_MAX, &epoch) < 0) return -1;
    n->config_epoch = (uint64_t)epoch;
    if (strcmp(argv[3], "-") != 0) {
        clusterNode *master = node_by_name_or_create(argv[3]);
        if (!master || master == n) return -1;
        if (n->slaveof) cluster_node_remove_slave(n->slaveof, n);
        n->slaveof = master;
        cluster_node_add_slave(master, n);
    }
    n->flags &= ~(NODE_PFAIL | NODE_HANDSHAKE);   /* as Redis: PFAIL is re-detected */
    for (int j = 8; j < argc; j++)
        if (parse_slot_token(n, argv[j]) < 0) return -1;
    return 0;
}

/* 1 if loaded, 0 if the file does not exist or is empty, -1 if it is corrupt. */
static int load_config(const char *path) {
    FILE *f = fopen(path, "r");
    if (!f) return errno == ENOENT ? 0 : -1;
    size_t cap = 1 << 16;
    char *line = kmalloc(cap);
    int ret = 0, lines = 0;
    for (;;) {
        size_t len = 0;
        int ch;
        while ((ch = fgetc(f)) != EOF && ch != '\n') {
            if (len + 1 == cap) line = krealloc(line, cap *= 2);
            line[len++] = (char)ch;
        }
        if (ch == EOF && len == 0) break;
        line[len] = '\0';
        lines++;
        if (load_line(line) < 0) {
            ret = -1;
            break;
        }
    }
    kfree(line);
    fclose(f);
    if (ret < 0) return -1;
    if (lines == 0) return 0;
    return cluster.myself ? 1 : -1;
}

/* ---------------------------------------------------------------- state */

void cluster_update_state(void) {
    long long now = mstime();
    cluster.todo &= ~CLUSTER_TODO_UPDATE_STATE;
    if (!first_state_update_ms) first_state_update_ms = now;
    /* Only a master waits (as Redis): a replica serves reads at once. */
    if ((cluster.myself->flags & NODE_MASTER) && cluster.state == CLUSTER_FAIL &&
        now - first_state_update_ms < CLUSTER_WRITABLE_DELAY)
        return;
    int new_state = CLUSTER_OK;
    if (server.cluster_require_full_coverage)
        for (int s = 0; s < CLUSTER_SLOTS; s++)
            if (!cluster.slots[s] || (cluster.slots[s]->flags & NODE_FAIL)) {
                new_state = CLUSTER_FAIL;
                break;
            }
    int reachable = 0;
    cluster.size = 0;
    for (int i = 0; i < cluster.nnodes; i++) {
        clusterNode *n = cluster.nodes[i];
        if (!(n->flags & NODE_MASTER) || !n->numslots) continue;
        cluster.size++;
        if (!(n->flags & (NODE_FAIL | NODE_PFAIL))) reachable++;
    }
    if (reachable < cluster.size / 2 + 1) {
        new_state = CLUSTER_FAIL;
        among_minority_ms = now;
    }
    if (new_state == cluster.state) return;
    /* A master back from a minority partition waits for configuration updates first. */
    long long rejoin = server.cluster_node_timeout < 500 ? 500 : server.cluster_node_timeout > 5000 ? 5000
                                                                                                  : server.cluster_node_timeout;
    if (new_state == CLUSTER_OK && (cluster.myself->flags & NODE_MASTER) && now - among_minority_ms < rejoin) return;
    log_msg(LL_WARNING, "Cluster state changed: %s", new_state == CLUSTER_OK ? "ok" : "fail");
    cluster.state = new_state;
}

void cluster_update_myself_announced(void) {
    clusterNode *me = cluster.myself;
    /* Redis's deriveAnnouncedPorts. With tls-cluster a node announces its tls-port as its port
     * and its plain port as pport (what clients that are not on TLS are shown), and the bus
     * is on tls-port + 10000. cluster-announce-tls-port overrides the port then, and
     * cluster-announce-port the pport (0 when unset: such clients are shown the TLS port);
     * without tls-cluster cluster-announce-port overrides the port and the TLS one is unused. */
    int base = server.tls_cluster ? server.tls_port : server.port;
    me->port = base;
    me->pport = server.tls_cluster ? server.port : 0;
    if (server.tls_cluster && server.cluster_announce_tls_port) {
        me->port = server.cluster_announce_tls_port;
        me->pport = server.cluster_announce_port;
    } else if (server.cluster_announce_port) {
        me->port = server.cluster_announce_port;
    }
    me->cport = server.cluster_announce_bus_port ? server.cluster_announce_bus_port
                : server.cluster_port                ? server.cluster_port
                                                     : base + CLUSTER_PORT_INCR;
    const char *host = server.cluster_announce_hostname ? server.cluster_announce_hostname : "";
    snprintf(me->hostname, sizeof(me->hostname), "%s", host);
    if (server.cluster_announce_ip && server.cluster_announce_ip[0])
        snprintf(me->ip, sizeof(me->ip), "%s", server.cluster_announce_ip);
}

void cluster_init(void) {
    cluster.state = CLUSTER_FAIL;
    cluster.size = 1;
    cluster.drop_packet_filter = -1;
    cluster.mf_master_offset = -1;
    int loaded = load_config(server.cluster_configfile);
    if (loaded < 0) {
        log_msg(LL_WARNING, "Unrecoverable error: corrupted cluster config file \"%s\".", server.cluster_configfile);
        exit(1);
    }
    if (!loaded) {
        cluster.myself = cluster_node_new(NULL, NODE_MYSELF | NODE_MASTER);
        cluster_node_add(cluster.myself);
        log_msg(LL_NOTICE, "No cluster configuration found, I'm %.40s", cluster.myself->name);
    } else {
        log_msg(LL_NOTICE, "Node configuration loaded, I'm %.40s", cluster.myself->name);
    }
    if (cluster_save_config() < 0) {
        log_msg(LL_WARNING, "Fatal: can't update cluster config file.");
        exit(1);
    }
    cluster_update_myself_announced();
    /* A replica in nodes.conf starts as a replica, as with replicaof in the config file: the
     * data loaded next keeps keys its primary has not deleted yet (even expired ones, Redis's
     * iAmMaster()), nothing expires them here, and repl_init() resumes the saved replication
     * id and connects. nodes.conf decides: a replicaof line (CONFIG REWRITE) is overridden. */
    clusterNode *me = cluster.myself;
    kfree(server.masterhost);
    server.masterhost = NULL;
    server.masterport = 0;
    if ((me->flags & NODE_SLAVE) && me->slaveof && me->slaveof->ip[0] && !(me->slaveof->flags & NODE_NOADDR)) {
        server.masterhost = kstrdup(me->slaveof->ip);
        server.masterport = me->slaveof->port;
    }
    if (bus_listen() < 0) exit(1);
    db_count_slots(db_by_id(0));
    cluster_cmd_install();
    pubsub_propagate = bus_propagate_publish;
    pubsub_propagate_shard = bus_propagate_publish_shard;
    cluster_todo(CLUSTER_TODO_UPDATE_STATE);
}

int cluster_verify_data(void) {
    if (cluster.myself->flags & NODE_SLAVE) return 0;   /* a replica's data is its primary's */
    for (int i = 1; i < db_count(); i++)
        if (db_size(db_by_id(i))) return -1;
    kdb *db = db_by_id(0);
    int changed = 0;
    for (int slot = 0; slot < CLUSTER_SLOTS; slot++) {
        if (!db_slot_size(db, slot) || cluster.slots[slot] == cluster.myself || cluster.importing_from[slot])
            continue;
        changed = 1;
        if (!cluster.slots[slot]) {
            log_msg(LL_WARNING, "I have keys for unassigned slot %d. Taking responsibility for it.", slot);
            cluster_add_slot(cluster.myself, slot);
        } else {
            log_msg(LL_WARNING, "I have keys for slot %d, but the slot is assigned to another node. "
                                "Setting it to importing state.", slot);
            cluster.importing_from[slot] = cluster.slots[slot];
        }
    }
    if (changed && cluster_save_config() < 0) {
        log_msg(LL_WARNING, "Fatal: can't update cluster config file.");
        exit(1);
    }
    if (changed) cluster_todo(CLUSTER_TODO_UPDATE_STATE);
    return 0;
}

void cluster_cron(void) {
    cluster_update_myself_announced();   /* cluster-announce-* may have changed */
    bus_cron();
    /* cluster-replica-no-failover shows as my nofailover flag (Redis's clusterUpdateMyselfFlags). */
    clusterNode *me = cluster.myself;
    int nofailover = server.cluster_replica_no_failover ? NODE_NOFAILOVER : 0;
    if ((me->flags & NODE_NOFAILOVER) != nofailover) {
        me->flags = (me->flags & ~NODE_NOFAILOVER) | nofailover;
        cluster_todo(CLUSTER_TODO_SAVE_CONFIG);
    }
    /* A replica whose replication is off (start-up, an address learnt late) turns it on. */
    if ((me->flags & NODE_SLAVE) && !server.masterhost && me->slaveof && me->slaveof->ip[0] &&
        !(me->slaveof->flags & NODE_NOADDR))
        repl_cluster_set_primary(me->slaveof->ip, me->slaveof->port);
    failover_cron();
    cluster_update_state();
    cluster_redirect_blocked_clients();
}

void cluster_before_sleep(void) {
    failover_before_sleep();
    if (cluster.todo & CLUSTER_TODO_UPDATE_STATE) cluster_update_state();
    if ((cluster.todo & CLUSTER_TODO_SAVE_CONFIG) && cluster_save_config() < 0)
        log_msg(LL_WARNING, "Error writing the cluster config file: %s", strerror(errno));
}
