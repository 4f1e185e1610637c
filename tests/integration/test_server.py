"""Server administration: CONFIG, INFO, DEBUG HTSTATS, SHUTDOWN, command-line flags, config
files, and a short redis-benchmark run."""

import os
import re
import signal
import subprocess

import pytest

from diff.resp import RespConnection
from helpers import (ORACLE_SERVER, child_pids, free_port, port_is_free, redis_benchmark_binary, server_env,
                     wait_until)

INFO_SECTIONS = ["Server", "Clients", "Memory", "Stats", "Persistence", "Replication", "Keyspace"]


def _info_text(server, *section):
    with RespConnection(server.host, server.port) as conn:
        reply = conn.call("INFO", *section)
    assert reply.kind == "$", reply
    return reply.payload.decode()


def _config_get(client, pattern):
    """CONFIG GET as a dict of str -> str."""
    return {k.decode() if isinstance(k, bytes) else k: v.decode() if isinstance(v, bytes) else v
            for k, v in client.config_get(pattern).items()}


def test_config_get_patterns_and_set_maxmemory(start_server):
    server = start_server()
    client = server.client()
    assert _config_get(client, "maxmemory") == {"maxmemory": "0"}
    glob = _config_get(client, "max*")
    assert {"maxmemory", "maxclients", "maxmemory-policy"} <= set(glob), sorted(glob)
    assert all(k.startswith("max") for k in glob), sorted(glob)
    assert _config_get(client, "port") == {"port": str(server.port)}
    assert _config_get(client, "bind")["bind"] == "127.0.0.1"
    assert _config_get(client, "no-such-parameter") == {}
    assert set(_config_get(client, "maxmemory*")) >= {"maxmemory", "maxmemory-policy"}
    assert "maxclients" not in _config_get(client, "maxmemory*")
    assert client.config_set("maxmemory", "10mb") is True
    assert _config_get(client, "maxmemory") == {"maxmemory": "10485760"}
    assert client.config_set("maxmemory", "1048576") is True
    assert _config_get(client, "maxmemory") == {"maxmemory": "1048576"}
    assert client.config_set("maxmemory", "0") is True
    assert _config_get(client, "maxmemory") == {"maxmemory": "0"}
    client.close()


def test_info_sections(keel):
    text = _info_text(keel)
    for section in INFO_SECTIONS:
        assert "# %s\r\n" % section in text, "INFO lacks section %s" % section
    assert re.search(r"^redis_version:\d+\.\d+\.\d+\r$", text, re.M)
    assert re.search(r"^tcp_port:%d\r$" % keel.port, text, re.M)
    assert re.search(r"^connected_clients:\d+\r$", text, re.M)
    assert re.search(r"^used_memory:\d+\r$", text, re.M)
    assert re.search(r"^role:master\r$", text, re.M)
    for section in INFO_SECTIONS:
        only = _info_text(keel, section.lower())
        assert only.startswith("# %s\r\n" % section), only[:60]


def test_info_keyspace_line_format(keel_client, keel):
    keel_client.mset({"a": "1", "b": "2", "c": "3"})
    keel_client.expire("a", 1000)
    text = _info_text(keel, "keyspace")
    line = re.search(r"^db0:(.*)\r$", text, re.M)
    assert line, text
    assert re.fullmatch(r"keys=3,expires=1,avg_ttl=\d+", line.group(1)), line.group(1)
    assert "db1:" not in text    # empty databases are not listed


@pytest.fixture
def debug_server(start_server):
    return start_server(["--enable-debug-command", "yes"])


def test_debug_htstats(debug_server):
    client = debug_server.client()
    client.mset({"k%d" % i: "v" for i in range(100)})
    out = client.execute_command("DEBUG", "HTSTATS", 0)
    text = out.decode() if isinstance(out, bytes) else out
    assert text.startswith("[Dictionary HT]"), text[:200]
    assert "number of elements" in text
    assert re.search(r"number of elements: 100\b", text), text
    client.close()


