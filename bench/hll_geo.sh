#!/usr/bin/env bash
# Side-by-side HyperLogLog and geo throughput, Keel vs redis-server, with redis-benchmark
# (-c CLIENTS -P p -n N -r KEYSPACE) and these commands:
#   pfadd      PFADD hll e:__rand_int__               into an HLL already holding 100,000
#                                                     elements (dense)
#   pfcount    PFCOUNT hll                            the cached cardinality, invalidated by
#                                                     nothing: the common read
#   pfcount3   PFCOUNT hll h2 h3                      the union of three dense HLLs, computed
#                                                     every time (16384 registers each)
#   geosearch  GEOSEARCH g FROMMEMBER m:__rand_int__ BYRADIUS 20 km ASC COUNT 10
#                                                     over 100,000 points in a 6x4 degree area
#                                                     (members m:%012d, the names -r makes)
#
#   bash bench/hll_geo.sh
#   N=2000 ROUNDS=1 bash bench/hll_geo.sh           # smoke check (seconds)
#
# Environment: KEEL_SERVER [./keel-server], REDIS_SERVER, ROUNDS [3], N [200000; geosearch and
# pfcount3 use N/10], CLIENTS [50], PIPELINES ["1 16"], TESTS [pfadd,pfcount,pfcount3,geosearch],
# BENCH_RESULTS (file the RESULT lines are appended to).
# Output: median requests/s per (test, depth) over the rounds, the ratio keel/redis (goal >= 1.0),
# the median server CPU time per request and its ratio keel/redis (lower is better) and one
# line per row:
#   RESULT hll_geo.<test>.P<p> keel=<rps> redis=<rps> ratio=<keel/redis> better=higher goal=1.0
#          keel_cpu_us=<us> redis_cpu_us=<us> cpu_ratio=<keel/redis>
# Rounds interleave the servers (keel, redis, keel, ...).  Servers are pinned to CPU 0 and
# redis-benchmark to CPU 1 (bench/lib.sh).  CPU per request is the server's user+system time
# (all threads) read just before and after each redis-benchmark run over the requests: on a
# shared machine rps moves by 30% or more between runs while CPU per request moves far less,
# so compare that when the two disagree.
# Exit status: 0 even when a goal is missed; 1 when a server died or could not be started.

set -u
cd "$(dirname "$0")/.." || exit 2
. bench/lib.sh

ROUNDS=${ROUNDS:-3}
N=${N:-200000}
CLIENTS=${CLIENTS:-50}
PIPELINES=${PIPELINES:-"1 16"}
TESTS=${TESTS:-pfadd,pfcount,pfcount3,geosearch}
POINTS=100000
IFS=, read -r -a TEST_LIST <<<"$TESTS"

trap bench_stop_all EXIT
trap 'exit 130' INT TERM
bench_check_binaries
command -v "$REDIS_BENCHMARK" >/dev/null 2>&1 || bench_die "redis-benchmark not found (apt-get install redis-tools)"

# The data sets, as RESP files for redis-cli --pipe (seeded, so both servers get the same).
LOAD_HLL=$BENCH_TMP/hll.resp
LOAD_GEO=$BENCH_TMP/geo.resp
"$BENCH_PY" - "$LOAD_HLL" "$LOAD_GEO" "$POINTS" <<'EOF'
import random, sys

def resp(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)

hll_path, geo_path, points = sys.argv[1], sys.argv[2], int(sys.argv[3])
with open(hll_path, "wb") as f:
    for key, base in ((b"hll", 0), (b"h2", 50000), (b"h3", 120000)):
        for i in range(base, base + 100000, 1000):
            f.write(resp(b"PFADD", key, *[b"e:%012d" % j for j in range(i, i + 1000)]))
r = random.Random(7)
with open(geo_path, "wb") as f:
    for i in range(0, points, 500):
        args = []
        for j in range(i, i + 500):
            args += ["%.6f" % r.uniform(-1, 5), "%.6f" % r.uniform(44, 48), "m:%012d" % j]
        f.write(resp(b"GEOADD", b"g", *args))
EOF

