"""Redis's published CVEs (6.0-7.2) that concern features Keel has, as regression tests: each
sends the published trigger (the advisory's or the fix commit's test) to Keel and requires an
error or the correct result within bounded time and memory, and a server that still answers.
docs/security.md lists every CVE with its trigger and outcome.

Where redis-server 7.0.15 has the fix too, the replies are compared with it byte for byte
(run_script); triggers of CVEs fixed after 7.0.15 (which would hang or crash the oracle) run
against Keel only.
"""

import os
import socket
import stat
import time

import pytest

from diff.resp import RespConnection, encode_command
from diff.runner import C, Raw, run_script
from helpers import ORACLE_SERVER, wait_until

MB = 1024 * 1024
UNORDERED = object()   # marks a step whose aggregate reply is compared as a multiset


@pytest.fixture
def pair(start_server, keel_bin):
    def start(*args):
        return (start_server(list(args), binary=keel_bin), start_server(list(args), binary=ORACLE_SERVER))
    return start


def used_memory(server):
    c = server.client()
    try:
        return int(c.info("memory")["used_memory"])
    finally:
        c.close()


def rss_kb(server):
    with open("/proc/%d/status" % server.proc.pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


def timed(conn, *args, limit=5.0):
    """A reply within `limit` seconds."""
    start = time.monotonic()
    reply = conn.call(*args)
    took = time.monotonic() - start
    assert took < limit, "%s took %.1fs" % (args[0], took)
    return reply


# ---- compared with redis-server 7.0.15 (fixed there too) -----------------------------------

SCRIPTS = {
    # CVE-2023-25155, CVE-2023-22458: SRANDMEMBER/ZRANDMEMBER/HRANDFIELD with counts near
    # LLONG_MIN overflowed when negated (assertion).
    "rand_counts": [
        ["SADD", "myset", "a"], ["HSET", "myhash", "a", "1"], ["ZADD", "myzset", "0", "a"],
        ["SRANDMEMBER", "myset", "-9223372036854775808"],
        ["HRANDFIELD", "myhash", "-9223372036854775808"],
        ["HRANDFIELD", "myhash", "-9223372036854775808", "WITHVALUES"],
        ["HRANDFIELD", "myhash", "-9223372036854770000", "WITHVALUES"],
        ["ZRANDMEMBER", "myzset", "-9223372036854775808"],
        ["ZRANDMEMBER", "myzset", "-9223372036854775808", "WITHSCORES"],
        ["ZRANDMEMBER", "myzset", "-9223372036854770000", "WITHSCORES"],
        ["SRANDMEMBER", "myset", "-3"],
    ],
    # CVE-2023-28425: MSETNX naming the same key twice hit an assertion.
    "msetnx_same_key": [
        ["MSETNX", "x1", "xxx", "x1", "yyy"], ["GET", "x1"],
        ["MSETNX", "x1", "xxx", "x1", "zzz"], ["GET", "x1"],
    ],
    # CVE-2022-35977: SETRANGE and SORT ... LIMIT with offsets near LLONG_MAX overflowed.
    "setrange_sort_overflow": [
        ["SETRANGE", "K", "9223372036854775807", "A"],
        ["SETRANGE", "K", "2147483647", "A"],
        ["LPUSH", "L", "2", "1", "0"],
        ["SORT_RO", "L", "BY", "a", "LIMIT", "2", "9223372036854775807"],
        ["SORT", "L", "LIMIT", "9223372036854775807", "9223372036854775807"],
        ["SORT", "L", "LIMIT", "-9223372036854775808", "2"],
    ],
    # CVE-2022-31144, CVE-2022-35951: XAUTOCLAIM with deleted entries and with a huge COUNT
    # overflowed its reply buffer.
    "xautoclaim": [
        ["XADD", "x", "1-0", "f", "v"], ["XADD", "x", "2-0", "f", "v"], ["XADD", "x", "3-0", "f", "v"],
        ["XGROUP", "CREATE", "x", "grp", "0"],
        ["XREADGROUP", "GROUP", "grp", "Alice", "STREAMS", "x", ">"],
        ["XDEL", "x", "1-0"], ["XDEL", "x", "2-0"],
        ["XAUTOCLAIM", "x", "grp", "Bob", "0", "0-0", "COUNT", "1"],
        ["XAUTOCLAIM", "x", "grp", "Bob", "0", "2-0", "COUNT", "1"],
        ["XAUTOCLAIM", "x", "grp", "Bob", "0", "3-0", "COUNT", "1"],
        ["XPENDING", "x", "grp", "-", "+", "10", "Alice"],
        ["XAUTOCLAIM", "x", "grp", "Bob", "0", "3-0", "COUNT", "8070450532247928833"],
        ["XAUTOCLAIM", "x", "grp", "Bob", "0", "3-0", "COUNT", "9223372036854775807"],
    ],
    # CVE-2023-28856: HINCRBYFLOAT with an invalid result created an empty hash that crashed
    # on access.
    "hincrbyfloat_invalid": [
        ["HINCRBYFLOAT", "nokey", "f", "+inf"], ["EXISTS", "nokey"], ["HGETALL", "nokey"],
        ["HSET", "h", "f", "1"], ["HINCRBYFLOAT", "h", "f", "1e308"], ["HINCRBYFLOAT", "h", "f", "1e308"],
        ["HINCRBYFLOAT", "h", "f", "-inf"], ["HGETALL", "h"], ["HINCRBYFLOAT", "h", "g", "nan"], ["HLEN", "h"],
    ],
    # CVE-2022-36021: KEYS/SCAN MATCH patterns with many '*' took exponential time.
    "glob_backtracking": [
        ["SET", "a" * 40, "1"],
        ["KEYS", "a*" * 20 + "b"],
        ["SCAN", "0", "MATCH", "a*" * 20 + "b", "COUNT", "100"],
        ["SADD", "s", "a" * 40], ["SSCAN", "s", "0", "MATCH", "a*" * 20 + "b"],
    ],
    # CVE-2021-32626: Lua scripts returning deep/recursive tables or calling commands with
    # thousands of arguments overflowed the Lua stack (invalid memory write).
    "lua_stack": [
        ["EVAL", "local t = {} for i=1,7000 do t[i]=i end return redis.call('sadd', 's', unpack(t))", "0"],
        ["EVAL", "local t = {} for i=1,10000 do t[i]=i end return redis.call('sadd', 's2', unpack(t))", "0"],
        ["EVAL", "local t = {} for i=1,100000 do t[i]=i end return #t", "0"],
        ["SCARD", "s"],
        ["EVAL", "return redis.call('smembers', 's')", "0", UNORDERED],
    ],
    # CVE-2022-24735, CVE-2022-24736: scripts changing the shared library tables or globals
    # (code injection into other users' scripts, NULL dereference).
    "lua_readonly_tables": [
        ["EVAL", "redis.call = function() return 1 end", "0"],
        ["EVAL", "cjson.encode = 1", "0"],
        ["EVAL", "bit.band = nil", "0"],
        ["EVAL", "cmsgpack.pack = 1", "0"],
        ["EVAL", "string.rep = nil", "0"],
        ["EVAL", "getmetatable('').__index = {}", "0"],
        ["EVAL", "x = 1", "0"],
        ["EVAL", "setmetatable(_G, nil)", "0"],
        ["EVAL", "return redis.call('ping')", "0"],
        ["EVAL", "return string.rep('a', 3)", "0"],
    ],
    # CVE-2022-24834: cjson and cmsgpack sized their buffers with 32-bit arithmetic (a heap
    # overflow with huge strings). A bounded version: escaped strings grow 6x in cjson.
    "lua_cjson_cmsgpack_sizes": [
        ["EVAL", "return #cjson.encode(string.rep('\\1', 100000))", "0"],
        ["EVAL", "return #cjson.encode({string.rep('\"', 100000), string.rep('\\\\', 1000)})", "0"],
        ["EVAL", "return #cmsgpack.pack(string.rep('x', 100000))", "0"],
        ["EVAL", "return #cmsgpack.unpack(cmsgpack.pack(string.rep('x', 70000)))", "0"],
        ["EVAL", "return cjson.decode('[' .. string.rep('[', 2000) .. string.rep(']', 2000) .. ']')", "0"],
    ],
    # CVE-2021-32687: set-max-intset-entries raised to its maximum overflowed intsets.
    "intset_max_entries": [
        ["CONFIG", "SET", "set-max-intset-entries", "2147483647"],
        ["EVAL", "for i=1,20000 do redis.call('sadd', 'big', i) end return redis.call('scard', 'big')", "0"],
        ["OBJECT", "ENCODING", "big"], ["SISMEMBER", "big", "19999"], ["SRANDMEMBER", "big", "-5"],
        ["CONFIG", "SET", "set-max-intset-entries", "512"],
    ],
    # CVE-2024-31227: "%~pattern" (no permission letters) was accepted and crashed later.
    "acl_selector_without_permissions": [
        ["ACL", "SETUSER", "u", "%~a"], ["ACL", "SETUSER", "u", "%R~a", "%W~b", "%RW~c"], ["ACL", "LIST"],
    ],
}


RANDOM = {"SRANDMEMBER", "SCAN"}   # replies by chance: compared by type


@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_compared_with_redis(pair, name):
    keel, oracle = pair()
    def step(s):
        if s[-1] is UNORDERED:
            return C(*s[:-1], unordered=True)
        return C(*s, skip_compare=True) if s[0] in RANDOM else s

    script = [step(s) for s in SCRIPTS[name]]
    start = time.monotonic()
    run_script(keel, oracle, script)
    assert time.monotonic() - start < 60


def test_recursive_table_reply(pair):
    """CVE-2021-32626: a script returning a table that contains itself answers nested arrays
    down to Lua's stack limit, then an error; the connection stays usable."""
    keel, oracle = pair()
    end = b"-ERR reached lua stack limit\r\n"
    replies = []
    for server in (keel, oracle):
        with socket.create_connection((server.host, server.port), timeout=20) as s:
            s.sendall(encode_command(["EVAL", "local a = {}; local b = {a}; a[1] = b; return a", "0"]))
            got = b""
            deadline = time.monotonic() + 20
            while not got.endswith(end) and time.monotonic() < deadline:
                got += s.recv(65536)
            s.sendall(b"PING\r\n")
            assert s.recv(100) == b"+PONG\r\n"
        assert got.endswith(end) and got[:-len(end)] == b"*1\r\n" * (len(got[:-len(end)]) // 4)
        replies.append(got)
    assert replies[0] == replies[1]


def test_unauthenticated_limits(pair):
    """CVE-2021-32675: before AUTH a client may announce at most 10 arguments and 16 KB bulks,
    so it cannot make the server allocate for huge announced requests."""
    keel, oracle = pair("--requirepass", "pw")
    for data in (b"*100\r\n", b"*1\r\n$100000000\r\n", b"*2000000000\r\n"):
        run_script(keel, oracle, [Raw(data, closes=True)], password="pw")
    # After AUTH the usual limits apply.
    run_script(keel, oracle, [["AUTH", "pw"], Raw(b"*11\r\n" + b"$1\r\na\r\n" * 11), ["PING"]], password="pw")


# ---- Keel only --------------------------------------------------------------------------------

@pytest.mark.keel_only
def test_huge_bulk_announced_is_not_allocated(start_server):
    """CVE-2021-32627/32628, CVE-2021-41099: with proto-max-bulk-len and
    client-query-buffer-limit raised, a bulk announced as 4 GB that never arrives must not be
    allocated (nor overflow a size computation)."""
    keel = start_server()
    c = keel.client()
    c.config_set("proto-max-bulk-len", str(8 * 1024 * MB))
    c.config_set("client-query-buffer-limit", str(8 * 1024 * MB))
    before = rss_kb(keel)
    with socket.create_connection((keel.host, keel.port), timeout=5) as s:
        s.sendall(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$4294967296\r\n" + b"x" * 65536)
        time.sleep(0.2)
        assert c.ping()
        assert rss_kb(keel) - before < 256 * 1024, "RSS grew by more than 256 MB"
    assert c.ping()
    c.close()


@pytest.mark.keel_only
def test_lua_bit_tohex(start_server):
    """CVE-2024-31449: bit.tohex with a count of -2^31 overflowed inside lua-bitop (a crash)."""
    keel = start_server()
    with RespConnection(keel.host, keel.port) as c:
        for n, want in (("-2147483648", b"0000FFFF"), ("2147483648", b"0000FFFF"), ("-3", b"FFF"), ("8", b"0000ffff")):
            assert timed(c, "EVAL", "return bit.tohex(65535, %s)" % n, "0").payload == want
        assert c.call("PING").raw == b"+PONG\r\n"


@pytest.mark.keel_only
def test_long_patterns(start_server):
    """CVE-2024-31228: very long patterns ("*?" x 50000 against a 50000-byte key) in KEYS,
    SCAN MATCH, PSUBSCRIBE-style matching and ACL key patterns must answer in bounded time."""
    keel = start_server()
    with RespConnection(keel.host, keel.port, timeout=30) as c:
        c.call("SET", "a" * 50000, "1")
        assert timed(c, "KEYS", "*?" * 50000, limit=10).raw == b"*1\r\n$50000\r\n" + b"a" * 50000 + b"\r\n"
        assert timed(c, "KEYS", "a*" * 25000 + "b", limit=10).raw == b"*0\r\n"
        timed(c, "SCAN", "0", "MATCH", "*?" * 50000, "COUNT", "10", limit=10)
        c.call("ACL", "SETUSER", "p", "on", "nopass", "+get", "~" + "*?" * 5000)
        assert timed(c, "ACL", "DRYRUN", "p", "GET", "a" * 50000, limit=10).raw == b"+OK\r\n"
        assert c.call("PING").raw == b"+PONG\r\n"


@pytest.mark.keel_only
def test_lua_gc_after_flush(start_server):
    """CVE-2024-46981: a script's objects with __gc handlers running after SCRIPT FLUSH (a
    use-after-free in Redis). Here they may run or not, but the server must survive."""
    keel = start_server()
    with RespConnection(keel.host, keel.port) as c:
        script = ("local p = newproxy(true); getmetatable(p).__gc = function() redis.call('set', 'gc', '1') end; "
                  "_G_keep = p; return 1")
        c.call("EVAL", script, "0")
        for _ in range(3):
            c.call("SCRIPT", "FLUSH")
            c.call("EVAL", "collectgarbage('collect'); return 1", "0")
        assert c.call("PING").raw == b"+PONG\r\n"


@pytest.mark.keel_only
def test_unix_socket_permissions(start_server, tmp_path):
    """CVE-2023-45145: the Unix socket was listening before its permissions were set; here it
    must have exactly unixsocketperm once the server runs."""
    path = str(tmp_path / "keel.sock")
    keel = start_server(["--unixsocket", path, "--unixsocketperm", "700"])
    wait_until(lambda: os.path.exists(path), timeout=5)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o700
    with RespConnection(unix_path=path) as c:
        assert c.call("PING").raw == b"+PONG\r\n"
    assert keel.client().ping()


@pytest.mark.keel_only
def test_setrange_within_limit_is_bounded(start_server):
    """CVE-2022-35977's other half: SETRANGE just inside proto-max-bulk-len allocates what it
    says, no more (here with a small limit, so the test stays bounded)."""
    keel = start_server(["--proto-max-bulk-len", str(16 * MB)])
    with RespConnection(keel.host, keel.port) as c:
        assert c.call("SETRANGE", "k", str(16 * MB - 1), "A").raw == b":%d\r\n" % (16 * MB)
        assert c.call("SETRANGE", "k", str(16 * MB), "A").error_text().startswith(b"ERR string exceeds")
    assert used_memory(keel) < 64 * MB
