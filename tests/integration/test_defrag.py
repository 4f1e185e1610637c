"""Active defragmentation (docs/defrag.md): the activedefrag settings, the walk bringing
allocator fragmentation down without changing a byte of the data set, and its safety while the
keyspace churns.

Against ./keel-server (jemalloc) the walk moves blocks out of sparse slabs and the test checks
allocator_frag_ratio falling to 1.10 or below; against ./keel-server-san (the C library's
allocator) every block the walk visits moves, so a stale pointer anywhere is a use-after-free
that ASan reports (the start_server fixture fails the test on any sanitizer report).

KEEL_LONG=1 scales the workloads up.
"""

import os
import random

import pytest
import redis
from redis.exceptions import ResponseError

from cluster.cluster_util import assert_index_exact, start_node
from helpers import ORACLE_SERVER, keel_binary, long_mode, wait_until

LONG = long_mode()


def _info(c, section):
    return c.info(section)


def _fill_mixed(c, n, rnd):
    """n keys of every type, small and big encodings, some with a TTL. Returns the key names."""
    keys = []
    p = c.pipeline(transaction=False)
    for i in range(n):
        kind = i % 7
        k = b"%d:%d" % (kind, i)
        if kind == 0:
            p.set(k, b"s" * rnd.randrange(50, 300))                    # raw string
        elif kind == 1:
            p.set(k, b"e" * rnd.randrange(1, 40), ex=100000)           # embedded, with TTL
        elif kind == 2:
            p.hset(k, mapping={b"f%d" % j: b"v" * 20 for j in range(8)})     # listpack
        elif kind == 3:
            p.rpush(k, *[b"x" * 30 for _ in range(rnd.randrange(1, 40))])    # quicklist
        elif kind == 4:
            p.sadd(k, *[b"m%d" % j for j in range(rnd.randrange(1, 20))])    # table
        elif kind == 5:
            p.sadd(k, *range(rnd.randrange(1, 20)))                     # intset
        else:
            p.zadd(k, {b"m%d" % j: j for j in range(8)})                # listpack
        keys.append(k)
        if i % 1000 == 999:
            p.execute()
    p.execute()
    # Values bigger than active-defrag-max-scan-fields, walked across steps.
    for j in range(3):
        c.hset(b"bighash:%d" % j, mapping={b"f%d" % i: b"v" * 30 for i in range(3000)})
        c.sadd(b"bigset:%d" % j, *[b"member:%d" % i for i in range(3000)])
    c.rpush(b"biglist", *[b"x" * 50 for _ in range(20000)])
    return keys


def _delete_fraction(c, keys, fraction, rnd):
    doomed = rnd.sample(keys, int(len(keys) * fraction))
    for i in range(0, len(doomed), 1000):
        c.delete(*doomed[i:i + 1000])
    return set(doomed)


def _jemalloc(c):
    return _info(c, "memory")["mem_allocator"].startswith("jemalloc")


@pytest.mark.keel_only
def test_activedefrag_settings(start_server):
    c = start_server().client()
    assert c.config_get("activedefrag") == {"activedefrag": "no"}
    assert c.config_set("activedefrag", "yes")
    assert c.config_get("activedefrag") == {"activedefrag": "yes"}
    for name, value in (("active-defrag-ignore-bytes", "2097152"), ("active-defrag-threshold-lower", "7"),
                        ("active-defrag-threshold-upper", "70"), ("active-defrag-cycle-min", "3"),
                        ("active-defrag-cycle-max", "30"), ("active-defrag-max-scan-fields", "50")):
        assert c.config_set(name, value)
        assert c.config_get(name) == {name: value}
    s = _info(c, "stats")
    for field in ("active_defrag_hits", "active_defrag_misses", "active_defrag_key_hits",
                  "active_defrag_key_misses"):
        assert s[field] == 0
    # Nothing to defragment in an empty server: the walk does not start.
    assert _info(c, "memory")["active_defrag_running"] == 0


