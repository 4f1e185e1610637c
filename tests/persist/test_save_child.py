"""A forkless save has a stand-in child process (persist/bgsave.c), so that a save is aborted
the way Redis's is, by killing its child: kill -9 of the only child of the server during
BGSAVE and BGREWRITEAOF fails the save (rdb_last_bgsave_status / aof_last_bgrewrite_status
err, no temp file left, the previous files intact, the incremental file opened by the failed
rewrite kept in the manifest), beside redis-server; the next save succeeds; the child ends when
the save ends and when the server is killed."""

import os
import signal
import subprocess
import time

from helpers import ORACLE_SERVER, keel_binary, wait_until
from persist.aofutil import manifest


def _children(pid):
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    return [int(p) for p in out]


def _pers(c):
    return c.info("persistence")


def test_killing_the_save_child_fails_the_save(start_server):
    results = {}
    for name, binary in (("keel", keel_binary()), ("redis", ORACLE_SERVER)):
        srv = start_server(["--appendonly", "yes", "--enable-debug-command", "yes"], binary=binary)
        c = srv.client()
        c.execute_command("DEBUG", "POPULATE", 200)
        c.config_set("rdb-key-save-delay", 100000)
        pid = srv.proc.pid
        seen = []
        for cmd, field in (("BGREWRITEAOF", "aof_last_bgrewrite_status"), ("BGSAVE", "rdb_last_bgsave_status")):
            c.execute_command(cmd)
            wait_until(lambda: len(_children(pid)) == 1, 10, what="the save's child")
            os.kill(_children(pid)[0], signal.SIGKILL)
            wait_until(lambda: _pers(c)["rdb_bgsave_in_progress"] == 0 and _pers(c)["aof_rewrite_in_progress"] == 0,
                       10, what="the save to fail")
            seen.append((cmd, _pers(c)[field]))
        files = sorted(os.listdir(os.path.join(srv.dir, "appendonlydir")))
        temps = [f for f in os.listdir(srv.dir) + files if f.startswith("temp-")]
        seen += [("temps", temps), ("manifest", manifest(srv.dir)), ("dump", os.path.exists(os.path.join(srv.dir, "dump.rdb")))]
        c.config_set("rdb-key-save-delay", 0)
        c.execute_command("BGREWRITEAOF")
        wait_until(lambda: _pers(c)["aof_rewrite_in_progress"] == 0, 20, what="the rewrite")
        seen.append(("after", _pers(c)["aof_last_bgrewrite_status"], manifest(srv.dir)))
        wait_until(lambda: not _children(pid), 10, what="the child to be gone")
        digest = c.execute_command("DEBUG", "DIGEST")
        c.execute_command("DEBUG", "LOADAOF")
        assert c.execute_command("DEBUG", "DIGEST") == digest
        results[name] = seen
    assert results["keel"] == results["redis"], results
    assert results["keel"][0] == ("BGREWRITEAOF", "err") and results["keel"][1] == ("BGSAVE", "err")


def test_the_child_ends_with_the_server(start_server):
    srv = start_server(["--enable-debug-command", "yes"])
    c = srv.client()
    c.execute_command("DEBUG", "POPULATE", 100)
    c.config_set("rdb-key-save-delay", 1000000)
    c.execute_command("BGSAVE")
    wait_until(lambda: len(_children(srv.proc.pid)) == 1, 10, what="the save's child")
    child = _children(srv.proc.pid)[0]
    with open("/proc/%d/cmdline" % child, "rb") as f:
        assert b"--forkless-save-child" in f.read()
    # no descriptor of the server (they are closed right after the exec)
    wait_until(lambda: sorted(os.listdir("/proc/%d/fd" % child)) == ["0", "1", "2"], 10,
               what="the child's inherited descriptors closed")
    srv.proc.send_signal(signal.SIGKILL)
    srv.proc.wait(timeout=10)

    def gone():
        try:
            with open("/proc/%d/stat" % child) as f:
                return f.read().split(")")[1].split()[0] == "Z"
        except OSError:
            return True
    deadline = time.monotonic() + 10
    while not gone():
        assert time.monotonic() < deadline, "the save's child outlived the server"
        time.sleep(0.01)


def test_turning_off_the_aof_kills_the_rewrite_child(start_server):
    """CONFIG SET appendonly no during a rewrite logs "Killing running AOF rewrite child: <pid>"
    with the child's pid and the child is gone, as with redis-server."""
    for name, binary in (("keel", keel_binary()), ("redis", ORACLE_SERVER)):
        srv = start_server(["--appendonly", "yes"], binary=binary)
        c = srv.client()
        c.set("k", "v")
        c.config_set("rdb-key-save-delay", 10000000)
        c.execute_command("BGREWRITEAOF")
        wait_until(lambda: len(_children(srv.proc.pid)) == 1, 10, what="the rewrite's child")
        child = _children(srv.proc.pid)[0]
        c.config_set("appendonly", "no")
        wait_until(lambda: "Killing running AOF rewrite child: %d" % child in open(srv.logfile).read(), 10,
                   what="%s: the kill logged" % name)
        wait_until(lambda: child not in _children(srv.proc.pid), 10, what="%s: the child gone" % name)
        assert _pers(c)["aof_rewrite_in_progress"] == 0, name
