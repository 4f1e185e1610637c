/* tls.c - TLS for client connections with OpenSSL (issue #17).
 *
 * One server context (SSL_CTX) built from the tls-* parameters as Redis 7.0 builds it: the
 * protocols of tls-protocols (TLSv1.2 and TLSv1.3 when empty), ciphers and ciphersuites, the
 * certificate and key (the key may be encrypted with tls-key-file-pass), the CA file or
 * directory that verifies client certificates, the server-side session cache, DH parameters.
 * tls_configure() builds a new context and swaps it in only when the build succeeded; every SSL
 * holds a reference to the context it was made from, so established connections keep theirs.
 *
 * A connection (tlsConn) starts ACCEPTING: socket events run SSL_accept until it completes,
 * waiting for readability or writability as OpenSSL asks. Then client.c reads and writes
 * through tls_read()/tls_write(). Invariants:
 *  - OpenSSL may need the socket writable to go on reading (read_wants_write) or readable to
 *    go on writing (write_wants_read); the writable interest is set from both flags and the
 *    queued output (tls_update_interest), and tls_event() routes the event to the side that
 *    waited.
 *  - Bytes that OpenSSL has already taken off the socket (a record longer than one read) are
 *    not reported by epoll again: a connection whose SSL still has buffered data after a read
 *    is on the pending list, which tls_process_pending() reads before every poll.
 *  - tls-auth-clients applies at accept time (yes: a certificate is required, optional: one
 *    is verified if given, no: none is asked for). */
#include "core/tls.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/decoder.h>

#include "util/log.h"
#include "util/mem.h"

enum { TLS_ACCEPTING, TLS_CONNECTED };

struct tlsConn {
    SSL *ssl;
    client *c;
    int state;
    int hs_wants_write;      /* the handshake waits for writability */
    int read_wants_write;    /* SSL_read asked for writability */
    int write_wants_read;    /* SSL_write asked for readability */
    int pending;             /* on the pending list */
    struct tlsConn *pprev, *pnext;
};

static SSL_CTX *tls_ctx;          /* accepting side: tls-port clients, cluster bus */
static SSL_CTX *tls_client_ctx;   /* connecting side: replica link, cluster bus, MIGRATE */
static struct tlsConn *pending_head, *pending_tail;
static int pending_count;

int tls_needed(void) {
    return server.tls_port != 0 || server.tls_replication || server.tls_cluster;
}

/* The last OpenSSL error as text, for the log. */
static const char *ssl_error_text(char *buf, size_t len) {
    unsigned long e = ERR_peek_last_error();
    if (!e) {
        snprintf(buf, len, "unknown error");
        return buf;
    }
    ERR_error_string_n(e, buf, len);
    return buf;
}

/* tls-protocols: a space-separated subset of TLSv1 TLSv1.1 TLSv1.2 TLSv1.3 (any case); empty
 * means TLSv1.2 and TLSv1.3, as Redis. Returns a bit set (bit 0: TLSv1 ... bit 3: TLSv1.3) or
 * -1. */
static int parse_protocols(const char *spec) {
    if (!spec || !*spec) return 4 | 8;
    int set = 0;
    char word[32];
    const char *p = spec;
    while (*p) {
        while (*p == ' ') p++;
        if (!*p) break;
        size_t n = strcspn(p, " ");
        if (n >= sizeof(word)) n = sizeof(word) - 1;
        memcpy(word, p, n);
        word[n] = '\0';
        p += strcspn(p, " ");
        if (!strcasecmp(word, "tlsv1")) set |= 1;
        else if (!strcasecmp(word, "tlsv1.1")) set |= 2;
        else if (!strcasecmp(word, "tlsv1.2")) set |= 4;
        else if (!strcasecmp(word, "tlsv1.3")) set |= 8;
        else {
            log_msg(LL_WARNING, "Invalid tls-protocols specified. Use a combination of 'TLSv1', 'TLSv1.1', "
                                "'TLSv1.2' and 'TLSv1.3'.");
            return -1;
        }
    }
    if (!set) {
        log_msg(LL_WARNING, "Invalid tls-protocols configuration string");
        return -1;
    }
    return set;
}

