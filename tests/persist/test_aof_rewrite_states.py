"""The AOF rewrite's states beside redis-server 7.0.15: history files listed newest first and
deleted at once when aof-disable-auto-gc goes back to no; CONFIG SET appendonly yes during a
BGSAVE schedules the rewrite and writes nothing until it starts; three failed rewrites in a
row hold the automatic ones back ("triggered the limit"). Saves fail by kill -9 of their
child (the stand-in process of Keel's forkless saves)."""

import os
import signal
import subprocess

from helpers import ORACLE_SERVER, keel_binary, wait_until
from persist.aofutil import manifest

BOTH = (("keel", keel_binary()), ("redis", ORACLE_SERVER))


def _child(pid):
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    return int(out[0]) if out else None


def _pers(c):
    return c.info("persistence")


def _rewrite(c):
    c.execute_command("BGREWRITEAOF")
    wait_until(lambda: _pers(c)["aof_rewrite_in_progress"] == 0 and _pers(c)["aof_rewrite_scheduled"] == 0,
               20, what="the rewrite")


def _kill_save(srv, c, field):
    pid = [None]

    def child():
        pid[0] = _child(srv.proc.pid)
        return pid[0] is not None
    wait_until(child, 10, what="the save's child")
    os.kill(pid[0], signal.SIGKILL)
    wait_until(lambda: _pers(c)[field] == 0, 10, what="the save to fail")


def _files(srv):
    return sorted(os.listdir(os.path.join(srv.dir, "appendonlydir")))


def test_history_order_and_auto_gc(start_server):
    seen = {}
    for name, binary in BOTH:
        srv = start_server(["--appendonly", "yes"], binary=binary)
        c = srv.client()
        c.set("a", "1")
        c.config_set("aof-disable-auto-gc", "yes")
        _rewrite(c)
        c.set("b", "2")
        _rewrite(c)
        kept = (manifest(srv.dir), _files(srv))
        c.config_set("aof-disable-auto-gc", "no")
        after = manifest(srv.dir)   # at once, not after a cron
        wait_until(lambda: len(_files(srv)) == 3, 10, what="the history files deleted")
        seen[name] = (kept, after, _files(srv))
    assert seen["keel"] == seen["redis"], seen
    assert [t for _, _, t in seen["keel"][0][0]] == ["b", "h", "h", "h", "h", "i"]


def test_appendonly_yes_during_bgsave_waits_for_the_rewrite(start_server):
    seen = {}
    for name, binary in BOTH:
        srv = start_server(["--appendonly", "yes", "--enable-debug-command", "yes"], binary=binary)
        c = srv.client()
        c.set("k0", "v0")
        _rewrite(c)
        c.config_set("appendonly", "no")
        c.config_set("rdb-key-save-delay", 1000000)
        c.set("k1", "v1")
        c.execute_command("BGSAVE")
        wait_until(lambda: _pers(c)["rdb_bgsave_in_progress"] == 1, 10, what="the BGSAVE")
        c.config_set("appendonly", "yes")
        state = (_pers(c)["aof_rewrite_scheduled"], _pers(c)["aof_enabled"], manifest(srv.dir))
        c.set("k2", "v2")
        c.execute_command("DEBUG", "LOADAOF")   # nothing was written to the AOF meanwhile
        lost = (c.exists("k1"), c.exists("k2"), c.get("k0"))
        forks = c.info("stats")["total_forks"]
        _kill_save(srv, c, "rdb_bgsave_in_progress")
        c.config_set("rdb-key-save-delay", 0)
        wait_until(lambda: c.info("stats")["total_forks"] == forks + 1, 10, what="the scheduled rewrite")
        wait_until(lambda: _pers(c)["aof_rewrite_in_progress"] == 0, 20, what="the rewrite")
        c.set("k3", "v3")
        c.execute_command("DEBUG", "LOADAOF")
        seen[name] = (state, lost, manifest(srv.dir), c.get("k3"), _pers(c)["aof_enabled"])
    assert seen["keel"] == seen["redis"], seen
    assert seen["keel"][0][0] == 1 and seen["keel"][1] == (0, 0, b"v0") and seen["keel"][3] == b"v3"


def test_repeated_rewrite_failures_trigger_the_limit(start_server):
    seen = {}
    for name, binary in BOTH:
        srv = start_server(["--appendonly", "yes"], binary=binary)
        c = srv.client()
        c.config_set("rdb-key-save-delay", 10000000)
        c.set("k", "v")
        for _ in range(3):
            c.execute_command("BGREWRITEAOF")
            _kill_save(srv, c, "aof_rewrite_in_progress")
        failed = (manifest(srv.dir), _pers(c)["aof_last_bgrewrite_status"],
                  _pers(c)["aof_rewrites_consecutive_failures"])
        c.config_set("auto-aof-rewrite-percentage", 1)
        c.config_set("auto-aof-rewrite-min-size", "1kb")
        c.set("x", "x" * 1024)
        wait_until(lambda: "triggered the limit" in open(srv.logfile).read(), 10, what="the limit")
        limited = (_pers(c)["aof_rewrite_in_progress"], manifest(srv.dir))
        c.config_set("auto-aof-rewrite-percentage", 0)
        c.config_set("rdb-key-save-delay", 0)
        _rewrite(c)   # a manual rewrite is not limited
        seen[name] = (failed, limited, manifest(srv.dir), open(srv.logfile).read().count("triggered the limit"))
    assert seen["keel"] == seen["redis"], seen
    assert len(seen["keel"][0][0]) == 5 and seen["keel"][0][2] == 3


