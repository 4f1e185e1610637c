#!/usr/bin/env bash
# Redis 7.0.15's own instance-based suites (tests/cluster and tests/sentinel of
# ../shared/redis-suite) with a chosen binary as every data server. Not part of `make test`
# (about 10 minutes for sentinel, 30 for cluster, per run).
#
#   tests/instance-suite.sh cluster|sentinel BINARY [runtest-cluster/-sentinel args]
#   e.g. DST=/tmp/cl-keel  BASE=25000 tests/instance-suite.sh cluster  ./keel-server
#        DST=/tmp/cl-redis BASE=27000 tests/instance-suite.sh cluster  /usr/bin/redis-server
#        DST=/tmp/sn-keel  BASE=28000 tests/instance-suite.sh sentinel ./keel-server
#        tests/instance-suite.sh sentinel ./keel-server --single 05-manual
#
# A private copy of the shared run-normal.sh (which uses the fixed /tmp/keel-redis-suite-normal):
# the suite is copied to DST (default /tmp/keel-SUITE-suite-$BASE), ::sentinel_base_port is
# set to BASE and ::redis_base_port to BASE+200 in tests/instances.tcl, each range holding 200
# ports (the suite also needs port+10000 free: cluster bus ports), so two runs with BASEs 500
# apart do not collide. The suite starts src/redis-server for the data servers and
# src/redis-sentinel for the sentinels (instances.tcl exec_instance): src/redis-server -> BINARY
# and src/redis-sentinel -> /usr/bin/redis-sentinel, so the sentinels are always the real ones
# (Keel is no sentinel).
# The runner's output is the result ("GOOD! No errors." or "WARNING N test(s) failed."); the
# last line counts the tests: "instance-suite: N passed, M failed" (passed: lines ending in OK,
# (init) steps included; failed: FAILED lines). A failing test ends its unit ("Jumping to next
# unit after error"). Options: --single PATTERN (units), --dont-clean (keeps
# DST/tests/SUITE/tmp/*/log.txt), --pause-on-error.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
[[ $# -ge 2 ]] || { sed -n 2,24p "$0"; exit 2; }
suite=$1; shift
case "$suite" in cluster|sentinel) ;; *) echo "the first argument is cluster or sentinel" >&2; exit 2 ;; esac
bin=$(readlink -f "$1"); shift
[[ -x "$bin" ]] || { echo "instance-suite.sh: $bin is not an executable" >&2; exit 2; }
sentinel=$(command -v redis-sentinel || true)
[[ -n "$sentinel" || "$suite" == cluster ]] || { echo "needs redis-sentinel (apt-get install -y redis-sentinel)" >&2; exit 2; }
command -v tclsh >/dev/null || { echo "needs tclsh (apt-get install -y tcl)" >&2; exit 2; }
src=${SUITE_SRC:-$here/../../shared/redis-suite}
base=${BASE:-28000}
dst=${DST:-/tmp/keel-$suite-suite-$base}
case "$dst" in /tmp/?*) ;; *) echo "DST must be under /tmp" >&2; exit 2 ;; esac
rm -rf "$dst" && cp -r "$src/suite" "$dst" && chmod -R u+w "$dst"
sed -i -e "s/^set ::sentinel_base_port .*/set ::sentinel_base_port $base/" \
       -e "s/^set ::redis_base_port .*/set ::redis_base_port $((base + 200))/" \
       -e "s/^set ::redis_port_count .*/set ::redis_port_count 200/" "$dst/tests/instances.tcl"
mkdir -p "$dst/src"
ln -sf "$bin" "$dst/src/redis-server"
[[ -n "$sentinel" ]] && ln -sf "$sentinel" "$dst/src/redis-sentinel"
for t in redis-cli redis-benchmark redis-check-aof redis-check-rdb; do
    p=$(command -v "$t" || true); [[ -n "$p" ]] && ln -sf "$p" "$dst/src/$t"
done
cd "$dst"
log=$dst/runtest-$suite.log
rc=0
"./runtest-$suite" "$@" 2>&1 | tee "$log" || rc=$?
plain=$(sed 's/\x1b\[[0-9;]*m//g' "$log")
ok=$(grep -cE '^[0-9:]+> .*OK$' <<<"$plain" || true)
failed=$(grep -cE '^[0-9:]+> .*FAILED' <<<"$plain" || true)
echo "instance-suite: $ok passed, $failed failed"
exit "$rc"
