/* log.c - see log.h. */
#include "util/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static int log_level = LL_NOTICE;
static FILE *log_file;   /* NULL means stdout */

void log_set_level(int level) { log_level = level; }

int log_set_file(const char *path) {
    if (log_file) {
        fclose(log_file);
        log_file = NULL;
    }
    if (!path || !path[0]) return 0;
    log_file = fopen(path, "a");
    return log_file ? 0 : -1;
}

void log_msg(int level, const char *fmt, ...) {
    if (level < log_level) return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);

    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct tm tm;
    localtime_r(&tv.tv_sec, &tm);
    char when[64];
    size_t off = strftime(when, sizeof(when), "%d %b %Y %H:%M:%S.", &tm);
    snprintf(when + off, sizeof(when) - off, "%03d", (int)(tv.tv_usec / 1000));

    FILE *out = log_file ? log_file : stdout;
    fprintf(out, "%d:M %s %c %s\n", (int)getpid(), when, ".-*#"[level], msg);
    fflush(out);
}

int log_handler_fd(void) {
    return log_file ? fileno(log_file) : STDOUT_FILENO;
}

/* Decimal digits of v at the end of buf; returns where they start. */
static char *fmt_ulong(char *end, unsigned long v) {
    *--end = '\0';
    do {
        *--end = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    return end;
}

void log_from_handler(const char *msg) {
    int fd = log_handler_fd();
    char a[32], b[32];
    const char *pid = fmt_ulong(a + sizeof(a), (unsigned long)getpid());
    const char *now = fmt_ulong(b + sizeof(b), (unsigned long)time(NULL));
    const char *parts[] = {pid, ":signal-handler (", now, ") ", msg, "\n"};
    for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
        ssize_t n = write(fd, parts[i], strlen(parts[i]));
        (void)n;
    }
}
