"""Differential scripts over several connections per server (transactions, pub/sub).

A script is a list of steps, each run on both servers, replies compared byte for byte:

  (n, *args)        send the command on connection n and read its reply
  Send(n, *args, replies=k)
                    send the command on connection n and read k replies (SUBSCRIBE a b c
                    answers with one frame per channel)
  Read(n, k=1)      read k more frames on connection n: pushed messages. The frames a
                    subscriber receives, in order, are part of the comparison.
  ReadUntil(n, marker)
                    read frames on connection n up to and including the first one that
                    contains the bytes marker (e.g. a message published on a marker channel)
  Hello3(n)         switch connection n to RESP3 (the HELLO map is not compared: ids differ)
  Unordered(n, *args, replies=k)
                    like Send, but the frames are compared as a multiset, and a single
                    aggregate frame's elements too (replies whose order is a hash-table order
                    in Redis: UNSUBSCRIBE with no arguments, PUBSUB CHANNELS)

Connections are opened lazily; every script starts after FLUSHALL. At the end each connection
must have nothing unread (no extra message was delivered) and both servers must answer PING.
"""

import socket

from diff.resp import RespConnection
from diff.runner import DiffFailure, flushall


class Send:
    def __init__(self, conn, *args, replies=1):
        self.conn = conn
        self.args = args
        self.replies = replies


class Unordered(Send):
    pass


class Read:
    def __init__(self, conn, count=1):
        self.conn = conn
        self.count = count


class ReadUntil:
    def __init__(self, conn, marker, limit=1000):
        self.conn = conn
        self.marker = marker
        self.limit = limit


class Hello3:
    def __init__(self, conn):
        self.conn = conn


def _describe(step):
    if isinstance(step, tuple):
        return "conn%d: %s" % (step[0], " ".join(str(a) for a in step[1:]))
    if isinstance(step, Read):
        return "conn%d: read %d" % (step.conn, step.count)
    if isinstance(step, ReadUntil):
        return "conn%d: read until %r" % (step.conn, step.marker)
    if isinstance(step, Hello3):
        return "conn%d: HELLO 3" % step.conn
    return "conn%d: %s" % (step.conn, " ".join(str(a) for a in step.args))


def _multiset(reply):
    """A frame as its header line plus its sorted element bytes."""
    if not reply.children:
        return reply.raw
    return reply.header + b"".join(sorted(child.raw for child in reply.children))


class _Side:
    def __init__(self, server):
        self.server = server
        self.conns = {}

    def conn(self, n):
        if n not in self.conns:
            self.conns[n] = RespConnection(self.server.host, self.server.port, timeout=5.0)
        return self.conns[n]

    def run(self, step):
        """The raw frames the step produced, as a list of bytes."""
        if isinstance(step, tuple):
            step = Send(step[0], *step[1:])
        c = self.conn(step.conn)
        if isinstance(step, Hello3):
            c.call("HELLO", "3")
            return []
        if isinstance(step, Read):
            return [c.read_reply().raw for _ in range(step.count)]
        if isinstance(step, ReadUntil):
            frames = []
            while len(frames) < step.limit:
                frames.append(c.read_reply().raw)
                if step.marker in frames[-1]:
                    break
            return frames
        c.send(*step.args)
        replies = [c.read_reply() for _ in range(step.replies)]
        if isinstance(step, Unordered):
            return sorted(_multiset(r) for r in replies)
        return [r.raw for r in replies]

    def leftovers(self):
        """Connections with unread bytes: the server sent more than the script read."""
        extra = {}
        for n, c in self.conns.items():
            if c.pos < len(c.buf):
                extra[n] = bytes(c.buf[c.pos:])
                continue
            c.sock.settimeout(0.05)
            try:
                data = c.sock.recv(65536)
            except socket.timeout:
                continue
            finally:
                c.sock.settimeout(5.0)
            if data:
                extra[n] = data
        return extra

    def close(self):
        for c in self.conns.values():
            c.close()


def run_multi(keel, oracle, script):
    __tracebackhide__ = True
    for server in (keel, oracle):
        flushall(server)
    sides = [_Side(keel), _Side(oracle)]
    history = []
    try:
        for n, step in enumerate(script, 1):
            got = []
            for side in sides:
                try:
                    got.append(side.run(step))
                except (socket.timeout, OSError) as e:
                    got.append("error: %r" % e)
            k, r = got
            if isinstance(r, str):
                raise DiffFailure("step %d %s: redis-server: %s (script bug)" % (n, _describe(step), r))
            if k != r:
                raise DiffFailure("step %d %s\n  keel : %r\n  redis: %r\n  after: %s"
                                  % (n, _describe(step), k, r, " | ".join(history[-6:])))
            history.append(_describe(step))
        k_extra, r_extra = sides[0].leftovers(), sides[1].leftovers()
        if k_extra != r_extra:
            raise DiffFailure("unread frames differ at the end\n  keel : %r\n  redis: %r"
                              % (k_extra, r_extra))
    finally:
        for side in sides:
            side.close()
