/* primary.c - this server as a primary: the backlog, the replicas' links, REPLCONF, PSYNC and
 * SYNC.
 *
 * A replica's link (replicaLink, client->rlink) goes through Redis's states:
 *   WAIT_BGSAVE_START  asked for a full sync; waits for a snapshot to start (one runs at a time)
 *   WAIT_BGSAVE_END    got "+FULLRESYNC <replid> <offset>"; the forkless BGSAVE (bgsave.c) writes
 *                      the data set as it was at <offset>; the stream after <offset> waits in
 *                      the shared buffer from the link's cursor on
 *   SEND_BULK          "$<size>\r\n" and the file, fed to the output as the socket drains it
 *   ONLINE             the stream goes out from the cursor once the link's own replies are out
 * With repl-diskless-sync (and a replica that sent "capa eof") there is no file: the snapshot
 * streams into the replicas' outputs as "$EOF:<40-byte mark>" ... <mark> during
 * WAIT_BGSAVE_END, pausing while an output holds more than 1 MB, and the replica goes ONLINE
 * on its first REPLCONF ACK (it finds the mark by the last bytes it read, so nothing may
 * follow the mark before it has loaded).
 * A partial sync (+CONTINUE) goes straight to ONLINE with its cursor at the replica's offset.
 *
 * The shared replication buffer (Redis 7.0's model): one list of blocks holds the stream; the
 * backlog and every replica past WAIT_BGSAVE_START read it through a cursor (block, position),
 * and a block counts the cursors in it (refcount). The client layer writes an ONLINE replica's
 * bytes straight from the blocks (client_repl_output/client_repl_sent), after the replica's
 * own reply blocks (+FULLRESYNC, the RDB, +CONTINUE). Invariants: the backlog's cursor is the
 * head block (it holds the stream bytes at offsets (repl_state.offset - histlen, offset], so
 * repl_backlog_first_byte_offset = head->offset); a block is freed only from the head, when
 * its only cursor is the backlog's and the backlog keeps at least repl-backlog-size without
 * it, so a slow or syncing replica keeps the backlog longer and a partial sync can use that
 * part; memory (mem_total_replication_buffers) is counted once however many replicas read
 * it, and a replica's output limit applies to its share, from its cursor's block to the end.
 * The backlog exists from the first replica on (until repl-backlog-ttl passes without
 * replicas on a primary). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "core/blocking.h"
#include "core/multi.h"
#include "persist/bgsave.h"
#include "persist/persist.h"
#include "persist/wstream.h"
#include "protocol/reply.h"
#include "repl/repl.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/util.h"

#define BULK_CHUNK (64 * 1024)
#define EOF_MARK_LEN 40
#define BULK_OUTPUT_MAX (1024 * 1024)   /* refill a replica's output below this */

enum { RS_WAIT_BGSAVE_START, RS_WAIT_BGSAVE_END, RS_SEND_BULK, RS_ONLINE };

struct replicaLink {
    client *c;
    int state;                  /* RS_* */
    int is_replica;             /* PSYNC/SYNC accepted (else only REPLCONF options so far) */
    int psync;                  /* asked with PSYNC (else SYNC: no +FULLRESYNC line) */
    int capa_psync2;
    int capa_eof;               /* understands the diskless "$EOF:<mark>" framing */
    int diskless;               /* its snapshot streams to it (WAIT_BGSAVE_END); then ONLINE on its first ACK */
    long long wait_since_ms;    /* in WAIT_BGSAVE_START since */
    int listening_port;
    char ip[256];               /* REPLCONF ip-address, "" if not given (Redis: NET_HOST_STR_LEN) */
    long long ack_off;
    long long ack_ms;
    struct replBlock *ref;      /* its next stream byte in the shared buffer: ref->buf[ref_pos]; */
    size_t ref_pos;             /* NULL: the next byte fed (none pending, or WAIT_BGSAVE_START) */
    long long soft_since_ms;    /* over the soft output limit since, 0 if not */
    long long sink_bytes;       /* diskless: payload bytes queued to it (minus reply_bytes: sent) */
    long long sent_seen;        /* ... that value at the last cron, and when it last moved */
    long long sent_moved_ms;
    int bulk_fd;
    long long bulk_left;
    struct replicaLink *next;
};

replState repl_state = {.second_offset = -1};

/* One block of the shared replication buffer. */
typedef struct replBlock {
    struct replBlock *next;
    long long offset;           /* the stream offset of buf[0] */
    long long id;               /* consecutive along the list */
    size_t size, used;
    int refcount;               /* cursors in this block: the backlog's (head only), replicas' */
    char buf[];
} replBlock;

#define REPL_BLOCK_MIN (16 * 1024)      /* Redis's PROTO_REPLY_CHUNK_BYTES */
#define REPL_TRIM_PER_CALL 64      /* Redis's REPL_BACKLOG_TRIM_BLOCKS_PER_CALL */
#define REPL_TRIM_PER_CRON 1000

static struct {
    int active;                 /* the backlog exists */
    replBlock *head, *tail;     /* head: the backlog's first block */
    long long histlen;          /* bytes from head->buf[0] to the end: repl_backlog_histlen */
    size_t mem;                 /* the blocks' allocations: mem_total_replication_buffers */
    long long next_id;
} rb;

static struct replicaLink *replicas;    /* links with is_replica set */
static int sync_saving;                 /* the running BGSAVE is one for replicas */
static int sync_diskless;               /* ... streaming to their sockets */
static long long no_replicas_since_ms;  /* for repl-backlog-ttl */
static long long last_ping_ms;
static int pump_running;
static long long stat_sync_full, stat_sync_partial_ok, stat_sync_partial_err;

/* CONFIG RESETSTAT zeroes them, as Redis's resetServerStats. */
void repl_reset_stats(void) {
    stat_sync_full = stat_sync_partial_ok = stat_sync_partial_err = 0;
}
static char eof_mark[41];               /* of the running diskless snapshot */
static long long data_offset;           /* the stream's offset after its last data (not PING/GETACK) */

