"""Differential scripts for the memory-limit commands and configuration: OBJECT FREQ/IDLETIME
under LFU and LRU policies, the -OOM refusal and what still runs under each policy at a limit
nothing can meet, the eviction and lazy-free settings through CONFIG, FLUSHALL/FLUSHDB modes,
UNLINK, and MEMORY's argument checks. Both servers are started fresh (the scripts change the
configuration)."""

import pytest

from diff.runner import C, run_script
from helpers import ORACLE_SERVER

OOM = b"-OOM command not allowed when used memory > 'maxmemory'.\r\n"
SYNTAX = b"-ERR syntax error\r\n"

SCRIPTS = {
    "lfu_and_lru_data": [
        ["CONFIG", "SET", "maxmemory-policy", "allkeys-lfu"],
        ["OBJECT", "FREQ", "nokey"],
        ["SET", "k", "v"],
        ["OBJECT", "FREQ", "k"],
        ["GET", "k"],
        ["OBJECT", "FREQ", "k"],
        ["SET", "k", "w"],
        # (FREQ now: an overwrite keeps the counter but its lookup may increment it, p = 1/11)
        ["OBJECT", "IDLETIME", "k"],
        ["RPUSH", "l", "a", "b"],
        ["OBJECT", "FREQ", "l"],
        ["CONFIG", "SET", "maxmemory-policy", "volatile-lfu"],
        ["OBJECT", "FREQ", "l"],
        ["CONFIG", "SET", "maxmemory-policy", "volatile-lru"],
        ["OBJECT", "FREQ", "l"],
        ["OBJECT", "IDLETIME", "nokey"],
        ["CONFIG", "SET", "maxmemory-policy", "noeviction"],
        ["OBJECT", "FREQ", "k"],
        ["OBJECT", "FREQ"],
        ["OBJECT", "FREQ", "k", "extra"],
    ],
    "config": [
        C("CONFIG", "GET", "maxmemory*", unordered=True, pairs=True),
        C("CONFIG", "GET", "lfu-*", unordered=True, pairs=True),
        C("CONFIG", "GET", "lazyfree-*", unordered=True, pairs=True),
        ["CONFIG", "SET", "maxmemory-policy", "allkeys-LRU"],
        ["CONFIG", "GET", "maxmemory-policy"],
        ["CONFIG", "SET", "maxmemory-policy", "lru"],
        ["CONFIG", "SET", "maxmemory-samples", "0"],
        ["CONFIG", "SET", "maxmemory-samples", "65"],
        ["CONFIG", "SET", "maxmemory-samples", "64"],
        ["CONFIG", "SET", "maxmemory-eviction-tenacity", "101"],
        ["CONFIG", "SET", "maxmemory-eviction-tenacity", "-1"],
        ["CONFIG", "SET", "maxmemory-eviction-tenacity", "100"],
        ["CONFIG", "SET", "lfu-log-factor", "-1"],
        ["CONFIG", "SET", "lfu-decay-time", "0"],
        ["CONFIG", "SET", "maxmemory", "1gb"],
        ["CONFIG", "GET", "maxmemory"],
        ["CONFIG", "SET", "maxmemory", "-1"],
        ["CONFIG", "SET", "maxmemory", "10xb"],
        ["CONFIG", "SET", "lazyfree-lazy-eviction", "yes", "lazyfree-lazy-expire", "yes",
         "lazyfree-lazy-server-del", "yes", "lazyfree-lazy-user-del", "yes",
         "lazyfree-lazy-user-flush", "yes"],
        C("CONFIG", "GET", "lazyfree-*", unordered=True, pairs=True),
        ["CONFIG", "SET", "lazyfree-lazy-user-del", "maybe"],
        ["CONFIG", "SET", "maxmemory", "0"],
    ],
    "noeviction_at_an_impossible_limit": [
        ["SET", "kept", "value"],
        ["CONFIG", "SET", "maxmemory-policy", "noeviction"],
        ["CONFIG", "SET", "maxmemory", "1"],
        C("SET", "a", "b", expect=OOM),
        C("RPUSH", "l", "x", expect=OOM),
        C("APPEND", "kept", "x", expect=OOM),
        ["GET", "kept"],
        ["STRLEN", "kept"],
        ["EXISTS", "kept", "a"],
        ["DBSIZE"],
        ["INCR", "kept"],                    # not denyoom: runs (and fails on its own terms)
        ["EXPIRE", "kept", "100"],
        ["PERSIST", "kept"],
        ["DEL", "kept"],
        ["FLUSHALL"],
        ["CONFIG", "SET", "maxmemory", "0"],
        ["SET", "a", "b"],
    ],
    "volatile_policy_without_volatile_keys": [
        ["SET", "p", "1"],
        ["SET", "t", "1", "EX", "1000"],
        ["CONFIG", "SET", "maxmemory-policy", "volatile-lru"],
        ["CONFIG", "SET", "maxmemory", "1"],
        C("SET", "x", "y", expect=OOM),      # "t" went, "p" can't
        ["EXISTS", "p", "t"],
        ["CONFIG", "SET", "maxmemory-policy", "allkeys-random"],
        C("SET", "x", "y", expect=OOM),      # everything went and it still doesn't fit
        ["DBSIZE"],
        ["CONFIG", "SET", "maxmemory", "0"],
    ],
    "flush_and_unlink": [
        ["MSET", "a", "1", "b", "2"],
        ["SADD", "s"] + ["m%d" % i for i in range(200)],
        ["UNLINK", "a", "s", "nokey"],
        ["UNLINK"],
        ["DBSIZE"],
        ["FLUSHDB", "ASYNC"],
        ["DBSIZE"],
        ["SET", "a", "1"],
        ["SELECT", "1"],
        ["SET", "b", "1"],
        ["FLUSHALL", "async"],
        ["DBSIZE"],
        ["SELECT", "0"],
        ["DBSIZE"],
        ["FLUSHALL", "SYNC"],
        C("FLUSHALL", "LAZY", expect=SYNTAX),
        C("FLUSHDB", "ASYNC", "SYNC", expect=SYNTAX),
        ["SET", "k", "v"],
        ["FLUSHDB"],
        ["DBSIZE"],
    ],
    "memory_arguments": [
        ["SET", "s", "hello"],
        ["MEMORY", "USAGE", "nokey"],
        ["MEMORY", "USAGE", "s", "SAMPLES"],
        ["MEMORY", "USAGE", "s", "SAMPLES", "x"],
        ["MEMORY", "USAGE", "s", "SAMPLES", "-1"],
        ["MEMORY", "USAGE", "s", "WHAT", "1"],
        ["MEMORY", "USAGE"],
        ["MEMORY", "PURGE"],
        ["MEMORY", "PURGE", "x"],
        ["MEMORY", "STATS", "x"],
        ["MEMORY", "NOPE"],
        ["MEMORY"],
        C("MEMORY", "USAGE", "s", skip_compare=True),
        C("MEMORY", "DOCTOR", skip_compare=True),
    ],
}


@pytest.mark.parametrize("proto", [2, 3])
@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_memory_extra(start_server, name, proto):
    keel = start_server()
    oracle = start_server(binary=ORACLE_SERVER)
    run_script(keel, oracle, SCRIPTS[name], hello3=(proto == 3))
