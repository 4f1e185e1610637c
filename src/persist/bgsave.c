/* bgsave.c - the forkless BGSAVE: a point-in-time snapshot written from the event loop in
 * time slices, while clients keep writing. docs/persistence.md has the argument; in brief:
 *
 *  - The save walks the databases in order, each with the table's stateless scan (tableScan).
 *    Between two steps, "has the save passed key k" is decidable: the databases before the one
 *    being walked are done, those after it untouched, and in the current one the scan has
 *    passed exactly the keys for which tableScanPassed(cursor, k) holds, resizes or not.
 *  - Before a key changes (value, TTL, deletion, or a key about to be added), the keyspace calls
 *    key_will_change (keyspace/hooks.h). If the save has not passed the key, the key is settled
 *    now: its current value (the one it had at the start, since it has not changed yet) is
 *    written, or, when it is absent, nothing is; either way it goes into `settled`, so the scan
 *    skips it when it gets there. Keys added after the start are thus not in the file, and no
 *    key is written twice.
 *  - Before a database is emptied (FLUSHDB/FLUSHALL) or swapped (SWAPDB), the rest of it is
 *    written at once, and it counts as done.
 *  - Once the last key is written, the trailer is written on the loop and a thread does the
 *    fsync, the rename over the target and the directory fsync (rdb_snapshot_end_async); the
 *    save stays "in progress" (INFO, LASTSAVE unchanged) until the timer sees it done.
 * Memory beyond the data set: the output buffer (64 KB) and the names of the keys settled
 * ahead of the scan; no value is ever copied. */
#include "persist/bgsave.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/config.h"
#include "core/event.h"
#include "persist/rdb.h"
#include "types/coll_entry.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/util.h"

/* Pacing. The walk runs in the loop's spare time: a slice at the end of every before_sleep,
 * after the replies of the pass are written (so no reply waits for a slice), ended early when
 * a descriptor becomes ready (checked every READY_CHECK_US). It lasts up to SLICE_US when the
 * pass found nothing else to do. When clients kept the loop busy (more than BUSY_GAP_US since
 * the last slice), it lasts that time divided by BUSY_SHARE_DIV, so a saturating write load
 * keeps about 8/9 of the loop (the goal: >= 0.8x SET throughput during a save) and the save
 * still advances in proportion, never stalls. */
#define SLICE_US 1000          /* the longest slice */
#define READY_CHECK_US 20
#define BUSY_GAP_US 50         /* more time than this elsewhere since the last slice: busy */
#define BUSY_SHARE_DIV 8
#define SCAN_STEP 16           /* entries per scan step (about 25 us of writing) */
#define BUSY_SCAN_STEP 8       /* the same in a busy loop's short slices */

static struct {
    rdbSnapshot *snap;
    bgsave_done_fn *done_fn;
    int (*paused)(void);       /* NULL, or 1 while the stream's reader is behind */
    int db;                    /* database being walked; dbnum when all are done */
    uint64_t cursor;           /* its scan cursor (0: not started) */
    unsigned char *db_done;    /* per database: written completely */
    table *settled;            /* "<db id, 4 bytes><key>" of keys settled ahead of the scan */
    uintptr_t generation;      /* of the running save: an aborted save's timer stops itself */
    long long total;           /* keys at the start */
    rdbCommit *commit;         /* the file is complete, being fsynced and renamed by a thread */
    pid_t child;               /* the save's stand-in process, 0 if none */
    int child_fd;              /* write end of its stdin pipe */
    long long started;         /* saves started (INFO total_forks) */
    uint64_t slice_end;        /* monotonic_us() at the end of the last slice, 0: none yet */
} bg;

long bgsave_child_pid(void) {
    return bg.snap ? (long)bg.child : -1;
}

long long bgsave_saves_started(void) {
    return bg.started;
}

extern char **environ;

/* The save's stand-in process. Redis's saves run in a child, and operators (and Redis's test
 * suite) abort one by killing it; Keel's save runs in the loop, so it starts a process that
 * only waits (keel-server --forkless-save-child, main.c: it reads its stdin, a pipe from here,
 * until EOF) and watches it: killed while the save runs, it fails the save as a killed child
 * fails Redis's. posix_spawn (vfork-like) copies no page tables; the process ends by itself
 * when the server goes, since the pipe then closes. */
static void child_start(void) {
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    int p[2];
    if (n <= 0 || pipe2(p, O_CLOEXEC) != 0) return;
    exe[n] = '\0';
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, p[0], 0);
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
    posix_spawn_file_actions_addclosefrom_np(&fa, 3);   /* no server descriptor, even briefly */
