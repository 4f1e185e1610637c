"""Client-side caching (CLIENT TRACKING): each scenario drives named connections against one
server and records every reply and every pushed frame; it runs on Keel and on redis-server
7.0.15 and the recordings must be equal byte for byte. Client ids (which differ between the
servers) never appear in the recording: a scenario that needs one reads it with CLIENT ID and
records only what it must.
"""

import time

import pytest

from diff.resp import RespConnection
from helpers import ORACLE_SERVER


class Scenario:
    def __init__(self, server):
        self.server = server
        self.conns = {}
        self.log = []

    def conn(self, name):
        if name not in self.conns:
            self.conns[name] = RespConnection(self.server.host, self.server.port, timeout=5.0)
        return self.conns[name]

    def call(self, name, *args, record=True):
        reply = self.conn(name).call(*args)
        if record:
            self.log.append((name, " ".join(str(a) for a in args[:2]), reply.raw))
        return reply

    def read(self, name, n=1):
        """Frames pushed to a connection (invalidations)."""
        for _ in range(n):
            self.log.append((name, "push", self.conn(name).read_reply().raw))

    def id_of(self, name):
        return int(self.call(name, "CLIENT", "ID", record=False).to_py())

    def close(self):
        for c in self.conns.values():
            c.close()


def default_mode_resp3(s):
    s.call("a", "HELLO", "3", record=False)
    s.call("a", "CLIENT", "TRACKING", "on")
    s.call("a", "MGET", "k1", "k2")
    s.call("b", "SET", "k1", "x")
    s.read("a")
    s.call("b", "SET", "k1", "y")        # forgotten after the first invalidation
    s.call("a", "GET", "k2")
    s.call("a", "SET", "k2", "own")      # own write: reply first, then the invalidation
    s.read("a")
    s.call("a", "CLIENT", "TRACKINGINFO")
    s.call("a", "CLIENT", "GETREDIR")


def noloop_and_optin(s):
    s.call("a", "HELLO", "3", record=False)
    s.call("a", "CLIENT", "TRACKING", "on", "NOLOOP")
    s.call("a", "GET", "k")
    s.call("a", "SET", "k", "1")         # NOLOOP: no invalidation for its own write
    s.call("a", "GET", "k")
    s.call("b", "DEL", "k")
    s.read("a")
    s.call("a", "CLIENT", "TRACKING", "off")
    s.call("a", "CLIENT", "TRACKING", "on", "OPTIN")
    s.call("a", "GET", "notcached")
    s.call("a", "CLIENT", "CACHING", "yes")
    s.call("a", "GET", "cached")
    s.call("b", "SET", "notcached", "1")
    s.call("b", "SET", "cached", "1")
    s.read("a")
    s.call("a", "CLIENT", "TRACKINGINFO")


