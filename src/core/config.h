/* config.h - configuration parameters: one table of every parameter Keel knows, with its type,
 * default, limits and whether it may change at run time. The config file, the command line
 * (--name value), CONFIG GET/SET/REWRITE and the defaults all go through that table. */
#ifndef KEEL_CONFIG_H
#define KEEL_CONFIG_H

#include <stddef.h>

#include "util/kstr.h"

/* Sets every parameter to its default. */
void config_init_defaults(void);
/* Parses redis.conf-syntax text (file content followed by command-line options). On error
 * returns -1 with a message in err, naming the line. */
int config_load_text(const char *text, char *err, size_t errlen);
/* Reads a file's content; NULL on error. */
kstr *config_read_file(const char *path);

/* CONFIG GET: calls fn for each parameter name or alias that matches the glob pattern; a
 * pattern without glob characters is looked up and passed to fn as spelled. */
typedef void config_visit_fn(void *priv, const char *name, const char *value, size_t vlen);
void config_get_matching(const char *pattern, size_t plen, config_visit_fn *fn, void *priv);
/* 1 if the parameter's value is a secret (passwords: MONITOR and the slow log show
 * "(redacted)"), 0 if not, -1 for an unknown name. */
int config_is_sensitive(const char *name, size_t len);

/* CONFIG SET name value [name value ...]: all or nothing. local: the client is local (for
 * enable-protected-configs local). Returns 0, or -1 with Redis's error message (without
 * "-ERR ") in err. */
int config_set_pairs(int argc, char **names, size_t *nlens, char **values, size_t *vlens, int local, char *err,
                     size_t errlen);
/* CONFIG REWRITE. */
int config_rewrite(char *err, size_t errlen);
/* DEBUG CONFIG-REWRITE-FORCE-ALL: the same, writing every parameter, defaults included. */
int config_rewrite_force_all(char *err, size_t errlen);

/* enable-debug-command: who may run DEBUG. */
enum { ENABLE_DEBUG_NO = 0, ENABLE_DEBUG_YES = 1, ENABLE_DEBUG_LOCAL = 2 };
int config_enable_debug_command(void);
/* REPLICAOF made this server a replica or a primary: oom-score-adj moves to that class's value. */
void config_oom_score_class_changed(void);
/* The oom_score_adj a background child takes (oom-score-adj-values[2], as Redis's child sets
 * it): 1 and *score, or 0 when oom-score-adj is off (the child keeps the server's). */
int config_oom_score_child(int *score);
/* Starts (or not, per jemalloc-bg-thread) the allocator's background threads; once at start-up. */
void config_start_allocator_threads(void);

/* Installed by the AOF (persist/aof.c): after CONFIG SET appendonly stored a new value,
 * switches the AOF on or off; 0, or -1 with *err to refuse it (the old value comes back). */
extern int (*config_appendonly_changed)(const char **err);
/* The same for aof-disable-auto-gc (set to no: the AOF history files are deleted at once). */
extern int (*config_aof_auto_gc_changed)(const char **err);

#endif
