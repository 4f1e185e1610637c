"""Differential scripts: list commands, their options and every error reply.

Lists long enough to span many quicklist nodes (and, in Keel, compressed interior nodes) are
built with several fill/compress settings, so index arithmetic across node boundaries, inserts
that split nodes and deletes that empty them are all compared with redis-server. Blocking
commands are covered here only where they don't block (served at once, errors, MULTI); the
multi-client behaviour is in tests/integration/test_blocking.py.
"""

import pytest

from diff.runner import C, arity, run_script

WRONGTYPE = b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"
SYNTAX = b"-ERR syntax error\r\n"
NOT_INT = b"-ERR value is not an integer or out of range\r\n"
I64_MAX = "9223372036854775807"
I64_MIN = "-9223372036854775808"


def numbered(prefix, n):
    return ["%s%d" % (prefix, i) for i in range(n)]


# Values of every listpack encoding: small/large ints, negative, non-canonical numbers, short,
# 64..4095-byte and longer strings, binary bytes, the empty string.
MIXED = ["0", "127", "128", "-1", "-4096", "4095", "32768", "-2147483649", I64_MAX, I64_MIN,
         "01", "+1", "1.5", " 1", "-0", "", "abc", "x" * 63, "y" * 64, "z" * 4095, "w" * 5000,
         b"bin\x00\xff\r\n"]


