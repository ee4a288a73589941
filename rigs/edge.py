"""The shipped edge caches (deploy/nginx/masthead.conf, deploy/varnish/masthead.vcl)
running for real in front of an app server, for tests/edge and benchmarks.

Invariants: the files run are the shipped ones, changed only where a test machine must
differ from a server (listen port, upstream address, cache folder, the error page's
path), each by an exact text substitution that must match (so a change to the shipped
file that the rig does not know about fails loudly instead of testing something else).
Each cache runs in the foreground in a private temporary folder, on a free loopback
port, and `stop()` stops it and removes its folder whatever happened.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from rigs import nginx as nginx_rig
from rigs.nginx import HOST, free_port

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"
NGINX_SITE = DEPLOY / "nginx" / "masthead.conf"
VARNISH_VCL = DEPLOY / "varnish" / "masthead.vcl"
ERROR_PAGE = DEPLOY / "errors" / "unavailable.html"
SHIPPED_ERRORS = "/srv/masthead/deploy/errors"


def _which(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    for folder in ("/usr/sbin", "/usr/bin"):
        if Path(folder, name).exists():
            return str(Path(folder, name))
    return None


NGINX = _which("nginx")
VARNISHD = _which("varnishd")
VARNISHADM = _which("varnishadm")
XKEY_VMOD_FOUND = any(Path("/usr/lib").glob("*/varnish/vmods/libvmod_xkey.so")) or any(
    Path("/usr/lib").glob("varnish/vmods/libvmod_xkey.so")
)


class EdgeUnavailable(RuntimeError):
    """The cache is not installed, or did not start (the message says which)."""


def _substitute(text: str, replacements: list[tuple[str, str]], source: Path) -> str:
    for old, new in replacements:
        count = text.count(old)
        if count == 0:
            raise AssertionError(f"{source} no longer contains {old!r}: update rigs/edge.py")
        text = text.replace(old, new)
    return text


def _host_port(upstream: str) -> tuple[str, int]:
    hostport = re.sub(r"^https?://", "", upstream).rstrip("/")
    host, _, port = hostport.rpartition(":")
    return host, int(port)


@dataclass
class Edge:
    """A running cache: `port` is where readers reach it."""

    name: str
    port: int
    folder: Path
    process: subprocess.Popen[bytes]
    logs: list[Path] = field(default_factory=list)
    # varnishadm's command line for this Varnish (empty for nginx).
    admin: list[str] = field(default_factory=list)

    def backend_health(self) -> str:
        """Varnish's view of the app: "healthy" or "sick"."""
        out = subprocess.run(
            [*self.admin, "backend.list"], capture_output=True, text=True, timeout=10, check=True
        ).stdout
        return "sick" if "sick" in out.lower() else "healthy"

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def log(self) -> str:
        out = []
        for path in self.logs:
            if path.exists():
                out.append(path.read_text(errors="replace")[-3000:])
        return "\n".join(out)

    def stop(self) -> None:
        nginx_rig.stop(self.process, self.folder)


def nginx_site(upstream: str, *, port: int, cache: Path) -> str:
    """deploy/nginx/masthead.conf for this machine."""
    host, upstream_port = _host_port(upstream)
    return _substitute(
        NGINX_SITE.read_text(),
        [
            ("    listen [::]:80;\n", ""),
            ("listen 80;", f"listen {HOST}:{port};"),
            ("server 127.0.0.1:8000;", f"server {host}:{upstream_port};"),
            ("/var/cache/nginx/masthead", str(cache)),
            (SHIPPED_ERRORS, str(ERROR_PAGE.parent)),
        ],
        NGINX_SITE,
    )


def varnish_vcl(upstream: str, *, healthy_grace: str | None = None) -> str:
    """deploy/varnish/masthead.vcl for this machine (`healthy_grace`, e.g. "1s", lets a
    test see the grace end without waiting the shipped 10 s)."""
    host, upstream_port = _host_port(upstream)
    grace = [("set req.grace = 10s;", f"set req.grace = {healthy_grace};")] if healthy_grace else []
    return _substitute(
        VARNISH_VCL.read_text(),
        [
            *grace,
            (
                '.host = "127.0.0.1";\n    .port = "8000";',
                f'.host = "{host}";\n    .port = "{upstream_port}";',
            ),
            (SHIPPED_ERRORS, str(ERROR_PAGE.parent)),
        ],
        VARNISH_VCL,
    )


def _wait_listening(edge: Edge, seconds: float = 15) -> Edge:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if edge.process.poll() is not None:
            stderr = (
                edge.process.stderr.read().decode(errors="replace") if edge.process.stderr else ""
            )
            raise EdgeUnavailable(f"{edge.name} did not start: {stderr[-1500:]}\n{edge.log()}")
        with contextlib.suppress(OSError), socket.create_connection((HOST, edge.port), timeout=0.2):
            return edge
        time.sleep(0.05)
    raise EdgeUnavailable(f"{edge.name} did not listen within {seconds} s: {edge.log()}")


def start_nginx(upstream: str) -> Edge:
    """The shipped nginx site in front of `upstream` ("http://host:port")."""
    if NGINX is None:
        raise EdgeUnavailable("nginx is not installed (apt-get install -y nginx-light)")
    folder = Path(tempfile.mkdtemp(prefix="masthead-edge-nginx-"))
    port = free_port()
    (folder / "masthead.conf").write_text(nginx_site(upstream, port=port, cache=folder / "cache"))
    process = nginx_rig.launch(folder, f"  include {folder}/masthead.conf;", nginx=NGINX)
    edge = Edge("nginx", port, folder, process, [folder / "error.log"])
    try:
        return _wait_listening(edge)
    except BaseException:
        edge.stop()
        raise


def start_varnish(upstream: str, *, healthy_grace: str | None = None) -> Edge:
    """The shipped VCL in varnishd in front of `upstream` ("http://host:port")."""
    if VARNISHD is None:
        raise EdgeUnavailable("varnishd is not installed (apt-get install -y varnish)")
    if not XKEY_VMOD_FOUND:
        raise EdgeUnavailable("the xkey vmod is not installed (apt-get install -y varnish-modules)")
    folder = Path(tempfile.mkdtemp(prefix="masthead-edge-varnish-"))
    port = free_port()
    vcl = folder / "masthead.vcl"
    vcl.write_text(varnish_vcl(upstream, healthy_grace=healthy_grace))
    secret = folder / "secret"
    secret.write_text(os.urandom(16).hex())
    admin_port = free_port()
    process = subprocess.Popen(
        [
            VARNISHD,
            "-F",  # foreground, so stop() ends it
            "-j", "none",  # no jail: the test user owns the folder
            "-n", str(folder / "work"),
            "-a", f"{HOST}:{port}",
            "-T", f"{HOST}:{admin_port}",
            "-S", str(secret),
            "-f", str(vcl),
            "-s", "malloc,32m",
            "-p", "thread_pool_min=5",
            "-p", "thread_pools=1",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )  # fmt: skip
    edge = Edge("varnish", port, folder, process)
    edge.admin = [VARNISHADM or "varnishadm", "-T", f"{HOST}:{admin_port}", "-S", str(secret)]
    try:
        return _wait_listening(edge, seconds=30)
    except BaseException:
        edge.stop()
        raise


STARTERS = {"nginx": start_nginx, "varnish": start_varnish}


@contextlib.contextmanager
def running(name: str, upstream: str) -> Iterator[Edge]:
    edge = STARTERS[name](upstream)
    try:
        yield edge
    finally:
        edge.stop()
