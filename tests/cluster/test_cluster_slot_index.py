"""Seed case 002: the per-slot key index must never dangle or drift. A single-node cluster
serving every slot takes writes (with TTLs), RENAMEs across slots, deletes, GETKEYSINSLOT and
SCAN while FLUSHALL ASYNC / FLUSHDB ASYNC / FLUSHALL with lazyfree-lazy-user-flush run in a
loop, then active expiry and eviction remove keys behind the commands' backs. After each phase
every slot's COUNTKEYSINSLOT and GETKEYSINSLOT must match the keys SCAN finds. Against
./keel-server-san (KEEL_SERVER) this is the ASan check: Server.stop() fails on any report.

KEEL_LONG=1 runs more rounds.
"""

import random

import pytest

from cluster.cluster_util import assert_index_exact, start_node
from helpers import keel_binary, long_mode, wait_until

ROUNDS = 60 if long_mode() else 12


@pytest.fixture
def node():
    n = start_node(keel_binary(), "cluster-slot-index")
    try:
        c = n.client()
        c.execute_command("CLUSTER", "ADDSLOTSRANGE", "0", "16383")
        wait_until(lambda: b"cluster_state:ok" in c.execute_command("CLUSTER", "INFO"), 30, interval=0.05,
                   what="cluster_state:ok")
        yield n
    finally:
        n.stop()
        n.cleanup()


def write_batch(c, rnd, n):
    pipe = c.pipeline(transaction=False)
    for _ in range(n):
        k = "k:%d" % rnd.randrange(5000)
        op = rnd.randrange(6)
        if op == 0:
            pipe.set(k, "v" * rnd.randrange(1, 200), px=rnd.randrange(1, 50))
        elif op == 1:
            pipe.rpush("l:" + k, *range(rnd.randrange(1, 300)))   # big enough to be freed lazily
        elif op == 2:
            pipe.rename(k, "r:%d" % rnd.randrange(5000))
        elif op == 3:
            pipe.delete(k)
        else:
            pipe.set(k, "v")
    pipe.execute(raise_on_error=False)


def test_flush_async_loop_keeps_index_exact(node):
    c = node.client()
    rnd = random.Random(2)
    flushes = [("FLUSHALL", "ASYNC"), ("FLUSHDB", "ASYNC"), ("FLUSHALL",), ("FLUSHDB",)]
    for r in range(ROUNDS):
        c.config_set("lazyfree-lazy-user-flush", "yes" if r % 2 else "no")
        write_batch(c, rnd, 2000)
        for slot in rnd.sample(range(16384), 50):
            c.execute_command("CLUSTER", "GETKEYSINSLOT", slot, 10)
        list(c.scan_iter(count=200))
        c.execute_command(*flushes[r % len(flushes)])
        write_batch(c, rnd, 500)
        if r % 4 == 3:
            assert_index_exact(c)
    assert_index_exact(c)


def test_expiry_and_eviction_keep_index_exact(node):
    c = node.client()
    pipe = c.pipeline(transaction=False)
    for i in range(3000):
        pipe.set("e:%d" % i, "x", px=50)
        pipe.set("p:%d" % i, "y" * 100)
    pipe.execute()
    # active expiry alone removes the e: keys (nothing reads them)
    wait_until(lambda: c.dbsize() <= 3000, 30, interval=0.05, what="active expiry")
    assert_index_exact(c)
    used = int(c.info("memory")["used_memory"])
    c.config_set("maxmemory-policy", "allkeys-random")
    c.config_set("maxmemory", used - 150000)
    c.set("trigger", "eviction")
    assert c.dbsize() < 3000
    c.config_set("maxmemory", 0)
    assert_index_exact(c)
