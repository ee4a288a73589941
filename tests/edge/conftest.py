"""Fixtures for the edge tests: the shipped caches in front of an app server that a
test can stop.

Invariant: with MASTHEAD_REQUIRE_EDGE=1 (CI) a missing nginx, varnishd or xkey vmod
fails the test; otherwise it skips, saying what to install.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from pytest_django.live_server_helper import LiveServer

from rigs import edge

REQUIRED = os.environ.get("MASTHEAD_REQUIRE_EDGE") == "1"


@pytest.fixture
def app_server(transactional_db: None) -> Iterator[LiveServer]:
    """A live app server of this test's own (the session's live_server cannot be
    stopped without breaking the tests after it)."""
    server = LiveServer("127.0.0.1:0")
    try:
        yield server
    finally:
        if server.thread.is_alive():
            server.stop()


@pytest.fixture(params=["nginx", "varnish"])
def cache(request: pytest.FixtureRequest, app_server: LiveServer) -> Iterator[edge.Edge]:
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
