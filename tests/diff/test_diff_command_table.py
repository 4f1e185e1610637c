"""Differential tests of the command table as clients see it, over EVERY command Keel implements
(the names in Keel's COMMAND LIST): COMMAND INFO and COMMAND DOCS byte for byte in RESP2 and
RESP3, COMMAND GETKEYS/GETKEYSANDFLAGS on command lines generated from each command's argument
tree, COMMAND COUNT, COMMAND LIST FILTERBY; and DEBUG ERROR, MODULE LIST, LOLWUT.

Where Keel implements fewer subcommands of a container than Redis (LATENCY, MODULE), the
container's subcommand lists are compared on the subcommands Keel has. Redis lists subcommands
in hash-table order, so every subcommand's entry is compared byte for byte on its own.
"""

import pytest

from helpers import ORACLE_SERVER

PROTOCOLS = [2, 3]


def connect(server, proto):
    conn = server.raw()
    if proto == 3:
        conn.call("HELLO", "3")
    return conn


@pytest.fixture
def pair(keel, oracle, request):
    proto = getattr(request, "param", 2)
    k, r = connect(keel, proto), connect(oracle, proto)
    yield k, r
    k.close()
    r.close()


def implemented(conn):
    return sorted(x.decode() for x in conn.call("COMMAND", "LIST").to_py())


def fields(reply):
    """A map reply (RESP3 %, or RESP2 flat array) as a dict name -> child Reply."""
    kids = reply.children
    return {kids[i].payload: kids[i + 1] for i in range(0, len(kids), 2)}


def subcommand_raws(reply, keep):
    """Raw bytes of each subcommand entry, by name, for the names in keep."""
    return {e.children[0].payload: e.raw for e in reply.children if e.children[0].payload in keep}


def compare_info(k, r, names):
    """COMMAND INFO of each name on both sides: byte for byte, subcommands entry by entry."""
    keep = set(n.encode() for n in names)
    for name in names:
        kr, rr = k.call("COMMAND", "INFO", name), r.call("COMMAND", "INFO", name)
        ke, re_ = kr.children[0], rr.children[0]
        assert [c.raw for c in ke.children[:9]] == [c.raw for c in re_.children[:9]], \
            "COMMAND INFO %s\n  keel  %r\n  redis %r" % (name, ke.raw, re_.raw)
        ks, rs = ke.children[9], re_.children[9]
        if not rs.children:
            assert ks.raw == rs.raw, name
        else:
            assert subcommand_raws(ks, keep) == subcommand_raws(rs, keep), name
            assert len(ks.children) == len(subcommand_raws(rs, keep)), name


def compare_docs(k, r, names):
    keep = set(n.encode() for n in names)
    for name in names:
        kr, rr = k.call("COMMAND", "DOCS", name), r.call("COMMAND", "DOCS", name)
        assert kr.children[0].raw == rr.children[0].raw, name
        kd, rd = fields(kr.children[1]), fields(rr.children[1])
        assert list(kd) == list(rd), "COMMAND DOCS %s fields: keel %r redis %r" % (name, list(kd), list(rd))
        for f in kd:
            if f != b"subcommands":
                assert kd[f].raw == rd[f].raw, "COMMAND DOCS %s %s\n  keel  %r\n  redis %r" % (
                    name, f, kd[f].raw, rd[f].raw)
        if b"subcommands" in kd:
            ks = {n: v.raw for n, v in fields(kd[b"subcommands"]).items()}
            rs = {n: v.raw for n, v in fields(rd[b"subcommands"]).items() if n in keep}
            assert ks == rs, "COMMAND DOCS %s subcommands" % name


@pytest.mark.parametrize("pair", PROTOCOLS, indirect=True)
def test_command_info_of_every_command(pair):
    k, r = pair
    names = implemented(k)
    assert len(names) > 200
    compare_info(k, r, names)


@pytest.mark.parametrize("pair", PROTOCOLS, indirect=True)
def test_command_docs_of_every_command(pair):
    k, r = pair
    compare_docs(k, r, implemented(k))


