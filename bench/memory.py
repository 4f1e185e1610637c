#!/usr/bin/python3
"""Memory per stored item, Keel vs redis-server.

For every dataset and round, each server (Keel, then Redis) is started fresh; INFO memory
used_memory and the process RSS (/proc/<pid>/status VmRSS) are read as the baseline; the dataset
is loaded with redis-cli --pipe (client on CPU 1, server on CPU 0); after a 0.5 s settle both are
read again.  Reported per server: median over the rounds of
    (used_memory after - used_memory baseline) / items       bytes per item
    (VmRSS after - VmRSS baseline) / items                    RSS bytes per item
and the ratio keel/redis of the medians: LOWER IS BETTER.  INFO's used_memory_rss after the load
is also reported (RESULT line).  A dataset the server rejects (error replies, wrong count after
the load, no used_memory in INFO, server died) is reported as "error" for that server; the other
datasets still run.  Exit status 1 if a server failed to start or died, else 0 (rejected datasets
and missed goals are informational).

Datasets (--datasets a,b,... or all; default strings):
    strings   --keys N (default 1,000,000) keys key:%08d, 16-byte values;  item = key.  goal <= 0.6
    hashes    100,000 hashes hash:%08d of 10 fields field:0..9, 16-byte values; item = hash
    bighash   one hash of 1,000,000 fields field:%08d, 16-byte values;    item = field
    set       one set of 1,000,000 members member:%08d;                    item = member
    zset      one zset of 1,000,000 members member:%08d, score = index;    item = member
    list      one list of 1,000,000 16-byte elements;                       item = element
    stream    one stream of 1,000,000 XADDs of 3 small fields (f1 <i> f2 abc f3 <i%100>, explicit
              IDs <i+1>-0);                                                 item = entry.  goal <= 0.8
--scale F multiplies the counts of the non-string datasets (e.g. 0.1 for a quick try).

    /usr/bin/python3 bench/memory.py                         # 1M keys, 3 rounds
    /usr/bin/python3 bench/memory.py --datasets all
    /usr/bin/python3 bench/memory.py --datasets stream
    KEEL_SERVER=/usr/bin/redis-server /usr/bin/python3 bench/memory.py --keys 100000
Environment: KEEL_SERVER (default ./keel-server), REDIS_SERVER, ROUNDS (default 3),
BENCH_RESULTS (file the RESULT lines are also appended to), NO_PIN=1, BENCH_NICE, BENCH_TMPDIR.
"""

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as B  # noqa: E402

VALUE = 16  # bytes per value


class Dataset:
    """name, items, unit, writer(f) producing the RESP, check(conn) -> None or error text."""

    def __init__(self, name, items, unit, writer, check, goal=None):
        self.name, self.items, self.unit = name, items, unit
        self.writer, self.check, self.goal = writer, check, goal


def _expect(conn, cmd, want):
    r = conn.pipeline(cmd)[0]
    if isinstance(r, B.ReplyError):
        return "%s: %s" % (" ".join(map(str, cmd)), r)
    if r != want:
        return "%s returned %r, expected %d" % (" ".join(map(str, cmd)), r, want)
    return None


def _value(i):
    return b"val:%012d" % i


