"""The load of the RDB file at start-up serves clients, as redis-server 7.0.15 does: every
loading-process-events-interval-bytes of the file the server answers, INFO says loading:1,
commands without the loading flag get -LOADING (the same bytes as Redis), DEBUG LOG runs,
closed clients are freed, and SIGTERM stops the server before the load ends. key-load-delay
(microseconds per key) slows the load down instead of sleeping in the test."""

import os
import shutil
import signal
import time

from diff.resp import RespConnection
from helpers import ORACLE_SERVER, Server, keel_binary, wait_until
from persist.rdbutil import start_loading_server

KEYS = 20000


def _info_field(conn, field):
    text = conn.call("INFO", "persistence").to_py()
    text = text.decode() if isinstance(text, bytes) else text
    for line in text.splitlines():
        if line.startswith(field + ":"):
            return line.split(":", 1)[1]
    return None


def _rdb(tmp_path):
    """A dump.rdb of KEYS 1000-byte strings (written by redis-server's DEBUG POPULATE + SAVE)."""
    src = Server(ORACLE_SERVER, name="populate", extra_args=["--enable-debug-command", "yes",
                                                           "--rdbcompression", "no"]).start()
    try:
        c = src.raw()
        assert c.call("DEBUG", "POPULATE", str(KEYS), "key", "1000").raw == b"+OK\r\n"
        assert c.call("SAVE").raw == b"+OK\r\n"
        path = str(tmp_path / "dump.rdb")
        shutil.copy(os.path.join(src.dir, "dump.rdb"), path)
        return path
    finally:
        src.stop()


def _loading_server(binary, name, rdb, extra=()):
    args = ["--enable-debug-command", "yes", "--key-load-delay", "200", "--loading-process-events-interval-bytes", "1024",
            *extra]
    return start_loading_server(binary, name, args, lambda d: shutil.copy(rdb, os.path.join(d, "dump.rdb")))


def test_clients_served_while_loading(tmp_path):
    rdb = _rdb(tmp_path)
    replies = {}
    for name, binary in (("keel", keel_binary()), ("redis", ORACLE_SERVER)):
        srv, c = _loading_server(binary, name + "-loading", rdb)
        try:
            assert _info_field(c, "loading") == "1", name
            out = [c.call("GET", "key:1").raw, c.call("PING").raw, c.call("SET", "a", "b").raw,
                   c.call("DEBUG", "LOG", "while loading").raw]
            others = [RespConnection(srv.host, srv.port, timeout=5) for _ in range(5)]
            for o in others:
                assert o.call("DEBUG", "LOG", "bla").raw == b"+OK\r\n"
                o.close()

            def freed():
                text = c.call("INFO", "clients").to_py()
                text = text.decode() if isinstance(text, bytes) else text
                return "connected_clients:1\r" in text or "connected_clients:1\n" in text
            wait_until(freed, 10, what="closed clients freed during loading")
            assert _info_field(c, "loading") == "1", name   # still loading
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


def test_loaded_data_after_serving(tmp_path):
    rdb = _rdb(tmp_path)
    srv = Server(keel_binary(), name="keel-load", extra_args=["--loading-process-events-interval-bytes", "1024"])
    shutil.copy(rdb, os.path.join(srv.dir, "dump.rdb"))
    srv.start()
    try:
        c = srv.raw()
        wait_until(lambda: _info_field(c, "loading") == "0", 30, what="the load to end")
        assert c.call("DBSIZE").raw == b":%d\r\n" % KEYS
        assert c.call("STRLEN", "key:7").raw == b":1000\r\n"
        assert _info_field(c, "loading") == "0"
    finally:
        srv.stop()


def test_shutdown_while_loading_does_not_save(tmp_path):
    """SHUTDOWN (even SAVE, with save points) during the load exits without writing the half
    loaded data set over the file, as Redis forces NOSAVE while loading."""
    rdb = _rdb(tmp_path)
    before = open(rdb, "rb").read()
    srv, c = _loading_server(keel_binary(), "keel-shutdown-loading", rdb, ["--save", "3600 1"])
    try:
        assert _info_field(c, "loading") == "1"
        c.send("SHUTDOWN", "SAVE")
        srv.proc.wait(timeout=10)
        assert open(os.path.join(srv.dir, "dump.rdb"), "rb").read() == before
    finally:
        srv.stop(check=False)
        srv.check_sanitizers()
