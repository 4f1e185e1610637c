/* rdb.h - Redis 7.0's RDB format (version 10): snapshot files and DUMP payloads.
 *
 * Writing follows redis-server 7.0.15 byte for byte wherever Keel's encoding is the same as
 * Redis's (strings, integers, listpack hashes and sorted sets, intsets; tables are written in
 * Keel's iteration order, and LZF output may differ from liblzf's). Streams are written as
 * STREAM_LISTPACKS_2, each of Keel's nodes as one of Redis's listpacks (tombstones included).
 * Reading accepts everything redis-server 7.0.15 writes plus the older encodings it still loads
 * (zipmap, ziplist, intset, quicklist v1, string-encoded scores, STREAM_LISTPACKS), and builds
 * each value member by member through the type modules, so the resulting encodings follow the
 * configured *-max-* limits; a stream's nodes are rebuilt one for one from its listpacks.
 *
 * Input is untrusted: every length is checked against the bytes that remain before anything
 * is allocated, every blob (listpack, ziplist, zipmap, intset, LZF) is walked entry by entry
 * with bounds and consistency checks, and duplicates are refused, so a corrupt file or payload
 * fails with a reason and never crashes or allocates more than its own size allows. Modules,
 * which Keel does not have, fail with their name. */
#ifndef KEEL_RDB_H
#define KEEL_RDB_H

#include <stddef.h>
#include <sys/types.h>

#include "server.h"

#define RDB_VERSION 10

/* Where a snapshot stands in a replication stream: Redis's aux fields repl-id, repl-offset and
 * repl-stream-db, with which a restarted replica asks its primary for a partial sync. */
typedef struct rdbReplInfo {
    char replid[41];             /* "" when the file has none */
    long long offset;
    int stream_db;
} rdbReplInfo;
/* Installed by the replication layer: fills *ri and returns 1 if this server has a stream
 * position to save (a replica, or a primary with a backlog); NULL or 0: no aux fields. */
extern int (*rdb_repl_info)(rdbReplInfo *ri);
/* Set for a primary's start-up load: the keys that expired in the file become DEL (UNLINK with
 * lazyfree-lazy-expire) commands with their SELECTs in rdb_expired_dels (NULL and
 * rdb_expired_dels_overflow set past repl-backlog-size), rdb_expired_dels_len bytes in all; the
 * replication layer feeds them to its backlog after restoring the file's stream position. */
extern int rdb_feed_expired;
extern kstr *rdb_expired_dels;
extern long long rdb_expired_dels_len;
extern int rdb_expired_dels_overflow;

/* Load statistics (INFO persistence rdb_last_load_keys_*) and the file's replication aux. */
typedef struct rdbLoadStats {
    long long keys_loaded;
    long long keys_expired;      /* skipped because their TTL had passed */
    long long empty_keys_skipped;
    rdbReplInfo repl;
} rdbLoadStats;

/* Writes every database to `path` atomically: a temp file in the same directory, fsync,
 * rename, fsync of the directory. Returns 0, or -1 after logging the reason (the previous
 * file is then untouched). */
int rdb_save_file(const char *path);

/* The same file built key by key (the forkless BGSAVE): begin opens the temp file and writes
 * the header; key writes one key of db (with SELECTDB/RESIZEDB when the database changes, so
 * keys of different databases may interleave); end writes EOF and the checksum, then fsync,
 * rename and fsync of the directory (0, or -1 logged); abort removes the temp file. end and
 * abort free the snapshot. */
typedef struct rdbSnapshot rdbSnapshot;
rdbSnapshot *rdb_snapshot_begin(const char *path);       /* NULL after logging the reason */
/* Renames s's temp file after pid (temp-<pid>.rdb, temp-rewriteaof-<pid>.aof): a background
 * save's is named after its stand-in child, as Redis's child names it after itself. */
void rdb_snapshot_temp_pid(rdbSnapshot *s, long pid);
/* The same data set as an AOF-format file (an AOF base with aof-use-rdb-preamble no): "#TS:"
 * with aof-timestamp-enabled, FUNCTION LOAD per library, then per key SELECT (when the database
 * changes), SET or RESTORE <key> 0 <DUMP payload>, PEXPIREAT; no trailer. */
rdbSnapshot *rdb_snapshot_begin_aof(const char *path);
int rdb_save_file_aof(const char *path);                 /* rdb_save_file in that format */
void rdb_snapshot_key(rdbSnapshot *s, kdb *db, const kobj *o);
long long rdb_snapshot_keys(const rdbSnapshot *s);      /* keys written so far */
/* The same snapshot as a byte stream with no file (diskless replication): every flushed
 * buffer goes to sink; end writes EOF and the checksum and returns -1 only if a key could not
 * be written. */
