/* wstream.c - the write stream: the pending operations of the execution unit and the readers
 * they go to; see wstream.h for the model.
 *
 * Each pending operation is kept encoded (RESP multibulk) with its database, so handing it to
 * several readers encodes it once. The replacement a procedure asked for (wstream_rewrite) is
 * tagged with the call depth it was made at, so only that call's end takes it. */
#include "persist/wstream.h"

#include <stdio.h>
#include <string.h>

#include "util/kstr.h"
#include "util/mem.h"
#include "util/util.h"

typedef struct pendingOp {
    int dbid;           /* -1: no SELECT before it */
    int targets;        /* WSTREAM_TO_*: PUBLISH goes to replicas only */
    kstr *resp;
} pendingOp;

static wstream_reader *readers;
static pendingOp *ops;
static size_t nops, ops_cap;
static kstr *replacement;           /* NULL if the running call asked for none */
static int replacement_depth;       /* server.executing_depth while that call ran */
static int paused;
static int targets = WSTREAM_TO_ALL;   /* wstream_set_targets */

static const char multi_resp[] = "*1\r\n$5\r\nMULTI\r\n";
static const char exec_resp[] = "*1\r\n$4\r\nEXEC\r\n";

static kstr *encode(int argc, const karg *argv) {
    size_t bytes = 16;
    for (int i = 0; i < argc; i++) bytes += argv[i].len + 24;
    kstr *s = kstr_empty(bytes);
    s = kstr_catfmt(s, "*%d\r\n", argc);
    for (int i = 0; i < argc; i++) {
        s = kstr_catfmt(s, "$%zu\r\n", argv[i].len);
        s = kstr_cat(s, argv[i].ptr, argv[i].len);
        s = kstr_cat(s, "\r\n", 2);
    }
    return s;
}

/* Hands buf to r, after "SELECT dbid" if r is in another database. */
static void feed(wstream_reader *r, int dbid, const char *buf, size_t len) {
    if (dbid >= 0 && dbid != r->db) {
        char num[24];
        int n = ll_to_str(num, sizeof(num), dbid);
        char sel[64];
        int m = snprintf(sel, sizeof(sel), "*2\r\n$6\r\nSELECT\r\n$%d\r\n%s\r\n", n, num);
        r->write(r, sel, (size_t)m);
        r->db = dbid;
    }
    r->write(r, buf, len);
}

/* The execution unit ended: its operations go out, wrapped in MULTI/EXEC if there are several
 * and unless the unit was a command that touches arbitrary keys (no_wrap: SCAN, RANDOMKEY, whose
 * only effects are independent DELs of expired keys, as Redis propagates them). */
static void flush(int no_wrap) {
    if (nops == 0) return;
    int wrap = nops > 1 && !no_wrap;
    for (wstream_reader *r = readers; r; r = r->next) {
        if (wrap) feed(r, ops[0].dbid, multi_resp, sizeof(multi_resp) - 1);
        for (size_t i = 0; i < nops; i++)
            if (ops[i].targets & (r->aof ? WSTREAM_TO_AOF : WSTREAM_TO_REPLICAS)) feed(r, ops[i].dbid, ops[i].resp->buf, ops[i].resp->len);
        if (wrap) feed(r, -1, exec_resp, sizeof(exec_resp) - 1);
    }
    for (size_t i = 0; i < nops; i++) kstr_free(ops[i].resp);
    nops = 0;
}

static void add_op(int dbid, int op_targets, kstr *resp) {
    op_targets &= targets;
    if (op_targets == WSTREAM_TO_NONE) {   /* redis.set_repl(REPL_NONE): not even counted */
        kstr_free(resp);
        return;
    }
    if (nops == ops_cap) {
        ops_cap = ops_cap ? ops_cap * 2 : 8;
        ops = krealloc(ops, ops_cap * sizeof(*ops));
    }
    ops[nops++] = (pendingOp){.dbid = dbid, .targets = op_targets, .resp = resp};
    if (server.executing_depth == 0) flush(0);
}

void wstream_attach(wstream_reader *reader) {
    reader->next = readers;
    readers = reader;
}

void wstream_detach(wstream_reader *reader) {
    for (wstream_reader **p = &readers; *p; p = &(*p)->next) {
        if (*p == reader) {
            *p = reader->next;
            reader->next = NULL;
            return;
        }
    }
}

void wstream_append(int dbid, int argc, const karg *argv) {
    if (paused || argc <= 0 || !readers) return;
    add_op(dbid, WSTREAM_TO_ALL, encode(argc, argv));
}

void wstream_rewrite(int argc, const karg *argv) {
    if (!readers) return;   /* nobody reads the stream: no encoding */
    kstr_free(replacement);
    replacement = encode(argc, argv);
    if (argc == 0) replacement->len = 0;
    replacement_depth = server.executing_depth;
}

void wstream_rewrite_key(const char *name, const karg *key) {
    karg argv[2] = {{.ptr = (char *)name, .len = strlen(name)}, *key};
    wstream_rewrite(2, argv);
}

void wstream_rewrite_key_ms(const char *name, const karg *key, long long ms) {
    char num[24];
    karg argv[3] = {{.ptr = (char *)name, .len = strlen(name)}, *key, {.ptr = num, .len = 0}};
    argv[2].len = (size_t)ll_to_str(num, sizeof(num), ms);
    wstream_rewrite(3, argv);
}

void wstream_key_removed(int dbid, const char *key, size_t len, int lazy) {
    karg argv[2] = {{.ptr = lazy ? "UNLINK" : "DEL", .len = lazy ? 6 : 3}, {.ptr = (char *)key, .len = len}};
    wstream_append(dbid, 2, argv);
}

void wstream_set_targets(int t) {
    targets = t & WSTREAM_TO_ALL;
}

void wstream_pause(int p) {
    paused = p;
}

static int forced_depth;   /* executing_depth of a call that propagates even if dirty did not grow */

void wstream_force(void) {
    forced_depth = server.executing_depth;
}

/* dispatch_propagate: a call ended (server.executing_depth is already its caller's). */
static void after_call(client *c, const command *cmd, long long dirty) {
    kstr *own = NULL;
    if (replacement && replacement_depth == server.executing_depth + 1) {
        own = replacement;
        replacement = NULL;
    }
    int pubsub = (cmd->flags & CMD_PUBSUB) != 0;
    /* In cluster mode the bus carries PUBLISH to every node, replicas included: through the
     * stream too, a replica's subscribers would get it twice (Redis's publishCommand). */
    int bus_only = pubsub && server.cluster_enabled;
    if (forced_depth && forced_depth == server.executing_depth + 1) {
        forced_depth = 0;
        if (dirty <= 0) dirty = 1;
    }
    if (!paused && readers && !bus_only && cmd->propagate != PROPAGATE_NEVER && (dirty > 0 || pubsub)) {
        if (!own) own = encode(c->argc, c->argv);
        if (own->len) {
            add_op(c->db->id, pubsub ? WSTREAM_TO_REPLICAS : WSTREAM_TO_ALL, own);
            own = NULL;
        }
    }
    kstr_free(own);
    if (server.executing_depth == 0) flush((cmd->flags & CMD_TOUCHES_ARBITRARY_KEYS) != 0);
}

void wstream_init(void) {
    dispatch_propagate = after_call;
}
