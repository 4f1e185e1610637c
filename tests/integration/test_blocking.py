"""Blocking list commands (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP) with several clients.

Most tests are differential: a scenario drives named connections against one server and records
every reply; it runs against Keel and against redis-server and the two recordings must be equal
byte for byte. A scenario waits for a client to be blocked by polling INFO's blocked_clients
(never by sleeping), and checks that a client is still waiting the same way. Keel-only tests
cover what the oracle can't show the same way: timeout precision (Keel arms a timer for the
earliest deadline; Redis 7.0 checks at its hz), FIFO service of many waiters, INFO and cleanup
when blocked clients disconnect. A churn test checks conservation: under concurrent producers,
blocking consumers and disconnecting waiters, no element is lost or delivered twice.
"""

import time

import pytest

from diff.resp import RespConnection
from helpers import wait_until


class Scenario:
    """Named connections to one server; record() keeps what the scenario observed."""

    def __init__(self, server, resp3=False):
        self.server = server
        self.resp3 = resp3
        self.conns = {}
        self.log = []
        self.admin = RespConnection(server.host, server.port, timeout=10.0)

    def conn(self, name):
        if name not in self.conns:
            c = RespConnection(self.server.host, self.server.port, timeout=10.0)
            if self.resp3:
                c.call("HELLO", "3")
            self.conns[name] = c
        return self.conns[name]

    def call(self, name, *args):
        reply = self.conn(name).call(*args)
        if reply.raw.startswith(b"-ERR unknown command"):
            # Written ahead of commands other issues bring (MULTI/EXEC): runs once they exist.
            pytest.skip("the server lacks %s" % args[0])
        # Recorded without the arguments: client ids in them differ between servers.
        self.log.append((name, " ".join(str(a) for a in args[:2]), reply.raw))
        return reply

    def send(self, name, *args):
        """Send without reading (a command expected to block)."""
        self.conn(name).send(*args)

    def read(self, name):
        reply = self.conn(name).read_reply()
        self.log.append((name, "read", reply.raw))
        return reply

    def blocked(self):
        info = self.admin.call("INFO", "clients").payload.decode()
        for line in info.split("\r\n"):
            if line.startswith("blocked_clients:"):
                return int(line.split(":")[1])
        raise AssertionError("INFO clients has no blocked_clients")

    def wait_blocked(self, n):
        """Wait until exactly n clients are blocked, and record that."""
        wait_until(lambda: self.blocked() == n, 5, what="%d blocked clients" % n)
        self.log.append(("blocked", n))

    def close(self, name):
        self.conns.pop(name).close()

    def finish(self):
        for c in self.conns.values():
            c.close()
        self.conns = {}
        wait_until(lambda: self.blocked() == 0, 5, what="no blocked clients after the scenario")
        self.admin.close()


def run_both(keel, oracle, scenario, resp3=False):
    logs = []
    for server in (oracle, keel):
        s = Scenario(server, resp3)
        try:
            scenario(s)
        finally:
            s.finish()
        logs.append(s.log)
    redis_log, keel_log = logs
    for i, (r, k) in enumerate(zip(redis_log, keel_log)):
        assert k == r, "step %d differs:\n  keel : %r\n  redis: %r" % (i, k, r)
    assert len(keel_log) == len(redis_log)


# ---------------------------------------------------------------- scenarios

def served_by_push(s):
    s.send("a", "BLPOP", "k", 0)
    s.wait_blocked(1)
    s.call("b", "RPUSH", "k", "x", "y")
    s.read("a")
    s.call("b", "LRANGE", "k", 0, -1)
    s.send("a", "BRPOP", "k", "other", 0)
    s.read("a")                      # the list still had y: served at once
    s.call("b", "EXISTS", "k")


