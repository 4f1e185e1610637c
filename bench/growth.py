#!/usr/bin/python3
"""Keyspace growth: memory spikes and PING latency while a server grows from 0 to N keys.

For each round and server (Keel, then Redis; fresh server each time, pinned to CPU 0):
  * keys key:%08d (16-byte values) 0..N-1 are inserted in order with redis-cli --pipe, one
    redis-cli per chunk of --chunk keys (chunk files are generated once, before any run);
  * a sampler thread (this process) polls every --sample-ms ms, over its own connection,
    INFO memory (used_memory) + DBSIZE, and the server's VmRSS from /proc/<pid>/status;
  * bench/ping_probe (compiled here with gcc -O2 from bench/ping_probe.c) sends PING on its own
    blocking connection every --probe-interval-us us (0 = back to back) and records each round
    trip (CLOCK_MONOTONIC) for the whole insert.
Before the insert the probe PINGs the idle server for --idle-s seconds: the latency floor of
the machine (network stack, scheduler, hypervisor), which no server can beat, reported beside
the figures under load.
The loader, the sampler and the probe all run on CPU 1, so they compete with each other (not
with the server); everything runs at nice -20 when root (BENCH_NICE overrides), and the probe
under SCHED_FIFO (chrt -f 50, when root) so that its wake-ups are not queued behind the loader.
While the loader streams, a PING typically waits for the batch of SETs the server handles from
one read of the loader's socket (about 1 ms with Redis 7.0 on this kind of machine), so p50
measures that batching and the tail measures stalls.

Reported per server (median over the rounds) and as ratio keel/redis:
  insert rate (keys/s, higher is better); PING p50 / p99 / p99.9 / p99.99 / max during the
  insert, and how many PINGs of 100,000 took over 1 ms (lower is better); the server's own view
  from SLOWLOG (every command over 200 us is logged during the insert): the slowest command and
  how many took over 1 ms; peak RSS (max of the VmRSS samples and VmHWM) and peak used_memory
  during growth, their final values after the insert, and peak/final (lower is better); the
  largest increase of used_memory between two consecutive samples (lower is better) and the
  DBSIZE where it happened.
  (Redis doubles its main dict's bucket array when the key count reaches a power of two: at
  8,388,608 keys that is one 128 MB allocation; at 1,048,576 keys, 16 MB.)

    /usr/bin/python3 bench/growth.py --quick            # N = 2^20 + 2^18 = 1,310,720
    /usr/bin/python3 bench/growth.py                    # N = 2^23 + 2^21 = 10,485,760
    KEEL_SERVER=/usr/bin/redis-server /usr/bin/python3 bench/growth.py --quick --rounds 1
Environment: KEEL_SERVER (default ./keel-server), REDIS_SERVER, ROUNDS (default 3), GROWTH_KEYS
(overrides the default N), BENCH_RESULTS, NO_PIN=1, BENCH_NICE, BENCH_TMPDIR (chunk files: N * 57
bytes).
Exit status 1 if a server failed to start, died, rejected the load or lost keys; else 0.
"""

import argparse
import os
import subprocess
import sys
import threading
import time

# Servers and clients at nice -20 (when root, unless BENCH_NICE says otherwise): this machine
# runs other work on CPU 0 at nice -10, whose wake-ups otherwise preempt either server for 1-4 ms.
if os.geteuid() == 0:
    os.environ.setdefault("BENCH_NICE", "-20")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as B  # noqa: E402

SLOW_US = 200   # slowlog-log-slower-than during the insert
FULL_KEYS = 2 ** 23 + 2 ** 21
QUICK_KEYS = 2 ** 20 + 2 ** 18
VALUE = 16


class Sampler(threading.Thread):
    """Polls used_memory, DBSIZE and VmRSS every interval seconds into self.samples:
    (t_ns, used_memory or None, vmrss or None, dbsize or None)."""

    def __init__(self, srv, interval):
        super().__init__(daemon=True)
        self.srv, self.interval = srv, interval
        self.samples = []
        self.stop_ev = threading.Event()
        self.error = None

    def run(self):
        try:
            c = self.srv.conn()
        except OSError as e:
            self.error = str(e)
            return
        nxt = time.monotonic()
        try:
            while not self.stop_ev.is_set():
                t = time.monotonic_ns()
                info, dbsize = c.pipeline(("INFO", "memory"), ("DBSIZE",))
                used = None if isinstance(info, B.ReplyError) else B.info_int(B.parse_info(info), "used_memory")
                dbsize = dbsize if isinstance(dbsize, int) else None
                rss = B.proc_status_kb(self.srv.pid, "VmRSS")
                self.samples.append((t, used, rss, dbsize))
                nxt += self.interval
                delay = nxt - time.monotonic()
                if delay > 0:
                    self.stop_ev.wait(delay)
                else:
                    nxt = time.monotonic()
        except (OSError, ConnectionError) as e:
            self.error = str(e)
        finally:
            c.close()

    def stop(self):
        self.stop_ev.set()
        self.join(30)


