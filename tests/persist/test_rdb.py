"""RDB snapshots, both ways with redis-server 7.0.15: files written by Keel's SAVE load into
redis-server (and pass redis-check-rdb), files written by redis-server load into Keel, Redis's
sample files of older encodings load into Keel as into Redis, and DUMP payloads RESTORE across.
Every comparison is of the whole keyspace: type, OBJECT ENCODING, value and TTL of every key.

Also: SAVE/LASTSAVE/INFO persistence, DEBUG RELOAD, SHUTDOWN SAVE/NOSAVE, the save on SIGTERM
with save points, and the save points themselves.
"""

import os
import random
import shutil
import subprocess

import pytest

from helpers import ORACLE_SERVER, Server, ServerError, keel_binary, long_mode, wait_until
from persist.rdbutil import assert_same, dataset, load, snapshot

# Redis's sample RDB files, in the shared folder beside the repository (as CI lays it out).
ASSETS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared", "redis-suite", "suite",
                      "tests", "assets")
SEEDS = range(6) if long_mode() else range(2)
LARGE = 3000 if long_mode() else 600


def start(binary, name, directory=None, args=()):
    srv = Server(binary, name=name, extra_args=list(args))
    if directory:
        srv.dir = directory
    return srv.start()


def save_and_copy(client, src_dir, dst_dir, name="dump.rdb"):
    assert client.execute_command("SAVE") in (b"OK", "OK", True)
    shutil.copy(os.path.join(src_dir, "dump.rdb"), os.path.join(dst_dir, name))


def fresh_dir(tmp_path, name):
    d = tmp_path / name
    d.mkdir()
    return str(d)


@pytest.mark.parametrize("seed", SEEDS)
def test_keel_file_loads_in_redis(tmp_path, seed):
    keel = start(keel_binary(), "keel", fresh_dir(tmp_path, "keel"))
    try:
        kc = keel.client()
        load(kc, dataset(seed, large=LARGE))
        expected = snapshot(kc)
        rdir = fresh_dir(tmp_path, "redis")
        save_and_copy(kc, keel.dir, rdir)
    finally:
        keel.stop()
    check = subprocess.run(["redis-check-rdb", os.path.join(rdir, "dump.rdb")], capture_output=True, text=True,
                           timeout=60)
    assert check.returncode == 0 and "RDB looks OK" in check.stdout, check.stdout + check.stderr
    redis = start(ORACLE_SERVER, "redis", rdir)
    try:
        assert_same(expected, snapshot(redis.client()))
    finally:
        redis.stop()


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("compression", ["yes", "no"])
def test_redis_file_loads_in_keel(tmp_path, seed, compression):
    redis = start(ORACLE_SERVER, "redis", fresh_dir(tmp_path, "redis"), ["--rdbcompression", compression])
    try:
        rc = redis.client()
        load(rc, dataset(100 + seed, large=LARGE))
        expected = snapshot(rc)
        kdir = fresh_dir(tmp_path, "keel")
        save_and_copy(rc, redis.dir, kdir)
    finally:
        redis.stop()
    keel = start(keel_binary(), "keel", kdir)
    try:
        assert "DB loaded from disk" in keel.read_logs()
        assert_same(expected, snapshot(keel.client()))
    finally:
        keel.stop()


@pytest.mark.parametrize("asset", ["encodings.rdb", "hash-ziplist.rdb", "hash-zipmap.rdb", "list-quicklist.rdb",
                                   "zset-ziplist.rdb", "scriptbackup.rdb"])
def test_redis_sample_files(tmp_path, asset):
    """Redis's own sample files (older encodings: zipmap, ziplist, intset, quicklist v1)."""
    snaps = []
    for binary, name in ((ORACLE_SERVER, "redis"), (keel_binary(), "keel")):
        d = fresh_dir(tmp_path, name)
        shutil.copy(os.path.join(ASSETS, asset), os.path.join(d, "dump.rdb"))
        srv = start(binary, name, d)
        try:
            c = srv.client()
            snaps.append(snapshot(c, dbs=range(16)))
        finally:
            srv.stop()
    assert snaps[0] or asset == "scriptbackup.rdb", "the sample file holds keys"   # that one: a script
    assert_same(snaps[0], snaps[1])


