/* event.h - the single-threaded event loop (epoll).
 *
 * File events are keyed by file descriptor; each fd has at most one read and one write handler.
 * Timers fire from the loop between polls; a timer's handler returns the delay in milliseconds
 * until it runs again, or EL_NOMORE to be removed. before_sleep runs before every poll: the
 * server writes pending replies there, so a pipeline of commands costs one write. */
#ifndef KEEL_EVENT_H
#define KEEL_EVENT_H

#define EL_NONE 0
#define EL_READABLE 1
#define EL_WRITABLE 2
#define EL_NOMORE -1

typedef struct eventLoop eventLoop;
typedef void el_file_proc(eventLoop *el, int fd, void *data, int mask);
typedef long long el_time_proc(eventLoop *el, long long id, void *data);
typedef void el_hook(eventLoop *el);

eventLoop *el_create(void);
void el_free(eventLoop *el);
int el_add(eventLoop *el, int fd, int mask, el_file_proc *proc, void *data);
void el_del(eventLoop *el, int fd, int mask);
int el_mask(eventLoop *el, int fd);
long long el_add_timer(eventLoop *el, long long ms, el_time_proc *proc, void *data);
void el_set_before_sleep(eventLoop *el, el_hook *hook);
void el_run(eventLoop *el);
/* One poll (waiting at most timeout_ms) and the file events it reports, without timers or
 * before_sleep: el_run's inner step, also used to serve clients while a long script runs.
 * Returns the number of events, or -1 on a poll error. */
int el_poll_once(eventLoop *el, int timeout_ms);
/* 1 if a registered descriptor is ready now (el_poll_once would report it); consumes nothing.
 * Long background work on the loop asks this to yield to clients early. */
int el_has_ready(eventLoop *el);

#endif
