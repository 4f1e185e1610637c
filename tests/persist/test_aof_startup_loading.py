"""The load of the AOF at start-up serves clients, as redis-server 7.0.15 does: before every
1024th command of a file (and every loading-process-events-interval-bytes of an RDB base) the
server answers; INFO says loading:1 with the loading_* fields, commands without the loading
flag get -LOADING (the same bytes as Redis), DEBUG LOG runs, closed clients are freed, SIGTERM
stops the server before the load ends, and once the load is over the data set is complete
(also when the last command was cut and aof-load-truncated is on). key-load-delay
(microseconds per command) slows the load down instead of sleeping in the test."""

import os
import shutil
import signal
import time

from diff.resp import RespConnection, encode_command
from helpers import ORACLE_SERVER, Server, keel_binary, wait_until
from persist.rdbutil import start_loading_server

BASE_KEYS = 5000
INCR_CMDS = 6000


def resp(*args):
    return encode_command(args)


def _info(conn, section="persistence"):
    text = conn.call("INFO", section).to_py()
    text = text.decode() if isinstance(text, bytes) else text
    return dict(line.split(":", 1) for line in text.splitlines() if ":" in line and not line.startswith("#"))


def _aof_dir(tmp_path, truncated=False):
    """appendonlydir with an RDB base of BASE_KEYS strings (redis-server's DEBUG POPULATE + SAVE)
    and an incremental file of INCR_CMDS commands; with truncated, a cut command at the end."""
    src = Server(ORACLE_SERVER, name="aof-populate", extra_args=["--enable-debug-command", "yes"]).start()
    try:
        c = src.raw()
        assert c.call("DEBUG", "POPULATE", str(BASE_KEYS), "key", "100").raw == b"+OK\r\n"
        assert c.call("SAVE").raw == b"+OK\r\n"
        d = tmp_path / ("aofdir-trunc" if truncated else "aofdir")
        d.mkdir()
        shutil.copy(os.path.join(src.dir, "dump.rdb"), d / "appendonly.aof.1.base.rdb")
    finally:
        src.stop()
    incr = resp("select", 0) + b"".join(resp("rpush", "list", i) for i in range(INCR_CMDS))
    if truncated:
        incr += resp("set", "cut", "value")[:-7]
    (d / "appendonly.aof.1.incr.aof").write_bytes(incr)
    (d / "appendonly.aof.manifest").write_bytes(b"file appendonly.aof.1.base.rdb seq 1 type b\n"
                                                b"file appendonly.aof.1.incr.aof seq 1 type i\n")
    return str(d)


def _loading_server(binary, name, aofdir, extra=()):
    args = ["--appendonly", "yes", "--enable-debug-command", "yes", "--loading-process-events-interval-bytes", "1024",
            *extra]
    return start_loading_server(binary, name, args,
                                lambda d: shutil.copytree(aofdir, os.path.join(d, "appendonlydir")))


def test_clients_served_while_the_aof_loads(tmp_path):
    aofdir = _aof_dir(tmp_path)
    replies = {}
    for name, binary in (("keel", keel_binary()), ("redis", ORACLE_SERVER)):
        srv, c = _loading_server(binary, name + "-aof-loading", aofdir, ["--key-load-delay", "1000"])
        try:
            info = _info(c)
            assert info["loading"] == "1", (name, info)
            assert int(info["loading_total_bytes"]) > 0, (name, info)
            out = [c.call("GET", "key:1").raw, c.call("PING").raw, c.call("SET", "a", "b").raw,
                   c.call("DEBUG", "LOG", "while loading").raw]
            others = [RespConnection(srv.host, srv.port, timeout=5) for _ in range(5)]
            for o in others:
                assert o.call("DEBUG", "LOG", "bla").raw == b"+OK\r\n"
                o.close()

            def freed():
                return _info(c, "clients")["connected_clients"] == "1"
            wait_until(freed, 10, what="closed clients freed while the AOF loads")
            info = _info(c)
            assert info["loading"] == "1", (name, info)   # still loading
            assert 0 < int(info["loading_loaded_bytes"]) < int(info["loading_total_bytes"]), (name, info)
            replies[name] = out
            c.close()
            t0 = time.monotonic()
            srv.proc.send_signal(signal.SIGTERM)
            srv.proc.wait(timeout=10)
            assert time.monotonic() - t0 < 5, name      # did not wait for the load to end
        finally:
            srv.stop(check=False)
            srv.check_sanitizers()
    assert replies["keel"] == replies["redis"], replies
    assert replies["keel"][0].startswith(b"-LOADING ")


def test_the_data_set_is_complete_after_serving(tmp_path):
    """A loading server that was served meanwhile ends with the whole data set; a cut last
    command is dropped (aof-load-truncated) exactly as redis-server drops it."""
    for truncated in (False, True):
        aofdir = _aof_dir(tmp_path, truncated)
        seen = {}
        for name, binary in (("keel", keel_binary()), ("redis", ORACLE_SERVER)):
            srv, c = _loading_server(binary, "%s-aof-complete" % name, aofdir, ["--key-load-delay", "20"])
            try:
                polls = 0
                while _info(c)["loading"] == "1":
                    polls += 1
                    r = c.call("LLEN", "list").raw   # the load may end between the two calls
                    assert r.startswith(b"-LOADING") or r == b":%d\r\n" % INCR_CMDS, (name, r)
                    time.sleep(0.01)
                    assert polls < 3000, name
                seen[name] = [c.call("DBSIZE").raw, c.call("LLEN", "list").raw, c.call("LINDEX", "list", -1).raw,
                              c.call("GET", "key:77").raw, c.call("EXISTS", "cut").raw]
                c.close()
            finally:
                srv.stop()
        assert seen["keel"] == seen["redis"], (truncated, seen)
        assert seen["keel"][1] == b":%d\r\n" % INCR_CMDS


def test_kill_9_while_loading_keeps_the_files(tmp_path):
    """kill -9 in the middle of the load changes nothing on disk; the next start loads it all."""
    aofdir = _aof_dir(tmp_path)
    before = {f: open(os.path.join(aofdir, f), "rb").read() for f in os.listdir(aofdir)}
    srv, c = _loading_server(keel_binary(), "keel-aof-kill9", aofdir, ["--key-load-delay", "1000"])
    try:
        assert _info(c)["loading"] == "1"
        srv.proc.send_signal(signal.SIGKILL)
        srv.proc.wait(timeout=10)
        d = os.path.join(srv.dir, "appendonlydir")
        after = {f: open(os.path.join(d, f), "rb").read() for f in os.listdir(d)}
        assert after == before
        srv.extra_args = [a for a in srv.extra_args if a not in ("--key-load-delay", "1000")]
        srv.start()
        c = srv.raw()
        wait_until(lambda: _info(c)["loading"] == "0", 30, what="the second load to end")
        assert c.call("LLEN", "list").raw == b":%d\r\n" % INCR_CMDS
        assert c.call("DBSIZE").raw == b":%d\r\n" % (BASE_KEYS + 1)
    finally:
        srv.stop()
