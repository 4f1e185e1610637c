"""TLS for client connections (issue #17), differential against redis-server 7.0.15.

Each test starts a Keel server and a redis-server with the same tls-* arguments (certificates
from tests/security/gen_certs.sh, fresh per module) and compares what clients get: redis-cli
--tls, redis-py ssl=True and Python's ssl module for the handshake details (client certificates
required, optional or not asked for, protocol versions, ciphers, session resumption). Servers
keep a plain port too, for PING at start-up and for CONFIG SET from outside TLS.
"""

import os
import socket
import ssl
import threading
import time

import pytest

from helpers import ORACLE_SERVER, Server, ServerError, free_port, keel_binary, wait_until



def tls_args(certs, port, auth="yes", extra=()):
    return ["--tls-port", str(port),
            "--tls-cert-file", os.path.join(certs, "server.crt"),
            "--tls-key-file", os.path.join(certs, "server.key"),
            "--tls-ca-cert-file", os.path.join(certs, "ca.crt"),
            "--tls-auth-clients", auth] + list(extra)


class Pair:
    """A Keel server and a redis-server started with the same TLS arguments."""

    def __init__(self, certs, auth="yes", extra=()):
        self.certs = certs
        self.servers = {}
        self.tls_ports = {}
        try:
            for name, binary in (("keel", keel_binary()), ("redis", ORACLE_SERVER)):
                port = free_port()
                srv = Server(binary, tls_args(certs, port, auth, extra), name=name + "-tls")
                srv.start()
                self.servers[name] = srv
                self.tls_ports[name] = port
        except Exception:
            self.stop()
            raise

    def stop(self):
        for srv in self.servers.values():
            srv.stop(check=False)
        errors = [srv.sanitizer_report() for srv in self.servers.values()]
        for srv in self.servers.values():
            srv.cleanup()
        assert not any(errors), errors

    def each(self):
        return [(name, self.servers[name], self.tls_ports[name]) for name in ("keel", "redis")]


@pytest.fixture
def pair(certs):
    p = Pair(certs)
    try:
        yield p
    finally:
        p.stop()


def ssl_context(certs, client="client", minv=None, maxv=None, ciphers=None):
    ctx = ssl.create_default_context(cafile=os.path.join(certs, "ca.crt"))
    if client:
        ctx.load_cert_chain(os.path.join(certs, client + ".crt"), os.path.join(certs, client + ".key"))
    if minv:
        ctx.minimum_version = minv
    if maxv:
        ctx.maximum_version = maxv
    if ciphers:
        ctx.set_ciphers(ciphers)
    return ctx


def tls_socket(certs, port, **kw):
    ctx = ssl_context(certs, **kw)
    raw = socket.create_connection(("127.0.0.1", port), timeout=5)
    try:
        return ctx.wrap_socket(raw, server_hostname="127.0.0.1")
    except Exception:
        raw.close()
        raise


def recv_reply(s, expect_len=None):
    data = b""
    while not data.endswith(b"\r\n") or (expect_len and len(data) < expect_len):
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def ping_outcome(certs, port, **kw):
    """'PONG' or 'refused' for one handshake plus PING (TLS 1.3 may refuse after the
    handshake: an alert or EOF on the first read)."""
    try:
        with tls_socket(certs, port, **kw) as s:
            s.sendall(b"PING\r\n")
            reply = recv_reply(s)
            return "PONG" if reply == b"+PONG\r\n" else "refused"
    except (ssl.SSLError, ConnectionError, OSError):
        return "refused"


def redis_py(certs, port, client="client"):
    import redis
    kw = {}
    if client:
        kw = {"ssl_certfile": os.path.join(certs, client + ".crt"),
              "ssl_keyfile": os.path.join(certs, client + ".key")}
    return redis.Redis(host="127.0.0.1", port=port, ssl=True, ssl_cert_reqs="required",
                       ssl_ca_certs=os.path.join(certs, "ca.crt"), socket_timeout=30,
                       socket_connect_timeout=5, **kw)


# ---- clients -------------------------------------------------------------------------------