bench_header "hll_geo: PFADD, PFCOUNT, GEOSEARCH; redis-benchmark -c $CLIENTS, -P {${PIPELINES// /,}}, N=$N, $ROUNDS rounds"
bench_start_server keel "$KEEL_SERVER" || exit 1
bench_start_server redis "$REDIS_SERVER" || exit 1
for name in keel redis; do
    bench_pipe "$name" "$LOAD_HLL" && bench_pipe "$name" "$LOAD_GEO" || exit 1
done

# The command line and request count of a test.
command_for() {
    case $1 in
        pfadd) echo "PFADD hll e:__rand_int__" ;;
        pfcount) echo "PFCOUNT hll" ;;
        pfcount3) echo "PFCOUNT hll h2 h3" ;;
        geosearch) echo "GEOSEARCH g FROMMEMBER m:__rand_int__ BYRADIUS 20 km ASC COUNT 10" ;;
        *) bench_die "unknown test '$1'" ;;
    esac
}
requests_for() {
    case $1 in pfcount3 | geosearch) echo $((N / 10)) ;; *) echo "$N" ;; esac
}
keyspace_for() {
    case $1 in geosearch) echo "$POINTS" ;; *) echo 1000000 ;; esac
}

# one run: prints "requests/s server-CPU-us-per-request" (either may be "error")
run_once() {
    local name=$1 test=$2 p=$3 out n cpu0 cpu1 rps
    n=$(requests_for "$test")
    cpu0=$(bench_server_cpu_ns "$name")
    # shellcheck disable=SC2046
    out=$(timeout 120 "${PIN_CLIENT[@]}" "$REDIS_BENCHMARK" -p "${BENCH_PORT[$name]}" -c "$CLIENTS" -P "$p" \
        -n "$n" -r "$(keyspace_for "$test")" -q --csv $(command_for "$test") 2>/dev/null) ||
        { echo error error; return; }
    cpu1=$(bench_server_cpu_ns "$name")
    rps=$(printf '%s\n' "$out" | grep '^"' | grep -v '^"test"' | head -n 1 | awk -F'","' '{print $2}' | tr -d '"')
    echo "${rps:-error} $(bench_cpu_us_per_req "$cpu0" "$cpu1" "$n")"
}

median() { sort -g | awk '{a[NR]=$1} END {if (NR) print a[int((NR+1)/2)]; else print "error"}'; }

status=0
for test in "${TEST_LIST[@]}"; do
    for p in $PIPELINES; do
        declare -A rps=() cpu=()
        for _ in $(seq 1 "$ROUNDS"); do
            for name in keel redis; do
                read -r one_rps one_cpu <<<"$(run_once "$name" "$test" "$p")"
                rps[$name]+="$one_rps "
                cpu[$name]+="$one_cpu "
                bench_alive "$name" || { echo "!! $name died" >&2; status=1; }
            done
        done
        # shellcheck disable=SC2086
        k=$(printf '%s\n' ${rps[keel]} | grep -v error | median)
        # shellcheck disable=SC2086
        r=$(printf '%s\n' ${rps[redis]} | grep -v error | median)
        # shellcheck disable=SC2086
        kc=$(printf '%s\n' ${cpu[keel]} | grep -v error | median)
        # shellcheck disable=SC2086
        rc=$(printf '%s\n' ${cpu[redis]} | grep -v error | median)
        ratio=$(awk -v k="$k" -v r="$r" 'BEGIN {if (r > 0 && k > 0) printf "%.2f", k / r; else print "nan"}')
        cratio=$(awk -v k="$kc" -v r="$rc" 'BEGIN {if (r > 0 && k > 0) printf "%.3f", k / r; else print "nan"}')
        verdict=$(awk -v x="$ratio" 'BEGIN {print (x != "nan" && x >= 1.0) ? "PASS" : "MISS"}')
        printf '%-10s -P %-3s keel %10s  redis %10s  ratio %s  goal 1.0  %s   cpu us/req keel %s redis %s ratio %s\n' \
            "$test" "$p" "$k" "$r" "$ratio" "$verdict" "$kc" "$rc" "$cratio"
        line="RESULT hll_geo.$test.P$p keel=$k redis=$r ratio=$ratio better=higher goal=1.0"
        line="$line keel_cpu_us=$kc redis_cpu_us=$rc cpu_ratio=$cratio"
        echo "$line"
        [ -n "${BENCH_RESULTS:-}" ] && echo "$line" >>"$BENCH_RESULTS"
        unset rps cpu
    done
done
exit $status
