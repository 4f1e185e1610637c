/* test_keyspace_hooks.c - the keyspace announces every change through its hooks, and
 * key_will_change comes BEFORE the change: what the hook sees is the key as it was (the
 * property a forkless snapshot relies on). The keyspace runs alone, without the server. */
#include <string.h>

#include "keyspace/db.h"
#include "keyspace/hooks.h"
#include "keyspace_alone.h"
#include "types/t_list.h"
#include "unit.h"

/* What key_will_change saw at its last call, and how many calls each hook got. */
static struct {
    int calls;
    int had_entry;          /* o != NULL */
    int in_table;           /* the key was still (or not yet) in the table */
    char value[64];         /* o's string value then */
    long long expire;       /* o's TTL then */
} seen;
static int deleted_expired, deleted_user, misses, ready, will_empty, will_swap, swapped;
static size_t size_at_will_empty, size_at_will_swap;

static void on_will_change(kdb *db, const char *key, size_t len, const kobj *o) {
    seen.calls++;
    seen.had_entry = o != NULL;
    seen.in_table = db->keys && tableFind(db->keys, key, len) != NULL;
    seen.value[0] = '\0';
    seen.expire = OBJ_NO_EXPIRE;
    if (o && o->type == OBJ_STRING) {
        char numbuf[24];
        size_t vlen;
        const char *v = obj_str(o, &vlen, numbuf);
        if (vlen < sizeof(seen.value)) {
            memcpy(seen.value, v, vlen);
            seen.value[vlen] = '\0';
        }
    }
    if (o) seen.expire = obj_expire(o);
}

static void on_deleted(kdb *db, kobj *o, keyDeleteReason why) {
    if (why == KEY_DELETED_EXPIRED) deleted_expired++;
    if (why == KEY_DELETED_USER) deleted_user++;
}

static void on_miss(kdb *db, const char *key, size_t len) {
    misses++;
}

static void on_ready(kdb *db, const char *key, size_t len) {
    ready++;
}

static void on_will_empty(kdb *db) {
    will_empty++;
    size_at_will_empty = db_size(db);
}

static void on_will_swap(kdb *a, kdb *b) {
    will_swap++;
    size_at_will_swap = db_size(a);
}

static void on_swapped(kdb *a, kdb *b) {
    swapped++;
}

static kdb *setup(void) {
    keyspace_alone();
    keyspace_hooks = (keyspaceHooks){
        .key_will_change = on_will_change,
        .key_deleted = on_deleted,
        .key_ready = on_ready,
        .key_miss = on_miss,
        .db_will_empty = on_will_empty,
        .dbs_will_swap = on_will_swap,
        .dbs_swapped = on_swapped,
    };
    memset(&seen, 0, sizeof(seen));
    deleted_expired = deleted_user = misses = ready = will_empty = will_swap = swapped = 0;
    db_init_all(2);
    return db_by_id(0);
}

static void set_string(kdb *db, const char *key, const char *val) {
    db_set(db, obj_new_string(key, strlen(key), val, strlen(val)), 0);
}

TEST(add_is_announced_before_the_key_exists) {
    kdb *db = setup();
    set_string(db, "k", "v1");
    CHECK(seen.calls == 1 && !seen.had_entry && !seen.in_table);
    CHECK(db_lookup_read(db, "k", 1) != NULL);
    db_free_all();
}

TEST(overwrite_and_write_lookup_show_the_old_value) {
    kdb *db = setup();
    set_string(db, "k", "old");
    set_string(db, "k", "new");
    CHECK(seen.calls == 2 && seen.had_entry && seen.in_table && strcmp(seen.value, "old") == 0);
    CHECK(db_lookup_write(db, "k", 1) != NULL);
    CHECK(seen.calls == 3 && strcmp(seen.value, "new") == 0);
    /* A read lookup announces nothing. */
    CHECK(db_lookup_read(db, "k", 1) != NULL && seen.calls == 3);
    db_free_all();
}

