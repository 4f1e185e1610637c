/* replica.c - this server as a replica: REPLICAOF, the link to the primary, ROLE, INFO
 * replication, and the checks replication adds to dispatch.
 *
 * The link goes through Redis's states: CONNECT (to be connected by the cron), CONNECTING (a
 * non-blocking connect), HANDSHAKE (PING, AUTH, REPLCONF listening-port / ip-address / capa,
 * PSYNC <replid> <offset+1>, one command at a time, each reply one line), TRANSFER (after
 * +FULLRESYNC: the RDB, "$<size>" or "$EOF:<40-byte mark>" framed, into a temp file, then
 * loaded in place of the data set; or, with repl-diskless-load, loaded straight from the
 * socket: socket_load), CONNECTED (the socket belongs to the master client, whose
 * commands run without replies; each one's bytes count into repl_state.offset and go to our own
 * backlog and replicas verbatim). +CONTINUE skips TRANSFER. Any failure closes the link and
 * goes back to CONNECT; the id and offset stay, so the next attempt asks for a partial sync. */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/blocking.h"
#include "core/config.h"
#include "core/multi.h"
#include "core/tls.h"
#include "persist/bgsave.h"
#include "persist/persist.h"
#include "persist/rdb.h"
#include "persist/wstream.h"
#include "protocol/reply.h"
#include "repl/repl.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/util.h"

#define EOF_MARK_LEN 40

enum { RL_NONE, RL_CONNECT, RL_CONNECTING, RL_HANDSHAKE, RL_TRANSFER, RL_CONNECTED };
enum { H_PING, H_AUTH, H_PORT, H_IP, H_CAPA, H_PSYNC };

static struct {
    int state;                  /* RL_* */
    int step;                   /* H_* while in HANDSHAKE */
    int fd;                     /* the socket until the master client owns it, else -1 */
    struct tlsConn *tls;        /* tls-replication: the TLS session on fd (core/tls.c), or NULL */
    kstr *rbuf;                 /* bytes read and not yet used */
    long long last_io_ms;
    long long down_since_ms;    /* 0: never up */
    long long last_heard_ms;    /* the master client's last interaction when it was freed, 0 none */
    client *master;
    int master_db;              /* the database the stream had selected when the link was lost */
    int swapdb_loading;         /* set server.loading_rdb or async_loading for this transfer */
    int loading;                /* transfer_done is loading the payload (clients are served) */
    unsigned link_gen;          /* counts link_cancel calls: a load sees whether its link went */
    /* TRANSFER */
    char new_replid[41];
    long long new_offset;
    int have_header;
    long long size;             /* -1: EOF-mark framing */
    long long read;
    char mark[EOF_MARK_LEN], tail[EOF_MARK_LEN];
    int tmp_fd;
    char tmp_path[64];
} rl = {.fd = -1, .tmp_fd = -1};

static void link_handler(eventLoop *el, int fd, void *data, int mask);

int repl_link_up(void) {
    return !server.masterhost || rl.state == RL_CONNECTED;
}

/* Ends the attempt in progress (not the master client): the cron tries again. */
/* repl-diskless-load: Redis reads the payload straight into a second data set and swaps it in
 * at the end (swapdb), or into an empty one (on-empty-db). Keel keeps Redis's states: clients
 * get -LOADING (loading:1) while socket_load parses the payload from the socket, or, for swapdb
 * when the primary goes on with our own history (the same replid), they keep reading the old
 * data (async_loading:1, no-async-loading commands refused) while the payload goes to the temp
 * file, loaded after it. A failed transfer leaves the old data as it was, as in Redis. */
static void swapdb_loading_begin(void) {
    long long keys = 0;
    for (int i = 0; i < server.dbnum; i++) keys += (long long)db_size(db_by_id(i));
    int mode = server.repl_diskless_load;
    if (mode == REPL_DISKLESS_LOAD_DISABLED || (mode == REPL_DISKLESS_LOAD_ON_EMPTY_DB && keys > 0)) return;
    if (mode == REPL_DISKLESS_LOAD_SWAPDB && strcmp(rl.new_replid, repl_state.replid) == 0) {
        server.async_loading = 1;
    } else {
        server.loading_rdb = 1;
        server.loading_start_time = time(NULL);
    }
    rl.swapdb_loading = 1;
}

static void swapdb_loading_end(void) {
    if (!rl.swapdb_loading) return;
    rl.swapdb_loading = 0;
    server.loading_rdb = 0;
    server.async_loading = 0;
}

static void link_cancel(void) {
    rl.link_gen++;
    if (rl.tls) {
        tls_link_free(rl.tls);
        rl.tls = NULL;
    }
    if (rl.fd >= 0) {
        el_del(server.el, rl.fd, EL_READABLE | EL_WRITABLE);
        close(rl.fd);
        rl.fd = -1;
    }
    if (rl.tmp_fd >= 0) {
        close(rl.tmp_fd);
        unlink(rl.tmp_path);
        rl.tmp_fd = -1;
    }
    kstr_free(rl.rbuf);
    rl.rbuf = NULL;
    if (rl.state != RL_CONNECTED && rl.state != RL_NONE) rl.state = RL_CONNECT;
    swapdb_loading_end();
}

static void link_fail(const char *why) {
    log_msg(LL_WARNING, "MASTER <-> REPLICA sync: %s", why);
    link_cancel();
}

static void connect_master(void);

/* A full sync that failed mid-transfer (or in its load) reconnects at once, as Redis's
 * cancelReplicationHandshake(1), instead of waiting for the cron. why NULL: already logged. */
static void transfer_fail(const char *why) {
    if (why) link_fail(why);
    else link_cancel();
    if (!server.masterhost || rl.state != RL_CONNECT || rl.loading) return;
    log_msg(LL_NOTICE, "Reconnecting to MASTER %s:%d after failure", server.masterhost, server.masterport);
    connect_master();
}

/* Writes a command on the handshake socket (a few bytes: the socket buffer takes them). lens
 * gives each argument's length (AUTH's password may hold NULs); NULL: they are C strings. */
