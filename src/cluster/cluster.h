/* cluster.h - Redis Cluster: the node table, slot ownership, nodes.conf, the CLUSTER command,
 * redirections (-MOVED, -ASK, -CROSSSLOT, -TRYAGAIN, -CLUSTERDOWN) and the cluster bus
 * (bus.c), binary compatible with Redis 7.0's, so Keel and redis-server nodes form one cluster.
 *
 * State (one clusterState, `cluster`): the nodes this node knows, myself among them; for each
 * of the 16384 slots its owner, and the node it is migrating to / importing from. Invariants:
 * slots[s] == n iff bit s of n->slots is set, and n->numslots counts those bits; a node is in
 * the table at most once (by name); every link belongs to exactly one node or is an inbound
 * link not yet identified (link->node NULL). Keys per slot are counted by the keyspace itself
 * (db_count_slots, keyspace/db.h), so nothing here points into the keyspace.
 *
 * Not built yet (they need replication): replicas, elections, automatic and manual failover,
 * replica migration. The node flags, the header's slaveof field and FAILOVER_AUTH_* types are
 * kept as Redis defines them so that they can be added. */
#ifndef KEEL_CLUSTER_H
#define KEEL_CLUSTER_H

#include <stdint.h>

#include "server.h"
#include "util/crc16.h"

#define CLUSTER_NAMELEN 40
#define CLUSTER_PORT_INCR 10000
#define CLUSTER_IPLEN 46
#define CLUSTER_OK 0
#define CLUSTER_FAIL 1

/* Node flags: Redis's bits, as carried in bus messages. */
#define NODE_MASTER 1
#define NODE_SLAVE 2
#define NODE_PFAIL 4
#define NODE_FAIL 8
#define NODE_MYSELF 16
#define NODE_HANDSHAKE 32
#define NODE_NOADDR 64
#define NODE_MEET 128
#define NODE_MIGRATE_TO 256
#define NODE_NOFAILOVER 512

/* Bus message types (Redis's numbers). */
enum {
    MSG_PING, MSG_PONG, MSG_MEET, MSG_FAIL, MSG_PUBLISH, MSG_AUTH_REQUEST, MSG_AUTH_ACK, MSG_UPDATE,
    MSG_MFSTART, MSG_MODULE, MSG_PUBLISHSHARD, MSG_TYPE_COUNT
};

typedef struct clusterLink {
    int fd;
    int connecting;             /* outbound, connect() not completed yet */
    int inbound;
    long long ctime;
    unsigned char *sndbuf;
    size_t snd_len, snd_cap;
    unsigned char *rcvbuf;
    size_t rcv_len, rcv_cap;
    struct clusterNode *node;   /* NULL: inbound, sender not known yet */
} clusterLink;

typedef struct failReport {
    struct clusterNode *node;   /* the reporting master */
    long long time;
} failReport;

typedef struct clusterNode {
    char name[CLUSTER_NAMELEN];
    int flags;
    uint64_t config_epoch;
    unsigned char slots[CLUSTER_SLOTS / 8];
    int numslots;
    long long ctime, ping_sent, pong_received, data_received, fail_time;
    char ip[CLUSTER_IPLEN];
    char hostname[256];
    int port, pport, cport;
    clusterLink *link;          /* outbound link to it */
    clusterLink *inbound_link;  /* link it opened to us */
    failReport *reports;
    int nreports;
} clusterNode;

typedef struct clusterState {
    clusterNode *myself;
    uint64_t current_epoch, last_vote_epoch;
    int state;
    int size;                   /* masters with at least one slot */
    clusterNode **nodes;
    int nnodes, nodes_cap;
    clusterNode *slots[CLUSTER_SLOTS];
    clusterNode *migrating_to[CLUSTER_SLOTS];
    clusterNode *importing_from[CLUSTER_SLOTS];
    long long stats_sent[MSG_TYPE_COUNT], stats_received[MSG_TYPE_COUNT];
    int todo;                   /* CLUSTER_TODO_* for before-sleep */
    long long state_changed_ms; /* when the state was last computed as changing */
    int listen_fd[2];
    int nlisten;
    struct { char name[CLUSTER_NAMELEN]; long long until; } *blacklist;  /* FORGET */
    int nblacklist;
    long long stat_links_buffer_limit_exceeded;
    long long drop_packet_filter;   /* DEBUG DROP-CLUSTER-PACKET-FILTER: message type dropped, -1 none */
} clusterState;

#define CLUSTER_TODO_UPDATE_STATE 1
#define CLUSTER_TODO_SAVE_CONFIG 2

extern clusterState cluster;

/* ---- cluster.c ---- */

/* Start-up with cluster-enabled: loads or creates cluster-config-file (exits if it is locked
 * by nothing but unreadable or corrupt, as Redis), opens the bus port, installs the dispatch
 * hook. */
void cluster_init(void);
void cluster_cron(void);          /* 10 times a second */
void cluster_before_sleep(void);
clusterNode *cluster_lookup(const char *name, size_t len);
clusterNode *cluster_node_new(const char *name, int flags);   /* random name if NULL */
void cluster_node_add(clusterNode *n);
void cluster_node_delete(clusterNode *n);
void cluster_node_rename(clusterNode *n, const char *name);
int cluster_add_slot(clusterNode *n, int slot);       /* 0, or -1 if the slot has an owner */
int cluster_del_slot(int slot);
int cluster_node_has_slot(const clusterNode *n, int slot);
void cluster_todo(int flags);
int cluster_save_config(void);
/* The preferred endpoint of a node for redirections and CLUSTER SLOTS. */
const char *cluster_endpoint(const clusterNode *n);
void cluster_update_state(void);
uint64_t cluster_max_epoch(void);
int cluster_bump_epoch_without_consensus(void);
void cluster_blacklist_add(const clusterNode *n);
int cluster_blacklisted(const char *name);

/* ---- bus.c ---- */

int bus_listen(void);                      /* 0, or -1 (logged) */
void bus_cron(void);                       /* connects, pings, failure detection */
/* CLUSTER MEET: starts a handshake with ip:port@cport. 0, or -1 with errno EINVAL. */
int bus_start_handshake(const char *ip, int port, int cport);
void bus_link_free(clusterLink *link);
void bus_broadcast_pong(void);
void bus_broadcast_fail(clusterNode *n);
/* PUBLISH to the other nodes (pubsub_propagate). */
void bus_propagate_publish(const char *channel, size_t clen, const char *msg, size_t mlen);
int bus_failure_reports(clusterNode *n);   /* valid reports, expired ones dropped */
void bus_links_reply(client *c);          /* CLUSTER LINKS */

#endif
