"""Sorted sets beyond single-connection replies: the blocking pops with several clients
(differential, like tests/integration/test_blocking.py), ZRANDMEMBER by property, the ZSCAN
ticket scenario and SCAN guarantees while the set changes, a long random run against a Python
model of the order (ranks, ranges, counts on a large set), memory accounting, COPY independence
and the deletion of emptied keys.
"""

import bisect
import collections
import random

import pytest

from helpers import long_mode
from integration.test_blocking import run_both
from integration.test_hash_set import bulk_load, call, conn, scan_all, used_memory


def zadd_many(c, key, pairs):
    """pairs: (score, member) tuples, loaded 1000 per ZADD."""
    pairs = list(pairs)
    bulk_load(c, [["ZADD", key] + [x for p in pairs[i:i + 1000] for x in p]
                  for i in range(0, len(pairs), 1000)])


# ---- Blocking pops (differential) -------------------------------------------------------------

def bzpopmin_served_by_zadd(s):
    s.send("a", "BZPOPMIN", "k", 0)
    s.wait_blocked(1)
    s.call("b", "ZADD", "k", 3, "c", 1, "a", 2, "b")
    s.read("a")
    s.call("b", "ZRANGE", "k", 0, -1, "WITHSCORES")
    s.send("a", "BZPOPMAX", "other", "k", 0)
    s.read("a")                      # k still has members: served at once
    s.call("b", "ZCARD", "k")


def fifo_and_multiple_keys(s):
    s.send("a", "BZPOPMAX", "k1", "k2", 0)
    s.wait_blocked(1)
    s.send("b", "BZPOPMIN", "k2", "k1", 0)
    s.wait_blocked(2)
    s.call("c", "ZADD", "k2", 1, "x", 2, "y")
    s.read("a")
    s.read("b")
    s.call("c", "EXISTS", "k2")
    s.send("a", "BZPOPMIN", "k1", "k1", 0)   # a key given twice waits once
    s.wait_blocked(1)
    s.call("c", "ZADD", "k1", 5, "only")
    s.read("a")
    s.call("c", "EXISTS", "k1")


def bzmpop_served(s):
    s.send("a", "BZMPOP", 0, 2, "k1", "k2", "MAX", "COUNT", 2)
    s.wait_blocked(1)
    s.call("b", "ZADD", "k2", 1, "p", 2, "q", 3, "r")
    s.read("a")
    s.send("a", "BZMPOP", 0, 1, "k2", "MIN", "COUNT", 10)
    s.read("a")
    s.call("b", "EXISTS", "k2")


def timeouts(s):
    s.call("a", "BZPOPMIN", "k", "0.05")
    s.call("a", "BZPOPMAX", "k1", "k2", "0.01")
    s.call("a", "BZMPOP", "0.02", 1, "k", "MIN")
    s.call("a", "EXISTS", "k")


def wrong_type_keeps_waiting(s):
    # A list appearing under the key does not serve a sorted set waiter (Redis 7.0).
    s.send("a", "BZPOPMIN", "k", 0)
    s.wait_blocked(1)
    s.call("b", "RPUSH", "k", "x")
    s.call("b", "PING")
    s.wait_blocked(1)
    s.call("b", "DEL", "k")
    s.call("b", "ZADD", "k", 7, "m")
    s.read("a")
    s.call("b", "EXISTS", "k")


def created_by_other_commands(s):
    s.call("b", "ZADD", "src", 1, "a", 2, "b", 3, "c")
    for i, cmd in enumerate([["ZUNIONSTORE", "k", 1, "src"], ["ZRANGESTORE", "k", "src", 0, 0],
                             ["ZINCRBY", "k", 5, "m"], ["COPY", "src", "k"],
                             ["ZINTERSTORE", "k", 2, "src", "src"], ["ZDIFFSTORE", "k", 1, "src"]]):
        s.send("a", "BZPOPMAX", "k", 0)
        s.wait_blocked(1)
        s.call("b", *cmd)
        s.read("a")
        s.call("b", "DEL", "k")


def popped_empty_then_refilled(s):
    s.send("a", "BZPOPMIN", "k", 0)
    s.wait_blocked(1)
    s.send("c", "BZPOPMIN", "k", 0)
    s.wait_blocked(2)
    s.call("b", "ZADD", "k", 1, "only")
    s.read("a")
    s.wait_blocked(1)                # c still waits: the set is gone again
    s.call("b", "ZADD", "k", 2, "next")
    s.read("c")