static void random_id(char *out) {
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < 40; i++) out[i] = hex[rand64() & 15];
    out[40] = '\0';
}

/* The write stream's reader: on a primary its commands continue the stream; a replica's come
 * from its primary, verbatim (master_applied in replica.c), and the stream's are ignored. */
static void stream_write(wstream_reader *r, const char *buf, size_t len) {
    (void)r;
    if (server.masterhost) return;
    repl_feed(buf, len);
    data_offset = repl_state.offset;
}

static wstream_reader stream_reader = {.write = stream_write, .db = -1};
static int reader_attached;

/* The next command of the stream starts with SELECT (a new history, a replica starting). */
static void force_select(void) {
    stream_reader.db = -1;
}

void repl_new_replid(void) {
    force_select();
    data_offset = repl_state.offset;
    memcpy(repl_state.replid2, repl_state.replid, sizeof(repl_state.replid2));
    repl_state.second_offset = repl_state.offset + 1;
    random_id(repl_state.replid);
}

static void clear_replid2(void) {
    memset(repl_state.replid2, '0', 40);
    repl_state.replid2[40] = '\0';
    repl_state.second_offset = -1;
}

/* ---------------------------------------------------------------- the shared buffer */

static size_t block_limit(void) {
    size_t limit = (size_t)server.repl_backlog_size / 16;
    return limit > REPL_BLOCK_MIN ? limit : REPL_BLOCK_MIN;
}

static void cursor_set(struct replicaLink *l, replBlock *b, size_t pos) {
    l->ref = b;
    l->ref_pos = pos;
    if (b) b->refcount++;
}

/* Drops the oldest blocks while the backlog holds more than repl-backlog-size without them and
 * no replica's cursor is in them; at most max_blocks per call (Redis trims incrementally too). */
static void rb_trim(int max_blocks) {
    for (int n = 0; n < max_blocks && rb.head && rb.head != rb.tail && rb.head->refcount == 1; n++) {
        replBlock *h = rb.head;
        if (rb.histlen - (long long)h->used <= server.repl_backlog_size) break;
        rb.histlen -= (long long)h->used;
        rb.mem -= kmalloc_size(h);
        rb.head = h->next;
        rb.head->refcount++;
        kfree(h);
    }
}

/* Lets go of l's place in the buffer. */
static void cursor_release(struct replicaLink *l) {
    if (!l->ref) return;
    l->ref->refcount--;
    l->ref = NULL;
    l->ref_pos = 0;
    rb_trim(REPL_TRIM_PER_CALL);
}

/* Frees every block; the links' cursors become "from the next byte" (they are closing or
 * waiting for their snapshot to start). */
static void rb_free_blocks(void) {
    for (struct replicaLink *l = replicas; l; l = l->next) l->ref = NULL, l->ref_pos = 0;
    while (rb.head) {
        replBlock *n = rb.head->next;
        kfree(rb.head);
        rb.head = n;
    }
    rb.tail = NULL;
    rb.histlen = 0;
    rb.mem = 0;
}

/* The stream's bytes queued for l and not yet written. */
static long long link_pending(const struct replicaLink *l) {
    if (!l->ref) return 0;
    return rb.tail->offset + (long long)rb.tail->used - (l->ref->offset + (long long)l->ref_pos);
}

/* A replica's share of the buffer as Redis counts it for output limits and CLIENT LIST: from
 * the start of the block its cursor is in to the end of the last block, headers included. */
static size_t link_memory(const struct replicaLink *l) {
    if (!l->ref) return 0;
    long long blocks = rb.tail->id - l->ref->id + 1;
    return (size_t)(rb.tail->offset + (long long)rb.tail->size - l->ref->offset) + (size_t)blocks * sizeof(replBlock);
}

size_t repl_client_output_memory(const client *c) {
    return c->rlink ? link_memory(c->rlink) : 0;
}

size_t repl_buffer_memory(void) {
    return rb.mem;
}

size_t repl_backlog_memory(void) {
    return (long long)rb.mem > server.repl_backlog_size ? (size_t)server.repl_backlog_size : rb.mem;
}

size_t repl_buffer_not_counted(void) {
    if ((long long)rb.mem <= server.repl_backlog_size) return 0;
    size_t counted = (size_t)server.repl_backlog_size +
                     ((size_t)server.repl_backlog_size / REPL_BLOCK_MIN + 1) * sizeof(replBlock);
    return rb.mem > counted ? rb.mem - counted : 0;
}

/* Output limits of replicas, on their share of the buffer: a hard limit below repl-backlog-size
 * counts as repl-backlog-size (as Redis: a partial sync must not be cut by it). The soft limit
 * is timed by the cron (now_ms > 0); the hard one is checked whenever the buffer grows a block. */
static void check_replica_limits(long long now_ms) {
    const obufLimit *lim = &server.obuf_limits[OBUF_REPLICA];
    long long hard = lim->hard_bytes;
    if (hard && hard < server.repl_backlog_size) hard = server.repl_backlog_size;
    for (struct replicaLink *l = replicas; l; l = l->next) {
        if (!l->ref || (l->c->flags & CLIENT_CLOSE_ASAP)) continue;
        long long used = (long long)link_memory(l);
        int over = hard && used >= hard;
        if (lim->soft_bytes && used >= lim->soft_bytes) {
            if (!l->soft_since_ms) l->soft_since_ms = now_ms ? now_ms : mstime();
            else if (now_ms && now_ms / 1000 - l->soft_since_ms / 1000 > lim->soft_seconds) over = 1;
        } else {
            l->soft_since_ms = 0;
        }
        if (over) {
            server.stat_client_outbuf_limit_disconnections++;
            log_msg(LL_WARNING, "Client %s scheduled to be closed ASAP for overcoming of output buffer limits.",
                    l->c->addr);
            client_close_async(l->c);
        }
    }
}

