"""maxmemory as unit/maxmemory checks it, run on Keel and on redis-server side by side:

- the limit is honoured as INFO reports it: filling past the limit leaves used_memory under
  limit + 4 KB (INFO's own buffer is part of what it reports);
- CONFIG SET maxmemory evicts from the event loop, not inside the command: inside MULTI the
  transaction's keys survive until EXEC ends, and the evictions' DELs reach the AOF each alone;
- evictions do not feed themselves: the invalidation messages they send to tracking clients are
  not counted as memory the eviction must free again (the database is not drained);
- replicas' output buffers are not counted against maxmemory (INFO mem_not_counted_for_evict).
"""

import random
import socket

from diff.resp import RespConnection
from helpers import on_each_server, wait_until
from persist.aofutil import AofTail


each = on_each_server


def used(c):
    return c.info()["used_memory"]   # the default sections, as the suite's [s used_memory]


def test_limit_honoured(start_server):
    def scenario(server, c):
        rng = random.Random(7)
        c.execute_command("CONFIG", "SET", "latency-tracking", "no")
        limit = used(c) + 100 * 1024
        c.config_set("maxmemory", limit)
        c.config_set("maxmemory-policy", "allkeys-lru")
        n = 0
        while used(c) + 4096 <= limit:
            c.setex("key:%d" % rng.getrandbits(40), 10000, "x")
            n += 1
        for _ in range(n):
            c.setex("key:%d" % rng.getrandbits(40), 10000, "x")
        after = used(c)
        return n > 10, after < limit + 4096, c.info("stats")["evicted_keys"] > 0

    assert each(start_server, [], scenario) == [(True, True, True)] * 2


def test_config_set_maxmemory_in_multi_evicts_after_exec(start_server, tmp_path):
    def scenario(server, c):
        c.config_set("maxmemory-policy", "allkeys-lru")
        p = c.pipeline(transaction=True)
        p.incr("x")
        p.config_set("maxmemory", 1)
        p.incr("x")
        replies = p.execute()
        wait_until(lambda: c.dbsize() == 0, 10, what="the eviction of x")
        c.config_set("maxmemory", 0)
        return replies

    assert each(start_server, [], scenario) == [[1, True, 2]] * 2


def test_evictions_propagate_unwrapped(start_server):
    args = ["--appendonly", "yes", "--aof-timestamp-enabled", "no", "--appendfsync", "no"]

    def scenario(server, c):
        tail = AofTail(server)
        tail.read_new()
        for i in (1, 2, 3):
            c.set("asdf%d" % i, i)
        c.config_set("maxmemory-policy", "allkeys-lru")
        c.config_set("maxmemory", 1)
        wait_until(lambda: c.dbsize() == 0, 10, what="all keys evicted")
        c.config_set("maxmemory", 0)
        c.set("asdf4", 4)
        cmds = [cmd for cmd in tail.commands() if cmd[0].upper() != b"SELECT"]
        return [cmd[0] for cmd in cmds], sorted(cmd[1] for cmd in cmds if cmd[0] == b"DEL")

    expect = ([b"SET"] * 3 + [b"DEL"] * 3 + [b"SET"], [b"asdf1", b"asdf2", b"asdf3"])
    assert each(start_server, args, scenario) == [expect] * 2


def test_tracking_invalidations_do_not_drain_the_database(start_server):
    def scenario(server, c):
        c.execute_command("CONFIG", "SET", "latency-tracking", "no")
        c.config_set("maxmemory-policy", "allkeys-lru")
        c.config_set("maxmemory-eviction-tenacity", 100)
        trackers = []
        for _ in range(10):
            t = RespConnection("127.0.0.1", server.port)
            t.call("HELLO", "3")
            t.call("CLIENT", "TRACKING", "on")
            trackers.append(t)
        try:
            for j in range(300):
                key = "%d%s" % (j, "x" * 1000)
                c.set(key, "x")
                for t in trackers:
                    t.call("GET", key)
            limit = used(c) - 40000
            c.config_set("maxmemory", limit)
            wait_until(lambda: c.info("stats")["evicted_keys"] > 0, 10, what="evictions")
            size = c.dbsize()
            c.config_set("maxmemory", 0)
            return 200 <= size <= 300
        finally:
            for t in trackers:
                t.close()

    assert each(start_server, [], scenario) == [True, True]


