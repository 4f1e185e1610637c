"""Resharding under load: `redis-cli --cluster add-node`, `rebalance`, `reshard` and `del-node`
run against a cluster while one client writes and reads through redis-py's RedisCluster.

The client is the only writer, so the value each key must hold is known at every moment: each
write is recorded once acknowledged, each read is compared with the last acknowledged write of
its key. Afterwards every key is read again and the nodes' key counts are added up. The
redirections the client followed (-MOVED, -ASK) are counted by wrapping redis-py's
parse_response, to show the slots really moved under the client. The whole cluster is Keel, or
redis-server 7.0.15 as the reference for the same script.
"""

import random
import threading

import pytest
import redis
from redis.exceptions import AskError, MovedError

from cluster.cluster_util import Cluster, assert_clean_check, cli, nodes_lines
from helpers import ORACLE_SERVER, keel_binary, wait_until

MAX_OPS = 400000          # the load is bounded even if a step hangs
KEYSPACE = 4000           # keys written in turn, so most slots hold keys while they move


class Load:
    """One RedisCluster client in a thread: SET key i to a fresh value, then GET a random key
    written before and compare it with what was acknowledged."""

    def __init__(self, node):
        from redis.cluster import ClusterNode, RedisCluster
        self.rc = RedisCluster(startup_nodes=[ClusterNode(node.host, node.port)], socket_timeout=30)
        self.expected = {}
        self.wrong_reads = []
        self.ops = 0
        self.error = None
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        rnd = random.Random(15)
        try:
            while not self.stopping.is_set() and self.ops < MAX_OPS:
                key = b"key:%d" % (self.ops % KEYSPACE)
                value = b"v%d" % self.ops
                self.rc.set(key, value)
                self.expected[key] = value
                probe = b"key:%d" % rnd.randrange(min(self.ops + 1, KEYSPACE))
                got = self.rc.get(probe)
                if got != self.expected.get(probe):
                    self.wrong_reads.append((probe, got, self.expected.get(probe)))
                self.ops += 1
        except Exception as e:   # reported by stop()
            self.error = e

    def start(self):
        self.thread.start()

    def stop(self):
        self.stopping.set()
        self.thread.join(timeout=120)
        assert not self.thread.is_alive(), "the load thread did not stop"
        assert self.error is None, repr(self.error)


@pytest.fixture
def redirections(monkeypatch):
    """Counts of -MOVED and -ASK replies redis-py received (and then followed)."""
    counts = {"moved": 0, "ask": 0}
    original = redis.Redis.parse_response

    def counting(self, connection, command_name, **options):
        try:
            return original(self, connection, command_name, **options)
        except MovedError:
            counts["moved"] += 1
            raise
        except AskError:
            counts["ask"] += 1
            raise

    monkeypatch.setattr(redis.Redis, "parse_response", counting)
    return counts


def run_cli(*args):
    code, out = cli("--cluster", *args, timeout=600)
    assert code == 0, out
    return out


def slots_of(cl, node):
    node_id = cl.node_id(node)
    for f in nodes_lines(node):
        if f[0] == node_id:
            return sum(int(r.split("-")[1]) - int(r.split("-")[0]) + 1 if "-" in r else 1
                       for r in f[8:] if not r.startswith("["))
    return 0


@pytest.mark.parametrize("kind", ["keel", "redis"])
def test_add_rebalance_reshard_delete_under_load(kind, redirections):
    binary = keel_binary() if kind == "keel" else ORACLE_SERVER
    cl = Cluster([binary] * 4)
    load = None
    try:
        first, newcomer = cl.nodes[0], cl.nodes[3]
        run_cli("create", *[cl.addr(n) for n in cl.nodes[:3]], "--cluster-yes")
        cl.wait_converged(nodes=cl.nodes[:3])
        load = Load(first)
        load.start()
        wait_until(lambda: load.ops >= 2000 or not load.thread.is_alive(), 60, interval=0.05,
                   what="the client's first 2000 requests")
        ops_before = load.ops
        run_cli("add-node", cl.addr(newcomer), cl.addr(first))
        cl.wait_converged()
        new_id = cl.node_id(newcomer)
        # The newcomer takes about a quarter of the others' share (weights 1, 1, 1, 0.25).
        run_cli("rebalance", cl.addr(first), "--cluster-use-empty-masters",
                "--cluster-weight", "%s=0.25" % new_id)
        moved_in = slots_of(cl, newcomer)
        assert 1000 < moved_in < 2000, moved_in
        run_cli("reshard", cl.addr(first), "--cluster-from", new_id, "--cluster-to", cl.node_id(first),
                "--cluster-slots", str(moved_in), "--cluster-yes")
        assert slots_of(cl, newcomer) == 0
        assert newcomer.client().dbsize() == 0
        ops_during = load.ops
        run_cli("del-node", cl.addr(first), new_id)
        load.stop()
        cl.wait_converged(nodes=cl.nodes[:3])
        for n in cl.nodes[:3]:
            assert new_id not in n.client().execute_command("CLUSTER", "NODES").decode()
        assert_clean_check(cl, first)

        assert load.wrong_reads == [], load.wrong_reads[:5]
        assert ops_during > ops_before, "the client made no request while the slots moved"
        load.rc.nodes_manager.initialize()
        got = {k: load.rc.get(k) for k in load.expected}
        assert got == load.expected   # no acknowledged write lost
        assert sum(n.client().dbsize() for n in cl.nodes[:3]) == len(load.expected)
        assert redirections["moved"] > 0, redirections
        print("%s: %d operations, %d MOVED and %d ASK followed"
              % (kind, load.ops, redirections["moved"], redirections["ask"]))
    finally:
        if load is not None:
            load.stopping.set()
            load.thread.join(timeout=120)
            load.rc.close()
        cl.stop()