SCENARIOS = [bzpopmin_served_by_zadd, fifo_and_multiple_keys, bzmpop_served, timeouts,
             wrong_type_keeps_waiting, created_by_other_commands, popped_empty_then_refilled]


@pytest.mark.parametrize("resp3", [False, True], ids=["resp2", "resp3"])
@pytest.mark.parametrize("scenario", SCENARIOS, ids=[f.__name__ for f in SCENARIOS])
def test_blocking_zset_scenario(keel, oracle, scenario, resp3):
    run_both(keel, oracle, scenario, resp3)


# ---- ZRANDMEMBER by property ------------------------------------------------------------------

def pairs_of(reply, resp):
    """WITHSCORES replies as (member, score) pairs: RESP3 nests them, RESP2 is flat."""
    if resp == 3:
        assert all(isinstance(p, list) and len(p) == 2 for p in reply), reply[:3]
        return [(m, float(s)) for m, s in reply]
    assert len(reply) % 2 == 0
    return [(m, float(s)) for m, s in zip(reply[::2], reply[1::2])]


@pytest.mark.parametrize("resp", [2, 3])
@pytest.mark.parametrize("size", [1, 5, 100, 1000])
def test_zrandmember_properties(keel, resp, size):
    c = conn(keel, resp)
    scores = {("m%d" % i).encode(): i * 1.5 for i in range(size)}
    zadd_many(c, "z", ((s, m) for m, s in scores.items()))
    assert call(c, "OBJECT", "ENCODING", "z") == (b"listpack" if size <= 128 else b"skiplist")
    for _ in range(20):
        assert call(c, "ZRANDMEMBER", "z") in scores
    for count in [1, 2, size - 1, size, size + 3, 3 * size]:
        if count <= 0:
            continue
        got = call(c, "ZRANDMEMBER", "z", count)
        assert len(got) == min(count, size)
        assert len(set(got)) == len(got), "positive count returned duplicates"
        assert set(got) <= set(scores)
        pairs = pairs_of(call(c, "ZRANDMEMBER", "z", count, "WITHSCORES"), resp)
        assert len(pairs) == min(count, size) and len({m for m, _ in pairs}) == len(pairs)
        assert all(scores[m] == s for m, s in pairs), "WITHSCORES paired a wrong score"
    for count in [1, 3, size, 2 * size + 1]:
        got = call(c, "ZRANDMEMBER", "z", -count)
        assert len(got) == count and set(got) <= set(scores)
        pairs = pairs_of(call(c, "ZRANDMEMBER", "z", -count, "WITHSCORES"), resp)
        assert len(pairs) == count and all(scores[m] == s for m, s in pairs)
    if size >= 5:
        got = call(c, "ZRANDMEMBER", "z", -size * 10)
        assert len(set(got)) < len(got), "negative counts must repeat members"
    assert call(c, "ZCARD", "z") == size, "ZRANDMEMBER must not remove members"
    c.close()


@pytest.mark.parametrize("big", [False, True], ids=["listpack", "skiplist"])
def test_zrandmember_roughly_uniform(keel, big):
    """5000 draws from 50 members: every member within [40, 180] (100 expected)."""
    c = conn(keel)
    if big:
        call(c, "CONFIG", "SET", "zset-max-listpack-entries", 0)
    try:
        zadd_many(c, "z", ((i, "m%d" % i) for i in range(50)))
        for cmd in (["ZRANDMEMBER", "z", -5000], ["ZRANDMEMBER", "z", 10]):
            counts = collections.Counter()
            for _ in range(1 if cmd[2] < 0 else 500):
                counts.update(call(c, *cmd))
            assert len(counts) == 50
            assert min(counts.values()) >= 40 and max(counts.values()) <= 180, counts
    finally:
        call(c, "CONFIG", "SET", "zset-max-listpack-entries", 128)
        c.close()


# ---- ZSCAN ------------------------------------------------------------------------------------