def test_keel_commands_are_redis_commands_and_counted(pair):
    k, r = pair
    mine, theirs = implemented(k), set(implemented(r))
    assert [n for n in mine if n not in theirs] == []
    top = [n for n in mine if "|" not in n]
    assert k.call("COMMAND", "COUNT").to_py() == len(top)
    assert len(k.call("COMMAND").children) == len(top)
    assert len(k.call("COMMAND", "INFO").children) == len(top)
    assert len(k.call("COMMAND", "DOCS").children) == 2 * len(top)
    # A container's own entry lists exactly its implemented subcommands.
    for name in top:
        subs = k.call("COMMAND", "INFO", name).children[0].children[9].children
        assert sorted(s.children[0].payload.decode() for s in subs) == \
            [n for n in mine if n.startswith(name + "|")]


@pytest.mark.parametrize("pair", PROTOCOLS, indirect=True)
def test_command_list_filterby(pair):
    k, r = pair
    mine = set(implemented(k))
    cats = [c.decode() for c in r.call("ACL", "CAT").to_py()]
    assert len(cats) == 21
    filters = [("ACLCAT", c) for c in cats + ["nosuch"]] + [
        ("PATTERN", p) for p in ("*", "z*", "client|*", "*|help", "?et", "[gs]et*", "nosuch*")
    ] + [("MODULE", "x")]
    for kind, arg in filters:
        kr = k.call("COMMAND", "LIST", "FILTERBY", kind, arg)
        rr = r.call("COMMAND", "LIST", "FILTERBY", kind, arg)
        got = sorted(x.decode() for x in kr.to_py())
        want = sorted(x.decode() for x in rr.to_py() if x.decode() in mine)
        assert got == want, (kind, arg)
        assert kr.kind == rr.kind


# ---------------------------------------------------------------- COMMAND GETKEYS

def generate(args, full, key_names):
    """A command line for an argument tree (Reply maps): required arguments only, or (full)
    every optional one too, multiple ones twice. Keys are named k0, k1, ... in order."""
    out = []
    for reply in args:
        a = fields(reply)
        flags = [f.payload for f in a[b"flags"].children] if b"flags" in a else []
        if b"optional" in flags and not full:
            continue
        token = a[b"token"].payload.decode() if b"token" in a else None
        for _ in range(2 if (b"multiple" in flags and full) else 1):
            if token and a[b"type"].payload != b"pure-token":
                out.append(token)
            out.extend(one_arg(a, full, key_names))
    return out


def one_arg(a, full, key_names):
    t = a[b"type"].payload.decode()
    if t == "key":
        key_names.append("k%d" % len(key_names))
        return [key_names[-1]]
    if t == "pure-token":
        return [a[b"token"].payload.decode()]
    if t == "oneof":
        return generate(a[b"arguments"].children[:1], True, key_names)
    if t == "block":
        return generate(a[b"arguments"].children, full, key_names)
    if a[b"name"].payload == b"numkeys":
        return ["NUMKEYS"]   # filled in once the keys after it are known
    return {"integer": ["1"], "double": ["1.5"], "unix-time": ["100"], "pattern": ["*"]}.get(t, ["v"])


def fill_numkeys(argv):
    if "NUMKEYS" in argv:
        i = argv.index("NUMKEYS")
        argv[i] = str(sum(1 for a in argv[i + 1:] if a.startswith("k")))
    return argv


def command_lines(conn, name):
    doc = fields(conn.call("COMMAND", "DOCS", name).children[1])
    args = doc[b"arguments"].children if b"arguments" in doc else []
    prefix = name.split("|")
    return [fill_numkeys(prefix + generate(args, full, [])) for full in (False, True)]


