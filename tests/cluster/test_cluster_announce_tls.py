"""cluster-announce-tls-port and cluster-announce-port in a TLS cluster (tls-cluster yes), against
redis-server 7.0.15: three Keel nodes and three redis-server nodes, each cluster made with
`redis-cli --tls --cluster create`, then node 0's announced ports changed with CONFIG SET as
Redis's deriveAnnouncedPorts reads them:

  - nothing set: port = tls-port, pport (the bus header's plain port) = port;
  - cluster-announce-tls-port T and cluster-announce-port P: port T, pport P;
  - cluster-announce-tls-port T alone: port T, pport 0 (clients not on TLS are shown T too);
  - cluster-announce-port P alone: port P, pport = port (announce-port wins without a TLS one);
  - both back to 0: the real ports again.

After each step, once node 1 has learnt the change by gossip, the view of node 0 is taken from
node 0 itself and from node 1, through a TLS client and a plain one: its CLUSTER NODES address,
CLUSTER SLOTS port, CLUSTER SHARDS port/tls-port, and the -MOVED a key of its slots gets. Real
ports are replaced by names (plain, tls, bus) and the two clusters' views must be equal.
"""

import os
import subprocess

import pytest
import redis

from helpers import ORACLE_SERVER, keel_binary, wait_until
from security.test_tls_cluster import TLSCluster, tls_client

HERE = os.path.dirname(os.path.abspath(__file__))
ANNOUNCED_TLS = 17171   # announcements only: nothing connects to them in this test
ANNOUNCED_PLAIN = 17272


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    d = str(tmp_path_factory.mktemp("tls-certs"))
    subprocess.run([os.path.join(HERE, "..", "security", "gen_certs.sh"), d], check=True, timeout=120)
    return d


def names_of(node):
    return {node.port: "plain", node.tls_port: "tls", node.tls_port + 10000: "bus",
            ANNOUNCED_TLS: "T", ANNOUNCED_PLAIN: "P", 0: "0"}


def view(cl, observer, target, key):
    """What observer tells a TLS client and a plain client about target's address."""
    names = names_of(target)
    target_id = cl.node_id(target)
    out = {}
    for kind in ("tls", "plain"):
        c = tls_client(cl, observer) if kind == "tls" else observer.client()
        try:
            line = [l for l in c.execute_command("CLUSTER", "NODES").decode().splitlines()
                    if l.startswith(target_id)][0]
            addr = line.split()[1]
            port, bus = addr.split(":")[1].split("@")
            out[kind + " nodes"] = (names[int(port)], names[int(bus.split(",")[0])])
            out[kind + " slots"] = sorted(names[int(n[1])] for r in c.execute_command("CLUSTER", "SLOTS")
                                          for n in r[2:] if n[2].decode() == target_id)
            shard_nodes = [dict(zip(nd[::2], nd[1::2])) for s in c.execute_command("CLUSTER", "SHARDS")
                           for nd in dict(zip(s[::2], s[1::2]))[b"nodes"]]
            me = [n for n in shard_nodes if n[b"id"].decode() == target_id][0]
            out[kind + " shards"] = tuple((f, names[me[f]]) for f in (b"port", b"tls-port") if f in me)
            if observer is not target:
                with pytest.raises(redis.exceptions.ResponseError) as e:
                    c.get(key)
                out[kind + " moved"] = names[int(str(e.value).split(":")[-1])]
        finally:
            c.close()
    return out


def settle(cl, observer, target, want_tls_port, want_plain_port):
    """Until observer's CLUSTER NODES shows target at the expected ports (TLS and plain client)."""
    target_id = cl.node_id(target)

    def port_seen(c):
        for l in c.execute_command("CLUSTER", "NODES").decode().splitlines():
            if l.startswith(target_id):
                return int(l.split()[1].split(":")[1].split("@")[0])

    def ok():
        t = tls_client(cl, observer)
        try:
            return port_seen(t) == want_tls_port and port_seen(observer.client()) == want_plain_port
        finally:
            t.close()
    wait_until(ok, 20, interval=0.05, what="announced ports gossiped")


def key_of(cl, node):
    c = cl.nodes[0].client()
    owner_port = node.port
    ranges = [(r[0], r[1]) for r in c.execute_command("CLUSTER", "SLOTS") if int(r[2][1]) == owner_port]
    for i in range(10000):
        k = "k%d" % i
        s = c.execute_command("CLUSTER", "KEYSLOT", k)
        if any(a <= s <= b for a, b in ranges):
            return k
    raise AssertionError("no key")


def scenario(certs, binary):
    cl = TLSCluster(certs, [binary] * 3)
    try:
        cl.create()
        n0, n1 = cl.nodes[0], cl.nodes[1]
        key = key_of(cl, n0)
        c0 = n0.client()
        steps = [
            ("defaults", 0, 0, n0.tls_port, n0.port),
            ("tls and plain", ANNOUNCED_TLS, ANNOUNCED_PLAIN, ANNOUNCED_TLS, ANNOUNCED_PLAIN),
            ("tls alone", ANNOUNCED_TLS, 0, ANNOUNCED_TLS, ANNOUNCED_TLS),
            ("plain alone", 0, ANNOUNCED_PLAIN, ANNOUNCED_PLAIN, n0.port),
            ("back to defaults", 0, 0, n0.tls_port, n0.port),
        ]
        out = []
        for name, tls_port, plain_port, want_tls, want_plain in steps:
            c0.config_set("cluster-announce-tls-port", tls_port)
            c0.config_set("cluster-announce-port", plain_port)
            assert c0.config_get("cluster-announce-tls-port") == {"cluster-announce-tls-port": str(tls_port)}
            settle(cl, n0, n0, want_tls, want_plain)   # myself: at once
            settle(cl, n1, n0, want_tls, want_plain)   # the others: by gossip
            out.append((name, view(cl, n0, n0, key), view(cl, n1, n0, key)))
        return out
    finally:
        cl.stop()


def test_announced_tls_ports_as_redis(certs):
    keel = scenario(certs, keel_binary())
    redis_view = scenario(certs, ORACLE_SERVER)
    for k, r in zip(keel, redis_view):
        assert k == r, "step %r: keel %r, redis %r" % (k[0], k, r)
    assert len(keel) == len(redis_view) == 5
    # what Redis shows, spelled out for one step: both announced, seen from node 1
    tls_and_plain = keel[1][2]
    assert tls_and_plain["tls nodes"] == ("T", "bus") and tls_and_plain["plain nodes"] == ("P", "bus")
    assert tls_and_plain["tls moved"] == "T" and tls_and_plain["plain moved"] == "P"
    assert tls_and_plain["tls shards"] == ((b"port", "P"), (b"tls-port", "T"))
