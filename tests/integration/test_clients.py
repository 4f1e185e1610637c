"""Client-facing behaviour through redis-py and raw sockets: basic usage, RESP3, CLIENT
subcommands, connection limits and timeouts, Unix sockets and authentication."""

import os
import re
import socket

import pytest
import redis

from diff.resp import ConnectionClosed, RespConnection
from helpers import wait_until


def test_redis_py_basics(keel_client):
    c = keel_client
    assert c.ping() is True
    assert c.set("name", "keel") is True
    assert c.get("name") == b"keel"
    assert c.get("missing") is None
    assert c.incr("counter") == 1
    assert c.incrby("counter", 41) == 42
    assert c.mset({"a": "1", "b": "2"}) is True
    assert c.mget("a", "b", "nope") == [b"1", b"2", None]
    assert c.exists("a", "b", "nope") == 2
    assert c.delete("a", "nope") == 1
    assert c.expire("b", 100) is True
    assert 0 < c.ttl("b") <= 100
    assert c.set("name", "other", nx=True) is None
    assert c.getset("name", "new") == b"keel"
    assert c.append("name", "!") == 4
    assert c.strlen("name") == 4
    assert c.dbsize() == 3


def test_redis_py_pipeline(keel_client):
    pipe = keel_client.pipeline(transaction=False)
    for i in range(500):
        pipe.set("p:%d" % i, i)
    pipe.incr("p:1")
    pipe.get("p:1")
    pipe.get("nope")
    results = pipe.execute()
    assert results[:500] == [True] * 500
    assert results[500:] == [2, b"2", None]
    assert keel_client.dbsize() == 500


def test_binary_safe_keys_and_values(keel_client):
    key = b"k\x00\xff\r\n"
    value = bytes(range(256)) * 10
    keel_client.set(key, value)
    assert keel_client.get(key) == value
    assert keel_client.keys(b"k\x00*") == [key]


def test_resp3_with_raw_client(keel):
    with keel.raw() as conn:
        hello = conn.call("HELLO", "3")
        assert hello.kind == "%", hello
        fields = dict((k.payload, v) for k, v in hello.pairs())
        assert fields[b"proto"].raw == b":3\r\n"
        assert {b"server", b"version", b"proto", b"id", b"mode", b"role", b"modules"} <= set(fields)
        assert conn.call("GET", "missing").raw == b"_\r\n"
        assert conn.call("SET", "k", "v").raw == b"+OK\r\n"
        assert conn.call("MGET", "k", "missing").raw == b"*2\r\n$1\r\nv\r\n_\r\n"
        config = conn.call("CONFIG", "GET", "maxmemory")
        assert config.kind == "%" and len(config.pairs()) == 1, config
        assert conn.call("HELLO", "2").kind == "*"
        assert conn.call("GET", "missing").raw == b"$-1\r\n"


def test_client_name_id_list(keel):
    a, b = keel.client(), keel.client()
    try:
        id_a = a.client_id()
        id_b = b.client_id()
        assert isinstance(id_a, int) and isinstance(id_b, int) and id_a != id_b
        assert a.client_getname() is None
        assert a.client_setname("alpha") is True
        assert a.client_getname() in (b"alpha", "alpha")    # redis-py 4 decodes this reply
        with pytest.raises(redis.ResponseError):
            a.client_setname("has space")
        listing = a.execute_command("CLIENT", "LIST")
        text = listing.decode() if isinstance(listing, bytes) else listing
        lines = text.strip().splitlines()
        assert len(lines) >= 2
        mine = [ln for ln in lines if re.search(r"\bid=%d\b" % id_a, ln)]
        assert len(mine) == 1, text
        assert " name=alpha " in mine[0]
        assert re.search(r"\baddr=127\.0\.0\.1:\d+\b", mine[0])
        assert re.search(r"\bdb=0\b", mine[0])
        assert any(re.search(r"\bid=%d\b" % id_b, ln) for ln in lines)
    finally:
        a.close()
        b.close()


