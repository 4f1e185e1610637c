/* aof.c - the append-only file; see aof.h for the layout, durability and the rewrite.
 *
 * State: the manifest as in memory (base, history, incremental files, in Redis's order), the
 * descriptor of the last incremental file, and the stream reader that fills `buf`. The buffer
 * goes to the file in aof_before_sleep; everysec fsyncs run on one background thread, which
 * only ever fsyncs the descriptor it was given while the loop waits for it before closing it. */
#include "persist/aof.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/config.h"
#include "core/multi.h"
#include "keyspace/db.h"
#include "persist/bgsave.h"
#include "persist/persist.h"
#include "persist/rdb.h"
#include "persist/wstream.h"
#include "protocol/reply.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/util.h"

#define AOF_PATH_MAX 4096

typedef struct aofFile {
    char *name;
    long long seq;
    char type;                  /* 'b' base, 'h' history, 'i' incremental */
} aofFile;

static struct {
    aofFile *files;             /* base first (if any), then history, then incremental files */
    size_t nfiles;
    long long base_seq, incr_seq;   /* highest used */
    int fd;                     /* last incremental file, -1 when the AOF is off */
    kstr *buf;
    wstream_reader reader;
    long long incr_size, base_size, rewrite_base_size;
    int last_write_ok;
    /* rewrite */
    int rewriting, scheduled;
    int waiting;                /* appendonly yes during a BGSAVE: on once the rewrite starts */
    int enabling;               /* the AOF goes on with this rewrite: writes go to a temp file */
    long long rewrite_start_ms, last_rewrite_sec, rewrites, consecutive_failures;
    int last_rewrite_ok;
    char *rewrite_base;         /* name of the base being written */
    /* everysec fsync thread */
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake, idle;
    int fsync_fd;               /* -1: nothing to do */
    int fsync_busy;
    long long last_fsync_ms;
    int unsynced;               /* written since the last fsync was asked for (everysec) */
    int thread_started;
    long long last_ts;          /* of the last #TS annotation */
    /* loading progress (INFO loading_*) */
    long long load_start, load_total, load_done, load_base;
    long long load_loops;       /* commands run by the load, for serving clients every 1024 */
} aof = {.fd = -1, .last_write_ok = 1, .last_rewrite_ok = 1, .last_rewrite_sec = -1, .fsync_fd = -1,
         .lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER, .idle = PTHREAD_COND_INITIALIZER};

static const char *file_prefix(void) {
    return server.appendfilename ? server.appendfilename : "appendonly.aof";
}

static const char *dir_name(void) {
    return server.appenddirname ? server.appenddirname : "appendonlydir";
}

static void path_of(char *out, const char *name) {
    snprintf(out, AOF_PATH_MAX, "%.2000s/%.2000s", dir_name(), name);
}

/* ---------------------------------------------------------------- the manifest */

static void files_clear(void) {
    for (size_t i = 0; i < aof.nfiles; i++) kfree(aof.files[i].name);
    kfree(aof.files);
    aof.files = NULL;
    aof.nfiles = 0;
}

static void file_add(const char *name, long long seq, char type) {
    aof.files = krealloc(aof.files, (aof.nfiles + 1) * sizeof(aofFile));
    aof.files[aof.nfiles++] = (aofFile){.name = kstrdup(name), .seq = seq, .type = type};
    if (type == 'b' && seq > aof.base_seq) aof.base_seq = seq;
    if (type == 'i' && seq > aof.incr_seq) aof.incr_seq = seq;
}

static const aofFile *base_file(void) {
    for (size_t i = 0; i < aof.nfiles; i++)
        if (aof.files[i].type == 'b') return &aof.files[i];
    return NULL;
}

static const aofFile *last_incr(void) {
    const aofFile *last = NULL;
    for (size_t i = 0; i < aof.nfiles; i++)
        if (aof.files[i].type == 'i') last = &aof.files[i];
    return last;
}

static kstr *cat_name(kstr *s, const char *name);

/* Writes the manifest atomically (temp file, fsync, rename, fsync of the directory); the order
 * of the lines is Redis's: base, history, incremental. 0 or -1 (logged). */
static int manifest_persist(void) {
    kstr *s = kstr_empty(256);
    static const char order[] = "bhi";
    for (int k = 0; k < 3; k++)
        for (size_t i = 0; i < aof.nfiles; i++)
            if (aof.files[i].type == order[k]) {
                s = kstr_cat(s, "file ", 5);
                s = cat_name(s, aof.files[i].name);
                s = kstr_catfmt(s, " seq %lld type %c\n", aof.files[i].seq, aof.files[i].type);
            }
    char path[AOF_PATH_MAX], tmp[AOF_PATH_MAX + 8];
    char name[AOF_PATH_MAX];
    snprintf(name, sizeof(name), "%.2000s.manifest", file_prefix());
    path_of(path, name);
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int ok = fd >= 0 && write(fd, s->buf, s->len) == (ssize_t)s->len && fsync(fd) == 0;
    if (fd >= 0 && close(fd) != 0) ok = 0;
    ok = ok && rename(tmp, path) == 0;
    kstr_free(s);
    if (!ok) {
        log_msg(LL_WARNING, "Can't persist the AOF manifest file %s: %s", name, strerror(errno));
        unlink(tmp);
        return -1;
    }
    rdb_fsync_dir_of(path);
    return 0;
}

/* Cuts the next word of a manifest line in place, as Redis's sdssplitargs: "..." with the
 * escapes \xHH \n \r \t \b \a \<c>, or '...' with \'. NULL at the end of the line or
 * (*bad set) for an unbalanced quote or a quote not followed by a space. */
