"""Lua scripting beyond single replies: long scripts (-BUSY, SCRIPT KILL, UNKILLABLE, SHUTDOWN
NOSAVE), atomicity, redis-py's script helpers, redis.log, and scripts with many arguments.

The busy scenarios run on Keel and on redis-server 7.0.15 with busy-reply-threshold 100 ms and
must observe the same replies. "The script is busy" is polled (PING until -BUSY), never slept.
"""

import pytest

from diff.resp import RespConnection, encode_command
from helpers import ORACLE_SERVER, wait_until

BUSY = b"-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.\r\n"
LOOP = "local i = 0 while true do i = i + 1 end"
WRITE_THEN_LOOP = "redis.call('set', 'w', '1') " + LOOP


def conn(server):
    return RespConnection(server.host, server.port, timeout=30)


def start_long_script(server, body):
    """Starts `body` on a new connection and waits until another connection gets -BUSY.
    Returns (script connection, other connection)."""
    other = conn(server)
    assert other.call("CONFIG", "SET", "busy-reply-threshold", "100").raw == b"+OK\r\n"
    runner = conn(server)
    # A pipelined PING behind the script: it must wait for the script, then run normally.
    runner.send_raw(encode_command(["EVAL", body, "0"]) + encode_command(["PING"]))
    wait_until(lambda: other.call("PING").raw == BUSY, timeout=20, interval=0.02, what="-BUSY")
    return runner, other


def kill_scenario(server):
    runner, other = start_long_script(server, LOOP)
    out = [other.call("GET", "x").raw]
    late = conn(server)   # connects while the script runs, like `redis-cli SCRIPT KILL`
    out.append(late.call("SCRIPT", "KILL").raw)
    late.close()
    reply = runner.read_reply().raw
    out.append(reply.split(b" script: ")[0])
    out.append(runner.read_reply().raw)
    out.append(other.call("SCRIPT", "KILL").raw)
    out.append(other.call("PING").raw)
    runner.close()
    other.close()
    return out


@pytest.mark.parametrize("binary", ["keel", "redis"])
def test_script_kill(start_server, keel_bin, binary):
    server = start_server(binary=keel_bin if binary == "keel" else ORACLE_SERVER)
    assert kill_scenario(server) == [
        BUSY, b"+OK\r\n", b"-ERR Script killed by user with SCRIPT KILL...", b"+PONG\r\n",
        b"-NOTBUSY No scripts in execution right now.\r\n", b"+PONG\r\n"]


@pytest.mark.parametrize("binary", ["keel", "redis"])
def test_unkillable_then_shutdown_nosave(start_server, keel_bin, binary):
    server = start_server(binary=keel_bin if binary == "keel" else ORACLE_SERVER)
    runner, other = start_long_script(server, WRITE_THEN_LOOP)
    assert other.call("SCRIPT", "KILL").raw.startswith(
        b"-UNKILLABLE Sorry the script already executed write commands against the dataset.")
    assert other.call("SHUTDOWN").raw == BUSY
    other.send_raw(encode_command(["SHUTDOWN", "NOSAVE"]))
    wait_until(lambda: not server.alive(), timeout=20, what="server exit after SHUTDOWN NOSAVE")
    runner.close()
    other.close()


def test_script_is_atomic_and_writes_are_visible(keel_client):
    r = keel_client
    script = "for i = 1, 1000 do redis.call('incr', KEYS[1]) end return redis.call('get', KEYS[1])"
    assert r.eval(script, 1, "n") == b"1000"
    assert r.get("n") == b"1000"
    # A failing call stops the script: later writes don't happen, earlier ones stay.
    with pytest.raises(Exception):
        r.eval("redis.call('set', 'a', '1') redis.call('incr', 'nohash', 'x') redis.call('set', 'b', '1')", 0)
    assert r.get("a") == b"1" and r.get("b") is None


def test_redis_py_register_script(keel_client):
    r = keel_client
    r.script_flush()
    add = r.register_script("return redis.call('incrby', KEYS[1], ARGV[1])")
    assert add(keys=["k"], args=[5]) == 5   # EVALSHA fails with NOSCRIPT, redis-py loads it
    assert add(keys=["k"], args=[7]) == 12
    assert r.script_exists(add.sha) == [True]


def test_select_inside_script_does_not_change_caller_db(keel_client):
    r = keel_client
    assert r.eval("redis.call('select', '3') redis.call('set', 'k', 'db3') return 1", 0) == 1
    assert r.get("k") is None
    r.execute_command("SELECT", "3")
    assert r.get("k") == b"db3"
    r.execute_command("FLUSHDB")
    r.execute_command("SELECT", "0")


