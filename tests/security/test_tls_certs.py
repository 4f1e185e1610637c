"""The test PKI of tests/security/gen_certs.sh (issue #17), proven against the oracle (Debian's
redis-server 7.0.15 is built with TLS); Keel's TLS is tested in test_tls.py.

The oracle checks are what the differential TLS tests against Keel rely on: the server
certificate verifies against ca.crt, tls-auth-clients yes accepts client.crt and refuses a
certificate of another CA and a missing certificate.
"""

import os
import socket
import ssl
import subprocess

import pytest

from helpers import ORACLE_SERVER, Server, free_port



def tls_args(certs, port, auth="yes"):
    return ["--tls-port", str(port),
            "--tls-cert-file", os.path.join(certs, "server.crt"),
            "--tls-key-file", os.path.join(certs, "server.key"),
            "--tls-ca-cert-file", os.path.join(certs, "ca.crt"),
            "--tls-auth-clients", auth]


def handshake(certs, port, client):
    """A raw TLS 1.2/1.3 handshake plus one PING; returns the reply bytes or raises."""
    ctx = ssl.create_default_context(cafile=os.path.join(certs, "ca.crt"))
    if client:
        ctx.load_cert_chain(os.path.join(certs, client + ".crt"), os.path.join(certs, client + ".key"))
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
        with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as s:
            s.sendall(b"PING\r\n")
            return s.recv(64)


@pytest.fixture
def oracle_tls(certs):
    port = free_port()
    server = Server(ORACLE_SERVER, tls_args(certs, port), name="redis-tls")
    server.start()
    try:
        yield port
    finally:
        server.stop()
        server.cleanup()


def test_certs_verify_against_their_ca(certs):
    ca = os.path.join(certs, "ca.crt")
    for leaf in ("server", "client"):
        r = subprocess.run(["openssl", "verify", "-CAfile", ca, os.path.join(certs, leaf + ".crt")],
                           capture_output=True, text=True, timeout=10)
        assert r.returncode == 0, r.stdout + r.stderr
    r = subprocess.run(["openssl", "verify", "-CAfile", ca, os.path.join(certs, "other-client.crt")],
                       capture_output=True, text=True, timeout=10)
    assert r.returncode != 0


def test_oracle_accepts_client_cert(certs, oracle_tls, cli_tls):
    r = cli_tls(certs, oracle_tls, "client", "PING")
    assert r.stdout.strip() == "PONG", r.stderr
    assert handshake(certs, oracle_tls, "client") == b"+PONG\r\n"


def test_oracle_refuses_other_ca_and_missing_cert(certs, oracle_tls):
    for client in ("other-client", None):
        with pytest.raises((ssl.SSLError, ConnectionError, OSError)):
            reply = handshake(certs, oracle_tls, client)
            # TLS 1.3: the refusal can arrive after the handshake, as an alert or EOF on read.
            if not reply:
                raise ConnectionError("closed")
