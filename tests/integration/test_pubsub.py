"""Pub/sub: expired-key notifications, output buffer limits of subscribers, cleanup when a
subscriber disconnects, delivery order under many publishers."""

import socket

from diff.resp import RespConnection
from helpers import ORACLE_SERVER, wait_until


def _conn(server, timeout=10.0):
    return RespConnection(server.host, server.port, timeout=timeout)


def expired_events(server):
    sub, c = _conn(server), _conn(server)
    c.call("CONFIG", "SET", "notify-keyspace-events", "Ex")
    sub.call("SUBSCRIBE", "__keyevent@0__:expired")
    c.call("SET", "a", "1", "PX", "5")
    c.call("SET", "b", "1", "PX", "5")
    c.call("SET", "c", "1")
    # Active expiry, or lazy expiry on access, reclaims them: each fires one "expired" event.
    frames = []
    wait_until(lambda: frames.append(sub.read_reply().raw) or len(frames) == 2, timeout=5,
               what="two expired events")
    c.call("CONFIG", "SET", "notify-keyspace-events", "")
    sub.close()
    c.close()
    return sorted(frames)


def test_expired_events_like_redis(start_server):
    keel = start_server()
    redis = start_server(binary=ORACLE_SERVER)
    got = expired_events(keel)
    assert got == expired_events(redis)
    assert got == [b"*3\r\n$7\r\nmessage\r\n$22\r\n__keyevent@0__:expired\r\n$1\r\na\r\n",
                   b"*3\r\n$7\r\nmessage\r\n$22\r\n__keyevent@0__:expired\r\n$1\r\nb\r\n"]


def test_subscriber_over_output_limit_is_disconnected(keel):
    admin = _conn(keel)
    admin.call("CONFIG", "SET", "client-output-buffer-limit", "pubsub 64kb 0 0")
    sub = socket.create_connection((keel.host, keel.port))
    sub.sendall(b"SUBSCRIBE big\r\n")
    sub.recv(100)
    try:
        payload = "x" * 4096
        # The subscriber never reads: its output grows until the hard limit closes it.
        wait_until(lambda: admin.call("PUBLISH", "big", payload).raw == b":0\r\n", timeout=10,
                   interval=0, what="the subscriber to be dropped")
        assert admin.call("PUBSUB", "NUMSUB", "big").raw == b"*2\r\n$3\r\nbig\r\n:0\r\n"
    finally:
        admin.call("CONFIG", "SET", "client-output-buffer-limit",
                   "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60")
        sub.close()
        admin.close()


def test_disconnect_drops_subscriptions(keel):
    admin = _conn(keel)
    subs = [_conn(keel) for _ in range(5)]
    for s in subs:
        s.call("SUBSCRIBE", "ch")
        s.call("PSUBSCRIBE", "c*")
    assert admin.call("PUBLISH", "ch", "m").raw == b":10\r\n"
    for s in subs:
        s.close()
    wait_until(lambda: admin.call("PUBSUB", "NUMSUB", "ch").raw.endswith(b":0\r\n"), timeout=5,
               what="subscriptions to go")
    assert admin.call("PUBSUB", "NUMPAT").raw == b":0\r\n"
    assert admin.call("PUBLISH", "ch", "m").raw == b":0\r\n"
    admin.close()


def test_order_with_several_publishers(keel):
    sub = _conn(keel)
    sub.call("SUBSCRIBE", "q")
    pubs = [_conn(keel) for _ in range(3)]
    sent = []
    for i in range(60):
        p = pubs[i % 3]
        msg = "m%d" % i
        assert p.call("PUBLISH", "q", msg).raw == b":1\r\n"
        sent.append(msg.encode())
    got = [sub.read_reply().to_py()[2] for _ in sent]
    assert got == sent
    for c in pubs + [sub]:
        c.close()
