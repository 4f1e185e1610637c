"""bind-source-addr: the replica's link to its primary starts from that local address, so the
primary lists the replica under it (INFO replication slave0 ip=), as unit/networking checks.
Keel and redis-server as the replica, beside each other, with a redis-server primary."""

import pytest

from helpers import ORACLE_SERVER, keel_binary, wait_until


@pytest.mark.parametrize("replica_kind", ["keel", "redis"])
def test_replica_link_from_bind_source_addr(start_server, replica_kind):
    primary = start_server(["--protected-mode", "no"], binary=ORACLE_SERVER)
    replica = start_server([], binary=keel_binary() if replica_kind == "keel" else ORACLE_SERVER)
    r, p = replica.client(), primary.client()
    assert r.config_set("bind-source-addr", "127.0.0.2")
    assert r.config_get("bind-source-addr") == {"bind-source-addr": "127.0.0.2"}
    r.execute_command("REPLICAOF", "127.0.0.1", primary.port)
    wait_until(lambda: r.info("replication")["master_link_status"] == "up", 20, interval=0.05,
               what="the replication link")
    assert p.info("replication")["slave0"]["ip"] == "127.0.0.2"
