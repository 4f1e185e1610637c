#!/usr/bin/env bash
# Redis 7.0.15's own Sentinel suite (tests/sentinel of ../shared/redis-suite) with a chosen
# binary as the monitored data servers and Debian's redis-sentinel 7.0.15 as the sentinels.
# Not part of `make test` (about 10 minutes per run).
#
#   tests/sentinel-suite.sh BINARY [runtest-sentinel args]
#   e.g. DST=/tmp/sn-keel  BASE=28000 tests/sentinel-suite.sh ./keel-server
#        DST=/tmp/sn-redis BASE=28500 tests/sentinel-suite.sh /usr/bin/redis-server
#        tests/sentinel-suite.sh ./keel-server --single 05-manual
#
# A private copy of the shared run-normal.sh (which uses the fixed /tmp/keel-redis-suite-normal):
# the suite is copied to DST (default /tmp/keel-sentinel-suite-$BASE), ::sentinel_base_port is
# set to BASE and ::redis_base_port to BASE+200 in tests/instances.tcl, each range holding 200
# ports (the suite also needs port+10000 free), so two runs with BASEs 500 apart do not collide.
# The suite starts src/redis-server for the data servers and src/redis-sentinel for the
# sentinels (instances.tcl exec_instance): src/redis-server -> BINARY and src/redis-sentinel ->
# /usr/bin/redis-sentinel, so the sentinels are always the real ones (Keel is no sentinel).
# runtest-sentinel's output is the result ("GOOD! No errors." or "WARNING N test(s) failed.");
# the last line counts the tests: "sentinel-suite: N passed, M failed" (passed: lines ending in
# OK, (init) steps included; failed: FAILED lines). A failing test ends its unit ("Jumping to
# next unit after error"). Options: --single PATTERN (units), --dont-clean (keeps
# DST/tests/sentinel/tmp/{redis,sentinel}_N/log.txt), --pause-on-error.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
[[ $# -ge 1 ]] || { sed -n 2,20p "$0"; exit 2; }
bin=$(readlink -f "$1"); shift
[[ -x "$bin" ]] || { echo "sentinel-suite.sh: $bin is not an executable" >&2; exit 2; }
sentinel=$(command -v redis-sentinel || true)
[[ -n "$sentinel" ]] || { echo "needs redis-sentinel (apt-get install -y redis-sentinel)" >&2; exit 2; }
command -v tclsh >/dev/null || { echo "needs tclsh (apt-get install -y tcl)" >&2; exit 2; }
src=${SUITE_SRC:-$here/../../shared/redis-suite}
base=${BASE:-28000}
dst=${DST:-/tmp/keel-sentinel-suite-$base}
case "$dst" in /tmp/?*) ;; *) echo "DST must be under /tmp" >&2; exit 2 ;; esac
rm -rf "$dst" && cp -r "$src/suite" "$dst" && chmod -R u+w "$dst"
sed -i -e "s/^set ::sentinel_base_port .*/set ::sentinel_base_port $base/" \
       -e "s/^set ::redis_base_port .*/set ::redis_base_port $((base + 200))/" \
       -e "s/^set ::redis_port_count .*/set ::redis_port_count 200/" "$dst/tests/instances.tcl"
mkdir -p "$dst/src"
ln -sf "$bin" "$dst/src/redis-server"
ln -sf "$sentinel" "$dst/src/redis-sentinel"
for t in redis-cli redis-benchmark redis-check-aof redis-check-rdb; do
    p=$(command -v "$t" || true); [[ -n "$p" ]] && ln -sf "$p" "$dst/src/$t"
done
cd "$dst"
log=$dst/runtest-sentinel.log
rc=0
./runtest-sentinel "$@" 2>&1 | tee "$log" || rc=$?
plain=$(sed 's/\x1b\[[0-9;]*m//g' "$log")
ok=$(grep -cE '^[0-9:]+> .*OK$' <<<"$plain" || true)
failed=$(grep -cE '^[0-9:]+> .*FAILED' <<<"$plain" || true)
echo "sentinel-suite: $ok passed, $failed failed"
exit "$rc"
