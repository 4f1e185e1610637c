# shellcheck shell=bash
# Shared helpers for the bench/*.sh scripts.  Source it; do not run it.
#
#   KEEL_SERVER   Keel binary (default ./keel-server)
#   REDIS_SERVER  reference binary (default: redis-server on PATH)
#   NO_PIN=1      do not pin with taskset
#   BENCH_NICE=N  run servers and clients under nice -n N (e.g. -10 on a shared machine)
#
# Servers are always started as
#   <bin> --port P --bind 127.0.0.1 --save "" --appendonly no
# on a free loopback port (never 6379), pinned to CPU 0; clients are pinned to CPU 1.
# Every server started through bench_start_server is stopped by bench_stop_all, which the
# scripts run from an EXIT trap.
#
# Server CPU time: bench_server_cpu_ns NAME prints the CPU time (user + system, all threads)
# the server has used so far, in nanoseconds.  Scripts read it just before and just after each
# redis-benchmark run and divide the difference by the requests: CPU time per request is far
# less sensitive to a shared machine than requests/s (a server waiting for its client, or
# descheduled, burns no CPU), so its keel/redis ratio (lower is better) is the figure to trust.

BENCH_PY=/usr/bin/python3
KEEL_SERVER=${KEEL_SERVER:-./keel-server}
REDIS_SERVER=${REDIS_SERVER:-$(command -v redis-server || echo /usr/bin/redis-server)}
REDIS_CLI=${REDIS_CLI:-$(command -v redis-cli || echo /usr/bin/redis-cli)}
REDIS_BENCHMARK=${REDIS_BENCHMARK:-$(command -v redis-benchmark || echo /usr/bin/redis-benchmark)}

# CPU pinning: server on CPU 0, clients on CPU 1, when taskset exists and there are >= 2 CPUs.
PIN_SERVER=()
PIN_CLIENT=()
PIN_NOTE="no pinning"
if [ "${NO_PIN:-0}" != 1 ] && command -v taskset >/dev/null 2>&1 && [ "$(nproc)" -ge 2 ]; then
    PIN_SERVER=(taskset -c 0)
    PIN_CLIENT=(taskset -c 1)
    PIN_NOTE="server on CPU 0, clients on CPU 1 (taskset)"
fi
# BENCH_NICE=-10 (for example) runs servers and clients at that nice level, so that unrelated
# load on a shared machine disturbs the runs less.  Off by default.
if [ -n "${BENCH_NICE:-}" ]; then
    PIN_SERVER+=(nice -n "$BENCH_NICE")
    PIN_CLIENT+=(nice -n "$BENCH_NICE")
    PIN_NOTE="$PIN_NOTE, nice $BENCH_NICE"
fi

BENCH_TMP=$(mktemp -d "${TMPDIR:-/tmp}/keel-bench.XXXXXX")
declare -A BENCH_PID=()     # name -> pid
declare -A BENCH_PORT=()    # name -> port
declare -A BENCH_BIN=()     # name -> binary

bench_die() { echo "error: $*" >&2; exit 2; }

