/* main.c - keel-server's command line, in redis-server's syntax:
 *
 *   keel-server [/path/to/keel.conf] [--name value ...]
 *   keel-server --version | -v
 *   keel-server --help | -h
 *
 * Command-line options are appended to the config file's text as lines ("name value"), so
 * they override it, exactly as redis-server does. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cluster/cluster.h"
#include "core/acl.h"
#include "core/config.h"
#include "core/proctitle.h"
#include "protocol/request.h"
#include "persist/persist.h"
#include "repl/repl.h"
#include "server.h"
#include "util/log.h"
#include "util/mem.h"

static void usage(FILE *out) {
    fprintf(out,
            "Usage: ./keel-server [/path/to/keel.conf] [options] [-]\n"
            "       ./keel-server - (read config from stdin)\n"
            "       ./keel-server -v or --version\n"
            "       ./keel-server -h or --help\n\n"
            "Examples:\n"
            "       ./keel-server (run the server with default config)\n"
            "       ./keel-server /etc/keel/6379.conf\n"
            "       ./keel-server --port 7777\n"
            "       ./keel-server /etc/mykeel.conf --loglevel verbose\n");
}

static void print_version(void) {
    printf("Keel server v=%s redis_version=%s malloc=%s bits=%d\n", KEEL_VERSION, REDIS_COMPAT_VERSION,
           mem_allocator_name(), (int)(sizeof(long) * 8));
}

/* Appends an argument as a double-quoted config word. */
static kstr *cat_quoted(kstr *s, const char *arg) {
    s = kstr_cat(s, "\"", 1);
    for (const char *p = arg; *p; p++) {
        unsigned char ch = (unsigned char)*p;
        if (ch == '"' || ch == '\\') s = kstr_catfmt(s, "\\%c", ch);
        else if (ch == '\n') s = kstr_cat(s, "\\n", 2);
        else if (ch == '\r') s = kstr_cat(s, "\\r", 2);
        else s = kstr_cat(s, p, 1);
    }
    return kstr_cat(s, "\"", 1);
}

/* How many words a config line would split arg into. */
static int word_count(const char *arg) {
    karg *argv = NULL;
    int cap = 0;
    char *store = NULL;
    size_t store_cap = 0;
    int n = split_args(arg, strlen(arg), &argv, &cap, &store, &store_cap);
    kfree(argv);
    kfree(store);
    return n;
}

static void daemonize(void) {
    if (fork() != 0) exit(0);
    setsid();
    FILE *f;
    if ((f = freopen("/dev/null", "r", stdin)) == NULL) return;
    if (!server.logfile || !server.logfile[0]) {
        if ((f = freopen("/dev/null", "w", stdout)) == NULL) return;
    }
}

/* The stand-in process of a forkless save (persist/bgsave.c): it holds no descriptor of the
 * server and waits until its stdin (a pipe from the server) closes. */
static void save_child(const char *oom_score) {
    if (oom_score) {   /* oom-score-adj-values[2], as Redis's child sets it (a failure is ignored) */
        int fd = open("/proc/self/oom_score_adj", O_WRONLY);
        if (fd >= 0) {
            ssize_t w = write(fd, oom_score, strlen(oom_score));
            (void)w;
            close(fd);
        }
    }
    if (close_range(3, ~0U, 0) != 0) {
        long maxfd = sysconf(_SC_OPEN_MAX);
        for (long fd = 3; fd < (maxfd > 0 && maxfd < 65536 ? maxfd : 65536); fd++) close((int)fd);
    }
    char b[64];
    for (;;) {
        ssize_t n = read(0, b, sizeof(b));
        if (n == 0 || (n < 0 && errno != EINTR)) _exit(0);
    }
}