static int key_password(char *buf, int size, int rwflag, void *userdata) {
    (void)rwflag;
    const char *pass = userdata;
    if (!pass || size <= 0) return -1;
    int n = (int)strlen(pass);
    if (n > size - 1) n = size - 1;
    memcpy(buf, pass, (size_t)n);
    buf[n] = '\0';
    return n;
}

static int load_dh_params(SSL_CTX *ctx, const char *path) {
    char err[256];
    FILE *f = fopen(path, "r");
    if (!f) {
        log_msg(LL_WARNING, "Failed to load %s: %s", path, strerror(errno));
        return -1;
    }
    EVP_PKEY *pkey = NULL;
    OSSL_DECODER_CTX *dctx =
        OSSL_DECODER_CTX_new_for_pkey(&pkey, "PEM", NULL, "DH", OSSL_KEYMGMT_SELECT_DOMAIN_PARAMETERS, NULL, NULL);
    if (!dctx) {
        fclose(f);
        log_msg(LL_WARNING, "No decoder for DH params.");
        return -1;
    }
    int ok = OSSL_DECODER_from_fp(dctx, f) > 0;
    OSSL_DECODER_CTX_free(dctx);
    fclose(f);
    if (!ok || !pkey) {
        log_msg(LL_WARNING, "%s: failed to read DH params.", path);
        return -1;
    }
    if (SSL_CTX_set0_tmp_dh_pkey(ctx, pkey) <= 0) {   /* takes pkey only on success */
        EVP_PKEY_free(pkey);
        log_msg(LL_WARNING, "Failed to load DH params file: %s: %s", path, ssl_error_text(err, sizeof(err)));
        return -1;
    }
    return 0;
}

/* client: the context of outgoing connections, with tls-client-cert-file/-key-file when both
 * are set (else the server's own certificate, as Redis's shared context), verifying the peer's
 * certificate with the CA (no host name check, as Redis 7.0). */