static char *next_word(char **p, int *bad) {
    char *s = *p;
    while (*s == ' ' || *s == '\t') s++;
    if (!*s) return NULL;
    char *w = s, *out = s;
    if (*s == '"' || *s == '\'') {
        char q = *s++;
        for (;;) {
            if (!*s) {
                *bad = 1;
                return NULL;
            }
            if (*s == q) {
                s++;
                break;
            }
            if (*s == '\\' && q == '"' && s[1]) {
                s++;
                if (*s == 'x' && isxdigit((unsigned char)s[1]) && isxdigit((unsigned char)s[2])) {
                    char hex[3] = {s[1], s[2], 0};
                    *out++ = (char)strtol(hex, NULL, 16);
                    s += 3;
                    continue;
                }
                switch (*s) {
                case 'n': *out++ = '\n'; break;
                case 'r': *out++ = '\r'; break;
                case 't': *out++ = '\t'; break;
                case 'b': *out++ = '\b'; break;
                case 'a': *out++ = '\a'; break;
                default: *out++ = *s;
                }
                s++;
                continue;
            }
            if (*s == '\\' && q == '\'' && s[1] == '\'') s++;
            *out++ = *s++;
        }
        if (*s && *s != ' ' && *s != '\t') {
            *bad = 1;
            return NULL;
        }
    } else {
        while (*s && *s != ' ' && *s != '\t') *out++ = *s++;
    }
    if (*s) s++;
    *out = '\0';
    *p = s;
    return w;
}

/* A file name as the manifest writes it: as is, or quoted with escapes when it holds spaces,
 * quotes, backslashes or unprintable bytes (Redis's sdscatrepr). */
static kstr *cat_name(kstr *s, const char *name) {
    int plain = *name != '\0';
    for (const char *c = name; *c && plain; c++)
        if (*c == '\\' || *c == '"' || *c == '\'' || !isprint((unsigned char)*c) || isspace((unsigned char)*c)) plain = 0;
    if (plain) return kstr_cat(s, name, strlen(name));
    return kstr_catrepr(s, name, strlen(name));
}

#define MANIFEST_MAX_LINE 1024

/* Checks one manifest line (trimmed, not a comment) and adds its file: NULL, or what is wrong
 * with it, in Redis's words. */
static const char *manifest_line(char *p, long long *maxseq) {
    char *words[16];
    int n = 0, bad = 0;
    for (char *w; n < 16 && (w = next_word(&p, &bad));) words[n++] = w;
    if (bad || n < 6 || n % 2 || next_word(&p, &bad)) return "Invalid AOF manifest file format";
    const char *fname = NULL, *type = NULL;
    long long seq = 0;
    for (int i = 0; i < n; i += 2) {
        if (!strcasecmp(words[i], "file")) fname = words[i + 1];
        else if (!strcasecmp(words[i], "seq")) seq = strtoll(words[i + 1], NULL, 10);
        else if (!strcasecmp(words[i], "type")) type = words[i + 1];
    }
    if (fname && strchr(fname, '/')) return "File can't be a path, just a filename";
    if (!fname || !seq || !type || !type[0]) return "Invalid AOF manifest file format";
    if (type[0] == 'b' && base_file()) return "Found duplicate base file information";
    if (type[0] == 'i') {
        if (seq <= *maxseq) return "Found a non-monotonic sequence number";
        *maxseq = seq;
    } else if (type[0] != 'b' && type[0] != 'h') {
        return "Unknown AOF file type";
    }
    file_add(fname, seq, type[0]);
    return NULL;
}

/* Loads the manifest if there is one: 1 loaded, 0 none, -1 invalid (logged as Redis does). */
static int manifest_load(void) {
    char path[AOF_PATH_MAX], name[AOF_PATH_MAX];
    snprintf(name, sizeof(name), "%.2000s.manifest", file_prefix());
    path_of(path, name);
    FILE *f = fopen(path, "r");
    if (!f) return errno == ENOENT ? 0 : -1;
    files_clear();
    aof.base_seq = aof.incr_seq = 0;
    const char *err = NULL;
    char buf[MANIFEST_MAX_LINE + 1];
    int linenum = 0;
    long long maxseq = 0;
    char *line = NULL;
    while (!err) {
        if (!fgets(buf, sizeof(buf), f)) {
            if (!feof(f)) err = "Read AOF manifest failed";
            else if (linenum == 0) err = "Found an empty AOF manifest";
            break;
        }
        linenum++;
        if (buf[0] == '#') continue;
        if (!strchr(buf, '\n')) {
            err = "The AOF manifest file contains too long line";
            break;
        }
        line = buf;
        while (*line == ' ' || *line == '\t') line++;
        size_t len = strlen(line);
        while (len && strchr(" \t\r\n", line[len - 1])) line[--len] = '\0';
        char copy[MANIFEST_MAX_LINE + 1];
        memcpy(copy, line, len + 1);
        err = len ? manifest_line(copy, &maxseq) : "Invalid AOF manifest file format";
    }
    fclose(f);
    if (!err) return 1;
    log_msg(LL_WARNING, "*** FATAL AOF MANIFEST FILE ERROR ***");
    if (line) {
        log_msg(LL_WARNING, "Reading the manifest file, at line %d", linenum);
        log_msg(LL_WARNING, ">>> '%s'", line);
    }
    log_msg(LL_WARNING, "%s", err);
    return -1;
}

/* ---------------------------------------------------------------- loading */

typedef struct aofParse {
    char *p;
    size_t len, pos;
} aofParse;

/* Reads "<prefix><number>\r\n" at the parse position: 1 ok, 0 end of data, -1 bad format. */
static int read_header(aofParse *ps, char prefix, long long *n) {
    if (ps->pos >= ps->len) return 0;
    if (ps->p[ps->pos] != prefix) return -1;
    const char *start = ps->p + ps->pos + 1;
    const char *nl = memchr(start, '\n', ps->len - ps->pos - 1);
    if (!nl) return 0;
    size_t digits = (size_t)(nl - start);
    if (digits < 2 || start[digits - 1] != '\r' || !str_to_ll(start, digits - 1, n) || *n < 0) return -1;
    ps->pos += digits + 2;
    return 1;
}

enum { CMD_OK = 1, CMD_EOF = 0, CMD_BAD = -1 };

