#!/usr/bin/python3
"""FLUSHALL ASYNC vs FLUSHALL SYNC, Keel vs redis-server, side by side.

For each server and mode: N keys key:%08d (16-byte values) are loaded with redis-cli --pipe,
a probe thread on its own connection sends PING after PING, and FLUSHALL ASYNC (or SYNC) is
sent on another connection. Reported: the FLUSHALL round trip, the server's own duration of the
command (SLOWLOG, us), and the worst PING round trip from the FLUSHALL until the memory is freed
(lazyfree_pending_objects back to 0, at most 60 s). Goal for Keel: ASYNC under 1 ms, worst PING
under 2 ms.

    /usr/bin/python3 bench/lazyfree.py                 # 5,000,000 keys
    /usr/bin/python3 bench/lazyfree.py --keys 100000   # quick try
Environment: KEEL_SERVER (default ./keel-server), REDIS_SERVER, BENCH_RESULTS, NO_PIN, BENCH_NICE.
"""

import argparse
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as B  # noqa: E402


class Prober(threading.Thread):
    """PINGs in a loop; `worst` is the slowest round trip seen while `measuring` is set."""

    def __init__(self, port):
        super().__init__(daemon=True)
        self.conn = B.Conn(port)
        self.measuring = False
        self.stop = False
        self.worst = 0.0

    def run(self):
        while not self.stop:
            t0 = time.perf_counter()
            self.conn.call("PING")
            dt = time.perf_counter() - t0
            if self.measuring:
                self.worst = max(self.worst, dt)


def measure(server, tmp, path, mode):
    ok, msg = B.pipe_file(server.port, path)
    if not ok:
        raise RuntimeError("%s: load failed: %s" % (server.name, msg))
    c = server.conn()
    c.call("CONFIG", "SET", "slowlog-log-slower-than", "0")
    probe = Prober(server.port)
    probe.start()
    time.sleep(0.2)
    probe.measuring = True
    t0 = time.perf_counter()
    c.call("FLUSHALL", mode)
    rtt = time.perf_counter() - t0
    # The probe's PINGs are logged too: find the FLUSHALL among the newest entries.
    entry = [e for e in c.call("SLOWLOG", "GET", "128") if e[3][0].upper() == b"FLUSHALL"][0]
    deadline = time.time() + 60
    while B.info_int(server.info("memory"), "lazyfree_pending_objects") and time.time() < deadline:
        time.sleep(0.01)
    probe.measuring = False
    probe.stop = True
    probe.join()
    probe.conn.close()
    c.close()
    return rtt * 1000, int(entry[2]), probe.worst * 1000


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--keys", type=int, default=5000000)
    a = ap.parse_args()
    keel_bin, redis_bin = B.binaries()
    B.check_binaries(keel_bin, redis_bin)
    B.header("FLUSHALL ASYNC/SYNC of %d keys" % a.keys, keel_bin, redis_bin)
    B.pin_self_to_client_cpu()
    tmp = B.make_tmpdir("keel-bench-lazyfree-")
    path = B.write_file(os.path.join(tmp, "load.resp"), B.gen_strings, 0, a.keys, 16)
    res = {}
    for name, binary in (("keel", keel_bin), ("redis", redis_bin)):
        for mode in ("ASYNC", "SYNC"):
            s = B.Server(name, binary, tmp).start()
            try:
                res[name, mode] = measure(s, tmp, path, mode)
            finally:
                s.stop()
    print("%-6s %-6s %14s %14s %16s" % ("server", "mode", "rtt ms", "server us", "worst PING ms"))
    for (name, mode), (rtt, us, worst) in sorted(res.items()):
        print("%-6s %-6s %14.3f %14d %16.3f" % (name, mode, rtt, us, worst))
    lines = []
    for mode in ("ASYNC", "SYNC"):
        k, r = res["keel", mode], res["redis", mode]
        lines.append(B.result_line("lazyfree.flushall_%s_ms" % mode.lower(), k[0], r[0], B.ratio(k[0], r[0]), "lower"))
        lines.append(B.result_line("lazyfree.worst_ping_%s_ms" % mode.lower(), k[2], r[2], B.ratio(k[2], r[2]), "lower"))
    B.emit_results(lines)


if __name__ == "__main__":
    main()
