"""Replicas and failover (issue #15): 6-node clusters (3 primaries, 3 replicas).

- Keel only, created by `redis-cli --cluster create --cluster-replicas 1`: CLUSTER NODES,
  REPLICAS, SLOTS and SHARDS show the replicas, READONLY reads on a replica, redis-py's
  RedisCluster writes, kill -9 of a primary: its replica is promoted, every acknowledged write
  is still there, `redis-cli --cluster check` is clean, and the old primary comes back as a
  replica of the new one. Then CLUSTER FAILOVER (manual) gives the primary role back.
- Mixed: a redis-server replica takes over from a Keel primary, and a Keel replica from a
  redis-server primary (binary compatibility of the election messages both ways).
Node timeout 2 s; every wait polls a condition.
"""

import pytest

from cluster.cluster_util import Cluster, cli, nodes_lines
from helpers import ORACLE_SERVER, keel_binary, wait_until

NKEYS = 2000


def role_of(observer, node_id):
    for f in nodes_lines(observer):
        if f[0] == node_id:
            return f
    return None


def link_up(node):
    return node.client().info("replication").get("master_link_status") == "up"


def stable_fields(line):
    """A CLUSTER NODES-format line without its ping-sent and pong-received fields."""
    f = line.split()
    return f[:4] + f[6:]


def follows(replica, primary):
    """The replica's link is up, to this primary's address (not another node's)."""
    i = replica.client().info("replication")
    return i.get("master_link_status") == "up" and i.get("master_port") == primary.port


def clean_check(cl, node):
    code, out = cl.check(node)
    assert code == 0, out
    assert "[OK] All nodes agree about slots configuration." in out, out
    assert "[OK] All 16384 slots covered." in out, out
    assert "[ERR]" not in out, out


def primary_replica_pairs(cl):
    """(primary node, replica node) for every replica, as the first node sees them."""
    by_id = {cl.node_id(n): n for n in cl.nodes}
    pairs = []
    for f in nodes_lines(cl.nodes[0]):
        if "slave" in f[2].split(","):
            pairs.append((by_id[f[3]], by_id[f[0]]))
    return pairs


def wait_promoted(cl, survivors, replica_id, timeout=60):
    def promoted():
        for n in survivors:
            f = role_of(n, replica_id)
            if f is None or "master" not in f[2].split(",") or len(f) < 9:
                return False
            if "cluster_state:ok" not in n.client().execute_command("CLUSTER", "INFO").decode():
                return False
        return True
    wait_until(promoted, timeout, interval=0.1, what="replica promoted everywhere")


def rc_from(node):
    """redis-py's RedisCluster through a given (live) node."""
    from redis.cluster import ClusterNode, RedisCluster
    return RedisCluster(startup_nodes=[ClusterNode(node.host, node.port)], socket_timeout=30)


def wait_acked(primary, keys, replicas=1):
    """WAIT on the primary for the acknowledgement of everything written so far.

    WAIT counts replicas that acknowledged the offset of its own connection's last write (a
    connection that wrote nothing returns at once, whatever the replicas have), so one of the
    keys this primary serves is written again, unchanged, on the connection that then WAITs."""
    import redis
    c = primary.client()
    for k, v in keys.items():
        try:
            c.set(k, v)
        except redis.exceptions.ResponseError:   # -MOVED: another primary's key
            continue
        return c.execute_command("WAIT", replicas, 5000)
    raise AssertionError("none of the keys belongs to %r" % primary)


def write_keys(rc, prefix, n):
    acked = {}
    for i in range(n):
        k, v = ("%s:%d" % (prefix, i)).encode(), ("v%d" % i).encode()
        rc.set(k, v)
        acked[k] = v
    return acked


@pytest.fixture
def keel6():
    k = keel_binary()
    cl = Cluster([k] * 6, extra=["--enable-debug-command", "yes"])
    try:
        code, out = cli("--cluster", "create", *[cl.addr(n) for n in cl.nodes], "--cluster-replicas", "1",
                        "--cluster-yes")
        assert code == 0, out
        wait_until(lambda: len(primary_replica_pairs(cl)) == 3 and all(link_up(r) for _, r in primary_replica_pairs(cl)),
                   60, interval=0.1, what="replicas in sync")
        cl.wait_converged()
        yield cl
    finally:
        cl.stop()


