"""Generic key commands where Keel deliberately differs from redis-server 7.0.15 because Redis's
behaviour there is a bug (so these are keel_only): no state leaks from one SORT into the next,
and SCAN's TYPE filter never returns an expired key.
"""

import pytest

from helpers import wait_until


def _server_ms(client):
    secs, micros = client.time()
    return secs * 1000 + micros // 1000


@pytest.mark.keel_only
def test_sort_score_error_does_not_leak_into_the_next_sort(keel_client):
    """Redis 7.0 never resets errno before strtod, so after a SORT that met an out-of-range
    score every numeric SORT fails until something else clears errno. Keel judges each one
    on its own elements."""
    keel_client.sadd("huge", "1e400", "2")
    keel_client.sadd("fine", "3", "1", "2")
    with pytest.raises(Exception, match="One or more scores can't be converted into double"):
        keel_client.sort("huge")
    assert keel_client.sort("fine") == [b"1", b"2", b"3"]


@pytest.mark.keel_only
def test_scan_type_none_skips_expired_keys(start_server):
    """Redis 7.0 returns expired keys for SCAN ... TYPE none (its type lookup reclaims the key
    and then reports it as type "none"); Keel never lists an expired key."""
    server = start_server(["--enable-debug-command", "yes"])
    client = server.client()
    assert client.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "0") == b"OK"
    client.set("live", "1")
    client.set("gone", "1", px=20)
    deadline = _server_ms(client) + 40
    wait_until(lambda: _server_ms(client) > deadline, timeout=10, what="server clock")
    assert list(client.scan_iter(_type="none")) == []
    assert client.dbsize() == 1
    assert list(client.scan_iter()) == [b"live"]
    client.close()
