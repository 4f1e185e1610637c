/* debug_digest.c - DEBUG DIGEST and DEBUG DIGEST-VALUE: a SHA-1 based fingerprint of the data
 * set (or of single values), which Redis's test suite compares before and after DEBUG RELOAD,
 * restarts and RESTORE.
 *
 * The construction is Redis's: mix(d, x) = SHA1(d XOR SHA1(x)); xor(d, x) = d XOR SHA1(x).
 * Ordered content (a list, a string, a database's id) is mixed, unordered content (set
 * members, hash pairs, zset pairs, the keys of a database) is xor'ed in, so the digest does not
 * depend on table order. An empty data set digests to 40 zeros; a key's digest covers its
 * type, value and whether it has a TTL. */
#include <stdio.h>
#include <string.h>

#include "commands/admin.h"
#include "keyspace/db.h"
#include "protocol/reply.h"
#include "types/coll_entry.h"
#include "types/listpack.h"
#include "types/stream.h"
#include "types/t_list.h"
#include "types/t_set.h"
#include "types/t_zset.h"
#include "util/sha1.h"
#include "util/util.h"

static void sha1_raw(const void *p, size_t len, unsigned char out[20]) {
    char hex[41];
    sha1_hex(p, len, hex);
    for (int i = 0; i < 20; i++) {
        unsigned hi = (unsigned)(hex[2 * i] <= '9' ? hex[2 * i] - '0' : hex[2 * i] - 'a' + 10);
        unsigned lo = (unsigned)(hex[2 * i + 1] <= '9' ? hex[2 * i + 1] - '0' : hex[2 * i + 1] - 'a' + 10);
        out[i] = (unsigned char)(hi << 4 | lo);
    }
}

static void xor_digest(unsigned char *d, const void *p, size_t len) {
    unsigned char h[20];
    sha1_raw(p, len, h);
    for (int i = 0; i < 20; i++) d[i] ^= h[i];
}

static void mix_digest(unsigned char *d, const void *p, size_t len) {
    xor_digest(d, p, len);
    sha1_raw(d, 20, d);
}

static void digest_list_elem(void *priv, const char *s, size_t len) {
    mix_digest(priv, s, len);
}

static void digest_set_member(void *priv, const char *s, size_t len) {
    xor_digest(priv, s, len);
}

static void digest_pair(unsigned char *d, const char *a, size_t alen, const char *b, size_t blen) {
    unsigned char e[20] = {0};
    mix_digest(e, a, alen);
    mix_digest(e, b, blen);
    xor_digest(d, e, 20);
}

static int digest_zset_member(void *priv, const char *m, size_t mlen, double score) {
    char buf[64];
    int n = snprintf(buf, sizeof(buf), "%.17g", score);
    digest_pair(priv, m, mlen, buf, (size_t)n);
    return 1;
}

static void digest_hash(unsigned char *d, const kobj *o) {
    if (o->encoding == ENC_LISTPACK) {
        const unsigned char *lp = obj_ptr(o);
        for (unsigned char *p = lpFirst(lp); p; p = lpNext(lp, lpNext(lp, p))) {
            char fb[LP_INTBUF], vb[LP_INTBUF];
            size_t fl, vl;
            const char *f = lpGetStr(p, &fl, fb);
            const char *v = lpGetStr(lpNext(lp, p), &vl, vb);
            digest_pair(d, f, fl, v, vl);
        }
        return;
    }
    tableIter it;
    collEntry *e;
    tableIterInit(&it, obj_ptr(o), 0);
    while ((e = tableIterNext(&it)) != NULL) {
        size_t fl, vl;
        const char *f = coll_entry_key(e, &fl);
        const char *v = coll_entry_value(e, &vl);
        digest_pair(d, f, fl, v, vl);
    }
    tableIterRelease(&it);
}

/* A stream's entries in ID order: each ID, then its fields and values, mixed in. (Redis also
 * mixes in its listpacks' bytes and its groups, so stream digests are Keel's own; they still
 * change exactly when the entries do.) */
static void digest_stream(unsigned char *d, const kobj *o) {
    static const streamID first = {0, 0}, last = {UINT64_MAX, UINT64_MAX};
    streamIter it;
    stream_iter_start(&it, obj_ptr(o), &first, &last, 0);
    while (stream_iter_next(&it)) {
        char id[48];
        mix_digest(d, id, (size_t)stream_id_format(id, &it.id));
        for (size_t i = 0; i < it.nfields; i++) {
            streamStr f, v;
            stream_iter_field(&it, &f, &v);
            mix_digest(d, f.ptr, f.len);
            mix_digest(d, v.ptr, v.len);
        }
    }
    stream_iter_stop(&it);
}

/* The digest of one value (type, content, TTL presence) into d (20 bytes, zeroed by the caller). */
static void digest_value(unsigned char *d, const kobj *o) {
    unsigned char type[4] = {0, 0, 0, (unsigned char)o->type};   /* big-endian, as Redis's htonl */
    mix_digest(d, type, 4);
    switch (o->type) {
    case OBJ_STRING: {
        char num[24];
        size_t len;
        const char *s = obj_str(o, &len, num);
        mix_digest(d, s, len);
        break;
    }
    case OBJ_LIST: list_for_range(o, 0, (long)list_length(o), 0, digest_list_elem, d); break;
    case OBJ_SET: set_for_each(o, digest_set_member, d); break;
    case OBJ_ZSET: zset_for_each_scored(o, 0, digest_zset_member, d); break;
    case OBJ_STREAM: digest_stream(d, o); break;
    default: digest_hash(d, o); break;
    }
    if (obj_expire(o) != OBJ_NO_EXPIRE) xor_digest(d, "!!expire!!", 10);
}

static void reply_digest(client *c, const unsigned char *d) {
    char hex[41];
    for (int i = 0; i < 20; i++) snprintf(hex + 2 * i, 3, "%02x", d[i]);
    reply_status(c, hex);
}

void debug_digest(client *c) {
    unsigned char final[20] = {0};
    for (int i = 0; i < server.dbnum; i++) {
        kdb *db = db_by_id(i);
        if (!db->keys || tableSize(db->keys) == 0) continue;
        unsigned char id[4] = {(unsigned char)(i >> 24), (unsigned char)(i >> 16), (unsigned char)(i >> 8), (unsigned char)i};
        mix_digest(final, id, 4);
        tableIter it;
        kobj *o;
        tableIterInit(&it, db->keys, 0);
        while ((o = tableIterNext(&it)) != NULL) {
            if (obj_is_expired(o)) continue;
            unsigned char d[20] = {0};
            mix_digest(d, obj_key(o), obj_keylen(o));
            digest_value(d, o);
            xor_digest(final, d, 20);
        }
        tableIterRelease(&it);
    }
    reply_digest(c, final);
}

void debug_digest_value(client *c) {
    reply_array_len(c, c->argc - 2);
    for (int i = 2; i < c->argc; i++) {
        unsigned char d[20] = {0};
        kobj *o = db_lookup(c->db, c->argv[i].ptr, c->argv[i].len, LOOKUP_NOTOUCH | LOOKUP_NOSTATS);
        if (o) digest_value(d, o);
        reply_digest(c, d);
    }
}