static SSL_CTX *build_context(int client) {
    char err[256];
    const char *cert = server.tls_cert_file, *key = server.tls_key_file, *pass = server.tls_key_file_pass;
    if (client && server.tls_client_cert_file && server.tls_client_key_file) {
        cert = server.tls_client_cert_file;
        key = server.tls_client_key_file;
        pass = server.tls_client_key_file_pass;
    }
    if (!server.tls_cert_file) {
        log_msg(LL_WARNING, "No tls-cert-file configured!");
        return NULL;
    }
    if (!server.tls_key_file) {
        log_msg(LL_WARNING, "No tls-key-file configured!");
        return NULL;
    }
    if ((server.tls_auth_clients != TLS_AUTH_NO || server.tls_replication || server.tls_cluster) &&
        !server.tls_ca_cert_file && !server.tls_ca_cert_dir) {
        log_msg(LL_WARNING, "Either tls-ca-cert-file or tls-ca-cert-dir must be specified when tls-cluster, "
                            "tls-replication or tls-auth-clients are enabled!");
        return NULL;
    }
    int protocols = parse_protocols(server.tls_protocols);
    if (protocols < 0) return NULL;

    ERR_clear_error();
    SSL_CTX *ctx = SSL_CTX_new(client ? TLS_client_method() : TLS_server_method());
    if (!ctx) {
        log_msg(LL_WARNING, "Failed to create the TLS context: %s", ssl_error_text(err, sizeof(err)));
        return NULL;
    }
    /* The protocol range: from the lowest to the highest version asked for; a version inside
     * the range that was not asked for is switched off by its option. */
    static const int versions[4] = {TLS1_VERSION, TLS1_1_VERSION, TLS1_2_VERSION, TLS1_3_VERSION};
    static const long no_options[4] = {SSL_OP_NO_TLSv1, SSL_OP_NO_TLSv1_1, SSL_OP_NO_TLSv1_2, SSL_OP_NO_TLSv1_3};
    int lo = -1, hi = -1;
    for (int i = 0; i < 4; i++) {
        if (protocols & (1 << i)) {
            if (lo < 0) lo = i;
            hi = i;
        } else {
            SSL_CTX_set_options(ctx, (uint64_t)no_options[i]);
        }
    }
    SSL_CTX_set_min_proto_version(ctx, versions[lo]);
    SSL_CTX_set_max_proto_version(ctx, versions[hi]);
    /* OpenSSL 3 refuses client-initiated renegotiation by default (no SSL_OP_ALLOW_...). */
    SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_SINGLE_DH_USE);
    /* A peer that closes without close_notify is an ordinary EOF, not a logged error. */
    SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
    if (server.tls_prefer_server_ciphers) SSL_CTX_set_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE);
    /* Partial writes: SSL_write returns after each record, so client.c's reply blocks behave as
     * with write(); the buffer of a retried write may have moved and grown (appended replies). */
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);

    SSL_CTX_set_default_passwd_cb(ctx, key_password);
    SSL_CTX_set_default_passwd_cb_userdata(ctx, (void *)pass);
    if (SSL_CTX_use_certificate_chain_file(ctx, cert) <= 0) {
        log_msg(LL_WARNING, "Failed to load certificate: %s: %s", cert, ssl_error_text(err, sizeof(err)));
        goto fail;
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) <= 0) {
        log_msg(LL_WARNING, "Failed to load private key: %s: %s", key, ssl_error_text(err, sizeof(err)));
        goto fail;
    }
    if (!SSL_CTX_check_private_key(ctx)) {
        log_msg(LL_WARNING, "The private key %s does not match the certificate %s", key, cert);
        goto fail;
    }
    SSL_CTX_set_default_passwd_cb_userdata(ctx, NULL);   /* the pass string may be replaced later */
    if ((server.tls_ca_cert_file || server.tls_ca_cert_dir) &&
        SSL_CTX_load_verify_locations(ctx, server.tls_ca_cert_file, server.tls_ca_cert_dir) <= 0) {
        log_msg(LL_WARNING, "Failed to configure CA certificate(s) file/directory: %s", ssl_error_text(err, sizeof(err)));
        goto fail;
    }
    if (server.tls_ciphers && !SSL_CTX_set_cipher_list(ctx, server.tls_ciphers)) {
        log_msg(LL_WARNING, "Failed to configure ciphers: %s", server.tls_ciphers);
        goto fail;
    }
    if (server.tls_ciphersuites && !SSL_CTX_set_ciphersuites(ctx, server.tls_ciphersuites)) {
        log_msg(LL_WARNING, "Failed to configure ciphersuites: %s", server.tls_ciphersuites);
        goto fail;
    }
    if (client) {
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
        return ctx;
    }
    if (server.tls_session_caching) {
        SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
        SSL_CTX_sess_set_cache_size(ctx, server.tls_session_cache_size);
        SSL_CTX_set_timeout(ctx, server.tls_session_cache_timeout);
        SSL_CTX_set_session_id_context(ctx, (const unsigned char *)"keel", 4);
    } else {
        /* As Redis: no cache, but tickets stay on and no session id context is set, so a
         * resumption attempt on a connection that verifies the peer ends in OpenSSL's
         * "session id context uninitialized" internal-error alert, as redis-server's does. */
        SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    }
    if (server.tls_dh_params_file) {
        if (load_dh_params(ctx, server.tls_dh_params_file) < 0) goto fail;
    } else {
        SSL_CTX_set_dh_auto(ctx, 1);
    }
    return ctx;
fail:
    SSL_CTX_free(ctx);
    return NULL;
}

int tls_configure(void) {
    SSL_CTX *ctx = build_context(0);
    SSL_CTX *cctx = ctx ? build_context(1) : NULL;
    ERR_clear_error();
    if (!cctx) {
        if (ctx) SSL_CTX_free(ctx);
        return -1;
    }
    if (tls_ctx) SSL_CTX_free(tls_ctx);   /* connections keep their own reference */
    if (tls_client_ctx) SSL_CTX_free(tls_client_ctx);
    tls_ctx = ctx;
    tls_client_ctx = cctx;
    return 0;
}

