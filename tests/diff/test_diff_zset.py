"""Differential scripts: sorted set commands, their error replies, score formatting and the
listpack -> skiplist conversions (OBJECT ENCODING before and after each threshold, with CONFIG SET
of the limits), then seeded random command sequences.

Every script runs in RESP2 and RESP3, and twice: with the default limits (small sets are
listpacks) and with zset-max-listpack-entries 0 from the start (every set uses the large
encoding), so both encodings of every command are compared with redis-server byte for byte.

Only deterministic replies are compared: ZRANDMEMBER with a count below the set's size is
checked by property in tests/integration/test_zset.py; ZSCAN of a large set is compared by the
union of a full iteration (ScanAll). Lex ranges are only used on sets whose scores are all
equal, the only case where Redis defines their result.
"""

import random

import pytest

from diff.runner import C, ScanAll, arity, restore_config, run_script

WRONGTYPE = b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"
SYNTAX = b"-ERR syntax error\r\n"
NOT_INT = b"-ERR value is not an integer or out of range\r\n"
NOT_FLOAT = b"-ERR value is not a valid float\r\n"
NAN_RESULT = b"-ERR resulting score is not a number (NaN)\r\n"
RANGE_FLOAT = b"-ERR min or max is not a float\r\n"
RANGE_LEX = b"-ERR min or max not valid string range item\r\n"
I64_MAX = "9223372036854775807"
I64_MIN = "-9223372036854775808"

DEFAULTS = {"zset-max-listpack-entries": "128", "zset-max-listpack-value": "64"}


def scan_page(a, b):
    """ZSCAN pages: a large set's pages follow its table, so only a final page (cursor 0 on both
    sides) is compared, as a multiset of (member, score) pairs; other pages must just be
    well-formed. Full iterations are compared with ScanAll."""
    if a.is_error or b.is_error or a.kind != "*" or b.kind != "*":
        return None if a.raw == b.raw else "replies differ"
    pages = []
    for r in (a, b):
        if len(r.children) != 2 or r.children[1].children is None or len(r.children[1].children) % 2:
            return "malformed ZSCAN page"
        items = r.children[1].children
        pages.append((r.children[0].payload, sorted((items[i].raw, items[i + 1].raw)
                                                    for i in range(0, len(items), 2))))
    (ca, pa), (cb, pb) = pages
    if ca == b"0" and cb == b"0" and pa != pb:
        return "final pages hold different (member, score) pairs"
    return None


def zscan(*args):
    return C("ZSCAN", *args, compare=scan_page)


@pytest.fixture(autouse=True)
def restore_limits(keel, oracle):
    """Scripts change the conversion limits on the shared servers: put them back afterwards."""
    yield
    restore_config((keel, oracle), DEFAULTS)


# Scores whose parsing and formatting differ in interesting ways.
SCORES = ["0", "-0", "1", "-1", "1.1", "0.1", "1e20", "1e-5", "-2.5", "123456789012345",
          "4503599627370495", "4503599627370496", "9007199254740993", "1.7976931348623157e308",
          "4.9e-324", "inf", "-inf", "+inf", "Infinity", "0x10", "1E3", ".5", "5.", "+7"]
BAD_SCORES = ["abc", "nan", "NaN", "-nan", " 1", "1 ", "", "1e400", "-1e400", "1e-400", "1,5",
              "0x", "--1", "1.2.3", "inf1", b"1\x00"]


def score_format_script():
    steps = []
    for i, s in enumerate(SCORES):
        steps += [["ZADD", "z", s, "m%d" % i], ["ZSCORE", "z", "m%d" % i]]
    steps += [["ZRANGE", "z", 0, -1, "WITHSCORES"], ["ZREVRANGE", "z", 0, -1, "WITHSCORES"],
              ["ZMSCORE", "z", "m0", "m1", "nope", "m4"], ["ZINCRBY", "z", "0.1", "m4"],
              ["ZINCRBY", "z", "1e20", "m0"], ["ZINCRBY", "z", "-1e20", "m0"],
              ["ZINCRBY", "z", "-0", "m1"], ["ZSCORE", "z", "m1"], ["ZADD", "z", "INCR", "2.5", "m5"],
              ["OBJECT", "ENCODING", "z"], ["ZRANGE", "z", 0, -1, "WITHSCORES"],
              ["ZPOPMIN", "z", 3], ["ZPOPMAX", "z", 3]]
    for b in BAD_SCORES:
        steps += [C("ZADD", "z", b, "bad"), C("ZINCRBY", "z", b, "m1")]
    steps += [C("ZADD", "z", "nan", "m1", expect=NOT_FLOAT), ["ZSCORE", "z", "bad"],
              ["ZADD", "n", "-0", "a"], ["ZSCORE", "n", "a"], ["ZADD", "n", "0", "a"],
              ["ZSCORE", "n", "a"], ["ZRANGE", "n", 0, -1, "WITHSCORES"]]
    return steps


