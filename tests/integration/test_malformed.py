"""Malformed and abusive input over real sockets.

Every malformed request is sent to Keel and to redis-server 7.0.15: the bytes each sends back
(an error, nothing) and whether it then closes the connection must be the same. After each
case a second, well-behaved client must still get correct replies, and used_memory must come
back to where it was before the case (polled with a deadline: freeing a closed client's buffers
may wait for the next event-loop turn or cron tick).
"""

import socket
import time

import pytest

from diff.resp import RespConnection
from helpers import ORACLE_SERVER, ping_once, wait_until

MEMORY_TOLERANCE = 256 * 1024   # bytes: allocator and bookkeeping noise
MEMORY_DEADLINE = 10.0          # seconds

# (name, bytes sent, the connection is closed afterwards). The reply itself is compared with
# redis-server's, so no expected text is written here.
MALFORMED = [
    ("negative bulk length", b"*1\r\n$-5\r\n", True),
    ("huge bulk length", b"*1\r\n$99999999999\r\n", True),
    ("2 GB bulk announced", b"*2\r\n$3\r\nSET\r\n$2147483648\r\n", True),
    ("non-numeric bulk length", b"*1\r\n$abc\r\n", True),
    ("bulk length with junk", b"*1\r\n$4x\r\nPING\r\n", True),
    ("non-numeric multibulk length", b"*x\r\n", True),
    ("multibulk length beyond INT_MAX", b"*99999999999\r\n", True),
    ("nested array", b"*1\r\n*1\r\n$4\r\nPING\r\n", True),
    ("simple string as argument", b"*1\r\n+PING\r\n", True),
    ("unbalanced double quotes", b'SET "a b\r\n', True),
    ("unbalanced single quotes", b"SET 'a b\r\n", True),
    ("closing quote followed by a letter", b'SET "a"b c\r\n', True),
    ("too big multibulk count line", b"*" + b"1" * 70000, True),
    ("too big bulk count line", b"*1\r\n$" + b"1" * 70000, True),
    ("too big inline request", b"GET " + b"a" * 70000, True),
    ("empty multibulk", b"*0\r\n*-1\r\nPING\r\n", False),
    ("blank inline lines", b"\r\n\n  \r\nPING\r\n", False),
    ("NUL before the newline hides it", b"PING\x00\r\n", False),
    ("unknown command", b"*1\r\n$7\r\nNOTACMD\r\n", False),
    ("inline with escapes", b'ECHO "a\\x00b\\n" \'c\\\'d\'\r\n', False),
]


def used_memory(server):
    with RespConnection(server.host, server.port, timeout=10.0) as c:
        info = c.call("INFO", "memory").payload
    for line in info.split(b"\r\n"):
        if line.startswith(b"used_memory:"):
            return int(line.split(b":")[1])
    raise AssertionError("no used_memory in INFO")


def memory_returns(server, baseline):
    wait_until(lambda: used_memory(server) <= baseline + MEMORY_TOLERANCE, MEMORY_DEADLINE,
               interval=0.05, what="used_memory back to %d on %r" % (baseline, server))


def bystander_works(server, tag):
    """A second client sees normal service: a write and a read of its own key."""
    with RespConnection(server.host, server.port, timeout=10.0) as c:
        assert c.call("SET", "bystander", tag).raw == b"+OK\r\n"
        assert c.call("GET", "bystander").payload == tag.encode()


def read_until_quiet(sock, quiet=0.3, limit=5.0):
    """Everything the peer sends until it closes or stays silent for `quiet` seconds:
    (bytes, closed)."""
    data = b""
    deadline = time.monotonic() + limit
    sock.settimeout(quiet)
    while time.monotonic() < deadline:
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            return data, False
        except ConnectionResetError:
            return data, True
        if not chunk:
            return data, True
        data += chunk
    return data, False


def exchange(server, payload):
    with socket.create_connection((server.host, server.port), timeout=10.0) as s:
        s.sendall(payload)
        return read_until_quiet(s)


