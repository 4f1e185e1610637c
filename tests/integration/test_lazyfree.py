"""Lazy freeing: UNLINK, FLUSHDB/FLUSHALL ASYNC and the lazyfree-lazy-* options hand large values
and whole databases to the background thread (INFO lazyfree_pending_objects and
lazyfreed_objects show it), the event loop stays responsive while millions of keys are freed, and
nothing on the event loop touches a flushed database afterwards: FLUSHALL ASYNC interleaved with
writes, SCAN, KEYS, expiry and eviction (run against ./keel-server-san this is the ASan check; the
start_server fixture fails the test on any sanitizer report).

KEEL_LONG=1 scales the workloads up (5,000,000 keys for the latency check).
"""

import random
import time

import pytest

from helpers import long_mode, wait_until

LONG = long_mode()


def _mem(c):
    return c.info("memory")


def _freed(c):
    return int(_mem(c)["lazyfreed_objects"])


def _pending(c):
    return int(_mem(c)["lazyfree_pending_objects"])


def _load_strings(c, n, prefix=b"k", batch=10000):
    for base in range(0, n, batch):
        p = c.pipeline(transaction=False)
        for i in range(base, min(base + batch, n)):
            p.set(b"%s:%d" % (prefix, i), b"v")
        p.execute()


def _big_set(c, key, n=500):
    c.sadd(key, *[b"m%d" % i for i in range(n)])


@pytest.mark.keel_only
def test_unlink_of_a_large_value_is_freed_in_the_background(start_server):
    server = start_server()
    c = server.client()
    _big_set(c, b"big")
    c.set(b"small", b"v")
    assert c.unlink(b"big", b"small", b"missing") == 2
    # Only the large value goes to the thread (small ones are freed inline, as in Redis).
    wait_until(lambda: _freed(c) == 1, 10, what="lazyfreed_objects == 1")
    assert _pending(c) == 0
    assert c.exists(b"big") == 0


def _drop_big(c, command):
    """Creates a large set at "big" and runs the command that drops it (waiting for expiry)."""
    c.delete(b"big")
    _big_set(c, b"big")
    c.execute_command(*command)
    wait_until(lambda: c.exists(b"big") == 0 or c.type(b"big") == b"string", 10,
               what="the large set dropped")


@pytest.mark.keel_only
@pytest.mark.parametrize("option,command", [
    ("lazyfree-lazy-user-del", ["DEL", "big"]),
    ("lazyfree-lazy-server-del", ["SET", "big", "x"]),
    ("lazyfree-lazy-expire", ["PEXPIRE", "big", "1"]),
])
def test_lazyfree_options(start_server, option, command):
    server = start_server()
    c = server.client()
    _drop_big(c, command)           # option off (the default): freed inline
    assert _freed(c) == 0
    c.config_set(option, "yes")
    _drop_big(c, command)
    wait_until(lambda: _freed(c) == 1, 10, what="one object freed in the background")


@pytest.mark.keel_only
def test_flush_async_hands_whole_databases_over(start_server):
    server = start_server()
    c = server.client()
    n = 100000
    _load_strings(c, n)
    c2 = server.client(db=1)
    _load_strings(c2, 1000, prefix=b"one")
    used = int(_mem(c)["used_memory"])
    assert c.flushall(asynchronous=True)
    assert c.dbsize() == 0 and c2.dbsize() == 0
    wait_until(lambda: _freed(c) == n + 1000, 20, what="both databases freed")
    assert _pending(c) == 0
    assert int(_mem(c)["used_memory"]) < used / 2
    # FLUSHDB ASYNC and the lazyfree-lazy-user-flush default.
    _load_strings(c, 5000)
    c.execute_command("FLUSHDB", "ASYNC")
    wait_until(lambda: _freed(c) == n + 6000, 20, what="FLUSHDB ASYNC")
    c.config_set("lazyfree-lazy-user-flush", "yes")
    _load_strings(c, 5000)
    c.execute_command("FLUSHALL")
    wait_until(lambda: _freed(c) == n + 11000, 20, what="FLUSHALL with lazyfree-lazy-user-flush")
    c.config_resetstat()
    assert _freed(c) == 0