static void send_command_len(int argc, const char **argv, const size_t *lens) {
    kstr *s = kstr_catfmt(kstr_empty(64), "*%d\r\n", argc);
    for (int i = 0; i < argc; i++) {
        size_t len = lens ? lens[i] : strlen(argv[i]);
        s = kstr_catfmt(s, "$%zu\r\n", len);
        s = kstr_cat(kstr_cat(s, argv[i], len), "\r\n", 2);
    }
    ssize_t n = rl.tls ? tls_link_write(rl.tls, s->buf, s->len, "MASTER") : write(rl.fd, s->buf, s->len);
    int ok = n == (ssize_t)s->len;
    kstr_free(s);
    if (!ok) link_fail("writing to the MASTER failed");
}

static void send_command(int argc, const char **argv) {
    send_command_len(argc, argv, NULL);
}

static void connect_master(void) {
    /* Not while the payload loads: its end connects (no handshake nested in the load). */
    if (rl.loading) return;
    struct addrinfo hints = {0}, *res = NULL;
    char port[16];
    snprintf(port, sizeof(port), "%d", server.masterport);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(server.masterhost, port, &hints, &res) != 0) {
        log_msg(LL_WARNING, "Unable to connect to MASTER: can't resolve %s", server.masterhost);
        return;
    }
    int fd = -1;
    for (struct addrinfo *p = res; p && fd < 0; p = p->ai_next) {
        fd = socket(p->ai_family, p->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, p->ai_protocol);
        if (fd >= 0) net_bind_source(fd, p->ai_family);   /* bind-source-addr */
        if (fd >= 0 && connect(fd, p->ai_addr, p->ai_addrlen) < 0 && errno != EINPROGRESS) {
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    if (fd < 0) {
        log_msg(LL_WARNING, "Unable to connect to MASTER: %s", strerror(errno));
        return;
    }
    int yes = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof(yes));
    rl.fd = fd;
    rl.state = RL_CONNECTING;
    rl.last_io_ms = mstime();
    rl.rbuf = kstr_empty(0);
    el_add(server.el, fd, EL_WRITABLE, link_handler, NULL);
    log_msg(LL_NOTICE, "Connecting to MASTER %s:%d", server.masterhost, server.masterport);
}

static void send_psync(void) {
    char off[32];
    snprintf(off, sizeof(off), "%lld", repl_state.offset + 1);
    /* A primary failing over asks its target to take over (failover.c). */
    const char *argv[] = {"PSYNC", repl_state.replid, off, "FAILOVER"};
    rl.step = H_PSYNC;
    send_command(repl_failover_state() == FO_IN_PROGRESS ? 4 : 3, argv);
    if (rl.fd < 0) repl_failover_abort("Write error to failover target");
}

static void send_capa(void) {
    const char *argv[] = {"REPLCONF", "capa", "eof", "capa", "psync2"};
    rl.step = H_CAPA;
    send_command(5, argv);
}

static void send_port(void) {
    char port[16];
    /* Over TLS the primary is told our tls-port, as Redis does. */
    int p = server.replica_announce_port ? server.replica_announce_port
            : server.tls_replication && server.tls_port ? server.tls_port
                                                         : server.port;
    snprintf(port, sizeof(port), "%d", p);
    const char *argv[] = {"REPLCONF", "listening-port", port};
    rl.step = H_PORT;
    send_command(3, argv);
}

/* The master client takes the socket; bytes already read are its first input. */
static void attach_master(const char *rest, size_t len) {
    int fd = rl.fd;
    struct tlsConn *tls = rl.tls;
    el_del(server.el, fd, EL_READABLE | EL_WRITABLE);
    rl.fd = -1;
    rl.tls = NULL;
    client *c = client_create(fd, 0);
    if (c && tls) tls_link_give(c, tls);   /* the client reads and writes through it from now */
    if (!c) {
        tls_link_free(tls);
        close(fd);
        kstr_free(rl.rbuf);
        rl.rbuf = NULL;
        rl.state = RL_CONNECT;
        return;
    }
    c->flags |= CLIENT_MASTER;
    c->authenticated = 1;
    c->db = db_by_id(rl.master_db);
    snprintf(c->addr, sizeof(c->addr), "%s:%d", server.masterhost, server.masterport);
    rl.master = c;
    rl.state = RL_CONNECTED;
    c->querybuf = kstr_cat(c->querybuf, rest, len);
    kstr_free(rl.rbuf);   /* rest pointed into it */
    rl.rbuf = NULL;
    repl_send_ack();
    client_process_input(c);
}

static void handle_psync_reply(const char *line) {
    /* A primary waiting to start its snapshot (repl-diskless-sync-delay) sends bare newlines
     * to keep the link alive; the reply comes later. */
    if (line[0] == '\0') return;
    if (strncmp(line, "+FULLRESYNC", 11) == 0) {
        if (sscanf(line, "+FULLRESYNC %40s %lld", rl.new_replid, &rl.new_offset) != 2 || strlen(rl.new_replid) != 40) {
            link_fail("Master replied with wrong +FULLRESYNC syntax.");
            return;
        }
        log_msg(LL_NOTICE, "Full resync from master: %s:%lld", rl.new_replid, rl.new_offset);
        repl_failover_psync_result(1);
        rl.state = RL_TRANSFER;
        rl.have_header = 0;
        return;
    }
    if (strncmp(line, "+CONTINUE", 9) == 0) {
        char id[41] = "";
        if (sscanf(line, "+CONTINUE %40s", id) == 1 && strlen(id) == 40 && strcmp(id, repl_state.replid) != 0) {
            /* The primary's history continues under a new id (it was promoted): keep the old
             * one as replid2 and let our replicas reconnect to learn it. */
            repl_new_replid();
            memcpy(repl_state.replid, id, sizeof(id));
            repl_disconnect_replicas();
        }
        log_msg(LL_NOTICE, "Successful partial resynchronization with master.");
        repl_failover_psync_result(1);
        repl_backlog_ensure();
        attach_master(rl.rbuf->buf, rl.rbuf->len);
        return;
    }
    if (strncmp(line, "-NOMASTERLINK", 13) == 0 || strncmp(line, "-LOADING", 8) == 0) {
        log_msg(LL_NOTICE, "Master is currently unable to PSYNC but should be in the future: %s", line);
        link_cancel();
        repl_failover_psync_result(0);
        return;
    }
    log_msg(LL_WARNING, "Unexpected reply to PSYNC from master: %s", line);
    link_cancel();
    repl_failover_psync_result(0);
}

