/* migrate.c - MIGRATE host port key|"" db timeout [COPY] [REPLACE] [AUTH pw] [AUTH2 user pw]
 * [KEYS key...]: moves keys to another server with DUMP payloads (persist/rdb.h) sent as
 * RESTORE (RESTORE-ASKING in cluster mode, so the target accepts keys of a slot it imports).
 *
 * The transfer is synchronous, as in Redis, every read and write bounded by the timeout. The
 * connection to each target is cached (see migrateConn below), so a resharding that calls
 * MIGRATE once per batch of keys connects once. Each source key is deleted only after the target acknowledged its
 * RESTORE, so a failure midway loses no key (at worst a key is on both sides, as with Redis).
 * The target's replies are read one line each (+OK or -error), in the order sent: AUTH, SELECT,
 * then one per key. */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cluster/cluster.h"
#include "cluster/cluster_cmd.h"
#include "core/notify.h"
#include "core/tls.h"
#include "keyspace/db.h"
#include "persist/rdb.h"
#include "persist/wstream.h"
#include "protocol/reply.h"
#include "util/mem.h"
#include "util/util.h"

static int wait_fd(int fd, short events, long long deadline) {
    long long left = deadline - mstime();
    if (left <= 0) {
        errno = ETIMEDOUT;
        return -1;
    }
    struct pollfd p = {.fd = fd, .events = events};
    int r = poll(&p, 1, (int)left);
    if (r == 0) errno = ETIMEDOUT;
    return r > 0 ? 0 : -1;
}

