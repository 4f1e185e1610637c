/* collection.c - key lookups, argument rules and sampling shared by the aggregate types; see
 * collection.h. */
#include "types/collection.h"

#include "core/notify.h"
#include "keyspace/db.h"
#include "protocol/reply.h"
#include "util/util.h"

/* ---- Keys ------------------------------------------------------------------------------- */

static int check_type(client *c, kobj *found, int type, kobj **o) {
    if (found && (int)found->type != type) {
        reply_error(c, ERR_WRONGTYPE);
        return 0;
    }
    *o = found;
    return 1;
}

int coll_lookup_read(client *c, const karg *key, int type, kobj **o) {
    return check_type(c, db_lookup_read(c->db, key->ptr, key->len), type, o);
}

int coll_lookup_write(client *c, const karg *key, int type, kobj **o) {
    return check_type(c, db_lookup_write(c->db, key->ptr, key->len), type, o);
}

void coll_delete_emptied(client *c, const karg *key) {
    db_delete(c->db, key->ptr, key->len);
    notify_keyspace_event(NOTIFY_GENERIC, "del", key->ptr, key->len, c->db->id);
}

/* ---- Numeric arguments ------------------------------------------------------------------- */

int coll_get_range_long_or_reply(client *c, const karg *arg, long long min, long long max, long long *out,
                                 const char *msg) {
    if (!arg_ll_or_reply(c, arg, out, msg)) return 0;
    if (*out >= min && *out <= max) return 1;
    if (msg)
        reply_error(c, msg);
    else
        reply_errorf(c, "value is out of range, value must between %lld and %lld", min, max);
    return 0;
}

int coll_get_positive_long_or_reply(client *c, const karg *arg, long long *out, const char *msg) {
    const char *m = msg ? msg : "value is out of range, must be positive";
    return coll_get_range_long_or_reply(c, arg, 0, INT64_MAX, out, m);
}

/* ---- Sampling ---------------------------------------------------------------------------- */

void coll_sample_indices(size_t n, size_t k, uint32_t *out) {
    /* Selection sampling (Knuth's algorithm S): index i is taken with probability
     * (still needed) / (still available). */
    size_t got = 0;
    for (size_t i = 0; i < n && got < k; i++)
        if (rand64() % (n - i) < k - got) out[got++] = (uint32_t)i;
}

void coll_shuffle(uint32_t *a, size_t n) {
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)(rand64() % i);
        uint32_t t = a[i - 1];
        a[i - 1] = a[j];
        a[j] = t;
    }
}
