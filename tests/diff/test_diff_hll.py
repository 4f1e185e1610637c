"""Differential scripts: HyperLogLog (PFADD, PFCOUNT, PFMERGE, PFDEBUG, PFSELFTEST).

HLLs are strings in Redis's exact format, so the scripts compare not only the counts but the
strings themselves (GET after every change): the same adds must give the same sparse opcodes,
the same promotion to dense (at hll-sparse-max-bytes or a register over 32) and the same cached
cardinality bytes. Interop: strings built by one server are SET into the other and counted
there. Corruption: hand-made and randomly damaged strings must give Redis's replies
(-INVALIDOBJ / -WRONGTYPE / a count), never a crash; only damage that redis-server 7.0.15
itself survives is compared (its sparse walk trusts the opcodes in places).

Every script runs in RESP2 and RESP3.
"""

import random

import pytest

from diff.runner import C, arity, restore_config, run_script

INVALID = b"-INVALIDOBJ Corrupted HLL object detected\r\n"
NOT_HLL = b"-WRONGTYPE Key is not a valid HyperLogLog string value.\r\n"
WRONGTYPE = b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"

DEFAULTS = {"hll-sparse-max-bytes": "3000"}


@pytest.fixture(autouse=True)
def restore_limits(keel, oracle):
    yield
    restore_config((keel, oracle), DEFAULTS)


def header(encoding, card=b"\x00" * 8):
    return b"HYLL" + bytes([encoding]) + b"\x00\x00\x00" + card


# Sparse bodies: XZERO 16384 is 0x7f 0xff; VAL(v, len) is 0x80 | (v-1) << 2 | (len-1).
EMPTY_SPARSE = header(1) + b"\x7f\xff"
STALE = b"\x00" * 7 + b"\x80"        # cache marked invalid


def add_steps(key, elements, chunk=50):
    steps = []
    for i in range(0, len(elements), chunk):
        steps += [["PFADD", key, *elements[i:i + chunk]], ["GET", key]]
    return steps


