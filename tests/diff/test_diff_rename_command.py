"""rename-command (config file and command line) against redis-server 7.0.15: a renamed command
answers only to its new name (any case), in scripts too, and keeps its own name in errors and
COMMAND INFO; an empty new name removes the command; unknown or taken names stop start-up with
Redis's message."""

import subprocess

import pytest

from diff.runner import run_script
from helpers import ORACLE_SERVER, free_port

RENAMES = ["--rename-command", "CONFIG", "MYCONFIG", "--rename-command", "flushdb", "",
           "--rename-command", "get", "fetch", "--rename-command", "fetch", "get2"]


def test_renamed_commands(start_server, keel_bin):
    keel = start_server(RENAMES, binary=keel_bin)
    oracle = start_server(RENAMES, binary=ORACLE_SERVER)
    run_script(keel, oracle, [
        ["CONFIG", "GET", "maxmemory"], ["MYCONFIG", "GET", "maxmemory"], ["myConfig", "GET", "maxmemory"],
        ["MYCONFIG"], ["MYCONFIG", "NOSUCH"], ["FLUSHDB"], ["SET", "k", "v"], ["GET", "k"], ["FETCH", "k"],
        ["GET2", "k"], ["GET2"], ["COMMAND", "INFO", "config", "get2", "get", "flushdb"],
        ["EVAL", "return redis.call('get2', 'k')", "0"], ["EVAL", "return redis.call('get', 'k')", "0"],
    ])


@pytest.mark.parametrize("args", [["nosuch", "x"], ["get", "set"], ["get", "SET"]], ids=["unknown", "taken", "taken-case"])
def test_bad_rename_stops_startup(keel_bin, args):
    outs = []
    for binary in (keel_bin, ORACLE_SERVER):
        p = subprocess.run([binary, "--port", str(free_port()), "--rename-command"] + args,
                           capture_output=True, text=True, timeout=10)
        assert p.returncode != 0
        outs.append((p.stdout + p.stderr).strip().splitlines()[-1])
    assert outs[0] == outs[1]
