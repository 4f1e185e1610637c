"""Shared pieces of the replication tests: a write load of every type, waiting until a replica
has applied all of its primary's stream, comparing two servers' data, and a TCP proxy that cuts
links on demand.

The load goes to databases 0 and 5 (so the stream carries SELECTs) and covers strings, lists,
hashes, sets, sorted sets, TTLs (relative and absolute, and keys that expire while the load
runs), deletions, MULTI/EXEC and Lua scripts, whose effects a replica must apply exactly.
"""

import socket
import threading

from helpers import wait_until
from persist.rdbutil import assert_same, snapshot

DBS = (0, 5)


def random_write(c, rng, i):
    """One random write through redis-py client c (errors such as WRONGTYPE are part of it)."""
    key = b"k%d" % rng.randrange(300)
    op = rng.randrange(19)
    try:
        if op == 0:
            c.set(key, b"v%d" % i)
        elif op == 1:
            c.incrby(b"n" + key, rng.randint(-5, 5))
        elif op == 2:
            c.rpush(b"l" + key, *[b"e%d" % j for j in range(rng.randint(1, 5))])
        elif op == 3:
            c.lpop(b"l" + key)
        elif op == 4:
            c.hset(b"h" + key, mapping={b"f%d" % rng.randrange(20): b"x%d" % i})
        elif op == 5:
            c.sadd(b"s" + key, *[rng.randrange(1000) for _ in range(3)])
        elif op == 6:
            c.spop(b"s" + key, rng.randint(1, 3))
        elif op == 7:
            c.zadd(b"z" + key, {b"m%d" % rng.randrange(50): rng.random()})
        elif op == 8:
            c.zincrby(b"z" + key, 1.5, b"m1")
        elif op == 9:
            c.expire(key, rng.randint(100, 1000))
        elif op == 10:
            c.pexpire(b"h" + key, rng.randint(1, 40))       # expires during the load
        elif op == 11:
            c.delete(key, b"l" + key)
        elif op == 12:
            p = c.pipeline(transaction=True)
            p.incr(b"tx" + key)
            p.append(b"tx:log", b"%d," % i)
            p.execute()
        elif op == 13:
            c.eval("redis.call('set', KEYS[1], ARGV[1]); return redis.call('incr', KEYS[2])", 2,
                   b"lua" + key, b"luacount", b"%d" % i)
        elif op == 14:
            c.incrbyfloat(b"f" + key, 0.25)
        elif op == 16:
            c.set(b"x" + key, b"%d" % i, ex=rng.randint(100, 1000))
        elif op == 17:
            c.getdel(b"x" + key)
        elif op == 18:
            c.hincrbyfloat(b"h" + key, b"fl", 1.5)
        else:
            c.execute_command("SELECT", 5 if rng.random() < 0.5 else 0)
    except Exception as e:  # noqa: BLE001 - type errors are writes that fail alike on both sides
        if "WRONGTYPE" not in str(e):
            raise


def write_load(c, rng, n, start=0):
    for i in range(start, start + n):
        random_write(c, rng, i)
    c.execute_command("SELECT", 0)


def info(c, section="replication"):
    return c.info(section)


def offset(c):
    return info(c)["master_repl_offset"]


def synced(primary, replica):
    """True once the replica's link is up and it applied every byte the primary produced."""
    ri = info(replica)
    if ri.get("master_link_status") != "up":
        return False
    return ri["master_repl_offset"] == offset(primary)


def wait_synced(primary, replica, timeout=60):
    wait_until(lambda: synced(primary, replica), timeout, interval=0.05, what="the replica to catch up")


def dbsizes(c):
    out = {}
    for db in range(16):
        c.execute_command("SELECT", db)
        out[db] = c.dbsize()
    c.execute_command("SELECT", 0)
    return out


def _short_ttls_left(c):
    """Keys of DBS the load gave a TTL of milliseconds that have not expired yet."""
    n = 0
    for db in DBS:
        c.execute_command("SELECT", db)
        n += sum(1 for k in c.scan_iter(count=1000) if 0 <= c.pttl(k) < 10000)
    c.execute_command("SELECT", 0)
    return n


def assert_same_data(primary, replica):
    """Every key of DBS, type, value and TTL (within a slack), and every database's size, once
    the keys that expire within seconds are gone from the primary and the replica applied
    their DELs."""
    wait_until(lambda: _short_ttls_left(primary) == 0, 30, interval=0.05, what="short TTLs to pass")
    wait_synced(primary, replica)
    assert_same(snapshot(primary, DBS, encodings=False), snapshot(replica, DBS, encodings=False))
    sizes = dbsizes(primary), dbsizes(replica)
    assert sizes[0] == sizes[1], (sizes, primary.info("keyspace"), replica.info("keyspace"))


class Proxy:
    """A TCP proxy on 127.0.0.1: each accepted connection is piped to target; cut() closes every
    open pair at once (the replica sees its primary's link drop, mid-command or mid-RDB)."""

    def __init__(self, target_port):
        self.target = ("127.0.0.1", target_port)
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.port = self.listener.getsockname()[1]
        self.lock = threading.Lock()
        self.socks = []
        self.closed = False
        self.connections = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                a, _ = self.listener.accept()
            except OSError:
                return
            try:
                b = socket.create_connection(self.target, timeout=5)
                b.settimeout(None)
            except OSError:
                a.close()
                continue
            with self.lock:
                if self.closed:
                    a.close()
                    b.close()
                    return
                self.socks += [a, b]
                self.connections += 1
            threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()
            threading.Thread(target=self._pipe, args=(b, a), daemon=True).start()

    @staticmethod
    def _pipe(src, dst):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def cut(self):
        with self.lock:
            socks, self.socks = self.socks, []
        for s in socks:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def close(self):
        with self.lock:
            self.closed = True
        self.listener.close()
        self.cut()
