"""A primary restarted from its RDB drops the keys that expired while it was down and feeds their
DELs to its backlog after the file's stream position (Redis's RDBFLAGS_FEED_REPL), so its
replica continues with a partial sync and deletes them too. Keel beside redis-server: the same
steps, the same offsets (the DELs' bytes), the same outcome on the replica. Too many DELs for
repl-backlog-size (Redis trims its backlog by 16 KB blocks; Keel drops the
DELs past repl-backlog-size, so the test stays clear of the boundary): the replica's partial sync fails and it resyncs fully, as with Redis."""

import time

import pytest

from helpers import ORACLE_SERVER, wait_until
from repl.replutil import info

TTL_MS = 2500


def _restart_run(start_server, binary, backlog, nkeys):
    primary = start_server(["--save", "3600 1", "--repl-diskless-sync-delay", "0",
                            "--repl-ping-replica-period", "3600", "--repl-backlog-size", str(backlog)],
                           binary=binary)
    replica = start_server(["--repl-timeout", "3600"], binary=binary)
    r = replica.client()
    r.execute_command("REPLICAOF", "127.0.0.1", primary.port)
    p = primary.client()
    set_at = time.monotonic()
    pipe = p.pipeline(transaction=False)
    for i in range(nkeys):
        pipe.set("gone%04d" % i, "v", px=TTL_MS)
    pipe.execute()
    # Every TTL was set by now: the last SET ran before its reply came back.
    all_set = time.monotonic()
    p.set("stays", "v")
    wait_until(lambda: info(p).get("slave0", {}).get("state") == "online"
               and info(p)["slave0"]["offset"] == info(p)["master_repl_offset"]
               and info(r)["master_repl_offset"] == info(p)["master_repl_offset"], 30, what="replica synced")
    offset = info(p)["master_repl_offset"]
    assert time.monotonic() < set_at + TTL_MS / 1000, "too slow: the keys expired before the restart"
    try:
        p.execute_command("SHUTDOWN", "NOW")
    except Exception:
        pass
    primary.proc.wait(timeout=10)
    # The TTLs run out while the primary is down (nothing to poll): wait past the last one.
    time.sleep(max(0.0, all_set + TTL_MS / 1000 + 0.1 - time.monotonic()))
    primary.start()
    p = primary.client()
    wait_until(lambda: info(r).get("master_link_status") == "up"
               and info(r)["master_repl_offset"] == info(p)["master_repl_offset"], 30, what="replica back")
    ip = info(p)
    stats = p.info("stats")
    return {
        "expired_on_load": p.info("persistence")["rdb_last_load_keys_expired"],
        "dels_bytes": ip["master_repl_offset"] - offset,
        "partial": stats["sync_partial_ok"], "full": stats["sync_full"],
        "backlog_after_second": ip["repl_backlog_first_byte_offset"] > ip["second_repl_offset"],
        "replica_keys": r.dbsize(),
    }


@pytest.mark.parametrize("backlog,nkeys", [(1024 * 1024, 30), (16384, 3000)])
def test_restarted_primary_feeds_expired_dels(start_server, keel_bin, backlog, nkeys):
    keel = _restart_run(start_server, keel_bin, backlog, nkeys)
    redis = _restart_run(start_server, ORACLE_SERVER, backlog, nkeys)
    assert keel == redis
    assert keel["expired_on_load"] == nkeys and keel["dels_bytes"] > 0 and keel["replica_keys"] == 1
    small = nkeys * 20 > 2 * backlog   # the DELs (over 20 bytes each) overflow the backlog
    assert (keel["partial"], keel["full"], keel["backlog_after_second"]) == ((0, 1, True) if small else (1, 0, False))
