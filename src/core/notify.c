/* notify.c - keyspace notifications and signal_modified_key; see notify.h. */
#include "core/notify.h"

#include <string.h>

#include "core/multi.h"
#include "core/pubsub.h"
#include "core/tracking.h"
#include "util/kstr.h"

void notify_keyspace_event(int type, const char *event, const char *key, size_t klen, int dbid) {
    int flags = server.notify_keyspace_events;
    if (!(flags & type)) return;
    long long channels, patterns, shard_channels;
    pubsub_info(&channels, &patterns, &shard_channels);
    if (channels + patterns == 0) return;
    size_t elen = strlen(event);
    kstr *chan = kstr_empty(32 + (klen > elen ? klen : elen));
    if (flags & NOTIFY_KEYSPACE) {
        chan = kstr_catfmt(chan, "__keyspace@%d__:", dbid);
        chan = kstr_cat(chan, key, klen);
        pubsub_publish(chan->buf, chan->len, event, elen);
    }
    if (flags & NOTIFY_KEYEVENT) {
        chan->len = 0;
        chan = kstr_catfmt(chan, "__keyevent@%d__:%s", dbid, event);
        pubsub_publish(chan->buf, chan->len, key, klen);
    }
    kstr_free(chan);
}

void signal_modified_key(client *c, kdb *db, const char *key, size_t len) {
    multi_touch_key(db, key, len);          /* fail the transactions WATCHing it */
    tracking_invalidate_key(c, key, len);   /* client-side caching */
    server.dirty++;
}
