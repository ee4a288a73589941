"""Fixtures for the edge tests: the shipped caches in front of an app server that a
test can stop.

Invariant: with MASTHEAD_REQUIRE_EDGE=1 (CI) a missing nginx, varnishd or xkey vmod
fails the test; otherwise it skips, saying what to install.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator

import pytest
from pytest_django.live_server_helper import LiveServer

from rigs import edge

REQUIRED = os.environ.get("MASTHEAD_REQUIRE_EDGE") == "1"


class AppServer:
    """A live app server of a test's own, which the test may stop (the session's
    live_server cannot be stopped without breaking the tests after it)."""

    def __init__(self) -> None:
        self.server = LiveServer("127.0.0.1:0")
        self.stopped = False

    @property
    def url(self) -> str:
        return self.server.url

    def stop(self) -> None:
        """Stop answering: new connections are refused from now on."""
        if not self.stopped:
            self.server.thread.terminate()
            self.stopped = True

    def release(self) -> None:
        self.stop()
        # Threads still closing the caches' keep-alive connections touch the database
        # connection the server shared (SQLite in memory): let them finish first.
        for thread in threading.enumerate():
            if "process_request_thread" in thread.name:
                thread.join(timeout=5)
        for conn in self.server.thread.connections_override.values():
            conn.dec_thread_sharing()


@pytest.fixture
def app_server(transactional_db: None) -> Iterator[AppServer]:
    server = AppServer()
    try:
        yield server
    finally:
        server.release()


@pytest.fixture(params=["nginx", "varnish"])
def cache(request: pytest.FixtureRequest, app_server: AppServer) -> Iterator[edge.Edge]:
    """The shipped config of each cache, running in front of `app_server`."""
    try:
        running = edge.STARTERS[request.param](app_server.url)
    except edge.EdgeUnavailable as why:
        if REQUIRED:
            pytest.fail(f"MASTHEAD_REQUIRE_EDGE=1 but {why}")
        pytest.skip(str(why))
    try:
        yield running
    except BaseException:
        print(running.log())
        raise
    finally:
        running.stop()
