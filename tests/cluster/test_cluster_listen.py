"""A port that cannot be listened on at start-up: the server exits with status 1 and logs Redis's
"Failed listening on port N (cluster|TCP), aborting." line, as redis-server does. Redis's test
suite looks for that line to start the server again on other ports (support/server.tcl,
wait_server_started); without it a bus port taken between its check and the bind stalled the
suite for two minutes and failed the unit.
"""

import os
import socket
import subprocess
import tempfile

import pytest

from cluster.cluster_util import cluster_port
from helpers import ORACLE_SERVER, keel_binary, server_env


def held(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    s.listen(1)
    return s


def start_and_fail(binary, port, hold):
    """Runs a cluster node on port while hold (a port) is taken; (exit status, log text)."""
    sock = held(hold)
    d = tempfile.mkdtemp(prefix="keel-cluster-listen-")
    log = os.path.join(d, "server.log")
    try:
        proc = subprocess.run([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                               "--appendonly", "no", "--cluster-enabled", "yes", "--dir", d,
                               "--logfile", log], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, env=server_env(), timeout=30)
        with open(log, errors="replace") as f:
            return proc.returncode, f.read()
    finally:
        sock.close()
        subprocess.run(["rm", "-rf", d])


@pytest.mark.parametrize("which", ["cluster", "TCP"])
def test_failed_listening_line_as_redis(which):
    for binary in (keel_binary(), ORACLE_SERVER):
        port = cluster_port()
        hold = port + 10000 if which == "cluster" else port
        rc, text = start_and_fail(binary, port, hold)
        assert rc == 1, (binary, text)
        assert "Failed listening on port %d (%s), aborting." % (hold, which) in text, (binary, text)
        assert "Ready to accept connections" not in text
