"""The seed case (004): a primary at maxmemory with allkeys-lru and a replica with the same
maxmemory. Writes cross a power-of-two key count (2^20 keys; 2^23 in long mode), so the
primary's table grows while it evicts. The replica never evicts on its own: the primary's
evictions reach it as DELs, and it ends with exactly the primary's key set, its memory not above
the primary's plus its own buffers."""

from helpers import long_mode
from repl.replutil import info, wait_synced

KEYS = (1 << 23 if long_mode() else 1 << 20) + 4096
BATCH = 2000
MAXMEMORY = 48 * 1024 * 1024
SLACK = 16 * 1024 * 1024    # the replica's buffers: its backlog (1 MB), the master client's input


def _keyset(c):
    return set(c.scan_iter(count=10000))


def test_replica_keeps_primary_key_set_under_eviction(start_server):
    args = ["--maxmemory", str(MAXMEMORY), "--maxmemory-policy", "allkeys-lru"]
    primary = start_server(args + ["--repl-diskless-sync-delay", "0"])
    replica = start_server(args)
    p, r = primary.client(), replica.client()
    r.execute_command("REPLICAOF", "127.0.0.1", primary.port)
    wait_synced(p, r)
    worst = 0
    for start in range(0, KEYS, BATCH):
        pipe = p.pipeline(transaction=False)
        for i in range(start, min(start + BATCH, KEYS)):
            pipe.set(b"key:%d" % i, b"v" * 16)
        pipe.execute()
        if start % (BATCH * 64) == 0:
            worst = max(worst, r.info("memory")["used_memory"] - p.info("memory")["used_memory"])
    # Reading keys over the limit evicts too: the primary's data set is frozen first.
    p.config_set("maxmemory", 0)
    wait_synced(p, r, timeout=120)
    assert p.info("stats")["evicted_keys"] > 0
    assert r.info("stats")["evicted_keys"] == 0
    assert r.info("stats")["expired_keys"] == 0
    assert p.dbsize() == r.dbsize()
    assert _keyset(p) == _keyset(r)
    used_p, used_r = p.info("memory")["used_memory"], r.info("memory")["used_memory"]
    assert used_r <= used_p + SLACK, (used_r, used_p)
    print("keys written %d, primary holds %d, worst replica-primary memory gap during the load %d bytes"
          % (KEYS, p.dbsize(), worst))
    assert info(r)["master_link_status"] == "up"
