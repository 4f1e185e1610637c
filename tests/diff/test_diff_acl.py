"""Differential tests of ACL users (Redis 7.0, selectors included): the same ACL SETUSER
sequences on Keel and redis-server, then the same commands run as each user (AUTH switches
users on the script's connection); replies and ACL LOG entries compared byte for byte.

Redis 7.0 lists a user's single-command rules (after +@all/-@all and the categories) in the
order of its command dictionary, a hash order that changes with every start; ACL LIST and
GETUSER replies are compared with each run of such rules sorted by command name.

ACL LOG entries carry two fields that differ between any two servers: age-seconds (a time)
and client-info (ids, ports, memory figures). They are compared by type, and client-info by
the fields that describe the command (cmd=, user=, db=, multi=, flags=, resp=, name=).

Each test starts its own pair of servers (users outlive scripts), with the same arguments.
"""

import os
import re

import pytest
import redis

from diff.resp import encode_command
from diff.runner import C, Raw, run_script
from helpers import ORACLE_SERVER, wait_until

PROTOS = [False, True]   # RESP2, then HELLO 3


@pytest.fixture
def pair(start_server, keel_bin):
    def start(*args):
        return (start_server(list(args), binary=keel_bin), start_server(list(args), binary=ORACLE_SERVER))
    return start


INFO_FIELDS = (b"cmd", b"user", b"db", b"multi", b"flags", b"resp", b"name")


def _info_fields(blob):
    fields = dict(f.split(b"=", 1) for f in blob.split(b" ") if b"=" in f)
    return {k: fields.get(k) for k in INFO_FIELDS}


def acl_log_compare(k, r):
    """ACL LOG replies: same entries; age-seconds by type, client-info by its command fields."""
    if k.children is None or r.children is None or k.kind != r.kind or len(k.children) != len(r.children):
        return None if k.raw == r.raw else "replies differ"
    for ke, re_ in zip(k.children, r.children):
        if ke.kind != re_.kind or len(ke.children) != len(re_.children):
            return "entry shapes differ"
        for (kk, kv), (rk, rv) in zip(ke.pairs(), re_.pairs()):
            if kk.raw != rk.raw:
                return "field names differ: %r %r" % (kk.raw, rk.raw)
            if kk.payload == b"age-seconds":
                if kv.kind != rv.kind:
                    return "age-seconds types differ"
            elif kk.payload == b"client-info":
                if _info_fields(kv.payload) != _info_fields(rv.payload):
                    return "client-info differs: %r %r" % (_info_fields(kv.payload), _info_fields(rv.payload))
            elif kv.raw != rv.raw:
                return "field %s differs" % kk.payload.decode()
    return None


def LOG(*args):
    return C("ACL", "LOG", *args, compare=acl_log_compare)


def _sorted_rules(text):
    """`text` with each run of "+cmd"/"-cmd" rules sorted by command name (a selector's
    closing parenthesis stays at the end of its run)."""
    out, run = [], []

    def flush():
        if not run:
            return
        closing = run[-1].endswith(b")")
        names = sorted((t[:-1] if t.endswith(b")") else t for t in run), key=lambda t: t[1:])
        if closing:
            names[-1] += b")"
        out.extend(names)
        del run[:]

    for tok in text.split(b" "):
        if len(tok) > 1 and tok[:1] in (b"+", b"-") and tok[1:2] != b"@":
            run.append(tok)
            if tok.endswith(b")"):
                flush()
        else:
            flush()
            out.append(tok)
    flush()
    return b" ".join(out)


def _shape(reply):
    if reply.children is not None:
        return (reply.kind, tuple(_shape(c) for c in reply.children))
    if reply.payload is not None and reply.kind in "$+=":
        return (reply.kind, _sorted_rules(reply.payload))
    return (reply.kind, reply.raw)


def rules_compare(k, r):
    return None if _shape(k) == _shape(r) else "replies differ (single-command rules sorted)"


