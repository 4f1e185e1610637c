/* proctitle.h - the process title (`ps`, /proc/PID/cmdline) from proc-title-template.
 *
 * As redis-server on Linux: the title overwrites the memory of the process's argument strings
 * (and of its environment strings, which follow them and are first copied elsewhere), so
 * /proc/PID/cmdline reads the expanded template followed by NUL bytes. The template's variables
 * are {title} (argv[0] as the process was started), {listen-addr} (first bind address, or *,
 * then ":" and the port), {server-mode} ("[cluster]" in cluster mode, else empty), {port},
 * {tls-port}, {unixsocket} and {config-file} ("-" without one); "{{" is a literal "{". */
#ifndef KEEL_PROCTITLE_H
#define KEEL_PROCTITLE_H

/* Once, first thing in main(): remembers argv[0] and the writable area, moves the environment. */
void proctitle_init(int argc, char **argv);
/* 1 if the template expands (with an empty {title}) to a non-empty title: unknown variables,
 * an unclosed "{" and "{}" make it invalid, as in Redis. */
int proctitle_template_valid(const char *template);
/* Once the server listens: sets the title, and from then on proctitle_apply() does. */
void proctitle_start(void);
/* Sets the title from server.proc_title_template (CONFIG SET); nothing before proctitle_start. */
void proctitle_apply(void);

#endif
