"""Clients blocked on keys (BRPOP, XREAD BLOCK) when their slot stops being served by the node
they wait on, as Redis's clusterRedirectBlockedClientIfNeeded (unit/cluster "Verify command got
unblocked after resharding" / "... after cluster failure"): the client gets -MOVED to the new
owner, -CLUSTERDOWN Hash slot not served for a slot left without owner, -CLUSTERDOWN The
cluster is down once the cluster fails; a slot this node imports keeps it blocked, and so does
WAIT (not blocked on keys). The same scenario runs on a cluster of three Keel nodes and one of
three redis-server nodes; the replies, with ports replaced by the node's index, must match.
"""

import os
import signal

from cluster.cluster_util import Cluster
from helpers import ORACLE_SERVER, keel_binary, wait_until


def blocked_count(node):
    return node.client().info("clients")["blocked_clients"]


def wait_blocked(node, n):
    wait_until(lambda: blocked_count(node) == n, 10, interval=0.02, what="%d blocked clients" % n)


def slot_owner(cl, slot):
    ports = [n.port for n in cl.nodes]
    for r in cl.nodes[0].client().execute_command("CLUSTER", "SLOTS"):
        if r[0] <= slot <= r[1]:
            return ports.index(int(r[2][1]))
    raise AssertionError("no owner of slot %d" % slot)


def key_of(cl, idx):
    """A key whose slot node idx serves."""
    c = cl.nodes[0].client()
    for i in range(1000):
        k = "k%d" % i
        if slot_owner(cl, c.execute_command("CLUSTER", "KEYSLOT", k)) == idx:
            return k
    raise AssertionError("no key for node %d" % idx)


def err_text(reply):
    text = reply.error_text()
    assert text is not None, "not an error: %r" % reply
    return text.decode() if isinstance(text, bytes) else text


def norm(cl, text):
    """An error reply with each node's port replaced by its index."""
    for i, n in enumerate(cl.nodes):
        text = text.replace(":%d" % n.port, ":<node%d>" % i)
    return text


def move_slot(cl, slot, dest):
    dest_id = cl.node_id(cl.nodes[dest])
    for n in cl.nodes:
        assert n.client().execute_command("CLUSTER", "SETSLOT", slot, "NODE", dest_id) == b"OK"


def scenario(binary):
    cl = Cluster([binary] * 3, extra=["--cluster-node-timeout", "500"])
    conns = []
    try:
        cl.create()
        out = []
        c = [n.client() for n in cl.nodes]
        key = "key9184688"   # slot 10923, the first of the third node after --cluster create
        slot = c[0].execute_command("CLUSTER", "KEYSLOT", key)
        src = slot_owner(cl, slot)
        dest = (src + 1) % 3
        other = (src + 2) % 3

        # 1. BRPOP and XREAD BLOCK wait on the owner; WAIT waits for replicas it has not
        blpop = cl.nodes[src].raw(timeout=20)
        conns.append(blpop)
        blpop.send("BRPOP", key, "0")
        xread = cl.nodes[src].raw(timeout=20)
        conns.append(xread)
        xread.send("XREAD", "BLOCK", "0", "STREAMS", "{key9184688}s", "$")
        waiter = cl.nodes[src].raw(timeout=20)
        conns.append(waiter)
        waiter.send("WAIT", "1", "0")
        wait_blocked(cl.nodes[src], 3)

        # 2. the destination imports the slot: its own blocked client there stays blocked
        imp = cl.nodes[dest].raw(timeout=20)
        conns.append(imp)
        src_id = cl.node_id(cl.nodes[src])
        assert c[dest].execute_command("CLUSTER", "SETSLOT", slot, "IMPORTING", src_id) == b"OK"
        imp.call("ASKING")
        imp.send("BLPOP", key, "0")
        wait_blocked(cl.nodes[dest], 1)

        # 3. the slot moves: the source's key waiters get -MOVED, WAIT stays
        move_slot(cl, slot, dest)
        out.append(norm(cl, err_text(blpop.read_reply())))
        out.append(norm(cl, err_text(xread.read_reply())))
        assert blpop.call("PING").to_py() == b"PONG"   # the connection serves again
        wait_blocked(cl.nodes[src], 1)
        out.append(blocked_count(cl.nodes[src]))
        # the destination now owns it: its waiter is still blocked, and is served by a push
        out.append(blocked_count(cl.nodes[dest]))
        assert c[dest].rpush(key, "v") == 1
        out.append(imp.read_reply().to_py())

        # 4. a slot left without owner (full coverage not required, so the cluster stays up)
        c[dest].config_set("cluster-require-full-coverage", "no")
        blpop = cl.nodes[dest].raw(timeout=20)
        conns.append(blpop)
        blpop.send("BLPOP", key, "0")
        wait_blocked(cl.nodes[dest], 1)
        assert c[dest].execute_command("CLUSTER", "DELSLOTS", slot) == b"OK"
        out.append(err_text(blpop.read_reply()))
        c[dest].execute_command("CLUSTER", "ADDSLOTS", slot)
        c[dest].config_set("cluster-require-full-coverage", "yes")

        # 5. the cluster fails (a primary stopped): the waiter of a slot still served here gets
        #    -CLUSTERDOWN; WAIT on the source is still blocked
        blpop = cl.nodes[other].raw(timeout=20)
        conns.append(blpop)
        blpop.send("BLPOP", key_of(cl, other), "0")
        wait_blocked(cl.nodes[other], 1)
        os.kill(cl.nodes[dest].proc.pid, signal.SIGSTOP)
        try:
            out.append(err_text(blpop.read_reply()))
            wait_until(lambda: c[other].execute_command("CLUSTER", "INFO").find(b"cluster_state:fail") >= 0,
                       20, interval=0.05, what="cluster_state:fail")
            out.append(blocked_count(cl.nodes[other]))
        finally:
            os.kill(cl.nodes[dest].proc.pid, signal.SIGCONT)
        out.append(blocked_count(cl.nodes[src]))
        return out
    finally:
        for conn in conns:
            try:
                conn.sock.close()
            except Exception:
                pass
        cl.stop()


def test_blocked_clients_redirected_as_redis():
    keel = scenario(keel_binary())
    redis = scenario(ORACLE_SERVER)
    assert keel == redis
    # and what they are
    assert keel[0] == keel[1] and keel[0].startswith("MOVED 10923 127.0.0.1:<node")
    assert keel[2:5] == [1, 1, [b"key9184688", b"v"]]
    assert keel[5] == "CLUSTERDOWN Hash slot not served"
    assert keel[6] == "CLUSTERDOWN The cluster is down"
    assert keel[7:] == [0, 1]
