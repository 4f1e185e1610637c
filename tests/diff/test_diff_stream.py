"""Differential scripts: streams (X* commands), their errors, consumer groups, lag figures and
blocking reads, compared byte for byte with redis-server 7.0.15.

Scripts use explicit IDs so replies are deterministic. Where a reply carries clock readings
(idle times, delivery and seen times), the step's comparison masks exactly those integers
(`masked`; radix-tree-nodes is compared: Keel derives Redis's rax node count from its node keys); everything else in it is compared
byte for byte. Seeded random sequences (test_stream_random) cover XADD/XDEL/XTRIM/XRANGE/
XREADGROUP/XACK/XCLAIM interleavings, including node boundaries (small stream-node-max-entries).
"""

import random

import pytest

from diff.multiconn import Hello3, Read, ReadUntil, Send, run_multi
from diff.runner import C, restore_config, run_script

WRONGTYPE = b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"
SYNTAX = b"-ERR syntax error\r\n"
INVALID_ID = b"-ERR Invalid stream ID specified as stream command argument\r\n"
U64_MAX = "18446744073709551615"

DEFAULTS = {"stream-node-max-entries": "100", "stream-node-max-bytes": "4096"}


@pytest.fixture(autouse=True)
def restore_limits(keel, oracle):
    yield
    restore_config((keel, oracle), DEFAULTS)


def _walk(a, b, masked_keys, mask_all_ints, parent_key=None):
    if a.kind != b.kind:
        return "reply types differ"
    if a.kind == ":" and (mask_all_ints or parent_key in masked_keys):
        return None
    if a.children is None or b.children is None:
        return None if a.raw == b.raw else "replies differ"
    if len(a.children) != len(b.children):
        return "aggregate lengths differ"
    is_map = a.kind == "%" or a.kind == "*"
    prev = None
    for x, y in zip(a.children, b.children):
        key = prev.payload if is_map and prev is not None and prev.kind == "$" else None
        why = _walk(x, y, masked_keys, mask_all_ints, key)
        if why:
            return why
        prev = x
    return None


def masked(*keys, ints=False):
    """Compare byte for byte except integers that follow one of `keys` in a map or flat array
    (idle, seen-time, radix-tree-nodes), or, with ints=True, every integer (PEL rows carry
    delivery times at fixed positions)."""
    names = {k.encode() for k in keys}

    def compare(a, b):
        return _walk(a, b, names, ints)
    return compare


info_stream = masked()   # radix-tree-nodes too: Keel computes Redis's rax node count
info_consumers = masked("idle")


def xinfo_stream(key):
    return C("XINFO", "STREAM", key, compare=info_stream)


# Field and value bytes around the integer encoding of entries (canonical integers only).
VALUES = ["0", "1", "-1", "63", "64", "-64", "123456", "4611686018427387903", "4611686018427387904",
          "-4611686018427387904", "-4611686018427387905", "9223372036854775807", "-9223372036854775808",
          "9223372036854775808", "01", "+1", "-0", " 1", "1.5", "", "abc", "x" * 200, "bin\x00\xff\r\n"]


def values_script():
    steps = [["CONFIG", "SET", "stream-node-max-entries", "4"]]
    for i, v in enumerate(VALUES):
        steps.append(["XADD", "s", "%d-0" % (i + 1), v, v, "f", v])
        steps.append(["XADD", "s", "%d-1" % (i + 1), "f", v, v, v])
    steps += [["XRANGE", "s", "-", "+"], ["XREVRANGE", "s", "+", "-", "COUNT", "7"],
              xinfo_stream("s")]
    return steps


