"""The bounded differential fuzzing run of `make test`: fixed seeds, a fixed number of cases
(fewer under the sanitizer build, which is several times slower), every divergence printed as
a shrunk reproducer. Commands listed in specs.PENDING are left out here (see the comment
there); `make fuzz-diff` fuzzes everything for as long as asked."""


import pytest

from helpers import keel_is_redis, long_mode
from fuzz import diff_fuzz

SEEDS = (20261122, 7)
LENGTH = 60   # commands per case


def budget(keel_bin):
    """Cases per seed: about 25 s per seed for either build on a quiet 2-core machine."""
    if long_mode():
        return 5000
    return 400 if keel_bin.endswith("-san") else 800


@pytest.mark.parametrize("seed", SEEDS)
def test_diff_fuzz(keel, oracle, keel_bin, seed):
    ran, sent, failures = diff_fuzz.fuzz(keel, oracle, seed=seed, cases=budget(keel_bin),
                                         seconds=300, length=LENGTH, skip_pending=True)
    print("seed %d: %d cases, %d commands" % (seed, ran, sent))
    assert not failures, "\n\n".join(failures)
    assert ran > 0 and sent > 0


def test_grammar_covers_every_data_command(keel):
    """A command Keel implements is either in the grammar or deliberately excluded (server
    administration and connection state, documented in docs/compatibility.md), so that a new
    data command cannot silently go unfuzzed."""
    if keel_is_redis():
        pytest.skip("the grammar is checked against Keel's command table")
    implemented = {c for c in diff_fuzz.implemented_commands(keel) if "|" not in c}
    missing = implemented - diff_fuzz.specs.all_spec_commands() - diff_fuzz.specs.EXCLUDED
    assert not missing, "add rows to tests/fuzz/specs.py (or to EXCLUDED): %s" % sorted(missing)
