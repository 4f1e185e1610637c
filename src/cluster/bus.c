/* bus.c - the cluster bus: Redis 7.0's binary protocol between nodes (port + 10000).
 *
 * Every message starts with Redis's 2256-byte header, all integers in network byte order:
 *   0 "RCmb", 4 totlen u32, 8 ver u16 (1), 10 port u16, 12 type u16, 14 count u16,
 *   16 currentEpoch u64, 24 configEpoch u64, 32 offset u64, 40 sender[40], 80 myslots[2048],
 *   2128 slaveof[40], 2168 myip[46], 2214 extensions u16, 2216 unused[30], 2246 pport u16,
 *   2248 cport u16, 2250 flags u16, 2252 state u8, 2253 mflags[3]
 * then the body: PING/PONG/MEET, `count` gossip entries of 104 bytes (name[40], ping_sent u32,
 * pong_received u32, ip[46], port u16, cport u16, flags u16, pport u16, unused u16) and, with
 * mflags[0] bit 2, `extensions` ping extensions (length u32 multiple of 8, type u16, unused u16,
 * data; type 0 is the NUL-terminated hostname); FAIL a node name; PUBLISH and PUBLISHSHARD channel_len u32,
 * message_len u32, then both; UPDATE configEpoch u64, node name, slots bitmap;
 * FAILOVER_AUTH_REQUEST/ACK and MFSTART the header alone (failover.c decides on them). A
 * replica's header carries its primary's slots, config epoch and name (slaveof).
 * Messages are built and parsed byte by byte (no struct overlays), so a malformed one from the
 * network is only ever read within its received length; one with a wrong signature or length
 * closes the link.
 *
 * Links: each known node gets an outbound link that the cron (re)connects; nodes connect to us
 * on inbound links, identified by the first message's sender. A node met by CLUSTER MEET starts
 * in handshake with a random name, replaced by its real name at its first PONG; a node learnt
 * from a known node's gossip is added under its real name at once.
 * Failure detection: a node that answers no PING for node-timeout is PFAIL; when a majority of
 * the masters serving slots report it PFAIL or FAIL in their gossip, it is FAIL, and a FAIL
 * message tells everyone. Slot ownership: a master's PING/PONG claims its slots with its config
 * epoch; the higher epoch wins, and a node that claims a slot with a stale epoch gets an UPDATE.
 * Two masters with the same epoch: the one with the smaller name takes a new one. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cluster/cluster.h"
#include "core/event.h"
#include "core/pubsub.h"
#include "core/tls.h"
#include "keyspace/db.h"
#include "protocol/reply.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/util.h"

#define HDR_LEN 2256
#define GOSSIP_LEN 104
#define OFF_TOTLEN 4
#define OFF_VER 8
#define OFF_PORT 10
#define OFF_TYPE 12
#define OFF_COUNT 14
#define OFF_CUR_EPOCH 16
#define OFF_CFG_EPOCH 24
#define OFF_OFFSET 32
#define OFF_SENDER 40
#define OFF_MYSLOTS 80
#define OFF_SLAVEOF 2128
#define OFF_MYIP 2168
#define OFF_EXTENSIONS 2214
#define OFF_PPORT 2246
#define OFF_CPORT 2248
#define OFF_FLAGS 2250
#define OFF_STATE 2252
#define OFF_MFLAGS 2253
#define MFLAG0_EXT_DATA 4
#define EXT_HOSTNAME 0
#define MAX_MSG_LEN (512 * 1024 * 1024)   /* a PUBLISH carries a whole message */
#define RCVBUF_STEP (1024 * 1024)

/* ---------------------------------------------------------------- byte order */

static void put16(unsigned char *p, uint16_t v) {
    p[0] = (unsigned char)(v >> 8);
    p[1] = (unsigned char)v;
}

static void put32(unsigned char *p, uint32_t v) {
    for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (24 - 8 * i));
}

static void put64(unsigned char *p, uint64_t v) {
    for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (56 - 8 * i));
}

static uint16_t get16(const unsigned char *p) {
    return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const unsigned char *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t get64(const unsigned char *p) {
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v = v << 8 | p[i];
    return v;
}

/* A fixed-size text field of the wire (ip, hostname) as a C string of at most cap-1 bytes. */
static void get_text(char *out, size_t cap, const unsigned char *p, size_t field) {
    size_t n = 0;
    while (n < field && n + 1 < cap && p[n]) n++;
    memcpy(out, p, n);
    out[n] = '\0';
}

/* ---------------------------------------------------------------- links */

static clusterLink *link_new(int fd, clusterNode *node, int inbound);
static void link_read_handler(eventLoop *el, int fd, void *data, int mask);
static void tls_link_handler(eventLoop *el, int fd, void *data, int mask);

static int set_nonblock(int fd) {
    int flags = fcntl(fd, F_GETFL);
    return flags < 0 ? -1 : fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

/* The listening sockets: the IPv4 addresses of `bind` ("*" is every interface). */
int bus_listen(void) {
    int base = server.tls_cluster ? server.tls_port : server.port;   /* as Redis */
    int port = server.cluster_port ? server.cluster_port : base + CLUSTER_PORT_INCR;
    for (int i = 0; i < server.bindaddr_count && cluster.nlisten < 2; i++) {
        const char *host = server.bindaddr[i];
        if (host[0] == '-') host++;
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
        if (strcmp(host, "*") == 0)
            sa.sin_addr.s_addr = htonl(INADDR_ANY);
        else if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
            continue;   /* IPv6 and names: not on the bus */
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), yes = 1;
        if (fd < 0) continue;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
        if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 511) < 0 || set_nonblock(fd) < 0) {
            log_msg(LL_WARNING, "Warning: Could not create server TCP listening socket %s:%d: %s", host, port,
                    strerror(errno));
            close(fd);
            /* Redis's words: its test suite looks for them to retry with other ports. */
            log_msg(LL_WARNING, "Failed listening on port %d (cluster), aborting.", port);
            return -1;
        }
        cluster.listen_fd[cluster.nlisten++] = fd;
    }
    if (!cluster.nlisten) {
        log_msg(LL_WARNING, "Could not open the cluster bus port %d", port);
        return -1;
    }
    for (int i = 0; i < cluster.nlisten; i++) {
        int lfd = cluster.listen_fd[i];
        el_add(server.el, lfd, EL_READABLE, link_read_handler, NULL);
    }
    return 0;
}

static void accept_links(int lfd) {
    for (int i = 0; i < 100; i++) {
        int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd < 0) return;
        int yes = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof(yes));
        if (!link_new(fd, NULL, 1)) close(fd);
    }
}

