#!/usr/bin/python3
"""Differential fuzzer: random command sequences sent to keel-server and redis-server 7.0.15.

A *case* is a list of commands drawn from the grammar in tests/fuzz/specs.py with a
random.Random seeded by (seed, case number), so every case is reproducible from its two numbers
alone. Commands are drawn independently of replies, which is what lets a failing case be
shrunk: the runner replays subsequences (delta debugging, ddmin) and keeps the smallest that
still diverges, then prints it as a reproducer.

Each case starts from FLUSHALL on fresh connections; a third of the cases run in RESP3. Steps
run in lock step (keel, then redis). A command with a short TTL ({shortpx}) is followed by a
sleep and an uncompared EXISTS of its key, so both servers have deleted it before the next step.
Inside MULTI the queued commands are remembered so that EXEC's reply is compared element by
element with each command's own comparator. Everything not compared byte for byte, and why,
is listed in docs/compatibility.md.

Usage:
    tests/fuzz/diff_fuzz.py [--seconds N] [--cases N] [--seed S] [--length L]
                            [--keel ./keel-server] [--case N] [--no-shrink]
                            [--skip-pending] [--replay FILE]
Exit status 0 when nothing diverged. `make fuzz-diff FUZZ_SECONDS=600` runs it for 10 minutes.
"""

import argparse
import collections
import os
import random
import socket
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)

from diff.resp import ConnectionClosed, RespConnection, RespProtocolError  # noqa: E402
from helpers import ORACLE_SERVER, Server, keel_binary, ping_once  # noqa: E402
import specs  # noqa: E402

SHORT_TTL_SLEEP = 0.01     # seconds after a step that set a 1-2 ms TTL
MAX_SHRINK_RUNS = 400


# ---- comparators: (keel Reply, redis Reply, context) -> None or a reason -----------------

def _same_bytes(k, r, ctx):
    return None if k.raw == r.raw else "replies differ"


def _multiset(reply, pairs):
    if pairs or reply.kind == "%":
        return collections.Counter((a.raw, b.raw) for a, b in reply.pairs())
    return collections.Counter(c.raw for c in reply.children)


def _unordered(pairs):
    def compare(k, r, ctx):
        if k.raw == r.raw:
            return None
        if (k.kind, k.header) != (r.kind, r.header) or k.children is None or r.children is None:
            return "replies differ (type or length)"
        return None if _multiset(k, pairs) == _multiset(r, pairs) else "elements differ"
    return compare


def _approx(tolerance):
    """TTL-like integers tick between the two servers: equal within `tolerance`, and negative
    sentinels (-1 no TTL, -2 no key) exactly."""
    def compare(k, r, ctx):
        if k.kind != ":" or r.kind != ":":
            return _same_bytes(k, r, ctx)
        x, y = int(k.payload), int(r.payload)
        if (x < 0 or y < 0) and x != y:
            return "replies differ"
        return None if abs(x - y) <= tolerance else "differ by more than %d" % tolerance
    return compare


def _random_pick(k, r, ctx):
    """Random picks: same reply type, same element count (for a count form), and every element
    a member of the source collection on keel (checked against redis's view of the key, which
    is equal as long as the run has not diverged)."""
    if k.is_error or r.is_error:
        return _same_bytes(k, r, ctx)
    if k.kind != r.kind or k.is_null != r.is_null:
        return "reply types differ"
    if k.is_null:
        return None
    if k.children is not None or r.children is not None:
        if k.children is None or r.children is None or len(k.children) != len(r.children):
            return "different element counts"
        return _members_check(k, ctx)
    if k.payload is not None:
        return _members_check(k, ctx, single=True)
    return None


