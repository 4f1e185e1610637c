/* pubsub.h - publish/subscribe: channels, patterns, shard channels.
 *
 * Three kinds of subscription share one model: a global table per kind maps a name (channel,
 * pattern or shard channel) to the FIFO list of its subscribers, and each subscribed client
 * keeps its own subscriptions in the order it made them (c->pstate). A client has
 * CLIENT_PUBSUB while it has at least one subscription of any kind (RESP2 subscriber mode, the
 * "pubsub" output buffer class).
 *
 * Invariants: a name has an entry in its kind's table iff at least one client subscribes to it;
 * a client appears at most once in an entry's list; c->pstate lists exactly the entries whose
 * list holds c; c->pstate is NULL when the client has no subscription. */
#ifndef KEEL_PUBSUB_H
#define KEEL_PUBSUB_H

#include <stddef.h>

#include "server.h"

/* Delivers message to the subscribers of channel and of every matching pattern. Returns the
 * number of clients that received it (PUBLISH's reply). */
long long pubsub_publish(const char *channel, size_t clen, const char *msg, size_t mlen);
/* Installed by cluster_init(): PUBLISH also goes to the other nodes of the cluster. */
extern void (*pubsub_propagate)(const char *channel, size_t clen, const char *msg, size_t mlen);

/* Shard channels (SPUBLISH): delivers to the local subscribers of channel; returns how many. */
long long pubsub_spublish(const char *channel, size_t clen, const char *msg, size_t mlen);
/* Installed by cluster_init(): SPUBLISH also goes to the other nodes of this node's shard. */
extern void (*pubsub_propagate_shard)(const char *channel, size_t clen, const char *msg, size_t mlen);
/* Every subscription to a shard channel of that slot ends, each subscriber getting its
 * "sunsubscribe" (cluster mode: the slot left this node's shard, Redis's removeChannelsInSlot). */
void pubsub_shard_unsubscribe_slot(int slot);

/* 1 if a RESP2 client in subscriber mode may run cmd (its row has CMD_SUBSCRIBED_OK). */
int pubsub_allowed_in_subscriber_mode(const command *cmd);

/* Pushed frames (messages, subscription confirmations, invalidations) reach the client even
 * under CLIENT REPLY OFF/SKIP, as in Redis 7.0: wrap their writes in these two calls. */
int push_begin(client *c);
void push_end(client *c, int saved);

/* Drops every subscription of c without replying (RESET, client_free). */
void pubsub_unsubscribe_all(client *c);

/* INFO stats: pubsub_channels, pubsub_patterns, pubsubshard_channels. */
void pubsub_info(long long *channels, long long *patterns, long long *shard_channels);

/* CLIENT LIST's sub=, psub= and ssub= counts. */
void pubsub_client_counts(const client *c, long long *sub, long long *psub, long long *ssub);
/* What c's subscriptions cost it (client eviction): its nodes and arrays, not the shared
 * channel entries, as Redis counts them. */
size_t pubsub_client_memory(const client *c);

/* Whether ok() accepts every subscription of c (channels, shard channels, and patterns with
 * is_pattern set); ACL SETUSER closes subscribers whose rules no longer allow them. */
typedef int pubsub_name_test(const void *priv, const char *name, size_t len, int is_pattern);
int pubsub_client_all(const client *c, pubsub_name_test *ok, const void *priv);

/* Command procedures implemented here (rows in commands/command_table.c). */
command_proc subscribe_command, unsubscribe_command, psubscribe_command, punsubscribe_command,
    ssubscribe_command, sunsubscribe_command, publish_command, spublish_command;
command_proc pubsub_channels_command, pubsub_numsub_command, pubsub_numpat_command,
    pubsub_shardchannels_command, pubsub_shardnumsub_command, pubsub_help_command;

#endif