/* One reply line of the handshake. */
static void handshake_line(const char *line) {
    switch (rl.step) {
    case H_PING:
        if (line[0] == '-' && strncmp(line, "-NOAUTH", 7) != 0 && strncmp(line, "-NOPERM", 7) != 0 &&
            strncmp(line, "-ERR operation not permitted", 28) != 0) {
            link_fail("Error reply to PING from master");
            return;
        }
        if (server.masterauth) {
            const kstr *pass = server.masterauth;
            const char *with_user[] = {"AUTH", server.masteruser, pass->buf};
            const char *without[] = {"AUTH", pass->buf};
            rl.step = H_AUTH;
            if (server.masteruser) send_command_len(3, with_user, (size_t[]){4, strlen(server.masteruser), pass->len});
            else send_command_len(2, without, (size_t[]){4, pass->len});
            return;
        }
        send_port();
        return;
    case H_AUTH:
        if (line[0] == '-') {
            link_fail("Unable to AUTH to MASTER");
            return;
        }
        send_port();
        return;
    case H_PORT:
        if (server.replica_announce_ip) {
            const char *argv[] = {"REPLCONF", "ip-address", server.replica_announce_ip};
            rl.step = H_IP;
            send_command(3, argv);
            return;
        }
        send_capa();
        return;
    case H_IP:
        send_capa();
        return;
    case H_CAPA:
        send_psync();
        return;
    default:
        handle_psync_reply(line);
    }
}

/* Cuts the next line ("\r\n" or "\n" ended) out of rbuf into line; 0 if none is complete. */
static int next_line(char *line, size_t cap) {
    char *nl = memchr(rl.rbuf->buf, '\n', rl.rbuf->len);
    if (!nl) {
        if (rl.rbuf->len > 4096) link_fail("the MASTER sent an overlong line");
        return 0;
    }
    size_t n = (size_t)(nl - rl.rbuf->buf);
    size_t keep = n;
    if (n && rl.rbuf->buf[n - 1] == '\r') n--;
    if (n >= cap) n = cap - 1;
    memcpy(line, rl.rbuf->buf, n);
    line[n] = '\0';
    kstr_range_keep(rl.rbuf, keep + 1, rl.rbuf->len - keep - 1);
    return 1;
}

static void socket_load(void);

static int transfer_header(const char *line) {
    if (line[0] == '\0') return 0;   /* the primary's keepalive newline */
    if (line[0] == '-') {
        log_msg(LL_WARNING, "MASTER aborted replication with an error: %s", line + 1);
        return -1;
    }
    if (line[0] != '$') {
        log_msg(LL_WARNING, "Bad protocol from MASTER, the first byte is not '$' (we received '%s')", line);
        return -1;
    }
    if (strncmp(line + 1, "EOF:", 4) == 0 && strlen(line + 5) >= EOF_MARK_LEN) {
        memcpy(rl.mark, line + 5, EOF_MARK_LEN);
        rl.size = -1;
    } else if (!str_to_ll(line + 1, strlen(line + 1), &rl.size) || rl.size < 0) {
        log_msg(LL_WARNING, "Bad RDB size from MASTER: %s", line);
        return -1;
    }
    rl.read = 0;
    rl.have_header = 1;
    swapdb_loading_begin();
    /* Redis's useDisklessLoad: the payload loads straight from the socket; but swapdb of our own
     * history (async_loading), where Redis serves the old data beside the loading set, still
     * goes through the temp file, whose transfer serves the old data. */
    int from_socket = rl.swapdb_loading && !server.async_loading;
    if (rl.size < 0)
        log_msg(LL_NOTICE, "MASTER <-> REPLICA sync: receiving streamed RDB from master with EOF to %s",
                from_socket ? "parser" : "disk");
    else
        log_msg(LL_NOTICE, "MASTER <-> REPLICA sync: receiving %lld bytes from master to %s", rl.size,
                from_socket ? "parser" : "disk");
    if (from_socket) {
        socket_load();
        return 0;
    }
    snprintf(rl.tmp_path, sizeof(rl.tmp_path), "temp-%lld.%d.rdb", mstime(), (int)server.pid);
    rl.tmp_fd = open(rl.tmp_path, O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0644);
    if (rl.tmp_fd < 0) {
        log_msg(LL_WARNING, "Opening the temp file needed for MASTER <-> REPLICA synchronization: %s", strerror(errno));
        return -1;
    }
    /* The log marks the state as Redis's does: loading starts with the transfer. */
    if (rl.swapdb_loading) log_msg(LL_NOTICE, "MASTER <-> REPLICA sync: Loading DB in memory");
    return 0;
}

/* While the payload loads: a newline to the primary once a second, as Redis's replica sends,
 * so that a primary counting its silence does not drop it (best effort). */
static void load_tick(void) {
    static time_t sent;
    time_t now = time(NULL);
    if (now == sent || rl.fd < 0) return;
    sent = now;
    ssize_t n = rl.tls ? tls_link_write(rl.tls, "\n", 1, "MASTER") : write(rl.fd, "\n", 1);
    (void)n;
}

/* After a full sync: the primary's id and offset are ours, the second id is cleared (a new
 * history), and the stream continues in the database the snapshot names. */
static void adopt_snapshot(const rdbLoadStats *stats) {
    memcpy(repl_state.replid, rl.new_replid, sizeof(rl.new_replid));
    memset(repl_state.replid2, '0', 40);
    repl_state.second_offset = -1;
    repl_state.offset = rl.new_offset;
    /* A chained primary's stream goes on in the database its own primary had selected, which
     * its snapshot names (repl-stream-db); a primary starts its stream with SELECT. */
    rl.master_db = stats->repl.replid[0] ? stats->repl.stream_db : 0;
    repl_backlog_reset();
}

