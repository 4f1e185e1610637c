"""The Lua debugger (SCRIPT DEBUG SYNC), differential against redis-server 7.0.15.

Each scenario opens a connection, sends SCRIPT DEBUG SYNC and an EVAL, then debugger commands
one at a time, and records every raw reply up to the EVAL's own reply; the connection must then
be closed by the server. Keel's and redis-server's streams are compared byte for byte (only
"function@0x..." pointers are masked). Also: redis-cli --ldb-sync-mode driven from stdin, a
client that disconnects mid-session, the time limit, protocol errors, and what Keel refuses
(SCRIPT DEBUG YES: Redis forks for it).
"""

import re
import socket
import subprocess

import pytest

from diff.resp import RespConnection, encode_command
from helpers import ORACLE_SERVER, redis_cli_binary

POINTER = re.compile(rb"(function|userdata|thread|light-userdata)@0x[0-9a-f]+")


def _read_reply_raw(conn):
    return conn.read_reply().raw


def run_session(server, body, keys=(), args=(), commands=(), raw_commands=()):
    """Runs one debugging session; returns the list of raw replies (the EVAL's last)."""
    conn = RespConnection(server.host, server.port, timeout=20)
    out = []
    try:
        out.append(conn.call("SCRIPT", "DEBUG", "SYNC").raw)
        conn.send_raw(encode_command(["EVAL", body, str(len(keys)), *keys, *args]))
        ended = False

        def step(first):
            nonlocal ended
            reply = _read_reply_raw(conn)
            out.append(reply)
            if b"<endsession>" in reply:
                out.append(_read_reply_raw(conn))
                ended = True

        step(True)
        for cmd in list(commands) + list(raw_commands):
            if ended:
                break
            conn.send_raw(cmd if isinstance(cmd, bytes) else encode_command(cmd))
            step(False)
        # Whatever is left runs on with "continue" until the end.
        guard = 0
        while not ended and guard < 50:
            conn.send_raw(encode_command(["c"]))
            step(False)
            guard += 1
        assert ended
        # The server closes the connection after the EVAL reply.
        conn.sock.settimeout(10)
        assert conn.sock.recv(1) == b""
    finally:
        conn.close()
    return [POINTER.sub(rb"\1@PTR", r) for r in out]


def both(keel, oracle, **kw):
    ours = run_session(keel, **kw)
    theirs = run_session(oracle, **kw)
    assert ours == theirs
    return ours


SCRIPT = """local a = 1
local t = {1, 2, 'x', {y = 'z'}}
redis.debug('hi', a, t, nil, true, 1.5)
redis.call('set', KEYS[1], ARGV[1])
local function f(n)
  return n * 2
end
local r = f(21)
redis.breakpoint()
local z = redis.call('get', KEYS[1])
return {z, r}
"""


def test_stepping_listing_printing(keel, oracle):
    cmds = [["help"], ["l"], ["list", "3", "1"], ["l", "0", "-1"], ["w"], ["whole"], ["p"], ["s"], ["n"],
            ["step"], ["p"], ["print", "a"], ["p", "t"], ["p", "KEYS"], ["p", "ARGV"], ["p", "nosuch"],
            ["p", "a", "b"], ["t"], ["trace"], ["next"], ["s"], ["s"], ["t"], ["p"], ["c"], ["p"], ["c"]]
    replies = both(keel, oracle, body=SCRIPT, keys=["k"], args=["v"], commands=cmds)
    assert b"* Stopped at 1, stop reason = step over" in replies[1]
    assert any(b"redis.breakpoint() called" in r for r in replies)


def test_breakpoints(keel, oracle):
    cmds = [["b"], ["b", "4"], ["b", "4"], ["b", "99"], ["b", "0"], ["b", "x"], ["b", "-0"], ["b", "08"],
            ["break", "8", "10", "-3"], ["b"], ["b", "-7"], ["b", "-7"], ["b"], ["c"], ["b", "-10"], ["c"]]
    replies = both(keel, oracle, body=SCRIPT, keys=["k"], args=["v"], commands=cmds)
    assert any(b"stop reason = break point" in r for r in replies)


