"""CLUSTER subcommands, ASKING/READONLY/READWRITE, routing errors and the commands refused in
cluster mode, against redis-server byte for byte: one single-node cluster of each, replies
compared after each side's own node ID and ports are replaced by placeholders (same lengths, so
RESP framing is compared too). Also the replies of a server without cluster mode.
"""

import pytest

from cluster.cluster_util import start_node
from diff.runner import C, run_script
from helpers import ORACLE_SERVER, keel_binary, wait_until


@pytest.fixture(scope="module")
def pair():
    nodes = []
    try:
        nodes.append(start_node(keel_binary(), "cluster-diff-keel"))
        nodes.append(start_node(ORACLE_SERVER, "cluster-diff-redis"))
        yield nodes
    finally:
        for n in nodes:
            n.stop()
            n.cleanup()


def normalizer(keel, oracle):
    ids = [n.client().execute_command("CLUSTER", "MYID") for n in (keel, oracle)]

    def norm(raw, node, node_id):
        raw = raw.replace(node_id, b"I" * 40)
        raw = raw.replace(b"%d" % (node.port + 10000), b"B" * 5)
        return raw.replace(b"%d" % node.port, b"P" * 5)

    def compare(k, r):
        a, b = norm(k.raw, keel, ids[0]), norm(r.raw, oracle, ids[1])
        return None if a == b else "replies differ: keel %r, redis %r" % (a, b)
    return compare


def script_before_slots(cmp):
    return [
        C("CLUSTER", "INFO", compare=cmp), C("CLUSTER", "MYID", compare=cmp), C("CLUSTER", "NODES", compare=cmp),
        C("CLUSTER", "SLOTS"), C("CLUSTER", "SHARDS", compare=cmp), C("CLUSTER", "LINKS"),
        ("CLUSTER", "KEYSLOT", "foo"), ("CLUSTER", "KEYSLOT", "{user1000}.following"),
        ("CLUSTER", "KEYSLOT", "foo{}{bar}"), ("CLUSTER", "KEYSLOT", "foo{{bar}}zap"), ("CLUSTER", "KEYSLOT", ""),
        ("CLUSTER", "KEYSLOT", "{"), ("CLUSTER", "KEYSLOT", "a{b"), ("CLUSTER", "KEYSLOT", "123456789"),
        ("SET", "foo", "bar"), ("GET", "foo"), ("MSET", "a", "1", "b", "2"), ("PING",),
        ("CLUSTER", "ADDSLOTS", "16384"), ("CLUSTER", "ADDSLOTS", "-1"), ("CLUSTER", "ADDSLOTS", "x"),
        ("CLUSTER", "ADDSLOTS", "5", "5"), ("CLUSTER", "DELSLOTS", "5"),
        ("CLUSTER", "ADDSLOTSRANGE", "10", "5"), ("CLUSTER", "ADDSLOTSRANGE", "1", "2", "3"),
        ("CLUSTER", "ADDSLOTSRANGE", "1", "5", "4", "8"),
        ("CLUSTER", "ADDSLOTS", "100", "101"), ("CLUSTER", "ADDSLOTS", "101"),
        ("CLUSTER", "ADDSLOTSRANGE", "200", "300", "1000", "1000"), C("CLUSTER", "NODES", compare=cmp),
        C("CLUSTER", "SLOTS", compare=cmp), C("CLUSTER", "SHARDS", compare=cmp),
        ("CLUSTER", "DELSLOTSRANGE", "250", "260"), ("CLUSTER", "DELSLOTS", "100"),
        C("CLUSTER", "NODES", compare=cmp), C("CLUSTER", "INFO", compare=cmp),
        ("CLUSTER", "COUNTKEYSINSLOT", "16384"), ("CLUSTER", "COUNTKEYSINSLOT", "x"),
        ("CLUSTER", "GETKEYSINSLOT", "0", "-1"), ("CLUSTER", "GETKEYSINSLOT", "x", "1"),
        ("CLUSTER", "SETSLOT", "5", "MIGRATING", "abc"), ("CLUSTER", "SETSLOT", "101", "MIGRATING", "abc"),
        ("CLUSTER", "SETSLOT", "5", "IMPORTING", "abc"), ("CLUSTER", "SETSLOT", "101", "IMPORTING", "x"),
        ("CLUSTER", "SETSLOT", "5", "NODE", "abc"), ("CLUSTER", "SETSLOT", "5", "BOGUS"),
        ("CLUSTER", "SETSLOT", "5", "STABLE", "x"), ("CLUSTER", "SETSLOT", "99999", "STABLE"),
        ("CLUSTER", "SETSLOT", "5", "STABLE"),
        ("CLUSTER", "FORGET", "abc"), ("CLUSTER", "COUNT-FAILURE-REPORTS", "abc"),
        ("CLUSTER", "MEET", "not-an-ip", "7000"), ("CLUSTER", "MEET", "127.0.0.1", "x"),
        ("CLUSTER", "MEET", "127.0.0.1", "7000", "x"), ("CLUSTER", "MEET", "127.0.0.1", "70000"),
        ("CLUSTER", "SET-CONFIG-EPOCH", "-1"), ("CLUSTER", "SET-CONFIG-EPOCH", "x"),
        ("CLUSTER", "SET-CONFIG-EPOCH", "5"), ("CLUSTER", "SET-CONFIG-EPOCH", "6"),
        C("CLUSTER", "INFO", compare=cmp), ("CLUSTER", "BUMPEPOCH"), ("CLUSTER", "BUMPEPOCH"),
        ("CLUSTER", "RESET", "bogus"), ("CLUSTER", "SAVECONFIG"), ("CLUSTER", "BOGUS"), ("CLUSTER",),
        ("CLUSTER", "INFO", "x"), ("CLUSTER", "HELP"),
        ("ASKING",), ("READONLY",), ("READWRITE",), ("ASKING", "x"),
        ("SELECT", "0"), ("SELECT", "1"), ("SELECT", "x"), ("SWAPDB", "0", "1"), ("MOVE", "foo", "1"),
        ("COPY", "foo", "bar", "DB", "1"), ("COPY", "foo", "bar"),
        ("EVAL", "return redis.call('get', 'foo')", "0"), ("EVAL", "return redis.pcall('set', 'x', 1)", "0"),
        ("EVAL", "#!lua flags=no-cluster\nreturn 1", "0"), ("EVAL", "#!lua\nreturn redis.call('ping')", "0"),
        ("CLUSTER", "FLUSHSLOTS"), C("CLUSTER", "NODES", compare=cmp),
        ("CLUSTER", "RESET", "SOFT"), C("CLUSTER", "INFO", compare=cmp),
    ]


