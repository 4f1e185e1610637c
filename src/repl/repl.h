/* repl.h - replication with Redis's protocol (PSYNC2): this server as a primary (primary.c:
 * REPLCONF, PSYNC/SYNC answered with the forkless snapshot, the backlog, the replicas' links)
 * and as a replica (replica.c: REPLICAOF, the handshake, loading the primary's RDB, applying
 * its stream through the master client).
 *
 * State both sides share (repl_state): the replication id and offset. On a primary the offset
 * counts the bytes of the stream it produced; on a replica the bytes of its primary's stream it
 * applied, which it also appends verbatim to its own backlog and sends to its own replicas
 * (chained replication), so a replica and its primary have the same id and offsets. replid2 is
 * the previous id, valid up to second_offset - 1: a promoted replica keeps accepting PSYNC of
 * its former siblings from there. */
#ifndef KEEL_REPL_H
#define KEEL_REPL_H

#include "server.h"

typedef struct replState {
    char replid[41], replid2[41];
    long long offset;           /* master_repl_offset */
    long long second_offset;    /* second_repl_offset, -1 if replid2 is unset */
} replState;
extern replState repl_state;

/* Start-up: installs the dispatch and client hooks and the replication cron; connects to the
 * primary named by replicaof, if any. */
void repl_init(void);
/* INFO replication. */
kstr *repl_info(kstr *s);
/* INFO stats' sync_full, sync_partial_ok and sync_partial_err (primary.c). */
kstr *repl_info_stats(kstr *s);
void repl_reset_stats(void);          /* CONFIG RESETSTAT: sync_full, sync_partial_ok/_err */

/* primary.c, for replica.c */
void repl_primary_init(void);           /* a random replication id */
void repl_feed(const char *buf, size_t len);   /* the stream's next bytes: backlog and replicas */
/* DEBUG REPLICATE: one command into the stream as it is (no SELECT, not in the AOF), on a
 * primary with a backlog; a test's way to make a replica diverge. */
void repl_feed_command(int argc, const karg *argv);
/* The start-up load's DELs of expired keys (persist/rdb.h), or only their length if NULL. */
void repl_feed_loaded_dels(const kstr *dels, long long len);
void repl_backlog_reset(void);          /* an empty backlog starting after repl_state.offset */
void repl_backlog_ensure(void);         /* the same, unless there is a backlog */
int repl_backlog_active(void);
/* -NOREPLICAS for a write when min-replicas-to-write replicas did not ack within
 * min-replicas-max-lag seconds; else NULL. */
const char *repl_min_replicas_error(client *c, const command *cmd);
#define REPL_NOREPLICAS_ERR "-NOREPLICAS Not enough good replicas to write."
/* 0 when this primary has fewer than min-replicas-to-write replicas that acked within
 * min-replicas-max-lag seconds (scripts check it before their first write); 1 otherwise, and
 * always on a replica. */
int repl_good_replicas_ok(void);
/* keyspace hook: a client other than the primary is about to write key on this replica; its
 * TTL, if it gets one, is enforced here (replica.c) since nothing else expires a replica's keys. */
void repl_replica_key_written(int dbid, const char *key, size_t len);
void repl_disconnect_replicas(void);
void repl_new_replid(void);             /* a fresh id, the current one kept as replid2 */
void repl_primary_cron(void);
void repl_replica_freed(client *c);     /* client_repl_freed for a replica's link */
int repl_replicas_count(void);
int repl_replicas_in_sync(void);       /* shutdown: every replica acked the whole stream */
void repl_send_getack(void);           /* REPLCONF GETACK * to the replicas */
void repl_shutdown_report(void);       /* the "Lagging replica" and "N of M replicas" lines */
/* The shared replication buffer's memory (INFO memory, MEMORY STATS, eviction): all of it
 * (mem_total_replication_buffers), the backlog's share (mem_replication_backlog: up to
 * repl-backlog-size), what eviction leaves out (beyond repl-backlog-size, as Redis), and one
 * replica's share as its output buffer (CLIENT LIST omem). */
size_t repl_buffer_memory(void);
size_t repl_backlog_memory(void);
size_t repl_buffer_not_counted(void);
size_t repl_client_output_memory(const client *c);
kstr *repl_primary_info(kstr *s);       /* connected_slaves and the slaveN lines */
void repl_role_primary(client *c);

/* replica.c, for primary.c */
int repl_link_up(void);                 /* 1 if this is a primary or its primary's link is up */
void repl_replica_cron(void);
void repl_send_ack(void);               /* REPLCONF ACK <offset> to our primary, if linked */
void repl_master_freed(client *c);      /* client_repl_freed for the master client */

/* replica.c, for failover.c */
void repl_set_master(const char *host, int port);   /* REPLICAOF host port */
void repl_unset_master(void);                       /* REPLICAOF NO ONE */

/* primary.c, for failover.c: the replica listening on host:port (its announced or peer
 * address, as INFO shows it): 1 and its ack offset and whether it is online, else 0. */
int repl_replica_lookup(const char *host, int port, long long *ack_off, int *online);
/* A replica whose ack offset is master_repl_offset: 1 and its address, else 0. */
int repl_replica_caught_up(char *host, size_t cap, int *port);

/* failover.c: FAILOVER's state */
enum { FO_NONE, FO_WAIT_SYNC, FO_IN_PROGRESS };
int repl_failover_state(void);
const char *repl_failover_state_name(void);         /* master_failover_state */
int repl_failover_timed(void);                      /* in progress with a TIMEOUT (no PINGs then) */
void repl_failover_update(void);                    /* after ACKs: is the target caught up? */
void repl_failover_psync_result(int accepted);      /* the target's answer to PSYNC ... FAILOVER */
void repl_failover_abort(const char *why);

/* replica.c, for cluster/ (hooks for cluster replicas and elections) */
void repl_cluster_set_primary(const char *host, int port);   /* NULL: become a primary */
long long repl_primary_data_age_ms(void);
/* The offset a cluster node announces: master_repl_offset, but 0 on a replica from
 * +FULLRESYNC until its new data set is loaded (CLUSTER SLOTS hides it, SHARDS says loading). */
long long repl_sync_offset(void);

command_proc failover_command, replicaof_command, slaveof_command, replconf_command, psync_command, sync_command, role_command,
    wait_command;

#endif
