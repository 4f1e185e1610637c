"""Differential scripts: MULTI/EXEC/DISCARD/WATCH/UNWATCH against redis-server 7.0.15.

Single-connection scripts (queueing, EXECABORT, runtime errors inside EXEC, nesting errors) run
over RESP2 and RESP3; WATCH scripts use a second connection that writes the watched keys.
"""

import pytest

from diff.multiconn import Hello3, run_multi
from diff.runner import C, run_script

EXECABORT = b"-EXECABORT Transaction discarded because of previous errors.\r\n"

SCRIPTS = {
    "basic": [
        C("MULTI", expect=b"+OK\r\n"),
        C("SET", "a", "1", expect=b"+QUEUED\r\n"),
        ["INCR", "a"],
        ["GET", "a"],
        ["HSET", "h", "f", "v"],
        ["HGETALL", "h"],
        ["EXEC"],
        ["GET", "a"],
        ["MULTI"],
        ["EXEC"],
    ],
    "runtime_errors": [
        ["SET", "s", "x"],
        ["MULTI"],
        ["INCR", "s"],
        ["LPUSH", "s", "v"],
        ["SET", "t", "1"],
        ["INCRBYFLOAT", "t", "abc"],
        ["GET", "t"],
        ["EXEC"],
    ],
    "execabort": [
        ["MULTI"],
        ["SET", "a", "1"],
        ["SET", "a"],
        ["NOSUCHCOMMAND", "x"],
        ["CONFIG", "NOSUCH"],
        ["GET", "a"],
        C("EXEC", expect=EXECABORT),
        ["GET", "a"],
        ["MULTI"],
        ["FOO"],
        ["DISCARD"],
        ["EXEC"],
    ],
    "nesting_and_misuse": [
        C("EXEC", expect=b"-ERR EXEC without MULTI\r\n"),
        ["DISCARD"],
        ["MULTI"],
        C("MULTI", expect=b"-ERR MULTI calls can not be nested\r\n"),
        C("WATCH", "k", expect=b"-ERR WATCH inside MULTI is not allowed\r\n"),
        ["SET", "k", "v"],
        ["EXEC"],
        ["MULTI"],
        ["UNWATCH"],
        ["PING"],
        ["ECHO", "x"],
        ["EXEC"],
        ["WATCH"],
        ["MULTI", "extra"],
        ["EXEC", "extra"],
        ["DISCARD", "extra"],
    ],
    "discard": [
        ["MULTI"],
        ["SET", "a", "1"],
        ["DISCARD"],
        ["GET", "a"],
        ["EXEC"],
    ],
    "blocking_inside_multi": [
        ["MULTI"],
        ["BLPOP", "nolist", "0"],
        ["BRPOP", "nolist", "1"],
        ["BLMOVE", "nolist", "dst", "LEFT", "RIGHT", "0"],
        ["BZPOPMIN", "nozset", "0"],
        ["RPUSH", "l", "a", "b"],
        ["BLPOP", "l", "0"],
        ["EXEC"],
    ],
    "watch_own_writes": [
        ["WATCH", "a", "b"],
        ["SET", "a", "1"],
        ["MULTI"],
        ["GET", "a"],
        ["EXEC"],
        ["WATCH", "a"],
        ["MULTI"],
        ["SET", "a", "2"],
        ["EXEC"],
        ["WATCH", "a"],
        ["UNWATCH"],
        ["SET", "a", "3"],
        ["MULTI"],
        ["GET", "a"],
        ["EXEC"],
        ["WATCH", "missing"],
        ["DEL", "missing"],
        ["MULTI"],
        ["PING"],
        ["EXEC"],
    ],
    "watch_flush_swap": [
        ["SET", "a", "1"],
        ["WATCH", "a"],
        ["FLUSHDB"],
        ["MULTI"],
        ["PING"],
        ["EXEC"],
        ["WATCH", "gone"],
        ["FLUSHALL"],
        ["MULTI"],
        ["PING"],
        ["EXEC"],
        ["SELECT", "1"],
        ["SET", "x", "1"],
        ["SELECT", "0"],
        ["WATCH", "x"],
        ["SWAPDB", "0", "1"],
        ["MULTI"],
        ["PING"],
        ["EXEC"],
        ["WATCH", "nowhere"],
        ["SWAPDB", "0", "1"],
        ["MULTI"],
        ["PING"],
        ["EXEC"],
    ],
}


@pytest.mark.parametrize("proto", [2, 3])
@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_multi(keel, oracle, name, proto):
    run_script(keel, oracle, SCRIPTS[name], hello3=(proto == 3))


