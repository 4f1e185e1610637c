"""Differential functions: FUNCTION LOAD/DELETE/FLUSH/LIST/STATS/KILL/DUMP/RESTORE/HELP, FCALL and
FCALL_RO against redis-server 7.0.15, over RESP2 and RESP3.

Covers the library metadata errors, redis.register_function's positional and named forms and
every error it gives, the load-time sandbox (only the library API is visible), errors of
running functions ("... script: <function>, on @user_function:<line>."), function flags with
FCALL_RO, and DUMP/RESTORE payloads (one library, so both servers' payloads are the same bytes)
with each restore policy and corrupt payloads. Every script starts with FUNCTION FLUSH
(FLUSHALL keeps functions, as in Redis).
"""

import pytest

from diff.runner import C, run_script
from persist.rdbutil import crc64


def lib(name, body):
    return "#!lua name=%s\n%s" % (name, body)


def load(name, body, *opts):
    return ["FUNCTION", "LOAD", *opts, lib(name, body)]


def payload(*codes, version=10):
    """A FUNCTION DUMP payload: FUNCTION2 + each code as an RDB string, version, CRC64."""
    body = b""
    for code in codes:
        code = code.encode()
        assert len(code) < 16384
        body += b"\xf5" + (bytes([len(code)]) if len(code) < 64 else bytes([0x40 | len(code) >> 8, len(code) & 0xFF]))
        body += code
    body += bytes([version & 0xFF, version >> 8])
    return body + crc64(body).to_bytes(8, "little")


F_GET = "redis.register_function('fget', function(keys, args) return redis.call('get', keys[1]) end)"
F_SET = "redis.register_function('fset', function(keys, args) return redis.call('set', keys[1], args[1]) end)"

