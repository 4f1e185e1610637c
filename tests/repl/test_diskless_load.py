"""repl-diskless-load swapdb on a replica, Keel beside redis-server with the same steps: during a
full sync of another history the replica is loading (clients get -LOADING); of its own history
(the same replid) it serves the old data meanwhile (async_loading) and refuses only
no-async-loading commands and configs; a transfer that fails leaves the old data, one that
succeeds replaces it."""

import os
import random
import socket
import threading

import pytest

from helpers import ORACLE_SERVER, log_count, wait_until
from persist.rdbutil import assert_same, snapshot
from repl.replutil import Proxy, assert_same_data, wait_synced, write_load

import redis

ARGS = ["--enable-debug-command", "yes"]


def persistence(c, field):
    return c.info("persistence").get(field, 0)   # loading_* only while loading


def start_pair(start_server, binary):
    m, r = start_server(ARGS, binary=binary), start_server(ARGS, binary=binary)
    mc, rc = m.client(), r.client()
    mc.config_set("repl-diskless-sync", "yes")
    mc.config_set("repl-diskless-sync-delay", "0")
    rc.config_set("repl-diskless-load", "swapdb")
    return m, mc, r, rc


def loading_error(fn):
    with pytest.raises(redis.exceptions.RedisError) as e:
        fn()
    return str(e.value)


def abort_transfer(mc, rc, field):
    mc.config_set("repl-diskless-sync-delay", "5")   # the next sync waits: the replica is between syncs
    mc.execute_command("CLIENT", "KILL", "TYPE", "replica")
    wait_until(lambda: persistence(rc, field) == 0, 10, interval=0.05, what="the transfer to stop")
    mc.config_set("rdb-key-save-delay", "0")


def test_swapdb_other_history_loads(start_server, binary):
    m, mc, r, rc = start_pair(start_server, binary)
    rc.execute_command("DEBUG", "POPULATE", 200, "slave", 10)
    rc.set("mykey", "myvalue")
    # Big values, uncompressed: redis-server's loading replica answers clients once per 2 MB read.
    mc.execute_command("DEBUG", "POPULATE", 300, "master", 100000)
    mc.config_set("rdbcompression", "no")
    mc.config_set("rdb-key-save-delay", "10000")      # 10 ms a key: 3 s
    rc.replicaof("127.0.0.1", m.port)
    wait_until(lambda: persistence(rc, "loading") == 1, 10, interval=0.05, what="loading")
    assert persistence(rc, "async_loading") == 0
    assert loading_error(lambda: rc.get("mykey")).startswith("Redis is loading")
    assert loading_error(lambda: rc.config_set("appendonly", "no")).startswith("Redis is loading")
    assert log_count(r, "Loading DB in memory") == 1
    abort_transfer(mc, rc, "loading")
    assert rc.get("mykey") == b"myvalue" and rc.dbsize() == 201
    assert log_count(r, "Internal error in RDB") == 1     # the short read, logged as Redis does

    mc.config_set("repl-diskless-sync-delay", "0")
    wait_synced(mc, rc)
    assert rc.get("mykey") is None and rc.dbsize() == 300


def test_swapdb_same_history_serves_the_old_data(start_server, binary):
    m, mc, r, rc = start_pair(start_server, binary)
    rc.config_set("replica-read-only", "no")
    rc.replicaof("127.0.0.1", m.port)
    wait_synced(mc, rc)
    rc.execute_command("DEBUG", "POPULATE", 200, "slave", 10)
    rc.set("mykey", "myvalue")
    # Big values, uncompressed: redis-server's loading replica answers clients once per 2 MB read.
    mc.execute_command("DEBUG", "POPULATE", 300, "master", 100000)
    mc.config_set("rdbcompression", "no")
    mc.config_set("rdb-key-save-delay", "10000")
    # Past the backlog: the replica's PSYNC fails, a full sync of the same history follows.
    p = mc.pipeline(transaction=True)
    p.execute_command("CLIENT", "KILL", "TYPE", "replica")
    p.config_set("repl-backlog-size", "16384")
    for i in range(10):
        p.set("big%d" % i, b"A" * 16384)
    p.execute()
    wait_until(lambda: persistence(rc, "async_loading") == 1, 10, interval=0.05, what="async loading")
    assert persistence(rc, "loading") == 0
    assert rc.get("mykey") == b"myvalue" and rc.dbsize() == 201
    assert loading_error(lambda: rc.replicaof("no", "one")).startswith("Redis is loading")
    assert loading_error(lambda: rc.config_set("appendonly", "no")).startswith("Redis is loading")
    abort_transfer(mc, rc, "async_loading")
    assert rc.get("mykey") == b"myvalue" and rc.dbsize() == 201

    mc.config_set("repl-diskless-sync-delay", "0")
    wait_synced(mc, rc)
    assert rc.get("mykey") is None and rc.dbsize() == 310


# ---- loading straight from the socket (repl-diskless-load swapdb / on-empty-db) ---------------

