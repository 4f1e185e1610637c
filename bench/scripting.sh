#!/usr/bin/env bash
# Side-by-side EVALSHA throughput, Keel vs redis-server: a 3-command script
# (INCR, GET, EXPIRE on KEYS[1]) loaded with SCRIPT LOAD, then
#   redis-benchmark -c CLIENTS -P p -n N -r KEYSPACE EVALSHA <sha> 1 key:__rand_int__
#
#   bash bench/scripting.sh
#   N=2000 ROUNDS=1 bash bench/scripting.sh        # smoke check (seconds)
#
# Environment: KEEL_SERVER [./keel-server], REDIS_SERVER, ROUNDS [3], N [200000], CLIENTS [50],
# KEYSPACE [100000], PIPELINES ["1 16"], BENCH_RESULTS (file the RESULT lines are appended to).
# Output: median requests/s per pipeline depth over the rounds, the ratio keel/redis (goal
# >= 1.0) and one line per depth:
#   RESULT scripting.evalsha3.P<p> keel=<rps> redis=<rps> ratio=<keel/redis> better=higher goal=1.0
# Exit status: 0 even when the goal is missed; 1 when a server died or could not be started.

set -u
cd "$(dirname "$0")/.." || exit 2
. bench/lib.sh

ROUNDS=${ROUNDS:-3}
N=${N:-200000}
CLIENTS=${CLIENTS:-50}
KEYSPACE=${KEYSPACE:-100000}
PIPELINES=${PIPELINES:-"1 16"}
SCRIPT="redis.call('incr', KEYS[1]) local v = redis.call('get', KEYS[1]) redis.call('expire', KEYS[1], 100) return v"

trap bench_stop_all EXIT
trap 'exit 130' INT TERM
bench_check_binaries
command -v "$REDIS_BENCHMARK" >/dev/null 2>&1 || bench_die "redis-benchmark not found (apt-get install redis-tools)"

bench_header "scripting: EVALSHA of a 3-command script, redis-benchmark -c $CLIENTS, -P {${PIPELINES// /,}}, N=$N, keyspace $KEYSPACE, $ROUNDS rounds"
bench_start_server keel "$KEEL_SERVER" || exit 1
bench_start_server redis "$REDIS_SERVER" || exit 1

# one run: prints requests/s (or "error")
run_once() {
    local name=$1 p=$2 sha out
    bench_cli "$name" FLUSHALL >/dev/null
    sha=$(bench_cli "$name" SCRIPT LOAD "$SCRIPT")
    out=$(timeout 120 "${PIN_CLIENT[@]}" "$REDIS_BENCHMARK" -p "${BENCH_PORT[$name]}" -c "$CLIENTS" -P "$p" \
        -n "$N" -r "$KEYSPACE" -q --csv EVALSHA "$sha" 1 key:__rand_int__ 2>/dev/null) || { echo error; return; }
    printf '%s\n' "$out" | grep '^"' | grep -v '^"test"' | head -n 1 | awk -F'","' '{print $2}' | tr -d '"'
}

median() { sort -g | awk '{a[NR]=$1} END {if (NR) print a[int((NR+1)/2)]; else print "error"}'; }

status=0
for p in $PIPELINES; do
    declare -A rps=()
    for _ in $(seq 1 "$ROUNDS"); do
        for name in keel redis; do
            rps[$name]+="$(run_once "$name" "$p") "
            bench_alive "$name" || { echo "!! $name died" >&2; status=1; }
        done
    done
    k=$(printf '%s\n' ${rps[keel]} | grep -v error | median)
    r=$(printf '%s\n' ${rps[redis]} | grep -v error | median)
    ratio=$(awk -v k="$k" -v r="$r" 'BEGIN {if (r > 0 && k > 0) printf "%.2f", k / r; else print "nan"}')
    verdict=$(awk -v x="$ratio" 'BEGIN {print (x != "nan" && x >= 1.0) ? "PASS" : "MISS"}')
    printf 'evalsha3 -P %-3s keel %10s  redis %10s  ratio %s  goal 1.0  %s\n' "$p" "$k" "$r" "$ratio" "$verdict"
    line="RESULT scripting.evalsha3.P$p keel=$k redis=$r ratio=$ratio better=higher goal=1.0"
    echo "$line"
    [ -n "${BENCH_RESULTS:-}" ] && echo "$line" >>"$BENCH_RESULTS"
    unset rps
done
exit $status