def long_list_script(key, n, fill=None, depth=None):
    """Steps that build a long list with the given settings and read and modify it all over."""
    steps = []
    if fill is not None:
        steps.append(["CONFIG", "SET", "list-max-listpack-size", fill])
    if depth is not None:
        steps.append(["CONFIG", "SET", "list-compress-depth", depth])
    for lo in range(0, n, 500):
        steps.append(["RPUSH", key] + ["val:%012d" % i for i in range(lo, min(n, lo + 500))])
    steps += [
        ["LLEN", key],
        ["OBJECT", "ENCODING", key],
        ["LINDEX", key, 0], ["LINDEX", key, n // 2], ["LINDEX", key, -1], ["LINDEX", key, -(n // 3)],
        ["LINDEX", key, n], ["LINDEX", key, -n - 1],
        ["LRANGE", key, n // 2 - 5, n // 2 + 5],
        ["LRANGE", key, -7, -1],
        ["LRANGE", key, 995, 1010],
        ["LSET", key, n // 2, "middle"],
        ["LSET", key, 1, "z" * 9000],            # bigger than a node: splits it
        ["LRANGE", key, 0, 3],
        ["LINSERT", key, "BEFORE", "val:%012d" % (n - 3), "ins-before"],
        ["LINSERT", key, "AFTER", "val:%012d" % (n // 4), "y" * 3000],
        ["LINSERT", key, "AFTER", "middle", "after-middle"],
        ["LRANGE", key, n // 2 - 2, n // 2 + 3],
        ["LRANGE", key, -5, -1],
        ["LPOS", key, "middle"],
        ["LPOS", key, "val:%012d" % (n - 1), "RANK", -1],
        ["LPOS", key, "after-middle", "MAXLEN", 10],
        ["LREM", key, 0, "middle"],
        ["LTRIM", key, 100, -100],
        ["LLEN", key],
        ["LINDEX", key, 0],
        ["LINDEX", key, -1],
        ["LPOP", key, 3],
        ["RPOP", key, 3],
        ["LMPOP", 1, key, "RIGHT", "COUNT", 700],
        ["LLEN", key],
        ["LRANGE", key, 400, 420],
        ["LREM", key, -2, "ins-before"],
        ["LTRIM", key, 0, 9],
        ["LRANGE", key, 0, -1],
        ["DEL", key],
        ["CONFIG", "SET", "list-max-listpack-size", -2],
        ["CONFIG", "SET", "list-compress-depth", 0],
    ]
    return steps


def random_script(seed, steps, fill):
    """A seeded random mix of every non-blocking list command over four keys, on nodes of
    `fill` (many small nodes: node splits, merges of ranges, empty nodes are exercised)."""
    import random
    rnd = random.Random(seed)
    keys = ["k0", "k1", "k2", "k3"]
    pool = ["a", "b", "c", "1", "2", "-3", "val:%012d" % 7, "x" * 70, "", "99999999999"]

    def val():
        return rnd.choice(pool) if rnd.random() < 0.8 else "r%d" % rnd.randrange(1000)

    def idx():
        return rnd.randrange(-30, 30)

    script = [["CONFIG", "SET", "list-max-listpack-size", fill]]
    for _ in range(steps):
        k, k2 = rnd.choice(keys), rnd.choice(keys)
        op = rnd.randrange(16)
        if op < 4:
            script.append([rnd.choice(["LPUSH", "RPUSH"]), k] + [val() for _ in range(rnd.randrange(1, 12))])
        elif op == 4:
            script.append([rnd.choice(["LPOP", "RPOP"]), k] + ([rnd.randrange(0, 8)] if rnd.random() < 0.5 else []))
        elif op == 5:
            script.append(["LRANGE", k, idx(), idx()])
        elif op == 6:
            script.append(["LINDEX", k, idx()])
        elif op == 7:
            script.append(["LSET", k, idx(), val()])
        elif op == 8:
            script.append(["LINSERT", k, rnd.choice(["BEFORE", "AFTER"]), val(), val()])
        elif op == 9:
            script.append(["LREM", k, rnd.randrange(-3, 4), val()])
        elif op == 10:
            script.append(["LTRIM", k, idx(), idx()])
        elif op == 11:
            script.append(["LPOS", k, val(), "RANK", rnd.choice([1, 2, -1, -2]), "COUNT", rnd.randrange(0, 4)])
        elif op == 12:
            script.append(["LMOVE", k, k2, rnd.choice(["LEFT", "RIGHT"]), rnd.choice(["LEFT", "RIGHT"])])
        elif op == 13:
            script.append(["LMPOP", 2, k, k2, rnd.choice(["LEFT", "RIGHT"]), "COUNT", rnd.randrange(1, 5)])
        elif op == 14:
            script.append(["LLEN", k])
        else:
            script.append(["LRANGE", k, 0, -1])
    script += [["LRANGE", k, 0, -1] for k in keys]
    script.append(["CONFIG", "SET", "list-max-listpack-size", -2])
    return script


SCRIPTS = {
    "push_pop": [
        ["RPUSH", "l", "a", "b", "c"],
        ["LPUSH", "l", "x", "y", "1", "2", "-5", "99999999999", "3.5"],
        ["LRANGE", "l", 0, -1],
        ["LPUSHX", "l", "hx"],
        ["RPUSHX", "l", "tx", "ty"],
        ["LPUSHX", "nokey", "a"],
        ["RPUSHX", "nokey", "a", "b"],
        ["EXISTS", "nokey"],
        ["LLEN", "l"],
        ["LPOP", "l"],
        ["RPOP", "l"],
        ["LPOP", "l", 2],
        ["RPOP", "l", 3],
        ["LPOP", "l", 0],
        ["RPOP", "l", 100],
        ["EXISTS", "l"],
        ["LPOP", "l"],
        ["RPOP", "l", 1],
        ["LPOP", "nokey", 0],
        C("LPOP", "l", -1, expect=b"-ERR value is out of range, must be positive\r\n"),
        ["LPOP", "l", "x"],
        ["LPOP", "l", "1.5"],
        ["RPOP", "l", I64_MAX],
        ["RPUSH", "big", *numbered("e", 2000)],
        ["LPOP", "big", I64_MAX],
        ["EXISTS", "big"],
        C("LPOP", "l", 1, 2, expect=arity("lpop")),
        ["RPOP", "l", 1, 2],
        ["LPUSH", "l"],
        ["RPUSH"],
        ["LPUSHX", "l"],
        ["RPUSH", "m", *MIXED],
        ["LRANGE", "m", 0, -1],
        ["RPOP", "m", 30],
        ["LPUSH", "m", *MIXED],
        ["LRANGE", "m", 0, -1],
        ["LPOP", "m", 30],
    ],
    "range_index": [
        ["RPUSH", "l", *numbered("v", 10)],
        ["LRANGE", "l", 0, -1],
        ["LRANGE", "l", -3, -1],
        ["LRANGE", "l", 5, 2],
        ["LRANGE", "l", -100, 100],
        ["LRANGE", "l", 3, 3],
        ["LRANGE", "l", 9, 100],
        ["LRANGE", "l", 10, 100],
        ["LRANGE", "l", -1, -2],
        ["LRANGE", "l", I64_MIN, I64_MAX],
        ["LRANGE", "l", 0, I64_MIN],
        C("LRANGE", "l", "x", 1, expect=NOT_INT),
        ["LRANGE", "l", 0, "1.0"],
        ["LRANGE", "nokey", 0, -1],
        ["LRANGE", "nokey", "x", 1],
        ["LRANGE", "l", 0],
        ["LLEN", "l"],
        ["LLEN", "nokey"],
        ["LLEN"],
        ["LINDEX", "l", 0],
        ["LINDEX", "l", -1],
        ["LINDEX", "l", 9],
        ["LINDEX", "l", 10],
        ["LINDEX", "l", -10],
        ["LINDEX", "l", -11],
        ["LINDEX", "l", I64_MAX],
        ["LINDEX", "l", I64_MIN],
        ["LINDEX", "l", "x"],
        ["LINDEX", "nokey", "x"],
        ["LINDEX", "nokey", 0],
        ["LINDEX", "l"],
    ],
    "set_insert": [
        ["RPUSH", "l", "a", "b", "c"],
        C("LSET", "l", 0, "new", expect=b"+OK\r\n"),
        ["LSET", "l", -1, "last"],
        ["LSET", "l", 1, "12345"],
        C("LSET", "l", 3, "z", expect=b"-ERR index out of range\r\n"),
        ["LSET", "l", -4, "z"],
        C("LSET", "nokey", 0, "z", expect=b"-ERR no such key\r\n"),
        ["LSET", "nokey", "x", "z"],
        ["LSET", "l", "x", "z"],
        ["LSET", "l", 0],
        ["LRANGE", "l", 0, -1],
        ["LINSERT", "l", "BEFORE", "new", "pre"],
        ["LINSERT", "l", "after", "last", "post"],
        ["LINSERT", "l", "AFTER", "12345", "after-int"],
        ["LINSERT", "l", "before", "12345", "67"],
        ["LINSERT", "l", "AFTER", "nothere", "x"],
        C("LINSERT", "l", "middle", "last", "x", expect=SYNTAX),
        ["LINSERT", "nokey", "BEFORE", "a", "b"],
        ["LINSERT", "nokey", "middle", "a", "b"],
        ["LINSERT", "l", "BEFORE", "a"],
        ["LRANGE", "l", 0, -1],
        ["RPUSH", "dup", "a", "b", "a"],
        ["LINSERT", "dup", "AFTER", "a", "x"],
        ["LRANGE", "dup", 0, -1],
    ],
    "rem_trim": [
        ["RPUSH", "r", "a", "b", "a", "c", "a", "d", "a", "1", "01", "1"],
        ["LREM", "r", 2, "a"],
        ["LRANGE", "r", 0, -1],
        ["LREM", "r", -1, "a"],
        ["LRANGE", "r", 0, -1],
        ["LREM", "r", 0, "1"],
        ["LRANGE", "r", 0, -1],
        ["LREM", "r", 0, "zz"],
        ["LREM", "r", "x", "a"],
        ["LREM", "nokey", 1, "a"],
        ["LREM", "nokey", "x", "a"],
        ["LREM", "r", I64_MIN, "a"],
        ["LREM", "r", 0, "01"],
        ["LRANGE", "r", 0, -1],
        ["LREM", "r", 0, "b"],
        ["LREM", "r", 0, "c"],
        ["LREM", "r", 0, "d"],
        ["EXISTS", "r"],
        ["RPUSH", "t", *numbered("", 9)],
        ["LTRIM", "t", 1, -1],
        ["LRANGE", "t", 0, -1],
        ["LTRIM", "t", -3, -2],
        ["LRANGE", "t", 0, -1],
        ["LTRIM", "t", 0, 100],
        ["LTRIM", "t", 1, 0],
        ["EXISTS", "t"],
        ["RPUSH", "t", "a", "b"],
        ["LTRIM", "t", 5, 10],
        ["EXISTS", "t"],
        C("LTRIM", "nokey", 0, 1, expect=b"+OK\r\n"),
        ["LTRIM", "nokey", "x", 1],
        ["LTRIM", "t", 0],
        ["RPUSH", "t", "a", "b", "c"],
        ["LTRIM", "t", I64_MIN, I64_MAX],
        ["LTRIM", "t", 0, "x"],
        ["LRANGE", "t", 0, -1],
    ],
    "lpos": [
        ["RPUSH", "q", "a", "b", "c", "1", "2", "3", "c", "c", "a", "a"],
        ["LPOS", "q", "c"],
        ["LPOS", "q", "c", "RANK", 2],
        ["LPOS", "q", "c", "RANK", -1],
        ["LPOS", "q", "c", "RANK", -3],
        ["LPOS", "q", "c", "RANK", 4],
        ["LPOS", "q", "c", "COUNT", 0],
        ["LPOS", "q", "c", "COUNT", 2, "RANK", -1],
        ["LPOS", "q", "c", "MAXLEN", 3],
        ["LPOS", "q", "c", "MAXLEN", 3, "COUNT", 0],
        ["LPOS", "q", "c", "RANK", 2, "COUNT", 0, "MAXLEN", 7],
        ["LPOS", "q", "1"],
        ["LPOS", "q", "01"],
        ["LPOS", "q", "zzz", "COUNT", 1],
        ["LPOS", "q", "zzz"],
        ["LPOS", "q", "a", "RANK", I64_MIN],
        ["LPOS", "q", "a", "RANK", I64_MIN, "COUNT", 1],
        ["LPOS", "q", "a", "RANK", I64_MIN, "MAXLEN", 2],
        ["LPOS", "q", "a", "RANK", I64_MAX],
        ["LPOS", "q", "a", "COUNT", 0, "COUNT", 1],
        ["LPOS", "q", "a", "RANK", 1, "RANK", -1],
        C("LPOS", "q", "a", "RANK", 0, expect=b"-ERR RANK can't be zero: use 1 to start from the first "
          b"match, 2 from the second ... or use negative to start from the end of the list\r\n"),
        ["LPOS", "q", "a", "RANK", "x"],
        ["LPOS", "q", "a", "COUNT", -1],
        ["LPOS", "q", "a", "COUNT", "x"],
        ["LPOS", "q", "a", "MAXLEN", -1],
        ["LPOS", "q", "a", "rank"],
        ["LPOS", "q", "a", "foo", 1],
        ["LPOS", "nokey", "a", "COUNT", 1],
        ["LPOS", "nokey", "a"],
        ["LPOS", "nokey", "a", "RANK", 0],
        ["LPOS", "q"],
    ],
    "move": [
        ["RPUSH", "m", "a", "b", "c", "d"],
        ["LMOVE", "m", "m", "LEFT", "RIGHT"],
        ["LRANGE", "m", 0, -1],
        ["LMOVE", "m", "m", "right", "left"],
        ["LRANGE", "m", 0, -1],
        ["LMOVE", "m", "n", "RIGHT", "LEFT"],
        ["LMOVE", "m", "n", "LEFT", "RIGHT"],
        C("LMOVE", "m", "n", "UP", "RIGHT", expect=SYNTAX),
        ["LMOVE", "m", "n", "LEFT", "DOWN"],
        ["LMOVE", "nokey", "n", "LEFT", "RIGHT"],
        ["LMOVE", "nokey", "n", "LEFT", "x"],
        ["RPOPLPUSH", "m", "n"],
        ["RPOPLPUSH", "nokey", "n"],
        ["LRANGE", "n", 0, -1],
        ["LRANGE", "m", 0, -1],
        ["RPOPLPUSH", "m", "n"],
        ["EXISTS", "m"],
        ["RPUSH", "single", "12"],
        ["RPOPLPUSH", "single", "single"],
        ["LRANGE", "single", 0, -1],
        ["LMOVE", "single", "other", "LEFT", "LEFT"],
        ["EXISTS", "single"],
        ["LRANGE", "other", 0, -1],
        ["RPUSH", "big", "w" * 70000],
        ["LMOVE", "big", "other", "LEFT", "RIGHT"],
        ["LRANGE", "other", 0, -1],
        ["LMOVE", "m"],
        ["RPOPLPUSH", "m"],
    ],
    "lmpop": [
        ["RPUSH", "mp", "a", "b", "c", "d", "e"],
        ["LMPOP", 2, "nokey", "mp", "LEFT"],
        ["LMPOP", 2, "nokey", "mp", "RIGHT", "COUNT", 2],
        ["LMPOP", 2, "nokey", "mp", "right", "count", 20],
        ["EXISTS", "mp"],
        ["LMPOP", 1, "mp", "LEFT"],
        ["LMPOP", 2, "nokey", "mp", "LEFT", "COUNT", 2],
        C("LMPOP", 0, "mp", "LEFT", expect=b"-ERR numkeys should be greater than 0\r\n"),
        ["LMPOP", -5, "mp", "LEFT"],
        ["LMPOP", "x", "mp", "LEFT"],
        ["LMPOP", 2, "mp", "LEFT"],
        ["LMPOP", 1000000000000, "mp", "LEFT"],
        ["LMPOP", I64_MAX, "mp", "LEFT"],
        ["LMPOP", 1, "mp", "MIDDLE"],
        ["LMPOP", 1, "mp", "LEFT", "COUNT"],
        ["LMPOP", 1, "mp", "LEFT", "COUNT", 0],
        ["LMPOP", 1, "mp", "LEFT", "COUNT", -1],
        ["LMPOP", 1, "mp", "LEFT", "COUNT", "1.5"],
        ["LMPOP", 1, "mp", "LEFT", "COUNT", "99999999999999999999"],
        ["LMPOP", 1, "mp", "LEFT", "COUNT", 1, "COUNT", 2],
        ["LMPOP", 1, "mp", "LEFT", "foo"],
        ["LMPOP", 1, "mp"],
        ["RPUSH", "mp", "x"],
        ["LMPOP", 1, "mp", "LEFT", "COUNT", I64_MAX],
    ],
    "blocking_served_at_once": [
        ["RPUSH", "a", "1", "2", "3"],
        ["RPUSH", "b", "x"],
        ["BLPOP", "nokey", "a", "b", 0],
        ["BRPOP", "nokey", "a", "b", "0.5"],
        ["BLPOP", "a", "b", 1],
        ["BRPOP", "a", "b", 1],
        ["EXISTS", "a", "b"],
        ["RPUSH", "c", "1", "2", "3", "4"],
        ["BLMPOP", 0, 2, "nokey", "c", "RIGHT", "COUNT", 3],
        ["BLMPOP", 0, 1, "c", "LEFT"],
        ["RPUSH", "s", "e1", "e2"],
        ["BLMOVE", "s", "d", "LEFT", "RIGHT", 0],
        ["BRPOPLPUSH", "s", "d", 0],
        ["LRANGE", "d", 0, -1],
        ["EXISTS", "s"],
        ["RPUSH", "s", "e3"],
        ["BRPOPLPUSH", "s", "s", 0],
        ["LRANGE", "s", 0, -1],
    ],
    "blocking_errors": [
        ["SET", "str", "v"],
        ["RPUSH", "l", "a"],
        C("BLPOP", "str", 0, expect=WRONGTYPE),
        ["BLPOP", "nokey", "str", 0],
        ["BLPOP", "l", "str", 0],
        ["BRPOP", "str", "l", 0],
        C("BLPOP", "k", -1, expect=b"-ERR timeout is negative\r\n"),
        C("BLPOP", "k", "abc", expect=b"-ERR timeout is not a float or out of range\r\n"),
        ["BLPOP", "k", "nan"],
        ["BLPOP", "k", "inf"],
        ["BLPOP", "k", "-inf"],
        ["BLPOP", "k", "1e400"],
        ["BLPOP", "k", I64_MAX],
        ["BLPOP", "k", " 1"],
        ["BLPOP", "k", "1abc"],
        ["BLPOP", "k", ""],
        ["BLPOP", "k"],
        ["BRPOP", "k"],
        ["BLMOVE", "str", "k", "LEFT", "LEFT", 0],
        ["RPUSH", "l", "a"],
        ["BLMOVE", "l", "str", "LEFT", "LEFT", 0],
        ["LRANGE", "l", 0, -1],
        ["BLMOVE", "k", "d", "LEFT", "UP", 0],
        ["BLMOVE", "k", "d", "UP", "LEFT", "x"],
        ["BLMOVE", "k", "d", "LEFT", "LEFT", "x"],
        ["BLMOVE", "k", "d", "LEFT", "LEFT", -2],
        ["BLMOVE", "k", "d", "LEFT", "LEFT"],
        ["BRPOPLPUSH", "str", "d", 0],
        ["BRPOPLPUSH", "l", "str", 0],
        ["BRPOPLPUSH", "k", "d", "x"],
        ["BRPOPLPUSH", "k", "d"],
        ["BLMPOP", 0, 0, "k", "LEFT"],
        ["BLMPOP", 0, -1, "k", "LEFT"],
        ["BLMPOP", 0, 3, "k", "LEFT"],
        ["BLMPOP", 0, 1, "k", "middle"],
        ["BLMPOP", 0, 1, "k", "LEFT", "COUNT", 0],
        ["BLMPOP", 0, 1, "k", "LEFT", "COUNT", -1],
        ["BLMPOP", 0, 1, "k", "LEFT", "COUNT", 1, "COUNT", 2],
        ["BLMPOP", 0, 1, "k", "LEFT", "foo"],
        ["BLMPOP", "x", 1, "k", "LEFT"],
        ["BLMPOP", -1, 1, "k", "LEFT"],
        ["BLMPOP", "x", "x", "k", "LEFT"],
        ["BLMPOP", 0, "x", "k", "LEFT"],
        ["BLMPOP", 0, 2, "nokey", "str", "LEFT"],
        ["BLMPOP", 0, 1, "k"],
        ["BLMPOP", 0, 1],
    ],
    "wrongtype": [
        ["SET", "s", "str"],
        ["HSET", "h", "f", "v"],
        C("LPUSH", "s", "a", expect=WRONGTYPE),
        ["RPUSH", "s", "a"],
        ["LPUSHX", "s", "a"],
        ["RPUSHX", "h", "a"],
        ["LRANGE", "s", 0, 1],
        ["LLEN", "s"],
        ["LINDEX", "s", 0],
        ["LINDEX", "s", "x"],
        ["LSET", "s", 0, "a"],
        ["LSET", "s", "x", "a"],
        ["LINSERT", "s", "BEFORE", "a", "b"],
        ["LINSERT", "s", "middle", "a", "b"],
        ["LREM", "s", 0, "a"],
        ["LREM", "s", "x", "a"],
        ["LTRIM", "s", 0, 1],
        ["LPOP", "s"],
        ["RPOP", "s", 2],
        ["RPOP", "s", "x"],
        ["LPOS", "s", "a"],
        ["LPOS", "s", "a", "RANK", 0],
        ["LMOVE", "s", "l", "LEFT", "RIGHT"],
        ["RPUSH", "l", "a"],
        ["LMOVE", "l", "s", "LEFT", "RIGHT"],
        ["RPOPLPUSH", "l", "h"],
        ["RPOPLPUSH", "nokey", "h"],
        ["LRANGE", "l", 0, -1],
        ["LMPOP", 1, "s", "LEFT"],
        ["LMPOP", 2, "nokey", "h", "LEFT"],
        ["LMPOP", 2, "l", "h", "LEFT"],
        ["GET", "l"],
        ["SADD", "l", "x"],
        ["HSET", "l", "f", "v"],
        ["TYPE", "l"],
    ],
    "encoding_and_config": [
        ["RPUSH", "l", "a"],
        C("OBJECT", "ENCODING", "l", expect=b"$9\r\nquicklist\r\n"),
        ["CONFIG", "SET", "list-max-listpack-size", 3],
        ["RPUSH", "n", *numbered("e", 20)],
        ["OBJECT", "ENCODING", "n"],
        ["LRANGE", "n", 0, -1],
        ["LINSERT", "n", "AFTER", "e1", "ins"],
        ["LRANGE", "n", 0, 5],
        ["CONFIG", "SET", "list-max-listpack-size", 0],
        ["RPUSH", "z", "a", "b", "c"],
        ["LRANGE", "z", 0, -1],
        ["CONFIG", "SET", "list-max-listpack-size", -5],
        ["CONFIG", "SET", "list-compress-depth", 2],
        ["RPUSH", "c", *numbered("val:", 3000)],
        ["LINDEX", "c", 1500],
        ["LSET", "c", 1500, "changed"],
        ["LRANGE", "c", 1498, 1502],
        ["CONFIG", "GET", "list-max-listpack-size"],
        ["CONFIG", "GET", "list-compress-depth"],
        ["CONFIG", "GET", "list-max-ziplist-size"],
        ["CONFIG", "SET", "list-max-ziplist-size", -2],
        ["CONFIG", "GET", "list-max-listpack-size"],
        ["CONFIG", "SET", "list-compress-depth", 0],
        ["OBJECT", "ENCODING", "c"],
        ["TYPE", "c"],
    ],
    "long_list_default": long_list_script("big", 5000),
    "long_list_depth1_fill_count": long_list_script("big", 4000, fill=16, depth=1),
    "long_list_depth3_small_nodes": long_list_script("big", 3000, fill=-1, depth=3),
    "random_fill3": random_script(1, 1500, 3),
    "random_fill_bytes": random_script(2, 1500, -1),
    "random_default": random_script(3, 1500, -2),
    "in_multi": [
        ["MULTI"],
        ["BLPOP", "k", 0],
        ["BRPOPLPUSH", "k", "d", 0],
        ["BLMOVE", "k", "d", "LEFT", "RIGHT", 0],
        ["BLMPOP", 0, 1, "k", "LEFT"],
        ["BRPOP", "k", 1],
        ["RPUSH", "k", "late"],
        ["BLPOP", "k", 0],
        ["EXEC"],
    ],
    "copy_rename_move": [
        ["RPUSH", "l", "3", "1", "2", "b", "a"],
        ["COPY", "l", "c"],
        ["RPUSH", "c", "x"],
        ["LRANGE", "l", 0, -1],
        ["LRANGE", "c", 0, -1],
        ["RENAME", "c", "r"],
        ["LRANGE", "r", 0, -1],
        ["MOVE", "r", 1],
        ["SELECT", 1],
        ["LRANGE", "r", 0, -1],
        ["SELECT", 0],
        ["DEL", "l", "r"],
        ["EXISTS", "l"],
    ],
}


def server_has_command(server, name):
    with server.raw() as c:
        return not c.call("COMMAND", "INFO", name).children[0].is_null


@pytest.mark.parametrize("proto", [2, 3])
@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_lists(keel, oracle, name, proto):
    if name == "in_multi" and not server_has_command(keel, "multi"):
        pytest.skip("MULTI/EXEC arrive with another issue")
    run_script(keel, oracle, SCRIPTS[name], hello3=(proto == 3))