void bus_link_free(clusterLink *link) {
    if (link->node) {
        if (link->node->link == link) link->node->link = NULL;
        if (link->node->inbound_link == link) link->node->inbound_link = NULL;
    }
    el_del(server.el, link->fd, EL_READABLE | EL_WRITABLE);
    if (link->tls) tls_link_free(link->tls);
    close(link->fd);
    kfree(link->sndbuf);
    kfree(link->rcvbuf);
    kfree(link);
}

static void link_write_handler(eventLoop *el, int fd, void *data, int mask) {
    (void)el;
    (void)fd;
    (void)mask;
    clusterLink *link = data;
    if (link->connecting) {
        int err = 0;
        socklen_t len = sizeof(err);
        if (getsockopt(link->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err) {
            bus_link_free(link);
            return;
        }
        link->connecting = 0;
    }
    while (link->snd_len) {
        ssize_t w = write(link->fd, link->sndbuf, link->snd_len);
        if (w < 0 && (errno == EAGAIN || errno == EINTR)) return;
        if (w <= 0) {
            bus_link_free(link);
            return;
        }
        memmove(link->sndbuf, link->sndbuf + w, link->snd_len - (size_t)w);
        link->snd_len -= (size_t)w;
    }
    el_del(server.el, link->fd, EL_WRITABLE);
}

static void link_send(clusterLink *link, const unsigned char *msg, size_t len) {
    if (link->snd_len + len > link->snd_cap) {
        link->snd_cap = (link->snd_len + len) * 2;
        link->sndbuf = krealloc(link->sndbuf, link->snd_cap);
    }
    if (link->snd_len == 0)
        el_add(server.el, link->fd, EL_WRITABLE, link->tls ? tls_link_handler : link_write_handler, link);
    memcpy(link->sndbuf + link->snd_len, msg, len);
    link->snd_len += len;
    int type = get16(msg + OFF_TYPE);
    if (type < MSG_TYPE_COUNT) cluster.stats_sent[type]++;
}

/* With tls-cluster the link is a TLS session from the start (an inbound one requires the
 * peer's certificate, as Redis's bus); NULL when TLS is not configured (the caller closes fd). */
static clusterLink *link_new(int fd, clusterNode *node, int inbound) {
    struct tlsConn *tls = NULL;
    if (server.tls_cluster) {
        tls = inbound ? tls_link_accept(fd) : tls_link_connect(fd);
        if (!tls) {
            log_msg(LL_WARNING, "Cluster bus link over TLS: TLS is not configured");
            return NULL;
        }
    }
    clusterLink *link = kcalloc(sizeof(*link));
    link->fd = fd;
    link->node = node;
    link->inbound = inbound;
    link->ctime = mstime();
    link->tls = tls;
    el_add(server.el, fd, EL_READABLE, tls ? tls_link_handler : link_read_handler, link);
    return link;
}

/* ---------------------------------------------------------------- messages out */

/* The header as Redis builds it: a replica announces its primary's slots and config epoch, and
 * its primary's name in slaveof; offset is the replication offset. */
static unsigned char *msg_new(int type, size_t body) {
    unsigned char *m = kcalloc(HDR_LEN + body);
    clusterNode *me = cluster.myself;
    clusterNode *master = ((me->flags & NODE_SLAVE) && me->slaveof) ? me->slaveof : me;
    memcpy(m, "RCmb", 4);
    put32(m + OFF_TOTLEN, (uint32_t)(HDR_LEN + body));
    put16(m + OFF_VER, 1);
    put16(m + OFF_PORT, (uint16_t)me->port);
    put16(m + OFF_TYPE, (uint16_t)type);
    put64(m + OFF_CUR_EPOCH, cluster.current_epoch);
    put64(m + OFF_CFG_EPOCH, master->config_epoch);
    put64(m + OFF_OFFSET, (uint64_t)cluster_my_offset());
    memcpy(m + OFF_SENDER, me->name, CLUSTER_NAMELEN);
    memcpy(m + OFF_MYSLOTS, master->slots, sizeof(master->slots));
    if (me->slaveof) memcpy(m + OFF_SLAVEOF, me->slaveof->name, CLUSTER_NAMELEN);
    if (server.cluster_announce_ip && server.cluster_announce_ip[0])
        memcpy(m + OFF_MYIP, server.cluster_announce_ip, strnlen(server.cluster_announce_ip, CLUSTER_IPLEN - 1));
    put16(m + OFF_PPORT, (uint16_t)me->pport);
    put16(m + OFF_CPORT, (uint16_t)me->cport);
    put16(m + OFF_FLAGS, (uint16_t)me->flags);
    m[OFF_STATE] = (unsigned char)cluster.state;
    if ((me->flags & NODE_MASTER) && cluster.mf_end) m[OFF_MFLAGS] |= MFLAG0_PAUSED;
    return m;
}

static void gossip_entry(unsigned char *g, const clusterNode *n) {
    memcpy(g, n->name, CLUSTER_NAMELEN);
    put32(g + 40, (uint32_t)(n->ping_sent / 1000));
    put32(g + 44, (uint32_t)(n->pong_received / 1000));
    memcpy(g + 48, n->ip, strnlen(n->ip, CLUSTER_IPLEN - 1));
    put16(g + 94, (uint16_t)n->port);
    put16(g + 96, (uint16_t)n->cport);
    put16(g + 98, (uint16_t)n->flags);
    put16(g + 100, (uint16_t)n->pport);
}

/* Whether n may be gossiped about: not myself, not in handshake, with an address, and either
 * connected or serving slots (Redis's rule). */
static int gossipable(const clusterNode *n) {
    if (n == cluster.myself || (n->flags & (NODE_HANDSHAKE | NODE_NOADDR))) return 0;
    return n->link || n->numslots;
}

/* PING, PONG or MEET: a tenth of the known nodes (at least 3) at random, plus every PFAIL
 * node, as gossip; the hostname extension when we announce one. */
static void send_ping(clusterLink *link, int type) {
    int wanted = cluster.nnodes / 10 < 3 ? 3 : cluster.nnodes / 10;
    clusterNode **pick = kmalloc(sizeof(clusterNode *) * (size_t)(cluster.nnodes + 1));
    int npick = 0;
    int start = cluster.nnodes ? (int)(rand64() % (uint64_t)cluster.nnodes) : 0;
    for (int k = 0; k < cluster.nnodes; k++) {
        clusterNode *n = cluster.nodes[(start + k) % cluster.nnodes];
        if (!gossipable(n) || link->node == n) continue;
        if ((n->flags & NODE_PFAIL) || npick < wanted) pick[npick++] = n;
    }
    size_t hlen = strlen(cluster.myself->hostname);
    size_t ext = hlen ? ((8 + hlen + 1 + 7) / 8) * 8 : 0;
    size_t body = (size_t)npick * GOSSIP_LEN + ext;
    unsigned char *m = msg_new(type, body);
    for (int i = 0; i < npick; i++) gossip_entry(m + HDR_LEN + (size_t)i * GOSSIP_LEN, pick[i]);
    put16(m + OFF_COUNT, (uint16_t)npick);
    if (hlen) {
        unsigned char *e = m + HDR_LEN + (size_t)npick * GOSSIP_LEN;
        put32(e, (uint32_t)ext);
        put16(e + 4, EXT_HOSTNAME);
        memcpy(e + 8, cluster.myself->hostname, hlen);
        m[OFF_MFLAGS] |= MFLAG0_EXT_DATA;
        put16(m + OFF_EXTENSIONS, 1);
    }
    if (!link->inbound && type == MSG_PING && link->node) link->node->ping_sent = mstime();
    link_send(link, m, HDR_LEN + body);
    kfree(m);
    kfree(pick);
}

static void broadcast(const unsigned char *m, size_t len) {
    for (int i = 0; i < cluster.nnodes; i++) {
        clusterNode *n = cluster.nodes[i];
        if (n->link && !(n->flags & (NODE_MYSELF | NODE_HANDSHAKE))) link_send(n->link, m, len);
    }
}

void bus_broadcast_pong(int local_slaves) {
    clusterNode *me = cluster.myself;
    for (int i = 0; i < cluster.nnodes; i++) {
        clusterNode *n = cluster.nodes[i];
        if (!n->link || (n->flags & (NODE_MYSELF | NODE_HANDSHAKE))) continue;
        if (local_slaves && !((n->flags & NODE_SLAVE) && n->slaveof && n->slaveof == me->slaveof)) continue;
        send_ping(n->link, MSG_PONG);
    }
}

void bus_send_ping(clusterNode *n) {
    if (n->link) send_ping(n->link, MSG_PING);
}

void bus_request_failover_auth(void) {
    unsigned char *m = msg_new(MSG_AUTH_REQUEST, 0);
    if (cluster.mf_end) m[OFF_MFLAGS] |= MFLAG0_FORCEACK;
    broadcast(m, HDR_LEN);
    kfree(m);
}

void bus_send_failover_ack(clusterNode *n) {
    if (!n->link) return;
    unsigned char *m = msg_new(MSG_AUTH_ACK, 0);
    link_send(n->link, m, HDR_LEN);
    kfree(m);
}

void bus_send_mfstart(clusterNode *master) {
    if (!master->link) return;
    unsigned char *m = msg_new(MSG_MFSTART, 0);
    link_send(master->link, m, HDR_LEN);
    kfree(m);
}

void bus_broadcast_fail(clusterNode *failing) {
    unsigned char *m = msg_new(MSG_FAIL, CLUSTER_NAMELEN);
    memcpy(m + HDR_LEN, failing->name, CLUSTER_NAMELEN);
    broadcast(m, HDR_LEN + CLUSTER_NAMELEN);
    kfree(m);
}

static void send_update(clusterLink *link, const clusterNode *owner) {
    size_t body = 8 + CLUSTER_NAMELEN + CLUSTER_SLOTS / 8;
    unsigned char *m = msg_new(MSG_UPDATE, body);
    put64(m + HDR_LEN, owner->config_epoch);
    memcpy(m + HDR_LEN + 8, owner->name, CLUSTER_NAMELEN);
    memcpy(m + HDR_LEN + 48, owner->slots, CLUSTER_SLOTS / 8);
    link_send(link, m, HDR_LEN + body);
    kfree(m);
}

static unsigned char *publish_msg(int type, const char *channel, size_t clen, const char *msg, size_t mlen) {
    unsigned char *m = msg_new(type, 8 + clen + mlen);
    put32(m + HDR_LEN, (uint32_t)clen);
    put32(m + HDR_LEN + 4, (uint32_t)mlen);
    memcpy(m + HDR_LEN + 8, channel, clen);
    memcpy(m + HDR_LEN + 8 + clen, msg, mlen);
    return m;
}

void bus_propagate_publish(const char *channel, size_t clen, const char *msg, size_t mlen) {
    unsigned char *m = publish_msg(MSG_PUBLISH, channel, clen, msg, mlen);
    broadcast(m, HDR_LEN + 8 + clen + mlen);
    kfree(m);
}

/* Redis's clusterPropagatePublish for shard channels: PUBLISHSHARD to the other nodes of my
 * shard (my primary, or myself as primary, and its replicas) that have a link. */
void bus_propagate_publish_shard(const char *channel, size_t clen, const char *msg, size_t mlen) {
    clusterNode *me = cluster.myself, *primary = (me->flags & NODE_MASTER) ? me : me->slaveof;
    if (!primary) return;
    unsigned char *m = publish_msg(MSG_PUBLISHSHARD, channel, clen, msg, mlen);
    size_t len = HDR_LEN + 8 + clen + mlen;
    for (int i = -1; i < primary->nslaves; i++) {
        clusterNode *n = i < 0 ? primary : primary->slaves[i];
        if (n->link && !(n->flags & (NODE_MYSELF | NODE_HANDSHAKE))) link_send(n->link, m, len);
    }
    kfree(m);
}

/* ---------------------------------------------------------------- handshake */

/* A bus address we can connect to: IPv4 and both ports in range; norm gets the IP's canonical
 * text. Gossip and MEET arguments come from outside, and nodes.conf stores the text. */
static int valid_bus_address(const char *ip, int port, int cport, char *norm) {
    struct in_addr a;
    if (inet_pton(AF_INET, ip, &a) != 1 || port <= 0 || port > 65535 || cport <= 0 || cport > 65535) return 0;
    inet_ntop(AF_INET, &a, norm, CLUSTER_IPLEN);
    return 1;
}

int bus_start_handshake(const char *ip, int port, int cport) {
    char norm[CLUSTER_IPLEN];
    if (!valid_bus_address(ip, port, cport, norm)) {
        errno = EINVAL;
        return -1;
    }
    for (int i = 0; i < cluster.nnodes; i++) {
        clusterNode *n = cluster.nodes[i];
        if ((n->flags & NODE_HANDSHAKE) && strcmp(n->ip, norm) == 0 && n->port == port && n->cport == cport) {
            errno = EAGAIN;
            return -1;
        }
    }
    clusterNode *n = cluster_node_new(NULL, NODE_HANDSHAKE | NODE_MEET);
    strcpy(n->ip, norm);
    n->port = port;
    n->cport = cport;
    cluster_node_add(n);
    return 0;
}

static void connect_node(clusterNode *n) {
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)n->cport)};
    if (inet_pton(AF_INET, n->ip, &sa.sin_addr) != 1) return;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) return;
    int yes = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof(yes));
    net_bind_source(fd, AF_INET);   /* bind-source-addr */
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 && errno != EINPROGRESS) {
        close(fd);
        if (!n->ping_sent) n->ping_sent = mstime();   /* unreachable counts towards PFAIL */
        return;
    }
    clusterLink *link = link_new(fd, n, 0);
    if (!link) {
        close(fd);
        return;
    }
    link->connecting = 1;
    if (link->tls) el_add(server.el, fd, EL_WRITABLE, tls_link_handler, link);   /* the connect's end */
    n->link = link;
    /* A PING at once (a MEET for a node met by CLUSTER MEET); keeps an older ping_sent so a
     * node that keeps dropping links still times out. */
    long long old_ping = n->ping_sent;
    send_ping(link, (n->flags & NODE_MEET) ? MSG_MEET : MSG_PING);
    if (old_ping) n->ping_sent = old_ping;
    n->flags &= ~NODE_MEET;
}

