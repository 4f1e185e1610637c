"""Fixtures of the TLS tests: the throw-away PKI of gen_certs.sh, made once per module, and
redis-cli --tls as a function (cli_tls)."""

import os
import subprocess

import pytest

from helpers import redis_cli_binary

HERE = os.path.dirname(os.path.abspath(__file__))


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    d = str(tmp_path_factory.mktemp("tls-certs"))
    subprocess.run([os.path.join(HERE, "gen_certs.sh"), d], check=True, timeout=120)
    return d


def run_cli_tls(certs, port, client, *cmd):
    """redis-cli --tls against 127.0.0.1:port trusting ca.crt, with <client>.crt/.key as the
    client certificate when client is given; the CompletedProcess (text)."""
    argv = [redis_cli_binary(), "-h", "127.0.0.1", "-p", str(port), "--tls",
            "--cacert", os.path.join(certs, "ca.crt")]
    if client:
        argv += ["--cert", os.path.join(certs, client + ".crt"),
                 "--key", os.path.join(certs, client + ".key")]
    return subprocess.run(argv + list(cmd), capture_output=True, text=True, timeout=20)


@pytest.fixture
def cli_tls():
    return run_cli_tls