static void rb_add_block(size_t want) {
    size_t size = want < REPL_BLOCK_MIN ? REPL_BLOCK_MIN : want;
    if (size > block_limit()) size = block_limit();
    replBlock *b = kmalloc(sizeof(replBlock) + size);
    b->next = NULL;
    b->offset = repl_state.offset + 1;
    b->id = rb.next_id++;
    b->size = kmalloc_size(b) - sizeof(replBlock);
    b->used = 0;
    b->refcount = 0;
    rb.mem += kmalloc_size(b);
    if (rb.tail) {
        rb.tail->next = b;
    } else {
        rb.head = b;
        b->refcount = 1;   /* the backlog's cursor */
    }
    rb.tail = b;
}

void repl_feed_loaded_dels(const kstr *dels, long long len) {
    if (dels) {
        repl_feed(dels->buf, dels->len);
    } else {
        repl_state.offset += len;
        repl_backlog_reset();
    }
    data_offset = repl_state.offset;
    force_select();
}

void repl_backlog_reset(void) {
    rb_free_blocks();
    rb.active = 1;
    force_select();
    if (!reader_attached) wstream_attach(&stream_reader);
    reader_attached = 1;
}

int repl_backlog_active(void) {
    return rb.active;
}

void repl_backlog_ensure(void) {
    if (!rb.active) repl_backlog_reset();
}

static int link_output(client *c, struct iovec *iov, int max);
static void link_sent(client *c, size_t n);
static int link_has_output(const client *c);

void repl_primary_init(void) {
    random_id(repl_state.replid);
    clear_replid2();
    client_repl_output = link_output;
    client_repl_sent = link_sent;
    client_repl_pending = link_has_output;
}

static void backlog_free(void) {
    rb_free_blocks();
    rb.active = 0;
    if (reader_attached) wstream_detach(&stream_reader);
    reader_attached = 0;
}

static long long backlog_first_offset(void) {
    return repl_state.offset - rb.histlen + 1;
}

/* client_repl_output: an ONLINE replica's unsent stream bytes, block by block. */
static int link_output(client *c, struct iovec *iov, int max) {
    struct replicaLink *l = c->rlink;
    if (!l->is_replica || l->state != RS_ONLINE || !l->ref) return 0;
    int n = 0;
    size_t pos = l->ref_pos;
    for (replBlock *b = l->ref; b && n < max; b = b->next, pos = 0) {
        if (b->used == pos) continue;
        iov[n].iov_base = b->buf + pos;
        iov[n].iov_len = b->used - pos;
        n++;
    }
    return n;
}

/* client_repl_sent: the socket took n of those bytes; the cursor moves on, block to block. */
static void link_sent(client *c, size_t n) {
    struct replicaLink *l = c->rlink;
    for (;;) {
        if (l->ref_pos == l->ref->used) {
            if (!l->ref->next) break;
            replBlock *old = l->ref;
            old->refcount--;
            cursor_set(l, old->next, 0);
            if (old == rb.head) rb_trim(REPL_TRIM_PER_CALL);
            continue;
        }
        if (n == 0) break;
        size_t take = l->ref->used - l->ref_pos;
        if (take > n) take = n;
        l->ref_pos += take;
        n -= take;
    }
}

static int link_has_output(const client *c) {
    const struct replicaLink *l = c->rlink;
    return l->is_replica && l->state == RS_ONLINE && link_pending(l) > 0;
}

static void replica_close(struct replicaLink *l, const char *why) {
    log_msg(LL_WARNING, "Disconnecting replica %s: %s", l->c->addr, why);
    client_close_async(l->c);
}

/* The stream's next bytes: appended to the shared buffer, where the backlog and every replica
 * past WAIT_BGSAVE_START read them (a replica without a cursor gets one at the first byte). */
void repl_feed(const char *buf, size_t len) {
    if (!rb.active || len == 0) return;
    replBlock *start = rb.tail && rb.tail->used < rb.tail->size ? rb.tail : NULL;
    size_t start_pos = start ? start->used : 0;
    replBlock *old_tail = rb.tail;
    int grew = 0;
    while (len) {
        if (!rb.tail || rb.tail->used == rb.tail->size) {
            rb_add_block(len);
            grew = 1;
        }
        replBlock *t = rb.tail;
        size_t n = t->size - t->used;
        if (n > len) n = len;
        memcpy(t->buf + t->used, buf, n);
        t->used += n;
        buf += n;
        len -= n;
        repl_state.offset += (long long)n;
        rb.histlen += (long long)n;
    }
    if (!start) start = old_tail ? old_tail->next : rb.head;
    for (struct replicaLink *l = replicas; l; l = l->next) {
        if (l->state == RS_WAIT_BGSAVE_START) continue;
        if (!l->ref) cursor_set(l, start, start_pos);
        if (l->state == RS_ONLINE) client_queue_write(l->c);
    }
    if (grew) {
        check_replica_limits(0);
        rb_trim(REPL_TRIM_PER_CALL);
    }
}

void repl_feed_command(int argc, const karg *argv) {
    if (server.masterhost || !rb.active) return;
    kstr *s = kstr_catfmt(kstr_empty(0), "*%d\r\n", argc);
    for (int i = 0; i < argc; i++) {
        s = kstr_catfmt(s, "$%zu\r\n", argv[i].len);
        s = kstr_cat(s, argv[i].ptr, argv[i].len);
        s = kstr_cat(s, "\r\n", 2);
    }
    repl_feed(s->buf, s->len);
    kstr_free(s);
}

/* The replication layer's own bytes to a replica (+FULLRESYNC, +CONTINUE, the RDB): marked,
 * since a reply to a command the replica sent disconnects it (protocol/reply.c). */
static void repl_out(client *c, const void *p, size_t len) {
    c->flags |= CLIENT_MASTER_REPLY;
    reply_raw(c, p, len);
    c->flags &= ~CLIENT_MASTER_REPLY;
}

static void link_remove(struct replicaLink *l) {
    struct replicaLink **p = &replicas;
    while (*p && *p != l) p = &(*p)->next;
    if (*p) *p = l->next;
}