SCRIPTS = {
    "basic": [
        ["PFADD", "h"], ["GET", "h"], ["PFCOUNT", "h"], ["PFADD", "h"],
        ["PFADD", "h", "a", "b", "c"], ["PFADD", "h", "a"], ["PFCOUNT", "h"], ["GET", "h"],
        ["PFCOUNT", "h"], ["GET", "h"], ["OBJECT", "ENCODING", "h"], ["TYPE", "h"],
        ["PFCOUNT", "missing"], ["PFCOUNT", "missing", "h"], ["PFCOUNT", "h", "h"],
        ["PFADD", "h", "", b"\x00", b"\xff" * 100], ["PFCOUNT", "h"], ["STRLEN", "h"],
        ["PFDEBUG", "ENCODING", "h"], ["PFDEBUG", "DECODE", "h"],
        ["APPEND", "h", ""], ["PFCOUNT", "h"],
    ],
    "errors": [
        C("PFADD", expect=arity("pfadd")), C("PFCOUNT", expect=arity("pfcount")),
        C("PFMERGE", expect=arity("pfmerge")), C("PFDEBUG", "GETREG", expect=arity("pfdebug")),
        C("PFDEBUG", "GETREG", "a", "b", expect=arity("pfdebug")),
        C("PFSELFTEST", "x", expect=arity("pfselftest")),
        ["SET", "s", "hello"], C("PFADD", "s", "a", expect=NOT_HLL), C("PFCOUNT", "s", expect=NOT_HLL),
        C("PFCOUNT", "missing", "s"), C("PFMERGE", "d", "s"), ["EXISTS", "d"],
        ["SET", "n", "12345"], C("PFADD", "n", "a", expect=NOT_HLL),
        ["LPUSH", "l", "x"], C("PFADD", "l", "a", expect=WRONGTYPE), C("PFCOUNT", "l"),
        C("PFCOUNT", "l", "s"), C("PFMERGE", "l", "x"), C("PFMERGE", "x", "l"),
        C("PFDEBUG", "GETREG", "nokey"), C("PFDEBUG", "NOSUCH", "s"), ["PFADD", "h", "a"],
        C("PFDEBUG", "NOSUCH", "h"), C("PFDEBUG", "GETREG", "l"),
        ["SET", "hdr", b"HYLL"], C("PFCOUNT", "hdr", expect=NOT_HLL),
        ["SET", "enc", header(2) + b"\x7f\xff"], C("PFCOUNT", "enc", expect=NOT_HLL),
        ["SET", "short", header(0) + b"\x00" * 100], C("PFCOUNT", "short", expect=NOT_HLL),
        ["SET", "magic", b"HYLX" + EMPTY_SPARSE[4:]], C("PFADD", "magic", "x", expect=NOT_HLL),
    ],
    "cache": [
        ["SET", "e", EMPTY_SPARSE], ["PFCOUNT", "e"], ["GET", "e"], ["OBJECT", "ENCODING", "e"],
        # A valid cache is trusted, whatever the registers say.
        ["SET", "lie", header(1, b"\x39\x30" + b"\x00" * 6) + b"\x7f\xff"], ["PFCOUNT", "lie"],
        ["SET", "stale", header(1, STALE) + b"\x7f\xff"], ["PFCOUNT", "stale"], ["GET", "stale"],
        ["PFADD", "lie", "x"], ["PFCOUNT", "lie"], ["GET", "lie"],
    ],
    "sparse_to_dense": [
        *add_steps("h", ["e%d" % i for i in range(1200)], chunk=100),
        ["PFDEBUG", "ENCODING", "h"], ["PFCOUNT", "h"], ["STRLEN", "h"],
        ["PFADD", "s", "x", "y"], ["PFDEBUG", "TODENSE", "s"], ["PFDEBUG", "TODENSE", "s"],
        ["GET", "s"], ["PFDEBUG", "ENCODING", "s"], C("PFDEBUG", "DECODE", "s"),
        ["PFADD", "g", "a", "b"], ["PFDEBUG", "GETREG", "g"], ["PFDEBUG", "ENCODING", "g"],
        ["GET", "g"],
    ],
    "sparse_max_bytes": [
        ["CONFIG", "SET", "hll-sparse-max-bytes", "60"], ["CONFIG", "GET", "hll-sparse-max-bytes"],
        *add_steps("h", ["m%d" % i for i in range(40)], chunk=3),
        ["PFDEBUG", "ENCODING", "h"], ["CONFIG", "SET", "hll-sparse-max-bytes", "0"],
        ["PFADD", "z", "a"], ["PFDEBUG", "ENCODING", "z"], ["GET", "z"],
        ["CONFIG", "SET", "hll-sparse-max-bytes", "20000"],
        *add_steps("big", ["b%d" % i for i in range(3000)], chunk=500),
        ["PFDEBUG", "ENCODING", "big"], ["PFDEBUG", "DECODE", "big"],
    ],
    "merge": [
        *add_steps("a", ["x%d" % i for i in range(300)], chunk=150),
        *add_steps("b", ["x%d" % i for i in range(200, 2000)], chunk=300),
        ["PFADD", "c", "q"],
        ["PFMERGE", "m1", "a", "c"], ["GET", "m1"], ["PFCOUNT", "m1"],
        ["PFMERGE", "m2", "a", "b", "c"], ["GET", "m2"], ["PFCOUNT", "m2"],
        ["PFCOUNT", "a", "b", "c"], ["PFCOUNT", "a", "b", "c", "missing"],
        ["PFMERGE", "a", "b"], ["PFDEBUG", "ENCODING", "a"], ["PFCOUNT", "a"],
        ["PFMERGE", "empty"], ["GET", "empty"], ["PFMERGE", "empty", "nothere"], ["PFCOUNT", "empty"],
        ["PFMERGE", "c"], ["GET", "c"],
    ],
    "corrupt": [
        # Sparse data covering too few / too many registers, and a VAL run past the end.
        ["SET", "few", header(1, STALE) + b"\x7f\xfe"], C("PFCOUNT", "few", expect=INVALID),
        C("PFCOUNT", "few", "few", expect=INVALID), C("PFMERGE", "d", "few", expect=INVALID),
        C("PFADD", "few", "a", "b", "c", "d", "e"), C("PFDEBUG", "TODENSE", "few"),
        ["SET", "many", header(1, STALE) + b"\x7f\xff\x00"], C("PFCOUNT", "many", expect=INVALID),
        ["SET", "over", header(1, STALE) + b"\x7f\xfe\x83"], C("PFCOUNT", "over"),
        C("PFCOUNT", "over", "few"), C("PFDEBUG", "GETREG", "over"),
        ["SET", "cut", header(1, STALE) + b"\x7f"], C("PFCOUNT", "cut"), C("PFCOUNT", "cut", "x"),
        ["SET", "bare", header(1, STALE)], C("PFCOUNT", "bare"), C("PFADD", "bare", "a"),
        ["SET", "vals", header(1, STALE) + b"\xfc" * 4096], C("PFCOUNT", "vals"),
        C("PFMERGE", "vm", "vals"), ["GET", "vm"], ["PFDEBUG", "DECODE", "vals"],
        C("PFADD", "vals", "zz"), ["GET", "vals"],
        ["SET", "dense", header(0, STALE) + bytes(range(256)) * 48], C("PFCOUNT", "dense"),
        C("PFCOUNT", "dense", "vals"), C("PFMERGE", "dm", "dense", "vals"), ["GET", "dm"],
        C("PFADD", "dense", "x"), ["GET", "dense"],
    ],
    "selftest": [["PFSELFTEST"]],
}


@pytest.mark.parametrize("proto", [2, 3])
@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_hll(keel, oracle, name, proto):
    run_script(keel, oracle, SCRIPTS[name], hello3=(proto == 3))


