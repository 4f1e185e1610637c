"""Shared helpers for the Python benchmark scripts (memory.py, growth.py) and the RESP
generator used by throughput.sh.  Standard library only; run with /usr/bin/python3.

Servers are always started as  <bin> --port P --bind 127.0.0.1 --save "" --appendonly no
on a free loopback port (bound 127.0.0.1:0 first; never 6379), pinned to CPU 0 when taskset is
available; every server started here is stopped at exit, also on SIGINT/SIGTERM.

Command line (used by throughput.sh):
    benchlib.py gen strings OUT COUNT VALUE_SIZE [KEY_WIDTH]   SET key:%0<W>d <value>, i in [0,COUNT)
    benchlib.py gen list    OUT KEY COUNT [VALUE_SIZE]          RPUSH KEY ..., 1000 elements a command
    benchlib.py gen zset    OUT KEY COUNT                       ZADD KEY i member:%08d, 1000 a command
    benchlib.py gen stream  OUT KEY COUNT                       XADD KEY <i+1>-0 f1 <i> f2 abc f3 <i%100>
"""

import array
import atexit
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

PYTHON = "/usr/bin/python3"
BENCH_DIR = os.path.dirname(os.path.abspath(__file__))


def env_int(name, default):
    v = os.environ.get(name)
    return int(v) if v not in (None, "") else default


# ---------------------------------------------------------------- CPU pinning

def pinning_available():
    if os.environ.get("NO_PIN") == "1":
        return False
    return shutil.which("taskset") is not None and (os.cpu_count() or 1) >= 2


PINNED = pinning_available()
# BENCH_NICE=-10 (for example): servers and clients run at that nice level, so that unrelated
# load on a shared machine disturbs the runs less.  Off by default.
NICE = os.environ.get("BENCH_NICE") or None
PIN_NOTE = ("server on CPU 0 (helper threads on CPU 1), clients on CPU 1 (taskset)" if PINNED else "no pinning") + \
    (", nice %s" % NICE if NICE else "")


def _nice_argv():
    return ["nice", "-n", NICE] if NICE else []


def pin_server_argv():
    return (["taskset", "-c", "0"] if PINNED else []) + _nice_argv()


def pin_client_argv():
    return (["taskset", "-c", "1"] if PINNED else []) + _nice_argv()


def pin_self_to_client_cpu():
    """Move this Python process (sampler threads included) to the client CPU (and nice level)."""
    if PINNED:
        os.sched_setaffinity(0, {1})
    if NICE:
        os.setpriority(os.PRIO_PROCESS, 0, int(NICE))


# ---------------------------------------------------------------- binaries

def binaries():
    keel = os.environ.get("KEEL_SERVER") or "./keel-server"
    redis = os.environ.get("REDIS_SERVER") or shutil.which("redis-server") or "/usr/bin/redis-server"
    return keel, redis


def redis_cli():
    return os.environ.get("REDIS_CLI") or shutil.which("redis-cli") or "/usr/bin/redis-cli"


def check_binaries(keel, redis):
    for what, path in (("Keel binary", keel), ("redis-server", redis), ("redis-cli", redis_cli())):
        if not (os.path.isfile(path) and os.access(path, os.X_OK)):
            sys.exit("error: %s '%s' not found or not executable" % (what, path))


def redis_version(path):
    try:
        out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=10).stdout
        return out.split()[2]
    except Exception:
        return "?"


def header(title, keel, redis):
    la = open("/proc/loadavg").read().split()[:3]
    print("# %s" % title)
    print("# keel:  %s" % keel)
    print("# redis: %s (%s)" % (redis, redis_version(redis)))
    print("# %s  %d CPUs, load %s, %s" % (time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                                          os.cpu_count() or 0, " ".join(la), PIN_NOTE))
    sys.stdout.flush()


def begin(title, tmp_prefix):
    """Every script's start: the two binaries (checked), this process on the client CPU, a temp
    directory removed at exit, and the header.  Returns (keel, redis, tmpdir)."""
    keel, redis = binaries()
    check_binaries(keel, redis)
    pin_self_to_client_cpu()
    tmp = make_tmpdir(tmp_prefix)
    header(title, keel, redis)
    return keel, redis, tmp


# ---------------------------------------------------------------- a tiny RESP client

class ReplyError(Exception):
    pass