def fifo_order(s):
    for name in ("a", "b", "c"):
        s.send(name, "BLPOP", "k", 0)
        s.wait_blocked({"a": 1, "b": 2, "c": 3}[name])
    s.call("d", "RPUSH", "k", "1", "2")
    s.read("a")
    s.read("b")
    s.wait_blocked(1)                # c still waits
    s.call("d", "LPUSH", "k", "3")
    s.read("c")
    s.call("d", "EXISTS", "k")


def multiple_keys(s):
    s.send("a", "BLPOP", "k1", "k2", "k3", 0)
    s.wait_blocked(1)
    s.call("b", "RPUSH", "k3", "x")
    s.read("a")
    s.send("a", "BRPOP", "k1", "k1", "k2", 0)   # a key given twice waits once
    s.wait_blocked(1)
    s.call("b", "RPUSH", "k1", "p", "q")
    s.read("a")
    s.call("b", "LRANGE", "k1", 0, -1)


def transaction_serves_first_ready_key(s):
    # Redis 7.0 serves from the key that became ready first, not from the first argument.
    s.send("a", "BLPOP", "k1", "k2", 0)
    s.wait_blocked(1)
    s.call("b", "MULTI")
    s.call("b", "RPUSH", "k2", "from-k2")
    s.call("b", "RPUSH", "k1", "from-k1")
    s.call("b", "EXEC")
    s.read("a")
    s.call("b", "LRANGE", "k1", 0, -1)
    s.call("b", "LRANGE", "k2", 0, -1)


def transaction_created_and_emptied(s):
    s.send("a", "BLPOP", "k", 0)
    s.wait_blocked(1)
    s.call("b", "MULTI")
    s.call("b", "RPUSH", "k", "x")
    s.call("b", "LPOP", "k")
    s.call("b", "EXEC")
    s.wait_blocked(1)                # nothing left when the transaction ended
    s.call("b", "RPUSH", "k", "y")
    s.read("a")


def blmove_chain(s):
    # a moves src -> dst, which serves b waiting on dst, in the same round.
    s.send("a", "BLMOVE", "src", "dst", "RIGHT", "LEFT", 0)
    s.wait_blocked(1)
    s.send("b", "BLPOP", "dst", 0)
    s.wait_blocked(2)
    s.call("c", "RPUSH", "src", "1", "2")
    s.read("a")
    s.read("b")
    s.call("c", "LRANGE", "src", 0, -1)
    s.call("c", "EXISTS", "dst")
    s.send("a", "BRPOPLPUSH", "none", "dst2", 0)
    s.wait_blocked(1)
    s.call("c", "LPUSH", "none", "z")
    s.read("a")
    s.call("c", "LRANGE", "dst2", 0, -1)
    s.call("c", "EXISTS", "none")


def blmove_same_key(s):
    s.send("a", "BLMOVE", "k", "k", "LEFT", "RIGHT", 0)
    s.send("b", "BLMOVE", "k", "k", "LEFT", "RIGHT", 0)
    s.wait_blocked(2)
    s.call("c", "RPUSH", "k", "x", "y")
    s.read("a")
    s.read("b")
    s.call("c", "LRANGE", "k", 0, -1)


def blmpop_served(s):
    s.send("a", "BLMPOP", 0, 2, "k1", "k2", "RIGHT", "COUNT", 2)
    s.wait_blocked(1)
    s.call("b", "RPUSH", "k2", "1", "2", "3")
    s.read("a")
    s.send("a", "BLMPOP", 0, 1, "k3", "LEFT")
    s.wait_blocked(1)
    s.call("b", "RPUSH", "k3", "only")
    s.read("a")
    s.call("b", "LRANGE", "k2", 0, -1)
    s.call("b", "EXISTS", "k3")


def wrong_type_keeps_waiting(s):
    # A sorted set appearing under the key does not serve a list waiter (Redis 7.0).
    s.send("a", "BLPOP", "k", 0)
    s.wait_blocked(1)
    s.call("b", "ZADD", "k", 1, "m")
    s.call("b", "PING")
    s.wait_blocked(1)
    s.call("b", "DEL", "k")
    s.call("b", "RPUSH", "k", "x")
    s.read("a")


