"""A cluster node that starts with data, as Redis's verifyClusterConfigWithData: after the load,
a primary takes every unassigned slot it has keys in ("I have keys for unassigned slot N.
Taking responsibility for it."), marks a slot it has keys in but another node owns as importing
from that node, and refuses to run with keys outside database 0. Keel and redis-server start on
the same dump.rdb (written by redis-server) and the same nodes.conf; their slot tables and log
lines are compared.
"""

import os
import shutil
import subprocess

import pytest

from cluster.cluster_util import cluster_port, start_node
from helpers import ORACLE_SERVER, Server, keel_binary, server_env

KEYS = {b"a": 15495, b"b": 3300, b"{b}x": 3300, b"c": 7365}
OTHER = "f" * 40


def dump_file(tmp_path, db=0):
    """dump.rdb from redis-server with KEYS in database db; its path."""
    src = Server(ORACLE_SERVER, name="dump")
    src.start()
    try:
        c = src.client()
        c.execute_command("SELECT", db)
        for k in KEYS:
            c.set(k, b"v")
        c.execute_command("SAVE")
    finally:
        src.stop()
    path = str(tmp_path / ("dump-db%d.rdb" % db))
    shutil.copy(os.path.join(src.dir, "dump.rdb"), path)
    src.cleanup()
    return path


def restart_with(node, rdb, other_owns=None):
    """Stops node, gives it rdb and (with other_owns, a slot) a nodes.conf in which a second
    primary OTHER owns that slot, and starts it again on the same port."""
    node.stop()
    shutil.copy(rdb, os.path.join(node.dir, "dump.rdb"))
    if other_owns is not None:
        conf = os.path.join(node.dir, "nodes.conf")
        with open(conf) as f:
            lines = [ln for ln in f.read().splitlines() if ln and not ln.startswith("vars")]
        lines.append("%s 127.0.0.1:1@2 master - 0 0 1 connected %d" % (OTHER, other_owns))
        lines.append("vars currentEpoch 1 lastVoteEpoch 0")
        with open(conf, "w") as f:
            f.write("\n".join(lines) + "\n")
    node.start()
    return node


def myself_line(node):
    text = node.client().execute_command("CLUSTER", "NODES")
    text = text.decode() if isinstance(text, bytes) else text
    return next(ln for ln in text.splitlines() if "myself" in ln).split()


@pytest.mark.parametrize("binary", ["keel", "redis"])
def test_unassigned_slots_with_keys_are_taken(tmp_path, binary):
    rdb = dump_file(tmp_path)
    node = start_node(keel_binary() if binary == "keel" else ORACLE_SERVER, binary)
    try:
        restart_with(node, rdb)
        slots = sorted(set(KEYS.values()))
        assert myself_line(node)[8:] == [str(s) for s in slots]
        info = node.client().execute_command("CLUSTER", "INFO")
        info = info.decode() if isinstance(info, bytes) else info
        assert "cluster_slots_assigned:%d" % len(slots) in info
        log = node.read_logs()
        for s in slots:
            assert log.count("I have keys for unassigned slot %d. Taking responsibility for it." % s) == 1
        # nodes.conf was saved: a second restart takes nothing again and keeps the slots
        node.stop()
        node.start()
        assert myself_line(node)[8:] == [str(s) for s in slots]
        assert node.read_logs().count("Taking responsibility") == len(slots)
        assert node.client().dbsize() == len(KEYS)
    finally:
        node.stop()
        node.cleanup()


@pytest.mark.parametrize("binary", ["keel", "redis"])
def test_slot_owned_elsewhere_becomes_importing(tmp_path, binary):
    rdb = dump_file(tmp_path)
    node = start_node(keel_binary() if binary == "keel" else ORACLE_SERVER, binary)
    try:
        restart_with(node, rdb, other_owns=KEYS[b"a"])
        line = myself_line(node)
        assert "[%d-<-%s]" % (KEYS[b"a"], OTHER) in line
        assert [s for s in line[8:] if not s.startswith("[")] == [str(s) for s in sorted({3300, 7365})]
        assert ("I have keys for slot %d, but the slot is assigned to another node. Setting it to "
                "importing state." % KEYS[b"a"]) in node.read_logs()
    finally:
        node.stop()
        node.cleanup()


def test_keys_outside_db0_refuse_to_start(tmp_path):
    """Redis's intended behaviour (its main() logs this line and exits 1). redis-server 7.0.15
    itself never gets there on this file: it crashes with SIGSEGV in slotToKeyAddEntry while
    loading a key of database 1 (only database 0 has a slot index), so it is not compared."""
    binary = "keel"
    rdb = dump_file(tmp_path, db=1)
    d = str(tmp_path / binary)
    os.mkdir(d)
    shutil.copy(rdb, os.path.join(d, "dump.rdb"))
    log = os.path.join(d, "server.log")
    port = cluster_port()
    proc = subprocess.run([keel_binary() if binary == "keel" else ORACLE_SERVER, "--port", str(port),
                           "--bind", "127.0.0.1", "--cluster-enabled", "yes", "--dir", d, "--logfile", log],
                          stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                          env=server_env(), timeout=60)
    with open(log, errors="replace") as f:
        text = f.read()
    assert proc.returncode == 1, text
    assert "You can't have keys in a DB different than DB 0 when in Cluster mode. Exiting." in text