def test_debug_mallctl_as_redis(start_server):
    """DEBUG MALLCTL and MALLCTL-STR (the suite's defrag tests use them) against redis-server;
    the C library build has no jemalloc to ask and refuses the subcommand."""
    keel = start_server(["--enable-debug-command", "yes"]).client()
    redis = start_server(["--enable-debug-command", "yes"], binary=ORACLE_SERVER).client()
    cases = [["MALLCTL", "arenas.page"], ["MALLCTL", "opt.narenas"], ["MALLCTL", "nonexistent.name"],
             ["MALLCTL", "arenas.page", "1"], ["MALLCTL", "arenas.page", "x"],
             ["MALLCTL", "thread.tcache.flush", "1"], ["MALLCTL", "background_thread"],
             ["MALLCTL-STR", "opt.metadata_thp"], ["MALLCTL-STR", "thread.tcache.flush", "VOID"],
             ["MALLCTL-STR", "nonexistent.name"], ["MALLCTL-STR", "opt.metadata_thp", "x"]]
    if not _jemalloc(keel):
        with pytest.raises(ResponseError, match="unknown subcommand"):
            keel.execute_command("DEBUG", "MALLCTL", "arenas.page")
        return
    for args in cases:
        replies = []
        for c in (keel, redis):
            try:
                replies.append(c.execute_command("DEBUG", *args))
            except ResponseError as e:
                replies.append("error: %s" % e)
        assert replies[0] == replies[1], (args, replies)


def _bg_threads(server):
    """The server's jemalloc background threads, by the name jemalloc gives them."""
    task = "/proc/%d/task" % server.proc.pid
    names = []
    for tid in os.listdir(task):
        try:
            with open(os.path.join(task, tid, "comm")) as f:
                names.append(f.read().strip())
        except OSError:   # the thread ended meanwhile
            pass
    return names.count("jemalloc_bg_thd")


def test_jemalloc_bg_thread_as_redis(start_server):
    """jemalloc-bg-thread starts and stops jemalloc's purging thread, as in Redis (on by default,
    so a big free does not return pages to the kernel on the event loop). Compared with
    redis-server: the thread exists exactly when the parameter is yes."""
    keel = start_server()
    if not _jemalloc(keel.client()):
        return   # the C library build has no background thread to start
    redis = start_server(binary=ORACLE_SERVER)
    for server in (keel, redis):
        c = server.client()
        assert c.config_get("jemalloc-bg-thread") == {"jemalloc-bg-thread": "yes"}
        wait_until(lambda: _bg_threads(server) >= 1, 5, what="a background thread at start")
        c.config_set("jemalloc-bg-thread", "no")
        wait_until(lambda: _bg_threads(server) == 0, 5, what="the background thread stopped")
        c.config_set("jemalloc-bg-thread", "yes")
        wait_until(lambda: _bg_threads(server) >= 1, 5, what="the background thread started again")


@pytest.mark.keel_only
def test_defrag_brings_fragmentation_down_and_keeps_the_data(start_server):
    server = start_server(["--enable-debug-command", "yes", "--hz", "100"])
    c = server.client()
    rnd = random.Random(19)
    keys = _fill_mixed(c, 300000 if LONG else 60000, rnd)
    _delete_fraction(c, keys, 0.7, rnd)
    digest = c.execute_command("DEBUG", "DIGEST")
    samples = {k: c.dump(k) for k in rnd.sample(keys, 600) if c.exists(k)}
    with_ttl = next(k for k in keys if k.startswith(b"1:") and c.exists(k))
    before = _info(c, "memory")
    jemalloc = _jemalloc(c)
    if jemalloc:
        assert float(before["allocator_frag_ratio"]) > 1.3, before["allocator_frag_ratio"]
    c.config_set("active-defrag-ignore-bytes", "1")
    c.config_set("active-defrag-threshold-lower", "5")
    c.config_set("active-defrag-max-scan-fields", "100")
    c.config_set("active-defrag-cycle-max", "75")
    c.config_set("activedefrag", "yes")
    wait_until(lambda: _info(c, "stats")["active_defrag_hits"] > 0, 30, what="defrag started")
    if jemalloc:
        # At this scale (a few MB) what stays is a few slabs' worth: slabs fuller than their
        # bin's average and the slabs new blocks come from are left alone. bench/defrag.py
        # measures the 1.10 goal at its scale.
        excess = int(before["allocator_frag_bytes"])
        wait_until(lambda: int(_info(c, "memory")["allocator_frag_bytes"]) <= excess // 5, 30,
                   interval=0.2, what="allocator_frag_bytes down by 80%")
        # The walk may still be running when the bytes cross that line (in long mode 80% of the
        # excess leaves a ratio of 1.3): the ratio goal is polled, not read once.
        wait_until(lambda: float(_info(c, "memory")["allocator_frag_ratio"]) <= 1.15, 30, interval=0.2,
                   what="allocator_frag_ratio <= 1.15")
        c.config_set("active-defrag-threshold-lower", "50")   # below it: the walk stops
        wait_until(lambda: _info(c, "memory")["active_defrag_running"] == 0, 10, interval=0.1,
                   what="defrag stopped once fragmentation is under threshold-lower")
    else:
        # Every visited block moves under libc: let several passes run, then stop it.
        start_hits = _info(c, "stats")["active_defrag_hits"]
        wait_until(lambda: _info(c, "stats")["active_defrag_hits"] > start_hits + 3 * len(keys) * 0.3,
                   120, interval=0.2, what="several passes")
        c.config_set("activedefrag", "no")
        wait_until(lambda: _info(c, "memory")["active_defrag_running"] == 0, 10, what="stopped")
    stats = _info(c, "stats")
    assert stats["active_defrag_key_hits"] > 0
    assert stats["total_active_defrag_time"] >= 0
    assert c.execute_command("DEBUG", "DIGEST") == digest
    for k, dumped in samples.items():
        assert c.dump(k) == dumped
    assert c.hlen(b"bighash:1") == 3000 and c.scard(b"bigset:2") == 3000 and c.llen(b"biglist") == 20000
    assert c.ttl(with_ttl) > 0
    c.config_resetstat()
    assert _info(c, "stats")["active_defrag_hits"] == 0


