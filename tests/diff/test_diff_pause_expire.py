"""Nothing expires while clients are paused (unit/pause "Test both active and passive expires
are skipped during client pause"), compared with redis-server 7.0.15: keys whose TTL ran out
during CLIENT PAUSE WRITE read as missing but are not deleted (expired_keys stays, DBSIZE still
counts them); after CLIENT UNPAUSE a read deletes them."""

from helpers import ORACLE_SERVER, wait_until


def _expired(c):
    return c.info("stats")["expired_keys"]


def test_expiry_skipped_during_pause(start_server, keel_bin):
    seen = []
    for binary in (keel_bin, ORACLE_SERVER):
        server = start_server([], binary=binary)
        c = server.client()
        try:
            before = _expired(c)
            p = c.pipeline(transaction=True)
            p.set("foo", "bar", px=10)
            p.set("bar", "foo", px=10)
            p.execute_command("CLIENT", "PAUSE", "50000", "WRITE")
            assert p.execute() == [True, True, b"OK"]
            wait_until(lambda: c.get("foo") is None and c.get("bar") is None, 5, what="logical expiry")
            during = (_expired(c) - before, c.dbsize(), c.exists("foo", "bar"), c.ttl("foo"))
            c.execute_command("CLIENT", "UNPAUSE")
            c.get("foo")
            c.get("bar")
            after = (_expired(c) - before, c.dbsize())
            seen.append((during, after))
        finally:
            c.execute_command("CLIENT", "UNPAUSE")
            c.close()
    assert seen[0] == seen[1]
    assert seen[0] == ((0, 2, 0, -2), (2, 0))
