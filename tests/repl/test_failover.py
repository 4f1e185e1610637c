"""FAILOVER (Redis 7.0's coordinated failover): its errors compared with redis-server byte for
byte; a failover under a write load to a Keel or a redis-server replica, and from a
redis-server primary to a Keel replica, losing no acknowledged write and followed by partial
syncs only; TIMEOUT (abort), ABORT and TIMEOUT ... FORCE with a stopped replica, writes held
meanwhile and released after."""

import os
import signal
import socket
import threading

import pytest

from diff.runner import C, run_script
from helpers import ORACLE_SERVER, wait_until
from repl.replutil import info, wait_synced


def _replicate(primary, *replicas):
    p = primary.client()
    for r in replicas:
        r.client().execute_command("REPLICAOF", "127.0.0.1", primary.port)
    for r in replicas:
        wait_synced(p, r.client())

    def online():
        pi = info(p)
        return sum(1 for i in range(pi["connected_slaves"]) if pi["slave%d" % i]["state"] == "online")
    # The primary sees a diskless replica online only at its first ACK.
    wait_until(lambda: online() == len(replicas), 30, interval=0.02, what="the replicas online")


def _state(server):
    return info(server.client())["master_failover_state"]


def _role(server):
    return server.client().execute_command("ROLE")[0]


def test_failover_errors(start_server):
    keel, redis = start_server(), start_server(binary=ORACLE_SERVER)
    run_script(keel, redis, [
        C("FAILOVER"),
        C("FAILOVER", "ABORT"),
        C("FAILOVER", "ABORT", "x"),
        C("FAILOVER", "TO", "127.0.0.1", "x"),
        C("FAILOVER", "TIMEOUT", "0"),
        C("FAILOVER", "TIMEOUT", "-5"),
        C("FAILOVER", "TIMEOUT", "x"),
        C("FAILOVER", "TIMEOUT"),
        C("FAILOVER", "nosuch"),
        C("FAILOVER", "FORCE", "FORCE"),
        C("FAILOVER", "TIMEOUT", "5", "TIMEOUT", "5"),
        C("PSYNC", "x", "1", "FAILOVER"),
    ])
    keel_r, redis_r = start_server(), start_server(binary=ORACLE_SERVER)
    _replicate(keel, keel_r)
    _replicate(redis, redis_r)
    script = [
        C("FAILOVER", "TO", "127.0.0.1", "1"),
        C("FAILOVER", "FORCE", "TIMEOUT", "100"),
        C("FAILOVER", "TO", "127.0.0.1", "1", "FORCE"),
        C("FAILOVER", "ABORT"),
        C("PSYNC", "x", "1", "FAILOVER"),
    ]
    run_script(keel, redis, script)
    # On a replica: not valid there, and PSYNC FAILOVER wants the replica's own replid.
    for cmd in (["FAILOVER"], ["FAILOVER", "ABORT"], ["PSYNC", "0" * 40, "1", "FAILOVER"]):
        replies = []
        for s in (keel_r, redis_r):
            conn = s.raw()
            replies.append(conn.call(*cmd).raw)
            conn.close()
        assert replies[0] == replies[1] and replies[0].startswith(b"-"), (cmd, replies)
    for s in (keel, redis):
        assert _state(s) == "no-failover"


class Writer(threading.Thread):
    """SETs w<i> = i on one connection until the server refuses (it became a replica); keeps
    the indexes the server acknowledged."""

    def __init__(self, server):
        super().__init__(daemon=True)
        self.client = server.client()
        self.acked = []
        self.error = None
        self.stop = False

    def run(self):
        i = 0
        while not self.stop:
            try:
                self.client.set("w%d" % i, i)
            except Exception as e:  # noqa: BLE001 - READONLY ends the load
                self.error = str(e)
                return
            self.acked.append(i)
            i += 1


@pytest.mark.parametrize("target_binary", [None, ORACLE_SERVER], ids=["to-keel", "to-redis"])
def test_failover_under_load(start_server, target_binary):
    primary = start_server(["--repl-diskless-sync-delay", "0"])
    target = start_server(["--repl-diskless-sync-delay", "0"], binary=target_binary)
    other = start_server()
    _replicate(primary, target, other)
    w = Writer(primary)
    w.start()
    wait_until(lambda: len(w.acked) > 200, 30, what="writes")
    before = info(target.client(), "stats")
    assert primary.client().execute_command("FAILOVER", "TO", "127.0.0.1", target.port) == b"OK"
    wait_until(lambda: _state(primary) == "no-failover", 30, interval=0.05, what="the failover to end")
    w.join(30)
    assert not w.is_alive()
    assert w.error and "read only replica" in w.error
    assert _role(primary) == b"slave" and _role(target) == b"master"
    t = target.client()
    # Every acknowledged write is on the new primary.
    for i in w.acked[-50:] + w.acked[:50]:
        assert t.get("w%d" % i) == b"%d" % i
    assert t.dbsize() == len(w.acked)
    # The old primary continued with a partial sync; so does the other replica.
    other.client().execute_command("REPLICAOF", "127.0.0.1", target.port)
    t.set("after", 1)
    for r in (primary, other):
        wait_synced(t, r.client())
        assert r.client().dbsize() == len(w.acked) + 1
    after = info(t, "stats")
    assert after["sync_full"] == before["sync_full"]
    assert after["sync_partial_ok"] - before["sync_partial_ok"] == 2


