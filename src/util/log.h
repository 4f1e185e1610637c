/* log.h - the server log in redis-server's line format:
 *   <pid>:M 22 Nov 2026 10:00:00.123 * message
 * Levels and their marks: debug '.', verbose '-', notice '*', warning '#'. */
#ifndef KEEL_LOG_H
#define KEEL_LOG_H

enum { LL_DEBUG = 0, LL_VERBOSE, LL_NOTICE, LL_WARNING };

void log_set_level(int level);
/* path "" or NULL logs to stdout. Returns 0 on success, -1 if the file cannot be opened. */
int log_set_file(const char *path);
void log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* From a signal handler (async-signal-safe: write(2) only): "<pid>:signal-handler (<unix
 * time>) msg" and a newline, as Redis's serverLogFromHandler. */
void log_from_handler(const char *msg);
/* The log's file descriptor (stdout when there is no log file), for backtrace_symbols_fd. */
int log_handler_fd(void);

#endif