SCRIPTS = {
    "zadd_basic": [
        ["ZADD", "z", 1, "a"],
        ["ZADD", "z", 2, "b", 3, "c", 1, "a"],
        ["ZADD", "z", 5, "a", 5, "a", 6, "a"],
        ["ZSCORE", "z", "a"],
        ["ZADD", "z", "CH", 7, "a", 3, "c", 9, "d"],
        ["ZADD", "z", "NX", 100, "a", 10, "e"],
        ["ZADD", "z", "XX", 100, "a", 10, "f"],
        ["ZADD", "z", "XX", "CH", 101, "a", 10, "f"],
        ["ZADD", "z", "GT", "CH", 1, "a", 200, "b", 11, "g"],
        ["ZADD", "z", "LT", "CH", 1, "a", 300, "b", 12, "h"],
        ["ZADD", "z", "GT", "XX", "CH", 500, "a", 1, "b", 1, "zz"],
        ["ZADD", "z", "nx", "ch", 1, "a", 2, "new"],
        ["ZADD", "z", "INCR", 5, "a"],
        ["ZADD", "z", "INCR", "NX", 5, "a"],
        ["ZADD", "z", "INCR", "NX", 5, "brandnew"],
        ["ZADD", "z", "INCR", "XX", 5, "missing"],
        ["ZADD", "z", "INCR", "GT", -5, "a"],
        ["ZADD", "z", "INCR", "LT", -5, "a"],
        ["ZADD", "z", "INCR", "GT", 0, "a"],
        ["ZADD", "z", "INCR", "LT", 0, "a"],
        ["ZADD", "z", "INCR", 0, "a"],
        ["ZADD", "z", "CH", "INCR", 1, "a"],
        ["ZRANGE", "z", 0, -1, "WITHSCORES"],
        ["ZCARD", "z"],
        ["ZADD", "new", "XX", 1, "a"],
        ["EXISTS", "new"],
        ["ZADD", "new", "XX", "INCR", 1, "a"],
        ["EXISTS", "new"],
        ["ZADD", "new", "GT", 1, "a"],
        ["ZADD", "new2", "LT", "INCR", 3, "a"],
        ["ZRANGE", "new2", 0, -1, "WITHSCORES"],
        ["TYPE", "new2"],
        ["ZADD", "dup", 1, "x", 2, "x", 3, "x"],
        ["ZRANGE", "dup", 0, -1, "WITHSCORES"],
        ["ZADD", "bin", 1, b"a\x00b", 1, b"a\x00a", 1, b"\xff", 1, "", 1, "A"],
        ["ZRANGE", "bin", 0, -1],
        ["ZSCORE", "bin", ""],
        ["ZRANK", "bin", b"\xff"],
    ],
    "zadd_errors": [
        ["ZADD", "z", 1, "a"],
        C("ZADD", "z", expect=arity("zadd")),
        C("ZADD", "z", "NX", expect=arity("zadd")),
        ["ZADD", "z", "NX", "XX"],
        C("ZADD", "z", "NX", "XX", 1, "a", expect=b"-ERR XX and NX options at the same time are not "
                                                  b"compatible\r\n"),
        C("ZADD", "z", "NX", "GT", 1, "a", expect=b"-ERR GT, LT, and/or NX options at the same time "
                                                  b"are not compatible\r\n"),
        ["ZADD", "z", "LT", "NX", 1, "a"],
        ["ZADD", "z", "GT", "LT", 1, "a"],
        ["ZADD", "z", "NX", "XX", "GT", "LT", 1, "a"],
        ["ZADD", "z", "NX", "XX", 1, "a", 2],
        C("ZADD", "z", "INCR", 1, "a", 2, "b", expect=b"-ERR INCR option supports a single "
                                                      b"increment-element pair\r\n"),
        ["ZADD", "z", "INCR", "GT", "LT", 1, "a", 2, "b"],
        C("ZADD", "z", 1, "a", 2, expect=SYNTAX),
        ["ZADD", "z", "XX", 1],
        ["ZADD", "z", "CH", "CH", "ch", 1, "a"],
        ["ZADD", "z", "FOO", 1, "a"],
        ["ZADD", "z", 1, "a", "FOO", "b"],
        ["ZADD", "z", 1, "a", "nan", "b"],
        ["ZADD", "z", "abc", "a", "nan", "b", 3],
        ["ZADD", "z", "INCR", "abc", "a"],
        ["ZADD", "z", "inf", "i"],
        C("ZADD", "z", "INCR", "-inf", "i", expect=NAN_RESULT),
        C("ZINCRBY", "z", "-inf", "i", expect=NAN_RESULT),
        ["ZSCORE", "z", "i"],
        ["ZINCRBY", "z", "nx", "a"],
        ["ZINCRBY", "z", "abc", "a"],
        ["ZINCRBY", "z", 1],
        ["ZINCRBY", "z", 1, "a", "b"],
        ["SET", "str", "x"],
        C("ZADD", "str", 1, "a", expect=WRONGTYPE),
        ["ZADD", "str", "abc", "a"],
        ["ZADD", "str", "NX", "XX", 1, "a"],
        ["ZADD", "str", "XX", 1, "a"],
        ["ZINCRBY", "str", 1, "a"],
        ["ZRANGE", "z", 0, -1, "WITHSCORES"],
    ],
    "scores": score_format_script(),
    "zrem_card_score_rank": [
        ["ZADD", "z", 1, "a", 2, "b", 3, "c", 4, "d", 4, "e"],
        ["ZREM", "z", "a"],
        ["ZREM", "z", "a", "nope", "b", "b"],
        ["ZCARD", "z"],
        ["ZSCORE", "z", "c"],
        ["ZSCORE", "z", "nope"],
        ["ZSCORE", "nope", "c"],
        ["ZMSCORE", "z", "c", "nope", "d", "c"],
        ["ZMSCORE", "nope", "a", "b"],
        ["ZRANK", "z", "c"], ["ZRANK", "z", "e"], ["ZRANK", "z", "nope"], ["ZRANK", "nope", "c"],
        ["ZREVRANK", "z", "c"], ["ZREVRANK", "z", "e"], ["ZREVRANK", "z", "nope"],
        ["ZREM", "z", "c", "d", "e", "f"],
        ["EXISTS", "z"],
        ["ZREM", "z", "c"],
        ["ZCARD", "z"],
        C("ZREM", "z", expect=arity("zrem")),
        ["ZCARD"], ["ZCARD", "z", "x"], ["ZSCORE", "z"], ["ZMSCORE", "z"], ["ZRANK", "z"],
        ["ZRANK", "z", "a", "WITHSCORE"], ["ZREVRANK", "z", "a", "b"],
        ["SET", "str", "x"],
        ["ZREM", "str", "a"], ["ZCARD", "str"], ["ZSCORE", "str", "a"], ["ZMSCORE", "str", "a"],
        ["ZRANK", "str", "a"], ["ZREVRANK", "str", "a"],
    ],
    "zrange_rank": [
        ["ZADD", "z", 1, "a", 2, "b", 3, "c", 4, "d", 5, "e", 5, "f"],
        *[["ZRANGE", "z", s, e] for s, e in [(0, -1), (0, 0), (1, 3), (-2, -1), (-100, 100),
                                                  (3, 1), (5, 5), (6, 10), (-1, -2), (0, -7),
                                                  (-7, 0), (2, I64_MAX), (I64_MIN, 2),
                                                  (I64_MIN, I64_MAX)]],
        ["ZRANGE", "z", 0, -1, "WITHSCORES"],
        ["ZRANGE", "z", 1, 2, "REV"],
        ["ZRANGE", "z", 0, -1, "REV", "WITHSCORES"],
        ["ZRANGE", "z", -2, -1, "withscores", "rev"],
        ["ZREVRANGE", "z", 0, 2],
        ["ZREVRANGE", "z", 0, 2, "WITHSCORES"],
        ["ZREVRANGE", "z", -1, -1],
        ["ZRANGE", "nope", 0, -1],
        ["ZRANGE", "nope", 0, -1, "WITHSCORES"],
        ["ZRANGE", "z", "a", 1], ["ZRANGE", "z", 0, "1.5"], ["ZRANGE", "z", 0, "9223372036854775808"],
        ["ZRANGE", "z", 0, -1, "LIMIT", 0, 1],
        ["ZRANGE", "z", 0, -1, "LIMIT", 0, -1],
        ["ZRANGE", "z", 0, -1, "LIMIT", 5, -1, "WITHSCORES"],
        ["ZREVRANGE", "z", 0, -1, "LIMIT", 0, 1],
        ["ZREVRANGE", "z", 0, -1, "REV"],
        ["ZREVRANGE", "z", 0, -1, "BYSCORE"],
        ["ZRANGE", "z", 0, -1, "FOO"],
        ["ZRANGE", "z", 0],
        ["ZRANGE", "z", 0, -1, "REV", "REV"],
        ["ZRANGE", "z", 0, -1, "BYSCORE", "BYLEX"],
        ["ZRANGE", "z", 0, -1, "LIMIT"],
        ["ZRANGE", "z", 0, -1, "LIMIT", 1],
        ["ZRANGE", "z", 0, -1, "LIMIT", "x", 1],
        ["ZRANGE", "z", 0, -1, "LIMIT", 1, "x"],
        ["ZRANGE", "z", "x", -1, "FOO"],
    ],
    "zrange_score": [
        ["ZADD", "z", "-inf", "ninf", -5, "a", -1, "b", 0, "c", 1, "d", 1, "e", 2.5, "f", 10, "g",
         "inf", "pinf"],
        *[["ZRANGE", "z", lo, hi, "BYSCORE", "WITHSCORES"]
          for lo, hi in [("-inf", "+inf"), (0, 1), ("(0", 1), (0, "(1"), ("(1", "(1"), (1, 1),
                         (2, 1), ("(-inf", "(inf"), ("-inf", "-inf"), ("inf", "inf"), ("(inf", "inf"),
                         ("1e-300", "2.5"), ("-1.5", "(2.5"), ("", ""), ("(", "("), (" 1", "1"),
                         ("0x1", "0x10"), ("1e1", "10"), ("-0", "0"), ("(-0", "0")]],
        ["ZRANGE", "z", "+inf", "-inf", "BYSCORE", "REV"],
        ["ZRANGE", "z", "(10", "(0", "BYSCORE", "REV", "WITHSCORES"],
        ["ZRANGE", "z", 0, 10, "BYSCORE", "REV"],
        *[["ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", o, c]
          for o, c in [(0, 2), (2, 2), (2, 0), (0, -1), (3, -5), (8, 1), (9, 1), (100, 1), (-1, 2),
                       (-1, -1), (0, I64_MAX), (I64_MAX, 1)]],
        ["ZRANGE", "z", "+inf", "-inf", "BYSCORE", "REV", "LIMIT", 1, 3, "WITHSCORES"],
        ["ZRANGE", "z", "+inf", "-inf", "BYSCORE", "LIMIT", 1, 3, "REV"],
        ["ZRANGE", "z", "2", "-1", "BYSCORE", "REV", "LIMIT", 0, 100],
        ["ZRANGE", "z", 0, 1, "BYSCORE", "LIMIT", 0, 1, "LIMIT", 1, 1],
        ["ZRANGE", "z", "a", 1, "BYSCORE"],
        ["ZRANGE", "z", 0, "b", "BYSCORE"],
        ["ZRANGE", "z", "nan", 1, "BYSCORE"],
        ["ZRANGE", "z", "((1", 2, "BYSCORE"],
        ["ZRANGE", "z", "[1", 2, "BYSCORE"],
        ["ZRANGE", "z", 0, 1, "BYSCORE", "LIMIT", "a", 1],
        ["ZRANGE", "nope", 0, 1, "BYSCORE"],
        ["ZRANGE", "nope", "x", 1, "BYSCORE"],
        ["ZRANGEBYSCORE", "z", "-inf", "+inf"],
        ["ZRANGEBYSCORE", "z", 0, 2, "WITHSCORES"],
        ["ZRANGEBYSCORE", "z", 0, 2, "WITHSCORES", "WITHSCORES"],
        ["ZRANGEBYSCORE", "z", 0, 2, "LIMIT", 1, 1],
        ["ZRANGEBYSCORE", "z", 0, 2, "LIMIT", 1, 1, "WITHSCORES"],
        ["ZRANGEBYSCORE", "z", 0, 2, "REV"],
        ["ZRANGEBYSCORE", "z", 0, 2, "BYSCORE"],
        ["ZRANGEBYSCORE", "z", 0, 2, "LIMIT", 1],
        ["ZREVRANGEBYSCORE", "z", "+inf", "-inf"],
        ["ZREVRANGEBYSCORE", "z", 2, 0, "WITHSCORES", "LIMIT", 1, 2],
        ["ZREVRANGEBYSCORE", "z", 0, 2],
        ["ZREVRANGEBYSCORE", "z", "(2.5", "(-1"],
        ["ZREVRANGEBYSCORE", "z", "x", "(-1"],
    ],
    "zrange_lex": [
        ["ZADD", "z", 0, "a", 0, "b", 0, "c", 0, "d", 0, "e", 0, "aa", 0, "ab", 0, "", 0, b"\xff",
         0, "B"],
        *[["ZRANGE", "z", lo, hi, "BYLEX"]
          for lo, hi in [("-", "+"), ("[a", "[c"), ("(a", "(c"), ("[aa", "(b"), ("-", "[b"),
                         ("(b", "+"), ("+", "-"), ("-", "-"), ("+", "+"), ("[", "+"), ("(", "+"),
                         ("-", "["), ("[c", "[a"), ("[a\x00", "+"), ("(" + "\xff", "+"),
                         ("[\xff", "+")]],
        ["ZRANGE", "z", "+", "-", "BYLEX", "REV"],
        ["ZRANGE", "z", "[c", "(a", "BYLEX", "REV"],
        ["ZRANGE", "z", "-", "+", "BYLEX", "LIMIT", 2, 3],
        ["ZRANGE", "z", "+", "-", "BYLEX", "REV", "LIMIT", 2, 3],
        ["ZRANGE", "z", "-", "+", "BYLEX", "LIMIT", -1, 3],
        ["ZRANGE", "z", "-", "+", "BYLEX", "LIMIT", 3, -3],
        ["ZRANGE", "z", "-", "+", "BYLEX", "WITHSCORES"],
        ["ZRANGE", "z", "a", "+", "BYLEX"],
        ["ZRANGE", "z", "-", "c", "BYLEX"],
        ["ZRANGE", "z", "+a", "+", "BYLEX"],
        ["ZRANGE", "z", "-", "-a", "BYLEX"],
        ["ZRANGE", "z", "", "+", "BYLEX"],
        ["ZRANGE", "z", "-", b"+\x00x", "BYLEX"],
        ["ZRANGEBYLEX", "z", "-", "+"],
        ["ZRANGEBYLEX", "z", "[b", "(d", "LIMIT", 0, 1],
        ["ZRANGEBYLEX", "z", "-", "+", "WITHSCORES"],
        ["ZRANGEBYLEX", "z", "-", "+", "REV"],
        ["ZREVRANGEBYLEX", "z", "+", "-"],
        ["ZREVRANGEBYLEX", "z", "(d", "[b", "LIMIT", 1, 5],
        ["ZREVRANGEBYLEX", "z", "-", "+"],
        ["ZREVRANGEBYLEX", "z", "x", "+"],
        ["ZRANGEBYLEX", "nope", "-", "+"],
        ["ZRANGEBYLEX", "nope", "x", "+"],
        ["ZLEXCOUNT", "z", "-", "+"],
        ["ZLEXCOUNT", "z", "[a", "[b"],
        ["ZLEXCOUNT", "z", "(a", "(b"],
        ["ZLEXCOUNT", "z", "[b", "[a"],
        ["ZLEXCOUNT", "z", "a", "+"],
        ["ZLEXCOUNT", "nope", "-", "+"],
        ["ZLEXCOUNT", "nope", "a", "+"],
        ["ZLEXCOUNT", "z", "-"],
    ],
    "zcount": [
        ["ZADD", "z", 1, "a", 2, "b", 3, "c", 3, "d", "inf", "e", "-inf", "f"],
        *[["ZCOUNT", "z", lo, hi] for lo, hi in [("-inf", "+inf"), (1, 3), ("(1", 3), (1, "(3"),
                                                 ("(1", "(3"), (3, 1), (3, 3), ("(3", 3), ("inf", "inf"),
                                                 ("-inf", "-inf"), ("(-inf", "(inf"), ("", ""),
                                                 ("a", 1), (1, "b"), ("nan", 1)]],
        ["ZCOUNT", "nope", 0, 1],
        ["ZCOUNT", "nope", "a", 1],
        ["ZCOUNT", "z", 0],
        ["SET", "str", "x"],
        ["ZCOUNT", "str", 0, 1],
        ["ZCOUNT", "str", "a", 1],
        ["ZLEXCOUNT", "str", "-", "+"],
        ["ZLEXCOUNT", "str", "a", "+"],
    ],
    "zrangestore": [
        ["ZADD", "src", 1, "a", 2, "b", 3, "c", 4, "d", "-0", "z"],
        ["ZRANGESTORE", "dst", "src", 0, -1],
        ["ZRANGE", "dst", 0, -1, "WITHSCORES"],
        ["OBJECT", "ENCODING", "dst"],
        ["ZRANGESTORE", "dst", "src", 1, 2, "REV"],
        ["ZRANGE", "dst", 0, -1, "WITHSCORES"],
        ["ZRANGESTORE", "dst", "src", "(1", 3, "BYSCORE"],
        ["ZRANGE", "dst", 0, -1, "WITHSCORES"],
        ["ZRANGESTORE", "dst", "src", 3, 1, "BYSCORE", "REV", "LIMIT", 1, 1],
        ["ZRANGE", "dst", 0, -1, "WITHSCORES"],
        ["ZRANGESTORE", "dst", "src", "-", "+", "BYLEX", "LIMIT", 0, 2],
        ["ZRANGE", "dst", 0, -1, "WITHSCORES"],
        ["ZRANGESTORE", "dst", "src", 0, -1, "WITHSCORES"],
        ["ZRANGESTORE", "dst", "src", 0, -1, "LIMIT", 0, 1],
        ["ZRANGESTORE", "dst", "src", 5, 10],
        ["EXISTS", "dst"],
        ["ZRANGESTORE", "dst", "src", 0, 0],
        ["ZRANGESTORE", "dst", "nope", 0, -1],
        ["EXISTS", "dst"],
        ["SET", "dst", "string"],
        ["EXPIRE", "dst", 1000],
        ["ZRANGESTORE", "dst", "src", 0, 1],
        ["TYPE", "dst"],
        ["TTL", "dst"],
        ["ZRANGESTORE", "src", "src", 1, -1],
        ["ZRANGE", "src", 0, -1, "WITHSCORES"],
        ["SET", "str", "x"],
        ["ZRANGESTORE", "dst", "str", 0, -1],
        ["ZRANGESTORE", "str", "src", 0, -1],
        ["TYPE", "str"],
        ["ZRANGESTORE", "dst", "src", 0],
        ["ZRANGESTORE", "dst", "src", "a", 1],
    ],
    "zremrange": [
        ["ZADD", "z", 1, "a", 2, "b", 3, "c", 4, "d", 5, "e", 6, "f"],
        ["ZREMRANGEBYRANK", "z", 0, 0],
        ["ZREMRANGEBYRANK", "z", -1, -1],
        ["ZREMRANGEBYRANK", "z", 10, 20],
        ["ZREMRANGEBYRANK", "z", 2, 1],
        ["ZRANGE", "z", 0, -1],
        ["ZREMRANGEBYSCORE", "z", "(2", 3],
        ["ZREMRANGEBYSCORE", "z", 100, 200],
        ["ZRANGE", "z", 0, -1],
        ["ZREMRANGEBYRANK", "z", 0, -1],
        ["EXISTS", "z"],
        ["ZADD", "l", 0, "a", 0, "b", 0, "c", 0, "d"],
        ["ZREMRANGEBYLEX", "l", "(a", "[c"],
        ["ZRANGE", "l", 0, -1],
        ["ZREMRANGEBYLEX", "l", "-", "+"],
        ["EXISTS", "l"],
        ["ZREMRANGEBYRANK", "nope", 0, -1],
        ["ZREMRANGEBYSCORE", "nope", 0, 1],
        ["ZREMRANGEBYLEX", "nope", "-", "+"],
        ["ZREMRANGEBYRANK", "nope", "a", -1],
        ["ZREMRANGEBYSCORE", "nope", "a", 1],
        ["ZREMRANGEBYLEX", "nope", "a", "+"],
        ["ZADD", "z", 1, "a"],
        ["ZREMRANGEBYRANK", "z", 0],
        ["ZREMRANGEBYRANK", "z", 0, 1, 2],
        ["SET", "str", "x"],
        ["ZREMRANGEBYRANK", "str", 0, 1],
        ["ZREMRANGEBYSCORE", "str", 0, 1],
        ["ZREMRANGEBYLEX", "str", "-", "+"],
        ["ZREMRANGEBYSCORE", "str", "x", 1],
    ],
    "zpop": [
        ["ZADD", "z", 1, "a", 2, "b", 3, "c", 4, "d", 5, "e"],
        ["ZPOPMIN", "z"],
        ["ZPOPMAX", "z"],
        ["ZPOPMIN", "z", 2],
        ["ZPOPMIN", "z", 0],
        ["ZPOPMAX", "z", 10],
        ["EXISTS", "z"],
        ["ZPOPMIN", "z"],
        ["ZPOPMIN", "z", 3],
        ["ZPOPMAX", "z", 0],
        ["ZADD", "z", 1, "a"],
        ["ZPOPMIN", "z", -1],
        ["ZPOPMIN", "z", "x"],
        ["ZPOPMIN", "z", 1, 2],
        ["ZPOPMAX", "z", "1.5"],
        ["ZPOPMIN"],
        ["SET", "str", "x"],
        ["ZPOPMIN", "str"],
        ["ZPOPMAX", "str", 0],
        ["ZPOPMIN", "str", -1],
    ],
    "zmpop": [
        ["ZADD", "z1", 1, "a", 2, "b", 3, "c"],
        ["ZADD", "z2", 10, "x", 20, "y"],
        ["ZMPOP", 2, "nope", "z2", "MIN"],
        ["ZMPOP", 2, "z1", "z2", "max", "COUNT", 2],
        ["ZMPOP", 3, "nope", "z1", "z2", "MIN", "count", 10],
        ["EXISTS", "z1"],
        ["ZMPOP", 1, "nope", "MIN"],
        ["ZMPOP", 1, "z2", "MIN"],
        ["ZMPOP", 0, "z2", "MIN"],
        ["ZMPOP", -1, "z2", "MIN"],
        ["ZMPOP", "x", "z2", "MIN"],
        ["ZMPOP", 1, "z2", "FOO"],
        ["ZMPOP", 2, "z2", "MIN"],
        ["ZMPOP", 5, "z2", "MIN"],
        ["ZMPOP", I64_MAX, "z2", "MIN"],
        ["ZMPOP", 1, "z2", "MIN", "COUNT"],
        ["ZMPOP", 1, "z2", "MIN", "COUNT", 0],
        ["ZMPOP", 1, "z2", "MIN", "COUNT", -1],
        ["ZMPOP", 1, "z2", "MIN", "COUNT", "x"],
        ["ZMPOP", 1, "z2", "MIN", "COUNT", 1, "COUNT", 1],
        ["ZMPOP", 1, "z2", "MIN", "FOO", 1],
        ["ZMPOP", 1, "z2"],
        ["SET", "str", "x"],
        ["ZMPOP", 2, "nope", "str", "MIN"],
        ["ZMPOP", 2, "z2", "str", "MIN"],
        ["ZMPOP", 1, "str", "MIN", "COUNT", 0],
    ],
    "setops": [
        ["ZADD", "a", 1, "x", 2, "y", 3, "z", "inf", "i", "-inf", "n"],
        ["ZADD", "b", 10, "y", 20, "z", 30, "w", "-inf", "i", "inf", "n"],
        ["SADD", "s", "x", "w", "v", 5],
        ["SADD", "ints", 1, 2, 3],
        *[[op, 2, "a", "b", "WITHSCORES"] for op in ("ZUNION", "ZINTER", "ZDIFF")],
        *[[op, 3, "a", "b", "s", "WITHSCORES"] for op in ("ZUNION", "ZINTER", "ZDIFF")],
        ["ZUNION", 2, "a", "b", "WEIGHTS", 2, 3, "WITHSCORES"],
        ["ZUNION", 2, "a", "b", "WEIGHTS", 0, 1, "WITHSCORES"],
        ["ZUNION", 2, "a", "b", "WEIGHTS", "-1", "0.5", "AGGREGATE", "MIN", "WITHSCORES"],
        ["ZUNION", 2, "a", "b", "AGGREGATE", "MAX", "WITHSCORES"],
        ["ZUNION", 2, "a", "b", "AGGREGATE", "min", "WEIGHTS", "inf", "-inf", "WITHSCORES"],
        ["ZINTER", 2, "a", "b", "AGGREGATE", "MIN", "WITHSCORES"],
        ["ZINTER", 2, "a", "b", "WEIGHTS", 1, "-1", "WITHSCORES"],
        ["ZINTER", 2, "a", "a", "WITHSCORES"],
        ["ZINTER", 3, "a", "a", "s", "WEIGHTS", 1, 2, 3, "WITHSCORES"],
        ["ZUNION", 2, "s", "ints", "WITHSCORES"],
        ["ZINTER", 2, "ints", "s", "WITHSCORES"],
        ["ZDIFF", 2, "s", "a", "WITHSCORES"],
        ["ZDIFF", 2, "a", "nope", "WITHSCORES"],
        ["ZDIFF", 2, "nope", "a"],
        ["ZINTER", 2, "a", "nope"],
        ["ZUNION", 2, "nope", "nope2"],
        ["ZUNION", 1, "a"],
        ["ZINTERCARD", 2, "a", "b"],
        ["ZINTERCARD", 2, "a", "b", "LIMIT", 1],
        ["ZINTERCARD", 2, "a", "b", "LIMIT", 0],
        ["ZINTERCARD", 2, "a", "b", "LIMIT", 100],
        ["ZINTERCARD", 3, "a", "b", "s"],
        ["ZINTERCARD", 1, "nope"],
        ["ZINTERCARD", 1, "a", "LIMIT", -1],
        ["ZINTERCARD", 1, "a", "LIMIT", "x"],
        ["ZINTERCARD", 1, "a", "WEIGHTS", 1],
        ["ZINTERCARD", 1, "a", "AGGREGATE", "SUM"],
        ["ZINTERCARD", 1, "a", "WITHSCORES"],
        ["ZINTERCARD", 0, "a"],
        ["ZINTERCARD", 2, "a"],
        ["ZINTERCARD", "x", "a"],
        ["ZUNION", 0, "a"],
        ["ZUNION", -1, "a"],
        ["ZUNION", "x", "a"],
        ["ZUNION", 3, "a", "b"],
        ["ZUNION", 2, "a", "b", "WEIGHTS", 1],
        ["ZUNION", 2, "a", "b", "WEIGHTS", 1, "x"],
        ["ZUNION", 2, "a", "b", "WEIGHTS", 1, "nan"],
        ["ZUNION", 2, "a", "b", "WEIGHTS", 1, 2, 3],
        ["ZUNION", 2, "a", "b", "AGGREGATE"],
        ["ZUNION", 2, "a", "b", "AGGREGATE", "AVG"],
        ["ZUNION", 2, "a", "b", "FOO"],
        ["ZUNION", 2, "a", "b", "WITHSCORES", "WITHSCORES"],
        ["ZDIFF", 2, "a", "b", "WEIGHTS", 1, 2],
        ["ZDIFF", 2, "a", "b", "AGGREGATE", "SUM"],
        ["ZDIFF", 0, "a"],
        ["ZINTER", 1],
        ["SET", "str", "x"],
        ["ZUNION", 2, "a", "str"],
        ["ZINTER", 2, "nope", "str"],
        ["ZDIFF", 2, "a", "str", "FOO"],
        ["ZINTERCARD", 2, "str", "a"],
        ["ZUNIONSTORE", "d", 2, "a", "str"],
    ],
    "setops_store": [
        ["ZADD", "a", 1, "x", 2, "y", 3, "z"],
        ["ZADD", "b", 10, "y", 20, "z", 30, "w"],
        ["SADD", "s", "x", "q"],
        ["ZUNIONSTORE", "d", 2, "a", "b"],
        ["ZRANGE", "d", 0, -1, "WITHSCORES"],
        ["OBJECT", "ENCODING", "d"],
        ["ZINTERSTORE", "d", 2, "a", "b", "WEIGHTS", 2, 0.5, "AGGREGATE", "MAX"],
        ["ZRANGE", "d", 0, -1, "WITHSCORES"],
        ["ZDIFFSTORE", "d", 2, "a", "b"],
        ["ZRANGE", "d", 0, -1, "WITHSCORES"],
        ["ZUNIONSTORE", "d", 3, "a", "b", "s", "WEIGHTS", 1, 1, 7],
        ["ZRANGE", "d", 0, -1, "WITHSCORES"],
        ["ZINTERSTORE", "d", 2, "a", "nope"],
        ["EXISTS", "d"],
        ["ZDIFFSTORE", "d", 1, "nope"],
        ["ZUNIONSTORE", "d", 1, "nope"],
        ["SET", "d", "string"],
        ["EXPIRE", "d", 100],
        ["ZUNIONSTORE", "d", 1, "a"],
        ["TYPE", "d"],
        ["TTL", "d"],
        ["ZUNIONSTORE", "a", 2, "a", "b"],
        ["ZRANGE", "a", 0, -1, "WITHSCORES"],
        ["ZUNIONSTORE", "d", 1, "a", "WITHSCORES"],
        ["ZINTERSTORE", "d", 0, "a"],
        ["ZDIFFSTORE", "d", 2, "a"],
        ["ZUNIONSTORE", "d", 1],
        ["SET", "str", "x"],
        ["ZINTERSTORE", "d", 2, "a", "str"],
        ["ZUNIONSTORE", "str", 1, "a"],
        ["TYPE", "str"],
    ],
    "zrandmember_deterministic": [
        ["ZRANDMEMBER", "nope"],
        ["ZRANDMEMBER", "nope", 5],
        ["ZRANDMEMBER", "nope", -5],
        ["ZRANDMEMBER", "nope", 0, "WITHSCORES"],
        ["ZADD", "z", 1, "a", 2, "b", 3, "c", "1.5", "d"],
        ["ZRANDMEMBER", "z", 0],
        ["ZRANDMEMBER", "z", 4],
        ["ZRANDMEMBER", "z", 100, "WITHSCORES"],
        ["ZRANDMEMBER", "z", I64_MAX],
        ["ZRANDMEMBER", "z", "x"],
        ["ZRANDMEMBER", "z", 1, "WITHSCORE"],
        ["ZRANDMEMBER", "z", 1, "WITHSCORES", "x"],
        ["ZRANDMEMBER", "z", I64_MIN],
        ["ZRANDMEMBER", "z", I64_MAX, "WITHSCORES"],
        ["ZRANDMEMBER", "z", "-4611686018427387904", "WITHSCORES"],
        ["ZRANDMEMBER", "z", "4611686018427387903", "WITHSCORES"],
        ["ZADD", "one", 7, "only"],
        ["ZRANDMEMBER", "one"],
        ["ZRANDMEMBER", "one", -3, "WITHSCORES"],
        ["ZRANDMEMBER", "one", 1],
        ["SET", "str", "x"],
        ["ZRANDMEMBER", "str"],
        ["ZRANDMEMBER", "str", 0],
        ["ZRANDMEMBER", "str", "x"],
    ],
    "zscan": [
        ["ZADD", "z", 1, "a", "1.5", "b", "-0", "c", "inf", "d", 2, "ab"],
        zscan("z", 0),
        zscan("z", 0, "MATCH", "a*"),
        zscan("z", 0, "COUNT", 1),
        zscan("z", 0, "MATCH", "*", "COUNT", 100),
        ScanAll("ZSCAN", key="z", count=1),
        ScanAll("ZSCAN", key="z", match="a*"),
        ["ZSCAN", "z", "x"],
        ["ZSCAN", "z", 0, "COUNT", 0],
        ["ZSCAN", "z", 0, "COUNT", "x"],
        ["ZSCAN", "z", 0, "MATCH"],
        ["ZSCAN", "z", 0, "FOO", "bar"],
        ["ZSCAN", "nope", 0],
        ["ZSCAN", "nope", 0, "COUNT", 0],
        ["ZSCAN", "nope", "x"],
        ["ZSCAN", "z"],
        ["SET", "str", "x"],
        ["ZSCAN", "str", 0],
        ["ZSCAN", "str", 0, "COUNT", 0],
        ["ZSCAN", "str", "x"],
    ],
    "encodings": [
        ["CONFIG", "SET", "zset-max-listpack-entries", 3],
        ["CONFIG", "SET", "zset-max-listpack-value", 5],
        ["ZADD", "k", 1, "a", 2, "b", 3, "c"],
        ["OBJECT", "ENCODING", "k"],
        ["ZADD", "k", 1, "a"],
        ["OBJECT", "ENCODING", "k"],
        ["ZADD", "k", 4, "d"],
        ["OBJECT", "ENCODING", "k"],
        ["ZREM", "k", "a", "b", "c"],
        ["OBJECT", "ENCODING", "k"],
        ["ZADD", "v", 1, "abcde"],
        ["OBJECT", "ENCODING", "v"],
        ["ZADD", "v", 1, "abcdef"],
        ["OBJECT", "ENCODING", "v"],
        ["ZADD", "v2", 1, "abcdef"],
        ["OBJECT", "ENCODING", "v2"],
        ["ZADD", "v3", "XX", 1, "abcdefgh"],
        ["EXISTS", "v3"],
        ["ZADD", "v3", 1, "a", 2, "b", 3, "c", 4, "d"],
        ["OBJECT", "ENCODING", "v3"],
        ["ZRANGE", "v3", 0, -1, "WITHSCORES"],
        ["ZUNIONSTORE", "u", 1, "v3"],
        ["OBJECT", "ENCODING", "u"],
        ["ZREMRANGEBYRANK", "v3", 0, 0],
        ["OBJECT", "ENCODING", "v3"],
        ["ZUNIONSTORE", "u", 1, "v3"],
        ["OBJECT", "ENCODING", "u"],
        ["ZINTERSTORE", "u", 1, "v2"],
        ["OBJECT", "ENCODING", "u"],
        ["ZRANGESTORE", "r", "v3", 0, -1],
        ["OBJECT", "ENCODING", "r"],
        ["ZRANGESTORE", "r", "v3", 0, 1],
        ["OBJECT", "ENCODING", "r"],
        ["COPY", "v3", "c3"],
        ["OBJECT", "ENCODING", "c3"],
        ["ZRANGE", "c3", 0, -1, "WITHSCORES"],
        ["CONFIG", "SET", "zset-max-listpack-entries", 0],
        ["ZADD", "e0", 1, "a"],
        ["OBJECT", "ENCODING", "e0"],
        ["ZRANGESTORE", "r", "v3", 0, -1, "BYSCORE"],
        ["OBJECT", "ENCODING", "r"],
        ["ZUNIONSTORE", "u", 1, "v3"],
        ["OBJECT", "ENCODING", "u"],
        ["CONFIG", "SET", "zset-max-listpack-entries", 128],
        ["CONFIG", "SET", "zset-max-listpack-value", 64],
        ["ZADD", "big", *[x for i in range(129) for x in (i, "m%d" % i)]],
        ["OBJECT", "ENCODING", "big"],
        ["ZADD", "edge", *[x for i in range(128) for x in (i, "m%d" % i)]],
        ["OBJECT", "ENCODING", "edge"],
        ["ZADD", "edge", 1000, "x" * 64],
        ["OBJECT", "ENCODING", "edge"],
        ["ZADD", "edge", 1000, "one-too-many"],
        ["OBJECT", "ENCODING", "edge"],
        ["ZRANGE", "edge", 120, -1, "WITHSCORES"],
        ["ZRANGE", "big", -3, -1, "WITHSCORES"],
        ["ZRANK", "big", "m100"],
        ["ZREVRANK", "big", "m100"],
        ["ZCOUNT", "big", 10, "(100"],
        ["ZPOPMIN", "big", 3],
        ["ZREMRANGEBYSCORE", "big", 0, 120],
        ["OBJECT", "ENCODING", "big"],
        ["ZRANGE", "big", 0, -1, "WITHSCORES"],
    ],
    "negative_zero": [
        ["ZADD", "z", "-0", "a", 0, "b", "-0.0", "c"],
        ["ZRANGE", "z", 0, -1, "WITHSCORES"],
        ["ZADD", "z", "CH", 0, "a", "-0", "b"],
        ["ZINCRBY", "z", "-0", "c"],
        ["ZRANGESTORE", "d", "z", "-inf", "+inf", "BYSCORE"],
        ["ZRANGE", "d", 0, -1, "WITHSCORES"],
        ["ZRANGESTORE", "d", "z", 0, -1],
        ["ZRANGE", "d", 0, -1, "WITHSCORES"],
        ["ZUNIONSTORE", "u", 1, "z", "WEIGHTS", -1],
        ["ZRANGE", "u", 0, -1, "WITHSCORES"],
        ["ZUNION", 1, "z", "WEIGHTS", -1, "WITHSCORES"],
        zscan("z", 0),
        ["ZPOPMIN", "z", 3],
    ],
    "wrongtype_and_arity": [
        ["SET", "str", "x"],
        ["RPUSH", "list", "x"],
        ["HSET", "hash", "f", "v"],
        *[[cmd, key, *rest] for key in ("str", "list", "hash")
          for cmd, *rest in [("ZADD", 1, "a"), ("ZINCRBY", 1, "a"), ("ZREM", "a"), ("ZCARD",),
                             ("ZSCORE", "a"), ("ZMSCORE", "a"), ("ZRANK", "a"), ("ZREVRANK", "a"),
                             ("ZRANGE", 0, -1), ("ZREVRANGE", 0, -1), ("ZRANGEBYSCORE", 0, 1),
                             ("ZREVRANGEBYSCORE", 1, 0), ("ZRANGEBYLEX", "-", "+"),
                             ("ZREVRANGEBYLEX", "+", "-"), ("ZCOUNT", 0, 1), ("ZLEXCOUNT", "-", "+"),
                             ("ZPOPMIN",), ("ZPOPMAX", 2), ("ZRANDMEMBER",), ("ZRANDMEMBER", 2),
                             ("ZREMRANGEBYRANK", 0, 1), ("ZREMRANGEBYSCORE", 0, 1),
                             ("ZREMRANGEBYLEX", "-", "+"), ("ZSCAN", 0), ("BZPOPMIN", 0),
                             ("BZPOPMAX", 0)]],
        ["ZRANGESTORE", "d", "list", 0, -1],
        ["ZMPOP", 1, "hash", "MIN"],
        ["BZMPOP", 0, 1, "hash", "MIN"],
        ["ZUNION", 1, "list"], ["ZINTER", 1, "hash"], ["ZDIFF", 1, "str"],
        ["ZUNIONSTORE", "d", 1, "list"], ["ZINTERSTORE", "d", 1, "hash"],
        ["ZDIFFSTORE", "d", 1, "str"], ["ZINTERCARD", 1, "list"],
        *[[cmd] for cmd in ("ZADD", "ZINCRBY", "ZREM", "ZCARD", "ZSCORE", "ZMSCORE", "ZRANK",
                            "ZREVRANK", "ZRANGE", "ZRANGESTORE", "ZREVRANGE", "ZRANGEBYSCORE",
                            "ZREVRANGEBYSCORE", "ZRANGEBYLEX", "ZREVRANGEBYLEX", "ZCOUNT",
                            "ZLEXCOUNT", "ZPOPMIN", "ZPOPMAX", "BZPOPMIN", "BZPOPMAX", "ZMPOP",
                            "BZMPOP", "ZUNION", "ZINTER", "ZDIFF", "ZUNIONSTORE", "ZINTERSTORE",
                            "ZDIFFSTORE", "ZINTERCARD", "ZRANDMEMBER", "ZREMRANGEBYRANK",
                            "ZREMRANGEBYSCORE", "ZREMRANGEBYLEX", "ZSCAN")],
        ["ZADD", "k", 1], ["ZINCRBY", "k", 1], ["ZREM", "k"], ["ZSCORE", "k"], ["ZRANGE", "k", 0],
        ["ZRANGESTORE", "d", "k", 0], ["ZCOUNT", "k", 0], ["ZCOUNT", "k", 0, 1, 2],
        ["ZLEXCOUNT", "k", "-"], ["ZREMRANGEBYRANK", "k", 0], ["ZSCAN", "k"], ["ZMPOP", 1, "k"],
        ["BZMPOP", 0, 1, "k"], ["BZPOPMIN", "k"], ["ZUNION", 1], ["ZINTERCARD", 1],
        ["ZUNIONSTORE", "d", 1],
    ],
    "blocking_without_waiting": [
        # Non-empty keys serve at once; argument errors come before any lookup. Every timeout
        # below is either invalid or meets a non-empty key, so nothing ever blocks.
        ["ZADD", "z", *[x for i in range(20) for x in (i, "m%d" % i)]],
        ["BZPOPMIN", "nope", "z", 0],
        ["BZPOPMAX", "z", "nope", 0],
        ["BZPOPMIN", "z", "0.5"],
        ["BZMPOP", 0, 2, "nope", "z", "MAX"],
        ["BZMPOP", 0, 1, "z", "MIN", "COUNT", 3],
        *[["BZPOPMIN", "z", t] for t in ("x", -1, "-0.001", "inf", "1e30", "0x10", " 1", "", "1.5",
                                         "-0", "9223372036854775807", "0.0001")],
        ["BZMPOP", "x", 1, "z", "MIN"],
        ["BZMPOP", -1, 1, "z", "MIN"],
        ["BZMPOP", 0, 0, "z", "MIN"],
        ["BZMPOP", "x", 0, "z", "MIN"],
        ["BZMPOP", "x", 1, "z", "FOO"],
        ["BZMPOP", "x", 1, "z", "MIN", "COUNT", 0],
        ["BZMPOP", "x", 1, "z", "MIN", "COUNT", 1, "COUNT", 1],
        ["BZMPOP", 0, 2, "z", "MIN"],
        ["ZRANGE", "z", 0, -1],
        ["SET", "str", "x"],
        ["BZPOPMIN", "nope", "str", 0],
        ["BZMPOP", 0, 2, "nope", "str", "MIN"],
    ],
}


