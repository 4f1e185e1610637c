"""A raw RESP2/RESP3 client over a plain socket.

The differential suite needs the exact bytes a server sent, not a library's interpretation of
them, so this client reads exactly one complete reply at a time by following the RESP framing
and hands back both the raw bytes and a parsed tree. It never retries, never decodes and never
hides a protocol mistake: a malformed reply raises RespProtocolError.

Reply types handled: simple + - : _ , # ( ; blobs $ ! = (with $-1 null and RESP3 streamed
strings $?); aggregates * ~ > (with *-1 null and streamed *?), maps % and attributes |.
"""

import socket

LINE_TYPES = b"+-:_,#("
BLOB_TYPES = b"$!="
ARRAY_TYPES = b"*~>"
MAP_TYPES = b"%|"


class RespProtocolError(Exception):
    """The peer sent bytes that are not valid RESP."""


class ConnectionClosed(Exception):
    """The peer closed the connection before a complete reply arrived."""


class Reply:
    """One complete reply.

    kind:      the type byte as a one-character str ("+", "$", "*", ...)
    raw:       every byte of the reply, attribute prefix included
    header:    the first line without CRLF, e.g. b"*3" or b"$-1" or b"+OK"
    payload:   for blobs, the data (None for a null); for line types, the text after the type byte
    children:  for aggregates, the elements (maps: key, value, key, value, ...); None for a null
    attribute: a preceding RESP3 attribute (|) reply, if any
    """

    __slots__ = ("kind", "raw", "header", "payload", "children", "attribute")

    def __init__(self, kind, raw, header, payload=None, children=None, attribute=None):
        self.kind = kind
        self.raw = raw
        self.header = header
        self.payload = payload
        self.children = children
        self.attribute = attribute

    @property
    def is_error(self):
        return self.kind in ("-", "!")

    @property
    def is_null(self):
        return self.kind == "_" or (self.kind in "$*" and self.header in (b"$-1", b"*-1"))

    @property
    def is_aggregate(self):
        return self.kind in "*~>%|"

    def error_text(self):
        """The error message (without '-'), or None if this is not an error."""
        if self.kind == "-":
            return self.payload
        if self.kind == "!":
            return self.payload
        return None

    def pairs(self):
        """Children of a map (or a flat RESP2 key/value array) as a list of (key, value)."""
        kids = self.children or []
        return [(kids[i], kids[i + 1]) for i in range(0, len(kids) - 1, 2)]

    def to_py(self):
        """A plain Python value, for tests that check properties rather than bytes."""
        k = self.kind
        if k == "+":
            return self.payload
        if k in "-!":
            return RespError(self.payload)
        if k in ":(":
            return int(self.payload)
        if k == "_":
            return None
        if k == ",":
            return float(self.payload)
        if k == "#":
            return self.payload == b"t"
        if k in "$=":
            return self.payload
        if k in "*~>":
            return None if self.children is None else [c.to_py() for c in self.children]
        if k in "%|":
            return [(a.to_py(), b.to_py()) for a, b in self.pairs()]
        raise RespProtocolError("unknown reply type %r" % k)

    def __repr__(self):
        return "Reply(%r)" % self.raw

    def __eq__(self, other):
        return isinstance(other, Reply) and self.raw == other.raw

    def __hash__(self):
        return hash(self.raw)