/* The payload is in the temp file: it becomes the data set. */
static void transfer_done(size_t used) {
    if (rl.size < 0 && ftruncate(rl.tmp_fd, rl.read - EOF_MARK_LEN) < 0) {
        transfer_fail("truncating the EOF mark failed");
        return;
    }
    close(rl.tmp_fd);
    rl.tmp_fd = -1;
    const char *path = server.dbfilename && server.dbfilename[0] ? server.dbfilename : "dump.rdb";
    if (rename(rl.tmp_path, path) < 0) {
        unlink(rl.tmp_path);
        transfer_fail("renaming the received RDB failed");
        return;
    }
    log_msg(LL_NOTICE, "MASTER <-> REPLICA sync: Flushing old data");
    bgsave_abort();
    /* As Redis: the link is not read until the data set is loaded (the load serves clients
     * from the event loop; the primary's stream waits in the socket and rbuf for the master
     * client), and the primary hears a newline once a second meanwhile (load_tick). */
    el_del(server.el, rl.fd, EL_READABLE | EL_WRITABLE);
    rl.loading = 1;
    rl.swapdb_loading = 0;   /* the load owns server.loading_rdb / async_loading from here */
    /* Our replicas hold our old data set: they sync again after us. Not before the load, as
     * Redis: a transfer that fails changes nothing, and they go on with us. */
    repl_disconnect_replicas();
    unsigned gen = rl.link_gen;
    for (int i = 0; i < server.dbnum; i++) db_flush(db_by_id(i), 0);
    /* The primary's functions replace ours, as Redis's emptyData does on a full sync. */
    if (rdb_function_hooks.clear) rdb_function_hooks.clear();
    if (!server.loading_rdb && !server.async_loading) log_msg(LL_NOTICE, "MASTER <-> REPLICA sync: Loading DB in memory");
    rdbLoadStats stats = {0};
    wstream_pause(1);
    int rc;
    if (server.async_loading) {
        /* swapdb of our own history: Redis serves the old data set while the new one loads
         * beside it; Keel loads in place, so no client may see the half-loaded one. */
        rc = rdb_load_file(path, &stats, 0);
        server.async_loading = 0;
    } else {
        rc = persist_load_serving(path, &stats, 0, load_tick);
    }
    wstream_pause(0);
    rl.loading = 0;
    if (rl.link_gen != gen) {
        /* The link went while we loaded (the cluster re-pointed this node, ...): the data set
         * is the old primary's at new_offset, from which a partial sync may continue. */
        if (rc != 0) {
            for (int i = 0; i < server.dbnum; i++) db_flush(db_by_id(i), 0);
        } else if (server.masterhost) {
            adopt_snapshot(&stats);
        }
        log_msg(LL_NOTICE, "MASTER <-> REPLICA sync: the link changed while loading, not attached");
        if (server.masterhost && rl.state == RL_CONNECT) connect_master();
        return;
    }
    if (rc != 0) {
        for (int i = 0; i < server.dbnum; i++) db_flush(db_by_id(i), 0);
        transfer_fail("Failed trying to load the MASTER synchronization DB from disk");
        return;
    }
    adopt_snapshot(&stats);
    log_msg(LL_NOTICE, "MASTER <-> REPLICA sync: Finished with success");
    kstr_range_keep(rl.rbuf, used, rl.rbuf->len - used);
    attach_master(rl.rbuf->buf, rl.rbuf->len);
}

/* The socket as socket_load's rdbSource: first the bytes already in rbuf, then the socket,
 * waiting up to repl-timeout for each read (Redis's blocking read with connRecvTimeout); a
 * signal (the watchdog's SIGALRM) only retries. With "$<size>" framing never past the payload.
 * priv: the link_gen of the load; a link cancelled meanwhile (clients were served) ends it. */
static ssize_t socket_read(void *priv, unsigned char *buf, size_t len) {
    if (rl.link_gen != *(unsigned *)priv || rl.fd < 0 || !rl.rbuf) return -1;
    if (rl.size >= 0) {
        if (rl.read >= rl.size) return 0;
        if ((long long)len > rl.size - rl.read) len = (size_t)(rl.size - rl.read);
    }
    if (rl.rbuf->len) {
        size_t n = len < rl.rbuf->len ? len : rl.rbuf->len;
        memcpy(buf, rl.rbuf->buf, n);
        kstr_range_keep(rl.rbuf, n, rl.rbuf->len - n);
        rl.read += (long long)n;
        return (ssize_t)n;
    }
    for (;;) {
        ssize_t n = rl.tls ? tls_link_read(rl.tls, buf, len, "MASTER") : read(rl.fd, buf, len);
        if (n > 0) {
            rl.read += n;
            rl.last_io_ms = mstime();
            return n;
        }
        if (n == 0) return 0;
        if (errno == EINTR) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) {
            log_msg(LL_WARNING, "MASTER <-> REPLICA sync: error reading the payload: %s", strerror(errno));
            return -1;
        }
        struct pollfd pfd = {.fd = rl.fd, .events = rl.tls && tls_link_wants_write(rl.tls) ? POLLOUT : POLLIN};
        int pr = poll(&pfd, 1, server.repl_timeout > 0 ? server.repl_timeout * 1000 : -1);
        if (pr < 0 && errno == EINTR) continue;
        if (pr == 0) {
            log_msg(LL_WARNING, "MASTER <-> REPLICA sync: timeout reading the payload from the MASTER");
            return -1;
        }
        if (pr < 0) return -1;
    }
}

/* Bytes the loader read beyond the RDB come first in rbuf again (the EOF mark, then the
 * stream for the master client). */
static void socket_unread(void *priv, const unsigned char *p, size_t len) {
    (void)priv;
    if (!rl.rbuf) return;
    kstr *s = kstr_cat(kstr_new(p, len), rl.rbuf->buf, rl.rbuf->len);
    kstr_free(rl.rbuf);
    rl.rbuf = s;
    rl.read -= (long long)len;
}

/* repl-diskless-load swapdb / on-empty-db (not async_loading): the payload loads straight
 * from the socket, clients served every loading-process-events-interval-bytes (-LOADING),
 * the link off the event loop meanwhile as in transfer_done. swapdb keeps the old data set
 * aside (db_stash) and puts it back if the load fails; on-empty-db flushes what was loaded. */
