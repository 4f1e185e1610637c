"""A replica loading its primary's snapshot serves its clients meanwhile, as Redis's does: each
case runs the same steps on a Keel pair and on a redis-server pair and compares what clients saw.

The replica loads slowly (key-load-delay, and loading-process-events-interval-bytes 1024 so that
it answers often): INFO shows loading:1 and the loading_* progress, commands without the loading
flag get -LOADING (REPLICAOF and PSYNC too), SHUTDOWN and SIGTERM stop it; once loaded it has
every key of its primary, the writes made during the load included, and so does a replica of
it (chained)."""

import signal

from helpers import ORACLE_SERVER, log_count, wait_until
from persist.rdbutil import assert_same, snapshot
from repl.replutil import wait_synced

import redis

ARGS = ["--enable-debug-command", "yes", "--save", ""]
KEYS = 2000
DELAY_US = 2000          # 2000 keys x 2 ms: a load of about 4 s

# What a client sends to the loading replica; the replies are compared between the two servers.
PROBES = [
    ("PING",),
    ("GET", "key:1"),
    ("DBSIZE",),
    ("SET", "x", "y"),
    ("REPLICAOF", "NO", "ONE"),
    ("PSYNC", "?", "-1"),
    ("SELECT", "0"),
    ("CONFIG", "GET", "maxmemory"),
    ("CLIENT", "GETNAME"),
    ("DEBUG", "SLEEP", "0"),
]


def reply_or_error(c, *args):
    try:
        r = c.execute_command(*args)
    except (redis.exceptions.ResponseError, redis.exceptions.BusyLoadingError) as e:
        return "error: " + str(e)   # redis-py raises -LOADING as a connection error
    return "ok" if r is not None else "nil"


def loading(c):
    return c.info("persistence")["loading"] == 1


def start_loading(start_server, binary, replica_args=()):
    """A primary with KEYS keys and a replica of it that is loading them slowly."""
    m = start_server(ARGS, binary=binary)
    r = start_server(ARGS + list(replica_args), binary=binary)
    mc, rc = m.client(), r.client()
    mc.execute_command("DEBUG", "POPULATE", KEYS, "key", 100)
    rc.config_set("key-load-delay", DELAY_US)
    rc.config_set("loading-process-events-interval-bytes", 1024)
    rc.replicaof("127.0.0.1", m.port)
    wait_until(lambda: loading(rc), 30, interval=0.02, what="the replica to load")
    return m, mc, r, rc


def serving_case(start_server, binary):
    m, mc, r, rc = start_loading(start_server, binary)
    seen = {}
    for i in range(300):                         # writes during the load reach the replica later
        mc.set("during:%d" % i, i)
    for probe in PROBES:
        seen[probe] = reply_or_error(rc, *probe)
    p = rc.info("persistence")
    assert p["loading"] == 1 and p["async_loading"] == 0
    assert p["loading_total_bytes"] > 0 and 0 <= p["loading_loaded_bytes"] <= p["loading_total_bytes"]
    assert 0 <= p["loading_loaded_perc"] <= 100 and p["loading_eta_seconds"] >= 0
    seen["fields"] = sorted(k for k in p if k.startswith("loading") or k == "async_loading")
    ri = rc.info("replication")
    seen["link"] = (ri["role"], ri["master_link_status"], ri["master_sync_in_progress"])
    role = rc.execute_command("ROLE")
    seen["role"] = (role[0], role[3], role[4])
    # Still loading after the probes (they ran inside the load, not after it).
    assert loading(rc)
    rc.config_set("key-load-delay", 0)            # CONFIG SET works while loading
    wait_synced(mc, rc)
    assert_same(snapshot(mc, (0,)), snapshot(rc, (0,)))
    assert rc.dbsize() == KEYS + 300
    return seen


def test_loading_replica_serves_clients_like_redis(start_server, keel_bin):
    keel = serving_case(start_server, keel_bin)
    oracle = serving_case(start_server, ORACLE_SERVER)
    assert keel == oracle
    assert keel[("PING",)].startswith("error: Redis is loading")


def stop_case(start_server, binary, how):
    m, mc, r, rc = start_loading(start_server, binary)
    if how == "shutdown":
        try:
            rc.execute_command("SHUTDOWN")
        except redis.exceptions.ConnectionError:
            pass                                  # no reply: the server exits
    else:
        r.proc.send_signal(signal.SIGTERM)
    r.proc.wait(timeout=20)
    assert mc.ping()                              # the primary goes on
    return r.proc.returncode


def test_shutdown_while_loading(start_server, keel_bin):
    assert stop_case(start_server, keel_bin, "shutdown") == stop_case(start_server, ORACLE_SERVER, "shutdown") == 0


def test_sigterm_while_loading(start_server, keel_bin):
    assert stop_case(start_server, keel_bin, "sigterm") == stop_case(start_server, ORACLE_SERVER, "sigterm") == 0