def test_flush_async_while_the_keyspace_churns(start_server):
    """The seeds' crash: state pointing into a flushed database. Every structure that refers to
    keys (TTL index, expire cycle, eviction pool, SCAN cursors, blocked clients) meets flushes."""
    server = start_server(["--maxmemory-policy", "allkeys-lru", "--hz", "100"])
    c = server.client()
    blocked = server.client()
    rounds = 200 if LONG else 25
    rnd = random.Random(1)
    cursor = 0
    baseline = int(_mem(c)["used_memory"])
    c.config_set("maxmemory", baseline + 2 * 1024 * 1024)
    for r in range(rounds):
        p = c.pipeline(transaction=False)
        for i in range(3000):
            k = b"k:%d" % rnd.randrange(20000)
            op = rnd.randrange(4)
            if op == 0:
                p.set(k, b"v" * rnd.randrange(1, 200), px=rnd.randrange(1, 50))
            elif op == 1:
                p.sadd(b"s:%d" % rnd.randrange(50), *[b"m%d" % j for j in range(100)])
            elif op == 2:
                p.set(k, b"w")
            else:
                p.get(k)
        p.execute()
        cursor, _ = c.scan(cursor, count=200)
        c.keys(b"k:1*")
        c.unlink(*[b"s:%d" % j for j in range(0, 50, 3)])
        if r % 3 == 0:
            c.select(0)
            c.execute_command("FLUSHALL", "ASYNC")
        elif r % 3 == 1:
            c.execute_command("FLUSHDB", "ASYNC")
        if r % 5 == 4:
            c.execute_command("SWAPDB", 0, 1)
        c.randomkey()
    assert blocked.blpop(b"nolist", timeout=0.01) is None
    c.execute_command("FLUSHALL", "ASYNC")
    assert c.dbsize() == 0
    wait_until(lambda: _pending(c) == 0, 20, what="lazy-free queue drained")
    # Everything handed over came back: memory is near where the test started.
    assert int(_mem(c)["used_memory"]) < baseline + 1024 * 1024


def _flush_round(server, c, n):
    """Loads n keys, FLUSHALL ASYNC, PINGs until freed. Returns (server us, round trip s, worst
    PING s)."""
    r = server.raw()
    for base in range(0, n, 50000):
        r.pipeline([["SET", "key:%d" % i, "v"] for i in range(base, min(base + 50000, n))])
    t0 = time.perf_counter()
    assert r.call("FLUSHALL", "ASYNC").raw == b"+OK\r\n"
    flush_s = time.perf_counter() - t0
    # The server's own measure of the command (SLOWLOG, microseconds).
    flush_us = [e["duration"] for e in c.slowlog_get(1) if e["command"] == b"FLUSHALL ASYNC"]
    assert flush_us, "FLUSHALL ASYNC not in the slow log"
    worst = 0.0
    while _pending(c):
        t0 = time.perf_counter()
        assert r.call("PING").raw == b"+PONG\r\n"
        worst = max(worst, time.perf_counter() - t0)
    r.close()
    return flush_us[0], flush_s, worst


@pytest.mark.keel_only
def test_flushall_async_keeps_the_event_loop_responsive(start_server):
    n = 5000000 if LONG else 300000
    server = start_server()
    c = server.client()
    c.config_set("slowlog-log-slower-than", 0)
    # Round trips suffer from the load of a shared machine: a second round confirms a slow one
    # (a stall caused by freeing would repeat; bench/lazyfree.py measures on a quiet machine).
    for attempt in range(2):
        flush_us, flush_s, worst = _flush_round(server, c, n)
        print("FLUSHALL ASYNC of %d keys: %d us in the server, %.3f ms round trip, worst PING "
              "meanwhile %.3f ms" % (n, flush_us, flush_s * 1000, worst * 1000))
        if flush_us < 1000 and flush_s < 0.05 and worst < 0.05:
            break
    assert flush_us < 1000      # O(1) handover
    assert flush_s < 0.05
    assert worst < 0.05
