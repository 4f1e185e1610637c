/* net.c - listening sockets (TCP and Unix) and accepting clients.
 *
 * Bind addresses follow redis.conf: a leading '-' marks an address whose failure to bind is not
 * fatal ("-::1" on a host without IPv6). New connections past maxclients, or from peers other
 * than 127.0.0.1 and ::1 while protected mode applies (protected-mode yes and a default user
 * without a password, as in Redis 7.0), get Redis's error line and are closed (a TLS
 * connection, which has no TLS session yet to carry that line, is just closed). The tls-port
 * listeners accept clients that core/tls.c then serves. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/acl.h"
#include "core/tls.h"
#include "server.h"
#include "util/log.h"

#define MAX_ACCEPTS_PER_CALL 1000

/* What a listener accepts: its event data. */
enum { LISTEN_TCP = 0, LISTEN_UNIX = 1, LISTEN_TLS = 2 };

static int set_nonblock(int fd) {
    int flags = fcntl(fd, F_GETFL);
    return flags < 0 ? -1 : fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

static void tune_tcp(int fd) {
    int yes = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof(yes));
    if (server.tcp_keepalive > 0) {
        int interval = server.tcp_keepalive;
        setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &yes, sizeof(yes));
        setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &interval, sizeof(interval));
        int intvl = interval / 3 ? interval / 3 : 1, cnt = 3;
        setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl));
        setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt));
    }
}

static void describe_peer(int fd, int is_unix, char *addr, size_t alen, char *laddr, size_t llen) {
    if (is_unix) {
        snprintf(addr, alen, "%s:0", server.unixsocket ? server.unixsocket : "");
        snprintf(laddr, llen, "%s:0", server.unixsocket ? server.unixsocket : "");
        return;
    }
    struct sockaddr_storage sa;
    socklen_t len = sizeof(sa);
    char host[INET6_ADDRSTRLEN];
    for (int which = 0; which < 2; which++) {
        char *out = which ? laddr : addr;
        size_t outlen = which ? llen : alen;
        len = sizeof(sa);
        int r = which ? getsockname(fd, (struct sockaddr *)&sa, &len) : getpeername(fd, (struct sockaddr *)&sa, &len);
        if (r < 0) {
            snprintf(out, outlen, "?:0");
            continue;
        }
        if (sa.ss_family == AF_INET) {
            struct sockaddr_in *s = (struct sockaddr_in *)&sa;
            inet_ntop(AF_INET, &s->sin_addr, host, sizeof(host));
            snprintf(out, outlen, "%s:%d", host, ntohs(s->sin_port));
        } else {
            struct sockaddr_in6 *s = (struct sockaddr_in6 *)&sa;
            inet_ntop(AF_INET6, &s->sin6_addr, host, sizeof(host));
            snprintf(out, outlen, "%s:%d", host, ntohs(s->sin6_port));
        }
    }
}

/* Redis's islocalClient: the peer is exactly 127.0.0.1 or ::1 ("ip:port" in addr). */
static int is_loopback_peer(const char *addr) {
    return strncmp(addr, "127.0.0.1:", 10) == 0 || strncmp(addr, "::1:", 4) == 0;
}

const char *net_protected_denial(const char *addr) {
    if (!server.protected_mode || !acl_default_has_no_password() || is_loopback_peer(addr)) return NULL;
    /* Redis's words, byte for byte: clients match on them. */
    return
               "-DENIED Redis is running in protected mode because protected mode is enabled and no password "
               "is set for the default user. In this mode connections are only accepted from the loopback "
               "interface. If you want to connect from external computers to Redis you may adopt one of the "
               "following solutions: 1) Just disable protected mode sending the command 'CONFIG SET "
               "protected-mode no' from the loopback interface by connecting to Redis from the same host the "
               "server is running, however MAKE SURE Redis is not publicly accessible from internet if you do "
               "so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable "
               "the protected mode by editing the Redis configuration file, and setting the protected mode "
               "option to 'no', and then restarting the server. 3) If you started the server manually just "
               "for testing, restart it with the '--protected-mode no' option. 4) Setup a an authentication "
               "password for the default user. NOTE: You only need to do one of the above things in order for "
               "the server to start accepting connections from the outside.\r\n";
}

void net_bind_source(int fd, int family) {
    if (!server.bind_source_addr) return;
    struct addrinfo hints = {.ai_family = family, .ai_socktype = SOCK_STREAM}, *res = NULL;
    if (getaddrinfo(server.bind_source_addr, NULL, &hints, &res) != 0) return;
    int yes = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    for (struct addrinfo *p = res; p; p = p->ai_next)
        if (bind(fd, p->ai_addr, p->ai_addrlen) == 0) break;
    freeaddrinfo(res);
}

static void refuse(int fd, int kind, const char *msg) {
    /* Best effort: the peer may be gone already. */
    if (kind != LISTEN_TLS) {
        ssize_t w = write(fd, msg, strlen(msg));
        (void)w;
    }
    close(fd);
}

