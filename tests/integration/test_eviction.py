"""maxmemory and eviction: the -OOM refusal under noeviction, every eviction policy keeping
used_memory at the limit and choosing only the keys it may choose, LRU quality against
redis-server on a skewed trace, no eviction burst when the keyspace table crosses a power of two,
LFU/LRU access data through OBJECT FREQ/IDLETIME, and used_memory agreeing with jemalloc.

Every test that changes the configuration starts its own server (start_server); the limit is
always set relative to the server's own used_memory, so the tests don't depend on start-up
overhead. KEEL_LONG=1 scales the workloads up.
"""

import random
import threading
import time

import pytest

from helpers import ORACLE_SERVER, long_mode, wait_until

OOM = b"OOM command not allowed when used memory > 'maxmemory'."
SCALE = 4 if long_mode() else 1
INFO_SLACK = 16 * 1024   # INFO's reply, built while it measures used_memory


def _info(client, section="memory"):
    return client.info(section)


def _used(client):
    return int(_info(client)["used_memory"])


def _evicted(client):
    return int(_info(client, "stats")["evicted_keys"])


def _fill(client, prefix, n, value=b"x" * 40, start=0, ttl_ms=None, batch=2000):
    """SETs prefix:i for i in [start, start+n) in pipelines; returns how many replies were OK."""
    ok = 0
    for base in range(start, start + n, batch):
        p = client.pipeline(transaction=False)
        for i in range(base, min(base + batch, start + n)):
            if ttl_ms is None:
                p.set(b"%s:%d" % (prefix, i), value)
            else:
                p.set(b"%s:%d" % (prefix, i), value, px=ttl_ms)
        for r in p.execute(raise_on_error=False):
            ok += r is True
    return ok


def _limit_server(start_server, policy, headroom=256 * 1024, binary=None):
    """A fresh server whose maxmemory is its used memory plus headroom, with `policy`."""
    server = start_server(["--maxmemory-policy", policy], binary=binary)
    c = server.client()
    c.config_set("maxmemory", _used(c) + headroom)
    return server, c


# ---------------------------------------------------------------- noeviction


def test_noeviction_refuses_writes_and_serves_reads(start_server):
    server, c = _limit_server(start_server, "noeviction")
    c.set(b"kept", b"value")
    r = server.raw()
    refused = None
    for i in range(200000):
        reply = r.call("SET", "k:%d" % i, "y" * 100)
        if reply.is_error:
            refused = reply
            break
    assert refused is not None, "never refused a write above maxmemory"
    assert refused.raw == b"-" + OOM + b"\r\n"
    # Reads, deletes and other non-denyoom commands keep working.
    assert r.call("GET", "kept").raw == b"$5\r\nvalue\r\n"
    assert r.call("DBSIZE").raw.startswith(b":")
    assert r.call("APPEND", "kept", "zz").raw == b"-" + OOM + b"\r\n"
    assert _evicted(c) == 0
    assert int(_info(c, "stats")["evicted_keys"]) == 0
    # Freeing memory lets writes through again.
    assert r.call("FLUSHALL").raw == b"+OK\r\n"
    assert r.call("SET", "again", "1").raw == b"+OK\r\n"
    # INFO counts the time spent above the limit (ms), as Redis 7: a limit nothing can meet
    # opens a period, a limit above the usage closes it.
    c.config_set("maxmemory", 1)
    wait_until(lambda: int(_info(c, "stats")["current_eviction_exceeded_time"]) >= 200, 10,
               what="current_eviction_exceeded_time to grow")
    c.config_set("maxmemory", _used(c) + 10 * 1024 * 1024)
    wait_until(lambda: int(_info(c, "stats")["current_eviction_exceeded_time"]) == 0, 10,
               what="the period above the limit to end")
    assert int(_info(c, "stats")["total_eviction_exceeded_time"]) >= 200
    c.config_resetstat()
    assert int(_info(c, "stats")["total_eviction_exceeded_time"]) == 0


def test_oom_error_matches_redis(start_server):
    texts = []
    for binary in (None, ORACLE_SERVER):
        server, c = _limit_server(start_server, "noeviction", headroom=64 * 1024, binary=binary)
        r = server.raw()
        for i in range(100000):
            reply = r.call("RPUSH", "list", "e" * 200)
            if reply.is_error:
                texts.append(reply.raw)
                break
        assert r.call("LLEN", "list").raw.startswith(b":")
    assert len(texts) == 2 and texts[0] == texts[1]


# ---------------------------------------------------------------- policies


@pytest.mark.parametrize("policy", ["allkeys-lru", "allkeys-lfu", "allkeys-random"])
def test_allkeys_policies_stay_at_the_limit(start_server, policy):
    server, c = _limit_server(start_server, policy, headroom=512 * 1024)
    limit = int(c.config_get("maxmemory")["maxmemory"])
    n = 40000 * SCALE
    for start in range(0, n, 5000):
        assert _fill(c, b"k", 5000, start=start) == 5000    # never refused
        assert _used(c) <= limit + 64 * 1024
    evicted = _evicted(c)
    assert evicted > 0
    assert c.dbsize() == n - evicted