def chained_case(start_server, binary):
    """primary -> replica -> sub-replica: the replica's full sync drops the sub-replica, whose
    PSYNC gets -LOADING while the replica loads; all three end with the same data."""
    m = start_server(ARGS, binary=binary)
    r = start_server(ARGS, binary=binary)
    s = start_server(ARGS, binary=binary)
    mc, rc, sc = m.client(), r.client(), s.client()
    sc.replicaof("127.0.0.1", r.port)
    wait_synced(rc, sc)
    mc.execute_command("DEBUG", "POPULATE", KEYS, "key", 100)
    rc.config_set("key-load-delay", DELAY_US)
    rc.config_set("loading-process-events-interval-bytes", 1024)
    rc.replicaof("127.0.0.1", m.port)
    wait_until(lambda: loading(rc), 30, interval=0.02, what="the replica to load")
    for i in range(100):
        mc.set("during:%d" % i, i)
    assert sc.info("replication")["master_link_status"] == "down"
    rc.config_set("key-load-delay", 0)
    wait_synced(mc, rc)
    wait_synced(rc, sc)
    for i in range(100):
        mc.rpush("after", i)
    wait_synced(mc, rc)
    wait_synced(rc, sc)
    want = snapshot(mc, (0,))
    assert_same(want, snapshot(rc, (0,)))
    assert_same(want, snapshot(sc, (0,)))
    return sc.dbsize()


def test_chained_replica_follows_a_loading_replica(start_server, keel_bin):
    assert chained_case(start_server, keel_bin) == chained_case(start_server, ORACLE_SERVER) == KEYS + 101


def timeout_case(start_server, primary_bin, replica_bin):
    """A disk-based sync puts the replica online before it loads; a load longer than the
    primary's repl-timeout must not get it dropped: the loading replica sends a newline a
    second and the primary counts it as a sign of life."""
    m = start_server(ARGS + ["--repl-diskless-sync", "no", "--repl-timeout", "2"], binary=primary_bin)
    r = start_server(ARGS, binary=replica_bin)
    mc, rc = m.client(), r.client()
    mc.execute_command("DEBUG", "POPULATE", KEYS, "key", 100)
    rc.config_set("key-load-delay", 2 * DELAY_US)           # about 8 s
    rc.config_set("loading-process-events-interval-bytes", 1024)
    rc.replicaof("127.0.0.1", m.port)
    wait_until(lambda: loading(rc), 30, interval=0.02, what="the replica to load")
    wait_until(lambda: not loading(rc), 60, interval=0.1, what="the load to end")
    wait_synced(mc, rc)
    mc.set("after", 1)
    wait_synced(mc, rc)
    st = mc.info("stats")
    # A primary that dropped the replica would see it come back with a partial sync.
    return st["sync_full"], st["sync_partial_ok"], rc.dbsize()


def test_long_load_is_not_a_timeout(start_server, keel_bin):
    want = (1, 0, KEYS + 1)
    assert timeout_case(start_server, ORACLE_SERVER, ORACLE_SERVER) == want
    assert timeout_case(start_server, keel_bin, keel_bin) == want
    assert timeout_case(start_server, keel_bin, ORACLE_SERVER) == want
    assert timeout_case(start_server, ORACLE_SERVER, keel_bin) == want


def stalled_replica_case(start_server, binary):
    """A diskless sync to two replicas, one of them SIGSTOPped: it takes none of its payload, so
    after repl-timeout the primary drops it ("Disconnecting timedout replica (full sync)") and the
    other one completes ("done reading from pipe, 1 replicas still up")."""
    m = start_server(ARGS + ["--repl-diskless-sync", "yes", "--repl-diskless-sync-delay", "0",
                             "--repl-diskless-sync-max-replicas", "2", "--repl-timeout", "2"], binary=binary)
    a, b = start_server(ARGS, binary=binary), start_server(ARGS, binary=binary)
    mc, ac, bc = m.client(), a.client(), b.client()
    mc.config_set("repl-diskless-sync-delay", "60")        # waits for both replicas
    mc.execute_command("DEBUG", "POPULATE", 4000, "key", 10000)   # 40 MB, past the socket buffers
    mc.config_set("rdbcompression", "no")
    mc.config_set("rdb-key-save-delay", "1000")           # 1 ms a key: about 4 s
    ac.replicaof("127.0.0.1", m.port)
    bc.replicaof("127.0.0.1", m.port)
    wait_until(lambda: log_count(m, "Starting BGSAVE for SYNC with target: replicas sockets") == 1, 30,
               interval=0.02, what="the diskless sync to start")
    a.proc.send_signal(signal.SIGSTOP)
    try:
        wait_until(lambda: log_count(m, "Disconnecting timedout replica (full sync)") == 1, 30, interval=0.1,
                   what="the stopped replica to be dropped")
        mc.config_set("rdb-key-save-delay", "0")
        wait_until(lambda: log_count(m, "done reading from pipe") == 1, 30, interval=0.05, what="the snapshot's end")
        wait_synced(mc, bc)
    finally:
        a.proc.send_signal(signal.SIGCONT)
    assert bc.dbsize() == 4000
    return log_count(m, "Diskless rdb transfer, done reading from pipe, 1 replicas still up")


def test_stalled_replica_is_dropped_from_a_diskless_sync(start_server, keel_bin):
    assert stalled_replica_case(start_server, keel_bin) == stalled_replica_case(start_server, ORACLE_SERVER) == 1