@pytest.mark.keel_only
def test_zscan_count_1_after_mass_delete_returns_a_member_every_time(keel):
    """The seed ticket's scenario on a sorted set: 100,000 members, all but 10 removed; every
    `ZSCAN key 0 COUNT 1` returns a member with its score (the member table shrinks)."""
    c = conn(keel)
    zadd_many(c, "z", ((i, "member:%d" % i) for i in range(100000)))
    keep = sorted(b"member:%d" % i for i in range(0, 100000, 10000))
    call(c, "ZREMRANGEBYSCORE", "z", "(0", "(10000")
    doomed = [b"member:%d" % i for i in range(10000, 100000) if i % 10000]
    bulk_load(c, [["ZREM", "z"] + doomed[i:i + 1000] for i in range(0, len(doomed), 1000)])
    assert call(c, "ZCARD", "z") == 10
    for _ in range(200):
        cursor, items = call(c, "ZSCAN", "z", 0, "COUNT", 1)
        assert items, "ZSCAN z 0 COUNT 1 returned an empty page (cursor %r)" % cursor
        assert items[0] in keep and float(items[1]) == int(items[0].split(b":")[1])
    seen = [x for page in scan_all(c, "ZSCAN", "z", count=1) for x in page[::2]]
    assert sorted(seen) == keep
    c.close()