def _members_check(reply, ctx, single=False):
    universe = ctx.universe()
    if universe is None:
        return None
    items = [reply] if single else reply.children
    # WITHVALUES / WITHSCORES replies interleave values: check only names at even positions.
    args = [a.upper() for a in ctx.args]
    if (b"WITHVALUES" in args or b"WITHSCORES" in args) and reply.kind == "*":
        if items and items[0].kind == "*":   # RESP3 nests the pairs
            items = [p.children[0] for p in items]
        else:
            items = items[0::2]
    for item in items:
        if item.payload not in universe:
            return "picked %r, which is not in the collection" % (item.payload,)
    # Positive counts never repeat an element.
    count = _count_arg(ctx.args)
    if count is not None and count > 0 and len(set(i.payload for i in items)) != len(items):
        return "repeated elements for a positive count"
    return None


def _count_arg(args):
    if len(args) < 3:
        return None
    try:
        return int(args[2])
    except ValueError:
        return None


def _sort(k, r, ctx):
    """SORT orders are compared byte for byte except where Redis leaves them undefined, which
    are compared as multisets: BY nosort (a set's iteration order depends on its encoding and
    hashing; the fuzzer cannot tell a set from a list here) and ALPHA with a BY pattern (Redis
    breaks no ties between equal or missing BY values, so their order is whatever its unstable
    quicksort produces); with LIMIT only the count is defined."""
    args = [a.lower() for a in ctx.args]
    by = [args[i + 1] for i in range(2, len(args) - 1) if args[i] == b"by"]
    if not by and b"alpha" not in args and _stale_errno_sort_error(k, r):
        return None
    undefined = any(b"*" not in p for p in by) or (by and b"alpha" in args)
    if undefined and b"limit" in args:
        return _same_count(k, r, ctx)   # which elements fall inside the LIMIT is undefined too
    return (_unordered(False) if undefined else _same_bytes)(k, r, ctx)


SORT_SCORE_ERROR = b"-ERR One or more scores can't be converted into double\r\n"


def _stale_errno_sort_error(k, r):
    """redis-server's numeric SORT tests errno == ERANGE after strtod without clearing errno
    first, so an earlier underflow on the same connection (ZINCRBY k 5e-324 m) can make a later
    SORT of plain numbers fail. Accepted when Keel sorted elements that all parse as doubles."""
    if r.raw != SORT_SCORE_ERROR or k.kind != "*" or k.children is None:
        return False
    for c in k.children:
        try:
            value = float(c.payload)
        except (TypeError, ValueError):
            return False
        if value != value or c.payload != c.payload.strip():
            return False
        if value in (float("inf"), float("-inf")) and \
                c.payload.lower().lstrip(b"+-") not in (b"inf", b"infinity"):
            return False   # overflow: a real ERANGE
    return True


def _same_kind(k, r, ctx):
    if k.is_error or r.is_error:
        return _same_bytes(k, r, ctx)
    return None if k.kind == r.kind else "reply types differ"


def _same_count(k, r, ctx):
    if k.is_error or r.is_error or k.children is None or r.children is None:
        return _same_bytes(k, r, ctx)
    return None if (k.kind, len(k.children)) == (r.kind, len(r.children)) else "counts differ"


COMPARATORS = {
    "scan": _same_bytes,     # a SCAN sent once (inside MULTI, where it is refused or queued)
    "dbsize": _same_bytes,   # then recounted after a full SCAN if different (run_step)
    "sort": _sort,
    "bytes": _same_bytes,
    "set": _unordered(False),
    "pairs": _unordered(True),
    "ttl": _approx(2),
    "pttl": _approx(2000),
    "random": _random_pick,
    "spop": _random_pick,
}


# ---- one side of the comparison ----------------------------------------------------------

