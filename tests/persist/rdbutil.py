"""Shared pieces of the persistence tests: random datasets of every type and size class, a
snapshot of a server's whole keyspace for comparison, and the RDB CRC-64.

A dataset is a list of commands (lists of bytes) that build it; the same commands go to Keel and
to redis-server. Keys and values are binary (NUL, CR/LF, bytes >= 0x80) and cover each
encoding: int/embstr/raw/compressible strings, small (listpack/intset) and large (hashtable,
skiplist, multi-node quicklist) aggregates, and TTLs.
"""

import random

from diff.resp import RespConnection
from helpers import Server, free_port, wait_until

# ---- CRC-64/Jones as Redis computes it (reflected, init 0, no final xor) ------------------

_POLY = 0x95AC9329AC4BC9B5
_TABLE = []
for _n in range(256):
    _c = _n
    for _ in range(8):
        _c = (_c >> 1) ^ _POLY if _c & 1 else _c >> 1
    _TABLE.append(_c)


def crc64(data, crc=0):
    for b in data:
        crc = _TABLE[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc


def with_footer(body, version=10):
    """A DUMP payload from a type byte + value: version and CRC appended."""
    body = bytes(body) + bytes([version & 0xFF, version >> 8])
    return body + crc64(body).to_bytes(8, "little")


# ---- random datasets ---------------------------------------------------------------------

def _blob(rng, n):
    alphabet = b"ab\x00\r\n\xff\xfe xyz0123456789"
    return bytes(rng.choice(alphabet) for _ in range(n))


def _key(rng, i):
    return b"k%d:" % i + _blob(rng, rng.randint(0, 6))


def _member(rng, i, ints):
    if ints:
        return str(rng.randint(-10 ** 12, 10 ** 12)).encode()
    return b"m%d" % i + _blob(rng, rng.randint(0, 8))


def _string_value(rng):
    kind = rng.randrange(5)
    if kind == 0:
        return str(rng.randint(-2 ** 63, 2 ** 63 - 1)).encode()
    if kind == 1:
        return str(rng.randint(-1000, 1000)).encode()
    if kind == 2:
        return _blob(rng, rng.randint(0, 44))
    if kind == 3:
        return _blob(rng, rng.randint(45, 300))
    return b"compressible-" * rng.randint(3, 40)


def dataset(seed, nkeys=60, large=600, streams=True):
    """Commands building a random dataset. `large` is the element count of large aggregates
    (above the default listpack/intset limits). streams=False leaves streams out. (After an AOF
    replay a group's entries-read can come back unknown, XCLAIM ... LASTID does that on
    redis-server too: the AOF tests compare with assert_same(..., group_counters_may_be_lost).)"""
    rng = random.Random(seed)
    cmds = []
    for i in range(nkeys):
        key = _key(rng, i)
        kind = rng.choice(["string", "list", "hash", "set", "intset", "zset"] + (["stream"] if streams else []))
        big = rng.random() < 0.3
        n = large if big else rng.randint(1, 20)
        if kind == "string":
            cmds.append([b"SET", key, _string_value(rng)])
        elif kind == "list":
            cmds.append([b"RPUSH", key] + [_string_value(rng) for _ in range(n)])
        elif kind == "hash":
            args = []
            for j in range(n):
                args += [_member(rng, j, False), _string_value(rng)]
            if big and rng.random() < 0.5:
                args = args[:4] + [b"f", b"v" * 100]   # large by value length
            cmds.append([b"HSET", key] + args)
        elif kind in ("set", "intset"):
            cmds.append([b"SADD", key] + [_member(rng, j, kind == "intset") for j in range(n)])
        elif kind == "stream":
            cmds += stream_commands(rng, key, n)
        else:
            args = []
            for j in range(n):
                score = rng.choice([str(rng.randint(-50, 50)), repr(rng.uniform(-1e6, 1e6)), "inf", "-inf",
                                    "1e300", "-0"])
                args += [score.encode(), _member(rng, j, rng.random() < 0.3)]
            cmds.append([b"ZADD", key] + args)
        if rng.random() < 0.25:
            cmds.append([b"PEXPIRE", key, str(rng.randint(100000, 10 ** 9)).encode()])
    cmds.append([b"SELECT", b"5"])
    cmds.append([b"SET", b"in-db-5", b"value"])
    cmds.append([b"SELECT", b"0"])
    return cmds


def stream_commands(rng, key, n):
    """A stream of n entries with explicit IDs (several nodes when n > 100), repeated field sets
    (Redis's SAMEFIELDS entries) and others, deleted entries (tombstones), and sometimes consumer
    groups with consumers, pending entries read, acknowledged and claimed."""
    cmds = []
    ms = rng.randint(1, 10 ** 13)
    fields = [_blob(rng, rng.randint(1, 5)) for _ in range(rng.randint(1, 3))]
    for j in range(n):
        ms += rng.choice([0, 0, 1, rng.randint(2, 10 ** 6)])
        if rng.random() < 0.2:
            fields = [_blob(rng, rng.randint(1, 5)) for _ in range(rng.randint(1, 3))]
        args = []
        for f in fields:
            args += [f, _string_value(rng) if rng.random() < 0.5 else str(rng.randint(-99, 10 ** 6)).encode()]
        cmds.append([b"XADD", key, b"%d-%d" % (ms, j)] + args)
    ids = [c[2] for c in cmds]
    for i in rng.sample(range(n), rng.randint(0, n // 3)):
        cmds.append([b"XDEL", key, ids[i]])
    if rng.random() < 0.2:
        cmds.append([b"XTRIM", key, b"MAXLEN", b"%d" % rng.randint(n // 2, n)])
    for g in range(rng.choice([0, 0, 1, 2])):
        group = b"g%d" % g + (_blob(rng, rng.randint(0, 3)) if g else b"")
        cmds.append([b"XGROUP", b"CREATE", key, group, rng.choice([b"0", b"$", ids[rng.randrange(n)]])])
        consumers = [b"c%d" % i + _blob(rng, rng.randint(0, 3)) for i in range(rng.randint(1, 3))]
        for cons in consumers:
            cmds.append([b"XREADGROUP", b"GROUP", group, cons, b"COUNT", b"%d" % rng.randint(1, n), b"STREAMS",
                         key, b">"])
        cmds.append([b"XGROUP", b"CREATECONSUMER", key, group, b"idle-consumer"])
        for i in rng.sample(range(n), rng.randint(0, n // 4)):
            cmds.append([b"XACK", key, group, ids[i]])
        for i in rng.sample(range(n), rng.randint(0, n // 4)):
            cmds.append([b"XCLAIM", key, group, rng.choice(consumers), b"0", ids[i], b"RETRYCOUNT", b"3"])
    return cmds


def load(client, cmds):
    pipe = client.pipeline(transaction=False)
    for c in cmds:
        pipe.execute_command(*c)
    pipe.execute()


# ---- snapshots ---------------------------------------------------------------------------

def _value(client, key, t):
    if t == b"string":
        return client.get(key)
    if t == b"list":
        return tuple(client.lrange(key, 0, -1))
    if t == b"hash":
        return tuple(sorted(client.hgetall(key).items()))
    if t == b"set":
        return tuple(sorted(client.smembers(key)))
    if t == b"zset":
        return tuple(client.zrange(key, 0, -1, withscores=True))
    if t == b"stream":
        return _mask_stream(client.execute_command("XINFO", "STREAM", key, "FULL", "COUNT", "0"))
    raise AssertionError("unexpected type %r" % t)


def _mask_stream(reply):
    """XINFO STREAM FULL without what differs between two servers that ran the same commands:
    the radix tree's shape (Keel's nodes are its own) and times (delivery, seen: any integer
    that is a time in ms). A file or payload carries the times over, so they match then too."""
    if isinstance(reply, list):
        out, masked = [], False
        for item in reply:
            out.append("*" if masked else _mask_stream(item))
            masked = item in (b"radix-tree-nodes", b"radix-tree-keys")
        return tuple(out)
    if isinstance(reply, int) and reply >= 10 ** 12:
        return "time"
    return reply


def snapshot(client, dbs=(0, 5), encodings=True, exclude=None):
    """{(db, key): (type, encoding, value, has_ttl, ttl_ms)} of the listed databases, without
    the keys that start with `exclude` (bytes)."""
    out = {}
    for db in dbs:
        client.execute_command("SELECT", db)
        for key in client.scan_iter(count=1000):
            if exclude and key.startswith(exclude):
                continue
            t = client.type(key)
            enc = client.object("encoding", key) if encodings else None
            pttl = client.pttl(key)
            out[(db, key)] = (t, enc, _value(client, key, t), pttl > 0, pttl)
    client.execute_command("SELECT", 0)
    return out


def _counters_lost(x, y):
    """x with each group's entries-read and lag replaced by y's where y's is nil (unknown): what
    replaying XCLAIM ... LASTID does to them, on redis-server as on Keel. Any other difference
    stays."""
    if isinstance(x, tuple) and isinstance(y, tuple) and len(x) == len(y):
        out = []
        for i, (u, v) in enumerate(zip(x, y)):
            if i and x[i - 1] == y[i - 1] in (b"entries-read", b"lag") and v is None:
                out.append(None)
            else:
                out.append(_counters_lost(u, v))
        return tuple(out)
    return x


def assert_same(a, b, ttl_slack_ms=60000, group_counters_may_be_lost=False):
    """Equal snapshots; TTLs may differ by the time that passed between the two reads. With
    group_counters_may_be_lost (b was loaded from an AOF), a consumer group's entries-read and
    lag known in a may be unknown in b (see _counters_lost)."""
    assert set(a) == set(b), "keys differ: %r / %r" % (sorted(set(a) - set(b))[:5], sorted(set(b) - set(a))[:5])
    for k in a:
        ta, tb = a[k], b[k]
        if group_counters_may_be_lost and ta[0] == b"stream":
            ta = ta[:2] + (_counters_lost(ta[2], tb[2]),) + ta[3:]
        assert ta[:4] == tb[:4], "key %r differs:\n%r\n%r" % (k, ta[:4], tb[:4])
        if ta[3]:
            assert abs(ta[4] - tb[4]) <= ttl_slack_ms, (k, ta[4], tb[4])


def start_loading_server(binary, name, extra_args, fill_dir):
    """A server whose data set fill_dir(directory) puts in place before it starts, started
    without waiting for it to be ready (it may be loading): the server and a raw RESP
    connection, once it accepts one. Shared by the RDB and AOF loading tests."""
    srv = Server(binary, name=name, extra_args=extra_args)
    fill_dir(srv.dir)
    srv.port = free_port()
    srv._spawn()
    conn = [None]

    def connected():
        try:
            conn[0] = RespConnection(srv.host, srv.port, timeout=5)
            return True
        except OSError:
            return False
    wait_until(connected, 10, what="%s accepting connections" % name)
    return srv, conn[0]