def small_codes_script():
    """Keel's small encoding (types/zpack.h) stores scores 0..11 in the tag byte, then int8,
    int16, int32 or the double, and member lengths of 15 and more as a varint: every boundary,
    members of every length class, reverse walks and rebuilt results."""
    scores = ["11", "12", "-1", "127", "128", "-128", "-129", "32767", "32768", "-32768", "-32769",
              "2147483647", "2147483648", "-2147483648", "-2147483649", "4503599627370495",
              "4503599627370496", "9007199254740993", "1.5", "-0", "0", "inf", "-inf", "1e-300", "-2.5e10"]
    lengths = [0, 1, 14, 15, 16, 127, 128, 129, 200]
    steps = [["CONFIG", "SET", "zset-max-listpack-value", 300]]
    for i, sc in enumerate(scores):
        steps += [["ZADD", "z", sc, "m%02d" % i], ["ZSCORE", "z", "m%02d" % i]]
    for i, n in enumerate(lengths):
        steps += [["ZADD", "z", i * 1000, ("%d" % i) * n], ["ZSCORE", "z", ("%d" % i) * n]]
    steps += [["OBJECT", "ENCODING", "z"], ["ZCARD", "z"],
              ["ZRANGE", "z", 0, -1, "WITHSCORES"], ["ZREVRANGE", "z", 0, -1, "WITHSCORES"],
              ["ZREVRANGE", "z", 3, 9, "WITHSCORES"], ["ZRANGE", "z", -5, -2],
              ["ZREVRANGEBYSCORE", "z", "+inf", "-inf", "LIMIT", 2, 5, "WITHSCORES"],
              ["ZRANGEBYSCORE", "z", "(12", "32768", "WITHSCORES"],
              ["ZRANK", "z", "m04"], ["ZREVRANK", "z", "m04"], ["ZRANK", "z", "8" * 200],
              ["ZINCRBY", "z", "1", "m00"], ["ZINCRBY", "z", "-200", "m03"], ["ZADD", "z", "XX", "0.5", "m19"],
              ["ZRANGE", "z", 0, -1, "WITHSCORES"],
              ["COPY", "z", "c"], ["ZRANGE", "c", 0, -1, "WITHSCORES"],
              ["ZUNIONSTORE", "u", 2, "z", "c", "WEIGHTS", 1, 2], ["OBJECT", "ENCODING", "u"],
              ["ZRANGE", "u", 0, -1, "WITHSCORES"], ["ZRANGESTORE", "r", "z", 2, 7], ["ZRANGE", "r", 0, -1, "WITHSCORES"],
              ["ZREM", "z", "m00", "7" * 128, "nope"], ["ZREMRANGEBYRANK", "z", 1, 3],
              ["ZREMRANGEBYSCORE", "z", "-inf", "-1"], ["ZPOPMAX", "z", 2], ["ZPOPMIN", "z"],
              ["ZRANGE", "z", 0, -1, "WITHSCORES"], ["ZREVRANGE", "z", 0, -1, "WITHSCORES"],
              ["ZREMRANGEBYRANK", "z", 0, -1], ["EXISTS", "z"],
              ["CONFIG", "SET", "zset-max-listpack-value", 64]]
    return steps