def test_redis_and_eval_commands(keel, oracle):
    cmds = [["r", "set", "k", "hello\r\nworld"], ["redis", "get", "k"], ["r", "incr", "k"], ["r", "nosuch"],
            ["r", "rpush", "l", *[str(i) for i in range(100)]], ["r", "lrange", "l", "0", "-1"],
            ["r", "lrange", "l", "0", "-1"], ["m"], ["maxlen", "10"], ["r", "lrange", "l", "0", "-1"],
            ["m", "0"], ["r", "lrange", "l", "0", "20"], ["m", "100"], ["r", "hset", "h", "f", "1"],
            ["r", "hgetall", "h"], ["r", "get", "missing"], ["r", "ping"], ["r", "set", "a", "1", "2", "3", "4", "5",
                                                                               "6", "7", "8", "9", "10", "11"],
            ["r"], ["e", "1", "+", "1"], ["eval", "redis.call('ping')"], ["e", "KEYS[1]"], ["e", "x", "=", "1"],
            ["e", "(("], ["e", "error('boom')"], ["e", "{1, 2, 3}"], ["e", "redis.sha1hex('')"],
            ["e", "redis.setresp(3)"], ["r", "hgetall", "h"], ["r", "sismember", "nokey", "x"],
            ["e", "redis.setresp(2)"], ["s"], ["s"], ["s"]]
    both(keel, oracle, body=SCRIPT, keys=["k"], args=["v"], commands=cmds)


def test_unknown_commands_and_protocol_edges(keel, oracle):
    # The suite's "debug protocol parsing" (NUL bytes) and its 100-argument `redis` call.
    raw = [encode_command(["'hello\0world'"]), encode_command(["hello\0"]), encode_command(["\0hello\0"]),
           encode_command(["nosuch", "x"]), encode_command(["SCRIPT", "DEBUG", "SYNC"]),
           encode_command(["eval", "return 'hello'", "0"]), encode_command(["redis", *["test"] * 100]),
           b"garbage*1\r\n$1\r\nl\r\n", b"*1\r\n$1\r\n" + b"s\r\n"]
    replies = both(keel, oracle, body="return 'hello'", raw_commands=raw)
    assert any(b"Unknown Redis command called from script" in r for r in replies)
    assert replies[-1] == b"$5\r\nhello\r\n"


@pytest.mark.parametrize("bad", [b"*0\r\n", b"*1\r\n$0\r\n\r\n", b"*1\r\n$2000\r\n", b"*1\r\n$1\r\nsX\r\n", b"hello\r\n",
                                 b"*2000\r\n"])
def test_protocol_errors_end_the_script(keel, oracle, bad):
    replies = both(keel, oracle, body="redis.call('set', 'x', '1')\nreturn 1", raw_commands=[bad])
    assert b"protocol error" in replies[-1]


def test_abort_and_script_errors(keel, oracle):
    both(keel, oracle, body="redis.call('set', 'x', '1')\nreturn 1", commands=[["s"], ["abort"]])
    both(keel, oracle, body="local a = 1\nreturn redis.call('incr', 'x', 'y')", commands=[["s"], ["s"]])
    both(keel, oracle, body="return redis.call('set', 'x')", commands=[["s"]])
    both(keel, oracle, body="return nosuch.x", commands=[["s"]])
    both(keel, oracle, body="return (", commands=[])
    both(keel, oracle, body="return 1", keys=[], args=["a"], commands=[["p", "ARGV"], ["a"]])
    # aborted: what the script wrote before stays (sync mode)
    for server in (keel, oracle):
        c = server.client()
        try:
            assert c.get("x") == b"1"
        finally:
            c.close()


def test_evalsha_and_modes(keel, oracle):
    for server in (keel, oracle):
        c = RespConnection(server.host, server.port, timeout=10)
        try:
            assert c.call("SCRIPT", "DEBUG", "SYNC").raw == b"+OK\r\n"
            assert c.call("EVALSHA", "abc", "0").raw.startswith(b"-NOSCRIPT")
            assert c.call("EVALSHA", "a" * 40, "0").raw == b"-ERR Please use EVAL instead of EVALSHA for debugging\r\n"
            assert c.call("SCRIPT", "DEBUG", "NO").raw == b"+OK\r\n"
            assert c.call("EVAL", "return 1", "0").raw == b":1\r\n"
            assert c.call("SCRIPT", "DEBUG", "MAYBE").raw == b"-ERR Use SCRIPT DEBUG YES/SYNC/NO\r\n"
            # In a pipeline behind another reply, refused.
            c.send_raw(encode_command(["PING"]) + encode_command(["SCRIPT", "DEBUG", "SYNC"]))
            assert c.read_reply().raw == b"+PONG\r\n"
            assert c.read_reply().raw == b"-ERR SCRIPT DEBUG must be called outside a pipeline\r\n"
        finally:
            c.close()
    # Keel never forks: the forked mode is refused, pointing at SYNC.
    c = RespConnection(keel.host, keel.port, timeout=10)
    try:
        reply = c.call("SCRIPT", "DEBUG", "YES").raw
        assert reply.startswith(b"-ERR SCRIPT DEBUG YES") and b"SCRIPT DEBUG SYNC" in reply
        assert c.call("EVAL", "return 1", "0").raw == b":1\r\n"
    finally:
        c.close()