def LIST():
    return C("ACL", "LIST", compare=rules_compare)


def GETUSER(name):
    return C("ACL", "GETUSER", name, compare=rules_compare)


SETUSER_SCRIPTS = {
    "create_and_list": [
        ["ACL", "SETUSER", "alice"],
        LIST(),
        GETUSER("alice"),
        ["ACL", "SETUSER", "bob", "on", ">p1", ">p2", ">p1", "%R~r*", "%W~w*", "~k*", "%RW~rw*", "%R~k*",
         "&ch*", "&ch*", "+get", "+config|get", "-@all", "+@string", "-incr", "+select|0", "+select|1",
         "(+set ~x*)", "(+get %R~y* &z)"],
        LIST(),
        GETUSER("bob"),
        ["ACL", "SETUSER", "bob", "<p2", "-@string", "+@hash", "-hset", "+hset", "+client|id", "-client"],
        GETUSER("bob"),
        ["ACL", "SETUSER", "bob", "clearselectors", "resetkeys", "resetchannels", "allkeys", "allchannels"],
        GETUSER("bob"),
        ["ACL", "SETUSER", "carl", "on", "nopass", "%RW~*", "+@all", "-flushall", "-config|set", "-@hash",
         "+@read", "-@list", "+lpush"],
        GETUSER("carl"),
        ["ACL", "SETUSER", "carl", "reset"],
        GETUSER("carl"),
        ["ACL", "SETUSER", "dan", "on", "#" + "a" * 64, "!" + "a" * 64, "#" + "0123456789abcdef" * 4,
         "skip-sanitize-payload", "allcommands", "nocommands", "+PING", "+Config|GET"],
        GETUSER("dan"),
        ["ACL", "SETUSER", "dan", "sanitize-payload", "off", "nopass", "resetpass", "", "(", "~a", "+get)", "()"],
        GETUSER("dan"),
        LIST(),
        ["ACL", "USERS"],
        ["ACL", "WHOAMI"],
        GETUSER("nobody"),
        ["ACL", "DELUSER", "alice", "nobody", "bob"],
        ["ACL", "DELUSER", "carl", "default"],
        ["ACL", "USERS"],
        ["ACL", "DELUSER", "Default"],
        ["ACL", "USERS"],
    ],
    "setuser_errors": [
        ["ACL", "SETUSER", "x", "+config|get|x"],
        ["ACL", "SETUSER", "x", "+get|x"],
        ["ACL", "SETUSER", "x", "+get|"],
        ["ACL", "SETUSER", "x", "+nosuch"],
        ["ACL", "SETUSER", "x", "-nosuch"],
        ["ACL", "SETUSER", "x", "-config|nosuch"],
        ["ACL", "SETUSER", "x", "+config|nosuch"],
        ["ACL", "SETUSER", "x", "+"],
        ["ACL", "SETUSER", "x", "-"],
        ["ACL", "SETUSER", "x", "+@"],
        ["ACL", "SETUSER", "x", "+@nosuch"],
        ["ACL", "SETUSER", "x", "(+get"],
        ["ACL", "SETUSER", "x", "on", "(+get", "~a"],
        ["ACL", "SETUSER", "x", "(+nosuch)"],
        ["ACL", "SETUSER", "x", "bad"],
        ["ACL", "SETUSER", "x", "~a", "allkeys", "~b"],
        ["ACL", "SETUSER", "x", "&a", "allchannels", "&b"],
        ["ACL", "SETUSER", "x", "#abc"],
        ["ACL", "SETUSER", "x", "#" + "A" * 64],
        ["ACL", "SETUSER", "x", "!zz"],
        ["ACL", "SETUSER", "x", "<zz"],
        ["ACL", "SETUSER", "x", "%X~a"],
        ["ACL", "SETUSER", "x", "%~a"],
        ["ACL", "SETUSER", "x", "%RR~a"],
        ["ACL", "SETUSER", "x", "%R"],
        ["ACL", "SETUSER", "x", "~a b"],
        ["ACL", "SETUSER", "a b"],
        ["ACL", "SETUSER", "x", "on", "+get", "bad"],
        ["ACL", "USERS"],
        ["ACL", "SETUSER"],
        ["ACL", "GETUSER"],
        ["ACL", "GETUSER", "a", "b"],
        ["ACL", "DELUSER"],
        ["ACL", "NOSUCH"],
        ["ACL"],
        ["ACL", "HELP"],
        ["ACL", "CAT", "a", "b"],
        ["ACL", "CAT", "nosuch"],
        C("ACL", "CAT"),
        C("ACL", "CAT", "string", unordered=True),
        C("ACL", "CAT", "HASH", unordered=True),
        C("ACL", "CAT", "pubsub", unordered=True),
        ["ACL", "GENPASS", "0"],
        ["ACL", "GENPASS", "4097"],
        ["ACL", "GENPASS", "x"],
        ["ACL", "GENPASS", "1", "2"],
        C("ACL", "GENPASS", skip_compare=True),
        ["ACL", "LOG", "x"],
        ["ACL", "LOG", "1", "2"],
        ["ACL", "LOG", "-1"],
        ["ACL", "LOAD"],
        ["ACL", "SAVE"],
        ["ACL", "WHOAMI", "x"],
        ["ACL", "USERS", "x"],
        ["ACL", "LIST", "x"],
    ],
}