/* ---------------------------------------------------------------- failure detection */

static long long node_timeout(void) {
    return server.cluster_node_timeout;
}

int bus_failure_reports(clusterNode *n) {
    long long oldest = mstime() - node_timeout() * 2;
    for (int i = 0; i < n->nreports; i++)
        if (n->reports[i].time < oldest) n->reports[i--] = n->reports[--n->nreports];
    return n->nreports;
}

static void add_failure_report(clusterNode *n, clusterNode *sender) {
    for (int i = 0; i < n->nreports; i++)
        if (n->reports[i].node == sender) {
            n->reports[i].time = mstime();
            return;
        }
    n->reports = krealloc(n->reports, sizeof(failReport) * (size_t)(n->nreports + 1));
    n->reports[n->nreports++] = (failReport){sender, mstime()};
}

static void del_failure_report(clusterNode *n, clusterNode *sender) {
    for (int i = 0; i < n->nreports; i++)
        if (n->reports[i].node == sender) n->reports[i] = n->reports[--n->nreports];
}

/* PFAIL -> FAIL once the masters serving slots agree (myself included when I am one). */
static void mark_failing_if_needed(clusterNode *n) {
    int needed = cluster.size / 2 + 1;
    if (!(n->flags & NODE_PFAIL) || (n->flags & NODE_FAIL)) return;
    int failures = bus_failure_reports(n);
    if (cluster.myself->flags & NODE_MASTER) failures++;
    if (failures < needed) return;
    log_msg(LL_NOTICE, "Marking node %.40s as failing (quorum reached).", n->name);
    n->flags &= ~NODE_PFAIL;
    n->flags |= NODE_FAIL;
    n->fail_time = mstime();
    bus_broadcast_fail(n);
    cluster_todo(CLUSTER_TODO_UPDATE_STATE | CLUSTER_TODO_SAVE_CONFIG);
}