def blmove_destination_wrong_type(s):
    s.send("a", "BLMOVE", "src", "dst", "LEFT", "LEFT", 0)
    s.wait_blocked(1)
    s.call("b", "SET", "dst", "string")
    s.call("b", "RPUSH", "src", "e1")
    s.read("a")                      # WRONGTYPE, the element stays in src
    s.call("b", "LRANGE", "src", 0, -1)
    s.wait_blocked(0)


def created_by_rename_copy_move(s):
    s.send("a", "BLPOP", "k", 0)
    s.wait_blocked(1)
    s.call("b", "RPUSH", "tmp", "renamed")
    s.call("b", "RENAME", "tmp", "k")
    s.read("a")
    s.send("a", "BLPOP", "k", 0)
    s.wait_blocked(1)
    s.call("b", "RPUSH", "orig", "copied")
    s.call("b", "COPY", "orig", "k")
    s.read("a")
    s.send("a", "BLPOP", "k", 0)
    s.wait_blocked(1)
    s.call("b", "SELECT", 1)
    s.call("b", "RPUSH", "k", "moved")
    s.call("b", "MOVE", "k", 0)
    s.read("a")
    s.call("b", "SELECT", 0)
    s.call("b", "LRANGE", "orig", 0, -1)


def swapdb_wakes(s):
    s.send("a", "BLPOP", "k", 0)
    s.wait_blocked(1)
    s.call("b", "SELECT", 1)
    s.call("b", "RPUSH", "k", "from-db1", "second")
    s.call("b", "SWAPDB", 0, 1)
    s.read("a")
    s.call("b", "LRANGE", "k", 0, -1)     # db 1 now holds what db 0 had: nothing
    s.call("b", "SELECT", 0)
    s.call("b", "LRANGE", "k", 0, -1)


def pipelined_after_block(s):
    c = s.conn("a")
    c.send_raw(b"*3\r\n$5\r\nBLPOP\r\n$1\r\nk\r\n$1\r\n0\r\n*2\r\n$4\r\nECHO\r\n$5\r\nafter\r\n"
               b"*2\r\n$4\r\nLLEN\r\n$1\r\nk\r\n")
    s.wait_blocked(1)
    s.call("b", "RPUSH", "k", "x", "y")
    s.read("a")
    s.read("a")
    s.read("a")


def disconnect_while_blocked(s):
    s.send("a", "BLPOP", "k", 0)
    s.send("b", "BLPOP", "k", 0)
    s.wait_blocked(2)
    s.close("a")
    s.wait_blocked(1)
    s.call("c", "RPUSH", "k", "x", "y")
    s.read("b")
    s.call("c", "LRANGE", "k", 0, -1)


def client_kill_blocked(s):
    cid = s.call("a", "CLIENT", "ID").payload
    s.log.pop()                      # ids differ between servers
    s.send("a", "BLPOP", "k", 0)
    s.wait_blocked(1)
    r = s.conn("b").call("CLIENT", "KILL", "ID", cid)
    s.log.append(("b", "kill", r.raw))
    s.wait_blocked(0)
    s.call("b", "RPUSH", "k", "x")
    s.call("b", "LLEN", "k")


def client_unblock(s):
    cid = s.call("a", "CLIENT", "ID").payload
    s.log.pop()                      # ids differ between servers
    s.call("b", "CLIENT", "UNBLOCK", cid)        # not blocked: 0
    s.send("a", "BLPOP", "k", 0)
    s.wait_blocked(1)
    s.call("b", "CLIENT", "UNBLOCK", cid, "FOO")
    s.call("b", "CLIENT", "UNBLOCK", cid)        # default: as a timeout
    s.read("a")
    s.send("a", "BLMOVE", "k", "d", "LEFT", "LEFT", 0)
    s.wait_blocked(1)
    s.call("b", "CLIENT", "UNBLOCK", cid, "ERROR")
    s.read("a")
    s.send("a", "BLMPOP", 5, 1, "k", "LEFT")
    s.wait_blocked(1)
    s.call("b", "CLIENT", "UNBLOCK", cid, "timeout")
    s.read("a")
    s.call("a", "PING")
    s.call("b", "RPUSH", "k", "x")
    s.call("b", "LLEN", "k")


