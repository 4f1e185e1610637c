"""Differential scripts: server, connection and introspection commands (CONFIG, CLIENT, COMMAND,
INFO, SLOWLOG, LATENCY, OBJECT, MEMORY, DEBUG, SHUTDOWN's argument errors).

Only deterministic replies are compared byte for byte. Where Keel knowingly differs the step
uses a comparator that says what is compared:
  - COMMAND INFO (tips left out) and COMMAND DOCS (summary, since, group, complexity and the
    subcommand names) with subcommands compared as a set, as Redis lists them in hash-table
    order; test_diff_command_table.py compares every command's full INFO and DOCS byte for
    byte;
  - CLIENT HELP / LATENCY HELP list only the subcommands Keel has (no GRAPH, HISTOGRAM), so
    they are not in these scripts.
  - CONFIG GET: every parameter and default is compared in test_diff_config.py.
Every script runs over RESP2 and again after HELLO 3.
"""

import pytest

from diff.resp import encode_command
from diff.runner import C, Raw, run_script
from helpers import ORACLE_SERVER


def cmds(*commands):
    """Several commands as the bytes of one pipelined write."""
    return b"".join(encode_command(c) for c in commands)


def _norm_info(entry):
    """A COMMAND INFO entry as comparable data: tips dropped, subcommands sorted by name."""
    if entry is None:
        return None
    name, arity, flags, first, last, step, cats, _tips, specs, subs = entry
    return (name, arity, tuple(flags), first, last, step, tuple(cats), repr(specs),
            tuple(sorted((_norm_info(s) for s in subs), key=repr)))


def command_info_without_tips(keel, redis):
    if keel.kind != redis.kind or keel.is_error or redis.is_error:
        return None if keel.raw == redis.raw else "replies differ"
    k = [_norm_info(e) for e in keel.to_py()]
    r = [_norm_info(e) for e in redis.to_py()]
    return None if k == r else "COMMAND INFO differs (tips ignored):\n  keel  %r\n  redis %r" % (k, r)


DOC_FIELDS = (b"summary", b"since", b"group", b"complexity")


def _norm_docs(pairs):
    out = {}
    for name, doc in pairs:
        fields = dict(_as_pairs(doc))
        norm = tuple((f, fields.get(f)) for f in DOC_FIELDS)
        subs = fields.get(b"subcommands")
        out[name] = (norm, _norm_docs(_as_pairs(subs)) if subs else None)
    return out


def _as_pairs(value):
    """A map reply as (key, value) pairs, whether it came as a RESP3 map or a RESP2 array."""
    if value and isinstance(value[0], tuple):
        return value
    return [(value[i], value[i + 1]) for i in range(0, len(value), 2)]


def command_docs_fields(keel, redis):
    if keel.kind != redis.kind or keel.is_error or redis.is_error:
        return None if keel.raw == redis.raw else "replies differ"

    def docs(reply):
        return _norm_docs(_as_pairs(reply.to_py()))
    k, r = docs(keel), docs(redis)
    return None if k == r else "COMMAND DOCS differ:\n  keel  %r\n  redis %r" % (k, r)