def test_genpass_lengths(pair):
    keel, oracle = pair()
    for server in (keel, oracle):
        c = server.client()
        try:
            for bits, chars in ((None, 64), (1, 1), (4, 1), (5, 2), (255, 64), (4096, 1024)):
                args = ["ACL", "GENPASS"] + ([] if bits is None else [bits])
                pw = c.execute_command(*args)
                assert re.fullmatch(rb"[0-9a-f]{%d}" % chars, pw), (server.name, bits, pw)
            assert c.execute_command("ACL", "GENPASS") != c.execute_command("ACL", "GENPASS")
        finally:
            c.close()


AS_USER_SCRIPTS = {
    "commands_keys_channels": [
        ["SET", "r1", "v"], ["SET", "w1", "v"], ["SET", "k1", "v"], ["LPUSH", "list", "a"],
        ["ACL", "SETUSER", "bob", "on", ">pw", "%R~r*", "%W~w*", "~k*", "&ch*", "+@string", "+@keyspace",
         "-del", "+select|0", "+config|get", "+publish", "+subscribe", "+psubscribe", "+auth", "+acl|whoami",
         "+copy", "+lmove", "+sort", "+sort_ro", "+eval"],
        ["AUTH", "bob", "pw"],
        ["ACL", "WHOAMI"],
        ["GET", "r1"], ["GET", "w1"], ["GET", "k1"], ["GET", "zz"],
        ["SET", "r1", "x"], ["SET", "w1", "x"], ["SET", "k1", "x"],
        ["APPEND", "w1", "x"], ["APPEND", "r1", "x"],
        ["COPY", "r1", "w2"], ["COPY", "w1", "r2"], ["COPY", "k1", "k2"],
        ["MSET", "k3", "1", "w3", "2"], ["MSET", "k3", "1", "r3", "2"],
        ["MGET", "k1", "r1", "w1"],
        ["DEL", "k1"], ["LPUSH", "k9", "x"], ["LMOVE", "list", "k1", "LEFT", "LEFT"],
        ["SELECT", "0"], ["SELECT", "1"], ["SELECT", "x"],
        ["CONFIG", "GET", "maxmemory"], ["CONFIG", "SET", "maxmemory", "0"], ["CONFIG", "RESETSTAT"],
        ["PUBLISH", "ch1", "m"], ["PUBLISH", "other", "m"],
        ["SORT", "k1"], ["SORT", "k1", "STORE", "r9"],
        # CVE-2023-41053: BY and GET read keys no key spec names; they need access to every key.
        ["SORT", "k1", "BY", "w*"], ["SORT", "k1", "BY", "nosort"], ["SORT", "k1", "GET", "#"],
        ["SORT_RO", "k1", "BY", "k*"], ["SORT_RO", "k1", "GET", "k*"],
        ["EXISTS", "r1", "w1"], ["TOUCH", "w1"], ["RENAME", "k3", "k4"], ["RENAME", "k4", "r4"],
        ["PING"], LIST(), ["FLUSHALL"],
        ["AUTH", "default", "anything"],
        LOG(),
        LOG("2"),
        ["ACL", "LOG", "RESET"],
        LOG(),
    ],
    "subscribe_patterns": [
        ["ACL", "SETUSER", "sub", "on", "nopass", "&news.*", "&lit", "+subscribe", "+psubscribe", "+unsubscribe",
         "+punsubscribe", "+ping", "+auth"],
        ["AUTH", "sub", "x"],
        ["PSUBSCRIBE", "news.*"],
        ["PSUBSCRIBE", "news.a*"],
        Raw(encode_command(["SUBSCRIBE", "news.sport", "lit"]), replies=2),
        ["SUBSCRIBE", "lit", "news.x", "other"],
        ["PUNSUBSCRIBE", "news.*"],
        ["UNSUBSCRIBE", "lit"],
        ["RESET"],
        LOG(),
    ],
    "selectors": [
        ["ACL", "SETUSER", "sel", "on", "nopass", "+get", "~a*", "(+set ~b*)", "(+get +set %R~c* %W~d*)",
         "+auth"],
        ["AUTH", "sel", "x"],
        ["GET", "a1"], ["GET", "b1"], ["SET", "b1", "v"], ["SET", "a1", "v"], ["GET", "c1"], ["SET", "c1", "v"],
        ["SET", "d1", "v"], ["GET", "d1"], ["MSET", "b1", "1", "d1", "2"], ["INCR", "a1"],
        ["AUTH", "default", "x"],
        LOG(),
        ["ACL", "DRYRUN", "sel", "GET", "a1"],
        ["ACL", "DRYRUN", "sel", "GET", "d1"],
        ["ACL", "DRYRUN", "sel", "SET", "c1", "v"],
        ["ACL", "DRYRUN", "sel", "INCR", "a1"],
        ["ACL", "DRYRUN", "sel", "PUBLISH", "x", "y"],
        ["ACL", "DRYRUN", "sel", "CONFIG", "GET", "x"],
        ["ACL", "DRYRUN", "sel", "CONFIG", "NOSUCH"],
        ["ACL", "DRYRUN", "sel", "CONFIG"],
        ["ACL", "DRYRUN", "sel", "NOSUCH"],
        ["ACL", "DRYRUN", "sel", "GET"],
        ["ACL", "DRYRUN", "nobody", "GET", "a"],
        ["ACL", "DRYRUN", "default", "GET", "a"],
        LOG(),
    ],
    "auth_and_hello": [
        ["AUTH", "x"],
        ["AUTH", "default", "x"],
        ["AUTH", "a", "b", "c"],
        ["ACL", "SETUSER", "u1", ">secret", "+@all", "~*"],
        ["AUTH", "u1", "secret"],
        ["ACL", "SETUSER", "u1", "on"],
        ["AUTH", "u1", "wrong"],
        ["AUTH", "nobody", "x"],
        ["AUTH", "u1", "secret"],
        ["ACL", "WHOAMI"],
        C("HELLO", "2", "AUTH", "u1", "wrong", skip_compare=True),
        C("HELLO", "2", "AUTH", "nobody", "x", skip_compare=True),
        ["HELLO", "2", "AUTH", "u1"],
        ["RESET"],
        ["ACL", "WHOAMI"],
        ["CONFIG", "SET", "requirepass", "pw1"],
        GETUSER("default"),
        ["RESET"],
        ["GET", "x"],
        ["ACL", "WHOAMI"],
        ["HELLO", "2"],
        ["AUTH", "pw2"],
        ["AUTH", "pw1"],
        ["ACL", "SETUSER", "default", ">pw2"],
        ["AUTH", "default", "pw2"],
        ["CONFIG", "GET", "requirepass"],
        ["CONFIG", "SET", "requirepass", ""],
        GETUSER("default"),
        ["AUTH", "pw1"],
        LOG(),
    ],
    "multi_exec": [
        ["ACL", "SETUSER", "m", "on", "nopass", "~*", "+@all", "-flushdb", "+auth"],
        ["AUTH", "m", "x"],
        ["MULTI"],
        ["SET", "a", "1"],
        ["FLUSHDB"],
        ["EXEC"],
        ["MULTI"],
        ["SET", "a", "1"],
        ["ACL", "SETUSER", "m", "-set", "resetkeys", "~b*"],
        ["SET", "a", "2"],
        ["GET", "a"],
        ["GET", "b"],
        ["EXEC"],
        ["GET", "a"],
        ["AUTH", "default", "x"],
        ["GET", "a"],
        LOG(),
    ],
    "scripts": [
        ["SET", "a", "1"], ["SET", "b", "2"],
        ["ACL", "SETUSER", "lua", "on", "nopass", "~a*", "&ch", "+eval", "+get", "+publish", "+auth"],
        ["AUTH", "lua", "x"],
        ["EVAL", "return redis.call('get', KEYS[1])", "1", "a"],
        ["EVAL", "return redis.call('get', 'b')", "0"],
        ["EVAL", "return redis.call('set', 'a', 1)", "0"],
        ["EVAL", "return redis.pcall('set', 'a', 1)", "0"],
        ["EVAL", "return redis.call('publish', 'ch', 'm')", "0"],
        ["EVAL", "return redis.call('publish', 'other', 'm')", "0"],
        ["EVAL", "return redis.call('get', 'b')", "1", "b"],
        ["AUTH", "default", "x"],
        LOG(),
    ],
    "pubsub_default": [
        ["CONFIG", "GET", "acl-pubsub-default"],
        ["CONFIG", "SET", "acl-pubsub-default", "allchannels"],
        ["ACL", "SETUSER", "p1"],
        ["ACL", "SETUSER", "p2", "reset"],
        ["ACL", "SETUSER", "p3", "resetchannels", "(+get)"],
        LIST(),
        ["CONFIG", "SET", "acl-pubsub-default", "resetchannels"],
        ["ACL", "SETUSER", "p4", "(+get)"],
        ["ACL", "SETUSER", "p2", "reset"],
        LIST(),
        ["CONFIG", "SET", "acl-pubsub-default", "nosuch"],
        ["CONFIG", "SET", "acllog-max-len", "2"],
        ["CONFIG", "GET", "acllog-max-len"],
        ["AUTH", "p1", "x"],
        ["AUTH", "p2", "x"],
        ["AUTH", "p3", "x"],
        ["AUTH", "nobody", "x"],
        LOG(),
        ["CONFIG", "SET", "acllog-max-len", "0"],
        LOG(),
    ],
}


