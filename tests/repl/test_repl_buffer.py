"""The shared replication buffer (Redis 7.0's model): the backlog and every replica's output are
one list of reference-counted blocks, so memory is counted once, a replica still waiting for
its snapshot keeps the backlog longer than repl-backlog-size (and a partial sync can use that
part), and the memory goes when no replica needs it. Each case runs against Keel and against
redis-server with the same steps and the same assertions on INFO's fields."""

import os
import signal

from helpers import wait_until
from repl.replutil import wait_synced

DEBUG = ["--enable-debug-command", "yes"]
KB = 1024
MB = 1024 * 1024


def stat(c, field, section="all"):
    return c.info(section)[field]


def fill(c, n, size, prefix="k"):
    p = c.pipeline(transaction=False)
    p.execute_command("SELECT", 9)   # the stream's database is not 0 (a partial sync continues in it)
    for i in range(n):
        p.set("%s:%d" % (prefix, i), b"x" * size)
        if i % 200 == 199:
            p.execute()
    p.execute()


def start_primary(start_server, binary):
    m = start_server(DEBUG, binary=binary)
    mc = m.client()
    mc.config_set("save", "")
    mc.config_set("repl-backlog-size", "16384")
    mc.config_set("client-output-buffer-limit", "replica 0 0 0")
    mc.config_set("repl-diskless-sync", "no")
    return m, mc


def waiting_for_snapshot(mc, rc):
    return stat(mc, "rdb_bgsave_in_progress", "persistence") == 1 and rc.execute_command("ROLE")[3] == b"sync"


def test_one_buffer_for_the_backlog_and_all_replicas(start_server, binary):
    m, mc = start_primary(start_server, binary)
    # Diskless, so that r1 and r2 share one snapshot: it starts once both wait.
    mc.config_set("repl-diskless-sync", "yes")
    mc.config_set("repl-diskless-sync-delay", "5")
    mc.config_set("repl-diskless-sync-max-replicas", "1")
    r1, r2, r3 = (start_server(DEBUG, binary=binary) for _ in range(3))
    r3.client().replicaof("127.0.0.1", m.port)
    wait_synced(mc, r3.client())
    mc.config_set("rdb-key-save-delay", "1000000")
    fill(mc, 100, 16)
    mc.config_set("repl-diskless-sync-max-replicas", "2")
    for r in (r1, r2):
        r.client().replicaof("127.0.0.1", m.port)
    wait_until(lambda: waiting_for_snapshot(mc, r1.client()) and r2.client().execute_command("ROLE")[3] == b"sync",
               20, what="two replicas waiting for the snapshot")

    before = stat(mc, "used_memory", "memory")
    fill(mc, 1024, 1024, "big")                  # 1 MB more in the stream
    mem = stat(mc, "mem_total_replication_buffers", "memory")
    assert 1 * MB < mem < 2 * MB                 # once, not once per waiting replica
    extra = stat(mc, "used_memory", "memory") - before - MB
    assert extra < 2 * mem
    assert stat(mc, "repl_backlog_histlen", "replication") > MB   # beyond repl-backlog-size
    assert 16384 <= stat(mc, "mem_replication_backlog", "memory") < 16384 + KB   # Redis adds its index
    assert stat(mc, "mem_clients_slaves", "memory") >= mem - 16384

    r1.stop()                                    # r2 still holds the same blocks
    wait_until(lambda: stat(mc, "connected_slaves", "replication") == 2, 10, what="r1 gone")
    assert stat(mc, "mem_total_replication_buffers", "memory") == mem

    wait_synced(mc, r3.client())
    r2.stop()                                    # nobody needs them now
    wait_until(lambda: stat(mc, "connected_slaves", "replication") == 1, 10, what="r2 gone")
    assert stat(mc, "mem_total_replication_buffers", "memory") < mem - MB
    assert stat(mc, "repl_backlog_histlen", "replication") < 64 * KB
    mc.config_set("rdb-key-save-delay", "0")


def test_partial_sync_from_the_part_beyond_the_backlog_size(start_server, binary):
    m, mc = start_primary(start_server, binary)
    r1, r2 = start_server(DEBUG, binary=binary), start_server(DEBUG, binary=binary)
    c1, c2 = r1.client(), r2.client()
    c1.replicaof("127.0.0.1", m.port)
    wait_synced(mc, c1)
    mc.config_set("rdb-key-save-delay", "1000000")
    fill(mc, 100, 1000)
    c2.replicaof("127.0.0.1", m.port)
    wait_until(lambda: waiting_for_snapshot(mc, c2), 20, what="r2 waiting for the snapshot")
    fill(mc, 2000, 1000)
    assert stat(mc, "repl_backlog_histlen", "replication") > 2000 * 1000
    wait_synced(mc, c1)

    c1.replicaof("127.0.0.1", r2.port)           # away from the primary (r2 can't serve it)
    fill(mc, 2000, 1000, "more")
    c1.replicaof("127.0.0.1", m.port)
    wait_synced(mc, c1)
    assert waiting_for_snapshot(mc, c2)
    assert stat(mc, "sync_partial_ok", "stats") == 1
    assert mc.execute_command("DEBUG", "DIGEST") == c1.execute_command("DEBUG", "DIGEST")

    # r2 stops reading; a limit below its share closes it, and the backlog shrinks back.
    os.kill(r2.proc.pid, signal.SIGSTOP)
    try:
        mc.config_set("client-output-buffer-limit", "replica 128kb 0 0")
        mc.set("trigger", b"A" * (64 * KB))
        wait_until(lambda: stat(mc, "connected_slaves", "replication") == 1, 10, what="r2 closed")
        wait_until(lambda: stat(mc, "repl_backlog_histlen", "replication") < 1 * MB, 30, interval=0.1,
                   what="the backlog to shrink")
        assert stat(mc, "mem_total_replication_buffers", "memory") < 2 * MB
    finally:
        os.kill(r2.proc.pid, signal.SIGCONT)
    mc.config_set("rdb-key-save-delay", "0")


def test_hard_limit_below_backlog_size_counts_as_backlog_size(start_server, binary):
    """A partial sync that resends more than the replica limit is not cut by it: the limit
    counts as repl-backlog-size (Redis's rule)."""
    m, mc = start_primary(start_server, binary)
    mc.config_set("repl-backlog-size", "20mb")
    mc.config_set("client-output-buffer-limit", "replica 512kb 0 0")
    r = start_server(DEBUG, binary=binary)
    rc = r.client()
    rc.replicaof("127.0.0.1", m.port)
    wait_synced(mc, rc)
    mc.execute_command("CLIENT", "KILL", "TYPE", "replica")
    big = b"A" * (2 * MB)
    for _ in range(3):
        mc.set("key", big)
    wait_synced(mc, rc)
    assert stat(mc, "sync_full", "stats") == 1
    assert stat(mc, "sync_partial_ok", "stats") == 1
    line = [x for x in mc.execute_command("CLIENT", "LIST", "TYPE", "replica").split(b"\n") if x][0]
    fields = dict(f.split(b"=", 1) for f in line.split(b" "))
    assert int(fields[b"omem"]) < 20 * MB
    assert mc.execute_command("DEBUG", "DIGEST") == rc.execute_command("DEBUG", "DIGEST")
