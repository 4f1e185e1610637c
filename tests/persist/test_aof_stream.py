"""The write stream, differentially: the same commands sent to Keel and to redis-server, both
with appendonly yes, and what each appended to its incremental AOF file compared command by
command (absolute times from relative TTLs may differ by the moment each server ran them).

Covers Redis 7.0's rewrites (relative TTLs to PXAT/PEXPIREAT, non-deterministic commands to what
they did, blocking pops to plain pops), commands that change nothing, MULTI/EXEC and scripts
(wrapped only with several writes), SELECT, PUBLISH and SCRIPT LOAD/FLUSH, lazy and active expiry
and eviction (DEL, or UNLINK with lazyfree), and blocked clients served by another client.
"""

import time

import pytest

from diff.runner import C, run_script
from helpers import ORACLE_SERVER, Server, keel_binary, wait_until
from persist.aofutil import AofTail, stream_difference

AOF_ARGS = ["--appendonly", "yes", "--aof-timestamp-enabled", "no", "--appendfsync", "no",
            "--enable-debug-command", "yes"]


@pytest.fixture(scope="module")
def aof_pair():
    servers = []
    try:
        for binary, name in ((keel_binary(), "keel-aof"), (ORACLE_SERVER, "redis-aof")):
            servers.append(Server(binary, AOF_ARGS, name=name).start())
        yield servers[0], servers[1]
    finally:
        for s in servers:
            s.stop()
            s.cleanup()


@pytest.fixture
def streams(aof_pair):
    """Both servers with default settings and the tails of their AOFs, read to the end."""
    keel, redis = aof_pair
    for s in (keel, redis):
        c = s.client()
        c.config_set("lazyfree-lazy-expire", "no")
        c.config_set("lazyfree-lazy-eviction", "no")
        c.config_set("lazyfree-lazy-server-del", "no")
        c.config_set("maxmemory", "0")
        c.config_set("stream-node-max-entries", "100")
        c.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "1")
        c.close()
    tails = AofTail(keel), AofTail(redis)
    for t in tails:
        t.read_new()
    return keel, redis, tails


def check_stream(tails, expect_writes=True):
    keel_cmds, redis_cmds = (t.commands() for t in tails)
    why = stream_difference(keel_cmds, redis_cmds)
    assert why is None, why
    # The scenario must reach the stream at all (or, for the no-op ones, must not).
    assert bool(redis_cmds) == expect_writes, redis_cmds


def both(aof_pair, fn):
    """fn(client) on Keel then on redis-server; the replies must be equal."""
    replies = []
    for s in aof_pair:
        c = s.client()
        try:
            replies.append(fn(c))
        finally:
            c.close()
    assert replies[0] == replies[1], replies
    return replies[0]


FAR = str(int(time.time()) + 100000)            # an absolute time in the future (seconds)
FAR_MS = str(int(time.time() * 1000) + 100000000)
PAST = "1000"