def test_switching_on_writes_to_a_temp_incr_until_the_first_rewrite(start_server):
    """CONFIG SET appendonly yes: the writes go to temp-appendonly.aof.incr, named in no
    manifest; a failed rewrite removes it ("Removing the temp incr aof file") and is tried
    again; the first success renames it to the first incremental file of the manifest."""
    seen = {}
    for name, binary in BOTH:
        srv = start_server(["--enable-debug-command", "yes"], binary=binary)
        c = srv.client()
        c.execute_command("DEBUG", "POPULATE", 4)   # a rewrite takes seconds (1 s per key)
        c.set("k0", "v0")
        c.config_set("rdb-key-save-delay", 1000000)
        c.config_set("appendonly", "yes")
        c.set("k1", "v1")
        d = os.path.join(srv.dir, "appendonlydir")
        wait_until(lambda: "temp-appendonly.aof.incr" in os.listdir(d), 10, what="the temp incr file")
        first = (_pers(c)["aof_rewrite_in_progress"], sorted(f for f in os.listdir(d) if f == "temp-appendonly.aof.incr" or not f.startswith("temp-")))
        forks = c.info("stats")["total_forks"]
        os.kill(_child(srv.proc.pid), signal.SIGKILL)   # a retry starts at once: no wait for the end
        log = lambda: open(srv.logfile).read().count("Removing the temp incr aof file")   # noqa: E731
        wait_until(lambda: log() == 1, 10, what="the temp file removed")
        after_fail = [f for f in os.listdir(d) if not f.startswith("temp-")]   # no manifest, no base yet
        wait_until(lambda: c.info("stats")["total_forks"] == forks + 1, 10, what="the rewrite tried again")
        c.set("k2", "v2")
        c.config_set("rdb-key-save-delay", 0)
        wait_until(lambda: _pers(c)["aof_rewrite_in_progress"] == 0 and _pers(c)["aof_rewrite_scheduled"] == 0 and
                   os.path.exists(os.path.join(d, "appendonly.aof.manifest")), 20, what="the rewrite")
        c.set("k3", "v3")
        digest = c.execute_command("DEBUG", "DIGEST")
        c.execute_command("DEBUG", "LOADAOF")
        seen[name] = (first, after_fail, log(), manifest(srv.dir), sorted(os.listdir(d)),
                      c.execute_command("DEBUG", "DIGEST") == digest, c.mget("k0", "k1", "k2", "k3"))
    assert seen["keel"] == seen["redis"], seen
    assert seen["keel"][3] == [("appendonly.aof.1.base.rdb", 1, "b"), ("appendonly.aof.1.incr.aof", 1, "i")]
    assert seen["keel"][5] and seen["keel"][6] == [b"v0", b"v1", b"v2", b"v3"]


def test_appendonly_yes_inside_multi_schedules_the_rewrite(start_server):
    """CONFIG SET appendonly yes inside MULTI/EXEC: the rewrite is scheduled (a base taken in the
    middle of the transaction would hold half of it), logged with Redis's line, and started by
    the cron; then the transaction's writes and later ones survive DEBUG LOADAOF."""
    seen = {}
    for name, binary in BOTH:
        srv = start_server(["--enable-debug-command", "yes"], binary=binary)
        c = srv.client()
        forks = c.info("stats")["total_forks"]
        p = c.pipeline(transaction=True)
        p.set("foo", "bar")
        p.config_set("appendonly", "yes")
        p.execute()
        wait_until(lambda: "AOF background was scheduled" in srv.read_logs(), 10, what="the log line")
        wait_until(lambda: c.info("stats")["total_forks"] > forks, 10, what="the scheduled rewrite")
        wait_until(lambda: _pers(c)["aof_rewrite_in_progress"] == 0 and _pers(c)["aof_rewrite_scheduled"] == 0,
                   20, what="the rewrite")
        c.set("after", "1")
        c.execute_command("DEBUG", "LOADAOF")
        line = [ln for ln in srv.read_logs().splitlines() if "AOF background was scheduled" in ln][0]
        seen[name] = (line.split(" # ", 1)[-1], c.get("foo"), c.get("after"), _pers(c)["aof_enabled"])
    assert seen["keel"] == seen["redis"], seen
    assert seen["keel"][1:] == (b"bar", b"1", 1)
