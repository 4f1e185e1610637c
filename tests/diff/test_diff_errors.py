"""Differential scripts: error replies — bad values, syntax errors, authentication, and malformed
protocol input (where the server must reply with the same error and then close the connection).
"""

import pytest

from diff.resp import encode_command
from diff.runner import C, Raw, hello_shape, run_script
from helpers import ORACLE_SERVER

NOAUTH = b"-NOAUTH Authentication required.\r\n"
WRONGPASS = b"-WRONGPASS invalid username-password pair or user is disabled.\r\n"


def bad(data, **kw):
    """Malformed input: one error reply, then the server closes the connection."""
    return Raw(data, closes=True, **kw)


SCRIPTS = {
    "value_errors": [
        ["SET", "s", "abc"],
        ["INCR", "s"],
        ["INCRBY", "n", "x"],
        ["DECRBY", "n", "99999999999999999999"],
        ["EXPIRE", "s", "x"],
        ["SETEX", "s", "x", "v"],
        ["GETRANGE", "s", "a", "b"],
        ["SETRANGE", "s", "x", "v"],
        ["SELECT", "z"],
        ["MOVE", "s", "z"],
        ["INCRBYFLOAT", "s", "1"],
        ["INCRBYFLOAT", "n", "x"],
        ["GETBIT", "s", "x"],
        ["BITCOUNT", "s", "0", "x"],
        ["BITPOS", "s", "x"],
        ["OBJECT", "ENCODING"],
        C("SET", "a", "b", "c", expect=b"-ERR syntax error\r\n"),
        ["SET", "a", "b", "EX"],
        ["GETEX", "a", "PERSIST", "PERSIST"],
        ["COPY", "a", "b", "REPLACE", "REPLACE", "x"],
        ["SCAN", "0", "COUNT"],
        ["BITCOUNT", "s", "0", "1", "2"],
        ["SORT", "x", "LIMIT"],
        ["EXPIRE", "s", "10", "BAD"],
        ["LCS", "s", "s", "IDX", "FOO"],
        ["CLIENT", "SETNAME"],
        ["CLIENT", "KILL"],
        ["CONFIG", "SET", "maxmemory"],
        ["CONFIG", "SET", "nosuchparam", "1"],
        ["CONFIG", "SET", "maxmemory", "abc"],
        ["CONFIG", "SET", "maxclients", "-5"],
        ["CONFIG", "GET", "nosuchparam"],
        ["DEBUG"],
        ["GET", "s"],
    ],
    "protocol_multibulk": [
        bad(b"*abc\r\n", expect=b"-ERR Protocol error: invalid multibulk length\r\n"),
        bad(b"*1\r\n$-5\r\n", expect=b"-ERR Protocol error: invalid bulk length\r\n"),
        bad(b"*1\r\n$abc\r\n"),
        bad(b"*1\r\n$\r\n"),
        bad(b"*2\r\n$3\r\nGET\r\n$536870913\r\n"),
        bad(b"*1\r\nfoo\r\n"),
        bad(b"*2\r\n$3\r\nGET\r\n:1\r\n"),
        bad(b"*\r\n"),
        bad(b"*1x\r\n"),
        bad(b"*9999999999999999999999\r\n"),
        bad(b"*1\r\n$9999999999999999999999\r\n"),
        bad(b"*2147483648\r\n"),
        bad(encode_command(["SET", "a", "1"]) + b"*x\r\n", replies=2),
        ["GET", "a"],
        Raw(b"*0\r\n*-1\r\n*-5\r\nPING\r\n", replies=1),
        Raw(b"*1\r\n$0\r\n\r\n"),
        bad(b"*1\r\n$-1\r\n" + encode_command(["PING"])),
        ["PING"],
    ],
    "protocol_limits": [
        bad(b"a" * 70000, expect=b"-ERR Protocol error: too big inline request\r\n"),
        bad(b"*" + b"1" * 70000, expect=b"-ERR Protocol error: too big mbulk count string\r\n"),
        bad(b"*1\r\n$" + b"1" * 70000),
        Raw(b"PING " + b"x" * 60000 + b"\r\n", replies=1),
        ["PING"],
    ],
}


@pytest.mark.parametrize("proto", [2, 3])
@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_errors(keel, oracle, name, proto):
    run_script(keel, oracle, SCRIPTS[name], hello3=(proto == 3))


AUTH_SCRIPT = [
    C("GET", "a", expect=NOAUTH),
    ["SET", "a", "1"],
    ["PING"],
    ["SELECT", 1],
    ["FOOBAR"],
    ["GET"],
    C("AUTH", "wrong", expect=WRONGPASS),
    ["AUTH", "default", "wrong"],
    ["AUTH", "nosuchuser", "secret"],
    ["AUTH"],
    ["AUTH", "a", "b", "c"],
    ["HELLO", 3],
    ["HELLO", 3, "AUTH", "default", "wrong"],
    ["GET", "a"],
    C("AUTH", "secret", expect=b"+OK\r\n"),
    ["GET", "a"],
    ["SET", "a", "1"],
    ["AUTH", "wrong"],
    ["GET", "a"],
    ["AUTH", "default", "secret"],
    C("HELLO", 3, "AUTH", "default", "secret", compare=hello_shape),
    ["GET", "a"],
    Raw(encode_command(["QUIT"]), closes=True),
    ["GET", "a"],
    C("HELLO", 2, "AUTH", "default", "secret", compare=hello_shape),
    ["GET", "a"],
    Raw(encode_command(["QUIT"]), closes=True),
    Raw(b"*20\r\n", closes=True,
        expect=b"-ERR Protocol error: unauthenticated multibulk length\r\n"),
    Raw(b"*1\r\n$20000\r\n", closes=True,
        expect=b"-ERR Protocol error: unauthenticated bulk length\r\n"),
    Raw(b"AUTH secret\r\n"),
    ["GET", "a"],
]


def test_requirepass(start_server, keel_bin):
    """Both servers started with --requirepass: NOAUTH before AUTH, WRONGPASS, then access."""
    keel = start_server(["--requirepass", "secret"], binary=keel_bin)
    oracle = start_server(["--requirepass", "secret"], binary=ORACLE_SERVER)
    run_script(keel, oracle, AUTH_SCRIPT, password="secret")
