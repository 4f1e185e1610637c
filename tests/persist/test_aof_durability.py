"""Durability of the AOF under kill -9: clients write under a pipelined load and log every write
the server acknowledged; the server is killed with SIGKILL at a random moment, restarted on its
AOF, and every acknowledged write must be there (appendfsync always), or all but those of about
the last second before the kill (everysec). Cycles: a few in make test, 100 with KEEL_LONG=1.
"""

import os
import random
import signal
import threading
import time

import pytest

from diff.resp import ConnectionClosed, RespConnection
from helpers import Server, keel_binary, long_mode, wait_until

CYCLES = 100 if long_mode() else 4
WRITERS = 3
PIPELINE = 16


class Writer(threading.Thread):
    """Pipelines SET <prefix>:<n> <n> and records (n, time) of each acknowledged write."""

    def __init__(self, port, prefix, start_n):
        super().__init__(daemon=True)
        self.port, self.prefix, self.n = port, prefix, start_n
        self.acked = []
        self.error = None

    def run(self):
        try:
            conn = RespConnection("127.0.0.1", self.port, timeout=10.0)
        except OSError as e:
            self.error = e
            return
        try:
            while True:
                batch = [("SET", "%s:%d" % (self.prefix, self.n + i), str(self.n + i)) for i in range(PIPELINE)]
                conn.send_raw(b"".join(_encode(c) for c in batch))
                for i in range(PIPELINE):
                    reply = conn.read_reply()
                    assert reply.raw == b"+OK\r\n", reply
                    self.acked.append((self.n + i, time.monotonic()))
                self.n += PIPELINE
        except (ConnectionClosed, OSError):
            pass   # the kill
        except Exception as e:  # noqa: BLE001 - reported by the test
            self.error = e
        finally:
            conn.close()


def _encode(args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a.encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


def _missing(server, writers):
    """[(writer, n, ack time)] of acknowledged writes absent after the restart."""
    conn = RespConnection("127.0.0.1", server.port, timeout=30.0)
    try:
        missing = []
        for w in writers:
            for start in range(0, len(w.acked), 500):
                chunk = w.acked[start:start + 500]
                replies = conn.pipeline([("GET", "%s:%d" % (w.prefix, n)) for n, _ in chunk])
                for (n, t), r in zip(chunk, replies):
                    if r.raw != b"$%d\r\n%d\r\n" % (len(str(n)), n):
                        missing.append((w.prefix, n, t))
        return missing
    finally:
        conn.close()


@pytest.mark.parametrize("fsync", ["always", "everysec"])
def test_kill9_keeps_acknowledged_writes(tmp_path, fsync):
    rng = random.Random(fsync)
    directory = str(tmp_path / "keel")
    os.mkdir(directory)
    args = ["--appendonly", "yes", "--appendfsync", fsync]
    total_acked = 0
    for cycle in range(CYCLES):
        server = Server(keel_binary(), name="keel-kill9", extra_args=args)
        server.dir = directory
        server.start()
        try:
            writers = [Writer(server.port, "c%d-w%d" % (cycle, i), 0) for i in range(WRITERS)]
            for w in writers:
                w.start()
            target = rng.randint(100, 4000)      # the kill comes after a random number of writes
            wait_until(lambda: sum(len(w.acked) for w in writers) >= target or any(w.error for w in writers),
                       60, interval=0.001, what="%d acknowledged writes" % target)
            kill_time = time.monotonic()
            os.kill(server.proc.pid, signal.SIGKILL)
            server.proc.wait(timeout=10)
            for w in writers:
                w.join(timeout=30)
                assert w.error is None, w.error
        finally:
            server.stop(check=False)
        server.start()
        try:
            missing = _missing(server, writers)
        finally:
            server.stop()
        acked = sum(len(w.acked) for w in writers)
        total_acked += acked
        if fsync == "always":
            assert not missing, "%d of %d acknowledged writes lost: %r" % (len(missing), acked, missing[:10])
        else:
            late = [m for m in missing if m[2] < kill_time - 1.5]
            assert not late, "writes acknowledged over a second before the kill were lost: %r" % late[:10]
    assert total_acked > CYCLES * WRITERS * PIPELINE, "the load never got going"
