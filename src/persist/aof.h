/* aof.h - the append-only file, Redis 7.0's multi-part layout: in dir/appenddirname, a
 * manifest (appendfilename.manifest) naming one base file (an RDB snapshot,
 * appendfilename.<seq>.base.rdb) and the incremental files after it
 * (appendfilename.<seq>.incr.aof) that hold the write stream (wstream.h) as RESP commands.
 *
 * Durability: the stream's commands are buffered and written before the event loop writes
 * any reply (aof_before_sleep); with appendfsync always they are also fsync'ed then (one
 * fsync per loop iteration: group commit), with everysec a background thread fsyncs about
 * once a second, with no the kernel decides.
 *
 * Rewrite (BGREWRITEAOF, CONFIG SET appendonly yes, auto-aof-rewrite-*): forkless. A new
 * incremental file is opened and named in the manifest at once; the new base is the
 * point-in-time snapshot of that moment (bgsave.h); when it is in place the manifest names
 * the new base and the new incremental file only and the older files are deleted. Nothing is
 * buffered for the rewrite.
 *
 * Invariant: the manifest on disk always names files that, loaded in order, give the data
 * set as of the last write to the last incremental file. */
#ifndef KEEL_AOF_H
#define KEEL_AOF_H

#include "server.h"

/* Start-up with appendonly yes: loads the files the manifest names (logs and exits if they
 * are corrupt), or creates an empty base and incremental file; then appends to the last
 * incremental file. Returns 1 if it loaded the data set (the RDB file is then not read). */
int aof_start(void);
/* Before the event loop writes replies: writes (and, per appendfsync, fsyncs) the buffer. */
void aof_before_sleep(void);
/* The server cron's part: a scheduled or automatic rewrite, a failed write retried. */
void aof_cron(void);
/* Shutdown: everything written and fsync'ed. */
void aof_shutdown(void);
/* AOF turned on and its first rewrite not done yet (Redis's AOF_WAIT_REWRITE): a shutdown
 * then would lose the data set, so it fails unless FORCE. */
int aof_writing_initial(void);
/* DEBUG LOADAOF: the AOF written and fsync'ed, the databases emptied, the AOF loaded again.
 * 0, or -1 (logged) when the files can't be loaded (the databases then hold part of them). */
int aof_debug_loadaof(void);
/* The AOF buffer's allocation while the AOF is on, else 0: INFO mem_aof_buffer, and not
 * counted against maxmemory (Redis's freeMemoryGetNotCountedMemory). */
size_t aof_buffer_memory(void);
/* INFO persistence's aof_* fields. */
kstr *aof_info(kstr *s);

command_proc bgrewriteaof_command;

#endif
