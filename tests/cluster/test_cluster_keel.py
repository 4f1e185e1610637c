"""A cluster of three Keel nodes: formed by `redis-cli --cluster create`, `--cluster check`
clean, redis-py's RedisCluster reading and writing through redirections, and a node killed
with SIGKILL marked FAIL by the two others within the node timeout (plus the time to gossip).
"""

import os
import signal

import pytest

from cluster.cluster_util import NODE_TIMEOUT_MS, Cluster
from helpers import keel_binary, wait_until


@pytest.fixture
def keel_cluster():
    cl = Cluster([keel_binary()] * 3)
    try:
        cl.create()
        yield cl
    finally:
        cl.stop()


def test_create_and_check(keel_cluster):
    code, out = keel_cluster.check()
    assert code == 0, out
    assert "[OK] All nodes agree about slots configuration." in out
    assert "[OK] All 16384 slots covered." in out
    assert "[ERR]" not in out and "[WARNING]" not in out, out
    for node in keel_cluster.nodes:
        info = node.client().execute_command("CLUSTER", "INFO").decode()
        assert "cluster_known_nodes:3" in info and "cluster_size:3" in info
        # nodes.conf is rewritten as the cluster forms: it lists every node
        with open(os.path.join(node.dir, "nodes.conf")) as f:
            conf = f.read()
        assert len(conf.splitlines()) == 4 and conf.splitlines()[-1].startswith("vars currentEpoch 3 ")


def test_redis_py_cluster_reads_and_writes(keel_cluster):
    rc = keel_cluster.redis_cluster()
    try:
        n = 2000
        for i in range(n):
            rc.set("key:%d" % i, "value:%d" % i)
        assert all(rc.get("key:%d" % i) == b"value:%d" % i for i in range(n))
        # every node holds a share, and each key is where CLUSTER KEYSLOT says
        sizes = [node.client().dbsize() for node in keel_cluster.nodes]
        assert sum(sizes) == n and all(s > n // 6 for s in sizes)
        rc.mset_nonatomic({"{tag}a": "1", "{tag}b": "2"})
        assert rc.mget_nonatomic(["{tag}a", "{tag}b"]) == [b"1", b"2"]
    finally:
        rc.close()


def test_redirections(keel_cluster):
    c = keel_cluster.nodes[0].client()
    slot = c.execute_command("CLUSTER", "KEYSLOT", "foo")
    owner = [r for r in c.execute_command("CLUSTER", "SLOTS") if r[0] <= slot <= r[1]][0]
    owner_port = int(owner[2][1])
    other = [n for n in keel_cluster.nodes if n.port != owner_port][0].client()
    with pytest.raises(Exception) as e:
        other.set("foo", "bar")
    assert str(e.value) == "MOVED %d 127.0.0.1:%d" % (slot, owner_port)
    with pytest.raises(Exception) as e:
        other.mset({"a": "1", "b": "2"})
    assert "CROSSSLOT Keys in request don't hash to the same slot" in str(e.value)
    with pytest.raises(Exception) as e:
        other.execute_command("SELECT", "1")
    assert "SELECT is not allowed in cluster mode" in str(e.value)


def test_killed_node_is_marked_fail(keel_cluster):
    victim = keel_cluster.nodes[2]
    victim_id = keel_cluster.node_id(victim)
    os.kill(victim.proc.pid, signal.SIGKILL)
    victim.proc.wait(timeout=10)
    for observer in keel_cluster.nodes[:2]:
        wait_until(lambda: "fail" in (keel_cluster.flags_seen_by(observer, victim_id) or []),
                   NODE_TIMEOUT_MS / 1000 * 4 + 5, interval=0.1, what="FAIL flag")
        info = observer.client().execute_command("CLUSTER", "INFO").decode()
        assert "cluster_state:fail" in info


def test_meet_by_hand_every_node_agrees():
    """Node 0 MEETs the others (it receives no MEET itself): it must still learn its own IP,
    so every node's CLUSTER SLOTS is the same, as the Redis suite's cluster_setup checks."""
    cl = Cluster([keel_binary()] * 3)
    try:
        first = cl.nodes[0].client()
        for n in cl.nodes[1:]:
            assert first.execute_command("CLUSTER", "MEET", n.host, n.port) == b"OK"
        for n, (a, b) in zip(cl.nodes, [(0, 5460), (5461, 10922), (10923, 16383)]):
            n.client().execute_command("CLUSTER", "ADDSLOTSRANGE", a, b)
        cl.wait_converged()
        slots = [n.client().execute_command("CLUSTER", "SLOTS") for n in cl.nodes]
        assert slots[0] == slots[1] == slots[2]
        assert all(entry[2][0] == b"127.0.0.1" for entry in slots[0])
    finally:
        cl.stop()