def test_redis_cli_tls(certs, pair, cli_tls):
    outputs = {}
    for name, _srv, port in pair.each():
        out = []
        for cmd in (["PING"], ["SET", "k", "v"], ["GET", "k"], ["INCR", "n"], ["LPUSH", "l", "a", "b"],
                    ["LRANGE", "l", "0", "-1"], ["ECHO", "hi"], ["NOSUCH"]):
            r = cli_tls(certs, port, "client", *cmd)
            out.append((r.stdout, r.returncode))
        outputs[name] = out
    assert outputs["keel"] == outputs["redis"]
    assert outputs["keel"][0][0].strip() == "PONG"


def test_redis_py_ssl(certs, pair):
    big = os.urandom(3 * 1024 * 1024 + 7)   # many records each way
    results = {}
    for name, _srv, port in pair.each():
        r = redis_py(certs, port)
        try:
            out = [r.ping(), r.set("big", big), r.get("big") == big, r.strlen("big")]
            p = r.pipeline(transaction=False)
            for i in range(2000):
                p.set("key:%d" % i, "v" * (i % 50))
                p.get("key:%d" % i)
            out.append(p.execute())
            p = r.pipeline(transaction=True)
            p.incr("c")
            p.incrby("c", 5)
            out.append(p.execute())
            out.append(r.mget(["key:%d" % i for i in range(0, 2000, 97)]))
            out.append(r.dbsize())
        finally:
            r.close()
        results[name] = out
    assert results["keel"] == results["redis"]
    assert results["keel"][2] is True


def test_blocking_and_pubsub_over_tls(certs, pair):
    for name, _srv, port in pair.each():
        waiter, other = redis_py(certs, port), redis_py(certs, port)
        try:
            got = {}
            t = threading.Thread(target=lambda: got.setdefault("v", waiter.blpop("q", timeout=10)))
            t.start()
            wait_until(lambda: other.info("clients")["blocked_clients"] == 1, 10, what="blocked " + name)
            other.rpush("q", "x")
            t.join(15)
            assert got["v"] == (b"q", b"x"), name
            ps = waiter.pubsub()
            ps.subscribe("ch")
            assert ps.get_message(timeout=5)["type"] == "subscribe"
            assert other.publish("ch", "hello" * 5000) == 1
            msg = ps.get_message(timeout=5)
            assert msg["data"] == b"hello" * 5000, name
            ps.close()
        finally:
            waiter.close()
            other.close()


# ---- client certificates -------------------------------------------------------------------

@pytest.mark.parametrize("auth,expected", [
    ("yes", {"client": "PONG", None: "refused", "other-client": "refused"}),
    ("optional", {"client": "PONG", None: "PONG", "other-client": "refused"}),
    ("no", {"client": "PONG", None: "PONG", "other-client": "PONG"}),
])
def test_tls_auth_clients(certs, auth, expected):
    p = Pair(certs, auth=auth)
    try:
        for name, _srv, port in p.each():
            got = {client: ping_outcome(certs, port, client=client) for client in expected}
            assert got == expected, (name, got)
    finally:
        p.stop()


def test_tls_auth_clients_config_set(certs, pair):
    """As Redis's unit/tls: CONFIG SET tls-auth-clients applies to the next connections."""
    for name, srv, port in pair.each():
        c = srv.client()
        assert ping_outcome(certs, port, client=None) == "refused"
        c.config_set("tls-auth-clients", "no")
        assert ping_outcome(certs, port, client=None) == "PONG", name
        c.config_set("tls-auth-clients", "optional")
        assert ping_outcome(certs, port, client=None) == "PONG", name
        assert ping_outcome(certs, port, client="other-client") == "refused", name
        c.config_set("tls-auth-clients", "yes")
        assert ping_outcome(certs, port, client=None) == "refused", name
        c.close()


# ---- protocols and ciphers -----------------------------------------------------------------

def test_protocol_versions(certs, pair):
    v12, v13 = ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3
    for name, srv, port in pair.each():
        c = srv.client()
        c.config_set("tls-protocols", "TLSv1.3")
        assert ping_outcome(certs, port, maxv=v12) == "refused", name
        assert ping_outcome(certs, port, minv=v13) == "PONG", name
        c.config_set("tls-protocols", "TLSv1.2")
        assert ping_outcome(certs, port, minv=v13) == "refused", name
        with tls_socket(certs, port, maxv=v12) as s:
            assert s.version() == "TLSv1.2"
        c.config_set("tls-protocols", "")
        with tls_socket(certs, port) as s:
            assert s.version() == "TLSv1.3"
        c.close()


