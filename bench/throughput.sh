#!/usr/bin/env bash
# Side-by-side request throughput, Keel vs redis-server, measured with redis-benchmark.
#
#   bash bench/throughput.sh                      # default tests, 3 rounds
#   KEEL_SERVER=/usr/bin/redis-server bash bench/throughput.sh    # sanity: redis vs redis
#
# Environment (defaults in brackets):
#   KEEL_SERVER   Keel binary [./keel-server];  REDIS_SERVER [redis-server on PATH]
#   ROUNDS        rounds; each round runs every (test, pipeline) on Keel then Redis [3]
#   N             requests per run at -P 16 (before the per-test scale below) [500000]
#   N_P1          requests per run at -P 1 [100000]
#   CLIENTS       redis-benchmark -c [50]
#   KEYSPACE      redis-benchmark -r for the key-addressed tests [100000]
#   DATASIZE      redis-benchmark -d (value bytes) [3]
#   PIPELINES     pipeline depths [1 16]
#   TESTS         comma list replacing the default list [set,get,incr,mset,del]
#   EXTRA_TESTS   comma list appended to TESTS, e.g. hset,lpush,rpop,sadd,zadd,lrange_100,zrange_100
#                 (TESTS=all means the default list plus all of those)
#   RUN_TIMEOUT   seconds before one redis-benchmark run is abandoned as "error" [120]
#   BENCH_RESULTS file the RESULT lines are appended to (besides stdout) [none]
#
# Tests.  Each run starts with FLUSHALL, then the test's setup, then one redis-benchmark
# invocation (-c CLIENTS -P p -n requests -r KEYSPACE -d DATASIZE -q --csv), client on CPU 1,
# servers on CPU 0.
#   set, get, incr, mset, hset, lpush, sadd, zadd   redis-benchmark -t <name>.  get first loads
#       key:000000000000..key:<KEYSPACE-1> with redis-cli --pipe so that every GET hits.
#       mset is redis-benchmark's "MSET (10 keys)"; its rps counts MSET commands.
#   rpop        the list "mylist" is first filled (redis-cli --pipe, RPUSH) with as many elements
#               as there will be RPOPs, so every RPOP pops something.
#   lrange_100  redis-benchmark -t lrange_100 (it pushes its own 'mylist' first; that prefill row
#               is not reported).
#   zrange_100  custom command  ZRANGE myzset 0 99  on a 1000-member zset loaded beforehand.
#   xadd        custom command  XADD mystream * f1 v1 f2 v2 f3 v3  on an empty key.
#   xrange_100  custom command  XRANGE mystream - + COUNT 100  on a 1000-entry stream (3 fields).
#   xreadgroup  custom command  XREADGROUP GROUP g c COUNT 1 STREAMS mystream >  on a stream of
#               as many entries as there will be reads, group g created at 0: every read
#               delivers one new entry (and adds it to the PEL).
#   del         custom command  DEL key:__rand_int__ -r R  over R = requests preloaded keys
#               (key:%012d, the names redis-benchmark generates).  DELs pick keys at random,
#               so about 63% (1-1/e) of them delete an existing key and the rest miss; the
#               hit/miss mix is statistically the same for both servers.  (redis-benchmark has
#               no sequential key mode, and cannot interleave SET and DEL in one run.)
#   anything else is passed to redis-benchmark -t as is and its first reported row is used.
# Requests per run = N (or N_P1) times a per-test scale so that each run takes roughly the
# same 1-3 s: mset, lrange_100 and zrange_100 use 1/4, zadd 1/2.
#
# Output: a table of median requests/s per (test, pipeline) over the rounds, the ratio
# keel/redis of the medians (higher is better), the goal (>= 1.0 at -P 1; >= 1.2 for SET and
# GET at -P 16; >= 1.0 for the rest) and PASS/MISS; then one line per row:
#   RESULT throughput.<test>.P<p> keel=<rps> redis=<rps> ratio=<keel/redis> better=higher ...
#          ... keel_cpu_us=<us> redis_cpu_us=<us> cpu_ratio=<keel/redis>
# Server CPU per request: the server's CPU time (user+system, all threads; bench_server_cpu_ns
# in bench/lib.sh) read just before and just after each redis-benchmark run, divided by the
# requests; the medians over the rounds and their ratio keel/redis (lower is better).  With
# 2 CPUs the servers share CPU 0 with nothing of ours and the client runs on CPU 1, but other
# load on the machine still moves rps by 30% or more between runs; CPU per request moves far
# less (a server that waits or is descheduled burns none), so it is the figure to compare
# when the rps spread is wider than the difference.  It includes the 50 connects/closes and
# redis-benchmark's CONFIG GET, the same for both servers.
# Exit status: 0, even when goals are missed; 1 when a server died or could not be started.