def test_replicas_reported(keel6):
    cl = keel6
    pairs = primary_replica_pairs(cl)
    rc = cl.redis_cluster()
    try:
        written = write_keys(rc, "w", 100)   # a replica with offset 0 has no data: SLOTS leaves it out
    finally:
        rc.close()
    for primary, replica in pairs:
        pid, rid = cl.node_id(primary), cl.node_id(replica)
        for n in cl.nodes:
            lines = n.client().execute_command("CLUSTER", "REPLICAS", pid)
            assert len(lines) == 1 and lines[0].decode().startswith(rid), lines
            # The same line but for ping-sent and pong-received, which move between the calls.
            slaves = n.client().execute_command("CLUSTER", "SLAVES", pid)
            assert [stable_fields(l) for l in slaves] == [stable_fields(l) for l in lines]
        # CLUSTER SLOTS: the primary then the replica for each range.
        def slots_list_replica():
            for entry in primary.client().execute_command("CLUSTER", "SLOTS"):
                if entry[2][2].decode() == pid:
                    return len(entry) == 4 and entry[3][2].decode() == rid
            return False
        wait_until(slots_list_replica, 10, interval=0.05, what="CLUSTER SLOTS lists the replica")
        shards = replica.client().execute_command("CLUSTER", "SHARDS")
        assert len(shards) == 3
    other = pairs[1][1]
    with pytest.raises(Exception, match="I can only replicate a master"):
        pairs[0][1].client().execute_command("CLUSTER", "REPLICATE", cl.node_id(other))
    with pytest.raises(Exception, match="must be empty and without assigned slots"):
        pairs[0][0].client().execute_command("CLUSTER", "REPLICATE", cl.node_id(pairs[1][0]))
    # PUBLISH reaches a replica's subscribers once: by the bus, not also by the replication stream.
    primary, replica = pairs[0]
    sub = replica.client().pubsub()
    try:
        sub.subscribe("news")
        assert sub.get_message(timeout=5)["type"] == "subscribe"
        for i in range(3):
            primary.client().publish("news", "m%d" % i)
        got = []
        wait_until(lambda: got.extend(m["data"] for m in iter(lambda: sub.get_message(timeout=0.01), None)) or
                   b"m2" in got, 10, interval=0.01, what="published messages")
        # The replica acknowledged the whole stream (any PUBLISH in it applied) before WAIT returns.
        assert wait_acked(primary, written) == 1
        got.extend(m["data"] for m in iter(lambda: sub.get_message(timeout=0.2), None))
        assert got == [b"m0", b"m1", b"m2"], got
    finally:
        sub.close()
    # DEBUG CLUSTERLINK KILL drops the links to a node; the outbound one comes back.
    c0 = cl.nodes[0].client()
    target = cl.node_id(cl.nodes[1])
    assert c0.execute_command("DEBUG", "CLUSTERLINK", "KILL", "all", target) == b"OK"
    wait_until(lambda: any(l[b"node"].decode() == target and l[b"direction"] == b"to"
                           for l in [dict(zip(x[::2], x[1::2])) for x in c0.execute_command("CLUSTER", "LINKS")]),
               10, interval=0.05, what="link reconnected")
    with pytest.raises(Exception, match="Unknown direction sideways"):
        c0.execute_command("DEBUG", "CLUSTERLINK", "KILL", "sideways", target)
    with pytest.raises(Exception, match="Unknown node"):
        c0.execute_command("DEBUG", "CLUSTERLINK", "KILL", "all", "x" * 40)
    # READONLY reads on a replica; writes there are redirected.
    rc = cl.redis_cluster()
    try:
        rc.set(b"ro-key", b"1")
        slot = rc.keyslot(b"ro-key")
    finally:
        rc.close()
    owner_id = [e[2][2].decode() for e in cl.nodes[0].client().execute_command("CLUSTER", "SLOTS")
                if e[0] <= slot <= e[1]][0]
    replica = [r for p, r in pairs if cl.node_id(p) == owner_id][0]
    raw = replica.client()
    wait_until(lambda: (raw.execute_command("READONLY") and raw.execute_command("GET", "ro-key")) == b"1", 10,
               interval=0.05, what="READONLY read on the replica")
    with pytest.raises(Exception, match="MOVED"):
        raw.execute_command("SET", "ro-key", "2")
    raw.execute_command("READWRITE")
    with pytest.raises(Exception, match="MOVED"):
        raw.execute_command("GET", "ro-key")
    with pytest.raises(Exception, match="not allowed in cluster mode"):
        raw.execute_command("REPLICAOF", "NO", "ONE")