@pytest.mark.parametrize("policy", ["volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl"])
def test_volatile_policies_evict_only_keys_with_a_ttl(start_server, policy):
    server, c = _limit_server(start_server, policy, headroom=768 * 1024)
    limit = int(c.config_get("maxmemory")["maxmemory"])
    persistent = 2000
    assert _fill(c, b"p", persistent) == persistent
    n = 30000 * SCALE
    for start in range(0, n, 5000):
        assert _fill(c, b"t", 5000, start=start, ttl_ms=3600 * 1000) == 5000
        assert _used(c) <= limit + 64 * 1024
    assert _evicted(c) > 0
    p = c.pipeline(transaction=False)
    for i in range(persistent):
        p.exists(b"p:%d" % i)
    assert sum(p.execute()) == persistent
    # Once only keys without a TTL are left, writes are refused.
    c.config_set("maxmemory-policy", "noeviction")
    c.delete(*[b"t:%d" % i for i in range(n)])
    c.config_set("maxmemory-policy", policy)
    r = server.raw()
    for i in range(200000):
        reply = r.call("SET", "more:%d" % i, "z" * 100)
        if reply.is_error:
            assert reply.raw == b"-" + OOM + b"\r\n"
            break
    else:
        pytest.fail("volatile policy without volatile keys never refused a write")


def test_volatile_ttl_evicts_the_soonest_expiring_first(start_server):
    server, c = _limit_server(start_server, "volatile-ttl", headroom=1024 * 1024)
    n = 6000
    _fill(c, b"soon", n, ttl_ms=3000 * 1000)
    _fill(c, b"late", n, ttl_ms=9000 * 1000)
    before = c.dbsize()
    # Lower the limit: CONFIG SET starts evicting, the event loop finishes the job.
    limit = _used(c) - 300 * 1024
    c.config_set("maxmemory", limit)
    # (INFO's own reply buffers count in the used_memory it reports: allow for them.)
    wait_until(lambda: _used(c) <= limit + INFO_SLACK, 10, what="eviction down to the limit")
    evicted = before - c.dbsize()
    assert evicted > 500
    p = c.pipeline(transaction=False)
    for i in range(n):
        p.exists(b"late:%d" % i)
    late_gone = n - sum(p.execute())
    assert late_gone < evicted * 0.2, (late_gone, evicted)


def test_config_set_maxmemory_evicts_at_once(start_server):
    server = start_server(["--maxmemory-policy", "allkeys-random"])
    c = server.client()
    _fill(c, b"k", 20000)
    used = _used(c)
    c.config_set("maxmemory", used // 2 + 200 * 1024)
    assert _evicted(c) > 0
    # Each call is bounded by maxmemory-eviction-tenacity; the rest follows from the event loop.
    wait_until(lambda: _used(c) <= used // 2 + 260 * 1024, 10, what="eviction down to the limit")


# ---------------------------------------------------------------- quality


ROUND_PAUSE_S = 2.0    # LRU clocks tick in seconds (Keel and Redis): rounds must be apart


def _hot_kept(c, nkeys, seed, rounds=3):
    """Skewed trace: 80% of reads hit the first 20% of keys, and each round writes new keys
    under the limit. Returns how many of the hot keys are still present at the end."""
    rnd = random.Random(seed)
    hot = nkeys // 5
    empty = _used(c)
    _fill(c, b"q", nkeys, value=b"v" * 64)
    # The same budget in keys for both servers: 96% of the loaded keys fit. (The same budget in
    # bytes would let Keel, at about half the bytes per key, keep nearly every key.)
    c.config_set("maxmemory", empty + (_used(c) - empty) * 96 // 100)   # evictions start now
    written = nkeys
    for _ in range(rounds):
        time.sleep(ROUND_PAUSE_S)
        p = c.pipeline(transaction=False)
        for _ in range(nkeys // 2):
            if rnd.random() < 0.8:
                p.get(b"q:%d" % rnd.randrange(hot))
            else:
                p.get(b"q:%d" % rnd.randrange(hot, nkeys))
        p.execute()
        _fill(c, b"q", nkeys // 10, value=b"v" * 64, start=written)
        written += nkeys // 10
    p = c.pipeline(transaction=False)
    for i in range(hot):
        p.exists(b"q:%d" % i)
    return sum(p.execute())


def test_lru_keeps_hot_keys_like_redis(start_server):
    """Keel's sampled LRU against Redis's on the same skewed traces, with Keel's allkeys-random
    as the control. Both LRUs sample, and Redis's own totals swing by 15% or more from run to
    run (its 1 s LRU clock against the 2 s rounds), so: Keel's LRU must clearly beat random
    eviction (it keeps the hot keys for a reason), and keep at least 90% of what Redis's keeps
    over four traces (a broken LRU falls to the random figure, well below that)."""
    nkeys = 20000 * SCALE
    seeds = (7, 8, 9, 10)
    kinds = {"keel": (None, "allkeys-lru"), "redis": (ORACLE_SERVER, "allkeys-lru"),
             "keel-random": (None, "allkeys-random")}
    servers = {(name, seed): start_server(["--maxmemory-policy", policy], binary=binary)
               for name, (binary, policy) in kinds.items() for seed in seeds}
    kept = {}

    def run(name, seed):
        kept[(name, seed)] = _hot_kept(servers[(name, seed)].client(), nkeys, seed=seed)

    # The same traces on all servers at once: the pauses dominate the run time.
    threads = [threading.Thread(target=run, args=key) for key in servers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    total = {name: sum(kept[(name, seed)] for seed in seeds) for name in kinds}
    print("hot keys kept of %d: %s" % (len(seeds) * (nkeys // 5), total))
    assert total["keel"] >= 1.05 * total["keel-random"], kept
    assert total["keel"] >= 0.9 * total["redis"], kept