static ssize_t conn_write(struct tlsConn *t, const void *buf, size_t len, const char *who);

/* ---- the pending list ---- */

static void pending_add(struct tlsConn *t) {
    if (t->pending) return;
    t->pending = 1;
    t->pnext = NULL;
    t->pprev = pending_tail;
    if (pending_tail) pending_tail->pnext = t;
    else pending_head = t;
    pending_tail = t;
    pending_count++;
}

static void pending_remove(struct tlsConn *t) {
    if (!t->pending) return;
    if (t->pprev) t->pprev->pnext = t->pnext;
    else pending_head = t->pnext;
    if (t->pnext) t->pnext->pprev = t->pprev;
    else pending_tail = t->pprev;
    t->pprev = t->pnext = NULL;
    t->pending = 0;
    pending_count--;
}

/* A one-shot timer due at once makes the next poll return immediately. */
static int wake_armed;
static long long wake_timer(eventLoop *el, long long id, void *data) {
    (void)el;
    (void)id;
    (void)data;
    wake_armed = 0;
    return EL_NOMORE;
}

void tls_process_pending(void) {
    for (int round = 0; round < 4 && pending_head; round++) {
        int n = pending_count, progressed = 0;
        while (n-- > 0 && pending_head) {
            struct tlsConn *t = pending_head;
            pending_remove(t);
            client *c = t->c;
            if (!(el_mask(server.el, c->fd) & EL_READABLE)) {
                pending_add(t);   /* reading paused: kept for when it resumes */
                continue;
            }
            progressed = 1;
            client_read_handler(server.el, c->fd, c, EL_READABLE);   /* may free c, may re-add t */
        }
        if (!progressed) return;
    }
    if (pending_head && !wake_armed) {
        wake_armed = 1;
        el_add_timer(server.el, 0, wake_timer, NULL);
    }
}

/* ---- connections ---- */

int tls_conn_attach(client *c) {
    if (!tls_ctx) return -1;
    SSL *ssl = SSL_new(tls_ctx);
    if (!ssl) return -1;
    int verify = server.tls_auth_clients == TLS_AUTH_YES ? SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT
                 : server.tls_auth_clients == TLS_AUTH_OPTIONAL ? SSL_VERIFY_PEER
                                                                : SSL_VERIFY_NONE;
    SSL_set_verify(ssl, verify, NULL);
    SSL_set_fd(ssl, c->fd);
    SSL_set_accept_state(ssl);
    struct tlsConn *t = kcalloc(sizeof(*t));
    t->ssl = ssl;
    t->c = c;
    t->state = TLS_ACCEPTING;
    c->tls = t;
    return 0;
}

void tls_conn_free(client *c) {
    struct tlsConn *t = c->tls;
    if (!t) return;
    pending_remove(t);
    if (t->state == TLS_CONNECTED) {
        /* close_notify, without waiting for the peer's (the socket closes next). */
        ERR_clear_error();
        SSL_set_quiet_shutdown(t->ssl, 0);
        SSL_shutdown(t->ssl);
    }
    SSL_free(t->ssl);
    ERR_clear_error();
    kfree(t);
    c->tls = NULL;
}

void tls_update_interest(client *c) {
    struct tlsConn *t = c->tls;
    if (c->fd < 0) return;
    int want_w = t->state == TLS_ACCEPTING ? t->hs_wants_write
                                           : t->read_wants_write || (client_output_pending(c) && !t->write_wants_read);
    int mask = el_mask(server.el, c->fd);
    if (want_w && !(mask & EL_WRITABLE)) el_add(server.el, c->fd, EL_WRITABLE, client_read_handler, c);
    else if (!want_w && (mask & EL_WRITABLE)) el_del(server.el, c->fd, EL_WRITABLE);
}