@pytest.mark.keel_only
def test_memory_doctor_advises_defrag_until_it_is_done(start_server):
    c = start_server(["--hz", "100"]).client()
    rnd = random.Random(3)
    n = 150000
    for base in range(0, n, 10000):
        p = c.pipeline(transaction=False)
        for i in range(base, base + 10000):
            p.set(b"k:%d" % i, b"v" * 150)
        p.execute()
    _delete_fraction(c, [b"k:%d" % i for i in range(n)], 0.7, rnd)
    advice = "High allocator fragmentation"
    if not _jemalloc(c):   # the C library's allocator reports no fragmentation of its own
        assert advice not in c.execute_command("MEMORY", "DOCTOR").decode()
        return
    assert advice in c.execute_command("MEMORY", "DOCTOR").decode()
    c.config_set("active-defrag-ignore-bytes", "1")
    c.config_set("activedefrag", "yes")
    wait_until(lambda: advice not in c.execute_command("MEMORY", "DOCTOR").decode(), 30, interval=0.2,
               what="MEMORY DOCTOR without the fragmentation advice")
    assert c.dbsize() == n - int(n * 0.7)


def _raw_replies(c):
    """Stream, sorted set and OBJECT replies as sent: redis-py's parsers expect other forms
    (XPENDING's summary, XCLAIM without JUSTID)."""
    for name in [n for n in c.response_callbacks if n.upper().startswith(("X", "Z", "OBJECT"))]:
        del c.response_callbacks[name]


CHURN_ARGS = ["--maxmemory-policy", "allkeys-lru", "--hz", "100", "--active-defrag-ignore-bytes", "1",
              "--active-defrag-threshold-lower", "0", "--active-defrag-cycle-min", "50",
              "--active-defrag-cycle-max", "99", "--active-defrag-max-scan-fields", "20",
              "--stream-node-max-entries", "8", "--zset-max-listpack-entries", "16"]


class _Blocked:
    """A client kept blocked (BZPOPMIN or XREADGROUP ... BLOCK) on a key the churn writes,
    deletes and flushes: its reply (served, timed out, or the stream gone) is read back at the
    end of each round, and the command sent again."""

    def __init__(self, server, command):
        self.conn = redis.Connection(host=server.host, port=server.port, socket_timeout=30)
        self.command = command
        self.conn.send_command(*command)

    def collect(self):
        try:
            self.conn.read_response()
        except ResponseError as e:   # XREADGROUP on a stream (or group) that went away
            assert "NOGROUP" in str(e) or "no longer exists" in str(e), e
        self.conn.send_command(*self.command)

    def close(self):
        self.conn.disconnect()


