"""Differential scripts: pub/sub and keyspace notifications against redis-server 7.0.15.

Each script uses several connections per server (diff/multiconn.py): subscribers read the
frames pushed to them and the exact sequence of frames is compared byte for byte, in RESP2 and
(Hello3) RESP3. Replies whose order is a hash-table order in Redis (UNSUBSCRIBE with no
argument, PUBSUB CHANNELS) are compared as multisets.
"""

import pytest

from diff.multiconn import Hello3, Read, ReadUntil, Send, Unordered, run_multi

ONLY_SUB = (b"-ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / "
            b"RESET are allowed in this context\r\n")


def channels_scripts():
    return {
        "subscribe_publish": [
            Send(1, "SUBSCRIBE", "a", "b", "a", replies=3),
            (2, "PUBLISH", "a", "hello"),
            Read(1),
            (2, "PUBLISH", "b", "x\r\ny"),
            (2, "PUBLISH", "c", "nobody"),
            Read(1),
            (2, "PUBSUB", "NUMSUB", "a", "b", "c"),
            (2, "PUBSUB", "NUMPAT"),
            Unordered(2, "PUBSUB", "CHANNELS"),
            (2, "PUBSUB", "CHANNELS", "a*"),
            Send(1, "UNSUBSCRIBE", "a", "zz", replies=2),
            (2, "PUBLISH", "a", "gone"),
            Send(1, "UNSUBSCRIBE", replies=1),
            Send(1, "UNSUBSCRIBE", replies=1),
            (1, "GET", "k"),
        ],
        "subscriber_mode_rules": [
            Send(1, "SUBSCRIBE", "a", replies=1),
            (1, "GET", "k"),
            (1, "PING"),
            (1, "PING", "hi"),
            (1, "SET", "k", "v"),
            (1, "CLIENT", "ID"),
            Send(1, "PSUBSCRIBE", "p*", replies=1),
            Send(1, "PUNSUBSCRIBE", replies=1),
            Send(1, "UNSUBSCRIBE", "a", replies=1),
            (1, "GET", "k"),
            (1, "SUBSCRIBE"),
            (1, "PSUBSCRIBE"),
            (1, "PUBLISH", "a"),
        ],
        "patterns": [
            Send(1, "PSUBSCRIBE", "news.*", "h?llo", replies=2),
            Send(2, "SUBSCRIBE", "news.tech", replies=1),
            Send(2, "PSUBSCRIBE", "news.*", replies=1),
            (3, "PUBLISH", "news.tech", "m1"),
            Read(1),
            Read(2, 2),
            (3, "PUBLISH", "hello", "m2"),
            Read(1),
            (3, "PUBLISH", "hxllo", "m3"),
            Read(1),
            (3, "PUBSUB", "NUMPAT"),
            (3, "PUBSUB", "NUMSUB", "news.tech", "news.*"),
            Send(1, "PUNSUBSCRIBE", "h?llo", replies=1),
            (3, "PUBLISH", "hello", "m4"),
            (3, "PUBSUB", "NUMPAT"),
            Send(2, "UNSUBSCRIBE", replies=1),
            Send(2, "PUNSUBSCRIBE", replies=1),
        ],
        "order_many_messages": [
            Send(1, "SUBSCRIBE", "q", replies=1),
            Send(2, "SUBSCRIBE", "q", replies=1),
            *[(3, "PUBLISH", "q", "msg%d" % i) for i in range(20)],
            Read(1, 20),
            Read(2, 20),
        ],
        "shard_channels": [
            Send(1, "SSUBSCRIBE", "s1", "s2", replies=2),
            Send(1, "SUBSCRIBE", "c1", replies=1),
            (2, "SPUBLISH", "s1", "hi"),
            Read(1),
            (2, "PUBLISH", "s1", "not-shard"),
            (2, "PUBSUB", "SHARDNUMSUB", "s1", "s3"),
            Unordered(2, "PUBSUB", "SHARDCHANNELS"),
            (2, "PUBSUB", "SHARDCHANNELS", "*2"),
            Send(1, "SUNSUBSCRIBE", "s1", replies=1),
            Unordered(1, "SUNSUBSCRIBE", replies=1),
            Send(1, "SUNSUBSCRIBE", replies=1),
            Send(1, "UNSUBSCRIBE", replies=1),
            (1, "GET", "k"),
        ],
        "pubsub_errors": [
            (1, "PUBSUB"),
            (1, "PUBSUB", "NOPE"),
            (1, "PUBSUB", "CHANNELS", "a", "b"),
            (1, "PUBSUB", "NUMPAT", "x"),
            (1, "PUBSUB", "NUMSUB"),
            (1, "PUBSUB", "SHARDNUMSUB"),
            (1, "PUBSUB", "HELP"),
            (1, "PUBLISH", "a", "b", "c"),
            (1, "SPUBLISH", "a"),
            Send(1, "UNSUBSCRIBE", "x", "y", replies=2),
            Send(1, "PUNSUBSCRIBE", replies=1),
            (1, "GET", "k"),
        ],
        "resp3_push": [
            Hello3(1),
            Send(1, "SUBSCRIBE", "a", replies=1),
            Send(1, "PSUBSCRIBE", "a*", replies=1),
            (1, "GET", "k"),
            (1, "SET", "k", "v"),
            (2, "PUBLISH", "a", "m"),
            Read(1, 2),
            Send(1, "UNSUBSCRIBE", "a", replies=1),
            Send(1, "PUNSUBSCRIBE", replies=1),
            Send(1, "UNSUBSCRIBE", replies=1),
            (1, "PING"),
        ],
        "reset_leaves_subscriber_mode": [
            Send(1, "SUBSCRIBE", "a", replies=1),
            Send(1, "PSUBSCRIBE", "b*", replies=1),
            (1, "RESET"),
            (1, "GET", "k"),
            (2, "PUBLISH", "a", "x"),
            (2, "PUBSUB", "NUMPAT"),
        ],
        "reply_off_still_pushes": [
            Send(1, "CLIENT", "REPLY", "OFF", replies=0),
            Send(1, "SUBSCRIBE", "a", replies=1),
            (2, "PUBLISH", "a", "x"),
            Read(1),
            Send(1, "UNSUBSCRIBE", replies=1),
            Send(1, "CLIENT", "REPLY", "ON", replies=1),
            (1, "PING"),
        ],
        "subscribe_inside_multi": [
            (1, "MULTI"),
            (1, "SUBSCRIBE", "a"),
            (1, "EXEC"),
            (2, "PUBLISH", "a", "x"),
            Read(1),
        ],
    }


