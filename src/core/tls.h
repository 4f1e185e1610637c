/* tls.h - TLS for client connections (OpenSSL), see tls.c and docs/security.md.
 *
 * A client accepted on a tls-port listener carries a tlsConn (c->tls). client.c reads and
 * writes through tls_read()/tls_write() instead of read()/writev() for such a client, and hands
 * every socket event to tls_event() first, which runs the non-blocking handshake and turns
 * OpenSSL's "read wants write" and "write wants read" into the event interest. */
#ifndef KEEL_TLS_H
#define KEEL_TLS_H

#include <stddef.h>
#include <sys/types.h>

#include "server.h"

/* TLS is needed at all: tls-port, tls-replication or tls-cluster asks for it. */
int tls_needed(void);
/* Builds a new server context from the tls-* settings and swaps it in only on success
 * (connections keep the context they were made with). Errors go to the log. 0 or -1. */
int tls_configure(void);
/* Gives the freshly accepted client c a TLS connection in the accepting state; -1 on failure. */
int tls_conn_attach(client *c);
/* Frees c's TLS connection (a best-effort close_notify first when it was established). */
void tls_conn_free(client *c);
/* Runs before client.c handles an event of a TLS client: returns -1 if the client was freed,
 * 0 if the event was used up (handshake, or a write that waited for readability), 1 to go on
 * with *mask (rewritten when a read waited for writability). */
int tls_event(client *c, int *mask);
/* SSL_read/SSL_write with read()/write() conventions: >0 bytes, 0 at EOF (read), -1 with errno
 * (EAGAIN when OpenSSL waits for the socket). */
ssize_t tls_read(client *c, void *buf, size_t len);
ssize_t tls_write(client *c, const void *buf, size_t len);
/* Sets the client's EL_WRITABLE interest from its queued output and OpenSSL's wants. */
void tls_update_interest(client *c);
/* Reads what OpenSSL holds already decrypted for clients (epoll will not report it again);
 * runs before every poll. */
void tls_process_pending(void);

/* Links: server-to-server connections owned by src/repl (the replica's link to its primary) or
 * src/cluster (bus links, MIGRATE), on a non-blocking socket the caller connected or accepted.
 * tls_link_connect() uses the client context (tls-client-cert-file/-key-file, else the server
 * certificate; the peer's certificate is verified with the CA); tls_link_accept() requires
 * the peer's certificate (as Redis's cluster bus). NULL when TLS is not configured. */
struct tlsConn *tls_link_connect(int fd);
struct tlsConn *tls_link_accept(int fd);
/* Drives the handshake: 1 established, 0 waiting (for writability when tls_link_wants_write),
 * -1 failed (logged at warning level with who). */
int tls_link_handshake(struct tlsConn *t, const char *who);
/* The handshake, or the last read, waits for writability. */
int tls_link_wants_write(const struct tlsConn *t);
/* The last write waits for readability. */
int tls_link_write_wants_read(const struct tlsConn *t);
/* read()/write() conventions (EAGAIN while OpenSSL waits for the socket). */
ssize_t tls_link_read(struct tlsConn *t, void *buf, size_t len, const char *who);
ssize_t tls_link_write(struct tlsConn *t, const void *buf, size_t len, const char *who);
/* OpenSSL holds bytes already read off the socket: read again before waiting for an event. */
int tls_link_has_pending(const struct tlsConn *t);
/* Closes the TLS session (not the socket). */
void tls_link_free(struct tlsConn *t);
/* Client c (created on the link's socket) takes the established link over. */
void tls_link_give(client *c, struct tlsConn *t);

#endif