/* Parses one command into argv (pointing into the data, each argument's "\r" replaced by a
 * NUL): CMD_OK, CMD_EOF (the data ends inside it), CMD_BAD. */
static int parse_command(aofParse *ps, int *argc, karg **argv, int *cap) {
    long long n;
    int rc = read_header(ps, '*', &n);
    if (rc <= 0) return rc;
    if (n < 1 || n > INT_MAX / 2) return CMD_BAD;
    if (n > *cap) {
        *cap = (int)n;
        *argv = krealloc(*argv, sizeof(karg) * (size_t)n);
    }
    for (long long i = 0; i < n; i++) {
        long long blen;
        rc = read_header(ps, '$', &blen);
        if (rc <= 0) return rc;
        if ((size_t)blen + 2 > ps->len - ps->pos) return CMD_EOF;
        if (ps->p[ps->pos + (size_t)blen] != '\r' || ps->p[ps->pos + (size_t)blen + 1] != '\n') return CMD_BAD;
        ps->p[ps->pos + (size_t)blen] = '\0';   /* commands read arguments as C strings */
        (*argv)[i].ptr = ps->p + ps->pos;
        (*argv)[i].len = (size_t)blen;
        ps->pos += (size_t)blen + 2;
    }
    *argc = (int)n;
    return CMD_OK;
}

enum { LOAD_OK, LOAD_TRUNCATED, LOAD_FAILED };

/* While the AOF loads (at start-up and for DEBUG LOADAOF), as Redis: the clients are served
 * before every 1024th command and, inside an RDB base or preamble, every
 * loading-process-events-interval-bytes; they get -LOADING for commands without the loading
 * flag (dispatch.c), INFO shows the progress, and a SIGTERM or SHUTDOWN stops the load. */
static void serve_while_loading(void) {
    clients_process_while_busy();
    if (server.shutdown_asap && persist_loading_shutdown) persist_loading_shutdown();
}

static void rdb_part_progress(size_t loaded, size_t total) {
    (void)total;
    aof.load_done = aof.load_base + (long long)loaded;
    serve_while_loading();
}

/* key-load-delay after each command, as Redis's debugDelay: microseconds, or when negative
 * (-n) 1 us once in n commands on average. */
static void load_delay(void) {
    int delay = server.key_load_delay;
    if (delay < 0) delay = rand() % -delay == 0 ? 1 : 0;
    if (delay > 0) usleep((useconds_t)delay);
}

/* Runs the commands of one file on the loading client. */
static int load_commands(client *fc, const char *name, int last) {
    char path[AOF_PATH_MAX];
    path_of(path, name);
    kstr *data = config_read_file(path);
    if (!data) {
        log_msg(LL_WARNING, "Fatal error: can't open the append log file %s for reading: %s", name, strerror(errno));
        return LOAD_FAILED;
    }
    size_t preamble = 0;
    if (data->len >= 5 && memcmp(data->buf, "REDIS", 5) == 0) {
        /* An RDB base under an .aof name, or a pre-7.0 AOF with an RDB preamble: the RDB
         * part, then commands (Redis's loadSingleAppendOnlyFile). */
        int old_style = strcmp(name, file_prefix()) == 0;
        log_msg(LL_NOTICE, old_style ? "Reading RDB preamble from AOF file..." : "Reading RDB base file on AOF loading...");
        rdbLoadStats st;
        void (*progress)(size_t, size_t) = rdb_load_progress;
        rdb_load_progress = rdb_part_progress;
        int failed = rdb_load_file_prefix(path, &st, &preamble) != 0;
        rdb_load_progress = progress;
        if (failed) {
            log_msg(LL_WARNING, old_style ? "Error reading the RDB preamble of the AOF file %s, AOF loading aborted"
                                          : "Error reading the RDB base file %s, AOF loading aborted", name);
            kstr_free(data);
            return LOAD_FAILED;
        }
        if (old_style) log_msg(LL_NOTICE, "Reading the remaining AOF tail...");
    }
    aofParse ps = {.p = data->buf, .len = data->len, .pos = preamble};
    karg *argv = NULL;
    int cap = 0, argc = 0, rc = LOAD_OK;
    size_t valid_up_to = preamble, valid_before_multi = preamble;
    for (;;) {
        if (ps.pos < ps.len && ps.p[ps.pos] == '#') {   /* an annotation (aof-timestamp-enabled) */
            const char *nl = memchr(ps.p + ps.pos, '\n', ps.len - ps.pos);
            if (!nl) break;
            ps.pos = (size_t)(nl - ps.p) + 1;
            if (!(fc->flags & CLIENT_MULTI)) valid_up_to = ps.pos;
            continue;
        }
        size_t at = ps.pos;
        int r = parse_command(&ps, &argc, &argv, &cap);
        if (r == CMD_EOF) break;
        if (r == CMD_BAD) {
            log_msg(LL_WARNING, "Bad file format reading the append only file %s: make a backup of your AOF file, "
                                "then use ./redis-check-aof --fix <filename.manifest>", name);
            rc = LOAD_FAILED;
            goto done;
        }
        if (!command_lookup_argv(argc, argv) && !command_lookup(argv[0].ptr, argv[0].len)) {
            log_msg(LL_WARNING, "Unknown command '%.*s' reading the append only file %s", (int)argv[0].len,
                    argv[0].ptr, name);
            rc = LOAD_FAILED;
            goto done;
        }
        if (!(fc->flags & CLIENT_MULTI) && arg_is(argv[0].ptr, argv[0].len, "multi")) valid_before_multi = at;
        aof.load_done = aof.load_base + (long long)ps.pos;
        if (aof.load_loops++ % 1024 == 0) serve_while_loading();
        client_execute(fc, argc, argv);
        reply_free_all(fc);
        if (!(fc->flags & CLIENT_MULTI)) valid_up_to = ps.pos;
        if (server.key_load_delay) load_delay();
    }
    if (ps.pos == ps.len && !(fc->flags & CLIENT_MULTI)) goto done;
    /* The file ends inside a command or a transaction. */
    if (fc->flags & CLIENT_MULTI) {
        log_msg(LL_WARNING, "Revert incomplete MULTI/EXEC transaction in AOF file %s", name);
        valid_up_to = valid_before_multi;
        multi_reset(fc);
    }
    if (!server.aof_load_truncated) {
        log_msg(LL_WARNING, "Unexpected end of file reading the append only file %s. You can: 1) Make a backup of "
                            "your AOF file, then use ./redis-check-aof --fix <filename.manifest>. 2) Alternatively "
                            "you can set the 'aof-load-truncated' configuration option to yes and restart the server.",
                name);
        rc = LOAD_FAILED;
    } else if (!last) {
        log_msg(LL_WARNING, "Fatal error: the truncated file is not the last file");
        rc = LOAD_FAILED;
    } else {
        log_msg(LL_WARNING, "!!! Warning: short read while loading the AOF file %s!!!", name);
        log_msg(LL_WARNING, "!!! Truncating the AOF %s at offset %zu !!!", name, valid_up_to);
        if (truncate(path, (off_t)valid_up_to) != 0) {
            log_msg(LL_WARNING, "Error truncating the AOF file %s: %s", name, strerror(errno));
            rc = LOAD_FAILED;
        } else {
            log_msg(LL_WARNING, "AOF %s loaded anyway because aof-load-truncated is enabled", name);
            rc = LOAD_TRUNCATED;
        }
    }
done:
    kfree(argv);
    kstr_free(data);
    return rc;
}