def notify(conn, flags):
    return (conn, "CONFIG", "SET", "notify-keyspace-events", flags)


def keyspace_scripts():
    """Keyspace notifications: a subscriber on __key*__:* reads every event the writes fire."""
    def with_events(flags, writes):
        return [
            notify(2, flags),
            Send(1, "PSUBSCRIBE", "__key*__:*", replies=1),
            Send(1, "SUBSCRIBE", "end-marker", replies=1),
            *[(2, *w) for w in writes],
            (2, "PUBLISH", "end-marker", "done"),
            ReadUntil(1, b"end-marker"),
            notify(2, ""),
        ]
    return {
        "ks_strings": with_events("KEA", [
            ("SET", "s", "1"), ("INCR", "s"), ("INCRBYFLOAT", "s", "1.5"), ("APPEND", "s", "x"),
            ("SETRANGE", "s", "0", "ab"), ("GETDEL", "s"), ("SET", "t", "v", "EX", "100"),
            ("PERSIST", "t"), ("EXPIRE", "t", "100"), ("DEL", "t"), ("MSET", "a", "1", "b", "2"),
        ]),
        "ks_keys": with_events("KEA", [
            ("SET", "a", "1"), ("RENAME", "a", "b"), ("COPY", "b", "c"), ("MOVE", "c", "1"),
            ("UNLINK", "b"),
        ]),
        "ks_lists": with_events("KEA", [
            ("RPUSH", "l", "a", "b", "c"), ("LPUSH", "l", "z"), ("LPOP", "l"), ("RPOP", "l"),
            ("LSET", "l", "0", "q"), ("LINSERT", "l", "BEFORE", "q", "p"), ("LTRIM", "l", "0", "0"),
            ("LMOVE", "l", "m", "LEFT", "RIGHT"),
        ]),
        "ks_hash_set_zset": with_events("KEA", [
            ("HSET", "h", "f", "v"), ("HINCRBY", "h", "n", "1"), ("HDEL", "h", "f", "n"),
            ("SADD", "s", "a", "b"), ("SREM", "s", "a"), ("SPOP", "s"),
            ("ZADD", "z", "1", "a", "2", "b"), ("ZINCRBY", "z", "1", "a"), ("ZREM", "z", "a"),
            ("ZPOPMIN", "z"),
        ]),
        "ks_stores_and_moves": with_events("KEA", [
            ("SADD", "s1", "a", "b"), ("SADD", "s2", "b", "c"), ("SINTERSTORE", "si", "s1", "s2"),
            ("SUNIONSTORE", "su", "s1", "s2"), ("SDIFFSTORE", "sd", "s1", "s2"),
            ("SINTERSTORE", "si", "s1", "nokey"), ("SMOVE", "s1", "s2", "a"), ("SREM", "sd", "a"),
            ("ZADD", "z1", "1", "a", "2", "b"), ("ZUNIONSTORE", "zu", "1", "z1"),
            ("ZINTERSTORE", "zi", "2", "z1", "zu"), ("ZRANGESTORE", "zr", "z1", "0", "0"),
            ("ZREMRANGEBYSCORE", "z1", "0", "1"), ("ZREMRANGEBYRANK", "z1", "0", "-1"),
            ("RPUSH", "l1", "x", "y"), ("RPOPLPUSH", "l1", "l2"), ("LREM", "l1", "0", "x"),
            ("LMPOP", "1", "l2", "LEFT"), ("SORT", "s2", "ALPHA", "STORE", "sorted"),
            ("COPY", "sorted", "zu", "REPLACE"), ("RENAME", "zu", "zu"),
        ]),
        "ks_strings_more": with_events("KEA", [
            ("SETEX", "a", "100", "v"), ("PSETEX", "b", "100000", "v"), ("GETEX", "a", "PERSIST"),
            ("GETEX", "b", "EX", "50"), ("GETSET", "a", "w"), ("SETNX", "a", "x"), ("SETNX", "c", "x"),
            ("MSETNX", "d", "1", "e", "2"), ("INCRBY", "n", "5"), ("DECR", "n"), ("DECRBY", "n", "2"),
            ("SETBIT", "bits", "7", "1"), ("BITOP", "NOT", "dest", "bits"),
            ("BITFIELD", "bf", "SET", "u8", "0", "255"), ("SET", "a", "1", "KEEPTTL"),
            ("EXPIRE", "a", "-1"), ("PEXPIREAT", "b", "1"), ("DEL", "c", "d", "e", "nokey"),
        ]),
        "ks_hash_more": with_events("KEA", [
            ("HSETNX", "h", "f", "1"), ("HSETNX", "h", "f", "2"), ("HMSET", "h", "a", "1", "b", "2"),
            ("HINCRBYFLOAT", "h", "a", "1.5"), ("HDEL", "h", "f", "a", "b"),
            ("SADD", "s", "m"), ("SPOP", "s", "5"), ("ZADD", "z", "1", "m"), ("ZPOPMAX", "z"),
            ("ZADD", "z", "INCR", "1", "q"), ("ZADD", "z", "NX", "1", "q"), ("ZMPOP", "1", "z", "MIN"),
        ]),
        "ks_only_keyevent_generic": with_events("Eg", [
            ("SET", "a", "1"), ("DEL", "a"), ("SET", "b", "1"), ("EXPIRE", "b", "10"),
            ("RENAME", "b", "c"),
        ]),
        "ks_new_keys": with_events("KEAn", [
            ("SET", "a", "1"), ("SET", "a", "2"), ("RPUSH", "l", "x"), ("RPUSH", "l", "y"),
            ("HSET", "h", "f", "v"), ("SADD", "s", "m"), ("ZADD", "z", "1", "m"),
            ("INCR", "n"), ("SETBIT", "b", "1", "1"), ("PFADD", "p", "x"), ("XADD", "x", "1-1", "f", "v"),
            ("RENAME", "a", "a2"), ("COPY", "a2", "a3"), ("MOVE", "a3", "1"),
            ("SUNIONSTORE", "s2", "s"), ("ZUNIONSTORE", "z2", "1", "z"), ("LMOVE", "l", "l2", "LEFT", "LEFT"),
        ]),
        "ks_only_keyspace_string": with_events("K$", [
            ("SET", "a", "1"), ("DEL", "a"), ("INCR", "n"),
        ]),
    }


SCRIPTS = {**channels_scripts(), **keyspace_scripts()}


@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_pubsub(keel, oracle, name):
    run_multi(keel, oracle, SCRIPTS[name])