void repl_replica_freed(client *c) {
    struct replicaLink *l = c->rlink;
    if (!l) return;
    if (l->is_replica) {
        link_remove(l);
        log_msg(LL_NOTICE, "Connection with replica %s lost.", c->addr);
        /* A snapshot for replicas nobody waits for any more stops (Redis kills its child): a
         * diskless one would stream into nowhere; a file one only if no save point wants the
         * file (Redis's "Kill rdb child process if its dumping RDB is not useful"). */
        if (sync_saving && (l->state == RS_WAIT_BGSAVE_END || l->state == RS_WAIT_BGSAVE_START)) {
            int readers = 0, waiting = 0;
            for (struct replicaLink *o = replicas; o; o = o->next) {
                readers += o->state == RS_WAIT_BGSAVE_END;
                waiting += o->state == RS_WAIT_BGSAVE_START;
            }
            if (!readers && sync_diskless && l->state == RS_WAIT_BGSAVE_END) {
                log_msg(LL_WARNING, "Diskless rdb transfer, last replica dropped, killing fork child.");
                bgsave_abort();
                sync_saving = 0;
            } else if (!readers && !waiting && !sync_diskless && !persist_has_save_points()) {
                bgsave_abort();
                sync_saving = 0;
            }
        }
    }
    if (l->bulk_fd >= 0) close(l->bulk_fd);
    cursor_release(l);
    kfree(l);
    c->rlink = NULL;
    c->flags &= ~CLIENT_SLAVE;
}

void repl_disconnect_replicas(void) {
    for (struct replicaLink *l = replicas; l; l = l->next) client_close_async(l->c);
}

int repl_replicas_count(void) {
    int n = 0;
    for (struct replicaLink *l = replicas; l; l = l->next) n++;
    return n;
}

static struct replicaLink *link_of(client *c) {
    if (!c->rlink) {
        c->rlink = kcalloc(sizeof(*c->rlink));
        c->rlink->c = c;
        c->rlink->bulk_fd = -1;
    }
    return c->rlink;
}

/* The replica's address as INFO and ROLE show it: the announced one, else the peer's. */
static void replica_ip(const struct replicaLink *l, char *out, size_t cap) {
    if (l->ip[0]) {
        snprintf(out, cap, "%s", l->ip);
        return;
    }
    snprintf(out, cap, "%s", l->c->addr);
    char *colon = strrchr(out, ':');
    if (colon) *colon = '\0';
}

int repl_replica_lookup(const char *host, int port, long long *ack_off, int *online) {
    for (struct replicaLink *l = replicas; l; l = l->next) {
        char ip[256];
        replica_ip(l, ip, sizeof(ip));
        if (l->listening_port == port && strcasecmp(ip, host) == 0) {
            *ack_off = l->ack_off;
            *online = l->state == RS_ONLINE;
            return 1;
        }
    }
    return 0;
}

int repl_replica_caught_up(char *host, size_t cap, int *port) {
    for (struct replicaLink *l = replicas; l; l = l->next) {
        if (l->ack_off != repl_state.offset) continue;
        replica_ip(l, host, cap);
        *port = l->listening_port;
        return 1;
    }
    return 0;
}

/* Shutdown (server.c): 1 when no replica lags behind the stream (or there is none), as Redis's
 * isReadyToShutdown: every replica, whatever its state, must have acked the current offset. */
int repl_replicas_in_sync(void) {
    for (struct replicaLink *l = replicas; l; l = l->next)
        if (l->is_replica && l->ack_off != repl_state.offset) return 0;
    return 1;
}

/* Asks every replica for its offset now (REPLCONF GETACK *), instead of at its next ACK. */
void repl_send_getack(void) {
    if (!replicas) return;
    static const char getack[] = "*3\r\n$8\r\nREPLCONF\r\n$6\r\nGETACK\r\n$1\r\n*\r\n";
    repl_feed(getack, sizeof(getack) - 1);
}

static const char *state_name(int state);

/* The shutdown's last word on the replicas, with Redis's lines: each lagging one, then the count. */
void repl_shutdown_report(void) {
    int n = 0, lagging = 0;
    long long now_s = mstime() / 1000;
    for (struct replicaLink *l = replicas; l; l = l->next) {
        if (!l->is_replica) continue;
        n++;
        if (l->ack_off == repl_state.offset) continue;
        lagging++;
        char ip[256];
        replica_ip(l, ip, sizeof(ip));
        long long lag = l->state == RS_ONLINE ? now_s - l->ack_ms / 1000 : 0;
        log_msg(LL_WARNING, "Lagging replica %s:%d reported offset %lld behind master, lag=%lld, state=%s.", ip,
                l->listening_port, repl_state.offset - l->ack_off, lag, state_name(l->state));
    }
    if (n) log_msg(LL_NOTICE, "%d of %d replicas are in sync when shutting down.", n - lagging, n);
}

/* ---------------------------------------------------------------- full sync */

static const char *sync_path(void) {
    return server.dbfilename && server.dbfilename[0] ? server.dbfilename : "dump.rdb";
}

/* The RDB is out: the stream since the snapshot follows. */
static void replica_online(struct replicaLink *l) {
    l->state = RS_ONLINE;
    l->ack_ms = mstime();
    client_queue_write(l->c);   /* the stream since the snapshot, from the shared buffer */
    log_msg(LL_NOTICE, "Synchronization with replica %s succeeded", l->c->addr);
}

/* Feeds SEND_BULK replicas their file as their output drains; a 1 ms timer while any sends. */
static long long bulk_pump(eventLoop *el, long long id, void *data) {
    (void)el, (void)id, (void)data;
    int sending = 0;
    char chunk[BULK_CHUNK];
    for (struct replicaLink *l = replicas; l; l = l->next) {
        if (l->state != RS_SEND_BULK || l->diskless) continue;
        while (l->bulk_left > 0 && l->c->reply_bytes < BULK_OUTPUT_MAX) {
            size_t want = l->bulk_left < BULK_CHUNK ? (size_t)l->bulk_left : BULK_CHUNK;
            ssize_t n = read(l->bulk_fd, chunk, want);
            if (n <= 0) {
                replica_close(l, "reading the RDB file failed");
                l->bulk_left = -1;
                break;
            }
            repl_out(l->c, chunk, (size_t)n);
            l->bulk_left -= n;
        }
        if (l->bulk_left == 0) {
            close(l->bulk_fd);
            l->bulk_fd = -1;
            replica_online(l);
        } else if (l->bulk_left > 0) {
            sending = 1;
        }
    }
    if (sending) return 1;
    pump_running = 0;
    return EL_NOMORE;
}

