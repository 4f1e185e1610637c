"""Cluster bus over TLS (tls-cluster yes, issue #17).

Every node has a plain port (for the test's own checks), a tls-port P and, as Redis with
tls-cluster, the bus on P + 10000, accepting and connecting with TLS only (the peer's
certificate verified by the CA both ways). The cluster is made and checked with
`redis-cli --tls --cluster create/check` on the tls-ports: three Keel nodes, and a mixed cluster
of redis-server 7.0.15 and Keel nodes (a redis-server bus with tls-cluster speaks nothing but
TLS, so its links with Keel nodes prove both directions). redis-py's RedisCluster with ssl=True
then writes and reads through the redirections.
"""

import os

import pytest

from cluster.cluster_util import Cluster, assert_clean_check, start_node
from helpers import ORACLE_SERVER, keel_binary, redis_cli_binary, wait_until

import subprocess


def start_tls_node(binary, certs, name):
    return start_node(binary, name, tls_certs=certs)


class TLSCluster(Cluster):
    def __init__(self, certs, binaries):
        self.certs = certs
        self.nodes = []
        try:
            for i, binary in enumerate(binaries):
                kind = "redis" if binary == ORACLE_SERVER else "keel"
                self.nodes.append(start_tls_node(binary, certs, "tls-cluster-%s-%d" % (kind, i)))
        except BaseException:
            self.stop(check=False)
            raise

    def addr(self, node):
        return "%s:%d" % (node.host, node.tls_port)

    def cli(self, *args, timeout=120):
        argv = [redis_cli_binary(), "--tls", "--cacert", os.path.join(self.certs, "ca.crt"),
                "--cert", os.path.join(self.certs, "client.crt"),
                "--key", os.path.join(self.certs, "client.key")] + [str(a) for a in args]
        proc = subprocess.run(argv, capture_output=True, timeout=timeout, text=True)
        return proc.returncode, proc.stdout + proc.stderr

    def create(self):
        code, out = self.cli("--cluster", "create", *[self.addr(n) for n in self.nodes], "--cluster-yes")
        assert code == 0, out
        self.wait_converged()
        return out

    def check(self, node=None):
        return self.cli("--cluster", "check", self.addr(node or self.nodes[0]))

    def redis_cluster(self):
        from redis.cluster import ClusterNode, RedisCluster
        n = self.nodes[0]
        return RedisCluster(startup_nodes=[ClusterNode(n.host, n.tls_port)], socket_timeout=30, ssl=True,
                            ssl_ca_certs=os.path.join(self.certs, "ca.crt"),
                            ssl_certfile=os.path.join(self.certs, "client.crt"),
                            ssl_keyfile=os.path.join(self.certs, "client.key"))


clean_check = assert_clean_check


def tls_client(cl, node):
    import redis
    return redis.Redis(host=node.host, port=node.tls_port, ssl=True, socket_timeout=30,
                       ssl_ca_certs=os.path.join(cl.certs, "ca.crt"),
                       ssl_certfile=os.path.join(cl.certs, "client.crt"),
                       ssl_keyfile=os.path.join(cl.certs, "client.key"))


def node_ports(text):
    """(port, bus port) of every CLUSTER NODES line."""
    out = set()
    for line in text.splitlines():
        addr = line.split()[1]
        out.add((int(addr.split(":")[1].split("@")[0]), int(addr.split("@")[1].split(",")[0])))
    return out