SCRIPTS = {
    "values_roundtrip": values_script(),
    "xadd_ids": [
        C("XADD", "s", "1-1", "a", "1", expect=b"$3\r\n1-1\r\n"),
        ["XADD", "s", "1-1", "a", "1"],
        ["XADD", "s", "1-0", "a", "1"],
        ["XADD", "s", "1-*", "b", "2"],
        ["XADD", "s", "5-*", "c", "3"],
        ["XADD", "s", "5", "c", "3"],
        ["XADD", "s", "6", "c", "3"],
        ["XADD", "s", "0-0", "x", "y"],
        ["XADD", "new", "0-0", "x", "y"],
        ["XADD", "new", "0-*", "x", "y"],
        ["XADD", "s", "abc", "x", "y"],
        ["XADD", "s", "1-2-3", "x", "y"],
        ["XADD", "s", "-", "x", "y"],
        ["XADD", "s", "+", "x", "y"],
        ["XADD", "s", "-1", "x", "y"],
        ["XADD", "s", "01-1", "x", "y"],
        ["XADD", "s", "7-01", "x", "y"],
        ["XADD", "s", "1" * 130, "x", "y"],
        ["XADD", "s", "10-5", "f"],
        ["XADD", "s", "10-5", "f", "v", "g"],
        ["XADD", "s", "10-5"],
        ["XADD", "s", U64_MAX + "-" + U64_MAX, "last", "one"],
        ["XADD", "s", "*", "x", "y"],
        ["XADD", "s", U64_MAX + "-*", "x", "y"],
        ["XADD", "s2", "5-" + U64_MAX, "a", "b"],
        ["XADD", "s2", "5-*", "a", "b"],
        ["XADD", "s2", "18446744073709551616-1", "a", "b"],
        ["XRANGE", "s", "-", "+"],
        ["XRANGE", "s2", "-", "+"],
        ["XLEN", "s"],
        ["XLEN", "nokey"],
        ["TYPE", "s"],
        ["OBJECT", "ENCODING", "s"],
        ["SET", "str", "x"],
        C("XADD", "str", "1-1", "a", "b", expect=WRONGTYPE),
        ["XLEN", "str"],
        ["XRANGE", "str", "-", "+"],
    ],
    "xadd_options": [
        ["XADD", "s", "NOMKSTREAM", "1-1", "a", "1"],
        ["EXISTS", "s"],
        ["XADD", "s", "NOMKSTREAM", "*", "a", "1"],
        ["XADD", "s", "1-1", "a", "1"],
        ["XADD", "s", "NOMKSTREAM", "2-1", "a", "1"],
        ["XADD", "s", "MAXLEN", "2", "3-1", "a", "1"],
        ["XADD", "s", "MAXLEN", "=", "2", "4-1", "a", "1"],
        ["XADD", "s", "MAXLEN", "~", "1", "5-1", "a", "1"],
        ["XRANGE", "s", "-", "+"],
        ["XADD", "s", "MAXLEN", "-1", "6-1", "a", "1"],
        ["XADD", "s", "MAXLEN", "x", "6-1", "a", "1"],
        ["XADD", "s", "MAXLEN", "1", "MINID", "1", "6-1", "a", "1"],
        ["XADD", "s", "MINID", "1", "MAXLEN", "1", "6-1", "a", "1"],
        ["XADD", "s", "MINID", "5", "6-1", "a", "1"],
        ["XRANGE", "s", "-", "+"],
        ["XADD", "s", "MINID", "+", "7-1", "a", "1"],
        ["XADD", "s", "MINID", "bad", "7-1", "a", "1"],
        ["XADD", "s", "LIMIT", "10", "7-1", "a", "1"],
        ["XADD", "s", "MAXLEN", "1", "LIMIT", "10", "7-1", "a", "1"],
        ["XADD", "s", "MAXLEN", "~", "1", "LIMIT", "-1", "7-1", "a", "1"],
        ["XADD", "s", "MAXLEN", "~", "1", "LIMIT", "x", "7-1", "a", "1"],
        ["XADD", "s", "MAXLEN", "~", "1", "LIMIT", "0", "7-1", "a", "1"],
        ["XADD", "s", "LIMIT", "0", "8-1", "a", "1"],
        ["XADD", "s", "maxlen", "~", "0", "limit", "5", "9-1", "a", "1"],
        ["XADD", "s", "MAXLEN", "0", "10-1", "a", "1"],
        ["XLEN", "s"],
        xinfo_stream("s"),
        ["XADD", "s", "MAXLEN"],
        ["XADD", "s", "MAXLEN", "1"],
        ["XADD", "s", "MAXLEN", "1", "*"],
        ["XADD", "s", "NOMKSTREAM"],
    ],
    "xrange_bounds": [
        ["XADD", "s", "1-0", "a", "1"],
        ["XADD", "s", "1-1", "b", "2"],
        ["XADD", "s", "2-0", "c", "3"],
        ["XADD", "s", "3-5", "d", "4", "e", "5"],
        ["XRANGE", "s", "-", "+"],
        ["XRANGE", "s", "1", "1"],
        ["XRANGE", "s", "(1-0", "+"],
        ["XRANGE", "s", "-", "(2-0"],
        ["XRANGE", "s", "(1-1", "(3-5"],
        ["XRANGE", "s", "(-", "+"],
        ["XRANGE", "s", "-", "(+"],
        ["XRANGE", "s", "(0-0", "+"],
        ["XRANGE", "s", "-", "(0-0"],
        ["XRANGE", "s", "(" + U64_MAX + "-" + U64_MAX, "+"],
        ["XRANGE", "s", "2", "1"],
        ["XRANGE", "s", "-", "+", "COUNT", "2"],
        ["XRANGE", "s", "-", "+", "COUNT", "0"],
        ["XRANGE", "s", "-", "+", "COUNT", "-3"],
        ["XRANGE", "s", "-", "+", "COUNT"],
        ["XRANGE", "s", "-", "+", "COUNT", "x"],
        ["XRANGE", "s", "-", "+", "LIMIT", "1"],
        ["XRANGE", "s", "x", "+"],
        ["XRANGE", "s", "-", "y"],
        ["XRANGE", "nokey", "-", "+"],
        ["XRANGE", "nokey", "-", "+", "COUNT", "0"],
        ["XREVRANGE", "s", "+", "-"],
        ["XREVRANGE", "s", "+", "-", "COUNT", "1"],
        ["XREVRANGE", "s", "(3-5", "(1-0"],
        ["XREVRANGE", "s", "2", "1"],
        ["XREVRANGE", "s", "1", "2"],
        ["XREVRANGE", "s", "+", "-", "COUNT", "0"],
        ["XREVRANGE", "nokey", "+", "-"],
        ["XRANGE", "s"],
        ["XREVRANGE", "s", "+"],
    ],
    "xdel_xtrim": [
        ["CONFIG", "SET", "stream-node-max-entries", "3"],
        *[["XADD", "s", "%d-1" % i, "f", str(i)] for i in range(1, 11)],
        ["XDEL", "s", "1-1", "5-1", "99-1"],
        ["XDEL", "s", "1-1"],
        ["XDEL", "s", "bad"],
        ["XDEL", "s", "2-1", "bad"],
        ["XDEL", "nokey", "1-1"],
        ["XLEN", "s"],
        xinfo_stream("s"),
        ["XRANGE", "s", "-", "+"],
        ["XREVRANGE", "s", "+", "-"],
        ["XTRIM", "s", "MAXLEN", "~", "6"],
        ["XLEN", "s"],
        ["XTRIM", "s", "MAXLEN", "6"],
        ["XTRIM", "s", "MINID", "~", "8"],
        ["XTRIM", "s", "MINID", "8"],
        xinfo_stream("s"),
        ["XTRIM", "s", "MAXLEN", "~", "0", "LIMIT", "1"],
        ["XTRIM", "s", "MAXLEN", "~", "0", "LIMIT", "3"],
        ["XTRIM", "s"],
        ["XTRIM", "s", "LIMIT", "1"],
        ["XTRIM", "s", "MAXLEN", "1", "LIMIT", "1"],
        ["XTRIM", "s", "FOO", "1"],
        ["XTRIM", "s", "MAXLEN", "1", "MINID", "1"],
        ["XTRIM", "nokey", "MAXLEN", "1"],
        ["XTRIM", "s", "MAXLEN", "0"],
        ["XLEN", "s"],
        ["EXISTS", "s"],
        xinfo_stream("s"),
        ["XDEL", "s"],
    ],
    "xsetid": [
        ["XSETID", "nokey", "1-1"],
        ["XADD", "s", "5-5", "a", "b"],
        ["XSETID", "s", "5-4"],
        ["XSETID", "s", "5-5"],
        ["XSETID", "s", "10-0"],
        ["XADD", "s", "10-0", "a", "b"],
        ["XADD", "s", "10-*", "a", "b"],
        ["XSETID", "s", "20-0", "ENTRIESADDED", "1"],
        ["XSETID", "s", "20-0", "ENTRIESADDED", "-1"],
        ["XSETID", "s", "20-0", "ENTRIESADDED", "100", "MAXDELETEDID", "21-0"],
        ["XSETID", "s", "20-0", "ENTRIESADDED", "100", "MAXDELETEDID", "15-0"],
        ["XSETID", "s", "20-0", "ENTRIESADDED"],
        ["XSETID", "s", "20-0", "FOO", "1"],
        ["XSETID", "s", "+"],
        xinfo_stream("s"),
        ["XDEL", "s", "5-5", "10-0", "10-1"],
        ["XSETID", "s", "1-0"],
        xinfo_stream("s"),
        ["SET", "str", "v"],
        ["XSETID", "str", "1-1"],
    ],
    "groups_basics": [
        ["XGROUP", "CREATE", "s", "g", "$"],
        ["XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"],
        ["XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"],
        ["XGROUP", "CREATE", "s", "g2", "0", "ENTRIESREAD", "-2"],
        ["XGROUP", "CREATE", "s", "g2", "0", "ENTRIESREAD", "x"],
        ["XGROUP", "CREATE", "s", "g2", "bad"],
        ["XGROUP", "CREATE", "s", "g2", "0", "FOO"],
        ["XGROUP", "CREATE", "s", "g2", "0", "ENTRIESREAD", "3"],
        ["XINFO", "GROUPS", "s"],
        ["XGROUP", "CREATECONSUMER", "s", "g", "alice"],
        ["XGROUP", "CREATECONSUMER", "s", "g", "alice"],
        ["XGROUP", "CREATECONSUMER", "s", "nog", "alice"],
        ["XGROUP", "CREATECONSUMER", "nokey", "g", "alice"],
        ["XGROUP", "DELCONSUMER", "s", "g", "bob"],
        ["XGROUP", "DELCONSUMER", "s", "g", "alice"],
        ["XGROUP", "SETID", "s", "g", "$"],
        ["XGROUP", "SETID", "s", "g", "5-0", "ENTRIESREAD", "2"],
        ["XGROUP", "SETID", "s", "nog", "5-0"],
        ["XGROUP", "SETID", "s", "g", "5-0", "FOO", "1"],
        ["XINFO", "GROUPS", "s"],
        ["XGROUP", "DESTROY", "s", "g2"],
        ["XGROUP", "DESTROY", "s", "g2"],
        ["XGROUP", "DESTROY", "nokey", "g2"],
        ["XGROUP", "HELP"],
        ["XGROUP", "FOO"],
        ["XGROUP", "CREATE", "s"],
        ["XINFO", "HELP"],
        ["XINFO", "FOO", "s"],
        ["XINFO", "GROUPS", "nokey"],
        ["XINFO", "CONSUMERS", "s", "nog"],
        ["XINFO", "STREAM", "s", "FULLX"],
        ["XINFO", "STREAM", "s", "FULL", "COUNT"],
        ["XINFO", "STREAM", "s", "FULL", "LIMIT", "1"],
        ["XINFO", "STREAM", "nokey", "FULLX"],
        ["SET", "str", "v"],
        ["XGROUP", "CREATE", "str", "g", "$"],
        ["XINFO", "STREAM", "str"],
    ],
    "readgroup_ack_pending": [
        *[["XADD", "s", "%d-0" % i, "f", "v%d" % i] for i in range(1, 8)],
        ["XGROUP", "CREATE", "s", "g", "0"],
        ["XREADGROUP", "GROUP", "g", "alice", "COUNT", "2", "STREAMS", "s", ">"],
        ["XREADGROUP", "GROUP", "g", "bob", "COUNT", "2", "STREAMS", "s", ">"],
        ["XREADGROUP", "GROUP", "g", "carol", "NOACK", "COUNT", "1", "STREAMS", "s", ">"],
        ["XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", "0"],
        ["XREADGROUP", "GROUP", "g", "alice", "COUNT", "1", "STREAMS", "s", "1-0"],
        ["XPENDING", "s", "g"],
        C("XPENDING", "s", "g", "-", "+", "10", compare=masked(ints=True)),
        C("XPENDING", "s", "g", "-", "+", "10", "bob", compare=masked(ints=True)),
        ["XPENDING", "s", "g", "-", "+", "10", "nobody"],
        ["XPENDING", "s", "g", "IDLE", "100000", "-", "+", "10"],
        C("XPENDING", "s", "g", "(1-0", "(4-0", "1", compare=masked(ints=True)),
        ["XPENDING", "s", "g", "-", "+", "0"],
        ["XPENDING", "s", "g", "-", "+", "-1"],
        ["XPENDING", "s", "g", "-", "+"],
        ["XPENDING", "s", "g", "IDLE", "1", "-", "+"],
        ["XPENDING", "s", "g", "-", "+", "x"],
        ["XPENDING", "s", "nog"],
        ["XPENDING", "nokey", "g"],
        ["XACK", "s", "g", "1-0", "3-0", "99-0"],
        ["XACK", "s", "g", "1-0"],
        ["XACK", "s", "nog", "1-0"],
        ["XACK", "s", "g", "bad"],
        ["XACK", "nokey", "g", "1-0"],
        ["XPENDING", "s", "g"],
        ["XDEL", "s", "2-0"],
        ["XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", "0"],
        ["XINFO", "GROUPS", "s"],
        C("XINFO", "CONSUMERS", "s", "g", compare=info_consumers),
        C("XINFO", "STREAM", "s", "FULL", compare=masked(ints=True)),
        C("XINFO", "STREAM", "s", "FULL", "COUNT", "1", compare=masked(ints=True)),
        ["XGROUP", "DELCONSUMER", "s", "g", "bob"],
        ["XPENDING", "s", "g"],
        ["XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", "$"],
        ["XREADGROUP", "GROUP", "nog", "alice", "STREAMS", "s", ">"],
        ["XREADGROUP", "GROUP", "g", "alice", "STREAMS", "nokey", ">"],
        ["XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s"],
        ["XREADGROUP", "STREAMS", "s", ">"],
        ["XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", "bad"],
        ["XREADGROUP", "GROUP", "g", "alice", "COUNT", "-1", "STREAMS", "s", ">"],
        ["XREADGROUP", "GROUP", "g", "alice", "BLOCK", "-1", "STREAMS", "s", ">"],
        ["XREADGROUP", "GROUP", "g", "alice", "FOO", "STREAMS", "s", ">"],
    ],
    "claims": [
        *[["XADD", "s", "%d-0" % i, "f", "v%d" % i] for i in range(1, 8)],
        ["XGROUP", "CREATE", "s", "g", "0"],
        ["XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", ">"],
        ["XCLAIM", "s", "g", "bob", "0", "1-0", "2-0"],
        ["XCLAIM", "s", "g", "bob", "0", "3-0", "JUSTID"],
        ["XCLAIM", "s", "g", "bob", "1000000", "4-0"],
        ["XCLAIM", "s", "g", "bob", "0", "4-0", "RETRYCOUNT", "7", "JUSTID"],
        ["XCLAIM", "s", "g", "bob", "0", "5-0", "IDLE", "1000000", "JUSTID"],
        ["XCLAIM", "s", "g", "bob", "0", "99-0", "FORCE"],
        ["XCLAIM", "s", "g", "bob", "0", "99-0"],
        ["XDEL", "s", "6-0"],
        ["XCLAIM", "s", "g", "bob", "0", "6-0"],
        ["XCLAIM", "s", "g", "carol", "0", "7-0", "LASTID", "50-0", "JUSTID"],
        ["XACK", "s", "g", "7-0"],
        ["XCLAIM", "s", "g", "carol", "0", "7-0", "FORCE", "JUSTID"],
        ["XCLAIM", "s", "g", "carol", "0", "7-0", "FOO"],
        ["XCLAIM", "s", "g", "carol", "x", "7-0"],
        ["XCLAIM", "s", "g", "carol", "0", "7-0", "IDLE", "x"],
        ["XCLAIM", "s", "g", "carol", "0", "7-0", "TIME", "x"],
        ["XCLAIM", "s", "g", "carol", "0", "7-0", "RETRYCOUNT", "x"],
        ["XCLAIM", "s", "g", "carol", "0", "7-0", "LASTID", "x"],
        ["XCLAIM", "s", "nog", "carol", "0", "7-0"],
        ["XCLAIM", "nokey", "g", "carol", "0", "7-0"],
        ["XPENDING", "s", "g"],
        C("XPENDING", "s", "g", "-", "+", "100", compare=masked(ints=True)),
        ["XINFO", "GROUPS", "s"],
        ["XAUTOCLAIM", "s", "g", "dave", "0", "0", "COUNT", "2"],
        ["XAUTOCLAIM", "s", "g", "dave", "0", "0", "COUNT", "2", "JUSTID"],
        ["XAUTOCLAIM", "s", "g", "dave", "100000000", "0"],
        ["XDEL", "s", "1-0", "2-0"],
        ["XAUTOCLAIM", "s", "g", "erin", "0", "-", "COUNT", "3"],
        ["XAUTOCLAIM", "s", "g", "erin", "0", "(4-0"],
        ["XAUTOCLAIM", "s", "g", "erin", "0", "0", "COUNT", "0"],
        ["XAUTOCLAIM", "s", "g", "erin", "0", "0", "COUNT", "x"],
        ["XAUTOCLAIM", "s", "g", "erin", "0", "0", "FOO"],
        ["XAUTOCLAIM", "s", "g", "erin", "x", "0"],
        ["XAUTOCLAIM", "s", "g", "erin", "0", "bad"],
        ["XAUTOCLAIM", "s", "nog", "erin", "0", "0"],
        ["XAUTOCLAIM", "nokey", "g", "erin", "0", "0"],
        ["XPENDING", "s", "g"],
        C("XINFO", "CONSUMERS", "s", "g", compare=info_consumers),
    ],
    "lag_and_entries_read": [
        ["XGROUP", "CREATE", "s", "g0", "0", "MKSTREAM"],
        ["XINFO", "GROUPS", "s"],
        *[["XADD", "s", "%d-0" % i, "f", "v"] for i in range(1, 6)],
        ["XGROUP", "CREATE", "s", "g1", "0"],
        ["XGROUP", "CREATE", "s", "g2", "$"],
        ["XGROUP", "CREATE", "s", "g3", "3-0"],
        ["XINFO", "GROUPS", "s"],
        ["XREADGROUP", "GROUP", "g1", "c", "COUNT", "2", "STREAMS", "s", ">"],
        ["XREADGROUP", "GROUP", "g3", "c", "COUNT", "1", "STREAMS", "s", ">"],
        ["XINFO", "GROUPS", "s"],
        ["XDEL", "s", "4-0"],
        ["XINFO", "GROUPS", "s"],
        ["XREADGROUP", "GROUP", "g1", "c", "STREAMS", "s", ">"],
        ["XINFO", "GROUPS", "s"],
        ["XDEL", "s", "1-0"],
        ["XTRIM", "s", "MAXLEN", "1"],
        ["XINFO", "GROUPS", "s"],
        ["XADD", "s", "9-0", "f", "v"],
        ["XGROUP", "SETID", "s", "g2", "0", "ENTRIESREAD", "0"],
        ["XINFO", "GROUPS", "s"],
        ["XGROUP", "SETID", "s", "g2", "9-0"],
        ["XINFO", "GROUPS", "s"],
        xinfo_stream("s"),
        C("XINFO", "STREAM", "s", "FULL", compare=masked(ints=True)),
    ],
    "xread_nonblocking": [
        ["XADD", "a", "1-0", "f", "1"],
        ["XADD", "a", "2-0", "f", "2"],
        ["XADD", "b", "5-0", "g", "1"],
        ["XREAD", "STREAMS", "a", "b", "0", "0"],
        ["XREAD", "COUNT", "1", "STREAMS", "a", "b", "0", "0"],
        ["XREAD", "STREAMS", "a", "b", "$", "$"],
        ["XREAD", "STREAMS", "a", "nokey", "1-0", "0"],
        ["XREAD", "STREAMS", "a", "a", "0", "1"],
        ["XREAD", "STREAMS", "a", "b"],
        ["XREAD", "STREAMS", "a", "bad"],
        ["XREAD", "STREAMS", "a", ">"],
        ["XREAD", "GROUP", "g", "c", "STREAMS", "a", "0"],
        ["XREAD", "NOACK", "STREAMS", "a", "0"],
        ["XREAD", "COUNT", "x", "STREAMS", "a", "0"],
        ["XREAD", "BLOCK", "x", "STREAMS", "a", "0"],
        ["XREAD", "BLOCK", "-5", "STREAMS", "a", "0"],
        ["XREAD", "BLOCK", "10", "STREAMS", "a", "2-0"],
        ["XREAD", "FOO", "STREAMS", "a", "0"],
        ["XREAD", "COUNT", "1", "a", "0"],
        ["SET", "str", "v"],
        ["XREAD", "STREAMS", "a", "str", "0", "0"],
        ["MULTI"],
        ["XREAD", "BLOCK", "0", "STREAMS", "a", "$"],
        ["XADD", "a", "3-0", "f", "3"],
        ["EXEC"],
        ["COMMAND", "GETKEYS", "XREAD", "COUNT", "2", "STREAMS", "k1", "k2", "0", "0"],
        ["COMMAND", "GETKEYS", "XREADGROUP", "GROUP", "g", "c", "STREAMS", "k1", "0"],
    ],
    "copy_rename_delete": [
        ["XADD", "s", "1-0", "a", "b"],
        ["XGROUP", "CREATE", "s", "g", "0"],
        ["XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">"],
        ["COPY", "s", "t"],
        ["XPENDING", "t", "g"],
        ["XRANGE", "t", "-", "+"],
        ["XADD", "t", "2-0", "x", "y"],
        ["XLEN", "s"],
        ["RENAME", "t", "u"],
        ["XINFO", "GROUPS", "u"],
        ["DEL", "u"],
        ["EXISTS", "u"],
        ["UNLINK", "s"],
        ["EXISTS", "s"],
    ],
}


@pytest.mark.parametrize("proto", [2, 3])
@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_stream(keel, oracle, name, proto):
    run_script(keel, oracle, SCRIPTS[name], hello3=(proto == 3))


def random_script(seed, steps=300):
    """XADD/XDEL/XTRIM/XRANGE/XREADGROUP/XACK/XCLAIM in a random mix, explicit IDs only."""
    rng = random.Random(seed)
    script = [["CONFIG", "SET", "stream-node-max-entries", str(rng.choice([2, 3, 5, 100]))],
              ["XGROUP", "CREATE", "s", "g", "0", "MKSTREAM"]]
    ms = 0
    added = []
    fields = ["a", "b", "c", "longer-field-name"]
    for _ in range(steps):
        op = rng.random()
        if op < 0.35:
            ms += rng.choice([0, 1, 1, 2, 50])
            args = ["XADD", "s"]
            if rng.random() < 0.15:
                args += [rng.choice(["MAXLEN", "MINID"]), rng.choice(["~", "="])]
                args.append(str(rng.randint(0, 20)) if args[-2] == "MAXLEN" else "%d" % rng.randint(0, ms))
            args.append("%d-*" % ms)
            nf = rng.choice([1, 3, 3, 2])
            for f in rng.sample(fields, nf) if rng.random() < 0.3 else fields[:nf]:
                args += [f, str(rng.randint(0, 1000))]
            script.append(args)
            added.append(ms)
        elif op < 0.45 and added:
            script.append(["XDEL", "s"] + ["%d-%d" % (rng.choice(added), rng.randint(0, 2))
                                             for _ in range(rng.randint(1, 3))])
        elif op < 0.5:
            script.append(["XTRIM", "s", "MAXLEN", rng.choice(["~", "="]), str(rng.randint(0, 30))])
        elif op < 0.6:
            lo, hi = sorted(rng.randint(0, ms + 1) for _ in range(2))
            cmd = rng.choice(["XRANGE", "XREVRANGE"])
            a, b = ("%d" % lo, "%d" % hi) if cmd == "XRANGE" else ("%d" % hi, "%d" % lo)
            script.append([cmd, "s", a, b, "COUNT", str(rng.randint(0, 10))])
        elif op < 0.72:
            script.append(["XREADGROUP", "GROUP", "g", rng.choice(["c1", "c2"]), "COUNT",
                           str(rng.randint(1, 5)), "STREAMS", "s", rng.choice([">", ">", "0"])])
        elif op < 0.8 and added:
            script.append(["XACK", "s", "g"] + ["%d-0" % rng.choice(added) for _ in range(2)])
        elif op < 0.85 and added:
            script.append(["XCLAIM", "s", "g", rng.choice(["c1", "c2", "c3"]), "0",
                           "%d-0" % rng.choice(added), "JUSTID"])
        elif op < 0.9:
            script.append(["XPENDING", "s", "g"])
        elif op < 0.95:
            script.append(["XINFO", "GROUPS", "s"])
        else:
            script.append(C("XINFO", "STREAM", "s", compare=info_stream))
    script.append(["XRANGE", "s", "-", "+"])
    script.append(C("XINFO", "STREAM", "s", "FULL", "COUNT", "0", compare=masked(ints=True)))
    return script


@pytest.mark.parametrize("seed", range(6))
def test_stream_random(keel, oracle, seed):
    run_script(keel, oracle, random_script(seed))


def rax_script(seed):
    """Node keys of every shape (IDs far apart and close, sharing prefixes of any length), one
    entry per node, then deletions and trims: XINFO STREAM's radix-tree-nodes after each step."""
    rng = random.Random(seed)
    script = [["CONFIG", "SET", "stream-node-max-entries", str(rng.choice([1, 1, 2, 3]))]]
    ms, seq = 0, 0
    for _ in range(rng.randint(5, 60)):
        kind = rng.random()
        if kind < 0.3:
            ms += rng.randint(1, 255)
        elif kind < 0.5:
            ms += rng.randint(256, 1 << 40)
        elif kind < 0.7:
            seq += rng.choice([1, 255, 256, 70000, 1 << 33])
        else:
            ms += 1
        seq = seq if kind >= 0.5 and kind < 0.7 else rng.choice([0, 0, 1, 300])
        script.append(["XADD", "s", "%d-%d" % (ms, seq), "f", "v"])
        if rng.random() < 0.3:
            script.append(C("XINFO", "STREAM", "s", compare=info_stream))
    for _ in range(8):
        op = rng.random()
        if op < 0.4:
            script.append(["XTRIM", "s", "MAXLEN", rng.choice(["~", "="]), str(rng.randint(0, 40))])
        else:
            script.append(["XDEL", "s", "%d-%d" % (rng.randint(0, ms), 0)])
        script.append(C("XINFO", "STREAM", "s", compare=info_stream))
    return script


@pytest.mark.parametrize("seed", range(12))
def test_stream_rax_nodes(keel, oracle, seed):
    run_script(keel, oracle, rax_script(seed))


def _send(conn, *args):
    return Send(conn, *args, replies=0)


BLOCKING = {
    "xread_block_woken_by_xadd": [
        (1, "XADD", "s", "1-0", "a", "1"),
        _send(2, "XREAD", "BLOCK", "0", "STREAMS", "s", "$"),
        (3, "PING"),
        (1, "XADD", "s", "2-0", "b", "2"),
        Read(2),
        _send(2, "XREAD", "BLOCK", "0", "STREAMS", "nokey", "s", "0", "2-0"),
        (3, "PING"),
        (1, "XADD", "nokey", "7-0", "c", "3"),
        Read(2),
    ],
    "xread_block_not_woken_by_other_writes": [
        (1, "XADD", "s", "5-0", "a", "1"),
        _send(2, "XREAD", "BLOCK", "0", "COUNT", "1", "STREAMS", "s", "$"),
        (3, "PING"),
        (1, "XDEL", "s", "5-0"),
        (1, "DEL", "s"),
        (1, "SET", "s", "string"),
        (1, "DEL", "s"),
        (1, "XADD", "s", "1-0", "x", "y"),
        (1, "XADD", "s", "6-0", "x", "y"),
        (1, "XADD", "s", "7-0", "x", "y"),
        Read(2),
    ],
    "xreadgroup_block": [
        (1, "XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"),
        _send(2, "XREADGROUP", "GROUP", "g", "alice", "BLOCK", "0", "STREAMS", "s", ">"),
        (3, "PING"),
        (1, "XADD", "s", "1-0", "a", "1"),
        Read(2),
        (1, "XPENDING", "s", "g"),
        _send(2, "XREADGROUP", "GROUP", "g", "alice", "BLOCK", "0", "STREAMS", "s", ">"),
        (3, "PING"),
        (1, "XGROUP", "DESTROY", "s", "g"),
        Read(2),
        (1, "XGROUP", "CREATE", "s", "g", "$"),
        _send(2, "XREADGROUP", "GROUP", "g", "alice", "BLOCK", "0", "STREAMS", "s", ">"),
        (3, "PING"),
        (1, "DEL", "s"),
        Read(2),
        (1, "XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"),
        _send(2, "XREADGROUP", "GROUP", "g", "alice", "BLOCK", "0", "STREAMS", "s", ">"),
        (3, "PING"),
        (1, "SET", "s", "x"),
        Read(2),
    ],
    "xreadgroup_block_flush_and_swapdb": [
        (1, "XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"),
        _send(2, "XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">"),
        (3, "PING"),
        (1, "FLUSHALL"),
        Read(2),
        (1, "XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"),
        _send(2, "XREAD", "BLOCK", "0", "STREAMS", "s", "$"),
        _send(3, "XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">"),
        (4, "PING"),
        (1, "SWAPDB", "0", "1"),
        Read(3),
        (1, "SELECT", "1"),
        (1, "XADD", "s", "1-0", "a", "1"),
        (1, "SWAPDB", "0", "1"),
        Read(2),
    ],
    "resp3_blocked_replies": [
        Hello3(2),
        (1, "XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"),
        _send(2, "XREAD", "COUNT", "5", "BLOCK", "0", "STREAMS", "s", "$"),
        (3, "PING"),
        (1, "XADD", "s", "1-0", "a", "1"),
        Read(2),
        _send(2, "XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">"),
        (3, "PING"),
        (1, "XADD", "s", "2-0", "b", "2"),
        Read(2),
        (2, "XREAD", "BLOCK", "10", "STREAMS", "s", "$"),
        (2, "XREAD", "STREAMS", "s", "s", "0", "1-0"),
    ],
    "xread_block_timeout_and_multi": [
        (1, "XREAD", "BLOCK", "20", "STREAMS", "s", "$"),
        (1, "XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"),
        (1, "XREADGROUP", "GROUP", "g", "c", "BLOCK", "20", "STREAMS", "s", ">"),
        _send(2, "XREAD", "BLOCK", "0", "STREAMS", "s", "$"),
        (3, "PING"),
        (1, "MULTI"),
        (1, "XADD", "s", "1-0", "a", "1"),
        (1, "XADD", "s", "2-0", "b", "2"),
        (1, "EXEC"),
        Read(2),
    ],
}


# Keyspace notifications of every stream write: a subscriber on __key*__:* reads them all.
NOTIFY_WRITES = [
    ("XADD", "s", "1-0", "a", "1"),
    ("XADD", "s", "MAXLEN", "1", "2-0", "a", "1"),
    ("XADD", "nokey", "NOMKSTREAM", "3-0", "a", "1"),
    ("XDEL", "s", "2-0", "9-0"),
    ("XADD", "s", "3-0", "a", "1"),
    ("XTRIM", "s", "MAXLEN", "0"),
    ("XTRIM", "s", "MAXLEN", "0"),
    ("XSETID", "s", "10-0"),
    ("XGROUP", "CREATE", "s", "g", "0"),
    ("XGROUP", "CREATE", "t", "g", "$", "MKSTREAM"),
    ("XGROUP", "SETID", "s", "g", "0"),
    ("XGROUP", "CREATECONSUMER", "s", "g", "c1"),
    ("XADD", "s", "11-0", "a", "1"),
    ("XREADGROUP", "GROUP", "g", "c2", "STREAMS", "s", ">"),
    ("XCLAIM", "s", "g", "c3", "0", "11-0"),
    ("XAUTOCLAIM", "s", "g", "c4", "0", "0"),
    ("XACK", "s", "g", "11-0"),
    ("XGROUP", "DELCONSUMER", "s", "g", "c1"),
    ("XGROUP", "DESTROY", "s", "g"),
    ("DEL", "s"),
]


# Which stream commands break a WATCH (signal the key as modified) and which do not.
WATCH_CASES = [
    ("XADD", "s", "5-0", "a", "1"),
    ("XDEL", "s", "1-0"),
    ("XTRIM", "s", "MAXLEN", "0"),
    ("XSETID", "s", "10-0"),
    ("XGROUP", "CREATE", "s", "g2", "0"),
    ("XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">"),
    ("XACK", "s", "g", "1-0"),
    ("XCLAIM", "s", "g", "c2", "0", "1-0"),
]


@pytest.mark.parametrize("write", WATCH_CASES, ids=lambda w: w[0].lower())
def test_stream_watch(keel, oracle, write):
    run_multi(keel, oracle, [
        (1, "XADD", "s", "1-0", "a", "1"),
        (1, "XGROUP", "CREATE", "s", "g", "0"),
        (1, "XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">"),
        (1, "WATCH", "s"),
        (2, *write),
        (1, "MULTI"),
        (1, "PING"),
        (1, "EXEC"),
    ])


def test_stream_notifications(keel, oracle):
    run_multi(keel, oracle, [
        (2, "CONFIG", "SET", "notify-keyspace-events", "KEA"),
        Send(1, "PSUBSCRIBE", "__key*__:*", replies=1),
        Send(1, "SUBSCRIBE", "end-marker", replies=1),
        *[(2, *w) for w in NOTIFY_WRITES],
        (2, "PUBLISH", "end-marker", "done"),
        ReadUntil(1, b"end-marker"),
        (2, "CONFIG", "SET", "notify-keyspace-events", ""),
    ])


@pytest.mark.parametrize("name", sorted(BLOCKING))
def test_stream_blocking(keel, oracle, name):
    run_multi(keel, oracle, BLOCKING[name])


def resume_script(seed, steps=400):
    """Reads that go on from where the previous one stopped (XREADGROUP >, XREAD / XRANGE from a
    recent ID, exclusive starts), mixed with appends, deletions and trims, on small and large
    nodes: exercises the stream's seek hint (a forward scan resuming mid-node) against every
    way entries and nodes change under it."""
    rng = random.Random(1000 + seed)
    script = [["CONFIG", "SET", "stream-node-max-entries", str(rng.choice([2, 4, 10, 100]))],
              ["XGROUP", "CREATE", "s", "g", "0", "MKSTREAM"],
              ["XGROUP", "CREATE", "s", "h", "0"]]
    ms = 0
    for _ in range(steps):
        op = rng.random()
        if op < 0.3:
            for _ in range(rng.randint(1, 4)):
                ms += rng.choice([0, 1, 1, 3])
                script.append(["XADD", "s", "%d-*" % ms, "f", str(rng.randint(0, 99)), "g", "x"])
        elif op < 0.4 and ms:
            script.append(["XDEL", "s"] + ["%d-%d" % (rng.randint(max(0, ms - 8), ms), rng.randint(0, 1))
                                             for _ in range(rng.randint(1, 3))])
        elif op < 0.45:
            script.append(["XTRIM", "s", rng.choice(["MAXLEN", "MINID"]), rng.choice(["~", "="]),
                           str(rng.randint(0, 40)) if rng.random() < 0.5 else str(rng.randint(0, ms))])
        elif op < 0.65:
            script.append(["XREADGROUP", "GROUP", rng.choice(["g", "h"]), "c", "COUNT", str(rng.randint(1, 3)),
                           "STREAMS", "s", ">"])
        elif op < 0.8:
            lo = rng.randint(max(0, ms - 10), ms + 1)
            start = rng.choice(["%d" % lo, "(%d-%d" % (lo, rng.randint(0, 1)), "%d-1" % lo])
            script.append(["XRANGE", "s", start, "+", "COUNT", str(rng.randint(1, 4))])
        elif op < 0.9:
            lo = rng.randint(max(0, ms - 10), ms + 1)
            script.append(["XREAD", "COUNT", str(rng.randint(1, 4)), "STREAMS", "s", "%d-%d" % (lo, rng.randint(0, 1))])
        elif op < 0.95:
            script.append(["XRANGE", "s", "%d" % rng.randint(0, ms + 1), "+", "COUNT", "2"])
        else:
            script.append(["XREVRANGE", "s", "+", "%d" % rng.randint(0, ms + 1), "COUNT", "3"])
    script.append(["XRANGE", "s", "-", "+"])
    script.append(["XPENDING", "s", "g"])
    script.append(["XPENDING", "s", "h"])
    return script


@pytest.mark.parametrize("seed", range(8))
def test_stream_resume_reads(keel, oracle, seed):
    run_script(keel, oracle, resume_script(seed))