def test_query_buffer_limit_disconnects_only_the_offender(start_server):
    server = start_server()
    admin = server.client()
    assert admin.config_set("client-query-buffer-limit", "1mb") is True
    victim = socket.create_connection((server.host, server.port), timeout=10)
    victim.sendall(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$100000000\r\n")
    chunk = b"x" * 65536
    sent = 0
    closed = False
    try:
        while sent < 50 * 1024 * 1024:
            victim.sendall(chunk)
            sent += len(chunk)
    except (BrokenPipeError, ConnectionResetError):
        closed = True
    if not closed:
        victim.settimeout(10)
        try:
            closed = victim.recv(1) == b""
        except ConnectionResetError:
            closed = True
        except socket.timeout:
            closed = False
    victim.close()
    assert closed, "client that sent %d bytes of one bulk was not disconnected" % sent
    assert sent < 50 * 1024 * 1024
    assert admin.ping() is True
    assert admin.set("still", "works") is True
    admin.close()


def _wait_clients(client, n):
    wait_until(lambda: len(client.client_list()) == n, timeout=10, what="%d connected clients" % n)


def test_maxclients(start_server):
    server = start_server(["--maxclients", "3"])
    first = RespConnection(server.host, server.port)
    # Connections from start-up checks may still be closing: wait until only this one is left.
    wait_until(lambda: first.call("CLIENT", "LIST").payload.count(b"\n") == 1, timeout=10,
               what="a single client")
    others = [RespConnection(server.host, server.port) for _ in range(2)]
    for conn in others:
        assert conn.call("PING").raw == b"+PONG\r\n"
    extra = RespConnection(server.host, server.port)
    try:
        reply = extra.read_reply()
        assert reply.raw == b"-ERR max number of clients reached\r\n"
        assert extra.closed_by_peer(timeout=5)
    finally:
        extra.close()
    assert first.call("PING").raw == b"+PONG\r\n"
    others[0].close()
    wait_until(lambda: first.call("CLIENT", "LIST").payload.count(b"\n") == 2, timeout=10,
               what="the closed client to be released")
    again = RespConnection(server.host, server.port)
    assert again.call("PING").raw == b"+PONG\r\n"
    for conn in [first, others[1], again]:
        conn.close()


def test_timeout_closes_idle_clients(start_server):
    server = start_server(["--timeout", "1"])
    idle = RespConnection(server.host, server.port, timeout=10)
    assert idle.call("PING").raw == b"+PONG\r\n"
    busy = RespConnection(server.host, server.port, timeout=10)
    # The busy client talks every 200 ms and must survive; the idle one must be closed.
    closed = wait_until(lambda: busy.call("PING").raw == b"+PONG\r\n" and idle.closed_by_peer(0.2),
                        timeout=15, interval=0, what="the idle client to be closed")
    assert closed
    with pytest.raises((ConnectionClosed, OSError)):
        idle.call("PING")
    assert busy.call("PING").raw == b"+PONG\r\n"
    busy.close()
    idle.close()


def test_unix_socket(start_server, tmp_path):
    path = os.path.join(str(tmp_path), "keel.sock")
    server = start_server(["--unixsocket", path, "--unixsocketperm", "700"])
    assert os.path.exists(path)
    client = redis.Redis(unix_socket_path=path, socket_timeout=10)
    assert client.set("via", "unix") is True
    assert client.get("via") == b"unix"
    client.close()
    tcp = server.client()
    assert tcp.get("via") == b"unix"
    tcp.close()


def test_requirepass_and_auth(start_server):
    server = start_server(["--requirepass", "s3cret"])
    anonymous = server.client()
    with pytest.raises(redis.exceptions.RedisError, match="Authentication required"):
        anonymous.get("a")
    anonymous.close()
    wrong = server.client(password="nope")
    with pytest.raises(redis.exceptions.RedisError, match="invalid username-password pair"):
        wrong.ping()
    wrong.close()
    good = server.client(password="s3cret")
    assert good.set("a", "1") is True
    assert good.get("a") == b"1"
    good.close()
    with RespConnection(server.host, server.port) as conn:
        assert conn.call("GET", "a").raw == b"-NOAUTH Authentication required.\r\n"
        assert conn.call("AUTH", "nope").raw.startswith(b"-WRONGPASS ")
        assert conn.call("AUTH", "s3cret").raw == b"+OK\r\n"
        assert conn.call("GET", "a").raw == b"$1\r\n1\r\n"
