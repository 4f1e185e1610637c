#!/usr/bin/python3
"""Cluster mode, Keel vs redis-server.

1. Memory per key: for each round, four fresh servers in turn (Keel standalone, Keel cluster,
   Redis standalone, Redis cluster; a cluster server is a single node serving all 16384 slots)
   load --keys string keys with redis-cli --pipe; bytes per key = (used_memory after - before) /
   keys. Reported: the medians, Keel/Redis in each mode, and what cluster mode adds per key
   (cluster - standalone) for each server: Redis 7.0 adds 16 B/key (its per-slot key lists),
   Keel's per-slot index is counts only.
2. Throughput: a 3-primary cluster of each server (redis-cli --cluster create), then
   redis-benchmark --cluster -t set,get -n --requests -P 16, rounds alternating Keel and Redis;
   median requests/s per test and the ratio Keel/Redis (higher is better).

    /usr/bin/python3 bench/cluster.py                  # 200,000 keys, 2,000,000 requests, 3 rounds
    /usr/bin/python3 bench/cluster.py --keys 1000000 --requests 5000000
(A run of a few hundred thousand requests lasts under a second at -P 16, and both servers then
show the same quantised requests/s.)
Environment: KEEL_SERVER (default ./keel-server), REDIS_SERVER, ROUNDS (default 3),
BENCH_RESULTS, NO_PIN=1, BENCH_TMPDIR (as the other scripts, see bench/README.md).
"""

import argparse
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as B  # noqa: E402

_configs = [0]


def start(name, binary, tmp, cluster):
    extra = []
    if cluster:
        _configs[0] += 1
        extra = ["--cluster-enabled", "yes", "--cluster-port", str(B.free_port()),
                 "--cluster-config-file", os.path.join(tmp, "nodes-%d.conf" % _configs[0])]
    return B.Server(name, binary, tmp, extra).start()


def wait_cluster_ok(srv, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        c = srv.conn()
        try:
            if b"cluster_state:ok" in c.call("CLUSTER", "INFO"):
                return
        finally:
            c.close()
        time.sleep(0.05)
    raise RuntimeError("%s: cluster_state not ok after %d s" % (srv.name, timeout))


def bytes_per_key(name, binary, tmp, cluster, keys, dataset):
    srv = start(name, binary, tmp, cluster)
    try:
        if cluster:
            c = srv.conn()
            c.call("CLUSTER", "ADDSLOTSRANGE", "0", "16383")
            c.close()
            wait_cluster_ok(srv)
        before = B.info_int(srv.info("memory"), "used_memory")
        ok, msg = B.pipe_file(srv.port, dataset)
        if not ok:
            raise RuntimeError("%s: %s" % (name, msg))
        time.sleep(0.5)
        after = B.info_int(srv.info("memory"), "used_memory")
        return (after - before) / keys
    finally:
        srv.stop()


def cluster_of_three(name, binary, tmp):
    nodes = [start("%s-%d" % (name, i), binary, tmp, True) for i in range(3)]
    try:
        argv = [B.redis_cli(), "--cluster", "create"] + ["127.0.0.1:%d" % n.port for n in nodes] + ["--cluster-yes"]
        p = subprocess.run(argv, capture_output=True, text=True, timeout=120)
        if p.returncode != 0:
            raise RuntimeError("%s: cluster create failed: %s" % (name, p.stdout[-500:] + p.stderr[-500:]))
        for n in nodes:
            wait_cluster_ok(n, 60)
        return nodes
    except BaseException:
        for n in nodes:
            n.stop()
        raise


def benchmark(port, requests):
    argv = B.pin_client_argv() + ["redis-benchmark", "-p", str(port), "--cluster", "-t", "set,get", "-n",
                                  str(requests), "-P", "16", "-r", "1000000", "--csv"]
    p = subprocess.run(argv, capture_output=True, text=True, timeout=600)
    out = {}
    for line in p.stdout.splitlines():
        fields = [f.strip('"') for f in line.split(",")]
        if len(fields) >= 2 and fields[0] in ("SET", "GET"):
            out[fields[0]] = float(fields[1])
    if len(out) != 2:
        raise RuntimeError("redis-benchmark: %s" % (p.stdout[-500:] + p.stderr[-500:]))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--keys", type=int, default=200000)
    ap.add_argument("--requests", type=int, default=2000000)
    args = ap.parse_args()
    keel, redis, tmp = B.begin("cluster mode: memory per key and redis-benchmark --cluster", "keel-bench-cluster-")
    rounds = B.env_int("ROUNDS", 3)
    dataset = os.path.join(tmp, "strings.resp")
    B.write_file(dataset, B.gen_strings, 0, args.keys, 16, 8)

    mem = {(s, m): [] for s in ("keel", "redis") for m in ("standalone", "cluster")}
    for r in range(rounds):
        for server, binary in (("keel", keel), ("redis", redis)):
            for mode in ("standalone", "cluster"):
                mem[(server, mode)].append(bytes_per_key("%s-%s" % (server, mode), binary, tmp, mode == "cluster",
                                                          args.keys, dataset))
        print("round %d: %s" % (r + 1, ", ".join("%s %s %.1f B/key" % (s, m, v[-1]) for (s, m), v in mem.items())))
    med = {k: B.median(v) for k, v in mem.items()}
    lines = []
    for mode in ("standalone", "cluster"):
        k, r = med[("keel", mode)], med[("redis", mode)]
        lines.append(B.result_line("cluster.bytes_per_key.%s" % mode, k, r, B.ratio(k, r), "lower"))
    k_extra = med[("keel", "cluster")] - med[("keel", "standalone")]
    r_extra = med[("redis", "cluster")] - med[("redis", "standalone")]
    lines.append(B.result_line("cluster.extra_bytes_per_key", k_extra, r_extra, None, "lower"))

    rps = {(s, t): [] for s in ("keel", "redis") for t in ("SET", "GET")}
    clusters = {}
    try:
        for server, binary in (("keel", keel), ("redis", redis)):
            clusters[server] = cluster_of_three("%s-c" % server, binary, tmp)
        for r in range(rounds):
            for server in ("keel", "redis"):
                got = benchmark(clusters[server][0].port, args.requests)
                for t, v in got.items():
                    rps[(server, t)].append(v)
            print("round %d: %s" % (r + 1, ", ".join("%s %s %.0f/s" % (s, t, v[-1]) for (s, t), v in rps.items())))
    finally:
        for nodes in clusters.values():
            for n in nodes:
                n.stop()
    for t in ("SET", "GET"):
        k, r = B.median(rps[("keel", t)]), B.median(rps[("redis", t)])
        lines.append(B.result_line("cluster.benchmark.%s_P16" % t, k, r, B.ratio(k, r), "higher"))
    B.emit_results(lines)


if __name__ == "__main__":
    main()
