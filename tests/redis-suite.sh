#!/usr/bin/env bash
# Redis 7.0.15's own Tcl test suite against Keel and against redis-server, side by side
# (`make redis-suite`; not part of `make test`: it takes minutes and needs the shared suite).
#
#   tests/redis-suite.sh [KEEL_BINARY]          default ./keel-server
#
# (a) external mode: a server is started (Keel, then redis-server) and the units of the
#     features Keel has run against it (EXTERNAL_UNITS);
# (b) normal mode: the suite starts the servers itself from its config files, for the units
#     of NORMAL_UNITS, once with Keel as src/redis-server and once with redis-server.
# Prints one row per unit: passed/failed for Keel and for redis-server ("failed" counts
# [err] and [exception] lines; a unit that did not finish is marked). Tests listed in
# tests/redis-suite-skips.txt (where Keel differs on purpose, see docs/compatibility.md) and
# the suite's external-skip.txt are skipped for both servers.
#
# Environment: SUITE_SRC (default /work/shared/redis-suite: the folder holding suite/),
# BASEPORT (default 21111; normal mode uses BASEPORT-32 .. BASEPORT+400, external mode
# BASEPORT+500 and +501), EXTERNAL_UNITS, NORMAL_UNITS (space-separated; "" skips a mode),
# UNIT_TIMEOUT (seconds per unit, default 600), KEEP=1 keeps the work directory.
# Every run copies the suite to its own directory under /tmp, so runs do not collide.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
keel=$(readlink -f "${1:-./keel-server}")
redis=/usr/bin/redis-server
suite_src=${SUITE_SRC:-/work/shared/redis-suite}
baseport=${BASEPORT:-21111}
unit_timeout=${UNIT_TIMEOUT:-600}