static long long file_size(const char *name) {
    char path[AOF_PATH_MAX];
    path_of(path, name);
    struct stat st;
    return stat(path, &st) == 0 ? (long long)st.st_size : 0;
}

/* Loads the base and the incremental files in order: 0, or -1 (logged). */
static int load_files(void) {
    long long start = ustime();
    aof.load_start = mstime() / 1000;
    aof.load_total = aof.load_done = aof.load_base = aof.load_loops = 0;
    for (size_t i = 0; i < aof.nfiles; i++) {
        if (aof.files[i].type == 'h') continue;
        char path[AOF_PATH_MAX];
        path_of(path, aof.files[i].name);
        struct stat st;
        if (stat(path, &st) != 0) {   /* a file the manifest names is missing: fatal, as Redis */
            log_msg(LL_WARNING, "Unable to obtain the AOF file %s length. stat: %s", aof.files[i].name, strerror(errno));
            return -1;
        }
        aof.load_total += (long long)st.st_size;
    }
    const aofFile *base = base_file();
    if (base) {
        long long t = ustime();
        size_t n = strlen(base->name);
        int rdb = n > 4 && strcmp(base->name + n - 4, ".rdb") == 0;
        if (rdb) {
            char path[AOF_PATH_MAX];
            path_of(path, base->name);
            rdbLoadStats st;
            void (*progress)(size_t, size_t) = rdb_load_progress;
            rdb_load_progress = rdb_part_progress;
            int failed = rdb_load_file(path, &st, 0) != 0;
            rdb_load_progress = progress;
            if (failed) return -1;
        } else {
            client *fc = client_create_fake();
            int rc = load_commands(fc, base->name, last_incr() == NULL);
            client_free(fc);
            if (rc == LOAD_FAILED) return -1;
        }
        log_msg(LL_NOTICE, "DB loaded from base file %s: %.3f seconds", base->name, (double)(ustime() - t) / 1e6);
        aof.load_base = aof.load_done = file_size(base->name);
    }
    const aofFile *last = last_incr();
    for (size_t i = 0; i < aof.nfiles; i++) {
        if (aof.files[i].type != 'i') continue;
        long long t = ustime();
        client *fc = client_create_fake();
        int rc = load_commands(fc, aof.files[i].name, &aof.files[i] == last);
        client_free(fc);
        if (rc == LOAD_FAILED) return -1;
        log_msg(LL_NOTICE, "DB loaded from incr file %s: %.3f seconds", aof.files[i].name, (double)(ustime() - t) / 1e6);
        aof.load_base = aof.load_done = aof.load_base + file_size(aof.files[i].name);
    }
    log_msg(LL_NOTICE, "DB loaded from append only file: %.3f seconds", (double)(ustime() - start) / 1e6);
    return 0;
}

/* ---------------------------------------------------------------- writing */

static void reader_write(wstream_reader *r, const char *buf, size_t len) {
    (void)r;
    if (server.aof_timestamp_enabled) {
        /* "#TS:<unix time>" before the first command of each second, as Redis. */
        long long now = mstime() / 1000;
        if (now > aof.last_ts) {
            aof.buf = kstr_catfmt(aof.buf, "#TS:%lld\r\n", now);
            aof.last_ts = now;
        }
    }
    aof.buf = kstr_cat(aof.buf, buf, len);
}

static void *fsync_thread(void *arg) {
    (void)arg;
    pthread_mutex_lock(&aof.lock);
    for (;;) {
        while (aof.fsync_fd < 0) pthread_cond_wait(&aof.wake, &aof.lock);
        int fd = aof.fsync_fd;
        aof.fsync_fd = -1;
        aof.fsync_busy = 1;
        pthread_mutex_unlock(&aof.lock);
        fdatasync(fd);
        pthread_mutex_lock(&aof.lock);
        aof.fsync_busy = 0;
        pthread_cond_broadcast(&aof.idle);
    }
    return NULL;
}

static void fsync_in_background(int fd) {
    if (!aof.thread_started) {
        if (pthread_create(&aof.thread, NULL, fsync_thread, NULL) != 0) {
            fdatasync(fd);
            return;
        }
        aof.thread_started = 1;
    }
    pthread_mutex_lock(&aof.lock);
    aof.fsync_fd = fd;
    pthread_cond_signal(&aof.wake);
    pthread_mutex_unlock(&aof.lock);
}