SCRIPTS = {
    "help_texts": [
        ["CONFIG", "HELP"],
        ["OBJECT", "HELP"],
        ["MEMORY", "HELP"],
        ["SLOWLOG", "HELP"],
        ["COMMAND", "HELP"],
        ["config", "help"],
        ["CONFIG", "HELP", "extra"],
    ],
    "config_get": [
        ["CONFIG", "GET", "maxmemory"],
        C("CONFIG", "GET", "max*", pairs=True),
        C("CONFIG", "GET", "maxmemory*", "*-max-listpack-*", pairs=True),
        C("CONFIG", "GET", "hash-max-*", pairs=True),
        ["CONFIG", "GET", "hash-max-ziplist-entries"],
        ["CONFIG", "GET", "HZ"],
        C("CONFIG", "GET", "hz", "HZ", "Hz", pairs=True),
        C("CONFIG", "GET", "MAXMEMORY", "max*", pairs=True),
        ["CONFIG", "GET", "no-such-parameter"],
        C("CONFIG", "GET", "maxmemory", "maxmemory", "max*policy", pairs=True),
        C("CONFIG", "GET", "lazyfree-*", "slowlog-*", pairs=True),
        ["CONFIG", "GET", "notify-keyspace-events"],
        ["CONFIG", "GET", "client-output-buffer-limit"],
        ["CONFIG", "GET", "appendonly"],
        ["CONFIG", "GET", "databases"],
        ["CONFIG", "GET", "timeout"],
        ["CONFIG", "GET", "dbfilename"],
        ["CONFIG", "GET", "appendfsync"],
        C("CONFIG", "GET", "list-max-*", pairs=True),
        ["CONFIG", "GET"],
    ],
    "config_set": [
        C("CONFIG", "SET", "maxmemory", "10mb", expect=b"+OK\r\n"),
        ["CONFIG", "GET", "maxmemory"],
        ["CONFIG", "SET", "maxmemory", "1gb", "maxmemory-policy", "allkeys-lru"],
        C("CONFIG", "GET", "maxmemory*", pairs=True),
        ["CONFIG", "SET", "maxmemory", "0", "maxmemory-policy", "noeviction"],
        ["CONFIG", "SET", "hz", "0"],
        ["CONFIG", "GET", "hz"],
        ["CONFIG", "SET", "hz", "1000"],
        ["CONFIG", "GET", "hz"],
        ["CONFIG", "SET", "hz", "10"],
        ["CONFIG", "SET", "notify-keyspace-events", "KEA"],
        ["CONFIG", "GET", "notify-keyspace-events"],
        ["CONFIG", "SET", "notify-keyspace-events", "Kx$"],
        ["CONFIG", "GET", "notify-keyspace-events"],
        ["CONFIG", "SET", "notify-keyspace-events", ""],
        ["CONFIG", "SET", "save", "100 10 20 5"],
        ["CONFIG", "GET", "save"],
        ["CONFIG", "SET", "save", ""],
        ["CONFIG", "GET", "save"],
        ["CONFIG", "SET", "client-output-buffer-limit", "normal 1mb 2mb 3"],
        ["CONFIG", "GET", "client-output-buffer-limit"],
        ["CONFIG", "SET", "client-output-buffer-limit", "normal 0 0 0"],
        ["CONFIG", "SET", "slowlog-max-len", "64", "latency-monitor-threshold", "0"],
        C("CONFIG", "GET", "slowlog-max-len", "latency-monitor-threshold", pairs=True),
        ["CONFIG", "SET", "slowlog-max-len", "128"],
        ["CONFIG", "SET", "loglevel", "warning"],
        ["CONFIG", "GET", "loglevel"],
        ["CONFIG", "SET", "loglevel", "notice"],
        ["CONFIG", "SET", "appendfsync", "always"],
        ["CONFIG", "GET", "appendfsync"],
        ["CONFIG", "SET", "appendfsync", "everysec"],
        ["CONFIG", "SET", "hash-max-ziplist-entries", "100"],
        C("CONFIG", "GET", "hash-max-*-entries", pairs=True),
        ["CONFIG", "SET", "hash-max-listpack-entries", "512"],
    ],
    "config_set_errors": [
        C("CONFIG", "SET", "nosuch", "1",
          expect=b"-ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'\r\n"),
        ["CONFIG", "SET", "a", "b", "c"],
        ["CONFIG", "SET", "maxmemory"],
        ["CONFIG", "SET", "maxmemory", "foo"],
        ["CONFIG", "SET", "maxmemory", "-1"],
        ["CONFIG", "SET", "maxmemory", "1.5gb"],
        ["CONFIG", "SET", "maxmemory-policy", "foo"],
        ["CONFIG", "SET", "loglevel", "loud"],
        ["CONFIG", "SET", "appendfsync", "sometimes"],
        ["CONFIG", "SET", "port", "70000"],
        ["CONFIG", "SET", "databases", "3"],
        ["CONFIG", "SET", "unixsocket", "/tmp/x.sock"],
        ["CONFIG", "SET", "tcp-backlog", "5"],
        ["CONFIG", "SET", "daemonize", "yes"],
        ["CONFIG", "SET", "enable-debug-command", "yes"],
        ["CONFIG", "SET", "dir", "/tmp"],
        ["CONFIG", "SET", "dbfilename", "x.rdb"],
        ["CONFIG", "SET", "maxmemory", "1", "maxmemory", "2"],
        ["CONFIG", "SET", "maxmemory", "1", "MAXMEMORY", "2"],
        ["CONFIG", "SET", "timeout", "x"],
        ["CONFIG", "SET", "timeout", "-1"],
        ["CONFIG", "SET", "protected-mode", "maybe"],
        ["CONFIG", "SET", "save", "x"],
        ["CONFIG", "SET", "save", "100"],
        ["CONFIG", "SET", "save", "0 1"],
        ["CONFIG", "SET", "save", "1 -1"],
        ["CONFIG", "SET", "notify-keyspace-events", "Q"],
        ["CONFIG", "SET", "client-output-buffer-limit", "x"],
        ["CONFIG", "SET", "client-output-buffer-limit", "foo 1 2 3"],
        ["CONFIG", "SET", "client-output-buffer-limit", "normal x 2 3"],
        ["CONFIG", "SET", "slowlog-log-slower-than", "-2"],
        ["CONFIG", "SET", "maxclients", "0"],
        ["CONFIG", "SET", "lfu-log-factor", "-1"],
        ["CONFIG", "SET", "list-max-listpack-size", "x"],
        ["CONFIG", "SET", "proto-max-bulk-len", "10"],
        ["CONFIG", "SET", "active-expire-effort", "11"],
        ["CONFIG", "SET", "maxmemory-eviction-tenacity", "101"],
        # A failure part way leaves the earlier parameters unchanged.
        ["CONFIG", "SET", "maxmemory", "5mb", "hz", "x"],
        ["CONFIG", "GET", "maxmemory"],
        ["CONFIG", "GET", "hz"],
        ["CONFIG", "RESETSTAT", "x"],
        ["CONFIG", "REWRITE", "x"],
        C("CONFIG", "REWRITE", expect=b"-ERR The server is running without a config file\r\n"),
        ["CONFIG", "NOSUCH"],
        ["CONFIG"],
    ],
    "client": [
        ["CLIENT", "GETNAME"],
        ["CLIENT", "SETNAME", "conn-1"],
        ["CLIENT", "GETNAME"],
        ["CLIENT", "SETNAME", "has space"],
        ["CLIENT", "SETNAME", "tab\there"],
        ["CLIENT", "SETNAME", "é"],
        ["CLIENT", "SETNAME", ""],
        ["CLIENT", "GETNAME"],
        ["CLIENT", "SETNAME", "a", "b"],
        ["CLIENT", "ID", "x"],
        ["CLIENT", "GETREDIR"],
        ["CLIENT", "TRACKINGINFO"],
        ["CLIENT", "NO-EVICT", "on"],
        ["CLIENT", "NO-EVICT", "OFF"],
        ["CLIENT", "NO-EVICT", "maybe"],
        ["CLIENT", "REPLY", "maybe"],
        ["CLIENT", "LIST", "TYPE", "pubsub"],
        ["CLIENT", "LIST", "TYPE", "master"],
        ["CLIENT", "LIST", "TYPE", "replica"],
        ["CLIENT", "LIST", "TYPE", "slave"],
        ["CLIENT", "LIST", "TYPE", "foo"],
        ["CLIENT", "LIST", "TYPE"],
        ["CLIENT", "LIST", "ID"],
        ["CLIENT", "LIST", "ID", "1", "x"],
        ["CLIENT", "LIST", "ID", "0"],
        ["CLIENT", "LIST", "ID", "-1", "999999"],
        ["CLIENT", "LIST", "foo"],
        ["CLIENT", "LIST", "TYPE", "normal", "ID", "5"],
        ["CLIENT", "KILL", "1.2.3.4:5"],
        ["CLIENT", "KILL", "ID"],
        ["CLIENT", "KILL", "ID", "999999"],
        ["CLIENT", "KILL", "ID", "x"],
        ["CLIENT", "KILL", "ID", "0"],
        ["CLIENT", "KILL", "foo", "bar"],
        ["CLIENT", "KILL", "a", "b", "c"],
        ["CLIENT", "KILL", "ADDR", "1.2.3.4:5"],
        ["CLIENT", "KILL", "LADDR", "1.2.3.4:5"],
        ["CLIENT", "KILL", "TYPE", "foo"],
        ["CLIENT", "KILL", "TYPE", "pubsub"],
        ["CLIENT", "KILL", "TYPE", "master", "SKIPME", "no"],
        ["CLIENT", "KILL", "SKIPME", "maybe"],
        ["CLIENT", "KILL", "USER", "nouser"],
        ["CLIENT", "KILL", "USER", "default", "SKIPME", "yes", "TYPE", "pubsub"],
        ["CLIENT", "KILL", "MAXAGE", "10"],
        ["CLIENT", "PAUSE", "x"],
        ["CLIENT", "PAUSE", "-1"],
        ["CLIENT", "PAUSE", "10", "foo"],
        ["CLIENT", "PAUSE", "10", "WRITE", "x"],
        ["CLIENT", "PAUSE", "0", "WRITE"],
        ["CLIENT", "PAUSE", "0"],
        ["CLIENT", "UNPAUSE"],
        ["CLIENT", "UNPAUSE", "x"],
        ["CLIENT", "UNBLOCK", "999999"],
        ["CLIENT", "UNBLOCK", "x"],
        ["CLIENT", "UNBLOCK", "1", "foo"],
        ["CLIENT", "UNBLOCK", "1", "TIMEOUT", "x"],
        ["CLIENT", "UNBLOCK", "1", "error"],
        ["CLIENT", "NOSUCH"],
        ["CLIENT"],
        ["PING"],
    ],
    # CLIENT REPLY OFF/SKIP send nothing, so these steps are pipelines that read only the replies
    # that must come.
    "client_reply": [
        ["CLIENT", "REPLY", "ON"],
        Raw(cmds(["CLIENT", "REPLY", "SKIP"], ["SET", "skipped", "1"], ["GET", "skipped"]), replies=1),
        Raw(cmds(["CLIENT", "REPLY", "SKIP"], ["CLIENT", "REPLY", "ON"], ["PING"]), replies=2),
        Raw(cmds(["CLIENT", "REPLY", "OFF"], ["SET", "silent", "1"], ["INCR", "silent"],
                 ["CLIENT", "REPLY", "SKIP"], ["NOSUCH"], ["CLIENT", "REPLY", "ON"], ["GET", "silent"]),
            replies=2),
        Raw(cmds(["CLIENT", "REPLY", "OFF"], ["CLIENT", "REPLY", "maybe"], ["CLIENT", "REPLY", "ON"]),
            replies=1),
        ["PING"],
    ],
    "command": [
        C("COMMAND", "INFO", "get", "config|get", "memory|usage", "object|encoding", "echo", "select",
          "hello", "auth", "client|setname", "slowlog|help", "debug", "shutdown",
          compare=command_info_without_tips),
        C("COMMAND", "INFO", "config", "object", "memory", "slowlog", "command",
          compare=command_info_without_tips),
        C("COMMAND", "INFO", "nosuch", "get", "CONFIG|GET", "config|nosuch", "Config",
          compare=command_info_without_tips),
        C("COMMAND", "DOCS", "config", "command", "object", "memory", "slowlog", "info",
          "time", "monitor", "debug", "echo", "ping", "hello", compare=command_docs_fields),
        ["COMMAND", "DOCS", "nosuch"],
        C("COMMAND", "DOCS", "CONFIG|GET", "nosuch", compare=command_docs_fields),
        C("COMMAND", "LIST", "FILTERBY", "PATTERN", "config*", unordered=True),
        C("COMMAND", "LIST", "FILTERBY", "PATTERN", "CLIENT|*NAME", unordered=True),
        C("COMMAND", "LIST", "FILTERBY", "PATTERN", "slowlog|*", unordered=True),
        C("COMMAND", "LIST", "FILTERBY", "PATTERN", "object|?????", unordered=True),
        ["COMMAND", "LIST", "FILTERBY", "ACLCAT", "nosuch"],
        ["COMMAND", "LIST", "FILTERBY", "MODULE", "x"],
        ["COMMAND", "LIST", "FILTERBY", "PATTERN"],
        ["COMMAND", "LIST", "FILTERBY", "FOO", "x"],
        ["COMMAND", "LIST", "FILTERBY"],
        ["COMMAND", "LIST", "foo"],
        ["COMMAND", "LIST", "FILTERBY", "PATTERN", "a", "b"],
        ["COMMAND", "COUNT", "x"],
        ["COMMAND", "foo"],
    ],
    "command_getkeys": [
        ["COMMAND", "GETKEYS", "get"],
        C("COMMAND", "GETKEYS", "get", "a", expect=b"*1\r\n$1\r\na\r\n"),
        ["COMMAND", "GETKEYS", "GET", "a"],
        ["COMMAND", "GETKEYS", "nosuch", "a"],
        ["COMMAND", "GETKEYS", "get", "a", "b"],
        ["COMMAND", "GETKEYS", "ping", "x"],
        ["COMMAND", "GETKEYS", "set", "k", "v", "EX", "10"],
        ["COMMAND", "GETKEYS", "mset", "a", "1", "b", "2"],
        ["COMMAND", "GETKEYS", "mset", "a", "1", "b"],
        ["COMMAND", "GETKEYS", "del", "a", "b", "c"],
        ["COMMAND", "GETKEYS", "rename", "a", "b"],
        ["COMMAND", "GETKEYS", "config", "get"],
        ["COMMAND", "GETKEYS", "config", "get", "x"],
        ["COMMAND", "GETKEYS", "memory", "usage", "k"],
        ["COMMAND", "GETKEYS", "memory", "nosuch", "k"],
        ["COMMAND", "GETKEYS", "object", "encoding", "k"],
        ["COMMAND", "GETKEYS", "config"],
        ["COMMAND", "GETKEYSANDFLAGS", "get", "a"],
        ["COMMAND", "GETKEYSANDFLAGS", "object", "encoding", "k"],
        ["COMMAND", "GETKEYSANDFLAGS", "ping", "x"],
    ],
    "info_deterministic": [
        ["INFO", "keyspace"],
        ["SET", "x", "1"],
        ["SELECT", "3"],
        ["SET", "y", "1"],
        ["SET", "z", "1"],
        ["INFO", "keyspace"],
        ["INFO", "cluster"],
        ["INFO", "cluster", "keyspace"],
        ["INFO", "KEYSPACE", "CLUSTER"],
        ["INFO", "modules"],
        ["INFO", "nosuch"],
        ["INFO", "cluster", "nosuch"],
        C("INFO", skip_compare=True),
        C("INFO", "all", skip_compare=True),
        C("TIME", skip_compare=True),
        C("LASTSAVE", skip_compare=True),
        ["TIME", "x"],
        ["LASTSAVE", "x"],
    ],
    "slowlog_latency": [
        ["SLOWLOG", "RESET"],
        C("SLOWLOG", "GET", expect=b"*0\r\n"),
        ["SLOWLOG", "LEN"],
        ["SLOWLOG", "GET", "x"],
        ["SLOWLOG", "GET", "-2"],
        ["SLOWLOG", "GET", "-1"],
        ["SLOWLOG", "GET", "0"],
        ["SLOWLOG", "GET", "1", "2"],
        ["SLOWLOG", "LEN", "x"],
        ["SLOWLOG", "RESET", "x"],
        ["SLOWLOG", "NOSUCH"],
        ["LATENCY", "RESET"],
        C("LATENCY", "LATEST", expect=b"*0\r\n"),
        ["LATENCY", "HISTORY", "command"],
        ["LATENCY", "HISTORY"],
        ["LATENCY", "RESET", "a", "b"],
        ["LATENCY", "DOCTOR"],
        ["LATENCY", "NOSUCH"],
    ],
    "object_memory": [
        ["SET", "str", "hello"],
        ["SET", "int", "12345"],
        ["SET", "small", "5"],
        ["SET", "neg", "-1"],
        ["SET", "big", "x" * 100],
        ["OBJECT", "ENCODING", "str"],
        ["OBJECT", "ENCODING", "int"],
        ["OBJECT", "ENCODING", "big"],
        ["OBJECT", "ENCODING", "nokey"],
        ["OBJECT", "REFCOUNT", "str"],
        ["OBJECT", "REFCOUNT", "small"],
        ["OBJECT", "REFCOUNT", "int"],
        ["OBJECT", "REFCOUNT", "neg"],
        ["OBJECT", "REFCOUNT", "nokey"],
        ["OBJECT", "FREQ", "str"],
        ["OBJECT", "FREQ", "nokey"],
        ["OBJECT", "IDLETIME", "nokey"],
        ["CONFIG", "SET", "maxmemory-policy", "allkeys-lfu"],
        ["OBJECT", "IDLETIME", "str"],
        ["CONFIG", "SET", "maxmemory-policy", "noeviction"],
        ["OBJECT", "ENCODING"],
        ["OBJECT", "ENCODING", "a", "b"],
        ["OBJECT", "NOSUCH", "x"],
        ["OBJECT"],
        ["MEMORY", "USAGE", "nokey"],
        ["MEMORY", "USAGE", "str", "SAMPLES", "x"],
        ["MEMORY", "USAGE", "str", "SAMPLES", "-1"],
        ["MEMORY", "USAGE", "str", "foo"],
        ["MEMORY", "USAGE", "str", "SAMPLES"],
        ["MEMORY", "USAGE", "nokey", "SAMPLES", "0"],
        ["MEMORY", "USAGE"],
        ["MEMORY", "PURGE"],
        ["MEMORY", "DOCTOR"],
        ["MEMORY", "DOCTOR", "x"],
        ["MEMORY", "NOSUCH"],
    ],
    "connection_extra": [
        ["SELECT", "2147483648"],
        ["SELECT", "-2147483649"],
        ["SELECT", "-0"],
        ["SELECT", "01"],
        ["HELLO", "3.0"],
        ["HELLO", "-1"],
        ["HELLO", 2, "SETNAME"],
        ["HELLO", 2, "AUTH", "default"],
        ["AUTH", "a", "b", "c", "d"],
        ["AUTH", "nouser", "x"],
        ["HELLO", 2, "AUTH", "nouser", "x"],
        ["CLIENT", "SETNAME", "before-reset"],
        ["RESET", "x"],
        ["RESET"],
        ["CLIENT", "GETNAME"],
        ["PING", "a", "b"],
    ],
    "shutdown_and_monitor_errors": [
        ["SHUTDOWN", "foo"],
        ["SHUTDOWN", "SAVE", "NOSAVE"],
        ["SHUTDOWN", "NOW", "FORCE", "ABORT"],
        C("SHUTDOWN", "ABORT", expect=b"-ERR No shutdown in progress.\r\n"),
        ["MONITOR", "x"],
        ["PING"],
    ],
}


