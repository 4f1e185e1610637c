#!/usr/bin/env bash
# Redis 7.0.15's own Tcl test suite against Keel and against redis-server, side by side
# (`make redis-suite`; not part of `make test`: it takes minutes and needs the shared suite).
#
#   tests/redis-suite.sh [KEEL_BINARY]          default ./keel-server
#
# (a) external mode: for each unit of the features Keel has (EXTERNAL_UNITS), a fresh server
#     is started (Keel, then redis-server) and the unit runs against it;
# (b) normal mode: the suite starts the servers itself from its config files, for the units
#     of NORMAL_UNITS, once with Keel as src/redis-server and once with redis-server.
# Prints one row per unit: passed/failed for Keel and for redis-server ("failed" counts
# [err] and [exception] lines; a unit that did not finish is marked). Tests listed in
# tests/redis-suite-skips.txt (where Keel differs on purpose, see docs/compatibility.md) and
# the suite's external-skip.txt are skipped for both servers.
#
# Environment: SUITE_SRC (default ../shared/redis-suite beside the repository: the folder holding suite/),
# BASEPORT (default 21111; the suite's own ports are BASEPORT-32 .. BASEPORT+400, external
# mode's servers BASEPORT+500 and +501), EXTERNAL_UNITS, NORMAL_UNITS (space-separated; "" skips a mode),
# UNIT_TIMEOUT (seconds per unit, default 600), KEEP=1 keeps the work directory,
# SERVERS (default "keel redis"; "keel" alone runs only Keel, for quick iterations),
# TLS=1: normal mode with runtest --tls (servers on tls-port with tls-cluster and
# tls-replication, clients through tcl-tls; certificates from tests/security/gen_certs.sh in
# the suite's tests/tls layout); external mode is skipped then. E.g. the issue #17 run:
#   TLS=1 EXTERNAL_UNITS= NORMAL_UNITS=unit/tls BASEPORT=26000 tests/redis-suite.sh
# Every run copies the suite to its own directory under /tmp, so runs do not collide.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
keel=$(readlink -f "${1:-./keel-server}")
redis=/usr/bin/redis-server
suite_src=${SUITE_SRC:-$(cd "$(dirname "$0")/../.." && pwd)/shared/redis-suite}
baseport=${BASEPORT:-21111}
unit_timeout=${UNIT_TIMEOUT:-600}
read -r -a server_names <<< "${SERVERS:-keel redis}"