static void socket_load(void) {
    int swapdb = server.repl_diskless_load == REPL_DISKLESS_LOAD_SWAPDB;
    bgsave_abort();
    el_del(server.el, rl.fd, EL_READABLE | EL_WRITABLE);
    rl.loading = 1;
    rl.swapdb_loading = 0;   /* the load owns server.loading_rdb from here */
    kdb *saved = NULL;
    if (swapdb) {
        saved = kcalloc(sizeof(kdb) * (size_t)server.dbnum);
        for (int i = 0; i < server.dbnum; i++) db_stash(db_by_id(i), &saved[i]);
    } else {
        repl_disconnect_replicas();
        log_msg(LL_NOTICE, "MASTER <-> REPLICA sync: Flushing old data");
        for (int i = 0; i < server.dbnum; i++) db_flush(db_by_id(i), 0);
    }
    if (rdb_function_hooks.clear) rdb_function_hooks.clear();
    log_msg(LL_NOTICE, "MASTER <-> REPLICA sync: Loading DB in memory");
    unsigned gen = rl.link_gen;
    rdbSource src = {.read = socket_read, .priv = &gen, .total = rl.size > 0 ? (size_t)rl.size : 0};
    rdbLoadStats stats = {0};
    wstream_pause(1);
    int rc = persist_load_source_serving(&src, &stats, load_tick, socket_unread);
    if (rc == 0 && rl.size < 0) {
        char mark[EOF_MARK_LEN];
        size_t got = 0;
        while (got < EOF_MARK_LEN) {
            ssize_t n = socket_read(&gen, (unsigned char *)mark + got, EOF_MARK_LEN - got);
            if (n <= 0) break;
            got += (size_t)n;
        }
        if (got < EOF_MARK_LEN || memcmp(mark, rl.mark, EOF_MARK_LEN) != 0) {
            log_msg(LL_WARNING, "Replication stream EOF marker is broken");
            rc = -1;
        }
    }
    wstream_pause(0);
    rl.loading = 0;
    if (rc != 0) {
        log_msg(LL_WARNING, "Failed trying to load the MASTER synchronization DB from socket, check server logs.");
        if (swapdb) {
            for (int i = 0; i < server.dbnum; i++) db_stash_restore(db_by_id(i), &saved[i]);
            log_msg(LL_NOTICE, "MASTER <-> REPLICA sync: Discarding temporary DB in background");
        } else {
            for (int i = 0; i < server.dbnum; i++) db_flush(db_by_id(i), 0);
        }
        kfree(saved);
        if (rl.link_gen != gen) {
            if (server.masterhost && rl.state == RL_CONNECT) connect_master();
            return;
        }
        transfer_fail(NULL);
        return;
    }
    if (swapdb) {
        /* Our replicas hold the old data set: they sync again after us (Redis's
         * replicationAttachToNewMaster after a swapdb load). */
        repl_disconnect_replicas();
        log_msg(LL_NOTICE, "MASTER <-> REPLICA sync: Discarding old DB in background");
        for (int i = 0; i < server.dbnum; i++) db_stash_free(&saved[i]);
        kfree(saved);
    }
    server.dirty++;   /* a diskless load leaves no file behind, as Redis counts it */
    if (server.masterhost) adopt_snapshot(&stats);
    if (rl.link_gen != gen) {
        log_msg(LL_NOTICE, "MASTER <-> REPLICA sync: the link changed while loading, not attached");
        if (server.masterhost && rl.state == RL_CONNECT) connect_master();
        return;
    }
    log_msg(LL_NOTICE, "MASTER <-> REPLICA sync: Finished with success");
    attach_master(rl.rbuf->buf, rl.rbuf->len);
}

/* Payload bytes at the head of rbuf go to the temp file. */
static void transfer_data(void) {
    size_t avail = rl.rbuf->len;
    size_t take = avail;
    if (rl.size >= 0 && (long long)take > rl.size - rl.read) take = (size_t)(rl.size - rl.read);
    if (take && write(rl.tmp_fd, rl.rbuf->buf, take) != (ssize_t)take) {
        transfer_fail("Write error writing to the DB");
        return;
    }
    /* The last EOF_MARK_LEN bytes received, for the EOF-mark framing. */
    if (take >= EOF_MARK_LEN) {
        memcpy(rl.tail, rl.rbuf->buf + take - EOF_MARK_LEN, EOF_MARK_LEN);
    } else if (take) {
        memmove(rl.tail, rl.tail + take, EOF_MARK_LEN - take);
        memcpy(rl.tail + EOF_MARK_LEN - take, rl.rbuf->buf, take);
    }
    rl.read += (long long)take;
    int done = rl.size >= 0 ? rl.read == rl.size
                            : rl.read >= EOF_MARK_LEN && memcmp(rl.tail, rl.mark, EOF_MARK_LEN) == 0;
    if (done) transfer_done(take);
    else kstr_range_keep(rl.rbuf, take, rl.rbuf->len - take);
}

/* tls-replication: the handshake after the TCP connect; 1 when established, 0 while waiting
 * (the writable interest follows OpenSSL's want), -1 when the link failed. */
static int tls_step(int fd) {
    if (!rl.tls) {
        rl.tls = tls_link_connect(fd);
        if (!rl.tls) {
            link_fail("TLS is not configured for the link to the MASTER");
            return -1;
        }
    }
    int r = tls_link_handshake(rl.tls, "MASTER");
    if (r < 0) {
        link_fail("TLS handshake with the MASTER failed");
        return -1;
    }
    if (r == 0) {
        if (tls_link_wants_write(rl.tls)) {
            el_add(server.el, fd, EL_WRITABLE, link_handler, NULL);
        } else {
            el_del(server.el, fd, EL_WRITABLE);
            el_add(server.el, fd, EL_READABLE, link_handler, NULL);
        }
        return 0;
    }
    return 1;
}

