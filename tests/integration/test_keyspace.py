"""Keyspace integrity: KEYS and SCAN while keys expire, lazy and active expiry.

The seed bug this project starts from is KEYS losing keys when one of them has a TTL; the tests
here reproduce it exactly (through redis-cli, as it was reported) and then at scale.
"""

import random
import subprocess

import pytest

from diff.resp import RespConnection, encode_command
from helpers import long_mode, wait_until

SEED_KEYS = {"a", "t", "e", "s", "foo"}


def test_seed_keys_with_one_ttl_via_redis_cli(keel, redis_cli):
    """The original report, verbatim: five keys, one with EXPIRE, then KEYS * through redis-cli."""
    script = "flushall\nset a c\nset t c\nset e c\nset s c\nset foo b\nexpire s 5\nkeys *\n"
    result = subprocess.run([redis_cli, "-h", keel.host, "-p", str(keel.port)],
                            input=script.encode(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, timeout=30)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.decode().splitlines()
    assert lines[:7] == ["OK"] * 6 + ["1"], lines
    assert len(lines) == 12, lines
    assert sorted(lines[7:]) == sorted(SEED_KEYS)


def _fill(server, total, volatile_every=3):
    """SET `total` keys; return (persistent, volatile) name lists. Every `volatile_every`-th key
    gets a short TTL later, in one burst, so that they expire while KEYS/SCAN runs."""
    conn = RespConnection(server.host, server.port, timeout=60)
    names = ["key:%d" % i for i in range(total)]
    batch = 10000
    for start in range(0, total, batch):
        chunk = names[start:start + batch]
        conn.send_raw(b"".join(encode_command(["SET", n, "v"]) for n in chunk))
        for _ in chunk:
            assert conn.read_reply().raw == b"+OK\r\n"
    conn.close()
    volatile = names[::volatile_every]
    persistent = sorted(set(names) - set(volatile))
    return persistent, volatile


def _expire_burst_then(server, volatile, final_command):
    """One write: PEXPIRE 1..50 ms on every volatile key, then `final_command`; return its reply.
    The server runs the whole burst back to back, so keys expire during the final command."""
    rng = random.Random(42)
    conn = RespConnection(server.host, server.port, timeout=120)
    payload = b"".join(encode_command(["PEXPIRE", n, rng.randint(1, 50)]) for n in volatile)
    conn.send_raw(payload + encode_command(final_command))
    for _ in volatile:
        assert conn.read_reply().raw == b":1\r\n"
    reply = conn.read_reply()
    return conn, reply


def _check_listing(returned, persistent, volatile):
    counts = {}
    for k in returned:
        counts[k] = counts.get(k, 0) + 1
    dups = [k for k, c in counts.items() if c > 1]
    assert not dups, "keys returned more than once: %r" % dups[:10]
    missing = set(persistent) - set(counts)
    assert not missing, "%d persistent keys missing, e.g. %r" % (len(missing), sorted(missing)[:10])
    unknown = set(counts) - set(persistent) - set(volatile)
    assert not unknown, "keys that were never set: %r" % sorted(unknown)[:10]


def _total_keys():
    return 1000000 if long_mode() else 100000


def test_keys_while_a_third_expire(keel):
    persistent, volatile = _fill(keel, _total_keys())
    conn, reply = _expire_burst_then(keel, volatile, ["KEYS", "*"])
    conn.close()
    assert reply.kind == "*", reply
    returned = [c.payload.decode() for c in reply.children]
    _check_listing(returned, persistent, volatile)


def test_scan_while_a_third_expire(keel):
    persistent, volatile = _fill(keel, _total_keys())
    conn, reply = _expire_burst_then(keel, volatile, ["SCAN", "0", "COUNT", 1000])
    returned = []
    pages = 0
    while True:
        assert reply.kind == "*" and len(reply.children) == 2, reply
        returned += [c.payload.decode() for c in reply.children[1].children]
        cursor = reply.children[0].payload
        pages += 1
        if cursor == b"0":
            break
        assert pages < 100000, "SCAN cursor never returned to 0"
        reply = conn.call("SCAN", cursor, "COUNT", 1000)
    conn.close()
    _check_listing(returned, persistent, volatile)


def test_scan_with_small_count_covers_everything(keel_client):
    """COUNT 1 iterations visit every key exactly once on a table that does not change."""
    names = {("k%d" % i).encode() for i in range(5000)}
    pipe = keel_client.pipeline(transaction=False)
    for n in names:
        pipe.set(n, "1")
    pipe.execute()
    seen = []
    cursor = 0
    while True:
        cursor, page = keel_client.scan(cursor, count=1)
        seen += page
        if cursor == 0:
            break
    assert len(seen) == len(set(seen)), "duplicates on a static table"
    assert set(seen) == names


def _server_ms(client):
    secs, micros = client.time()
    return secs * 1000 + micros // 1000


@pytest.fixture
def no_active_expire(start_server):
    """A server of our own with active expiry switched off, so only lazy expiry can act."""
    server = start_server(["--enable-debug-command", "yes"])
    client = server.client()
    assert client.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "0") == b"OK"
    yield server, client
    client.close()


def test_lazy_expiry_never_returns_expired_keys(no_active_expire):
    server, client = no_active_expire
    persistent = ["p:%d" % i for i in range(100)]
    volatile = ["v:%d" % i for i in range(100)]
    pipe = client.pipeline(transaction=False)
    for k in persistent:
        pipe.set(k, "x")
    for k in volatile:
        pipe.set(k, "x", px=100)
    pipe.execute()
    deadline_ms = _server_ms(client) + 150
    # Wait on the server's own clock (TIME touches no key, so nothing expires lazily here).
    wait_until(lambda: _server_ms(client) > deadline_ms, timeout=10, what="server clock +150ms")

    # Like Redis, DBSIZE counts keys that expired but were not reclaimed yet.
    assert client.dbsize() == 200
    assert sorted(k.decode() for k in client.keys("*")) == sorted(persistent)
    # KEYS only filters: it does not reclaim.
    assert client.dbsize() == 200
    for _ in range(50):
        k = client.randomkey()
        assert k is not None and k.decode() in persistent, k
    for k in volatile:
        assert client.exists(k) == 0, k
        assert client.get(k) is None
        assert client.ttl(k) == -2
    assert client.exists(*persistent) == 100
    # EXISTS reclaimed each expired key it looked at.
    assert client.dbsize() == 100
    scanned = set()
    for k in client.scan_iter(count=10):
        scanned.add(k.decode())
    assert scanned == set(persistent)


def test_randomkey_only_expired_keys_left(no_active_expire):
    server, client = no_active_expire
    for i in range(20):
        client.set("gone:%d" % i, "x", px=50)
    deadline_ms = _server_ms(client) + 100
    wait_until(lambda: _server_ms(client) > deadline_ms, timeout=10, what="server clock +100ms")
    assert client.randomkey() is None
    assert client.keys("*") == []


def test_active_expiry_reclaims_without_reads(keel_client):
    """10,000 keys with 100 ms TTL among 10,000 without: the background cycle alone must remove
    them; DBSIZE (which reclaims nothing) is polled until it reaches 10,000."""
    pipe = keel_client.pipeline(transaction=False)
    for i in range(10000):
        pipe.set("short:%d" % i, "x", px=100)
        pipe.set("keep:%d" % i, "x")
    pipe.execute()
    wait_until(lambda: keel_client.dbsize() == 10000, timeout=10, interval=0.05,
               what="active expiry to leave 10000 keys")
    assert keel_client.exists("keep:0", "keep:9999") == 2
    assert keel_client.exists("short:0", "short:9999") == 0
