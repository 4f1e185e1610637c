"""Replication's commands and errors, compared with redis-server: REPLCONF/REPLICAOF/ROLE on a
primary (differential scripts), and a Keel replica beside a redis-server replica of the same
primary (INFO replication's fields, ROLE, -READONLY, -MASTERDOWN, -NOREPLICAS byte for byte),
and replicaof in the config file."""

import pytest

from diff.runner import C, run_script
from helpers import ORACLE_SERVER, wait_until
from repl.replutil import info, wait_synced


@pytest.fixture
def pair(start_server):
    return start_server(), start_server(binary=ORACLE_SERVER)


def test_commands_on_a_primary(pair):
    keel, redis = pair
    run_script(keel, redis, [
        C("ROLE", expect=b"*3\r\n$6\r\nmaster\r\n:0\r\n*0\r\n"),
        C("REPLCONF", "listening-port"),
        C("REPLCONF", "listening-port", "x"),
        C("REPLCONF", "capa", "eof", "capa", "psync2", expect=b"+OK\r\n"),
        C("REPLCONF", "nosuch", "1"),
        C("REPLCONF", "ip-address", "x" * 100),
        C("REPLCONF", "ip-address", "x" * 300),
        ["PING"],
        C("REPLICAOF", "NO", "ONE", expect=b"+OK\r\n"),
        C("SLAVEOF", "no", "one"),
        C("REPLICAOF", "127.0.0.1", "port"),
        C("REPLICAOF", "127.0.0.1", "-1"),
        C("REPLICAOF", "127.0.0.1"),
        C("CONFIG", "GET", "replicaof", pairs=True),
        C("WAIT", "0", "0", expect=b":0\r\n"),
        C("WAIT", "1", "-1"),
        C("WAIT", "x", "0"),
        C("WAIT", "1", "1.5"),
        C("WAIT", "1", "10", expect=b":0\r\n"),
        ["MULTI"], ["WAIT", "1", "0"], C("EXEC", expect=b"*1\r\n:0\r\n"),
    ])


def test_wait(start_server):
    """WAIT counts the replicas (Keel and redis-server) that acknowledged the writes before it;
    it returns as soon as enough did, or at its timeout with those that did."""
    import time
    primary = start_server(["--repl-diskless-sync-delay", "0"])
    replicas = [start_server(), start_server(binary=ORACLE_SERVER)]
    p = primary.client()
    for r in replicas:
        r.client().execute_command("REPLICAOF", "127.0.0.1", primary.port)
    for r in replicas:
        wait_synced(p, r.client())
    for i in range(20):
        p.set("k", i)
        assert p.execute_command("WAIT", 2, 0) == 2
        for r in replicas:
            assert r.client().get("k") == b"%d" % i
    start = time.monotonic()
    assert p.execute_command("WAIT", 3, 300) == 2
    assert time.monotonic() - start >= 0.3
    # CLIENT UNBLOCK ends a WAIT with the count so far.
    c = primary.raw()
    c.send("CLIENT", "ID")
    cid = int(c.read_reply().payload)
    c.send("WAIT", 3, 0)
    wait_until(lambda: p.info("clients")["blocked_clients"] == 1, 10, what="WAIT to block")
    assert p.execute_command("CLIENT", "UNBLOCK", cid) == 1
    assert c.read_reply().raw == b":2\r\n"
    c.close()


def _raw_reply(server, *args):
    conn = server.raw()
    try:
        return conn.call(*args).raw
    finally:
        conn.close()