/* A FAIL node that is reachable again: at once without slots, after 2 node timeouts with. */
static void clear_failure_if_needed(clusterNode *n) {
    long long now = mstime();
    if (!(n->flags & NODE_FAIL)) return;
    if ((n->flags & NODE_SLAVE) || n->numslots == 0 || now - n->fail_time > node_timeout() * 2) {
        log_msg(LL_NOTICE, "Clear FAIL state for node %.40s: is reachable again.", n->name);
        n->flags &= ~NODE_FAIL;
        cluster_todo(CLUSTER_TODO_UPDATE_STATE | CLUSTER_TODO_SAVE_CONFIG);
    }
}

static long long cron_calls;

void bus_cron(void) {
    long long now = mstime(), timeout = node_timeout();
    long long handshake_timeout = timeout < 1000 ? 1000 : timeout;
    cron_calls++;
    for (int i = 0; i < cluster.nnodes; i++) {
        clusterNode *n = cluster.nodes[i];
        if (n == cluster.myself || (n->flags & NODE_NOADDR)) continue;
        if ((n->flags & NODE_HANDSHAKE) && now - n->ctime > handshake_timeout) {
            cluster_node_delete(n);
            i--;
            continue;
        }
        if (!n->link) connect_node(n);
    }
    /* Once a second, ping the node of 5 random ones whose PONG is oldest. */
    if (cron_calls % 10 == 0 && cluster.nnodes > 1) {
        clusterNode *oldest = NULL;
        for (int k = 0; k < 5; k++) {
            clusterNode *n = cluster.nodes[rand64() % (uint64_t)cluster.nnodes];
            if (!n->link || n->ping_sent || (n->flags & (NODE_MYSELF | NODE_HANDSHAKE))) continue;
            if (!oldest || n->pong_received < oldest->pong_received) oldest = n;
        }
        if (oldest) send_ping(oldest->link, MSG_PING);
    }
    for (int i = 0; i < cluster.nnodes; i++) {
        clusterNode *n = cluster.nodes[i];
        if (n->flags & (NODE_MYSELF | NODE_NOADDR | NODE_HANDSHAKE)) continue;
        /* A peer that does not read its messages costs at most cluster-link-sendbuf-limit. */
        clusterLink *links[2] = {n->link, n->inbound_link};
        for (int l = 0; l < 2; l++) {
            if (links[l] && server.cluster_link_sendbuf_limit &&
                links[l]->snd_len > (size_t)server.cluster_link_sendbuf_limit) {
                log_msg(LL_WARNING, "Freeing cluster link(%s node %.40s) due to exceeding send buffer memory limit.",
                        links[l]->inbound ? "from" : "to", n->name);
                bus_link_free(links[l]);
                cluster.stat_links_buffer_limit_exceeded++;
            }
        }
        /* A link that got no answer for half the timeout is reconnected. */
        if (n->link && now - n->link->ctime > timeout && n->ping_sent && now - n->ping_sent > timeout / 2 &&
            now - n->data_received > timeout / 2)
            bus_link_free(n->link);
        if (n->link && !n->ping_sent && now - n->pong_received > timeout / 2) {
            send_ping(n->link, MSG_PING);
            continue;
        }
        /* A primary in a manual failover pings the replica every tick with its offset. */
        if (cluster.mf_end && (cluster.myself->flags & NODE_MASTER) && cluster.mf_slave == n && n->link) {
            send_ping(n->link, MSG_PING);
            continue;
        }
        if (!n->ping_sent) continue;
        long long delay = now - n->ping_sent, data_delay = now - n->data_received;
        if ((delay < data_delay ? delay : data_delay) > timeout && !(n->flags & (NODE_PFAIL | NODE_FAIL))) {
            log_msg(LL_DEBUG, "*** NODE %.40s possibly failing", n->name);
            n->flags |= NODE_PFAIL;
            cluster_todo(CLUSTER_TODO_UPDATE_STATE);
        }
    }
}

