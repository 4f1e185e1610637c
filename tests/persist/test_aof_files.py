"""The append-only file on disk, both ways with redis-server 7.0.15: Keel loads an appendonlydir
written by redis-server (RDB base, AOF base, incremental files) and redis-server loads Keel's;
redis-check-aof accepts Keel's files; a truncated last command is handled per
aof-load-truncated (truncate and go on, or refuse); a corrupt file is refused with Redis's
message. Also: the layout Keel creates (manifest, names), BGREWRITEAOF under writes, CONFIG SET
appendonly yes at run time, AOF over RDB at start-up, INFO persistence. Every comparison is of
the whole keyspace (tests/persist/rdbutil.py).
"""

import os
import shutil
import subprocess

import pytest

from helpers import ORACLE_SERVER, Server, ServerError, keel_binary, long_mode, wait_until
from persist.aofutil import last_incr, manifest
from persist.rdbutil import assert_same as _assert_same, dataset, load, snapshot


def assert_same(a, b):
    """Snapshots before writing the AOF and after loading it: equal, except that consumer
    groups' entries-read/lag may become unknown (replayed XCLAIM ... LASTID, as redis-server)."""
    _assert_same(a, b, group_counters_may_be_lost=True)

SEEDS = range(4) if long_mode() else range(1)
LARGE = 3000 if long_mode() else 300
AOF = ["--appendonly", "yes", "--aof-timestamp-enabled", "no"]


def start(binary, name, directory, args=()):
    srv = Server(binary, name=name, extra_args=list(args))
    srv.dir = directory
    return srv.start()


def fresh_dir(tmp_path, name):
    d = tmp_path / name
    d.mkdir()
    return str(d)


def copy_aof(src_dir, dst_dir):
    shutil.copytree(os.path.join(src_dir, "appendonlydir"), os.path.join(dst_dir, "appendonlydir"))


def restart_and_compare(kdir, expected):
    """Keel started again on the AOF in kdir must hold exactly `expected`; returns the stopped
    server (for its log)."""
    keel = start(keel_binary(), "keel", kdir, AOF)
    try:
        assert_same(expected, snapshot(keel.client()))
    finally:
        keel.stop()
    return keel


def build(client, seed, rewrite_midway):
    """The dataset, in two halves with an AOF rewrite between them (base + incremental)."""
    cmds = dataset(seed, large=LARGE)
    half = len(cmds) // 2
    load(client, cmds[:half])
    if rewrite_midway:
        client.execute_command("BGREWRITEAOF")
        wait_until(lambda: client.info("persistence")["aof_rewrite_in_progress"] == 0, 30, what="the rewrite")
    load(client, cmds[half:])
    client.execute_command("SELECT", 3)
    client.execute_command("SET", "in-db-3", "x", "EX", 1000)
    client.execute_command("SELECT", 0)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("preamble", ["yes", "no"])