static void accept_one(int fd, int kind) {
    int is_unix = kind == LISTEN_UNIX;
    char addr[64], laddr[64];
    describe_peer(fd, is_unix, addr, sizeof(addr), laddr, sizeof(laddr));
    if (server.nclients >= server.maxclients) {
        refuse(fd, kind, "-ERR max number of clients reached\r\n");
        server.stat_rejected_conn++;
        return;
    }
    /* On the TLS port the refusal waits for the handshake, so that it can carry the line, as
     * Redis (tls_event() asks net_protected_denial() once the session is up). */
    const char *denied = is_unix || kind == LISTEN_TLS ? NULL : net_protected_denial(addr);
    if (denied) {
        refuse(fd, kind, denied);
        server.stat_rejected_conn++;
        return;
    }
    set_nonblock(fd);
    if (!is_unix) tune_tcp(fd);
    client *c = client_create(fd, is_unix);
    if (!c) {
        close(fd);
        return;
    }
    snprintf(c->addr, sizeof(c->addr), "%s", addr);
    snprintf(c->laddr, sizeof(c->laddr), "%s", laddr);
    if (kind == LISTEN_TLS && tls_conn_attach(c) < 0) {
        log_msg(LL_WARNING, "Error creating a TLS connection for %s", addr);
        client_free(c);
        return;
    }
    server.stat_numconnections++;
    log_msg(LL_VERBOSE, "Accepted %s", addr);
}

static void accept_handler(eventLoop *el, int lfd, void *data, int mask) {
    int kind = (int)(intptr_t)data;
    for (int i = 0; i < MAX_ACCEPTS_PER_CALL; i++) {
        int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                log_msg(LL_WARNING, "Accepting client connection: %s", strerror(errno));
            return;
        }
        accept_one(fd, kind);
    }
}

static int listen_tcp(const char *host, int portnum) {
    struct addrinfo hints = {0}, *res = NULL;
    char port[16];
    snprintf(port, sizeof(port), "%d", portnum);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    if (strcmp(host, "*") == 0) host = NULL, hints.ai_family = AF_INET;
    else if (strcmp(host, "::*") == 0) host = NULL, hints.ai_family = AF_INET6;
    int rc = getaddrinfo(host, port, &hints, &res);
    if (rc != 0) {
        log_msg(LL_WARNING, "Could not resolve %s: %s", host ? host : "*", gai_strerror(rc));
        return -1;
    }
    int fd = -1;
    for (struct addrinfo *p = res; p; p = p->ai_next) {
        fd = socket(p->ai_family, p->ai_socktype | SOCK_CLOEXEC, p->ai_protocol);
        if (fd < 0) continue;
        int yes = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
        if (p->ai_family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &yes, sizeof(yes));
        if (bind(fd, p->ai_addr, p->ai_addrlen) == 0 && listen(fd, server.tcp_backlog) == 0) break;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    return fd;
}

static int listen_unix(const char *path) {
    struct sockaddr_un sa = {0};
    if (strlen(path) >= sizeof(sa.sun_path)) return -1;
    unlink(path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    sa.sun_family = AF_UNIX;
    strcpy(sa.sun_path, path);
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, server.tcp_backlog) < 0) {
        close(fd);
        return -1;
    }
    if (server.unixsocketperm) chmod(path, (mode_t)server.unixsocketperm);
    return fd;
}

/* Listens on every bind address at port; the fds go to fds[] (*count of them). */
static int listen_port(int port, int kind, int *fds, int *count) {
    *count = 0;
    for (int i = 0; i < server.bindaddr_count && port != 0; i++) {
        const char *addr = server.bindaddr[i];
        int optional = addr[0] == '-';
        if (optional) addr++;
        int fd = listen_tcp(addr, port);
        if (fd < 0) {
            if (optional) continue;
            log_msg(LL_WARNING, "Warning: Could not create server TCP listening socket %s:%d: %s", addr, port,
                    strerror(errno));
            return -1;
        }
        set_nonblock(fd);
        fds[(*count)++] = fd;
        el_add(server.el, fd, EL_READABLE, accept_handler, (void *)(intptr_t)kind);
    }
    return 0;
}

static void close_fds(int *fds, int *count) {
    for (int i = 0; i < *count; i++) {
        el_del(server.el, fds[i], EL_READABLE);
        close(fds[i]);
    }
    *count = 0;
}

int net_listen(void) {
    /* The first call is server_init()'s, which exits on failure: Redis's words then, which its
     * test suite looks for to retry with other ports (CONFIG SET port only replies an error). */
    static int started;
    int at_startup = !started;
    started = 1;
    if (listen_port(server.port, LISTEN_TCP, server.listen_fds, &server.listen_count) < 0) {
        if (at_startup) log_msg(LL_WARNING, "Failed listening on port %d (TCP), aborting.", server.port);
        return -1;
    }
    if (listen_port(server.tls_port, LISTEN_TLS, server.tls_listen_fds, &server.tls_listen_count) < 0) {
        if (at_startup) log_msg(LL_WARNING, "Failed listening on port %d (TLS), aborting.", server.tls_port);
        return -1;
    }
    server.unix_fd = -1;
    if (server.unixsocket && server.unixsocket[0]) {
        server.unix_fd = listen_unix(server.unixsocket);
        if (server.unix_fd < 0) {
            log_msg(LL_WARNING, "Failed opening Unix socket: %s", strerror(errno));
            return -1;
        }
        set_nonblock(server.unix_fd);
        el_add(server.el, server.unix_fd, EL_READABLE, accept_handler, (void *)(intptr_t)LISTEN_UNIX);
    }
    if (server.listen_count == 0 && server.tls_listen_count == 0 && server.unix_fd < 0) {
        log_msg(LL_WARNING, "Configured to not listen anywhere, exiting.");
        return -1;
    }
    return 0;
}

void net_close_listeners(void) {
    close_fds(server.listen_fds, &server.listen_count);
    close_fds(server.tls_listen_fds, &server.tls_listen_count);
    if (server.unix_fd >= 0) {
        el_del(server.el, server.unix_fd, EL_READABLE);
        close(server.unix_fd);
        unlink(server.unixsocket);
        server.unix_fd = -1;
    }
}
