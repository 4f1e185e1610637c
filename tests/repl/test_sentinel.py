"""Redis Sentinel (Debian's redis-sentinel 7.0.15, the real one) manages Keel.

Three sentinels on free ports monitor a primary with two replicas; each data server runs with a
config file, so the CONFIG REWRITE of Sentinel's reconfiguration transaction (MULTI, SLAVEOF,
CONFIG REWRITE, CLIENT KILL TYPE normal/pubsub, EXEC) writes a real file. The test checks that
the sentinels discover the replicas (INFO replication) and each other (hello messages over the
primary's pub/sub), then kills the primary with SIGKILL: a replica is promoted, the other one
re-pointed, writes to the new primary reach it, the old primary restarted on its port becomes a
replica, and every key is compared on all three. A redis-py Sentinel client writes through the
failover: every write that WAIT reported on both replicas survives.

The mixed case runs a redis-server primary with a Keel replica (the lower replica-priority, so
Sentinel picks it) and a redis-server replica: Keel is promoted and the two redis-servers follow
it.
"""

import os
import random
import signal
import threading
import time

import pytest

from helpers import ORACLE_SERVER, Server, keel_binary, wait_until
from repl.replutil import assert_same_data, wait_synced, write_load

SENTINEL = "/usr/bin/redis-sentinel"
NAME = "mymaster"
DOWN_AFTER_MS = 2000   # Redis's own sentinel tests use 2000; 1000 fails over twice on a loaded 2-core VM
FAILOVER_TIMEOUT_MS = 6000


class Cluster:
    """The data servers and the sentinels of one test; stop() ends every process."""

    def __init__(self):
        self.procs = []

    def data_server(self, binary, args=(), port=None, config_text=""):
        s = Server(binary, ["--repl-diskless-sync-delay", "0"] + list(args), name="sentdata",
                   port=port)
        s.config_file = os.path.join(s.dir, "server.conf")
        with open(s.config_file, "w") as f:
            f.write(config_text)
        self.procs.append(s)
        return s.start()

    def sentinel(self, primary_port):
        s = Server(SENTINEL, name="sentinel")
        s.config_file = os.path.join(s.dir, "sentinel.conf")
        with open(s.config_file, "w") as f:
            f.write("sentinel monitor %s 127.0.0.1 %d 2\n" % (NAME, primary_port))
            f.write("sentinel down-after-milliseconds %s %d\n" % (NAME, DOWN_AFTER_MS))
            f.write("sentinel failover-timeout %s %d\n" % (NAME, FAILOVER_TIMEOUT_MS))
            f.write("sentinel parallel-syncs %s 2\n" % NAME)
        # Server adds --save "" and --appendonly no, which a sentinel accepts; --sentinel is
        # implied by the binary's name.
        self.procs.append(s)
        return s.start()

    def stop(self):
        for s in self.procs:
            s.stop(check=False)
        errors = [s.sanitizer_report() for s in self.procs if s.binary != SENTINEL]
        for s in self.procs:
            if s.binary == SENTINEL or not s.sanitizer_report():
                s.cleanup()
        errors = [e for e in errors if e]
        assert not errors, errors[0][-4000:]


@pytest.fixture
def cluster():
    c = Cluster()
    try:
        yield c
    finally:
        c.stop()


def master_addr(sentinel):
    addr = sentinel.client().execute_command("SENTINEL", "get-master-addr-by-name", NAME)
    return None if addr is None else (addr[0].decode(), int(addr[1]))


def sentinel_view(sentinel):
    """(replica ports seen, number of other sentinels seen) of one sentinel."""
    c = sentinel.client()
    replicas = c.execute_command("SENTINEL", "replicas", NAME)
    ports = set()
    for r in replicas:
        d = dict(zip(r[::2], r[1::2]))
        if b"s_down" not in d[b"flags"]:
            ports.add(int(d[b"port"]))
    others = c.execute_command("SENTINEL", "sentinels", NAME)
    return ports, len(others)


def role(server):
    return server.client().execute_command("ROLE")