def test_redis_aof_loads_in_keel(tmp_path, seed, preamble):
    rdir = fresh_dir(tmp_path, "redis")
    redis = start(ORACLE_SERVER, "redis", rdir, AOF + ["--aof-use-rdb-preamble", preamble])
    try:
        rc = redis.client()
        build(rc, seed, rewrite_midway=True)
        expected = snapshot(rc, dbs=(0, 3, 5))
    finally:
        redis.stop()
    kdir = fresh_dir(tmp_path, "keel")
    copy_aof(rdir, kdir)
    keel = start(keel_binary(), "keel", kdir, AOF)
    try:
        assert_same(expected, snapshot(keel.client(), dbs=(0, 3, 5)))
    finally:
        keel.stop()


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("preamble", ["yes", "no"])
def test_keel_aof_loads_in_redis_and_passes_check_aof(tmp_path, seed, preamble):
    """With aof-use-rdb-preamble no the base is commands (.base.aof, "#TS:" first with
    aof-timestamp-enabled, as Redis); Keel itself, after DEBUG LOADAOF and a restart, and
    redis-server load the same data set from it."""
    kdir = fresh_dir(tmp_path, "keel")
    ts = ["--aof-timestamp-enabled", "yes" if preamble == "no" else "no"]
    keel = start(keel_binary(), "keel", kdir, AOF + ["--aof-use-rdb-preamble", preamble, "--enable-debug-command", "yes"] + ts)
    try:
        kc = keel.client()
        build(kc, seed, rewrite_midway=True)
        expected = snapshot(kc, dbs=(0, 3, 5))
        kc.execute_command("DEBUG", "LOADAOF")
        assert_same(expected, snapshot(kc, dbs=(0, 3, 5)))
    finally:
        keel.stop()
    rows = manifest(kdir)
    assert [kind for _, _, kind in rows] == ["b", "i"], rows
    kind = "rdb" if preamble == "yes" else "aof"
    assert rows[0][0] == "appendonly.aof.2.base." + kind and rows[1][0] == "appendonly.aof.2.incr.aof", rows
    with open(os.path.join(kdir, "appendonlydir", rows[0][0]), "rb") as f:
        head = f.read(5)
    assert head == (b"REDIS" if preamble == "yes" else b"#TS:1"), head
    keel = start(keel_binary(), "keel", kdir, AOF)
    try:
        assert_same(expected, snapshot(keel.client(), dbs=(0, 3, 5)))
    finally:
        keel.stop()
    assert sorted(os.listdir(os.path.join(kdir, "appendonlydir"))) == sorted(
        [r[0] for r in rows] + ["appendonly.aof.manifest"])   # the older files were deleted
    check = subprocess.run(["redis-check-aof", os.path.join(kdir, "appendonlydir", "appendonly.aof.manifest")],
                           capture_output=True, text=True, timeout=60)
    assert check.returncode == 0 and "is valid" in check.stdout, check.stdout + check.stderr
    rdir = fresh_dir(tmp_path, "redis")
    copy_aof(kdir, rdir)
    redis = start(ORACLE_SERVER, "redis", rdir, AOF)
    try:
        assert_same(expected, snapshot(redis.client(), dbs=(0, 3, 5)))
    finally:
        redis.stop()


def test_restart_keeps_everything_and_aof_wins_over_rdb(tmp_path):
    kdir = fresh_dir(tmp_path, "keel")
    keel = start(keel_binary(), "keel", kdir, AOF)
    try:
        kc = keel.client()
        load(kc, dataset(7, large=LARGE))
        kc.execute_command("SAVE")              # an RDB file with the same data...
        kc.execute_command("SET", "after-save", "1")   # ...but not this
        kc.execute_command("DEL", "in-db-5")
        expected = snapshot(kc)
        info = kc.info("persistence")
        assert info["aof_enabled"] == 1 and info["aof_last_write_status"] == "ok", info
    finally:
        keel.stop()
    keel = restart_and_compare(kdir, expected)
    log = open(keel.logfile).read()
    assert "DB loaded from append only file" in log, log


def _keel_with_aof(tmp_path, cmds):
    kdir = fresh_dir(tmp_path, "keel")
    keel = start(keel_binary(), "keel", kdir, AOF)
    try:
        load(keel.client(), cmds)
    finally:
        keel.stop()
    return kdir, last_incr(kdir)


def _start_fails(kdir, args, text):
    srv = Server(keel_binary(), name="keel", extra_args=AOF + list(args))
    srv.dir = kdir
    with pytest.raises(ServerError):
        srv.start(attempts=1)
    srv.stop(check=False)
    log = srv.read_logs()
    assert text in log, log
    return log


