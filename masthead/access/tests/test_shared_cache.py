"""A shared cache in front of the app never gives a reader's full page to anyone else.

nginx is started with `proxy_cache` in front of the live server, in two set-ups:
- "naive": caches whatever the app allows, keyed by URL only (cookies ignored), the
  worst case for a leak;
- "recommended": the same, plus bypassing the cache for requests with a session
  cookie (what the deployment notes ask of a CDN), so signed-in readers get their page.
Skips with the reason when nginx is not installed.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from .conftest import MARKER

NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)

CONFIG = """
{user}
worker_processes 1;
daemon off;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 64; }}
http {{
  access_log off;
  client_body_temp_path {tmp}/body;
  proxy_temp_path {tmp}/proxy;
  fastcgi_temp_path {tmp}/fastcgi;
  uwsgi_temp_path {tmp}/uwsgi;
  scgi_temp_path {tmp}/scgi;
  proxy_cache_path {tmp}/cache levels=1:2 keys_zone=pages:1m max_size=20m inactive=10m
                   use_temp_path=off;
  server {{
    listen 127.0.0.1:{naive};
    location / {{
      proxy_pass {upstream};
      proxy_set_header Host $http_host;
      proxy_cache pages;
      proxy_cache_key "naive$request_method$host$request_uri";
      add_header X-Cache-Status $upstream_cache_status always;
    }}
  }}
  server {{
    listen 127.0.0.1:{recommended};
    location / {{
      proxy_pass {upstream};
      proxy_set_header Host $http_host;
      proxy_cache pages;
      proxy_cache_key "rec$request_method$host$request_uri";
      proxy_cache_bypass $cookie_{session_cookie};
      proxy_no_cache $cookie_{session_cookie};
      add_header X-Cache-Status $upstream_cache_status always;
    }}
  }}
}}
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def nginx_in_front_of(upstream: str) -> Iterator[dict[str, int]]:
    if NGINX is None:
        pytest.skip("nginx is not installed (apt-get install -y nginx-light)")
    tmp = Path(tempfile.mkdtemp(prefix="masthead-nginx-"))
    ports = {"naive": _free_port(), "recommended": _free_port()}
    conf = tmp / "nginx.conf"
    conf.write_text(
        CONFIG.format(
            tmp=tmp,
            # As root, nginx's workers would drop to nobody, who cannot write in our
            # private temporary folder; keep them as the user running the tests.
            user=f"user {pwd.getpwuid(os.geteuid()).pw_name};" if os.geteuid() == 0 else "",
            upstream=upstream,
            session_cookie=settings.SESSION_COOKIE_NAME,
            **ports,
        )
    )
    proc = subprocess.Popen(
        [NGINX, "-p", str(tmp), "-c", str(conf)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if proc.poll() is not None:  # pragma: no cover
                pytest.skip(f"nginx did not start: {proc.stderr.read().decode()[-500:]}")
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", ports["recommended"]), timeout=0.2),
            ):
                break
            time.sleep(0.05)
        yield ports
    except BaseException:
        print((tmp / "error.log").read_text() if (tmp / "error.log").exists() else "")
        raise
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
        shutil.rmtree(tmp, ignore_errors=True)


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
def test_a_shared_cache_never_serves_a_readers_full_page_to_anyone_else(
    live_server, newsroom, reader
):
    client = Client()
    client.force_login(reader)
    session = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    path = newsroom.registration.url
    with nginx_in_front_of(live_server.url) as ports:
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
