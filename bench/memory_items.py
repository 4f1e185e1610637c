#!/usr/bin/python3
"""Memory per item of many SMALL values and of keys with a TTL, Keel vs redis-server (issue #19).

Same method as bench/memory.py (whose run() this uses): a fresh server per dataset and round,
used_memory and VmRSS growth per item, medians over the rounds, ratio keel/redis (LOWER IS
BETTER), Keel and redis-server interleaved in one run.

Datasets (--datasets a,b,... or all; default all); N = 100,000 x --scale:
    hashes   N hashes  hash:%08d of 10 fields field:0..9, 16-byte values    item = key  goal <= 0.8
    sets     N sets    set:%08d of 10 members member:0..9                   item = key  goal <= 0.8
    intsets  N sets    iset:%08d of 10 integer members 0, 1000, ..., 9000   item = key  goal <= 0.8
    zsets    N zsets   zset:%08d of 10 members member:0..9, scores 0..9     item = key  goal <= 0.8
    lists    N lists   list:%08d of 10 16-byte elements                     item = key  goal <= 0.8
    ttl      1,000,000 x --scale keys key:%08d, 16-byte values, EX 100000   item = key  goal <= 0.5

    /usr/bin/python3 bench/memory_items.py                  # all, 3 rounds
    /usr/bin/python3 bench/memory_items.py --datasets zsets,lists --scale 0.2
Environment: as bench/memory.py (KEEL_SERVER, REDIS_SERVER, ROUNDS, BENCH_RESULTS, NO_PIN, ...).
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as B  # noqa: E402
import memory as M  # noqa: E402

VALUE = b"v" * 16


def _small_writer(prefix, cmd, n, args):
    """cmd <prefix>%08d <args...> for n keys."""
    tail = b"".join(B._bulk(x) for x in args)
    head = b"*%d\r\n%s" % (2 + len(args), B._bulk(cmd))

    def write(f):
        for lo in range(0, n, 10000):
            f.write(b"".join(head + B._bulk(b"%s%08d" % (prefix, i)) + tail for i in range(lo, min(n, lo + 10000))))
    return write


def _ttl_writer(n):
    def write(f):
        for lo in range(0, n, 10000):
            f.write(b"".join(B.Conn.encode(b"SET", b"key:%08d" % i, VALUE, b"EX", b"100000")
                             for i in range(lo, min(n, lo + 10000))))
    return write


def _check(n, probe, want, expires=None):
    def check(c):
        err = M._expect(c, ("DBSIZE",), n) or M._expect(c, probe, want)
        if err or expires is None:
            return err
        info = B.parse_info(c.call("INFO", "keyspace"))
        if ("expires=%d," % expires) not in info.get("db0", "") + ",":
            return "db0 %r: expected expires=%d" % (info.get("db0"), expires)
        return None
    return check


def datasets(scale):
    n = max(1, int(100000 * scale))
    nt = max(1, int(1000000 * scale))
    hash_args = [x for j in range(10) for x in (b"field:%d" % j, VALUE)]
    members = [b"member:%d" % j for j in range(10)]
    zargs = [x for j in range(10) for x in (b"%d" % j, b"member:%d" % j)]
    last = "%08d" % (n - 1)
    D = M.Dataset
    return {
        "hashes": D("hashes", n, "key", _small_writer(b"hash:", b"HSET", n, hash_args),
                    _check(n, ("HLEN", "hash:" + last), 10), goal=0.8),
        "sets": D("sets", n, "key", _small_writer(b"set:", b"SADD", n, members),
                  _check(n, ("SCARD", "set:" + last), 10), goal=0.8),
        "intsets": D("intsets", n, "key", _small_writer(b"iset:", b"SADD", n, [b"%d" % (j * 1000) for j in range(10)]),
                     _check(n, ("SCARD", "iset:" + last), 10), goal=0.8),
        "zsets": D("zsets", n, "key", _small_writer(b"zset:", b"ZADD", n, zargs),
                   _check(n, ("ZCARD", "zset:" + last), 10), goal=0.8),
        "lists": D("lists", n, "key", _small_writer(b"list:", b"RPUSH", n, [VALUE] * 10),
                   _check(n, ("LLEN", "list:" + last), 10), goal=0.8),
        "ttl": D("ttl", nt, "key", _ttl_writer(nt), _check(nt, ("STRLEN", "key:%08d" % (nt - 1)), 16, nt), goal=0.5),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--datasets", default="all", help="comma list, or 'all' (default all)")
    ap.add_argument("--scale", type=float, default=1.0, help="multiplier for the dataset sizes")
    ap.add_argument("--rounds", type=int, default=B.env_int("ROUNDS", 3))
    args = ap.parse_args()
    all_ds = datasets(args.scale)
    names = list(all_ds) if args.datasets == "all" else [s.strip() for s in args.datasets.split(",") if s.strip()]
    return M.run(all_ds, names, args.rounds)


if __name__ == "__main__":
    sys.exit(main())