def _churn_ops(p, rnd, stream_ids):
    for _ in range(2000):
        k = b"k:%d" % rnd.randrange(20000)
        op = rnd.randrange(14)
        if op == 0:
            p.set(k, b"v" * rnd.randrange(1, 200), px=rnd.randrange(1, 50))
        elif op == 1:
            p.sadd(b"s:%d" % rnd.randrange(30), *[b"m%d" % j for j in range(rnd.randrange(1, 100))])
        elif op == 2:
            p.hset(b"h:%d" % rnd.randrange(30), b"f%d" % rnd.randrange(200), b"x" * rnd.randrange(1, 80))
        elif op == 3:
            p.rpush(b"l:%d" % rnd.randrange(30), b"e" * rnd.randrange(1, 100))
        elif op == 4:   # skiplist sorted sets (past 16 members), some past max-scan-fields
            p.zadd(b"z:%d" % rnd.randrange(30), {b"m%d" % rnd.randrange(300): rnd.random() for _ in range(4)})
        elif op == 5:
            p.delete(k)
        elif op == 6:
            p.get(k)
        elif op == 7:
            z = b"z:%d" % rnd.randrange(30)
            p.zrem(z, *[b"m%d" % rnd.randrange(300) for _ in range(3)])
            p.zpopmin(z)
            p.zpopmax(b"zb:block")
            p.zadd(b"zb:block", {b"b%d" % rnd.randrange(50): rnd.random()})
        elif op in (8, 9):   # streams with groups: entries, reads, acks, claims, trims
            x = b"x:%d" % rnd.randrange(8)
            stream_ids[x] = stream_ids.get(x, 0) + 1
            p.execute_command("XADD", x, "*", "f", stream_ids[x], "v", b"y" * rnd.randrange(1, 60))
            p.execute_command("XGROUP", "CREATE", x, "g1", "0", "MKSTREAM")
            p.execute_command("XGROUP", "CREATE", x, "g2", "$")
        elif op == 10:
            x = b"x:%d" % rnd.randrange(8)
            p.execute_command("XREADGROUP", "GROUP", rnd.choice(["g1", "g2"]), "c%d" % rnd.randrange(5),
                              "COUNT", rnd.randrange(1, 20), "STREAMS", x, ">")
        elif op == 11:
            x = b"x:%d" % rnd.randrange(8)
            p.execute_command("XAUTOCLAIM", x, "g1", "c%d" % rnd.randrange(5), 0, "0-0", "COUNT", 5)
            p.execute_command("XACK", x, "g1", *["%d-0" % rnd.randrange(1 << 41) for _ in range(2)])
        elif op == 12:
            x = b"x:%d" % rnd.randrange(8)
            p.execute_command("XCLAIM", x, "g2", "c%d" % rnd.randrange(5), 0, "0-1", "JUSTID")
            p.execute_command("XTRIM", x, "MAXLEN", rnd.choice(["~", "="]), rnd.randrange(20, 300))
            p.execute_command("XGROUP", "DELCONSUMER", x, "g1", "c%d" % rnd.randrange(5))
        else:
            x = b"x:block"
            p.execute_command("XADD", x, "*", "f", "v")
            p.execute_command("XGROUP", "CREATE", x, "g1", "$", "MKSTREAM")
            p.execute_command("XPENDING", x, "g1", "-", "+", 10)