@pytest.mark.parametrize("proto", [2, 3])
@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_admin(keel, oracle, name, proto):
    run_script(keel, oracle, SCRIPTS[name], hello3=(proto == 3))


DEBUG_SCRIPT = [
    ["DEBUG", "HTSTATS", "0"],
    ["DEBUG", "HTSTATS", "16"],
    ["DEBUG", "HTSTATS", "-1"],
    ["DEBUG", "HTSTATS", "x"],
    ["DEBUG", "HTSTATS", "0", "full"],
    ["SET", "k", "v"],
    ["DEBUG", "HTSTATS", "1"],
    ["DEBUG", "HTSTATS-KEY", "k"],
    ["DEBUG", "HTSTATS-KEY", "nokey"],
    ["DEBUG", "OBJECT", "nokey"],
    ["DEBUG", "SLEEP", "0"],
    ["DEBUG", "SLEEP"],
    ["DEBUG", "SLEEP", "0", "1"],
    ["DEBUG", "SET-ACTIVE-EXPIRE", "1"],
    ["DEBUG", "LOG", "hello from the diff test"],
    ["DEBUG", "nosuch"],
    ["DEBUG"],
    ["GET", "k"],
    ["DEBUG", "PAUSE-CRON", "1"],
    ["DEBUG", "PAUSE-CRON", "0"],
    ["DEBUG", "QUICKLIST-PACKED-THRESHOLD", "4gb"],
    ["DEBUG", "QUICKLIST-PACKED-THRESHOLD", "-1"],
    ["DEBUG", "QUICKLIST-PACKED-THRESHOLD", "x"],
    ["DEBUG", "QUICKLIST-PACKED-THRESHOLD", "1b"],
    # large elements (plain nodes) pushed, inserted, set, trimmed and popped
    ["RPUSH", "pl", "a", "bbbbbbbbbb", "c", "d"],
    ["LINSERT", "pl", "AFTER", "c", "eeeeeeeeeeee"],
    ["LINSERT", "pl", "BEFORE", "a", "f"],
    ["LSET", "pl", "2", "gggggggggggggg"],
    ["LTRIM", "pl", "1", "-1"],
    ["LRANGE", "pl", "0", "-1"],
    ["LPOS", "pl", "eeeeeeeeeeee"],
    ["LREM", "pl", "0", "c"],
    ["RPOP", "pl", "10"],
    ["DEBUG", "QUICKLIST-PACKED-THRESHOLD", "0"],
]


@pytest.mark.parametrize("proto", [2, 3])
def test_debug(start_server, keel_bin, proto):
    """DEBUG needs enable-debug-command on both servers."""
    keel = start_server(["--enable-debug-command", "yes"], binary=keel_bin)
    oracle = start_server(["--enable-debug-command", "yes"], binary=ORACLE_SERVER)
    run_script(keel, oracle, DEBUG_SCRIPT, hello3=(proto == 3))


def test_debug_refused_by_default(keel, oracle):
    run_script(keel, oracle, [["DEBUG", "HTSTATS", "0"], ["DEBUG", "SLEEP", "0"], ["DEBUG"]])