SCRIPTS = {
    "load_and_call": [
        ["FUNCTION", "FLUSH"],
        load("mylib", F_GET + "\n" + F_SET),
        ["FCALL", "fset", "1", "k", "v"],
        ["FCALL", "fget", "1", "k"],
        ["FCALL_RO", "fget", "1", "k"],
        ["FCALL_RO", "fset", "1", "k", "v"],
        ["FCALL", "fget", "0"],
        ["FCALL", "nope", "0"],
        ["FCALL", "fget", "x"],
        ["FCALL", "fget", "-1"],
        ["FCALL", "fget", "3", "a"],
        ["FCALL"],
        ["FCALL", "fget"],
        load("mylib", F_GET),
        load("mylib", F_GET, "REPLACE"),
        ["FCALL", "fset", "1", "k", "v"],
        load("other", F_GET),
        load("mylib", F_GET, "BOGUS"),
        ["FUNCTION", "LOAD"],
        ["FUNCTION", "STATS"],
        ["FUNCTION", "DELETE", "nope"],
        ["FUNCTION", "DELETE", "mylib"],
        ["FCALL", "fget", "1", "k"],
        ["FUNCTION", "STATS"],
        ["FUNCTION", "DELETE"],
    ],
    "metadata_errors": [
        ["FUNCTION", "FLUSH"],
        ["FUNCTION", "LOAD", "return 1"],
        ["FUNCTION", "LOAD", "#!lua"],
        ["FUNCTION", "LOAD", "#!lua\n"],
        ["FUNCTION", "LOAD", "#!lua name=a name=b\n"],
        ["FUNCTION", "LOAD", "#!lua foo=bar\n"],
        ["FUNCTION", "LOAD", "#!js name=x\n"],
        ["FUNCTION", "LOAD", "#!LUA name=x\n" + F_GET],
        ["FUNCTION", "LOAD", "#!lua NAME=y\n" + F_SET],
        ["FUNCTION", "LOAD", "#!lua name=\n" + F_GET],
        ["FUNCTION", "LOAD", "#!lua name=x-y\n" + F_GET],
        ["FUNCTION", "LOAD", "#!lua name=z\n"],
        ["FUNCTION", "LOAD", "#!lua name=z\nlocal a = 1"],
        ["FUNCTION", "LOAD", "#!lua name=z\nsyntax error here"],
        C("FUNCTION", "LIST", unordered=True),
    ],
    "register_function_errors": [
        ["FUNCTION", "FLUSH"],
        load("x", "redis.register_function('f', function() return 1 end, 3)"),
        load("x", "redis.register_function()"),
        load("x", "redis.register_function('k', 'notfn')"),
        load("x", "redis.register_function({}, function() end)"),
        load("x", "redis.register_function('k-1', function() end)"),
        load("x", "redis.register_function('', function() end)"),
        load("x", "redis.register_function('k', function() end) redis.register_function('k', function() end)"),
        load("x", "redis.register_function('only')"),
        load("x", "redis.register_function(5)"),
        load("x", "redis.register_function{function_name='k', callback=function() return 1 end, flags={'bad'}}"),
        load("x", "redis.register_function{function_name='k', callback=function() return 1 end, flags='no-writes'}"),
        load("x", "redis.register_function{function_name='k', callback=function() return 1 end, flags={1}}"),
        load("x", "redis.register_function{function_name='k', callback=function() return 1 end, foo=1}"),
        load("x", "redis.register_function{callback=function() return 1 end}"),
        load("x", "redis.register_function{function_name='k'}"),
        load("x", "redis.register_function{function_name={}, callback=function() end}"),
        load("x", "redis.register_function{function_name='k', callback='x'}"),
        load("x", "redis.register_function{function_name='k', callback=function() end, description={}}"),
        load("x", "redis.register_function('k')"),
        load("x", "redis.register_function('a', function() end, 'b')"),
        ["FUNCTION", "LIST"],
    ],
    "load_time_sandbox": [
        ["FUNCTION", "FLUSH"],
        load("x", "error('boom')"),
        load("x", "local x = math.random()"),
        load("x", "redis.call('ping')"),
        load("x", "x = 1"),
        load("x", "redis.log(redis.LOG_NOTICE, 'loading') redis.register_function('v', function() return "
                  "redis.REDIS_VERSION end)"),
        ["FCALL", "v", "0"],
        load("y", "redis.register_function('g', function(keys, args) error('oops') end)"),
        ["FCALL", "g", "0"],
        load("z", "redis.register_function('h', function(keys, args) return redis.call('nosuch') end)"),
        ["FCALL", "h", "0"],
        load("w", "local r = redis\nredis.register_function('late', function() r.register_function('m', "
                  "function() end) end)"),
        ["FCALL", "late", "0"],
        load("u", "redis.register_function('k', function() return KEYS end)"),
        ["FCALL", "k", "0"],
        load("t", "redis.register_function('s', function(keys, args) return string.format('%s-%s', keys[1], "
                  "args[1]) end)"),
        ["FCALL", "s", "1", "a", "b"],
        load("t2", "redis.register_function('p', function() return {redis.pcall('incr', 'str'), "
                   "pcall(redis.call, 'nosuch')} end)"),
        ["SET", "str", "abc"],
        ["FCALL", "p", "0"],
        load("t3", "redis.register_function('g2', function() g = 1 end)"),
        ["FCALL", "g2", "0"],
        load("t4", "redis.register_function('r3', function() redis.setresp(3) return redis.call('hgetall', 'h') "
                   "end)"),
        ["HSET", "h", "a", "1"],
        ["FCALL", "r3", "0"],
    ],
    "flags": [
        ["FUNCTION", "FLUSH"],
        # One function per library: Redis lists libraries and functions in its dicts' (random) order.
        load("fl", "redis.register_function{function_name='ro', callback=function(keys) return redis.call('get', "
                   "keys[1]) end, flags={'no-writes'}, description='reads'}"),
        load("fl2", "redis.register_function{function_name='rw', callback=function(keys) return redis.call('set', "
                    "keys[1], 'x') end, flags={'allow-oom', 'ALLOW-STALE', 'no-cluster', 'allow-cross-slot-keys'}}"),
        load("other", "redis.register_function{function_name='bad', callback=function(keys) return "
                      "redis.call('set', keys[1], 'x') end, flags={'no-writes'}}"),
        ["FCALL_RO", "ro", "1", "k"],
        ["FCALL_RO", "rw", "1", "k"],
        ["FCALL", "rw", "1", "k"],
        ["FCALL", "bad", "1", "k"],
        ["FCALL_RO", "bad", "1", "k"],
        C("FUNCTION", "LIST", unordered=True),
        C("FUNCTION", "LIST", "WITHCODE", unordered=True),
        C("FUNCTION", "LIST", "LIBRARYNAME", "f*", unordered=True),
        ["FUNCTION", "LIST", "LIBRARYNAME", "nomatch*"],
        ["FUNCTION", "LIST", "LIBRARYNAME"],
        ["FUNCTION", "LIST", "WITHCODE", "LIBRARYNAME", "FL"],
        ["FUNCTION", "LIST", "BOGUS"],
        ["FUNCTION", "LIST", "WITHCODE", "WITHCODE"],
    ],
    "dump_restore": [
        ["FUNCTION", "FLUSH"],
        load("one", F_GET),
        ["FUNCTION", "DUMP"],
        ["FUNCTION", "RESTORE", payload(lib("one", F_GET))],
        ["FUNCTION", "RESTORE", payload(lib("one", F_GET)), "APPEND"],
        ["FUNCTION", "RESTORE", payload(lib("one", F_SET)), "REPLACE"],
        ["FCALL", "fset", "1", "k", "v"],
        ["FCALL", "fget", "1", "k"],
        ["FUNCTION", "RESTORE", payload(lib("two", F_SET))],
        ["FUNCTION", "RESTORE", payload(lib("two", F_GET), lib("three", F_SET)), "FLUSH"],
        ["FCALL", "fget", "1", "k"],
        ["FUNCTION", "RESTORE", payload(lib("dup", F_GET), lib("dup", F_SET)), "FLUSH"],
        ["FUNCTION", "RESTORE", payload(lib("bad", "syntax error")), "FLUSH"],
        ["FUNCTION", "RESTORE", payload(lib("two", F_GET)), "BOGUS"],
        ["FUNCTION", "RESTORE", payload(lib("two", F_GET)), "FLUSH", "extra"],
        ["FUNCTION", "RESTORE", payload(lib("two", F_GET), version=11)],
        ["FUNCTION", "RESTORE", payload(lib("two", F_GET))[:-1] + b"\x00"],
        ["FUNCTION", "RESTORE", b"short"],
        ["FUNCTION", "RESTORE", payload()[:0] + b"\x00" + payload()],
        C("FUNCTION", "LIST", unordered=True),
        ["FUNCTION", "FLUSH", "ASYNC"],
        ["FUNCTION", "FLUSH", "SYNC"],
        ["FUNCTION", "FLUSH", "BOGUS"],
        ["FUNCTION", "FLUSH", "SYNC", "ASYNC"],
        ["FUNCTION", "DUMP"],
        ["FUNCTION", "RESTORE", payload()],
        ["FUNCTION", "LIST"],
    ],
    "misc": [
        ["FUNCTION", "FLUSH"],
        ["FUNCTION", "KILL"],
        ["FUNCTION", "HELP"],
        ["FUNCTION", "BOGUS"],
        ["FUNCTION"],
        ["FUNCTION", "STATS", "extra"],
        ["MULTI"],
        load("m", F_GET),
        ["FCALL", "fget", "1", "k"],
        ["EXEC"],
        ["EVAL", "return redis.call('fcall', 'fget', '1', 'k')", "0"],
        ["EVAL", "return redis.call('function', 'list')", "0"],
        ["FUNCTION", "FLUSH"],
        ["SCRIPT", "FLUSH"],
        ["FUNCTION", "FLUSH"],
    ],
}


@pytest.mark.parametrize("proto", [2, 3])
@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_functions(keel, oracle, name, proto):
    run_script(keel, oracle, SCRIPTS[name], hello3=(proto == 3))