@pytest.mark.parametrize("cut", [1, 5, 12])
def test_truncated_last_command(tmp_path, cut):
    cmds = [[b"SET", b"k%d" % i, b"v%d" % i] for i in range(20)]
    kdir, incr = _keel_with_aof(tmp_path, cmds)
    with open(incr, "rb") as f:
        whole = f.read()
    last = whole.rindex(b"*3\r\n")
    with open(incr, "wb") as f:
        f.write(whole[:last + cut])             # the last SET cut short
    _start_fails(kdir, ["--aof-load-truncated", "no"], "Unexpected end of file reading the append only file")
    keel = start(keel_binary(), "keel", kdir, AOF + ["--aof-load-truncated", "yes"])
    try:
        kc = keel.client()
        assert kc.dbsize() == 19 and kc.get(b"k18") == b"v18" and kc.get(b"k19") is None
        kc.execute_command("SET", "new", "1")   # appended after the cut, so the file stays valid
    finally:
        keel.stop()
    assert "Truncating the AOF" in keel.read_logs()
    with open(incr, "rb") as f:
        assert f.read().startswith(whole[:last])
    keel = start(keel_binary(), "keel", kdir, AOF + ["--aof-load-truncated", "no"])
    try:
        assert keel.client().dbsize() == 20
    finally:
        keel.stop()


def test_incomplete_transaction_is_reverted(tmp_path):
    kdir, incr = _keel_with_aof(tmp_path, [[b"SET", b"before", b"1"]])
    with open(incr, "ab") as f:
        f.write(b"*1\r\n$5\r\nMULTI\r\n*3\r\n$3\r\nSET\r\n$6\r\ninside\r\n$1\r\n1\r\n")
    keel = start(keel_binary(), "keel", kdir, AOF)
    try:
        kc = keel.client()
        assert kc.get(b"before") == b"1" and kc.get(b"inside") is None
    finally:
        keel.stop()
    assert "Revert incomplete MULTI/EXEC transaction" in keel.read_logs()


@pytest.mark.parametrize("garbage", [b"*2\r\n$3\r\nGET\r\nxx\r\n", b"!garbage\r\n", b"*1\r\n$4\r\nNOPE\r\n"])
def test_corrupt_middle_is_refused(tmp_path, garbage):
    cmds = [[b"SET", b"k%d" % i, b"v"] for i in range(10)]
    kdir, incr = _keel_with_aof(tmp_path, cmds)
    with open(incr, "rb") as f:
        whole = f.read()
    middle = whole.index(b"*3\r\n$3\r\nSET\r\n$2\r\nk5")
    with open(incr, "wb") as f:
        f.write(whole[:middle] + garbage + whole[middle:])
    text = "Unknown command" if b"NOPE" in garbage else "Bad file format reading the append only file"
    _start_fails(kdir, ["--aof-load-truncated", "yes"], text)


def test_config_set_appendonly_at_run_time(tmp_path):
    kdir = fresh_dir(tmp_path, "keel")
    keel = start(keel_binary(), "keel", kdir)
    try:
        kc = keel.client()
        load(kc, dataset(3, large=LARGE))
        assert kc.config_set("appendonly", "yes")
        wait_until(lambda: kc.info("persistence")["aof_rewrite_in_progress"] == 0, 30, what="the first rewrite")
        kc.execute_command("SET", "after-enable", "1")
        expected = snapshot(kc)
        assert kc.info("persistence")["aof_rewrites"] == 1
    finally:
        keel.stop()
    restart_and_compare(kdir, expected)


def test_rewrite_under_writes_keeps_every_write(tmp_path):
    kdir = fresh_dir(tmp_path, "keel")
    keel = start(keel_binary(), "keel", kdir, AOF + ["--rdb-key-save-delay", "200"])
    try:
        kc = keel.client()
        load(kc, [[b"SET", b"k%d" % i, b"old"] for i in range(300)])
        raw = keel.raw()
        assert raw.call("BGREWRITEAOF").raw == b"+Background append only file rewriting started\r\n"
        raw.close()
        n = 0
        while kc.info("persistence")["aof_rewrite_in_progress"]:
            kc.execute_command("SET", "k%d" % (n % 300), "new%d" % n)
            kc.execute_command("INCR", "counter")
            n += 1
        assert n > 10, "the rewrite ended before the writes could interleave"
        expected = snapshot(kc)
    finally:
        keel.stop()
    restart_and_compare(kdir, expected)