def test_ciphers_and_server_preference(certs, pair):
    v12 = ssl.TLSVersion.TLSv1_2
    for name, srv, port in pair.each():
        c = srv.client()
        c.config_set("tls-protocols", "TLSv1.2")
        c.config_set("tls-ciphers", "DEFAULT:-AES128-SHA256")
        assert ping_outcome(certs, port, maxv=v12, ciphers="AES128-SHA256") == "refused", name
        assert ping_outcome(certs, port, maxv=v12, ciphers="AES256-SHA256") == "PONG", name
        c.config_set("tls-ciphers", "AES128-SHA256:AES256-SHA256")
        with tls_socket(certs, port, maxv=v12, ciphers="AES256-SHA256:AES128-SHA256") as s:
            assert s.cipher()[0] == "AES256-SHA256", name
        c.config_set("tls-prefer-server-ciphers", "yes")
        with tls_socket(certs, port, maxv=v12, ciphers="AES256-SHA256:AES128-SHA256") as s:
            assert s.cipher()[0] == "AES128-SHA256", name
        c.config_set("tls-protocols", "")
        c.config_set("tls-ciphersuites", "TLS_CHACHA20_POLY1305_SHA256")
        with tls_socket(certs, port) as s:
            assert s.cipher()[0] == "TLS_CHACHA20_POLY1305_SHA256", name
        c.close()


def session_outcome(certs, port, auth_cert=True):
    """What a TLS 1.2 resumption attempt gets: 'reused', 'full' (a new session) or 'alert'."""
    ctx = ssl_context(certs, client="client" if auth_cert else None, maxv=ssl.TLSVersion.TLSv1_2)
    with ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=5),
                         server_hostname="127.0.0.1") as s:
        s.sendall(b"PING\r\n")
        assert recv_reply(s) == b"+PONG\r\n"
        session = s.session
    try:
        with ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=5),
                             server_hostname="127.0.0.1", session=session) as s:
            s.sendall(b"PING\r\n")
            assert recv_reply(s) == b"+PONG\r\n"
            return "reused" if s.session_reused else "full"
    except ssl.SSLError as e:
        return "alert: " + e.reason


def test_session_resumption(certs, pair):
    """With tls-session-caching no, redis-server keeps session tickets on but sets no session id
    context: a resumption on a connection that verifies the client's certificate ends in
    OpenSSL's internal-error alert, one without client verification is resumed. Keel builds its
    context the same way, so every case matches."""
    results = {}
    for name, srv, port in pair.each():
        c = srv.client()
        out = []
        for caching in ("yes", "no"):
            for auth in ("yes", "no"):
                c.config_set("tls-session-caching", caching)
                c.config_set("tls-auth-clients", auth)
                out.append((caching, auth, session_outcome(certs, port)))
        results[name] = out
        c.close()
    assert results["keel"] == results["redis"], results
    assert ("yes", "yes", "reused") in results["redis"]
    assert any(o.startswith("alert") for _, _, o in results["redis"]), results


# ---- configuration -------------------------------------------------------------------------

def test_config_set_reload_errors_and_rollback(certs, pair):
    results = {}
    for name, srv, port in pair.each():
        c = srv.client()
        out = []
        for args in (("tls-cert-file", "/nonexistent/cert.pem"),
                     ("tls-protocols", "TLSv9"),
                     ("tls-ciphers", "NOSUCHCIPHER"),
                     ("tls-key-file", os.path.join(certs, "server-pass.key")),
                     ("tls-dh-params-file", "/nonexistent/dh.pem")):
            try:
                out.append(c.config_set(*args))
            except Exception as e:   # redis.ResponseError
                out.append(str(e))
            out.append(c.config_get(args[0]))
        # A certificate and its key changed together in one CONFIG SET.
        out.append(c.execute_command("CONFIG", "SET", "tls-key-file-pass", "keelpass",
                                     "tls-key-file", os.path.join(certs, "server-pass.key")))
        out.append(ping_outcome(certs, port))
        out.append(c.config_set("tls-dh-params-file", os.path.join(certs, "dh.pem")))
        out.append(ping_outcome(certs, port, maxv=ssl.TLSVersion.TLSv1_2, ciphers="DHE-RSA-AES256-GCM-SHA384"))
        out.append(ping_outcome(certs, port))
        results[name] = out
        c.close()
    assert results["keel"] == results["redis"]
    assert "Unable to update TLS configuration" in results["keel"][0]
    assert results["keel"][-3:] == [True, "PONG", "PONG"]


