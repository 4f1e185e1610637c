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

#endif
