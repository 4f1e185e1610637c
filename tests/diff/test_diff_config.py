"""Differential tests of the configuration: every parameter redis-server 7.0.15 has, its
default, CONFIG SET/GET edge cases (aliases, hidden parameters, rollback, several patterns),
and config files holding every directive.

Each test starts its own Keel and redis-server (same arguments), so parameters changed by
other tests cannot leak in. Where Keel differs on purpose the difference is listed with its
reason (DIFFERENT_DEFAULTS); parameters of features Keel doesn't have are accepted at their
defaults, and the values that would switch such a feature on stop start-up (keel_only tests).
"""

import os
import subprocess
import time

import pytest
import redis

from diff.runner import C, run_script
from helpers import ORACLE_SERVER, free_port, keel_binary, ping_once, wait_until

# Parameters whose value differs between the two servers of a test, with the reason.
DIFFERENT_DEFAULTS = {
    "port": "each server of a test has its own port",
    "dir": "each server runs in its own temporary directory",
    "logfile": "each server logs to its own temporary directory",
}

# Redis's hidden parameters: CONFIG GET reports them only when named exactly.
HIDDEN = ["key-load-delay", "rdb-key-save-delay", "watchdog-period", "use-exit-on-panic",
          "loading-process-events-interval-bytes"]


def _pairs(client, *patterns):
    reply = client.execute_command("CONFIG", "GET", *patterns)
    if isinstance(reply, dict):
        return {k.decode(): v.decode() for k, v in reply.items()}
    return {reply[i].decode(): reply[i + 1].decode() for i in range(0, len(reply), 2)}


@pytest.fixture
def pair(start_server):
    """A fresh Keel and a fresh redis-server, started with the same arguments."""
    def start(args=(), config_file=None):
        keel = start_server(list(args), config_file=config_file)
        redis = start_server(list(args), binary=ORACLE_SERVER, config_file=config_file)
        return keel, redis
    return start


def _compare_all(keel, redis):
    k_conf, r_conf = _pairs(keel.client(), "*"), _pairs(redis.client(), "*")
    assert sorted(set(r_conf) - set(k_conf)) == [], "parameters Keel lacks"
    assert sorted(set(k_conf) - set(r_conf)) == [], "parameters Redis lacks"
    diffs = {n: (k_conf[n], r_conf[n]) for n in r_conf
             if n not in DIFFERENT_DEFAULTS and k_conf[n] != r_conf[n]}
    assert diffs == {}, "keel value, redis value"
    return r_conf


def test_every_parameter_and_default(pair):
    keel, redis = pair()
    every = _compare_all(keel, redis)
    assert len(every) > 180
    for name in HIDDEN:
        assert _pairs(keel.client(), name) == _pairs(redis.client(), name)
        assert name not in every


def _conf_line(name, value):
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return '%s "%s"\n' % (name, escaped)


# Lines of Debian's /etc/redis/redis.conf that belong to the packaged service (a daemon
# with its own pid file, log and data directory), not to a server started by a test.
SERVICE_DIRECTIVES = ("daemonize", "pidfile", "logfile", "dir", "supervised")


def test_config_file_with_every_directive_starts(pair, tmp_path):
    """redis-server's CONFIG GET * (every parameter at its default) written as a config file,
    followed by Debian's redis.conf: both servers start from it and agree on every value."""
    _, redis = pair()
    defaults = _pairs(redis.client(), "*")
    conf = tmp_path / "every.conf"
    with open(conf, "w") as f:
        for name in sorted(defaults):
            # "replicaof" with no primary has no config-file form ("no one" means the same).
            if name in ("replicaof", "slaveof"):
                f.write("%s no one\n" % name)
            elif name not in ("port", "dir", "logfile"):
                f.write(_conf_line(name, defaults[name]))
        for name in HIDDEN:
            f.write(_conf_line(name, _pairs(redis.client(), name)[name]))
        with open("/etc/redis/redis.conf") as debian:
            for line in debian:
                words = line.split()
                if words and not words[0].startswith("#") and words[0] not in SERVICE_DIRECTIVES:
                    f.write(line)
    keel, redis = pair(config_file=str(conf))
    _compare_all(keel, redis)