SCRIPTS = {**SETUSER_SCRIPTS, **AS_USER_SCRIPTS}


@pytest.mark.parametrize("hello3", PROTOS, ids=["resp2", "resp3"])
@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_script(pair, name, hello3):
    keel, oracle = pair()
    run_script(keel, oracle, SCRIPTS[name], hello3=hello3)


def test_log_groups_repeats(pair):
    """The same denial within a minute is one entry whose count grows (and moves to the front)."""
    keel, oracle = pair()
    script = [["ACL", "SETUSER", "g", "on", "nopass", "+auth", "+get", "~a"], ["AUTH", "g", "x"]]
    script += [["GET", "b"], ["SET", "a", "1"], ["GET", "b"], ["GET", "b"], ["SET", "a", "1"], ["GET", "c"]]
    script += [["AUTH", "default", "x"], LOG(), LOG("1"), LOG("0")]
    run_script(keel, oracle, script)


def _clients(server, n):
    return [server.client(single_connection_client=True) for _ in range(n)]


@pytest.mark.parametrize("which", ["keel", "redis"])
def test_deluser_disconnects_its_clients(pair, which):
    """ACL DELUSER closes the connections authenticated as the user (the caller after its reply);
    other users' connections stay."""
    keel, oracle = pair()
    server = keel if which == "keel" else oracle
    admin, victim, other = _clients(server, 3)
    try:
        admin.execute_command("ACL", "SETUSER", "v", "on", ">pw", "+@all", "~*", "&*")
        victim.execute_command("AUTH", "v", "pw")
        assert victim.execute_command("ACL", "WHOAMI") == b"v"
        assert admin.execute_command("ACL", "DELUSER", "v") == 1
        with pytest.raises(redis.ConnectionError):
            victim.connection.send_command("PING")
            victim.connection.read_response()
        assert other.execute_command("PING") in (True, b"PONG")
        # A user deleting itself gets the reply, then the connection closes.
        admin.execute_command("ACL", "SETUSER", "self", "on", ">pw", "+@all", "~*")
        victim = server.client(single_connection_client=True)
        victim.execute_command("AUTH", "self", "pw")
        assert victim.execute_command("ACL", "DELUSER", "self") == 1
        with pytest.raises(redis.ConnectionError):
            victim.connection.send_command("PING")
            victim.connection.read_response()
    finally:
        for c in (admin, victim, other):
            c.close()