set -u
cd "$(dirname "$0")/.." || exit 2
. bench/lib.sh

ROUNDS=${ROUNDS:-3}
N=${N:-500000}
N_P1=${N_P1:-100000}
CLIENTS=${CLIENTS:-50}
KEYSPACE=${KEYSPACE:-100000}
DATASIZE=${DATASIZE:-3}
PIPELINES=${PIPELINES:-"1 16"}
RUN_TIMEOUT=${RUN_TIMEOUT:-120}
DEFAULT_TESTS=set,get,incr,mset,del
ALL_EXTRA=hset,lpush,rpop,sadd,zadd,lrange_100,zrange_100,xadd,xrange_100,xreadgroup
TESTS=${TESTS:-$DEFAULT_TESTS}
[ "$TESTS" = all ] && TESTS=$DEFAULT_TESTS,$ALL_EXTRA
[ -n "${EXTRA_TESTS:-}" ] && TESTS=$TESTS,$EXTRA_TESTS
IFS=, read -r -a TEST_LIST <<<"$TESTS"

trap bench_stop_all EXIT
trap 'exit 130' INT TERM
bench_check_binaries
command -v "$REDIS_BENCHMARK" >/dev/null 2>&1 || bench_die "redis-benchmark not found (apt-get install redis-tools)"

FAILED=0
RAW=$BENCH_TMP/raw.txt
: >"$RAW"

# requests for a test at pipeline depth p
requests_for() {
    local test=$1 p=$2 n
    if [ "$p" -le 1 ]; then n=$N_P1; else n=$N; fi
    case $test in
        mset|lrange_100|lrange_300|lrange_500|lrange_600|zrange_100|xrange_100) n=$((n / 4)) ;;
        zadd) n=$((n / 2)) ;;
    esac
    [ "$n" -ge 1000 ] || n=1000
    echo "$n"
}

# CSV row name redis-benchmark prints for a test
row_name() {
    case $1 in
        mset) echo "MSET (10 keys)" ;;
        lrange_100) echo "LRANGE_100 (first 100 elements)" ;;
        del) echo "DEL key:__rand_int__" ;;
        zrange_100) echo "ZRANGE myzset 0 99" ;;
        xadd) echo "XADD mystream * f1 v1 f2 v2 f3 v3" ;;
        xrange_100) echo "XRANGE mystream - + COUNT 100" ;;
        xreadgroup) echo "XREADGROUP GROUP g c COUNT 1 STREAMS mystream >" ;;
        *) echo "" ;;    # first row that is not a prefill
    esac
}

# cached RESP files for the setups
resp_file() {
    local kind=$1 count=$2 f
    f=$BENCH_TMP/$kind-$count.resp
    if [ ! -s "$f" ]; then
        case $kind in
            strings) "$BENCH_PY" bench/benchlib.py gen strings "$f" "$count" "$DATASIZE" 12 ;;
            list)    "$BENCH_PY" bench/benchlib.py gen list "$f" mylist "$count" "$DATASIZE" ;;
            zset)    "$BENCH_PY" bench/benchlib.py gen zset "$f" myzset "$count" ;;
            stream)  "$BENCH_PY" bench/benchlib.py gen stream "$f" mystream "$count" ;;
        esac || bench_die "could not generate $f"
    fi
    echo "$f"
}

# ensure_server NAME: restart a server that died (the run that saw it die is an error).
ensure_server() {
    local name=$1 bin
    if ! bench_alive "$name"; then
        echo "!! $name (pid ${BENCH_PID[$name]:-?}) is not running; log tail:" >&2
        tail -n 15 "$BENCH_TMP/$name.log" >&2
        FAILED=1
        bin=${BENCH_BIN[$name]}
        bench_stop_server "$name"
        bench_start_server "$name" "$bin" || { echo "!! could not restart $name" >&2; return 1; }
    fi
}

