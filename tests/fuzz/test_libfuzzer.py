"""The bounded libFuzzer run of `make test`: builds the harnesses (`make fuzz`, incremental)
and fuzzes each for a few seconds from the seed corpus (KEEL_LONG=1: five minutes each).
It runs once per `make test`, in the pytest run against the release binary: the harnesses
are their own sanitizer build, so repeating them against keel-server-san adds nothing."""

import shutil
import subprocess

import pytest

from fuzz import run_libfuzzer
from helpers import REPO_ROOT, keel_is_redis, long_mode


def _build():
    # tests/run-all.sh leaves this file out of the sanitizer pass (see the docstring); the
    # harness self-check against redis-server has no Keel code to fuzz.
    if keel_is_redis():
        pytest.skip("the libFuzzer harnesses fuzz Keel's own code")
    assert shutil.which("clang-14"), "clang-14 is needed (README's test line installs it)"
    proc = subprocess.run(["make", "-s", "fuzz"], cwd=REPO_ROOT, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, timeout=900)
    assert proc.returncode == 0, proc.stdout.decode(errors="replace")[-4000:]


@pytest.mark.parametrize("harness", run_libfuzzer.HARNESSES)
def test_libfuzzer(harness, tmp_path):
    _build()
    seconds = 300 if long_mode() else 15
    execs, crashes, log = run_libfuzzer.run(harness, seconds, str(tmp_path))
    print("fuzz_%s: %d executions" % (harness, execs))
    assert not crashes, "crashes: %s\n%s" % (crashes, log[-6000:])
    assert execs > 0, log[-3000:]
