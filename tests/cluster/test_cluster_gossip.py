"""What a node takes from a known node's gossip about other nodes (Redis 7.0's
clusterProcessGossipSection), with the observer Keel or redis-server and the rest Keel:

- a node it has never heard of is added at once under its real name, even when that node cannot
  answer (no handshake with a random name that expires: suite 27-endpoints counts the isolated
  node's CLUSTER NODES lines and looks for the primary it cannot reach by name);
- a node it cannot reach, gossiped as reachable at another address, is reached at that address.
"""

import os
import signal

import pytest

from cluster.cluster_util import Cluster, cli, cluster_port, nodes_lines
from helpers import ORACLE_SERVER, keel_binary, wait_until


def nodes_by_id(node):
    return {f[0]: f for f in nodes_lines(node)}


def three_and_observer(observer_kind):
    """A 3-primary Keel cluster and a fourth node (the observer) that has met none of them."""
    k = keel_binary()
    cl = Cluster([k, k, k, k if observer_kind == "keel" else ORACLE_SERVER],
                 extra=["--enable-debug-command", "yes"])
    code, out = cli("--cluster", "create", *[cl.addr(n) for n in cl.nodes[:3]], "--cluster-yes")
    assert code == 0, out
    return cl


@pytest.mark.parametrize("observer_kind", ["keel", "redis"])
def test_gossiped_node_is_added_by_name_while_unreachable(observer_kind):
    cl = three_and_observer(observer_kind)
    a, b, observer = cl.nodes[0], cl.nodes[1], cl.nodes[3]
    stopped = False
    try:
        aid = cl.node_id(a)
        wait_until(lambda: aid in nodes_by_id(b), 30, interval=0.05, what="b knows a")
        os.kill(a.proc.pid, signal.SIGSTOP)   # a answers nothing from now on
        stopped = True
        observer.client().execute_command("CLUSTER", "MEET", b.host, b.port)
        wait_until(lambda: aid in nodes_by_id(observer), 30, interval=0.05,
                   what="the observer lists the unreachable primary under its real name")
        line = nodes_by_id(observer)[aid]
        assert "master" in line[2].split(",") and "handshake" not in line[2], line
        assert line[1].startswith("%s:%d@" % (a.host, a.port)), line
        wait_until(lambda: len(nodes_by_id(observer)) == 4
                   and not any("handshake" in f[2] for f in nodes_by_id(observer).values()),
                   30, interval=0.05, what="the observer knows every node by name")
        os.kill(a.proc.pid, signal.SIGCONT)
        stopped = False
        wait_until(lambda: len(observer.client().execute_command("CLUSTER", "SLOTS")) == 3, 30,
                   interval=0.05, what="the observer learns a's slots once a answers")
        assert len(nodes_by_id(observer)) == 4
    finally:
        if stopped:
            os.kill(a.proc.pid, signal.SIGCONT)
        cl.stop()


@pytest.mark.parametrize("observer_kind", ["keel", "redis"])
def test_unreachable_node_follows_the_gossiped_address(observer_kind):
    cl = three_and_observer(observer_kind)
    a, b, observer = cl.nodes[0], cl.nodes[1], cl.nodes[3]
    try:
        aid = cl.node_id(a)
        observer.client().execute_command("CLUSTER", "MEET", b.host, b.port)
        wait_until(lambda: all(len(nodes_by_id(n)) == 4
                               and not any("handshake" in f[2] for f in nodes_by_id(n).values())
                               for n in cl.nodes), 30, interval=0.05, what="every node knows all four")
        # The observer drops PINGs: it cannot learn a's new address from a itself, only from
        # the gossip in the PONGs b and c send it.
        observer.client().execute_command("DEBUG", "DROP-CLUSTER-PACKET-FILTER", 0)
        a.stop()
        a.port = cluster_port()
        a.start()   # same folder, same nodes.conf: same name, new client and bus ports
        assert cl.node_id(a) == aid
        want = "%s:%d@%d" % (a.host, a.port, a.port + 10000)
        wait_until(lambda: nodes_by_id(b)[aid][1].startswith(want), 30, interval=0.05,
                   what="b learns a's new address from a's PING")
        wait_until(lambda: nodes_by_id(observer)[aid][1].startswith(want), 30, interval=0.05,
                   what="the observer takes a's new address from gossip")
        wait_until(lambda: not set(nodes_by_id(observer)[aid][2].split(",")) & {"fail", "fail?"},
                   30, interval=0.05, what="the observer reaches a at its new address")
    finally:
        cl.stop()
