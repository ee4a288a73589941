"""Redis dies mid-traffic: readers keep reading, signed-in readers stay signed in,
rate-limited forms refuse politely (never a 500, never unlimited), /healthz says the
cache is down; Redis comes back on the same port and everything recovers.

Runs against a real redis-server this test starts (and kills) itself, on a free port
with its own data folder, so it never touches the Redis other tests or CI use.
"""

from __future__ import annotations

import logging
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from django.test import Client
from django.urls import reverse

from masthead.access.api import Level
from masthead.access.tests.conftest import MARKER, PASSWORD, make_reader
from masthead.content.tests.factories import make_article, make_home, make_section, paragraph

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        not Path(REDIS_SERVER).exists(), reason="redis-server is not installed on this machine"
    ),
]

POLITE = "Please try again in a minute"


class RedisProcess:
    """One redis-server on a fixed port, which the test can kill and start again."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                REDIS_SERVER,
                "--port", str(self.port),
                "--bind", "127.0.0.1",
                "--save", "",
                "--appendonly", "no",
                "--dir", str(self.folder),
                "--logfile", str(self.folder / "redis.log"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        client = redis.Redis.from_url(self.url, socket_connect_timeout=0.2)
        deadline = time.monotonic() + 20
        while True:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"redis-server on port {self.port} did not start") from None
                time.sleep(0.05)

    def kill(self) -> None:
        assert self.process is not None
        self.process.kill()
        self.process.wait(timeout=10)

    def keys(self, pattern: str) -> list[bytes]:
        return redis.Redis.from_url(self.url).keys(pattern)


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisProcess]:
    server = RedisProcess(tmp_path)
    server.start()
    try:
        yield server
    finally:
        if server.process is not None and server.process.poll() is None:
            server.kill()


@pytest.fixture
def caches_on_own_redis(settings, own_redis: RedisProcess) -> RedisProcess:
    """The production cache settings, pointed at our own Redis (the settings change
    signal makes Django drop the cache connections it had)."""
    options = {"STRICT_KEY_PREFIXES": ["allauth:rl:"], "RETRY_SECONDS": 0}
    settings.CACHES = {
        "default": {
            "BACKEND": "masthead.core.cache.DegradingRedisCache",
            "LOCATION": own_redis.url,
            "KEY_PREFIX": "masthead",
            "OPTIONS": options,
        },
        "renditions": {
            "BACKEND": "masthead.core.cache.DegradingRedisCache",
            "LOCATION": own_redis.url,
            "KEY_PREFIX": "masthead-renditions",
            "OPTIONS": options,
        },
    }
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    return own_redis


def _newsroom():
    home = make_home()
    news = make_section(parent=home, title="News", access=Level.FREE)
    premium = make_section(parent=home, title="Investigations", access=Level.PREMIUM)
    free = make_article(section=news, title="The harbour reopens", hero=False)
    gated = make_article(
        section=premium,
        title="The ledger",
        body=[paragraph("Lead one."), paragraph("Lead two."), paragraph(MARKER)],
        hero=False,
    )
    return free, gated


def _sign_in(client: Client, password: str = PASSWORD):
    return client.post(
        reverse("account_login"), {"login": "reader@example.com", "password": password}
    )


def _sign_up(client: Client):
    return client.post(reverse("account_signup"), {"email": "new@example.com"})


def _reset(client: Client):
    return client.post(reverse("account_reset_password"), {"email": "reader@example.com"})


def _healthz(client: Client) -> tuple[int, list[str]]:
    response = client.get("/healthz")
    return response.status_code, response.content.decode().splitlines()


def test_readers_keep_reading_and_forms_refuse_politely_while_redis_is_down(
    caches_on_own_redis: RedisProcess, caplog
):
    server = caches_on_own_redis
    free, gated = _newsroom()
    make_reader()
    visitor, reader = Client(), Client()
    assert _sign_in(reader).status_code == 302  # signed in for real: a cached_db session
    assert MARKER in reader.get(gated.url).content.decode()
    assert server.keys("*cached_db*"), "the session should be in Redis before the outage"
    assert _healthz(visitor) == (200, ["ok", "database: ok", "cache: ok", _tasks_line(visitor)])

    server.kill()
    caplog.clear()
    caplog.set_level(logging.INFO)

    # Readers read: every page renders from the database.
    for path in ("/", free.url, gated.url):
        response = visitor.get(path)
        assert response.status_code == 200, path
    assert "The harbour reopens" in visitor.get(free.url).content.decode()
    # The signed-in reader is still signed in (the session comes from the database).
    response = reader.get(gated.url)
    assert response.status_code == 200
    assert MARKER in response.content.decode()
    assert response.wsgi_request.user.is_authenticated

    # Rate-limited forms cannot count attempts: they refuse, politely, never a 500.
    for attempt in (_sign_in, _sign_up, _reset):
        response = attempt(Client())
        assert response.status_code == 503, attempt.__name__
        assert response["Retry-After"] == "60"
        assert "no-store" in response["Cache-Control"]
        assert POLITE in response.content.decode()
    # The wall's in-page sign-up gets a fragment, not a whole page.
    response = Client().post(reverse("account_signup"), {}, HTTP_HX_REQUEST="true")
    assert response.status_code == 503
    assert POLITE in response.content.decode() and "<html" not in response.content.decode()

    # A load balancer can tell: still serving (200), but degraded, and why.
    status, lines = _healthz(visitor)
    assert status == 200
    assert lines[:3] == ["degraded", "database: ok", "cache: fail"]

    # One warning for the whole outage; no error logged for any of it.
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [(r.name, r.levelno) for r in warnings] == [("masthead.core.cache", logging.WARNING)]

    server.start()  # the same port, empty

    status, lines = _healthz(visitor)
    assert (status, lines[:3]) == (200, ["ok", "database: ok", "cache: ok"])
    response = _sign_in(Client(), password="not-the-password")
    assert response.status_code == 200  # the form again, with its error
    assert server.keys("*allauth:rl:*"), "rate limits should be counted in Redis again"
    assert MARKER in reader.get(gated.url).content.decode()
    assert reader.get(gated.url).wsgi_request.user.is_authenticated
    assert any("is back" in r.getMessage() for r in caplog.records if r.levelno == logging.INFO)


def test_rate_limits_hold_again_after_redis_comes_back(caches_on_own_redis, settings):
    server = caches_on_own_redis
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "login": "2/m/ip"}
    make_reader()
    server.kill()
    assert _sign_in(Client(), password="wrong").status_code == 503
    server.start()
    client = Client()
    assert _sign_in(client, password="wrong").status_code == 200
    assert _sign_in(client, password="wrong").status_code == 200
    assert _sign_in(client, password="wrong").status_code == 429


def _tasks_line(client: Client) -> str:
    # Whatever the queue holds, it is reported; its exact figures are tested elsewhere.
    return next(line for line in _healthz(client)[1] if line.startswith("tasks:"))
