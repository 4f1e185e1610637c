#!/usr/bin/python3
"""Generates src/commands/command_data.h: what redis-server 7.0.15 documents about each command
Keel implements (ACL categories, key specs, tips, COMMAND DOCS's fields and argument tree), as C
data that the rows of src/commands/command_table.c reference by name.

The set of commands is the rows' `.name = "..."` strings: add a row, re-run this script, and the
row's ACL_CATS_<id>, KS_<id> and DOC_<id> exist (<id> is the name with every character other
than a-z, 0-9 turned into "_": "client|kill" -> client_kill).

    /usr/bin/python3 tools/gen_command_data.py              # rewrite src/commands/command_data.h
    /usr/bin/python3 tools/gen_command_data.py --row pfadd  # print a row to paste into the table

It starts its own redis-server (--redis-server, default /usr/bin/redis-server) on a free port
and stops it. Fails, writing nothing, if redis-server describes a field this script does not
know (so a new field cannot be dropped silently).
"""

import argparse
import os
import re
import socket
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))
from diff.resp import RespConnection  # noqa: E402

TABLE = os.path.join(ROOT, "src", "commands", "command_table.c")
OUTPUT = os.path.join(ROOT, "src", "commands", "command_data.h")

FLAGS = {
    "write": "CMD_WRITE", "readonly": "CMD_READONLY", "denyoom": "CMD_DENYOOM", "admin": "CMD_ADMIN",
    "pubsub": "CMD_PUBSUB", "noscript": "CMD_NOSCRIPT", "blocking": "CMD_BLOCKING",
    "loading": "CMD_LOADING", "stale": "CMD_STALE", "skip_monitor": "CMD_SKIP_MONITOR",
    "skip_slowlog": "CMD_SKIP_SLOWLOG", "asking": "CMD_ASKING", "fast": "CMD_FAST",
    "no_auth": "CMD_NO_AUTH", "no_mandatory_keys": "CMD_NO_MANDATORY_KEYS",
    "no_async_loading": "CMD_NO_ASYNC_LOADING", "no_multi": "CMD_NO_MULTI",
    "allow_busy": "CMD_ALLOW_BUSY",
    "movablekeys": None,    # derived at start-up from the key specs
}
KEY_FLAGS = ["RO", "RW", "OW", "RM", "access", "update", "insert", "delete", "not_key", "incomplete",
             "variable_flags"]
ARG_TYPES = {"string": "ARG_STRING", "integer": "ARG_INTEGER", "double": "ARG_DOUBLE", "key": "ARG_KEY",
             "pattern": "ARG_PATTERN", "unix-time": "ARG_UNIX_TIME", "pure-token": "ARG_PURE_TOKEN",
             "oneof": "ARG_ONEOF", "block": "ARG_BLOCK"}
ARG_FLAGS = {"optional": "ARG_OPTIONAL", "multiple": "ARG_MULTIPLE", "multiple_token": "ARG_MULTIPLE_TOKEN"}
DOC_FLAGS = {"deprecated": "DOC_DEPRECATED", "syscmd": "DOC_SYSCMD"}
# The field orders Keel's COMMAND DOCS writes (cmd_command.c); Redis's must follow them.
DOC_FIELDS = ["summary", "since", "group", "complexity", "doc_flags", "deprecated_since", "replaced_by",
              "history", "arguments", "subcommands"]
ARG_FIELDS = ["name", "type", "key_spec_index", "token", "since", "deprecated_since", "flags", "arguments"]
SPEC_FIELDS = ["notes", "flags", "begin_search", "find_keys"]


class Unknown(Exception):
    """redis-server described something this script cannot translate."""


def ident(name):
    return re.sub(r"[^a-z0-9]", "_", name)


def py(r):
    """A reply as Python data: maps as lists of pairs (order kept), strings as str."""
    if r.kind in "%|":
        return [(py(a), py(b)) for a, b in r.pairs()]
    if r.kind in "*~>":
        return [py(x) for x in r.children]
    v = r.to_py()
    return v.decode() if isinstance(v, bytes) else v