static void start_pending_syncs(void);

static void sync_save_done(int ok) {
    sync_saving = 0;
    if (ok && sync_diskless) {
        /* Redis's line when its child's pipe is drained (the suite counts the replicas in it). */
        int up = 0;
        for (struct replicaLink *l = replicas; l; l = l->next) up += l->state == RS_WAIT_BGSAVE_END && l->diskless;
        log_msg(LL_NOTICE, "Diskless rdb transfer, done reading from pipe, %d replicas still up.", up);
    }
    for (struct replicaLink *l = replicas; l; l = l->next) {
        if (l->state != RS_WAIT_BGSAVE_END) continue;
        if (l->diskless) {
            /* The mark ends the payload; the stream waits for the replica's first ACK, since
             * it finds the mark by the last bytes it read. */
            if (!ok) {
                replica_close(l, "the snapshot failed");
                continue;
            }
            repl_out(l->c, eof_mark, EOF_MARK_LEN);
            l->state = RS_SEND_BULK;
            continue;
        }
        struct stat st;
        l->bulk_fd = ok ? open(sync_path(), O_RDONLY | O_CLOEXEC) : -1;
        if (l->bulk_fd < 0 || fstat(l->bulk_fd, &st) < 0) {
            replica_close(l, ok ? "can't open the RDB file" : "the snapshot failed");
            continue;
        }
        char hdr[32];
        int n = snprintf(hdr, sizeof(hdr), "$%lld\r\n", (long long)st.st_size);
        repl_out(l->c, hdr, (size_t)n);
        l->bulk_left = st.st_size;
        l->state = RS_SEND_BULK;
    }
    if (!pump_running) {
        pump_running = 1;
        el_add_timer(server.el, 0, bulk_pump, NULL);
    }
    start_pending_syncs();
}

/* The diskless snapshot's bytes go to the replicas it is for. */
static void diskless_sink(void *priv, const unsigned char *p, size_t len) {
    (void)priv;
    for (struct replicaLink *l = replicas; l; l = l->next)
        if (l->state == RS_WAIT_BGSAVE_END && l->diskless) {
            repl_out(l->c, p, len);
            l->sink_bytes += (long long)len;
        }
}

/* The diskless snapshot waits while a replica's output holds a lot of it. */
static int diskless_paused(void) {
    for (struct replicaLink *l = replicas; l; l = l->next)
        if (l->state == RS_WAIT_BGSAVE_END && l->diskless && l->c->reply_bytes > BULK_OUTPUT_MAX) return 1;
    return 0;
}

/* Diskless when enabled and every waiting replica reads "$EOF:"; it starts once the oldest
 * waited repl-diskless-sync-delay seconds, or repl-diskless-sync-max-replicas are waiting.
 * Returns 1 to use it, 0 for a file, -1 to wait longer. */
static int diskless_choice(void) {
    if (!server.repl_diskless_sync) return 0;
    int n = 0;
    long long oldest = mstime();
    for (struct replicaLink *l = replicas; l; l = l->next) {
        if (l->state != RS_WAIT_BGSAVE_START) continue;
        if (!l->capa_eof) return 0;
        n++;
        if (l->wait_since_ms < oldest) oldest = l->wait_since_ms;
    }
    if (server.repl_diskless_sync_max_replicas && n >= server.repl_diskless_sync_max_replicas) return 1;
    return mstime() - oldest >= (long long)server.repl_diskless_sync_delay * 1000 ? 1 : -1;
}

/* Starts a snapshot for the replicas waiting for one, unless a snapshot runs already. */
static void start_pending_syncs(void) {
    if (sync_saving || bgsave_in_progress()) return;
    int waiting = 0;
    for (struct replicaLink *l = replicas; l; l = l->next) waiting |= l->state == RS_WAIT_BGSAVE_START;
    if (!waiting) return;
    int diskless = diskless_choice();
    if (diskless < 0) return;   /* the cron comes back */
    int rc = diskless ? bgsave_start_snapshot(rdb_snapshot_begin_sink(diskless_sink, NULL), sync_save_done,
                                              diskless_paused)
                      : bgsave_start(sync_path(), sync_save_done);
    if (rc < 0) {
        for (struct replicaLink *l = replicas; l; l = l->next)
            if (l->state == RS_WAIT_BGSAVE_START) replica_close(l, "can't start the snapshot");
        return;
    }
    sync_saving = 1;
    sync_diskless = diskless;
    force_select();
    log_msg(LL_NOTICE, "Starting BGSAVE for SYNC with target: %s", diskless ? "replicas sockets" : "disk");
    /* Redis's line for its child; Keel's snapshot runs in the loop, its stand-in process
     * (bgsave.c) has the pid. */
    if (diskless) log_msg(LL_NOTICE, "Background RDB transfer started by pid %ld", bgsave_child_pid());
    if (diskless) random_id(eof_mark);
    for (struct replicaLink *l = replicas; l; l = l->next) {
        if (l->state != RS_WAIT_BGSAVE_START) continue;
        l->state = RS_WAIT_BGSAVE_END;
        l->diskless = diskless;
        l->sink_bytes = l->sent_seen = 0;
        l->sent_moved_ms = mstime();
        if (l->psync) {
            char line[96];
            int n = snprintf(line, sizeof(line), "+FULLRESYNC %s %lld\r\n", repl_state.replid, repl_state.offset);
            repl_out(l->c, line, (size_t)n);
        }
        if (diskless) {
            repl_out(l->c, "$EOF:", 5);
            repl_out(l->c, eof_mark, EOF_MARK_LEN);
            repl_out(l->c, "\r\n", 2);
        }
    }
}