def timeouts(s):
    s.call("a", "BLPOP", "k", "0.05")
    s.call("a", "BRPOP", "k", "0.01")
    s.call("a", "BLMOVE", "k", "d", "LEFT", "LEFT", "0.02")
    s.call("a", "BRPOPLPUSH", "k", "d", "0.02")
    s.call("a", "BLMPOP", "0.02", 1, "k", "LEFT")
    s.call("a", "EXISTS", "d")
    s.call("a", "PING")


def timeout_then_served(s):
    # A client whose deadline is far keeps its place while an earlier one times out.
    s.send("a", "BLPOP", "k", 100)
    s.wait_blocked(1)
    s.send("b", "BLPOP", "k", "0.05")
    s.wait_blocked(2)
    s.read("b")
    s.wait_blocked(1)
    s.call("c", "RPUSH", "k", "x")
    s.read("a")


def errors_before_blocking(s):
    s.call("a", "SET", "str", "v")
    s.call("a", "BLPOP", "nokey", "str", 0)
    s.call("a", "BLPOP", "k", "-1")
    s.call("a", "BLPOP", "k", "abc")
    s.call("a", "BLMOVE", "str", "k", "LEFT", "LEFT", 0)
    s.call("a", "BLMOVE", "k", "str", "LEFT", "UP", 0)
    s.call("a", "BLMPOP", 0, 0, "k", "LEFT")
    s.call("a", "BLMPOP", 0, 2, "nokey", "str", "LEFT")
    s.call("a", "RPUSH", "list", "a")
    s.call("a", "BLMOVE", "list", "str", "LEFT", "LEFT", 0)
    s.call("a", "LRANGE", "list", 0, -1)


def in_multi_never_blocks(s):
    s.call("a", "MULTI")
    s.call("a", "BLPOP", "k", 0)
    s.call("a", "BRPOPLPUSH", "k", "d", 0)
    s.call("a", "BLMOVE", "k", "d", "LEFT", "RIGHT", 0)
    s.call("a", "BLMPOP", 0, 1, "k", "LEFT")
    s.call("a", "RPUSH", "k", "late")
    s.call("a", "BLPOP", "k", 0)
    s.call("a", "EXEC")


SCENARIOS = [served_by_push, fifo_order, multiple_keys, transaction_serves_first_ready_key,
             transaction_created_and_emptied, blmove_chain, blmove_same_key, blmpop_served,
             wrong_type_keeps_waiting, blmove_destination_wrong_type, created_by_rename_copy_move,
             swapdb_wakes, pipelined_after_block, disconnect_while_blocked, client_kill_blocked, client_unblock,
             timeouts, timeout_then_served, errors_before_blocking, in_multi_never_blocks]


@pytest.mark.parametrize("resp3", [False, True], ids=["resp2", "resp3"])
@pytest.mark.parametrize("scenario", SCENARIOS, ids=[f.__name__ for f in SCENARIOS])
def test_blocking_scenario(keel, oracle, scenario, resp3):
    run_both(keel, oracle, scenario, resp3)


# ---------------------------------------------------------------- Keel-only checks

@pytest.mark.keel_only
def test_timeout_precision(keel):
    c = keel.raw()
    for timeout in (0.01, 0.05, 0.2):
        t0 = time.monotonic()
        r = c.call("BLPOP", "nokey", str(timeout))
        took = time.monotonic() - t0
        assert r.raw == b"*-1\r\n"
        assert timeout <= took + 0.002, "returned before its deadline"
        assert took < timeout + 0.05, "timeout %.3fs took %.3fs" % (timeout, took)
    c.close()


