"""A primary's shutdown waits for its lagging replicas (Redis 7.0's shutdown-timeout), Keel beside
redis-server: the replica is stopped (SIGSTOP) so it acks nothing, the primary takes writes and
is asked to shut down (SIGTERM or SHUTDOWN). While it waits, INFO shows shutdown_in_milliseconds,
writes are held and SHUTDOWN clients block; then

- the replica resumes: the primary exits once it has acked, and it holds every write;
- the replica never resumes: the primary exits after shutdown-timeout, logging the lagging one;
- SHUTDOWN ABORT: the blocked SHUTDOWNs get an error, the held write runs, the server stays.

Each scenario runs on both servers and the log lines and replies are compared."""

import os
import re
import signal

import pytest

from diff.resp import RespConnection
from helpers import ORACLE_SERVER, wait_until
from repl.replutil import info

LINES = ("Waiting for replicas before shutting down.", "replicas are in sync when shutting down.",
         "Lagging replica", "Shutdown manually aborted.", "ready to exit, bye bye")


def _pair(start_server, binary, timeout):
    primary = start_server(["--repl-diskless-sync-delay", "0", "--shutdown-timeout", str(timeout)],
                           binary=binary)
    replica = start_server([], binary=binary)
    replica.client().execute_command("REPLICAOF", "127.0.0.1", primary.port)
    p = primary.client()
    p.set("k0", "0")
    wait_until(lambda: info(p).get("slave0", {}).get("state") == "online"
               and info(p)["slave0"]["offset"] == info(p)["master_repl_offset"], 30, what="replica synced")
    return primary, replica


def _log_lines(server):
    """Which of LINES the server logged, in order (the in-sync line with its counts)."""
    seen = []
    for line in server.read_logs().splitlines():
        for want in LINES:
            if want in line:
                m = re.search(r"\d+ of \d+ " + re.escape(want), line)
                seen.append(m.group(0) if m else want)
    return seen


def _waiting(c):
    return "shutdown_in_milliseconds" in c.info("server")


def _catch_up(start_server, binary, how):
    primary, replica = _pair(start_server, binary, 60)
    p = primary.client()
    os.kill(replica.proc.pid, signal.SIGSTOP)
    try:
        for i in range(1, 200):
            p.set("k%d" % i, "v%d" % i)
        shut = None
        if how == "sigterm":
            os.kill(primary.proc.pid, signal.SIGTERM)
        else:
            shut = RespConnection(primary.host, primary.port)
            shut.send("SHUTDOWN")
        wait_until(lambda: _waiting(p), 10, what="the shutdown waiting")
        # A write is held while the shutdown waits (CLIENT PAUSE WRITE's way).
        held = RespConnection(primary.host, primary.port)
        held.send("SET", "late", "1")
        wait_until(lambda: p.info("clients")["blocked_clients"] == (2 if shut else 1), 10, what="the write held")
        assert primary.alive()
    finally:
        os.kill(replica.proc.pid, signal.SIGCONT)
    primary.proc.wait(timeout=30)
    assert primary.proc.returncode == 0
    r = replica.client()
    keys = sorted(k.decode() for k in r.keys("*"))
    assert keys == sorted("k%d" % i for i in range(200))      # every write, not the held one
    assert r.get("k199") == b"v199"
    return _log_lines(primary)


@pytest.mark.parametrize("how", ["sigterm", "shutdown"])
def test_shutdown_waits_for_replica(start_server, keel_bin, how):
    keel = _catch_up(start_server, keel_bin, how)
    redis = _catch_up(start_server, ORACLE_SERVER, how)
    assert keel == redis
    assert keel == [LINES[0], "1 of 1 replicas are in sync when shutting down.", LINES[4]]


def _timeout(start_server, binary):
    primary, replica = _pair(start_server, binary, 1)
    p = primary.client()
    os.kill(replica.proc.pid, signal.SIGSTOP)
    try:
        p.set("k1", "v1")
        os.kill(primary.proc.pid, signal.SIGTERM)
        wait_until(lambda: _waiting(p), 10, what="the shutdown waiting")
        primary.proc.wait(timeout=20)   # the replica never acks: out after shutdown-timeout
        assert primary.proc.returncode == 0
    finally:
        os.kill(replica.proc.pid, signal.SIGCONT)
    return _log_lines(primary)


def test_shutdown_timeout_with_replica_stuck(start_server, keel_bin):
    keel = _timeout(start_server, keel_bin)
    redis = _timeout(start_server, ORACLE_SERVER)
    assert keel == redis
    assert keel == [LINES[0], "Lagging replica", "0 of 1 replicas are in sync when shutting down.", LINES[4]]


def _paused(start_server, binary):
    """CLIENT PAUSE (ALL) holds the clients, not the replicas: the replica's ack still reaches the
    shutdown (Redis's cluster suite, 05-slave-selection: Keel waited out shutdown-timeout)."""
    primary, replica = _pair(start_server, binary, 60)
    p = primary.client()
    os.kill(replica.proc.pid, signal.SIGSTOP)
    try:
        p.set("k1", "v1")
        p.execute_command("CLIENT", "PAUSE", "60000")
        os.kill(primary.proc.pid, signal.SIGTERM)
        wait_until(lambda: LINES[0] in primary.read_logs(), 10, what="the shutdown waiting")
    finally:
        os.kill(replica.proc.pid, signal.SIGCONT)
    primary.proc.wait(timeout=30)   # well before the 60 s shutdown-timeout
    assert primary.proc.returncode == 0
    assert replica.client().get("k1") == b"v1"
    return _log_lines(primary)


def test_shutdown_during_client_pause_reads_replica_acks(start_server, keel_bin):
    keel = _paused(start_server, keel_bin)
    redis = _paused(start_server, ORACLE_SERVER)
    assert keel == redis
    assert keel == [LINES[0], "1 of 1 replicas are in sync when shutting down.", LINES[4]]


def _abort(start_server, binary):
    primary, replica = _pair(start_server, binary, 60)
    p = primary.client()
    os.kill(replica.proc.pid, signal.SIGSTOP)
    try:
        p.incr("n")
        shuts = [RespConnection(primary.host, primary.port) for _ in range(2)]
        for s in shuts:
            s.send("SHUTDOWN")
        wait_until(lambda: p.info("clients")["blocked_clients"] == 2, 10, what="two SHUTDOWNs blocked")
        held = RespConnection(primary.host, primary.port)
        held.send("INCR", "n")
        wait_until(lambda: p.info("clients")["blocked_clients"] == 3, 10, what="the write held")
        replies = [p.execute_command("SHUTDOWN", "ABORT")]
        replies += [s.read_reply().error_text() for s in shuts]
        replies.append(held.read_reply().to_py())
        assert not _waiting(p)
        try:
            p.execute_command("SHUTDOWN", "ABORT")
        except Exception as e:   # nothing left to abort
            replies.append(str(e))
    finally:
        os.kill(replica.proc.pid, signal.SIGCONT)
    assert primary.alive()
    return replies, _log_lines(primary)


def test_shutdown_abort_while_waiting(start_server, keel_bin):
    keel = _abort(start_server, keel_bin)
    redis = _abort(start_server, ORACLE_SERVER)
    assert keel == redis
    replies, lines = keel
    assert replies[1] == replies[2] and b"Errors trying to SHUTDOWN. Check logs." in replies[1]
    assert replies[3] == 2 and replies[4] == "No shutdown in progress."
    assert lines == [LINES[0], LINES[3]]