@pytest.mark.parametrize("which", ["keel", "redis"])
def test_revoked_channel_disconnects_subscriber(pair, which):
    keel, oracle = pair()
    server = keel if which == "keel" else oracle
    admin = server.client()
    sub = server.client()
    try:
        admin.execute_command("ACL", "SETUSER", "s", "on", ">pw", "+@all", "~*", "&a*", "&b*")
        sub.execute_command("AUTH", "s", "pw")
        p = sub.pubsub()
        p.subscribe("bee")
        assert p.get_message(timeout=5)["type"] == "subscribe"
        admin.execute_command("ACL", "SETUSER", "s", "&c*")   # adds: the subscriber stays
        assert admin.execute_command("PUBLISH", "bee", "m") == 1
        # A selector's channels count too: moving &b* into one revokes nothing.
        admin.execute_command("ACL", "SETUSER", "s", "resetchannels", "&a*", "(+get &b*)")
        assert admin.execute_command("PUBLISH", "bee", "m") == 1
        admin.execute_command("ACL", "SETUSER", "s", "clearselectors")
        wait_until(lambda: admin.execute_command("PUBSUB", "NUMSUB", "bee")[1] == 0, timeout=5)
        p.close()
    finally:
        admin.close()
        sub.close()


def test_acl_file_save_load(start_server, keel_bin, tmp_path):
    """aclfile: users load at start-up; ACL SAVE writes ACL LIST's lines; ACL LOAD replaces the
    users (errors leave them as they were)."""
    paths, servers = [], []
    for side, binary in (("keel", keel_bin), ("redis", ORACLE_SERVER)):
        path = tmp_path / ("%s.acl" % side)
        path.write_text("user alice on #%s ~a* &c +get\nuser default on nopass ~* &* +@all\n" % ("1" * 64))
        paths.append(str(path))
        servers.append(start_server(["--aclfile", str(path)], binary=binary))
    k, r = servers
    run_script(k, r, [LIST(), ["ACL", "SETUSER", "bob", "on", ">x", "(+set ~b)"], ["ACL", "SAVE"]])
    saved = [open(p).read() for p in paths]
    assert saved[0] == saved[1]
    assert "user bob on #" in saved[0]
    for p in paths:
        with open(p, "w") as f:
            f.write("user carol on          nopass +@all ~*\n\n  user dan  on   \n")
    run_script(k, r, [["ACL", "LOAD"], LIST(), ["ACL", "WHOAMI"]])
    for p in paths:
        with open(p, "w") as f:
            f.write("user dave on +nosuch\nbad line\nuser dave on\n")
    replies = []
    for server, p in zip(servers, paths):
        c = server.client()
        try:
            with pytest.raises(redis.ResponseError) as e:
                c.execute_command("ACL", "LOAD")
            replies.append(str(e.value).replace(p, "FILE"))
            replies.append(c.execute_command("ACL", "LIST"))
        finally:
            c.close()
    assert replies[0] == replies[2]
    assert replies[1] == replies[3]
    os.unlink(paths[0])
    run_script(k, r, [LIST()])


