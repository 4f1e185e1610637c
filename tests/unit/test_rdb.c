/* test_rdb.c - unit tests of persist/rdb.c on real databases: DUMP payloads and files round
 * trip for every type and encoding, and the corruption fuzzer: mutated payloads and files
 * (flipped, overwritten, inserted and truncated bytes, with and without a repaired checksum)
 * must load or fail cleanly, never crash nor trip ASan/UBSan (run in the sanitizer build by
 * `make test`; KEEL_LONG=1 runs many more rounds). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "keyspace/db.h"
#include "keyspace_alone.h"
#include "keyspace/evict.h"
#include "keyspace/lazyfree.h"
#include "persist/rdb.h"
#include "server.h"
#include "types/t_hash.h"
#include "types/t_list.h"
#include "types/t_set.h"
#include "types/t_zset.h"
#include "unit.h"
#include "util/crc64.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/util.h"

static char dir[64];

static void setup(void) {
    memset(&server, 0, sizeof(server));
    keyspace_alone();
    ks_settings.policy = MAXMEMORY_NO_EVICTION;
    server.dbnum = 4;
    server.maxmemory_policy = MAXMEMORY_NO_EVICTION;
    server.hash_max_listpack_entries = 512;
    server.hash_max_listpack_value = 64;
    server.set_max_intset_entries = 512;
    server.zset_max_listpack_entries = 128;
    server.zset_max_listpack_value = 64;
    server.list_max_listpack_size = -2;
    server.rdbcompression = 1;
    server.rdbchecksum = 1;
    db_init_all(server.dbnum);
}

static void teardown(void) {
    db_free_all();
    lazyfree_drain();
}

/* Deterministic pseudo-random bytes (xorshift). */
static uint64_t rng = 88172645463325252ULL;
static uint64_t next_rand(void) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static size_t make_value(char *buf, int i, int j) {
    switch ((i + j) % 4) {
    case 0: return (size_t)snprintf(buf, 64, "%d", i * 1000 - j);
    case 1: {
        size_t n = (size_t)snprintf(buf, 64, "v %d\r\n", j);
        buf[1] = '\0';   /* binary */
        return n;
    }
    case 2: return (size_t)snprintf(buf, 128, "%0100d", j);
    default: return (size_t)snprintf(buf, 64, "%lld", (long long)(next_rand() >> 1));
    }
}

/* Keys of every type in small and large forms; every third has a TTL. */
static void fill(kdb *db, int nkeys) {
    char key[32], val[160], mem[160];
    for (int i = 0; i < nkeys; i++) {
        size_t klen = (size_t)snprintf(key, sizeof(key), "key:%d", i);
        int n = i % 5 == 0 ? 700 : 1 + i % 17;
        kobj *o;
        switch (i % 6) {
        case 0: o = obj_new_string(key, klen, val, make_value(val, i, 0)); break;
        case 1:
            o = list_new_object(key, klen);
            for (int j = 0; j < n; j++) list_append(o, val, make_value(val, i, j));
            break;
        case 2:
            o = hash_new_object(key, klen);
            for (int j = 0; j < n; j++) {
                size_t m = (size_t)snprintf(mem, sizeof(mem), "f%d", j);
                hash_load_field(o, mem, m, val, make_value(val, i, j));
            }
            break;
        case 3:
            o = set_new_object(key, klen);
            for (int j = 0; j < n; j++) set_load_member(o, val, (size_t)snprintf(val, 32, "%d", j * (i % 2 ? 7 : -3)));
            if (i % 4 == 3) set_load_member(o, "text", 4);
            break;
        case 4:
            o = zset_create(key, klen, 0);
            for (int j = 0; j < n; j++) zset_load_member(o, val, make_value(val, i, j), j * 1.5 - i);
            break;
        default: o = obj_new_string(key, klen, "compressible compressible compressible", 38); break;
        }
        db_add_with_expire(db, o, i % 3 == 0 ? mstime() + 1000000 + i : OBJ_NO_EXPIRE);
    }
}

static kstr **dump_all(kdb *db, size_t *n) {
    tableIter it;
    kobj *o;
    kstr **out = kmalloc(sizeof(kstr *) * (db_size(db) + 1));
    *n = 0;
    tableIterInit(&it, db_keys(db), 0);
    while ((o = tableIterNext(&it)) != NULL) out[(*n)++] = rdb_dump_payload(o);
    tableIterRelease(&it);
    return out;
}

static void free_dumps(kstr **d, size_t n) {
    for (size_t i = 0; i < n; i++) kstr_free(d[i]);
    kfree(d);
}

TEST(payloads_round_trip) {
    setup();
    fill(db_by_id(0), 120);
    size_t n;
    kstr **d = dump_all(db_by_id(0), &n);
    CHECK(n == 120);
    for (size_t i = 0; i < n; i++) {
        int err;
        kobj *o = rdb_restore_payload("x", 1, (unsigned char *)d[i]->buf, d[i]->len, &err);
        REQUIRE(o && err == RDB_RESTORE_OK);
        kstr *again = rdb_dump_payload(o);
        if (o->encoding != ENC_HT) CHECK(again->len == d[i]->len && memcmp(again->buf, d[i]->buf, again->len) == 0);
        else CHECK(again->len == d[i]->len);   /* same content; a table's order may differ */
        CHECK(rdb_serialized_length(o) == d[i]->len - 11);
        kstr_free(again);
        obj_free(o);
    }
    free_dumps(d, n);
    teardown();
}

static char *path_of(const char *name) {
    static char p[128];
    snprintf(p, sizeof(p), "%s/%s", dir, name);
    return p;
}

