/* bgsave.h - the forkless BGSAVE (bgsave.c): a point-in-time RDB snapshot written from the
 * event loop in time slices, on the keyspace hooks, without fork and without copying values. */
#ifndef KEEL_BGSAVE_H
#define KEEL_BGSAVE_H

#include "server.h"

/* Called once the file is renamed into place (ok = 1) or the save failed (ok = 0). */
typedef void bgsave_done_fn(int ok);

/* Chains the save's handlers in front of the installed keyspace hooks (once, at start-up). */
void bgsave_install_hooks(void);
/* Starts a save of the data set as it is now into `path`. Returns 0, or -1 (logged) if a save
 * is already running or the temp file can't be created. */
int bgsave_start(const char *path, bgsave_done_fn *done_fn);
int bgsave_in_progress(void);
/* Stops a running save and removes its temp file (done_fn is not called). */
void bgsave_abort(void);
long long bgsave_keys_processed(void);   /* INFO current_save_keys_processed */
long long bgsave_keys_total(void);       /* INFO current_save_keys_total */

#endif
