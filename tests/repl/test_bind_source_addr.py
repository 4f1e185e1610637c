"""bind-source-addr: the replica's link to its primary goes out from that address (Redis 7.0,
also the cluster bus links). Differential: a Keel and a redis-server replica with
bind-source-addr 127.0.0.2 (CONFIG SET, as Redis's unit/networking), the primary (Keel) reports
the replica at 127.0.0.2; an address the machine does not have falls back to any address, as
Redis's best-effort binding."""

import pytest

from helpers import ORACLE_SERVER, wait_until


@pytest.mark.parametrize("source,expected", [("127.0.0.2", "127.0.0.2"), ("192.0.2.254", "127.0.0.1")])
def test_replica_link_binds_source_address(start_server, keel_bin, source, expected):
    seen = {}
    for binary in (keel_bin, ORACLE_SERVER):
        primary = start_server(["--protected-mode", "no"])
        replica = start_server(binary=binary)
        r, p = replica.client(), primary.client()
        r.config_set("bind-source-addr", source)
        assert r.config_get("bind-source-addr") == {"bind-source-addr": source}
        r.replicaof("127.0.0.1", primary.port)
        wait_until(lambda: r.info("replication")["master_link_status"] == "up", 20, what="link up")
        seen[binary] = p.info("replication")["slave0"]["ip"]
        r.close()
        p.close()
    assert seen[keel_bin] == seen[ORACLE_SERVER] == expected, seen
