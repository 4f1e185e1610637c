#!/usr/bin/python3
"""Active defragmentation workload (issue #19), Keel and redis-server side by side.

Per round, each server (Keel, then Redis) is started fresh and gets the same workload through
redis-cli --pipe: fill --mb megabytes of mixed types (raw strings of 100-400 bytes, hashes of
10 fields, lists of 20 elements, sets of 10 members, sorted sets of 10 members), delete a random
70% of the keys, write 20% more keys. Then `CONFIG SET activedefrag yes` (with
active-defrag-ignore-bytes 10mb so that the scaled run qualifies; Debian's redis-server refuses
activedefrag: it is measured without it, as the baseline a server that cannot defragment gives),
and for --secs seconds INFO is sampled every 0.5 s while a PING probe (bench/ping_probe.c, a PING
every 100 us on its own connection) measures the event loop's latency.

Reported per server (median over the rounds): allocator_frag_ratio at the peak (after the
writes), at the end, the seconds until it is <= 1.10 (goal: within 60 s), active_defrag_hits,
and the PING round trip p99.9 and max during the window and p99.9 while Keel's walk ran
(active_defrag_running > 0; goal: p99.9 < 2 ms). The idle PING floor of the machine bounds what
these can show: compare with redis-server's, which does no defragmenting. A timeline of
allocator_frag_ratio is printed for the first round.

    /usr/bin/python3 bench/defrag.py                    # 200 MB, 60 s, 1 round
    /usr/bin/python3 bench/defrag.py --mb 1000          # the issue's 1 GB
    /usr/bin/python3 bench/defrag.py --mix big          # big values instead (below)

--mix big: the fragmentation is inside big values, which the walk must enter: sorted sets of
500 members (skiplist encoding) and streams of 500 entries with a consumer group whose 5
consumers have read every entry (500 pending entries); the delete step removes a random 70%
of each set's members (ZREM) and of each stream's entries (XACK + XDEL), the write step adds
20% more members and entries (read by the group too).
Environment: KEEL_SERVER, REDIS_SERVER, ROUNDS (default 1), BENCH_RESULTS, NO_PIN=1, BENCH_NICE,
BENCH_TMPDIR (as the other scripts; see bench/README.md).
"""

import argparse
import os
import random
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as B  # noqa: E402

BYTES_PER_KEY = 330   # rough mean of the mixed keys below in either server, to size the fill


def _key_cmd(i, rnd):
    kind = i % 5
    k = b"%d:%09d" % (kind, i)
    if kind == 0:
        return B.Conn.encode(b"SET", k, b"s" * rnd.randrange(100, 400))
    if kind == 1:
        return B.Conn.encode(b"HSET", k, *[x for j in range(10) for x in (b"f%d" % j, b"v" * 12)])
    if kind == 2:
        return B.Conn.encode(b"RPUSH", k, *[b"e" * 10] * 20)
    if kind == 3:
        return B.Conn.encode(b"SADD", k, *[b"member:%d" % j for j in range(10)])
    return B.Conn.encode(b"ZADD", k, *[x for j in range(10) for x in (b"%d" % j, b"m%d" % j)])


BYTES_PER_BIG = 55000   # a big sorted set or stream below, roughly
BIG_N = 500