@pytest.fixture(params=["keel", "redis"])
def primary_binary(request, keel_bin):
    return keel_bin if request.param == "keel" else ORACLE_SERVER


def parser_lines(server):
    return log_count(server, "from master to parser") + log_count(server, "with EOF to parser")


# (primary's repl-diskless-sync: "$EOF:<mark>" or "$<size>" framing, the replica's mode)
FRAMINGS = [("yes", "swapdb"), ("no", "on-empty-db")]


@pytest.mark.parametrize("sync,mode", FRAMINGS)
def test_socket_load_every_key(start_server, binary, primary_binary, sync, mode):
    """Both framings into both modes: the payload is parsed from the socket (no file on the
    replica), the stream goes on after it, and every key matches at the end."""
    rng = random.Random(14)
    m = start_server(ARGS, binary=primary_binary)
    mc = m.client()
    mc.config_set("repl-diskless-sync", sync)
    mc.config_set("repl-diskless-sync-delay", "0")
    write_load(mc, rng, 3000)
    mc.execute_command("DEBUG", "POPULATE", 2000, "pop", 300)   # LZF-compressed values too
    # Records and blobs larger than the loader's 64 KB chunk, and long element loops.
    mc.set("bigstr", os.urandom(1 << 20))
    mc.rpush("biglist", *[b"e%d" % i for i in range(20000)])
    mc.sadd("bigintset", *range(20000))
    mc.hset("bighash", mapping={b"f%d" % i: os.urandom(100) for i in range(3000)})
    mc.zadd("bigzset", {b"m%d" % i: i / 7 for i in range(3000)})
    r = start_server(ARGS, binary=binary)
    rc = r.client()
    rc.config_set("repl-diskless-load", mode)
    if mode == "swapdb":
        rc.execute_command("DEBUG", "POPULATE", 100, "old", 10)
    rc.replicaof("127.0.0.1", m.port)
    wait_synced(mc, rc)
    write_load(mc, rng, 1000, start=3000)
    assert_same_data(mc, rc)
    assert rc.dbsize() == mc.dbsize() and rc.get("old:0") is None
    assert parser_lines(r) == 1 and log_count(r, "Finished with success") == 1
    assert not os.path.exists(os.path.join(r.dir, "dump.rdb"))


def test_slow_socket_load_serves_loading(start_server, binary, primary_binary):
    """key-load-delay makes the load from the socket slow: clients are answered meanwhile
    (-LOADING, INFO loading:1), and the data set is complete at the end."""
    m = start_server(ARGS, binary=primary_binary)
    mc = m.client()
    mc.config_set("repl-diskless-sync", "yes")
    mc.config_set("repl-diskless-sync-delay", "0")
    mc.execute_command("DEBUG", "POPULATE", 1500, "k", 1000)
    mc.config_set("rdbcompression", "no")
    r = start_server(ARGS, binary=binary)
    rc = r.client()
    rc.config_set("repl-diskless-load", "on-empty-db")
    rc.config_set("key-load-delay", "2000")                 # 2 ms a key: 3 s
    rc.config_set("loading-process-events-interval-bytes", "1024")
    rc.replicaof("127.0.0.1", m.port)
    wait_until(lambda: persistence(rc, "loading") == 1, 10, interval=0.02, what="loading")
    assert loading_error(lambda: rc.get("k:1")).startswith("Redis is loading")
    loaded = [persistence(rc, "loading_loaded_bytes")]
    wait_until(lambda: persistence(rc, "loading_loaded_bytes") > loaded[0], 10, interval=0.05,
               what="the load to progress")
    assert persistence(rc, "loading") == 1
    rc.config_set("key-load-delay", "0")
    wait_synced(mc, rc)
    assert rc.dbsize() == 1500
    assert_same(snapshot(mc, (0,), encodings=False), snapshot(rc, (0,), encodings=False))


