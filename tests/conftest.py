"""Shared pytest fixtures: the Keel server under test, the redis-server oracle, extra servers.

The binary under test is $KEEL_SERVER (default ./keel-server). Pointing KEEL_SERVER at
/usr/bin/redis-server runs the whole suite redis-vs-redis, which is how the harness itself is
checked; in that mode (only) tests marked keel_only are skipped.

One Keel server and one oracle are shared by the session because start-up dominates the cost of
small tests (especially for the sanitizer build); each test gets them flushed. If a test kills
the shared server (a crash, a sanitizer abort), that test fails at teardown and the next test
gets a fresh server. Tests that change configuration start their own server with start_server.
"""

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from helpers import (ORACLE_SERVER, Server, ServerError, keel_binary,  # noqa: E402
                     keel_is_redis, redis_cli_binary, tail)


def pytest_configure(config):
    config.addinivalue_line("markers", "keel_only: checks Keel-specific behaviour; skipped only "
                            "when KEEL_SERVER is redis-server (the harness self-check)")


def pytest_collection_modifyitems(config, items):
    if not keel_is_redis():
        return
    skip = pytest.mark.skip(reason="keel_only test; KEEL_SERVER is redis-server")
    for item in items:
        if "keel_only" in item.keywords:
            item.add_marker(skip)


def pytest_report_header(config):
    mode = " (redis-vs-redis self-check)" if keel_is_redis() else ""
    return "keel server: %s%s" % (keel_binary(), mode)


class SharedServer:
    """A session-wide server that is replaced if a test killed it."""

    def __init__(self, binary, name):
        self.binary = binary
        self.name = name
        self.server = None

    def get(self):
        if self.server is None or not self.server.alive():
            if self.server is not None:
                self.server.stop(check=False)
            self.server = Server(self.binary, name=self.name).start()
        return self.server

    def after_test(self):
        """Fail the test that just ran if it crashed the server or produced a sanitizer report."""
        server = self.server
        if server is None:
            return
        if not server.alive():
            self.server = None
            server.stop(check=False)
            report = server.sanitizer_report()
            raise ServerError("%s died during the test (exit status %s)\n%s"
                              % (server.name, server.proc.returncode,
                                 server.diagnostics(200) if report is None else report))
        report = server.sanitizer_report()
        if report:
            # Replace the server: its log would otherwise fail every later test too.
            self.server = None
            server.stop(check=False)
            raise ServerError("sanitizer report from %s:\n%s" % (server.name, tail(report, 200)))

    def shutdown(self):
        if self.server is not None:
            server, self.server = self.server, None
            server.stop()
            server.cleanup()


def _flushall(server):
    client = server.client()
    try:
        client.execute_command("FLUSHALL")
    finally:
        client.close()


@pytest.fixture(scope="session")
def keel_bin():
    """Absolute path of the Keel binary under test."""
    return keel_binary()


@pytest.fixture(scope="session")
def oracle_bin():
    return ORACLE_SERVER


@pytest.fixture(params=["keel", "redis"])
def binary(request, keel_bin):
    """Each test that takes it runs twice: with the Keel binary, then with redis-server's."""
    return keel_bin if request.param == "keel" else ORACLE_SERVER


@pytest.fixture(scope="session")
def redis_cli():
    """Path of redis-cli."""
    return redis_cli_binary()


@pytest.fixture(scope="session")
def _keel_shared(keel_bin):
    shared = SharedServer(keel_bin, "keel")
    yield shared
    shared.shutdown()


@pytest.fixture(scope="session")
def _oracle_shared():
    shared = SharedServer(ORACLE_SERVER, "redis")
    yield shared
    shared.shutdown()


@pytest.fixture
def keel(_keel_shared):
    """The shared Keel server, flushed, checked for crashes and sanitizer reports afterwards."""
    server = _keel_shared.get()
    _flushall(server)
    yield server
    _keel_shared.after_test()


@pytest.fixture
def oracle(_oracle_shared):
    """The shared redis-server oracle, flushed."""
    server = _oracle_shared.get()
    _flushall(server)
    yield server
    _oracle_shared.after_test()


@pytest.fixture
def keel_client(keel):
    """redis-py client (bytes replies) to the shared Keel server."""
    client = keel.client()
    yield client
    client.close()


@pytest.fixture
def start_server(keel_bin):
    """Factory for extra servers with custom arguments, stopped (and checked) after the test:

        server = start_server(["--requirepass", "secret"])
        server = start_server([...], binary=ORACLE_SERVER, config_file=path)
    """
    started = []

    def start(extra_args=(), binary=None, config_file=None, name=None, port=None):
        binary = binary or keel_bin
        name = name or ("redis" if binary == ORACLE_SERVER else "keel")
        server = Server(binary, extra_args, config_file=config_file, name=name, port=port)
        started.append(server)
        return server.start()

    yield start
    errors = []
    for server in started:
        try:
            server.stop()
        except ServerError as e:
            errors.append(str(e))
        else:
            server.cleanup()
    if errors:
        raise ServerError("\n".join(errors))
