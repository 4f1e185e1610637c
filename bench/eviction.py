#!/usr/bin/python3
"""Eviction, Keel vs redis-server, side by side.

1. LRU quality (allkeys-lru): N keys key:%08d are loaded, maxmemory is set so that 96% of
   them fit (the same key budget for both servers), then ROUNDS rounds each wait --pause seconds (the LRU clock ticks in seconds),
   read N/2 keys with 80% of the reads on the first 20% of the keys (the hot set, same seeded
   trace for both servers) and write N/10 new keys. Reported: hot keys still present at the end
   summed over --seeds traces (HIGHER IS BETTER), evicted_keys.
2. Eviction across a power of two (allkeys-random): 2^B - M - 2000 keys are loaded, maxmemory is
   set to the used memory, 2 warm-up batches of 1,000 keys are written, then W batches of 1,000 new keys are written across 2^B keys. Reported:
   evicted keys per 1,000 writes for each batch; the goal is ~1,000 in every batch, with no burst
   when the keyspace table would grow (Keel defers table growth at the limit).

    /usr/bin/python3 bench/eviction.py                   # N=200000, B=20
    /usr/bin/python3 bench/eviction.py --keys 20000 --bits 16 --rounds 2 --pause 1.1   # quick try
Environment: KEEL_SERVER (default ./keel-server), REDIS_SERVER, BENCH_RESULTS, NO_PIN, BENCH_NICE.
"""

import argparse
import os
import random
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as B  # noqa: E402

VALUE = 32
WARMUP_BATCHES = 2


def used(server):
    return B.info_int(server.info("memory"), "used_memory")


def evicted(server):
    return B.info_int(server.info("stats"), "evicted_keys")


def key(i):
    return b"key:%08d" % i


def load(server, tmp, count, start=0):
    path = B.write_file(os.path.join(tmp, "load-%d-%d.resp" % (start, count)), B.gen_strings,
                        start, count, VALUE)
    ok, msg = B.pipe_file(server.port, path)
    if not ok:
        raise RuntimeError("%s: load failed: %s" % (server.name, msg))


def write_batch(conn, start, count):
    conn.pipeline(*[("SET", key(i), b"x" * VALUE) for i in range(start, start + count)])


def lru_quality(server, tmp, n, rounds, pause, seed):
    empty = used(server)
    load(server, tmp, n)
    c = server.conn()
    c.call("CONFIG", "SET", "maxmemory-policy", "allkeys-lru")
    # The same budget in keys for both: 96% of what the loaded keys take. (A budget in bytes
    # would let Keel, at half the bytes per key, keep nearly all of them.)
    c.call("CONFIG", "SET", "maxmemory", str(empty + (used(server) - empty) * 96 // 100))
    rnd = random.Random(seed)
    hot, written = n // 5, n
    for _ in range(rounds):
        time.sleep(pause)
        for _ in range(0, n // 2, 10000):
            c.pipeline(*[("GET", key(rnd.randrange(hot) if rnd.random() < 0.8 else rnd.randrange(hot, n)))
                         for _ in range(10000)])
        for lo in range(written, written + n // 10, 10000):
            write_batch(c, lo, min(10000, written + n // 10 - lo))
        written += n // 10
    kept = sum(c.pipeline(*[("EXISTS", key(i)) for i in range(hot)]))
    c.close()
    return kept, evicted(server)


def boundary(server, tmp, bits, margin, batches):
    below = (1 << bits) - margin - WARMUP_BATCHES * 1000
    load(server, tmp, below)
    c = server.conn()
    c.call("CONFIG", "SET", "maxmemory-policy", "allkeys-random")
    c.call("CONFIG", "SET", "maxmemory", str(used(server)))
    written = below
    for _ in range(WARMUP_BATCHES):   # absorbs the slack of the moment the limit was set
        write_batch(c, written, 1000)
        written += 1000
    out = []
    for _ in range(batches):
        before = evicted(server)
        write_batch(c, written, 1000)
        written += 1000
        out.append(evicted(server) - before)
    c.close()
    return out


def run_pair(keel_bin, redis_bin, tmp, fn, *args):
    res = {}
    for name, binary in (("keel", keel_bin), ("redis", redis_bin)):
        s = B.Server(name, binary, tmp).start()
        try:
            res[name] = fn(s, tmp, *args)
        finally:
            s.stop()
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--keys", type=int, default=200000)
    ap.add_argument("--rounds", type=int, default=4)
    ap.add_argument("--pause", type=float, default=2.0)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--bits", type=int, default=20)
    ap.add_argument("--margin", type=int, default=5000)
    ap.add_argument("--batches", type=int, default=10)
    a = ap.parse_args()
    keel_bin, redis_bin, tmp = B.begin("eviction: LRU quality and evictions across 2^%d keys" % a.bits,
                                       "keel-bench-evict-")

    q = {"keel": [0, 0], "redis": [0, 0]}
    for seed in range(7, 7 + a.seeds):   # one trace is noisy: both servers sample
        r = run_pair(keel_bin, redis_bin, tmp, lru_quality, a.keys, a.rounds, a.pause, seed)
        for name in q:
            q[name] = [q[name][0] + r[name][0], q[name][1] + r[name][1]]
    print("LRU quality, %d traces of %d keys, hot set %d each: hot keys kept keel %d redis %d; evicted keel %d redis %d"
          % (a.seeds, a.keys, a.keys // 5, q["keel"][0], q["redis"][0], q["keel"][1], q["redis"][1]))
    b = run_pair(keel_bin, redis_bin, tmp, boundary, a.bits, a.margin, a.batches)
    print("evictions per 1,000 writes from %d keys on (2^%d = %d):" % ((1 << a.bits) - a.margin, a.bits, 1 << a.bits))
    print("  %-8s %s" % ("batch", " ".join("%6d" % i for i in range(a.batches))))
    for name in ("keel", "redis"):
        print("  %-8s %s" % (name, " ".join("%6d" % v for v in b[name])))
    B.emit_results([
        B.result_line("evict.lru_hot_kept", q["keel"][0], q["redis"][0],
                      B.ratio(q["keel"][0], q["redis"][0]), "higher"),
        B.result_line("evict.max_per_1000_writes", max(b["keel"]), max(b["redis"]),
                      B.ratio(max(b["keel"]), max(b["redis"])), "lower"),
    ])


if __name__ == "__main__":
    main()