/* ---------------------------------------------------------------- messages in */

static void peer_ip(clusterLink *link, const unsigned char *m, char *out) {
    if (m[OFF_MYIP]) {
        get_text(out, CLUSTER_IPLEN, m + OFF_MYIP, CLUSTER_IPLEN);
        return;
    }
    struct sockaddr_in sa;
    socklen_t len = sizeof(sa);
    out[0] = '\0';
    if (getpeername(link->fd, (struct sockaddr *)&sa, &len) == 0 && sa.sin_family == AF_INET)
        inet_ntop(AF_INET, &sa.sin_addr, out, CLUSTER_IPLEN);
}

/* Slots a master claims with its epoch (Redis's clusterUpdateSlotsConfigWith): it takes every
 * slot whose owner has an older epoch. If that leaves my primary (or myself as a primary)
 * without slots, I follow the claimer; a replica whose primary became a replica follows the
 * grand-primary; otherwise keys I still hold in slots I lost are deleted. */
static void update_slots_with(clusterNode *sender, uint64_t epoch, const unsigned char *slots) {
    clusterNode *me = cluster.myself;
    clusterNode *curmaster = (me->flags & NODE_MASTER) ? me : me->slaveof;
    int sender_slots = 0, migrated_ours = 0, changed = 0, ndirty = 0;
    if (sender == me) return;
    int *dirty = kmalloc(sizeof(int) * CLUSTER_SLOTS);
    kdb *db = db_by_id(0);
    for (int s = 0; s < CLUSTER_SLOTS; s++) {
        if (!((slots[s >> 3] >> (s & 7)) & 1)) continue;
        sender_slots++;
        clusterNode *owner = cluster.slots[s];
        if (owner == sender || cluster.importing_from[s]) continue;
        if (owner && owner->config_epoch >= epoch) continue;
        if (owner == me && db_slot_size(db, s)) dirty[ndirty++] = s;
        if (owner && owner == curmaster) migrated_ours++;
        if (owner == me) cluster.migrating_to[s] = NULL;
        cluster_del_slot(s);
        cluster_add_slot(sender, s);
        changed = 1;
    }
    if (changed) cluster_todo(CLUSTER_TODO_UPDATE_STATE | CLUSTER_TODO_SAVE_CONFIG);
    if (migrated_ours && curmaster->numslots == 0 &&
        (server.cluster_allow_replica_migration || sender_slots == migrated_ours)) {
        log_msg(LL_WARNING, "Configuration change detected. Reconfiguring myself as a replica of %.40s", sender->name);
        cluster_set_my_primary(sender);
    } else if (me->slaveof && me->slaveof->slaveof && me->slaveof->slaveof != me) {
        log_msg(LL_WARNING, "I'm a sub-replica! Reconfiguring myself as a replica of grandmaster %.40s",
                me->slaveof->slaveof->name);
        cluster_set_my_primary(me->slaveof->slaveof);
    } else {
        for (int i = 0; i < ndirty; i++) {
            kobj *k;
            while (db_slot_keys(db, dirty[i], &k, 1) == 1) {
                kstr *name = kstr_new(obj_key(k), obj_keylen(k));
                db_delete(db, name->buf, name->len);
                kstr_free(name);
            }
        }
    }
    kfree(dirty);
}

static void handle_epoch_collision(clusterNode *sender) {
    clusterNode *me = cluster.myself;
    if (memcmp(sender->name, me->name, CLUSTER_NAMELEN) <= 0) return;   /* the smaller name moves */
    cluster.current_epoch++;
    me->config_epoch = cluster.current_epoch;
    cluster_todo(CLUSTER_TODO_SAVE_CONFIG);
    log_msg(LL_VERBOSE, "WARNING: configEpoch collision with node %.40s. configEpoch set to %llu", sender->name,
            (unsigned long long)me->config_epoch);
}

/* A node name as Redis makes them: 40 lowercase hex digits (nodes.conf stores it as text). */
static int valid_node_name(const unsigned char *name) {
    for (int i = 0; i < CLUSTER_NAMELEN; i++)
        if (!((name[i] >= '0' && name[i] <= '9') || (name[i] >= 'a' && name[i] <= 'f'))) return 0;
    return 1;
}

/* The address in gossip entry g, canonical in norm, if it is one we can connect to. */
static int gossip_address(const unsigned char *g, char *norm, int *port, int *cport) {
    char ip[CLUSTER_IPLEN];
    get_text(ip, sizeof(ip), g + 48, CLUSTER_IPLEN);
    *port = get16(g + 94);
    *cport = get16(g + 96);
    return valid_bus_address(ip, *port, *cport, norm);
}

static void set_gossip_address(clusterNode *n, const unsigned char *g, const char *norm, int port, int cport) {
    strcpy(n->ip, norm);
    n->port = port;
    n->pport = get16(g + 100);
    n->cport = cport;
}

/* One gossip entry about a node we know (Redis's clusterProcessGossipSection): a primary's
 * failure report; the PONG time the sender saw, if it is newer and we wait for nothing; and, for
 * a node we cannot reach but the sender can, the address the sender knows. */
static void gossip_about_known(clusterNode *sender, clusterNode *n, const unsigned char *g) {
    int flags = get16(g + 98);
    if (sender && (sender->flags & NODE_MASTER) && n != cluster.myself) {
        if (flags & (NODE_FAIL | NODE_PFAIL)) {
            add_failure_report(n, sender);
            mark_failing_if_needed(n);
        } else {
            del_failure_report(n, sender);
        }
    }
    /* Not about myself, nor the sender about itself: its own messages tell that, and freeing
     * its link here could free the link this message is being read from. */
    if (n == cluster.myself || n == sender) return;
    long long now = mstime();
    if (!(flags & (NODE_FAIL | NODE_PFAIL)) && !n->ping_sent && bus_failure_reports(n) == 0) {
        long long pong = (long long)get32(g + 44) * 1000;   /* seconds on the wire */
        if (pong <= now + 500 && pong > n->pong_received) n->pong_received = pong;
    }
    char norm[CLUSTER_IPLEN];
    int port, cport;
    if ((n->flags & (NODE_FAIL | NODE_PFAIL)) && !(flags & (NODE_NOADDR | NODE_FAIL | NODE_PFAIL)) &&
        gossip_address(g, norm, &port, &cport) && (strcmp(norm, n->ip) != 0 || port != n->port || cport != n->cport)) {
        if (n->link) bus_link_free(n->link);
        set_gossip_address(n, g, norm, port, cport);
        n->flags &= ~NODE_NOADDR;
        cluster_todo(CLUSTER_TODO_SAVE_CONFIG);
    }
}