def check_order(pairs, order, what):
    keys = [k for k, _ in pairs]
    unknown = [k for k in keys if k not in order]
    if unknown or keys != sorted(keys, key=order.index):
        raise Unknown("%s: fields %r (known, in order: %r)" % (what, keys, order))
    return dict(pairs)


def c_str(s):
    if s is None:
        return "NULL"
    out = []
    for b in s.encode():
        ch = chr(b)
        if ch in '"\\':
            out.append("\\" + ch)
        elif 32 <= b < 127 and ch != "?":   # "?" could start a trigraph
            out.append(ch)
        else:
            out.append("\\%03o" % b)
    return '"' + "".join(out) + '"'


def bits(names, table, what):
    out = []
    for n in names:
        if n not in table:
            raise Unknown("%s: unknown flag %r" % (what, n))
        if table[n]:
            out.append(table[n])
    return " | ".join(out) if out else "0"


def key_spec(spec, what):
    s = check_order(spec, SPEC_FIELDS, what)
    flags = bits(s["flags"], {f: "KS_" + f.upper() for f in KEY_FLAGS}, what)
    bs, fk = dict(s["begin_search"]), dict(s["find_keys"])
    bspec, fspec = dict(bs["spec"]), dict(fk["spec"])
    if bs["type"] == "index":
        begin = ".begin_search = KSB_INDEX, .bs.index = {%d}" % bspec["index"]
    elif bs["type"] == "keyword":
        begin = ".begin_search = KSB_KEYWORD, .bs.keyword = {%s, %d}" % (c_str(bspec["keyword"]),
                                                                       bspec["startfrom"])
    elif bs["type"] == "unknown":
        begin = ".begin_search = KSB_UNKNOWN"
    else:
        raise Unknown("%s: begin_search %r" % (what, bs["type"]))
    if fk["type"] == "range":
        find = ".find_keys = KSF_RANGE, .fk.range = {%d, %d, %d}" % (fspec["lastkey"], fspec["keystep"],
                                                                    fspec["limit"])
    elif fk["type"] == "keynum":
        find = ".find_keys = KSF_KEYNUM, .fk.keynum = {%d, %d, %d}" % (fspec["keynumidx"], fspec["firstkey"],
                                                                      fspec["keystep"])
    elif fk["type"] == "unknown":
        find = ".find_keys = KSF_UNKNOWN"
    else:
        raise Unknown("%s: find_keys %r" % (what, fk["type"]))
    notes = ".notes = %s, " % c_str(s["notes"]) if "notes" in s else ""
    return "    {%s.flags = %s, %s, %s}," % (notes, flags, begin, find)


def arg_array(args, sym, out, what):
    """Emits the arrays of args (children first) into out; returns nothing, defines sym."""
    rows = []
    for i, pairs in enumerate(args):
        a = check_order(pairs, ARG_FIELDS, what)
        if a["type"] not in ARG_TYPES:
            raise Unknown("%s: argument type %r" % (what, a["type"]))
        fields = [".name = %s" % c_str(a["name"]), ".type = %s" % ARG_TYPES[a["type"]],
                  ".key_spec_index = %d" % a.get("key_spec_index", -1)]
        for f in ("token", "since", "deprecated_since"):
            if f in a:
                fields.append(".%s = %s" % (f, c_str(a[f])))
        if "flags" in a:
            fields.append(".flags = %s" % bits(a["flags"], ARG_FLAGS, what))
        if "arguments" in a:
            sub = "%s_%d" % (sym, i)
            arg_array(a["arguments"], sub, out, what)
            fields.append(".subargs = %s" % sub)
        rows.append("    {%s}," % ", ".join(fields))
    out.append("static const commandArg %s[] = {\n%s\n    {.name = NULL},\n};" % (sym, "\n".join(rows)))


