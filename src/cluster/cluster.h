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
 * Replicas: a replica node has NODE_SLAVE, slaveof its primary, and is in that primary's
 * slaves[] (n->slaveof == m iff n is in m->slaves). Myself as a replica follows myself->slaveof
 * through src/repl (repl_cluster_set_primary). Elections, automatic and manual failover and
 * replica migration are in failover.c. */
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
    struct tlsConn *tls;        /* tls-cluster: the link's TLS session (core/tls.c), else NULL */
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
    struct clusterNode *slaveof;    /* a replica's primary, NULL if unknown or a primary */
    struct clusterNode **slaves;    /* a primary's replicas */
    int nslaves;
    long long repl_offset;          /* the offset its last message carried */
    long long voted_time;           /* a primary: when we last voted for one of its replicas */
    long long orphaned_time;        /* a primary: since when it has no working replica */
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
    /* Election of myself as a replica (failover.c). */
    long long failover_auth_time;   /* when the election starts or started */
    int failover_auth_count;        /* votes received */
    int failover_auth_sent;         /* the request is out */
    int failover_auth_rank;
    uint64_t failover_auth_epoch;
    int cant_failover_reason;       /* the last reason logged */
    long long cant_failover_logged;
    /* Manual failover (CLUSTER FAILOVER): on both the replica and its primary. */
    long long mf_end;               /* 0: none in progress */
    struct clusterNode *mf_slave;   /* primary side: the replica that asked */
    long long mf_master_offset;     /* replica side: the paused primary's offset, -1 unknown */
    int mf_can_start;               /* replica side: caught up, the election may start */
} clusterState;

#define CLUSTER_TODO_UPDATE_STATE 1
#define CLUSTER_TODO_SAVE_CONFIG 2
#define CLUSTER_TODO_HANDLE_FAILOVER 4

/* Bus message flags (mflags[0]). */
#define MFLAG0_PAUSED 1     /* the primary paused writes for a manual failover */
#define MFLAG0_FORCEACK 2   /* vote even though the primary is not failed (manual failover) */

extern clusterState cluster;

/* ---- cluster.c ---- */

/* Start-up with cluster-enabled: loads or creates cluster-config-file (exits if it is locked
 * by nothing but unreadable or corrupt, as Redis), opens the bus port, installs the dispatch
 * hook. */
void cluster_init(void);
/* After the data set is loaded at start-up, as Redis's verifyClusterConfigWithData: a primary
 * takes the unassigned slots it has keys in, and marks those it has keys in but another node
 * owns as importing from that node (both logged; nodes.conf saved). -1 if a database other
 * than 0 holds keys (the caller exits). A replica checks nothing. */
int cluster_verify_data(void);
/* Myself's ports and hostname from cluster-announce-* (the cron, and the CLUSTER replies that
 * show myself, so a CONFIG SET shows at once as in Redis). */
void cluster_update_myself_announced(void);
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
void cluster_node_add_slave(clusterNode *master, clusterNode *slave);
void cluster_node_remove_slave(clusterNode *master, clusterNode *slave);
void cluster_set_node_as_master(clusterNode *n);   /* a node became a primary (gossip, failover) */
void cluster_del_node_slots(clusterNode *n);
/* Myself becomes a replica of n (which must not be myself; my slots are gone): open slots are
 * closed and replication follows n. */
void cluster_set_my_primary(clusterNode *n);
/* My replication offset: of the stream I apply as a replica, of the stream I produce as a
 * primary. */
long long cluster_my_offset(void);
int cluster_count_ok_slaves(const clusterNode *n);   /* replicas neither FAIL nor PFAIL */

/* ---- bus.c ---- */

int bus_listen(void);                      /* 0, or -1 (logged) */
void bus_cron(void);                       /* connects, pings, failure detection */
/* CLUSTER MEET: starts a handshake with ip:port@cport. 0, or -1 with errno EINVAL. */
int bus_start_handshake(const char *ip, int port, int cport);
void bus_link_free(clusterLink *link);
/* A PONG to every node, or (local_slaves) only to the other replicas of my primary. */
void bus_broadcast_pong(int local_slaves);
void bus_broadcast_fail(clusterNode *n);
void bus_send_ping(clusterNode *n);           /* a PING on n's link, if it has one */
void bus_request_failover_auth(void);         /* FAILOVER_AUTH_REQUEST to all (FORCEACK in a manual failover) */
void bus_send_mfstart(clusterNode *master);
void bus_send_failover_ack(clusterNode *n);   /* FAILOVER_AUTH_ACK: our vote */
/* PUBLISH to the other nodes (pubsub_propagate). */
void bus_propagate_publish(const char *channel, size_t clen, const char *msg, size_t mlen);
/* PUBLISHSHARD to the other nodes of my shard (pubsub_propagate_shard). */
void bus_propagate_publish_shard(const char *channel, size_t clen, const char *msg, size_t mlen);
int bus_failure_reports(clusterNode *n);   /* valid reports, expired ones dropped */
void bus_links_reply(client *c);          /* CLUSTER LINKS */

/* ---- failover.c ---- */

void failover_cron(void);                  /* elections, manual failover timeouts, replica migration */
void failover_before_sleep(void);
/* A FAILOVER_AUTH_REQUEST from node: our vote, if it may have one (Redis's rules). */
void failover_vote(clusterNode *node, uint64_t req_current_epoch, uint64_t req_config_epoch,
                   const unsigned char *claimed_slots, int force_ack);
void failover_ack_received(clusterNode *sender, uint64_t sender_current_epoch);
void failover_mfstart_received(clusterNode *sender);
void failover_master_offset(clusterNode *sender, long long offset, int paused);
void failover_reset_manual(void);
/* Myself, a replica, takes my primary's slots now (election won, TAKEOVER). */
void failover_replace_my_master(void);
/* CLUSTER FAILOVER [FORCE|TAKEOVER]: NULL, or the error to reply. */
const char *failover_manual_start(int force, int takeover);

#endif