int tls_event(client *c, int *mask) {
    struct tlsConn *t = c->tls;
    if (t->state == TLS_ACCEPTING) {
        ERR_clear_error();
        int r = SSL_accept(t->ssl);
        if (r <= 0) {
            int e = SSL_get_error(t->ssl, r);
            if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
                t->hs_wants_write = e == SSL_ERROR_WANT_WRITE;
                tls_update_interest(c);
                return 0;
            }
            char err[256];
            log_msg(LL_VERBOSE, "Error accepting a client connection: %s (addr=%s laddr=%s)",
                    e == SSL_ERROR_SYSCALL ? (errno ? strerror(errno) : "connection closed")
                                           : ssl_error_text(err, sizeof(err)),
                    c->addr, c->laddr);
            ERR_clear_error();
            client_free(c);
            return -1;
        }
        t->state = TLS_CONNECTED;
        t->hs_wants_write = 0;
        const char *denied = net_protected_denial(c->addr);
        if (denied) {   /* protected mode, told over the session as Redis does */
            conn_write(t, denied, strlen(denied), "client");
            server.stat_rejected_conn++;
            client_free(c);
            return -1;
        }
        tls_update_interest(c);
        *mask = EL_READABLE;   /* the first request may have come with the handshake's end */
        return 1;
    }
    if ((*mask & EL_WRITABLE) && t->read_wants_write) {
        t->read_wants_write = 0;
        *mask = EL_READABLE;
        return 1;
    }
    if ((*mask & EL_READABLE) && t->write_wants_read) {
        t->write_wants_read = 0;
        if (client_write_now(c) < 0) return -1;
    }
    return 1;
}

/* One SSL_read returns at most one record (16 KB): after a full record (a big argument arriving)
 * the next is read at once, up to len; an error after some bytes waits for the next call.
 * Sets or clears t->read_wants_write; who names the peer in the log. */
static ssize_t conn_read(struct tlsConn *t, void *buf, size_t len, const char *who) {
    if (len > INT_MAX) len = INT_MAX;
    size_t got = 0;
    int n;
    for (;;) {
        ERR_clear_error();
        errno = 0;
        n = SSL_read(t->ssl, (char *)buf + got, (int)(len - got));
        if (n <= 0) break;
        got += (size_t)n;
        if (got == len || n < 16384) break;   /* a record short of the maximum: nothing more now */
    }
    if (got > 0) {
        t->read_wants_write = 0;
        ERR_clear_error();
        return (ssize_t)got;
    }
    int e = SSL_get_error(t->ssl, n);
    switch (e) {
    case SSL_ERROR_WANT_READ:
        errno = EAGAIN;
        return -1;
    case SSL_ERROR_WANT_WRITE:
        t->read_wants_write = 1;
        errno = EAGAIN;
        return -1;
    case SSL_ERROR_ZERO_RETURN:
        return 0;   /* close_notify */
    case SSL_ERROR_SYSCALL:
        if (errno == 0) return 0;   /* EOF without close_notify */
        return -1;
    default: {
        char err[256];
        log_msg(LL_VERBOSE, "TLS read error from %s: %s", who, ssl_error_text(err, sizeof(err)));
        ERR_clear_error();
        errno = EIO;
        return -1;
    }
    }
}

static ssize_t conn_write(struct tlsConn *t, const void *buf, size_t len, const char *who) {
    if (len > INT_MAX) len = INT_MAX;
    ERR_clear_error();
    errno = 0;
    int n = SSL_write(t->ssl, buf, (int)len);
    if (n > 0) {
        t->write_wants_read = 0;
        return n;
    }
    int e = SSL_get_error(t->ssl, n);
    switch (e) {
    case SSL_ERROR_WANT_WRITE:
        errno = EAGAIN;
        return -1;
    case SSL_ERROR_WANT_READ:
        t->write_wants_read = 1;
        errno = EAGAIN;
        return -1;
    case SSL_ERROR_SYSCALL:
        if (errno == 0) errno = EPIPE;
        return -1;
    default: {
        char err[256];
        log_msg(LL_VERBOSE, "TLS write error to %s: %s", who, ssl_error_text(err, sizeof(err)));
        ERR_clear_error();
        errno = EIO;
        return -1;
    }
    }
}