/* Before the descriptor is closed: no background fsync may be queued or running on it. */
static void fsync_wait_idle(void) {
    pthread_mutex_lock(&aof.lock);
    aof.fsync_fd = -1;
    while (aof.fsync_busy) pthread_cond_wait(&aof.idle, &aof.lock);
    pthread_mutex_unlock(&aof.lock);
}

/* Writes the buffer; a short or failed write keeps the rest for the next try. */
static void write_buffer(void) {
    size_t done = 0;
    while (done < aof.buf->len) {
        ssize_t n = write(aof.fd, aof.buf->buf + done, aof.buf->len - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            if (aof.last_write_ok) log_msg(LL_WARNING, "Error writing to the AOF file: %s", strerror(errno));
            aof.last_write_ok = 0;
            break;
        }
        done += (size_t)n;
    }
    if (done == aof.buf->len && !aof.last_write_ok) {
        log_msg(LL_WARNING, "AOF write error looks solved, Redis can write again.");
        aof.last_write_ok = 1;
    }
    aof.incr_size += (long long)done;
    kstr_range_keep(aof.buf, done, aof.buf->len - done);
}

/* everysec: the written data is fsync'ed in the background once its second is over. */
static void everysec_fsync(void) {
    if (!aof.unsynced || mstime() - aof.last_fsync_ms < 1000) return;
    aof.last_fsync_ms = mstime();
    aof.unsynced = 0;
    fsync_in_background(aof.fd);
}

void aof_before_sleep(void) {
    if (aof.fd < 0 || aof.buf->len == 0) return;
    if (server.aof_flush_sleep_us) usleep((useconds_t)server.aof_flush_sleep_us);
    write_buffer();
    int skip = server.no_appendfsync_on_rewrite && aof.rewriting;
    if (server.appendfsync == AOF_FSYNC_ALWAYS && !skip) {
        if (fdatasync(aof.fd) != 0) {
            log_msg(LL_WARNING, "Can't persist AOF for fsync error when the AOF fsync policy is 'always': %s. "
                                "Exiting...", strerror(errno));
            exit(1);
        }
    } else if (server.appendfsync == AOF_FSYNC_EVERYSEC && !skip) {
        aof.unsynced = 1;
        everysec_fsync();
    }
}

/* Opens (creating) the incremental file `name` for appending and makes it the stream's
 * destination; the reader starts with no database, so the file's first command is a SELECT. */
static int open_incr(const char *name) {
    char path[AOF_PATH_MAX];
    path_of(path, name);
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0644);
    if (fd < 0) {
        log_msg(LL_WARNING, "Can't open the append-only file %s: %s", name, strerror(errno));
        return -1;
    }
    if (aof.fd >= 0) {
        if (aof.buf->len) write_buffer();
        fsync_wait_idle();
        fdatasync(aof.fd);
        close(aof.fd);
    }
    aof.fd = fd;
    aof.incr_size = file_size(name);
    aof.reader.db = -1;
    return 0;
}

static void next_name(char *out, long long seq, const char *kind) {
    snprintf(out, AOF_PATH_MAX, "%.2000s.%lld.%s", file_prefix(), seq, kind);
}

/* A new base is an RDB snapshot (.base.rdb) or, with aof-use-rdb-preamble no, commands
 * (.base.aof, rdb_snapshot_begin_aof), as Redis names them. */
static const char *base_kind(void) {
    return server.aof_use_rdb_preamble ? "base.rdb" : "base.aof";
}

/* Deletes the history files and drops them from the manifest (after it was persisted
 * without needing them). */
static void delete_history(void) {
    size_t keep = 0;
    for (size_t i = 0; i < aof.nfiles; i++) {
        if (aof.files[i].type == 'h' && !server.aof_disable_auto_gc) {
            char path[AOF_PATH_MAX];
            path_of(path, aof.files[i].name);
            unlink(path);
            log_msg(LL_NOTICE, "Removing the history file %s in the background", aof.files[i].name);
            kfree(aof.files[i].name);
        } else {
            aof.files[keep++] = aof.files[i];
        }
    }
    aof.nfiles = keep;
    if (!server.aof_disable_auto_gc) manifest_persist();
}

/* ---------------------------------------------------------------- rewrite */

/* The base and every incremental file but keep_seq become history, in Redis's order: each is
 * put at the head of the history list (the old base first, then the incremental files in
 * order), so the manifest lists the newest history first. */
static void mark_history(long long keep_seq) {
    aofFile *old = aof.files;
    size_t n = aof.nfiles, k = 0;
    aof.files = kmalloc((n ? n : 1) * sizeof(aofFile));
    for (size_t i = n; i-- > 0;)   /* the incremental files, the latest first */
        if (old[i].type == 'i' && old[i].seq != keep_seq) aof.files[k++] = old[i];
    for (size_t i = 0; i < n; i++)
        if (old[i].type == 'b') aof.files[k++] = old[i];
    for (size_t i = 0; i < k; i++) aof.files[i].type = 'h';
    for (size_t i = 0; i < n; i++)
        if (old[i].type == 'h' || (old[i].type == 'i' && old[i].seq == keep_seq)) aof.files[k++] = old[i];
    aof.nfiles = k;
    kfree(old);
}

/* After three consecutive failed rewrites, automatic and scheduled ones wait 1 minute, then
 * 2, 4... up to 60 between tries, as Redis's aofRewriteLimited. */
static int rewrite_limited(void) {
    static int delay_min;
    static long long next_try;
    if (aof.consecutive_failures < 3) {
        delay_min = 0;
        next_try = 0;
        return 0;
    }
    long long now = mstime() / 1000;
    if (next_try) {
        if (now < next_try) return 1;
        next_try = 0;
        return 0;
    }
    delay_min = delay_min ? (delay_min * 2 > 60 ? 60 : delay_min * 2) : 1;
    next_try = now + delay_min * 60;
    log_msg(LL_WARNING, "Background AOF rewrite has repeatedly failed and triggered the limit, will retry in %d "
                        "minutes", delay_min);
    return 1;
}