SCRIPTS = {
    "set_ttls": [
        ("SET", "a", "1"), ("set", "b", "2", "EX", "100"), ("SET", "c", "3", "px", "100000"),
        ("SET", "d", "4", "EXAT", FAR), ("SET", "e", "5", "PXAT", FAR_MS), ("SET", "a", "x", "KEEPTTL"),
        ("SET", "b", "y", "NX"), ("SET", "b", "z", "XX", "GET"), ("SET", "f", "6", "NX", "GET", "EX", "50"),
        ("SETNX", "a", "no"), ("SETNX", "g", "yes"), ("SETEX", "h", "100", "v"), ("PSETEX", "i", "100000", "v"),
        ("GETSET", "a", "new"), ("MSET", "m1", "1", "m2", "2"), ("MSETNX", "m1", "x", "m3", "y"),
    ],
    "getex_getdel": [
        ("SET", "k", "v"), ("GETEX", "k"), ("GETEX", "k", "EX", "100"), ("GETEX", "k", "PX", "100000"),
        ("GETEX", "k", "EXAT", FAR), ("GETEX", "k", "PXAT", FAR_MS), ("GETEX", "k", "PERSIST"),
        ("GETEX", "k", "PERSIST"), ("GETEX", "nokey", "EX", "10"), ("GETEX", "k", "EXAT", PAST),
        ("SET", "k2", "v"), ("GETDEL", "k2"), ("GETDEL", "k2"),
    ],
    "expire_family": [
        ("SET", "k", "v"), ("EXPIRE", "k", "100"), ("PEXPIRE", "k", "200000"), ("EXPIREAT", "k", FAR),
        ("pexpireat", "k", FAR_MS), ("EXPIRE", "k", "300", "NX"), ("EXPIRE", "k", "300", "XX"),
        ("EXPIRE", "k", "30", "GT"), ("EXPIRE", "k", "30", "LT"), ("PERSIST", "k"), ("PERSIST", "k"),
        ("EXPIRE", "nokey", "10"), ("EXPIRE", "k", "-1"), ("SET", "k", "v"), ("PEXPIREAT", "k", PAST),
        ("SET", "k", "v"), ("EXPIREAT", "k", PAST),
    ],
    "floats": [
        ("INCRBYFLOAT", "f", "1.5"), ("INCRBYFLOAT", "f", "0.1"), ("SET", "t", "1", "EX", "100"),
        ("INCRBYFLOAT", "t", "2.5e3"), ("HINCRBYFLOAT", "h", "x", "1.25"), ("HINCRBYFLOAT", "h", "x", "3"),
        ("INCRBYFLOAT", "f", "abc"),
    ],
    "counters_and_noops": [
        ("INCR", "n"), ("INCRBY", "n", "5"), ("DECR", "n"), ("DECRBY", "n", "2"), ("APPEND", "s", "ab"),
        ("SETRANGE", "s", "5", "x"), ("SETBIT", "bits", "7", "1"), ("SETBIT", "bits", "7", "1"),
        ("DEL", "nokey"), ("UNLINK", "nokey"), ("SREM", "noset", "a"), ("HDEL", "nohash", "f"),
        ("LREM", "nolist", "0", "a"), ("ZREM", "nozset", "a"), ("LPUSHX", "nolist", "a"), ("PERSIST", "s"),
        ("GET", "s"), ("EXISTS", "s"), ("DEL", "s", "n", "nokey"),
    ],
    "spop_single_and_whole": [
        ("SADD", "s", "only"), ("SPOP", "s"), ("SADD", "s", "a", "b", "c"), C("SPOP", "s", "3", unordered=True),
        ("SADD", "s", "1", "2"), C("SPOP", "s", "10", unordered=True), ("SPOP", "s"), ("SPOP", "s", "2"),
    ],
    "list_pops": [
        ("RPUSH", "l", "a", "b", "c", "d", "e"), ("LPOP", "l"), ("RPOP", "l", "1"), ("BLPOP", "l", "0"),
        ("BRPOP", "nol", "l", "0"), ("LMPOP", "2", "nol", "l", "LEFT", "COUNT", "5"),
        ("RPUSH", "l", "a", "b", "c"), ("LMPOP", "1", "l", "RIGHT"), ("BLMPOP", "0", "1", "l", "left", "COUNT", "1"),
        ("RPUSH", "src", "x", "y"), ("BLMOVE", "src", "dst", "left", "RIGHT", "0"),
        ("BRPOPLPUSH", "src", "dst", "0"), ("LMOVE", "dst", "dst", "LEFT", "LEFT"), ("RPOPLPUSH", "dst", "d2"),
        ("LMPOP", "1", "nol", "LEFT"),
    ],
    "zset_pops": [
        ("ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d"), ("ZPOPMIN", "z"), ("ZPOPMAX", "z", "1"),
        ("BZPOPMIN", "z", "0"), ("ZADD", "z", "5", "e", "6", "f"), ("BZPOPMAX", "noz", "z", "0"),
        ("ZMPOP", "1", "z", "MIN", "COUNT", "10"), ("ZADD", "z", "1", "a", "2", "b"), ("ZMPOP", "1", "z", "MAX"),
        ("BZMPOP", "0", "1", "z", "min", "COUNT", "1"), ("ZMPOP", "1", "z", "MIN"),
    ],
    "multi_exec": [
        ("MULTI",), ("SET", "a", "1"), ("EXEC",),
        ("MULTI",), ("SET", "a", "1"), ("INCR", "a"), ("EXEC",),
        ("MULTI",), ("GET", "a"), ("EXEC",),
        ("MULTI",), ("SET", "b", "1"), ("SELECT", "3"), ("SET", "b", "2"), ("SELECT", "0"), ("EXEC",),
        ("MULTI",), ("SET", "c", "1", "EX", "100"), ("SPOP", "noset"), ("DEL", "nokey"), ("EXEC",),
        ("MULTI",), ("DISCARD",), ("MULTI",), ("INCR", "a"), ("INCRBYFLOAT", "a", "x"), ("SET", "d", "1"), ("EXEC",),
    ],
    "scripts": [
        ("EVAL", "return 1", "0"),
        ("EVAL", "redis.call('set', KEYS[1], 'v')", "1", "k1"),
        ("EVAL", "redis.call('set', 'k2', '1'); redis.call('incr', 'k2'); return redis.call('get', 'k2')", "0"),
        ("EVAL", "redis.call('select', 5); redis.call('set', 'k3', 'x')", "0"),
        ("EVAL", "redis.call('set', 'k4', 'x', 'EX', 100); redis.call('expire', 'k4', 200)", "0"),
        ("EVAL", "return redis.call('get', 'k1')", "0"),
        ("EVAL", "redis.call('spop', 'noset'); redis.call('del', 'nokey')", "0"),
        ("SCRIPT", "LOAD", "redis.call('incr', 'k5')"),
        ("EVALSHA", "<sha of the script loaded>", "0"),
        ("SCRIPT", "FLUSH"), ("PUBLISH", "chan", "msg"), ("SET", "after", "1"),
    ],
    "script_set_repl": [
        ("EVAL", "redis.set_repl(redis.REPL_NONE); redis.call('set', 'r1', '1');"
                 " redis.set_repl(redis.REPL_AOF); redis.call('set', 'r2', '2');"
                 " redis.set_repl(redis.REPL_ALL); redis.call('set', 'r3', '3')", "0"),
        ("EVAL", "redis.set_repl(redis.REPL_NONE); redis.call('set', 'r4', '4')", "0"),
        ("EVAL", "redis.set_repl(redis.REPL_NONE); redis.call('set', 'r5', '5');"
                 " redis.set_repl(redis.REPL_AOF); redis.call('set', 'r6', '6')", "0"),
        ("EVAL", "redis.call('set', 'r7', '7')", "0"),
        ("EVAL", "redis.set_repl(42)", "0"), ("EVAL", "redis.set_repl()", "0"),
        ("EVAL", "redis.set_repl(redis.REPL_REPLICA); redis.call('set', 'r8', '8')", "0"),
        ("GET", "r1"), ("GET", "r4"), ("GET", "r8"),
    ],
    "stream_groups": [
        ("XADD", "s", "1-0", "f", "v"), ("XADD", "s", "2-0", "f", "v"), ("XADD", "s", "3-0", "f", "v"),
        ("XGROUP", "CREATE", "s", "g", "0"), ("XGROUP", "CREATE", "s", "n", "$"),
        ("XREADGROUP", "GROUP", "g", "alice", "COUNT", "2", "STREAMS", "s", ">"),
        ("XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", "0"),
        ("XREADGROUP", "GROUP", "g", "bob", "NOACK", "STREAMS", "s", ">"),
        ("XREADGROUP", "GROUP", "g", "bob", "STREAMS", "s", ">"),
        ("XGROUP", "SETID", "s", "n", "0"), ("XREADGROUP", "GROUP", "n", "nick", "NOACK", "STREAMS", "s", ">"),
        ("XCLAIM", "s", "g", "carol", "0", "1", "2-0", "JUSTID"), ("XCLAIM", "s", "g", "carol", "0", "9-0", "LASTID", "9-0"),
        ("XDEL", "s", "1-0"), ("XAUTOCLAIM", "s", "g", "dave", "0", "0", "COUNT", "10"),
        ("XACK", "s", "g", "2-0", "5-0"), ("XGROUP", "CREATECONSUMER", "s", "g", "erin"),
        ("XGROUP", "DELCONSUMER", "s", "g", "erin"), ("XGROUP", "DESTROY", "s", "n"), ("XSETID", "s", "10-0"),
    ],
    # XADD/XTRIM with "~": propagated as "=" with the length left (MAXLEN) or the first entry's
    # ID, tombstones included (MINID; UINT64_MAX-UINT64_MAX once empty); XADD even when nothing
    # was trimmed, XTRIM only when it removed something; LIMIT stays (replay ignores it).
    "stream_trim_approx": [
        ("CONFIG", "SET", "stream-node-max-entries", "10"),
        *[("XADD", "t", "%d-1" % i, "f", "v") for i in range(1, 31)],
        ("XADD", "t", "MAXLEN", "~", "100", "31-*", "f", "v"),
        ("XADD", "t", "MAXLEN", "~", "15", "LIMIT", "10", "32-1", "f", "v"),
        ("XADD", "t", "NOMKSTREAM", "MAXLEN", "~", "1", "LIMIT", "0", "33-1", "f", "v"),
        ("XTRIM", "t", "MAXLEN", "~", "100"), ("XTRIM", "t", "MAXLEN", "~", "1", "LIMIT", "5"),
        *[("XADD", "t", "%d-1" % i, "f", "v") for i in range(40, 60)],
        ("XTRIM", "t", "MAXLEN", "=", "19"), ("XTRIM", "t", "MINID", "~", "41-1"),
        ("XADD", "t", "MINID", "~", "44-1", "60-1", "f", "v"), ("XDEL", "t", "45-1"),
        ("XTRIM", "t", "MINID", "~", "52-0", "LIMIT", "100"), ("XTRIM", "t", "MINID", "=", "53-1"),
        ("XADD", "t", "MINID", "~", "54-1", "61-1", "f", "v"),
        ("XLEN", "t"), ("XRANGE", "t", "-", "+"),
        *[("XADD", "w", "%d-1" % i, "f", "v") for i in range(1, 13)],
        ("XTRIM", "w", "MINID", "~", "999-0"), ("XLEN", "w"),
        ("XADD", "u", "MINID", "~", "5-0", "LIMIT", "3", "1-1", "f", "v"),
        ("XTRIM", "u", "MAXLEN", "~", "0"), ("XTRIM", "nokey", "MAXLEN", "~", "0"),
        ("XADD", "u", "MAXLEN", "LIMIT", "1", "2-1", "f", "v"),
        ("CONFIG", "SET", "stream-node-max-entries", "100"),
    ],
    "databases": [
        ("SET", "a", "0"), ("SELECT", "1"), ("SET", "a", "1"), ("SET", "b", "1"), ("SELECT", "9"),
        ("SET", "a", "9"), ("SELECT", "0"), ("MOVE", "a", "2"), ("COPY", "b", "c", "DB", "0"),
        ("SWAPDB", "0", "2"), ("SELECT", "2"), ("FLUSHDB",), ("FLUSHDB",), ("SET", "z", "1"),
        ("RENAME", "z", "y"), ("RENAMENX", "y", "x"),
    ],
}

