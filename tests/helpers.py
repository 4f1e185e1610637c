"""Starting and stopping server processes for the test suites.

Every suite talks to real server processes: the Keel binary under test and, for the
differential suites, /usr/bin/redis-server as the oracle. This module owns their life cycle so
that no test can leak a process: each server is registered in a module-level set that an atexit
hook empties, and Server.stop() always ends with SIGKILL if SIGTERM was not enough.

Servers run in their own temporary directory (cwd), bind 127.0.0.1 only, on a port picked by the
kernel, never 6379.
"""

import atexit
import ctypes
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ORACLE_SERVER = "/usr/bin/redis-server"

# Sanitizer reports that fail a test when they appear in a server's log or stderr.
SANITIZER_MARKERS = ("AddressSanitizer", "runtime error:", "LeakSanitizer", "ThreadSanitizer")

SANITIZER_ENV = {
    "ASAN_OPTIONS": "abort_on_error=1:detect_leaks=0:halt_on_error=1",
    "UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1",
}

START_TIMEOUT = 10.0   # seconds until a new server must answer PING
STOP_TIMEOUT = 10.0    # seconds between SIGTERM and SIGKILL

_live_servers = set()

PR_SET_PDEATHSIG = 1


def _die_with_parent():
    """Runs in the child before exec: the kernel sends it SIGKILL if the test process dies,
    even by SIGKILL (e.g. a CI timeout), so no server outlives its test run."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except OSError:
        pass


def server_env():
    """The environment every server process gets: ours plus the sanitizer options (harmless for
    binaries built without sanitizers)."""
    env = dict(os.environ)
    env.update(SANITIZER_ENV)
    return env


def keel_binary():
    """The server under test: $KEEL_SERVER, or ./keel-server at the repository root."""
    path = os.environ.get("KEEL_SERVER") or os.path.join(REPO_ROOT, "keel-server")
    return os.path.abspath(path)


def keel_is_redis():
    """True when the 'keel' side is really redis-server (the harness's self-check)."""
    return os.path.basename(keel_binary()).startswith("redis-server")


def redis_cli_binary():
    return os.environ.get("REDIS_CLI") or shutil.which("redis-cli") or "/usr/bin/redis-cli"


def redis_benchmark_binary():
    return (os.environ.get("REDIS_BENCHMARK") or shutil.which("redis-benchmark")
            or "/usr/bin/redis-benchmark")


def long_mode():
    """KEEL_LONG=1 selects the long variants of the bigger tests."""
    return os.environ.get("KEEL_LONG", "") not in ("", "0")


def free_port():
    """A TCP port on 127.0.0.1 that was free a moment ago (the kernel picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_is_free(port):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def wait_until(predicate, timeout, interval=0.01, what="condition"):
    """Poll predicate() until it returns a truthy value; return it, or raise after timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise TimeoutError("timed out after %.1fs waiting for %s" % (timeout, what))
        time.sleep(interval)


def ping_once(host, port, timeout=1.0, unix_path=None, loaded=False):
    """Send one PING over a fresh connection; True if the reply is +PONG (or -NOAUTH/-LOADING,
    which also prove the server is up and parsing commands; with loaded, not -LOADING: the data
    set is in memory)."""
    try:
        if unix_path:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.settimeout(timeout)
            s.connect(unix_path)
        else:
            s = socket.create_connection((host, port), timeout=timeout)
    except OSError:
        return False
    try:
        s.sendall(b"*1\r\n$4\r\nPING\r\n")
        data = b""
        while not data.endswith(b"\r\n"):
            chunk = s.recv(4096)
            if not chunk:
                return False
            data += chunk
        return data.startswith((b"+PONG", b"-NOAUTH") if loaded else (b"+PONG", b"-NOAUTH", b"-LOADING"))
    except OSError:
        return False
    finally:
        s.close()


class ServerError(Exception):
    pass


class Server:
    """One server process.

    binary:      path of redis-server or keel-server
    extra_args:  more command-line arguments, e.g. ["--requirepass", "secret"]
    config_file: optional config file, passed first as redis-server expects
    name:        label used in the temp dir name and in messages

    The standard arguments are --port P --bind 127.0.0.1 --save "" --appendonly no
    --logfile <tmp>/server.log; stdout and stderr go to <tmp>/stdout.log and <tmp>/stderr.log.
    """

    def __init__(self, binary, extra_args=(), config_file=None, name="server", port=None):
        self.binary = os.path.abspath(binary)
        self.extra_args = [str(a) for a in extra_args]
        self.config_file = config_file
        self.name = name
        self.host = "127.0.0.1"
        self.port = port
        self.proc = None
        self.dir = tempfile.mkdtemp(prefix="keel-%s-" % name)
        self.logfile = os.path.join(self.dir, "server.log")
        self.stdout_path = os.path.join(self.dir, "stdout.log")
        self.stderr_path = os.path.join(self.dir, "stderr.log")
        self.unix_path = None

    # ---- life cycle -------------------------------------------------------------------

    def command_line(self):
        argv = [self.binary]
        if self.config_file:
            argv.append(self.config_file)
        argv += ["--port", str(self.port), "--bind", self.host, "--save", "",
                 "--appendonly", "no", "--logfile", self.logfile]
        argv += self.extra_args
        return argv

    def start(self, attempts=3):
        """Start the process and wait until it answers PING. A port taken between free_port()
        and bind() is the one failure worth retrying, with a new port."""
        if not os.path.exists(self.binary):
            raise ServerError("server binary %s does not exist (build it first)" % self.binary)
        fixed_port = self.port is not None
        for attempt in range(attempts):
            if not fixed_port:
                self.port = free_port()
            self._spawn()
            try:
                self._wait_ready()
                return self
            except ServerError:
                exited = self.proc.poll() is not None
                self.stop(check=False)
                if exited and not fixed_port and attempt + 1 < attempts and self._port_clash():
                    continue
                raise
        return self

    def _spawn(self):
        env = server_env()
        with open(self.stdout_path, "ab") as out, open(self.stderr_path, "ab") as err:
            self.proc = subprocess.Popen(self.command_line(), cwd=self.dir,
                                         stdin=subprocess.DEVNULL, stdout=out, stderr=err, env=env,
                                         start_new_session=True, preexec_fn=_die_with_parent)
        _live_servers.add(self)

    def _wait_ready(self):
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise ServerError("%s exited with status %s during start-up\n%s"
                                  % (self.name, self.proc.returncode, self.diagnostics()))
            # Past -LOADING: an AOF load serves clients from its first command (as Redis's), so
            # a restarted server would otherwise be "ready" with its data set half loaded.
            if ping_once(self.host, self.port, timeout=0.5, unix_path=self.unix_path, loaded=True):
                return
            time.sleep(0.01)
        raise ServerError("%s did not answer PING within %.0fs\n%s"
                          % (self.name, START_TIMEOUT, self.diagnostics()))

    def _port_clash(self):
        text = self.read_logs()
        return "Address already in use" in text

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, check=True):
        """SIGTERM, wait, SIGKILL. With check=True raise if the log shows a sanitizer report."""
        proc = self.proc
        if proc is not None and proc.poll() is None:
            try:
                proc.send_signal(signal.SIGTERM)
                proc.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=STOP_TIMEOUT)
            except ProcessLookupError:
                pass
        _live_servers.discard(self)
        if check:
            self.check_sanitizers()

    def kill(self):
        """SIGKILL at once (used by the atexit hook)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            try:
                self.proc.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                pass
        _live_servers.discard(self)

    def cleanup(self):
        """Remove the temporary directory (only once the process is gone). KEEL_KEEP_DIRS=1 in
        the environment keeps every directory, for a post-mortem of a flaky test."""
        if os.environ.get("KEEL_KEEP_DIRS") == "1":
            return
        if not self.alive():
            shutil.rmtree(self.dir, ignore_errors=True)

    # ---- diagnostics ------------------------------------------------------------------

    def read_logs(self):
        parts = []
        for path in (self.logfile, self.stderr_path, self.stdout_path):
            try:
                with open(path, "r", errors="replace") as f:
                    parts.append(f.read())
            except OSError:
                pass
        return "\n".join(parts)

    def sanitizer_report(self):
        text = self.read_logs()
        for marker in SANITIZER_MARKERS:
            if marker in text:
                return text
        return None

    def check_sanitizers(self):
        report = self.sanitizer_report()
        if report:
            raise ServerError("sanitizer report from %s (%s):\n%s"
                              % (self.name, self.binary, tail(report, 200)))

    def diagnostics(self, lines=40):
        return "command: %r\n--- last log lines ---\n%s" % (self.command_line(),
                                                           tail(self.read_logs(), lines))

    # ---- clients ----------------------------------------------------------------------

    def client(self, **kwargs):
        """A redis-py client (bytes replies). Timeouts keep a wedged server from hanging a test."""
        import redis
        kwargs.setdefault("socket_timeout", 30)
        kwargs.setdefault("socket_connect_timeout", 5)
        return redis.Redis(host=self.host, port=self.port, decode_responses=False, **kwargs)

    def raw(self, timeout=10.0):
        """A RespConnection (tests/diff/resp.py) to this server."""
        from diff.resp import RespConnection
        return RespConnection(self.host, self.port, timeout=timeout)

    def __repr__(self):
        return "<Server %s %s port=%s>" % (self.name, os.path.basename(self.binary), self.port)


def on_each_server(start_server, args, fn):
    """fn(server, client) on a fresh Keel, then on a fresh redis-server, both started with args
    (start_server is the conftest fixture); returns both results, Keel's first."""
    out = []
    for binary in (keel_binary(), ORACLE_SERVER):
        server = start_server(list(args), binary=binary)
        c = server.client()
        try:
            out.append(fn(server, c))
        finally:
            c.close()
    return out


def log_count(server, needle):
    """How many lines of the server's log contain needle."""
    with open(server.logfile, errors="replace") as f:
        return sum(needle in line for line in f)


def tail(text, lines):
    return "\n".join(text.splitlines()[-lines:])


@atexit.register
def _kill_leftovers():
    for server in list(_live_servers):
        server.kill()


def child_pids(pid):
    """The processes whose parent is pid (any of its threads), from /proc (Linux)."""
    kids = []
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/children" % (pid, tid)) as f:
                kids += [int(k) for k in f.read().split()]
        except OSError:   # the thread ended meanwhile
            pass
    return kids