# The directives of the config file Redis's test suite starts its servers with
# (tests/assets/default.conf of Redis 7.0.15), which Keel used to refuse.
SUITE_CONFIG = """
always-show-logo yes
notify-keyspace-events KEA
daemonize no
timeout 0
loglevel verbose
logfile ''
databases 16
latency-monitor-threshold 1
repl-diskless-sync-delay 0
save 900 1
rdbcompression yes
dbfilename dump.rdb
slave-serve-stale-data yes
appendonly no
appendfsync everysec
no-appendfsync-on-rewrite no
activerehashing yes
enable-protected-configs yes
enable-debug-command yes
enable-module-command yes
propagation-error-behavior panic
"""


def test_suite_config_starts(pair, tmp_path):
    conf = tmp_path / "suite.conf"
    conf.write_text(SUITE_CONFIG)
    keel, redis = pair(config_file=str(conf))
    _compare_all(keel, redis)


def _refused(keel_bin, args):
    """Runs Keel with args; returns its stderr+stdout, failing if it did not stop."""
    argv = [keel_bin] + list(args) + ["--port", str(free_port()), "--save", ""]
    try:
        proc = subprocess.run(argv, capture_output=True, timeout=10, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        pytest.fail("keel started with %r instead of refusing it" % (args,))
    assert proc.returncode != 0
    return (proc.stderr + proc.stdout).decode(errors="replace")


@pytest.mark.keel_only
@pytest.mark.parametrize("name, value, feature", [
    ("syslog-enabled", "yes", "syslog logging"),
    ("io-threads", "4", "I/O threads"),
    ("loadmodule", "/nonexistent/module.so", "loadmodule"),
])
def test_value_needing_missing_feature_stops_startup(keel_bin, tmp_path, name, value, feature):
    conf = tmp_path / "feature.conf"
    conf.write_text("%s %s\n" % (name, value))
    out = _refused(keel_bin, [str(conf)])
    assert name.split("-")[0] in out and feature in out, out
    out = _refused(keel_bin, ["--" + name] + value.split())
    assert feature in out, out


def test_config_set_tls_replication_without_certificates(pair):
    """tls-replication and tls-cluster exist now: without a certificate, switching either on
    fails as in redis-server (the TLS context cannot be built) and the value stays no."""
    keel, redis = pair()
    out = {}
    for name, srv in (("keel", keel), ("redis", redis)):
        c = srv.client()
        got = []
        for param in ("tls-replication", "tls-cluster"):
            try:
                c.execute_command("CONFIG", "SET", param, "yes")
                got.append("OK")
            except Exception as e:  # noqa: BLE001 - the error text is compared
                got.append(str(e))
            got.append(_pairs(c, param))
        out[name] = got
    assert out["keel"] == out["redis"], out


def test_config_set_every_parameter_to_its_value(pair):
    """Redis's "CONFIG sanity": CONFIG SET of each parameter to the value CONFIG GET gives
    (immutable and protected ones fail the same way on both), then nothing changed."""
    keel, redis = pair()
    every = _pairs(redis.client(), "*")
    script = [C("CONFIG", "SET", name, every[name]) for name in sorted(every)
              if name not in DIFFERENT_DEFAULTS]
    script.append(C("CONFIG", "GET", "*", pairs=True,
                    compare=lambda k, r: _same_except(k, r, DIFFERENT_DEFAULTS)))
    run_script(keel, redis, script)


def _same_except(keel_reply, redis_reply, skip):
    k = keel_reply.to_py()
    r = redis_reply.to_py()
    kd = {k[i]: k[i + 1] for i in range(0, len(k), 2) if k[i].decode() not in skip}
    rd = {r[i]: r[i + 1] for i in range(0, len(r), 2) if r[i].decode() not in skip}
    return None if kd == rd else "CONFIG GET * differs: %r" % {
        n: (kd.get(n), rd.get(n)) for n in set(kd) | set(rd) if kd.get(n) != rd.get(n)}


def test_config_get_patterns_aliases_hidden(pair):
    keel, redis = pair()
    run_script(keel, redis, [
        C("CONFIG", "GET", "maxmemory", "maxmemory*", "bind", "*of", pairs=True),
        C("CONFIG", "GET", "*of", "replicaof", "SLAVEOF", pairs=True),
        C("CONFIG", "GET", "*ziplist*", pairs=True),
        C("CONFIG", "GET", "*listpack*", "*ziplist*", pairs=True),
        C("CONFIG", "GET", "key-load-delay", "*delay*", pairs=True),
        C("CONFIG", "GET", "*key-load*", pairs=True, expect=b"*0\r\n"),
        C("CONFIG", "GET", "KEY-LOAD-DELAY", pairs=True),
        C("CONFIG", "GET", "repl-*", "cluster-*", pairs=True),
        C("CONFIG", "GET", "tls-*", "*aof*", "*cpulist", pairs=True),
        C("CONFIG", "GET", "shutdown-on-*", "latency-tracking*", "oom-*", pairs=True),
    ])


def test_config_set_aliases_rollback_duplicates(pair):
    keel, redis = pair()
    run_script(keel, redis, [
        # Name and alias in one CONFIG SET are two parameters for Redis: the last one wins.
        C("CONFIG", "SET", "hash-max-ziplist-entries", "1", "hash-max-listpack-entries", "2",
          expect=b"+OK\r\n"),
        C("CONFIG", "GET", "hash-max-*-entries", pairs=True),
        C("CONFIG", "SET", "hash-max-listpack-entries", "512", "hash-max-ziplist-entries", "20"),
        C("CONFIG", "GET", "hash-max-listpack-entries"),
        ["CONFIG", "SET", "maxmemory", "10000001", "maxmemory", "10000002"],
        ["CONFIG", "SET", "save", "100 10", "SAVE", "10 1"],
        # Rollback on a set error: the first failing parameter is named, nothing changes.
        ["CONFIG", "SET", "maxmemory", "10000002"],
        ["CONFIG", "SET", "maxmemory", "10000001", "maxmemory-clients", "200%",
         "client-query-buffer-limit", "invalid"],
        C("CONFIG", "GET", "maxmemory", "maxmemory-clients", "client-query-buffer-limit", pairs=True),
        ["CONFIG", "SET", "hz", "20", "save", "1 2 3", "timeout", "5"],
        C("CONFIG", "GET", "hz", "save", "timeout", pairs=True),
        ["CONFIG", "SET", "maxmemory", "10000001", "repl-backlog-size", "10000002", "save", "3000 5"],
        C("CONFIG", "GET", "maxmemory", "repl-backlog-size", "save", pairs=True),
        ["CONFIG", "SET", "maxmemory", "0", "daemonize", "yes"],
        ["CONFIG", "SET", "maxmemory", "0", "dir", "/tmp"],
        ["CONFIG", "SET", "key-load-delay", "-5"],
        ["CONFIG", "GET", "key-load-delay"],
        ["CONFIG", "SET", "key-load-delay", "0"],
    ])


# (parameter, value) pairs: each is set, then read back; invalid ones give Redis's error text.
VALUE_CASES = [
    ("hash-max-ziplist-value", "10000000000"), ("hash-max-listpack-value", "1kb"),
    ("hash-max-listpack-value", "1x"), ("hash-max-listpack-value", "64"),
    ("zset-max-listpack-entries", "-1"), ("stream-node-max-bytes", "8kb"),
    ("maxmemory-clients", "abc"), ("maxmemory-clients", "-5"), ("maxmemory-clients", "101%"),
    ("repl-diskless-sync-delay", "0"), ("repl-timeout", "0"),
    ("propagation-error-behavior", "panic"), ("propagation-error-behavior", "bad"),
    ("shutdown-on-sigterm", "force nosave"), ("shutdown-on-sigint", "bla"),
    ("shutdown-on-sigint", "default"),
    ("latency-tracking-info-percentiles", "50 99.99 100.000"),
    ("latency-tracking-info-percentiles", "101"), ("latency-tracking-info-percentiles", "x"),
    ("latency-tracking-info-percentiles", ""),
    ("oom-score-adj-values", "1 2"), ("oom-score-adj-values", "1 2 3000"),
    ("oom-score-adj", "maybe"),
    ("acl-pubsub-default", "allchannels"), ("sanitize-dump-payload", "clients"),
    ("replicaof", "no one"), ("cluster-enabled", "no"), ("proc-title-template", "{title} x"),
    ("hash-max-listpack-value", ""), ("stream-node-max-bytes", "99999999999999999999"),
    ("client-output-buffer-limit", ""), ("client-output-buffer-limit", "normal 1 2"),
    ("cluster-announce-hostname", "a b"), ("cluster-announce-hostname", "node-1.example"),
    ("cluster-announce-hostname", "x" * 256), ("cluster-announce-hostname", "x" * 255),
]


def test_config_values_and_errors(pair):
    keel, redis = pair()
    script = []
    for name, value in VALUE_CASES:
        script += [["CONFIG", "SET", name, value], ["CONFIG", "GET", name]]
    run_script(keel, redis, script)


def test_encodings_follow_restored_limits(pair):
    """After a CONFIG SET of a *-max-ziplist-* / *-max-listpack-* limit and back (by name or
    by alias), new small hashes and sorted sets are listpacks again."""
    keel, redis = pair()
    script = []
    for kind, add in (("hash", ["HSET", "{k}", "f", "v"]), ("zset", ["ZADD", "{k}", "1", "m"])):
        for low, back in (("%s-max-ziplist-entries", "%s-max-listpack-entries"),
                          ("%s-max-listpack-entries", "%s-max-ziplist-entries"),
                          ("%s-max-ziplist-value", "%s-max-listpack-value")):
            low, back = low % kind, back % kind
            original = "64" if low.endswith("value") else ("512" if kind == "hash" else "128")
            big = ["f", "x" * 10] if kind == "hash" else ["1", "x" * 10]
            key = "%s-%s" % (kind, low)
            script += [
                ["CONFIG", "SET", low, "0"],
                [a.format(k=key + "-1") for a in add[:2]] + big,
                ["OBJECT", "ENCODING", key + "-1"],
                ["CONFIG", "SET", back, original],
                [a.format(k=key + "-2") for a in add],
                ["OBJECT", "ENCODING", key + "-2"],
            ]
    run_script(keel, redis, script)


def _unix_server(binary, tmp_path, name):
    """A server with no TCP listener (port 0) and no bind argument, on a Unix socket: the
    built-in bind default is in effect without opening a port on any interface."""
    path = str(tmp_path / ("%s.sock" % name))
    proc = subprocess.Popen([binary, "--port", "0", "--unixsocket", path, "--save", "",
                             "--dir", str(tmp_path)],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        wait_until(lambda: ping_once(None, None, unix_path=path) or proc.poll() is not None,
                   10, what="%s on %s" % (name, path))
    except TimeoutError:
        proc.kill()
        proc.wait()
        raise
    assert proc.poll() is None, "%s exited during start-up" % name
    return proc, redis.Redis(unix_socket_path=path)


def test_bind_default(keel_bin, tmp_path):
    values = {}
    for name, binary in (("keel", keel_bin), ("redis", ORACLE_SERVER)):
        proc, client = _unix_server(binary, tmp_path, name)
        try:
            values[name] = _pairs(client, "bind", "protected-mode")
        finally:
            client.close()
            proc.kill()
            proc.wait()
    assert values["keel"] == values["redis"] == {"bind": "* -::*", "protected-mode": "yes"}


def _oom_score(server):
    with open("/proc/%d/oom_score_adj" % server.proc.pid) as f:
        return int(f.read())


def _set_oom_score(server, value):
    with open("/proc/%d/oom_score_adj" % server.proc.pid, "w") as f:
        f.write("%d\n" % value)


def test_oom_score_adj(pair):
    """oom-score-adj takes effect as in Redis: relative to the score when it is switched on,
    absolute, given back on "no", and rolled back with a CONFIG SET that fails."""
    seen = []
    for server in pair():
        client = server.client()
        scores = []
        _set_oom_score(server, 22)
        client.execute_command("CONFIG", "SET", "oom-score-adj-values", "9 9 9", "oom-score-adj", "yes")
        scores.append(_oom_score(server))
        client.execute_command("CONFIG", "SET", "oom-score-adj-values", "15 20 30")
        scores.append(_oom_score(server))
        client.execute_command("CONFIG", "SET", "oom-score-adj", "absolute")
        scores.append(_oom_score(server))
        client.execute_command("CONFIG", "SET", "oom-score-adj", "no")
        scores.append(_oom_score(server))
        _set_oom_score(server, 5)
        client.execute_command("CONFIG", "SET", "oom-score-adj-values", "1 1 1")
        scores.append(_oom_score(server))   # untouched while "no"
        with pytest.raises(redis.ResponseError):
            client.execute_command("CONFIG", "SET", "oom-score-adj", "yes", "maxmemory", "-1")
        scores.append(_oom_score(server))   # rolled back
        scores.append(_pairs(client, "oom-score-adj", "oom-score-adj-values"))
        client.close()
        seen.append(scores)
    keel_scores, redis_scores = seen
    assert keel_scores == redis_scores
    assert keel_scores[:6] == [31, 37, 15, 22, 5, 5]


@pytest.mark.parametrize("args", [
    ["--proc-title-template", "--my--title--template", "--loglevel", "verbose"],
    ["--proc-title-template --my--title--template", "--loglevel verbose"],
    ["--maxmemory 700mb", "--maxmemory-policy volatile-lru"],
    ["--loglevel", "verbose", "--save"],
    ["--save", "--loglevel", "verbose"],
    ["--proc-title-template", "--save", "--save", "", "--loglevel", "verbose"],
    ["--shutdown-on-sigint", "nosave", "force", "now", "--shutdown-on-sigterm", "nosave force"],
])
def test_command_line_options(pair, args):
    """redis-server's command-line rules: an option named without a value takes the next
    argument even if it starts with "--" (but "--save" then takes none)."""
    keel, redis = pair(args)
    _compare_all(keel, redis)


@pytest.mark.parametrize("args", [
    ["--save", "100 100", "--save", "5 5"],
    ["--save", "100 100", "--save", ""],
    ["--save", "", "--save", "7 7"],
])
def test_save_lines_add_up(pair, tmp_path, args):
    """In the configuration (file, then command line) the first "save" replaces the built-in
    default, each later one adds its pairs, and an empty one clears them (the suite's "CONFIG
    save params special case")."""
    conf = tmp_path / "save.conf"
    conf.write_text("save 900 1\n")
    keel, redis = pair(args, config_file=str(conf))
    assert _pairs(keel.client(), "save") == _pairs(redis.client(), "save")
    _compare_all(keel, redis)


# Command lines redis-server refuses, with the suite's unit/introspection cases. A file with
# "port 0" comes first, so that one accepted by mistake listens on no TCP port.
BAD_COMMAND_LINES = [
    ["--port"], ["--loglevel"], ["--port", "6379", "6380"], ["--port", "--loglevel", "verbose"],
    ["--port", "--bla", "--loglevel", "verbose"], ["--logfile", "--my--log--file", "--loglevel", "--bla"],
    ["--shutdown-on-sigint"], ["--shutdown-on-sigint", "now force", "--shutdown-on-sigterm"],
    ["--replicaof", "127.0.0.1", "abc"], ["--replicaof", "--127.0.0.1", "abc"],
    ["--replicaof", "--127.0.0.1", "--abc"], ["--maxmemory"], ["--no-such-option", "1"],
]


def _startup_error(binary, conf, args):
    try:
        done = subprocess.run([binary, conf] + args, capture_output=True, timeout=10)
        out = done.stdout.decode() + done.stderr.decode()
    except subprocess.TimeoutExpired:
        return "started (no error)"
    lines = [ln for ln in out.splitlines() if ln.startswith(">>>") or
             ("argument" in ln or "Invalid" in ln or "directive" in ln) and "FATAL" not in ln]
    return lines


@pytest.mark.parametrize("args", BAD_COMMAND_LINES, ids=[" ".join(a) or "-" for a in BAD_COMMAND_LINES])
def test_command_line_errors(keel_bin, tmp_path, args):
    """The same refusal, word for word: the offending line as the configuration saw it and
    Redis's reason ("wrong number of arguments" for a known name given no value)."""
    conf = tmp_path / "port0.conf"
    conf.write_text("port 0\nbind 127.0.0.1\nsave \"\"\n")
    keel, redis = _startup_error(keel_bin, str(conf), args), _startup_error(ORACLE_SERVER, str(conf), args)
    assert keel == redis
    assert len(redis) == 2


def test_bare_words_after_the_config_file(keel_bin, tmp_path):
    """Words before the first "--option" form a line of their own, as redis-server takes them
    ("redis-server file loglevel verbose --maxmemory '700mb'")."""
    conf = tmp_path / "bare.conf"
    conf.write_text("save \"\"\n")
    seen = []
    for binary in (keel_bin, ORACLE_SERVER):
        port = free_port()
        proc = subprocess.Popen([binary, str(conf), "loglevel", "verbose", "--maxmemory '700mb'",
                                 "--maxmemory-policy 'volatile-lru'", "--port", str(port), "--bind", "127.0.0.1",
                                 "--logfile", str(tmp_path / ("bare-%d.log" % port))],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_until(lambda: ping_once("127.0.0.1", port), 10, what="the server to start")
            c = redis.Redis(port=port)
            seen.append(_pairs(c, "loglevel", "maxmemory", "maxmemory-policy"))
            c.close()
        finally:
            proc.terminate()
            proc.wait(10)
    assert seen[0] == seen[1] == {"loglevel": "verbose", "maxmemory": "734003200", "maxmemory-policy": "volatile-lru"}


def test_debug_config_rewrite_force_all(start_server, tmp_path):
    """DEBUG CONFIG-REWRITE-FORCE-ALL writes every parameter, defaults included, in a file the
    server starts from again with every value unchanged (the suite's "CONFIG REWRITE sanity")."""
    conf = tmp_path / "all.conf"
    conf.write_text("# empty\n")
    server = start_server(["--enable-debug-command", "yes"], config_file=str(conf))
    c = server.client()
    before = _pairs(c, "*")
    assert c.execute_command("DEBUG", "CONFIG-REWRITE-FORCE-ALL") == b"OK"
    c.close()
    written = {line.split()[0] for line in conf.read_text().splitlines() if line.strip() and not line.startswith("#")}
    assert len(written) > 150
    server.stop()
    server.start()
    assert _pairs(server.client(), "*") == before


@pytest.mark.parametrize("mode", ["no", "local", "yes"])
def test_protected_configs(pair, tmp_path, mode):
    """enable-protected-configs: dir and dbfilename may change from a local client with
    "local" (the test's connections are local) and "yes", never with "no"."""
    keel, redis = pair(["--enable-protected-configs", mode])
    run_script(keel, redis, [
        ["CONFIG", "SET", "dbfilename", "other.rdb"],
        ["CONFIG", "GET", "dbfilename"],
        ["CONFIG", "SET", "dir", str(tmp_path)],
        ["CONFIG", "SET", "dbfilename", "dump.rdb", "maxmemory", "1mb"],
        ["CONFIG", "GET", "maxmemory"],
    ])


PROTOCOL_TYPES = ["string", "integer", "double", "bignum", "null", "array", "set", "map", "attrib",
                  "push", "verbatim", "true", "false", "nosuchtype"]


@pytest.mark.parametrize("hello3", [False, True])
def test_debug_protocol(pair, hello3):
    """DEBUG PROTOCOL <type> (Redis's unit/protocol RESP3 tests use it): every type, both
    protocols; an attribute or push is followed by a real reply."""
    keel, redis = pair(["--enable-debug-command", "yes"])
    script = [["DEBUG", "PROTOCOL", t] for t in PROTOCOL_TYPES]
    script.append(C("DEBUG", "PROTOCOL", "attrib", "extra"))
    run_script(keel, redis, script, hello3=hello3)


# Lines redis-server 7.0.15's CONFIG REWRITE writes whatever their values: the ACL users (the
# default one at least) and latency-tracking-info-percentiles.
REWRITE_ALWAYS = {"user", "latency-tracking-info-percentiles"}


def test_config_rewrite_writes_only_changed(start_server, keel_bin, tmp_path):
    """CONFIG REWRITE of a file without directives writes the parameters that differ from their
    defaults (here the harness's command-line ones), as redis-server does."""
    names = {}
    for name, binary in (("keel", keel_bin), ("redis", ORACLE_SERVER)):
        conf = tmp_path / ("%s.conf" % name)
        conf.write_text("# empty\n")
        client = start_server(binary=binary, config_file=str(conf)).client()
        assert client.execute_command("CONFIG", "REWRITE")
        client.close()
        names[name] = {line.split()[0] for line in conf.read_text().splitlines()
                       if line.strip() and not line.startswith("#")} - REWRITE_ALWAYS
    assert names["keel"] == names["redis"]
    assert "proc-title-template" not in names["keel"]


def _soft_limit_disconnect_ms(server):
    """ms from the moment CLIENT LIST shows a subscriber over its 100 kB soft output limit to
    its disconnection, with client-output-buffer-limit "pubsub 0 100000 1"."""
    client = server.client()
    client.config_set("client-output-buffer-limit", "pubsub 0 100000 1")
    sub = server.client()
    conn = sub.connection_pool.get_connection("SUBSCRIBE")
    conn.send_command("CLIENT", "SETNAME", "soft")
    conn.read_response()
    conn.send_command("SUBSCRIBE", "foo")
    conn.read_response()
    over_since = None
    deadline = time.monotonic() + 20
    try:
        while time.monotonic() < deadline:
            client.publish("foo", "x" * 1000)
            entry = [c for c in client.client_list() if c.get("name") == "soft"]
            now = time.monotonic()
            if not entry:
                return (now - over_since) * 1000 if over_since else None
            if over_since is None and int(entry[0]["omem"]) >= 100000:
                over_since = now
        return None
    finally:
        sub.connection_pool.release(conn)
        sub.close()
        client.close()


def test_output_buffer_soft_limit_waits_soft_seconds(pair):
    """A client over its soft output limit is closed only after soft_seconds have passed, as
    Redis counts them in whole seconds (Redis's unit/obuf-limits)."""
    for server in pair():
        elapsed = _soft_limit_disconnect_ms(server)
        assert elapsed is not None, "%s never closed the client" % server.name
        assert 1000 <= elapsed < 10000, "%s closed it after %d ms" % (server.name, elapsed)


def _title(server):
    with open("/proc/%d/cmdline" % server.proc.pid, "rb") as f:
        return f.read().split(b"\0")[0].decode()


TITLE_TEMPLATES = ["TEST {listen-addr} {port} {tls-port} {unixsocket} {config-file}", "{invalid-var}", "{title",
                   "x}", "{{x}}", "", "  ", "{title}{server-mode}", "a {} b", "[{unixsocket}] [{config-file}] {{",
                   "{server-mode} {port}"]


def test_process_title(start_server, tmp_path):
    """proc-title-template as redis-server expands it into /proc/PID/cmdline: the default title,
    every variable, "{{", the invalid templates (unknown variable, unclosed "{", "{}", empty after
    trimming) refused with Redis's error and the title kept (the suite's "Process title set as
    expected")."""
    conf = tmp_path / "title.conf"
    conf.write_text("# nothing\n")
    for config_file in (None, str(conf)):
        seen = []
        for binary in (keel_binary(), ORACLE_SERVER):
            sock = str(tmp_path / ("%s-%d.sock" % (os.path.basename(binary), config_file is None)))
            server = start_server(["--unixsocket", sock], binary=binary, config_file=config_file)

            def title():
                t = _title(server).replace(str(server.port), "<port>").replace(sock, "<sock>")
                return t.replace(str(tmp_path), "<dir>").replace(server.binary, "<argv0>", 1)
            c = server.client()
            got = [title()]
            for template in TITLE_TEMPLATES:
                try:
                    c.config_set("proc-title-template", template)
                    got.append(("ok", title()))
                except redis.ResponseError as e:
                    got.append(("error", str(e), title()))
            got.append(_pairs(c, "proc-title-template"))
            seen.append(got)
        assert seen[0] == seen[1]
        assert seen[0][0] == "<argv0> 127.0.0.1:<port>"