def test_save_reload_and_info(tmp_path):
    keel = start(keel_binary(), "keel", fresh_dir(tmp_path, "keel"), ["--enable-debug-command", "yes"])
    try:
        c = keel.client()
        load(c, dataset(7, large=LARGE))
        before = snapshot(c)
        info = c.info("persistence")
        assert info["rdb_changes_since_last_save"] > 0
        assert c.execute_command("SAVE")
        info = c.info("persistence")
        assert info["rdb_changes_since_last_save"] == 0
        assert info["rdb_last_bgsave_status"] == "ok"
        assert c.lastsave().timestamp() == info["rdb_last_save_time"]
        assert c.execute_command("DEBUG", "RELOAD")
        assert_same(before, snapshot(c))
        assert c.info("persistence")["rdb_last_load_keys_loaded"] == len(before)
        assert keel.raw().call("BGSAVE").raw == b"+Background saving started\r\n"
        wait_until(lambda: c.info("persistence")["rdb_bgsave_in_progress"] == 0, 30, what="the BGSAVE")
        assert c.info("persistence")["rdb_last_bgsave_status"] == "ok"
        c.set("after", "x")
        assert c.execute_command("DEBUG", "RELOAD", "NOSAVE")
        assert c.get("after") is None
    finally:
        keel.stop()


def test_shutdown_save_and_nosave(tmp_path):
    d = fresh_dir(tmp_path, "keel")
    keel = start(keel_binary(), "keel", d)
    c = keel.client()
    c.set("a", "1")
    with pytest.raises(Exception):
        c.execute_command("SHUTDOWN", "SAVE")
    keel.proc.wait(timeout=10)
    keel = start(keel_binary(), "keel", d)
    try:
        c = keel.client()
        assert c.get("a") == b"1"
        c.set("b", "2")
        with pytest.raises(Exception):
            c.execute_command("SHUTDOWN", "NOSAVE")
        keel.proc.wait(timeout=10)
    finally:
        keel.stop()
    keel = start(keel_binary(), "keel", d)
    try:
        assert keel.client().get("b") is None
    finally:
        keel.stop()


def test_sigterm_saves_with_save_points(tmp_path):
    d = fresh_dir(tmp_path, "keel")
    keel = start(keel_binary(), "keel", d, ["--save", "3600", "1"])
    keel.client().set("k", "v")
    keel.stop()
    assert "DB saved on disk" in keel.read_logs()
    keel = start(keel_binary(), "keel", d)
    try:
        assert keel.client().get("k") == b"v"
    finally:
        keel.stop()


def test_save_point_triggers_a_save(tmp_path):
    keel = start(keel_binary(), "keel", fresh_dir(tmp_path, "keel"), ["--save", "1", "2"])
    try:
        c = keel.client()
        start_saves = c.info("persistence")["rdb_saves"]
        c.mset({"a": 1, "b": 2, "c": 3})
        wait_until(lambda: c.info("persistence")["rdb_saves"] > start_saves, 10, what="a save point save")
        assert c.info("persistence")["rdb_changes_since_last_save"] == 0
    finally:
        keel.stop()