static void link_handler(eventLoop *el, int fd, void *data, int mask) {
    (void)el, (void)data;
    if (rl.loading) return;   /* transfer_done took the link off the loop; never nested */
    if (rl.state == RL_CONNECTING) {
        if (!rl.tls) {
            int err = 0;
            socklen_t len = sizeof(err);
            if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err) {
                link_fail(err ? strerror(err) : "connect failed");
                return;
            }
        }
        if (server.tls_replication || rl.tls) {
            if (tls_step(fd) <= 0) return;
            rl.last_io_ms = mstime();
        }
        el_del(server.el, fd, EL_WRITABLE);
        el_add(server.el, fd, EL_READABLE, link_handler, NULL);
        log_msg(LL_NOTICE, "MASTER <-> REPLICA sync started");
        rl.state = RL_HANDSHAKE;
        rl.step = H_PING;
        const char *argv[] = {"PING"};
        send_command(1, argv);
        return;
    }
    if (mask & EL_WRITABLE) {
        el_del(server.el, fd, EL_WRITABLE);   /* only a TLS read waits for writability here */
        mask |= EL_READABLE;
    }
    if (!(mask & EL_READABLE)) return;
    /* Over TLS, OpenSSL may hold decrypted bytes that epoll will not report: read them too. */
    do {
        rl.rbuf = kstr_reserve(rl.rbuf, 64 * 1024);
        ssize_t n = rl.tls ? tls_link_read(rl.tls, rl.rbuf->buf + rl.rbuf->len, 64 * 1024, "MASTER")
                           : read(fd, rl.rbuf->buf + rl.rbuf->len, 64 * 1024);
        if (n <= 0) {
            if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
                if (rl.tls && tls_link_wants_write(rl.tls)) el_add(server.el, fd, EL_WRITABLE, link_handler, NULL);
                return;
            }
            /* Mid-payload in a loading state: a short read of the RDB, as Redis reports it. */
            if (rl.swapdb_loading)
                log_msg(LL_WARNING, "Internal error in RDB reading the MASTER synchronization payload: "
                                    "Unexpected EOF after %lld bytes", (long long)rl.read);
            if (rl.state == RL_TRANSFER) transfer_fail("the MASTER closed the connection");
            else link_fail("the MASTER closed the connection");
            return;
        }
        rl.rbuf->len += (size_t)n;
        rl.last_io_ms = mstime();
        char line[4096];
        while (rl.fd >= 0 && rl.rbuf) {
            if (rl.state == RL_HANDSHAKE) {
                if (!next_line(line, sizeof(line))) break;
                handshake_line(line);
            } else if (rl.state == RL_TRANSFER && !rl.have_header) {
                if (!next_line(line, sizeof(line))) break;
                if (transfer_header(line) < 0) transfer_fail(NULL);
            } else if (rl.state == RL_TRANSFER) {
                if (rl.rbuf->len == 0) break;
                transfer_data();
            } else {
                return;
            }
        }
    } while (rl.fd == fd && rl.tls && rl.rbuf && tls_link_has_pending(rl.tls) &&
             (rl.state == RL_HANDSHAKE || rl.state == RL_TRANSFER));
}

void repl_send_ack(void) {
    client *c = rl.master;
    if (!c) return;
    char off[32];
    int n = ll_to_str(off, sizeof(off), repl_state.offset);
    c->flags |= CLIENT_MASTER_REPLY;
    reply_array_len(c, 3);
    reply_bulk_cstr(c, "REPLCONF");
    reply_bulk_cstr(c, "ACK");
    reply_bulk(c, off, (size_t)n);
    c->flags &= ~CLIENT_MASTER_REPLY;
}

void repl_master_freed(client *c) {
    if (c != rl.master) return;
    rl.master = NULL;
    rl.master_db = c->db->id;   /* a partial sync continues the stream where it was */
    rl.last_heard_ms = c->last_interaction_ms;
    log_msg(LL_NOTICE, "Connection with master lost.");
    if (server.masterhost) {
        rl.state = RL_CONNECT;
        rl.down_since_ms = mstime();
        connect_master();   /* at once: a partial sync is likely to be possible now */
    }
}

/* The master client ran a command: its bytes, as received, continue our stream. The parser
 * turned each bulk's '\r' into '\0'; they are put back first. */
static void master_applied(client *c, const char *buf, size_t len) {
    char *end = (char *)buf + len;
    for (int i = 0; i < c->parser.argc; i++) {
        char *p = c->parser.argv[i].ptr + c->parser.argv[i].len;
        if (p >= buf && p < end && *p == '\0') *p = '\r';
    }
    repl_feed(buf, len);
}

static void repl_freed(client *c) {
    if (c->flags & CLIENT_MASTER) repl_master_freed(c);
    else repl_replica_freed(c);
}

/* Drops the link to the primary and any attempt in progress. */
static void drop_master_link(void) {
    link_cancel();
    if (rl.master) {
        client *m = rl.master;
        rl.master = NULL;
        rl.master_db = m->db->id;   /* REPLICAOF elsewhere: a later partial sync continues in it */
        m->flags &= ~CLIENT_MASTER;
        client_close_async(m);
    }
}

void repl_set_master(const char *host, int port) {
    drop_master_link();
    blocking_unblock_all("-UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)");
    kfree(server.masterhost);
    server.masterhost = kstrdup(host);
    server.masterport = port;
    rl.state = RL_CONNECT;
    rl.down_since_ms = 0;
    rl.last_heard_ms = 0;
    repl_backlog_ensure();
    config_oom_score_class_changed();   /* core/config.c: the replica's oom-score-adj */
    connect_master();
}

void repl_unset_master(void) {
    drop_master_link();
    kfree(server.masterhost);
    server.masterhost = NULL;
    server.masterport = 0;
    rl.state = RL_NONE;
    config_oom_score_class_changed();
    /* Our replicas continue from here under a new id; they reconnect to learn it. */
    repl_new_replid();
    repl_disconnect_replicas();
}

/* ---------------------------------------------------------------- writable replicas' own TTLs */

/* Keys that clients of this replica (not its primary) wrote: a replica deletes no key on its own
 * except these, once their TTL passed, as Redis's expireSlaveKeys (the primary's keys expire by
 * its DELs). Entries are (db, key) pairs, compacted by repl_replica_cron: a key absent or
 * without TTL leaves the list, a key with a TTL ahead stays. */
typedef struct ownKey {
    int db;
    kstr *key;
} ownKey;
static ownKey *own_keys;
static size_t own_len, own_cap;
static int sweeping_own_keys;   /* expire_own_keys() runs */

