"""The cluster bus port takes untrusted input: garbage, a wrong signature, lengths below the
header or far above what is sent, gossip counts and ping extensions that overrun the message,
truncated messages, a FAIL/UPDATE about unknown nodes. The node must drop or ignore each one and
keep serving (against ./keel-server-san this is the ASan check), and a well-formed MEET from a
new node must still be answered with a PONG of Redis's layout.
"""

import os
import socket
import struct

import pytest

from cluster.cluster_util import start_node
from helpers import keel_binary

HDR = 2256


def header(msg_type, body=b"", count=0, totlen=None, sender=b"f" * 40, mflags0=0, extensions=0):
    h = bytearray(HDR)
    h[0:4] = b"RCmb"
    struct.pack_into(">IHHHH", h, 4, totlen if totlen is not None else HDR + len(body), 1, 7000, msg_type, count)
    h[40:80] = sender
    struct.pack_into(">H", h, 2214, extensions)
    struct.pack_into(">HHH", h, 2246, 0, 17000, 1)   # pport, cport, flags (master)
    h[2253] = mflags0
    return bytes(h) + body


@pytest.fixture
def node():
    n = start_node(keel_binary(), "cluster-bus-input")
    try:
        yield n
    finally:
        n.stop()
        n.cleanup()


def bus(node):
    return socket.create_connection((node.host, node.port + 10000), timeout=5)


def still_serving(node):
    c = node.client()
    assert c.ping()
    assert b"cluster_known_nodes" in c.execute_command("CLUSTER", "INFO")


def send_and_close(node, data):
    s = bus(node)
    try:
        s.sendall(data)
    finally:
        s.close()
    still_serving(node)


def test_malformed_messages_are_dropped(node):
    send_and_close(node, os.urandom(5000))
    send_and_close(node, b"XXXX" + b"\x00" * 3000)                          # wrong signature
    send_and_close(node, b"RCmb" + struct.pack(">I", 100) + b"\x00" * 200)   # below the header
    send_and_close(node, b"RCmb" + struct.pack(">I", 0xFFFFFFFF))            # far too long
    send_and_close(node, header(0, totlen=400 * 1024 * 1024)[:HDR])          # claims 400 MB, stops
    send_and_close(node, header(0, count=60000))                             # gossip beyond the end
    send_and_close(node, header(0, body=struct.pack(">IHH", 12, 0, 0) + b"\x00" * 4, mflags0=4,
                                extensions=1))                               # extension not 8-aligned
    send_and_close(node, header(0, body=struct.pack(">IHH", 4096, 0, 0) + b"\x00" * 8, mflags0=4,
                                extensions=3))                               # extension overruns
    send_and_close(node, header(3, body=b"a" * 40))                          # FAIL from an unknown sender
    send_and_close(node, header(7, body=b"\x00" * (8 + 40 + 2048)))          # UPDATE from an unknown sender
    send_and_close(node, header(4, body=struct.pack(">II", 0xFFFFFF, 3) + b"abc"))   # PUBLISH lengths lie
    send_and_close(node, header(2)[:1000])                                   # truncated MEET
    assert_meet_answered(node)   # the bus still works after all of it


def test_meet_is_answered_with_a_pong(node):
    assert_meet_answered(node)


def assert_meet_answered(node):
    s = bus(node)
    try:
        s.sendall(header(2, sender=b"1" * 40))
        data = b""
        while len(data) < 8:
            data += s.recv(65536)
        totlen = struct.unpack(">I", data[4:8])[0]
        while len(data) < totlen:
            data += s.recv(65536)
        assert data[:4] == b"RCmb" and totlen >= HDR
        assert struct.unpack(">H", data[12:14])[0] == 1                       # PONG
        myid = node.client().execute_command("CLUSTER", "MYID")
        assert data[40:80] == myid
        assert struct.unpack(">H", data[2248:2250])[0] == node.port + 10000  # cport
    finally:
        s.close()
    still_serving(node)
