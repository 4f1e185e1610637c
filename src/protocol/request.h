/* request.h - parsing client requests (RESP multibulk and inline) from a byte buffer.
 *
 * The parser is pure: bytes in, argument slices out, no sockets, so it can be fuzzed alone.
 * It parses at most one command per call and consumes nothing until that command is complete,
 * except that it remembers its progress (lengths already read) in the parser state.
 *
 * Multibulk arguments point into the buffer (zero copy); the parser replaces the '\r' after
 * each bulk with '\0', so every argument is NUL-terminated. Inline arguments are unquoted into
 * a separate buffer owned by the parser state. */
#ifndef KEEL_REQUEST_H
#define KEEL_REQUEST_H

#include <stddef.h>

typedef struct karg {
    char *ptr;
    size_t len;
} karg;

enum {
    REQ_INCOMPLETE = 0,  /* need more bytes */
    REQ_OK = 1,          /* one command parsed: argv/argc set, *consumed bytes used */
    REQ_ERROR = -1,      /* protocol error: reply with the error text and close the client */
};

typedef struct reqParser {
    /* limits */
    long long max_bulk_len;      /* proto-max-bulk-len */
    long long max_inline_len;    /* 64 KB in Redis */
    int unauthenticated;         /* tighter limits before AUTH, as Redis: 10 args, 16 KB bulks */
    /* progress of the current multibulk (kept across calls so long requests stay O(n)) */
    long long multibulk_len;     /* -1: not started */
    long long bulk_len;          /* -1: reading the next header */
    size_t pos;                  /* parse position inside the buffer */
    /* output */
    karg *argv;
    int argc;
    int argv_cap;
    char *inline_buf;            /* storage for unquoted inline arguments */
    size_t inline_cap;
    const char *error;           /* set on REQ_ERROR */
    char error_buf[64];
} reqParser;

void req_init(reqParser *p, long long max_bulk_len);
void req_free(reqParser *p);
/* Parses from buf[0..len). On REQ_OK, *consumed is the number of bytes the command used; argv
 * remains valid until the buffer changes or the next call. */
int req_parse(reqParser *p, char *buf, size_t len, size_t *consumed);
/* Bytes the parser expects to still arrive for the bulk it is reading (for big reads), or 0. */
size_t req_pending_bulk(const reqParser *p, size_t buffered);
/* Splits a line into arguments the way redis-cli and Redis's inline parser do: spaces separate,
 * "..." with \n \r \t \b \a \\ \" \xHH escapes, '...' with \' only. Returns argc or -1 for
 * unbalanced quotes. Used by the inline protocol and the config file. Storage grows as needed. */
int split_args(const char *line, size_t len, karg **argv, int *argv_cap, char **store, size_t *store_cap);

#endif
