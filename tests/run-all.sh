#!/usr/bin/env bash
# Runs every test suite and reports them all, failing at the end if any failed.
#
#   1. the layering of src/ (tests/check-layers.py: no file includes a higher layer's header)
#   2. each C unit-test binary of the release build (build/release/tests/test_*)
#   3. each C unit-test binary of the sanitizer build (build/san/tests/test_*)
#   4. pytest over tests/ against ./keel-server
#   5. pytest over tests/ against ./keel-server-san
#
# A "suite" is one binary or one pytest run. Each is bounded by a timeout so a hung test cannot
# hold CI. KEEL_LONG=1 in the environment selects the long modes (and longer timeouts); it
# reaches the binaries and pytest through the environment. The last line is
# "N passed, N failed" counting suites. `make test` builds everything first.
set -u

cd "$(dirname "$0")/.."

PYTHON=/usr/bin/python3
export PYTHONDONTWRITEBYTECODE=1   # keep __pycache__ out of the work tree
if [ "${KEEL_LONG:-0}" != "0" ] && [ -n "${KEEL_LONG:-}" ]; then
    UNIT_TIMEOUT=1800
    PYTEST_TIMEOUT=3600
    echo "== long mode (KEEL_LONG=$KEEL_LONG)"
else
    UNIT_TIMEOUT=300
    PYTEST_TIMEOUT=1800
fi

passed=0
failed=0
failures=()

record() {   # record NAME STATUS
    if [ "$2" -eq 0 ]; then
        passed=$((passed + 1))
        echo "== PASS $1"
    else
        failed=$((failed + 1))
        failures+=("$1 (status $2)")
        echo "== FAIL $1 (status $2)"
    fi
}

run_unit_dir() {   # run_unit_dir DIR
    local dir=$1 found=0 t status
    for t in "$dir"/test_*; do
        [ -f "$t" ] && [ -x "$t" ] || continue
        case "$t" in *.d|*.o) continue ;; esac
        found=1
        echo "== $t"
        timeout --kill-after=10 "$UNIT_TIMEOUT" "$t"
        status=$?
        [ "$status" -eq 124 ] && echo "   timed out after ${UNIT_TIMEOUT}s"
        record "$t" "$status"
    done
    if [ "$found" -eq 0 ]; then
        echo "== no unit-test binaries in $dir (run make unit-bins / make SANITIZE=1 unit-bins)"
        record "$dir/test_*" 1
    fi
}

run_pytest() {   # run_pytest SERVER_BINARY
    local server=$1 status extra=""
    # The libFuzzer harnesses are their own ASan+UBSan build: they run once, in the release pass.
    case "$server" in *-san) extra="--ignore=tests/fuzz/test_libfuzzer.py" ;; esac
    echo "== pytest tests/ with KEEL_SERVER=$server"
    if [ ! -x "$server" ]; then
        echo "   $server does not exist or is not executable"
        record "pytest[$server]" 1
        return
    fi
    KEEL_SERVER="$server" timeout --kill-after=30 "$PYTEST_TIMEOUT" \
        "$PYTHON" -m pytest -q -p no:cacheprovider -rfE $extra tests/
    status=$?
    case $status in
        5) echo "   pytest collected no tests" ;;
        124) echo "   timed out after ${PYTEST_TIMEOUT}s" ;;
    esac
    record "pytest[$server]" "$status"
}

echo "== tests/check-layers.py"
timeout --kill-after=10 60 "$PYTHON" tests/check-layers.py
record "check-layers" $?
run_unit_dir build/release/tests
run_unit_dir build/san/tests
run_pytest "$PWD/keel-server"
run_pytest "$PWD/keel-server-san"

echo
if [ "$failed" -gt 0 ]; then
    echo "Failed suites:"
    for f in "${failures[@]}"; do
        echo "  $f"
    done
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
