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

#endif
