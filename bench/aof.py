#!/usr/bin/python3
"""SET throughput with the AOF, Keel vs redis-server: redis-benchmark -t set -P 16 with
appendonly no, with appendfsync everysec and with appendfsync always, each server started fresh
for each run (its AOF in a temp directory), the runs of both servers interleaved, --rounds times.
Prints the median requests/s per mode and server, the Keel/Redis ratio per mode, and each
server's cost of the AOF (throughput with it / without it).

    /usr/bin/python3 bench/aof.py                       # 3 rounds, 200000 requests a run
    /usr/bin/python3 bench/aof.py --rounds 5 --requests 1000000
RESULT lines: aof_<mode>_set_p16_rps (higher is better), aof_<mode>_cost (fraction of the
throughput without the AOF that is kept; higher is better).
Environment: KEEL_SERVER, REDIS_SERVER, BENCH_RESULTS, NO_PIN=1, BENCH_TMPDIR (see benchlib).
"""
import argparse
import os
import shutil
import subprocess

import benchlib as bl

MODES = {
    "off": ["--appendonly", "no"],
    "everysec": ["--appendonly", "yes", "--appendfsync", "everysec"],
    "always": ["--appendonly", "yes", "--appendfsync", "always"],
}


def benchmark_bin():
    return os.environ.get("REDIS_BENCHMARK") or shutil.which("redis-benchmark") or "/usr/bin/redis-benchmark"


def one_run(name, binary, tmp, mode, args):
    d = os.path.join(tmp, "%s-%s" % (name, mode))
    os.mkdir(d)
    srv = bl.Server(name, binary, tmp, MODES[mode] + ["--dir", d]).start()
    try:
        out = subprocess.run(bl.pin_client_argv() + [
            benchmark_bin(), "-p", str(srv.port), "-t", "set", "-P", "16", "-c", str(args.clients),
            "-n", str(args.requests), "-r", "100000", "-d", "3", "-q", "--csv"],
            capture_output=True, text=True, timeout=600).stdout
        rps = None
        for line in out.splitlines():
            cells = [c.strip('"') for c in line.split(",")]
            if cells and cells[0] == "SET":
                rps = float(cells[1])
        return rps
    finally:
        srv.stop()
        shutil.rmtree(d, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--requests", type=int, default=200000)
    ap.add_argument("--clients", type=int, default=50)
    args = ap.parse_args()
    keel, redis, tmp = bl.begin("aof: redis-benchmark -t set -P 16 -c %d -n %d, %d rounds, AOF off/everysec/always"
                                % (args.clients, args.requests, args.rounds), "keel-bench-aof")
    runs = {(n, m): [] for n in ("keel", "redis") for m in MODES}
    for r in range(args.rounds):
        for mode in MODES:
            order = (("keel", keel), ("redis", redis)) if r % 2 == 0 else (("redis", redis), ("keel", keel))
            for name, binary in order:
                rps = one_run(name, binary, tmp, mode, args)
                runs[(name, mode)].append(rps)
                print("round %d %-8s %-5s %s rps" % (r + 1, mode, name, "error" if rps is None else "%.0f" % rps))

    def med(name, mode):
        xs = [x for x in runs[(name, mode)] if x is not None]
        return bl.median(xs) if xs else None

    lines = []
    for mode in MODES:
        k, rr = med("keel", mode), med("redis", mode)
        lines.append(bl.result_line("aof_%s_set_p16_rps" % mode, k, rr, bl.ratio(k, rr), "higher"))
    for mode in ("everysec", "always"):
        kc, rc = bl.ratio(med("keel", mode), med("keel", "off")), bl.ratio(med("redis", mode), med("redis", "off"))
        lines.append(bl.result_line("aof_%s_cost" % mode, kc, rc, bl.ratio(kc, rc), "higher",
                                    "(throughput with the AOF / without)"))
    bl.emit_results(lines)


if __name__ == "__main__":
    main()