def test_failed_save_refuses_writes(tmp_path):
    # A failed SAVE leaves the status as it was (as Redis's rdbSave); a failed BGSAVE fails
    # writes with MISCONF.
    d = fresh_dir(tmp_path, "keel")
    keel = start(keel_binary(), "keel", d, ["--save", "3600", "1", "--dbfilename", "missing-dir/dump.rdb"])
    try:
        c = keel.client()
        assert keel.raw().call("SAVE").raw == b"-ERR\r\n"
        assert c.info("persistence")["rdb_last_bgsave_status"] == "ok"
        assert c.set("x", "0")
        c.delete("x")
        keel.raw().call("BGSAVE")
        wait_until(lambda: c.info("persistence")["rdb_last_bgsave_status"] == "err", 10, what="the BGSAVE to fail")
        with pytest.raises(Exception, match="MISCONF"):
            c.set("x", "1")
        assert c.get("x") is None
        c.config_set("stop-writes-on-bgsave-error", "no")
        assert c.set("x", "1")
    finally:
        keel.stop()


def test_dump_restore_across_servers(keel, oracle):
    """Every key DUMPed by one server RESTOREs in the other with the same value and encoding, and
    the payloads are byte-identical where the encodings are the same."""
    kc, rc = keel.client(), oracle.client()
    for c in (kc, rc):
        c.config_set("rdbcompression", "no")   # Keel's LZF output is valid but not liblzf's
    try:
        _dump_restore_across(kc, rc)
    finally:
        for c in (kc, rc):
            c.config_set("rdbcompression", "yes")


def _dump_restore_across(kc, rc):
    cmds = dataset(42, large=LARGE)
    load(kc, cmds)
    load(rc, cmds)
    ks, rs = snapshot(kc, dbs=(0,)), snapshot(rc, dbs=(0,))
    assert_same(rs, ks)
    identical = 0
    for (_, key), (t, enc, _, _, _) in ks.items():
        kd, rd = kc.dump(key), rc.dump(key)
        # Streams carry delivery and seen times, and Keel closes nodes by its own byte count:
        # their byte equality is tested on streams of small values without groups below.
        if enc not in (b"hashtable", b"stream"):
            assert kd == rd, (key, enc)
            identical += 1
        for c in (kc, rc):
            c.restore(b"from-keel:" + key, 0, kd)
            c.restore(b"from-redis:" + key, 0, rd)
            for prefix in (b"from-keel:", b"from-redis:"):
                assert c.type(prefix + key) == t
                assert c.object("encoding", prefix + key) == enc
    assert identical > 0
    ks, rs = snapshot(kc, dbs=(0,)), snapshot(rc, dbs=(0,))
    assert_same(rs, ks)