/* ---------------------------------------------------------------- WAIT */

/* A client blocked in WAIT, found again by id (it may have been freed meanwhile). */
typedef struct waitEntry {
    uint64_t client_id;
    long long offset;           /* the stream offset its writes reached */
    long long numreplicas;
    struct waitEntry *next;
} waitEntry;

static waitEntry *waiting;

static int acks_at(long long off) {
    int n = 0;
    for (struct replicaLink *l = replicas; l; l = l->next) n += l->state == RS_ONLINE && l->ack_off >= off;
    return n;
}

static client *client_by_id(uint64_t id) {
    for (client *c = server.clients; c; c = c->next)
        if (c->id == id) return c;
    return NULL;
}

/* Removes and returns c's entry. */
static waitEntry *wait_take(client *c) {
    for (waitEntry **p = &waiting; *p; p = &(*p)->next) {
        if ((*p)->client_id == c->id) {
            waitEntry *e = *p;
            *p = e->next;
            return e;
        }
    }
    return NULL;
}

/* The timeout (or CLIENT UNBLOCK) reply: the replicas that acknowledged so far. */
static void wait_timeout(client *c) {
    waitEntry *e = wait_take(c);
    reply_integer(c, e ? acks_at(e->offset) : 0);
    kfree(e);
}

/* After acknowledgements: replies to the WAITs they satisfy, and forgets freed clients. */
static void serve_waits(void) {
    for (waitEntry **p = &waiting; *p;) {
        waitEntry *e = *p;
        client *c = client_by_id(e->client_id);
        int acks = c ? acks_at(e->offset) : 0;
        if (c && acks < e->numreplicas) {
            p = &e->next;
            continue;
        }
        *p = e->next;
        if (c) {
            reply_integer(c, acks);
            blocking_unblock_other(c);
        }
        kfree(e);
    }
}

void wait_command(client *c) {
    if (server.masterhost) {
        reply_error(c, "WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a "
                       "replica is configured to be writable (which is not the default) writes to replicas are just "
                       "local and are not propagated.");
        return;
    }
    long long numreplicas, timeout;
    if (!arg_ll_or_reply(c, &c->argv[1], &numreplicas, NULL)) return;
    if (!str_to_ll(c->argv[2].ptr, c->argv[2].len, &timeout)) {
        reply_error(c, "timeout is not an integer or out of range");
        return;
    }
    if (timeout < 0) {
        reply_error(c, "timeout is negative");
        return;
    }
    /* Redis waits for the client's own last write; Keel waits for the last write of any
     * client, which covers it (and is never a PING or GETACK the replicas can't ack yet). */
    long long off = data_offset;
    int acks = acks_at(off);
    if (acks >= numreplicas || blocking_denied(c)) {
        reply_integer(c, acks);
        return;
    }
    waitEntry *e = kmalloc(sizeof(*e));
    *e = (waitEntry){c->id, off, numreplicas, waiting};
    waiting = e;
    block_for_other(c, timeout ? mstime() + timeout : 0, wait_timeout);
    static const char getack[] = "*3\r\n$8\r\nREPLCONF\r\n$6\r\nGETACK\r\n$1\r\n*\r\n";
    repl_feed(getack, sizeof(getack) - 1);
}

/* ---------------------------------------------------------------- commands */

/* PSYNC's partial resynchronization, if the backlog has what the replica asks for. */
static int try_partial(client *c, struct replicaLink *l) {
    const char *id = c->argv[1].ptr;
    long long from;
    if (!str_to_ll(c->argv[2].ptr, c->argv[2].len, &from)) return 0;
    int same = strcasecmp(id, repl_state.replid) == 0;
    int prev = strcasecmp(id, repl_state.replid2) == 0 && from <= repl_state.second_offset;
    if (!same && !prev) {
        log_msg(LL_NOTICE, "Partial resynchronization not accepted from %s (replication id mismatch)", c->addr);
        return 0;
    }
    if (!rb.active || from < backlog_first_offset() || from > repl_state.offset + 1) {
        log_msg(LL_NOTICE, "Unable to partial resync with replica %s for lack of backlog (Replica request was: %lld).",
                c->addr, from);
        return 0;
    }
    l->state = RS_ONLINE;
    l->ack_ms = mstime();
    char line[96];
    int n = l->capa_psync2 ? snprintf(line, sizeof(line), "+CONTINUE %s\r\n", repl_state.replid)
                           : snprintf(line, sizeof(line), "+CONTINUE\r\n");
    repl_out(c, line, (size_t)n);
    /* The replica reads the buffer from `from` on (nothing to send: from the next byte). */
    for (replBlock *b = rb.head; b; b = b->next) {
        if (from < b->offset + (long long)b->used) {
            cursor_set(l, b, (size_t)(from - b->offset));
            break;
        }
    }
    long long sent = repl_state.offset + 1 - from;
    client_queue_write(c);
    log_msg(LL_NOTICE, "Partial resynchronization request from %s accepted. Sending %lld bytes of backlog "
            "starting from offset %lld.", c->addr, sent, from);
    return 1;
}