def test_kill_primary_replica_promoted_then_manual_failover(keel6):
    cl = keel6
    rc = cl.redis_cluster()
    try:
        acked = write_keys(rc, "k", NKEYS)
    finally:
        rc.close()
    primary, replica = primary_replica_pairs(cl)[0]
    pid, rid = cl.node_id(primary), cl.node_id(replica)
    # Every acknowledged write reached the replica before the kill (WAIT), so none may be lost.
    assert wait_acked(primary, acked) == 1
    primary.kill()
    survivors = [n for n in cl.nodes if n is not primary]
    wait_promoted(cl, survivors, rid)
    for n in survivors:
        assert "fail" in role_of(n, pid)[2].split(",")
    rc = rc_from(survivors[0])
    try:
        got = {k: rc.get(k) for k in acked}
        assert got == acked
    finally:
        rc.close()
    clean_check(cl, survivors[0])
    # The old primary returns as a replica of the new one.
    primary.start()
    wait_until(lambda: (role_of(survivors[0], pid) or [""] * 4)[3] == rid and link_up(primary), 60, interval=0.1,
               what="old primary demoted to replica")
    cl.wait_converged()
    clean_check(cl, cl.nodes[0])
    # Manual failover gives it the slots back, with no write lost.
    assert primary.client().execute_command("CLUSTER", "FAILOVER") == b"OK"
    wait_promoted(cl, cl.nodes, pid)
    wait_until(lambda: (role_of(cl.nodes[0], rid) or [""] * 4)[3] == pid, 30, interval=0.1,
               what="new primary demoted by the manual failover")
    rc = cl.redis_cluster()
    try:
        assert {k: rc.get(k) for k in acked} == acked
    finally:
        rc.close()
    with pytest.raises(Exception, match="You should send CLUSTER FAILOVER to a replica"):
        primary.client().execute_command("CLUSTER", "FAILOVER")


@pytest.mark.parametrize("primary_kind", ["keel", "redis"])
def test_mixed_failover(primary_kind):
    """Primaries of one kind, each replicated by a node of the other kind; a primary is killed."""
    k, r = keel_binary(), ORACLE_SERVER
    prim, rep = (k, r) if primary_kind == "keel" else (r, k)
    cl = Cluster([prim, prim, prim, rep, rep, rep])
    try:
        code, out = cli("--cluster", "create", *[cl.addr(n) for n in cl.nodes[:3]], "--cluster-yes")
        assert code == 0, out
        for i in range(3):
            replica, primary = cl.nodes[3 + i], cl.nodes[i]
            replica.client().execute_command("CLUSTER", "MEET", primary.host, primary.port)
        wait_until(lambda: all(len(nodes_lines(n)) == 6 and not any("handshake" in f[2] for f in nodes_lines(n))
                               for n in cl.nodes), 60, interval=0.1, what="replicas met")
        for i in range(3):
            cl.nodes[3 + i].client().execute_command("CLUSTER", "REPLICATE", cl.node_id(cl.nodes[i]))
        wait_until(lambda: all(follows(cl.nodes[3 + i], cl.nodes[i]) for i in range(3)) and
                   len(primary_replica_pairs(cl)) == 3, 60, interval=0.1, what="replicas in sync")
        cl.wait_converged()
        rc = cl.redis_cluster()
        try:
            acked = write_keys(rc, "m", 500)
        finally:
            rc.close()
        primary, replica = cl.nodes[0], cl.nodes[3]
        acks = wait_acked(primary, acked)
        assert acks == 1, (primary.client().info("replication"), replica.client().info("replication"))
        pid, rid = cl.node_id(primary), cl.node_id(replica)
        primary.kill()
        survivors = cl.nodes[1:]
        wait_promoted(cl, survivors, rid)
        rc = rc_from(survivors[0])
        try:
            assert {k2: rc.get(k2) for k2 in acked} == acked
        finally:
            rc.close()
        clean_check(cl, survivors[0])
        primary.start()
        wait_until(lambda: (role_of(survivors[0], pid) or [""] * 4)[3] == rid and link_up(primary), 60,
                   interval=0.1, what="old primary demoted to replica")
    finally:
        cl.stop()


def test_full_sync_replaces_functions():
    """A node demoted to replica that already holds a library of the same name (the cluster
    suite's failover loop) loads its primary's snapshot: the primary's functions replace its own,
    as redis-server's full sync does. Plain replication, since REPLICAOF is refused in cluster
    mode."""
    from helpers import Server
    lib = "#!lua name=lib1\nredis.register_function('f%d', function() return %d end)"
    primary = Server(keel_binary(), name="fsync-primary").start()
    replica = Server(keel_binary(), name="fsync-replica").start()
    try:
        primary.client().execute_command("FUNCTION", "LOAD", lib % (1, 1))
        replica.client().execute_command("FUNCTION", "LOAD", lib % (2, 2))
        replica.client().execute_command("REPLICAOF", primary.host, primary.port)
        wait_until(lambda: link_up(replica), 30, interval=0.05, what="replica in sync")
        names = [l[1] for l in replica.client().execute_command("FUNCTION", "LIST")]
        assert names == [b"lib1"]
        funcs = replica.client().execute_command("FUNCTION", "LIST")[0][5]
        assert [f[1] for f in funcs] == [b"f1"], funcs
    finally:
        for s in (replica, primary):
            s.stop()
            s.cleanup()
