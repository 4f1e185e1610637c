#!/usr/bin/python3
"""Replication, Keel vs redis-server: the time of a full sync and the primary's peak memory
during it, under a write load.

For each server kind (Keel -> Keel replica, redis-server -> redis-server replica), in
interleaved rounds: start a primary, load --keys string keys of --value bytes (redis-cli --pipe),
read its VmRSS (the baseline), start a writer rewriting the first half of the keys in
pipelined batches, then REPLICAOF on a fresh replica of the same kind and time until the
replica's link is up. Both send the RDB from disk (Redis: repl-diskless-sync no, so it forks
a BGSAVE child; Keel: the forkless snapshot in the event loop). Peak memory while the sync
runs: Keel's VmRSS; Redis's VmRSS plus its child's private memory (smaps_rollup Private_*),
which is what fork + copy-on-write costs.
RESULT lines (medians over --rounds; lower is better):
  full_sync_seconds, full_sync_primary_peak_over_baseline (peak RSS / RSS before the sync).

    /usr/bin/python3 bench/replication.py --keys 1000000 --value 100 --rounds 3   # ~200 MB
    /usr/bin/python3 bench/replication.py --keys 10000000 --value 150             # ~2 GB (long)
Environment: KEEL_SERVER, REDIS_SERVER, BENCH_RESULTS, NO_PIN=1, BENCH_TMPDIR (see benchlib).
"""
import argparse
import os
import threading
import time

import benchlib as bl
from persistence import child_private_bytes, rss_bytes


def writer(port, keys, value, stop):
    c = bl.Conn(port)
    i, half, batch = 0, max(1, keys // 2), 200
    while not stop.is_set():
        c.pipeline(*[("SET", "key:%08d" % ((i + j) % half), value) for j in range(batch)])
        i += batch
    c.close()


def one_sync(name, binary, tmp, args, data, rnd):
    d = os.path.join(tmp, "%s-%d" % (name, rnd))
    os.makedirs(os.path.join(d, "primary"))
    os.makedirs(os.path.join(d, "replica"))
    os.chdir(os.path.join(d, "primary"))   # each server's dump.rdb in its own directory
    primary = bl.Server(name + "-primary", binary, d).start()
    os.chdir(os.path.join(d, "replica"))
    replica = bl.Server(name + "-replica", binary, d).start()
    try:
        ok, msg = bl.pipe_file(primary.port, data)
        if not ok:
            raise RuntimeError("%s: load failed: %s" % (name, msg))
        pc, rc = primary.conn(), replica.conn()
        pc.call("CONFIG", "SET", "repl-diskless-sync", "no")
        before = rss_bytes(primary.pid)
        peak = before
        stop = threading.Event()
        w = threading.Thread(target=writer, args=(primary.port, args.keys, "w" * args.value, stop))
        w.start()
        start = time.time()
        rc.call("REPLICAOF", "127.0.0.1", str(primary.port))
        while True:
            peak = max(peak, rss_bytes(primary.pid) + child_private_bytes(primary.pid))
            if bl.parse_info(rc.call("INFO", "replication")).get("master_link_status") == "up":
                break
            if time.time() - start > 600:
                raise RuntimeError("%s: the sync did not finish in 600 s" % name)
            time.sleep(0.01)
        took = time.time() - start
        stop.set()
        w.join()
        pc.close()
        rc.close()
        return took, peak / before
    finally:
        replica.stop()
        primary.stop()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--keys", type=int, default=1000000)
    p.add_argument("--value", type=int, default=100)
    p.add_argument("--rounds", type=int, default=3)
    args = p.parse_args()
    keel, redis, tmp = bl.begin("Replication: full sync time and primary peak memory", "keel-bench-repl-")
    keel, redis = os.path.abspath(keel), os.path.abspath(redis)   # the servers run in their own dirs
    data = bl.write_file(os.path.join(tmp, "data.resp"), bl.gen_strings, 0, args.keys, args.value)
    res = {"keel": [], "redis": []}
    for rnd in range(args.rounds):   # interleaved, so load drifts hit both alike
        for name, binary in (("keel", keel), ("redis", redis)):
            took, peak = one_sync(name, binary, tmp, args, data, rnd)
            res[name].append((took, peak))
            print("# round %d %s: full sync %.3f s, primary peak RSS %.3f x baseline" % (rnd, name, took, peak))
    k_t, r_t = bl.median([x[0] for x in res["keel"]]), bl.median([x[0] for x in res["redis"]])
    k_p, r_p = bl.median([x[1] for x in res["keel"]]), bl.median([x[1] for x in res["redis"]])
    bl.emit_results([
        bl.result_line("full_sync_seconds", k_t, r_t, bl.ratio(k_t, r_t), "lower"),
        bl.result_line("full_sync_primary_peak_over_baseline", k_p, r_p, bl.ratio(k_p, r_p), "lower"),
    ])


if __name__ == "__main__":
    main()
