#!/usr/bin/env python3
"""Throughput over TLS, Keel vs redis-server side by side (issue #17).

    /usr/bin/python3 bench/tls.py                 # 3 rounds, SET and GET at -P 1 and -P 16
    ROUNDS=5 N=200000 /usr/bin/python3 bench/tls.py
    KEEL_SERVER=/usr/bin/redis-server /usr/bin/python3 bench/tls.py   # sanity: redis vs redis

Both servers get the same throw-away PKI (tests/security/gen_certs.sh), `--port 0` and a
tls-port, tls-auth-clients yes; redis-benchmark connects with --tls and the client certificate
(-c CLIENTS, -r 100000, 3-byte values). Each round runs every (test, pipeline) on Keel then on
redis-server (interleaved, so load on the shared machine hits both alike); the table gives the
median requests/s of each and the ratio keel/redis of the medians (higher is better), then one
line per row:  RESULT tls.<test>.P<p> keel=<rps> redis=<rps> ratio=<keel/redis>
Exit status 1 if a server could not start or died.
"""

import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KEEL = os.path.abspath(os.environ.get("KEEL_SERVER", os.path.join(ROOT, "keel-server")))
REDIS = os.environ.get("REDIS_SERVER", shutil.which("redis-server") or "/usr/bin/redis-server")
BENCH = shutil.which("redis-benchmark") or "/usr/bin/redis-benchmark"
ROUNDS = int(os.environ.get("ROUNDS", "3"))
N = int(os.environ.get("N", "200000"))          # requests per run at -P 16
N_P1 = int(os.environ.get("N_P1", "50000"))     # requests per run at -P 1
CLIENTS = int(os.environ.get("CLIENTS", "50"))
TESTS = os.environ.get("TESTS", "set,get").split(",")
PIPELINES = [int(p) for p in os.environ.get("PIPELINES", "1 16").split()]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(binary, name, certs, workdir):
    port = free_port()
    d = os.path.join(workdir, name)
    os.makedirs(d)
    argv = [binary, "--port", "0", "--bind", "127.0.0.1", "--tls-port", str(port),
            "--tls-cert-file", os.path.join(certs, "server.crt"),
            "--tls-key-file", os.path.join(certs, "server.key"),
            "--tls-ca-cert-file", os.path.join(certs, "ca.crt"),
            "--save", "", "--appendonly", "no", "--logfile", os.path.join(d, "log")]
    proc = subprocess.Popen(argv, cwd=d, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit("%s exited at start-up (log in %s)" % (name, d))
        if cli(certs, port, "PING") == "PONG":
            return proc, port
        time.sleep(0.05)
    proc.kill()
    sys.exit("%s did not answer PING over TLS" % name)


def tls_flags(certs):
    return ["--tls", "--cacert", os.path.join(certs, "ca.crt"),
            "--cert", os.path.join(certs, "client.crt"), "--key", os.path.join(certs, "client.key")]


def cli(certs, port, *cmd):
    r = subprocess.run(["redis-cli", "-p", str(port)] + tls_flags(certs) + list(cmd),
                       capture_output=True, text=True, timeout=30)
    return r.stdout.strip()


def run_one(certs, port, test, pipeline):
    n = N if pipeline > 1 else N_P1
    cli(certs, port, "FLUSHALL")
    if test == "get":   # every GET hits: the keys SET writes first
        subprocess.run([BENCH, "-p", str(port)] + tls_flags(certs) +
                       ["-t", "set", "-n", "100000", "-r", "100000", "-P", "64", "-q", "--csv"],
                       capture_output=True, timeout=300)
    r = subprocess.run([BENCH, "-p", str(port)] + tls_flags(certs) +
                       ["-t", test, "-n", str(n), "-r", "100000", "-c", str(CLIENTS), "-P", str(pipeline),
                        "-q", "--csv"], capture_output=True, text=True, timeout=300)
    for line in r.stdout.splitlines():
        cols = [c.strip('"') for c in line.split(",")]
        if len(cols) > 1 and cols[0].lower() == test:
            return float(cols[1])
    return None


def main():
    work = tempfile.mkdtemp(prefix="keel-bench-tls-")
    certs = os.path.join(work, "certs")
    subprocess.run([os.path.join(ROOT, "tests/security/gen_certs.sh"), certs], check=True, timeout=120)
    procs = {}
    status = 0
    try:
        procs["keel"] = start(KEEL, "keel", certs, work)
        procs["redis"] = start(REDIS, "redis", certs, work)
        results = {}
        for rnd in range(ROUNDS):
            for test in TESTS:
                for p in PIPELINES:
                    for name in ("keel", "redis"):
                        proc, port = procs[name]
                        if proc.poll() is not None:
                            print("%s died" % name)
                            return 1
                        rps = run_one(certs, port, test, p)
                        if rps is not None:
                            results.setdefault((test, p, name), []).append(rps)
            print("round %d/%d done" % (rnd + 1, ROUNDS), file=sys.stderr)
        print("%-12s %14s %14s %8s" % ("tls test", "keel rps", "redis rps", "ratio"))
        lines = []
        for test in TESTS:
            for p in PIPELINES:
                k = results.get((test, p, "keel"))
                r = results.get((test, p, "redis"))
                if not k or not r:
                    print("%-12s error" % ("%s P%d" % (test, p)))
                    status = 1
                    continue
                mk, mr = statistics.median(k), statistics.median(r)
                print("%-12s %14.0f %14.0f %8.2f" % ("%s P%d" % (test, p), mk, mr, mk / mr))
                lines.append("RESULT tls.%s.P%d keel=%.0f redis=%.0f ratio=%.3f better=higher rounds=%d"
                             % (test, p, mk, mr, mk / mr, ROUNDS))
        for line in lines:
            print(line)
        if os.environ.get("BENCH_RESULTS"):
            with open(os.environ["BENCH_RESULTS"], "a") as f:
                f.write("\n".join(lines) + "\n")
    finally:
        for proc, _port in procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
        shutil.rmtree(work, ignore_errors=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
