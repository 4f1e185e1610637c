"""A command of the replication stream that fails on the replica (DEBUG REPLICATE of a command
it does not know, an INCRBY on a writable replica's own string) is logged as Redis logs it,
"== CRITICAL == This replica is sending an error to its master ...", counted in INFO stats'
unexpected_error_replies, and the replica goes on. Keel and redis-server run the same steps
and must log the same lines."""

import threading
import time

import pytest

from helpers import ORACLE_SERVER, ping_once, wait_until
from repl.replutil import wait_synced


def log_lines(server, needle):
    with open(server.logfile, errors="replace") as f:
        return [line for line in f if needle in line]


def test_stream_errors_on_the_replica_are_logged(start_server, binary):
    args = ["--enable-debug-command", "yes"]
    m, r = start_server(args, binary=binary), start_server(args, binary=binary)
    mc, rc = m.client(), r.client()
    rc.replicaof("127.0.0.1", m.port)
    wait_synced(mc, rc)

    assert mc.execute_command("DEBUG", "REPLICATE", "fake-command-1") == b"OK"
    mc.set("foo", "bar2")
    assert mc.wait(1, 2000) == 1
    assert rc.get("foo") == b"bar2"
    critical = log_lines(r, "== CRITICAL ==")
    assert len(critical) == 1
    assert "This replica is sending an error to its master" in critical[0]
    assert "fake-command-1" in critical[0] and "after processing the command '<unknown>'" in critical[0]
    assert len(log_lines(r, "fake-command-1")) == 1
    assert rc.info("stats")["unexpected_error_replies"] == 1
    assert mc.info("stats")["unexpected_error_replies"] == 0

    rc.config_set("replica-read-only", "no")
    rc.set("number2", "foo")
    mc.incrby("number2", 1)
    assert mc.wait(1, 2000) == 1
    assert mc.get("number2") == b"1" and rc.get("number2") == b"foo"
    lines = log_lines(r, "incrby")
    assert len(lines) == 1 and "after processing the command 'incrby'" in lines[0]
    assert rc.info("stats")["unexpected_error_replies"] == 2

    # On a replica (no stream of its own) DEBUG REPLICATE feeds nothing.
    assert rc.execute_command("DEBUG", "REPLICATE", "fake-command-2") == b"OK"
    assert log_lines(m, "fake-command-2") == []


def test_blocked_clients_are_unblocked_when_turning_into_a_replica(start_server, binary):
    """A BLPOP blocked on a primary that becomes a replica would pop its new primary's pushes
    (the replica's copy of the list would lose them): it gets -UNBLOCKED and its connection closes,
    as Redis's disconnectAllBlockedClients (issue #2473 in Redis's suite)."""
    a, b = start_server(binary=binary), start_server(binary=binary)
    ac, bc = a.client(), b.client()
    raw = b.raw()
    raw.send("BLPOP", "foo", "0")
    wait_until(lambda: bc.info("clients")["blocked_clients"] == 1, 10, what="BLPOP to block")
    bc.replicaof("127.0.0.1", a.port)
    reply = raw.read_reply()
    assert reply.is_error
    assert reply.error_text() == b"UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)"
    assert raw.closed_by_peer()               # closed after the reply
    raw.close()
    wait_synced(ac, bc)
    ac.rpush("foo", "a", "b", "c")
    wait_synced(ac, bc)
    assert bc.lrange("foo", 0, -1) == [b"a", b"b", b"c"]


@pytest.mark.parametrize("sync", [("SYNC",), ("PSYNC", "?", "-1")])
@pytest.mark.parametrize("command", [("PING",), ("XINFO", "HELP"), ("GET", "k"), ("SLOWLOG", "GET")])
def test_a_replica_that_makes_a_reply_is_disconnected(start_server, binary, sync, command):
    """The replica's link carries the stream only: a command the replica sends that would put a
    reply on it disconnects it, logged as Redis logs it."""
    s = start_server(["--save", ""], binary=binary)
    c = s.client()
    name = command[0].lower() + ("|" + command[1].lower() if len(command) > 1 and command[0] != "GET" else "")
    link = s.raw()
    link.send(*sync)
    wait_until(lambda: c.info("replication")["connected_slaves"] == 1, 10, what="the replica link")
    link.send(*command)
    wait_until(lambda: len(log_lines(s, "Replica generated a reply to command '%s', disconnecting it: " % name)) == 1,
               10, interval=0.05, what="the log line")
    wait_until(lambda: c.info("clients")["connected_clients"] == 1, 10, what="the replica to be disconnected")
    assert c.ping()
    # A keyspace command is refused first (the error is what would go on the link).
    refused = log_lines(s, "== CRITICAL == This master is sending an error to its replica: "
                           "'Replica can't interact with the keyspace' after processing the command 'get'")
    assert len(refused) == (1 if command[0] == "GET" else 0)


def test_a_ttl_past_when_applied_keeps_the_key_on_the_replica(start_server, binary):
    """A replica that applies PEXPIREAT, GETEX PXAT or RESTORE ABSTTL after their time passed (it
    was busy) keeps the key, hidden from reads, until its primary's DEL, as Redis's replicas: a
    replica deletes no key on its own. Deleting it at once, without a DEL its siblings ever see,
    left a promoted Keel replica and a redis-server sibling with different DBSIZEs after a
    Sentinel failover. Once promoted, the replica expires the keys itself."""
    args = ["--enable-debug-command", "yes"]
    m = start_server(args, binary=ORACLE_SERVER)
    r = start_server(args, binary=binary)
    mc, rc = m.client(), r.client()
    rc.replicaof("127.0.0.1", m.port)
    wait_synced(mc, rc)
    mc.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "0")   # no DEL from the primary meanwhile
    mc.set("src", "v")
    payload = mc.dump("src")
    sleeper = threading.Thread(target=lambda: r.client().execute_command("DEBUG", "SLEEP", "0.6"))
    sleeper.start()
    # Asleep once a PING from another connection gets no answer within 50 ms.
    wait_until(lambda: not ping_once(r.host, r.port, timeout=0.05), 5, what="the replica to sleep")
    mc.set("a", "1")
    mc.pexpire("a", 100)
    mc.set("b", "1")
    mc.execute_command("GETEX", "b", "PXAT", int(time.time() * 1000) + 100)
    mc.restore("c", 100, payload)
    sleeper.join()
    wait_synced(mc, rc)
    assert mc.dbsize() == 4   # src, a, b, c: the primary has not expired them either
    assert rc.dbsize() == 4
    assert [rc.get(k) for k in ("a", "b", "c")] == [None, None, None]
    assert rc.dbsize() == 4   # reads hide them; they stay until the primary's DEL
    m.stop()
    rc.replicaof("no", "one")
    wait_until(lambda: rc.dbsize() == 1, 10, interval=0.05, what="the promoted replica to expire the keys")
    assert rc.info("stats")["expired_keys"] == 3
