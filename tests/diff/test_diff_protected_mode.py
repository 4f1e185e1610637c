"""Protected mode against redis-server 7.0.15: with protected-mode yes and a default user without
a password, a client connecting from an address of the machine other than 127.0.0.1 gets Redis's
-DENIED line and is disconnected; a password for the default user (requirepass or ACL SETUSER)
or protected-mode no lets it in. The non-loopback address is one of the machine's own (ip -4
addr), so the peer address the servers see is that address.
"""

import socket
import subprocess

import pytest

from helpers import ORACLE_SERVER, free_port


def machine_address():
    out = subprocess.run(["ip", "-4", "-o", "addr"], capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        addr = line.split()[3].split("/")[0]
        if not addr.startswith("127."):
            return addr
    raise AssertionError("no non-loopback IPv4 address on this machine:\n" + out)


def exchange(host, port, data=b"PING\r\n", timeout=5.0):
    """Bytes the server sends back for `data` until it closes or stays quiet for a moment, and
    whether it closed."""
    with socket.create_connection((host, port), timeout=timeout) as s:
        s.sendall(data)
        got = b""
        s.settimeout(0.5)
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    return got, True
                got += chunk
        except socket.timeout:
            return got, False
        except ConnectionResetError:
            return got, True


@pytest.fixture
def servers(start_server, keel_bin):
    addr = machine_address()
    pair = [start_server(["--bind", "127.0.0.1", addr], binary=b) for b in (keel_bin, ORACLE_SERVER)]
    return addr, pair


def both(servers, data=b"PING\r\n"):
    addr, pair = servers
    return [exchange(addr, s.port, data) for s in pair]


def test_denied_from_other_address(servers):
    keel, redis = both(servers)
    assert redis[0].startswith(b"-DENIED Redis is running in protected mode") and redis[1]
    assert keel == redis
    # Loopback clients are served.
    addr, pair = servers
    for s in pair:
        assert exchange("127.0.0.1", s.port) == (b"+PONG\r\n", False)


@pytest.mark.parametrize("unlock", [["CONFIG", "SET", "requirepass", "pw"],
                                    ["ACL", "SETUSER", "default", ">pw"],
                                    ["CONFIG", "SET", "protected-mode", "no"]],
                         ids=["requirepass", "acl-password", "protected-mode-no"])
def test_unlocked(servers, unlock):
    addr, pair = servers
    for s in pair:
        c = s.client()
        try:
            c.execute_command(*unlock)
        finally:
            c.close()
    keel, redis = both(servers, b"PING\r\nAUTH pw\r\nPING\r\n")
    assert not redis[1] and keel == redis


@pytest.mark.parametrize("mode", ["no", "local", "yes"])
def test_protected_commands_before_auth(start_server, keel_bin, mode):
    """enable-debug-command: DEBUG is refused before authentication and ACL checks (Redis's
    order), from any client with "no", from non-local ones with "local"."""
    from diff.runner import run_script
    args = ["--requirepass", "pw", "--enable-debug-command", mode]
    keel, oracle = (start_server(args, binary=b) for b in (keel_bin, ORACLE_SERVER))
    run_script(keel, oracle, [["DEBUG", "HELP"], ["AUTH", "pw"], ["ACL", "SETUSER", "u", "on", "nopass", "+get"],
                              ["AUTH", "u", "x"], ["DEBUG", "HELP"], ["DEBUG", "SLEEP", "0"]], password="pw")


def unused_address():
    """An address of the machine's own network that no interface has (TEST-NET-3 if needed)."""
    have = subprocess.run(["ip", "-4", "-o", "addr"], capture_output=True, text=True, check=True).stdout
    for candidate in ("203.0.113.77", "198.51.100.77"):
        if candidate not in have:
            return candidate
    raise AssertionError("no unused test address")


def test_bind_optional_addresses(start_server, keel_bin):
    """bind: an address with a leading '-' that cannot be bound is skipped; without the '-' it
    stops start-up, as in Redis."""
    missing = unused_address()
    for binary in (keel_bin, ORACLE_SERVER):
        s = start_server(["--bind", "127.0.0.1", "-" + missing], binary=binary)
        assert exchange("127.0.0.1", s.port) == (b"+PONG\r\n", False)
        c = s.client()
        try:
            assert c.config_get("bind")["bind"] in (b"127.0.0.1 -" + missing.encode(), "127.0.0.1 -" + missing)
        finally:
            c.close()
    for binary in (keel_bin, ORACLE_SERVER):
        p = subprocess.run([binary, "--port", str(free_port()), "--bind", "127.0.0.1", missing, "--save", ""],
                           capture_output=True, text=True, timeout=10)
        assert p.returncode != 0, binary