def test_eval_ro_and_functions_in_session(keel, oracle):
    both(keel, oracle, body="return redis.call('get', 'x')", commands=[["r", "set", "x", "1"], ["s"]])
    for server in (keel, oracle):
        c = RespConnection(server.host, server.port, timeout=10)
        try:
            assert c.call("SCRIPT", "DEBUG", "SYNC").raw == b"+OK\r\n"
            c.send_raw(encode_command(["EVAL_RO", "return redis.call('set', 'x', '2')", "0"]))
            first = c.read_reply().raw
            assert b"Stopped at 1" in first
            c.send_raw(encode_command(["s"]))
            assert b"<endsession>" in c.read_reply().raw
            assert b"Write commands are not allowed from read-only scripts" in c.read_reply().raw
        finally:
            c.close()


def test_timeout_stops_a_running_script(keel, oracle):
    def scenario(server):
        c = server.client()
        try:
            c.config_set("busy-reply-threshold", "100")
        finally:
            c.close()
        try:
            return run_session(server, body="local i = 0\nwhile true do i = i + 1 end\nreturn i",
                               commands=[["c"], ["l"], ["a"]])
        finally:
            c = server.client()
            try:
                c.config_set("busy-reply-threshold", "5000")
            finally:
                c.close()
    ours, theirs = scenario(keel), scenario(oracle)
    assert ours == theirs
    assert b"timeout reached, infinite loop?" in ours[2]


def test_client_disconnect_mid_session(keel, oracle):
    for server in (keel, oracle):
        s = socket.create_connection((server.host, server.port), timeout=10)
        try:
            s.sendall(encode_command(["SCRIPT", "DEBUG", "SYNC"]))
            assert s.recv(100) == b"+OK\r\n"
            s.sendall(encode_command(["EVAL", "redis.call('set', 'dk', '1')\nredis.breakpoint()\n"
                                      "redis.call('set', 'dk', '2')\nreturn 1", "0"]))
            data = b""
            while b"step over" not in data:
                chunk = s.recv(1000)
                assert chunk
                data += chunk
        finally:
            s.close()
        c = server.client()
        try:
            # the script ran to its end without its client, and the server serves others again
            assert c.get("dk") == b"2"
            assert c.ping()
        finally:
            c.close()


def test_redis_cli_ldb_sync_mode(keel, oracle, tmp_path):
    script = tmp_path / "s.lua"
    script.write_text(SCRIPT)
    stdin = "l\np\ns\ns\ns\np\nr incr k2\nr get k2\ne a+1\nt\nb 10\nc\nc\n"
    outs = []
    for server in (keel, oracle):
        res = subprocess.run([redis_cli_binary(), "-h", server.host, "-p", str(server.port), "--no-raw",
                              "--ldb-sync-mode", "--eval", str(script), "k", ",", "v"],
                             input=stdin, capture_output=True, text=True, timeout=30)
        outs.append(res.stdout)
    assert outs[0] == outs[1]
    assert "Stopped at 3, stop reason = step over" in outs[0]
    assert '<debug> line 3: "hi", 1' in outs[0]
    assert "<reply> 1" in outs[0]


def test_session_inside_exec_and_fcall_not_debugged(keel, oracle):
    """EVAL queued in MULTI by a client in debug mode is debugged when EXEC runs it: the
    session's lines come first, the EXEC reply after <endsession>. FCALL is never debugged."""
    outs = []
    lib = "#!lua name=ldblib\nredis.register_function('f', function() return 7 end)"
    for server in (keel, oracle):
        c = RespConnection(server.host, server.port, timeout=20)
        out = [c.call("FUNCTION", "LOAD", "REPLACE", lib).raw, c.call("SCRIPT", "DEBUG", "SYNC").raw,
               c.call("FCALL", "f", "0").raw, c.call("MULTI").raw,
               c.call("EVAL", "redis.call('set', 'm', '1')\nreturn 'hello'", "0").raw]
        c.send_raw(encode_command(["EXEC"]))
        out.append(c.read_reply().raw)
        c.send_raw(encode_command(["c"]))
        out.append(c.read_reply().raw)
        out.append(c.read_reply().raw)
        c.sock.settimeout(10)
        out.append(c.sock.recv(1))
        c.close()
        outs.append(out)
    assert outs[0] == outs[1]
    assert outs[0][2] == b":7\r\n" and outs[0][-2] == b"*1\r\n$5\r\nhello\r\n" and outs[0][-1] == b""
