"""Replays everything the fuzzers ever found (tests/fuzz/regressions/):

  diff-*.txt     differential reproducers (diff_fuzz.py's format): must not diverge any more
  request-*      libFuzzer inputs for fuzz_request (first byte: parser mode)
  command-*      libFuzzer inputs for fuzz_command
The libFuzzer inputs are sent over a socket to the server under test (the sanitizer build in
the second pytest run), which must survive them and keep serving; when `make fuzz` has built
the harnesses they also replay each input in-process.
"""

import os
import socket
import subprocess

import pytest

from fuzz import diff_fuzz, run_libfuzzer
from helpers import REPO_ROOT, ping_once

REGRESSIONS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "regressions")


def _files(prefix):
    return sorted(f for f in os.listdir(REGRESSIONS) if f.startswith(prefix))


@pytest.mark.parametrize("name", _files("diff-"))
def test_diff_reproducer(keel, oracle, name):
    with open(os.path.join(REGRESSIONS, name)) as f:
        div = diff_fuzz.replay(keel, oracle, f.read())
    assert div is None, "%s diverges again: %s\n keel : %r\n redis: %r" % (
        name, div.why, getattr(div.keel, "raw", div.keel), getattr(div.redis, "raw", div.redis))


def _send_and_drain(server, data):
    with socket.create_connection((server.host, server.port), timeout=10.0) as s:
        try:
            s.sendall(data)
            s.shutdown(socket.SHUT_WR)
            s.settimeout(2.0)
            while s.recv(65536):
                pass
        except (socket.timeout, ConnectionResetError, BrokenPipeError):
            pass


@pytest.mark.parametrize("name", _files("request-") + _files("command-"))
def test_fuzzer_input_over_socket(keel, name):
    with open(os.path.join(REGRESSIONS, name), "rb") as f:
        data = f.read()
    if name.startswith("request-"):
        data = data[1:]   # the mode byte is the harness's, not traffic
    _send_and_drain(keel, data)
    assert ping_once(keel.host, keel.port, timeout=5.0), "keel stopped answering after %s" % name


@pytest.mark.parametrize("name", _files("request-") + _files("command-"))
def test_fuzzer_input_in_process(name):
    harness = name.split("-", 1)[0]
    binary = run_libfuzzer.binary(harness)
    if not os.path.exists(binary):
        built = subprocess.run(["make", "-s", "fuzz"], cwd=REPO_ROOT, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, timeout=900)
        assert built.returncode == 0, built.stdout.decode(errors="replace")[-4000:]
    proc = subprocess.run([binary, os.path.join(REGRESSIONS, name)], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, timeout=120)
    assert proc.returncode == 0, proc.stdout.decode(errors="replace")[-4000:]