static int connect_with_timeout(const char *host, const char *port, long long deadline) {
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res = NULL;
    if (getaddrinfo(host, port, &hints, &res) != 0) return -1;
    int fd = -1;
    for (struct addrinfo *p = res; p && fd < 0; p = p->ai_next) {
        fd = socket(p->ai_family, p->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, p->ai_protocol);
        if (fd < 0) continue;
        int err = 0;
        socklen_t len = sizeof(err);
        if ((connect(fd, p->ai_addr, p->ai_addrlen) < 0 && errno != EINPROGRESS) || wait_fd(fd, POLLOUT, deadline) < 0 ||
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err) {
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    if (fd >= 0) {
        int yes = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof(yes));
    }
    return fd;
}

/* The connection cache, as Redis's migrate_cached_sockets: at most MIGRATE_CACHE_MAX targets,
 * keyed by "host:port". Invariant: an entry's fd is connected and owned by the entry; any I/O
 * error closes and removes the entry, so a used entry never has unread bytes from an earlier
 * call (every reply line of a call is read before it returns, or the entry is dropped).
 * last_db is the database the target connection has selected, -1 when unknown, so SELECT is
 * sent only when it changes. Entries idle MIGRATE_CACHE_IDLE_MS are closed by the cron. */
#define MIGRATE_CACHE_MAX 64
#define MIGRATE_CACHE_IDLE_MS 10000

typedef struct migrateConn {
    char name[300];    /* "host:port"; empty when the slot is free */
    int fd;
    struct tlsConn *tls;   /* with tls-cluster, the TLS session on fd (as Redis's MIGRATE) */
    long long last_db;
    long long last_use_ms;
} migrateConn;

static migrateConn migrate_cache[MIGRATE_CACHE_MAX];

int migrate_cached_sockets(void) {
    int n = 0;
    for (int i = 0; i < MIGRATE_CACHE_MAX; i++) n += migrate_cache[i].name[0] != '\0';
    return n;
}

static void migrate_conn_close(migrateConn *mc) {
    if (mc->tls) tls_link_free(mc->tls);
    close(mc->fd);
    mc->name[0] = '\0';
    mc->fd = -1;
    mc->tls = NULL;
}

/* The TLS handshake on a connected socket, bounded by the deadline; 0 or -1. */
static int tls_handshake(migrateConn *m, long long deadline) {
    m->tls = tls_link_connect(m->fd);
    if (!m->tls) return -1;
    for (;;) {
        int r = tls_link_handshake(m->tls, "MIGRATE target");
        if (r > 0) return 0;
        if (r < 0 || wait_fd(m->fd, tls_link_wants_write(m->tls) ? POLLOUT : POLLIN, deadline) < 0) return -1;
    }
}

void migrate_cache_cron(void) {
    long long now = mstime();
    for (int i = 0; i < MIGRATE_CACHE_MAX; i++)
        if (migrate_cache[i].name[0] && now - migrate_cache[i].last_use_ms > MIGRATE_CACHE_IDLE_MS)
            migrate_conn_close(&migrate_cache[i]);
}

/* The cached connection to host:port, connecting (and evicting a random entry when the cache is
 * full) if there is none; NULL when the connection fails. *fresh tells which. */
static migrateConn *migrate_conn_get(const char *host, const char *port, long long deadline, int *fresh) {
    char name[sizeof(migrate_cache[0].name)];
    snprintf(name, sizeof(name), "%s:%s", host, port);
    migrateConn *free_slot = NULL;
    for (int i = 0; i < MIGRATE_CACHE_MAX; i++) {
        if (!migrate_cache[i].name[0]) {
            if (!free_slot) free_slot = &migrate_cache[i];
        } else if (!strcmp(migrate_cache[i].name, name)) {
            *fresh = 0;
            migrate_cache[i].last_use_ms = mstime();
            return &migrate_cache[i];
        }
    }
    migrateConn conn = {.fd = connect_with_timeout(host, port, deadline), .tls = NULL};
    if (conn.fd < 0) return NULL;
    if (server.tls_cluster && tls_handshake(&conn, deadline) < 0) {
        if (conn.tls) tls_link_free(conn.tls);
        close(conn.fd);
        return NULL;
    }
    if (!free_slot) {
        free_slot = &migrate_cache[rand64() % MIGRATE_CACHE_MAX];
        migrate_conn_close(free_slot);
    }
    snprintf(free_slot->name, sizeof(free_slot->name), "%s", name);
    free_slot->fd = conn.fd;
    free_slot->tls = conn.tls;
    free_slot->last_db = -1;
    free_slot->last_use_ms = mstime();
    *fresh = 1;
    return free_slot;
}

static int write_all(migrateConn *m, const char *p, size_t len, long long deadline) {
    while (len) {
        ssize_t w = m->tls ? tls_link_write(m->tls, p, len, "MIGRATE target") : write(m->fd, p, len);
        if (w < 0 && (errno == EAGAIN || errno == EINTR)) {
            short ev = m->tls && tls_link_write_wants_read(m->tls) ? POLLIN : POLLOUT;
            if (wait_fd(m->fd, ev, deadline) < 0) return -1;
            continue;
        }
        if (w <= 0) return -1;
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

/* One reply line without its CRLF into buf (truncated to cap-1 bytes). Over TLS a byte at a
 * time costs no syscall: OpenSSL reads whole records. */
static int read_line(migrateConn *m, char *buf, size_t cap, long long deadline) {
    size_t n = 0;
    for (;;) {
        char ch;
        ssize_t r = m->tls ? tls_link_read(m->tls, &ch, 1, "MIGRATE target") : read(m->fd, &ch, 1);
        if (r < 0 && (errno == EAGAIN || errno == EINTR)) {
            short ev = m->tls && tls_link_wants_write(m->tls) ? POLLOUT : POLLIN;
            if (wait_fd(m->fd, ev, deadline) < 0) return -1;
            continue;
        }
        if (r <= 0) return -1;
        if (ch == '\n') break;
        if (n + 1 < cap) buf[n++] = ch;
    }
    if (n && buf[n - 1] == '\r') n--;
    buf[n] = '\0';
    return 0;
}

static kstr *cat_command(kstr *s, int argc, const char **argv, const size_t *lens) {
    s = kstr_catfmt(s, "*%d\r\n", argc);
    for (int i = 0; i < argc; i++) {
        s = kstr_catfmt(s, "$%zu\r\n", lens[i]);
        s = kstr_cat(s, argv[i], lens[i]);
        s = kstr_catc(s, "\r\n");
    }
    return s;
}

static kstr *cat_cstr_command(kstr *s, int argc, const char **argv) {
    size_t lens[4];
    for (int i = 0; i < argc; i++) lens[i] = strlen(argv[i]);
    return cat_command(s, argc, argv, lens);
}

typedef struct migrateOpts {
    int copy, replace;
    const char *user, *password;
    int first_key, nkeys;
    long long timeout, db;
} migrateOpts;

/* MONITOR and the slow log show "(redacted)" for the credentials, as Redis. */
static void redact_arg(client *c, int j) {
    if (j < 64) c->redacted |= 1ULL << j;
}

static int parse_options(client *c, migrateOpts *o) {
    memset(o, 0, sizeof(*o));
    o->first_key = 3;
    o->nkeys = 1;
    for (int j = 6; j < c->argc; j++) {
        const karg *a = &c->argv[j];
        int more = c->argc - 1 - j;
        if (arg_is(a->ptr, a->len, "copy")) {
            o->copy = 1;
        } else if (arg_is(a->ptr, a->len, "replace")) {
            o->replace = 1;
        } else if (arg_is(a->ptr, a->len, "auth") && more >= 1) {
            o->password = c->argv[++j].ptr;
            redact_arg(c, j);
        } else if (arg_is(a->ptr, a->len, "auth2") && more >= 2) {
            o->user = c->argv[++j].ptr;
            redact_arg(c, j);
            o->password = c->argv[++j].ptr;
            redact_arg(c, j);
        } else if (arg_is(a->ptr, a->len, "keys")) {
            if (c->argv[3].len != 0) {
                reply_error(c, "When using MIGRATE KEYS option, the key argument must be set to the empty string");
                return 0;
            }
            o->first_key = j + 1;
            o->nkeys = c->argc - j - 1;
            break;
        } else {
            reply_error(c, ERR_SYNTAX);
            return 0;
        }
    }
    if (!arg_ll_or_reply(c, &c->argv[5], &o->timeout, NULL) || !arg_ll_or_reply(c, &c->argv[4], &o->db, NULL)) return 0;
    if (o->timeout <= 0) o->timeout = 1000;
    return 1;
}

/* The request: AUTH, SELECT (when select), and one RESTORE per key that exists (names into
 * keys). */
static kstr *build_request(client *c, const migrateOpts *o, int select, const karg **keys, int *nkeys) {
    kstr *req = kstr_empty(256);
    if (o->password) {
        const char *auth[3] = {"AUTH", o->user ? o->user : o->password, o->password};
        req = cat_cstr_command(req, o->user ? 3 : 2, auth);
    }
    char db[32];
    snprintf(db, sizeof(db), "%lld", o->db);
    const char *select_argv[2] = {"SELECT", db};
    if (select) req = cat_cstr_command(req, 2, select_argv);
    *nkeys = 0;
    for (int j = 0; j < o->nkeys; j++) {
        const karg *k = &c->argv[o->first_key + j];
        kobj *obj = db_lookup(c->db, k->ptr, k->len, LOOKUP_NOTOUCH);
        if (!obj) continue;
        long long ttl = 0;
        if (obj->has_expire) {
            ttl = obj_expire(obj) - mstime();
            if (ttl < 1) ttl = 1;
        }
        kstr *payload = rdb_dump_payload(obj);
        char ttlbuf[32];
        snprintf(ttlbuf, sizeof(ttlbuf), "%lld", ttl);
        const char *argv[5] = {server.cluster_enabled ? "RESTORE-ASKING" : "RESTORE", k->ptr, ttlbuf, payload->buf, "REPLACE"};
        size_t lens[5] = {strlen(argv[0]), k->len, strlen(ttlbuf), payload->len, 7};
        req = cat_command(req, o->replace ? 5 : 4, argv, lens);
        kstr_free(payload);
        keys[(*nkeys)++] = k;
    }
    return req;
}

/* MIGRATE's keys (its specs are incomplete): the key argument, or those after KEYS when the
 * key argument is empty (none if it is not); AUTH/AUTH2 arguments are skipped, as Redis's
 * migrateGetKeys. */
int migrate_get_keys(int argc, const karg *argv, int *pos, int *flags, int max) {
    int first = 3, num = 1;
    for (int i = 6; i < argc; i++) {
        if (arg_is(argv[i].ptr, argv[i].len, "auth")) {
            i++;
        } else if (arg_is(argv[i].ptr, argv[i].len, "auth2")) {
            i += 2;
        } else if (arg_is(argv[i].ptr, argv[i].len, "keys")) {
            if (argv[3].len != 0) return 0;   /* KEYS needs the empty key argument */
            first = i + 1;
            num = argc - first;
            break;
        }
    }
    for (int j = 0; j < num && j < max; j++) {
        pos[j] = first + j;
        if (flags) flags[j] = KS_RW | KS_ACCESS | KS_DELETE;
    }
    return num;
}

/* MIGRATE on a connection: sends the request and reads every reply; io_error is 1 (writing)
 * or 2 (reading). replies_read counts RESTORE replies read, so the caller knows whether the
 * target may have acted on the request. The keys the target acknowledged are deleted (unless
 * COPY) and propagate as one "DEL <key>..." (replicas and the AOF), as in Redis. */
typedef struct migrateResult {
    int io_error, replies_read;
    char err[1024];
} migrateResult;

static void migrate_on(client *c, const migrateOpts *o, migrateConn *mc, migrateResult *r) {
    memset(r, 0, sizeof(*r));
    int select = mc->last_db != o->db;
    const karg **keys = kmalloc(sizeof(karg *) * (size_t)(o->nkeys ? o->nkeys : 1));
    int nkeys;
    kstr *req = build_request(c, o, select, keys, &nkeys);
    char line[1024];
    r->io_error = write_all(mc, req->buf, req->len, mstime() + o->timeout) < 0 ? 1 : 0;
    int preamble_failed = 0;
    if (!r->io_error && o->password) {
        if (read_line(mc, line, sizeof(line), mstime() + o->timeout) < 0) {
            r->io_error = 2;
        } else if (line[0] == '-') {
            preamble_failed = 1;
            snprintf(r->err, sizeof(r->err), "%s", line + 1);
        }
    }
    if (!r->io_error && select) {
        if (read_line(mc, line, sizeof(line), mstime() + o->timeout) < 0) {
            r->io_error = 2;
        } else if (line[0] == '-') {
            preamble_failed = 1;
            if (!r->err[0]) snprintf(r->err, sizeof(r->err), "%s", line + 1);
        } else {
            mc->last_db = o->db;
        }
    }
    karg *dels = kmalloc((size_t)(nkeys + 1) * sizeof(*dels));
    int ndels = 0;
    dels[ndels++] = WSTREAM_ARG("DEL");
    for (int j = 0; !r->io_error && j < nkeys; j++) {
        if (read_line(mc, line, sizeof(line), mstime() + o->timeout) < 0) {
            r->io_error = 2;
            break;
        }
        r->replies_read++;
        /* As Redis: a key the target refused (BUSYKEY...) stays, the others still move; after
         * a failed AUTH or SELECT none does. The first error is the reply. */
        if (line[0] == '-' || preamble_failed) {
            if (!r->err[0]) snprintf(r->err, sizeof(r->err), "%s", line + 1);
            continue;
        }
        if (o->copy) continue;
        /* Acknowledged: the key lives on the target now. */
        if (db_delete(c->db, keys[j]->ptr, keys[j]->len)) {
            signal_modified_key(c, c->db, keys[j]->ptr, keys[j]->len);
            notify_keyspace_event(NOTIFY_GENERIC, "del", keys[j]->ptr, keys[j]->len, c->db->id);
            server.dirty++;
            dels[ndels++] = *keys[j];
        }
    }
    if (ndels > 1) wstream_rewrite(ndels, dels);
    kfree(dels);
    kstr_free(req);
    kfree(keys);
}

static int any_key_exists(client *c, const migrateOpts *o) {
    for (int j = 0; j < o->nkeys; j++) {
        const karg *k = &c->argv[o->first_key + j];
        if (db_lookup(c->db, k->ptr, k->len, LOOKUP_NOTOUCH)) return 1;
    }
    return 0;
}

void migrate_command(client *c) {
    migrateOpts o;
    if (!parse_options(c, &o)) return;
    if (!any_key_exists(c, &o)) {
        reply_status(c, "NOKEY");
        return;
    }
    migrateResult r;
    for (int attempt = 0;; attempt++) {
        int fresh;
        migrateConn *mc = migrate_conn_get(c->argv[1].ptr, c->argv[2].ptr, mstime() + o.timeout, &fresh);
        if (!mc) {
            reply_error(c, "-IOERR error or timeout connecting to the client");
            return;
        }
        migrate_on(c, &o, mc, &r);
        if (!r.io_error) break;
        int timed_out = errno == ETIMEDOUT;
        migrate_conn_close(mc);
        /* A cached connection the target has since closed fails at once: connect again, once,
         * unless the target may already have acted on the request or the error was a timeout. */
        if (fresh || attempt > 0 || timed_out || r.replies_read > 0) break;
    }
    if (r.err[0])
        reply_errorf(c, "Target instance replied with error: %s", r.err);
    else if (r.io_error)
        reply_errorf(c, "-IOERR error or timeout %s to target instance", r.io_error == 1 ? "writing" : "reading");
    else
        reply_ok(c);
}
