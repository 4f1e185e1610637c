"""The end of a BGSAVE: the fsync, the rename over dump.rdb and the directory fsync run in a
background thread, not on the event loop. rdb-fsync-delay (a hidden Keel test knob,
microseconds) slows that commit down so the tests can act while it runs:

- the loop keeps answering (PING) while the commit is slow, the save still counts as in
  progress (INFO, LASTSAVE unchanged) and completes with the same file redis-server loads;
- a kill -9 during the commit leaves the previous dump.rdb intact (the rename is atomic).
"""

import os
import shutil
import time

from helpers import ORACLE_SERVER, Server, keel_binary, wait_until
from persist.rdbutil import assert_same, dataset, load, snapshot

DELAY_US = 1500000


def _in_commit(c, info=None):
    """The keys are all written and the save is still in progress: the commit is running."""
    info = info or c.info("persistence")
    return (info["rdb_bgsave_in_progress"] == 1
            and info["current_save_keys_processed"] == info["current_save_keys_total"])


def _loaded_by_redis(tmp_path, path, name):
    rdir = tmp_path / name
    rdir.mkdir()
    shutil.copy(path, str(rdir / "dump.rdb"))
    redis = Server(ORACLE_SERVER, name="redis")
    redis.dir = str(rdir)
    redis.start()
    try:
        return snapshot(redis.client(), dbs=(0, 5))
    finally:
        redis.stop()


def test_loop_answers_during_the_commit(tmp_path):
    d = tmp_path / "keel"
    d.mkdir()
    keel = Server(keel_binary(), name="keel", extra_args=["--rdb-fsync-delay", str(DELAY_US)])
    keel.dir = str(d)
    keel.start()
    try:
        c = keel.client()
        load(c, dataset(42, nkeys=200, large=100))
        expected = snapshot(c, dbs=(0, 5))
        info = c.info("persistence")
        before, saves = info["rdb_last_save_time"], info["rdb_saves"]
        start = time.monotonic()
        assert keel.raw().call("BGSAVE").raw == b"+Background saving started\r\n"
        wait_until(lambda: _in_commit(c), 10, what="the commit phase")
        pings, worst = 0, 0.0
        while True:
            info = c.info("persistence")   # one reply: state and LASTSAVE seen together
            if not _in_commit(c, info):
                break
            assert info["rdb_last_save_time"] == before, "LASTSAVE moved before the file was committed"
            assert info["rdb_saves"] == saves
            t = time.monotonic()
            assert c.ping()
            worst = max(worst, time.monotonic() - t)
            pings += 1
        elapsed = time.monotonic() - start
        assert elapsed >= DELAY_US / 1e6 * 0.9, "the commit did not wait for the delay"
        assert pings >= 10, "too few PINGs answered during a %.1fs commit" % elapsed
        assert worst < 0.5, "a PING waited %.3fs during the commit" % worst
        info = c.info("persistence")
        assert info["rdb_bgsave_in_progress"] == 0
        assert info["rdb_last_bgsave_status"] == "ok"
        assert info["rdb_saves"] == saves + 1
        assert info["rdb_last_save_time"] >= before
        assert not [f for f in os.listdir(str(d)) if f.startswith("temp-")]
    finally:
        keel.stop()
    assert_same(expected, _loaded_by_redis(tmp_path, os.path.join(str(d), "dump.rdb"), "redis"))


def test_kill_during_the_commit_keeps_the_old_file(tmp_path):
    d = tmp_path / "keel"
    d.mkdir()
    keel = Server(keel_binary(), name="keel")
    keel.dir = str(d)
    keel.start()
    try:
        c = keel.client()
        load(c, dataset(7, nkeys=100, large=50))
        old = snapshot(c, dbs=(0, 5))
        assert c.save()
        c.flushall()   # with no save points FLUSHALL does not save
        load(c, dataset(8, nkeys=100, large=50))
        c.config_set("rdb-fsync-delay", str(DELAY_US * 4))
        assert c.bgsave()
        wait_until(lambda: _in_commit(c), 10, what="the commit phase")
        keel.kill()
    finally:
        keel.stop(check=False)
    assert_same(old, _loaded_by_redis(tmp_path, os.path.join(str(d), "dump.rdb"), "redis"))