def _small_stream(rng, client, key, n):
    fields = [b"f%d" % i for i in range(rng.randint(1, 3))]
    pipe = client.pipeline(transaction=False)
    ids = []
    for j in range(n):
        if rng.random() < 0.1:
            fields = [b"g%d" % i for i in range(rng.randint(1, 3))]
        ids.append(b"%d-%d" % (1000 + j // 3, j))
        args = []
        for f in fields:
            args += [f, rng.choice([b"%d" % rng.randint(-5000, 5000), b"v", b"12345678901", b"-"])]
        pipe.execute_command("XADD", key, ids[-1], *args)
    for i in rng.sample(range(n), rng.randint(0, n // 3)):
        pipe.execute_command("XDEL", key, ids[i])
    pipe.execute()


@pytest.mark.parametrize("n", [1, 7, 99, 100, 101, 250])
def test_stream_dump_is_byte_identical(keel, oracle, n):
    """A stream of small values without groups DUMPs byte for byte as redis-server's: the same
    listpacks (master entries, SAMEFIELDS entries, tombstones, node boundaries) and metadata."""
    kc, rc = keel.client(), oracle.client()
    for c in (kc, rc):
        c.config_set("rdbcompression", "no")   # Keel's LZF output is valid but not liblzf's
        _small_stream(random.Random(n), c, b"s", n)
    try:
        assert kc.dump(b"s") == rc.dump(b"s")
    finally:
        for c in (kc, rc):
            c.config_set("rdbcompression", "yes")


def _len_at(b, i):
    """An RDB length at b[i]: (value, next index)."""
    kind = b[i] >> 6
    if kind == 0:
        return b[i] & 0x3F, i + 1
    if kind == 1:
        return ((b[i] & 0x3F) << 8) | b[i + 1], i + 2
    n = 4 if b[i] == 0x80 else 8
    return int.from_bytes(b[i + 1:i + 1 + n], "big"), i + 1 + n


def _string_at(b, i):
    n, i = _len_at(b, i)   # rdbcompression is off: plain strings
    return i + n


def _stream_v1(payload):
    """A STREAM_LISTPACKS_2 DUMP payload rewritten as Redis 5-6.2's STREAM_LISTPACKS (15): the
    same without first ID, max deleted ID, entries added and the groups' entries read."""
    from persist.rdbutil import with_footer
    b = payload[:-10]
    assert b[0] == 19
    out, i = bytearray([15]), 1
    nodes, j = _len_at(b, i)
    for _ in range(nodes):
        j = _string_at(b, _string_at(b, j))
    for _ in range(3):                      # length, last ID
        j = _len_at(b, j)[1]
    out += b[i:j]
    for _ in range(5):                      # dropped
        j = _len_at(b, j)[1]
    groups, k = _len_at(b, j)
    out += b[j:k]
    for _ in range(groups):
        j = _string_at(b, k)
        j = _len_at(b, _len_at(b, j)[1])[1]
        out += b[k:j]
        k = _len_at(b, j)[1]                # dropped: entries read
        npel, j = _len_at(b, k)
        for _ in range(npel):
            j = _len_at(b, j + 24)[1]
        nconsumers, j = _len_at(b, j)
        for _ in range(nconsumers):
            j = _string_at(b, j) + 8
            npel, j = _len_at(b, j)
            j += 16 * npel
        out += b[k:j]
        k = j
    assert k == len(b)
    return with_footer(bytes(out), version=9)


def test_stream_listpacks_v1_loads_as_in_redis(keel, oracle):
    """Redis 6.2's stream type (15) restores with the 7.0 fields derived as redis-server derives
    them (entries added = length, first ID from the entries, groups' entries read estimated)."""
    from persist.rdbutil import _mask_stream, stream_commands
    kc, rc = keel.client(), oracle.client()
    for c in (kc, rc):
        c.config_set("rdbcompression", "no")
    try:
        for seed in range(6):
            key = b"s%d" % seed
            rng = random.Random(seed)
            load(rc, stream_commands(rng, key, rng.choice([3, 40, 150])))
            v1 = _stream_v1(rc.dump(key))
            for c in (kc, rc):
                c.restore(key + b":v1", 0, v1)
            assert (_mask_stream(kc.execute_command("XINFO", "STREAM", key + b":v1", "FULL", "COUNT", "0")) ==
                    _mask_stream(rc.execute_command("XINFO", "STREAM", key + b":v1", "FULL", "COUNT", "0")))
            assert kc.xrange(key + b":v1") == rc.xrange(key)
    finally:
        for c in (kc, rc):
            c.config_set("rdbcompression", "yes")


def test_restore_options_and_errors_match_redis(keel, oracle):
    from persist.rdbutil import with_footer
    kc, rc = keel.raw(), oracle.raw()
    good = bytes([0, 3]) + b"abc"
    cases = [
        ["RESTORE", "k", "0", with_footer(good)],
        ["RESTORE", "k", "0", with_footer(good)],                       # BUSYKEY
        ["RESTORE", "k", "0", with_footer(good), "REPLACE", "IDLETIME", "10"],
        ["OBJECT", "IDLETIME", "k"],
        ["RESTORE", "k", "-1", with_footer(good), "REPLACE"],
        ["RESTORE", "k", "x", with_footer(good), "REPLACE"],
        ["RESTORE", "k", "0", with_footer(good), "REPLACE", "IDLETIME", "-1"],
        ["RESTORE", "k", "0", with_footer(good), "REPLACE", "FREQ", "256"],
        ["RESTORE", "k", "0", with_footer(good), "REPLACE", "FREQ", "1", "IDLETIME", "1"],
        ["RESTORE", "k", "0", with_footer(good), "BOGUS"],
        ["RESTORE", "k2", "0", with_footer(good, version=11)],
        ["RESTORE", "k2", "0", with_footer(good)[:-1] + b"\x00"],
        ["RESTORE", "k2", "0", with_footer(bytes([0, 9]) + b"abc")],      # short string
        ["RESTORE", "k2", "0", with_footer(bytes([15, 0]))],              # a stream
        ["RESTORE", "k2", "0", with_footer(bytes([2, 0]))],               # empty set
        ["RESTORE", "k2", "0", b"short"],
        ["RESTORE", "k3", "1", with_footer(good), "ABSTTL"],              # already expired
        ["EXISTS", "k3"],
        ["RESTORE", "k", "1", with_footer(good), "ABSTTL", "REPLACE"],    # deletes k
        ["EXISTS", "k"],
        ["RESTORE", "k4", "100000", with_footer(good)],
        ["PTTL", "k4"],
        ["DUMP", "nokey"],
    ]
    for cmd in cases:
        kr, rr = kc.call(*cmd), rc.call(*cmd)
        if cmd[0] == "PTTL":
            assert abs(int(kr.payload) - int(rr.payload)) < 5000
        else:
            assert kr.raw == rr.raw, (cmd, kr.raw, rr.raw)


def test_corrupt_restore_payloads_fuzz(keel):
    """Mutated payloads with a valid checksum: RESTORE answers OK or an error, never crashes,
    and a failed RESTORE leaves the key space untouched."""
    import random
    from persist.rdbutil import crc64
    rng = random.Random(7)
    c = keel.client()
    load(c, dataset(9, nkeys=30, large=LARGE))
    payloads = [c.dump(k) for k in c.scan_iter(count=1000)]
    c.set("sentinel", "s")
    rounds = 20000 if long_mode() else 2000
    for i in range(rounds):
        p = bytearray(rng.choice(payloads)[:-10])
        for _ in range(rng.randint(1, 4)):
            op = rng.randrange(4)
            if op == 0 and p:
                p[rng.randrange(len(p))] = rng.randrange(256)
            elif op == 1 and p:
                del p[rng.randrange(len(p)):]
            elif op == 2:
                p.insert(rng.randrange(len(p) + 1), rng.randrange(256))
            elif p:
                j = rng.randrange(len(p))
                p[j] ^= 1 << rng.randrange(8)
        body = bytes(p) + b"\x0a\x00"
        payload = body + crc64(body).to_bytes(8, "little")
        try:
            c.restore("fuzz", 0, payload, replace=True)
        except Exception as e:   # noqa: BLE001 - any error reply is acceptable
            assert "Bad data format" in str(e), str(e)
    assert c.get("sentinel") == b"s"
    assert c.ping()


def test_corrupt_stream_payloads_fuzz(keel):
    """Mutated stream payloads (uncompressed, so the mutations hit listpacks, IDs, counts and
    groups): RESTORE refuses them with Bad data format, or accepts a stream every stream command
    then works on (reads, writes, group reads and claims, DUMP/RESTORE again) without a crash."""
    from persist.rdbutil import crc64, stream_commands
    rng = random.Random(11)
    c = keel.client()
    c.config_set("rdbcompression", "no")
    try:
        payloads = []
        for i in range(8):
            key = b"fuzz-src-%d" % i
            load(c, stream_commands(rng, key, rng.choice([2, 12, 130])))
            payloads.append(c.dump(key))
        rounds = 10000 if long_mode() else 1500
        accepted = 0
        for _ in range(rounds):
            p = bytearray(rng.choice(payloads)[:-10])
            for _ in range(rng.randint(1, 3)):
                j = rng.randrange(1, len(p))
                op = rng.randrange(3)
                if op == 0:
                    p[j] = rng.randrange(256)
                elif op == 1:
                    p[j] ^= 1 << rng.randrange(8)
                else:
                    del p[j:j + rng.randint(1, 4)]
            body = bytes(p) + b"\x0a\x00"
            try:
                c.restore("fuzz", 0, body + crc64(body).to_bytes(8, "little"), replace=True)
            except Exception as e:   # noqa: BLE001 - refused
                assert "Bad data format" in str(e), str(e)
                continue
            accepted += 1
            for cmd in (["XRANGE", "fuzz", "-", "+"], ["XREVRANGE", "fuzz", "+", "-", "COUNT", "3"],
                        ["XINFO", "STREAM", "fuzz", "FULL"], ["XINFO", "GROUPS", "fuzz"],
                        ["XADD", "fuzz", "*", "f", "v"], ["XDEL", "fuzz", "1-1"], ["XTRIM", "fuzz", "MAXLEN", "5"],
                        ["XREADGROUP", "GROUP", "g0", "c", "STREAMS", "fuzz", "0"],
                        ["XAUTOCLAIM", "fuzz", "g0", "c2", "0", "0", "COUNT", "10"], ["DUMP", "fuzz"]):
                try:
                    c.execute_command(*cmd)
                except Exception as e:   # noqa: BLE001 - NOGROUP and such; not a lost connection
                    assert "Connection" not in type(e).__name__, (cmd, e)
        assert accepted > 0
    finally:
        c.config_set("rdbcompression", "yes")
    assert c.ping()


def _write_file(d, data):
    with open(os.path.join(d, "dump.rdb"), "wb") as f:
        f.write(data)


@pytest.mark.parametrize("damage", ["truncate", "flip", "crc", "absurd-length"])
def test_corrupt_file_refuses_to_start(tmp_path, damage):
    d = fresh_dir(tmp_path, "src")
    keel = start(keel_binary(), "keel", d)
    try:
        c = keel.client()
        load(c, dataset(3, nkeys=20, large=50))
        c.execute_command("SAVE")
    finally:
        keel.stop()
    data = bytearray(open(os.path.join(d, "dump.rdb"), "rb").read())
    if damage == "truncate":
        data = data[: len(data) // 2]
    elif damage == "flip":
        data[len(data) // 2] ^= 0x55
    elif damage == "crc":
        data[-1] ^= 1
    else:
        i = data.index(b"\xfe\x00\xfb")   # SELECTDB 0, RESIZEDB: the first key follows its lengths
        j = i + 3
        for _ in range(2):
            j += 1 if data[j] < 64 else 2 if data[j] < 128 else 5
        while data[j] in (0xFC, 0xF8, 0xF9):
            j += 9 if data[j] == 0xFC else 2
        data[j + 1:j + 1] = b"\x81\x7f\xff\xff\xff\xff\xff\xff\xff"   # key length 2^63-1
    bad = fresh_dir(tmp_path, "bad")
    _write_file(bad, bytes(data))
    srv = Server(keel_binary(), name="keel-bad")
    srv.dir = bad
    with pytest.raises(ServerError):
        srv.start(attempts=1)
    srv.stop(check=False)
    log = srv.read_logs()
    srv.check_sanitizers()
    assert "dump.rdb: offset" in log, log[-2000:]
    assert "Fatal error loading the DB" in log


def _refused_file_log(tmp_path, body):
    """Keel's log after it refused to start on an RDB file of `body` (+ its CRC)."""
    from persist.rdbutil import crc64
    bad = fresh_dir(tmp_path, "bad")
    _write_file(bad, body + crc64(body).to_bytes(8, "little"))
    srv = Server(keel_binary(), name="keel-bad")
    srv.dir = bad
    with pytest.raises(ServerError):
        srv.start(attempts=1)
    srv.stop(check=False)
    return srv.read_logs()


def test_duplicate_key_refuses_to_start(tmp_path):
    """Two entries of one key in a database: the load fails naming it (Redis panics with
    "Duplicated key found in RDB file"); two databases may hold the same key."""
    def string_key(key, value):
        return b"\x00" + bytes([len(key)]) + key + bytes([len(value)]) + value
    db0 = b"\xfe\x00" + string_key(b"k", b"1") + string_key(b"other", b"2") + string_key(b"k", b"3")
    log = _refused_file_log(tmp_path, b"REDIS0010" + db0 + b"\xff")
    assert "Duplicate key found in RDB file" in log, log[-2000:]
    # Keys join the table a few keys after they are read: a duplicate far behind its first
    # entry, after that one was added, is refused as well.
    many = b"".join(string_key(b"k%02d" % i, b"v") for i in range(40))
    (tmp_path / "far").mkdir()
    far = _refused_file_log(tmp_path / "far", b"REDIS0010" + b"\xfe\x00" + many + string_key(b"k03", b"x") + b"\xff")
    assert "Duplicate key found in RDB file" in far, far[-2000:]
    # The same key in two databases loads.
    fine = b"REDIS0010" + b"\xfe\x00" + string_key(b"k", b"1") + b"\xfe\x01" + string_key(b"k", b"2") + b"\xff"
    from persist.rdbutil import crc64
    d = fresh_dir(tmp_path, "fine")
    _write_file(d, fine + crc64(fine).to_bytes(8, "little"))
    srv = Server(keel_binary(), name="keel-fine")
    srv.dir = d
    try:
        srv.start(attempts=1)
        c = srv.client()
        assert c.get("k") == b"1"
        c.execute_command("SELECT", 1)
        assert c.get("k") == b"2"
    finally:
        srv.stop()
        srv.cleanup()


def test_unsupported_types_name_the_type(tmp_path):
    body = b"REDIS0010" + b"\xfe\x00" + bytes([7]) + b"\x01m" + b"\x00" + b"\xff"
    assert "module" in _refused_file_log(tmp_path, body)


LIBRARIES = [
    "#!lua name=lib1\nredis.register_function('f1', function(keys, args) return redis.call('get', keys[1]) end)",
    "#!lua name=lib2\nredis.register_function{function_name='f2', callback=function() return 'two' end, "
    "flags={'no-writes'}, description='second'}",
]


def _functions(client):
    """FUNCTION LIST WITHCODE as a sorted, comparable value (Redis lists in dict order)."""
    return sorted(repr(lib) for lib in client.execute_command("FUNCTION", "LIST", "WITHCODE"))


@pytest.mark.parametrize("writer", ["keel", "redis"])
def test_functions_in_rdb_files_both_ways(tmp_path, writer):
    """Libraries are saved as FUNCTION2 opcodes: a file written by one server loads into the
    other with the same libraries (code, functions, flags, descriptions) that FCALL runs, and
    redis-check-rdb accepts Keel's file."""
    binaries = {"keel": keel_binary(), "redis": ORACLE_SERVER}
    reader = "redis" if writer == "keel" else "keel"
    src = start(binaries[writer], writer, fresh_dir(tmp_path, writer))
    try:
        c = src.client()
        for code in LIBRARIES:
            c.execute_command("FUNCTION", "LOAD", code)
        c.set("k", "v")
        expected = _functions(c)
        dst_dir = fresh_dir(tmp_path, reader)
        save_and_copy(c, src.dir, dst_dir)
    finally:
        src.stop()
    if writer == "keel":
        check = subprocess.run(["redis-check-rdb", os.path.join(dst_dir, "dump.rdb")], capture_output=True,
                               text=True, timeout=60)
        assert check.returncode == 0 and "RDB looks OK" in check.stdout, check.stdout + check.stderr
    dst = start(binaries[reader], reader, dst_dir)
    try:
        c = dst.client()
        assert _functions(c) == expected
        assert c.execute_command("FCALL", "f1", "1", "k") == b"v"
        assert c.execute_command("FCALL_RO", "f2", "0") == b"two"
    finally:
        dst.stop()


@pytest.mark.keel_only
def test_functions_survive_debug_reload_and_bad_libraries_fail_the_load(tmp_path):
    d = fresh_dir(tmp_path, "keel")
    keel = start(keel_binary(), "keel", d, ["--enable-debug-command", "yes"])
    try:
        c = keel.client()
        for code in LIBRARIES:
            c.execute_command("FUNCTION", "LOAD", code)
        before = _functions(c)
        assert c.execute_command("DEBUG", "RELOAD") in (b"OK", "OK", True)
        assert _functions(c) == before
        c.execute_command("FUNCTION", "FLUSH")
        assert c.execute_command("DEBUG", "RELOAD", "NOSAVE") in (b"OK", "OK", True)
        assert _functions(c) == before
    finally:
        keel.stop()
    code = b"#!lua name=bad\nsyntax error"
    body = b"REDIS0010" + b"\xf5" + bytes([len(code)]) + code + b"\xff"
    assert "Failed loading library, Error compiling function" in _refused_file_log(tmp_path, body)


@pytest.mark.parametrize("binary", ["keel", "redis"])
def test_flushall_saves_with_save_points_and_stops_a_bgsave(tmp_path, binary):
    """With save points, FLUSHALL writes the emptied data set at once (nothing left unsaved);
    without, the file stays. A BGSAVE in progress stops. Both servers alike."""
    exe = keel_binary() if binary == "keel" else ORACLE_SERVER
    d = fresh_dir(tmp_path, binary)
    srv = start(exe, binary, d, ["--save", "3600 1", "--rdb-key-save-delay", "100000"])
    path = os.path.join(d, "dump.rdb")
    try:
        c = srv.client()
        for i in range(20):
            c.set("k%d" % i, "v")
        assert c.execute_command("BGSAVE") in (b"Background saving started", "Background saving started", True)
        assert c.info("persistence")["rdb_bgsave_in_progress"] == 1
        c.execute_command("FLUSHALL")
        wait_until(lambda: c.info("persistence")["rdb_bgsave_in_progress"] == 0, 10, what="the BGSAVE to stop")
        assert c.info("persistence")["rdb_changes_since_last_save"] == 0
        c.set("after", "1")
        c.config_set("save", "")
        c.execute_command("FLUSHALL")
        assert c.info("persistence")["rdb_changes_since_last_save"] > 0
    finally:
        srv.stop()
    check = start(ORACLE_SERVER, "redis-check", d)
    try:
        assert check.client().dbsize() == 0   # the file written by the first FLUSHALL
    finally:
        check.stop()
    assert os.path.exists(path)


def test_kill_during_save_keeps_previous_file(tmp_path):
    """SIGKILL while a save writes its temp file: dump.rdb is still the previous snapshot."""
    d = fresh_dir(tmp_path, "keel")
    keel = start(keel_binary(), "keel", d)
    try:
        c = keel.client()
        c.set("generation", "1")
        c.execute_command("SAVE")
        previous = open(os.path.join(d, "dump.rdb"), "rb").read()
        n = 300000 if long_mode() else 100000
        pipe = c.pipeline(transaction=False)
        for i in range(n):
            pipe.set("key:%d" % i, "x" * 100)
            if i % 10000 == 9999:
                pipe.execute()
        pipe.execute()
        c.set("generation", "2")
        sender = keel.raw()
        sender.send_raw(b"*1\r\n$6\r\nBGSAVE\r\n")
        wait_until(lambda: any(f.startswith("temp-") for f in os.listdir(d)), 30, interval=0.0005,
                   what="the temp file")
        keel.proc.kill()
        keel.proc.wait(timeout=10)
    finally:
        keel.stop(check=False)
    assert open(os.path.join(d, "dump.rdb"), "rb").read() == previous
    keel = start(keel_binary(), "keel", d)
    try:
        assert keel.client().get("generation") == b"1"
    finally:
        keel.stop()