/* Gossip names nodes by their real names. A node we do not know, gossiped by a node we do, is
 * added under that name with the sender's view of its role (Redis 7.0 does not handshake with
 * the address: it may belong to another cluster by now); the cron connects to it and PINGs. */
static void process_gossip(clusterNode *sender, const unsigned char *m, int count) {
    for (int i = 0; i < count; i++) {
        const unsigned char *g = m + HDR_LEN + (size_t)i * GOSSIP_LEN;
        int flags = get16(g + 98);
        clusterNode *n = cluster_lookup((const char *)g, CLUSTER_NAMELEN);
        if (n) {
            gossip_about_known(sender, n, g);
            continue;
        }
        if (!sender || (flags & NODE_NOADDR) || !valid_node_name(g) || cluster_blacklisted((const char *)g)) continue;
        char norm[CLUSTER_IPLEN];
        int port, cport;
        if (!gossip_address(g, norm, &port, &cport)) continue;
        n = cluster_node_new((const char *)g, flags & (NODE_MASTER | NODE_SLAVE | NODE_PFAIL | NODE_FAIL | NODE_NOFAILOVER));
        set_gossip_address(n, g, norm, port, cport);
        cluster_node_add(n);
        cluster_todo(CLUSTER_TODO_SAVE_CONFIG);
    }
}

/* The hostname extension, if any, of a PING/PONG/MEET already checked by valid_length. */
static void read_extensions(clusterNode *sender, const unsigned char *m, size_t totlen, int count) {
    size_t off = HDR_LEN + (size_t)count * GOSSIP_LEN;
    /* No extension data: no hostname announced (any hostname it had is cleared, as Redis's
     * updateAnnouncedHostname(sender, NULL)). */
    int exts = (m[OFF_MFLAGS] & MFLAG0_EXT_DATA) ? get16(m + OFF_EXTENSIONS) : 0;
    char host[256] = "";
    while (exts-- > 0 && off + 8 <= totlen) {
        uint32_t len = get32(m + off);
        if (get16(m + off + 4) == EXT_HOSTNAME) get_text(host, sizeof(host), m + off + 8, len - 8);
        off += len;
    }
    memcpy(sender->hostname, host, sizeof(host));
}

/* Redis's length rule per type; 0 if the message is malformed. */
static int valid_length(const unsigned char *m, size_t totlen) {
    int type = get16(m + OFF_TYPE);
    size_t want = HDR_LEN;
    if (type == MSG_PING || type == MSG_PONG || type == MSG_MEET) {
        want += (size_t)get16(m + OFF_COUNT) * GOSSIP_LEN;
        if (want > totlen) return 0;
        if (m[OFF_MFLAGS] & MFLAG0_EXT_DATA) {
            int exts = get16(m + OFF_EXTENSIONS);
            while (exts-- > 0) {
                if (want + 8 > totlen) return 0;
                uint32_t len = get32(m + want);
                if (len % 8 || len < 8 || totlen - want < len) return 0;
                want += len;
            }
        }
    } else if (type == MSG_FAIL) {
        want += CLUSTER_NAMELEN;
    } else if (type == MSG_PUBLISH || type == MSG_PUBLISHSHARD) {
        if (totlen < HDR_LEN + 8) return 0;
        want += 8 + (size_t)get32(m + HDR_LEN) + get32(m + HDR_LEN + 4);
    } else if (type == MSG_UPDATE) {
        want += 8 + CLUSTER_NAMELEN + CLUSTER_SLOTS / 8;
    } else if (type == MSG_MODULE) {
        if (totlen < HDR_LEN + 16) return 0;
        want += 13 + (size_t)get32(m + HDR_LEN + 8);
    }
    return want == totlen;
}