def replica_of(server, port):
    """True when server is a replica of 127.0.0.1:port with its link up."""
    try:
        r = role(server)
    except Exception:   # noqa: BLE001 - a server being reconfigured may drop the connection
        return False
    return r[0] == b"slave" and int(r[2]) == port and r[3] == b"connected"


def wait_discovery(sentinels, replica_ports):
    for s in sentinels:
        wait_until(lambda: sentinel_view(s) == (set(replica_ports), len(sentinels) - 1), 30,
                   interval=0.1, what="sentinel %d to see both replicas and the others" % s.port)


def run_failover(cluster, primary, replicas, expected_winner=None, make_writer=None):
    """Kill -9 the primary; return (new primary, the other replica) once Sentinel promoted one
    and re-pointed the other."""
    sentinels = [cluster.sentinel(primary.port) for _ in range(3)]
    wait_discovery(sentinels, [r.port for r in replicas])
    assert master_addr(sentinels[0]) == ("127.0.0.1", primary.port)
    p = primary.client()
    rng = random.Random(14)
    write_load(p, rng, 1500)
    assert p.execute_command("WAIT", 2, 10000) == 2
    writer = None
    if make_writer:
        writer = make_writer(sentinels)
        writer.start()
        wait_until(lambda: writer.acked >= 50, 20, interval=0.05, what="the Sentinel client's writes")
    old_port = primary.port
    primary.proc.send_signal(signal.SIGKILL)
    primary.proc.wait(timeout=10)
    wait_until(lambda: all(master_addr(s) != ("127.0.0.1", old_port) for s in sentinels), 60,
               interval=0.1, what="Sentinel to promote a replica")
    new_port = master_addr(sentinels[0])[1]
    new_primary = next(r for r in replicas if r.port == new_port)
    other = next(r for r in replicas if r.port != new_port)
    if expected_winner is not None:
        assert new_primary is expected_winner
    wait_until(lambda: role(new_primary)[0] == b"master", 30, interval=0.1,
               what="the promoted replica to report role master")
    wait_until(lambda: replica_of(other, new_port), 30, interval=0.1,
               what="the other replica to follow the new primary")
    # Sentinel's transaction rewrote the re-pointed replica's config file.
    with open(other.config_file) as f:
        assert "replicaof 127.0.0.1 %d" % new_port in f.read()
    with open(new_primary.config_file) as f:
        assert "replicaof" not in f.read()
    return sentinels, new_primary, other, writer


def settled_primary(sentinels, servers, timeout=60):
    """The server every sentinel names as the primary, once it reports role master and every
    other server of servers follows it with its link up.

    Sentinel may legitimately fail over a second time (a sentinel that missed the new primary's
    PONGs for down-after-milliseconds on a loaded machine), so the checks after the first
    failover follow the primary the sentinels agree on rather than assume it stays put."""
    found = []

    def settled():
        addrs = {master_addr(s) for s in sentinels}
        if len(addrs) != 1:
            return False
        port = addrs.pop()[1]
        p = next((x for x in servers if x.port == port), None)
        try:
            if p is None or role(p)[0] != b"master":
                return False
        except Exception:   # noqa: BLE001 - a server being reconfigured may drop the connection
            return False
        if not all(replica_of(x, port) for x in servers if x is not p):
            return False
        found[:] = [p]
        return True
    wait_until(settled, timeout, interval=0.1, what="the sentinels to agree on a primary that "
               "every other server follows")
    return found[0]