EXTERNAL_UNITS=${EXTERNAL_UNITS-"unit/protocol unit/keyspace unit/scan unit/info-command unit/type/string
unit/type/incr unit/type/list unit/type/list-2 unit/type/list-3 unit/type/set unit/type/zset
unit/type/hash unit/sort unit/expire unit/other unit/multi unit/quit unit/latency-monitor
unit/pubsub unit/slowlog unit/scripting unit/introspection unit/introspection-2 unit/bitops
unit/bitfield unit/lazyfree unit/pause unit/querybuf unit/tracking unit/replybufsize unit/dump
unit/hyperloglog unit/geo unit/type/stream unit/type/stream-cgroups unit/functions"}
NORMAL_UNITS=${NORMAL_UNITS-"unit/info unit/pause unit/maxmemory unit/limits unit/obuf-limits unit/querybuf
unit/pendingquerybuf unit/networking unit/client-eviction unit/shutdown unit/memefficiency
unit/oom-score-adj unit/latency-monitor unit/lazyfree integration/rdb integration/convert-zipmap-hash-on-load
integration/convert-ziplist-hash-on-load integration/convert-ziplist-zset-on-load integration/corrupt-dump"}

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

# The private copy (start_server sends FUNCTION FLUSH before each block, as against Redis).
cp -r "$suite_src/suite" "$work/suite" && chmod -R u+w "$work/suite"
mkdir -p "$work/suite/src"
for t in redis-cli redis-benchmark redis-check-aof redis-check-rdb; do
    p=$(command -v "$t" || true); [[ -n "$p" ]] && ln -sf "$p" "$work/suite/src/$t"
done

tls_args=()
if [[ "${TLS:-0}" == 1 ]]; then
    echo 'package require tls' | tclsh >/dev/null 2>&1 || die "TLS=1 needs tcl-tls (apt-get install -y tcl-tls)"
    "$here/security/gen_certs.sh" "$work/suite/tests/tls" redis-suite || die "gen_certs.sh failed"
    tls_args=(--tls)
    EXTERNAL_UNITS=""
fi

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

run_unit() {    # run_unit MODE SERVER-NAME UNIT (runtest arguments in RT_ARGS)
    local mode=$1 name=$2 u=$3 log rc status
    log="$work/logs/$mode-$name-$(echo "$u" | tr / _).log"
    ( cd "$work/suite" && TERM=dumb timeout -k 10 "$unit_timeout" ./runtest "${RT_ARGS[@]}" --single "$u" ) \
        > "$log" 2>&1 < /dev/null
    rc=$?
    status=done; [[ $rc == 124 || $rc == 137 ]] && status=timeout
    count "$log" "$mode" "$u" "$name" "$status"
    tail -1 "$results" | awk -F'\t' '{printf "  %-8s %-26s %-6s passed %-4s failed %-3s %s\n", $1, $2, $3, $4, $5, ($6 == "done" ? "" : $6)}'
}

# start_external BINARY PORT DIR: starts a server for external mode and waits until it is
# the one answering on PORT (not some other process that holds the port). Sets server_pid.
start_external() {
    local i
    mkdir -p "$3"
    "$1" --port "$2" --bind 127.0.0.1 --save '' --appendonly no --enable-debug-command yes \
        --dir "$3" > "$3/log" 2>&1 &
    server_pid=$!
    servers+=("$server_pid")
    for i in $(seq 1 200); do
        redis-cli -p "$2" info server 2>/dev/null | grep -q "^process_id:$server_pid" && return 0
        kill -0 "$server_pid" 2>/dev/null || break
        sleep 0.05
    done
    die "$1 did not start on port $2 (see $3/log)"
}

mkdir -p "$work/logs"
read -r -a ext_units <<< "$(echo $EXTERNAL_UNITS)"
read -r -a norm_units <<< "$(echo $NORMAL_UNITS)"

# External mode: a fresh server for every unit, so that CONFIG SETs a unit leaves behind (a
# test that fails between its CONFIG SET and the one putting the old value back) cannot make
# the next units fail.
if [[ ${#ext_units[@]} -gt 0 ]]; then
    port=$((baseport + 500))
    for name in "${server_names[@]}"; do
        bin=$keel; [[ $name == redis ]] && bin=$redis
        echo "external mode, $name ($bin), port $port"
        RT_ARGS=(--host 127.0.0.1 --port "$port" --baseport "$baseport" --durable --timeout 120 --skipfile "$skips")
        for u in "${ext_units[@]}"; do
            start_external "$bin" "$port" "$work/srv-$name"
            run_unit external "$name" "$u"
            kill "$server_pid" 2>/dev/null
            wait "$server_pid" 2>/dev/null
        done
        port=$((port + 1))
    done
fi

if [[ ${#norm_units[@]} -gt 0 ]]; then
    for name in "${server_names[@]}"; do
        bin=$keel; [[ $name == redis ]] && bin=$redis
        ln -sf "$bin" "$work/suite/src/redis-server"
        echo "normal mode, $name ($bin)"
        RT_ARGS=(--clients 1 --baseport "$baseport" --portcount 400 --durable --timeout 120 --skipfile "$skips"
                 "${tls_args[@]+"${tls_args[@]}"}")
        for u in "${norm_units[@]}"; do run_unit normal "$name" "$u"; done
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
