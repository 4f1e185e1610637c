"""Corrupt input that Redis's suite (integration/corrupt-dump.tcl) feeds: the checks Redis makes
even with sanitize-dump-payload no, compared with redis-server 7.0.15.

- A ziplist's zltail must be the offset of its last entry: RESTORE of a zset ziplist whose tail
  points elsewhere is refused with Bad data format by both servers, with and without
  sanitize-dump-payload; the same ziplist with the right tail is accepted by both.
- A corrupt RDB file at start-up: besides the log line, the redis-check-rdb style report on
  stdout repeats the reason, so "integrity check failed" appears twice, as with Redis."""

import os
import shutil

import pytest

from helpers import ORACLE_SERVER, Server, ServerError, keel_binary
from persist.rdbutil import with_footer

ASSETS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared", "redis-suite", "suite",
                      "tests", "assets")


def _zl_entry(prevlen, value):
    pre = bytes([prevlen]) if prevlen < 254 else b"\xfe" + prevlen.to_bytes(4, "little")
    if isinstance(value, int):
        assert 0 <= value <= 12
        return pre + bytes([0xF1 + value])
    return pre + bytes([len(value)]) + value


def ziplist(values, tail=None):
    """A ziplist of small values (strings up to 63 bytes, integers 0..12); tail overrides zltail."""
    body, prev, last = b"", 0, 10
    for v in values:
        e = _zl_entry(prev, v)
        last = 10 + len(body)
        body += e
        prev = len(e)
    total = 10 + len(body) + 1
    zltail = last if tail is None else tail
    return total.to_bytes(4, "little") + zltail.to_bytes(4, "little") + len(values).to_bytes(2, "little") + body + b"\xff"


def zset_ziplist_payload(zl):
    return with_footer(bytes([12]) + bytes([len(zl)]) + zl)   # RDB_TYPE_ZSET_ZIPLIST, short string


@pytest.mark.parametrize("sanitize", ["no", "yes"])
def test_zset_ziplist_tail_offset_checked(start_server, keel_bin, sanitize):
    members = [b"a", 1, b"b", 2, b"c", 3]
    good = ziplist(members)
    bad_tails = [2, 10, good[4] + 1, len(good) - 1]
    replies = {}
    for name, binary in (("keel", keel_bin), ("redis", ORACLE_SERVER)):
        srv = start_server(["--enable-debug-command", "yes", "--sanitize-dump-payload", sanitize], binary=binary)
        c = srv.raw()
        out = [c.call("RESTORE", "good", "0", zset_ziplist_payload(good)).raw,
               c.call("ZRANGE", "good", "0", "-1", "WITHSCORES").raw]
        for t in bad_tails:
            out.append(c.call("RESTORE", "bad%d" % t, "0", zset_ziplist_payload(ziplist(members, tail=t))).raw)
        out.append(c.call("DBSIZE").raw)
        replies[name] = out
        assert c.call("PING").raw == b"+PONG\r\n"
    assert replies["keel"] == replies["redis"], replies
    assert replies["keel"][0] == b"+OK\r\n"
    assert all(b"Bad data format" in r for r in replies["keel"][2:-1]), replies["keel"]


def test_corrupt_file_reports_twice_on_stdout(tmp_path):
    counts = {}
    for name, binary in (("keel", keel_binary()), ("redis", ORACLE_SERVER)):
        d = tmp_path / name
        d.mkdir()
        shutil.copy(os.path.join(ASSETS, "corrupt_ziplist.rdb"), str(d / "dump.rdb"))
        srv = Server(binary, name=name + "-corrupt", extra_args=["--sanitize-dump-payload", "no"])
        srv.dir = str(d)
        with pytest.raises(ServerError):
            srv.start(attempts=1)
        srv.stop(check=False)
        srv.check_sanitizers()
        log = srv.read_logs()
        assert "Terminating server after rdb file reading failure." in log
        counts[name] = log.count("Hash ziplist integrity check failed")
    assert counts["keel"] >= 2 and counts["redis"] >= 2, counts