#endif
    /* Its oom_score_adj is the child class's (oom-score-adj-values[2]): it sets it itself. */
    char score[16];
    int oom;
    char *argv[] = {"keel-save-child", "--forkless-save-child", NULL, NULL};
    if (config_oom_score_child(&oom)) {
        snprintf(score, sizeof(score), "%d", oom);
        argv[2] = score;
    }
    pid_t pid;
    int rc = posix_spawn(&pid, exe, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(p[0]);
    if (rc != 0) {
        close(p[1]);
        return;
    }
    bg.child = pid;
    bg.child_fd = p[1];
}

static void child_stop(void) {
    if (!bg.child) return;
    close(bg.child_fd);
    kill(bg.child, SIGKILL);
    while (waitpid(bg.child, NULL, 0) < 0 && errno == EINTR) {
    }
    bg.child = 0;
}

/* The signal that ended the stand-in process on its own, or 0 while it lives. */
static int child_killed(void) {
    int st;
    if (!bg.child || waitpid(bg.child, &st, WNOHANG) != bg.child) return 0;
    close(bg.child_fd);
    bg.child = 0;
    return WIFSIGNALED(st) ? WTERMSIG(st) : SIGKILL;
}

int bgsave_in_progress(void) {
    return bg.snap != NULL;
}

long long bgsave_keys_processed(void) {
    return bg.snap ? rdb_snapshot_keys(bg.snap) : 0;
}

long long bgsave_keys_total(void) {
    return bg.snap ? bg.total : 0;
}

static int passed(kdb *db, const char *key, size_t len) {
    if (bg.db_done[db->id]) return 1;
    if (db->id != bg.db || bg.cursor == 0) return 0;
    return tableScanPassed(db->keys, bg.cursor, key, len);
}

/* The settled-set name of a key, in a buffer the caller frees if it is not `stack`. */
static char *settled_name(int id, const char *key, size_t len, char *stack, size_t cap, size_t *n) {
    *n = len + 4;
    char *p = *n <= cap ? stack : kmalloc(*n);
    memcpy(p, &id, 4);
    memcpy(p + 4, key, len);
    return p;
}

/* Adds the key to the settled set; returns 1 if it was not there. */
static int settle(int id, const char *key, size_t len) {
    char stack[256];
    size_t n;
    char *name = settled_name(id, key, len, stack, sizeof(stack), &n);
    int added = !tableFind(bg.settled, name, n);
    if (added) tableAdd(bg.settled, coll_entry_new(name, n, NULL, 0, 0));
    if (name != stack) kfree(name);
    return added;
}

/* 1 if the key was settled ahead of the scan (the entry is dropped: the scan is there now). */
static int take_settled(int id, const char *key, size_t len) {
    char stack[256];
    size_t n;
    char *name = settled_name(id, key, len, stack, sizeof(stack), &n);
    void *e = tableDelete(bg.settled, name, n);
    if (name != stack) kfree(name);
    if (e) coll_entry_free(e);
    return e != NULL;
}

static void scan_emit(void *privdata, void *entry) {
    kdb *db = privdata;
    kobj *o = entry;
    if (!take_settled(db->id, obj_key(o), obj_keylen(o))) rdb_snapshot_key(bg.snap, db, o);
}

/* Writes what remains of db and marks it done. */
static void drain(kdb *db) {
    if (bg.db_done[db->id]) return;
    uint64_t cursor = db->id == bg.db ? bg.cursor : 0;
    if (db->keys) do cursor = tableScan(db->keys, cursor, SCAN_STEP, scan_emit, db); while (cursor != 0);
    bg.db_done[db->id] = 1;
    if (db->id == bg.db) {
        bg.db++;
        bg.cursor = 0;
    }
}

void bgsave_key_will_change(kdb *db, const char *key, size_t len, const kobj *o) {
    if (bg.snap && !passed(db, key, len) && settle(db->id, key, len) && o) rdb_snapshot_key(bg.snap, db, o);
}

void bgsave_db_will_empty(kdb *db) {
    if (bg.snap) drain(db);
}

void bgsave_dbs_will_swap(kdb *a, kdb *b) {
    if (bg.snap) {
        drain(a);
        drain(b);
    }
}

static void release_state(void) {
    child_stop();
    tableRelease(bg.settled);
    kfree(bg.db_done);
    bg.snap = NULL;
    bg.settled = NULL;
    bg.db_done = NULL;
}

void bgsave_abort(void) {
    if (!bg.snap) return;
    if (bg.commit) {
        /* Past the last key: only the commit thread is left. Wait for it (the file it renames
         * is a complete snapshot, so letting it finish is safe) without reporting. */
        rdb_commit_finish(bg.commit);
        bg.commit = NULL;
    } else {
        rdb_snapshot_abort(bg.snap);
    }
    release_state();
    log_msg(LL_WARNING, "Background saving aborted");
}

