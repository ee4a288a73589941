"""`make check-headers`: grade the production headers with Mozilla's HTTP Observatory.

Invariant: the grade is measured on the real thing, end to end: Masthead under its
production settings (MASTHEAD_PRODUCTION=1) served by gunicorn, HTTPS on one loopback
port with a certificate from a throwaway CA made here, plain HTTP on another (which
must redirect to HTTPS), the demo newsroom in a throwaway SQLite database. Nothing
leaves the machine: the Observatory's tests run offline from node_modules (installed
with `npm ci --ignore-scripts`). The check fails below A+, or when the scanner could
not verify the certificate (HSTS and the redirect would then go ungraded), or when a
static file lacks its Cross-Origin-Resource-Policy. Two pages are graded: the front
page, and the admin's sign-in page (the admin page anybody can reach, which also sets
the CSRF cookie, so the cookie flags are graded too).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
SCANNER = ROOT / "tests" / "headers" / "observatory_scan.mjs"
HOST = "127.0.0.1"
WANTED = "A+"
PATHS = ("/", "/admin/login/")


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def run(*args: str | Path, env: dict[str, str], cwd: Path = ROOT) -> None:
    result = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True)
    if result.returncode != 0:
        sys.exit(f"failed: {' '.join(map(str, args))}\n{result.stderr.decode()[-2000:]}")


def make_certificates(folder: Path) -> tuple[Path, Path, Path]:
    """A throwaway CA and a certificate for 127.0.0.1 and localhost signed by it."""
    ca_key, ca, key, csr, cert = (folder / n for n in ("ca.key", "ca.pem", "k.pem", "r", "c.pem"))
    ext = folder / "ext.cnf"
    ext.write_text(
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n"
        "keyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n"
    )
    env = dict(os.environ)
    run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", ca_key,
        "-out", ca, "-days", "2", "-subj", "/CN=Masthead check-headers CA",
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign", env=env)  # fmt: skip
    run("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", csr,
        "-subj", "/CN=127.0.0.1", env=env)  # fmt: skip
    run("openssl", "x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key,
        "-CAcreateserial", "-out", cert, "-days", "2", "-extfile", ext, env=env)  # fmt: skip
    return ca, cert, key


def production_env(folder: Path, https_port: int) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("MASTHEAD_") and k not in ("DATABASE_URL", "REDIS_URL")
    }
    env.update(
        MASTHEAD_PRODUCTION="1",
        MASTHEAD_SECRET_KEY=secrets.token_urlsafe(64),
        MASTHEAD_ALLOWED_HOSTS=f"{HOST},localhost",
        MASTHEAD_BASE_URL=f"https://{HOST}:{https_port}",
        MASTHEAD_SSL_HOST=f"{HOST}:{https_port}",
        MASTHEAD_SQLITE_PATH=str(folder / "db.sqlite3"),
        MASTHEAD_STATIC_ROOT=str(folder / "static"),
        MASTHEAD_MEDIA_ROOT=str(folder / "media"),
        MASTHEAD_DEMO_PASSWORD=secrets.token_urlsafe(24),
        MASTHEAD_LOG_LEVEL="WARNING",
    )
    return env


@contextlib.contextmanager
def serving(
    env: dict[str, str], port: int, tls: tuple[Path, Path] | None
) -> Iterator[subprocess.Popen[bytes]]:
    args = [str(VENV_BIN / "gunicorn"), "masthead.wsgi:application", "-b", f"{HOST}:{port}"]
    args += ["--workers", "2", "--log-level", "warning"]
    if tls:
        args += ["--certfile", str(tls[0]), "--keyfile", str(tls[1])]
    process = subprocess.Popen(args, cwd=ROOT, env=env)
    try:
        yield process
    finally:
        process.terminate()
        process.wait(timeout=30)


def fetch(url: str, context: ssl.SSLContext) -> tuple[int, dict[str, str]]:
    request = urllib.request.Request(url, headers={"Accept": "text/html,*/*"})
    with urllib.request.urlopen(request, context=context, timeout=10) as response:
        return response.status, {k.lower(): v for k, v in response.headers.items()}


def wait_until_up(url: str, context: ssl.SSLContext) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            fetch(url, context)
            return
        except OSError:
            if time.monotonic() > deadline:
                sys.exit(f"the site did not come up at {url}")
            time.sleep(0.5)


def static_url(home_html: str) -> str:
    """The first stylesheet the front page links to (a hashed name under production)."""
    marker = 'rel="stylesheet" href="'
    start = home_html.index(marker) + len(marker)
    return home_html[start : home_html.index('"', start)]


def ensure_preload_list(package: Path) -> None:
    """The package's install script downloads Chromium's HSTS preload list, which
    `--ignore-scripts` skips (it needs the network). The HSTS and redirection tests
    read it to credit sites on the list; a loopback address is on no list, so an empty
    one gives the same grade."""
    preload = package / "conf" / "hsts-preload.json"
    if not preload.exists():
        preload.write_text("{}\n")


def main() -> int:
    package = ROOT / "node_modules" / "@mdn" / "mdn-http-observatory"
    if not package.is_dir():
        sys.exit("the Observatory is not installed: run `npm ci --ignore-scripts`")
    ensure_preload_list(package)
    with tempfile.TemporaryDirectory(prefix="masthead-headers-") as tmp:
        folder = Path(tmp)
        ca, cert, key = make_certificates(folder)
        http_port, https_port = free_port(), free_port()
        env = production_env(folder, https_port)
        manage = [VENV_BIN / "python", "manage.py"]
        run(*manage, "migrate", "--noinput", env=env)
        run(*manage, "collectstatic", "--noinput", env=env)
        run(*manage, "load_demo", "--force", "--image-scale", "0.1", "-v", "0", env=env)
        context = ssl.create_default_context(cafile=str(ca))
        base = f"https://{HOST}:{https_port}/"
        with serving(env, https_port, (cert, key)), serving(env, http_port, None):
            wait_until_up(base, context)
            scans = {
                path: subprocess.run(
                    ["node", str(SCANNER), HOST, str(http_port), str(https_port), path],
                    cwd=ROOT,
                    env={**os.environ, "NODE_EXTRA_CA_CERTS": str(ca)},
                    capture_output=True,
                    text=True,
                    timeout=180,
                )
                for path in PATHS
            }
            with urllib.request.urlopen(base, context=context, timeout=10) as response:
                home = response.read().decode()
            _status, static_headers = fetch(base.rstrip("/") + static_url(home), context)
    problems = []
    for path, scan in scans.items():
        if scan.returncode != 0:
            print(scan.stdout, scan.stderr, file=sys.stderr)
            problems.append(f"the scan of {path} failed")
            continue
        report = json.loads(scan.stdout)
        for name, test in sorted(report["tests"].items()):
            mark = "pass" if test["pass"] else "FAIL"
            print(f"  {mark}  {test['scoreModifier']:+4d}  {name}: {test['result']}")
        grade, score = report["scan"]["grade"], report["scan"]["score"]
        print(f"Observatory grade {grade} (score {score}) for {base.rstrip('/')}{path}")
        if grade != WANTED:
            problems.append(f"{path}: grade {grade} is below {WANTED}")
        if not report["scan"]["verified"]:
            problems.append(f"{path}: the scanner could not verify the certificate")
    if static_headers.get("cross-origin-resource-policy") != "same-site":
        problems.append("static files carry no Cross-Origin-Resource-Policy: same-site")
    for problem in problems:
        print(f"check-headers: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