@pytest.mark.parametrize("seed", range(4))
def test_hll_random_adds(keel, oracle, seed):
    """Random elements (binary, varied lengths, repeats) into a few keys, the strings and counts
    compared after every command; merges and multi-key counts in between."""
    r = random.Random(seed)
    keys = ["h1", "h2", "h3"]
    steps = [["CONFIG", "SET", "hll-sparse-max-bytes", r.choice(["3000", "200", "1000"])]]
    for _ in range(120):
        op = r.random()
        if op < 0.7:
            elems = [bytes(r.getrandbits(8) for _ in range(r.randint(0, 20)))
                     for _ in range(r.randint(1, 40))]
            key = r.choice(keys)
            steps += [["PFADD", key, *elems], ["GET", key]]
        elif op < 0.85:
            steps += [["PFCOUNT", *r.sample(keys, r.randint(1, 3))]]
        else:
            steps += [["PFMERGE", *r.sample(keys, r.randint(1, 3))], ["GET", keys[0]]]
    steps += [["PFCOUNT", k] for k in keys] + [["GET", k] for k in keys]
    run_script(keel, oracle, steps)


def test_hll_counts_large(keel, oracle):
    """Counts up to 200k distinct elements (dense registers up to high values) and their union."""
    steps = []
    for i in range(0, 200000, 5000):
        steps += [["PFADD", "big", *["e%d" % j for j in range(i, i + 5000)]], ["PFCOUNT", "big"]]
    steps += [["PFADD", "small", *["e%d" % j for j in range(0, 300000, 997)]],
              ["PFCOUNT", "big", "small"], ["PFMERGE", "u", "small", "big"], ["GET", "u"],
              ["PFCOUNT", "u"], ["GET", "big"]]
    run_script(keel, oracle, steps)


def hll_string(server, key, elements):
    client = server.client()
    try:
        client.delete(key)
        client.execute_command("PFADD", key)
        for i in range(0, len(elements), 1000):
            client.pfadd(key, *elements[i:i + 1000])
        return client.get(key)
    finally:
        client.close()


def count_as(server, value):
    client = server.client()
    try:
        client.set("imported", value)
        return client.pfcount("imported"), client.pfcount("imported", "nothing"), client.get("imported")
    finally:
        client.close()


@pytest.mark.parametrize("n", [0, 1, 50, 700, 5000, 100000])
def test_hll_interop(keel, oracle, n):
    """A string written by one server's PFADD is a valid HLL for the other, with the same count
    and the same bytes after counting (the cache is written the same way)."""
    elements = ["i%d-%d" % (n, j) for j in range(n)]
    from_redis = hll_string(oracle, "h", elements)
    from_keel = hll_string(keel, "h", elements)
    assert from_keel == from_redis
    assert count_as(keel, from_redis) == count_as(oracle, from_redis)
    assert count_as(oracle, from_keel) == count_as(keel, from_keel)


def corrupt(r, value):
    data = bytearray(value)
    for _ in range(r.randint(1, 6)):
        kind = r.random()
        pos = r.randrange(16, len(data)) if len(data) > 16 else 16
        if kind < 0.5 and len(data) > 16:
            data[pos] = r.getrandbits(8)
        elif kind < 0.7:
            del data[pos:pos + r.randint(1, 4)]
        else:
            data[pos:pos] = bytes(r.getrandbits(8) for _ in range(r.randint(1, 4)))
    data[15] |= 0x80       # a stale cache, so the registers are read
    return bytes(data)


def redis_survives(oracle, value):
    """Whether redis-server 7.0.15 handles this string without crashing or corrupting memory:
    its sparse update trusts an opcode cut short at the end of the string and runs past a
    sequence that covers more than 16384 registers; such strings are left out."""
    data, p, idx = value[16:], 0, 0
    while p < len(data):
        b = data[p]
        if b & 0x80:
            idx += (b & 3) + 1
            p += 1
        elif b & 0x40:
            if p + 1 >= len(data):
                return False
            idx += ((b & 0x3f) << 8 | data[p + 1]) + 1
            p += 2
        else:
            idx += (b & 0x3f) + 1
            p += 1
    return idx <= 16384


@pytest.mark.parametrize("seed", range(3))
def test_hll_corrupted_fuzz(keel, oracle, seed):
    """Randomly damaged sparse HLLs: every command's reply as redis-server's, and no crash."""
    r = random.Random(seed)
    base = hll_string(oracle, "h", ["f%d" % j for j in range(r.choice([5, 60, 300]))])
    steps = []
    tried = 0
    while tried < 40:
        value = corrupt(r, base)
        if not redis_survives(oracle, value):
            continue
        tried += 1
        steps += [["SET", "c", value], C("PFCOUNT", "c"), C("PFCOUNT", "c", "h"),
                  C("PFADD", "c", "a%d" % tried, "b%d" % tried), ["GET", "c"],
                  C("PFMERGE", "m", "h", "c"), ["GET", "m"], ["SET", "c", value],
                  C("PFDEBUG", "DECODE", "c"), C("PFDEBUG", "TODENSE", "c"), ["GET", "c"], ["DEL", "m"]]
    run_script(keel, oracle, steps)
