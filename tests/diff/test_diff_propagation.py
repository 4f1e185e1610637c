"""What reaches replicas and the AOF, differentially (unit/expire's replication-stream tests):
both servers run with appendonly yes, the same commands go to each, and what each appended to
its AOF is compared command by command.

- RESTORE with a relative TTL propagates as RESTORE key <absolute ms> payload ... ABSTTL (an
  ABSTTL one as it came); a RESTORE ... REPLACE whose TTL already passed propagates as the DEL
  of the key it replaced.
- The DELs of keys that SCAN or RANDOMKEY found expired are not wrapped in MULTI/EXEC when the
  command ran directly (Redis's hidden TOUCHES_ARBITRARY_KEYS flag); inside a transaction they
  are, as every transaction's effects.
"""

import time

import pytest

from helpers import ORACLE_SERVER, Server, keel_binary, wait_until
from persist.aofutil import AofTail

AOF_ARGS = ["--appendonly", "yes", "--aof-timestamp-enabled", "no", "--appendfsync", "no",
            "--enable-debug-command", "yes"]
TOLERANCE_MS = 5000


@pytest.fixture(scope="module")
def pair():
    servers = []
    try:
        for binary, name in ((keel_binary(), "keel-prop"), (ORACLE_SERVER, "redis-prop")):
            servers.append(Server(binary, AOF_ARGS, name=name).start())
        yield servers
    finally:
        for s in servers:
            s.stop()
            s.cleanup()


def run(pair, fn):
    """fn(client, server_index) on Keel, then on redis-server; returns both results."""
    out = []
    for i, s in enumerate(pair):
        c = s.client()
        try:
            out.append(fn(c, i))
        finally:
            c.close()
    return out


def streams(pair, fn):
    """Runs fn on both servers; returns what each appended to its AOF meanwhile."""
    tails = [AofTail(s) for s in pair]
    for t in tails:
        t.read_new()
    replies = run(pair, fn)
    assert replies[0] == replies[1], replies
    return [t.commands() for t in tails]


def restore_time_positions(cmd):
    return {2} if cmd[0].upper() == b"RESTORE" and b"ABSTTL" in (a.upper() for a in cmd[4:]) else set()


def assert_same_stream(keel_cmds, redis_cmds, unordered=False):
    """unordered: the DELs of RANDOMKEY come in the order of its random picks."""
    if unordered:
        keel_cmds, redis_cmds = sorted(keel_cmds), sorted(redis_cmds)
    assert len(keel_cmds) == len(redis_cmds), (keel_cmds, redis_cmds)
    for k, r in zip(keel_cmds, redis_cmds):
        times = restore_time_positions(r)
        assert len(k) == len(r), (k, r)
        for j, (a, b) in enumerate(zip(k, r)):
            if j in times:
                assert abs(int(a) - int(b)) <= TOLERANCE_MS, (k, r)
            else:
                assert a == b, (k, r)


def test_restore_ttl_propagates_as_absttl(pair):
    def scenario(c, _):
        c.execute_command("SELECT", "0")
        c.flushall()
        c.set("src", "bar")
        payload = c.dump("src")
        now = int(time.time() * 1000)
        return [
            c.execute_command("RESTORE", "rel", "100000", payload),
            c.execute_command("RESTORE", "abs", str(now + 100000), payload, "absttl"),
            c.execute_command("RESTORE", "nottl", "0", payload),
            c.execute_command("RESTORE", "rel2", "100000", payload, "IDLETIME", "5"),
            c.pttl("rel") > 90000,
            # REPLACE with a time already past: the old key goes, nothing is added.
            c.execute_command("RESTORE", "src", "1", payload, "REPLACE", "ABSTTL"),
            c.exists("src"),
            # The same on a missing key changes nothing and propagates nothing.
            c.execute_command("RESTORE", "none", "1", payload, "ABSTTL"),
        ]

    keel, redis = streams(pair, scenario)
    assert_same_stream(keel, redis)
    restores = [cmd for cmd in redis if cmd[0].upper() == b"RESTORE"]
    assert [cmd[-1] for cmd in restores] == [b"ABSTTL", b"absttl", restores[2][3], b"ABSTTL"]
    assert [b"DEL", b"src"] in redis


@pytest.mark.parametrize("command", ["SCAN", "RANDOMKEY"])
def test_lazy_expire_of_arbitrary_keys_not_wrapped(pair, command):
    def setup(c, _):
        c.execute_command("SELECT", "0")
        c.flushall()
        c.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "0")
        c.set("foo1", "bar", px=1)
        c.set("foo2", "bar", px=1)

    run(pair, setup)
    until = time.time() + 0.01   # (any read of the keys would delete them: just wait)
    wait_until(lambda: time.time() > until, 5, interval=0.001, what="the TTLs to pass")
    try:
        args = ["SCAN", "0"] if command == "SCAN" else ["RANDOMKEY"]
        keel, redis = streams(pair, lambda c, _: c.execute_command(*args))
        assert_same_stream(keel, redis, unordered=True)
        assert sorted(redis) == [[b"DEL", b"foo1"], [b"DEL", b"foo2"]]

        # Inside MULTI the same deletions are the transaction's effects: wrapped.
        run(pair, setup)
        until = time.time() + 0.005
        wait_until(lambda: time.time() > until, 5, interval=0.001, what="the TTLs to pass")

        def in_multi(c, _):
            p = c.pipeline(transaction=True)
            p.execute_command(*args)
            p.execute()

        keel, redis = streams(pair, in_multi)
        assert_same_stream(keel[1:-1], redis[1:-1], unordered=True)
        assert keel[0] == [b"MULTI"] and keel[-1] == [b"EXEC"] and len(keel) == 4
        assert redis[0] == [b"MULTI"] and redis[-1] == [b"EXEC"] and len(redis) == 4
    finally:
        run(pair, lambda c, _: c.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "1"))
