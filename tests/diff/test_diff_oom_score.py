"""oom-score-adj follows the server's class, as unit/oom-score-adj checks it: the primary's
value, the replica's after REPLICAOF, the primary's again after REPLICAOF NO ONE (Keel and
redis-server side by side; Linux only, where /proc/<pid>/oom_score_adj exists)."""

import os

import pytest

from helpers import ORACLE_SERVER, child_pids, keel_binary, wait_until


def score(pid):
    with open("/proc/%d/oom_score_adj" % pid) as f:
        return int(f.read())


@pytest.mark.skipif(not os.path.exists("/proc/self/oom_score_adj"), reason="Linux /proc needed")
def test_oom_score_follows_replicaof(start_server):
    out = []
    for binary in (keel_binary(), ORACLE_SERVER):
        server = start_server([], binary=binary)
        c = server.client()
        pid = c.info("server")["process_id"]
        base = score(pid)
        c.config_set("oom-score-adj-values", "10 20 30")
        c.config_set("oom-score-adj", "yes")
        seen = [score(pid) - base]
        c.config_set("oom-score-adj-values", "15 20 30")
        seen.append(score(pid) - base)
        c.execute_command("REPLICAOF", "localhost", 1)
        seen.append(score(pid) - base)
        c.execute_command("REPLICAOF", "NO", "ONE")
        seen.append(score(pid) - base)
        c.config_set("oom-score-adj", "no")
        seen.append(score(pid) - base)
        out.append(seen)
        c.close()
    assert out[0] == out[1] == [10, 15, 20, 15, 0]


@pytest.mark.skipif(not os.path.exists("/proc/self/oom_score_adj"), reason="Linux /proc needed")
@pytest.mark.parametrize("mode", ["yes", "absolute"])
def test_bgsave_child_takes_the_child_value(start_server, mode):
    """unit/oom-score-adj's "CONFIG SET oom-score-adj works as expected", last part: the BGSAVE
    child (Keel's stand-in process, persist/bgsave.c) takes oom-score-adj-values[2]."""
    out = []
    for binary in (keel_binary(), ORACLE_SERVER):
        server = start_server([], binary=binary)
        c = server.client()
        pid = c.info("server")["process_id"]
        base = score(pid) if mode == "yes" else 0
        c.config_set("oom-score-adj-values", "15 20 30")
        c.config_set("oom-score-adj", mode)
        c.set("key-a", "value-a")
        c.config_set("rdb-key-save-delay", 1000000)
        c.bgsave()
        kids = wait_until(lambda: child_pids(pid), 5, what="the save's child process")
        wait_until(lambda: score(kids[0]) == base + 30, 5, what="the child's oom_score_adj")
        out.append((score(pid) - base, score(kids[0]) - base))
        c.config_set("rdb-key-save-delay", 0)
        c.close()
    assert out[0] == out[1] == (15, 30)