def _big_cmds(i, rnd, lo, hi):
    """Members/entries lo..hi of big value i (a sorted set for even i, else a stream)."""
    if i % 2 == 0:
        k = b"z:%06d" % i
        return [B.Conn.encode(b"ZADD", k, *[x for j in range(a, min(hi, a + 100))
                                            for x in (b"%d" % rnd.randrange(1 << 30), b"member:%06d" % j)])
                for a in range(lo, hi, 100)]
    k = b"x:%06d" % i
    out = [B.Conn.encode(b"XADD", k, b"%d-1" % (j + 1), b"field", b"v" * 40) for j in range(lo, hi)]
    if lo == 0:
        out.append(B.Conn.encode(b"XGROUP", b"CREATE", k, b"g", b"0"))
    for c in range(5):
        out.append(B.Conn.encode(b"XREADGROUP", b"GROUP", b"g", b"c%d" % c, b"COUNT", b"%d" % ((hi - lo) // 5 + 1),
                                 b"STREAMS", k, b">"))
    return out


def write_big_workload(tmp, n, seed):
    """As write_workload, over n big values whose members/entries are deleted and added."""
    rnd = random.Random(seed)
    paths = [os.path.join(tmp, name) for name in ("fill.resp", "delete.resp", "more.resp")]
    more = BIG_N // 5
    with open(paths[0], "wb") as f:
        for i in range(n):
            f.write(b"".join(_big_cmds(i, rnd, 0, BIG_N)))
    with open(paths[1], "wb") as f:
        for i in range(n):
            doomed = rnd.sample(range(BIG_N), BIG_N * 7 // 10)
            if i % 2 == 0:
                f.write(B.Conn.encode(b"ZREM", b"z:%06d" % i, *[b"member:%06d" % j for j in doomed]))
            else:
                ids = [b"%d-1" % (j + 1) for j in doomed]
                f.write(B.Conn.encode(b"XACK", b"x:%06d" % i, b"g", *ids))
                f.write(B.Conn.encode(b"XDEL", b"x:%06d" % i, *ids))
    with open(paths[2], "wb") as f:
        for i in range(n):
            f.write(b"".join(_big_cmds(i, rnd, BIG_N, BIG_N + more)))
    return paths


def write_workload(tmp, n, seed):
    """Three RESP files: fill (n keys), delete (a random 70% of them), more (0.2 n new keys)."""
    rnd = random.Random(seed)
    paths = [os.path.join(tmp, name) for name in ("fill.resp", "delete.resp", "more.resp")]
    with open(paths[0], "wb") as f:
        for lo in range(0, n, 10000):
            f.write(b"".join(_key_cmd(i, rnd) for i in range(lo, min(n, lo + 10000))))
    doomed = rnd.sample(range(n), int(n * 0.7))
    with open(paths[1], "wb") as f:
        for lo in range(0, len(doomed), 100):
            f.write(B.Conn.encode(b"DEL", *[b"%d:%09d" % (i % 5, i) for i in doomed[lo:lo + 100]]))
    with open(paths[2], "wb") as f:
        for lo in range(n, n + n // 5, 10000):
            f.write(b"".join(_key_cmd(i, rnd) for i in range(lo, min(n + n // 5, lo + 10000))))
    return paths


def _frag(info):
    try:
        return float(info.get("allocator_frag_ratio", "nan"))
    except ValueError:
        return float("nan")


def measure(name, binary, paths, secs, probe_bin, tmp):
    srv = B.Server(name, binary, tmp)
    srv.start()
    try:
        for p in paths:
            ok, msg = B.pipe_file(srv.port, p)
            if not ok:
                return {"error": msg}
        c = srv.conn()
        peak = _frag(B.parse_info(c.call("INFO", "memory")))
        c.call("CONFIG", "SET", "active-defrag-ignore-bytes", "10mb")
        try:
            c.call("CONFIG", "SET", "activedefrag", "yes")
            defrag = "on"
        except B.ReplyError:
            defrag = "refused"
        probe = B.PingProbe(probe_bin, srv.port, os.path.join(tmp, "%s.ping" % name)).start()
        t0 = time.monotonic()
        t0ns = time.monotonic_ns()
        timeline, reached = [], None
        while time.monotonic() - t0 < secs:
            info = B.parse_info(c.call("INFO", "memory"))
            f, t = _frag(info), time.monotonic() - t0
            timeline.append((t, f, int(info.get("active_defrag_running", 0))))
            if reached is None and f <= 1.10:
                reached = t
            time.sleep(0.5)
        t1ns = time.monotonic_ns()
        samples = probe.stop()
        rtts = B.rtts_between(samples, t0ns, t1ns)
        # The window in which the walk ran (Keel): from before the first sample showing it
        # running to the first sample after the last one.
        active = [i for i, (_, _, run) in enumerate(timeline) if run]
        busy = None
        if active:
            a = timeline[active[0] - 1][0] if active[0] else 0.0
            b = timeline[min(active[-1] + 1, len(timeline) - 1)][0]
            busy = B.rtts_between(samples, t0ns + int(a * 1e9), t0ns + int(b * 1e9))
        stats = B.parse_info(c.call("INFO", "stats"))
        end = _frag(B.parse_info(c.call("INFO", "memory")))
        c.close()
        return {"peak": peak, "end": end, "reached": reached, "timeline": timeline, "defrag": defrag,
                "hits": int(stats.get("active_defrag_hits", 0)),
                "p999_ms": B.percentile(rtts, 99.9) / 1e6 if rtts else None,
                "busy_p999_ms": B.percentile(busy, 99.9) / 1e6 if busy else None,
                "max_ms": rtts[-1] / 1e6 if rtts else None, "pings": len(rtts)}
    finally:
        srv.stop()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mb", type=int, default=200, help="megabytes to fill (default 200)")
    ap.add_argument("--secs", type=int, default=60, help="seconds observed after the writes (default 60)")
    ap.add_argument("--rounds", type=int, default=B.env_int("ROUNDS", 1))
    ap.add_argument("--mix", choices=("small", "big"), default="small",
                    help="small: many small keys of every type (default); big: big sorted sets and streams")
    args = ap.parse_args()
    keel, redis, tmp = B.begin("defrag: fill %d MB of %s, delete 70%%, write 20%% more, then %d s with "
                               "activedefrag yes; %d round(s), keel and redis interleaved"
                               % (args.mb, "mixed types" if args.mix == "small" else
                                  "big sorted sets and streams (70%% of their members deleted)",
                                  args.secs, args.rounds), "keel-defrag.")
    t = time.monotonic()
    if args.mix == "small":
        n = args.mb * 1000000 // BYTES_PER_KEY
        paths = write_workload(tmp, n, 19)
    else:
        n = args.mb * 1000000 // BYTES_PER_BIG
        paths = write_big_workload(tmp, n, 19)
    print("# %d keys, %.0f MB of RESP generated in %.1f s" % (
        n, sum(os.path.getsize(p) for p in paths) / 1e6, time.monotonic() - t))
    probe_bin = B.compile_probe(tmp)
    runs = {"keel": [], "redis": []}
    for rnd in range(args.rounds):
        for name, binary in (("keel", keel), ("redis", redis)):
            m = measure(name, binary, paths, args.secs, probe_bin, tmp)
            runs[name].append(m)
            if "error" in m:
                print("#   round %d %-5s error: %s" % (rnd + 1, name, m["error"][:110]))
                continue
            print("#   round %d %-5s activedefrag %-7s frag %.2f -> %.2f, <= 1.10 after %s, hits %d, "
                  "PING p99.9 %.2f ms (while defragmenting: %s) max %.2f ms (%d pings)" % (
                      rnd + 1, name, m["defrag"], m["peak"], m["end"],
                      "%.1f s" % m["reached"] if m["reached"] is not None else "never", m["hits"],
                      m["p999_ms"] or 0, "%.2f ms" % m["busy_p999_ms"] if m["busy_p999_ms"] else "-",
                      m["max_ms"] or 0, m["pings"]))
            sys.stdout.flush()

    ok = {s: [m for m in runs[s] if "error" not in m] for s in runs}
    if ok["keel"] and ok["redis"]:
        print("\n# allocator_frag_ratio over time, round 1 (running = Keel's active_defrag_running)")
        print("%6s %8s %8s %8s" % ("t s", "keel", "running", "redis"))
        for (t, kf, run), (_, rf, _) in zip(ok["keel"][0]["timeline"], ok["redis"][0]["timeline"]):
            print("%6.1f %8.2f %8d %8.2f" % (t, kf, run, rf))

    def med(s, key):
        vals = [m[key] for m in ok[s] if m.get(key) is not None]
        return B.median(vals) if vals else None

    print()
    print("%-26s %10s %10s %7s" % ("", "keel", "redis", "ratio"))
    results = []
    for key, label, better in (("peak", "frag ratio at peak", "lower"), ("end", "frag ratio at the end", "lower"),
                               ("reached", "s until frag <= 1.10", "lower"), ("p999_ms", "PING p99.9 ms", "lower"),
                               ("busy_p999_ms", "p99.9 while defragmenting", "lower"),
                               ("max_ms", "PING max ms", "lower")):
        k, r = med("keel", key), med("redis", key)
        rat = B.ratio(k, r)
        f = lambda v: "-" if v is None else "%.2f" % v
        print("%-26s %10s %10s %7s" % (label, f(k), f(r), B.fmt_ratio(rat)))
        results.append(B.result_line("defrag.%s" % key, k, r, rat, better, "mb=%d secs=%d mix=%s" % (args.mb, args.secs, args.mix)))
    print("# goals: keel's frag <= 1.10 within 60 s, PING p99.9 < 2 ms during the defrag")
    B.emit_results(results)
    return 0 if ok["keel"] and ok["redis"] else 1


if __name__ == "__main__":
    sys.exit(main())