@pytest.mark.parametrize("mode", ["swapdb", "on-empty-db"])
def test_payload_cut_mid_way(start_server, binary, primary_binary, mode):
    """A proxy between them drops the link in the middle of the payload: the short read is an
    error ("Internal error in RDB"), swapdb puts the old data back, on-empty-db is left empty;
    the next sync completes."""
    m = start_server(ARGS, binary=primary_binary)
    mc = m.client()
    mc.config_set("repl-diskless-sync", "yes")
    mc.config_set("repl-diskless-sync-delay", "0")
    mc.execute_command("DEBUG", "POPULATE", 2000, "k", 1000)
    mc.config_set("rdbcompression", "no")
    r = start_server(ARGS, binary=binary)
    rc = r.client()
    rc.config_set("repl-diskless-load", mode)
    old = 0
    if mode == "swapdb":
        rc.execute_command("DEBUG", "POPULATE", 99, "old", 10)
        rc.set("mykey", "myvalue")
        old = 100
    proxy = Proxy(m.port)
    try:
        rc.config_set("key-load-delay", "2000")
        rc.config_set("loading-process-events-interval-bytes", "1024")
        rc.replicaof("127.0.0.1", proxy.port)
        wait_until(lambda: log_count(r, "Loading DB in memory") == 1, 10, interval=0.02, what="loading")
        wait_until(lambda: persistence(rc, "loading_loaded_bytes") > 0, 10, interval=0.05,
                   what="the load to progress")
        mc.config_set("repl-diskless-sync-delay", "5")   # the next sync waits: the replica is between syncs
        proxy.cut()
        wait_until(lambda: log_count(r, "Internal error in RDB") >= 1, 20, interval=0.05, what="the short read")
        wait_until(lambda: persistence(rc, "loading") == 0, 20, interval=0.05, what="the load to end")
        assert rc.dbsize() == old
        if old:
            assert rc.get("mykey") == b"myvalue"
        rc.config_set("key-load-delay", "0")
        mc.config_set("repl-diskless-sync-delay", "0")
        wait_synced(mc, rc)
        assert rc.dbsize() == 2000 and rc.get("mykey") is None
        assert_same(snapshot(mc, (0,), encodings=False), snapshot(rc, (0,), encodings=False))
    finally:
        proxy.close()


class FakePrimary:
    """Answers the handshake of the first replica to connect with +FULLRESYNC and the payload
    given (then stalls or closes); later connections get no reply to PSYNC."""

    def __init__(self, payload, close_after):
        self.payload, self.close_after = payload, close_after
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(8)
        self.port = self.listener.getsockname()[1]
        self.conns = []
        self.served = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                s, _ = self.listener.accept()
            except OSError:
                return
            self.conns.append(s)
            threading.Thread(target=self._serve, args=(s, self.served == 0), daemon=True).start()
            self.served += 1

    @staticmethod
    def _commands(s):
        """Yields each command the replica sends (a RESP array) as a list of bytes."""
        f = s.makefile("rb")
        while True:
            head = f.readline()
            if not head:
                return
            if not head.startswith(b"*"):
                continue
            args = []
            for _ in range(int(head[1:])):
                n = int(f.readline()[1:])
                args.append(f.read(n + 2)[:n])
            yield args

    def _serve(self, s, first):
        try:
            for args in self._commands(s):
                if args[0].upper() != b"PSYNC":
                    s.sendall(b"+OK\r\n")
                    continue
                if not first:
                    continue
                s.sendall(b"+FULLRESYNC " + b"f" * 40 + b" 0\r\n$EOF:" + b"m" * 40 + b"\r\n" + self.payload)
                if self.close_after:
                    s.shutdown(socket.SHUT_RDWR)
                    s.close()
                    return
        except (OSError, ValueError):
            pass

    def close(self):
        self.listener.close()
        for s in self.conns:
            try:
                s.close()
            except OSError:
                pass


def rdb_payload(start_server):
    g = start_server(ARGS, binary=ORACLE_SERVER)
    gc = g.client()
    gc.execute_command("DEBUG", "POPULATE", 3000, "k", 50)
    gc.save()
    with open(os.path.join(g.dir, "dump.rdb"), "rb") as f:
        return f.read()


@pytest.mark.parametrize("case", ["truncated", "corrupt", "stalled"])
def test_bad_payload_from_socket(start_server, binary, case):
    """A payload cut short (link closed), corrupted (checksum) or stalled (repl-timeout 2)
    fails the load without a crash or hang; swapdb keeps the old data. redis-server does the same
    but for the corrupt payload, on which it exits (rdbReportError: "Terminating server after
    rdb file reading failure"); Keel keeps running with the old data."""
    rdb = rdb_payload(start_server)
    if case == "corrupt":
        mid = len(rdb) // 2
        payload = rdb[:mid] + bytes([rdb[mid] ^ 0x5A]) + rdb[mid + 1:] + b"m" * 40
    else:
        payload = rdb[:len(rdb) // 2]
    fake = FakePrimary(payload, close_after=case == "truncated")
    try:
        r = start_server(ARGS, binary=binary)
        rc = r.client()
        rc.config_set("repl-diskless-load", "swapdb")
        rc.config_set("repl-timeout", "2")
        rc.set("mykey", "myvalue")
        rc.replicaof("127.0.0.1", fake.port)
        if case == "corrupt" and binary == ORACLE_SERVER:
            wait_until(lambda: not r.alive(), 20, interval=0.05, what="redis-server to exit")
            assert log_count(r, "Terminating server after rdb file reading failure") == 1
            return
        wait_until(lambda: log_count(r, "Failed trying to load the MASTER synchronization DB from socket") >= 1,
                   20, interval=0.05, what="the load to fail")
        wait_until(lambda: persistence(rc, "loading") == 0, 10, interval=0.05, what="the load to end")
        assert rc.get("mykey") == b"myvalue" and rc.dbsize() == 1
        assert r.alive()
    finally:
        fake.close()
