"""Differential scripts where the "Server foundation" commands meet the aggregate types:
string commands on lists, sets, hashes and sorted sets (WRONGTYPE), TYPE, SORT, the SCAN family.
"""

import pytest

from diff.runner import C, ScanAll, run_script

WRONGTYPE = b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"

STRING_COMMANDS_ON = [
    ["GET", "{k}"], ["SET", "{k}", "v", "GET"], ["GETSET", "{k}", "v"], ["GETDEL", "{k}"],
    ["GETEX", "{k}"], ["APPEND", "{k}", "x"], ["STRLEN", "{k}"], ["INCR", "{k}"],
    ["DECRBY", "{k}", 2], ["INCRBYFLOAT", "{k}", "1.5"], ["GETRANGE", "{k}", 0, -1],
    ["SETRANGE", "{k}", 0, "x"], ["SETBIT", "{k}", 0, 1], ["GETBIT", "{k}", 0],
    ["BITCOUNT", "{k}"], ["BITPOS", "{k}", 1], ["BITFIELD", "{k}", "GET", "u8", 0],
    ["BITFIELD_RO", "{k}", "GET", "u8", 0], ["BITOP", "AND", "dest", "{k}"],
    ["BITOP", "NOT", "{k}", "str"], ["LCS", "{k}", "str"], ["LCS", "str", "{k}", "LEN"],
    ["SUBSTR", "{k}", 0, 1], ["MGET", "str", "{k}"], ["SETNX", "{k}", "v"],
]


def wrongtype_for(key):
    return [[a.replace("{k}", key) if isinstance(a, str) else a for a in cmd]
            for cmd in STRING_COMMANDS_ON]


SCRIPTS = {
    "wrongtype": [
        ["SET", "str", "abc"],
        ["RPUSH", "list", "a", "b"],
        ["SADD", "set", "a"],
        ["HSET", "hash", "f", "v"],
        ["ZADD", "zset", 1, "a"],
        C("GET", "list", expect=WRONGTYPE),
        *wrongtype_for("list"),
        *wrongtype_for("set"),
        *wrongtype_for("hash"),
        *wrongtype_for("zset"),
        ["SET", "list", "now a string"],
        ["TYPE", "list"],
        ["TYPE", "set"],
        ["TYPE", "hash"],
        ["TYPE", "zset"],
        ["OBJECT", "ENCODING", "set"],
        ["MSET", "hash", "x"],
        ["TYPE", "hash"],
    ],
    "keys_with_types": [
        ["RPUSH", "l", "3", "1", "2"],
        ["SADD", "s", "x"],
        ["HSET", "h", "f", "v"],
        ["ZADD", "z", 1, "m"],
        ["SET", "str", "v"],
        C("KEYS", "*", unordered=True),
        ScanAll(type="list", expect=["l"]),
        ScanAll(type="set", expect=["s"]),
        ScanAll(type="hash", expect=["h"]),
        ScanAll(type="zset", expect=["z"]),
        ScanAll(type="string", expect=["str"]),
        ["RENAME", "l", "l2"],
        ["LRANGE", "l2", 0, -1],
        ["COPY", "l2", "l3"],
        ["RPUSH", "l3", "4"],
        ["LRANGE", "l2", 0, -1],
        ["LRANGE", "l3", 0, -1],
        ["MOVE", "s", 1],
        ["SELECT", 1],
        ["TYPE", "s"],
        ["SELECT", 0],
        ["DEL", "l2", "h", "str"],
        ["EXISTS", "l2", "l3", "z"],
        ["EXPIRE", "z", 100],
        ["PERSIST", "z"],
    ],
    "sort_lists": [
        ["RPUSH", "l", "3", "1", "2", "10"],
        ["SORT", "l"],
        ["SORT", "l", "DESC"],
        ["SORT", "l", "ALPHA"],
        ["SORT", "l", "LIMIT", 1, 2],
        ["SORT", "l", "LIMIT", 0, -1],
        ["MSET", "w_1", "30", "w_2", "20", "w_3", "10", "w_10", "40"],
        ["SORT", "l", "BY", "w_*"],
        ["SORT", "l", "BY", "w_*", "DESC"],
        ["SORT", "l", "BY", "nosort"],
        ["MSET", "o_1", "one", "o_2", "two", "o_3", "three"],
        ["SORT", "l", "GET", "o_*"],
        ["SORT", "l", "GET", "#", "GET", "o_*"],
        ["SORT", "l", "BY", "w_*", "GET", "o_*", "STORE", "dst"],
        ["LRANGE", "dst", 0, -1],
        ["SORT_RO", "l", "BY", "w_*", "GET", "#"],
        ["HSET", "hh_1", "f", "5"],
        ["HSET", "hh_2", "f", "1"],
        ["SORT", "l", "BY", "hh_*->f", "GET", "hh_*->f"],
        ["RPUSH", "bad", "a", "b"],
        ["SORT", "bad"],
        ["SORT", "bad", "ALPHA"],
        ["SADD", "st", "5", "3", "9"],
        ["SORT", "st"],
        ["ZADD", "zs", 1, "c", 2, "a", 3, "b"],
        ["SORT", "zs", "ALPHA"],
        ["SORT", "zs", "BY", "nosort"],
    ],
    "collection_scans": [
        ["SADD", "s", *["m%d" % i for i in range(200)]],
        ScanAll("SSCAN", key="s", count=10),
        ScanAll("SSCAN", key="s", match="m1*"),
        ["HSET", "h", *[x for i in range(200) for x in ("f%d" % i, "v%d" % i)]],
        ScanAll("HSCAN", key="h", count=7),
        ["ZADD", "z", *[x for i in range(200) for x in (i, "z%d" % i)]],
        ScanAll("ZSCAN", key="z", count=3),
        ScanAll("SSCAN", key="missing"),
        ["SET", "str", "v"],
        ["SSCAN", "str", 0],
        ["HSCAN", "s", 0],
    ],
}


@pytest.mark.parametrize("proto", [2, 3])
@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_types_mixed(keel, oracle, name, proto):
    run_script(keel, oracle, SCRIPTS[name], hello3=(proto == 3))