def test_tls_port_and_port_switch_at_run_time(certs):
    """Started without TLS; CONFIG SET tls-port opens it; port 0 leaves only TLS (as Redis's
    unit/tls 'switch between tcp and tls ports')."""
    servers = []
    try:
        for binary in (keel_binary(), ORACLE_SERVER):
            srv = Server(binary, ["--tls-cert-file", os.path.join(certs, "server.crt"),
                                  "--tls-key-file", os.path.join(certs, "server.key"),
                                  "--tls-ca-cert-file", os.path.join(certs, "ca.crt")],
                         name="tls-switch").start()
            servers.append(srv)
            plain = srv.port
            c = srv.client()
            tls_port = free_port()
            assert c.config_set("tls-port", tls_port)
            assert ping_outcome(certs, tls_port) == "PONG"
            r = redis_py(certs, tls_port)
            assert r.config_set("port", 0)
            with pytest.raises(OSError):
                socket.create_connection(("127.0.0.1", plain), timeout=2).close()
            assert r.ping()
            assert r.config_set("tls-port", 0)   # the open TLS connection stays
            assert r.config_set("port", plain)
            assert r.ping()
            r.close()
            with pytest.raises(OSError):
                socket.create_connection(("127.0.0.1", tls_port), timeout=2).close()
            c = srv.client()
            assert c.ping()
            c.close()
    finally:
        for srv in servers:
            srv.stop()
            srv.cleanup()


def test_start_up_refuses_bad_tls_configuration(certs):
    """tls-port without a certificate stops start-up with Redis's log line."""
    for binary in (keel_binary(), ORACLE_SERVER):
        srv = Server(binary, ["--tls-port", str(free_port())], name="tls-bad")
        try:
            with pytest.raises(ServerError):
                srv.start(attempts=1)
            logs = srv.read_logs()
            assert "No tls-cert-file configured!" in logs, logs
            assert "Failed to configure TLS" in logs, logs
        finally:
            srv.stop(check=False)
            srv.cleanup()


# ---- robustness ----------------------------------------------------------------------------

def test_plain_text_and_stalled_clients_do_not_harm_others(certs, pair):
    for name, srv, port in pair.each():
        r = redis_py(certs, port)
        assert r.set("x", "1")
        # A stalled handshake (TCP only) and a half handshake must not block the loop.
        stalled = socket.create_connection(("127.0.0.1", port), timeout=5)
        half = socket.create_connection(("127.0.0.1", port), timeout=5)
        half.sendall(b"\x16\x03\x01\x00\xc8\x01\x00\x00\xc4\x03\x03")   # a ClientHello's start
        # Plain RESP on the TLS port: closed, no reply in clear text.
        plain = socket.create_connection(("127.0.0.1", port), timeout=5)
        plain.sendall(b"*1\r\n$4\r\nPING\r\n")
        data = b""
        try:
            while True:
                chunk = plain.recv(4096)
                if not chunk:
                    break
                data += chunk
        except ConnectionError:
            pass
        plain.close()
        assert b"PONG" not in data, name
        # Garbage then close, many times.
        for _ in range(20):
            g = socket.create_connection(("127.0.0.1", port), timeout=5)
            g.sendall(os.urandom(300))
            g.close()
        assert r.get("x") == b"1", name
        assert ping_outcome(certs, port) == "PONG", name
        c = srv.client()
        assert c.ping()
        c.close()
        stalled.close()
        half.close()
        r.close()