def command_data(name, info, docs):
    """The C text defining ACL_CATS_<id>, KS_<id> and DOC_<id> for one command."""
    i = ident(name)
    (_, _arity, _flags, _first, _last, _step, cats, tips, specs, _subs) = info
    out = ["/* ---- %s ---- */" % name]
    acl = " | ".join("ACL_" + c.lstrip("@").upper() for c in cats) or "0"
    out.append("#define ACL_CATS_%s (%s)" % (i, acl))
    rows = "".join(key_spec(s, "%s key spec" % name) + "\n" for s in specs)
    out.append("static const keySpec KS_%s[] = {\n%s    {.begin_search = KSB_END},\n};" % (i, rows))
    d = check_order(docs, DOC_FIELDS, "%s docs" % name)
    fields = [".%s = %s" % (f, c_str(d[f])) for f in ("summary", "since", "group", "complexity") if f in d]
    if "doc_flags" in d:
        fields.append(".doc_flags = %s" % bits(d["doc_flags"], DOC_FLAGS, name))
    for f in ("deprecated_since", "replaced_by"):
        if f in d:
            fields.append(".%s = %s" % (f, c_str(d[f])))
    if "history" in d:
        hist = "".join("    {%s, %s},\n" % (c_str(v), c_str(t)) for v, t in d["history"])
        out.append("static const commandHistory HIST_%s[] = {\n%s    {NULL, NULL},\n};" % (i, hist))
        fields.append(".history = HIST_%s" % i)
    if tips:
        out.append("static const char *const TIPS_%s[] = {%s, NULL};" % (i, ", ".join(c_str(t) for t in tips)))
        fields.append(".tips = TIPS_%s" % i)
    if "arguments" in d:
        arg_array(d["arguments"], "ARGS_%s" % i, out, name)
        fields.append(".args = ARGS_%s" % i)
    out.append("static const commandDoc DOC_%s = {\n    %s,\n};" % (i, ",\n    ".join(fields)))
    return "\n".join(out)


def row(name, info):
    """A command-table row for name, with its procedure named <id>_command; a write propagates
    as-is until someone says otherwise."""
    i = ident(name)
    flags = bits(info[2], FLAGS, name)
    prop = ", .propagate = PROPAGATE_ASIS" if "write" in info[2] else ""
    return ('    {.name = "%s", .proc = %s_command, .arity = %d, .flags = %s,\n'
            '     .acl_categories = ACL_CATS_%s, .key_specs = KS_%s%s, .doc = &DOC_%s},'
            % (name, i, info[1], flags, i, i, prop, i))


def table_names():
    with open(TABLE) as f:
        return re.findall(r'\.name = "([^"]+)"', f.read())


class Redis:
    def __init__(self, binary):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        self.port = s.getsockname()[1]
        s.close()
        self.proc = subprocess.Popen([binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                      "--appendonly", "no"], stdout=subprocess.DEVNULL)
        deadline = time.time() + 10
        while True:
            try:
                self.conn = RespConnection(port=self.port)
                break
            except OSError:
                if time.time() > deadline or self.proc.poll() is not None:
                    raise
                time.sleep(0.02)
        self.conn.call("HELLO", "3")

    def info(self, name):
        return py(self.conn.call("COMMAND", "INFO", name))[0]

    def docs(self, name):
        reply = py(self.conn.call("COMMAND", "DOCS", name))
        return reply[0][1]

    def close(self):
        self.conn.close()
        self.proc.terminate()
        self.proc.wait(10)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--redis-server", default="/usr/bin/redis-server")
    ap.add_argument("--row", metavar="NAME", help="print a table row for NAME instead")
    opts = ap.parse_args()
    redis = Redis(opts.redis_server)
    try:
        if opts.row:
            info = redis.info(opts.row.lower())
            if info is None:
                sys.exit("redis-server has no command %r" % opts.row)
            print(row(info[0], info))
            return
        parts = []
        for name in table_names():
            info = redis.info(name)
            if info is None:
                sys.exit("%s: redis-server has no command %r; Keel's table must not either" % (TABLE, name))
            parts.append(command_data(name, info, redis.docs(name)))
    except Unknown as e:
        sys.exit("gen_command_data.py: %s" % e)
    finally:
        redis.close()
    with open(OUTPUT, "w") as f:
        f.write("/* command_data.h - GENERATED by tools/gen_command_data.py from redis-server 7.0.15's\n"
                " * COMMAND INFO and COMMAND DOCS; do not edit. Included by command_table.c only: each\n"
                " * row references its own ACL_CATS_<id>, KS_<id> and DOC_<id>. */\n\n")
        f.write("\n\n".join(parts))
        f.write("\n")


if __name__ == "__main__":
    main()
