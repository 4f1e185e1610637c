"""The PONG that completes a handshake names the node but tells nothing else: its slots, role
changes, hostname and gossip come with its next PING/PONG, as in Redis. With PINGs dropped
(DEBUG DROP-CLUSTER-PACKET-FILTER 0) on a primary and on a newcomer, the newcomer knows the
primary but not its slots until the filter is lifted (suite 27-endpoints). The newcomer is Keel
or redis-server, the cluster Keel.
"""

import pytest

from cluster.cluster_util import Cluster, cli, nodes_lines
from helpers import ORACLE_SERVER, keel_binary, wait_until


@pytest.mark.parametrize("newcomer_kind", ["keel", "redis"])
def test_handshake_pong_carries_no_slots(newcomer_kind):
    k = keel_binary()
    cl = Cluster([k, k, k, k if newcomer_kind == "keel" else ORACLE_SERVER], extra=["--enable-debug-command", "yes"])
    try:
        code, out = cli("--cluster", "create", *[cl.addr(n) for n in cl.nodes[:3]], "--cluster-yes")
        assert code == 0, out
        a, b, new = cl.nodes[0], cl.nodes[1], cl.nodes[3]
        a.client().execute_command("DEBUG", "DROP-CLUSTER-PACKET-FILTER", 0)
        new.client().execute_command("DEBUG", "DROP-CLUSTER-PACKET-FILTER", 0)
        new.client().execute_command("CLUSTER", "MEET", b.host, b.port)
        wait_until(lambda: len(nodes_lines(new)) == 4 and not any("handshake" in f[2] for f in nodes_lines(new)),
                   30, interval=0.05, what="newcomer knows every node by name")
        wait_until(lambda: len(new.client().execute_command("CLUSTER", "SLOTS")) == 2, 30, interval=0.05,
                   what="newcomer knows the slots of the two nodes it can ping")
        aid = cl.node_id(a)
        line = [f for f in nodes_lines(new) if f[0] == aid][0]
        assert len(line) == 8, line   # no slot ranges for the node whose PINGs are dropped
        a.client().execute_command("DEBUG", "DROP-CLUSTER-PACKET-FILTER", -1)
        new.client().execute_command("DEBUG", "DROP-CLUSTER-PACKET-FILTER", -1)
        wait_until(lambda: len(new.client().execute_command("CLUSTER", "SLOTS")) == 3, 30, interval=0.05,
                   what="all three shards once PINGs flow")
    finally:
        cl.stop()