static void sync_generic(client *c, int psync) {
    if (c->flags & CLIENT_SLAVE) return;
    /* A failing-over primary asks its target to take over: the target, if it follows the
     * same history, becomes a primary and continues with the PSYNC below. */
    if (psync && c->argc > 3 && arg_is(c->argv[3].ptr, c->argv[3].len, "failover")) {
        log_msg(LL_WARNING, "Failover request received for replid %s.", c->argv[1].ptr);
        if (!server.masterhost) {
            reply_error(c, "PSYNC FAILOVER can't be sent to a master.");
            return;
        }
        if (strcasecmp(c->argv[1].ptr, repl_state.replid) != 0) {
            reply_error(c, "PSYNC FAILOVER replid must match my replid.");
            return;
        }
        repl_unset_master();
        log_msg(LL_NOTICE, "MASTER MODE enabled (failover request from 'id=%llu addr=%s')",
                (unsigned long long)c->id, c->addr);
    }
    if (repl_failover_state() != FO_NONE) {
        reply_error(c, "-NOMASTERLINK Can't SYNC while failing over");
        return;
    }
    if (!repl_link_up()) {
        reply_error(c, "-NOMASTERLINK Can't SYNC while not connected with my master");
        return;
    }
    if (c->reply_bytes) {
        reply_error(c, "SYNC and PSYNC are invalid with pending output");
        return;
    }
    log_msg(LL_NOTICE, "Replica %s asks for synchronization", c->addr);
    long long want;
    if (psync && !str_to_ll(c->argv[2].ptr, c->argv[2].len, &want)) {
        /* Redis's order: logged, then refused before anything else happens. */
        log_msg(LL_WARNING, "Replica %s asks for synchronization but with a wrong offset", c->addr);
        reply_error(c, "value is not an integer or out of range");
        return;
    }
    struct replicaLink *l = link_of(c);
    l->is_replica = 1;
    l->psync = psync;
    c->flags |= CLIENT_SLAVE;
    l->next = replicas;
    replicas = l;
    if (psync && try_partial(c, l)) {
        stat_sync_partial_ok++;
        return;
    }
    if (psync && c->argv[1].ptr[0] != '?') stat_sync_partial_err++;
    stat_sync_full++;
    l->state = RS_WAIT_BGSAVE_START;
    l->wait_since_ms = mstime();
    if (!rb.active) {
        /* A new history: no replica can continue an old one with us. */
        if (!server.masterhost) {
            random_id(repl_state.replid);
            clear_replid2();
        }
        repl_backlog_reset();
    }
    start_pending_syncs();
}

void psync_command(client *c) {
    sync_generic(c, 1);
}

void sync_command(client *c) {
    sync_generic(c, 0);
}

void replconf_command(client *c) {
    if (c->argc % 2 == 0) {
        reply_error(c, ERR_SYNTAX);
        return;
    }
    for (int j = 1; j < c->argc; j += 2) {
        const karg *opt = &c->argv[j], *val = &c->argv[j + 1];
        if (arg_is(opt->ptr, opt->len, "listening-port")) {
            long long port;
            if (!arg_ll_or_reply(c, val, &port, NULL)) return;
            link_of(c)->listening_port = (int)port;
        } else if (arg_is(opt->ptr, opt->len, "ip-address")) {
            if (val->len >= sizeof(c->rlink->ip)) {
                reply_errorf(c, "REPLCONF ip-address provided by replica instance is too long: %zu bytes", val->len);
                return;
            }
            snprintf(link_of(c)->ip, sizeof(c->rlink->ip), "%s", val->ptr);
        } else if (arg_is(opt->ptr, opt->len, "capa")) {
            if (arg_is(val->ptr, val->len, "psync2")) link_of(c)->capa_psync2 = 1;
            if (arg_is(val->ptr, val->len, "eof")) link_of(c)->capa_eof = 1;
        } else if (arg_is(opt->ptr, opt->len, "ack")) {
            long long off;
            if (!(c->flags & CLIENT_SLAVE) || !str_to_ll(val->ptr, val->len, &off)) return;
            if (off > c->rlink->ack_off) c->rlink->ack_off = off;
            c->rlink->ack_ms = mstime();
            if (c->rlink->state == RS_SEND_BULK && c->rlink->diskless) replica_online(c->rlink);
            if (waiting) serve_waits();
            repl_failover_update();
            return;   /* no reply */
        } else if (arg_is(opt->ptr, opt->len, "getack")) {
            if (c->flags & CLIENT_MASTER) repl_send_ack();
            return;
        } else if (!arg_is(opt->ptr, opt->len, "rdb-only") && !arg_is(opt->ptr, opt->len, "rdb-filter-only")) {
            reply_errorf(c, "Unrecognized REPLCONF option: %s", opt->ptr);
            return;
        }
    }
    reply_ok(c);
}

/* ---------------------------------------------------------------- cron, INFO, ROLE */

void repl_primary_cron(void) {
    long long now = mstime();
    /* CONFIG SET repl-backlog-size, replicas gone: the backlog shrinks a step per second. */
    if (rb.active) rb_trim(REPL_TRIM_PER_CRON);
    check_replica_limits(now);
    /* A snapshot for replicas aborted under them (SAVE, FLUSHALL): they start over. */
    if (sync_saving && !bgsave_in_progress()) {
        sync_saving = 0;
        for (struct replicaLink *l = replicas; l; l = l->next)
            if (l->state == RS_WAIT_BGSAVE_END) replica_close(l, "the snapshot was aborted");
    }
    start_pending_syncs();
    /* Anything the replica sends counts: a replica loading a big snapshot sends a newline a
     * second (Redis refreshes the ACK time on a replica's empty line). */
    for (struct replicaLink *l = replicas; l; l = l->next) {
        long long heard = l->ack_ms > l->c->last_interaction_ms ? l->ack_ms : l->c->last_interaction_ms;
        if (l->state == RS_ONLINE && l->psync && now - heard > (long long)server.repl_timeout * 1000)
            replica_close(l, "timeout");
        /* A replica that takes none of its diskless payload for repl-timeout holds the
         * snapshot (it pauses for it) and the other replicas: dropped, as Redis does. */
        if (l->state == RS_WAIT_BGSAVE_END && l->diskless) {
            long long sent = l->sink_bytes - (long long)l->c->reply_bytes;
            if (sent != l->sent_seen || l->c->reply_bytes == 0) {
                l->sent_seen = sent;
                l->sent_moved_ms = now;
            } else if (now - l->sent_moved_ms > (long long)server.repl_timeout * 1000) {
                char ip[256];
                replica_ip(l, ip, sizeof(ip));
                log_msg(LL_WARNING, "Disconnecting timedout replica (full sync): %s:%d", ip, l->listening_port);
                client_close_async(l->c);
            }
        }
    }
    /* SYNC (pre-PSYNC) replicas send no ACKs: they never time out, as in Redis. Replicas of a
     * replica get its primary's PINGs, verbatim. */
    /* Nor while a FAILOVER with a TIMEOUT waits: the offsets must stay put for the target to
     * catch up (Redis skips them then too). */
    /* The period's clock runs whether or not replicas are attached, as Redis's cron-loop count:
     * a replica that just attached gets its first PING at the next tick, not at once (tools
     * reading the stream after a SYNC expect the next write first, as from Redis). */
    if (!last_ping_ms) last_ping_ms = now;   /* the clock starts with the server */
    if (now - last_ping_ms >= (long long)server.repl_ping_replica_period * 1000) {
        static const char ping[] = "*1\r\n$4\r\nPING\r\n";
        last_ping_ms = now;
        if (!server.masterhost && replicas && !repl_failover_timed()) repl_feed(ping, sizeof(ping) - 1);
    }
    /* repl-backlog-ttl counts the time a primary has gone without replicas: from its start,
     * from its last replica's departure or from its promotion (a replica keeps its backlog, so
     * that its siblings continue partially once it is promoted), as Redis's
     * repl_no_slaves_since. */
    if (server.masterhost || replicas || !no_replicas_since_ms) no_replicas_since_ms = now;
    if (!server.masterhost && rb.active && !replicas && server.repl_backlog_ttl &&
        now - no_replicas_since_ms > server.repl_backlog_ttl * 1000) {
        random_id(repl_state.replid);
        clear_replid2();
        backlog_free();
        log_msg(LL_NOTICE, "Replication backlog freed after %lld seconds without connected replicas.",
                server.repl_backlog_ttl);
    }
}