def bcast_prefixes(s):
    s.call("a", "HELLO", "3", record=False)
    s.call("a", "CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "user:", "PREFIX", "obj:")
    s.call("b", "MSET", "user:1", "a", "other", "b", "obj:9", "c")
    s.read("a", 2)
    s.call("b", "DEL", "user:1")
    s.read("a")
    s.call("a", "CLIENT", "TRACKINGINFO")
    s.call("a", "CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "user:x")
    s.call("a", "CLIENT", "TRACKING", "off")
    s.call("a", "CLIENT", "TRACKING", "on", "BCAST")
    s.call("b", "SET", "anything", "1")
    s.read("a")


def flush_and_redirect_resp2(s):
    sink = s.id_of("sink")
    s.call("sink", "SUBSCRIBE", "__redis__:invalidate")
    s.call("a", "CLIENT", "TRACKING", "on", "REDIRECT", str(sink))
    s.call("a", "GET", "k")
    s.call("b", "SET", "k", "1")
    s.read("sink")
    s.call("a", "GET", "k")
    s.call("b", "FLUSHALL")
    s.read("sink")
    s.call("a", "CLIENT", "TRACKINGINFO", record=False)   # shows the redirect id
    s.conn("sink").close()
    del s.conns["sink"]
    s.call("a", "GET", "k")
    s.call("b", "SET", "k", "2")          # the redirect target is gone: broken redirect
    info = s.call("a", "CLIENT", "TRACKINGINFO", record=False).to_py()
    s.log.append(("a", "flags", sorted(info[1])))


def errors(s):
    for args in (["on", "PREFIX", "a"], ["on", "OPTIN", "OPTOUT"], ["on", "BCAST", "OPTOUT"],
                 ["on", "REDIRECT", "999999"], ["on", "REDIRECT", "x"], ["maybe"], ["on", "what"],
                 ["on", "BCAST", "PREFIX", "ab", "PREFIX", "a"]):
        s.call("a", "CLIENT", "TRACKING", *args)
    s.call("a", "CLIENT", "CACHING", "yes")
    s.call("a", "CLIENT", "TRACKING", "on", "OPTOUT")
    s.call("a", "CLIENT", "CACHING", "yes")
    s.call("a", "CLIENT", "CACHING", "no")
    s.call("a", "CLIENT", "CACHING", "perhaps")
    s.call("a", "CLIENT", "TRACKING", "on", "OPTIN")
    s.call("a", "CLIENT", "TRACKING", "on", "BCAST")
    s.call("a", "CLIENT", "TRACKING")
    s.call("a", "CLIENT", "CACHING")
    s.call("a", "RESET")
    s.call("a", "CLIENT", "TRACKINGINFO")


def keys_are_global_and_multi(s):
    """Tracked keys are not per database (a write in db 1 invalidates a read in db 0); SWAPDB
    sends nothing; a transaction's own invalidation follows the EXEC reply."""
    s.call("a", "HELLO", "3", record=False)
    s.call("a", "CLIENT", "TRACKING", "on")
    s.call("a", "GET", "k")
    s.call("b", "SWAPDB", "0", "1")
    s.call("b", "SELECT", "1")
    s.call("b", "SET", "k", "1")
    s.read("a")
    s.call("a", "MULTI")
    s.call("a", "GET", "k")
    s.call("a", "SET", "k", "2")
    s.call("a", "EXEC")
    s.read("a")


def bcast_active_expiry(s):
    """A key removed by active expiry is announced to BCAST clients, NOLOOP ones included (no
    command is running, so nobody wrote it): the client must not wait for another command."""
    s.call("a", "HELLO", "3", record=False)
    s.call("a", "CLIENT", "TRACKING", "on", "BCAST", "NOLOOP")
    s.call("a", "SET", "mykey", "v", "PX", "1")
    s.call("a", "SET", "mykeyother", "v")   # NOLOOP: not announced
    s.read("a")


def scripts_track_declared_keys(s):
    """A script that reads tracks the keys its EVAL declared (not the keys it read); one that
    reads nothing tracks nothing; EVAL_RO is no read by itself."""
    s.call("a", "HELLO", "3", record=False)
    s.call("a", "CLIENT", "TRACKING", "on")
    s.call("a", "EVAL", "redis.call('set', 'k3', 'bar')", "2", "k1", "k2")
    s.call("b", "MSET", "k2", "1", "k1", "1", "k3", "1")
    s.call("a", "EVAL", "redis.call('get', 'k3')", "2", "k1", "k2")
    s.call("b", "MSET", "k2", "2", "k1", "2", "k3", "2")
    s.read("a", 2)
    s.call("a", "EVAL_RO", "redis.call('ping')", "2", "k1", "k2")
    s.call("b", "MSET", "k2", "3", "k1", "3")
    s.call("a", "EVAL_RO", "redis.call('get', 'k1')", "1", "k2")
    s.call("b", "MSET", "k2", "4", "k1", "4")
    s.read("a")
    s.call("a", "PING")


def unblocked_client_invalidation(s):
    """A blocked BLMOVE served by another client's push: its reply, then the invalidation of
    the key it wrote, without waiting for another command."""
    s.call("b", "RPUSH", "dst", "a")
    s.call("a", "HELLO", "3", record=False)
    s.call("a", "CLIENT", "TRACKING", "on")
    s.call("a", "LRANGE", "dst", "0", "-1")
    s.conn("a").send("BLMOVE", "src", "dst", "LEFT", "LEFT", "0")
    wait_blocked(s.conn("b"))
    s.call("b", "RPUSH", "src", "foo")
    s.read("a", 2)


def table_max_keys(s):
    """Past tracking-table-max-keys random tracked keys are invalidated and forgotten, before
    the next command (the cron, which does it too, is paused); which key goes is random, so
    only that it is one of them is recorded."""
    s.call("b", "DEBUG", "PAUSE-CRON", "1")
    s.call("a", "HELLO", "3", record=False)
    s.call("a", "CLIENT", "TRACKING", "on")
    s.call("a", "MGET", "k1", "k2")
    s.call("b", "CONFIG", "SET", "tracking-table-max-keys", "1")
    s.call("b", "PING")
    frame = s.conn("a").read_reply().to_py()
    s.log.append(("a", "evicted one", frame[0], len(frame[1]), frame[1][0] in (b"k1", b"k2")))
    s.call("b", "INFO", "clients", record=False)
    s.call("b", "DEBUG", "PAUSE-CRON", "0")
    s.call("b", "CONFIG", "SET", "tracking-table-max-keys", "1000000")


def wait_blocked(conn):
    deadline = time.monotonic() + 5
    while b"blocked_clients:1" not in conn.call("INFO", "clients").raw:
        assert time.monotonic() < deadline, "the client never blocked"
        time.sleep(0.01)


SCENARIOS = [table_max_keys, bcast_active_expiry, scripts_track_declared_keys, unblocked_client_invalidation, keys_are_global_and_multi, default_mode_resp3, noloop_and_optin, bcast_prefixes, flush_and_redirect_resp2, errors]


def record(server, scenario):
    s = Scenario(server)
    try:
        scenario(s)
        return s.log
    finally:
        s.close()


@pytest.fixture(scope="module")
def pair(request):
    from helpers import Server, keel_binary
    debug = ["--enable-debug-command", "yes"]
    keel = Server(keel_binary(), debug, name="keel").start()
    redis = Server(ORACLE_SERVER, debug, name="redis").start()
    yield keel, redis
    for srv in (keel, redis):
        srv.stop()
        srv.cleanup()


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda f: f.__name__)
def test_tracking_like_redis(pair, scenario):
    keel, redis = pair
    got = record(keel, scenario)
    want = record(redis, scenario)
    for g, w in zip(got, want):
        assert g == w
    assert len(got) == len(want)