class Side:
    def __init__(self, name, server):
        self.name = name
        self.server = server
        self.conn = None

    def connect(self, resp3):
        self.close()
        self.conn = RespConnection(self.server.host, self.server.port, timeout=10.0)
        if self.conn.call("FLUSHALL").raw != b"+OK\r\n":
            raise RuntimeError("FLUSHALL failed on %s" % self.name)
        if self.conn.call("FUNCTION", "FLUSH").raw != b"+OK\r\n":   # FLUSHALL keeps them
            raise RuntimeError("FUNCTION FLUSH failed on %s" % self.name)
        if resp3:
            self.conn.call("HELLO", "3")

    def close(self):
        if self.conn:
            self.conn.close()
            self.conn = None

    def finish(self):
        """Closes, leaving no scripts or functions behind (FLUSHALL keeps them, and
        later suites sharing the server may count them)."""
        if self.conn:
            self.call([b"DISCARD"])   # an error unless a case ended inside MULTI
            self.call([b"SCRIPT", b"FLUSH"])
            self.call([b"FUNCTION", b"FLUSH"])
        self.close()

    def call(self, args):
        """The reply, or a str saying why there is none."""
        try:
            return self.conn.call(*args)
        except ConnectionClosed:
            return "connection closed by the server"
        except socket.timeout:
            return "no reply within 10s"
        except RespProtocolError as e:
            return "malformed reply: %s" % e
        except OSError as e:
            return "socket error: %s" % e

    def scan_all(self, args):
        """Iterates a SCAN-family cursor to the end: a set of raw elements, or an error Reply,
        or a str for a failure."""
        seen, cursor = set(), b"0"
        pos = 1 if args[0].upper() == b"SCAN" else 2   # index of the cursor argument
        if len(args) <= pos:
            return self.call(args)   # arity error
        for _ in range(10000):
            page = list(args)
            page[pos] = cursor
            reply = self.call(page)
            if isinstance(reply, str) or reply.kind != "*":
                return reply   # an error, or +QUEUED inside MULTI: compared as bytes
            if reply.children is None or len(reply.children) != 2:
                return "malformed SCAN page %r" % reply.raw[:200]
            cursor = reply.children[0].payload
            for item in reply.children[1].children or []:
                seen.add(item.raw)
            if cursor == b"0":
                return seen
        return "cursor did not return to 0"


class Context:
    """What a comparator may need beyond the two replies."""

    def __init__(self, args, oracle):
        self.args = args
        self.oracle = oracle

    def universe(self):
        """The members (or fields, or keys) the random command picks from, as redis sees them
        (None: not checked)."""
        if self.oracle is None:
            return None
        name = self.args[0].upper()
        if name == b"RANDOMKEY":
            reply = self.oracle.call([b"KEYS", b"*"])
        elif name in (b"SRANDMEMBER", b"SPOP"):
            return None   # redis has already changed (SPOP) or picks are from SMEMBERS below
        elif name == b"HRANDFIELD":
            reply = self.oracle.call([b"HKEYS", self.args[1]])
        elif name == b"ZRANDMEMBER":
            reply = self.oracle.call([b"ZRANGE", self.args[1], b"0", b"-1"])
        else:
            return None
        if isinstance(reply, str) or reply.is_error or reply.children is None:
            return None
        return {c.payload for c in reply.children}


# ---- running a case ----------------------------------------------------------------------

Step = collections.namedtuple("Step", "args mode short_ttl")


def make_case(grammar, seed, case_no, length):
    rng = random.Random("%d/%d" % (seed, case_no))
    resp3 = rng.random() < 0.33
    steps = [Step(*grammar.draw(rng)) for _ in range(length)]
    return resp3, steps


class Divergence:
    def __init__(self, index, step, why, keel, redis):
        self.index, self.step, self.why, self.keel, self.redis = index, step, why, keel, redis


def run_case(sides, resp3, steps):
    """Runs the steps on both servers; the first Divergence, or None."""
    keel, oracle = sides
    for side in sides:
        side.connect(resp3)
    txn = Transaction()
    unsettled = []   # short-TTL steps queued in a transaction: settled once it has run
    for i, step in enumerate(steps):
        why, kr, rr = run_step(keel, oracle, step, txn)
        if why:
            return Divergence(i, step, why, kr, rr)
        if step.short_ttl:
            unsettled.append(step)
        if unsettled and not txn.open:
            for queued in unsettled:
                settle_short_ttl(sides, queued)
            unsettled = []
    return None


def settle_short_ttl(sides, step):
    """After a 1-2 ms TTL: wait until it has run out, then make both servers notice (EXISTS
    deletes an expired key), so that DBSIZE does not depend on when each server's active
    expiry cycle happens to run. Not compared."""
    time.sleep(SHORT_TTL_SLEEP)
    if len(step.args) > 1:
        for side in sides:
            side.call([b"EXISTS", step.args[1]])


