"""The differential runner: the same commands to Keel and to redis-server, replies compared
byte for byte.

A script is a list of steps. A step is either a plain list/tuple of command arguments, or one of:

  C(*args, unordered=, pairs=, skip_compare=, compare=, expect=)
      a command with options:
        unordered     aggregate elements compared as a multiset (maps: as a set of pairs)
        pairs         a flat RESP2 key/value array compared as a set of pairs (CONFIG GET, HELLO 2)
        skip_compare  replies may differ (TIME, INFO, CLIENT ID); both must still reply, with the
                      same reply type, and neither may be an error unless both are
        compare       a function(keel_reply, oracle_reply) -> None or a message saying what differs
        expect        raw bytes the oracle's reply must equal: documents the Redis behaviour the
                      step is about, so the script cannot silently test something else
  Raw(data, replies=1, closes=False, expect=, unordered=, close_timeout=5.0)
      bytes sent verbatim (inline commands, pipelines, malformed protocol); reads `replies`
      replies, and with closes=True requires the server to close the connection afterwards
      (both sides then reconnect for the remaining steps)
  ScanAll(command="SCAN", key=None, match=None, count=None, type=None, expect=None)
      a full cursor iteration; the union of returned elements is compared as a set, never the
      pages, because page boundaries legitimately differ between implementations

Before each script both servers get FLUSHALL and a fresh connection (db 0, RESP2; RESP3 with
hello3=True). After it, both must still answer PING.
"""

import collections
import socket

from helpers import ping_once
from diff.resp import ConnectionClosed, RespConnection, RespProtocolError


class C:
    def __init__(self, *args, unordered=False, pairs=False, skip_compare=False, compare=None,
                 expect=None):
        self.args = args
        self.unordered = unordered
        self.pairs = pairs
        self.skip_compare = skip_compare
        self.compare = compare
        self.expect = expect

    def describe(self):
        return " ".join(_show_arg(a) for a in self.args)


class Raw:
    def __init__(self, data, replies=1, closes=False, expect=None, unordered=False,
                 close_timeout=5.0):
        self.data = data
        self.close_timeout = close_timeout
        self.replies = replies
        self.closes = closes
        self.expect = expect
        self.unordered = unordered

    def describe(self):
        return "raw " + _show(self.data, 80)


class ScanAll:
    def __init__(self, command="SCAN", key=None, match=None, count=None, type=None, expect=None):
        self.command = command
        self.key = key
        self.match = match
        self.count = count
        self.type = type
        self.expect = expect    # optional set of elements the oracle must return

    def page_args(self, cursor):
        args = [self.command]
        if self.key is not None:
            args.append(self.key)
        args.append(cursor)
        if self.match is not None:
            args += ["MATCH", self.match]
        if self.count is not None:
            args += ["COUNT", self.count]
        if self.type is not None:
            args += ["TYPE", self.type]
        return args

    def describe(self):
        return "full %s" % " ".join(_show_arg(a) for a in self.page_args("<cursor>"))


def _show_arg(a, limit=40):
    """An argument for messages: quoted if needed, long ones cut (with their length)."""
    if isinstance(a, bytes):
        text = a.decode("utf-8", "backslashreplace")
    else:
        text = str(a)
    if len(text) > limit:
        text = "%s...(%d bytes)" % (text[:limit], len(text))
    if not text or any(ch in text for ch in " \"'\r\n\t"):
        return repr(text)
    return text


def _show(value, limit=1000):
    """repr() of a reply for messages, cut to `limit` characters."""
    text = repr(value)
    if len(text) > limit:
        text = "%s ...(%d more characters)" % (text[:limit], len(text) - limit)
    return text


# ---- comparators -------------------------------------------------------------------------

def same_bytes(a, b):
    return None if a.raw == b.raw else "replies differ"


def unordered_equal(a, b, as_pairs=False):
    """Aggregates equal up to element order (maps and `as_pairs` arrays: as sets of pairs)."""
    if a.raw == b.raw:
        return None
    if a.kind != b.kind or a.header != b.header or a.children is None or b.children is None:
        return "replies differ (type or length)"
    if a.kind in "%|" or as_pairs:
        ka = collections.Counter((k.raw, v.raw) for k, v in a.pairs())
        kb = collections.Counter((k.raw, v.raw) for k, v in b.pairs())
    else:
        ka = collections.Counter(c.raw for c in a.children)
        kb = collections.Counter(c.raw for c in b.children)
    if ka != kb:
        return "elements differ: only keel %s, only redis %s" % (
            _show(sorted((ka - kb).elements())), _show(sorted((kb - ka).elements())))
    return None