EXTERNAL_UNITS=${EXTERNAL_UNITS-"unit/protocol unit/keyspace unit/scan unit/info-command unit/type/string
unit/type/incr unit/type/list unit/type/list-2 unit/type/list-3 unit/type/set unit/type/zset
unit/type/hash unit/sort unit/expire unit/other unit/multi unit/quit unit/latency-monitor
unit/pubsub unit/slowlog unit/scripting unit/introspection unit/introspection-2 unit/bitops
unit/bitfield unit/lazyfree unit/pause unit/querybuf unit/tracking unit/replybufsize"}
NORMAL_UNITS=${NORMAL_UNITS-"unit/info unit/maxmemory unit/limits unit/obuf-limits unit/querybuf
unit/pendingquerybuf unit/networking unit/client-eviction unit/shutdown unit/memefficiency
unit/oom-score-adj unit/latency-monitor unit/lazyfree"}

die() { echo "redis-suite.sh: $*" >&2; exit 2; }
[[ -x "$keel" ]] || die "$keel is not an executable (run make first)"
[[ -x "$redis" ]] || die "$redis not found (apt-get install -y redis-server)"
[[ -x "$suite_src/suite/runtest" ]] || die "no suite in $suite_src/suite"
command -v tclsh >/dev/null || die "tclsh not found (apt-get install -y tcl)"

work=$(mktemp -d /tmp/keel-redis-suite.XXXXXX)
servers=()
cleanup() {
    for pid in "${servers[@]+"${servers[@]}"}"; do kill "$pid" 2>/dev/null; done
    [[ "${KEEP:-0}" == 1 ]] && echo "work directory kept: $work" || rm -rf "$work"
}
trap cleanup EXIT

# The private copy. start_server sends FUNCTION FLUSH before each block; Keel has no
# FUNCTION yet, so it is wrapped in catch (as run.sh's SHIM_FUNCTION_FLUSH does), for both.
cp -r "$suite_src/suite" "$work/suite" && chmod -R u+w "$work/suite"
sed -i 's/^\(\s*\)r function flush\s*$/\1catch {r function flush}/' "$work/suite/tests/support/server.tcl"
mkdir -p "$work/suite/src"
for t in redis-cli redis-benchmark redis-check-aof redis-check-rdb; do
    p=$(command -v "$t" || true); [[ -n "$p" ]] && ln -sf "$p" "$work/suite/src/$t"
done

# One skip list for runtest: test names (or /regexps), reasons stripped.
skips=$work/skips.txt
{
    grep -v '^\s*#' "$suite_src/external-skip.txt" | grep -v '^\s*$'
    grep -v '^\s*#' "$here/redis-suite-skips.txt" | grep -v '^\s*$' | sed 's/ ## .*$//'
} > "$skips"

results=$work/results.tsv    # mode, unit, server, passed, failed, status
: > "$results"

# count LOG MODE UNIT SERVER STATUS: appends one row from a runtest log.
count() {
    local ok err exc status=$5
    ok=$(grep -c '^\[ok\]: ' "$1")
    err=$(grep -c '^\[err\]: ' "$1")
    exc=$(grep -c '^\[exception\]: ' "$1")
    grep -q '^\[TIMEOUT\]' "$1" && status=stalled
    [[ $status == done ]] && ! grep -q 'All tests passed\|tests failed' "$1" && status=aborted
    printf '%s\t%s\t%s\t%d\t%d\t%s\n' "$2" "$3" "$4" "$ok" "$((err + exc))" "$status" >> "$results"
}

run_units() {   # run_units MODE SERVER-NAME UNIT... (runtest args in RT_ARGS)
    local mode=$1 name=$2 u log rc status; shift 2
    for u in "$@"; do
        log="$work/logs/$mode-$name-$(echo "$u" | tr / _).log"
        ( cd "$work/suite" && TERM=dumb timeout -k 10 "$unit_timeout" ./runtest "${RT_ARGS[@]}" --single "$u" ) \
            > "$log" 2>&1 < /dev/null
        rc=$?
        status=done; [[ $rc == 124 || $rc == 137 ]] && status=timeout
        count "$log" "$mode" "$u" "$name" "$status"
        tail -1 "$results" | awk -F'\t' '{printf "  %-8s %-26s %-6s passed %-4s failed %-3s %s\n", $1, $2, $3, $4, $5, ($6 == "done" ? "" : $6)}'
    done
}

wait_ping() {   # wait_ping PORT PID: until the server answers or exits
    local i
    for i in $(seq 1 200); do
        [[ "$(redis-cli -p "$1" ping 2>/dev/null)" == PONG ]] && return 0
        kill -0 "$2" 2>/dev/null || return 1
        sleep 0.05
    done
    return 1
}

mkdir -p "$work/logs"
read -r -a ext_units <<< "$(echo $EXTERNAL_UNITS)"
read -r -a norm_units <<< "$(echo $NORMAL_UNITS)"

if [[ ${#ext_units[@]} -gt 0 ]]; then
    port=$((baseport + 500))
    for name in keel redis; do
        bin=$keel; [[ $name == redis ]] && bin=$redis
        mkdir -p "$work/srv-$name"
        "$bin" --port "$port" --bind 127.0.0.1 --save '' --appendonly no --enable-debug-command yes \
            --dir "$work/srv-$name" > "$work/srv-$name/log" 2>&1 &
        pid=$!
        servers+=("$pid")
        wait_ping "$port" "$pid" || die "$name did not start on port $port (see $work/srv-$name/log)"
        echo "external mode, $name ($bin), port $port"
        RT_ARGS=(--host 127.0.0.1 --port "$port" --durable --timeout 120 --skipfile "$skips")
        run_units external "$name" "${ext_units[@]}"
        # Units leave CONFIG changes behind; a fresh server per binary keeps the runs comparable.
        redis-cli -p "$port" shutdown nosave > /dev/null 2>&1
        wait "$pid" 2>/dev/null
        port=$((port + 1))
    done
fi

if [[ ${#norm_units[@]} -gt 0 ]]; then
    for name in keel redis; do
        bin=$keel; [[ $name == redis ]] && bin=$redis
        ln -sf "$bin" "$work/suite/src/redis-server"
        echo "normal mode, $name ($bin)"
        RT_ARGS=(--clients 1 --baseport "$baseport" --portcount 400 --durable --timeout 120 --skipfile "$skips")
        run_units normal "$name" "${norm_units[@]}"
    done
fi

echo
printf '%-8s %-26s | %-22s | %-22s\n' mode unit "keel passed/failed" "redis passed/failed"
awk -F'\t' '
    { key = $1 "\t" $2; if (!(key in seen)) { seen[key] = 1; order[n++] = key }
      cell[key, $3] = $4 "/" $5 ($6 == "done" ? "" : " " $6)
      pass[$3] += $4; fail[$3] += $5 }
    END {
        for (i = 0; i < n; i++) { split(order[i], f, "\t")
            printf "%-8s %-26s | %-22s | %-22s\n", f[1], f[2], cell[order[i], "keel"], cell[order[i], "redis"] }
        printf "%-35s | %-22s | %-22s\n", "total", pass["keel"] "/" fail["keel"], pass["redis"] "/" fail["redis"]
    }' "$results"
echo "logs: $work/logs (kept with KEEP=1)"