# EVALSHA of the script loaded above (SHA-1 of its body).
_LOADED = "redis.call('incr', 'k5')"


@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_stream_equal(streams, name):
    keel, redis, tails = streams
    script = list(SCRIPTS[name])
    if name == "scripts":
        import hashlib
        sha = hashlib.sha1(_LOADED.encode()).hexdigest()
        script = [("EVALSHA", sha, "0") if s[0] == "EVALSHA" else s for s in script]
    run_script(keel, redis, [s if isinstance(s, C) else C(*s) for s in script])
    check_stream(tails)


def test_stream_trim_approx_replays(streams):
    """What "~" and LIMIT propagated (test above) loads back as the same streams: DEBUG LOADAOF
    on each server gives what the commands left (LIMIT in the file does not stop the replay)."""
    keel, redis, tails = streams
    script = SCRIPTS["stream_trim_approx"]
    run_script(keel, redis, [C(*s) for s in script])
    assert any(b"LIMIT" in cmd for cmd in tails[1].commands()), "the file must hold a LIMIT"
    for s in (keel, redis):
        c = s.client()
        try:
            before = [c.execute_command("XRANGE", k, "-", "+") for k in ("t", "u")]
            assert before[0] and not before[1], before
            lens = [c.xlen(k) for k in ("t", "u")]
            assert c.execute_command("DEBUG", "LOADAOF")
            assert [c.execute_command("XRANGE", k, "-", "+") for k in ("t", "u")] == before, s
            assert [c.xlen(k) for k in ("t", "u")] == lens, s
        finally:
            c.close()