def _churn(server, rnd, rounds, cluster=False):
    """Defrag on and off at random (running all the time when on: no threshold) amid writes
    with short TTLs, eviction, FLUSHDB/FLUSHALL ASYNC, SWAPDB (not in cluster mode), SCAN,
    BGSAVE, big sorted sets and streams with consumer groups, and two blocked clients."""
    c = server.client()
    _raw_replies(c)
    baseline = int(_info(c, "memory")["used_memory"])
    c.config_set("maxmemory", baseline + 6 * 1024 * 1024)
    blocked = [_Blocked(server, ("BZPOPMIN", "zb:block", "0.05")),
               _Blocked(server, ("XREADGROUP", "GROUP", "g1", "cb", "BLOCK", "50", "STREAMS", "x:block", ">"))]
    stream_ids = {}
    cursor = 0
    try:
        for r in range(rounds):
            c.config_set("activedefrag", rnd.choice(["yes", "yes", "no"]))
            p = c.pipeline(transaction=False)
            _churn_ops(p, rnd, stream_ids)
            for reply in p.execute(raise_on_error=False):
                if isinstance(reply, ResponseError):   # groups that exist, streams gone, OOM
                    assert any(m in str(reply) for m in ("BUSYGROUP", "NOGROUP", "no such key", "OOM",
                                                         "requires the key to exist")), reply
            cursor, _ = c.scan(cursor, count=100)
            if r % 4 == 0:
                c.execute_command("FLUSHALL", "ASYNC")
            elif r % 4 == 1:
                c.execute_command("FLUSHDB", "ASYNC")
            if r % 5 == 2 and not cluster:
                c.execute_command("SWAPDB", 0, 1)
            if r % 6 == 3:
                try:
                    c.bgsave()
                except Exception as e:   # one still running: Redis's own refusal
                    assert "already in progress" in str(e)
            for b in blocked:
                b.collect()
    finally:
        for b in blocked:
            b.close()
    c.config_set("activedefrag", "yes")
    c.set(b"last", b"x" * 100)
    wait_until(lambda: _walk_offers(c) > 0, 20, what="the walk ran")
    wait_until(lambda: _info(c, "persistence")["rdb_bgsave_in_progress"] == 0, 60, what="save done")
    assert c.get(b"last") == b"x" * 100
    assert c.ping()
    return c


@pytest.mark.keel_only
def test_defrag_toggled_while_the_keyspace_churns(start_server, tmp_path):
    server = start_server(CHURN_ARGS + ["--dir", str(tmp_path)])
    _churn(server, random.Random(2), 200 if LONG else 30)


@pytest.mark.keel_only
def test_defrag_churn_in_cluster_mode(tmp_path):
    """The same churn on a single-node cluster owning every slot (seed case 002: FLUSHALL ASYNC
    with the walk and the per-slot key index); afterwards every slot's count matches SCAN."""
    node = start_node(keel_binary(), "defrag-cluster", extra=CHURN_ARGS + ["--dir", str(tmp_path)])
    try:
        c = node.client()
        c.execute_command("CLUSTER", "ADDSLOTSRANGE", "0", "16383")
        wait_until(lambda: b"cluster_state:ok" in c.execute_command("CLUSTER", "INFO"), 30, interval=0.05,
                   what="cluster_state:ok")
        c = _churn(node, random.Random(5), 100 if LONG else 16, cluster=True)
        c.config_set("maxmemory", 0)
        assert_index_exact(c)   # every slot's count and keys match what SCAN finds
    finally:
        node.stop()
        node.cleanup()


def _last_ms(c, k):
    info = c.execute_command("XINFO", "STREAM", k)
    return int(dict(zip(info[::2], info[1::2]))[b"last-generated-id"].split(b"-")[0])


def _walk_offers(c):
    s = _info(c, "stats")
    return s["active_defrag_hits"] + s["active_defrag_misses"]


def _zset_stream_state(c, zkeys, skeys):
    """What the sorted sets and streams hold, through replies that carry no clock."""
    out = {}
    for k in zkeys:
        out[k] = (c.execute_command("OBJECT", "ENCODING", k), c.execute_command("ZRANGE", k, 0, -1, "WITHSCORES"))
    for k in skeys:
        groups = c.execute_command("XINFO", "GROUPS", k)
        pending = {}
        for g in groups:
            name = dict(zip(g[::2], g[1::2]))[b"name"]
            ext = c.execute_command("XPENDING", k, name, "-", "+", 100000)
            pending[name] = ([(e[0], e[1], e[3]) for e in ext],   # without the idle time
                             [dict(zip(x[::2], x[1::2]))[b"name"] for x in c.execute_command("XINFO", "CONSUMERS", k, name)])
        out[k] = (c.execute_command("XRANGE", k, "-", "+"), groups, pending)
    return out