def has_short_ttl(args):
    """Whether a replayed command sets a 1-2 ms TTL (SET ... PX n, PEXPIRE key n)."""
    upper = [a.upper() for a in args]
    short = (b"1", b"2")
    return ((upper[0] == b"PEXPIRE" and len(args) > 2 and args[2] in short)
            or (upper[0] == b"SET" and len(args) > 4 and upper[-2] == b"PX" and args[-1] in short))


class Transaction:
    """The connection's MULTI state as redis reports it, and the steps it queued."""

    def __init__(self):
        self.open = False
        self.queued = []


def run_step(keel, oracle, step, txn):
    if step.mode == "scan" and not txn.open:
        return run_scan(keel, oracle, step)
    kr = keel.call(step.args)
    rr = oracle.call(step.args)
    if isinstance(rr, str):
        raise RuntimeError("redis-server failed on %r: %s" % (step.args, rr))
    if isinstance(kr, str):
        return "keel: " + kr, kr, rr
    if keel.conn.pos < len(keel.conn.buf):
        return "keel sent bytes after its reply: %r" % bytes(keel.conn.buf[keel.conn.pos:])[:200], kr, rr
    name = step.args[0].upper()
    if rr.raw == b"+QUEUED\r\n":
        txn.queued.append(step)
        return _same_bytes(kr, rr, None), kr, rr
    if name == b"MULTI" and rr.raw == b"+OK\r\n":
        txn.open, txn.queued = True, []
    elif name in (b"EXEC", b"DISCARD") and txn.open:
        ran, txn.open, txn.queued = txn.queued, False, []
        if name == b"EXEC":
            return compare_exec(keel, oracle, ran, kr, rr), kr, rr
    why = COMPARATORS[step.mode](kr, rr, Context(step.args, oracle))
    if why and step.mode == "dbsize":
        kr, rr = recount(keel), recount(oracle)
        why = _same_bytes(kr, rr, None)
    if step.mode == "spop" and not why:
        resync_spop(keel, oracle, step)
    return why, kr, rr


def run_scan(keel, oracle, step):
    kr, rr = keel.scan_all(step.args), oracle.scan_all(step.args)
    if isinstance(rr, str):
        raise RuntimeError("redis-server failed on %r: %s" % (step.args, rr))
    if isinstance(kr, str):
        return "keel: " + kr, kr, rr
    if isinstance(kr, set) and isinstance(rr, set):
        return (None if kr == rr else "scanned elements differ"), kr, rr
    if isinstance(kr, set) or isinstance(rr, set) or kr.raw != rr.raw:
        return "scan replies differ", kr, rr
    return None, kr, rr


def recount(side):
    """DBSIZE counts keys that expired but were not reclaimed yet (a SET with a PXAT in the
    past, for one), and when each server's active expiry gets to them is timing. A full SCAN
    reclaims every expired key it meets; DBSIZE after it is comparable."""
    side.scan_all([b"SCAN", b"0", b"COUNT", b"1000"])
    return side.call([b"DBSIZE"])


def resync_spop(keel, oracle, step):
    """SPOP removed different random members on each side: delete the key on both."""
    if len(step.args) > 1:
        for side in (keel, oracle):
            side.call([b"DEL", step.args[1]])


def compare_exec(keel, oracle, ran, kr, rr):
    """EXEC's reply element by element, each with the comparator of the command queued there
    (random picks, unordered replies). Membership checks against the oracle are skipped: the
    keyspace has moved on since the pick."""
    if kr.raw == rr.raw:
        return None
    if (kr.kind, kr.header) != (rr.kind, rr.header) or rr.children is None \
            or len(rr.children) != len(ran):
        return "EXEC replies differ"
    for step, k, r in zip(ran, kr.children, rr.children):
        # A SCAN page, or a DBSIZE that cannot be recounted inside the transaction: the type.
        compare = _same_kind if step.mode in ("scan", "dbsize") else COMPARATORS[step.mode]
        why = compare(k, r, Context(step.args, None))
        if why:
            return "in EXEC, %s: %s" % (b" ".join(step.args[:3]).decode(errors="replace"), why)
        if step.mode == "spop":
            resync_spop(keel, oracle, step)
    return None


