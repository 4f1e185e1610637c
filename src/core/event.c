/* event.c - epoll event loop; see event.h. */
#include "core/event.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "util/mem.h"
#include "util/util.h"

typedef struct fileEvent {
    int mask;
    el_file_proc *rproc, *wproc;
    void *rdata, *wdata;
} fileEvent;

typedef struct timerEvent {
    long long id;
    uint64_t when_us;
    el_time_proc *proc;
    void *data;
    struct timerEvent *next;
} timerEvent;

struct eventLoop {
    int epfd;
    fileEvent *events;      /* indexed by fd; grown on demand */
    int nevents;
    struct epoll_event *fired;
    int nfired;
    timerEvent *timers;
    long long next_timer_id;
    el_hook *before_sleep;
    int polling;            /* el_poll_once calls walking their events (nested when > 0) */
};

eventLoop *el_create(void) {
    eventLoop *el = kcalloc(sizeof(*el));
    el->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (el->epfd < 0) {
        kfree(el);
        return NULL;
    }
    el->nfired = 1024;
    el->fired = kmalloc(sizeof(struct epoll_event) * (size_t)el->nfired);
    return el;
}

void el_free(eventLoop *el) {
    if (!el) return;
    close(el->epfd);
    while (el->timers) {
        timerEvent *t = el->timers;
        el->timers = t->next;
        kfree(t);
    }
    kfree(el->events);
    kfree(el->fired);
    kfree(el);
}

static void ensure_slot(eventLoop *el, int fd) {
    if (fd < el->nevents) return;
    int n = el->nevents ? el->nevents : 64;
    while (n <= fd) n *= 2;
    el->events = krealloc(el->events, sizeof(fileEvent) * (size_t)n);
    memset(el->events + el->nevents, 0, sizeof(fileEvent) * (size_t)(n - el->nevents));
    el->nevents = n;
}

static int epoll_update(eventLoop *el, int fd, int oldmask, int newmask) {
    struct epoll_event ee = {0};
    ee.data.fd = fd;
    if (newmask & EL_READABLE) ee.events |= EPOLLIN;
    if (newmask & EL_WRITABLE) ee.events |= EPOLLOUT;
    int op = oldmask == EL_NONE ? EPOLL_CTL_ADD : (newmask == EL_NONE ? EPOLL_CTL_DEL : EPOLL_CTL_MOD);
    return epoll_ctl(el->epfd, op, fd, &ee);
}

int el_add(eventLoop *el, int fd, int mask, el_file_proc *proc, void *data) {
    ensure_slot(el, fd);
    fileEvent *fe = &el->events[fd];
    if (epoll_update(el, fd, fe->mask, fe->mask | mask) < 0) return -1;
    fe->mask |= mask;
    if (mask & EL_READABLE) fe->rproc = proc, fe->rdata = data;
    if (mask & EL_WRITABLE) fe->wproc = proc, fe->wdata = data;
    return 0;
}

void el_del(eventLoop *el, int fd, int mask) {
    if (fd >= el->nevents) return;
    fileEvent *fe = &el->events[fd];
    if (!(fe->mask & mask)) return;
    int newmask = fe->mask & ~mask;
    epoll_update(el, fd, fe->mask, newmask);
    fe->mask = newmask;
}

int el_mask(eventLoop *el, int fd) {
    return fd < el->nevents ? el->events[fd].mask : EL_NONE;
}

long long el_add_timer(eventLoop *el, long long ms, el_time_proc *proc, void *data) {
    timerEvent *t = kmalloc(sizeof(*t));
    t->id = el->next_timer_id++;
    t->when_us = monotonic_us() + (uint64_t)ms * 1000;
    t->proc = proc;
    t->data = data;
    /* Appended, not prepended: a timer handler may add a timer and then remove itself, and
     * run_timers unlinks it through the link that pointed at it. */
    t->next = NULL;
    timerEvent **link = &el->timers;
    while (*link) link = &(*link)->next;
    *link = t;
    return t->id;
}

void el_set_before_sleep(eventLoop *el, el_hook *hook) {
    el->before_sleep = hook;
}

/* Milliseconds until the earliest timer, or -1 to block (no timers). */
static int poll_timeout_ms(eventLoop *el) {
    if (!el->timers) return -1;
    uint64_t now = monotonic_us(), first = UINT64_MAX;
    for (timerEvent *t = el->timers; t; t = t->next)
        if (t->when_us < first) first = t->when_us;
    return first <= now ? 0 : (int)((first - now + 999) / 1000);
}

static void run_timers(eventLoop *el) {
    uint64_t now = monotonic_us();
    timerEvent **link = &el->timers;
    while (*link) {
        timerEvent *t = *link;
        if (t->when_us <= now) {
            long long again = t->proc(el, t->id, t->data);
            if (again == EL_NOMORE) {
                *link = t->next;
                kfree(t);
                continue;
            }
            t->when_us = monotonic_us() + (uint64_t)again * 1000;
        }
        link = &t->next;
    }
}

#define EL_NESTED_EVENTS 64

int el_poll_once(eventLoop *el, int timeout_ms) {
    /* Re-entered from a handler (a long script serving clients): the outer call is still
     * walking el->fired, so the inner one uses its own list. */
    struct epoll_event nested[EL_NESTED_EVENTS];
    struct epoll_event *fired = el->polling ? nested : el->fired;
    int n = epoll_wait(el->epfd, fired, el->polling ? EL_NESTED_EVENTS : el->nfired, timeout_ms);
    if (n < 0) return errno == EINTR ? 0 : -1;
    el->polling++;
    for (int i = 0; i < n; i++) {
        int fd = fired[i].data.fd;
        uint32_t ev = fired[i].events;
        if (fd >= el->nevents) continue;
        fileEvent *fe = &el->events[fd];
        int readable = (ev & (EPOLLIN | EPOLLERR | EPOLLHUP)) && (fe->mask & EL_READABLE);
        if (readable) fe->rproc(el, fd, fe->rdata, EL_READABLE);
        /* The read handler may have closed the client and reused the slot: re-read it. */
        fe = &el->events[fd];
        if ((ev & (EPOLLOUT | EPOLLERR | EPOLLHUP)) && (fe->mask & EL_WRITABLE))
            fe->wproc(el, fd, fe->wdata, EL_WRITABLE);
    }
    el->polling--;
    return n;
}

int el_has_ready(eventLoop *el) {
    struct pollfd p = {.fd = el->epfd, .events = POLLIN};   /* an epoll set polls readable when it has events */
    return poll(&p, 1, 0) > 0;
}

void el_run(eventLoop *el) {
    for (;;) {
        if (el->before_sleep) el->before_sleep(el);
        if (el_poll_once(el, poll_timeout_ms(el)) < 0) break;
        run_timers(el);
    }
}