def test_many_arguments_and_big_replies(keel_client):
    r = keel_client
    args = [str(i) for i in range(500)]
    assert r.eval("return redis.call('rpush', KEYS[1], unpack(ARGV))", 1, "l", *args) == 500
    assert r.eval("return redis.call('lrange', KEYS[1], 0, -1)", 1, "l") == [a.encode() for a in args]
    nested = "local t = {} local c = t for i = 1, 100 do c[1] = {} c = c[1] end return t"
    reply = r.eval(nested, 0)
    depth = 0
    while reply:
        reply = reply[0]
        depth += 1
    assert depth == 100


def test_cjson_round_trip(keel_client):
    r = keel_client
    assert r.eval("return cjson.encode(cjson.decode(ARGV[1]))", 0, '{"a":[1,2,3]}') == b'{"a":[1,2,3]}'


def test_redis_log_reaches_server_log(start_server, keel_bin):
    server = start_server(["--loglevel", "notice"])
    c = conn(server)
    assert c.call("EVAL", "redis.log(redis.LOG_WARNING, 'marker', 42)", "0").raw == b"$-1\r\n"
    c.close()

    def logged():
        with open(server.logfile, errors="replace") as f:
            return "marker 42" in f.read()

    wait_until(logged, timeout=5, what="redis.log line in the server log")


OOM_STEPS = [
    ["SET", "pre", "x"],
    ["CONFIG", "SET", "maxmemory", "1"],
    ["EVAL", "return redis.call('set','a','b')", "0"],
    ["EVAL", "return redis.pcall('set','a','b')", "0"],
    ["EVAL", "return redis.call('get','pre')", "0"],
    # After a first write the script is past the point of refusing: later writes run.
    ["EVAL", "redis.call('del','pre') return redis.call('set','a','b')", "0"],
    ["EVAL", "#!lua\nreturn 1", "0"],
    ["EVAL", "#!lua flags=no-writes\nreturn 1", "0"],
    ["EVAL", "#!lua flags=allow-oom\nreturn redis.call('set','a','b')", "0"],
    ["EVAL_RO", "return redis.call('get','a')", "0"],
]


def test_scripts_over_maxmemory_match_redis(start_server, keel_bin):
    """Servers of their own: the steps leave maxmemory at 1 byte."""
    replies = []
    for binary in (keel_bin, ORACLE_SERVER):
        c = conn(start_server(binary=binary))
        replies.append([c.call(*step).raw for step in OOM_STEPS])
        c.close()
    assert replies[0] == replies[1]
    assert replies[1][2].startswith(b"-OOM command not allowed when used memory > 'maxmemory'. script: ")


ERRORSTAT_SCRIPTS = [
    "return redis.call('incr','s')",
    "return redis.pcall('incr','s')",
    "local r = redis.pcall('incr','s') return 1",
    "error('x')",
    "return redis.call('nosuch')",
    "return redis.error_reply('MY e')",
    "return redis.sha1hex()",
    "return redis.pcall()",
    "return redis.call('setnx','x')",
]


def error_counts(server):
    c = conn(server)
    c.call("CONFIG", "RESETSTAT")
    c.call("SET", "s", "x")
    for body in ERRORSTAT_SCRIPTS:
        c.call("EVAL", body, "0")
    c.call("EVAL_RO", "return redis.call('set','x','y')", "0")
    stats = c.call("INFO", "errorstats").to_py()
    total = [line for line in c.call("INFO", "stats").to_py().split(b"\r\n") if line.startswith(b"total_error")]
    c.close()
    return stats, total


def test_error_stats_count_script_errors_once(keel, oracle):
    """An error from a command inside a script is counted once, not again when the script
    fails with it (Redis's ignore_error_stats_update)."""
    assert error_counts(keel) == error_counts(oracle)
    assert b"errorstat_ERR:count=9" in error_counts(keel)[0]


def raw_reply_bytes(server, body):
    """The raw bytes of EVAL body's reply (read up to a PING's reply sent behind it): deep
    replies are compared as bytes, without a recursive parser."""
    import socket
    s = socket.create_connection((server.host, server.port), timeout=30)
    s.sendall(encode_command(["EVAL", body, "0"]) + encode_command(["PING"]))
    data = b""
    while not data.endswith(b"+PONG\r\n"):
        chunk = s.recv(1 << 20)
        assert chunk, "connection closed"
        data += chunk
    s.close()
    return data


