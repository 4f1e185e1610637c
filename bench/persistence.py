#!/usr/bin/python3
"""Snapshots, Keel vs redis-server: SAVE time, BGSAVE under a write load (peak memory, SET
throughput, PING latency), and load time at start-up.

For each server: start it fresh in a temp dir, load --keys string keys of --value bytes
(redis-cli --pipe), read VmRSS (the baseline), then
  save      SAVE, timed;
  bgsave    a writer rewrites the first half of the keys in pipelined batches, and a pinger
            measures PING round trips, for --window seconds without a save (the reference
            throughput) and then during a BGSAVE (until it ends, at least --window seconds).
            Peak memory while it runs: Keel's VmRSS; Redis's VmRSS plus its child's private
            memory (smaps_rollup Private_*), which is what fork + copy-on-write costs;
  load      restart on the file; the server's own "DB loaded from disk: X seconds".
RESULT lines (lower is better except throughput):
  save_seconds, bgsave_peak_over_baseline (peak RSS / RSS before the save),
  set_throughput_ratio_during_bgsave (during / before), ping_p999_us_during_bgsave, load_seconds.

    /usr/bin/python3 bench/persistence.py --keys 1000000 --value 100      # ~200 MB
    /usr/bin/python3 bench/persistence.py --keys 10000000 --value 150     # ~2 GB (long)
Environment: KEEL_SERVER, REDIS_SERVER, BENCH_RESULTS, NO_PIN=1, BENCH_TMPDIR (see benchlib).
"""
import argparse
import os
import re
import threading
import time

import benchlib as bl


def rss_bytes(pid):
    return bl.proc_status_kb(pid, "VmRSS") or 0


def _cmdline(pid):
    try:
        return open("/proc/%s/cmdline" % pid, "rb").read()
    except OSError:
        return None


def child_private_bytes(pid):
    """Private memory of the server's fork children (Redis's BGSAVE child).

    A child whose command line is still the server's own has not exec'd or renamed itself yet:
    Keel's save stand-in between posix_spawn's vfork and its exec shares the server's memory,
    and its smaps_rollup then lists all of the server's pages as its own (counted already in
    the server's RSS). Redis's fork child renames itself (redis-rdb-bgsave) at once, before it
    has copied any page."""
    total = 0
    try:
        children = open("/proc/%d/task/%d/children" % (pid, pid)).read().split()
    except OSError:
        return 0
    own = _cmdline(pid)
    for ch in children:
        if _cmdline(ch) == own:
            continue
        try:
            for line in open("/proc/%s/smaps_rollup" % ch):
                if line.startswith("Private_"):
                    total += int(line.split()[1]) * 1024
        except OSError:
            pass
    return total


class Load:
    """A writer (pipelined SETs over the first half of the keys) and a pinger, until stopped."""

    def __init__(self, port, keys, value):
        self.port, self.keys, self.value = port, keys, value
        self.sets = 0
        self.rtts = []
        self.stop = threading.Event()

    def writer(self):
        c = bl.Conn(self.port)
        i, half, batch = 0, max(1, self.keys // 2), 200
        while not self.stop.is_set():
            cmds = [("SET", "key:%08d" % ((i + j) % half), self.value) for j in range(batch)]
            c.pipeline(*cmds)
            i += batch
            self.sets += batch
        c.close()

    def pinger(self):
        c = bl.Conn(self.port)
        while not self.stop.is_set():
            t = time.perf_counter()
            c.call("PING")
            self.rtts.append(time.perf_counter() - t)
            time.sleep(0.001)
        c.close()

    def run_for(self, until):
        threads = [threading.Thread(target=self.writer), threading.Thread(target=self.pinger)]
        for t in threads:
            t.start()
        start = time.time()
        until()
        self.stop.set()
        for t in threads:
            t.join()
        return time.time() - start


def bench_server(name, binary, tmp, args):
    d = os.path.join(tmp, name)
    os.makedirs(d, exist_ok=True)
    srv = bl.Server(name, binary, d)   # d is also its working directory: its dump.rdb
    srv.start()
    out = {}
    try:
        ok, msg = bl.pipe_file(srv.port, bl.write_file(os.path.join(tmp, "data.resp"), bl.gen_strings, 0,
                                                         args.keys, args.value))
        if not ok:
            raise RuntimeError("%s: load failed: %s" % (name, msg))
        c = srv.conn()
        t = time.time()
        c.call("SAVE")
        out["save"] = time.time() - t
        value = "v" * args.value
        base = Load(srv.port, args.keys, value)
        base.run_for(lambda: time.sleep(args.window))
        rate_before = base.sets / args.window
        before = rss_bytes(srv.pid)
        peak = [before]
        load = Load(srv.port, args.keys, value)

        def during():
            c.call("BGSAVE")
            start = time.time()
            while True:
                peak[0] = max(peak[0], rss_bytes(srv.pid) + child_private_bytes(srv.pid))
                info = bl.parse_info(c.call("INFO", "persistence"))
                if info.get("rdb_bgsave_in_progress") == "0" and time.time() - start >= args.window:
                    return
                time.sleep(0.01)

        took = load.run_for(during)
        out["peak_ratio"] = peak[0] / before
        out["throughput_ratio"] = (load.sets / took) / rate_before
        rtts = sorted(load.rtts)
        out["ping_p999_us"] = bl.percentile(rtts, 99.9) * 1e6 if rtts else None
        c.call("SAVE")
        c.close()
        srv.stop()
        srv.start(attempts=1, ready_timeout=args.load_timeout)   # PONG once the file is loaded
        logtext = open(srv.logpath, errors="replace").read()
        m = re.findall(r"DB loaded from disk: ([0-9.]+) seconds", logtext)
        out["load"] = float(m[-1]) if m else None
    finally:
        srv.stop()
    return out


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--keys", type=int, default=1000000)
    p.add_argument("--value", type=int, default=100)
    p.add_argument("--window", type=float, default=3.0)
    p.add_argument("--load-timeout", type=float, default=1800, help="seconds the restart may take to load")
    args = p.parse_args()
    keel, redis, tmp = bl.begin("RDB snapshots: SAVE, BGSAVE under writes, load", "keel-bench-persist-")
    k = bench_server("keel", keel, tmp, args)
    r = bench_server("redis", redis, tmp, args)
    lines = [
        bl.result_line("save_seconds", k["save"], r["save"], bl.ratio(k["save"], r["save"]), "lower"),
        bl.result_line("bgsave_peak_over_baseline", k["peak_ratio"], r["peak_ratio"],
                       bl.ratio(k["peak_ratio"], r["peak_ratio"]), "lower"),
        bl.result_line("set_throughput_ratio_during_bgsave", k["throughput_ratio"], r["throughput_ratio"],
                       bl.ratio(k["throughput_ratio"], r["throughput_ratio"]), "higher"),
        bl.result_line("ping_p999_us_during_bgsave", k["ping_p999_us"], r["ping_p999_us"],
                       bl.ratio(k["ping_p999_us"], r["ping_p999_us"]), "lower"),
        bl.result_line("load_seconds", k["load"], r["load"], bl.ratio(k["load"], r["load"]), "lower"),
    ]
    bl.emit_results(lines)


if __name__ == "__main__":
    main()
