"""A mixed cluster: three redis-server 7.0.15 primaries and three Keel primaries, interleaved.
They converge through the bus (binary compatibility), `redis-cli --cluster check` is clean,
`redis-cli --cluster reshard` moves slots from a Keel node to a Redis node and back (MIGRATE
both ways) with every key and value compared afterwards, redis-py's RedisCluster reads and
writes through the redirections, and a killed node of either kind is marked FAIL by all others.
"""

import os
import signal

import pytest

from cluster.cluster_util import NODE_TIMEOUT_MS, Cluster, assert_clean_check, cli
from helpers import ORACLE_SERVER, keel_binary, wait_until

NKEYS = 3000


@pytest.fixture
def mixed():
    k, r = keel_binary(), ORACLE_SERVER
    cl = Cluster([r, k, r, k, r, k])
    try:
        cl.create()
        yield cl
    finally:
        cl.stop()


clean_check = assert_clean_check


def test_mixed_cluster_converges(mixed):
    for node in mixed.nodes:
        clean_check(mixed, node)


def reshard(cl, source, target, slots):
    code, out = cli("--cluster", "reshard", cl.addr(cl.nodes[0]), "--cluster-from", cl.node_id(source),
                    "--cluster-to", cl.node_id(target), "--cluster-slots", slots, "--cluster-yes",
                    timeout=300)
    assert code == 0, out
    cl.wait_converged()


def test_reshard_both_ways_loses_no_key(mixed):
    rc = mixed.redis_cluster()
    try:
        expected = {("key:%d" % i).encode(): ("value:%d" % i).encode() for i in range(NKEYS)}
        for k, v in expected.items():
            rc.set(k, v)
        rc.expire(b"key:0", 1000)
        redis_node, keel_node = mixed.nodes[0], mixed.nodes[1]
        before = (keel_node.client().dbsize(), redis_node.client().dbsize())
        reshard(mixed, keel_node, redis_node, 600)      # Keel -> Redis
        reshard(mixed, redis_node, keel_node, 1500)     # Redis -> Keel
        after = (keel_node.client().dbsize(), redis_node.client().dbsize())
        assert after != before
        for node in (redis_node, keel_node):
            clean_check(mixed, node)
        rc.nodes_manager.initialize()
        got = {k: rc.get(k) for k in expected}
        assert got == expected
        assert 0 < rc.ttl(b"key:0") <= 1000
        assert sum(n.client().dbsize() for n in mixed.nodes) == NKEYS
        # each node's per-slot counts add up to its keys
        for node in mixed.nodes:
            c = node.client()
            own = [(r[0], r[1]) for r in c.execute_command("CLUSTER", "SLOTS") if int(r[2][1]) == node.port]
            total = sum(c.execute_command("CLUSTER", "COUNTKEYSINSLOT", s) for a, b in own for s in range(a, b + 1))
            assert total == c.dbsize()
    finally:
        rc.close()


@pytest.mark.parametrize("victim_index", [0, 1], ids=["redis-node", "keel-node"])
def test_killed_node_marked_fail_by_all(mixed, victim_index):
    victim = mixed.nodes[victim_index]
    victim_id = mixed.node_id(victim)
    os.kill(victim.proc.pid, signal.SIGKILL)
    victim.proc.wait(timeout=10)
    for observer in mixed.nodes:
        if observer is victim:
            continue
        wait_until(lambda: "fail" in (mixed.flags_seen_by(observer, victim_id) or []),
                   NODE_TIMEOUT_MS / 1000 * 4 + 5, interval=0.1, what="FAIL flag on %r" % observer)


def test_publish_reaches_subscribers_on_every_node(mixed):
    subs = []
    try:
        for node in mixed.nodes:
            p = node.client().pubsub()
            p.subscribe("news")
            p.get_message(timeout=5)   # the subscribe confirmation
            subs.append(p)
        for sender in (mixed.nodes[0], mixed.nodes[1]):   # from a Redis node, then a Keel node
            payload = b"from %d" % sender.port
            assert sender.client().publish("news", payload) == 1   # local subscribers only
            for p in subs:
                msg = wait_until(lambda: p.get_message(timeout=0.1), 10, what="message on every node")
                assert msg["data"] == payload
    finally:
        for p in subs:
            p.close()


def test_hostnames_set_and_cleared_both_ways(mixed):
    """cluster-announce-hostname travels in the ping extension from Keel to redis-server nodes
    and back; set to "" it is cleared everywhere (a ping without extension data announces no
    hostname)."""
    def hostnames_seen():
        seen = set()
        for observer in mixed.nodes:
            for line in observer.client().execute_command("CLUSTER", "NODES").decode().splitlines():
                addr = line.split()[1]
                seen.add((observer.port, addr.split(",")[1] if "," in addr else ""))
        return seen

    for i, n in enumerate(mixed.nodes):
        n.client().config_set("cluster-announce-hostname", "host-%d.example" % i)
    wanted = {"host-%d.example" % i for i in range(len(mixed.nodes))}
    wait_until(lambda: {h for _, h in hostnames_seen()} == wanted, 30, interval=0.1, what="hostnames everywhere")
    for n in mixed.nodes:
        n.client().config_set("cluster-announce-hostname", "")
    wait_until(lambda: {h for _, h in hostnames_seen()} == {""}, 30, interval=0.1, what="hostnames cleared everywhere")
