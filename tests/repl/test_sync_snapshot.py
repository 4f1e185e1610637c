"""The primary's snapshot for replicas (primary.c), Keel beside redis-server: a file snapshot
that no replica waits for any more stops when no save point wants the file, and goes on when
one does (Redis's "Kill rdb child process if its dumping RDB is not useful"); a diskless
transfer logs "Background RDB transfer started by pid" (Keel: its stand-in process)."""

import pytest

from helpers import wait_until
from repl.replutil import wait_synced

ARGS = ["--enable-debug-command", "yes"]


def saving(c):
    return c.info("persistence")["rdb_bgsave_in_progress"]


def waiting_bgsave(c):
    info = c.info("replication")
    return sum("wait_bgsave" in str(info.get("slave%d" % i, "")) for i in range(2))


@pytest.mark.parametrize("save", ["", "900 1"])
def test_file_snapshot_stops_without_replicas(start_server, binary, save):
    m = start_server(ARGS, binary=binary)
    mc = m.client()
    for i in range(100):
        mc.set(i, i)
    mc.config_set("rdb-key-save-delay", "1000000")   # 1 s a key: far longer than the test
    mc.config_set("repl-diskless-sync", "no")
    mc.config_set("save", save)
    replicas = [start_server(ARGS, binary=binary).client() for _ in range(2)]
    for rc in replicas:
        rc.replicaof("127.0.0.1", m.port)
    wait_until(lambda: saving(mc) == 1 and waiting_bgsave(mc) == 2, 10, interval=0.05, what="the snapshot")
    replicas[0].replicaof("no", "one")
    wait_until(lambda: waiting_bgsave(mc) == 1, 10, interval=0.02, what="one replica to go")
    assert saving(mc) == 1          # the other one still waits for it
    replicas[1].replicaof("no", "one")
    wait_until(lambda: waiting_bgsave(mc) == 0, 10, interval=0.02, what="the other to go")
    if save:
        assert saving(mc) == 1      # a save point wants the file
    else:
        wait_until(lambda: saving(mc) == 0, 5, interval=0.02, what="the snapshot to stop")
    mc.config_set("rdb-key-save-delay", "0")


def test_diskless_transfer_logs_its_pid(start_server, binary):
    m = start_server(ARGS, binary=binary)
    mc = m.client()
    mc.config_set("repl-diskless-sync", "yes")
    mc.config_set("repl-diskless-sync-delay", "0")
    mc.set("k", "v")
    rc = start_server(ARGS, binary=binary).client()
    rc.replicaof("127.0.0.1", m.port)
    wait_synced(mc, rc)
    with open(m.logfile, errors="replace") as f:
        assert sum("Background RDB transfer started by pid" in line for line in f) == 1