def shrink(sides, resp3, steps, budget=MAX_SHRINK_RUNS):
    """ddmin over the steps: the smallest subsequence (found within `budget` runs) that still
    diverges. The case is first cut right after its first divergence."""
    first = run_case(sides, resp3, steps)
    if first is None:
        return steps, None
    steps = steps[:first.index + 1]
    runs = [1]

    def fails(candidate):
        if runs[0] >= budget:
            return None
        runs[0] += 1
        return run_case(sides, resp3, candidate)

    n = 2
    while len(steps) >= 2:
        chunk = max(1, len(steps) // n)
        reduced = False
        for start in range(0, len(steps), chunk):
            candidate = steps[:start] + steps[start + chunk:]
            if candidate and fails(candidate):
                steps, n, reduced = candidate, max(n - 1, 2), True
                break
        if not reduced:
            if chunk == 1 or runs[0] >= budget:
                break
            n = min(len(steps), n * 2)
    return steps, run_case(sides, resp3, steps)


def show_arg(a):
    """One argument as reproducer text: bare if plain printable, else double-quoted with \\xHH
    escapes (spaces included, so a reproducer line splits on spaces). parse_arg inverts it."""
    if a and all(32 < c < 127 and c not in b'"\\' for c in a):
        return a.decode()
    return '"%s"' % "".join(chr(c) if 32 < c < 127 and c not in b'"\\' else "\\x%02x" % c
                            for c in a)


def parse_arg(text):
    return _unescape(text[1:-1]) if text.startswith('"') else text.encode()


def _unescape(body):
    out, i = bytearray(), 0
    while i < len(body):
        if body.startswith("\\x", i):
            out.append(int(body[i + 2:i + 4], 16))
            i += 4
        else:
            out += body[i].encode()
            i += 1
    return bytes(out)


def parse_reproducer(text):
    """(resp3, [args]) from reproducer text: one command per line, "HELLO 3" first for RESP3;
    lines starting with '#' or '->' and blank lines are ignored."""
    resp3, commands = False, []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith(("#", "->", "keel", "redis", "DIVERGENCE")):
            continue
        args = [parse_arg(t) for t in line.split(" ")]
        if [a.upper() for a in args] == [b"HELLO", b"3"] and not commands:
            resp3 = True
        else:
            commands.append(args)
    return resp3, commands


def describe(seed, case_no, resp3, steps, div):
    lines = ["DIVERGENCE seed=%d case=%d%s (reproducer, %d commands):"
             % (seed, case_no, " RESP3" if resp3 else "", len(steps))]
    if resp3:
        lines.append("  HELLO 3")
    for step in steps:
        lines.append("  " + " ".join(show_arg(a) for a in step.args))
    if div is not None:
        lines.append("  -> %s" % div.why)
        lines.append("  keel : %s" % _short(div.keel))
        lines.append("  redis: %s" % _short(div.redis))
    return "\n".join(lines)


def _short(value, limit=600):
    text = repr(value.raw if hasattr(value, "raw") else value)
    return text if len(text) <= limit else text[:limit] + "..."


# ---- driver ------------------------------------------------------------------------------

def implemented_commands(server):
    with RespConnection(server.host, server.port) as c:
        reply = c.call("COMMAND", "LIST")
    return {x.payload.decode().lower() for x in reply.children}


def fuzz(keel_server, oracle_server, seed=1, cases=None, seconds=None, length=60, only_case=None,
         do_shrink=True, out=sys.stdout, max_failures=5, skip_pending=False):
    """Runs cases until `cases` or `seconds` is reached. Returns (cases run, commands sent,
    list of reproducer texts)."""
    grammar = specs.Grammar(implemented_commands(keel_server), skip_pending)
    sides = [Side("keel", keel_server), Side("redis", oracle_server)]
    deadline = time.monotonic() + seconds if seconds else None
    failures, ran, sent = [], 0, 0
    case_no = only_case if only_case is not None else 0
    try:
        while True:
            if cases is not None and ran >= cases:
                break
            if deadline is not None and time.monotonic() >= deadline:
                break
            resp3, steps = make_case(grammar, seed, case_no, length)
            div = run_case(sides, resp3, steps)
            ran += 1
            sent += len(steps) if div is None else div.index + 1
            if div is not None:
                if not ping_once(keel_server.host, keel_server.port, timeout=5.0):
                    text = describe(seed, case_no, resp3, steps[:div.index + 1], div)
                    failures.append(text + "\n  keel-server is DOWN")
                    print(failures[-1], file=out)
                    break
                small, sdiv = shrink(sides, resp3, steps) if do_shrink else (steps, div)
                if sdiv is None:
                    # Gone when re-run: show the case as it failed, up to the failing step.
                    failures.append(describe(seed, case_no, resp3, steps[:div.index + 1], div)
                                    + "\n  (did not diverge again when re-run: timing-dependent)")
                else:
                    failures.append(describe(seed, case_no, resp3, small, sdiv))
                print(failures[-1], file=out, flush=True)
                if len(failures) >= max_failures:
                    break
            if only_case is not None:
                break
            case_no += 1
    finally:
        for side in sides:
            side.finish()
    return ran, sent, failures


def replay(keel_server, oracle_server, text):
    """Runs a reproducer (parse_reproducer's format) once; the Divergence or None."""
    resp3, commands = parse_reproducer(text)
    steps = [Step(args, specs.mode_for(args), has_short_ttl(args)) for args in commands]
    sides = [Side("keel", keel_server), Side("redis", oracle_server)]
    try:
        return run_case(sides, resp3, steps)
    finally:
        for side in sides:
            side.finish()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--keel", default=keel_binary())
    ap.add_argument("--seed", type=int, default=int(time.time()))
    ap.add_argument("--seconds", type=float)
    ap.add_argument("--cases", type=int)
    ap.add_argument("--case", type=int, help="run only this case number of the seed")
    ap.add_argument("--length", type=int, default=60)
    ap.add_argument("--no-shrink", action="store_true")
    ap.add_argument("--max-failures", type=int, default=20)
    ap.add_argument("--replay", metavar="FILE", help="run one reproducer file and exit")
    ap.add_argument("--skip-pending", action="store_true",
                    help="leave out the commands in specs.PENDING (known divergences)")
    opts = ap.parse_args()
    if opts.seconds is None and opts.cases is None:
        opts.seconds = 60
    keel = Server(opts.keel, name="keel-fuzz").start()
    oracle = Server(ORACLE_SERVER, name="redis-fuzz").start()
    try:
        if opts.replay:
            with open(opts.replay) as f:
                div = replay(keel, oracle, f.read())
            print("no divergence" if div is None else "%s\n  keel : %s\n  redis: %s"
                  % (div.why, _short(div.keel), _short(div.redis)))
            return 1 if div else 0
        grammar = specs.Grammar(implemented_commands(keel))
        missing = sorted(implemented_commands(keel) - specs.all_spec_commands())
        print("seed %d: %d commands fuzzed; implemented but not in the grammar: %s"
              % (opts.seed, len(grammar.commands()), " ".join(missing)), flush=True)
        start = time.monotonic()
        ran, sent, failures = fuzz(keel, oracle, opts.seed, opts.cases, opts.seconds,
                                   opts.length, opts.case, not opts.no_shrink,
                                   max_failures=opts.max_failures,
                                   skip_pending=opts.skip_pending)
        print("%d cases, %d commands in %.0fs, %d divergences"
              % (ran, sent, time.monotonic() - start, len(failures)))
    finally:
        for s in (keel, oracle):
            s.stop(check=False)
        report = keel.sanitizer_report()
        for s in (keel, oracle):
            s.cleanup()
    if report:
        print(report[-5000:])
    return 1 if failures or report else 0


if __name__ == "__main__":
    sys.exit(main())
