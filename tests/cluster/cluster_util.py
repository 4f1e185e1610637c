"""Clusters of Keel and redis-server nodes on loopback ports, for the tests of tests/cluster/.

A cluster node needs two ports: its client port P and its bus port P + 10000, both free, so
ports are drawn from [20000, 55000) until both bind. Every node is a helpers.Server, so the
atexit hook and Server.stop() (sanitizer check included) apply; Cluster.stop() stops them all.
"""

import os
import random
import subprocess

from helpers import ORACLE_SERVER, Server, port_is_free, redis_cli_binary, wait_until

NODE_TIMEOUT_MS = 2000


def cluster_port():
    """A client port whose bus port (+10000) is free too."""
    for _ in range(1000):
        port = random.randrange(20000, 55000)
        if port_is_free(port) and port_is_free(port + 10000):
            return port
    raise RuntimeError("no free port pair for a cluster node")


def start_node(binary, name, extra=(), tls_certs=None):
    """A cluster node. With tls_certs (a folder of gen_certs.sh files) it runs tls-cluster: the
    drawn port is its tls-port, which carries the bus (+10000), and node.tls_port names it."""
    args = ["--cluster-enabled", "yes", "--cluster-node-timeout", str(NODE_TIMEOUT_MS)] + list(extra)
    last = None
    for _ in range(3):
        port = cluster_port()
        if tls_certs:
            tls_args = ["--tls-port", str(port), "--tls-cluster", "yes", "--tls-replication", "yes"]
            for opt, f in (("--tls-cert-file", "server.crt"), ("--tls-key-file", "server.key"),
                           ("--tls-ca-cert-file", "ca.crt")):
                tls_args += [opt, os.path.join(tls_certs, f)]
            node = Server(binary, args + tls_args, name=name)
            node.tls_port = port
        else:
            node = Server(binary, args, name=name, port=port)
        try:
            return node.start()
        except Exception as e:   # a port taken between the check and bind(): draw again
            last = e
            node.cleanup()
    raise last


def nodes_lines(node):
    """node's CLUSTER NODES, each line split into its fields."""
    return [l.split() for l in node.client().execute_command("CLUSTER", "NODES").decode().splitlines()]


def cli(*args, timeout=120, stdin=None):
    proc = subprocess.run([redis_cli_binary()] + [str(a) for a in args], capture_output=True,
                          timeout=timeout, input=stdin, text=True)
    return proc.returncode, proc.stdout + proc.stderr


class Cluster:
    """Nodes of the given binaries, all primaries once create() ran."""

    def __init__(self, binaries, extra=()):
        self.nodes = []
        try:
            for i, binary in enumerate(binaries):
                kind = "redis" if binary == ORACLE_SERVER else "keel"
                self.nodes.append(start_node(binary, "cluster-%s-%d" % (kind, i), extra))
        except BaseException:
            self.stop(check=False)
            raise

    def addr(self, node):
        return "%s:%d" % (node.host, node.port)

    def create(self):
        code, out = cli("--cluster", "create", *[self.addr(n) for n in self.nodes], "--cluster-yes")
        assert code == 0, out
        self.wait_converged()
        return out

    def wait_converged(self, timeout=60, nodes=None):
        """Every node (of nodes, default all) knows every one of them and no other, sees state
        ok, and all agree on the slot owners."""
        nodes = self.nodes if nodes is None else nodes

        def converged():
            views = set()
            for n in nodes:
                c = n.client()
                info = c.execute_command("CLUSTER", "INFO").decode()
                if "cluster_state:ok" not in info:
                    return False
                lines = c.execute_command("CLUSTER", "NODES").decode().splitlines()
                if len(lines) != len(nodes) or any("handshake" in l or "fail" in l for l in lines):
                    return False
                views.add(frozenset((l.split()[0], tuple(l.split()[8:])) for l in lines))
            return len(views) == 1
        wait_until(converged, timeout, interval=0.1, what="cluster convergence")

    def check(self, node=None):
        code, out = cli("--cluster", "check", self.addr(node or self.nodes[0]))
        return code, out

    def node_id(self, node):
        return node.client().execute_command("CLUSTER", "MYID").decode()

    def flags_seen_by(self, observer, target_id):
        for fields in nodes_lines(observer):
            if fields[0] == target_id:
                return fields[2].split(",")
        return None

    def redis_cluster(self):
        from redis.cluster import ClusterNode, RedisCluster
        n = self.nodes[0]
        return RedisCluster(startup_nodes=[ClusterNode(n.host, n.port)], socket_timeout=30)

    def stop(self, check=True):
        errors = []
        for n in self.nodes:
            try:
                n.stop(check=check)
            except Exception as e:
                errors.append(e)
            n.cleanup()
        if errors:
            raise errors[0]


def assert_clean_check(cl, node):
    """`redis-cli --cluster check` from node finds nothing to complain about."""
    code, out = cl.check(node)
    assert code == 0, out
    assert "[OK] All nodes agree about slots configuration." in out, out
    assert "[OK] All 16384 slots covered." in out, out
    assert "[ERR]" not in out and "[WARNING]" not in out, out


def assert_index_exact(c):
    # keys with a TTL must be gone first: SCAN hides them once expired, DBSIZE and the index
    # count them until active expiry reclaims them
    wait_until(lambda: c.info("keyspace").get("db0", {}).get("expires", 0) == 0, 30, interval=0.05,
               what="active expiry of every volatile key")
    keys = list(c.scan_iter(count=1000))
    pipe = c.pipeline(transaction=False)
    for k in keys:
        pipe.execute_command("CLUSTER", "KEYSLOT", k)
    by_slot = {}
    for k, slot in zip(keys, pipe.execute()):
        by_slot.setdefault(slot, set()).add(k)
    pipe = c.pipeline(transaction=False)
    for slot in range(16384):
        pipe.execute_command("CLUSTER", "COUNTKEYSINSLOT", slot)
    counts = pipe.execute()
    assert sum(counts) == c.dbsize() == len(keys)
    for slot in range(16384):
        assert counts[slot] == len(by_slot.get(slot, ())), "slot %d" % slot
    for slot, names in list(by_slot.items())[:200]:
        got = c.execute_command("CLUSTER", "GETKEYSINSLOT", slot, len(names) + 5)
        assert set(got) == names
