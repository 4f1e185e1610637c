"""Loading an AOF, beside redis-server 7.0.15: while a long script in the AOF runs during DEBUG
LOADAOF, other clients get -LOADING (not -BUSY); old (pre-7.0) single-file AOFs are upgraded
into the multi-part layout."""

import os

from helpers import ORACLE_SERVER, keel_binary, wait_until
from persist.aofutil import manifest

SLOW = ("redis.call('set',KEYS[1],'y'); for i=1,1500000 do redis.call('ping') end return 'ok'")


def resp(*args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    return out


def test_clients_get_loading_during_a_slow_script_in_the_aof(start_server):
    errors = []
    for binary in (keel_binary(), ORACLE_SERVER):
        srv = start_server(["--appendonly", "yes", "--lua-time-limit", "1", "--aof-use-rdb-preamble", "no",
                            "--enable-debug-command", "yes"], binary=binary)
        c = srv.client()
        incr = os.path.join(srv.dir, "appendonlydir", manifest(srv.dir)[-1][0])
        with open(incr, "ab") as f:
            f.write(resp("select", 9) + resp("eval", SLOW, 1, "x"))
        loader = srv.raw()
        try:
            loader.send("DEBUG", "LOADAOF")
            seen = []

            def loading():
                try:
                    c.ping()
                except Exception as e:   # noqa: BLE001 - the error reply is what we look for
                    seen.append((type(e).__name__, str(e)))
                    return True
                return False
            wait_until(loading, 20, interval=0.005, what="an error reply while loading")
            assert loader.read_reply().raw is not None
        finally:
            loader.close()
        errors.append(seen[0])
        c.execute_command("SELECT", 9)
        assert c.get("x") == b"y"
    assert errors[0] == errors[1], errors
    assert "loading the dataset" in errors[0][1], errors