def _stream_round(c, rnd, skeys, zkeys, ids):
    """One round of sorted set and stream writes (the same rnd draws give the same commands on
    every server); returns the commands' replies."""
    replies = []
    for _ in range(60):
        k = rnd.choice(skeys)
        op = rnd.randrange(10)
        if op < 3:
            ids[k] += 1
            replies.append(c.execute_command("XADD", k, "%d-1" % ids[k], "f", "v%d" % ids[k], "n", ids[k]))
        elif op == 3:
            replies.append(c.execute_command("XREADGROUP", "GROUP", rnd.choice(["g1", "g2"]), "c%d" % rnd.randrange(6),
                                             "COUNT", rnd.randrange(1, 30), "STREAMS", k, ">"))
        elif op == 4:
            pend = c.execute_command("XPENDING", k, "g1", "-", "+", 40)
            replies.append(c.execute_command("XACK", k, "g1", *[e[0] for e in pend[::3]]) if pend else 0)
        elif op == 5:
            pend = c.execute_command("XPENDING", k, "g2", "-", "+", 30)
            if pend:
                replies.append(c.execute_command("XCLAIM", k, "g2", "c%d" % rnd.randrange(6), 0,
                                                 *[e[0] for e in pend[1::2]], "JUSTID"))
        elif op == 6:
            replies.append(c.execute_command("XAUTOCLAIM", k, "g1", "c%d" % rnd.randrange(6), 0, "0-0",
                                             "COUNT", rnd.randrange(1, 20), "JUSTID")[:2])
        elif op == 7:
            if rnd.randrange(2):
                replies.append(c.execute_command("XTRIM", k, "MAXLEN", rnd.randrange(300, 900)))
            else:
                replies.append(c.execute_command("XDEL", k, "%d-1" % rnd.randrange(ids[k])))
        elif op == 8:
            z = rnd.choice(zkeys)
            replies.append(c.zadd(z, {b"m%d" % rnd.randrange(3000): rnd.randrange(1000) for _ in range(20)}))
            replies.append(c.zrem(z, *[b"m%d" % rnd.randrange(3000) for _ in range(10)]))
        else:
            z = rnd.choice(zkeys)
            replies.append(c.zpopmin(z, 2))
            replies.append(c.zpopmax(z, 1))
            replies.append(c.zrevrange(z, 0, 3, withscores=True))
            replies.append(c.zscore(z, b"m%d" % rnd.randrange(3000)))
            replies.append(c.zrank(z, b"m%d" % rnd.randrange(3000)))
            replies.append(c.zincrby(z, 1.5, b"m%d" % rnd.randrange(3000)))
            replies.append(c.zrangebyscore(z, 100, 120, withscores=True))
    if rnd.randrange(3) == 0:
        k = rnd.choice(skeys)
        replies.append(c.execute_command("XGROUP", "DELCONSUMER", k, "g2", "c%d" % rnd.randrange(6)))
    return replies


