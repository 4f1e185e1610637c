"""Self-tests of the harness: the RESP reader and the differential runner must catch what they
claim to catch. They use only redis-server, so they are meaningful whatever KEEL_SERVER is."""

import socket

import pytest

from diff.resp import RespConnection, RespProtocolError
from diff.runner import (C, DiffFailure, Raw, ScanAll, approx_int, run_script, unordered_equal)
from helpers import ORACLE_SERVER


def parse_all(data, count=1):
    """Feed `data` through a socketpair into a RespConnection and read `count` replies."""
    a, b = socket.socketpair()
    a.sendall(data)
    a.close()
    conn = RespConnection.__new__(RespConnection)
    conn.sock, conn.timeout, conn.buf, conn.pos = b, 5.0, bytearray(), 0
    try:
        return [conn.read_reply() for _ in range(count)]
    finally:
        b.close()


@pytest.mark.parametrize("data", [
    b"+OK\r\n", b"-ERR x\r\n", b":-12\r\n", b"$-1\r\n", b"$0\r\n\r\n", b"$3\r\na\r\n\r\n",
    b"*-1\r\n", b"*0\r\n", b"*2\r\n$1\r\na\r\n*1\r\n:1\r\n", b"_\r\n", b",3.14\r\n", b",inf\r\n",
    b"#t\r\n", b"!3\r\nerr\r\n", b"=8\r\ntxt:abcd\r\n", b"(12345678901234567890\r\n",
    b"%2\r\n+a\r\n:1\r\n+b\r\n*1\r\n_\r\n", b"~2\r\n:1\r\n:2\r\n", b">2\r\n+push\r\n:1\r\n",
    b"|1\r\n+ttl\r\n:3\r\n$1\r\nv\r\n", b"$?\r\n;2\r\nab\r\n;1\r\nc\r\n;0\r\n",
    b"*?\r\n:1\r\n:2\r\n.\r\n",
])
def test_reader_returns_exact_bytes(data):
    (reply,) = parse_all(data + b"+NEXT\r\n")
    assert reply.raw == data


def test_reader_values():
    r = parse_all(b"%2\r\n+a\r\n:1\r\n$1\r\nb\r\n*2\r\n_\r\n#f\r\n")[0]
    assert r.to_py() == [(b"a", 1), (b"b", [None, False])]
    r = parse_all(b"|1\r\n+ttl\r\n:3\r\n$1\r\nv\r\n")[0]
    assert r.payload == b"v" and r.attribute.to_py() == [(b"ttl", 3)]
    assert parse_all(b"$?\r\n;2\r\nab\r\n;1\r\nc\r\n;0\r\n")[0].payload == b"abc"


@pytest.mark.parametrize("data", [b"?\r\n", b"$x\r\n", b"$3\r\nabcde", b"_x\r\n", b"*-2\r\n"])
def test_reader_rejects_malformed(data):
    with pytest.raises(RespProtocolError):
        parse_all(data)


def test_unordered_comparator():
    a, b, c = parse_all(b"*2\r\n+x\r\n+y\r\n*2\r\n+y\r\n+x\r\n*2\r\n+y\r\n+y\r\n", 3)
    assert unordered_equal(a, b) is None
    assert unordered_equal(a, c) is not None
    m1, m2 = parse_all(b"%2\r\n+a\r\n:1\r\n+b\r\n:2\r\n%2\r\n+b\r\n:2\r\n+a\r\n:1\r\n", 2)
    assert unordered_equal(m1, m2) is None
    p1, p2 = parse_all(b"*4\r\n+a\r\n:1\r\n+b\r\n:2\r\n*4\r\n+a\r\n:2\r\n+b\r\n:1\r\n", 2)
    assert unordered_equal(p1, p2, as_pairs=True) is not None


def test_approx_comparator():
    x, y, z, n = parse_all(b":100\r\n:99\r\n:90\r\n:-1\r\n", 4)
    cmp = approx_int(2)
    assert cmp(x, y) is None
    assert cmp(x, z) is not None
    assert cmp(x, n) is not None


@pytest.fixture
def two_redis(start_server):
    """Two redis-servers where one has only 4 databases, so they differ on demand."""
    normal = start_server(binary=ORACLE_SERVER)
    small = start_server(["--databases", "4"], binary=ORACLE_SERVER)
    return small, normal


def test_runner_passes_identical_servers(two_redis):
    small, normal = two_redis
    run_script(small, normal, [["SET", "a", "1"], ["GET", "a"], ScanAll(), Raw(b"PING\r\n")])


def test_runner_detects_different_replies(two_redis):
    small, normal = two_redis
    with pytest.raises(DiffFailure, match="SELECT 5"):
        run_script(small, normal, [["PING"], ["SELECT", 5]])


def test_runner_detects_different_scans(two_redis):
    small, normal = two_redis
    script = [["SELECT", 3], ["SET", "a", "1"], ["SWAPDB", 0, 3], ["SELECT", 0], ScanAll()]
    run_script(small, normal, script)
    # MOVE to db 8 fails only on the 4-db server (the comparator accepts that), so the scanned
    # sets of db 0 differ.
    script = [["SET", "a", "1"], ["SET", "b", "1"], C("MOVE", "a", 8, compare=lambda k, r: None),
              ScanAll()]
    with pytest.raises(DiffFailure, match="scanned sets differ"):
        run_script(small, normal, script)


def test_runner_checks_expectations(two_redis):
    small, normal = two_redis
    with pytest.raises(DiffFailure, match="script bug"):
        run_script(small, normal, [C("PING", expect=b"+NOPE\r\n")])
    with pytest.raises(DiffFailure, match="did not close"):
        run_script(small, normal, [Raw(b"PING\r\n", closes=True, close_timeout=0.5)])


def test_sanitizer_report_fails_the_server_check(start_server, tmp_path):
    """A server whose stderr carries a sanitizer report must fail Server.stop(check=True)."""
    from helpers import Server, ServerError
    fake = tmp_path / "fake-san-server"
    fake.write_text("#!/bin/sh\necho '==1==ERROR: AddressSanitizer: heap-use-after-free' >&2\n"
                    "exec %s \"$@\"\n" % ORACLE_SERVER)
    fake.chmod(0o755)
    server = Server(str(fake), name="fake").start()
    try:
        with pytest.raises(ServerError, match="AddressSanitizer"):
            server.stop(check=True)
    finally:
        server.kill()
        server.cleanup()


def test_shared_server_reports_a_crash():
    """If a test kills the shared server, that test fails and the next one gets a new server."""
    from conftest import SharedServer
    from helpers import ServerError
    shared = SharedServer(ORACLE_SERVER, "crashy")
    first = shared.get()
    first.proc.kill()
    first.proc.wait()
    with pytest.raises(ServerError, match="died during the test"):
        shared.after_test()
    second = shared.get()
    assert second is not first and second.alive()
    shared.after_test()
    shared.shutdown()
    assert not second.alive()
