"""CLIENT PAUSE on a replica, Keel beside redis-server (the suite's unit/pause, "Test when replica
paused, offset would not grow"): a WRITE pause holds the master's stream, so the replica reads it
(slave_read_repl_offset grows) but does not apply it (slave_repl_offset stays) until CLIENT
UNPAUSE."""

from helpers import wait_until
from repl.replutil import info


def test_paused_replica_reads_the_stream_but_does_not_apply_it(start_server, binary):
    primary = start_server(["--repl-diskless-sync-delay", "0"], binary=binary)
    replica = start_server([], binary=binary)
    p, r = primary.client(), replica.client()
    p.config_set("repl-ping-replica-period", 3600)   # no PINGs moving the offset meanwhile
    r.execute_command("REPLICAOF", "127.0.0.1", primary.port)
    wait_until(lambda: info(r).get("master_link_status") == "up", 30, what="the link up")
    p.set("foo", "bar")
    before = info(p)["master_repl_offset"]
    wait_until(lambda: info(r)["slave_repl_offset"] == before, 10, what="the replica applying")

    r.execute_command("CLIENT", "PAUSE", "100000", "WRITE")
    p.set("foo2", "bar2")
    after = info(p)["master_repl_offset"]
    wait_until(lambda: info(r)["slave_read_repl_offset"] == after, 10, what="the replica reading")
    assert info(r)["slave_repl_offset"] == before
    assert r.get("foo2") is None

    r.execute_command("CLIENT", "UNPAUSE")
    wait_until(lambda: info(r)["slave_repl_offset"] == after, 10, what="the write applied")
    assert r.get("foo2") == b"bar2"