def test_lazy_expiry_propagates_del(streams):
    keel, redis, tails = streams
    pair = (keel, redis)
    both(pair, lambda c: (c.flushall(), c.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "0")))
    both(pair, lambda c: [c.set("r", "v", px=1), c.set("w", "v", px=1)])
    until = time.time() + 0.005
    wait_until(lambda: time.time() > until, 5, interval=0.001, what="the TTLs to pass")
    both(pair, lambda c: c.get("r"))            # a read: DEL alone
    both(pair, lambda c: c.set("w", "new"))     # a write: MULTI, DEL, SET, EXEC
    check_stream(tails)


def test_lazy_expiry_with_lazyfree_propagates_unlink(streams):
    keel, redis, tails = streams
    pair = (keel, redis)
    both(pair, lambda c: (c.flushall(), c.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "0"),
                          c.config_set("lazyfree-lazy-expire", "yes")))
    both(pair, lambda c: c.set("r", "v", px=1))
    until = time.time() + 0.005
    wait_until(lambda: time.time() > until, 5, interval=0.001, what="the TTL to pass")
    both(pair, lambda c: c.exists("r"))
    both(pair, lambda c: (c.set("k", "v"), c.expire("k", -5)))
    check_stream(tails)


def test_active_expiry_propagates_del(streams):
    keel, redis, tails = streams
    pair = (keel, redis)
    both(pair, lambda c: (c.flushall(), c.set("gone", "v", px=1)))
    for s in pair:
        c = s.client()
        wait_until(lambda: c.dbsize() == 0, 10, what="active expiry on %s" % s.name)
        c.close()
    check_stream(tails)