def test_zscan_returns_every_stable_member_while_the_set_changes(keel):
    rng = random.Random(11)
    n = 20000 if long_mode() else 4000
    c, other = conn(keel), conn(keel)
    stable = ["stable:%d" % i for i in range(n)]
    churn = ["churn:%d" % i for i in range(2 * n)]
    zadd_many(c, "z", ((i, m) for i, m in enumerate(stable + churn[:n])))
    live = set(churn[:n])

    def mutate(page_no):
        grow = (page_no // 50) % 2 == 0
        batch = []
        for _ in range(20):
            m = rng.choice(churn)
            if grow and m not in live:
                live.add(m)
                batch.append(["ZADD", "z", rng.randint(0, 100), m])
            elif not grow and m in live:
                live.discard(m)
                batch.append(["ZREM", "z", m])
        bulk_load(other, batch)

    pages = scan_all(c, "ZSCAN", "z", count=10, between_pages=mutate)
    returned = [x for page in pages for x in page[::2]]
    missing = {m.encode() for m in stable} - set(returned)
    assert not missing, "%d stable members never returned, e.g. %r" % (len(missing), sorted(missing)[:5])
    dups = [x for x, k in collections.Counter(returned).items() if k > 1]
    assert not dups, "returned twice: %r" % dups[:5]
    c.close()
    other.close()


# ---- A large set against a model -------------------------------------------------------------

class Model:
    """The expected order: a sorted list of (score, member) and a member -> score dict."""

    def __init__(self):
        self.order, self.score = [], {}

    def add(self, m, s):
        if m in self.score:
            self.order.remove((self.score[m], m))
        self.score[m] = s
        bisect.insort(self.order, (s, m))

    def remove(self, m):
        if m in self.score:
            self.order.remove((self.score.pop(m), m))


def test_large_set_matches_a_model(keel):
    """Random adds, score updates and removals on a set of thousands of members (the B+tree
    splits, merges and rebalances), checked against the model with ZRANK, ZRANGE, ZCOUNT,
    ZRANGEBYSCORE ... LIMIT and ZSCORE."""
    rng = random.Random(5)
    c = conn(keel)
    model = Model()
    rounds = 60 if long_mode() else 20
    for rnd in range(rounds):
        batch = []
        for _ in range(500):
            m = b"m%05d" % rng.randrange(8000)
            if rng.random() < (0.7 if rnd < rounds // 2 else 0.3):
                s = rng.randrange(-1000, 1000) / 4
                batch.append(["ZADD", "z", repr(s), m])
                model.add(m, s)
            else:
                batch.append(["ZREM", "z", m])
                model.remove(m)
        bulk_load(c, batch)
        n = len(model.order)
        assert call(c, "ZCARD", "z") == n
        if not n:
            continue
        for _ in range(10):
            r = rng.randrange(n)
            s, m = model.order[r]
            assert call(c, "ZRANK", "z", m) == r
            assert call(c, "ZREVRANK", "z", m) == n - 1 - r
            assert float(call(c, "ZSCORE", "z", m)) == s
            got = call(c, "ZRANGE", "z", r, r + 9)
            assert got == [x[1] for x in model.order[r:r + 10]]
            lo, hi = sorted(rng.randrange(-1000, 1000) / 4 for _ in range(2))
            want = [x[1] for x in model.order if lo < x[0] <= hi]
            assert call(c, "ZCOUNT", "z", "(%r" % lo, repr(hi)) == len(want)
            assert call(c, "ZRANGEBYSCORE", "z", "(%r" % lo, repr(hi), "LIMIT", 3, 7) == want[3:10]
            assert call(c, "ZREVRANGEBYSCORE", "z", repr(hi), "(%r" % lo, "LIMIT", 1, 5) == want[::-1][1:6]
    assert call(c, "ZRANGE", "z", 0, -1) == [m for _, m in model.order]
    c.close()


# ---- Keys, memory, COPY ----------------------------------------------------------------------

def test_emptied_sets_are_deleted(keel):
    c = conn(keel)
    for key in "abcdefg":
        call(c, "ZADD", key, 1, "x", 2, "y")
    call(c, "ZREM", "a", "x", "y")
    call(c, "ZPOPMIN", "b", 5)
    call(c, "ZPOPMAX", "c")
    call(c, "ZPOPMAX", "c")
    call(c, "ZMPOP", 1, "d", "MIN", "COUNT", 2)
    call(c, "ZREMRANGEBYRANK", "e", 0, -1)
    call(c, "ZREMRANGEBYSCORE", "f", "-inf", "+inf")
    call(c, "BZMPOP", 0, 1, "g", "MAX", "COUNT", 9)
    for key in "abcdefg":
        assert call(c, "EXISTS", key) == 0, key
    call(c, "ZADD", "l", 0, "x", 0, "y")
    call(c, "ZREMRANGEBYLEX", "l", "-", "+")
    assert call(c, "DBSIZE") == 0
    c.close()


@pytest.mark.parametrize("big", [False, True], ids=["listpack", "skiplist"])
def test_memory_usage_and_release(keel, big):
    c = conn(keel)
    call(c, "SET", "warm", "up")     # the database's key table now exists: not counted below
    base = used_memory(c)
    n = 20000 if big else 100
    zadd_many(c, "z", ((i, "member:%08d" % i) for i in range(n)))
    grown = used_memory(c) - base
    usage = call(c, "MEMORY", "USAGE", "z")
    assert n * 16 < usage < n * 200, "MEMORY USAGE z = %d" % usage
    assert usage <= grown * 1.5, "MEMORY USAGE %d vs used_memory growth %d" % (usage, grown)
    call(c, "DEL", "z")
    if big:     # (small sets are within the noise of the connection's buffers)
        assert used_memory(c) - base < grown / 10, "memory not released after DEL"
    c.close()


@pytest.mark.keel_only
def test_large_set_memory_per_member(keel):
    """The encoding's budget: a 200,000-member set loaded in score order costs under 70 bytes
    of used_memory per member (Redis 7.0.15 needs about 126); loaded in random order (half-full
    tree nodes at worst) under 90."""
    c = conn(keel)
    n = 200000
    for key, order in (("seq", list(range(n))), ("rnd", random.Random(3).sample(range(n), n))):
        base = used_memory(c)
        zadd_many(c, key, ((i, "member:%08d" % i) for i in order))
        per = (used_memory(c) - base) / n
        assert per < (70 if key == "seq" else 90), "%s: %.1f bytes per member" % (key, per)
        call(c, "DEL", key)
    c.close()


def test_copy_makes_independent_sets(keel):
    c = conn(keel)
    zadd_many(c, "small", ((i, "m%d" % i) for i in range(5)))
    zadd_many(c, "big", ((i, "m%d" % i) for i in range(500)))
    for src in ["small", "big"]:
        assert call(c, "COPY", src, src + ":copy") == 1
        assert call(c, "OBJECT", "ENCODING", src) == call(c, "OBJECT", "ENCODING", src + ":copy")
        assert call(c, "ZRANGE", src, 0, -1, "WITHSCORES") == call(c, "ZRANGE", src + ":copy", 0, -1, "WITHSCORES")
        call(c, "ZADD", src, 1000, "m1", 5, "new")
        call(c, "ZREM", src, "m2")
        assert call(c, "ZSCORE", src + ":copy", "m1") == b"1"
        assert call(c, "ZSCORE", src + ":copy", "new") is None
        assert call(c, "ZRANK", src + ":copy", "m2") == 2
    c.close()
