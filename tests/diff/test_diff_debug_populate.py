"""DEBUG POPULATE against redis-server 7.0.15, reply by reply: the keys and values it creates
(default and given prefixes, values cut or padded with zero bytes to the size, a prefix cut at
127 bytes of name), existing keys left alone, expired ones replaced, WATCH broken, nothing
counted as a change, and the argument errors."""

import pytest

from diff.runner import C, run_script
from helpers import ORACLE_SERVER

LONG_PREFIX = "p" * 130

SCRIPT = [
    ["DEBUG", "POPULATE", "10"],
    ["DBSIZE"],
    ["GET", "key:0"],
    ["GET", "key:9"],
    ["EXISTS", "key:10"],
    ["OBJECT", "ENCODING", "key:3"],
    C("KEYS", "*", unordered=True),
    ["SET", "key:20", "mine"],
    ["DEBUG", "POPULATE", "25"],
    ["GET", "key:20"],
    ["GET", "key:24"],
    ["DBSIZE"],
    ["DEBUG", "POPULATE", "5", "pre"],
    C("KEYS", "pre*", unordered=True),
    ["GET", "pre:4"],
    ["DEBUG", "POPULATE", "4", "sz", "3"],
    ["GET", "sz:2"],
    ["DEBUG", "POPULATE", "4", "pad", "12"],
    ["GET", "pad:3"],
    ["STRLEN", "pad:3"],
    ["OBJECT", "ENCODING", "pad:3"],
    ["DEBUG", "POPULATE", "2", "big", "100"],
    ["GET", "big:1"],
    ["OBJECT", "ENCODING", "big:1"],
    ["DEBUG", "POPULATE", "3", "zero", "0"],
    ["GET", "zero:2"],
    ["DEBUG", "POPULATE", "3", "num", "7"],
    ["GET", "num:1"],
    ["OBJECT", "ENCODING", "num:1"],
    ["DEBUG", "POPULATE", "2", LONG_PREFIX],
    C("KEYS", "ppp*", unordered=True),
    ["DEBUG", "POPULATE", "2", ""],
    C("KEYS", ":*", unordered=True),
    ["DEBUG", "POPULATE", "0"],
    ["DEBUG", "POPULATE", "0", "x", "99999999999"],
    ["SET", "key:3", "short-lived", "PX", "1"],
    ["DEBUG", "SLEEP", "0.01"],
    ["DEBUG", "POPULATE", "5"],
    ["GET", "key:3"],
    ["TTL", "key:3"],
    ["WATCH", "w:1"],
    ["DEBUG", "POPULATE", "3", "w"],
    ["MULTI"],
    ["GET", "w:1"],
    ["EXEC"],
    ["SELECT", "1"],
    ["DEBUG", "POPULATE", "3"],
    ["DBSIZE"],
    ["SELECT", "0"],
    ["DEBUG", "DIGEST"],
    # errors
    ["DEBUG", "POPULATE", "-1"],
    ["DEBUG", "POPULATE", "x"],
    ["DEBUG", "POPULATE", "1.5"],
    ["DEBUG", "POPULATE", "99999999999999999999"],
    ["DEBUG", "POPULATE", "3", "e", "-1"],
    ["DEBUG", "POPULATE", "3", "e", "x"],
    ["DEBUG", "POPULATE", "-1", "e", "x"],
    ["DEBUG", "POPULATE"],
    ["DEBUG", "POPULATE", "1", "a", "1", "extra"],
    ["DEBUG", "populate", "2", "lower"],
    ["GET", "lower:1"],
]


@pytest.mark.parametrize("proto", [2, 3])
def test_debug_populate(start_server, keel_bin, proto):
    keel = start_server(["--enable-debug-command", "yes"], binary=keel_bin)
    oracle = start_server(["--enable-debug-command", "yes"], binary=ORACLE_SERVER)
    run_script(keel, oracle, SCRIPT, hello3=(proto == 3))


def test_debug_populate_is_not_a_change(start_server, keel_bin):
    """Nothing is counted in rdb_changes_since_last_save (Redis does not touch server.dirty)."""
    import redis
    for binary in (keel_bin, ORACLE_SERVER):
        srv = start_server(["--enable-debug-command", "yes"], binary=binary)
        r = redis.Redis(host=srv.host, port=srv.port)
        try:
            before = r.info("persistence")["rdb_changes_since_last_save"]
            assert r.execute_command("DEBUG", "POPULATE", "1000") == b"OK"
            assert r.dbsize() == 1000
            assert r.info("persistence")["rdb_changes_since_last_save"] == before, binary
        finally:
            r.close()


def test_debug_populate_absurd_sizes_refused(start_server, keel_bin):
    """Redis runs out of memory and aborts; Keel answers an error and adds nothing."""
    import redis
    srv = start_server(["--enable-debug-command", "yes"], binary=keel_bin)
    r = redis.Redis(host=srv.host, port=srv.port)
    try:
        for args in (["1000000000000000000"], ["2", "k", "9223372036854775807"]):
            with pytest.raises(redis.ResponseError, match="OOM"):
                r.execute_command("DEBUG", "POPULATE", *args)
        assert r.dbsize() == 0
        assert r.ping()
    finally:
        r.close()
