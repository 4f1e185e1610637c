"""Transactions: WATCH and key expiry, queue memory, cleanup on disconnect.

The expiry scenarios run on Keel and on redis-server 7.0.15 and must observe the same replies:
Redis 7.0 counts a watched key that expires after WATCH as modified, but not one that had
already expired when WATCH ran. Time passing is the condition here, so it is polled with the
wall clock (the keys' TTLs are a few milliseconds).
"""

import time

import pytest

from diff.resp import RespConnection
from helpers import ORACLE_SERVER, wait_until


def _conn(server):
    return RespConnection(server.host, server.port, timeout=10.0)


def _wait_ms(ms):
    deadline = time.monotonic() + ms / 1000.0
    wait_until(lambda: time.monotonic() >= deadline, timeout=5, interval=0.005, what="time to pass")


def expiry_scenario(server):
    c = _conn(server)
    out = []
    # Expires after WATCH: the transaction fails.
    c.call("SET", "f", "1", "PX", "20")
    c.call("WATCH", "f")
    _wait_ms(40)
    out += [c.call("MULTI").raw, c.call("PING").raw, c.call("EXEC").raw]
    # Already expired (but not yet reclaimed) when WATCH ran: no change.
    c.call("DEBUG", "SET-ACTIVE-EXPIRE", "0")
    c.call("SET", "e", "1", "PX", "1")
    _wait_ms(10)
    c.call("WATCH", "e")
    out += [c.call("MULTI").raw, c.call("PING").raw, c.call("EXEC").raw]
    # ... and reclaiming it afterwards changes nothing either.
    c.call("WATCH", "e2")
    c.call("SET", "e2", "1", "PX", "1")   # a write: fails the transaction
    out += [c.call("MULTI").raw, c.call("EXEC").raw]
    c.call("SET", "g", "1", "PX", "1")
    _wait_ms(10)
    c.call("WATCH", "g")
    out.append(c.call("EXISTS", "g").raw)   # lazy expiry deletes it
    out += [c.call("MULTI").raw, c.call("PING").raw, c.call("EXEC").raw]
    c.call("DEBUG", "SET-ACTIVE-EXPIRE", "1")
    c.close()
    return out


def test_watch_and_expiry_like_redis(start_server):
    keel = start_server(["--enable-debug-command", "yes"])
    redis = start_server(["--enable-debug-command", "yes"], binary=ORACLE_SERVER)
    got = expiry_scenario(keel)
    want = expiry_scenario(redis)
    assert got == want
    assert got[2] == b"*-1\r\n"
    assert got[5] == b"*1\r\n+PONG\r\n"


@pytest.mark.keel_only
def test_disconnect_in_multi_frees_state(keel):
    admin = _conn(keel)
    before = int(admin.call("INFO", "memory").to_py().decode().split("used_memory:")[1].split()[0])
    for _ in range(20):
        c = _conn(keel)
        c.call("WATCH", "a", "b", "c")
        c.call("MULTI")
        for i in range(50):
            c.call("SET", "k%d" % i, "x" * 100)
        c.close()
    wait_until(lambda: b"connected_clients:1\r\n" in admin.call("INFO", "clients").raw, timeout=5,
               what="clients to disconnect")
    after = int(admin.call("INFO", "memory").to_py().decode().split("used_memory:")[1].split()[0])
    assert after - before < 64 * 1024, (before, after)
    # The watched keys of the gone clients no longer affect anything.
    c = _conn(keel)
    c.call("WATCH", "a")
    assert c.call("MULTI").raw == b"+OK\r\n"
    assert c.call("SET", "a", "1").raw == b"+QUEUED\r\n"
    assert c.call("EXEC").raw == b"*1\r\n+OK\r\n"
    assert admin.call("DBSIZE").raw == b":1\r\n"
    c.close()
    admin.close()


def _client_line(conn, needle):
    lines = [l for l in conn.call("CLIENT", "LIST").to_py().decode().splitlines() if needle in l]
    assert len(lines) == 1, lines
    return lines[0]


def test_client_list_tracking_and_dirty_flags(start_server):
    """Same CLIENT LIST flags and redir= as redis-server for tracking and a failed WATCH."""
    seen = []
    for binary in (None, ORACLE_SERVER):
        server = start_server(binary=binary)
        a, b = _conn(server), _conn(server)
        a.call("CLIENT", "SETNAME", "a")
        a.call("WATCH", "k")
        b.call("SET", "k", "1")
        flags_dirty = _client_line(b, "name=a ").split(" flags=")[1].split()[0]
        a.call("UNWATCH")
        a.call("HELLO", "3")
        a.call("CLIENT", "TRACKING", "on", "BCAST")
        line = _client_line(b, "name=a ")
        seen.append((flags_dirty, line.split(" flags=")[1].split()[0], line.split(" redir=")[1].split()[0]))
        a.close()
        b.close()
    assert seen[0] == seen[1] == ("d", "tB", "0")


def test_client_list_multi_and_sub_fields(keel):
    c = _conn(keel)
    c.call("MULTI")
    c.call("SET", "a", "1")
    c.call("GET", "a")
    other = _conn(keel)
    line = [l for l in other.call("CLIENT", "LIST").to_py().decode().splitlines() if "multi=2" in l]
    assert len(line) == 1 and " flags=x " in line[0]
    c.call("DISCARD")
    c.call("SUBSCRIBE", "a", "b")
    c.read_reply()
    c.call("PSUBSCRIBE", "p*")
    line = [l for l in other.call("CLIENT", "LIST").to_py().decode().splitlines() if "flags=P" in l]
    assert len(line) == 1 and "sub=2 psub=1 ssub=0 multi=-1" in line[0]
    c.close()
    other.close()
