/* persist.h - RDB snapshots as a server feature: SAVE, BGSAVE, LASTSAVE, DUMP, RESTORE, the
 * `save` points checked by the cron, the save at shutdown, the load at start-up and INFO
 * persistence. The file format itself is rdb.h.
 *
 * State: the time and outcome of the last save, and server.dirty, the number of changes since
 * it (a successful save resets it to the changes made while it ran, i.e. 0 for a synchronous
 * save). BGSAVE and the save points use the forkless background save (bgsave.h); SAVE,
 * SHUTDOWN and DEBUG RELOAD save synchronously, aborting a running BGSAVE first. */
#ifndef KEEL_PERSIST_H
#define KEEL_PERSIST_H

#include "persist/rdb.h"
#include "server.h"

/* Start-up: installs the -MISCONF check (dispatch_write_error) and loads the data set: with
 * appendonly yes from the AOF (aof.h), else dbfilename if it exists ("DB loaded from disk");
 * logs and exits if the file is corrupt. */
void persist_start(void);
/* Saves dbfilename now and records the outcome. Returns 0 or -1 (logged). */
int persist_save(void);
/* 1 if `save` has at least one save point. */
int persist_has_save_points(void);
/* The server cron's part: a save when a save point is reached. */
void persist_cron(void);
#define ERR_MISCONF                                                                                              \
    "-MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. "         \
    "Commands that may modify the data set are disabled, because this instance is configured to report errors " \
    "during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs " \
    "for details about the RDB error."
/* DEBUG RELOAD: save (unless nosave), empty every database and drop the functions (with flush),
 * load the file (with merge its keys and libraries replace those of the same name). 0 or -1
 * (logged). */
int persist_reload(int nosave, int flush, int merge);
/* INFO persistence's fields (the rdb_* and loading ones). */
kstr *persist_info(kstr *s);
long long persist_lastsave(void);
/* The replication aux fields of the file loaded at start-up (replid "" if none). */
const rdbReplInfo *persist_loaded_repl_info(void);

command_proc save_command, bgsave_command, dump_command, restore_command;

/* Loads path (rdb_load_file) while serving the clients every
 * loading-process-events-interval-bytes, as the load at start-up does: loading:1 and INFO's
 * loading_* progress, -LOADING for commands without the loading flag, SHUTDOWN and SIGTERM
 * stop the server. tick (or NULL) runs at each of those points first (a replica pings its
 * primary). The caller keeps its own event handlers that must not run meanwhile off the event
 * loop. Returns rdb_load_file's result; INFO's rdb_last_load_keys_* follow the load. */
int persist_load_serving(const char *path, rdbLoadStats *stats, int merge, void (*tick)(void));
/* The same from a source (rdb_load_source: a replica's diskless load from its primary's
 * socket); unread gets the bytes read beyond the RDB. */
int persist_load_source_serving(rdbSource *src, rdbLoadStats *stats, void (*tick)(void),
                                void (*unread)(void *priv, const unsigned char *p, size_t len));

/* Set by the entry layer: a SIGTERM while the RDB file loads at start-up shuts down at once
 * (without saving) from the loading loop, as Redis. */
extern void (*persist_loading_shutdown)(void);

#endif
