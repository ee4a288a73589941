"""A shared cache in front of the app never gives a reader's full page to anyone else.

nginx is started with `proxy_cache` in front of the live server (rigs/nginx.py, which
bench/bench_access.py uses too), in two set-ups:
- "naive": caches whatever the app allows, keyed by URL only (cookies ignored), the
  worst case for a leak;
- "recommended": the same, plus bypassing the cache for requests with a session
  cookie (what the deployment notes ask of a CDN), so signed-in readers get their page.
Skips with the reason when nginx is not installed.
"""

from __future__ import annotations

import http.client

import pytest
from django.test import Client

from rigs import nginx

from .conftest import MARKER


def _get(port: int, path: str, cookie: str | None = None) -> tuple[int, dict[str, str], str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    headers = {"Host": f"127.0.0.1:{port}", "Accept": "text/html"}
    if cookie:
        headers["Cookie"] = cookie
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    body = response.read().decode("utf-8", errors="replace")
    result = response.status, {k.lower(): v for k, v in response.getheaders()}, body
    conn.close()
    return result


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("cookie_name", ["sessionid", "__Host-sessionid"])  # laptop, production
def test_a_shared_cache_never_serves_a_readers_full_page_to_anyone_else(
    live_server, newsroom, reader, settings, cookie_name
):
    settings.SESSION_COOKIE_NAME = cookie_name
    client = Client()
    client.force_login(reader)
    session = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    path = newsroom.registration.url
    try:
        rig = nginx.start(live_server.url, session_cookie=settings.SESSION_COOKIE_NAME)
    except nginx.NginxUnavailable as why:
        pytest.skip(str(why))
    ports = rig.ports
    try:
        for name, port in ports.items():
            # The registered reader goes first, so a careless cache would store their page.
            status, headers, body = _get(port, path, cookie=session)
            assert status == 200, body[-3000:]
            assert MARKER in body, name
            assert "no-store" in headers["cache-control"] and "private" in headers["cache-control"]
            for _ in range(3):
                status, headers, body = _get(port, path)
                assert status == 200
                assert MARKER not in body, f"{name}: the reader's page reached a visitor"
                assert "Register for free to continue reading" in body
            # The anonymous page itself is cacheable and was served from the cache.
            assert headers.get("x-cache-status") == "HIT", (name, headers)
        # Behind the recommended set-up the reader still gets their own page afterwards.
        status, headers, body = _get(ports["recommended"], path, cookie=session)
        assert MARKER in body
        assert headers.get("x-cache-status") in ("BYPASS", "MISS", "EXPIRED")
    except BaseException:
        print(rig.error_log())
        raise
    finally:
        rig.stop()