def script_all_slots(slot_of_foo):
    return [
        ("SET", "foo", "bar"), ("SET", "{foo}2", "baz"), ("MSET", "a", "1", "b", "2"),
        ("MSET", "{t}a", "1", "{t}b", "2"), ("MGET", "{t}a", "{t}b", "{t}c"),
        ("CLUSTER", "COUNTKEYSINSLOT", str(slot_of_foo)),
        C("CLUSTER", "GETKEYSINSLOT", str(slot_of_foo), "10", unordered=True),
        ("CLUSTER", "GETKEYSINSLOT", str(slot_of_foo), "0"), ("CLUSTER", "FLUSHSLOTS"),
        ("MULTI",), ("SET", "{t}a", "x"), ("GET", "{t}b"), ("EXEC",),
        ("MULTI",), ("SET", "a", "x"), ("GET", "b"), ("EXEC",),
        ("MULTI",), ("SET", "a", "x"), ("MSET", "a", "1", "b", "2"), ("EXEC",),
        ("EVAL", "return redis.call('get', KEYS[1])", "2", "{t}a", "{t}b"),
        ("EVAL", "return 1", "2", "a", "b"),
        ("EVAL", "return redis.call('get', 'a') .. redis.call('get', 'b')", "0"),
        ("EVAL", "#!lua\nreturn redis.call('get', 'a') .. redis.call('get', 'b')", "0"),
        ("EVAL", "#!lua\nreturn redis.call('get', 'b')", "1", "a"),
        ("EVAL", "#!lua\nreturn redis.call('get', '{t}b')", "1", "{t}a"),
        ("EVAL", "#!lua flags=allow-cross-slot-keys\nreturn redis.call('get', 'a') .. redis.call('get', 'b')", "0"),
        ("EVAL", "#!lua flags=no-cluster\nreturn 1", "0"),
        ("DEL", "foo"), ("CLUSTER", "COUNTKEYSINSLOT", str(slot_of_foo)),
        ("FLUSHALL", "ASYNC"), ("CLUSTER", "COUNTKEYSINSLOT", str(slot_of_foo)),
    ]


def wait_ok(node):
    wait_until(lambda: b"cluster_state:ok" in node.client().execute_command("CLUSTER", "INFO"), 30,
               interval=0.05, what="cluster_state:ok")


def test_cluster_commands_match_redis(pair):
    keel, oracle = pair
    run_script(keel, oracle, script_before_slots(normalizer(keel, oracle)))
    for node in pair:
        node.client().execute_command("CLUSTER", "ADDSLOTSRANGE", "0", "16383")
        wait_ok(node)
    slot = keel.client().execute_command("CLUSTER", "KEYSLOT", "foo")
    run_script(keel, oracle, script_all_slots(slot))
    for node in pair:
        node.client().execute_command("CLUSTER", "DELSLOTSRANGE", "0", "16383")
    run_script(keel, oracle, [("SET", "foo", "bar"), ("GET", "foo"), ("CLUSTER", "COUNTKEYSINSLOT", str(slot))])


def test_announced_hostname_shows_at_once(pair):
    """CONFIG SET cluster-announce-hostname shows in CLUSTER SLOTS, SHARDS and NODES at once,
    for each cluster-preferred-endpoint-type (suite 27-endpoints reads them right after)."""
    keel, oracle = pair
    cmp = normalizer(keel, oracle)
    for node in pair:
        node.client().execute_command("CLUSTER", "ADDSLOTSRANGE", "0", "16383")
        wait_ok(node)
    script = []
    for endpoint in ("ip", "hostname", "unknown-endpoint"):
        script += [("CONFIG", "SET", "cluster-preferred-endpoint-type", endpoint)]
        for host in ("me.example", ""):
            script += [("CONFIG", "SET", "cluster-announce-hostname", host), C("CLUSTER", "SLOTS", compare=cmp),
                       C("CLUSTER", "SHARDS", compare=cmp), C("CLUSTER", "NODES", compare=cmp)]
    script += [("CONFIG", "SET", "cluster-preferred-endpoint-type", "ip")]
    try:
        run_script(keel, oracle, script)
    finally:
        for node in pair:
            node.client().execute_command("CLUSTER", "DELSLOTSRANGE", "0", "16383")


def test_without_cluster_mode(keel, oracle):
    run_script(keel, oracle, [
        ("CLUSTER", "INFO"), ("CLUSTER", "KEYSLOT", "x"), ("CLUSTER", "NODES"), ("CLUSTER", "HELP"),
        ("ASKING",), ("READONLY",), ("READWRITE",), ("CLUSTER", "BOGUS"),
        ("SELECT", "1"), ("SELECT", "0"),
    ])
