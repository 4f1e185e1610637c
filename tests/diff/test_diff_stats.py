"""Differential tests of INFO commandstats' failed_calls, found with Redis's unit/info: a
transaction's or a blocked command's errors are charged as redis-server 7.0.15 charges them.
Times vary, so calls, rejected_calls and failed_calls are compared, not usec. Also the dirty
counter (rdb_changes_since_last_save) of bit writes, from unit/bitops."""

import redis

from helpers import wait_until


def _stats(client, *names):
    info = client.info("commandstats")
    out = {}
    for name in names:
        row = info.get("cmdstat_" + name, {})
        out[name] = {k: row.get(k) for k in ("calls", "rejected_calls", "failed_calls")}
    return out


def _multi_with_failing_command(server):
    client = server.client()
    client.config_resetstat()
    client.execute_command("MULTI")
    client.execute_command("SET", "a", "b")
    client.execute_command("AUTH", "a")
    replies = client.execute_command("EXEC")
    assert isinstance(replies[1], redis.ResponseError)
    first = _stats(client, "set", "auth", "exec")
    try:
        client.execute_command("EXEC")
    except redis.ResponseError:
        pass
    second = _stats(client, "exec")
    errors = client.info("stats")["total_error_replies"]
    client.close()
    return first, second, errors


def _unblocked_with_error(server):
    client = server.client()
    client.config_resetstat()
    blocked = server.client()
    blocked_id = blocked.client_id()
    client.delete("list1")
    conn = blocked.connection_pool.get_connection("BLPOP")
    conn.send_command("BLPOP", "list1", "0")
    wait_until(lambda: client.info("clients")["blocked_clients"] == 1, 10, what="BLPOP blocked")
    assert client.client_unblock(blocked_id, error=True)
    try:
        conn.read_response()
        raise AssertionError("BLPOP was not unblocked with an error")
    except redis.ResponseError as e:
        assert str(e).startswith("UNBLOCKED")
    blocked.connection_pool.release(conn)
    stats = _stats(client, "blpop")
    blocked.close()
    client.close()
    return stats


def test_failed_calls_in_multi(keel, oracle):
    assert _multi_with_failing_command(keel) == _multi_with_failing_command(oracle)


def test_failed_calls_of_unblocked_command(keel, oracle):
    assert _unblocked_with_error(keel) == _unblocked_with_error(oracle)


def _blocked_while_paused(server):
    client = server.client()
    held = server.client()
    conn = held.connection_pool.get_connection("SET")
    try:
        client.execute_command("CLIENT", "PAUSE", "100000", "WRITE")
        conn.send_command("SET", "k", "v")
        count = wait_until(lambda: client.info("clients")["blocked_clients"], 10,
                           what="the paused SET counted as blocked")
        client.execute_command("CLIENT", "UNPAUSE")
        assert conn.read_response() == b"OK"
        after = client.info("clients")["blocked_clients"]
    finally:
        client.execute_command("CLIENT", "UNPAUSE")
        held.connection_pool.release(conn)
        held.close()
        client.close()
    return count, after


def test_paused_client_counts_as_blocked(keel, oracle):
    """INFO blocked_clients includes clients held by CLIENT PAUSE (Redis's unit/pause waits
    for that count)."""
    assert _blocked_while_paused(keel) == _blocked_while_paused(oracle) == (1, 0)


def _exec_of_write_held_by_pause(server):
    client = server.client()
    tx = server.client()
    conn = tx.connection_pool.get_connection("MULTI")
    try:
        conn.send_command("MULTI")
        conn.read_response()
        conn.send_command("SET", "foo", "bar")
        queued = conn.read_response()
        client.execute_command("CLIENT", "PAUSE", "100000", "WRITE")
        conn.send_command("EXEC")
        blocked = wait_until(lambda: client.info("clients")["blocked_clients"], 10,
                             what="EXEC held by the pause")
        unset = client.get("foo")       # the transaction has not run yet
        client.execute_command("CLIENT", "UNPAUSE")
        reply = conn.read_response()
    finally:
        client.execute_command("CLIENT", "UNPAUSE")
        tx.connection_pool.release(conn)
        tx.close()
        client.close()
    return queued, blocked, unset, reply