def datasets(keys, scale):
    n1m = max(1, int(1000000 * scale))
    nh = max(1, int(100000 * scale))

    def w_strings(f):
        B.gen_strings(f, 0, keys, VALUE, 8)

    def w_hashes(f):
        fields = []
        for j in range(10):
            fields += [b"field:%d" % j, b"v" * VALUE]
        tail = b"".join(B._bulk(x) for x in fields)
        head = b"*22\r\n$4\r\nHSET\r\n$13\r\n"
        for lo in range(0, nh, 10000):
            f.write(b"".join(head + b"hash:%08d\r\n" % i + tail for i in range(lo, min(nh, lo + 10000))))

    def w_bighash(f):
        B.gen_variadic(f, b"HSET", b"bighash", ((b"field:%08d" % i, _value(i)) for i in range(n1m)))

    def w_set(f):
        B.gen_variadic(f, b"SADD", b"bigset", (b"member:%08d" % i for i in range(n1m)))

    def w_zset(f):
        B.gen_variadic(f, b"ZADD", b"bigzset", ((b"%d" % i, b"member:%08d" % i) for i in range(n1m)))

    def w_list(f):
        B.gen_variadic(f, b"RPUSH", b"biglist", (_value(i) for i in range(n1m)))

    def w_stream(f):
        B.gen_stream(f, b"stream", n1m)

    def c_hashes(c):
        return _expect(c, ("DBSIZE",), nh) or _expect(c, ("HLEN", "hash:%08d" % (nh - 1)), 10)

    return {
        "strings": Dataset("strings", keys, "key", w_strings,
                           lambda c: _expect(c, ("DBSIZE",), keys), goal=0.6),
        "hashes": Dataset("hashes", nh, "hash", w_hashes, c_hashes),
        "bighash": Dataset("bighash", n1m, "field", w_bighash,
                           lambda c: _expect(c, ("HLEN", "bighash"), n1m)),
        "set": Dataset("set", n1m, "member", w_set, lambda c: _expect(c, ("SCARD", "bigset"), n1m)),
        "zset": Dataset("zset", n1m, "member", w_zset, lambda c: _expect(c, ("ZCARD", "bigzset"), n1m)),
        "list": Dataset("list", n1m, "element", w_list, lambda c: _expect(c, ("LLEN", "biglist"), n1m)),
        "stream": Dataset("stream", n1m, "entry", w_stream, lambda c: _expect(c, ("XLEN", "stream"), n1m),
                          goal=0.8),
    }


def measure(name, binary, ds, path, tmp):
    """One fresh-server load.  Returns dict with used/rss per item etc., or {'error': text}."""
    srv = B.Server(name, binary, tmp)
    try:
        srv.start()
    except RuntimeError as e:
        return {"error": "start failed: %s" % str(e).splitlines()[0], "fatal": True}
    try:
        base = srv.info("memory")
        u0 = B.info_int(base, "used_memory")
        r0 = B.proc_status_kb(srv.pid, "VmRSS")
        if u0 is None:
            return {"error": "INFO memory has no used_memory"}
        t0 = time.monotonic()
        ok, msg = B.pipe_file(srv.port, path)
        load_s = time.monotonic() - t0
        if not srv.alive():
            return {"error": "server died during the load", "fatal": True}
        if not ok:
            return {"error": msg}
        time.sleep(0.5)
        c = srv.conn()
        try:
            err = ds.check(c)
            if err:
                return {"error": err}
            after = B.parse_info(c.call("INFO", "memory"))
        finally:
            c.close()
        u1 = B.info_int(after, "used_memory")
        r1 = B.proc_status_kb(srv.pid, "VmRSS")
        if u1 is None:
            return {"error": "INFO memory has no used_memory"}
        return {
            "used": (u1 - u0) / ds.items,
            "rss": (r1 - r0) / ds.items if (r0 is not None and r1 is not None) else None,
            "used_memory": u1, "used_memory_rss": B.info_int(after, "used_memory_rss"),
            "vmrss": r1, "load_s": load_s,
            "allocator": after.get("mem_allocator", "?"),
        }
    except (OSError, ConnectionError, B.ReplyError) as e:
        return {"error": "%s: %s" % (type(e).__name__, e), "fatal": not srv.alive()}
    finally:
        srv.stop()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--keys", type=int, default=1000000, help="keys in the strings dataset (default 1,000,000)")
    ap.add_argument("--datasets", default="strings", help="comma list, or 'all' (default strings)")
    ap.add_argument("--scale", type=float, default=1.0, help="multiplier for the non-string dataset sizes")
    ap.add_argument("--rounds", type=int, default=B.env_int("ROUNDS", 3))
    args = ap.parse_args()
    if args.keys < 1 or args.keys >= 10 ** 8:
        sys.exit("--keys must be in [1, 99999999]")

    all_ds = datasets(args.keys, args.scale)
    names = list(all_ds) if args.datasets == "all" else [s.strip() for s in args.datasets.split(",") if s.strip()]
    return run(all_ds, names, args.rounds)


