#!/usr/bin/python3
"""Loading one RDB file at start-up, Keel vs redis-server: the same file for both.

redis-server 7.0.15 writes the file once (--keys string keys of --value bytes, loaded with
redis-cli --pipe, then SAVE; rdbcompression as the default, so the values are LZF-compressed
where that pays). Then, --rounds times, each server starts on that file in turn (the order
alternates between rounds), and is stopped as soon as its log says "DB loaded from disk". Per
start: the seconds the server logs, and the CPU seconds (user + system, /proc/PID/stat) it used
from exec until then. RESULT lines: the medians, Keel/Redis (lower is better).

    /usr/bin/python3 bench/rdb_load.py                                   # 2,000,000 keys, 100 B
    /usr/bin/python3 bench/rdb_load.py --keys 10000000 --value 150       # ~2 GB in memory
Environment: KEEL_SERVER, REDIS_SERVER, BENCH_RESULTS, NO_PIN=1, BENCH_TMPDIR (see benchlib).
"""
import argparse
import os
import re
import subprocess
import time

import benchlib as bl

LOADED = re.compile(r"DB loaded from disk: ([0-9.]+) seconds")


def write_file(redis, tmp, args):
    d = os.path.join(tmp, "gen")
    os.makedirs(d)
    srv = bl.Server("gen", redis, d, ["--dir", d])
    srv.start()
    try:
        ok, msg = bl.pipe_file(srv.port, bl.write_file(os.path.join(tmp, "data.resp"), bl.gen_strings, 0,
                                                         args.keys, args.value), timeout=3600)
        if not ok:
            raise RuntimeError("loading the data set failed: %s" % msg)
        c = srv.conn()
        c.call("SAVE")
        c.close()
    finally:
        srv.stop()
    os.unlink(os.path.join(tmp, "data.resp"))
    path = os.path.join(d, "dump.rdb")
    print("# the file: %s, %.1f MB" % (path, os.path.getsize(path) / 1e6))
    return d


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def load_once(name, binary, filedir, tmp, timeout):
    """(logged seconds, CPU seconds) of one start-up load of filedir/dump.rdb."""
    log = os.path.join(tmp, "%s-load.log" % name)
    if os.path.exists(log):
        os.unlink(log)
    argv = bl.pin_server_argv() + [binary, "--port", str(bl.free_port()), "--bind", "127.0.0.1",
                                   "--save", "", "--appendonly", "no", "--dir", filedir,
                                   "--dbfilename", "dump.rdb", "--logfile", log]
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + timeout
        while time.time() < deadline:
            if proc.poll() is not None:
                raise RuntimeError("%s exited while loading" % name)
            try:
                m = LOADED.search(open(log, errors="replace").read())
            except OSError:
                m = None
            if m:
                return float(m.group(1)), cpu_seconds(proc.pid)
            time.sleep(0.02)
        raise RuntimeError("%s did not load within %d s" % (name, timeout))
    finally:
        proc.kill()
        proc.wait()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--keys", type=int, default=2000000)
    p.add_argument("--value", type=int, default=100)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--timeout", type=int, default=1800, help="seconds one load may take")
    args = p.parse_args()
    keel, redis, tmp = bl.begin("RDB load at start-up: one file written by redis-server, loaded by both",
                                "keel-bench-rdbload-")
    keel, redis = os.path.abspath(keel), os.path.abspath(redis)
    filedir = write_file(redis, tmp, args)
    runs = {"keel": [], "redis": []}
    for i in range(args.rounds):
        order = [("keel", keel), ("redis", redis)]
        if i % 2:
            order.reverse()
        for name, binary in order:
            secs, cpu = load_once(name, binary, filedir, tmp, args.timeout)
            runs[name].append((secs, cpu))
            print("# round %d %-5s loaded in %.3f s, %.3f CPU s" % (i + 1, name, secs, cpu))
    med = {n: (bl.median([s for s, _ in r]), bl.median([c for _, c in r])) for n, r in runs.items()}
    k, r = med["keel"], med["redis"]
    bl.emit_results([
        bl.result_line("rdb_load_seconds", k[0], r[0], bl.ratio(k[0], r[0]), "lower"),
        bl.result_line("rdb_load_cpu_seconds", k[1], r[1], bl.ratio(k[1], r[1]), "lower"),
    ])


if __name__ == "__main__":
    main()
