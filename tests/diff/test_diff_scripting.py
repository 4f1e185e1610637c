"""Differential scripts: EVAL/EVALSHA/EVAL_RO/EVALSHA_RO and SCRIPT against redis-server 7.0.15.

Covers the Lua <-> RESP conversions (RESP2 and RESP3, redis.setresp), redis.* API errors, the
error formats of failing scripts ("... script: <sha>, on @user_script:<line>."), the sandbox
(read-only globals, nonexistent globals), shebang flags, read-only scripts and the script cache.
Scripts run over RESP2 and RESP3 connections.
"""

import pytest

from diff.runner import C, run_script
from helpers import ORACLE_SERVER


def ev(body, *keys_and_args, numkeys=0):
    return ["EVAL", body, str(numkeys), *keys_and_args]


SHA_RETURN_1 = "e0e1f9fabfc9d4800c877a703b823ac0578ff8db"  # sha1("return 1")

SCRIPTS = {
    "conversions": [
        ev("return 3.99"),
        ev("return -3.7"),
        ev("return {1,2,3,'ciao',{1,2}, nil, 5}"),
        ev("return true"),
        ev("redis.setresp(3); return true"),
        ev("redis.setresp(3); return false"),
        ev("redis.setresp(3); return {true, false, 1}"),
        ev("return false"),
        ev("return nil"),
        ev("return {1, 2.5, true, false, 'x'}"),
        ev("local a = {}; a[1]=1; a[3]=3; return a"),
        ev("return {1, {err='inner'}, {ok='fine'}}"),
        ev("return {err=1}"),
        ev("return {ok=1}"),
        ev("return {ok='x'}"),
        C(*ev("return {err='x'}"), expect=b"-x\r\n"),
        ev("return 'a\\r\\nb'"),
        ev("return {math.huge}"),
        ev("return {double=1.5}"),
        ev("return {map={a=1}}"),
        ev("return {set={a=true}}"),
        ev("return {big_number='123'}"),
        ev("return {big_number='123\\r\\n123'}"),
        ev("return {verbatim_string={format='txt', string='hi'}}"),
        ev("return _VERSION"),
        ev("return redis.REDIS_VERSION"),
        ev("return redis.REDIS_VERSION_NUM"),
    ],
    "calls_of_every_kind": [
        ev("return redis.call('blpop','l',0)"),
        ev("return redis.call('brpoplpush','l','m',0)"),
        ev("return redis.call('bzpopmin','z',0)"),
        ev("return redis.call('blmpop','0','1','l','LEFT')"),
        ev("return redis.call('watch','x')"),
        ev("return redis.call('monitor')"),
        ev("return redis.call('publish','ch','m')"),
        ev("return redis.call('time')[1] > '0'"),
        ev("return redis.call('randomkey')"),
        ev("return redis.call('script','load','return 1')"),
        ev("return redis.call('object','encoding','nokey')"),
        ev("return redis.call('SET','a','b','EX','0')"),
        ev("return redis.call('Get','a')"),
        ev("return redis.call('hello')"),
        ev("return redis.call('auth','x')"),
        ev("return redis.call('quit')"),
        ev("return redis.call('reset')"),
        ev("return redis.call('client', 'setname', 'x')"),
        ev("return redis.call('select', '99')"),
        ev("return redis.call('lpush','l','a','b') .. redis.call('lrange','l',0,-1)[1]"),
        ev("return redis.call('sort','l','alpha')"),
        ev("return redis.pcall('get', 'l')"),
        ev("return redis.call('get', 'l')"),
        ev("return redis.call('expire','l', '10')"),
        ev("return redis.call('ttl','l')"),
        ev("return redis.call('flushall')"),
    ],
    "call_replies": [
        ['eval', "local t = {} for i, n in ipairs({-0, 0, 0.5, 1e15, 1e16, -7, 123456789012345, 1e17, 2^53, -2^63, 1/3, 1e-5, 1/0, -1/0}) do redis.call('set', 'n', n) t[i] = redis.call('get', 'n') end return t", '0'],
        ['eval', "redis.call('set', 'n', 0/0) return redis.call('get', 'n')", '0'],
        ['eval', "return redis.call('incrby', 'cnt', 5.0)", '0'],
        ['eval', "return redis.call('expire', 'cnt', 100.0)", '0'],
        ["SET", "s", "x"],
        ["HSET", "h", "f", "v"],
        ev("return redis.call('get', KEYS[1])", "s", numkeys=1),
        ev("return redis.call('get','nokey')"),
        ev("return redis.call('ping')"),
        ev("return redis.call('hgetall','nohash')"),
        ev("return redis.call('hgetall','h')"),
        ev("return redis.call('incr','counter')"),
        ev("return redis.call('get', 1.5)"),
        ev("return redis.call('set', 'n', 12345678901); return redis.call('get', 'n')"),
        ev("redis.setresp(3); return redis.call('hgetall','h')"),
        ev("redis.setresp(3); return redis.call('hgetall','nohash')"),
        ev("redis.setresp(3); return redis.call('get','nokey')"),
        ev("redis.setresp(3); return {redis.call('get','nokey') == nil}"),
        ev("redis.setresp(3); local t = redis.call('hgetall','h'); return t['f']"),
        ev("return {redis.call('get','nokey') == false}"),
        ev("return redis.call('ping').ok"),
        ev("local r = redis.pcall('incr', 's'); return r.err"),
        ev("local t = {} for k, v in pairs(redis.pcall('incr', 's')) do t[#t+1] = k .. '=' .. tostring(v) end return t"),
        ev("local t = {} for k, v in pairs(redis.pcall('nosuch')) do t[#t+1] = k .. '=' .. tostring(v) end return t"),
        ev("local t = {} for k, v in pairs(redis.pcall()) do t[#t+1] = k .. '=' .. tostring(v) end return t"),
        ev("local t = {} for k, v in pairs(redis.error_reply('x')) do t[#t+1] = k .. '=' .. tostring(v) end return t"),
        ev("return redis.pcall('incr', 's')"),
        ev("return KEYS[1] .. ARGV[1] .. ARGV[2]", "k", "a1", "a2", numkeys=1),
        ev("return {#KEYS, #ARGV}", "k1", "k2", "a", numkeys=2),
        ev("return redis.call('select', '1')"),
        ["GET", "s"],
    ],
    "call_errors": [
        C(*ev("return redis.call('setnx', KEYS[1])", "k", numkeys=1),
          expect=b"-ERR Wrong number of args calling Redis command from script script: "
                 b"a0014c23e8946e7eef1c36eb533e55df2301630f, on @user_script:1.\r\n"),
        ev("return redis.pcall('setnx', KEYS[1])", "k", numkeys=1),
        ev("local r = redis.pcall('setnx', KEYS[1]); return r['err']", "k", numkeys=1),
        ev("return redis.call('nosuch')"),
        ev("return redis.pcall('nosuch')"),
        ev("return redis.call('incr', 'a', 'b')"),
        ev("redis.call('set','s','x'); return redis.call('incr', 's')"),
        ev("return redis.call('eval', 'return 1', '0')"),
        ev("return redis.call('multi')"),
        ev("return redis.call()"),
        ev("return redis.pcall()"),
        ev("return redis.call(1)"),
        ev("return redis.call('get', {})"),
        ev("return redis.pcall('get', {})"),
        ev("return redis.call('config')"),
        ev("return redis.call('config', 'nosuch')"),
    ],
    "lua_errors": [
        ev("return foo"),
        ev("x = 1"),
        ev("redis = 1"),
        ev("redis.call = 1"),
        ev("string.x = 1"),
        ev("rawset(_G, 'x', 1)"),
        ev("error('boom')"),
        ev("error({err='MY boom'})"),
        ev("error()"),
        ev("error(5)"),
        ev("local function f() error('deep') end\nf()"),
        ev("local t = nil\n\nreturn t.x"),
        ev("syntax error here"),
        ev("return redis.error_reply('MY x')"),
        ev("return redis.error_reply('x')"),
        ev("return redis.error_reply('-CODE with dash')"),
        ev("return redis.error_reply(1)"),
        ev("return redis.status_reply('FINE')"),
        ev("return redis.status_reply()"),
        ev("return redis.sha1hex('')"),
        ev("return redis.sha1hex()"),
        ev("return redis.setresp(4)"),
        ev("return redis.setresp()"),
        ev("return redis.set_repl(99)"),
        ev("return redis.set_repl(redis.REPL_ALL)"),
        ev("return redis.replicate_commands()"),
        ev("return redis.log(redis.LOG_WARNING, 'hello from a script')"),
        ev("return redis.log()"),
        ev("return redis.breakpoint()"),
        ev("return {redis.LOG_DEBUG, redis.LOG_VERBOSE, redis.LOG_NOTICE, redis.LOG_WARNING, redis.REPL_NONE, "
           "redis.REPL_AOF, redis.REPL_SLAVE, redis.REPL_REPLICA, redis.REPL_ALL}"),
        ev("return math.random(0)"),
        ev("return math.random(1,2,3)"),
    ],
    "sandbox": [
        ev("return type(_G)"),
        ev("return type(debug)"),
        ev("return type(getfenv)"),
        ev("return type(print)"),
        ev("return type(dofile)"),
        ev("return type(require)"),
        ev("return type(module)"),
        ev("return type(io)"),
        ev("return tostring(os)"),
        ev("return type(math.random)"),
        ev("return {type(loadstring), type(pcall), type(unpack), type(select), type(tonumber)}"),
        ev("local t = {}; t.x = 1; return t.x"),
        ev("return bit.band(7,3)"),
        ev("return {bit.bor(1,2), bit.bxor(3,1), bit.lshift(1,4), bit.rshift(256,4), bit.tohex(255)}"),
        ev("return cjson.encode({1,2,{a=1}})"),
        ev("return cjson.decode('[1,2,3]')"),
        ev("return cjson.decode('{\"a\":[1,2]}').a[2]"),
        ev("return string.format('%d-%s', 5, 'x')"),
        ev("return table.concat({'a','b'}, ',')"),
        ev("loadstring('x = 1')()"),
        ev("return loadstring('return y')()"),
        ev("return loadstring('return 1 +')"),
        ev("return {loadstring('return 1 +')}"),
        ev("local f = loadstring('return ...') return f(5)"),
        ev('load(function() return nil end)'),
        ev('return type(load)'),
        ev('return setmetatable(_G, {})'),
        ev('return getmetatable(_G)'),
        ev('local g = getmetatable(_G) g.__index = {}'),
        ev('return loadstring(string.dump(function() return 1 end))()'),
        ev('return (loadstring(string.dump(function() return 1 end)))'),
        ev('local a = {} for i = 1, 7999 do a[i] = 1 end return redis.call("rpush", "unpacked", unpack(a))'),
        ev('local a = {} for i = 1, 7999 do a[i] = "x" end return redis.pcall("rpush", "unpacked", unpack(a))'),
        ev("return type(getmetatable('').__index)"),
        ev('return pcall(function() x = 1 end)'),
        ev('local ok, e = pcall(function() x = 1 end) return e'),
        ev('local ok, e = pcall(function() return nope end) return e'),
        ev("local ok, e = pcall(redis.call, 'nosuch') return e"),
        ev("local ok, e = pcall(redis.call, 'nosuch') return e.err"),
    ],
    "libraries": [
        ev("return struct.pack('HH', 1, 2)"),
        ev("return struct.pack('>i4', -2)"),
        ev("return struct.pack('<I2bBhHlLTfd', 513, -1, 255, -300, 60000, -5, 7, 9, 1.5, 2.25)"),
        ev("return {struct.unpack('<I2bBhH', struct.pack('<I2bBhH', 513, -1, 255, -300, 60000))}"),
        ev("return {struct.unpack('>i4', struct.pack('>i4', -2))}"),
        ev("return struct.pack('s', 'abc')"),
        ev("return {struct.unpack('s', 'abc\\0def')}"),
        ev("return struct.pack('c3', 'abcdef')"),
        ev("return struct.pack('c0', 'abcdef')"),
        ev("return {struct.unpack('bc0', struct.pack('b', 3) .. 'xyzw')}"),
        ev("return struct.size('!4bi4d')"),
        ev("return struct.pack('!4bi4', 1, 2)"),
        ev("return struct.pack('!bd', 1, 2)"),
        ev("return struct.size('i')"),
        ev("return struct.pack('x')"),
        ev("return struct.pack('q', 1)"),
        ev("return struct.pack('i')"),
        ev("return struct.unpack('i4', 'ab')"),
        ev("return struct.pack('i40', 1)"),
        ev("return struct.pack('i16', -1)"),
        ev("return {struct.unpack('i16', struct.pack('i16', -3))}"),
        ev("return {struct.unpack('B', 'abc', 2)}"),
        ev('return cmsgpack.pack({1,2,3})'),
        ev('return cmsgpack.pack(1, -1, -33, 200, -200, 70000, -70000, 5000000000, -5000000000, 1.5, 0.1, true, false, nil)'),
        ev("return cmsgpack.pack('', 'abc', string.rep('x', 40), string.rep('y', 300), string.rep('z', 70000))"),
        ev('return cmsgpack.pack({}, {a=1}, {1,2,nil,4}, {[1]=1,[2]=2,x=3})'),
        ev('return cmsgpack.pack({{{{{{{{{{{{{{{{{{{{1}}}}}}}}}}}}}}}}}}})'),
        ev("return {cmsgpack.unpack(cmsgpack.pack(1, -1, -33, 200, -200, 70000, -70000, 5000000000, 'abc', true))}"),
        ev("local t = cmsgpack.unpack(cmsgpack.pack({a=1, b={1,2,'x'}})) return {t.a, t.b[3]}"),
        ev('return {cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3))}'),
        ev('return {cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3), 2)}'),
        ev('return {cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 2)}'),
        ev('return {cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 5)}'),
        ev("return cmsgpack.unpack('\\147\\1')"),
        ev("return cmsgpack.unpack('\\193')"),
        ev('return cmsgpack.pack()'),
        ev("return {cmsgpack.unpack('')}"),
        ev('return tostring(cmsgpack.unpack(cmsgpack.pack(0.1)))'),
        ev('return cmsgpack.pack(1/0, -1/0)'),
        ev('return cmsgpack.pack(function() end)'),
        ev("return cjson.encode({a={1,2},b='x'})"),
        ev('return cjson.encode({})'),
        ev('return cjson.encode({1.5, 0.1, 1e100, -0})'),
        ev('return cjson.decode(\'{"a":null}\').a == cjson.null'),
        ev("return cjson.decode('[1,2')"),
        ev('return cjson.encode(function() end)'),
        ev('return bit.tobit(0xffffffff)'),
        ev('return bit.bnot(0)'),
        ev('return bit.tohex(-1, -4)'),
        ev('return {bit.arshift(-256, 4), bit.rol(1, 33), bit.bswap(1)}'),
    ],
    "library_edge_cases": [
        ['eval', "return {struct.unpack('i0', 'ab')}", '0'],
        ['eval', "return struct.pack('i0', 5)", '0'],
        ['eval', "return {struct.unpack('I0i1', 'ab')}", '0'],
        ['eval', "return struct.size('i0')", '0'],
        ['eval', "return struct.unpack('>i2hbc0s', ARGV[1])", '1', 'k', b'\x93\x01\xcd\x00\xa1\x02'],
        ['eval', "return {struct.unpack('bc0', ARGV[1])}", '0', b'\xffAB'],
        ['eval', "return struct.pack('i8', 1e30)", '0'],
        ['eval', "return struct.pack('i4', -1e30)", '0'],
        ['eval', 'return redis.setresp(1e100)', '0'],
        ['eval', 'return redis.setresp(0/0)', '0'],
        ['eval', "return redis.log(1e100, 'x')", '0'],
        ['eval', 'return redis.set_repl(-1e100)', '0'],
        ['eval', "return struct.unpack('i4', 'abcd', 0)", '0'],
        ['eval', "return struct.unpack('i4', 'abcd', -5)", '0'],
        ['eval', "return struct.unpack('i4', 'abcd', 5)", '0'],
        ['eval', "return cmsgpack.unpack_one('abc', -1)", '0'],
        ['eval', "return {cmsgpack.unpack_one('abc', 5)}", '0'],
        ['eval', "return {cmsgpack.unpack_limit('\\1\\2\\3', 0)}", '0'],
        ['eval', "return {cmsgpack.unpack_limit('\\1\\2\\3', -1)}", '0'],
    ],
    "cjson": [
        ev('return cjson.encode({[1]=1,[3]=3})'),
        ev('return cjson.encode({[1]=1,[30]=3})'),
        ev('return cjson.encode(1/0)'),
        ev('return cjson.encode(0/0)'),
        ev('return cjson.encode(123456789012345678)'),
        ev('return cjson.encode(0.1)'),
        ev('return cjson.encode(3.14159265358979)'),
        ev('return cjson.encode(\'a/b"c\\n\\1\')'),
        ev('return cjson.encode({a={b={c={}}}})'),
        ev("return cjson.decode('12345678901234567890')"),
        ev("return tostring(cjson.decode('1e400'))"),
        ev('return cjson.decode(\'"\\\\u00e9"\')'),
        ev("return cjson.decode('[1,2,3,]')"),
        ev("return cjson.decode('')"),
        ev('return cjson.decode(\'{"a":1}\', 5)'),
        ev("local s = string.rep('[', 1100) .. string.rep(']', 1100) return pcall(cjson.decode, s)"),
        ev('local t = {} local c = t for i=1,1100 do c[1] = {} c = c[1] end return pcall(cjson.encode, t)'),
        ev('return cjson.encode(cjson.null)'),
        ev('return type(cjson.encode_keep_buffer)'),
        ev('return cjson.encode({true, false})'),
        ev("return cjson.encode({1, 'a', {x=1}})"),
        ev('return cjson.encode(-0)'),
        ev('return cjson.encode(1e100)'),
        ev('return cjson.encode(2^53)'),
        ev("return tostring(cjson.decode('0.1'))"),
        ev('return cjson.decode(\'"\\\\ud83d\\\\ude00"\')'),
        ev('return cjson.decode(\'["\\\\ud83d"]\')'),
    ],
    "numkeys": [
        ev("return 1", numkeys=-1),
        ev("return 1", "a", numkeys=2),
        ["EVAL", "return 1", "x"],
        ["EVAL", "return 1"],
        ["EVALSHA", "ffffffffffffffffffffffffffffffffffffffff", "0"],
        ["EVALSHA", "fff", "0"],
        ["EVALSHA", "ffffffffffffffffffffffffffffffffffffffff", "-1"],
    ],
    "shebang_and_readonly": [
        ev("#!lua\nreturn 1"),
        ev("#!lua flags=no-writes,allow-oom\nreturn 1"),
        ev("#!lua flags=\nreturn 1"),
        ev("#!lua   \nreturn 1"),
        ev("#!lua flags=bogus\nreturn 1"),
        ev("#!lua name=x\nreturn 1"),
        ev("#!luax\nreturn 1"),
        ev("#!lua flags=no-writes allow-oom\nreturn 1"),
        ev("#!lua flags=no-writes\nreturn redis.call('set','a','b')"),
        ev("#!lua flags=no-writes\nreturn redis.call('get','a')"),
        ev("#!lua\nreturn redis.call('set','a','b')"),
        ["EVAL_RO", "return redis.call('set','a','b')", "0"],
        ["EVAL_RO", "return redis.call('get','a')", "0"],
        ["EVAL_RO", "#!lua\nreturn 1", "0"],
        ["EVAL_RO", "#!lua flags=no-writes\nreturn 1", "0"],
        ["SCRIPT", "LOAD", "return redis.call('set', KEYS[1], 'v')"],
        ["EVALSHA_RO", "1fdc7f4ad5e50e3b26b36ae1dbd0c8b4ecce9f6d", "1", "k"],
        ["EVALSHA", "1fdc7f4ad5e50e3b26b36ae1dbd0c8b4ecce9f6d", "1", "k"],
        ["GET", "k"],
    ],
    "script_cache": [
        ["SCRIPT", "FLUSH"],
        ["SCRIPT", "EXISTS", SHA_RETURN_1, "ffffffffffffffffffffffffffffffffffffffff"],
        ["SCRIPT", "LOAD", "return 1"],
        ["SCRIPT", "EXISTS", SHA_RETURN_1, SHA_RETURN_1.upper(), "x"],
        ["EVALSHA", SHA_RETURN_1, "0"],
        ["EVALSHA", SHA_RETURN_1.upper(), "0"],
        ["SCRIPT", "FLUSH", "x"],
        ["SCRIPT", "FLUSH", "async"],
        ["SCRIPT", "EXISTS", SHA_RETURN_1],
        ["EVALSHA", SHA_RETURN_1, "0"],
        ev("return 1"),
        ["SCRIPT", "EXISTS", SHA_RETURN_1],
        ["SCRIPT", "FLUSH", "SYNC"],
        ["SCRIPT", "LOAD", "syntax error"],
        ["SCRIPT", "LOAD", "#!lua flags=bogus\nreturn 1"],
        ["SCRIPT", "LOAD"],
        ["SCRIPT", "KILL"],
        ["SCRIPT", "HELP"],
        ["SCRIPT", "foo"],
        ["SCRIPT"],
        ["SCRIPT", "EXISTS"],
        ["SCRIPT", "FLUSH", "SYNC", "ASYNC"],
        ["SCRIPT", "DEBUG", "no"],
        ["SCRIPT", "DEBUG", "foo"],
        ["SCRIPT", "DEBUG"],
        ["SCRIPT", "LOAD", "return 1", "extra"],
        ["EVAL_RO", "return 1", "0", "extra"],
        ["EVALSHA_RO", "x", "0"],
    ],
    "in_transactions_and_pipelines": [
        ["MULTI"],
        ev("return redis.call('incr', 'c')"),
        ev("return redis.call('incr', 'c', 'x')"),
        ["SCRIPT", "LOAD", "return 2"],
        ["EXEC"],
        ["EVAL", "return redis.call('get', 'c')", "0"],
    ],
    "command_introspection": [
        # (script|load, exists, flush and kill carry command tips, which Keel's COMMAND INFO omits)
        ["COMMAND", "INFO", "script|help", "script|debug"],
        ["COMMAND", "GETKEYS", "EVAL", "return 1", "2", "a", "b", "c"],
    ],
}