/* While the AOF is being switched on (CONFIG SET appendonly yes), the writes since the
 * rewrite started go to temp-<appendfilename>.incr, named in no manifest, as Redis: the
 * manifest only changes once the first base exists. */
static void temp_incr_name(char *out) {
    snprintf(out, AOF_PATH_MAX, "temp-%.2000s.incr", file_prefix());
}

/* The switch-on failed: the temp file goes, and the AOF waits for the next (scheduled) try. */
static void drop_temp_incr(void) {
    char name[AOF_PATH_MAX], path[AOF_PATH_MAX];
    temp_incr_name(name);
    path_of(path, name);
    wstream_detach(&aof.reader);
    if (aof.fd >= 0) {
        fsync_wait_idle();
        close(aof.fd);
        aof.fd = -1;
        aof.buf->len = 0;
    }
    unlink(path);
    log_msg(LL_NOTICE, "Removing the temp incr aof file %s in the background", name);
    aof.enabling = 0;
}

static void rewrite_done(int ok) {
    aof.rewriting = 0;
    aof.last_rewrite_sec = (mstime() - aof.rewrite_start_ms) / 1000;
    char *base = aof.rewrite_base;
    aof.rewrite_base = NULL;
    if (!ok) {
        aof.last_rewrite_ok = 0;
        aof.consecutive_failures++;
        log_msg(LL_WARNING, "Background AOF rewrite failed");
        kfree(base);
        if (aof.enabling) {
            drop_temp_incr();
            aof.waiting = 1;     /* retried by the cron, as Redis reschedules it */
            aof.scheduled = 1;
        }
        return;
    }
    if (aof.enabling) {   /* the temp file becomes the new incremental file */
        char tname[AOF_PATH_MAX], tpath[AOF_PATH_MAX], incr[AOF_PATH_MAX], ipath[AOF_PATH_MAX];
        temp_incr_name(tname);
        path_of(tpath, tname);
        next_name(incr, aof.incr_seq + 1, "incr.aof");
        path_of(ipath, incr);
        if (aof.buf->len) write_buffer();
        if (rename(tpath, ipath) != 0) {
            log_msg(LL_WARNING, "Error trying to rename the temporary AOF incr file %s into %s: %s", tname, incr,
                    strerror(errno));
            kfree(base);
            aof.last_rewrite_ok = 0;
            aof.consecutive_failures++;
            drop_temp_incr();
            aof.waiting = 1;
            aof.scheduled = 1;
            return;
        }
        file_add(incr, aof.incr_seq + 1, 'i');
        aof.enabling = 0;
    }
    /* The new base replaces the old one and every incremental file but the one opened with
     * it (none when the AOF is off: a BGREWRITEAOF then leaves a base alone). */
    const aofFile *last = aof.fd >= 0 ? last_incr() : NULL;
    long long last_seq = last ? last->seq : -1;
    mark_history(last_seq);
    file_add(base, aof.base_seq + 1, 'b');
    kfree(base);
    if (manifest_persist() != 0) {
        aof.last_rewrite_ok = 0;
        aof.consecutive_failures++;
        return;
    }
    aof.base_size = file_size(base_file()->name);
    if (aof.fd < 0) aof.incr_size = 0;
    aof.rewrite_base_size = aof.base_size + aof.incr_size;
    aof.last_rewrite_ok = 1;
    aof.consecutive_failures = 0;
    aof.rewrites++;
    log_msg(LL_NOTICE, "Background AOF rewrite terminated with success");
    delete_history();
}

/* Starts a rewrite: a new incremental file now, the new base as of now in the background.
 * 0, or -1 (logged). */
static int rewrite_start(void) {
    if (bgsave_in_progress()) return -1;
    char incr[AOF_PATH_MAX], base[AOF_PATH_MAX], path[AOF_PATH_MAX];
    if (server.appendonly && aof.enabling) {
        temp_incr_name(incr);
        path_of(path, incr);
        unlink(path);
        if (open_incr(incr) != 0) return -1;
    } else if (server.appendonly) {   /* not for a BGREWRITEAOF with the AOF off: a base alone */
        next_name(incr, aof.incr_seq + 1, "incr.aof");
        if (open_incr(incr) != 0) return -1;
        file_add(incr, aof.incr_seq + 1, 'i');
        if (manifest_persist() != 0) return -1;
    }
    next_name(base, aof.base_seq + 1, base_kind());
    path_of(path, base);
    rdbSnapshot *snap = server.aof_use_rdb_preamble ? rdb_snapshot_begin(path) : rdb_snapshot_begin_aof(path);
    if (!snap) return -1;
    aof.rewrite_base = kstrdup(base);
    aof.rewriting = 1;
    aof.scheduled = 0;
    aof.rewrite_start_ms = mstime();
    if (bgsave_start_snapshot(snap, rewrite_done, NULL) != 0) {
        aof.rewriting = 0;
        kfree(aof.rewrite_base);
        aof.rewrite_base = NULL;
        return -1;
    }
    log_msg(LL_NOTICE, "Background append only file rewriting started");
    return 0;
}

/* Creates the directory and an AOF holding the data set as it is, synchronously (start-up). */
static int create_fresh(void) {
    char base[AOF_PATH_MAX], path[AOF_PATH_MAX], incr[AOF_PATH_MAX];
    next_name(base, aof.base_seq + 1, base_kind());
    path_of(path, base);
    if ((server.aof_use_rdb_preamble ? rdb_save_file(path) : rdb_save_file_aof(path)) != 0) return -1;
    for (size_t i = 0; i < aof.nfiles; i++) aof.files[i].type = 'h';
    file_add(base, aof.base_seq + 1, 'b');
    log_msg(LL_NOTICE, "Creating AOF base file %s on server start", base);
    next_name(incr, aof.incr_seq + 1, "incr.aof");
    if (open_incr(incr) != 0) return -1;
    file_add(incr, aof.incr_seq + 1, 'i');
    log_msg(LL_NOTICE, "Creating AOF incr file %s on server start", incr);
    if (manifest_persist() != 0) return -1;
    aof.base_size = file_size(base);
    delete_history();
    return 0;
}

