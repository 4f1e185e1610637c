"""Side-by-side throughput of transactions and pub/sub fan-out, Keel vs redis-server.

    /usr/bin/python3 bench/multi_pubsub.py              # default sizes, 3 rounds
    TX=2000 PUBS=2000 ROUNDS=1 /usr/bin/python3 bench/multi_pubsub.py   # a quick check

Tests (each round runs Keel then Redis, on fresh servers started by benchlib):
  multi_exec5   MULTI, 5 x SET key:<i> <value>, EXEC per transaction. CONNS connections each
                pipeline BATCH transactions per write; the rate is transactions per second.
  publish10     SUBS (10) subscribers on one channel, drained by one reader process; PUBCONNS
                publishers pipeline BATCH PUBLISH commands per write; the rate is PUBLISH
                commands per second, counted once every subscriber received every message.
Clients are forked processes pinned to the client CPU (benchlib); replies have a fixed size, so
a client reads byte counts instead of parsing.

Environment: KEEL_SERVER, REDIS_SERVER, ROUNDS [3], TX transactions per connection [50000],
PUBS publishes per publisher [100000], CONNS [4], PUBCONNS [2], SUBS [10], BATCH [100],
BENCH_RESULTS (RESULT lines appended there too).
"""

import multiprocessing
import os
import selectors
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402

ROUNDS = benchlib.env_int("ROUNDS", 3)
TX = benchlib.env_int("TX", 50000)
PUBS = benchlib.env_int("PUBS", 100000)
CONNS = benchlib.env_int("CONNS", 4)
PUBCONNS = benchlib.env_int("PUBCONNS", 2)
SUBS = benchlib.env_int("SUBS", 10)
BATCH = benchlib.env_int("BATCH", 100)

MSG = b"x" * 16


def _connect(port):
    s = socket.create_connection(("127.0.0.1", port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def _read_exactly(s, n):
    buf = bytearray(65536)
    while n > 0:
        got = s.recv_into(buf, min(n, len(buf)))
        if not got:
            raise ConnectionError("server closed the connection")
        n -= got


def _drive(port, request, reply_len, batches, start):
    """One client: send `request` (one batch) `batches` times, reading each batch's replies."""
    s = _connect(port)
    start.wait()
    for _ in range(batches):
        s.sendall(request)
        _read_exactly(s, reply_len)
    s.close()


def _tx_batch(conn_id):
    cmds = []
    for t in range(BATCH):
        cmds.append(benchlib.Conn.encode("MULTI"))
        for j in range(5):
            cmds.append(benchlib.Conn.encode("SET", "key:%d:%d:%d" % (conn_id, t, j), "v" * 8))
        cmds.append(benchlib.Conn.encode("EXEC"))
    # +OK, 5 x +QUEUED, then *5 and 5 x +OK
    return b"".join(cmds), BATCH * (5 + 5 * 9 + 4 + 5 * 5)


def _run_clients(port, jobs):
    """Starts one process per (request, reply_len, batches) job; returns elapsed seconds."""
    start = multiprocessing.Event()
    procs = [multiprocessing.Process(target=_drive, args=(port, r, n, b, start)) for r, n, b in jobs]
    for p in procs:
        p.start()
    time.sleep(0.2)   # let every client connect before the clock starts
    t0 = time.perf_counter()
    start.set()
    for p in procs:
        p.join()
    if any(p.exitcode for p in procs):
        raise RuntimeError("a client failed")
    return time.perf_counter() - t0


def bench_multi(server):
    batches = max(1, TX // BATCH)
    jobs = []
    for i in range(CONNS):
        req, n = _tx_batch(i)
        jobs.append((req, n, batches))
    elapsed = _run_clients(server.port, jobs)
    return CONNS * batches * BATCH / elapsed


def _drain(port, nsubs, expect_bytes, ready, done):
    socks = []
    for _ in range(nsubs):
        s = _connect(port)
        s.sendall(benchlib.Conn.encode("SUBSCRIBE", "ch"))
        _read_exactly(s, len(b"*3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n"))
        socks.append(s)
    ready.set()
    sel = selectors.DefaultSelector()
    for s in socks:
        sel.register(s, selectors.EVENT_READ)
    left = {s: expect_bytes for s in socks}
    buf = bytearray(262144)
    while left:
        for key, _ in sel.select():
            n = key.fileobj.recv_into(buf)
            if not n:
                raise ConnectionError("subscriber dropped")
            left[key.fileobj] -= n
            if left[key.fileobj] <= 0:
                sel.unregister(key.fileobj)
                del left[key.fileobj]
    done.set()


def bench_publish(server):
    batches = max(1, PUBS // BATCH)
    total = PUBCONNS * batches * BATCH
    message = b"*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$%d\r\n%s\r\n" % (len(MSG), MSG)
    ready, done = multiprocessing.Event(), multiprocessing.Event()
    drainer = multiprocessing.Process(target=_drain, args=(server.port, SUBS, total * len(message), ready, done))
    drainer.start()
    ready.wait(30)
    req = benchlib.Conn.encode("PUBLISH", "ch", MSG.decode()) * BATCH
    reply_len = BATCH * len(b":%d\r\n" % SUBS)
    t0 = time.perf_counter()
    _run_clients(server.port, [(req, reply_len, batches)] * PUBCONNS)
    drainer.join()
    if drainer.exitcode:
        raise RuntimeError("the subscriber reader failed")
    # _run_clients waits 0.2 s before starting its clock; count from the publishers' start.
    elapsed = time.perf_counter() - t0 - 0.2
    return total / elapsed


TESTS = [("multi_exec5", bench_multi), ("publish10", bench_publish)]


def main():
    keel_bin, redis_bin, logdir = benchlib.begin("MULTI/EXEC and PUBLISH throughput (ops/s, higher is better)",
                                                 "keel-bench-mp-")
    results = {name: ([], []) for name, _ in TESTS}
    for rnd in range(ROUNDS):
        for name, fn in TESTS:
            for side, binary in ((0, keel_bin), (1, redis_bin)):
                server = benchlib.Server(("keel", "redis")[side], binary, logdir).start()
                try:
                    results[name][side].append(fn(server))
                finally:
                    server.stop()
            print("# round %d %s keel=%.0f redis=%.0f" % (rnd + 1, name, results[name][0][-1],
                                                        results[name][1][-1]))
            sys.stdout.flush()
    lines = []
    for name, _ in TESTS:
        k, r = benchlib.median(results[name][0]), benchlib.median(results[name][1])
        lines.append(benchlib.result_line(name, k, r, benchlib.ratio(k, r), "higher"))
    benchlib.emit_results(lines)


if __name__ == "__main__":
    main()