def test_keel_replica_beside_redis_replica(start_server):
    primary = start_server(["--repl-diskless-sync-delay", "0"])
    keel = start_server()
    redis = start_server(binary=ORACLE_SERVER)
    p = primary.client()
    p.set("a", 1)
    for r in (keel, redis):
        r.client().execute_command("REPLICAOF", "127.0.0.1", primary.port)
    for r in (keel, redis):
        wait_synced(p, r.client())
    ki, ri = info(keel.client()), info(redis.client())
    assert list(ki) == list(ri)
    for field in ("role", "master_host", "master_port", "master_link_status", "master_sync_in_progress",
                  "slave_repl_offset", "master_replid", "master_repl_offset", "slave_read_only"):
        assert ki[field] == ri[field], field
    kr, rr = keel.client().execute_command("ROLE"), redis.client().execute_command("ROLE")
    assert kr == rr
    assert _raw_reply(keel, "SET", "x", "1") == _raw_reply(redis, "SET", "x", "1")
    assert keel.client().get("a") == b"1"
    # The primary lists both, online, at their listening ports.
    pi = info(p)
    ports = sorted(pi["slave%d" % i]["port"] for i in range(2))
    assert ports == sorted([keel.port, redis.port])
    # min-replicas-to-write: with 3 required, writes fail on the primary.
    p.config_set("min-replicas-to-write", 3)
    assert b"NOREPLICAS" in _raw_reply(primary, "SET", "y", "1")
    p.config_set("min-replicas-to-write", 0)
    # A stale replica that may not serve stale data: the same error on both.
    for r in (keel, redis):
        r.client().config_set("replica-serve-stale-data", "no")
    primary.stop()
    for r in (keel, redis):
        wait_until(lambda: info(r.client())["master_link_status"] == "down", 30, what="link down")
    assert _raw_reply(keel, "GET", "a") == _raw_reply(redis, "GET", "a")
    assert b"MASTERDOWN" in _raw_reply(keel, "GET", "a")
    assert _raw_reply(keel, "INFO", "server").startswith(b"$")   # stale-allowed commands still run


def test_replicaof_in_config_file(start_server, tmp_path):
    primary = start_server(["--repl-diskless-sync-delay", "0"])
    primary.client().set("from-primary", "yes")
    conf = tmp_path / "replica.conf"
    conf.write_text("replicaof 127.0.0.1 %d\n" % primary.port)
    replica = start_server(config_file=str(conf))
    r = replica.client()
    wait_synced(primary.client(), r)
    assert r.get("from-primary") == b"yes"
    assert r.config_get("replicaof") == {"replicaof": "127.0.0.1 %d" % primary.port}


def _tap_after_sync(port):
    """A raw SYNC connection with its snapshot read off: what follows is the write stream."""
    import socket
    s = socket.create_connection(("127.0.0.1", port), timeout=20)
    s.sendall(b"*1\r\n$4\r\nSYNC\r\n")
    buf = b""
    while True:
        buf += s.recv(65536)
        body = buf.lstrip(b"\n")   # keep-alive newlines while the snapshot is made
        if body.startswith(b"$") and b"\r\n" in body:
            head, rest = body.split(b"\r\n", 1)
            need = int(head[1:])
            while len(rest) < need:
                rest += s.recv(65536)
            return s, rest[need:]


@pytest.mark.parametrize("server_kind", ["keel", "redis"])
def test_stream_after_sync_starts_with_the_next_write(start_server, server_kind):
    """A tap that just finished its SYNC reads the next write (SELECT, SET) first, not a PING:
    the repl-ping-replica-period clock runs from start-up, not from the replica's arrival (the
    suite's "propagate" tests read the stream this way)."""
    server = start_server(binary=ORACLE_SERVER if server_kind == "redis" else None)
    c = server.client()
    for attempt in range(3):
        tap, stream = _tap_after_sync(server.port)
        # Three cron ticks (hz 10) with nothing to send: no PING may arrive meanwhile.
        tap.settimeout(0.3)
        try:
            stream += tap.recv(65536)
        except OSError:   # socket.timeout: nothing came, as wanted
            pass
        tap.settimeout(20)
        c.set("k%d" % attempt, "v")
        while b"SET" not in stream:
            stream += tap.recv(65536)
        tap.close()
        assert stream.startswith(b"*2\r\n$6\r\nSELECT\r\n"), stream[:60]