def test_shutdown_nosave_stops_the_server(start_server):
    server = start_server()
    conn = RespConnection(server.host, server.port)
    conn.send("SHUTDOWN", "NOSAVE")
    assert conn.closed_by_peer(timeout=10)
    conn.close()
    wait_until(lambda: server.proc.poll() is not None, timeout=10, what="the process to exit")
    assert server.proc.returncode == 0
    wait_until(lambda: port_is_free(server.port), timeout=10, what="the port to be released")


def test_version_flag(keel_bin):
    result = subprocess.run([keel_bin, "--version"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, timeout=10, env=server_env())
    assert result.returncode == 0
    out = result.stdout.decode()
    assert any("v=" in line for line in out.splitlines()), out
    result = subprocess.run([keel_bin, "-v"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            timeout=10, env=server_env())
    assert result.returncode == 0 and "v=" in result.stdout.decode()


def test_help_flag_prints_usage(keel_bin):
    """--help prints a usage text and exits at once, without starting a server."""
    result = subprocess.run([keel_bin, "--help"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, timeout=10, env=server_env())
    text = (result.stdout + result.stderr).decode()
    assert "Usage" in text or "usage" in text, text
    assert "--port" in text or "config" in text.lower(), text


@pytest.mark.keel_only
def test_help_flag_exits_zero(keel_bin):
    """Keel's --help exits 0 (redis-server's exits 1, hence keel_only)."""
    result = subprocess.run([keel_bin, "--help"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, timeout=10, env=server_env())
    assert result.returncode == 0


def test_config_file(start_server, tmp_path):
    port = free_port()
    conf = os.path.join(str(tmp_path), "keel.conf")
    with open(conf, "w") as f:
        f.write("# Keel test configuration\n"
                "\n"
                "port %d\n"
                "bind 127.0.0.1\n"
                "   # an indented comment\n"
                "maxmemory 100mb\n"
                'maxmemory-policy "allkeys-lru"\n'
                'requirepass "two words"\n'
                "save ''\n"
                "databases 16\n"
                "timeout 0\n" % port)
    server = start_server(config_file=conf, port=port)
    client = server.client(password="two words")
    assert _config_get(client, "maxmemory") == {"maxmemory": "104857600"}
    assert _config_get(client, "maxmemory-policy") == {"maxmemory-policy": "allkeys-lru"}
    assert _config_get(client, "requirepass") == {"requirepass": "two words"}
    assert _config_get(client, "port") == {"port": str(port)}
    assert client.set("from", "config") is True
    client.close()


def test_command_line_overrides_config_file(start_server, tmp_path):
    conf = os.path.join(str(tmp_path), "keel.conf")
    with open(conf, "w") as f:
        f.write("maxmemory 100mb\nmaxclients 50\n")
    server = start_server(["--maxmemory", "200mb"], config_file=conf)
    client = server.client()
    assert _config_get(client, "maxmemory") == {"maxmemory": "209715200"}
    assert _config_get(client, "maxclients") == {"maxclients": "50"}
    client.close()


def test_bad_config_is_refused(keel_bin, tmp_path):
    """An unknown directive must stop start-up with an error instead of being ignored."""
    conf = os.path.join(str(tmp_path), "bad.conf")
    with open(conf, "w") as f:
        f.write("no-such-directive 1\n")
    result = subprocess.run([keel_bin, conf, "--port", "0"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, timeout=10, env=server_env(),
                            cwd=str(tmp_path))
    assert result.returncode != 0
    assert b"no-such-directive" in result.stdout + result.stderr


def test_redis_benchmark_short_run(keel):
    result = subprocess.run([redis_benchmark_binary(), "-h", keel.host, "-p", str(keel.port),
                             "-n", "2000", "-c", "10", "-t", "set,get,incr,mset", "-q"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    out = (result.stdout + result.stderr).decode(errors="replace")
    assert result.returncode == 0, out
    assert "ERR" not in out and "rror" not in out, out
    lines = [ln for ln in out.replace("\r", "\n").splitlines() if "requests per second" in ln]
    names = {ln.split(":")[0].strip().split()[0] for ln in lines}
    assert {"SET", "GET", "INCR", "MSET"} <= names, out


@pytest.mark.parametrize("which", ["keel", "redis"])
def test_shutdown_abort_cancels_sigterm(start_server, keel_bin, which):
    """A SIGTERM shutdown runs from the cron (Redis's unit/shutdown): with the cron paused it is
    pending, SHUTDOWN ABORT cancels it (logged), and the server goes on; without a pending
    shutdown ABORT is an error; a later SIGTERM, cron running, stops the server."""
    server = start_server(["--enable-debug-command", "yes"], binary=keel_bin if which == "keel" else ORACLE_SERVER)
    with server.raw() as conn:
        assert conn.call("SHUTDOWN", "ABORT").raw == b"-ERR No shutdown in progress.\r\n"
        assert conn.call("DEBUG", "PAUSE-CRON", "1").raw == b"+OK\r\n"
        server.proc.send_signal(signal.SIGTERM)
        wait_until(lambda: conn.call("SHUTDOWN", "ABORT").raw == b"+OK\r\n", timeout=10,
                   what="the signal's shutdown to be pending")
        wait_until(lambda: "Shutdown manually aborted" in open(server.logfile).read(), timeout=10,
                   what="the abort in the log")
        assert conn.call("DEBUG", "PAUSE-CRON", "0").raw == b"+OK\r\n"
        assert conn.call("PING").raw == b"+PONG\r\n"
    server.proc.send_signal(signal.SIGTERM)
    server.proc.wait(timeout=10)


@pytest.mark.parametrize("which", ["keel", "redis"])
def test_second_signal_during_shutdown_save_removes_temp_file(start_server, keel_bin, tmp_path, which):
    """SIGINT starts the shutdown save (slowed by rdb-key-save-delay, which SAVE obeys too); a
    second SIGINT exits at once and leaves no temp-<pid>.rdb behind (Redis's unit/shutdown)."""
    d = tmp_path / which
    d.mkdir()
    server = start_server(["--dir", str(d), "--save", "3600 1"],
                          binary=keel_bin if which == "keel" else ORACLE_SERVER)
    with server.raw() as conn:
        for i in range(20):
            conn.call("SET", str(i), str(i))
        conn.call("CONFIG", "SET", "rdb-key-save-delay", "100000")
    temp = d / ("temp-%d.rdb" % server.proc.pid)
    server.proc.send_signal(signal.SIGINT)
    wait_until(temp.exists, timeout=10, what="the shutdown save to start")
    server.proc.send_signal(signal.SIGINT)
    server.proc.wait(timeout=10)
    assert not temp.exists()


@pytest.mark.parametrize("which", ["keel", "redis"])
def test_shutdown_nosave_during_bgsave_removes_temp_file(start_server, keel_bin, tmp_path, which):
    """SHUTDOWN NOSAVE while a BGSAVE runs ends the snapshot and removes its temp file, named
    temp-<child pid>.rdb after the saving child (Keel's stand-in, persist/bgsave.c), as Redis's
    unit/shutdown "Temp rdb will be deleted if we use bg_unlink when shutdown" checks."""
    server = start_server(["--dir", str(tmp_path)], binary=keel_bin if which == "keel" else ORACLE_SERVER)
    with server.raw() as conn:
        for i in range(20):
            conn.call("SET", str(i), str(i))
        conn.call("CONFIG", "SET", "rdb-key-save-delay", "100000")
        assert conn.call("BGSAVE").raw == b"+Background saving started\r\n"
        child = wait_until(lambda: child_pids(server.proc.pid), timeout=10, what="the save's child")[0]
        temp = tmp_path / ("temp-%d.rdb" % child)
        wait_until(temp.exists, timeout=10, what="the BGSAVE temp file")
        conn.send("SHUTDOWN", "NOSAVE")
        server.proc.wait(timeout=10)
    assert not temp.exists()
    assert "Killing" in open(server.logfile).read()