/* PING/PONG/MEET from a node we talk to through link. Returns 0 if the link was freed. */
static int process_ping(clusterLink *link, clusterNode *sender, const unsigned char *m, size_t totlen) {
    int type = get16(m + OFF_TYPE), count = get16(m + OFF_COUNT);
    long long now = mstime();
    /* Our own address is the one peers reach us at: learnt from a MEET, or from a PING while we
     * know none (the node that sent every MEET gets none), as Redis does. */
    if ((type == MSG_MEET || (type == MSG_PING && !cluster.myself->ip[0])) &&
        !(server.cluster_announce_ip && server.cluster_announce_ip[0])) {
        struct sockaddr_in sa;
        socklen_t len = sizeof(sa);
        if (getsockname(link->fd, (struct sockaddr *)&sa, &len) == 0 && sa.sin_family == AF_INET)
            inet_ntop(AF_INET, &sa.sin_addr, cluster.myself->ip, CLUSTER_IPLEN);
    }
    if (!sender && type == MSG_MEET) {
        /* A node meets us: it is added in handshake. */
        clusterNode *n = cluster_node_new(NULL, NODE_HANDSHAKE);
        peer_ip(link, m, n->ip);
        n->port = get16(m + OFF_PORT);
        n->pport = get16(m + OFF_PPORT);
        n->cport = get16(m + OFF_CPORT);
        cluster_node_add(n);
        cluster_todo(CLUSTER_TODO_SAVE_CONFIG);
        process_gossip(NULL, m, count);
    }
    if (type == MSG_PING || type == MSG_MEET) send_ping(link, MSG_PONG);
    if (link->node && !link->inbound && (link->node->flags & NODE_HANDSHAKE)) {
        /* Our handshake's answer: the node's real name. */
        clusterNode *hs = link->node;
        if (sender) {
            cluster_node_delete(hs);   /* already known under its name: frees this link */
            return 0;
        }
        cluster_node_rename(hs, (const char *)m + OFF_SENDER);
        hs->flags &= ~NODE_HANDSHAKE;
        hs->flags |= get16(m + OFF_FLAGS) & (NODE_MASTER | NODE_SLAVE);
        cluster_todo(CLUSTER_TODO_SAVE_CONFIG);
        /* As in Redis, the rest of this message is read as from an unknown sender: its slots,
         * role, hostname and gossip are taken from its next PING/PONG (suite 27-endpoints: a
         * node whose PINGs are dropped stays without slots here). */
        hs->pong_received = now;
        hs->ping_sent = 0;
        return 1;
    } else if (link->node && !link->inbound && memcmp(link->node->name, m + OFF_SENDER, CLUSTER_NAMELEN) != 0) {
        /* Another node answers at that address now: forget the address. */
        link->node->flags |= NODE_NOADDR;
        link->node->ip[0] = '\0';
        link->node->port = link->node->cport = 0;
        bus_link_free(link);
        cluster_todo(CLUSTER_TODO_SAVE_CONFIG);
        return 0;
    }
    if (!sender) return 1;
    sender->pport = get16(m + OFF_PPORT);   /* its plain port in a TLS cluster (0 otherwise) */
    if (link->inbound && !link->node) {
        if (sender->inbound_link) bus_link_free(sender->inbound_link);
        sender->inbound_link = link;
        link->node = sender;
    }
    if (type == MSG_PING && link->inbound) {
        /* The address it pings us from is its address now. */
        char ip[CLUSTER_IPLEN];
        peer_ip(link, m, ip);
        int port = get16(m + OFF_PORT), cport = get16(m + OFF_CPORT);
        if (ip[0] && (strcmp(ip, sender->ip) != 0 || port != sender->port || cport != sender->cport)) {
            strcpy(sender->ip, ip);
            sender->port = port;
            sender->cport = cport;
            sender->flags &= ~NODE_NOADDR;
            if (sender->link) bus_link_free(sender->link);
            cluster_todo(CLUSTER_TODO_SAVE_CONFIG);
        }
    }
    read_extensions(sender, m, totlen, count);
    if (!link->inbound && type == MSG_PONG) {
        sender->pong_received = now;
        sender->ping_sent = 0;
        if (sender->flags & NODE_PFAIL) {
            sender->flags &= ~NODE_PFAIL;
            cluster_todo(CLUSTER_TODO_UPDATE_STATE);
        } else {
            clear_failure_if_needed(sender);
        }
    }
    /* Its role: a primary, or the replica of the node its slaveof field names. */
    static const unsigned char no_name[CLUSTER_NAMELEN];
    int nofailover = get16(m + OFF_FLAGS) & NODE_NOFAILOVER;
    sender->flags = (sender->flags & ~NODE_NOFAILOVER) | nofailover;
    if (memcmp(m + OFF_SLAVEOF, no_name, CLUSTER_NAMELEN) == 0) {
        cluster_set_node_as_master(sender);
    } else {
        clusterNode *master = cluster_lookup((const char *)m + OFF_SLAVEOF, CLUSTER_NAMELEN);
        if (sender->flags & NODE_MASTER) {
            cluster_del_node_slots(sender);
            sender->flags = (sender->flags & ~(NODE_MASTER | NODE_MIGRATE_TO)) | NODE_SLAVE;
            cluster_todo(CLUSTER_TODO_SAVE_CONFIG | CLUSTER_TODO_UPDATE_STATE);
        }
        if (master && master != sender && sender->slaveof != master) {
            if (sender->slaveof) cluster_node_remove_slave(sender->slaveof, sender);
            cluster_node_add_slave(master, sender);
            sender->slaveof = master;
            cluster_todo(CLUSTER_TODO_SAVE_CONFIG);
        }
    }
    uint64_t epoch = get64(m + OFF_CFG_EPOCH);
    const unsigned char *claimed = m + OFF_MYSLOTS;
    clusterNode *sender_master = (sender->flags & NODE_MASTER) ? sender : sender->slaveof;
    int dirty = sender_master && memcmp(claimed, sender_master->slots, CLUSTER_SLOTS / 8) != 0;
    if (dirty && (sender->flags & NODE_MASTER)) update_slots_with(sender, epoch, claimed);
    if (dirty) {
        /* A slot it claims that a node with a newer epoch owns: tell it. */
        for (int s = 0; s < CLUSTER_SLOTS; s++) {
            if (!((claimed[s >> 3] >> (s & 7)) & 1)) continue;
            clusterNode *owner = cluster.slots[s];
            if (!owner || owner == sender) continue;
            if (owner->config_epoch > epoch) {
                if (sender->link) send_update(sender->link, owner);
                break;
            }
        }
    }
    if ((cluster.myself->flags & NODE_MASTER) && (sender->flags & NODE_MASTER) &&
        epoch == cluster.myself->config_epoch)
        handle_epoch_collision(sender);
    process_gossip(sender, m, count);
    return 1;
}

/* One whole message. Returns 0 if the link was freed. */
static int process_message(clusterLink *link, const unsigned char *m, size_t totlen) {
    if (!valid_length(m, totlen)) return 1;   /* Redis ignores it */
    int type = get16(m + OFF_TYPE);
    if (type < MSG_TYPE_COUNT) cluster.stats_received[type]++;
    if (type == cluster.drop_packet_filter) return 1;   /* tests simulate lost messages */
    clusterNode *sender = cluster_lookup((const char *)m + OFF_SENDER, CLUSTER_NAMELEN);
    if (sender && (sender->flags & NODE_HANDSHAKE)) sender = NULL;
    if (sender) {
        sender->data_received = mstime();
        uint64_t cur = get64(m + OFF_CUR_EPOCH), cfg = get64(m + OFF_CFG_EPOCH);
        if (cur > cluster.current_epoch) {
            cluster.current_epoch = cur;
            cluster_todo(CLUSTER_TODO_SAVE_CONFIG);
        }
        if (cfg > sender->config_epoch) {
            sender->config_epoch = cfg;
            cluster_todo(CLUSTER_TODO_SAVE_CONFIG | CLUSTER_TODO_UPDATE_STATE);
        }
        sender->repl_offset = (long long)get64(m + OFF_OFFSET);
        failover_master_offset(sender, sender->repl_offset, (m[OFF_MFLAGS] & MFLAG0_PAUSED) != 0);
    }
    switch (type) {
    case MSG_PING:
    case MSG_PONG:
    case MSG_MEET: return process_ping(link, sender, m, totlen);
    case MSG_FAIL: {
        if (!sender) return 1;
        clusterNode *failing = cluster_lookup((const char *)m + HDR_LEN, CLUSTER_NAMELEN);
        if (failing && !(failing->flags & (NODE_FAIL | NODE_MYSELF))) {
            log_msg(LL_NOTICE, "FAIL message received from %.40s about %.40s", sender->name, failing->name);
            failing->flags |= NODE_FAIL;
            failing->fail_time = mstime();
            failing->flags &= ~NODE_PFAIL;
            cluster_todo(CLUSTER_TODO_UPDATE_STATE | CLUSTER_TODO_SAVE_CONFIG);
        }
        return 1;
    }
    case MSG_PUBLISH: {
        if (!sender) return 1;
        uint32_t clen = get32(m + HDR_LEN), mlen = get32(m + HDR_LEN + 4);
        const char *ch = (const char *)m + HDR_LEN + 8;
        pubsub_publish(ch, clen, ch + clen, mlen);
        return 1;
    }
    case MSG_PUBLISHSHARD: {
        if (!sender) return 1;
        uint32_t clen = get32(m + HDR_LEN), mlen = get32(m + HDR_LEN + 4);
        const char *ch = (const char *)m + HDR_LEN + 8;
        pubsub_spublish(ch, clen, ch + clen, mlen);
        return 1;
    }
    case MSG_UPDATE: {
        if (!sender) return 1;
        uint64_t epoch = get64(m + HDR_LEN);
        clusterNode *n = cluster_lookup((const char *)m + HDR_LEN + 8, CLUSTER_NAMELEN);
        if (!n || n->config_epoch >= epoch) return 1;
        if (n->flags & NODE_SLAVE) cluster_set_node_as_master(n);
        n->config_epoch = epoch;
        update_slots_with(n, epoch, m + HDR_LEN + 48);
        cluster_todo(CLUSTER_TODO_SAVE_CONFIG);
        return 1;
    }
    case MSG_AUTH_REQUEST:
        if (sender)
            failover_vote(sender, get64(m + OFF_CUR_EPOCH), get64(m + OFF_CFG_EPOCH), m + OFF_MYSLOTS,
                          (m[OFF_MFLAGS] & MFLAG0_FORCEACK) != 0);
        return 1;
    case MSG_AUTH_ACK:
        if (sender) failover_ack_received(sender, get64(m + OFF_CUR_EPOCH));
        return 1;
    case MSG_MFSTART:
        if (sender) failover_mfstart_received(sender);
        return 1;
    default: return 1;   /* module messages: no modules */
    }
}

