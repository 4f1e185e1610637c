/* lazyfree.c - the background free thread; see lazyfree.h.
 *
 * One worker thread and a FIFO of jobs under one mutex. A job owns what it points to; the event
 * loop never looks at a job after queueing it. Invariant: pending == the sum of the key counts
 * of queued jobs plus the job being freed. */
#include "keyspace/lazyfree.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

#include "types/quicklist.h"
#include "types/stream.h"
#include "types/t_zset.h"
#include "util/mem.h"

typedef struct lazyJob {
    struct lazyJob *next;
    kobj *obj;          /* a single value, or NULL */
    table *keys;        /* a whole keyspace table, or NULL */
    void *ttl_slots;    /* its TTL index array, or NULL */
    size_t nkeys;       /* what the job counts for in the statistics */
} lazyJob;

static struct {
    pthread_mutex_t lock;
    pthread_cond_t wake;        /* jobs queued, or stop requested */
    pthread_cond_t idle;        /* the queue became empty and no job is running */
    lazyJob *head, *tail;
    int busy;                   /* the worker is freeing a job */
    int started, stop;
    pthread_t thread;
} lf = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL, NULL, 0, 0, 0, 0};

static _Atomic size_t pending_objects;
static _Atomic size_t freed_objects;

size_t lazyfree_effort(const kobj *o) {
    switch (o->encoding) {
    case ENC_HT: return tableSize(obj_ptr(o));
    case ENC_QUICKLIST: return ql_nodes(obj_ptr(o), LAZYFREE_THRESHOLD + 1);   /* only "over the threshold" matters */
    case ENC_SKIPLIST: return zset_length(o);
    case ENC_STREAM: return stream_free_effort(o);
    default: return 1;   /* strings, listpacks and intsets are one or two allocations */
    }
}

static void free_job(lazyJob *job) {
    if (job->obj) obj_free(job->obj);
    if (job->keys) tableRelease(job->keys);
    kfree(job->ttl_slots);
    atomic_fetch_sub(&pending_objects, job->nkeys);
    atomic_fetch_add(&freed_objects, job->nkeys);
    kfree(job);
}

/* The worker runs under SCHED_IDLE (best effort): when it shares a CPU with the event loop (a
 * pinned server, a busy machine) it then never preempts the event loop, neither when woken by a
 * handover in the middle of a command nor while freeing millions of keys, so lazy freeing adds
 * no time slice to command latency. The price: on a CPU the event loop keeps 100% busy the
 * freeing waits for idle moments (other CPUs serve it otherwise). */
static void lower_priority(void) {
    struct sched_param param = {0};
    pthread_setschedparam(pthread_self(), SCHED_IDLE, &param);
}

static void *worker(void *arg) {
    (void)arg;
    lower_priority();
    pthread_mutex_lock(&lf.lock);
    for (;;) {
        while (!lf.head && !lf.stop) pthread_cond_wait(&lf.wake, &lf.lock);
        if (!lf.head) break;   /* stop requested and nothing left */
        lazyJob *job = lf.head;
        lf.head = job->next;
        if (!lf.head) lf.tail = NULL;
        lf.busy = 1;
        pthread_mutex_unlock(&lf.lock);
        free_job(job);
        pthread_mutex_lock(&lf.lock);
        lf.busy = 0;
        if (!lf.head) pthread_cond_broadcast(&lf.idle);
    }
    pthread_mutex_unlock(&lf.lock);
    return NULL;
}

/* Starts the worker unless it runs; lf.lock held. */
static void start_locked(void) {
    if (lf.started) return;
    lf.stop = 0;
    lf.started = pthread_create(&lf.thread, NULL, worker, NULL) == 0;
}

void lazyfree_start(void) {
    pthread_mutex_lock(&lf.lock);
    start_locked();
    pthread_mutex_unlock(&lf.lock);
}

/* Queues a job, starting the worker if needed. If the thread can't be created the job is
 * freed inline: slower, never wrong. */
static void enqueue(lazyJob *job) {
    atomic_fetch_add(&pending_objects, job->nkeys);
    pthread_mutex_lock(&lf.lock);
    start_locked();
    if (!lf.started) {
        pthread_mutex_unlock(&lf.lock);
        free_job(job);
        return;
    }
    job->next = NULL;
    if (lf.tail) lf.tail->next = job;
    else lf.head = job;
    lf.tail = job;
    pthread_cond_signal(&lf.wake);
    pthread_mutex_unlock(&lf.lock);
}

int lazyfree_obj(kobj *o, int async) {
    if (!async || lazyfree_effort(o) <= LAZYFREE_THRESHOLD) {
        obj_free(o);
        return 0;
    }
    lazyJob *job = kcalloc(sizeof(*job));
    job->obj = o;
    job->nkeys = 1;
    enqueue(job);
    return 1;
}

void lazyfree_db(table *keys, void *ttl_slots, size_t nkeys) {
    if (!keys && !ttl_slots) return;
    lazyJob *job = kcalloc(sizeof(*job));
    job->keys = keys;
    job->ttl_slots = ttl_slots;
    job->nkeys = nkeys;
    enqueue(job);
}

size_t lazyfree_pending(void) {
    return atomic_load(&pending_objects);
}

size_t lazyfree_freed(void) {
    return atomic_load(&freed_objects);
}

void lazyfree_reset_stats(void) {
    atomic_store(&freed_objects, 0);
}

void lazyfree_drain(void) {
    pthread_mutex_lock(&lf.lock);
    while (lf.started && (lf.head || lf.busy)) pthread_cond_wait(&lf.idle, &lf.lock);
    pthread_mutex_unlock(&lf.lock);
}

void lazyfree_shutdown(void) {
    pthread_mutex_lock(&lf.lock);
    if (!lf.started) {
        pthread_mutex_unlock(&lf.lock);
        return;
    }
    lf.stop = 1;
    pthread_cond_signal(&lf.wake);
    pthread_mutex_unlock(&lf.lock);
    pthread_join(lf.thread, NULL);   /* the worker empties the queue before it exits */
    lf.started = 0;
}