void bgsave_cron(void) {
    if (!bg.snap || bg.commit) return;   /* a complete file being committed is not stopped */
    int sig = child_killed();
    if (!sig) return;
    bgsave_done_fn *fn = bg.done_fn;
    rdb_snapshot_abort(bg.snap);
    release_state();
    log_msg(LL_WARNING, "Background saving terminated by signal %d", sig);
    fn(0);
}

/* Walks one step (count entries, at least one bucket). 1 once every database is done. */
static int walk_step(size_t count) {
    while (bg.db < server.dbnum && (bg.db_done[bg.db] || !db_by_id(bg.db)->keys)) {
        bg.db_done[bg.db] = 1;
        bg.db++;
        bg.cursor = 0;
    }
    if (bg.db >= server.dbnum) return 1;
    kdb *db = db_by_id(bg.db);
    bg.cursor = tableScan(db->keys, bg.cursor, count, scan_emit, db);
    if (bg.cursor == 0) {
        bg.db_done[bg.db] = 1;
        bg.db++;
    }
    return 0;
}

/* The last key is written: the trailer goes now, the commit to a thread (the timer waits). */
static void walk_done(void) {
    bg.commit = rdb_snapshot_end_async(bg.snap);
}

static int walking(void) {
    return bg.snap && !bg.commit && !(bg.paused && bg.paused());
}

void bgsave_before_sleep(void) {
    if (!walking() || server.rdb_key_save_delay > 0) return;
    uint64_t start = monotonic_us(), now = start, checked = start;
    uint64_t elsewhere = bg.slice_end ? start - bg.slice_end : 0;
    int busy = elsewhere > BUSY_GAP_US;
    uint64_t budget = busy ? elsewhere / BUSY_SHARE_DIV : SLICE_US;
    if (budget > SLICE_US) budget = SLICE_US;
    for (;;) {
        if (walk_step(busy ? BUSY_SCAN_STEP : SCAN_STEP)) {
            walk_done();
            break;
        }
        now = monotonic_us();
        if (now - start >= budget) break;
        if (now - checked >= READY_CHECK_US) {
            checked = now;
            if (el_has_ready(server.el)) break;
        }
    }
    bg.slice_end = now;
}

/* The save's timer: due at once while the walk has work, so that the loop's poll never sleeps
 * between slices (they run in before_sleep); with rdb-key-save-delay (microseconds per key, a
 * testing knob as in Redis) it walks one key per tick itself, spaced out instead of sleeping in
 * the loop; and it finishes the save when the commit thread is done. */
static long long bgsave_tick(eventLoop *el, long long id, void *data) {
    if (!bg.snap || (uintptr_t)data != bg.generation) return EL_NOMORE;
    if (bg.commit) {
        /* The fsync, rename and directory fsync run off the loop; finish when they are done. */
        if (!rdb_commit_done(bg.commit)) return 1;
        bgsave_done_fn *fn = bg.done_fn;
        int ok = rdb_commit_finish(bg.commit) == 0;
        bg.commit = NULL;
        bg.snap = NULL;   /* freed by rdb_commit_finish */
        release_state();
        log_msg(ok ? LL_NOTICE : LL_WARNING, ok ? "Background saving terminated with success"
                                                : "Background saving error");
        fn(ok);
        return EL_NOMORE;
    }
    if (bg.paused && bg.paused()) {
        bg.slice_end = 0;   /* the wait is not the clients' time */
        return 1;
    }
    if (server.rdb_key_save_delay > 0) {
        if (walk_step(1)) walk_done();
        return bg.commit ? 0 : (server.rdb_key_save_delay + 999) / 1000;
    }
    return 0;
}

int bgsave_start(const char *path, bgsave_done_fn *done_fn) {
    if (bg.snap) return -1;
    rdbSnapshot *s = rdb_snapshot_begin(path);
    return s ? bgsave_start_snapshot(s, done_fn, NULL) : -1;
}

int bgsave_start_snapshot(rdbSnapshot *s, bgsave_done_fn *done_fn, int (*paused)(void)) {
    if (bg.snap) {
        rdb_snapshot_abort(s);
        return -1;
    }
    bg.snap = s;
    bg.paused = paused;
    bg.done_fn = done_fn;
    bg.db = 0;
    bg.cursor = 0;
    bg.db_done = kcalloc((size_t)server.dbnum);
    bg.settled = tableCreate(&coll_table_type);
    bg.total = 0;
    bg.slice_end = 0;
    for (int i = 0; i < server.dbnum; i++) bg.total += (long long)db_size(db_by_id(i));
    child_start();
    if (bg.child) rdb_snapshot_temp_pid(s, (long)bg.child);
    bg.started++;
    el_add_timer(server.el, 0, bgsave_tick, (void *)++bg.generation);
    log_msg(LL_NOTICE, "Background saving started (forkless, in the event loop)");
    return 0;
}