static int make_dir(void) {
    if (mkdir(dir_name(), 0755) != 0 && errno != EEXIST) {
        log_msg(LL_WARNING, "Can't open or create append-only dir %s: %s", dir_name(), strerror(errno));
        return -1;
    }
    return 0;
}

size_t aof_buffer_memory(void) {
    return aof.fd >= 0 && aof.buf ? kstr_alloc_size(aof.buf) : 0;
}

/* client_output_barrier: a reply about to be written (by a write handler, before the loop's
 * own flush) waits for what the AOF has not written yet. */
static void output_barrier(void) {
    if (aof.fd >= 0 && aof.buf->len) aof_before_sleep();
}

static void turn_on_stream(void) {
    if (!aof.buf) aof.buf = kstr_empty(16384);
    aof.reader = (wstream_reader){.write = reader_write, .db = -1, .aof = 1};
    wstream_attach(&aof.reader);
}

static void turn_off(void) {
    if (aof.fd < 0) return;
    if (aof.rewriting) {
        log_msg(LL_NOTICE, "Killing running AOF rewrite child: %ld", bgsave_child_pid());
        bgsave_abort();
        aof.rewriting = 0;
        kfree(aof.rewrite_base);
        aof.rewrite_base = NULL;
    }
    if (aof.enabling) {
        drop_temp_incr();
        return;
    }
    wstream_detach(&aof.reader);
    if (aof.buf->len) write_buffer();
    fsync_wait_idle();
    fdatasync(aof.fd);
    close(aof.fd);
    aof.fd = -1;
    aof.buf->len = 0;
}

/* CONFIG SET aof-disable-auto-gc no: the history files go at once, as Redis. */
static int auto_gc_changed(const char **err) {
    (void)err;
    if (!server.aof_disable_auto_gc && aof.files) delete_history();
    return 0;
}

/* CONFIG SET appendonly: on, as Redis, starts with a rewrite (a new base of the data set).
 * During a BGSAVE the rewrite is scheduled and the AOF waits for it (Redis's
 * AOF_WAIT_REWRITE): nothing is written to it until the rewrite starts. */
static int appendonly_changed(const char **err) {
    if (!server.appendonly) {
        aof.waiting = 0;
        aof.scheduled = 0;
        turn_off();
        return 0;
    }
    if (aof.fd >= 0 || aof.waiting) return 0;
    if (make_dir() != 0 || manifest_load() < 0) {
        *err = "Unable to turn on AOF. Check server logs.";
        return -1;
    }
    /* As Redis: during a save, or inside a transaction (the rewrite's base must not hold half
     * of it), the rewrite waits for the cron. */
    if (bgsave_in_progress() || server.in_exec) {
        aof.waiting = 1;
        aof.scheduled = 1;
        log_msg(LL_WARNING, server.in_exec
                ? "AOF was enabled during a transaction. An AOF background was scheduled to start when possible."
                : "AOF was enabled but there is already another background operation. An AOF background was "
                  "scheduled to start when possible.");
        return 0;
    }
    turn_on_stream();
    aof.enabling = 1;
    if (rewrite_start() != 0) {
        drop_temp_incr();
        *err = "Unable to turn on AOF. Check server logs.";
        return -1;
    }
    return 0;
}

/* Loads what the manifest names with the stream paused and nothing expiring: 1 loaded, 0 no
 * manifest, -1 failed (logged). */
static int load_manifest_and_files(void) {
    int m = manifest_load();
    if (m <= 0) return m;
    wstream_pause(1);
    server.loading = 1;
    int rc = load_files();
    server.loading = 0;
    wstream_pause(0);
    return rc == 0 ? 1 : -1;
}

int aof_debug_loadaof(void) {
    if (aof.fd >= 0) {
        if (aof.buf->len) write_buffer();
        fsync_wait_idle();
        fdatasync(aof.fd);
    }
    for (int i = 0; i < server.dbnum; i++) db_flush(db_by_id(i), 0);
    int rc = load_manifest_and_files();
    server.dirty = 0;
    return rc < 0 ? -1 : 0;
}

/* A pre-7.0 AOF (appendfilename in the server's directory) becomes the base of a manifest in
 * the AOF directory, as Redis 7.0 does when: there is no AOF directory, or no manifest (none,
 * or one naming nothing), or the manifest names only that file as base and it is not in the
 * directory yet (an upgrade interrupted before the move). Exits when a step fails (the next
 * start retries). */
static void upgrade_old_aof(void) {
    struct stat st;
    if (stat(file_prefix(), &st) != 0) return;
    int have_dir = stat(dir_name(), &st) == 0 && S_ISDIR(st.st_mode);
    int m = have_dir ? manifest_load() : 0;
    if (m < 0) exit(1);
    const aofFile *base = m > 0 ? base_file() : NULL;
    char moved[AOF_PATH_MAX];
    path_of(moved, file_prefix());
    int upgrade = !have_dir || m == 0 || (!base && !last_incr()) ||
                  (base && !last_incr() && strcmp(base->name, file_prefix()) == 0 && stat(moved, &st) != 0);
    if (!upgrade) return;
    if (make_dir() != 0) exit(1);
    files_clear();
    aof.base_seq = aof.incr_seq = 0;
    file_add(file_prefix(), 1, 'b');
    if (manifest_persist() != 0) exit(1);
    if (rename(file_prefix(), moved) != 0) {
        log_msg(LL_WARNING, "Error trying to move the old AOF file %s into dir %s: %s", file_prefix(), dir_name(),
                strerror(errno));
        exit(1);
    }
    log_msg(LL_NOTICE, "Successfully migrated an old-style AOF file (%s) into the AOF directory (%s).", file_prefix(),
            dir_name());
}

