"""masteruser/masterauth with an ACL user: the replica's handshake sends AUTH <user> <password>,
so the primary can disable the default user and give replication a user that may only run
PSYNC, REPLCONF and PING. Keel and redis-server on either side; a wrong password keeps the link
down (and the primary's data out of the replica) until CONFIG SET masterauth fixes it."""

import random

import pytest

from helpers import ORACLE_SERVER, keel_binary, wait_until
from repl.replutil import assert_same_data, write_load

PRIMARY_ACL = ["--user", "default", "off",
               "--user", "admin", "on", ">adminpw", "~*", "&*", "+@all",
               "--user", "repl", "on", ">replpw", "+psync", "+replconf", "+ping",
               "--repl-diskless-sync-delay", "0"]
CASES = [("keel", "keel"), ("redis", "keel"), ("keel", "redis")]


def _binary(kind):
    return ORACLE_SERVER if kind == "redis" else keel_binary()


@pytest.mark.parametrize("primary_kind,replica_kind", CASES, ids=["-".join(c) for c in CASES])
def test_masteruser(start_server, primary_kind, replica_kind):
    primary = start_server(PRIMARY_ACL, binary=_binary(primary_kind))
    replica = start_server(["--masteruser", "repl", "--masterauth", "wrong"],
                           binary=_binary(replica_kind))
    p = primary.client(username="admin", password="adminpw")
    r = replica.client()
    write_load(p, random.Random(8), 500)
    r.execute_command("REPLICAOF", "127.0.0.1", primary.port)
    wait_until(lambda: "Unable to AUTH to MASTER" in replica.read_logs(), 10, interval=0.05,
               what="the replica to log its AUTH failure")
    assert r.info("replication")["master_link_status"] == "down"
    assert r.dbsize() == 0
    assert r.config_get("masteruser") == {"masteruser": "repl"}
    r.config_set("masterauth", "replpw")
    wait_until(lambda: r.info("replication")["master_link_status"] == "up", 20, interval=0.05,
               what="the link to come up with the right password")
    write_load(p, random.Random(9), 500, start=500)
    assert_same_data(p, r)
    # The primary lists the replica as connected under the repl user.
    clients = p.client_list(_type="replica")
    assert len(clients) == 1 and clients[0]["user"] == "repl"


@pytest.mark.parametrize("primary_kind,replica_kind", CASES, ids=["-".join(c) for c in CASES])
def test_binary_requirepass_and_masterauth(start_server, primary_kind, replica_kind):
    """requirepass and masterauth are binary-safe, as Redis's (sds): a password with a NUL byte
    is stored whole (CONFIG GET returns it), AUTH needs all of it, and the replica's handshake
    sends all of it (the suite's unit/auth "MASTERAUTH test with binary password")."""
    password = b"abc\x00def"
    primary = start_server(["--repl-diskless-sync-delay", "0"], binary=_binary(primary_kind))
    replica = start_server(binary=_binary(replica_kind))
    p = primary.client()
    p.config_set("requirepass", password)
    p = primary.client(password=password)
    assert p.config_get("requirepass") == {"requirepass": password.decode()}
    prefix_only = primary.client()
    with pytest.raises(Exception, match="WRONGPASS"):
        prefix_only.auth(b"abc")
    write_load(p, random.Random(10), 300)
    r = replica.client()
    r.execute_command("REPLICAOF", "127.0.0.1", primary.port)
    r.config_set("masterauth", b"abc")
    wait_until(lambda: "Unable to AUTH to MASTER" in replica.read_logs(), 10, interval=0.05,
               what="the replica to log its AUTH failure with the password's prefix")
    assert r.info("replication")["master_link_status"] == "down"
    r.config_set("masterauth", password)
    assert r.config_get("masterauth") == {"masterauth": password.decode()}
    wait_until(lambda: r.info("replication")["master_link_status"] == "up", 20, interval=0.05,
               what="the link to come up with the whole binary password")
    assert_same_data(p, r)