# run_one NAME TEST P ROUND: one measured run; appends "test p name round rps p50 p99 cpu" or
# "test p name round error" to $RAW.
run_one() {
    local name=$1 test=$2 p=$3 round=$4 n port args=() row out line rps p50 p99 cpu0 cpu1 cpu
    ensure_server "$name" || { echo "$test $p $name $round error" >>"$RAW"; return; }
    port=${BENCH_PORT[$name]}
    n=$(requests_for "$test" "$p")
    if [ "$(bench_cli "$name" FLUSHALL 2>&1)" != OK ]; then
        echo "!! FLUSHALL failed on $name" >&2
    fi
    case $test in
        get)
            bench_pipe "$name" "$(resp_file strings "$KEYSPACE")" || { echo "$test $p $name $round error" >>"$RAW"; return; }
            args=(-t get -r "$KEYSPACE") ;;
        del)
            bench_pipe "$name" "$(resp_file strings "$n")" || { echo "$test $p $name $round error" >>"$RAW"; return; }
            args=(-r "$n" DEL 'key:__rand_int__') ;;
        rpop)
            bench_pipe "$name" "$(resp_file list "$n")" || { echo "$test $p $name $round error" >>"$RAW"; return; }
            args=(-t rpop) ;;
        zrange_100)
            bench_pipe "$name" "$(resp_file zset 1000)" || { echo "$test $p $name $round error" >>"$RAW"; return; }
            args=(ZRANGE myzset 0 99) ;;
        xadd)
            args=(XADD mystream '*' f1 v1 f2 v2 f3 v3) ;;
        xrange_100)
            bench_pipe "$name" "$(resp_file stream 1000)" || { echo "$test $p $name $round error" >>"$RAW"; return; }
            args=(XRANGE mystream - + COUNT 100) ;;
        xreadgroup)
            bench_pipe "$name" "$(resp_file stream "$n")" || { echo "$test $p $name $round error" >>"$RAW"; return; }
            bench_cli "$name" XGROUP CREATE mystream g 0 >/dev/null
            args=(XREADGROUP GROUP g c COUNT 1 STREAMS mystream '>') ;;
        *)
            args=(-t "$test" -r "$KEYSPACE") ;;
    esac
    cpu0=$(bench_server_cpu_ns "$name")
    out=$(timeout "$RUN_TIMEOUT" "${PIN_CLIENT[@]}" "$REDIS_BENCHMARK" -h 127.0.0.1 -p "$port" \
            -c "$CLIENTS" -P "$p" -n "$n" -d "$DATASIZE" -q --csv "${args[@]}" 2>"$BENCH_TMP/bm.err")
    cpu1=$(bench_server_cpu_ns "$name")
    cpu=$(bench_cpu_us_per_req "$cpu0" "$cpu1" "$n")
    row=$(row_name "$test")
    if [ -n "$row" ]; then
        line=$(printf '%s\n' "$out" | grep -F "\"$row\"," | head -n 1)
    else
        line=$(printf '%s\n' "$out" | grep -v '^"test"' | grep -v 'needed to' | grep '^"' | head -n 1)
    fi
    if [ -z "$line" ]; then
        echo "!! $test -P $p on $name: no result ($(tr '\r\n' '  ' <"$BENCH_TMP/bm.err" | cut -c1-200))" >&2
        echo "$test $p $name $round error" >>"$RAW"
    else
        # "name","rps","avg","min","p50","p95","p99","max"
        rps=$(printf '%s\n' "$line" | awk -F'","' '{print $2}')
        p50=$(printf '%s\n' "$line" | awk -F'","' '{print $5}')
        p99=$(printf '%s\n' "$line" | awk -F'","' '{print $7}')
        echo "$test $p $name $round $rps $p50 $p99 $cpu" >>"$RAW"
    fi
    bench_alive "$name" || ensure_server "$name" || true
}

bench_header "throughput: redis-benchmark -c $CLIENTS, -P {${PIPELINES// /,}}, N=$N (P16) N_P1=$N_P1, keyspace $KEYSPACE, -d $DATASIZE, $ROUNDS rounds (keel, redis interleaved)"
echo "# tests: $TESTS"
bench_start_server keel "$KEEL_SERVER" || { FAILED=1; exit 1; }
bench_start_server redis "$REDIS_SERVER" || { FAILED=1; exit 1; }