# A free loopback port: bind 127.0.0.1:0 and read back what the kernel chose.
bench_free_port() {
    "$BENCH_PY" -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

bench_check_binaries() {
    [ -x "$KEEL_SERVER" ] || bench_die "Keel binary '$KEEL_SERVER' not found or not executable (build with make, or set KEEL_SERVER)"
    [ -x "$REDIS_SERVER" ] || bench_die "redis-server '$REDIS_SERVER' not found (apt-get install redis-server)"
    [ -x "$REDIS_CLI" ] || bench_die "redis-cli not found (apt-get install redis-tools)"
}

# bench_start_server NAME BINARY: start it on a fresh port, wait until it answers PING.
bench_start_server() {
    local name=$1 bin=$2 port pid
    port=$(bench_free_port)
    "${PIN_SERVER[@]}" "$bin" --port "$port" --bind 127.0.0.1 --save "" --appendonly no \
        >"$BENCH_TMP/$name.log" 2>&1 &
    pid=$!
    BENCH_PID[$name]=$pid
    BENCH_PORT[$name]=$port
    # shellcheck disable=SC2034  # read by the scripts that source this file
    BENCH_BIN[$name]=$bin
    for _ in $(seq 1 100); do
        if ! kill -0 "$pid" 2>/dev/null; then
            echo "server $name ($bin) exited during startup; log:" >&2
            tail -n 20 "$BENCH_TMP/$name.log" >&2
            return 1
        fi
        if [ "$("$REDIS_CLI" -p "$port" PING 2>/dev/null)" = PONG ]; then
            return 0
        fi
        sleep 0.05
    done
    echo "server $name ($bin) did not answer PING on port $port within 5 s" >&2
    return 1
}

# bench_server_cpu_ns NAME: CPU time used by the server so far, in ns.  Sums the per-thread
# sum_exec_runtime of /proc/PID/task/*/schedstat (ns resolution); without schedstat, falls
# back to utime+stime of /proc/PID/stat (clock ticks, whole process).  Prints 0 when the
# process is gone.
bench_server_cpu_ns() {
    local pid=${BENCH_PID[$1]:-} f total=0 hz
    if [ -z "$pid" ] || [ ! -d "/proc/$pid" ]; then echo 0; return; fi
    if [ -r "/proc/$pid/schedstat" ]; then
        for f in /proc/"$pid"/task/*/schedstat; do
            read -r ns _ <"$f" 2>/dev/null && total=$((total + ns))
        done
        echo "$total"
    else
        hz=$(getconf CLK_TCK)
        # fields 14 and 15 (utime, stime); the command name (field 2) may hold spaces
        awk -v hz="$hz" '{sub(/^.*\) /, ""); printf "%d\n", ($12 + $13) * 1000000000 / hz}' "/proc/$pid/stat"
    fi
}

# bench_cpu_us_per_req NS0 NS1 REQUESTS: microseconds of server CPU per request, or "error".
bench_cpu_us_per_req() {
    awk -v a="$1" -v b="$2" -v n="$3" 'BEGIN {if (n > 0 && b > a) printf "%.4f\n", (b - a) / 1000 / n; else print "error"}'
}

bench_alive() { kill -0 "${BENCH_PID[$1]}" 2>/dev/null; }

# Stop one server: SIGTERM, then SIGKILL after 5 s.  Only ever signals the pid we started.
bench_stop_server() {
    local name=$1 pid=${BENCH_PID[$1]:-}
    [ -n "$pid" ] || return 0
    if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null
        for _ in $(seq 1 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
    fi
    wait "$pid" 2>/dev/null
    unset "BENCH_PID[$name]"
}

bench_stop_all() {
    local name
    for name in "${!BENCH_PID[@]}"; do
        bench_stop_server "$name"
    done
    [ -n "${BENCH_KEEP_TMP:-}" ] || rm -rf "$BENCH_TMP"
}

# bench_cli NAME ARGS...: one redis-cli command against a started server.
bench_cli() {
    local name=$1; shift
    timeout 60 "$REDIS_CLI" -p "${BENCH_PORT[$name]}" "$@"
}

# bench_pipe NAME FILE: feed a RESP file through redis-cli --pipe (on the client CPU).
# Succeeds only when the server reported no errors.
bench_pipe() {
    local name=$1 file=$2 out
    out=$(timeout "${PIPE_TIMEOUT:-300}" "${PIN_CLIENT[@]}" "$REDIS_CLI" -p "${BENCH_PORT[$name]}" --pipe <"$file" 2>&1) || {
        echo "redis-cli --pipe into $name failed: $(echo "$out" | tail -n 2 | tr '\n' ' ')" >&2
        return 1
    }
    case $out in
        *"errors: 0,"*) return 0 ;;
        *) echo "redis-cli --pipe into $name reported errors: $(echo "$out" | tail -n 1)" >&2; return 1 ;;
    esac
}

bench_header() {
    echo "# $1"
    echo "# keel:  $KEEL_SERVER"
    echo "# redis: $REDIS_SERVER ($("$REDIS_SERVER" --version 2>/dev/null | head -n 1 | awk '{print $3}'))"
    echo "# $(date -u '+%Y-%m-%dT%H:%M:%SZ')  $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg), $PIN_NOTE"
}

# CPU time snapshot from /proc/stat: "total steal" in ticks.
bench_cpu_snapshot() {
    awk '/^cpu /{t=0; for (i=2;i<=NF;i++) t+=$i; print t, $9}' /proc/stat
}

# bench_steal_note "SNAP0" "SNAP1": share of CPU time stolen by the hypervisor in between.
bench_steal_note() {
    local t0 s0 t1 s1
    read -r t0 s0 <<<"$1"
    read -r t1 s1 <<<"$2"
    if [ $((t1 - t0)) -gt 0 ]; then
        awk -v s=$((s1 - s0)) -v t=$((t1 - t0)) 'BEGIN{printf "hypervisor steal during the runs: %.1f%% of CPU time%s\n", 100*s/t, (100*s/t > 2 ? " (noisy machine: expect wide spreads)" : "")}'
    fi
}
