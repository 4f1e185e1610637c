"""Shard channels (SSUBSCRIBE/SPUBLISH) in a mixed cluster: three shards, each a primary and a
replica of the other kind where possible (redis-server primary + Keel replica, Keel primary +
redis-server replica, Keel primary + Keel replica), so PUBLISHSHARD bus messages go from Keel to
redis-server nodes and back.

- SPUBLISH on any node of a channel's shard reaches the subscribers on every node of that
  shard (primary and replica), and its reply counts the local subscribers only.
- Nodes of other shards answer -MOVED to SSUBSCRIBE and SPUBLISH; channels of two slots
  -CROSSSLOT; Keel's replies are compared with redis-server's.
- A slot that leaves a shard (SETSLOT NODE) ends its channels' subscriptions with a
  "sunsubscribe" push, on a Keel node and on a redis-server node, primary and replica alike.
"""

import pytest

from cluster.cluster_util import Cluster, cli, nodes_lines
from helpers import ORACLE_SERVER, keel_binary, wait_until


@pytest.fixture(scope="module")
def shards():
    k, r = keel_binary(), ORACLE_SERVER
    prim, rep = [r, k, k], [k, r, k]
    cl = Cluster(prim + rep)
    try:
        code, out = cli("--cluster", "create", *[cl.addr(n) for n in cl.nodes[:3]], "--cluster-yes")
        assert code == 0, out
        for i in range(3):
            cl.nodes[3 + i].client().execute_command("CLUSTER", "MEET", cl.nodes[i].host, cl.nodes[i].port)
        wait_until(lambda: all(len(nodes_lines(n)) == 6 and not any("handshake" in f[2] for f in nodes_lines(n))
                               for n in cl.nodes), 60, interval=0.1, what="replicas met")
        for i in range(3):
            cl.nodes[3 + i].client().execute_command("CLUSTER", "REPLICATE", cl.node_id(cl.nodes[i]))
        # Every node must know every replica's primary: PUBLISHSHARD goes to the shard's nodes.
        wait_until(lambda: all(sum(1 for f in nodes_lines(n) if "slave" in f[2]) == 3 for n in cl.nodes),
                   60, interval=0.1, what="replicas known everywhere")
        cl.wait_converged()
        yield cl
    finally:
        cl.stop()


def channel_in(node, shard_cl, avoid=()):
    """A channel name whose slot the node (a primary) serves, not one of the slots avoided."""
    lo_hi = []
    for f in nodes_lines(node):
        if "myself" in f[2]:
            for r in f[8:]:
                a, _, b = r.partition("-")
                lo_hi.append((int(a), int(b or a)))
    c = node.client()
    for i in range(100000):
        name = "ch:%d" % i
        slot = c.execute_command("CLUSTER", "KEYSLOT", name)
        if slot not in avoid and any(a <= slot <= b for a, b in lo_hi):
            return name, slot
    raise AssertionError("no channel found")


def subscribe(node, channel):
    conn = node.raw()
    reply = conn.call("SSUBSCRIBE", channel).to_py()
    assert reply == [b"ssubscribe", channel.encode(), 1], (node, reply)
    return conn


def error_of(node, *args):
    text = node.raw().call(*args).error_text()
    assert text is not None, (node, args)
    return text.decode() if isinstance(text, bytes) else text


def test_spublish_reaches_every_node_of_the_shard(shards):
    cl = shards
    for i in range(3):
        primary, replica = cl.nodes[i], cl.nodes[3 + i]
        channel, _ = channel_in(primary, cl)
        subs = [subscribe(primary, channel), subscribe(replica, channel)]
        try:
            for j, publisher in enumerate((primary, replica)):
                msg = "m%d-%d" % (i, j)
                assert publisher.client().execute_command("SPUBLISH", channel, msg) == 1
                for s in subs:
                    assert s.read_reply().to_py() == [b"smessage", channel.encode(), msg.encode()], (i, j)
        finally:
            for s in subs:
                s.sock.close()


def test_other_shards_redirect(shards):
    cl = shards
    for i in range(3):
        primary = cl.nodes[i]
        channel, slot = channel_in(primary, cl)
        moved = "MOVED %d %s:%d" % (slot, primary.host, primary.port)
        for other in cl.nodes:
            if other in (primary, cl.nodes[3 + i]):
                continue
            assert error_of(other, "SSUBSCRIBE", channel) == moved, other
            assert error_of(other, "SPUBLISH", channel, "x") == moved, other
    # Two slots in one call, on a Keel node and on a redis-server node: the same error.
    a, _ = channel_in(cl.nodes[1], cl)
    b, _ = channel_in(cl.nodes[2], cl)
    errors = {error_of(n, "SSUBSCRIBE", a, b) for n in cl.nodes}
    assert errors == {"CROSSSLOT Keys in request don't hash to the same slot"}, errors


def move_slot(cl, slot, source, target):
    sid, tid = cl.node_id(source), cl.node_id(target)
    assert target.client().execute_command("CLUSTER", "SETSLOT", slot, "IMPORTING", sid)
    assert source.client().execute_command("CLUSTER", "SETSLOT", slot, "MIGRATING", tid)
    assert target.client().execute_command("CLUSTER", "SETSLOT", slot, "NODE", tid)
    assert source.client().execute_command("CLUSTER", "SETSLOT", slot, "NODE", tid)

    def everywhere():
        for n in cl.nodes:
            c = n.client()
            owner = [r for r in c.execute_command("CLUSTER", "SLOTS") if r[0] <= slot <= r[1]]
            if not owner or owner[0][2][1] != target.port:
                return False
        return True
    wait_until(everywhere, 60, interval=0.1, what="slot %d moved everywhere" % slot)


@pytest.mark.parametrize("source_index,target_index", [(1, 0), (0, 2)])
def test_slot_leaving_the_shard_unsubscribes(shards, source_index, target_index):
    """(1, 0): from a Keel primary with a redis-server replica; (0, 2): from a redis-server
    primary with a Keel replica."""
    cl = shards
    source, replica, target = cl.nodes[source_index], cl.nodes[3 + source_index], cl.nodes[target_index]
    channel, slot = channel_in(source, cl)
    other, _ = channel_in(source, cl, avoid=(slot,))
    subs = [subscribe(source, channel), subscribe(replica, channel)]
    keep = source.raw()
    assert keep.call("SSUBSCRIBE", other).to_py()[0] == b"ssubscribe"
    assert keep.call("SSUBSCRIBE", channel).to_py() == [b"ssubscribe", channel.encode(), 2]
    try:
        move_slot(cl, slot, source, target)
        for s in subs:
            assert s.read_reply().to_py() == [b"sunsubscribe", channel.encode(), 0]
        # A client with a channel of another slot keeps it (the count says so) and still gets
        # its messages.
        assert keep.read_reply().to_py() == [b"sunsubscribe", channel.encode(), 1]
        assert source.client().execute_command("SPUBLISH", other, "still") == 1
        assert keep.read_reply().to_py() == [b"smessage", other.encode(), b"still"]
        # The target's shard serves the channel now.
        t = subscribe(target, channel)
        assert target.client().execute_command("SPUBLISH", channel, "moved") == 1
        assert t.read_reply().to_py() == [b"smessage", channel.encode(), b"moved"]
        t.sock.close()
        assert error_of(source, "SPUBLISH", channel, "x") == "MOVED %d %s:%d" % (slot, target.host, target.port)
    finally:
        for s in subs + [keep]:
            s.sock.close()
