"""LATENCY HISTOGRAM and INFO latencystats against redis-server 7.0.15.

Durations differ between two servers, so exact replies are compared where the bucketing makes
them deterministic: a DEBUG SLEEP of 11 ms lands, on both servers, in the bucket Redis reports
as 16908 us (HdrHistogram's highest value equivalent to 2^24 ns). Otherwise the comparison is
of the shape: the commands listed, their call counts, increasing buckets whose cumulative
counts end at the calls, and INFO latencystats lines with Redis's names and number formats.
"""

import re


def _both(keel, oracle, *cmd):
    return keel.raw().call(*cmd), oracle.raw().call(*cmd)


def _reset(keel, oracle):
    for srv in (keel, oracle):
        c = srv.client()
        c.config_set("latency-tracking", "yes")
        c.config_set("latency-tracking-info-percentiles", "50 99 99.9")
        c.execute_command("CONFIG", "RESETSTAT")


def _histograms(client, *names):
    """{command: (calls, [(bucket_us, cumulative), ...])} from LATENCY HISTOGRAM (RESP2)."""
    flat = client.execute_command("LATENCY", "HISTOGRAM", *names)
    out = {}
    for name, body in zip(flat[0::2], flat[1::2]):
        fields = dict(zip(body[0::2], body[1::2]))
        h = fields[b"histogram_usec"]
        out[name] = (fields[b"calls"], list(zip(h[0::2], h[1::2])))
    return out


def _check_shape(hists):
    for name, (calls, buckets) in hists.items():
        assert buckets, name
        keys = [k for k, _ in buckets]
        counts = [n for _, n in buckets]
        assert keys == sorted(set(keys)) and counts == sorted(set(counts)), (name, buckets)
        assert counts[-1] == calls, (name, buckets)


def test_sleep_bucket_is_the_same_bytes(start_server):
    from helpers import ORACLE_SERVER
    keel = start_server(["--enable-debug-command", "yes"])
    oracle = start_server(["--enable-debug-command", "yes"], binary=ORACLE_SERVER)
    _reset(keel, oracle)
    for srv in (keel, oracle):
        c = srv.client()
        for _ in range(2):
            c.execute_command("DEBUG", "SLEEP", "0.011")
    k, r = _both(keel, oracle, "LATENCY", "HISTOGRAM", "debug")
    assert k.raw == r.raw == (b"*2\r\n$5\r\ndebug\r\n*4\r\n$5\r\ncalls\r\n:2\r\n$14\r\nhistogram_usec\r\n"
                              b"*2\r\n:16908\r\n:2\r\n")


def test_commands_subcommands_and_unknown_names(keel, oracle):
    _reset(keel, oracle)
    seen = []
    for srv in (keel, oracle):
        c = srv.client()
        for i in range(50):
            c.set("k%d" % i, "v")
        for _ in range(7):
            c.get("k1")
        c.config_get("maxmemory")
        c.execute_command("CONFIG", "GET", "hz")
        c.execute_command("CLIENT", "ID")
        hists = _histograms(c, "set", "get", "nosuchcommand", "config", "client|id", "client|nosuch")
        _check_shape(hists)
        seen.append({name: calls for name, (calls, _) in hists.items()})
    assert seen[0] == seen[1] == {b"set": 50, b"get": 7, b"config|get": 2, b"config|resetstat": 1,
                                  b"client|id": 1}
    k, r = _both(keel, oracle, "LATENCY", "HISTOGRAM", "nosuchcommand", "ping")
    assert k.raw == r.raw == b"*0\r\n"
    # Without arguments: every command with a histogram (Redis lists them in its dict's order).
    names = [set(_histograms(srv.client())) for srv in (keel, oracle)]
    assert names[0] == names[1] and b"latency|histogram" in names[0] and b"set" in names[0]


def test_tracking_off_and_resetstat(keel, oracle):
    _reset(keel, oracle)
    for srv in (keel, oracle):
        c = srv.client()
        c.config_set("latency-tracking", "no")
        c.set("a", "b")
    k, r = _both(keel, oracle, "LATENCY", "HISTOGRAM", "set")
    assert k.raw == r.raw == b"*0\r\n"
    k, r = _both(keel, oracle, "INFO", "latencystats")
    assert k.raw == r.raw
    for srv in (keel, oracle):
        srv.client().config_set("latency-tracking", "yes")


LINE = re.compile(rb"^latency_percentiles_usec_([a-z|_-]+):(.*)$")


def _latencystats(server):
    """{command: [(percentile label, value text)]} of INFO latencystats."""
    out = {}
    for line in server.raw().call("INFO", "latencystats").raw.split(b"\r\n"):
        m = LINE.match(line)
        if m:
            out[m.group(1)] = [tuple(p.split(b"=")) for p in m.group(2).split(b",")]
    return out


def test_info_latencystats_format(keel, oracle):
    _reset(keel, oracle)
    stats = []
    for srv in (keel, oracle):
        c = srv.client()
        c.config_set("latency-tracking-info-percentiles", "0 50 99.99 100")
        for _ in range(20):
            c.execute_command("INCR", "n")
        c.execute_command("CONFIG", "GET", "hz")
        stats.append(_latencystats(srv))
    for s in stats:
        for name, pcts in s.items():
            assert [p for p, _ in pcts] == [b"p0", b"p50", b"p99.99", b"p100"], (name, pcts)
            for _, v in pcts:
                assert re.match(rb"^\d+\.\d{3}$", v), (name, v)
            values = [float(v) for _, v in pcts]
            assert values == sorted(values), (name, pcts)
    assert set(stats[0]) == set(stats[1])
    assert b"incr" in stats[0] and b"config|get" in stats[0] and b"config|set" in stats[0]
    for srv in (keel, oracle):
        srv.client().config_set("latency-tracking-info-percentiles", "50 99 99.9")