@pytest.mark.parametrize("name,payload,closes", MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_request(keel, oracle, name, payload, closes):
    baseline = used_memory(keel)
    redis_reply = exchange(oracle, payload)
    assert redis_reply[1] == closes, "redis-server behaves unlike the table: %r" % (redis_reply,)
    keel_reply = exchange(keel, payload)
    assert keel_reply == redis_reply
    bystander_works(keel, name)
    memory_returns(keel, baseline)


def test_bulk_announced_and_never_sent(keel):
    """A client announces a 100 MB argument, sends a little of it and disconnects: nothing of
    it may stay allocated, and nobody else waits for it."""
    baseline = used_memory(keel)
    with socket.create_connection((keel.host, keel.port), timeout=10.0) as s:
        s.sendall(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$104857600\r\n" + b"x" * 100000)
        bystander_works(keel, "while a big bulk is pending")
    bystander_works(keel, "after")
    with RespConnection(keel.host, keel.port) as c:
        assert c.call("EXISTS", "k").raw == b":0\r\n"
    memory_returns(keel, baseline)


def test_slow_client_one_byte_at_a_time(keel):
    """A request trickling in a byte at a time (bounded: ~3 s) is answered once complete, and
    the server keeps serving others meanwhile."""
    request = b"*2\r\n$4\r\nECHO\r\n$5\r\nhello\r\n"
    with socket.create_connection((keel.host, keel.port), timeout=10.0) as s:
        for i, byte in enumerate(request):
            s.sendall(bytes([byte]))
            if i % 5 == 0:
                bystander_works(keel, "byte %d" % i)
            time.sleep(3.0 / len(request))
        s.settimeout(10.0)
        assert s.recv(100) == b"$5\r\nhello\r\n"


@pytest.mark.parametrize("binary", ["keel", "redis"])
def test_reader_that_never_reads_is_disconnected(start_server, binary):
    """A client pipelining GETs of a 1 MB value without reading the replies hits the normal
    class's output buffer hard limit and is closed; memory comes back and others are served."""
    server = start_server(["--client-output-buffer-limit", "normal 4mb 2mb 10"],
                          binary=ORACLE_SERVER if binary == "redis" else None)
    with RespConnection(server.host, server.port) as c:
        assert c.call("SET", "big", b"v" * (1 << 20)).raw == b"+OK\r\n"
    baseline = used_memory(server)
    s = socket.create_connection((server.host, server.port), timeout=10.0)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    try:
        request = b"*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n" * 64
        for _ in range(8):   # 512 replies of 1 MB: far beyond socket buffers + 4 MB
            try:
                s.sendall(request)
            except OSError:
                break
        bystander_works(server, "while a client does not read")

        def disconnected():
            with RespConnection(server.host, server.port) as c:
                listing = c.call("CLIENT", "LIST").payload
            return listing.count(b"\n") == 1   # only the CLIENT LIST connection itself
        wait_until(disconnected, 10.0, interval=0.05, what="the non-reading client to be closed")
    finally:
        s.close()
    bystander_works(server, "after")
    memory_returns(server, baseline)


UNAUTHENTICATED = [
    ("more than 10 arguments", b"*11\r\n", True),
    ("bulk over 16 KB", b"*2\r\n$4\r\nAUTH\r\n$20000\r\n", True),
    ("command before AUTH", b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n", False),
]


@pytest.mark.parametrize("name,payload,closes", UNAUTHENTICATED,
                         ids=[m[0] for m in UNAUTHENTICATED])
def test_malformed_before_auth(start_server, name, payload, closes):
    """With requirepass, Redis applies tighter request limits until AUTH succeeds."""
    keel = start_server(["--requirepass", "secret"])
    oracle = start_server(["--requirepass", "secret"], binary=ORACLE_SERVER)
    redis_reply = exchange(oracle, payload)
    assert redis_reply[1] == closes, "redis-server behaves unlike the table: %r" % (redis_reply,)
    assert exchange(keel, payload) == redis_reply
    assert ping_once(keel.host, keel.port)   # -NOAUTH also proves it is serving