def test_eviction_propagates_del(streams):
    keel, redis, tails = streams
    pair = (keel, redis)
    both(pair, lambda c: (c.flushall(), c.config_set("maxmemory-policy", "allkeys-lru"), c.set("victim", "v")))
    try:
        both(pair, lambda c: (c.config_set("maxmemory", "1"), c.dbsize()))
    finally:
        both(pair, lambda c: (c.config_set("maxmemory", "0"), c.config_set("maxmemory-policy", "noeviction")))
    check_stream(tails)


def test_blocked_client_served_later(streams):
    keel, redis, tails = streams
    pair = (keel, redis)
    both(pair, lambda c: c.flushall())
    for cmd, push in ((("BLPOP", "bl", "0"), ("RPUSH", "bl", "a", "b")),
                      (("BLMOVE", "bm", "dst", "left", "right", "0"), ("RPUSH", "bm", "x")),
                      (("BRPOPLPUSH", "bb", "dst", "0"), ("RPUSH", "bb", "y")),
                      (("BLMPOP", "0", "1", "bmp", "RIGHT", "COUNT", "5"), ("RPUSH", "bmp", "1", "2")),
                      (("BZPOPMIN", "bz", "0"), ("ZADD", "bz", "1", "m")),
                      (("BZMPOP", "0", "1", "bzm", "MAX", "COUNT", "3"), ("ZADD", "bzm", "1", "m", "2", "n")),
                      (("XGROUP", "CREATE", "xs", "g", "$", "MKSTREAM"), None),
                      (("XREADGROUP", "GROUP", "g", "c1", "BLOCK", "0", "STREAMS", "xs", ">"),
                       ("XADD", "xs", "1-0", "f", "v")),
                      (("XREADGROUP", "GROUP", "g", "c2", "NOACK", "BLOCK", "0", "STREAMS", "xs", ">"),
                       ("XADD", "xs", "2-0", "f", "v"))):
        replies = []
        for s in pair:
            waiter, pusher = s.raw(), s.client()
            try:
                if push is None:   # a setup command
                    replies.append(pusher.execute_command(*cmd))
                    continue
                waiter.send(*cmd)
                wait_until(lambda: pusher.info("clients")["blocked_clients"] == 1, 10, what="the client to block")
                pusher.execute_command(*push)
                replies.append(waiter.read_reply().raw)
            finally:
                waiter.close()
                pusher.close()
        assert replies[0] == replies[1], (cmd, replies)
    check_stream(tails)