TEST(ttl_changes_show_the_old_ttl) {
    kdb *db = setup();
    set_string(db, "k", "v");
    kobj *o = db_lookup_read(db, "k", 1);
    long long when = mstime() + 100000;
    o = db_set_expire(db, o, when);
    CHECK(seen.expire == OBJ_NO_EXPIRE);
    o = db_set_expire(db, o, when + 1);
    CHECK(seen.expire == when);
    int before = seen.calls;
    o = db_persist(db, o);
    CHECK(seen.calls == before + 1 && seen.expire == when + 1);
    db_persist(db, o);   /* no TTL: nothing changes, nothing is announced */
    CHECK(seen.calls == before + 1);
    db_free_all();
}

TEST(deletions_are_announced_with_the_entry_still_in_place) {
    kdb *db = setup();
    set_string(db, "k", "v");
    CHECK(db_delete(db, "k", 1) == 1);
    CHECK(seen.had_entry && seen.in_table && strcmp(seen.value, "v") == 0);
    CHECK(deleted_user == 1 && db_size(db) == 0);
    /* Unlinking (RENAME, MOVE) is a change of the source key too. */
    set_string(db, "a", "va");
    kobj *o = db_lookup_read(db, "a", 1);
    int before = seen.calls;
    db_unlink(db, o);
    CHECK(seen.calls == before + 1 && seen.in_table && strcmp(seen.value, "va") == 0);
    obj_free(o);
    db_free_all();
}

TEST(expiry_is_announced_then_reported) {
    kdb *db = setup();
    set_string(db, "k", "v");
    db_set_expire(db, db_lookup_read(db, "k", 1), mstime() - 1);
    int before = seen.calls;
    CHECK(db_lookup_read(db, "k", 1) == NULL);
    CHECK(seen.calls == before + 1 && seen.in_table && strcmp(seen.value, "v") == 0);
    CHECK(deleted_expired == 1 && misses == 1 && db_size(db) == 0);
    /* A write lookup's miss is not a keyspace miss. */
    CHECK(db_lookup_write(db, "nope", 4) == NULL && misses == 1);
    db_free_all();
}

TEST(whole_database_changes_come_before_and_after) {
    kdb *db = setup();
    set_string(db, "k", "v");
    set_string(db, "k2", "v");
    db_swap(db, db_by_id(1));
    CHECK(will_swap == 1 && size_at_will_swap == 2 && swapped == 1);
    CHECK(db_size(db) == 0 && db_size(db_by_id(1)) == 2);
    CHECK(db_flush(db_by_id(1), 0) == 2);
    CHECK(will_empty == 1 && size_at_will_empty == 2);
    db_free_all();
}

TEST(a_new_list_makes_its_key_ready) {
    kdb *db = setup();
    kobj *l = list_new_object("l", 1);
    list_append(l, "x", 1);
    db_add(db, l);
    CHECK(ready == 1);
    set_string(db, "s", "v");
    CHECK(ready == 1);
    db_free_all();
}

TEST(unset_hooks_are_skipped) {
    kdb *db = setup();
    memset(&keyspace_hooks, 0, sizeof(keyspace_hooks));
    set_string(db, "k", "v");
    db_set_expire(db, db_lookup_write(db, "k", 1), mstime() - 1);
    CHECK(db_lookup_read(db, "k", 1) == NULL);
    CHECK(seen.calls == 0);
    db_free_all();
}

int main(void) {
    RUN(add_is_announced_before_the_key_exists);
    RUN(overwrite_and_write_lookup_show_the_old_value);
    RUN(ttl_changes_show_the_old_ttl);
    RUN(deletions_are_announced_with_the_entry_still_in_place);
    RUN(expiry_is_announced_then_reported);
    RUN(whole_database_changes_come_before_and_after);
    RUN(a_new_list_makes_its_key_ready);
    RUN(unset_hooks_are_skipped);
    return unit_report();
}
