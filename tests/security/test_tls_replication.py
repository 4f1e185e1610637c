"""Keel as a replica over TLS (tls-replication yes, issue #17).

A Keel replica with tls-replication yes connects to its primary's tls-port with TLS (its client
certificate: tls-client-cert-file/-key-file, else its server certificate; the primary's
certificate checked against the CA). Both kinds of primary: redis-server 7.0.15 and Keel. Each
test runs a full sync under a mixed write load, streams more writes, cuts the link from the
primary (CLIENT KILL TYPE replica) and checks that the reconnection is a partial sync, then
compares every key on both sides. The same scenario with a redis-server replica is the
reference for what the primary reports (the replica's announced port is its tls-port).
"""

import os
import random

import pytest

from helpers import ORACLE_SERVER, Server, free_port, keel_binary, wait_until
from repl.replutil import assert_same_data, info, wait_synced, write_load


def tls_args(certs, port, extra=()):
    return ["--tls-port", str(port),
            "--tls-cert-file", os.path.join(certs, "server.crt"),
            "--tls-key-file", os.path.join(certs, "server.key"),
            "--tls-ca-cert-file", os.path.join(certs, "ca.crt")] + list(extra)


def start(binary, certs, name, extra=()):
    tls_port = free_port()
    srv = Server(binary, tls_args(certs, tls_port, extra), name=name)
    srv.tls_port = tls_port
    return srv.start()


def sync_scenario(primary, replica_binary, certs, seed, replica_extra=()):
    """Full sync, streaming, a cut and a partial sync, data compared. Returns what the primary
    reported about its replica."""
    rng = random.Random(seed)
    p = primary.client()
    write_load(p, rng, 1500)
    p.set("big", "x" * 300000)   # records of 16 KB in a row through the RDB transfer
    replica = start(replica_binary, certs, "tls-replica",
                    ["--tls-replication", "yes", "--replicaof", "127.0.0.1", str(primary.tls_port)]
                    + list(replica_extra))
    try:
        r = replica.client()
        wait_synced(p, r, timeout=30)
        full = info(p, "stats")["sync_full"]
        write_load(p, rng, 500, start=10000)
        assert_same_data(p, r)
        slave = info(p)["slave0"]

        # The primary drops the link: the replica reconnects over TLS and continues.
        partial = info(p, "stats")["sync_partial_ok"]
        assert p.execute_command("CLIENT", "KILL", "TYPE", "replica") == 1
        wait_until(lambda: info(p, "stats")["sync_partial_ok"] == partial + 1, 20,
                   what="a partial resync")
        write_load(p, rng, 300, start=20000)
        assert_same_data(p, r)
        assert info(p, "stats")["sync_full"] == full
        assert info(r)["master_link_status"] == "up"
        r.close()
        p.close()
        return slave, replica.tls_port
    finally:
        replica.stop()
        replica.cleanup()


@pytest.mark.parametrize("primary_kind", ["redis", "keel"])
def test_keel_replica_over_tls(certs, primary_kind):
    binary = ORACLE_SERVER if primary_kind == "redis" else keel_binary()
    primary = start(binary, certs, "tls-primary-" + primary_kind,
                    ["--repl-diskless-sync-delay", "0", "--repl-backlog-size", "8mb"])
    try:
        slave, replica_tls_port = sync_scenario(primary, keel_binary(), certs, 17)
        # REPLCONF listening-port carried the replica's tls-port, as a redis-server replica's.
        assert slave["port"] == replica_tls_port, slave
    finally:
        primary.stop()
        primary.cleanup()


def test_keel_replica_with_client_certificate_files(certs):
    """tls-client-cert-file/-key-file name the certificate of the outgoing link; a primary that
    requires client certificates accepts it (client.crt carries only clientAuth)."""
    primary = start(keel_binary(), certs, "tls-primary-clientcert", ["--repl-diskless-sync-delay", "0"])
    try:
        sync_scenario(primary, keel_binary(), certs, 18,
                      ["--tls-client-cert-file", os.path.join(certs, "client.crt"),
                       "--tls-client-key-file", os.path.join(certs, "client.key")])
    finally:
        primary.stop()
        primary.cleanup()


def test_tls_replica_refuses_foreign_certificate(certs):
    """A replica whose CA does not know the primary's certificate never gets the link up and
    says why in its log; redis-server in the same place does the same."""
    for binary in (keel_binary(), ORACLE_SERVER):
        primary = start(binary, certs, "tls-primary-foreign")
        replica = None
        try:
            replica = start(binary, certs, "tls-replica-foreign",
                            ["--tls-replication", "yes", "--replicaof", "127.0.0.1", str(primary.tls_port),
                             "--tls-ca-cert-file", os.path.join(certs, "other-ca.crt")])
            r = replica.client()
            wait_until(lambda: "certificate verify failed" in open(replica.logfile).read(), 10,
                       what="a handshake failure in the log")
            assert info(r)["master_link_status"] == "down"
            assert info(primary.client())["connected_slaves"] == 0
            r.close()
        finally:
            for srv in (replica, primary):
                if srv:
                    srv.stop()
                    srv.cleanup()



@pytest.mark.parametrize("primary_kind", ["redis", "keel"])
@pytest.mark.parametrize("sync", ["yes", "no"])
def test_diskless_load_over_tls(certs, primary_kind, sync):
    """repl-diskless-load swapdb over TLS: the replica parses the payload from the TLS link
    ("$EOF:" framing with a diskless primary, "$<size>" with a disk one) with clients served
    every 1 KB and key-load-delay slowing it, and every key matches at the end."""
    rng = random.Random(19)
    binary = ORACLE_SERVER if primary_kind == "redis" else keel_binary()
    primary = start(binary, certs, "tls-primary-dl-" + primary_kind,
                    ["--repl-diskless-sync", sync, "--repl-diskless-sync-delay", "0"])
    replica = None
    try:
        p = primary.client()
        write_load(p, rng, 1500)
        p.set("big", "x" * 300000)
        replica = start(keel_binary(), certs, "tls-replica-dl",
                        ["--tls-replication", "yes", "--repl-diskless-load", "swapdb",
                         "--key-load-delay", "200", "--loading-process-events-interval-bytes", "1024"])
        r = replica.client()
        r.set("old", "value")
        r.replicaof("127.0.0.1", primary.tls_port)
        wait_synced(p, r, timeout=60)
        write_load(p, rng, 300, start=10000)
        assert_same_data(p, r)
        assert r.get("old") is None
        with open(replica.logfile, errors="replace") as f:
            log = f.read()
        assert "to parser" in log and "Finished with success" in log
    finally:
        if replica:
            replica.stop()
            replica.cleanup()
        primary.stop()