typedef void rdb_sink_fn(void *priv, const unsigned char *p, size_t len);
rdbSnapshot *rdb_snapshot_begin_sink(rdb_sink_fn *sink, void *priv);
int rdb_snapshot_end(rdbSnapshot *s);
void rdb_snapshot_abort(rdbSnapshot *s);
/* rdb_snapshot_end in two halves, so the fsync + rename + directory fsync leave the event loop:
 * _async writes the trailer here and commits the file in a background thread; poll
 * rdb_commit_done, then rdb_commit_finish (joins, logs an error, frees s; 0 or -1). Calling
 * finish before done waits for the thread. */
typedef struct rdbCommit rdbCommit;
rdbCommit *rdb_snapshot_end_async(rdbSnapshot *s);
int rdb_commit_done(rdbCommit *c);
int rdb_commit_finish(rdbCommit *c);
/* Unlinks the temp file of the snapshot being written, if any; async-signal-safe (a second
 * SIGINT/SIGTERM during the shutdown save exits at once, leaving no temp file, as Redis). */
void rdb_remove_temp_file(void);

/* fsync of the directory holding path (after a rename into it): 0 or -1. */
int rdb_fsync_dir_of(const char *path);

/* Loads `path` into the databases (empty ones, or with merge - DEBUG RELOAD MERGE - keys and
 * libraries of the file replace those of the same name). Returns 0 on success, 1 if the file
 * does not exist, -1 after logging "<path>: offset N: reason" (the databases may then hold part
 * of it). */
int rdb_load_file(const char *path, rdbLoadStats *stats, int merge);
/* While rdb_load_file runs: called after a key once `loading-process-events-interval-bytes`
 * more of the file were read since the last call (persist.c sets it for the load at start-up,
 * to serve clients meanwhile); NULL: not called. Each key is followed by key-load-delay. */
extern void (*rdb_load_progress)(size_t loaded, size_t total);
/* An input that is not a file (a replica's diskless load reads the primary's socket): read
 * puts up to len bytes into buf and returns how many (> 0), or 0 at the end of the input, -1
 * on an error (the source logs its reason). total: the input's size if known, else 0. */
typedef struct rdbSource {
    ssize_t (*read)(void *priv, unsigned char *buf, size_t len);
    void *priv;
    size_t total;
} rdbSource;
/* rdb_load_file with the same loader reading src: into empty databases, key-load-delay and
 * rdb_load_progress (offsets in the stream) as for a file. Returns 0, or -1 after logging
 * "Internal error in RDB reading offset N: reason" (a short read included; the databases may
 * then hold part of it). Bytes read beyond the RDB's checksum go back through unread. */
int rdb_load_source(rdbSource *src, rdbLoadStats *stats, void (*unread)(void *priv, const unsigned char *p, size_t len));
/* The same for a file that goes on after the RDB part (an AOF with an RDB preamble): *consumed
 * is the length of the RDB part (through its checksum). */
int rdb_load_file_prefix(const char *path, rdbLoadStats *stats, size_t *consumed);

/* DUMP: the value's serialization, the RDB version (2 bytes) and a CRC64 (8 bytes). */
kstr *rdb_dump_payload(const kobj *o);

enum { RDB_RESTORE_OK = 0, RDB_RESTORE_BAD_FOOTER = 1, RDB_RESTORE_BAD_DATA = 2 };
/* RESTORE: a new unlinked object named key from a DUMP payload, or NULL with *err set to
 * RDB_RESTORE_BAD_FOOTER (version or checksum wrong) or RDB_RESTORE_BAD_DATA. */
kobj *rdb_restore_payload(const char *key, size_t klen, const unsigned char *p, size_t len, int *err);

/* Functions belong to the scripting engine (a higher layer), which fills these hooks at start-up.
 * A file holds every library as FUNCTION2 + its code, after the AUX fields (as Redis). */
typedef struct rdbFunctionHooks {
    size_t (*count)(void);                                /* libraries */
    const char *(*code)(size_t i, size_t *len);           /* library i's code */
    /* Adds a library read from a file (replacing one of the same name with replace): 0, or -1
     * with the reason in err (errlen bytes). */
    int (*load)(const char *code, size_t len, int replace, char *err, size_t errlen);
    void (*clear)(void);                                  /* drops every library (DEBUG RELOAD) */
} rdbFunctionHooks;
extern rdbFunctionHooks rdb_function_hooks;

/* FUNCTION DUMP: every library as FUNCTION2 + code, then the RDB version and a CRC64. */
kstr *rdb_dump_functions(void);
/* FUNCTION RESTORE: checks the payload's version and checksum, then hands each library's code
 * to fn in order. Returns 0; or -1 with *err Redis's reply ("DUMP payload version or checksum
 * are wrong", "can not read data type", ...), or with *err NULL when fn returned -1. */
int rdb_restore_functions(const unsigned char *p, size_t len, int (*fn)(void *priv, const char *code, size_t len),
                          void *priv, const char **err);

/* DEBUG SET-SKIP-CHECKSUM-VALIDATION: RESTORE then checks only the payload's version. */
void rdb_set_skip_checksum(int skip);

/* DEBUG OBJECT serializedlength: bytes of the value's serialization (no type byte). */
size_t rdb_serialized_length(const kobj *o);

#endif