# Two connections: 1 runs the transaction, 2 writes.
MULTI_CONN = {
    "watch_other_client_write": [
        (1, "SET", "k", "v0"),
        (1, "WATCH", "k"),
        (2, "SET", "k", "v1"),
        (1, "MULTI"),
        (1, "SET", "k", "mine"),
        (1, "EXEC"),
        (1, "GET", "k"),
        (1, "WATCH", "k"),
        (1, "MULTI"),
        (2, "SET", "k", "v2"),
        (1, "SET", "k", "mine"),
        (1, "EXEC"),
        (1, "WATCH", "k", "other"),
        (2, "GET", "k"),
        (2, "SET", "unrelated", "x"),
        (1, "MULTI"),
        (1, "INCR", "counter"),
        (1, "EXEC"),
    ],
    "watch_other_db": [
        (1, "WATCH", "k"),
        (2, "SELECT", "1"),
        (2, "SET", "k", "v"),
        (1, "MULTI"),
        (1, "PING"),
        (1, "EXEC"),
        (1, "SELECT", "1"),
        (1, "WATCH", "k"),
        (2, "DEL", "k"),
        (1, "MULTI"),
        (1, "PING"),
        (1, "EXEC"),
    ],
    "watch_types": [
        (1, "RPUSH", "l", "a"),
        (1, "SADD", "s", "a"),
        (1, "ZADD", "z", "1", "a"),
        (1, "HSET", "h", "f", "v"),
        (1, "WATCH", "l", "s", "z", "h"),
        (2, "SADD", "s", "a"),
        (1, "MULTI"),
        (1, "PING"),
        (1, "EXEC"),
        (1, "WATCH", "l", "s", "z", "h"),
        (2, "ZINCRBY", "z", "1", "a"),
        (1, "MULTI"),
        (1, "PING"),
        (1, "EXEC"),
        (1, "WATCH", "h"),
        (2, "HDEL", "h", "f"),
        (1, "MULTI"),
        (1, "PING"),
        (1, "EXEC"),
        (1, "WATCH", "l"),
        (2, "EXPIRE", "l", "100"),
        (1, "MULTI"),
        (1, "PING"),
        (1, "EXEC"),
    ],
    "exec_wakes_blocked_client": [
        (2, "CLIENT", "SETNAME", "blocker"),
        ("send", 2, "BLPOP", "q", "0"),
        (1, "MULTI"),
        (1, "RPUSH", "q", "a", "b"),
        (1, "LLEN", "q"),
        (1, "EXEC"),
        ("read", 2),
        (1, "LRANGE", "q", "0", "-1"),
    ],
    "resp3_exec_null": [
        ("hello3", 1),
        (1, "WATCH", "k"),
        (2, "SET", "k", "1"),
        (1, "MULTI"),
        (1, "GET", "k"),
        (1, "EXEC"),
        (1, "MULTI"),
        (1, "GET", "k"),
        (1, "FOO"),
        (1, "EXEC"),
    ],
    # Redis checks EXEC with its queued commands' flags when EXEC runs (unit/multi "exec with
    # write commands and state change", "... stale replica state change"): a write refused by
    # min-replicas-to-write set after queueing, a read on a replica gone stale.
    "state_change_at_exec": [
        (1, "SET", "xx", "1"),
        (1, "MULTI"),
        (1, "INCR", "xx"),
        (2, "CONFIG", "SET", "min-replicas-to-write", "2"),
        (1, "EXEC"),
        (1, "GET", "xx"),
        (1, "MULTI"),
        (1, "GET", "xx"),
        (1, "EXEC"),                       # read-only: runs
        (2, "CONFIG", "SET", "min-replicas-to-write", "0"),
        (1, "CONFIG", "SET", "replica-serve-stale-data", "no"),
        (1, "MULTI"),
        (1, "GET", "xx"),
        (2, "REPLICAOF", "localhsot", "0"),
        (1, "EXEC"),
        (2, "REPLICAOF", "NO", "ONE"),
        (1, "MULTI"),
        (1, "PING"),
        (2, "REPLICAOF", "localhsot", "0"),
        (1, "EXEC"),
        (1, "MULTI"),
        (2, "REPLICAOF", "NO", "ONE"),
        (1, "GET", "xx"),
        (1, "EXEC"),
        (1, "CONFIG", "SET", "replica-serve-stale-data", "yes"),
    ],
    "reset_discards": [
        (1, "WATCH", "k"),
        (1, "MULTI"),
        (1, "SET", "k", "1"),
        (1, "RESET"),
        (1, "EXEC"),
        (1, "GET", "k"),
        (1, "MULTI"),
        (1, "GET", "k"),
        (1, "EXEC"),
    ],
}


def _steps(script):
    from diff.multiconn import Read, Send
    out = []
    for step in script:
        if step[0] == "send":
            out.append(Send(step[1], *step[2:], replies=0))
        elif step[0] == "read":
            out.append(Read(step[1]))
        elif step[0] == "hello3":
            out.append(Hello3(step[1]))
        else:
            out.append(step)
    return out


@pytest.mark.parametrize("name", sorted(MULTI_CONN))
def test_multi_two_clients(keel, oracle, name):
    run_multi(keel, oracle, _steps(MULTI_CONN[name]))


# Connection 2 moves maxmemory while connection 1 has a transaction open.
OOM_SCRIPT = [
    (1, "SET", "big", "x" * 1000),
    (1, "MULTI"),
    (1, "SET", "a", "1"),
    (2, "CONFIG", "SET", "maxmemory", "1"),
    (1, "EXEC"),                       # holds a denyoom command: refused
    (1, "MULTI"),
    (1, "GET", "a"),                   # anything queued is refused while over the limit
    (1, "PING"),
    (1, "EXEC"),
    (1, "MULTI"),
    (1, "DISCARD"),
    (2, "CONFIG", "SET", "maxmemory", "0"),
    (1, "MULTI"),
    (1, "GET", "a"),
    (2, "CONFIG", "SET", "maxmemory", "1"),
    (1, "EXEC"),                       # read-only transaction: runs
    (2, "CONFIG", "SET", "maxmemory", "0"),
]


def test_multi_over_maxmemory(start_server, oracle_bin):
    keel = start_server(["--maxmemory-policy", "noeviction"])
    redis = start_server(["--maxmemory-policy", "noeviction"], binary=oracle_bin)
    run_multi(keel, redis, OOM_SCRIPT)