def make_chunks(tmp, n, chunk):
    files = []
    t = time.monotonic()
    for i, start in enumerate(range(0, n, chunk)):
        count = min(chunk, n - start)
        path = os.path.join(tmp, "chunk-%04d.resp" % i)
        B.write_file(path, B.gen_strings, start, count, VALUE, 8)
        files.append((path, start + count))
    size = sum(os.path.getsize(p) for p, _ in files)
    print("# %d chunk files, %.0f MB of RESP, generated in %.1f s" % (len(files), size / 1e6, time.monotonic() - t))
    return files


def dbsize_at(samples, t_ns):
    """DBSIZE of the last sample taken at or before t_ns."""
    best = None
    for s in samples:
        if s[0] > t_ns:
            break
        if s[3] is not None:
            best = s[3]
    return best


def per_100k(sorted_ns, limit_ns):
    """How many of 100,000 round trips take longer than limit_ns."""
    if not sorted_ns:
        return None
    return 1e5 * sum(1 for v in sorted_ns if v > limit_ns) / len(sorted_ns)


def one_run(name, binary, chunks, n, args, probe_bin, tmp):
    srv = B.Server(name, binary, tmp)
    try:
        srv.start()
    except RuntimeError as e:
        return {"error": "start failed: %s" % str(e).splitlines()[0]}
    probe = None
    sampler = None
    try:
        sampler = Sampler(srv, args.sample_ms / 1000.0)
        sampler.start()
        probe = B.PingProbe(probe_bin, srv.port, os.path.join(tmp, "lat-%s.bin" % name),
                            args.probe_interval_us, rt=not args.no_rt).start()
        t_idle = time.monotonic_ns()
        time.sleep(args.idle_s)  # the machine's floor: PINGs to the same server, idle
        c = srv.conn()
        try:   # the server's own view: every command slower than SLOW_US, in SLOWLOG
            c.call("CONFIG", "SET", "slowlog-log-slower-than", str(SLOW_US))
            c.call("CONFIG", "SET", "slowlog-max-len", "100000")
            c.call("SLOWLOG", "RESET")
        finally:
            c.close()

        t0 = time.monotonic_ns()
        for path, upto in chunks:
            ok, msg = B.pipe_file(srv.port, path, timeout=args.chunk_timeout)
            if not ok:
                return {"error": "load failed before key %d: %s" % (upto, msg)}
        t1 = time.monotonic_ns()
        time.sleep(0.3)  # let the sampler see the settled state

        pings = probe.stop()
        probe = None
        sampler.stop()

        c = srv.conn()
        try:
            slow = [int(e[2]) for e in c.call("SLOWLOG", "GET", "-1")]
            dbsize = c.call("DBSIZE")
            final_used = B.info_int(B.parse_info(c.call("INFO", "memory")), "used_memory")
        finally:
            c.close()
        if dbsize != n:
            return {"error": "DBSIZE %s after inserting %d keys" % (dbsize, n)}
        final_rss = B.proc_status_kb(srv.pid, "VmRSS")
        hwm = B.proc_status_kb(srv.pid, "VmHWM")
    except (OSError, ConnectionError, RuntimeError, B.ReplyError, subprocess.TimeoutExpired) as e:
        return {"error": "%s: %s%s" % (type(e).__name__, e, "" if srv.alive() else " (server died)")}
    finally:
        if probe is not None:
            probe.kill()
        if sampler is not None and sampler.is_alive():
            sampler.stop()
        srv.stop()

    # PING latencies of the PINGs sent during the insert, and while idle before it
    lats = B.rtts_between(pings, t0, t1, in_flight=True)
    idle = B.rtts_between(pings, t_idle, t0)
    tmax = None
    if lats:
        mx = lats[-1]
        tmax = next(sent for sent, rtt in pings if rtt == mx and sent < t1 and sent + rtt > t0)

    smp = sampler.samples
    grow = [s for s in smp if s[0] >= t0]  # insert + settle window
    used = [s[1] for s in smp if s[1] is not None]
    rss = [s[2] for s in smp if s[2] is not None]
    jump, jump_at = None, None
    for a, b in zip(grow, grow[1:]):
        if a[1] is not None and b[1] is not None:
            d = b[1] - a[1]
            if jump is None or d > jump:
                jump, jump_at = d, b[3]
    gaps = [b[0] - a[0] for a, b in zip(smp, smp[1:])]
    peak_rss = max(rss + ([hwm] if hwm else [])) if (rss or hwm) else None
    peak_used = max(used + ([final_used] if final_used is not None else [])) if used else None

    us = lambda v: None if v is None else v / 1000.0
    return {
        "insert_rate": n / ((t1 - t0) / 1e9),
        "insert_s": (t1 - t0) / 1e9,
        "pings": len(lats),
        "p50": us(B.percentile(lats, 50)), "p99": us(B.percentile(lats, 99)),
        "p999": us(B.percentile(lats, 99.9)), "max": us(lats[-1] if lats else None),
        "max_at": dbsize_at(smp, tmax) if tmax else None,
        "p9999": us(B.percentile(lats, 99.99)),
        "slowest_cmd": max(slow) if slow else 0, "slow_over_1ms": sum(1 for d in slow if d > 1000),
        "over_1ms": per_100k(lats, 1000000), "idle_over_1ms": per_100k(idle, 1000000),
        "idle_p999": us(B.percentile(idle, 99.9)), "idle_max": us(idle[-1] if idle else None),
        "peak_rss": peak_rss, "final_rss": final_rss,
        "rss_ratio": B.ratio(peak_rss, final_rss),
        "peak_used": peak_used, "final_used": final_used,
        "used_ratio": B.ratio(peak_used, final_used),
        "jump": jump, "jump_at": jump_at,
        "samples": len(smp), "max_gap_ms": (max(gaps) / 1e6) if gaps else None,
        "sampler_error": sampler.error,
    }