def ports_as_redis_shows_them(cl):
    """Over TLS every node lists the others at their tls-port, the bus at tls-port + 10000; a
    client on the plain port is shown the plain ports (pport), in CLUSTER NODES and SLOTS."""
    tls_view = {(n.tls_port, n.tls_port + 10000) for n in cl.nodes}
    plain_view = {(n.port, n.tls_port + 10000) for n in cl.nodes}
    for n in cl.nodes:
        t = tls_client(cl, n)
        try:
            assert node_ports(t.execute_command("CLUSTER", "NODES").decode()) == tls_view
            slot_ports = {r[2][1] for r in t.execute_command("CLUSTER", "SLOTS")}
            assert slot_ports == {p for p, _ in tls_view}
        finally:
            t.close()
        c = n.client()
        assert node_ports(c.execute_command("CLUSTER", "NODES").decode()) == plain_view
        slot_ports = {r[2][1] for r in c.execute_command("CLUSTER", "SLOTS")}
        assert slot_ports == {p for p, _ in plain_view}
        c.close()


def write_keys(cl, n):
    rc = cl.redis_cluster()
    try:
        for i in range(n):
            rc.set("tls:%d" % i, "v%d" % i)
    finally:
        rc.close()


def read_keys(cl, n):
    rc = cl.redis_cluster()
    try:
        assert all(rc.get("tls:%d" % i) == b"v%d" % i for i in range(n))
        assert sum(node.client().dbsize() for node in cl.nodes) == n
    finally:
        rc.close()


def reshard(cl, source, target, slots):
    """redis-cli --tls --cluster reshard: the source node MIGRATEs the keys to the target's
    tls-port (with tls-cluster, MIGRATE connects with TLS, as Redis)."""
    code, out = cl.cli("--cluster", "reshard", cl.addr(cl.nodes[0]), "--cluster-from", cl.node_id(source),
                       "--cluster-to", cl.node_id(target), "--cluster-slots", slots, "--cluster-yes",
                       timeout=300)
    assert code == 0, out
    cl.wait_converged()


def add_keel_replica(cl):
    """A Keel node joins with redis-cli --tls --cluster add-node --cluster-slave: it meets the
    cluster over the TLS bus and replicates its primary over TLS (tls-replication) at the
    primary's tls-port, as the cluster announces it."""
    node = start_tls_node(keel_binary(), cl.certs, "tls-cluster-keel-replica")
    cl.nodes.append(node)
    primary = cl.nodes[0]
    code, out = cl.cli("--cluster", "add-node", cl.addr(node), cl.addr(primary), "--cluster-slave",
                       "--cluster-master-id", cl.node_id(primary))
    assert code == 0, out
    c = node.client()
    wait_until(lambda: c.info("replication").get("master_link_status") == "up", 30, what="replica link up")
    assert c.info("replication")["master_port"] == primary.tls_port
    wait_until(lambda: c.dbsize() == primary.client().dbsize(), 30, what="the replica's keys")
    cl.wait_converged()
    clean_check(cl, node)
    c.close()


@pytest.mark.parametrize("kinds", ["keel3", "mixed"])
def test_tls_cluster_bus(certs, kinds):
    k, r = keel_binary(), ORACLE_SERVER
    binaries = [k, k, k] if kinds == "keel3" else [r, k, r, k]
    cl = TLSCluster(certs, binaries)
    try:
        cl.create()
        for node in cl.nodes:
            clean_check(cl, node)
        ports_as_redis_shows_them(cl)
        write_keys(cl, 2000)
        read_keys(cl, 2000)
        assert all(node.client().dbsize() > 0 for node in cl.nodes)
        # Slots with their keys from the first to the second node and back (mixed: Redis ->
        # Keel, then Keel -> Redis).
        before = cl.nodes[1].client().dbsize()
        reshard(cl, cl.nodes[0], cl.nodes[1], 100)
        assert cl.nodes[1].client().dbsize() > before
        read_keys(cl, 2000)
        reshard(cl, cl.nodes[1], cl.nodes[0], 100)
        assert cl.nodes[1].client().dbsize() == before
        read_keys(cl, 2000)
        for node in cl.nodes:
            clean_check(cl, node)
        # Every node holds established links to every other node (both directions).
        for node in cl.nodes:
            links = node.client().execute_command("CLUSTER", "LINKS")
            assert len(links) == 2 * (len(cl.nodes) - 1), links
    finally:
        cl.stop()