def test_defrag_moves_big_zsets_and_streams(start_server):
    """Sorted sets in their big form (B+tree over a member table) and streams with consumer
    groups: walked whole when small, in batches across steps when bigger than
    active-defrag-max-scan-fields, while the same writes go to redis-server: every reply and
    the final contents must match it. Against ./keel-server-san every visited block moves, so
    a pointer left to a moved tree node, element, stream node, group, consumer or NACK is a
    use-after-free ASan reports."""
    keel = start_server(["--hz", "100", "--active-defrag-ignore-bytes", "1", "--active-defrag-threshold-lower", "0",
                         "--active-defrag-cycle-min", "50", "--active-defrag-cycle-max", "99",
                         "--active-defrag-max-scan-fields", "300", "--stream-node-max-entries", "10"]).client()
    redis = start_server(["--stream-node-max-entries", "10"], binary=ORACLE_SERVER).client()
    for c in (keel, redis):
        _raw_replies(c)
    n_big = 3000 if LONG else 1200
    zkeys = [b"zbig:0", b"zbig:1", b"zsmall:0", b"zsmall:1"]
    skeys = [b"st:big", b"st:small"]
    ids = {b"st:big": 0, b"st:small": 0}
    for c in (keel, redis):
        for i, z in enumerate(zkeys):
            size = n_big if z.startswith(b"zbig") else 200
            p = c.pipeline(transaction=False)
            for j in range(0, size, 100):
                p.zadd(z, {b"m%d" % (m * 3 + i % 3): (m * 7919) % 1000 for m in range(j, j + 100)})
            p.execute()
        for k, size in ((b"st:big", n_big), (b"st:small", 40)):
            p = c.pipeline(transaction=False)
            for j in range(1, size + 1):
                p.execute_command("XADD", k, "%d-1" % j, "f", "v%d" % j, "n", j)
            p.execute()
            c.execute_command("XGROUP", "CREATE", k, "g1", "0")
            c.execute_command("XGROUP", "CREATE", k, "g2", "0")
            for cons in range(6):
                c.execute_command("XREADGROUP", "GROUP", "g1", "c%d" % cons, "COUNT", size // 8, "STREAMS", k, ">")
                c.execute_command("XREADGROUP", "GROUP", "g2", "c%d" % cons, "COUNT", size // 10, "STREAMS", k, ">")
    ids = {k: _last_ms(keel, k) for k in skeys}
    assert keel.object("encoding", b"zbig:0") == b"skiplist" and keel.object("encoding", b"zsmall:0") == b"skiplist"
    keel.config_set("activedefrag", "yes")
    blocks = sum(keel.zcard(z) * 2 for z in zkeys) + sum(keel.xlen(k) // 5 + 200 for k in skeys)
    rounds = 40 if LONG else 8
    for r in range(rounds):
        seed = random.Random(r).random()
        got = [_stream_round(c, random.Random(seed), skeys, zkeys, dict(ids)) for c in (keel, redis)]
        assert got[0] == got[1], "round %d" % r
        ids = {k: _last_ms(keel, k) for k in skeys}
        start = _walk_offers(keel)
        wait_until(lambda: _walk_offers(keel) > start + blocks, 60, interval=0.05, what="a pass of the walk")
    assert _info(keel, "stats")["active_defrag_hits"] > 0
    assert _zset_stream_state(keel, zkeys, skeys) == _zset_stream_state(redis, zkeys, skeys)


def _fragment(c, n):
    """n keys a:i and n keys b:i written alternately (their blocks interleave in the same slabs),
    then every b:i deleted: half of each slab's regions free."""
    for base in range(0, n, 5000):
        p = c.pipeline(transaction=False)
        for i in range(base, min(n, base + 5000)):
            p.set(b"a:%d" % i, b"v" * 150)
            p.set(b"b:%d" % i, b"w" * 150)
        p.execute()
    for base in range(0, n, 5000):   # one DEL per key: the AOF replays them one by one too
        p = c.pipeline(transaction=False)
        for i in range(base, min(n, base + 5000)):
            p.delete(b"b:%d" % i)
        p.execute()


def _hits_around(c, *command):
    """active_defrag_hits counted while one command runs: CONFIG RESETSTAT, the command and INFO
    are read in one batch, so no timer of the event loop runs between them."""
    p = c.pipeline(transaction=False)
    p.config_resetstat()
    p.execute_command(*command)
    p.info("stats")
    return p.execute()[2]["active_defrag_hits"]


# The walk runs whenever anything is fragmented (threshold 0): under the C library's allocator
# every block it visits moves, which turns each test into a use-after-free hunt for ASan.
_ALWAYS = ["--active-defrag-ignore-bytes", "1", "--active-defrag-threshold-lower", "0",
           "--active-defrag-cycle-min", "65", "--active-defrag-cycle-max", "75"]


@pytest.mark.keel_only
def test_defrag_runs_while_the_aof_loads(start_server, tmp_path):
    """As Redis's whileBlockedCron: while DEBUG LOADAOF replays the log the event loop's timers
    do not run, yet the walk gets its share of the time (the suite's unit/memefficiency "Active
    defrag" wants more than 100,000 hits during the load), and the data set is the same after."""
    server = start_server(["--enable-debug-command", "yes", "--hz", "100", "--dir", str(tmp_path),
                           "--appendonly", "yes", "--auto-aof-rewrite-percentage", "0", "--save", ""] + _ALWAYS)
    c = server.client()
    n = 100000 if LONG else 30000
    _fragment(c, n)
    c.hset(b"bighash", mapping={b"f%d" % i: b"v" * 30 for i in range(3000)})
    c.rpush(b"biglist", *[b"x" * 50 for _ in range(5000)])
    digest = c.execute_command("DEBUG", "DIGEST")
    if _jemalloc(c):
        # As the suite: a run brings fragmentation under the threshold and ends before the
        # load, so the walk must also be started during the load (on fresh allocator figures).
        c.config_set("active-defrag-threshold-lower", "5")
        c.config_set("activedefrag", "yes")
        wait_until(lambda: _info(c, "stats")["active_defrag_hits"] > 0, 30, what="defrag started")
        wait_until(lambda: _info(c, "memory")["active_defrag_running"] == 0, 30, interval=0.05,
                   what="the run before the load ended")
    c.config_set("activedefrag", "yes")
    c.config_set("key-load-delay", "-50")
    hits = _hits_around(c, "DEBUG", "LOADAOF")
    c.config_set("activedefrag", "no")
    assert hits > (n // 10 if _jemalloc(c) else n), hits
    assert c.execute_command("DEBUG", "DIGEST") == digest
    assert c.dbsize() == n + 2 and c.hlen(b"bighash") == 3000 and c.llen(b"biglist") == 5000


@pytest.mark.keel_only
def test_defrag_runs_while_a_script_is_busy(start_server):
    """A script past busy-reply-threshold blocks the loop; as in Redis the walk still gets its
    share meanwhile, and moves nothing a script could see (its values are copies)."""
    c = start_server(["--enable-debug-command", "yes", "--hz", "100", "--busy-reply-threshold", "50"]
                     + _ALWAYS).client()
    n = 20000
    _fragment(c, n)
    c.config_set("activedefrag", "yes")
    script = ("local t = redis.call('TIME'); local v = redis.call('GET', 'a:7'); "
              "local n = 0; while true do n = n + 1; "
              "if n % 10000 == 0 then local u = redis.call('TIME'); "
              "if (u[1] - t[1]) * 1000000 + (u[2] - t[2]) > 400000 then break end end end; "
              "return {v, redis.call('GET', 'a:7')}")
    # TIME in a script: the script turns effects-replicated; fine without replicas.
    hits = _hits_around(c, "EVAL", script, 0)
    c.config_set("activedefrag", "no")
    assert hits > 0
    assert c.get(b"a:7") == b"v" * 150 and c.dbsize() == n


@pytest.mark.keel_only
def test_defrag_big_list(start_server):
    """The suite's unit/memefficiency "Active defrag big list" (skipped there, see
    tests/redis-suite-skips.txt), scaled: two lists of 5-element nodes pushed alternately, one
    deleted; the walk brings the ratio under 1.10, looks at fewer blocks than the list has
    elements, and the data set is unchanged. Keel compresses the interior nodes, so values
    differ per element here (an all-'A' list would compress to almost nothing)."""
    c = start_server(["--enable-debug-command", "yes", "--hz", "100", "--list-max-ziplist-size", "5",
                      "--active-defrag-max-scan-fields", "1000", "--active-defrag-threshold-lower", "5",
                      "--active-defrag-cycle-min", "65", "--active-defrag-cycle-max", "75",
                      "--active-defrag-ignore-bytes", "1mb"]).client()
    elements = 200000 if LONG else 60000
    rnd = random.Random(5)
    for base in range(0, elements, 5000):
        p = c.pipeline(transaction=False)
        for i in range(base, base + 5000):
            p.lpush(b"biglist1", b"%d:" % i + rnd.randbytes(60))
            p.lpush(b"biglist2", b"%d:" % i + rnd.randbytes(60))
        p.execute()
    c.delete(b"biglist2")
    jemalloc = _jemalloc(c)
    if jemalloc:   # a big value is freed by the lazy-free thread: poll
        wait_until(lambda: float(_info(c, "memory")["allocator_frag_ratio"]) >= 1.4, 10, interval=0.02,
                   what="fragmentation after the DEL")
    digest = c.execute_command("DEBUG", "DIGEST")
    c.config_set("activedefrag", "yes")
    wait_until(lambda: _info(c, "stats")["active_defrag_hits"] > 0, 30, what="defrag started")
    if jemalloc:
        wait_until(lambda: _info(c, "memory")["active_defrag_running"] == 0, 60, interval=0.05,
                   what="defrag done")
        assert float(_info(c, "memory")["allocator_frag_ratio"]) < 1.10
        assert _info(c, "stats")["active_defrag_misses"] < elements
    c.config_set("activedefrag", "no")
    assert c.execute_command("DEBUG", "DIGEST") == digest
    assert c.llen(b"biglist1") == elements