ssize_t tls_read(client *c, void *buf, size_t len) {
    struct tlsConn *t = c->tls;
    int had = t->read_wants_write;
    char who[96];
    snprintf(who, sizeof(who), "client addr=%s", c->addr);
    ssize_t n = conn_read(t, buf, len, who);
    if (n > 0 && SSL_has_pending(t->ssl)) pending_add(t);
    if (had != t->read_wants_write) tls_update_interest(c);
    return n;
}

ssize_t tls_write(client *c, const void *buf, size_t len) {
    char who[96];
    snprintf(who, sizeof(who), "client addr=%s", c->addr);
    return conn_write(c->tls, buf, len, who);
}

/* ---- links: server-to-server connections without a client (replica link, cluster bus) ---- */

static struct tlsConn *link_new(SSL_CTX *ctx, int fd, int outgoing) {
    if (!ctx) return NULL;
    SSL *ssl = SSL_new(ctx);
    if (!ssl) return NULL;
    SSL_set_fd(ssl, fd);
    if (outgoing) {
        SSL_set_connect_state(ssl);
    } else {
        SSL_set_verify(ssl, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
        SSL_set_accept_state(ssl);
    }
    struct tlsConn *t = kcalloc(sizeof(*t));
    t->ssl = ssl;
    t->state = TLS_ACCEPTING;
    return t;
}

struct tlsConn *tls_link_connect(int fd) {
    return link_new(tls_client_ctx, fd, 1);
}

struct tlsConn *tls_link_accept(int fd) {
    return link_new(tls_ctx, fd, 0);
}

int tls_link_handshake(struct tlsConn *t, const char *who) {
    if (t->state == TLS_CONNECTED) return 1;
    ERR_clear_error();
    errno = 0;
    int r = SSL_do_handshake(t->ssl);
    if (r == 1) {
        t->state = TLS_CONNECTED;
        t->hs_wants_write = 0;
        return 1;
    }
    int e = SSL_get_error(t->ssl, r);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
        t->hs_wants_write = e == SSL_ERROR_WANT_WRITE;
        return 0;
    }
    char err[256];
    long v = SSL_get_verify_result(t->ssl);
    log_msg(LL_WARNING, "TLS handshake with %s failed: %s%s%s", who,
            e == SSL_ERROR_SYSCALL ? (errno ? strerror(errno) : "connection closed") : ssl_error_text(err, sizeof(err)),
            v != X509_V_OK ? ": " : "", v != X509_V_OK ? X509_verify_cert_error_string(v) : "");
    ERR_clear_error();
    return -1;
}

int tls_link_wants_write(const struct tlsConn *t) {
    return t->state == TLS_CONNECTED ? t->read_wants_write : t->hs_wants_write;
}

int tls_link_write_wants_read(const struct tlsConn *t) {
    return t->write_wants_read;
}

ssize_t tls_link_read(struct tlsConn *t, void *buf, size_t len, const char *who) {
    return conn_read(t, buf, len, who);
}

ssize_t tls_link_write(struct tlsConn *t, const void *buf, size_t len, const char *who) {
    return conn_write(t, buf, len, who);
}

int tls_link_has_pending(const struct tlsConn *t) {
    return SSL_has_pending(t->ssl);
}

void tls_link_free(struct tlsConn *t) {
    if (!t) return;
    if (t->state == TLS_CONNECTED) {
        ERR_clear_error();
        SSL_shutdown(t->ssl);
    }
    SSL_free(t->ssl);
    ERR_clear_error();
    kfree(t);
}

void tls_link_give(client *c, struct tlsConn *t) {
    t->c = c;
    t->state = TLS_CONNECTED;
    t->hs_wants_write = t->read_wants_write = t->write_wants_read = 0;
    c->tls = t;
    if (SSL_has_pending(t->ssl)) pending_add(t);
}