def test_script_set_repl_targets_replicas(start_server):
    """redis.set_repl on a primary with a replica (Keel and redis-server as primaries): what a
    script writes under REPL_AOF stays off the replica, under REPL_REPLICA reaches it, under
    REPL_NONE goes nowhere; the next script propagates everything again."""
    from repl.replutil import wait_synced
    script = ("redis.set_repl(redis.REPL_NONE); redis.call('set', 'n', '1');"
              " redis.set_repl(redis.REPL_AOF); redis.call('set', 'a', '1');"
              " redis.set_repl(redis.REPL_REPLICA); redis.call('set', 'r', '1');"
              " redis.set_repl(redis.REPL_ALL); redis.call('set', 'all', '1')")
    seen = []
    for binary in (keel_binary(), ORACLE_SERVER):
        primary = start_server(["--repl-diskless-sync-delay", "0"], binary=binary)
        replica = start_server()
        p, r = primary.client(), replica.client()
        r.execute_command("REPLICAOF", "127.0.0.1", primary.port)
        wait_synced(p, r)
        p.eval(script, 0)
        p.eval("redis.call('set', 'after', '1')", 0)
        wait_until(lambda: r.get("after") == b"1", 10, what="the replica got the last write")
        seen.append(sorted(k for k in (b"n", b"a", b"r", b"all", b"after") if r.exists(k)))
    assert seen[0] == seen[1] == [b"after", b"all", b"r"], seen


def test_migrate_propagates_del(streams, start_server):
    """MIGRATE moves keys away: the AOF gets DEL of the keys moved (COPY: nothing; a key that
    is missing: not named), as redis-server writes it."""
    keel, redis, tails = streams
    target = start_server()   # both sources move the same keys to it, hence REPLACE
    port = str(target.port)
    run_script(keel, redis, [
        C("MSET", "m1", "1", "m2", "2", "m3", "3"),
        C("MIGRATE", "127.0.0.1", port, "m1", "0", "5000", "REPLACE"),
        C("MIGRATE", "127.0.0.1", port, "", "0", "5000", "REPLACE", "KEYS", "m2", "nokey", "m1"),
        C("MIGRATE", "127.0.0.1", port, "m3", "0", "5000", "COPY", "REPLACE"),
        C("MIGRATE", "127.0.0.1", port, "nokey", "0", "5000"),
        C("MIGRATE", "127.0.0.1", port, "m3", "0", "5000", "REPLACE"),
        C("EXISTS", "m1", "m2", "m3"),
    ])
    keel_cmds, redis_cmds = (t.commands() for t in tails)
    why = stream_difference(keel_cmds, redis_cmds)
    assert why is None, why
    dels = [cmd for cmd in keel_cmds if cmd[0].upper() == b"DEL"]
    assert dels == [[b"DEL", b"m1"], [b"DEL", b"m2"], [b"DEL", b"m3"]], dels


def test_flushall_with_save_points_propagates(streams):
    """With save points FLUSHALL saves at once, which zeroes the dirty counter: it still reaches
    the AOF every time, even on an empty data set (Redis's forceCommandPropagation)."""
    keel, redis, tails = streams
    pair = (keel, redis)
    both(pair, lambda c: c.config_set("save", "3600 1"))
    try:
        run_script(keel, redis, [C("SET", "k", "v"), C("FLUSHALL"), C("SET", "k", "v2"), C("FLUSHALL"),
                                 C("FLUSHALL"), C("FLUSHALL", "SYNC"), C("FLUSHDB"), C("FLUSHDB")])
    finally:
        both(pair, lambda c: c.config_set("save", ""))
    keel_cmds, redis_cmds = (t.commands() for t in tails)
    why = stream_difference(keel_cmds, redis_cmds)
    assert why is None, why
    names = [cmd[0].lower() for cmd in keel_cmds]
    assert names[names.index(b"set"):].count(b"flushall") == 4, keel_cmds
