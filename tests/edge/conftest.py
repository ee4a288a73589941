"""Fixtures for the edge tests: the shipped caches in front of an app server that a
test can stop.

Invariant: with MASTHEAD_REQUIRE_EDGE=1 (CI) a missing nginx, varnishd or xkey vmod
fails the test; otherwise it skips, saying what to install.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.servers.basehttp import ThreadedWSGIServer
from pytest_django.live_server_helper import LiveServer

from rigs import edge

REQUIRED = os.environ.get("MASTHEAD_REQUIRE_EDGE") == "1"


class _ConnectionsServer(ThreadedWSGIServer):
    """Django's live server, keeping the connections it has open, so that stopping it
    can drop them as a stopped app server process would (the caches keep connections
    to the app alive between requests)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._open_lock:
            self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def drop_connections(self) -> None:
        with self._open_lock:
            open_now = list(self._open)
        for connection in open_now:
            with contextlib.suppress(OSError):  # closed meanwhile
                connection.shutdown(socket.SHUT_RDWR)


class AppServer:
    """A live app server of a test's own, which the test may stop (the session's
    live_server cannot be stopped without breaking the tests after it)."""

    def __init__(self) -> None:
        self.server = LiveServer("127.0.0.1:0", start=False)
        self.server.thread.server_class = _ConnectionsServer
        self.server.start()
        self.stopped = False

    @property
    def url(self) -> str:
        return self.server.url

    def stop(self) -> None:
        """Stop answering: new connections are refused and open ones dropped."""
        if not self.stopped:
            httpd = self.server.thread.httpd
            self.server.thread.terminate()
            # A stopped process answers nothing, not even on a connection a cache kept
            # open from before (keep-alive to the upstream).
            httpd.drop_connections()
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