@pytest.mark.parametrize("proto", [2, 3])
@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_scripting(keel, oracle, name, proto):
    run_script(keel, oracle, SCRIPTS[name], hello3=(proto == 3))


def _reset(servers, *cmds):
    for s in servers:
        c = s.client()
        try:
            for cmd in cmds:
                c.execute_command(*cmd)
        finally:
            c.close()


def test_acl_check_cmd(keel, oracle):
    """redis.acl_check_cmd: the caller's permissions for a command and its keys (true/false),
    errors for an unknown command, no arguments and bad argument types."""
    try:
        run_script(keel, oracle, [
            ev("return redis.acl_check_cmd('set','xx',1)", "xx", numkeys=1),
            ev("return redis.acl_check_cmd('hset','xx','f',1)", "xx", numkeys=1),
            ev("return redis.acl_check_cmd('invalid-cmd','arg')"),
            ev("return redis.acl_check_cmd()"),
            ev("return redis.acl_check_cmd('get', {})"),
            ev("return redis.acl_check_cmd('config','nosuchsub')"),
            ev("return redis.acl_check_cmd('config','get','x')"),
            ["ACL", "SETUSER", "bob", "on", ">123", "+@scripting", "+set", "~x*"],
            ["AUTH", "bob", "123"],
            ev("return redis.acl_check_cmd('set','xx',1)", "xx", numkeys=1),
            ev("return redis.acl_check_cmd('hset','xx','f',1)", "xx", numkeys=1),
            ev("return redis.acl_check_cmd('set','yy',1)"),
            ev("return redis.acl_check_cmd('invalid-cmd','arg')"),
            ["FUNCTION", "LOAD", "#!lua name=acl\nredis.register_function('chk', function(k, a) "
             "return redis.acl_check_cmd('set', k[1], 1) end)"],
            ["FCALL", "chk", "1", "yy"], ["FCALL", "chk", "1", "xy"],
            ["ACL", "LOG"],
        ])
    finally:
        _reset((keel, oracle), ("ACL", "DELUSER", "bob"), ("ACL", "LOG", "RESET"), ("FUNCTION", "FLUSH"))


