/* client_evict.c - client memory accounting and client eviction (maxmemory-clients).
 *
 * Model (Redis 7.0's): while maxmemory-clients is not 0, every normal and pub/sub client's
 * memory (client_memory_usage) is counted in one total, refreshed whenever the client's
 * buffers change: after it read, before and after each of its commands, after its output was
 * written (output appended for it by another client's command - PUBLISH, tracking
 * invalidations - is written, and so counted, before the next poll). The evictable ones (not
 * CLIENT NO-EVICT; never the master link, replicas or fake clients) also sit in one of 19
 * buckets by the binary logarithm of their memory: up to 32 KB, 64 KB, ..., over 4 GB. While
 * the total is at least the limit, clients_evict() evicts from the fullest non-empty bucket,
 * oldest entry first, so the largest clients go first and only as many as needed.
 *
 * Invariants: mem_counted is what the total holds for the client (0 if nothing); mem_bucket
 * is set iff the client is linked in that bucket. A client closing asynchronously
 * (CLIENT_CLOSE_ASAP) is neither counted nor in a bucket.
 *
 * Redis frees a victim at once; Keel closes it asynchronously when the eviction runs inside a
 * read handler (another client's command is about to run, and callers may be walking the
 * client list), and frees it before the next poll. Until then what the victims hold
 * (clients_evicted_memory) is not counted against maxmemory, so that keys are not evicted for
 * memory that is about to be freed. */
#include "core/client_evict.h"

#include "core/multi.h"
#include "core/pubsub.h"
#include "core/tracking.h"
#include "util/log.h"
#include "util/mem.h"

#define BUCKET_MIN_LOG 15   /* the first bucket holds everything up to 32 KB */
#define BUCKET_MAX_LOG 33   /* the last one everything over 4 GB */
#define BUCKETS (1 + BUCKET_MAX_LOG - BUCKET_MIN_LOG)

typedef struct memBucket {
    client *head, *tail;
} memBucket;

static memBucket buckets[BUCKETS];
static size_t counted_total;   /* normal and pub/sub clients' memory, evictable or not */
static size_t evicted_total;   /* what evicted clients still hold until they are freed */

size_t client_memory_usage(const client *c, size_t *output) {
    size_t out = 0;
    for (const replyBlock *b = c->reply_head; b; b = b->next) out += kmalloc_size(b);
    if (output) *output = out;
    size_t mem = out + kmalloc_size(c) + kstr_alloc_size(c->querybuf);
    for (int i = 0; i < c->argc; i++) mem += c->argv[i].len + sizeof(karg);
    if (c->parser.argv) mem += kmalloc_size(c->parser.argv);
    mem += multi_client_memory(c, NULL);   /* core/multi.c */
    mem += pubsub_client_memory(c);        /* core/pubsub.c */
    mem += tracking_client_memory(c);      /* core/tracking.c */
    return mem;
}

size_t client_eviction_limit(void) {
    size_t limit;
    if (server.maxmemory_clients < 0 && server.maxmemory > 0)
        limit = (size_t)((double)server.maxmemory * (double)-server.maxmemory_clients / 100);
    else if (server.maxmemory_clients > 0)
        limit = (size_t)server.maxmemory_clients;
    else
        return 0;
    /* As Redis: never so low that no client could talk to the server. */
    return limit < 128 * 1024 ? 128 * 1024 : limit;
}

static int bucket_of(size_t mem) {
    int bits = mem ? 64 - __builtin_clzll((unsigned long long)mem) : 0;
    if (bits > BUCKET_MAX_LOG) bits = BUCKET_MAX_LOG;
    if (bits < BUCKET_MIN_LOG) bits = BUCKET_MIN_LOG;
    return bits - BUCKET_MIN_LOG;
}

static void bucket_unlink(client *c) {
    if (!c->mem_bucket) return;
    memBucket *b = &buckets[c->mem_bucket - 1];
    if (c->mem_prev) c->mem_prev->mem_next = c->mem_next;
    else b->head = c->mem_next;
    if (c->mem_next) c->mem_next->mem_prev = c->mem_prev;
    else b->tail = c->mem_prev;
    c->mem_prev = c->mem_next = NULL;
    c->mem_bucket = 0;
}

static void bucket_append(client *c, int idx) {
    memBucket *b = &buckets[idx];
    c->mem_prev = b->tail;
    c->mem_next = NULL;
    if (b->tail) b->tail->mem_next = c;
    else b->head = c;
    b->tail = c;
    c->mem_bucket = idx + 1;
}

size_t clients_evicted_memory(void) {
    return evicted_total;
}

void client_mem_forget(client *c) {
    counted_total -= c->mem_counted;
    c->mem_counted = 0;
    bucket_unlink(c);
}

void client_mem_update(client *c) {
    if (!server.maxmemory_clients) return;
    if (c->flags & (CLIENT_FAKE | CLIENT_CLOSE_ASAP | CLIENT_MASTER | CLIENT_SLAVE)) {
        client_mem_forget(c);
        return;
    }
    size_t mem = client_memory_usage(c, NULL);
    counted_total = counted_total - c->mem_counted + mem;
    c->mem_counted = mem;
    if (c->flags & CLIENT_NO_EVICT) {
        bucket_unlink(c);
        return;
    }
    int idx = bucket_of(mem);
    if (c->mem_bucket == idx + 1) return;   /* stays where it is in its bucket */
    bucket_unlink(c);
    bucket_append(c, idx);
}

void client_mem_freed(client *c) {
    client_mem_forget(c);
    evicted_total -= c->mem_evicted;
    c->mem_evicted = 0;
}

void client_mem_reset_all(void) {
    for (client *c = server.clients; c; c = c->next) {
        if (server.maxmemory_clients) client_mem_update(c);
        else client_mem_forget(c);
    }
}

void clients_evict(int may_free) {
    size_t limit = client_eviction_limit();
    if (!limit) return;
    int idx = BUCKETS - 1;
    while (counted_total >= limit) {
        while (idx >= 0 && !buckets[idx].head) idx--;
        if (idx < 0) {
            log_msg(LL_WARNING, "Over client maxmemory after evicting all evictable clients");
            return;
        }
        client *c = buckets[idx].head;
        kstr *info = kstr_empty(256);
        client_info_line(c, &info);
        if (info->len && info->buf[info->len - 1] == '\n') info->buf[--info->len] = '\0';
        log_msg(LL_NOTICE, "Evicting client: %s", info->buf);
        kstr_free(info);
        server.stat_evictedclients++;
        if (may_free && !(c->flags & CLIENT_EXECUTING)) {
            client_free(c);
        } else {
            c->mem_evicted = c->mem_counted;
            evicted_total += c->mem_evicted;
            client_close_async(c);
        }
    }
}