void repl_replica_key_written(int dbid, const char *key, size_t len) {
    client *c = server.current_client;
    if (!server.masterhost || !c || (c->flags & CLIENT_MASTER)) return;
    /* Not a client's write: a file or the primary's snapshot loading (current_client may be
     * the client the load served last), or the sweep below deleting an own key (appending
     * then would move the array under the sweep). */
    if (server.loading_rdb || server.loading || sweeping_own_keys) return;
    if (own_len == own_cap) {
        own_cap = own_cap ? own_cap * 2 : 16;
        own_keys = krealloc(own_keys, own_cap * sizeof(*own_keys));
    }
    own_keys[own_len++] = (ownKey){dbid, kstr_new(key, len)};
}

static int own_key_cmp(const void *a, const void *b) {
    const ownKey *x = a, *y = b;
    if (x->db != y->db) return x->db < y->db ? -1 : 1;
    size_t n = x->key->len < y->key->len ? x->key->len : y->key->len;
    int r = memcmp(x->key->buf, y->key->buf, n);
    return r ? r : (x->key->len > y->key->len) - (x->key->len < y->key->len);
}

static void expire_own_keys(void) {
    if (!own_len) return;
    sweeping_own_keys = 1;
    qsort(own_keys, own_len, sizeof(*own_keys), own_key_cmp);
    size_t unique = 0;
    for (size_t i = 0; i < own_len; i++) {
        if (unique && own_key_cmp(&own_keys[i], &own_keys[unique - 1]) == 0)
            kstr_free(own_keys[i].key);
        else
            own_keys[unique++] = own_keys[i];
    }
    size_t kept = 0;
    for (size_t i = 0; i < unique; i++) {
        ownKey *k = &own_keys[i];
        kdb *db = server.masterhost ? db_by_id(k->db) : NULL;
        if (db && db_expire_own_key(db, k->key->buf, k->key->len) == 0)
            own_keys[kept++] = *k;
        else
            kstr_free(k->key);
    }
    own_len = kept;
    sweeping_own_keys = 0;
}

void repl_replica_cron(void) {
    expire_own_keys();   /* a primary again: the list empties */
    if (!server.masterhost) return;
    long long now = mstime(), timeout = (long long)server.repl_timeout * 1000;
    if (rl.state == RL_CONNECT) {
        connect_master();
    } else if (rl.state == RL_CONNECTED) {
        if (rl.master && now - rl.master->last_interaction_ms > timeout) {
            log_msg(LL_WARNING, "MASTER timeout: no data nor PING received...");
            client_close_async(rl.master);
        } else {
            repl_send_ack();
        }
    } else if (rl.state == RL_TRANSFER && now - rl.last_io_ms > timeout) {
        transfer_fail("Timeout receiving bulk data from MASTER... If the problem persists try to set the "
                      "'repl-timeout' parameter in redis.conf to a larger value.");
    } else if (now - rl.last_io_ms > timeout) {
        link_fail("Timeout connecting to the MASTER...");
    }
}

/* ---------------------------------------------------------------- cluster hook */

/* cluster/ (CLUSTER REPLICATE, failover, a node demoted by a newer slot owner): follow
 * host:port, or become a primary when host is NULL, as REPLICAOF does. */
void repl_cluster_set_primary(const char *host, int port) {
    if (!host) {
        if (server.masterhost) repl_unset_master();
        return;
    }
    if (server.masterhost && strcasecmp(server.masterhost, host) == 0 && server.masterport == port) return;
    repl_set_master(host, port);
}

long long repl_sync_offset(void) {
    /* Redis's replicationGetSlaveOffset: a full sync discards the cached primary, so from
     * +FULLRESYNC until the loaded data set is attached the offset is 0. */
    return server.masterhost && rl.state == RL_TRANSFER ? 0 : repl_state.offset;
}

/* Milliseconds since the primary was last heard from (link up: its last command or PING;
 * down: its last message before the link went down, or since ever when it never came up), for
 * an election's data-age check; 0 on a primary. */
long long repl_primary_data_age_ms(void) {
    if (!server.masterhost) return 0;
    long long now = mstime();
    if (rl.state == RL_CONNECTED && rl.master) return now - rl.master->last_interaction_ms;
    /* Since the primary was last heard, which may be before the link was seen to drop (a
     * link closed after a long command). */
    if (rl.last_heard_ms) return now - rl.last_heard_ms;
    return rl.down_since_ms ? now - rl.down_since_ms : now;
}

/* ---------------------------------------------------------------- commands */

static void replicaof_generic(client *c) {
    if (server.cluster_enabled) {
        reply_error(c, "REPLICAOF not allowed in cluster mode.");
        return;
    }
    if (repl_failover_state() != FO_NONE) {
        reply_error(c, "REPLICAOF not allowed while failing over.");
        return;
    }
    if (arg_is(c->argv[1].ptr, c->argv[1].len, "no") && arg_is(c->argv[2].ptr, c->argv[2].len, "one")) {
        if (server.masterhost) {
            repl_unset_master();
            log_msg(LL_NOTICE, "MASTER MODE enabled (user request from 'id=%llu addr=%s')",
                    (unsigned long long)c->id, c->addr);
        }
        reply_ok(c);
        return;
    }
    if (c->flags & CLIENT_SLAVE) {
        reply_error(c, "Command is not valid when client is a replica.");
        return;
    }
    long long port;
    if (!str_to_ll(c->argv[2].ptr, c->argv[2].len, &port) || port < 0 || port > 65535) {
        reply_error(c, "Invalid master port");
        return;
    }
    if (server.masterhost && strcasecmp(server.masterhost, c->argv[1].ptr) == 0 && server.masterport == port) {
        log_msg(LL_NOTICE, "REPLICAOF would result into synchronization with the master we are already connected "
                "with. No operation performed.");
        reply_status(c, "OK Already connected to specified master");
        return;
    }
    repl_set_master(c->argv[1].ptr, (int)port);
    log_msg(LL_NOTICE, "REPLICAOF %s:%d enabled (user request from 'id=%llu addr=%s')", server.masterhost,
            server.masterport, (unsigned long long)c->id, c->addr);
    reply_ok(c);
}

void replicaof_command(client *c) {
    replicaof_generic(c);
}

void slaveof_command(client *c) {
    replicaof_generic(c);
}