HAND_WRITTEN = [
    ["mset", "a", "1", "b"], ["eval", "s", "0"], ["eval", "s", "2", "a"], ["eval", "s", "x"],
    ["sort", "k", "STORE", "d"], ["sort", "k", "BY", "w", "STORE", "d", "GET", "x"], ["sort_ro", "k"],
    ["lmove", "a", "b", "LEFT", "RIGHT"], ["zunionstore", "d", "2", "a"], ["zunion", "x", "a"],
    ["zunion", "-1", "a"], ["lmpop", "3", "a", "LEFT"], ["blmpop", "0", "1", "a", "LEFT"],
    ["get"], ["get", "a", "b"], ["ping"], ["nosuch", "a"], ["spublish", "ch", "m"],
    ["object", "encoding", "k"], ["object", "nosuch", "k"], ["object", "help"], ["config", "get", "x"],
    ["del", "a", "b", "c"], ["bitop", "and", "d", "a", "b"], ["zintercard", "2", "a", "b", "LIMIT", "1"],
    ["georadius"], ["memory", "usage", "k"], ["watch", "a", "b"], ["ssubscribe", "a"],
    ["set", "k", "v", "get"], ["set", "k", "v", "EX", "1"], ["bitfield", "k", "get", "u8", "0"],
    ["bitfield", "k", "get", "u8"], ["bitfield", "k", "overflow", "wrap"], ["bitfield", "k", "foo"],
    ["bitfield", "k", "GET", "u8", "0", "SET", "u8", "0", "1"], ["bitfield_ro", "k", "get", "u8", "0"],
]


@pytest.mark.parametrize("pair", PROTOCOLS, indirect=True)
def test_command_getkeys_for_every_command(pair):
    k, r = pair
    lines = list(HAND_WRITTEN)
    for name in implemented(k):
        lines += command_lines(r, name)
    checked_with_keys = 0
    for line in lines:
        for sub in ("GETKEYS", "GETKEYSANDFLAGS"):
            kr, rr = k.call("COMMAND", sub, *line), r.call("COMMAND", sub, *line)
            assert kr.raw == rr.raw, "COMMAND %s %s\n  keel  %r\n  redis %r" % (sub, line, kr.raw, rr.raw)
            checked_with_keys += not kr.is_error and len(kr.children) > 0
    assert checked_with_keys > 200


def test_getkeysandflags_gives_each_key_its_own_flags(keel):
    conn = keel.raw()
    reply = conn.call("COMMAND", "GETKEYSANDFLAGS", "LMOVE", "src", "dst", "LEFT", "RIGHT").to_py()
    conn.close()
    assert reply == [[b"src", [b"RW", b"access", b"delete"]], [b"dst", [b"RW", b"insert"]]]


# ---------------------------------------------------------------- DEBUG ERROR, MODULE, LOLWUT

@pytest.mark.parametrize("proto", PROTOCOLS)
def test_debug_error_module_lolwut(start_server, proto):
    args = ["--enable-debug-command", "yes"]
    k = connect(start_server(args), proto)
    r = connect(start_server(args, binary=ORACLE_SERVER), proto)
    try:
        for line in (["DEBUG", "ERROR", "some message"], ["DEBUG", "ERROR", "-CUSTOM code"], ["MODULE", "LIST"],
                     ["MODULE", "nosuch"], ["MODULE"], ["LOLWUT"], ["LOLWUT", "VERSION", "1"],
                     ["LOLWUT", "VERSION", "7"], ["LOLWUT", "VERSION", "x"], ["LOLWUT", "VERSION"],
                     ["LOLWUT", "foo"], ["MODULE", "HELP", "x"]):
            kr, rr = k.call(*line), r.call(*line)
            assert kr.raw == rr.raw, line
        # MODULE HELP lists only what Keel has; its header line is Redis's.
        kh, rh = k.call("MODULE", "HELP"), r.call("MODULE", "HELP")
        assert kh.children[0].raw == rh.children[0].raw
        assert b"LIST" in [c.payload for c in kh.children]
        # Versions 5 and 6 draw random art in Redis; the captions and version line match.
        for v in ("5", "6"):
            kt = k.call("LOLWUT", "VERSION", v, "1", "1").payload
            rt = r.call("LOLWUT", "VERSION", v, "1", "1").payload
            assert k.call("LOLWUT", "VERSION", v).kind == r.call("LOLWUT", "VERSION", v).kind
            tail = rt.split(b"\n\n", 1)[-1] if v == "5" else rt.split(b"\n", 1)[1]
            assert kt.endswith(tail) and tail.endswith(b"Redis ver. 7.0.15\n")
    finally:
        k.close()
        r.close()