def same_type(a, b):
    """For skip_compare: both replied, with the same reply type."""
    if a.kind != b.kind:
        return "reply types differ"
    if a.is_error != b.is_error:
        return "one reply is an error"
    return None


def approx_int(tolerance):
    """Integers equal within `tolerance`; negative values (TTL -1/-2) must match exactly.
    Used for TTL/PTTL, which tick while the script runs."""
    def compare(a, b):
        if a.kind != ":" or b.kind != ":":
            return same_bytes(a, b)
        x, y = int(a.payload), int(b.payload)
        if x < 0 or y < 0:
            return None if x == y else "replies differ"
        if abs(x - y) > tolerance:
            return "integers differ by more than %d" % tolerance
        return None
    return compare


ttl_approx = approx_int(2)          # seconds
pttl_approx = approx_int(2000)      # milliseconds


def hello_shape(a, b):
    """HELLO replies: same field names and same proto/mode/role/modules; server name, version
    and client id may differ."""
    if a.kind != b.kind or a.is_error or b.is_error:
        return same_bytes(a, b)
    fa = dict((k.payload, v.raw) for k, v in a.pairs())
    fb = dict((k.payload, v.raw) for k, v in b.pairs())
    if sorted(fa) != sorted(fb):
        return "HELLO field names differ"
    for field in (b"proto", b"mode", b"role", b"modules"):
        if fa.get(field) != fb.get(field):
            return "HELLO field %s differs" % field.decode()
    return None


# ---- running -----------------------------------------------------------------------------

class Side:
    """One server under comparison with its current connection."""

    def __init__(self, name, server, hello3):
        self.name = name
        self.server = server
        self.hello3 = hello3
        self.conn = None

    def connect(self):
        if self.conn:
            self.conn.close()
        self.conn = RespConnection(self.server.host, self.server.port, timeout=10.0)
        if self.hello3:
            return self.conn.call("HELLO", "3")
        return None

    def close(self):
        if self.conn:
            self.conn.close()
            self.conn = None

    def run(self, step):
        """Replies for a step on this side, as a list. A reply that could not be read ends the
        list with a str saying why (connection closed, timed out, malformed RESP)."""
        replies = []
        try:
            if isinstance(step, Raw):
                self.conn.send_raw(step.data)
                for _ in range(step.replies):
                    replies.append(self.conn.read_reply())
            else:
                replies.append(self.conn.call(*step.args))
        except ConnectionClosed:
            replies.append("connection closed by the server")
        except socket.timeout:
            replies.append("no reply within %gs" % self.conn.timeout)
        except RespProtocolError as e:
            replies.append("malformed reply: %s" % e)
        except OSError as e:
            replies.append("socket error: %s" % e)
        return replies


class DiffFailure(AssertionError):
    pass


def _fail(step_no, step, history, why, keel, oracle, extra=""):
    __tracebackhide__ = True
    lines = ["step %d: %s" % (step_no, step.describe()), "  %s" % why,
             "  keel : " + _show(keel), "  redis: " + _show(oracle)]
    if extra:
        lines.append("  " + extra)
    if history:
        lines.append("  after: " + " | ".join(history[-5:]))
    raise DiffFailure("\n".join(lines))


def flushall(server, password=None):
    with RespConnection(server.host, server.port, timeout=10.0) as c:
        if password is not None:
            c.call("AUTH", password)
        r = c.call("FLUSHALL")
        if r.raw != b"+OK\r\n":
            raise DiffFailure("FLUSHALL on %r failed: %r" % (server, r))


def run_script(keel, oracle, script, hello3=False, password=None):
    """Run `script` against both servers; raise DiffFailure on the first difference.
    `password` is used only for the FLUSHALL that precedes the script; the script's own
    connection starts unauthenticated."""
    __tracebackhide__ = True
    for server in (keel, oracle):
        flushall(server, password)
    sides = [Side("keel", keel, hello3), Side("redis", oracle, hello3)]
    try:
        hk, ho = [s.connect() for s in sides]
        if hello3:
            why = hello_shape(hk, ho)
            if why:
                _fail(0, C("HELLO", "3"), [], why, hk, ho)
        history = []
        for n, step in enumerate(script, 1):
            if isinstance(step, (list, tuple)):
                step = C(*step)
            if isinstance(step, ScanAll):
                _run_scan(sides, n, step, history)
            else:
                _run_step(sides, n, step, history)
            history.append(step.describe())
    finally:
        for s in sides:
            s.close()
    for server in (keel, oracle):
        if not ping_once(server.host, server.port, timeout=5.0):
            raise DiffFailure("%r stopped answering after the script\n%s"
                              % (server, server.diagnostics()))