def finish(cluster, sentinels, primary, new_primary, other, binary):
    """Writes on the primary reach the other replica; the old primary, restarted on its port, is
    turned into a replica by Sentinel; every key is the same on all three."""
    p = settled_primary(sentinels, [new_primary, other])
    if p is not new_primary:
        print("note: Sentinel failed over a second time, to port %d" % p.port)
    (rep,) = [x for x in (new_primary, other) if x is not p]
    n = p.client()
    rng = random.Random(41)
    write_load(n, rng, 1000, start=5000)
    wait_synced(n, rep.client())
    assert_same_data(n, rep.client())
    old = cluster.data_server(binary, port=primary.port)
    servers = [new_primary, other, old]
    p = settled_primary(sentinels, servers)
    n = p.client()
    write_load(n, rng, 500, start=9000)
    replicas = [x for x in servers if x is not p]
    for r in replicas:
        wait_synced(n, r.client())
        assert_same_data(n, r.client())
    roles = role(p)
    assert roles[0] == b"master"
    assert sorted(int(r[1]) for r in roles[2]) == sorted(r.port for r in replicas)
    for s in sentinels:
        assert master_addr(s) == ("127.0.0.1", p.port)
        wait_until(lambda: sentinel_view(s)[0] == {r.port for r in replicas}, 30, interval=0.1,
                   what="sentinel %d to list the new replicas" % s.port)


class SentinelWriter(threading.Thread):
    """A redis-py Sentinel client: SET w:<i> <i> then WAIT 2 on the current primary; through the
    failover it retries on errors. written counts accepted SETs, acked_keys the writes WAIT
    reported on both replicas (after the failover only one replica is left: WAIT times out)."""

    def __init__(self, sentinels):
        super().__init__(daemon=True)
        from redis.sentinel import Sentinel
        self.sentinel = Sentinel([("127.0.0.1", s.port) for s in sentinels],
                                 socket_timeout=2, socket_connect_timeout=1)
        self.stop_flag = threading.Event()
        self.acked_keys = []
        self.acked = 0
        self.written = 0
        self.errors = 0
        self.error = None

    def run(self):
        i = 0
        try:
            while not self.stop_flag.is_set():
                try:
                    m = self.sentinel.master_for(NAME, socket_timeout=2)
                    m.set("w:%d" % i, i)
                    self.written += 1
                    if m.execute_command("WAIT", 2, 200) == 2:
                        self.acked_keys.append(i)
                        self.acked += 1
                except Exception:   # noqa: BLE001 - failover: connection errors, READONLY
                    self.errors += 1
                    time.sleep(0.05)
                i += 1
        except BaseException as e:   # noqa: BLE001
            self.error = e


def test_sentinel_failover_keel(cluster):
    b = keel_binary()
    primary = cluster.data_server(b)
    replicas = [cluster.data_server(b) for _ in range(2)]
    for r in replicas:
        r.client().execute_command("REPLICAOF", "127.0.0.1", primary.port)
    for r in replicas:
        wait_synced(primary.client(), r.client())
    sentinels, new_primary, other, w = run_failover(cluster, primary, replicas,
                                                    make_writer=SentinelWriter)
    # The client keeps writing through the failover until it lands on the new primary.
    before = w.written
    wait_until(lambda: w.written >= before + 20, 30, interval=0.05,
               what="the Sentinel client to write to the new primary")
    w.stop_flag.set()
    w.join(10)
    assert w.error is None
    n = new_primary.client()
    lost = [i for i in w.acked_keys if n.get("w:%d" % i) != b"%d" % i]
    assert lost == [], "writes acknowledged by WAIT 2 and lost: %r" % lost[:20]
    assert n.get("w:%d" % max(w.acked_keys)) is not None
    finish(cluster, sentinels, primary, new_primary, other, b)


def test_sentinel_failover_mixed(cluster):
    """redis-server primary; Keel replica (replica-priority 10) and redis-server replica (100):
    Sentinel promotes Keel; the redis-server replica and the restarted redis-server primary
    follow it."""
    primary = cluster.data_server(ORACLE_SERVER)
    keel = cluster.data_server(keel_binary(), ["--replica-priority", "10"])
    redis_replica = cluster.data_server(ORACLE_SERVER)
    replicas = [keel, redis_replica]
    for r in replicas:
        r.client().execute_command("REPLICAOF", "127.0.0.1", primary.port)
    for r in replicas:
        wait_synced(primary.client(), r.client())
    sentinels, new_primary, other, _ = run_failover(cluster, primary, replicas,
                                                    expected_winner=keel)
    finish(cluster, sentinels, primary, new_primary, other, ORACLE_SERVER)