/* Reads until the socket has nothing more (over TLS: until OpenSSL has nothing buffered
 * either) and processes each complete message. Returns 0 when the link was freed. */
static int link_read_all(clusterLink *link) {
    for (;;) {
        size_t want = 8;
        if (link->rcv_len >= 8) {
            if (memcmp(link->rcvbuf, "RCmb", 4) != 0) break;
            want = get32(link->rcvbuf + OFF_TOTLEN);
            if (want < HDR_LEN || want > MAX_MSG_LEN) break;
        }
        /* The buffer grows with the bytes that arrive, at most 1 MB ahead of them, so a
         * header announcing a huge message costs nothing until the bytes come. */
        if (link->rcv_cap == link->rcv_len) {
            size_t cap = link->rcv_len + (link->rcv_len < RCVBUF_STEP ? link->rcv_len + 1024 : RCVBUF_STEP);
            link->rcv_cap = cap < want ? cap : want;
            link->rcvbuf = krealloc(link->rcvbuf, link->rcv_cap);
        }
        size_t room = (want < link->rcv_cap ? want : link->rcv_cap) - link->rcv_len;
        ssize_t r = link->tls ? tls_link_read(link->tls, link->rcvbuf + link->rcv_len, room, "cluster bus peer")
                              : read(link->fd, link->rcvbuf + link->rcv_len, room);
        if (r < 0 && (errno == EAGAIN || errno == EINTR)) return 1;
        if (r <= 0) break;
        link->rcv_len += (size_t)r;
        if (link->rcv_len < 8 || link->rcv_len < want || want == 8) continue;
        size_t len = link->rcv_len;
        link->rcv_len = 0;
        if (link->node) link->node->data_received = mstime();
        if (!process_message(link, link->rcvbuf, len)) return 0;
    }
    bus_link_free(link);   /* error, EOF or a malformed message */
    return 0;
}

static void link_read_handler(eventLoop *el, int fd, void *data, int mask) {
    (void)el;
    (void)mask;
    clusterLink *link = data;
    if (!link) {
        accept_links(fd);
        return;
    }
    link_read_all(link);
}

/* tls-cluster links: one handler for both directions, since OpenSSL may need the socket
 * readable to write or writable to read. Every event runs, in order, the connect's end, the
 * handshake, the queued output and the reads (a read or write with nothing to do costs one
 * EAGAIN); the writable interest is then set from the handshake's or the read's want and the
 * queued output. */
static void tls_link_handler(eventLoop *el, int fd, void *data, int mask) {
    (void)el;
    (void)mask;
    clusterLink *link = data;
    if (link->connecting) {
        int err = 0;
        socklen_t len = sizeof(err);
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err) {
            bus_link_free(link);
            return;
        }
        link->connecting = 0;
    }
    int hs = tls_link_handshake(link->tls, "cluster bus peer");
    if (hs < 0) {
        bus_link_free(link);
        return;
    }
    if (hs > 0) {
        while (link->snd_len) {
            ssize_t w = tls_link_write(link->tls, link->sndbuf, link->snd_len, "cluster bus peer");
            if (w < 0 && (errno == EAGAIN || errno == EINTR)) break;
            if (w <= 0) {
                bus_link_free(link);
                return;
            }
            memmove(link->sndbuf, link->sndbuf + w, link->snd_len - (size_t)w);
            link->snd_len -= (size_t)w;
        }
        if (!link_read_all(link)) return;
    }
    int want_w = tls_link_wants_write(link->tls) || (hs > 0 && link->snd_len && !tls_link_write_wants_read(link->tls));
    if (want_w) el_add(server.el, fd, EL_WRITABLE, tls_link_handler, link);
    else el_del(server.el, fd, EL_WRITABLE);
}

/* ---------------------------------------------------------------- CLUSTER LINKS */

static void reply_link(client *c, const clusterLink *link) {
    reply_map_len(c, 6);
    reply_bulk_cstr(c, "direction");
    reply_bulk_cstr(c, link->inbound ? "from" : "to");
    reply_bulk_cstr(c, "node");
    reply_bulk(c, link->node->name, CLUSTER_NAMELEN);
    reply_bulk_cstr(c, "create-time");
    reply_integer(c, link->ctime);
    reply_bulk_cstr(c, "events");
    reply_bulk_cstr(c, link->snd_len ? "rw" : "r");
    reply_bulk_cstr(c, "send-buffer-allocated");
    reply_integer(c, (long long)link->snd_cap);
    reply_bulk_cstr(c, "send-buffer-used");
    reply_integer(c, (long long)link->snd_len);
}

void bus_links_reply(client *c) {
    long long n = 0;
    for (int i = 0; i < cluster.nnodes; i++)
        n += (cluster.nodes[i]->link != NULL) + (cluster.nodes[i]->inbound_link != NULL);
    reply_array_len(c, n);
    for (int i = 0; i < cluster.nnodes; i++) {
        if (cluster.nodes[i]->link) reply_link(c, cluster.nodes[i]->link);
        if (cluster.nodes[i]->inbound_link) reply_link(c, cluster.nodes[i]->inbound_link);
    }
}
