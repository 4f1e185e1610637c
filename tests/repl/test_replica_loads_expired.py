"""A replica that restarts from its RDB keeps the keys that expired meanwhile: they are its
primary's to delete (Redis's iAmMaster() in rdbLoad), while a primary drops them. Checked
against redis-server: the same server restarted on the same dump.rdb, once as a primary and once
with replicaof (a primary that is not there, so no sync replaces the data). Cluster-mode
replicas (nodes.conf role) are covered by the Redis suite's 14-consistency-check.
"""

import time

import pytest

from helpers import ORACLE_SERVER, Server, free_port, keel_binary

NKEYS = 20


def dbsize_after_restart(binary, as_replica):
    s = Server(binary, name="load-expired")
    try:
        s.start()
        c = s.client()
        for i in range(NKEYS):
            c.set("k%d" % i, "v", px=500)
        c.set("stays", "v")
        c.save()
        c.close()
        s.stop()
        time.sleep(0.6)   # the TTLs run out while the server is down (nothing to poll)
        if as_replica:
            s.extra_args += ["--replicaof", "127.0.0.1", str(free_port())]
        s.start()
        return s.client().dbsize()
    finally:
        s.stop()
        s.cleanup()


@pytest.mark.parametrize("as_replica", [False, True])
def test_expired_keys_on_load(as_replica):
    keel = dbsize_after_restart(keel_binary(), as_replica)
    redis = dbsize_after_restart(ORACLE_SERVER, as_replica)
    assert keel == redis == (NKEYS + 1 if as_replica else 1)