SCRIPTS["small_encoding_codes"] = small_codes_script()


@pytest.mark.parametrize("encoding", ["listpack", "skiplist"])
@pytest.mark.parametrize("proto", [2, 3])
@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_zset(keel, oracle, name, proto, encoding):
    script = SCRIPTS[name]
    if encoding == "skiplist":
        script = [["CONFIG", "SET", "zset-max-listpack-entries", 0]] + script
    run_script(keel, oracle, script, hello3=(proto == 3))


def test_large_set_scan_and_ranks(keel, oracle):
    """A 3000-member set: ranks, ranges and counts far from the ends, then a full ZSCAN."""
    members = ["m%05d" % i for i in range(3000)]
    script = [["ZADD", "z", *[x for i, m in enumerate(members) for x in ((i * 7) % 1000, m)]]]
    script += [["ZRANK", "z", m] for m in members[::97]]
    script += [["ZREVRANK", "z", m] for m in members[::101]]
    script += [["ZRANGE", "z", s, s + 20, "WITHSCORES"] for s in range(0, 3000, 250)]
    script += [["ZRANGE", "z", lo, hi, "BYSCORE", "LIMIT", off, 15]
               for lo, hi, off in [(0, 1000, 0), ("(10", 500, 100), (999, 999, 1)]]
    script += [["ZCOUNT", "z", lo, hi] for lo, hi in [(0, 1000), ("(10", 500), (333, 333)]]
    script += [["ZREMRANGEBYRANK", "z", 100, 1999], ["ZCARD", "z"], ["ZRANGE", "z", 90, 110],
               ["ZREMRANGEBYSCORE", "z", 0, 300], ["ZRANGE", "z", 0, 10, "WITHSCORES"],
               ["OBJECT", "ENCODING", "z"], ScanAll("ZSCAN", key="z", count=7),
               ScanAll("ZSCAN", key="z", match="m00*", count=50)]
    run_script(keel, oracle, script)


