"""MIGRATE ... KEYS where the target refuses some keys (BUSYKEY, no REPLACE): as redis-server
7.0.15, the keys the target acknowledged leave the source, the refused ones stay, and the reply
is the first error (Redis's suite: "MIGRATE with multiple keys: delete just ack keys")."""

from helpers import ORACLE_SERVER, keel_binary


def _run(start_server, binary):
    src = start_server([], binary=binary)
    dst = start_server([], binary=binary)
    s, d = src.raw(), dst.raw()
    keys = ["a", "b", "c", "d", "e", "f"]
    s.call("MSET", *[x for k in keys for x in (k, k + "-value")])
    d.call("MSET", "c", "_", "d", "_")
    out = [s.call("MIGRATE", dst.host, str(dst.port), "", "0", "5000", "KEYS", *keys).raw,
           s.call("DBSIZE").raw, d.call("DBSIZE").raw,
           s.call("MGET", *keys).raw, d.call("MGET", *keys).raw,
           # COPY: nothing leaves the source, even the acknowledged keys
           s.call("SET", "g", "1").raw,
           s.call("MIGRATE", dst.host, str(dst.port), "", "0", "5000", "COPY", "KEYS", "c", "g").raw,
           s.call("DBSIZE").raw, d.call("EXISTS", "g").raw,
           # a failed AUTH: no key is acknowledged, none leaves
           s.call("MIGRATE", dst.host, str(dst.port), "", "0", "5000", "AUTH", "nopass", "KEYS", "c", "g").raw,
           s.call("DBSIZE").raw]
    return out


def test_migrate_deletes_only_acknowledged_keys(start_server, keel_bin):
    k = _run(start_server, keel_bin)
    r = _run(start_server, ORACLE_SERVER)
    assert k == r, (k, r)
    assert k[1] == b":2\r\n"