def test_failover_from_redis_primary_to_keel(start_server):
    primary = start_server(["--repl-diskless-sync-delay", "0"], binary=ORACLE_SERVER)
    target = start_server()
    _replicate(primary, target)
    p = primary.client()
    for i in range(100):
        p.set("k%d" % i, i)
    assert p.execute_command("FAILOVER") == b"OK"
    wait_until(lambda: _state(primary) == "no-failover", 30, interval=0.05, what="the failover to end")
    assert _role(target) == b"master" and _role(primary) == b"slave"
    t = target.client()
    t.set("new", 1)
    wait_synced(t, p)
    assert p.get("new") == b"1" and p.dbsize() == 101
    assert info(p, "stats")["sync_full"] == 1          # the first sync from redis only
    assert info(t, "stats")["sync_partial_ok"] == 1


def _held_set(server):
    """A SET sent on a plain socket; returns the socket, to read its reply later."""
    s = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    s.sendall(b"*3\r\n$3\r\nSET\r\n$4\r\nheld\r\n$1\r\n1\r\n")
    return s


def _no_reply_yet(sock, wait=0.3):
    sock.settimeout(wait)
    try:
        return sock.recv(100) == b""   # closed: also a failure
    except socket.timeout:
        return True
    finally:
        sock.settimeout(10)


@pytest.mark.parametrize("primary_binary", [None, ORACLE_SERVER], ids=["keel", "redis"])
def test_failover_timeout_abort_force(start_server, primary_binary):
    primary = start_server(["--repl-diskless-sync-delay", "0"], binary=primary_binary)
    replica = start_server()
    _replicate(primary, replica)
    p = primary.client()
    rpid = replica.proc.pid
    try:
        # TIMEOUT without FORCE: the stopped replica never acks; the failover gives up and the
        # write held meanwhile runs then.
        os.kill(rpid, signal.SIGSTOP)
        p.set("case", 1)
        assert p.execute_command("FAILOVER", "TO", "127.0.0.1", replica.port, "TIMEOUT", 500) == b"OK"
        assert _state(primary) == "waiting-for-sync"
        held = _held_set(primary)
        assert _no_reply_yet(held)
        assert p.get("case") == b"1"                       # reads run
        with pytest.raises(Exception, match="already in progress"):
            p.execute_command("FAILOVER")
        with pytest.raises(Exception, match="not allowed while failing over"):
            p.execute_command("REPLICAOF", "NO", "ONE")
        wait_until(lambda: _state(primary) == "no-failover", 10, interval=0.05, what="the timeout")
        assert held.recv(100) == b"+OK\r\n"
        held.close()
        assert _role(primary) == b"master"
        # ABORT.
        assert p.execute_command("FAILOVER", "TO", "127.0.0.1", replica.port, "TIMEOUT", 60000) == b"OK"
        held = _held_set(primary)
        assert _no_reply_yet(held)
        assert p.execute_command("FAILOVER", "ABORT") == b"OK"
        assert _state(primary) == "no-failover"
        assert held.recv(100) == b"+OK\r\n"
        held.close()
        # FORCE: after the timeout the primary becomes a replica of the stopped one anyway.
        p.set("case", 2)
        assert p.execute_command("FAILOVER", "TO", "127.0.0.1", replica.port, "TIMEOUT", 100, "FORCE") == b"OK"
        wait_until(lambda: _state(primary) == "failover-in-progress", 10, interval=0.02, what="forcing")
        assert _role(primary) == b"slave"
    finally:
        os.kill(rpid, signal.SIGCONT)
    wait_until(lambda: _state(primary) == "no-failover", 30, interval=0.05, what="the failover to end")
    assert _role(replica) == b"master" and _role(primary) == b"slave"
    r = replica.client()
    wait_synced(r, p)
    assert r.get("case") == b"2" and p.get("held") == b"1"
    logs = primary.read_logs()
    assert "Replica never caught up before timeout" in logs
    assert "time out exceeded, failing over." in logs