# ---- seeded random sequences ------------------------------------------------------------------

MEMBERS = ["a", "b", "c", "d", "e", "f", "g", "aa", "ab", "", "10", "-5", "x", "xxxxx", "x" * 70]
MIXED_KEYS = ["z1", "z2", "z3", "s1"]


class RandomOps:
    """Random commands on a few keys; lex commands only on "lx", whose scores are all 0."""

    def __init__(self, seed):
        self.rnd = random.Random(seed)

    def member(self):
        r = self.rnd
        return r.choice(MEMBERS + ["m%d" % r.randint(0, 300)] * 3)

    def score(self):
        r = self.rnd
        return r.choice(["0", "1", "-1", "2.5", "1e10", "-inf", "+inf", "3", "1.1", "-0",
                         str(r.randint(-50, 50)), "%.3f" % r.uniform(-10, 10), "(1", "abc"])

    def sbound(self):
        return self.rnd.choice(["-inf", "+inf", "0", "(0", "1", "(2.5", "3", "10", "(10", "-5",
                                "x", ""])

    def lbound(self):
        return self.rnd.choice(["-", "+", "[a", "(a", "[b", "(c", "[m1", "[x", "(", "[", "a"])

    def idx(self):
        return str(self.rnd.choice([0, 1, 2, -1, -2, 5, 10, -10, 100, -100]))

    def limit(self):
        return self.rnd.choice([[], ["LIMIT", self.idx(), self.idx()]])

    def command(self):
        r = self.rnd
        k, k2, k3 = r.choice(MIXED_KEYS), r.choice(MIXED_KEYS), r.choice(MIXED_KEYS)
        c = r.randint(0, 36)
        if c < 9:
            flags = r.sample(["NX", "XX", "GT", "LT", "CH", "INCR"], r.choice([0, 0, 0, 1, 1, 2]))
            pairs = [x for _ in range(r.choice([1, 1, 2, 5, 20])) for x in (self.score(), self.member())]
            return ["ZADD", k, *flags, *pairs]
        if c == 9:
            return ["ZADD", "lx", *[x for _ in range(r.randint(1, 3)) for x in ("0", self.member())]]
        if c == 10:
            return ["ZINCRBY", k, self.score(), self.member()]
        if c == 11:
            return ["ZREM", r.choice([k, "lx"]), *[self.member() for _ in range(r.randint(1, 4))]]
        if c == 12:
            return ["ZRANGE", k, self.idx(), self.idx(), *r.choice([[], ["WITHSCORES"], ["REV"]])]
        if c == 13:
            return ["ZRANGE", k, self.sbound(), self.sbound(), "BYSCORE", *r.choice([[], ["REV"]]),
                    *self.limit(), *r.choice([[], ["WITHSCORES"]])]
        if c == 14:
            return ["ZRANGE", "lx", self.lbound(), self.lbound(), "BYLEX", *r.choice([[], ["REV"]]),
                    *self.limit()]
        if c == 15:
            return [r.choice(["ZRANGEBYSCORE", "ZREVRANGEBYSCORE"]), k, self.sbound(), self.sbound(),
                    *r.choice([[], ["WITHSCORES"], ["LIMIT", self.idx(), self.idx()]])]
        if c == 16:
            return [r.choice(["ZRANGEBYLEX", "ZREVRANGEBYLEX"]), "lx", self.lbound(), self.lbound(),
                    *self.limit()]
        if c == 17:
            return ["ZCOUNT", k, self.sbound(), self.sbound()]
        if c == 18:
            return ["ZLEXCOUNT", "lx", self.lbound(), self.lbound()]
        if c == 19:
            return [r.choice(["ZRANK", "ZREVRANK", "ZSCORE"]), k, self.member()]
        if c == 20:
            return ["ZMSCORE", k, self.member(), self.member()]
        if c == 21:
            return [r.choice(["ZPOPMIN", "ZPOPMAX"]), k, *r.choice([[], [self.idx()]])]
        if c == 22:
            return ["ZMPOP", 2, k, k2, r.choice(["MIN", "MAX"]), *r.choice([[], ["COUNT", self.idx()]])]
        if c == 23:
            return [r.choice(["ZREMRANGEBYRANK"]), k, self.idx(), self.idx()]
        if c == 24:
            return ["ZREMRANGEBYSCORE", k, self.sbound(), self.sbound()]
        if c == 25:
            return ["ZREMRANGEBYLEX", "lx", self.lbound(), self.lbound()]
        if c == 26:
            op = r.choice(["ZUNION", "ZINTER", "ZDIFF"])
            cmd = [op, 3, k, k2, k3]
            if op != "ZDIFF" and r.random() < 0.5:
                cmd += ["WEIGHTS", *[r.choice(["1", "2", "-1", "0", "0.5", "inf", "-inf"]) for _ in range(3)]]
            if op != "ZDIFF" and r.random() < 0.5:
                cmd += ["AGGREGATE", r.choice(["SUM", "MIN", "MAX"])]
            return cmd + r.choice([[], ["WITHSCORES"]])
        if c == 27:
            op = r.choice(["ZUNIONSTORE", "ZINTERSTORE", "ZDIFFSTORE"])
            cmd = [op, r.choice(MIXED_KEYS), 2, k, k2]
            if op != "ZDIFFSTORE" and r.random() < 0.5:
                cmd += ["AGGREGATE", r.choice(["SUM", "MIN", "MAX"])]
            return cmd
        if c == 28:
            return ["ZINTERCARD", 2, k, k2, *r.choice([[], ["LIMIT", self.idx()]])]
        if c == 29:
            return ["ZRANGESTORE", r.choice(MIXED_KEYS), k, self.sbound(), self.sbound(), "BYSCORE",
                    *r.choice([[], ["REV"]])]
        if c == 30:
            return ["ZRANGESTORE", r.choice(MIXED_KEYS), k, self.idx(), self.idx()]
        if c == 31:
            return ["SADD", "s1", self.member(), self.member()]
        if c == 32:
            return ["CONFIG", "SET", "zset-max-listpack-entries", r.choice(["0", "1", "3", "16", "128"])]
        if c == 33:
            return ["CONFIG", "SET", "zset-max-listpack-value", r.choice(["0", "2", "64"])]
        if c == 34:
            return ["ZRANDMEMBER", k, r.choice(["400", "-0"])]    # whole set or empty: deterministic
        if c == 35:
            return r.choice([["DEL", k], ["COPY", k, k2, "REPLACE"], ["OBJECT", "ENCODING", k]])
        return ["ZRANGE", k, 0, -1, "WITHSCORES"]

    def script(self, n):
        steps = [self.command() for _ in range(n)]
        for key in MIXED_KEYS + ["lx"]:
            steps += [["TYPE", key], ["OBJECT", "ENCODING", key], ["ZRANGE", key, 0, -1, "WITHSCORES"]]
        return steps


@pytest.mark.parametrize("proto", [2, 3])
@pytest.mark.parametrize("seed", range(6))
def test_zset_random_ops(keel, oracle, seed, proto):
    run_script(keel, oracle, RandomOps(seed * 7919 + proto).script(700), hello3=(proto == 3))