int main(int argc, char **argv) {
    if ((argc == 2 || argc == 3) && !strcmp(argv[1], "--forkless-save-child")) save_child(argc == 3 ? argv[2] : NULL);
    proctitle_init(argc, argv);   /* core/proctitle.c: before anything keeps a pointer into environ */
    acl_init();   /* core/acl.c: requirepass and user lines of the config apply to its users */
    config_init_defaults();
    int i = 1;
    kstr *text = kstr_empty(1024);
    if (argc >= 2) {
        if (!strcmp(argv[1], "-v") || !strcmp(argv[1], "--version")) {
            print_version();
            return 0;
        }
        if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
            usage(stdout);
            return 0;
        }
        if (argv[1][0] != '-' || !strcmp(argv[1], "-")) {
            kstr *file = config_read_file(argv[1]);
            if (!file) {
                fprintf(stderr, "Fatal error, can't open config file '%s': No such file or directory\n", argv[1]);
                return 1;
            }
            text = kstr_cat(text, file->buf, file->len);
            text = kstr_cat(text, "\n", 1);
            kstr_free(file);
            if (strcmp(argv[1], "-") != 0) {
                char *abs = realpath(argv[1], NULL);
                server.configfile = abs ? kstrdup(abs) : kstrdup(argv[1]);
                free(abs);
            }
            i = 2;
        }
    }
    /* "--name v1 v2 --other v" becomes "name v1 v2\nother v\n". As in redis-server, an option
     * named without a value takes the next argument as its value even when it starts with
     * "--" ("--proc-title-template --x"), except "--save" (then none); "--port 6380" as one
     * argument is an option with its value. */
    int opened = 0, has_value = 1;
    for (; i < argc; i++) {
        if (has_value && argv[i][0] == '-' && argv[i][1] == '-' && argv[i][2]) {
            if (opened) text = kstr_cat(text, "\n", 1);
            text = kstr_catc(text, argv[i] + 2);
            opened = 1;
            has_value = word_count(argv[i]) > 1;
            if (!has_value && !strcasecmp(argv[i], "--save") &&
                (i == argc - 1 || (argv[i + 1][0] == '-' && argv[i + 1][1] == '-')))
                has_value = 1;
        } else {
            /* A value; before any "--name" it starts the line itself, which redis-server
             * accepts too ("keel-server keel.conf loglevel verbose"). */
            if (opened) text = kstr_cat(text, " ", 1);
            text = cat_quoted(text, argv[i]);
            opened = 1;
            has_value = 1;
        }
    }
    char err[1024];
    if (config_load_text(text->buf, err, sizeof(err)) != 0) {
        fprintf(stderr, "%s\n", err);
        kstr_free(text);
        return 1;
    }
    kstr_free(text);
    if (server.logfile && log_set_file(server.logfile) != 0) {
        fprintf(stderr, "Can't open the log file: %s\n", server.logfile);
        return 1;
    }
    log_set_level(server.loglevel);
    if (server.daemonize) daemonize();
    log_msg(LL_NOTICE, "oO0OoO0OoO0Oo Keel is starting oO0OoO0OoO0Oo");
    log_msg(LL_NOTICE, "Keel version=%s, redis_version=%s, bits=%d, pid=%d, just started", KEEL_VERSION,
            REDIS_COMPAT_VERSION, (int)(sizeof(long) * 8), (int)getpid());
    if (server_init() != 0) return 1;
    /* With always-show-logo (or a terminal) Redis prints its logo, which carries "PID: n":
     * tools such as Redis's test suite wait for that line. */
    if (server.always_show_logo || isatty(STDOUT_FILENO))
        log_msg(LL_NOTICE, "Keel %s (Redis %s compatible), mode: standalone, Port: %d, PID: %d", KEEL_VERSION,
                REDIS_COMPAT_VERSION, server.port, (int)getpid());
    else
        log_msg(LL_NOTICE, "Running mode=%s, port=%d.", server.cluster_enabled ? "cluster" : "standalone", server.port);
    log_msg(LL_NOTICE, "Server initialized");
    proctitle_start();
    persist_start();
    if (server.cluster_enabled && cluster_verify_data() < 0) {
        log_msg(LL_WARNING, "You can't have keys in a DB different than DB 0 when in Cluster mode. Exiting.");
        exit(1);
    }
    repl_init();   /* src/repl/: hooks, cron, and the link to the primary of replicaof */
    log_msg(LL_NOTICE, "Ready to accept connections tcp");
    el_run(server.el);
    return 0;
}
