/* admin.h - helpers shared by the server and introspection command files (cmd_server.c,
 * cmd_info.c, cmd_config.c, cmd_client.c, cmd_command.c, cmd_debug.c, cmd_connection.c).
 * Nothing outside those files depends on it. */
#ifndef KEEL_ADMIN_H
#define KEEL_ADMIN_H

#include <stdint.h>

#include "server.h"


/* "-ERR unknown subcommand or wrong number of arguments for '<argv[1]>'. Try <CMD> HELP.":
 * what Redis replies when a subcommand's own argument checks fail. */
void reply_subcommand_syntax_error(client *c);

/* DEBUG DIGEST and DEBUG DIGEST-VALUE key... (debug_digest.c). */
void debug_digest(client *c);
void debug_digest_value(client *c);

/* Memory figures shared by INFO memory and MEMORY STATS/DOCTOR (cmd_info.c). */
typedef struct memOverview {
    size_t used, peak, startup, rss;
    size_t overhead;        /* startup + clients + the tables' own arrays */
    size_t dataset;         /* used - overhead */
    size_t clients_normal;
    size_t clients_slaves;  /* replicas' links: their buffers and structures, and the shared
                             * replication buffer beyond repl_backlog */
    size_t repl_backlog;    /* the shared replication buffer up to repl-backlog-size */
    size_t keys;
    size_t allocated, active, resident;   /* the allocator's view (jemalloc), else used/rss */
} memOverview;
/* fresh: read RSS and the allocator's figures now (MEMORY STATS, DOCTOR), else use the
 * server cron's copy, at most 100 ms old (INFO). */
void memory_overview(memOverview *m, int fresh);
/* The table arrays of one database: keyspace table and TTL index. Returns their sum. */
size_t db_overhead_bytes(const kdb *db, size_t *main, size_t *expires);

/* CONFIG RESETSTAT's share of the INFO stats (cmd_info.c). */
void info_reset_stats(void);
/* Samples the instantaneous_* rates of INFO stats; called by the server cron. */
void info_cron(void);

/* CLIENT SETNAME's and HELLO SETNAME's validation and assignment (cmd_client.c): replies the
 * error and returns 0 if the name has spaces or special characters. An empty name clears it. */
int client_set_name(client *c, const karg *name);


#endif