@pytest.mark.keel_only
def test_many_waiters_served_in_order(keel):
    s = Scenario(keel)
    try:
        n = 50
        for i in range(n):
            s.send("c%d" % i, "BRPOP", "q", "other%d" % i, 0)
            s.wait_blocked(i + 1)
        s.call("p", "LPUSH", "q", *[str(i) for i in range(n)])
        for i in range(n):
            assert s.read("c%d" % i).to_py() == [b"q", str(i).encode()]
        assert s.call("p", "EXISTS", "q").to_py() == 0
    finally:
        s.finish()


@pytest.mark.keel_only
def test_blocked_clients_in_info_and_cleanup(keel):
    s = Scenario(keel)
    try:
        for i in range(10):
            s.send("c%d" % i, "BLMOVE", "src%d" % (i % 3), "dst", "LEFT", "LEFT", 0 if i % 2 else 100)
        s.wait_blocked(10)
        for i in range(0, 10, 2):
            s.close("c%d" % i)
        s.wait_blocked(5)
        assert s.call("p", "RPUSH", "src1", "a", "b", "c").to_py() == 3
        s.wait_blocked(3)       # c1 and c7 (src1) were served; c3, c9 (src0) and c5 (src2) wait
        moved = s.call("p", "LRANGE", "dst", 0, -1).to_py()
        assert sorted(moved) == [b"a", b"b"]
        assert s.call("p", "LRANGE", "src1", 0, -1).to_py() == [b"c"]
    finally:
        s.finish()


def test_no_element_lost_or_duplicated_under_churn(keel):
    """Producers push unique elements to a few keys while consumers pop them with every
    blocking command (short timeouts, moves between the keys) and other clients block and
    disconnect: every element ends up received exactly once or still in a list."""
    import random
    import threading

    keys = ["q0", "q1", "q2"]
    received = []
    lock = threading.Lock()
    stop = threading.Event()
    errors = []

    def consumer(seed):
        rnd = random.Random(seed)
        c = keel.raw()
        try:
            while not stop.is_set():
                a, b = rnd.sample(keys, 2)
                kind = rnd.randrange(4)
                if kind == 0:
                    r = c.call("BLPOP", a, b, "0.02").to_py()
                    got = [r[1]] if r else []
                elif kind == 1:
                    r = c.call("BLMPOP", "0.02", 2, a, b, "RIGHT", "COUNT", 3).to_py()
                    got = list(r[1]) if r else []
                elif kind == 2:
                    c.call("BLMOVE", a, b, "LEFT", "RIGHT", "0.02")   # stays in the lists
                    got = []
                else:
                    r = c.call("BRPOP", a, "0.02").to_py()
                    got = [r[1]] if r else []
                with lock:
                    received.extend(got)
        except Exception as e:  # noqa: BLE001 - reported by the main thread
            errors.append(e)
        finally:
            c.close()

    def quitter():
        while not stop.is_set():
            c = keel.raw()
            c.send("BLPOP", "never-pushed", 0)
            c.close()

    threads = [threading.Thread(target=consumer, args=(i,)) for i in range(6)]
    threads.append(threading.Thread(target=quitter))
    for t in threads:
        t.start()
    producer = keel.raw()
    pushed = []
    rnd = random.Random(99)
    try:
        for i in range(2000):
            batch = ["e%d-%d" % (i, j) for j in range(rnd.randrange(1, 5))]
            pushed += batch
            producer.call(rnd.choice(["LPUSH", "RPUSH"]), rnd.choice(keys), *batch)
    finally:
        stop.set()
        for t in threads:
            t.join(10)
    assert not errors, errors
    left = []
    for k in keys:
        left += producer.call("LRANGE", k, 0, -1).to_py()
    producer.close()
    everything = [x.decode() for x in received + left]
    assert received, "the consumers never got anything: the test exercised nothing"
    assert len(everything) == len(pushed), "lost or duplicated elements"
    assert sorted(everything) == sorted(pushed)
    s = Scenario(keel)
    s.finish()       # waits until no client is blocked any more
