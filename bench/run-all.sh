#!/usr/bin/env bash
# Run every side-by-side benchmark, Keel vs redis-server.  Builds nothing (`make bench` builds
# ./keel-server first and then calls this).
#
#   bash bench/run-all.sh                 # quick: a few minutes in all
#   BENCH_FULL=1 bash bench/run-all.sh    # full sizes (tens of minutes, ~2 GB RAM, ~0.6 GB /tmp)
#   KEEL_SERVER=/usr/bin/redis-server bash bench/run-all.sh    # sanity: redis vs redis
#
# quick: throughput.sh (set,get,incr,mset,del,xadd,xrange_100,xreadgroup; N=500000 at -P 16,
#        100000 at -P 1), memory.py (1,000,000 string keys; one stream of 1,000,000 entries), growth.py --quick and insert_pause (1,310,720 keys), eviction.py and
#        lazyfree.py at small sizes, scripting.sh, hll_geo.sh, multi_pubsub.py; 3 rounds each (ROUNDS).
# full:  throughput.sh with every test (TESTS=all), N=2000000 / N_P1=400000, 5 rounds;
#        memory.py --datasets all; growth.py with 10,485,760 keys, 3 rounds, and
#        insert_pause (Keel in process, the same keys); eviction.py
#        around 2^20 keys; lazyfree.py with 5,000,000 keys; scripting.sh; hll_geo.sh; multi_pubsub.py.
# Settings passed in the environment (N, TESTS, ROUNDS, KEEL_SERVER, BENCH_NICE, ...) win over
# these defaults.  The RESULT lines of all three go to $BENCH_RESULTS (default
# bench/results/<UTC time>.txt, ignored by git); the exit status is non-zero if any script
# failed (a server could not start or died), not when a goal is missed.

set -u
cd "$(dirname "$0")/.." || exit 2
PY=/usr/bin/python3

mkdir -p bench/results
export BENCH_RESULTS=${BENCH_RESULTS:-bench/results/$(date -u +%Y%m%dT%H%M%SZ).txt}
export KEEL_SERVER=${KEEL_SERVER:-./keel-server}
{
    echo "# keel-bench $(date -u '+%Y-%m-%dT%H:%M:%SZ') keel=$KEEL_SERVER mode=$([ "${BENCH_FULL:-0}" = 1 ] && echo full || echo quick)"
    echo "# git $(git rev-parse --short HEAD 2>/dev/null || echo none)$(git status --porcelain 2>/dev/null | grep -q . && echo ' (dirty)')"
} >>"$BENCH_RESULTS"

# Keel only, in process: the slowest single SET while the keyspace grows (bench/insert_pause.c,
# built by `make bench`); skipped with a note when it was not built.
run_insert_pause() {
    local bin=build/release/insert_pause
    if [ ! -x "$bin" ]; then
        echo "# $bin not built (make insert-pause): skipped"
        return 0
    fi
    if [ "${NO_PIN:-0}" != 1 ] && command -v taskset >/dev/null; then
        taskset -c 0 "$bin" "$@"
    else
        "$bin" "$@"
    fi
}

status=0
start=$(date +%s)
if [ "${BENCH_FULL:-0}" = 1 ]; then
    ROUNDS_FULL=${ROUNDS:-5}
    TESTS=${TESTS:-all} N=${N:-2000000} N_P1=${N_P1:-400000} ROUNDS=$ROUNDS_FULL \
        bash bench/throughput.sh || status=1
    echo
    ROUNDS=${ROUNDS:-3} "$PY" bench/memory.py --datasets all || status=1
    echo
    ROUNDS=${ROUNDS:-3} "$PY" bench/growth.py || status=1
    echo
    run_insert_pause || status=1
    echo
    "$PY" bench/eviction.py || status=1
    echo
    "$PY" bench/lazyfree.py || status=1
    echo
    bash bench/scripting.sh || status=1
    echo
    bash bench/hll_geo.sh || status=1
    echo
    "$PY" bench/multi_pubsub.py || status=1
    echo
    "$PY" bench/cluster.py --keys 1000000 --requests 5000000 || status=1
else
    EXTRA_TESTS=${EXTRA_TESTS:-xadd,xrange_100,xreadgroup} bash bench/throughput.sh || status=1
    echo
    "$PY" bench/memory.py --datasets strings,stream || status=1
    echo
    "$PY" bench/growth.py --quick || status=1
    echo
    run_insert_pause 1310720 || status=1
    echo
    "$PY" bench/eviction.py --keys 20000 --bits 16 --rounds 2 --pause 1.1 || status=1
    echo
    "$PY" bench/lazyfree.py --keys 500000 || status=1
    echo
    N=50000 bash bench/scripting.sh || status=1
    echo
    N=50000 bash bench/hll_geo.sh || status=1
    echo
    "$PY" bench/multi_pubsub.py || status=1
    echo
    "$PY" bench/cluster.py || status=1
fi
echo
"$PY" bench/tls.py || status=1   # TLS: SET/GET at -P 1 and -P 16, both modes
echo
"$PY" bench/rdb_load.py --keys 1000000 --rounds 3 || status=1   # one RDB file loaded by both
echo
echo "# all benchmarks done in $(( $(date +%s) - start )) s; RESULT lines in $BENCH_RESULTS"
[ $status = 0 ] || echo "# at least one benchmark reported a server failure" >&2
exit $status