def test_debug_set_disable_deny_scripts(start_server):
    """DEBUG SET-DISABLE-DENY-SCRIPTS 1 lets scripts call no-script commands (DEBUG PROTOCOL)."""
    keel = start_server(["--enable-debug-command", "yes"])
    oracle = start_server(["--enable-debug-command", "yes"], binary=ORACLE_SERVER)
    run_script(keel, oracle, [
        ev("return redis.call('debug','protocol','bignum')"),
        ["DEBUG", "SET-DISABLE-DENY-SCRIPTS", "1"],
        ev("return redis.call('debug','protocol','bignum')"),
        ev("redis.setresp(3); return redis.call('debug','protocol','double')"),
        ["DEBUG", "SET-DISABLE-DENY-SCRIPTS", "0"],
        ev("return redis.call('debug','protocol','bignum')"),
    ])


def test_shebang_flags_at_dispatch(keel, oracle):
    """A shebang script without no-writes is a write at dispatch, as Redis's getCommandFlags:
    refused with NOREPLICAS when min-replicas-to-write is not met; no-writes and plain scripts
    run, and a plain script's write is refused inside."""
    try:
        run_script(keel, oracle, [
            ["SET", "x", "some value"],
            ["CONFIG", "SET", "min-replicas-to-write", "1"],
            ev("#!lua flags=no-writes\nreturn redis.call('get','x')", "x", numkeys=1),
            ev("return redis.call('get','x')", "x", numkeys=1),
            ev("#!lua\nreturn redis.call('get','x')", "x", numkeys=1),
            ev("#!lua flags=allow-oom\nreturn 1"),
            ev("return redis.call('set','x', 1)", "x", numkeys=1),
            ["SCRIPT", "LOAD", "#!lua\nreturn 2"],
            ["EVALSHA", "327e60b78547ebb77ec450ead371d5bd10cbdd69", "0"],
            ["MULTI"], ev("#!lua\nreturn 3"), ["EXEC"],
            ["CONFIG", "SET", "min-replicas-to-write", "0"],
            ev("#!lua\nreturn redis.call('get','x')", "x", numkeys=1),
        ])
    finally:
        _reset((keel, oracle), ("CONFIG", "SET", "min-replicas-to-write", "0"))


def test_debug_object_sees_expired_key(start_server):
    """DEBUG OBJECT reads the key as stored, without expiring it (the suite's "Script delete the
    expired key" relies on it); the script's EXISTS then deletes it."""
    import time
    servers = [start_server(["--enable-debug-command", "yes"]),
               start_server(["--enable-debug-command", "yes"], binary=ORACLE_SERVER)]
    seen = []
    for s in servers:
        c = s.client()
        try:
            c.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "0")
            c.set("key", "value", px=1)
            time.sleep(0.01)   # the TTL has to pass; nothing to poll without expiring the key
            out = [c.execute_command("DEBUG", "OBJECT", "key").split(b" ")[0],
                   c.execute_command("EVAL", "return redis.call('EXISTS', 'key')", 0), c.exists("key")]
            try:
                c.execute_command("DEBUG", "OBJECT", "key")
            except Exception as e:   # noqa: BLE001 - the error text is compared
                out.append(str(e))
            seen.append(out)
        finally:
            c.close()
    assert seen[0] == seen[1] == [b"Value", 0, 0, "no such key"], seen
