/* keyspace_alone.h - runs the keyspace layer without the server: settings the tests control.
 *
 * keyspace_alone() points keyspace_config at ks_settings (zeroed: no maxmemory, noeviction...,
 * lazy freeing off, active expiry off; the wall clock as "now") and clears every hook. A test
 * then changes ks_settings fields and installs the hooks it observes. */
#ifndef KEEL_KEYSPACE_ALONE_H
#define KEEL_KEYSPACE_ALONE_H

#include <string.h>

#include "keyspace/hooks.h"
#include "util/util.h"

static struct {
    long long maxmemory;
    int policy, samples, tenacity, lfu_log_factor, lfu_decay_time;
    int lazy_eviction, lazy_expire, lazy_server_del, lazy_user_del;
    int active_expire, effort, hz;
} ks_settings;

static void keyspace_alone(void) {
    memset(&ks_settings, 0, sizeof(ks_settings));
    keyspace_config = (keyspaceConfig){
        .maxmemory = &ks_settings.maxmemory,
        .maxmemory_policy = &ks_settings.policy,
        .maxmemory_samples = &ks_settings.samples,
        .maxmemory_eviction_tenacity = &ks_settings.tenacity,
        .lfu_log_factor = &ks_settings.lfu_log_factor,
        .lfu_decay_time = &ks_settings.lfu_decay_time,
        .lazyfree_lazy_eviction = &ks_settings.lazy_eviction,
        .lazyfree_lazy_expire = &ks_settings.lazy_expire,
        .lazyfree_lazy_server_del = &ks_settings.lazy_server_del,
        .lazyfree_lazy_user_del = &ks_settings.lazy_user_del,
        .active_expire_enabled = &ks_settings.active_expire,
        .active_expire_effort = &ks_settings.effort,
        .hz = &ks_settings.hz,
        .now_ms = mstime,
    };
    memset(&keyspace_hooks, 0, sizeof(keyspace_hooks));
}

#endif