start=$(date +%s)
STAT0=$(bench_cpu_snapshot)
for round in $(seq 1 "$ROUNDS"); do
    for test in "${TEST_LIST[@]}"; do
        for p in $PIPELINES; do
            run_one keel "$test" "$p" "$round"
            run_one redis "$test" "$p" "$round"
        done
    done
    echo "# round $round/$ROUNDS done ($(( $(date +%s) - start )) s)"
done

STAT1=$(bench_cpu_snapshot)
echo "# $(bench_steal_note "$STAT0" "$STAT1")"

"$BENCH_PY" - "$RAW" "$TESTS" "$PIPELINES" <<'EOF'
import sys
sys.path.insert(0, "bench")
from benchlib import median, ratio, result_line, emit_results

raw, tests, pipelines = sys.argv[1], sys.argv[2].split(","), [int(p) for p in sys.argv[3].split()]
runs = {}
for line in open(raw):
    f = line.split()
    key = (f[0], int(f[1]), f[2])
    runs.setdefault(key, []).append(None if f[4] == "error" else
                                    (float(f[4]), float(f[5]), float(f[6]),
                                     None if f[7] == "error" else float(f[7])))

def med(key, i):
    vals = runs.get(key, [])
    if not vals or any(v is None or v[i] is None for v in vals):
        return None
    return median([v[i] for v in vals])

def spread(key):
    """(max - min) / median of the rps over the rounds, in percent."""
    vals = runs.get(key, [])
    if len(vals) < 2 or any(v is None for v in vals):
        return None
    xs = [v[0] for v in vals]
    m = median(xs)
    return 100.0 * (max(xs) - min(xs)) / m if m else None

print()
print("%-11s %3s %12s %12s %7s  %-6s %-5s %-11s %9s %9s %7s" % ("test", "P", "keel rps", "redis rps", "ratio", "goal", "", "spread k/r",
      "keel us", "redis us", "cpu k/r"))
results = []
for t in tests:
    for p in pipelines:
        k, r = med((t, p, "keel"), 0), med((t, p, "redis"), 0)
        rat = ratio(k, r)
        goal = 1.2 if (p > 1 and t in ("set", "get")) else 1.0
        status = "ERROR" if rat is None else ("PASS" if rat >= goal else "MISS")
        fmt = lambda v: "error" if v is None else "{:,.0f}".format(v)
        sk, sr = spread((t, p, "keel")), spread((t, p, "redis"))
        sp = "%s/%s" % tuple("-" if x is None else "%.0f%%" % x for x in (sk, sr))
        kc, rc = med((t, p, "keel"), 3), med((t, p, "redis"), 3)
        crat = ratio(kc, rc)
        print("%-11s %3d %12s %12s %7s  >=%-4.1f %-5s %-11s %9s %9s %7s" % (t, p, fmt(k), fmt(r),
              "n/a" if rat is None else "%.3f" % rat, goal, status, sp,
              "error" if kc is None else "%.3f" % kc, "error" if rc is None else "%.3f" % rc,
              "n/a" if crat is None else "%.3f" % crat))
        kp50, rp50 = med((t, p, "keel"), 1), med((t, p, "redis"), 1)
        kp99, rp99 = med((t, p, "keel"), 2), med((t, p, "redis"), 2)
        extra = "unit=rps goal=%.1f status=%s rounds=%d" % (goal, status, len(runs.get((t, p, "keel"), [])))
        if kp50 is not None and rp50 is not None:
            extra += " keel_p50_ms=%g redis_p50_ms=%g keel_p99_ms=%g redis_p99_ms=%g" % (kp50, rp50, kp99, rp99)
        if crat is not None:
            extra += " keel_cpu_us=%.4f redis_cpu_us=%.4f cpu_ratio=%.4f" % (kc, rc, crat)
        results.append(result_line("throughput.%s.P%d" % (t, p), k, r, rat, "higher", extra))
print("# ratio = median keel rps / median redis rps (higher is better); spread = (max-min)/median")
print("# of each server's runs over the rounds: differences below the spread are noise")
print("# keel us / redis us = median server CPU time (user+system) per request in microseconds;")
print("# cpu k/r = their ratio (lower is better): far less sensitive to a shared machine than rps")
emit_results(results)
EOF
[ $FAILED = 0 ] || { echo "# a server died or failed during the run" >&2; exit 1; }
exit 0
