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
    /usr/bin/python3 bench/replication.py --keys 10000000 --value 150 --rounds 1 --write-rate 10000
                                                           # ~2 GB (long; ~12 GB of RAM, ~10 GB of disk)
Both primaries run with client-output-buffer-limit replica 0 0 0: under an unthrottled writer
a sync of minutes buffers more stream than the default 256 MB hard limit and the primary would
drop the replica again and again (Redis and Keel alike); --write-rate (SETs per second, 0 =
as fast as it goes) keeps that buffer small beside a 2 GB data set. Each round's directory (the
dump files) is removed when the round ends; --sync-timeout bounds one sync.
Environment: KEEL_SERVER, REDIS_SERVER, BENCH_RESULTS, NO_PIN=1, BENCH_TMPDIR (see benchlib).
"""
import argparse
import os
import shutil
import threading
import time

import benchlib as bl
from persistence import child_private_bytes, rss_bytes


def writer(port, keys, value, stop, rate):
    c = bl.Conn(port, timeout=120)
    i, half, batch = 0, max(1, keys // 2), 200
    start = time.time()
    while not stop.is_set():
        c.pipeline(*[("SET", "key:%08d" % ((i + j) % half), value) for j in range(batch)])
        i += batch
        if rate > 0:   # paced: i writes by now at `rate` a second
            ahead = i / rate - (time.time() - start)
            if ahead > 0:
                stop.wait(ahead)
    c.close()


def one_sync(name, binary, tmp, args, data, rnd):
    d = os.path.join(tmp, "%s-%d" % (name, rnd))
    os.makedirs(os.path.join(d, "primary"))
    os.makedirs(os.path.join(d, "replica"))
    # each server's dump.rdb in its own directory
    primary = bl.Server(name + "-primary", binary, d, cwd=os.path.join(d, "primary")).start()
    replica = bl.Server(name + "-replica", binary, d, cwd=os.path.join(d, "replica")).start()
    try:
        ok, msg = bl.pipe_file(primary.port, data)
        if not ok:
            raise RuntimeError("%s: load failed: %s" % (name, msg))
        pc, rc = primary.conn(), bl.Conn(replica.port, timeout=120)
        pc.call("CONFIG", "SET", "repl-diskless-sync", "no")
        pc.call("CONFIG", "SET", "client-output-buffer-limit", "replica 0 0 0")
        before = rss_bytes(primary.pid)
        peak = before
        stop = threading.Event()
        w = threading.Thread(target=writer, args=(primary.port, args.keys, "w" * args.value, stop, args.write_rate))
        w.start()
        start = time.time()
        rc.call("REPLICAOF", "127.0.0.1", str(primary.port))
        while True:
            peak = max(peak, rss_bytes(primary.pid) + child_private_bytes(primary.pid))
            if bl.parse_info(rc.call("INFO", "replication")).get("master_link_status") == "up":
                break
            if time.time() - start > args.sync_timeout:
                raise RuntimeError("%s: the sync did not finish in %d s" % (name, args.sync_timeout))
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
        os.chdir(tmp)
        shutil.rmtree(d, ignore_errors=True)   # two dump files of the data set's size


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--keys", type=int, default=1000000)
    p.add_argument("--value", type=int, default=100)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--write-rate", type=int, default=0, help="SETs a second during the sync, 0: unthrottled")
    p.add_argument("--sync-timeout", type=int, default=1800, help="seconds one full sync may take")
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
