/* reply.h - writing RESP2/RESP3 replies into a client's output buffer.
 *
 * Every reply function chooses the wire type from c->resp, so command code is written once:
 * reply_map_len() is '%' in RESP3 and a flat array of twice the length in RESP2; reply_null()
 * is '_' in RESP3 and "$-1" in RESP2; reply_double() is ',' in RESP3 and a bulk string in RESP2.
 * Nothing is written when the client has CLIENT REPLY OFF/SKIP in effect or is being closed.
 *
 * Errors: reply_error("msg") sends "-ERR msg"; a message that starts with an error code in
 * capitals followed by a space (e.g. "WRONGTYPE ...", "NOAUTH ...") must be passed with a
 * leading '-' and is sent as is. Newlines in error text are turned into spaces. */
#ifndef KEEL_REPLY_H
#define KEEL_REPLY_H

#include <stddef.h>

#include "server.h"

/* Canned error texts, word for word Redis's. */
#define ERR_WRONGTYPE "-WRONGTYPE Operation against a key holding the wrong kind of value"
#define ERR_SYNTAX "syntax error"
#define ERR_NOT_INT "value is not an integer or out of range"
#define ERR_NOT_FLOAT "value is not a valid float"
#define ERR_OVERFLOW "increment or decrement would overflow"
#define ERR_NOSUCHKEY "no such key"
#define ERR_OOM "-OOM command not allowed when used memory > 'maxmemory'."
#define ERR_NOAUTH "-NOAUTH Authentication required."
#define ERR_DB_INDEX "DB index is out of range"

void reply_raw(client *c, const void *p, size_t len);
void reply_ok(client *c);
void reply_status(client *c, const char *s);                 /* +s */
void reply_status_len(client *c, const char *s, size_t len);
void reply_error(client *c, const char *msg);
void reply_errorf(client *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void reply_error_arity(client *c);                         /* wrong number of arguments */
void reply_error_subcommand(client *c);                    /* unknown subcommand ... Try X HELP. */
/* "unknown subcommand or wrong number of arguments for '<argv[1]>'. Try <CMD> HELP.": what Redis
 * replies when a subcommand's own argument checks fail. */
void reply_subcommand_syntax_error(client *c);
void reply_integer(client *c, long long v);
void reply_bulk(client *c, const void *p, size_t len);
void reply_bulk_cstr(client *c, const char *s);            /* NULL -> null */
void reply_bulk_ll(client *c, long long v);
void reply_bulk_kstr(client *c, const kstr *s);
void reply_obj_string(client *c, const kobj *o);           /* string value as bulk */
void reply_null(client *c);
void reply_null_array(client *c);                          /* *-1 in RESP2 */
void reply_empty_array(client *c);
void reply_array_len(client *c, long long n);
void reply_map_len(client *c, long long n);
void reply_set_len(client *c, long long n);
void reply_push_len(client *c, long long n);
void reply_attribute_len(client *c, long long n);
void reply_double(client *c, double d);
void reply_long_double(client *c, long double d);          /* INCRBYFLOAT-style human form, bulk */
void reply_bool(client *c, int v);
void reply_verbatim(client *c, const char *s, size_t len, const char *ext); /* "txt", "mkd" */
void reply_big_number(client *c, const char *digits, size_t len);
void reply_help(client *c, const char *const *lines);       /* "X <subcommand> ..." help arrays */

/* Parses an integer argument with Redis's strict rules; on failure replies err (NULL: "value is
 * not an integer or out of range") and returns 0. */
int arg_ll_or_reply(client *c, const karg *arg, long long *out, const char *err);

/* Aggregates whose length is known only at the end. */
typedef struct replyDeferred {
    replyBlock *slot;
} replyDeferred;
replyDeferred reply_deferred(client *c);
void reply_set_deferred_array(client *c, replyDeferred d, long long n);
void reply_set_deferred_map(client *c, replyDeferred d, long long n);
void reply_set_deferred_set(client *c, replyDeferred d, long long n);

/* Output buffer bookkeeping for client.c. */
int reply_enabled(client *c);
void reply_free_all(client *c);

#endif