@pytest.mark.parametrize("body", [
    "local t = {} t[1] = t return t",               # cyclic: ends at Lua's stack limit
    "local t = {} t[1] = t t[2] = 5 return t",
    "local t = {} for i = 1, 300 do t = {t} end return t",
])
def test_deep_and_cyclic_replies_match_redis(keel, oracle, body):
    assert raw_reply_bytes(keel, body) == raw_reply_bytes(oracle, body)


def monitor_lines(server):
    """What MONITOR shows for a few scripts, without timestamps and client addresses."""
    mon = conn(server)
    assert mon.call("MONITOR").raw == b"+OK\r\n"
    c = conn(server)
    c.call("EVAL", "redis.call('set','a','b') return redis.call('get','a')", "1", "k")
    c.call("EVAL_RO", "return redis.call('get','a')", "0")
    c.call("EVALSHA", "ffffffffffffffffffffffffffffffffffffffff", "0")
    c.call("EVAL", "return 1", "x")
    c.call("PING")
    lines = []
    while not lines or lines[-1].lower() != b'"ping"':
        line = mon.read_reply().to_py()
        lines.append(line.split(b"] ", 1)[1] if b"lua]" not in line else b"lua " + line.split(b"] ", 1)[1])
    c.close()
    mon.close()
    return lines


def test_monitor_shows_eval_then_its_commands(keel, oracle):
    assert monitor_lines(keel) == monitor_lines(oracle)
    assert monitor_lines(keel)[:3] == [
        b'"EVAL" "redis.call(\'set\',\'a\',\'b\') return redis.call(\'get\',\'a\')" "1" "k"',
        b'lua "set" "a" "b"', b'lua "get" "a"']


def watch_scenario(server):
    a, b = conn(server), conn(server)
    out = [a.call("SET", "w", "1").raw, a.call("WATCH", "w").raw]
    out.append(b.call("EVAL", "return redis.call('incr', KEYS[1])", "1", "w").raw)
    out += [a.call("MULTI").raw, a.call("GET", "w").raw, a.call("EXEC").raw]
    # A script that only reads the key doesn't touch the WATCH.
    out += [a.call("WATCH", "w").raw, b.call("EVAL", "return redis.call('get', KEYS[1])", "1", "w").raw]
    out += [a.call("MULTI").raw, a.call("GET", "w").raw, a.call("EXEC").raw]
    a.close()
    b.close()
    return out


def test_script_writes_invalidate_watch(keel, oracle):
    out = watch_scenario(keel)
    assert out == watch_scenario(oracle)
    assert out[5] == b"*-1\r\n" and out[-1] == b"*1\r\n$1\r\n2\r\n"


def test_stale_replica_refuses_scripts_as_redis(start_server, keel_bin):
    """replica-serve-stale-data no with the link down (a primary that never answers): a script
    without shebang gets MASTERDOWN, a shebang one needs allow-stale, and inside it redis.call
    refuses commands without the stale flag (the suite's "allow-stale shebang flag")."""
    from helpers import free_port
    outs = []
    for binary in (keel_bin, ORACLE_SERVER):
        c = conn(start_server(binary=binary))
        out = [c.call("CONFIG", "SET", "replica-serve-stale-data", "no").raw,
               c.call("REPLICAOF", "127.0.0.1", str(free_port())).raw]
        for body, nkeys in [("return redis.call('get','x')", 1), ("#!lua flags=no-writes\nreturn 1", 0),
                            ("#!lua flags=allow-stale,no-writes\nreturn 1", 0),
                            ("#!lua flags=allow-stale,no-writes\nreturn redis.call('get','x')", 1),
                            ("#!lua flags=allow-stale,no-writes\nreturn redis.call('echo','foobar')", 0),
                            ("#!lua flags=allow-stale\nreturn 1", 0)]:
            out.append(c.call("EVAL", body, str(nkeys), *(["x"] if nkeys else [])).raw)
        sha = c.call("SCRIPT", "LOAD", "#!lua flags=allow-stale,no-writes\nreturn redis.call('echo','foobar')").raw
        out.append(c.call("EVALSHA", sha.split(b"\r\n")[1].decode(), "0").raw)
        out.append(c.call("REPLICAOF", "NO", "ONE").raw)
        out.append(c.call("EVAL", "return 1", "0").raw)
        c.close()
        outs.append(out)
    assert outs[0] == outs[1]
    assert outs[0][2].startswith(b"-MASTERDOWN")
    assert b"stale replica" in outs[0][5]
