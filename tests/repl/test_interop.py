"""The interop matrix: Keel -> Keel, redis-server 7.0.15 primary -> Keel replica (its RDB both
on disk, "$<size>", and diskless, "$EOF:<mark>"), Keel primary -> redis-server replica. Each
runs a write load of every type before the replica connects, while it syncs and after, then
compares every key of both servers and the replication offsets."""

import random
import time

import pytest

from helpers import ORACLE_SERVER, keel_binary, long_mode
from persist.rdbutil import dataset, load
from repl.replutil import assert_same_data, info, wait_synced, write_load

N = 20000 if long_mode() else 3000

CASES = [
    ("keel", "keel", "disk"),
    ("keel", "keel", "diskless"),
    ("redis", "keel", "disk"),
    ("redis", "keel", "diskless"),
    ("keel", "redis", "disk"),
    ("keel", "redis", "diskless"),
]
FAST = ["--repl-diskless-sync-delay", "0"]


def _binary(kind):
    return ORACLE_SERVER if kind == "redis" else keel_binary()


@pytest.mark.parametrize("primary_kind,replica_kind,transfer", CASES,
                         ids=["-".join(c) for c in CASES])
def test_sync_under_writes(start_server, primary_kind, replica_kind, transfer):
    rng = random.Random(hash((primary_kind, replica_kind, transfer)) & 0xFFFF)
    args = ["--repl-diskless-sync", "yes" if transfer == "diskless" else "no", "--repl-diskless-sync-delay", "0"]
    primary = start_server(args, binary=_binary(primary_kind))
    replica = start_server([], binary=_binary(replica_kind))
    p, r = primary.client(), replica.client()
    load(p, dataset(7, nkeys=80))
    write_load(p, rng, N // 3)
    r.execute_command("REPLICAOF", "127.0.0.1", primary.port)
    write_load(p, rng, N // 3, start=N)              # while the replica syncs
    wait_synced(p, r)
    write_load(p, rng, N // 3, start=2 * N)          # streamed
    wait_synced(p, r)
    assert_same_data(p, r)
    ri = info(r)
    assert ri["role"] == "slave" and ri["master_port"] == primary.port
    assert ri["master_replid"] == info(p)["master_replid"]
    role = p.execute_command("ROLE")
    assert role[0] == b"master" and len(role[2]) == 1 and int(role[2][0][1]) == replica.port
    # A read-only replica refuses writes; its data stays the primary's.
    with pytest.raises(Exception, match="read only replica"):
        r.set("written-on-replica", 1)


@pytest.mark.parametrize("pause", [0, 2.5], ids=["at-once", "after-crons"])
def test_promotion_keeps_partial_sync(start_server, pause):
    """PSYNC2: after REPLICAOF NO ONE on one replica, its sibling follows it with a partial
    sync (the promoted replica's replid2 is the old id). With a pause, the sibling comes after
    the promoted replica's once-a-second cron ran twice: a replica that never had replicas of
    its own still keeps its backlog once promoted (repl-backlog-ttl counts from the promotion;
    a sentinel-driven failover re-points siblings a second or so later)."""
    rng = random.Random(3)
    primary = start_server(FAST)
    a, b = start_server(FAST), start_server(FAST)
    p, ca, cb = primary.client(), a.client(), b.client()
    write_load(p, rng, 500)
    ca.execute_command("REPLICAOF", "127.0.0.1", primary.port)
    cb.execute_command("REPLICAOF", "127.0.0.1", primary.port)
    write_load(p, rng, 500, start=500)
    wait_synced(p, ca)
    wait_synced(p, cb)
    primary.stop()
    ca.execute_command("REPLICAOF", "NO", "ONE")
    if pause:
        time.sleep(pause)   # time passing is the point here: nothing to poll for
        assert info(ca)["repl_backlog_active"] == 1
    before = ca.info("stats")["sync_partial_ok"]
    cb.execute_command("REPLICAOF", "127.0.0.1", a.port)
    write_load(ca, rng, 500, start=1000)
    wait_synced(ca, cb)
    assert ca.info("stats")["sync_partial_ok"] == before + 1
    assert ca.info("stats")["sync_full"] == 0
    assert_same_data(ca, cb)


def test_chained_replicas(start_server):
    """Primary -> Keel replica -> (Keel, redis-server) sub-replicas: the middle one proxies its
    primary's stream verbatim, so all four share one replication id and offset."""
    rng = random.Random(5)
    primary = start_server(FAST)
    middle = start_server(FAST)
    subs = [start_server(FAST), start_server(FAST, binary=ORACLE_SERVER)]
    p, m = primary.client(), middle.client()
    write_load(p, rng, 500)
    m.execute_command("REPLICAOF", "127.0.0.1", primary.port)
    for s in subs:
        s.client().execute_command("REPLICAOF", "127.0.0.1", middle.port)
    write_load(p, rng, 1500, start=500)
    wait_synced(p, m)
    for s in subs:
        wait_synced(p, s.client())
        assert info(s.client())["master_replid"] == info(p)["master_replid"]
        assert_same_data(p, s.client())