class Conn:
    """Blocking RESP2 client over one TCP connection; enough for INFO/DBSIZE/PING/FLUSHALL."""

    def __init__(self, port, host="127.0.0.1", timeout=30.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    @staticmethod
    def encode(*args):
        out = [b"*%d\r\n" % len(args)]
        for a in args:
            if not isinstance(a, bytes):
                a = str(a).encode()
            out.append(b"$%d\r\n%s\r\n" % (len(a), a))
        return b"".join(out)

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("server closed the connection")
        self.buf += chunk

    def _line(self):
        while True:
            i = self.buf.find(b"\r\n")
            if i >= 0:
                line, self.buf = self.buf[:i], self.buf[i + 2:]
                return line
            self._fill()

    def _read(self):
        line = self._line()
        t, rest = line[:1], line[1:]
        if t == b"+":
            return rest
        if t == b"-":
            return ReplyError(rest.decode(errors="replace"))
        if t == b":":
            return int(rest)
        if t == b"$":
            n = int(rest)
            if n < 0:
                return None
            while len(self.buf) < n + 2:
                self._fill()
            data, self.buf = self.buf[:n], self.buf[n + 2:]
            return data
        if t == b"*":
            n = int(rest)
            return None if n < 0 else [self._read() for _ in range(n)]
        raise ConnectionError("bad reply type %r" % line[:20])

    def pipeline(self, *cmds):
        """Send several commands at once; return their replies (errors returned, not raised)."""
        self.sock.sendall(b"".join(self.encode(*c) for c in cmds))
        return [self._read() for _ in cmds]

    def call(self, *args):
        r = self.pipeline(args)[0]
        if isinstance(r, ReplyError):
            raise r
        return r


def parse_info(raw):
    """INFO text -> dict of str -> str."""
    d = {}
    if isinstance(raw, bytes):
        raw = raw.decode(errors="replace")
    for line in raw.splitlines():
        if ":" in line and not line.startswith("#"):
            k, v = line.split(":", 1)
            d[k.strip()] = v.strip()
    return d


def info_int(d, key):
    try:
        return int(d[key])
    except (KeyError, ValueError):
        return None


def proc_status_kb(pid, field):
    """VmRSS / VmHWM etc. of a process in bytes (None if unavailable)."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


# ---------------------------------------------------------------- servers

_live = []


def _cleanup():
    for s in list(_live):
        s.stop()


def _on_signal(signum, frame):
    _cleanup()
    sys.exit(128 + signum)


atexit.register(_cleanup)
signal.signal(signal.SIGTERM, _on_signal)
signal.signal(signal.SIGINT, _on_signal)
signal.signal(signal.SIGHUP, _on_signal)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Server:
    def __init__(self, name, binary, logdir, args=(), cwd=None):
        self.name, self.logdir = name, logdir
        self.binary = os.path.abspath(binary) if os.sep in binary else binary   # cwd is not ours
        self.cwd = cwd or logdir   # the server's working directory: its dump.rdb, nodes.conf
        self.args = list(args)   # more command-line arguments (bench/aof.py: --appendonly yes)
        self.proc = None
        self.port = None

    @property
    def pid(self):
        return self.proc.pid

    def start(self, attempts=3, ready_timeout=10):
        """Ready when PING answers PONG (not -LOADING): ready_timeout seconds per attempt."""
        last = ""
        for _ in range(attempts):
            self.port = free_port()
            self.logpath = os.path.join(self.logdir, "%s-%d.log" % (self.name, self.port))
            log = open(self.logpath, "wb")
            argv = pin_server_argv() + [self.binary, "--port", str(self.port), "--bind", "127.0.0.1",
                                        "--save", "", "--appendonly", "no"] + self.args
            # taskset execs the server, so proc.pid is the server's pid.
            # Never the bench's own working directory: a dump.rdb or nodes.conf left there would
            # be loaded (a stray dump.rdb gave a cluster node slots before ADDSLOTSRANGE).
            self.proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, cwd=self.cwd)
            log.close()
            _live.append(self)
            deadline = time.time() + ready_timeout
            while time.time() < deadline:
                if self.proc.poll() is not None:
                    break
                try:
                    c = Conn(self.port, timeout=2)
                    ok = c.call("PING") == b"PONG"
                    c.close()
                    if ok:
                        self.pin_helper_threads()
                        return self
                except (OSError, ReplyError, ConnectionError):
                    pass
                time.sleep(0.05)
            last = self.log_tail()
            self.stop()
        raise RuntimeError("%s (%s) did not start; log tail:\n%s" % (self.name, self.binary, last))

    def pin_helper_threads(self):
        """The server's threads other than the event loop (Keel's lazy-free thread, Redis's
        bio threads) go to the client CPU, as on a machine where the event loop has a core to
        itself: on CPU 0 a background FLUSHALL ASYNC would take turns with the event loop."""
        if not PINNED:
            return
        try:
            tids = [int(t) for t in os.listdir("/proc/%d/task" % self.pid) if int(t) != self.pid]
            for tid in tids:
                os.sched_setaffinity(tid, {1})
        except OSError:
            pass

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def log_tail(self, n=15):
        try:
            with open(self.logpath, errors="replace") as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return ""

    def conn(self):
        return Conn(self.port)

    def info(self, section="memory"):
        c = self.conn()
        try:
            return parse_info(c.call("INFO", section))
        finally:
            c.close()

    def stop(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self in _live:
            _live.remove(self)
        self.proc = None


def pipe_file(port, path, timeout=600):
    """Feed a RESP file through redis-cli --pipe on the client CPU.
    Returns (ok, message); ok only when the server reported 0 errors."""
    argv = pin_client_argv() + [redis_cli(), "-p", str(port), "--pipe"]
    try:
        with open(path, "rb") as f:
            p = subprocess.run(argv, stdin=f, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return False, "redis-cli --pipe timed out after %d s" % timeout
    out = (p.stdout + p.stderr).strip()
    last = out.splitlines()[-1] if out else ""
    if p.returncode != 0:
        return False, "redis-cli --pipe exit %d: %s" % (p.returncode, last)
    if "errors: 0," not in out:
        return False, "server errors: %s" % last
    return True, last


def make_tmpdir(prefix):
    base = os.environ.get("BENCH_TMPDIR") or None
    d = tempfile.mkdtemp(prefix=prefix, dir=base)
    if os.environ.get("BENCH_KEEP_TMP") != "1":
        atexit.register(shutil.rmtree, d, True)
    return d


# ---------------------------------------------------------------- the PING probe

def compile_probe(tmp):
    """bench/ping_probe.c built with gcc -O2 into tmp; exits the script if gcc fails."""
    src = os.path.join(BENCH_DIR, "ping_probe.c")
    out = os.path.join(tmp, "ping_probe")
    p = subprocess.run(["gcc", "-O2", "-Wall", "-o", out, src], capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit("error: cannot compile %s:\n%s" % (src, p.stderr))
    return out


def probe_rt_argv(interval_us, rt=True):
    """SCHED_FIFO for the probe (root only), so that its wake-ups preempt the other clients on
    the client CPU: the latency then reflects the server, not the client CPU's run queue.  Only
    with a PING period (back-to-back PINGs under SCHED_FIFO would monopolise the CPU)."""
    if not rt or interval_us <= 0 or os.geteuid() != 0 or not shutil.which("chrt"):
        return []
    return ["chrt", "-f", "50"]


class PingProbe:
    """ping_probe against 127.0.0.1:port, on the client CPU: a PING every interval_us us on its
    own connection.  stop() returns the round trips as (send time ns, rtt ns) pairs, the send
    times on the clock of time.monotonic_ns()."""

    def __init__(self, probe_bin, port, path, interval_us=100, rt=True):
        self.argv = pin_client_argv() + probe_rt_argv(interval_us, rt) + \
            [probe_bin, "127.0.0.1", str(port), path, str(interval_us)]
        self.path, self.proc = path, None
        self.realtime = bool(probe_rt_argv(interval_us, rt))

    def start(self):
        self.proc = subprocess.Popen(self.argv, stdout=subprocess.PIPE, text=True)
        if self.proc.stdout.readline().strip() != "ready":
            self.kill()
            raise RuntimeError("ping probe did not start")
        return self

    def stop(self):
        self.proc.terminate()
        self.proc.communicate(timeout=30)
        rc, self.proc = self.proc.returncode, None
        if rc not in (0, -15):
            raise RuntimeError("ping probe exited %s (server gone?)" % rc)
        raw = array.array("Q")
        with open(self.path, "rb") as f:
            raw.frombytes(f.read())
        os.unlink(self.path)
        return [(raw[i], raw[i + 1]) for i in range(0, len(raw), 2)]

    def kill(self):
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None


def rtts_between(samples, t0, t1, in_flight=False):
    """Sorted round trips (ns) of the PINGs that ran entirely within [t0, t1), or with
    in_flight, of those that were in flight at some moment of it (a PING sent just before a
    blocking command counts toward that command)."""
    if in_flight:
        return sorted(rtt for sent, rtt in samples if sent < t1 and sent + rtt > t0)
    return sorted(rtt for sent, rtt in samples if t0 <= sent and sent + rtt <= t1)


# ---------------------------------------------------------------- statistics

def median(xs):
    xs = sorted(xs)
    n = len(xs)
    if n == 0:
        return None
    return xs[n // 2] if n % 2 else (xs[n // 2 - 1] + xs[n // 2]) / 2


def percentile(sorted_xs, p):
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_xs:
        return None
    k = max(0, min(len(sorted_xs) - 1, int(-(-p * len(sorted_xs) // 100)) - 1))
    return sorted_xs[k]


def ratio(k, r):
    if k is None or r is None or r == 0:
        return None
    return k / r


def fmt_ratio(x):
    return "n/a" if x is None else "%.3f" % x


def result_line(name, keel, redis, rat, better, extra=""):
    def f(v):
        if v is None:
            return "error"
        return ("%.6g" % v) if isinstance(v, float) else str(v)
    if rat is not None:
        rat_s = "%.4f" % rat
    else:   # a zero denominator (a count of 0) is no error
        rat_s = "error" if keel is None or redis is None else "n/a"
    s = "RESULT %s keel=%s redis=%s ratio=%s better=%s%s" % (
        name, f(keel), f(redis), rat_s, better,
        (" " + extra) if extra else "")
    return s


def emit_results(lines):
    """Print RESULT lines and append them to $BENCH_RESULTS when set."""
    for l in lines:
        print(l)
    path = os.environ.get("BENCH_RESULTS")
    if path:
        with open(path, "a") as f:
            for l in lines:
                f.write(l + "\n")


# ---------------------------------------------------------------- RESP generators

def _bulk(b):
    return b"$%d\r\n%s\r\n" % (len(b), b)


def gen_strings(f, start, count, value_size, key_width=8, batch=100000):
    """SET key:%0<W>d <value> for i in [start, start+count).  Value is value_size bytes:
    'val:' + zero-padded i when value_size >= 5+digits, else 'x' * value_size."""
    if start + count > 10 ** key_width:
        raise ValueError("key index does not fit in %d digits" % key_width)
    keylen = 4 + key_width
    head = b"*3\r\n$3\r\nSET\r\n$%d\r\nkey:%%0%dd\r\n$%d\r\n" % (keylen, key_width, value_size)
    if value_size >= 4 + key_width:
        pad = value_size - 4
        tmpl = head + b"val:%%0%dd\r\n" % pad
        two = True
    else:
        tmpl = head + b"x" * value_size + b"\r\n"
        two = False
    end = start + count
    for lo in range(start, end, batch):
        hi = min(end, lo + batch)
        if two:
            f.write(b"".join(tmpl % (i, i) for i in range(lo, hi)))
        else:
            f.write(b"".join(tmpl % i for i in range(lo, hi)))


def gen_variadic(f, cmd, key, items, per_cmd=1000):
    """cmd key <items...> in commands of per_cmd items (items: iterable of bytes tuples or bytes)."""
    batch = []
    n = 0
    for it in items:
        if isinstance(it, tuple):
            batch.extend(it)
        else:
            batch.append(it)
        n += 1
        if n == per_cmd:
            f.write(Conn.encode(cmd, key, *batch))
            batch, n = [], 0
    if batch:
        f.write(Conn.encode(cmd, key, *batch))


def gen_stream(f, key, count, batch=10000):
    """COUNT XADDs of 3 small fields with explicit, increasing IDs (the same entries on every
    server, whatever its clock)."""
    k = _bulk(key)
    for lo in range(0, count, batch):
        f.write(b"".join(b"*9\r\n$4\r\nXADD\r\n" + k + _bulk(b"%d-0" % (i + 1)) + _bulk(b"f1") + _bulk(b"%d" % i) +
                         _bulk(b"f2") + _bulk(b"abc") + _bulk(b"f3") + _bulk(b"%d" % (i % 100))
                         for i in range(lo, min(count, lo + batch))))


def write_file(path, fn, *args, **kw):
    with open(path, "wb") as f:
        fn(f, *args, **kw)
    return path


def _main(argv):
    if len(argv) >= 2 and argv[0] == "gen":
        kind, out = argv[1], argv[2]
        if kind == "strings":
            count, vsize = int(argv[3]), int(argv[4])
            width = int(argv[5]) if len(argv) > 5 else 8
            write_file(out, gen_strings, 0, count, vsize, width)
        elif kind == "list":
            key, count = argv[3].encode(), int(argv[4])
            vsize = int(argv[5]) if len(argv) > 5 else 3
            write_file(out, gen_variadic, b"RPUSH", key, (b"x" * vsize for _ in range(count)))
        elif kind == "zset":
            key, count = argv[3].encode(), int(argv[4])
            write_file(out, gen_variadic, b"ZADD", key,
                       ((b"%d" % i, b"member:%08d" % i) for i in range(count)))
        elif kind == "stream":
            write_file(out, gen_stream, argv[3].encode(), int(argv[4]))
        else:
            sys.exit("unknown generator %s" % kind)
        return 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
