"""Scripts and functions that write, refused as Redis refuses them (the suite's
integration/replication-4 min-slaves tests): on a primary short of min-replicas-to-write good
replicas (-NOREPLICAS) and on a read-only replica (-READONLY), both for scripts without flags
(checked at their first write, by redis.call) and for scripts and functions with flags
(checked before they run). Each reply is compared with redis-server's."""

import pytest

from helpers import ORACLE_SERVER, keel_binary, wait_until

LIB = """#!lua name=lib
redis.register_function{function_name='f_default', callback=function(keys, args) return redis.call('get', keys[1]) end, flags={}}
redis.register_function{function_name='f_no_writes', callback=function(keys, args) return redis.call('get', keys[1]) end, flags={'no-writes'}}
"""

CALLS = [
    ("EVAL", "return redis.call('set', 'foo', 'bar')", 0),
    ("EVAL", "redis.call('get', 'foo'); return redis.call('set', 'foo', 'bar')", 0),
    ("EVAL", "return redis.pcall('set', 'foo', 'bar')", 0),
    ("EVAL", "return redis.call('get', 'foo')", 0),
    ("EVAL", "#!lua\nreturn redis.call('get', 'foo')", 0),
    ("EVAL", "#!lua flags=no-writes\nreturn redis.call('get', 'foo')", 0),
    ("FCALL", "f_default", 1, "foo"),
    ("FCALL", "f_no_writes", 1, "foo"),
    ("FCALL_RO", "f_no_writes", 1, "foo"),
    ("SET", "foo", "baz"),
]


def outcome(c, call):
    try:
        return ("ok", c.execute_command(*call))
    except Exception as e:   # noqa: BLE001 - the error reply is the point
        return ("err", str(e))


def run_calls(start_server, binary, replica_mode):
    primary = start_server(["--repl-diskless-sync-delay", "0"], binary=binary)
    p = primary.client()
    p.execute_command("FUNCTION", "LOAD", LIB)
    p.set("foo", "v0")
    if replica_mode:
        replica = start_server([], binary=binary)
        r = replica.client()
        r.execute_command("REPLICAOF", "127.0.0.1", primary.port)
        wait_until(lambda: r.info("replication")["master_link_status"] == "up" and r.get("foo") == b"v0",
                   20, interval=0.05, what="the replica to sync")
        target = r
    else:
        p.config_set("min-replicas-max-lag", 3)
        p.config_set("min-replicas-to-write", 1)
        target = p
    out = [outcome(target, call) for call in CALLS]
    out.append(("value", target.get("foo")))
    return out


@pytest.mark.parametrize("replica_mode", [False, True], ids=["noreplicas", "readonly-replica"])
def test_script_writes_refused(start_server, replica_mode):
    keel = run_calls(start_server, keel_binary(), replica_mode)
    redis = run_calls(start_server, ORACLE_SERVER, replica_mode)
    assert keel == redis
    errors = [o[1] for o in keel if o[0] == "err"]
    # redis-py turns -READONLY into ReadOnlyError, whose text lacks the code.
    expected = "read only replica" if replica_mode else "NOREPLICAS Not enough good replicas"
    assert sum(expected in e for e in errors) == 6