def test_config_user_lines(start_server, keel_bin, tmp_path):
    """"user" lines in the config file (and --user on the command line) define users at start-up;
    "user default" replaces the default user's rules; requirepass comes first."""
    servers = []
    for side, binary in (("keel", keel_bin), ("redis", ORACLE_SERVER)):
        conf = tmp_path / ("%s.conf" % side)
        conf.write_text("requirepass first\nuser alice on >a ~a* +get (+set ~b*)\n"
                        "user default on nopass ~* &* +@all -debug\n")
        servers.append(start_server(["--user", "zed", "on", "nopass", "+ping"], binary=binary,
                                    config_file=str(conf)))
    run_script(*servers, [LIST(), ["FLUSHALL"], ["AUTH", "alice", "a"], ["GET", "a1"], ["SET", "b", "1"],
                          ["AUTH", "zed", "x"], ["PING"], ["GET", "a"]])


def test_config_rewrite_users(start_server, keel_bin, tmp_path):
    """CONFIG REWRITE writes every user as ACL LIST shows it, in place of the old "user" lines."""
    files = []
    for side, binary in (("keel", keel_bin), ("redis", ORACLE_SERVER)):
        conf = tmp_path / ("%s.conf" % side)
        conf.write_text("user old on nopass +ping\nmaxmemory-samples 7\nuser old2 off\n")
        server = start_server(binary=binary, config_file=str(conf))
        c = server.client()
        try:
            c.execute_command("ACL", "DELUSER", "old2")
            c.execute_command("ACL", "SETUSER", "new", "on", ">pw", "~k*", "&c", "+@hash", "-hdel", "(+get ~x)")
            assert c.execute_command("CONFIG", "REWRITE")
        finally:
            c.close()
        files.append([_sorted_rules(line.encode()) for line in conf.read_text().splitlines()
                      if line.startswith("user ") or line.startswith("maxmemory-samples")])
    assert files[0] == files[1]
    assert len(files[0]) == 4


def test_secrets_redacted(pair):
    """Passwords never reach MONITOR or the slow log: AUTH's arguments, HELLO's AUTH pair and
    every ACL SETUSER argument read "(redacted)", as in Redis."""
    keel, oracle = pair("--slowlog-log-slower-than", "0")
    lines = []
    for server in (keel, oracle):
        mon = server.raw()
        mon.send("MONITOR")
        assert mon.read_reply().raw == b"+OK\r\n"
        c = server.raw()
        for cmd in (["AUTH", "secret1"], ["AUTH", "u", "secret2"], ["HELLO", "2", "AUTH", "u", "secret3"],
                    ["ACL", "SETUSER", "u", "on", ">secret4"], ["PING"]):
            c.call(*cmd)
        seen = []
        while not seen or b'"PING"' not in seen[-1]:
            seen.append(mon.read_reply().payload.split(b"] ", 1)[1])
        slow = [e.children[3].to_py() for e in c.call("SLOWLOG", "GET", "10").children]
        lines.append((seen, slow))
        mon.close()
        c.close()
    assert lines[0] == lines[1]
    assert b"secret" not in repr(lines[0]).encode()