def test_exec_of_writes_held_by_write_pause(keel, oracle):
    """CLIENT PAUSE WRITE holds EXEC of a transaction that queued a write (Redis's unit/pause)."""
    assert _exec_of_write_held_by_pause(keel) == _exec_of_write_held_by_pause(oracle)


def _dirty_after_bit_writes(server):
    """rdb_changes_since_last_save after each SETBIT/BITFIELD: a write counts only when it
    changes a value (or creates or grows it); BITFIELD counts each changing write."""
    conn = server.raw()
    try:
        steps = [("SETBIT", "b", "0", "0"), ("BITFIELD", "f", "SET", "i5", "0", "0"),
                 ("SETBIT", "b", "0", "0"), ("BITFIELD", "f", "SET", "i5", "0", "0"),
                 ("SETBIT", "b", "0", "1"), ("SETBIT", "b", "0", "1"), ("SETBIT", "b", "100", "0"),
                 ("BITFIELD", "f", "SET", "i5", "0", "1"), ("BITFIELD", "f", "SET", "i5", "0", "1"),
                 ("BITFIELD", "f", "INCRBY", "u8", "0", "0"), ("BITFIELD", "f", "SET", "i5", "0", "-3"),
                 ("BITFIELD", "f", "SET", "i5", "0", "-3", "SET", "u8", "0", "7", "SET", "u8", "8", "1"),
                 ("BITFIELD", "f", "OVERFLOW", "FAIL", "INCRBY", "u2", "0", "100"),
                 ("BITFIELD", "f", "SET", "u64", "64", "0")]
        def dirty():
            info = conn.call("INFO", "persistence").payload.decode()
            return int(info.split("rdb_changes_since_last_save:")[1].split("\r\n")[0])
        base = dirty()
        seen = []
        for step in steps:
            conn.call(*step)
            seen.append(dirty() - base)
        return seen
    finally:
        conn.close()


def test_bit_writes_count_only_changes(keel, oracle):
    assert _dirty_after_bit_writes(keel) == _dirty_after_bit_writes(oracle)


SCRIPT_ERROR_CASES = [
    (1, "EVAL", "return redis.call('set','x','y')", 1, "x"),
    (1, "EVAL", "local t = redis.pcall('set','x','y'); if t['err'] then return 1 end return 0", 1, "x"),
    (1, "EVAL", "return redis.pcall('set','x','y')", 1, "x"),
    (0, "EVAL", "return redis.call('select',99)", 0),
    (0, "EVAL", "local t = redis.pcall('select',99); if t['err'] then return 1 end return 0", 0),
    (0, "EVAL", "return redis.pcall('select',99)", 0),
    (0, "EVAL", "return redis.call('ping','a','b')", 0),
    (0, "EVAL", "return redis.call('nosuch')", 0),
    (0, "EVAL_RO", "return redis.call('set','x','1')", 1, "x"),
    (0, "EVAL", "return redis.error_reply('MY err')", 0),
    (0, "EVAL", "error('boom')", 0),
]


def _script_error_stats(server):
    """For each script (maxmemory 1 where the case says so): its reply or error, error stats,
    total_error_replies and the commandstats of the commands involved (Redis's unit/scripting
    "Consistent eval error reporting")."""
    client = server.client()
    seen = []
    try:
        for oom, *cmd in SCRIPT_ERROR_CASES:
            client.config_set("maxmemory", 1 if oom else 0)
            client.config_resetstat()
            try:
                out = client.execute_command(*cmd)
            except redis.ResponseError as e:
                out = str(e).split(" script:")[0]
            info = client.info("all")
            stats = {k: info[k] for k in info if k.startswith("errorstat_") or k == "total_error_replies"}
            stats.update(_stats(client, "set", "eval", "eval_ro", "select", "ping"))
            seen.append((out, stats))
        return seen
    finally:
        client.config_set("maxmemory", 0)
        client.close()


def test_script_error_stats(keel, oracle):
    """A command a script may not run (OOM, a write from a read-only script) is a rejected call
    of that command; EVAL fails when its reply is an error, even one already counted."""
    assert _script_error_stats(keel) == _script_error_stats(oracle)