TEST(files_round_trip) {
    setup();
    fill(db_by_id(0), 200);
    fill(db_by_id(3), 10);
    REQUIRE(rdb_save_file(path_of("dump.rdb")) == 0);
    size_t n0, n3;
    kstr **d0 = dump_all(db_by_id(0), &n0), **d3 = dump_all(db_by_id(3), &n3);
    db_flush(db_by_id(0), 0);
    db_flush(db_by_id(3), 0);
    rdbLoadStats st;
    REQUIRE(rdb_load_file(path_of("dump.rdb"), &st, 0) == 0);
    CHECK(st.keys_loaded == 210 && st.keys_expired == 0);
    CHECK(db_size(db_by_id(0)) == 200 && db_size(db_by_id(3)) == 10);
    CHECK(db_expires(db_by_id(0)) == 67);
    size_t total0 = 0, total1 = 0, m;
    for (size_t i = 0; i < n0; i++) total0 += d0[i]->len;
    kstr **again = dump_all(db_by_id(0), &m);
    for (size_t i = 0; i < m; i++) total1 += again[i]->len;
    CHECK(total0 == total1);
    free_dumps(again, m);
    free_dumps(d0, n0);
    free_dumps(d3, n3);
    CHECK(rdb_load_file(path_of("missing.rdb"), &st, 0) == 1);
    teardown();
}

static void mutate(unsigned char *p, size_t *len, size_t cap) {
    int ops = 1 + (int)(next_rand() % 3);
    for (int k = 0; k < ops && *len > 0; k++) {
        size_t at = next_rand() % *len;
        switch (next_rand() % 5) {
        case 0: p[at] ^= (unsigned char)(1u << (next_rand() % 8)); break;
        case 1: p[at] = (unsigned char)next_rand(); break;
        case 2: *len = at; break;
        case 3:
            if (*len < cap) {
                memmove(p + at + 1, p + at, *len - at);
                p[at] = (unsigned char)next_rand();
                (*len)++;
            }
            break;
        default: p[at] = (unsigned char)(next_rand() % 2 ? 0xFF : 0x80); break;
        }
    }
}

TEST(corrupt_payloads_fail_cleanly) {
    setup();
    fill(db_by_id(0), 60);
    size_t n;
    kstr **d = dump_all(db_by_id(0), &n);
    long rounds = unit_long() ? 2000000 : 60000, ok = 0, bad = 0;
    for (long r = 0; r < rounds; r++) {
        kstr *src = d[next_rand() % n];
        size_t len = src->len - 10, cap = src->len + 16;
        unsigned char *p = kmalloc(cap + 10);
        memcpy(p, src->buf, len);
        mutate(p, &len, cap);
        p[len] = RDB_VERSION;
        p[len + 1] = 0;
        uint64_t crc = crc64(0, p, len + 2);
        for (int i = 0; i < 8; i++) p[len + 2 + i] = (unsigned char)(crc >> (8 * i));
        int err;
        kobj *o = rdb_restore_payload("k", 1, p, len + 10, &err);
        if (o) {
            ok++;
            obj_free(o);
        } else {
            bad++;
            CHECK(err == RDB_RESTORE_BAD_DATA);
        }
        kfree(p);
    }
    CHECK(bad > rounds / 10);
    printf("     %ld mutated payloads: %ld loaded, %ld refused\n", rounds, ok, bad);
    free_dumps(d, n);
    teardown();
}

TEST(corrupt_files_fail_cleanly) {
    setup();
    fill(db_by_id(0), 40);
    REQUIRE(rdb_save_file(path_of("good.rdb")) == 0);
    FILE *f = fopen(path_of("good.rdb"), "rb");
    REQUIRE(f);
    unsigned char *good = kmalloc(1 << 20);
    size_t glen = fread(good, 1, 1 << 20, f);
    fclose(f);
    db_flush(db_by_id(0), 0);
    long rounds = unit_long() ? 50000 : 1500, loaded = 0;
    unsigned char *p = kmalloc(glen + 16);
    for (long r = 0; r < rounds; r++) {
        size_t len = glen;
        memcpy(p, good, glen);
        mutate(p, &len, glen + 16);
        if (r % 2 && len > 8) {   /* half with a repaired checksum, to reach every check */
            uint64_t crc = crc64(0, p, len - 8);
            for (int i = 0; i < 8; i++) p[len - 8 + i] = (unsigned char)(crc >> (8 * i));
        }
        f = fopen(path_of("bad.rdb"), "wb");
        REQUIRE(f);
        fwrite(p, 1, len, f);
        fclose(f);
        rdbLoadStats st;
        int rc = rdb_load_file(path_of("bad.rdb"), &st, 0);
        CHECK(rc == 0 || rc == -1);
        loaded += rc == 0;
        for (int i = 0; i < server.dbnum; i++) db_flush(db_by_id(i), 0);
    }
    printf("     %ld mutated files: %ld loaded\n", rounds, loaded);
    kfree(p);
    kfree(good);
    teardown();
}

int main(void) {
    snprintf(dir, sizeof(dir), "/tmp/keel-test-rdb-XXXXXX");
    if (!mkdtemp(dir)) return 1;
    log_set_level(LL_WARNING + 1);   /* the corrupt loads would fill the output */
    RUN(payloads_round_trip);
    RUN(files_round_trip);
    RUN(corrupt_payloads_fail_cleanly);
    RUN(corrupt_files_fail_cleanly);
    lazyfree_shutdown();
    unlink(path_of("dump.rdb"));
    unlink(path_of("good.rdb"));
    unlink(path_of("bad.rdb"));
    rmdir(dir);
    return unit_report();
}