def test_replica_output_not_counted(start_server):
    """A replica that stops reading: its output grows by megabytes, nothing is evicted, and
    INFO counts the buffer in mem_clients_slaves and mem_not_counted_for_evict."""
    def scenario(server, c):
        for j in range(100):
            c.setrange("key:%d" % j, 100000, "asdf")
        c.config_set("client-output-buffer-limit", "replica 100000000 100000000 300")
        c.config_set("repl-backlog-size", 10 * 1024)   # (Redis counts the backlog it fills)
        # A replica that reads the snapshot and then nothing more: a raw SYNC.
        s = socket.create_connection(("127.0.0.1", server.port), timeout=30)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.sendall(b"*1\r\n$4\r\nSYNC\r\n")
        buf = b""
        while not buf.lstrip(b"\n").startswith(b"$") or b"\r\n" not in buf.lstrip(b"\n"):
            buf += s.recv(65536)   # newlines (keep-alives) until the "$<size>" header
        head, rest = buf.lstrip(b"\n").split(b"\r\n", 1)
        left = int(head[1:]) - len(rest)
        while left > 0:
            left -= len(s.recv(min(left, 65536)))
        wait_until(lambda: (c.info("replication").get("slave0") or {}).get("state") == "online", 30,
                   what="the replica online")
        m = c.info("memory")
        limit = m["used_memory"] - m["mem_not_counted_for_evict"] + 32 * 1024
        c.config_set("maxmemory-policy", "allkeys-random")
        c.config_set("maxmemory", limit)
        try:
            payload = "A" * 100
            p = c.pipeline(transaction=False)
            for k in range(100000):
                p.setrange("key:0", 0, payload)
                if k % 1000 == 999:
                    p.execute()
            p.execute()
            m = c.info("memory")
            # (redis-server may evict one or two keys: its backlog still grows; counted, the
            # 10 MB of output would evict nearly all of them)
            return (c.dbsize() > 90, m["mem_clients_slaves"] > 2 * 1024 * 1024,
                    m["mem_not_counted_for_evict"] > 2 * 1024 * 1024)
        finally:
            c.config_set("maxmemory", 0)
            s.close()

    assert each(start_server, ["--repl-diskless-sync", "no"], scenario) == [(True, True, True)] * 2


def test_aof_buffer_not_counted(start_server):
    """The AOF buffer is not counted against maxmemory (Redis's mem_not_counted_for_evict): a
    script that rewrites one 100 KB key 50 times leaves 5 MB of AOF buffer until the next poll;
    a write pipelined behind it in the same packet then evicts nothing."""
    args = ["--appendonly", "yes", "--aof-timestamp-enabled", "no", "--appendfsync", "no"]

    def scenario(server, c):
        for i in range(20):
            c.set("key:%d" % i, "v" * 100)
        c.set("k", "x" * 100000)
        c.config_set("maxmemory-policy", "allkeys-lru")
        c.config_set("maxmemory", used(c) + 2 * 1024 * 1024)
        s = socket.create_connection(("127.0.0.1", server.port), timeout=10)
        try:
            script = b"local v = string.rep('x', 100000) for i = 1, 50 do redis.call('set', 'k', v) end"
            s.sendall(b"*3\r\n$4\r\nEVAL\r\n$%d\r\n%s\r\n$1\r\n0\r\n" % (len(script), script) +
                      b"*3\r\n$3\r\nSET\r\n$5\r\nother\r\n$1\r\nx\r\n")
            got = b""
            while got.count(b"\r\n") < 2:
                got += s.recv(100)
        finally:
            s.close()
        c.config_set("maxmemory", 0)
        return got, c.dbsize(), c.info("stats")["evicted_keys"], c.info("memory")["mem_not_counted_for_evict"] > 0

    assert each(start_server, args, scenario) == [(b"$-1\r\n+OK\r\n", 22, 0, True)] * 2
