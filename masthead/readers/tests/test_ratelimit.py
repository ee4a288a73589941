"""The client IP behind trusted proxies, and limits kept in the shared cache."""

from __future__ import annotations

import pytest
from django.core.cache import cache, caches
from django.test import RequestFactory

from masthead.readers.ratelimit import client_ip


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def _request(remote: str, xff: str | None = None):
    headers = {"HTTP_X_FORWARDED_FOR": xff} if xff is not None else {}
    return RequestFactory().get("/", REMOTE_ADDR=remote, **headers)


def test_without_proxies_the_socket_address_counts_and_the_header_is_ignored(settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 0
    assert client_ip(_request("203.0.113.7", "1.2.3.4")) == "203.0.113.7"


@pytest.mark.parametrize(
    ("count", "xff", "expected"),
    [
        (1, "198.51.100.20", "198.51.100.20"),
        # A client sends its own X-Forwarded-For; our one proxy appends the real address.
        (1, "6.6.6.6, 198.51.100.20", "198.51.100.20"),
        (1, "6.6.6.6, 7.7.7.7, 198.51.100.20", "198.51.100.20"),
        # Two proxies (CDN, then load balancer): the CDN saw the client.
        (2, "198.51.100.20, 10.0.0.5", "198.51.100.20"),
        (2, "6.6.6.6, 198.51.100.20, 10.0.0.5", "198.51.100.20"),
        (1, "2001:db8::1", "2001:db8::1"),
    ],
)
def test_behind_trusted_proxies_a_spoofed_forwarded_for_is_ignored(settings, count, xff, expected):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = count
    assert client_ip(_request("10.0.0.1", xff)) == expected


def test_behind_a_proxy_without_the_header_the_socket_address_counts(settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    assert client_ip(_request("10.0.0.1")) == "10.0.0.1"


@pytest.mark.django_db
def test_spoofing_forwarded_for_does_not_escape_the_signup_limit(settings, client):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    statuses = [
        client.post(
            "/accounts/signup/",
            {"email": f"r{i}@example.com"},
            REMOTE_ADDR="10.0.0.1",
            HTTP_X_FORWARDED_FOR=f"6.6.6.{i}, 198.51.100.20",
        ).status_code
        for i in range(21)
    ]
    assert statuses[20] == 429


@pytest.mark.django_db
def test_readers_behind_one_proxy_are_limited_separately(settings, client):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    for _ in range(20):
        client.post(
            "/accounts/signup/", {}, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.20"
        )
    other = client.post(
        "/accounts/signup/", {}, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.21"
    )
    assert other.status_code == 200


@pytest.mark.django_db
def test_limits_are_counted_in_the_shared_default_cache(client):
    # The default cache is Redis in production (REDIS_URL), so every app server counts
    # together: the count is there, and emptying that cache lifts the limit.
    for _ in range(21):
        response = client.post("/accounts/signup/", {})
    assert response.status_code == 429
    assert client.post("/accounts/signup/", {}).status_code == 429
    caches["default"].clear()
    assert client.post("/accounts/signup/", {}).status_code == 200


@pytest.mark.django_db
def test_the_429_page_is_ours(client):
    for _ in range(21):
        response = client.post("/accounts/signup/", {})
    assert response.status_code == 429
    assert "Too many attempts" in response.content.decode()
    assert response["Retry-After"] == "60"
