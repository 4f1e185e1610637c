"""A writable replica (replica-read-only no) expires the keys its own clients gave a TTL, as
Redis's expireSlaveKeys does, while the keys its primary wrote still expire only by the
primary's DELs (the suite's integration/replication-3 "Slave is able to evict keys created in
writable slaves"); DEBUG OBJECT still finds a replica's logically expired key. Run side by side with redis-server: the same key counts on both."""

import pytest

from helpers import ORACLE_SERVER, keel_binary, wait_until


def scenario(start_server, binary):
    primary = start_server(["--repl-diskless-sync-delay", "0", "--enable-debug-command", "yes"],
                           binary=binary)
    replica = start_server(["--replica-read-only", "no", "--enable-debug-command", "yes"],
                           binary=binary)
    p, r = primary.client(), replica.client()
    r.execute_command("REPLICAOF", "127.0.0.1", primary.port)
    wait_until(lambda: r.info("replication")["master_link_status"] == "up", 20, interval=0.05,
               what="the link")
    p.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "0")
    p.set("from-primary", "v", px=100)
    p.set("from-primary-kept", "v")
    wait_until(lambda: r.dbsize() == 2, 10, interval=0.05, what="the primary's keys")
    r.set("own-ex", 1, ex=1)
    r.set("own-later", 2)
    r.expire("own-later", 1)
    r.set("own-persist", 3, ex=1)
    r.persist("own-persist")
    r.set("own-plain", 4)
    r.set("own-overwritten", 5, ex=100)
    r.set("own-overwritten", 6)
    r.set("from-primary-kept", "local", px=500)   # the replica's own write now: it expires
    seen = []
    wait_until(lambda: seen.append(r.dbsize()) or seen[-1] == 4, 10, interval=0.05,
               what="the replica to expire its own keys (dbsize %s)" % seen[-1:])
    keys = sorted(r.keys())
    # The primary's expired key is hidden but not deleted: it waits for the primary's DEL.
    assert r.exists("from-primary") == 0
    # DEBUG OBJECT sees the entry as stored (the suite's replication-4 checks it so).
    assert r.execute_command("DEBUG", "OBJECT", "from-primary").startswith(b"Value at:")
    p.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "1")
    wait_until(lambda: r.dbsize() == 3, 10, interval=0.05, what="the primary's DEL")
    return keys, sorted(r.keys())


def test_writable_replica_expires_own_keys(start_server):
    keel = scenario(start_server, keel_binary())
    redis = scenario(start_server, ORACLE_SERVER)
    assert keel == redis
    assert keel[1] == [b"own-overwritten", b"own-persist", b"own-plain"]
