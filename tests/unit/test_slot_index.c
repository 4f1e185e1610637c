/* test_slot_index.c - key hash slots (src/util/crc16.c) and the keyspace's per-slot key counts
 * (db_count_slots, keyspace/db.c): exact after adds, overwrites, deletes, expiry, flushes
 * (sync and async) and swaps, with no pointer that could outlive a key (seed case 002). */
#include <stdio.h>
#include <string.h>

#include "keyspace/db.h"
#include "keyspace/lazyfree.h"
#include "keyspace_alone.h"
#include "unit.h"
#include "util/crc16.h"

TEST(crc16_and_hash_tags) {
    CHECK(crc16("123456789", 9) == 0x31c3);
    CHECK(key_hash_slot("foo", 3) == 12182);
    CHECK(key_hash_slot("123456789", 9) == 12739);
    /* the tag is between the first '{' and the first '}' after it, when not empty */
    CHECK(key_hash_slot("{user1000}.following", 20) == key_hash_slot("user1000", 8));
    CHECK(key_hash_slot("foo{}{bar}", 10) == key_hash_slot("foo{}{bar}", 10));
    CHECK(key_hash_slot("foo{}{bar}", 10) != key_hash_slot("bar", 3));
    CHECK(key_hash_slot("foo{{bar}}zap", 13) == key_hash_slot("{bar", 4));
    CHECK(key_hash_slot("foo{bar}{zap}", 13) == key_hash_slot("bar", 3));
    CHECK(key_hash_slot("{", 1) == (crc16("{", 1) & 16383));
    CHECK(key_hash_slot("", 0) == 0);
}

static void set_key(kdb *db, const char *key) {
    db_set(db, obj_new_string(key, strlen(key), "v", 1), 0);
}

/* The counts agree with a walk of the table, slot by slot. */
static int counts_exact(kdb *db) {
    static uint32_t seen[CLUSTER_SLOTS];
    memset(seen, 0, sizeof(seen));
    size_t total = 0;
    if (db->keys) {
        tableIter it;
        tableIterInit(&it, db->keys, 0);
        kobj *o;
        while ((o = tableIterNext(&it)) != NULL) seen[key_hash_slot(obj_key(o), obj_keylen(o))]++;
        tableIterRelease(&it);
    }
    for (int s = 0; s < CLUSTER_SLOTS; s++) {
        if (db_slot_size(db, s) != seen[s]) return 0;
        total += seen[s];
    }
    return total == db_size(db);
}

TEST(counts_follow_every_change) {
    keyspace_alone();
    db_init_all(2);
    kdb *db = db_by_id(0), *other = db_by_id(1);
    db_count_slots(db);
    db_count_slots(other);
    char key[32];
    for (int i = 0; i < 3000; i++) {
        snprintf(key, sizeof(key), "key:%d", i);
        set_key(db, key);
    }
    set_key(db, "key:7");   /* an overwrite counts once */
    CHECK(counts_exact(db));
    int slot = key_hash_slot("key:7", 5);
    kobj *keys[64];
    size_t n = db_slot_keys(db, slot, keys, 64);
    CHECK(n == db_slot_size(db, slot) && n >= 1);
    for (size_t i = 0; i < n; i++) CHECK(key_hash_slot(obj_key(keys[i]), obj_keylen(keys[i])) == slot);
    CHECK(db_slot_keys(db, slot, keys, 0) == 0);
    for (int i = 0; i < 3000; i += 3) {
        snprintf(key, sizeof(key), "key:%d", i);
        db_delete(db, key, strlen(key));
    }
    CHECK(counts_exact(db));
    kobj *o = db_lookup_read(db, "key:1", 5);   /* expired by a lookup */
    db_set_expire(db, o, mstime() - 1);
    CHECK(db_lookup_read(db, "key:1", 5) == NULL && counts_exact(db));
    /* a swap moves the counts with the keys */
    set_key(other, "elsewhere");
    db_swap(db, other);
    CHECK(db_size(db) == 1 && counts_exact(db) && counts_exact(other));
    db_swap(db, other);
    /* flushes, sync and async (the table goes to the lazy-free thread) */
    db_flush(db, 1);
    CHECK(db_size(db) == 0 && counts_exact(db) && db_slot_size(db, slot) == 0);
    for (int i = 0; i < 100; i++) {
        snprintf(key, sizeof(key), "again:%d", i);
        set_key(db, key);
    }
    CHECK(counts_exact(db));
    db_flush(db, 0);
    CHECK(counts_exact(db));
    lazyfree_drain();
    db_free_all();
}

int main(void) {
    RUN(crc16_and_hash_tags);
    RUN(counts_follow_every_change);
    return unit_report();
}
