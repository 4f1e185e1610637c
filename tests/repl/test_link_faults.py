"""Link faults: a TCP proxy between a Keel primary and a Keel replica cuts the link at random
points (during the full sync, while streaming, mid-command) under a write load. Every reconnect
after the replica was in sync must be a partial sync (the backlog holds what it missed); at the
end both hold the same data."""

import random
import threading
import time

from helpers import long_mode, wait_until
from repl.replutil import Proxy, assert_same_data, info, wait_synced, write_load

CUTS = 20
OPS_BETWEEN = 400 if long_mode() else 100


def test_cuts_under_writes(start_server):
    rng = random.Random(14)
    primary = start_server(["--repl-backlog-size", "16mb", "--repl-diskless-sync-delay", "0"])
    replica = start_server()
    p, r = primary.client(), replica.client()
    write_load(p, rng, 2000)
    proxy = Proxy(primary.port)
    stop = threading.Event()
    errors = []

    def load():
        c = primary.client()
        lrng = random.Random(15)
        i = 10 ** 6
        try:
            while not stop.is_set():
                write_load(c, lrng, 50, start=i)
                i += 50
        except Exception as e:  # noqa: BLE001 - reported by the test
            errors.append(e)

    t = threading.Thread(target=load, daemon=True)
    try:
        # The first cut lands in the middle of the snapshot (slowed down to 1 ms per key).
        p.config_set("rdb-key-save-delay", 1000)
        r.execute_command("REPLICAOF", "127.0.0.1", proxy.port)
        wait_until(lambda: info(p).get("slave0", {}).get("state") == "wait_bgsave", 10, what="the snapshot")
        wait_until(lambda: p.info("persistence")["current_save_keys_processed"] > 100, 10, what="keys saved")
        proxy.cut()
        p.config_set("rdb-key-save-delay", 0)
        t.start()
        streaming_cuts = 0
        last_cut_connections = 0
        for n in range(CUTS):
            if n > 0 and n % 4 == 0:
                wait_until(lambda: info(r)["master_link_status"] == "up", 30, what="the link to come back")
            # A random point: right away (handshake or RDB), or after a random part of the load.
            time.sleep(rng.choice([0, 0, rng.random() * 0.05, rng.random() * 0.2]))
            # A cut of a link that was up since its sync must be followed by a partial sync
            # (right after a cut the replica may still report the old link up: not counted).
            if info(r)["master_link_status"] == "up" and proxy.connections != last_cut_connections:
                streaming_cuts += 1
            last_cut_connections = proxy.connections
            proxy.cut()
        wait_until(lambda: info(r)["master_link_status"] == "up", 30, what="the link to come back")
    finally:
        stop.set()
        t.join(30)
    assert not errors, errors
    wait_synced(p, r)
    stats = p.info("stats")
    full, partial = stats["sync_full"], stats["sync_partial_ok"]
    print("cuts %d (%d while streaming), full syncs %d, partial syncs %d, connections %d"
          % (CUTS, streaming_cuts, full, partial, proxy.connections))
    # Nearly every cut of a synced link is followed by a partial sync (a cut racing the
    # replica's own detection of the previous one can be counted without being one).
    assert streaming_cuts > 0 and partial >= streaming_cuts - 2
    assert full >= 2 and full + partial <= proxy.connections
    assert_same_data(p, r)
    proxy.close()


def test_replica_restart_resumes_partially(start_server):
    """A replica saved at shutdown restarts from its RDB, whose aux fields (repl-id,
    repl-offset, repl-stream-db) let it continue with a partial sync."""
    rng = random.Random(16)
    primary = start_server(["--repl-diskless-sync-delay", "0"])
    p = primary.client()
    write_load(p, rng, 1000)
    replica = start_server(["--replicaof", "127.0.0.1", str(primary.port)])
    wait_synced(p, replica.client())
    write_load(p, rng, 500, start=1000)
    wait_synced(p, replica.client())
    replica.client().execute_command("SELECT", 5)
    try:
        replica.client().shutdown(save=True)
    except Exception:  # noqa: BLE001 - the connection drops as the server exits
        pass
    wait_until(lambda: not replica.alive(), 10, what="the replica to exit")
    write_load(p, rng, 500, start=1500)              # missed while it was down
    full = p.info("stats")["sync_full"]
    replica.start()
    r = replica.client()
    wait_synced(p, r)
    stats = p.info("stats")
    assert stats["sync_full"] == full and stats["sync_partial_ok"] >= 1
    assert_same_data(p, r)