def _run_step(sides, n, step, history):
    __tracebackhide__ = True
    keel_side, redis_side = sides
    kr = keel_side.run(step)
    rr = redis_side.run(step)
    if rr and isinstance(rr[-1], str):
        raise DiffFailure("step %d: %s: redis-server: %s (script bug?)"
                          % (n, step.describe(), rr[-1]))
    if kr and isinstance(kr[-1], str):
        _fail(n, step, history, "keel: " + kr[-1], kr, rr)
    for i, (k, r) in enumerate(zip(kr, rr)):
        if step.expect is not None:
            expected = step.expect[i] if isinstance(step.expect, list) else step.expect
            if r.raw != expected:
                raise DiffFailure("step %d: %s: redis-server replied %s, the script expects %s "
                                  "(script bug)"
                                  % (n, step.describe(), _show(r.raw), _show(expected)))
        if isinstance(step, Raw):
            why = unordered_equal(k, r) if step.unordered else same_bytes(k, r)
        elif step.compare:
            why = step.compare(k, r)
        elif step.skip_compare:
            why = same_type(k, r)
        elif step.unordered or step.pairs:
            why = unordered_equal(k, r, as_pairs=step.pairs)
        else:
            why = same_bytes(k, r)
        if why:
            _fail(n, step, history, why, k, r)
    if isinstance(step, Raw) and step.closes:
        for side in sides:
            try:
                closed = side.conn.closed_by_peer(timeout=step.close_timeout)
            except RespProtocolError as e:
                closed = "sent more bytes: %s" % e
            if closed is not True:
                if side is redis_side:
                    raise DiffFailure("step %d: redis-server did not close (script bug)" % n)
                _fail(n, step, history, "keel did not close the connection (%s)" % closed, kr, rr)
        for side in sides:
            side.connect()


def _scan_all(side, step, limit=100000):
    """Iterate a cursor to the end on one side; return (set of elements, error Reply or None)."""
    seen = set()
    cursor = b"0"
    for _ in range(limit):
        reply = side.conn.call(*step.page_args(cursor))
        if reply.is_error:
            return None, reply
        if reply.kind != "*" or len(reply.children) != 2 or reply.children[1].children is None:
            raise DiffFailure("%s: %s: malformed page %s"
                              % (side.name, step.describe(), _show(reply)))
        cursor = reply.children[0].payload
        for item in reply.children[1].children:
            seen.add(item.raw)
        if cursor == b"0":
            return seen, None
    raise DiffFailure("%s: %s: cursor did not return to 0 after %d pages"
                      % (side.name, step.describe(), limit))


def _run_scan(sides, n, step, history):
    __tracebackhide__ = True
    (ks, kerr), (rs, rerr) = [_scan_all(s, step) for s in sides]
    if kerr or rerr:
        if not (kerr and rerr and kerr.raw == rerr.raw):
            _fail(n, step, history, "error replies differ", kerr or sorted(ks), rerr or sorted(rs))
        return
    if step.expect is not None:
        want = {b"$%d\r\n%s\r\n" % (len(e), e) for e in (x.encode() if isinstance(x, str) else x
                                                         for x in step.expect)}
        if rs != want:
            raise DiffFailure("step %d: %s: redis-server returned %s, script expects %s"
                              % (n, step.describe(), _show(sorted(rs)), _show(sorted(want))))
    if ks != rs:
        _fail(n, step, history, "scanned sets differ",
              sorted(ks - rs), sorted(rs - ks), "(shown: only-in-keel, only-in-redis)")


# ---------------------------------------------------------------- helpers shared by the scripts


def arity(cmd):
    """Redis's wrong-arity error for a command, as raw reply bytes."""
    return b"-ERR wrong number of arguments for '%s' command\r\n" % cmd.encode()


def unordered(*args):
    """A step whose aggregate reply is compared as a multiset."""
    return C(*args, unordered=True)


def restore_config(servers, settings):
    """Puts config parameters back on shared servers after a script changed them."""
    for server in servers:
        client = server.client()
        try:
            for name, value in settings.items():
                client.config_set(name, value)
        finally:
            client.close()
