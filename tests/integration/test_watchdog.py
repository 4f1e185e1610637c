"""watchdog-period (core/watchdog.c), Keel beside redis-server: a hidden config (CONFIG GET *
does not list it, CONFIG GET watchdog-period does); DEBUG SLEEP longer than the period logs
"--- WATCHDOG TIMER EXPIRED ---" with a stack trace, and the server keeps running; period 0
turns it off."""

from helpers import log_count, wait_until

ARGS = ["--enable-debug-command", "yes"]


def test_watchdog_logs_a_stuck_loop(start_server, binary):
    s = start_server(ARGS, binary=binary)
    c = s.client()
    assert c.config_get("watchdog-period") == {"watchdog-period": "0"}
    assert "watchdog-period" not in c.config_get("*")
    c.config_set("watchdog-period", "200")
    assert c.config_get("watchdog-period") == {"watchdog-period": "200"}
    c.execute_command("DEBUG", "SLEEP", "0.6")
    wait_until(lambda: log_count(s, "--- WATCHDOG TIMER EXPIRED ---") == 1, 10, what="the watchdog line")
    assert c.ping() and s.alive()
    # The loop runs again: the cron re-arms the timer, no second report while idle.
    c.set("k", "v")
    assert c.get("k") == b"v"
    assert log_count(s, "--- WATCHDOG TIMER EXPIRED ---") == 1
    c.config_set("watchdog-period", "0")
    c.execute_command("DEBUG", "SLEEP", "0.6")
    assert c.ping() and s.alive()
    assert log_count(s, "--- WATCHDOG TIMER EXPIRED ---") == 1
