/* slowlog.h - the slow log: the outermost commands that took at least slowlog-log-slower-than
 * microseconds, newest first, at most slowlog-max-len of them (SLOWLOG GET/LEN/RESET read it).
 *
 * An entry keeps at most SLOWLOG_ARGC_MAX arguments (the last one then says how many more
 * there were) of at most SLOWLOG_ARG_MAX bytes each, as in Redis. */
#ifndef KEEL_SLOWLOG_H
#define KEEL_SLOWLOG_H

#include "server.h"

#define SLOWLOG_ARGC_MAX 32
#define SLOWLOG_ARG_MAX 128

typedef struct slowlogEntry {
    struct slowlogEntry *next;
    long long id;
    long long time_sec;
    long long duration_us;
    int argc;
    kstr **argv;
    kstr *peer;
    kstr *cname;
} slowlogEntry;

/* Records c's command (c->cmd, c->argv) if it took at least the threshold. */
void slowlog_push(client *c, long long duration_us);
const slowlogEntry *slowlog_newest(void);   /* then ->next, older; NULL when empty */
long long slowlog_len(void);
void slowlog_reset(void);

#endif
