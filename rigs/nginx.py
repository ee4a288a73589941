"""nginx with `proxy_cache` in front of an app server, as a CDN would be.

Used by masthead/access/tests/test_shared_cache.py (a reader's page never reaches anyone
else through a shared cache) and bench/bench_access.py (the cached gated article's
throughput), so both measure the same set-up.

Invariants: nginx runs in the foreground in a private temporary folder (config, cache,
logs), listens on free loopback ports only, and is stopped and its folder removed by
`stop()` whatever happened. Each named cache set-up is one `server`:
- "naive": caches whatever the app allows, keyed by URL only (cookies ignored): the
  worst case for a leak;
- "recommended": the same, but requests with a session cookie bypass the cache and are
  never stored (what the deployment notes ask of a CDN).
"""

from __future__ import annotations

import contextlib
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

HOST = "127.0.0.1"
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
SETUPS = ("naive", "recommended")

MAIN = """
{user}
worker_processes 1;
daemon off;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  default_type application/octet-stream;
  client_body_temp_path {tmp}/body;
  proxy_temp_path {tmp}/proxy;
  fastcgi_temp_path {tmp}/fastcgi;
  uwsgi_temp_path {tmp}/uwsgi;
  scgi_temp_path {tmp}/scgi;
{http}
}}
"""

CACHE = """
  proxy_cache_path {tmp}/cache levels=1:2 keys_zone=pages:10m max_size=100m inactive=10m
                   use_temp_path=off;
  upstream app {{ server {upstream}; keepalive 32; }}
  # A pattern, not $cookie_<name>: nginx's variables cannot name a __Host- cookie.
  map $http_cookie $rig_has_session {{
    default "";
    "~(^|;)\\s*{cookie_pattern}=" 1;
  }}
{servers}"""

SERVER = """
  server {{
    listen {host}:{port};
    location / {{
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
      proxy_cache pages;
      proxy_cache_key "{name}$request_method$host$request_uri";
{bypass}
      add_header X-Cache-Status $upstream_cache_status always;
    }}
  }}
"""

BYPASS = """      proxy_cache_bypass $rig_has_session;
      proxy_no_cache $rig_has_session;"""


class NginxUnavailable(RuntimeError):
    """nginx is not installed, or did not start (the message says which)."""


def main_config(folder: Path, http: str) -> str:
    """nginx.conf for an nginx kept in `folder` (pid, logs, temporary files), with `http`
    inside its `http` block: the one main block rigs.nginx and rigs.edge both run."""
    return MAIN.format(
        tmp=folder,
        # As root, nginx's workers would drop to nobody, who cannot write in our
        # private temporary folder; keep them as the user running us.
        user=f"user {pwd.getpwuid(os.geteuid()).pw_name};" if os.geteuid() == 0 else "",
        http=http,
    )


def launch(folder: Path, http: str, *, nginx: str | None = None) -> subprocess.Popen[bytes]:
    """Write `main_config(folder, http)` and start nginx on it in the foreground, in a
    session of its own; the caller waits for it to listen and stops it."""
    binary = nginx or NGINX
    if binary is None:
        raise NginxUnavailable("nginx is not installed (apt-get install -y nginx-light)")
    (folder / "nginx.conf").write_text(main_config(folder, http))
    return subprocess.Popen(
        [binary, "-p", str(folder), "-c", str(folder / "nginx.conf")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )


def stop(process: subprocess.Popen[bytes], folder: Path) -> None:
    """End `process` (politely, then not) and remove its `folder`."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
    shutil.rmtree(folder, ignore_errors=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


@dataclass
class SharedCache:
    """A running nginx: `ports["recommended"]` is where that set-up listens."""

    ports: dict[str, int]
    folder: Path
    process: subprocess.Popen[bytes]

    def error_log(self) -> str:
        log = self.folder / "error.log"
        return log.read_text(errors="replace") if log.exists() else ""

    def stop(self) -> None:
        stop(self.process, self.folder)


def start(upstream: str, *, session_cookie: str, setups: Iterable[str] = SETUPS) -> SharedCache:
    """Start nginx in front of `upstream` ("http://host:port" or "host:port")."""
    if NGINX is None:
        raise NginxUnavailable("nginx is not installed (apt-get install -y nginx-light)")
    if not re.fullmatch(r"[\w.-]+", session_cookie):
        raise ValueError(f"not a cookie name nginx can match: {session_cookie!r}")
    upstream = re.sub(r"^https?://", "", upstream).rstrip("/")
    folder = Path(tempfile.mkdtemp(prefix="masthead-nginx-"))
    ports = {name: free_port() for name in setups}
    unknown = set(ports) - set(SETUPS)
    if unknown:
        raise ValueError(f"unknown cache set-ups: {sorted(unknown)}")
    servers = "".join(
        SERVER.format(
            host=HOST,
            port=port,
            name=name,
            bypass=BYPASS if name == "recommended" else "",
        )
        for name, port in ports.items()
    )
    http = CACHE.format(
        tmp=folder, upstream=upstream, servers=servers, cookie_pattern=re.escape(session_cookie)
    )
    process = launch(folder, http.strip("\n"))
    rig = SharedCache(ports=ports, folder=folder, process=process)
    deadline = time.monotonic() + 10
    try:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                stderr = process.stderr.read().decode(errors="replace") if process.stderr else ""
                raise NginxUnavailable(f"nginx did not start: {stderr[-500:]}")
            if all(_listening(port) for port in ports.values()):
                return rig
            time.sleep(0.05)
        raise NginxUnavailable(f"nginx did not listen within 10 s: {rig.error_log()[-500:]}")
    except BaseException:
        rig.stop()
        raise


@contextlib.contextmanager
def running(
    upstream: str, *, session_cookie: str, setups: Iterable[str] = SETUPS
) -> Iterator[SharedCache]:
    rig = start(upstream, session_cookie=session_cookie, setups=setups)
    try:
        yield rig
    finally:
        rig.stop()


def _listening(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((HOST, port), timeout=0.2):
        return True
    return False