METRICS = [
    # key, label, unit scale, format, better
    ("insert_rate", "insert rate (keys/s)", 1, "{:,.0f}", "higher"),
    ("p50", "PING p50 (us)", 1, "{:,.1f}", "lower"),
    ("p99", "PING p99 (us)", 1, "{:,.1f}", "lower"),
    ("p999", "PING p99.9 (us)", 1, "{:,.1f}", "lower"),
    ("p9999", "PING p99.99 (us)", 1, "{:,.1f}", "lower"),
    ("max", "PING max (us)", 1, "{:,.0f}", "lower"),
    ("over_1ms", "PINGs > 1 ms (per 100k)", 1, "{:,.1f}", "lower"),
    ("idle_over_1ms", "idle PINGs > 1 ms (per 100k)", 1, "{:,.1f}", "lower"),
    ("slowest_cmd", "slowest command, SLOWLOG (us)", 1, "{:,.0f}", "lower"),
    ("slow_over_1ms", "commands > 1 ms, SLOWLOG", 1, "{:,.0f}", "lower"),
    ("idle_p999", "idle PING p99.9 (us)", 1, "{:,.1f}", "lower"),
    ("idle_max", "idle PING max (us)", 1, "{:,.0f}", "lower"),
    ("peak_rss", "peak RSS (MB)", 1e6, "{:,.1f}", "lower"),
    ("final_rss", "final RSS (MB)", 1e6, "{:,.1f}", "lower"),
    ("rss_ratio", "RSS peak/final", 1, "{:.3f}", "lower"),
    ("peak_used", "peak used_memory (MB)", 1e6, "{:,.1f}", "lower"),
    ("final_used", "final used_memory (MB)", 1e6, "{:,.1f}", "lower"),
    ("used_ratio", "used_memory peak/final", 1, "{:.3f}", "lower"),
    ("jump", "largest used_memory jump (MB)", 1e6, "{:,.2f}", "lower"),
]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--keys", type=int, default=None, help="N (default 2^23+2^21, or GROWTH_KEYS)")
    ap.add_argument("--quick", action="store_true", help="N = 2^20 + 2^18 = 1,310,720")
    ap.add_argument("--chunk", type=int, default=2 ** 18, help="keys per redis-cli --pipe (default 262144)")
    ap.add_argument("--sample-ms", type=float, default=10.0, help="sampler period (default 10 ms)")
    ap.add_argument("--probe-interval-us", type=int, default=100, help="PING period, 0 = back to back (default 100)")
    ap.add_argument("--rounds", type=int, default=B.env_int("ROUNDS", 3))
    ap.add_argument("--chunk-timeout", type=int, default=300)
    ap.add_argument("--no-rt", action="store_true", help="do not run the PING probe under chrt -f 50")
    ap.add_argument("--idle-s", type=float, default=None,
                    help="seconds of PINGs to the idle server before the insert, the machine's floor "
                         "(default 10, or 3 with --quick)")
    args = ap.parse_args()
    n = args.keys or (QUICK_KEYS if args.quick else B.env_int("GROWTH_KEYS", FULL_KEYS))
    if args.idle_s is None:
        args.idle_s = 3.0 if args.quick else 10.0
    if n < 1 or n >= 10 ** 8:
        sys.exit("--keys must be in [1, 99999999]")

    keel, redis, tmp = B.begin("growth: insert %d keys (key:%%08d, %d-byte values) in chunks of %d; sample every "
                               "%g ms; PING every %d us; %d rounds (keel, redis interleaved)"
                               % (n, VALUE, args.chunk, args.sample_ms, args.probe_interval_us, args.rounds),
                               "keel-growth.")
    probe_bin = B.compile_probe(tmp)
    chunks = make_chunks(tmp, n, args.chunk)
    sys.stdout.flush()

    runs = {"keel": [], "redis": []}
    fatal = False
    for rnd in range(args.rounds):
        for name, binary in (("keel", keel), ("redis", redis)):
            if runs[name] and "error" in runs[name][0]:
                continue
            r = one_run(name, binary, chunks, n, args, probe_bin, tmp)
            runs[name].append(r)
            if "error" in r:
                fatal = True
                print("#   round %d %-5s error: %s" % (rnd + 1, name, r["error"][:150]))
            else:
                mb = lambda v: "n/a" if v is None else "%.1f" % (v / 1e6)
                print("#   round %d %-5s %5.1f s, %s keys/s; %d PINGs p50 %.0f p99 %.0f max %.0f us (at %s keys), idle max %.0f us; "
                      "peak/final RSS %s/%s MB; largest used_memory jump %s MB at %s keys; "
                      "%d samples, max gap %.0f ms%s" % (
                          rnd + 1, name, r["insert_s"], "{:,.0f}".format(r["insert_rate"]),
                          r["pings"], r["p50"] or 0, r["p99"] or 0, r["max"] or 0, r["max_at"], r["idle_max"] or 0,
                          mb(r["peak_rss"]), mb(r["final_rss"]),
                          mb(r["jump"]), r["jump_at"], r["samples"], r["max_gap_ms"] or 0,
                          ("; sampler: " + r["sampler_error"]) if r["sampler_error"] else ""))
            sys.stdout.flush()

    def med(name, key):
        rs = runs[name]
        if not rs or any("error" in r for r in rs):
            return None
        vals = [r[key] for r in rs if r.get(key) is not None]
        return B.median(vals) if vals else None

    print()
    print("%-31s %14s %14s %8s  %s" % ("metric (median of %d)" % args.rounds, "keel", "redis", "ratio", "better"))
    results = []
    for key, label, scale, fmt, better in METRICS:
        k, r = med("keel", key), med("redis", key)
        rat = B.ratio(k, r)
        f = lambda v: "error" if v is None else fmt.format(v / scale)
        print("%-31s %14s %14s %8s  %s" % (label, f(k), f(r), B.fmt_ratio(rat), better))
        results.append(B.result_line("growth.%s" % key, k, r, rat, better, "keys=%d" % n))
    ja = {s: [r.get("jump_at") for r in runs[s] if "error" not in r] for s in runs}
    print("%-31s %14s %14s" % ("  (jump at DBSIZE, per round)", ",".join(map(str, ja["keel"])) or "-",
                               ",".join(map(str, ja["redis"])) or "-"))
    print("# ratio = keel/redis; 'better' says which direction is better for Keel.")
    print("# loader, sampler and PING probe share CPU 1 (probe %s); the server has CPU 0 to itself."
          % ("under SCHED_FIFO" if B.probe_rt_argv(args.probe_interval_us, not args.no_rt) else "at normal priority"))
    B.emit_results(results)
    return 1 if fatal else 0


if __name__ == "__main__":
    sys.exit(main())