kstr *repl_info_stats(kstr *s) {
    return kstr_catfmt(s, "sync_full:%lld\r\nsync_partial_ok:%lld\r\nsync_partial_err:%lld\r\n", stat_sync_full,
                       stat_sync_partial_ok, stat_sync_partial_err);
}

/* Online replicas whose last ACK is at most min-replicas-max-lag seconds old. */
static int good_replicas(void) {
    long long now = mstime();
    int good = 0;
    for (struct replicaLink *l = replicas; l; l = l->next)
        good += l->state == RS_ONLINE && now - l->ack_ms <= (long long)server.repl_min_replicas_max_lag * 1000;
    return good;
}

int repl_good_replicas_ok(void) {
    if (server.masterhost || !server.repl_min_replicas_to_write || !server.repl_min_replicas_max_lag) return 1;
    return good_replicas() >= server.repl_min_replicas_to_write;
}

const char *repl_min_replicas_error(client *c, const command *cmd) {
    if ((c->flags & CLIENT_MASTER) || !multi_exec_flags(c, cmd, CMD_WRITE) || repl_good_replicas_ok()) return NULL;
    return REPL_NOREPLICAS_ERR;
}

static const char *state_name(int state) {
    return state == RS_SEND_BULK ? "send_bulk" : state == RS_ONLINE ? "online" : "wait_bgsave";
}

/* Redis lists replicas newest last. */
static struct replicaLink **links_oldest_first(int *n) {
    *n = repl_replicas_count();
    struct replicaLink **v = kmalloc(sizeof(*v) * (size_t)(*n ? *n : 1));
    int i = *n;
    for (struct replicaLink *l = replicas; l; l = l->next) v[--i] = l;
    return v;
}

kstr *repl_primary_info(kstr *s) {
    int n;
    struct replicaLink **v = links_oldest_first(&n);
    s = kstr_catfmt(s, "connected_slaves:%d\r\n", n);
    /* With min-replicas-to-write and -max-lag set, on a replica too, as Redis. */
    if (server.repl_min_replicas_to_write && server.repl_min_replicas_max_lag)
        s = kstr_catfmt(s, "min_slaves_good_slaves:%d\r\n", good_replicas());
    long long now = mstime();
    for (int i = 0; i < n; i++) {
        char ip[256];
        replica_ip(v[i], ip, sizeof(ip));
        long long lag = v[i]->state == RS_ONLINE ? now / 1000 - v[i]->ack_ms / 1000 : 0;
        s = kstr_catfmt(s, "slave%d:ip=%s,port=%d,state=%s,offset=%lld,lag=%lld\r\n", i, ip, v[i]->listening_port,
                        state_name(v[i]->state), v[i]->ack_off, lag);
    }
    kfree(v);
    s = kstr_catfmt(s, "master_failover_state:%s\r\nmaster_replid:%s\r\nmaster_replid2:%s\r\n"
                       "master_repl_offset:%lld\r\nsecond_repl_offset:%lld\r\nrepl_backlog_active:%d\r\n"
                       "repl_backlog_size:%lld\r\nrepl_backlog_first_byte_offset:%lld\r\nrepl_backlog_histlen:%lld\r\n",
                    repl_failover_state_name(), repl_state.replid, repl_state.replid2, repl_state.offset,
                    repl_state.second_offset,
                    rb.active, server.repl_backlog_size, rb.active ? backlog_first_offset() : 0, rb.histlen);
    return s;
}

void repl_role_primary(client *c) {
    reply_array_len(c, 3);
    reply_bulk_cstr(c, "master");
    reply_integer(c, repl_state.offset);
    int n, online = 0;
    struct replicaLink **v = links_oldest_first(&n);
    for (int i = 0; i < n; i++) online += v[i]->state == RS_ONLINE;
    reply_array_len(c, online);
    for (int i = 0; i < n; i++) {
        if (v[i]->state != RS_ONLINE) continue;
        char ip[256];
        replica_ip(v[i], ip, sizeof(ip));
        reply_array_len(c, 3);
        reply_bulk_cstr(c, ip);
        reply_bulk_ll(c, v[i]->listening_port);
        reply_bulk_ll(c, v[i]->ack_off);
    }
    kfree(v);
}
