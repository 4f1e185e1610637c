/* bgsave.h - the forkless BGSAVE (bgsave.c): a point-in-time RDB snapshot written from the
 * event loop in time slices, on the keyspace hooks, without fork and without copying values. */
#ifndef KEEL_BGSAVE_H
#define KEEL_BGSAVE_H

#include "persist/rdb.h"
#include "server.h"

/* Called once the file is renamed into place (ok = 1) or the save failed (ok = 0). */
typedef void bgsave_done_fn(int ok);

/* The save's keyspace hooks (keyspace/hooks.h), called first by src/keyspace_events.c: before
 * a key the save has not passed changes, its value is written (or, when the key is absent, it
 * is marked to be left out); before a database is emptied or swapped, the rest of it is
 * written. No-ops when no save runs. */
void bgsave_key_will_change(kdb *db, const char *key, size_t len, const kobj *o);
void bgsave_db_will_empty(kdb *db);
void bgsave_dbs_will_swap(kdb *a, kdb *b);
/* Starts a save of the data set as it is now into `path`. Returns 0, or -1 (logged) if a save
 * is already running or the temp file can't be created. */
int bgsave_start(const char *path, bgsave_done_fn *done_fn);
/* The same into a snapshot the caller began (rdb_snapshot_begin_sink); while paused() returns
 * 1 the walk waits (a slow reader of the stream). -1 if a save is running (s is aborted). */
int bgsave_start_snapshot(rdbSnapshot *s, bgsave_done_fn *done_fn, int (*paused)(void));
int bgsave_in_progress(void);
/* The server cron's part: a save whose stand-in process was killed fails (done_fn(0)). */
void bgsave_cron(void);
/* The walk's slice; the last thing before_sleep does (after the replies are written). */
void bgsave_before_sleep(void);
long long bgsave_saves_started(void);
long bgsave_child_pid(void);             /* the running save's stand-in process, or -1 */    /* INFO total_forks: saves started since start-up */
/* Stops a running save and removes its temp file (done_fn is not called). */
void bgsave_abort(void);
long long bgsave_keys_processed(void);   /* INFO current_save_keys_processed */
long long bgsave_keys_total(void);       /* INFO current_save_keys_total */

#endif
