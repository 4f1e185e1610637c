#!/usr/bin/python3
"""Runs the libFuzzer harnesses (build/fuzz/fuzz_request, build/fuzz/fuzz_command; `make fuzz`
builds them) for a bounded time each, starting from the seed corpus in tests/fuzz/corpus/.

New corpus entries go to a temporary directory, so the checked-in corpus only changes when
someone copies inputs there on purpose. A crash leaves its input in the artifact directory and
is reported with the command that reproduces it; copy the input to tests/fuzz/regressions/
(named request-* or command-*) and it is replayed by tests/fuzz/test_regressions.py forever.

    tests/fuzz/run_libfuzzer.py [--seconds 60] [--harness request|command]
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
HARNESSES = ("request", "command")


def binary(harness):
    return os.path.join(REPO, "build", "fuzz", "fuzz_" + harness)


def run(harness, seconds, workdir=None):
    """Fuzzes one harness for `seconds`. Returns (executions, crash input paths, log text)."""
    workdir = workdir or tempfile.mkdtemp(prefix="keel-libfuzzer-")
    corpus = os.path.join(workdir, "corpus-" + harness)
    artifacts = os.path.join(workdir, "artifacts-" + harness) + os.sep
    os.makedirs(corpus, exist_ok=True)
    os.makedirs(artifacts, exist_ok=True)
    argv = [binary(harness), "-max_total_time=%d" % seconds, "-print_final_stats=1",
            "-rss_limit_mb=2048", "-max_len=65536", "-artifact_prefix=" + artifacts,
            "-dict=" + os.path.join(HERE, "commands.dict"),
            corpus, os.path.join(HERE, "corpus", harness)]
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=1:allocator_may_return_null=1")
    proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
                          timeout=seconds + 120)
    log = proc.stdout.decode(errors="replace")
    match = re.search(r"stat::number_of_executed_units:\s*(\d+)", log)
    crashes = [os.path.join(artifacts, f) for f in sorted(os.listdir(artifacts))]
    if proc.returncode != 0 and not crashes:
        crashes = ["(exit status %d, no artifact)" % proc.returncode]
    return int(match.group(1)) if match else 0, crashes, log


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=int, default=60, help="total, split between harnesses")
    ap.add_argument("--harness", choices=HARNESSES)
    opts = ap.parse_args()
    harnesses = [opts.harness] if opts.harness else list(HARNESSES)
    per = max(1, opts.seconds // len(harnesses))
    failed = False
    workdir = tempfile.mkdtemp(prefix="keel-libfuzzer-")
    for h in harnesses:
        execs, crashes, log = run(h, per, workdir)
        print("fuzz_%s: %d executions in %ds, %d crashes" % (h, execs, per, len(crashes)))
        for c in crashes:
            failed = True
            print("  crash input: %s\n  reproduce: %s %s" % (c, binary(h), c))
        if crashes:
            print(log[-6000:])
    if not failed:
        shutil.rmtree(workdir, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