void role_command(client *c) {
    if (!server.masterhost) {
        repl_role_primary(c);
        return;
    }
    static const char *const names[] = {"none", "connect", "connecting", "handshake", "sync", "connected"};
    reply_array_len(c, 5);
    reply_bulk_cstr(c, "slave");
    reply_bulk_cstr(c, server.masterhost);
    reply_integer(c, server.masterport);
    reply_bulk_cstr(c, names[rl.state]);
    reply_integer(c, rl.master ? repl_state.offset : -1);
}

/* slave_read_repl_offset: the stream read so far. repl_state.offset counts what was applied;
 * the master client's unparsed input (a pause holds it, or a command is incomplete) is read
 * but not applied yet, as Redis's read_reploff against reploff. */
static long long read_offset(void) {
    const client *m = rl.master;
    return repl_state.offset + (m && m->querybuf ? (long long)(m->querybuf->len - m->qpos) : 0);
}

kstr *repl_info(kstr *s) {
    s = kstr_catfmt(s, "role:%s\r\n", server.masterhost ? "slave" : "master");
    if (server.masterhost) {
        long long now = mstime();
        s = kstr_catfmt(s, "master_host:%s\r\nmaster_port:%d\r\nmaster_link_status:%s\r\n"
                           "master_last_io_seconds_ago:%lld\r\nmaster_sync_in_progress:%d\r\n"
                           "slave_read_repl_offset:%lld\r\nslave_repl_offset:%lld\r\n",
                        server.masterhost, server.masterport, rl.state == RL_CONNECTED ? "up" : "down",
                        rl.master ? now / 1000 - rl.master->last_interaction_ms / 1000 : -1, rl.state == RL_TRANSFER,
                        read_offset(), repl_state.offset);
        if (rl.state == RL_TRANSFER) {
            long long total = rl.size > 0 ? rl.size : 0;
            s = kstr_catfmt(s, "master_sync_total_bytes:%lld\r\nmaster_sync_read_bytes:%lld\r\n"
                               "master_sync_left_bytes:%lld\r\nmaster_sync_perc:%.2f\r\n"
                               "master_sync_last_io_seconds_ago:%lld\r\n",
                            rl.size, rl.read, rl.size - rl.read, total ? (double)rl.read * 100 / (double)total : 0.0,
                            now / 1000 - rl.last_io_ms / 1000);
        }
        if (rl.state != RL_CONNECTED)
            s = kstr_catfmt(s, "master_link_down_since_seconds:%lld\r\n",
                            rl.down_since_ms ? now / 1000 - rl.down_since_ms / 1000 : -1);
        s = kstr_catfmt(s, "slave_priority:%d\r\nslave_read_only:%d\r\nreplica_announced:%d\r\n",
                        server.replica_priority, server.repl_slave_ro, server.replica_announced);
    }
    return repl_primary_info(s);
}

/* ---------------------------------------------------------------- start-up */

/* dispatch_repl_error: Redis's checks, in its order. */
static const char *repl_error(client *c, const command *cmd) {
    /* EVAL and FCALL write as their script's or function's flags say (command_call_flags). */
    int write = multi_exec_flags(c, cmd, CMD_WRITE) || (command_call_flags(cmd, c->argc, c->argv) & CMD_WRITE);
    if (server.masterhost && server.repl_slave_ro && !(c->flags & CLIENT_MASTER) && write)
        return "-READONLY You can't write against a read only replica.";
    if (server.masterhost && rl.state != RL_CONNECTED && !server.repl_serve_stale_data && multi_exec_lacks(c, cmd, CMD_STALE))
        return "-MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.";
    const char *err = repl_min_replicas_error(c, cmd);
    if (err) return err;
    /* A replica's link may not touch the keyspace (it is exempt from CLIENT PAUSE), as Redis. */
    if ((c->flags & CLIENT_SLAVE) && (write || multi_exec_flags(c, cmd, CMD_READONLY | CMD_MAY_REPLICATE)))
        return "Replica can't interact with the keyspace";
    return NULL;
}

static long long repl_cron(eventLoop *el, long long id, void *data) {
    (void)el, (void)id, (void)data;
    repl_replica_cron();
    repl_primary_cron();
    return 1000;
}

/* rdb_repl_info: a replica's position in its primary's stream, or a primary's own. */
static int repl_info_for_rdb(rdbReplInfo *ri) {
    if (!server.masterhost && !repl_backlog_active()) return 0;
    memcpy(ri->replid, repl_state.replid, sizeof(ri->replid));
    ri->offset = repl_state.offset;
    ri->stream_db = rl.master ? rl.master->db->id : server.masterhost ? rl.master_db : 0;
    return 1;
}

/* A file saved with a stream position continues that stream: a replica asks for a partial
 * sync from there, a primary keeps its id and offset so that its replicas can. */
static void resume_from_rdb(void) {
    const rdbReplInfo *ri = persist_loaded_repl_info();
    if (!ri->replid[0]) {
        kstr_free(rdb_expired_dels);
        rdb_expired_dels = NULL;
        return;
    }
    memcpy(repl_state.replid, ri->replid, sizeof(repl_state.replid));
    repl_state.offset = ri->offset;
    rl.master_db = ri->stream_db;
    /* A primary starts a new history that continues the saved one (its replicas follow it
     * with a partial sync through replid2), as Redis does. */
    if (!server.masterhost) repl_new_replid();
    repl_backlog_ensure();
    /* The keys that expired in the file: their DELs continue the new history (Redis feeds them
     * to its backlog while loading); too many for the backlog, only the offset moves on, and
     * the replicas' partial syncs fail as in Redis. */
    if (!server.masterhost && rdb_expired_dels_len) repl_feed_loaded_dels(rdb_expired_dels, rdb_expired_dels_len);
    log_msg(LL_NOTICE, "Continuing replication id %s from offset %lld (RDB aux fields)", ri->replid, ri->offset);
    kstr_free(rdb_expired_dels);
    rdb_expired_dels = NULL;
}

void repl_init(void) {
    repl_primary_init();
    rdb_repl_info = repl_info_for_rdb;
    resume_from_rdb();
    dispatch_repl_error = repl_error;
    client_master_applied = master_applied;
    client_repl_freed = repl_freed;
    el_add_timer(server.el, 1000, repl_cron, NULL);
    if (server.masterhost) {
        rl.state = RL_CONNECT;
        repl_backlog_ensure();
        connect_master();
    }
}