def run(all_ds, names, rounds):
    """Measures the named datasets of all_ds (name -> Dataset) on both servers, prints the table
    and the RESULT lines; returns the exit status.  bench/memory_items.py runs its own datasets."""
    for n in names:
        if n not in all_ds:
            sys.exit("unknown dataset %r (have: %s)" % (n, ", ".join(all_ds)))

    keel, redis, tmp = B.begin("memory: bytes per item after loading each dataset into a fresh server, %d rounds "
                               "(keel, redis interleaved)" % rounds, "keel-mem.")

    rows = []
    any_fatal = False
    for n in names:
        ds = all_ds[n]
        path = os.path.join(tmp, n + ".resp")
        t = time.monotonic()
        B.write_file(path, ds.writer)
        print("# %s: %d items (%s), %.0f MB of RESP generated in %.1f s" % (
            n, ds.items, ds.unit, os.path.getsize(path) / 1e6, time.monotonic() - t))
        sys.stdout.flush()
        runs = {"keel": [], "redis": []}
        for rnd in range(rounds):
            for name, binary in (("keel", keel), ("redis", redis)):
                if runs[name] and "error" in runs[name][0]:
                    continue  # a server that rejects the dataset will reject it every round
                m = measure(name, binary, ds, path, tmp)
                runs[name].append(m)
                if "error" in m:
                    print("#   round %d %-5s error: %s" % (rnd + 1, name, m["error"][:110]))
                    if m.get("fatal"):
                        any_fatal = True
                else:
                    print("#   round %d %-5s %8.1f B/%s used, %8.1f B/%s rss, load %.1f s" % (
                        rnd + 1, name, m["used"], ds.unit, m["rss"] or 0, ds.unit, m["load_s"]))
                sys.stdout.flush()
        os.unlink(path)
        rows.append((ds, runs))

    def med(runs, key):
        if not runs or any("error" in m for m in runs):
            return None
        vals = [m[key] for m in runs if m.get(key) is not None]
        return B.median(vals) if vals else None

    print()
    print("%-8s %9s %-8s %10s %10s %7s  %-11s %10s %10s %7s" % (
        "dataset", "items", "item", "keel B", "redis B", "ratio", "goal", "keel rssB", "redis rssB", "ratio"))
    results = []
    for ds, runs in rows:
        ku, ru = med(runs["keel"], "used"), med(runs["redis"], "used")
        kr, rr = med(runs["keel"], "rss"), med(runs["redis"], "rss")
        rat, rrat = B.ratio(ku, ru), B.ratio(kr, rr)
        if ds.goal is None:
            goal, status = "-", ""
        else:
            status = "ERROR" if rat is None else ("PASS" if rat <= ds.goal else "MISS")
            goal = "<=%.1f %s" % (ds.goal, status)
        f = lambda v: "error" if v is None else "%.1f" % v
        print("%-8s %9d %-8s %10s %10s %7s  %-11s %10s %10s %7s" % (
            ds.name, ds.items, ds.unit, f(ku), f(ru), B.fmt_ratio(rat), goal, f(kr), f(rr), B.fmt_ratio(rrat)))
        errs = ";".join("%s:%s" % (s, runs[s][0]["error"].replace(" ", "_")[:80])
                        for s in ("keel", "redis") if runs[s] and "error" in runs[s][0])
        extra = "unit=bytes_per_%s items=%d" % (ds.unit, ds.items)
        if ds.goal is not None:
            extra += " goal=%.1f status=%s" % (ds.goal, status)
        for s in ("keel", "redis"):
            v = med(runs[s], "used_memory_rss")
            if v is not None:
                extra += " %s_used_memory_rss=%d" % (s, v)
        if errs:
            extra += " errors=" + errs
        results.append(B.result_line("memory.%s" % ds.name, ku, ru, rat, "lower", extra))
        results.append(B.result_line("memory_rss.%s" % ds.name, kr, rr, rrat, "lower",
                                     "unit=rss_bytes_per_%s items=%d" % (ds.unit, ds.items)))
    alloc = {s: next((m.get("allocator") for ds, runs in rows for m in runs[s] if "allocator" in m), "?")
             for s in ("keel", "redis")}
    print("# B = used_memory growth per item; rssB = VmRSS growth per item; median of the rounds.")
    print("# ratio = keel/redis, LOWER is better.  allocators: keel %s, redis %s" % (alloc["keel"], alloc["redis"]))
    B.emit_results(results)
    if any_fatal:
        print("# a server failed to start or died (see above)")
    return 1 if any_fatal else 0


if __name__ == "__main__":
    sys.exit(main())