def test_client_list_and_info_for_tls_clients(certs, pair):
    rows = {}
    for name, srv, port in pair.each():
        r = redis_py(certs, port)
        r.client_setname("tlsclient")
        entry = [e for e in r.client_list() if e["name"] == "tlsclient"][0]
        assert entry["laddr"] == "127.0.0.1:%d" % port, (name, entry)
        rows[name] = sorted(entry.keys())
        info = r.info("clients")
        assert info["connected_clients"] >= 1
        r.close()
    assert rows["keel"] == rows["redis"]


def test_many_concurrent_tls_clients(certs, pair):
    """Interleaved handshakes and pipelines from several threads."""
    for name, _srv, port in pair.each():
        errors = []

        def work(i):
            try:
                r = redis_py(certs, port)
                p = r.pipeline(transaction=False)
                for j in range(300):
                    p.rpush("list:%d" % i, "x" * (j % 300))
                p.execute()
                assert r.llen("list:%d" % i) == 300
                r.close()
            except Exception as e:   # reported below
                errors.append(repr(e))

        threads = [threading.Thread(target=work, args=(i,)) for i in range(12)]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 60
        for t in threads:
            t.join(max(0.1, deadline - time.monotonic()))
        assert not errors, (name, errors)
        assert all(not t.is_alive() for t in threads)


# ---- replication ---------------------------------------------------------------------------

def test_redis_replica_syncs_from_keel_over_tls(certs):
    """A redis-server replica with tls-replication yes syncs from Keel's tls-port (its server
    certificate doubles as client certificate, as in Redis's unit/tls): the full sync, then the
    command stream. Keel's own replica side is in test_tls_replication.py."""
    primary = Server(keel_binary(), tls_args(certs, free_port()) + ["--repl-diskless-sync-delay", "0"],
                     name="keel-tls-primary")
    replica = None
    try:
        primary.start()
        tls_port = int(primary.extra_args[1])
        p = primary.client()
        p.set("before", "1")
        p.rpush("list", *[str(i) for i in range(1000)])
        replica = Server(ORACLE_SERVER, tls_args(certs, free_port()) +
                         ["--tls-replication", "yes", "--replicaof", "127.0.0.1", str(tls_port)],
                         name="redis-tls-replica").start()
        r = replica.client()
        wait_until(lambda: r.info("replication")["master_link_status"] == "up", 20, what="link up")
        p.set("after", "2")
        wait_until(lambda: r.get("after") == b"2", 10, what="streamed write")
        assert r.get("before") == b"1"
        assert r.lrange("list", 0, -1) == [str(i).encode() for i in range(1000)]
        assert p.info("replication")["connected_slaves"] == 1
        p.close()
        r.close()
    finally:
        for srv in (replica, primary):
            if srv:
                srv.stop()
                srv.cleanup()


# ---- protected mode ------------------------------------------------------------------------

def test_protected_mode_denial_over_tls(certs):
    """A TLS client from a non-loopback address of the machine, no password: the handshake
    completes and the -DENIED line comes over the session before the close, as redis-server
    sends it; a loopback TLS client is served."""
    from diff.test_diff_protected_mode import machine_address
    addr = machine_address()
    got = {}
    for name, binary in (("keel", keel_binary()), ("redis", ORACLE_SERVER)):
        port = free_port()
        srv = Server(binary, tls_args(certs, port) + ["--bind", "127.0.0.1", addr], name=name + "-tls-protected")
        try:
            srv.start()
            with ssl_context(certs).wrap_socket(socket.create_connection((addr, port), timeout=5),
                                                server_hostname="127.0.0.1") as s:
                s.sendall(b"PING\r\n")
                data = b""
                try:
                    while True:
                        chunk = s.recv(65536)
                        if not chunk:
                            break
                        data += chunk
                except (ssl.SSLError, ConnectionError):
                    pass
            got[name] = data
            assert ping_outcome(certs, port) == "PONG"
            assert srv.client().info("stats")["rejected_connections"] == 1
        finally:
            srv.stop()
            srv.cleanup()
    assert got["redis"].startswith(b"-DENIED Redis is running in protected mode"), got
    assert got["keel"] == got["redis"]