class RespError(Exception):
    """An error reply turned into a Python value by Reply.to_py()."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message

    def __eq__(self, other):
        return isinstance(other, RespError) and self.message == other.message

    def __hash__(self):
        return hash(self.message)


def encode_command(args):
    """RESP multibulk encoding of one command. Arguments may be bytes, str or int."""
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        if isinstance(a, bytes):
            b = a
        elif isinstance(a, str):
            b = a.encode()
        elif isinstance(a, (int, float)):
            b = str(a).encode()
        else:
            raise TypeError("cannot encode argument %r" % (a,))
        out.append(b"$%d\r\n%s\r\n" % (len(b), b))
    return b"".join(out)


class RespConnection:
    """A connection that sends commands or raw bytes and reads one reply at a time."""

    def __init__(self, host="127.0.0.1", port=6379, timeout=10.0, unix_path=None):
        if unix_path:
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.sock.settimeout(timeout)
            self.sock.connect(unix_path)
        else:
            self.sock = socket.create_connection((host, port), timeout=timeout)
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.timeout = timeout
        self.buf = bytearray()
        self.pos = 0

    # ---- sending ---------------------------------------------------------------------

    def send(self, *args):
        self.sock.sendall(encode_command(args))

    def send_raw(self, data):
        self.sock.sendall(data)

    def call(self, *args):
        """Send one command and read its reply."""
        self.send(*args)
        return self.read_reply()

    def pipeline(self, commands):
        """Send many commands in one write, then read as many replies."""
        self.sock.sendall(b"".join(encode_command(c) for c in commands))
        return [self.read_reply() for _ in commands]

    # ---- reading ---------------------------------------------------------------------

    def _fill(self):
        try:
            data = self.sock.recv(65536)
        except ConnectionResetError:
            data = b""
        if not data:
            raise ConnectionClosed("connection closed by peer")
        if self.pos > 65536 and self.pos * 2 > len(self.buf):
            del self.buf[:self.pos]
            self.pos = 0
        self.buf += data

    def _line(self):
        """The next line without its CRLF."""
        while True:
            end = self.buf.find(b"\r\n", self.pos)
            if end >= 0:
                line = bytes(self.buf[self.pos:end])
                self.pos = end + 2
                return line
            self._fill()

    def _exact(self, n):
        while len(self.buf) - self.pos < n:
            self._fill()
        data = bytes(self.buf[self.pos:self.pos + n])
        self.pos += n
        return data

    def read_reply(self):
        """Read exactly one complete reply and return it as a Reply. Raw bytes are rebuilt from
        the parse tree (not sliced from the buffer), so buffer compaction cannot corrupt them."""
        return self._parse()

    def _parse(self):
        line = self._line()
        if not line:
            raise RespProtocolError("empty reply line")
        kind = chr(line[0])
        rest = line[1:]
        head = line + b"\r\n"
        if line[0] in LINE_TYPES:
            if kind == "_" and rest:
                raise RespProtocolError("bad null %r" % line)
            return Reply(kind, head, line, payload=rest)
        if line[0] in BLOB_TYPES:
            if rest == b"?" and kind == "$":
                return self._streamed_string(head, line)
            n = _parse_len(line)
            if n < 0:
                if kind != "$" or n != -1:
                    raise RespProtocolError("bad blob length %r" % line)
                return Reply(kind, head, line, payload=None)
            data = self._exact(n)
            if self._exact(2) != b"\r\n":
                raise RespProtocolError("blob %r not terminated by CRLF" % line)
            return Reply(kind, head + data + b"\r\n", line, payload=data)
        if line[0] in ARRAY_TYPES or line[0] in MAP_TYPES:
            if rest == b"?":
                return self._streamed_aggregate(kind, head, line)
            n = _parse_len(line)
            if n < 0:
                if kind != "*" or n != -1:
                    raise RespProtocolError("bad aggregate length %r" % line)
                return Reply(kind, head, line, children=None)
            count = n * 2 if line[0] in MAP_TYPES else n
            children = [self._parse() for _ in range(count)]
            raw = head + b"".join(c.raw for c in children)
            reply = Reply(kind, raw, line, children=children)
            if kind == "|":
                # An attribute decorates the reply that follows it; return that reply.
                real = self._parse()
                real.attribute = reply
                real.raw = raw + real.raw
                return real
            return reply
        raise RespProtocolError("unknown reply type byte in %r" % line)

    def _streamed_string(self, head, line):
        raw = [head]
        data = []
        while True:
            chunk_head = self._line()
            if not chunk_head.startswith(b";"):
                raise RespProtocolError("bad streamed string chunk %r" % chunk_head)
            n = _parse_len(chunk_head)
            raw.append(chunk_head + b"\r\n")
            if n == 0:
                break
            part = self._exact(n)
            if self._exact(2) != b"\r\n":
                raise RespProtocolError("streamed chunk not terminated by CRLF")
            raw.append(part + b"\r\n")
            data.append(part)
        return Reply("$", b"".join(raw), line, payload=b"".join(data))

    def _streamed_aggregate(self, kind, head, line):
        children = []
        while True:
            if self._peek_line() == b".":
                self._line()
                break
            children.append(self._parse())
        raw = head + b"".join(c.raw for c in children) + b".\r\n"
        return Reply(kind, raw, line, children=children)

    def _peek_line(self):
        """The next line, left unread (no saved offset, so _fill() may compact the buffer)."""
        while True:
            end = self.buf.find(b"\r\n", self.pos)
            if end >= 0:
                return bytes(self.buf[self.pos:end])
            self._fill()

    # ---- connection state ------------------------------------------------------------

    def closed_by_peer(self, timeout=5.0):
        """True if the peer closes the connection within timeout with no further bytes.
        Raises RespProtocolError if unexpected bytes arrive instead."""
        if self.pos < len(self.buf):
            raise RespProtocolError("unread bytes after reply: %r" % bytes(self.buf[self.pos:]))
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(4096)
        except ConnectionResetError:
            return True
        except socket.timeout:
            return False
        finally:
            self.sock.settimeout(self.timeout)
        if data:
            raise RespProtocolError("unexpected bytes where a close was expected: %r" % data)
        return True

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _parse_len(line):
    try:
        return int(line[1:])
    except ValueError:
        raise RespProtocolError("bad length in %r" % line) from None
