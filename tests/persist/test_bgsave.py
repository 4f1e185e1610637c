"""The forkless BGSAVE's guarantee: the file holds the data set exactly as it was when BGSAVE
started, while clients write, delete, expire, rename, flush, swap databases and make the table
grow and shrink during the save.

Two ways to make random commands interleave with the save: slowed down with
rdb-key-save-delay (Keel spaces its steps out instead of sleeping, one key per timer tick), or
at full speed ("paced": the walk's slices run at the end of each pass of the event loop and
yield to ready clients) over a data set padded with DEBUG POPULATE filler keys (the commands
may delete some; the file must hold them all, with their values). The snapshot taken just before BGSAVE (by the only client) is compared
with what redis-server loads from the file.
"""

import os
import random
import shutil

import pytest

from helpers import ORACLE_SERVER, Server, keel_binary, long_mode, wait_until
from persist.rdbutil import assert_same, dataset, load, snapshot

ROUNDS = range(4) if long_mode() else range(2)


def _random_stream_write(c, rng, key):
    """A change to a stream's entries or to the state of its group g0 (rdbutil's datasets):
    deliveries, acknowledgements, claims, consumers, last ID."""
    cmds = [["XADD", key, "*", "f", "v"], ["XTRIM", key, "MAXLEN", "1"], ["XDEL", key, "0-1", "1-1"],
            ["XREADGROUP", "GROUP", "g0", "reader", "COUNT", "5", "STREAMS", key, ">"],
            ["XAUTOCLAIM", key, "g0", "claimer", "0", "0-0", "COUNT", "3"], ["XGROUP", "SETID", key, "g0", "0"],
            ["XGROUP", "CREATECONSUMER", key, "g0", "created"]]
    try:
        c.execute_command(*rng.choice(cmds))
        pending = c.execute_command("XPENDING", key, "g0", "-", "+", "2")
        if pending and rng.random() < 0.5:
            c.execute_command("XACK", key, "g0", pending[0][0])
        elif pending:
            c.execute_command("XCLAIM", key, "g0", "claimer", "0", pending[-1][0])
    except Exception:   # noqa: BLE001 - WRONGTYPE, no group: the key is unchanged
        pass


def _random_write(c, rng, keys, counter):
    key = rng.choice(keys) if keys and rng.random() < 0.8 else b"new:%d" % next(counter)
    op = rng.randrange(11)
    if op == 0:
        c.set(key, b"overwritten")
    elif op == 1:
        c.delete(key)
    elif op == 2:
        c.pexpire(key, rng.randint(1, 30))          # expires during the save
    elif op == 3:
        c.execute_command("APPEND", key + b":s", b"x")
    elif op == 4:
        try:
            c.lpush(key, b"pushed")
        except Exception:   # noqa: BLE001 - WRONGTYPE is fine, the key is unchanged
            pass
    elif op == 5:
        try:
            c.hset(key, b"field", b"value")
        except Exception:   # noqa: BLE001
            pass
    elif op == 6:
        try:
            c.rename(key, b"renamed:%d" % next(counter))
        except Exception:   # noqa: BLE001 - no such key
            pass
    elif op == 7:
        pipe = c.pipeline(transaction=False)          # growth: many new keys
        for _ in range(200):
            pipe.set(b"bulk:%d" % next(counter), b"v")
        pipe.execute()
    elif op == 8:
        batch = [k for k in c.scan(0, count=300)[1]]  # shrink: many deletions
        if batch:
            c.delete(*batch)
    elif op == 9:
        c.persist(key)
    else:
        c.execute_command("SELECT", 5)
        if rng.random() < 0.5:
            c.execute_command("FLUSHDB")
        else:
            c.execute_command("SWAPDB", 5, 6)
        c.execute_command("SELECT", 0)


FILLER = 200000


@pytest.mark.parametrize("mode", ["slowed", "paced"])
@pytest.mark.parametrize("seed", ROUNDS)
def test_bgsave_is_point_in_time(tmp_path, seed, mode):
    d = tmp_path / "keel"
    d.mkdir()
    slowed = mode == "slowed"
    keel = Server(keel_binary(), name="keel",
                  extra_args=["--rdb-key-save-delay", "300"] if slowed else ["--enable-debug-command", "yes"])
    keel.dir = str(d)
    keel.start()
    try:
        c = keel.client()
        load(c, dataset(500 + seed, nkeys=400, large=300))
        c.execute_command("SELECT", 6)
        c.set("in-db-6", "before")
        c.execute_command("SELECT", 0)
        expected = snapshot(c, dbs=(0, 5, 6))
        if not slowed:
            c.execute_command("DEBUG", "POPULATE", FILLER, "filler")
        keys = [k for (_, k) in expected if _ == 0]
        streams = [k for (db, k), v in expected.items() if db == 0 and v[0] == b"stream"]
        assert keel.raw().call("BGSAVE").raw == b"+Background saving started\r\n"
        rng = random.Random(seed)
        stream_rng = random.Random(seed)
        counter = iter(range(10 ** 9))
        writes = 0
        while c.info("persistence")["rdb_bgsave_in_progress"] == 1:
            _random_write(c, rng, keys, counter)
            _random_stream_write(c, stream_rng, stream_rng.choice(streams))
            writes += 1
        assert writes > 20, "the save ended before the writes could interleave"
        info = c.info("persistence")
        assert info["rdb_last_bgsave_status"] == "ok"
    finally:
        keel.stop()
    rdir = tmp_path / "redis"
    rdir.mkdir()
    shutil.copy(os.path.join(str(d), "dump.rdb"), str(rdir / "dump.rdb"))
    redis = Server(ORACLE_SERVER, name="redis")
    redis.dir = str(rdir)
    redis.start()
    try:
        rc = redis.client()
        assert_same(expected, snapshot(rc, dbs=(0, 5, 6), exclude=None if slowed else b"filler:"))
        if not slowed:
            own = sum(1 for (db, _) in expected if db == 0)
            assert rc.dbsize() == own + FILLER
            for i in random.Random(seed).sample(range(FILLER), 50):
                assert rc.get(b"filler:%d" % i) == b"value:%d" % i
    finally:
        redis.stop()


def test_bgsave_commands_and_info(tmp_path):
    keel = Server(keel_binary(), name="keel", extra_args=["--rdb-key-save-delay", "2000"])
    keel.start()
    try:
        c = keel.client()
        c.mset({"a%d" % i: i for i in range(50)})
        raw = keel.raw()
        assert raw.call("BGSAVE").raw == b"+Background saving started\r\n"
        info = c.info("persistence")
        assert info["rdb_bgsave_in_progress"] == 1 and info["current_save_keys_total"] == 50
        assert raw.call("BGSAVE").raw == b"-ERR Background save already in progress\r\n"
        assert raw.call("SAVE").raw == b"-ERR Background save already in progress\r\n"
        assert raw.call("BGSAVE", "SCHEDULE").raw == b"+Background saving scheduled\r\n"
        c.config_set("rdb-key-save-delay", "0")
        wait_until(lambda: c.info("persistence")["rdb_saves"] >= 2, 30, what="the scheduled save")
        assert c.info("persistence")["rdb_changes_since_last_save"] == 0
    finally:
        keel.stop()