int aof_start(void) {
    config_appendonly_changed = appendonly_changed;
    config_aof_auto_gc_changed = auto_gc_changed;
    client_output_barrier = output_barrier;
    if (!server.appendonly) return 0;
    int loaded = 0;
    upgrade_old_aof();
    if (make_dir() != 0) exit(1);
    int m = load_manifest_and_files();
    if (m < 0) exit(1);
    loaded = m;
    turn_on_stream();
    const aofFile *last = last_incr();
    if (base_file() || last) {
        char name[AOF_PATH_MAX];
        int fresh = !last;
        if (fresh) next_name(name, aof.incr_seq + 1, "incr.aof");
        else snprintf(name, sizeof(name), "%s", last->name);
        if (open_incr(name) != 0) exit(1);
        if (fresh) {
            file_add(name, aof.incr_seq + 1, 'i');
            if (manifest_persist() != 0) exit(1);
        }
        if (base_file()) aof.base_size = file_size(base_file()->name);
    } else if (create_fresh() != 0) {
        exit(1);
    }
    aof.rewrite_base_size = aof.base_size + aof.incr_size;
    return loaded;
}

/* The rewrite the AOF waited for (switched on during a BGSAVE, or a failed switch-on): the
 * stream is attached and goes to a temp incremental file until it succeeds. 0 or -1. */
static int start_waiting_rewrite(void) {
    aof.waiting = 0;
    turn_on_stream();
    aof.enabling = 1;
    if (rewrite_start() != 0) {
        drop_temp_incr();
        aof.waiting = 1;   /* tried again at the next cron */
        aof.scheduled = 1;
        return -1;
    }
    return 0;
}

void aof_cron(void) {
    if (aof.rewriting || bgsave_in_progress()) return;
    if (aof.scheduled && !rewrite_limited()) {
        if (aof.waiting) {
            start_waiting_rewrite();
            return;
        }
        rewrite_start();
        return;
    }
    if (aof.fd < 0) return;
    if (server.appendfsync == AOF_FSYNC_EVERYSEC) everysec_fsync();   /* the last writes, when no more come */
    long long size = aof.base_size + aof.incr_size;
    if (server.auto_aof_rewrite_perc && size > server.auto_aof_rewrite_min_size) {
        long long base = aof.rewrite_base_size ? aof.rewrite_base_size : 1;
        long long growth = (size * 100 / base) - 100;
        if (growth >= server.auto_aof_rewrite_perc && !rewrite_limited()) {
            log_msg(LL_NOTICE, "Starting automatic rewriting of AOF on %lld%% growth", growth);
            rewrite_start();
        }
    }
}

int aof_writing_initial(void) {
    return server.appendonly && (aof.enabling || aof.waiting);
}

void aof_shutdown(void) {
    if (aof.fd < 0) return;
    if (aof.buf->len) write_buffer();
    fsync_wait_idle();
    fsync(aof.fd);
}

kstr *aof_info(kstr *s) {
    s = kstr_catfmt(s,
                    "aof_enabled:%d\r\naof_rewrite_in_progress:%d\r\naof_rewrite_scheduled:%d\r\n"
                    "aof_last_rewrite_time_sec:%lld\r\naof_current_rewrite_time_sec:%lld\r\n"
                    "aof_last_bgrewrite_status:%s\r\naof_rewrites:%lld\r\naof_rewrites_consecutive_failures:%lld\r\n"
                    "aof_last_write_status:%s\r\naof_last_cow_size:0\r\nmodule_fork_in_progress:0\r\n"
                    "module_fork_last_cow_size:0\r\n",
                    aof.fd >= 0 || aof.waiting, aof.rewriting, aof.scheduled, aof.last_rewrite_sec,
                    aof.rewriting ? (mstime() - aof.rewrite_start_ms) / 1000 : -1, aof.last_rewrite_ok ? "ok" : "err",
                    aof.rewrites, aof.consecutive_failures, aof.last_write_ok ? "ok" : "err");
    if (aof.fd >= 0)
        s = kstr_catfmt(s,
                       "aof_current_size:%lld\r\naof_base_size:%lld\r\naof_pending_rewrite:%d\r\n"
                       "aof_buffer_length:%zu\r\naof_pending_bio_fsync:%d\r\naof_delayed_fsync:0\r\n",
                       aof.base_size + aof.incr_size, aof.base_size, aof.scheduled, aof.buf->len,
                       aof.fsync_busy || aof.fsync_fd >= 0);
    if (server.loading) {
        long long elapsed = mstime() / 1000 - aof.load_start;
        double perc = aof.load_total ? (double)aof.load_done * 100 / (double)aof.load_total : 0;
        long long eta = aof.load_done && elapsed ? elapsed * (aof.load_total - aof.load_done) / aof.load_done : 1;
        s = kstr_catfmt(s,
                        "loading_start_time:%lld\r\nloading_total_bytes:%lld\r\nloading_rdb_used_mem:0\r\n"
                        "loading_loaded_bytes:%lld\r\nloading_loaded_perc:%.2f\r\nloading_eta_seconds:%lld\r\n",
                        aof.load_start, aof.load_total, aof.load_done, perc, eta);
    }
    return s;
}

void bgrewriteaof_command(client *c) {
    if (aof.rewriting) {
        reply_error(c, "Background append only file rewriting already in progress");
        return;
    }
    if (aof.fd < 0 && (make_dir() != 0 || manifest_load() < 0)) {
        reply_error(c, "Can't execute an AOF background rewriting. Please check the server logs for more information.");
        return;
    }
    if (bgsave_in_progress() || server.executing_depth > 1) {
        aof.scheduled = 1;
        reply_status(c, "Background append only file rewriting scheduled");
        return;
    }
    if (aof.waiting ? start_waiting_rewrite() != 0 : rewrite_start() != 0) {
        reply_error(c, "Can't execute an AOF background rewriting. Please check the server logs for more information.");
        return;
    }
    reply_status(c, "Background append only file rewriting started");
}
