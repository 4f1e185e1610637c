"""Secrets never reach MONITOR or the slow log. MIGRATE: its credentials never reach MONITOR or the slow log (unit/introspection "MONITOR
supports redacting command arguments"): AUTH's password and AUTH2's user and password read
"(redacted)", compared with redis-server 7.0.15. The key does not exist, so MIGRATE answers
NOKEY without connecting anywhere."""

from helpers import ORACLE_SERVER


def _seen_by_monitor_and_slowlog(start_server, binary, commands):
    """Runs commands on a fresh server (then PING) and returns (replies, MONITOR lines without
    their timestamp, the slow log's argument lists)."""
    server = start_server(["--slowlog-log-slower-than", "0"], binary=binary)
    mon = server.raw()
    mon.send("MONITOR")
    assert mon.read_reply().raw == b"+OK\r\n"
    c = server.raw()
    replies = [c.call(*cmd).raw for cmd in list(commands) + [["PING"]]]
    seen = []
    while not seen or b'"PING"' not in seen[-1]:
        seen.append(mon.read_reply().payload.split(b"] ", 1)[1])
    slow = [e.children[3].to_py() for e in c.call("SLOWLOG", "GET", "10").children]
    mon.close()
    c.close()
    return replies, seen, slow


def test_migrate_auth_redacted(start_server, keel_bin):
    commands = (["MIGRATE", "127.0.0.1", "1", "nokey", "9", "5000"],
                ["MIGRATE", "127.0.0.1", "1", "nokey", "9", "5000", "AUTH", "secret1"],
                ["MIGRATE", "127.0.0.1", "1", "nokey", "9", "5000", "AUTH2", "user2", "secret2"],
                ["MIGRATE", "127.0.0.1", "1", "nokey", "9", "5000", "COPY", "AUTH", "secret3", "REPLACE"])
    lines = [_seen_by_monitor_and_slowlog(start_server, b, commands) for b in (keel_bin, ORACLE_SERVER)]
    assert lines[0] == lines[1]
    assert b"secret" not in repr(lines[0]).encode()
    assert b"user2" not in repr(lines[0][1]).encode()


def test_config_set_secrets_redacted(start_server, keel_bin):
    """CONFIG SET of masterauth, masteruser and requirepass shows "(redacted)" for the value in
    MONITOR and the slow log (unit/slowlog "Certain commands are omitted that contain sensitive
    information"), even after an unknown name; redis-server 7.0.15 does not redact the TLS key
    passwords."""
    commands = (["CONFIG", "SET", "masterauth", "secret1"],
                ["CONFIG", "SET", "masteruser", "secret2", "maxmemory-samples", "5"],
                ["CONFIG", "SET", "tls-key-file-pass", "secret3", "tls-client-key-file-pass", "secret4"],
                ["CONFIG", "SET", "masterauth", "secret5", "nosuch", "x", "requirepass", "pw6"],
                ["CONFIG", "SET", "requirepass", "", "masterauth", ""])
    lines = [_seen_by_monitor_and_slowlog(start_server, b, commands) for b in (keel_bin, ORACLE_SERVER)]
    assert lines[0] == lines[1]
    assert b"secret1" not in repr(lines[0][1:]).encode() and b"pw6" not in repr(lines[0][1:]).encode()
