"""repl-diskless-load swapdb on a replica, Keel beside redis-server with the same steps: during a
full sync of another history the replica is loading (clients get -LOADING); of its own history
(the same replid) it serves the old data meanwhile (async_loading) and refuses only
no-async-loading commands and configs; a transfer that fails leaves the old data, one that
succeeds replaces it."""

import pytest

from helpers import ORACLE_SERVER, wait_until
from repl.replutil import wait_synced

import redis

ARGS = ["--enable-debug-command", "yes"]


@pytest.fixture(params=["keel", "redis"])
def binary(request, keel_bin):
    return keel_bin if request.param == "keel" else ORACLE_SERVER


def log_count(server, needle):
    with open(server.logfile, errors="replace") as f:
        return sum(needle in line for line in f)


def persistence(c, field):
    return c.info("persistence")[field]


def start_pair(start_server, binary):
    m, r = start_server(ARGS, binary=binary), start_server(ARGS, binary=binary)
    mc, rc = m.client(), r.client()
    mc.config_set("repl-diskless-sync", "yes")
    mc.config_set("repl-diskless-sync-delay", "0")
    rc.config_set("repl-diskless-load", "swapdb")
    return m, mc, r, rc


def loading_error(fn):
    with pytest.raises(redis.exceptions.RedisError) as e:
        fn()
    return str(e.value)


def abort_transfer(mc, rc, field):
    mc.config_set("repl-diskless-sync-delay", "5")   # the next sync waits: the replica is between syncs
    mc.execute_command("CLIENT", "KILL", "TYPE", "replica")
    wait_until(lambda: persistence(rc, field) == 0, 10, interval=0.05, what="the transfer to stop")
    mc.config_set("rdb-key-save-delay", "0")


def test_swapdb_other_history_loads(start_server, binary):
    m, mc, r, rc = start_pair(start_server, binary)
    rc.execute_command("DEBUG", "POPULATE", 200, "slave", 10)
    rc.set("mykey", "myvalue")
    # Big values, uncompressed: redis-server's loading replica answers clients once per 2 MB read.
    mc.execute_command("DEBUG", "POPULATE", 300, "master", 100000)
    mc.config_set("rdbcompression", "no")
    mc.config_set("rdb-key-save-delay", "10000")      # 10 ms a key: 3 s
    rc.replicaof("127.0.0.1", m.port)
    wait_until(lambda: persistence(rc, "loading") == 1, 10, interval=0.05, what="loading")
    assert persistence(rc, "async_loading") == 0
    assert loading_error(lambda: rc.get("mykey")).startswith("Redis is loading")
    assert loading_error(lambda: rc.config_set("appendonly", "no")).startswith("Redis is loading")
    assert log_count(r, "Loading DB in memory") == 1
    abort_transfer(mc, rc, "loading")
    assert rc.get("mykey") == b"myvalue" and rc.dbsize() == 201
    assert log_count(r, "Internal error in RDB") == 1     # the short read, logged as Redis does

    mc.config_set("repl-diskless-sync-delay", "0")
    wait_synced(mc, rc)
    assert rc.get("mykey") is None and rc.dbsize() == 300


def test_swapdb_same_history_serves_the_old_data(start_server, binary):
    m, mc, r, rc = start_pair(start_server, binary)
    rc.config_set("replica-read-only", "no")
    rc.replicaof("127.0.0.1", m.port)
    wait_synced(mc, rc)
    rc.execute_command("DEBUG", "POPULATE", 200, "slave", 10)
    rc.set("mykey", "myvalue")
    # Big values, uncompressed: redis-server's loading replica answers clients once per 2 MB read.
    mc.execute_command("DEBUG", "POPULATE", 300, "master", 100000)
    mc.config_set("rdbcompression", "no")
    mc.config_set("rdb-key-save-delay", "10000")
    # Past the backlog: the replica's PSYNC fails, a full sync of the same history follows.
    p = mc.pipeline(transaction=True)
    p.execute_command("CLIENT", "KILL", "TYPE", "replica")
    p.config_set("repl-backlog-size", "16384")
    for i in range(10):
        p.set("big%d" % i, b"A" * 16384)
    p.execute()
    wait_until(lambda: persistence(rc, "async_loading") == 1, 10, interval=0.05, what="async loading")
    assert persistence(rc, "loading") == 0
    assert rc.get("mykey") == b"myvalue" and rc.dbsize() == 201
    assert loading_error(lambda: rc.replicaof("no", "one")).startswith("Redis is loading")
    assert loading_error(lambda: rc.config_set("appendonly", "no")).startswith("Redis is loading")
    abort_transfer(mc, rc, "async_loading")
    assert rc.get("mykey") == b"myvalue" and rc.dbsize() == 201

    mc.config_set("repl-diskless-sync-delay", "0")
    wait_synced(mc, rc)
    assert rc.get("mykey") is None and rc.dbsize() == 310
