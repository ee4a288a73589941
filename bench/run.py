"""Masthead's throughput and latency benchmark: `make bench` (or `.venv/bin/python bench/run.py`).

Invariants:
- The site runs the production way (MASTHEAD_PRODUCTION=1, collected static files,
  a real app server) on a database of its own (PostgreSQL `masthead_bench` and a Redis
  database of its own when they answer, else SQLite in a temporary folder), loaded with
  `manage.py load_demo`. Nothing is shared with a developer's var/ or test databases.
- Every figure is reported beside the trivial baseline (/healthz) measured in the same
  run, on the same server, so ratios stay comparable across machines.
- Every URL is checked to answer 200 with the expected content before it is measured,
  and a run with non-2xx/3xx responses or socket errors is flagged: a fast error page
  must never pass for a fast page.
- Only loopback is used; every measurement is bounded in time; every process started
  here is stopped (process group) and the bench database dropped, even on failure.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import html
import json
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
RESULTS_DIR = ROOT / "bench" / "results"
HOST = "127.0.0.1"
PG_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"
RENDER_TARGET_MS = 25.0

# --------------------------------------------------------------------------------------
# Process bookkeeping: everything started here is killed on the way out.
# --------------------------------------------------------------------------------------
_children: list[subprocess.Popen[bytes]] = []
_cleanups: list[Any] = []


def _stop(proc: subprocess.Popen[bytes], timeout: float = 10.0) -> None:
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=timeout)


def _cleanup() -> None:
    while _children:
        _stop(_children.pop())
    while _cleanups:
        with contextlib.suppress(Exception):
            _cleanups.pop()()


def _on_signal(signum: int, _frame: Any) -> None:
    _cleanup()
    sys.exit(128 + signum)


atexit.register(_cleanup)
signal.signal(signal.SIGTERM, _on_signal)
signal.signal(signal.SIGHUP, _on_signal)


def run_main(main: Callable[[], int]) -> NoReturn:
    """A benchmark's entry point: exit with `main()`'s status; on Ctrl+C, stop and remove
    everything started so far first (exit 130)."""
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        _cleanup()
        sys.exit(130)


def log(message: str) -> None:
    print(message, flush=True)


# --------------------------------------------------------------------------------------
# The environment the site runs in
# --------------------------------------------------------------------------------------
def _pg_reachable() -> bool:
    try:
        import psycopg
    except ImportError:
        return False
    try:
        with psycopg.connect(PG_ADMIN_URL, connect_timeout=3):
            return True
    except psycopg.Error:
        return False


def _redis_ready(db: int) -> bool:
    try:
        import redis
    except ImportError:
        return False
    try:
        client = redis.Redis(host=HOST, port=6379, db=db, socket_timeout=3)
        client.ping()
        # The bench owns this Redis database: stale entries from an earlier run
        # (another database, other ids) must not be served.
        client.flushdb()
        client.close()
        return True
    except redis.RedisError:
        return False


def _pg_admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5) as conn:
        conn.execute(sql)


@dataclass
class Backend:
    database: str
    cache: str
    env: dict[str, str]


def prepare_environment(args: argparse.Namespace, workdir: Path) -> Backend:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("MASTHEAD_", "DATABASE_URL", "REDIS_URL", "DJANGO_"))
    }
    env.update(
        {
            "MASTHEAD_PRODUCTION": "1",
            "MASTHEAD_SECRET_KEY": secrets.token_urlsafe(64),
            "MASTHEAD_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "MASTHEAD_SSL_REDIRECT": "0",
            "MASTHEAD_STATIC_ROOT": str(workdir / "static"),
            "MASTHEAD_MEDIA_ROOT": str(workdir / "media"),
            "MASTHEAD_SQLITE_PATH": str(workdir / "masthead.sqlite3"),
            "MASTHEAD_LOG_LEVEL": "WARNING",
            # load_demo refuses production settings unless forced, and then only with a
            # strong password of one's own for the demo editor (thrown away with the site).
            "MASTHEAD_DEMO_PASSWORD": secrets.token_urlsafe(24),
            "MASTHEAD_BASE_URL": f"http://{HOST}",
            "DJANGO_SETTINGS_MODULE": "masthead.settings",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
    )
    database, cache = "SQLite (temporary folder)", "local memory (per process)"
    if not args.sqlite and _pg_reachable():
        name = args.database
        if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
            raise SystemExit(f"--database must be a plain identifier, not {name!r}")
        _pg_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        _pg_admin(f"CREATE DATABASE {name}")
        if not args.keep:
            _cleanups.append(lambda: _pg_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        env["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{name}"
        database = f"PostgreSQL ({name})"
        if _redis_ready(args.redis_db):
            env["REDIS_URL"] = f"redis://127.0.0.1:6379/{args.redis_db}"
            cache = f"Redis (database {args.redis_db})"
    elif not args.sqlite:
        log("PostgreSQL is not reachable at 127.0.0.1:5432: falling back to SQLite.")
    return Backend(database=database, cache=cache, env=env)


def manage(backend: Backend, *command: str) -> float:
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *command],
        cwd=ROOT,
        env=backend.env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        log(result.stdout[-4000:])
        log(result.stderr[-4000:])
        raise SystemExit(f"manage.py {' '.join(command)} failed (exit {result.returncode})")
    return time.perf_counter() - started


def manage_shell(backend: Backend, script: str, marker: str) -> Any:
    """Run `script` in `manage.py shell` and return the JSON it printed as MARKER=...,
    or None (after logging the output) when it printed none."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "shell", "--no-imports", "-c", script],
        cwd=ROOT,
        env=backend.env,
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )
    for line in result.stdout.splitlines():
        if line.startswith(marker + "="):
            return json.loads(line[len(marker) + 1 :])
    log(result.stdout[-3000:])
    log(result.stderr[-5000:])
    return None


def pick_article(backend: Backend) -> tuple[str, str]:
    """A free article's path and headline: free, so every reader gets the full render."""
    script = (
        "import json\n"
        "from masthead.access.api import Level\n"
        "from masthead.content.selectors import live_articles\n"
        "a = live_articles().filter(effective_access=Level.FREE).first()"
        " or live_articles().first()\n"
        "print('ARTICLE=' + json.dumps([a.get_url(), a.title] if a else None))\n"
    )
    found = manage_shell(backend, script, "ARTICLE")
    if not found:
        raise SystemExit("could not find a published article after load_demo")
    url, title = found
    # Single-site installs give relative URLs; keep only the path either way.
    return re.sub(r"^https?://[^/]+", "", url), html.escape(title)


# --------------------------------------------------------------------------------------
# App servers
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ServerSpec:
    name: str
    argv: list[str]
    description: str


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def gunicorn_argv(*, workers: int, worker_class: str, threads: int | None = None) -> list[str]:
    """The venv's gunicorn serving Masthead on `{bind}` (start_server fills it in), logging
    warnings only, with `workers` processes of `worker_class` (and `threads` each, when
    given)."""
    argv = [
        str(VENV_BIN / "gunicorn"),
        "masthead.wsgi:application",
        "--bind",
        "{bind}",
        "--log-level",
        "warning",
        "--workers",
        str(workers),
    ]
    if threads is not None:
        argv += ["--threads", str(threads)]
    return [*argv, "--worker-class", worker_class]


def server_specs(args: argparse.Namespace, cores: int) -> list[ServerSpec]:
    """The candidates: gunicorn's sync and threaded workers, and granian's WSGI mode."""
    specs: list[ServerSpec] = []
    gunicorn = VENV_BIN / "gunicorn"
    granian = VENV_BIN / "granian"
    if "gunicorn" in args.servers and gunicorn.exists():
        workers = cores + 1
        specs.append(
            ServerSpec(
                f"gunicorn-sync-w{workers}",
                gunicorn_argv(workers=workers, worker_class="sync"),
                f"gunicorn, {workers} sync worker processes",
            )
        )
        specs.append(
            ServerSpec(
                f"gunicorn-gthread-w{cores}-t4",
                gunicorn_argv(workers=cores, threads=4, worker_class="gthread"),
                f"gunicorn, {cores} worker processes x 4 threads",
            )
        )
    if "granian" in args.servers:
        if granian.exists():
            specs.append(
                ServerSpec(
                    f"granian-w{cores}",
                    [
                        str(granian),
                        "--interface",
                        "wsgi",
                        "--host",
                        HOST,
                        "--port",
                        "{port}",
                        "--workers",
                        str(cores),
                        "--blocking-threads",
                        "2",
                        "--no-ws",
                        "--log-level",
                        "warning",
                        "masthead.wsgi:application",
                    ],
                    f"granian (WSGI), {cores} worker processes x 2 blocking threads",
                )
            )
        else:
            log("granian is not installed (it is a dev extra): comparing gunicorn only.")
    if not specs:
        raise SystemExit("no app server to run: install gunicorn and/or granian in the venv")
    return specs


@dataclass
class RunningServer:
    spec: ServerSpec
    port: int
    proc: subprocess.Popen[bytes]
    log_path: Path

    @property
    def base(self) -> str:
        return f"http://{HOST}:{self.port}"

    def log_tail(self) -> str:
        with contextlib.suppress(OSError):
            return self.log_path.read_text(errors="replace")[-3000:]
        return ""


def start_server(spec: ServerSpec, backend: Backend, workdir: Path) -> RunningServer:
    port = free_port()
    argv = [a.replace("{bind}", f"{HOST}:{port}").replace("{port}", str(port)) for a in spec.argv]
    log_path = workdir / f"{spec.name}.log"
    with log_path.open("wb") as out:
        proc = subprocess.Popen(
            argv,
            cwd=ROOT,
            env=backend.env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    _children.append(proc)
    server = RunningServer(spec, port, proc, log_path)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{spec.name} exited at start:\n{server.log_tail()}")
        with (
            contextlib.suppress(OSError, urllib.error.URLError),
            urllib.request.urlopen(server.base + "/healthz", timeout=2) as response,
        ):
            if response.status == 200:
                return server
        time.sleep(0.2)
    raise SystemExit(f"{spec.name} did not answer /healthz within 60 s:\n{server.log_tail()}")


def stop_server(server: RunningServer) -> None:
    _stop(server.proc)
    with contextlib.suppress(ValueError):
        _children.remove(server.proc)


def check_url(server: RunningServer, path: str, must_contain: str | None) -> int:
    """GET the URL once, as wrk will: it must answer 200 (no redirect) with the content."""
    request = urllib.request.Request(server.base + path, headers={"Accept": "text/html"})

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *a: Any, **k: Any) -> None:
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=10) as response:
            body = response.read()
            status = response.status
    except urllib.error.HTTPError as exc:
        raise SystemExit(
            f"{path} answered {exc.code} on {server.spec.name}, not 200:\n{server.log_tail()}"
        ) from exc
    text = body.decode("utf-8", errors="replace")
    if status != 200 or (must_contain and must_contain not in text):
        raise SystemExit(
            f"{path} on {server.spec.name}: status {status}, expected content "
            f"{must_contain!r} {'found' if must_contain in text else 'missing'}"
        )
    return len(body)


# --------------------------------------------------------------------------------------
# wrk
# --------------------------------------------------------------------------------------
@dataclass
class Measurement:
    label: str
    path: str
    connections: int
    threads: int
    seconds: float
    requests: int = 0
    requests_per_s: float = 0.0
    p50_ms: float = 0.0
    p75_ms: float = 0.0
    p90_ms: float = 0.0
    p99_ms: float = 0.0
    non_2xx_3xx: int = 0
    socket_errors: int = 0
    # CPU time the app server's processes spent per request: unlike wall-clock latency
    # it hardly moves when other work competes for the cores.
    server_cpu_ms_per_request: float | None = None
    raw: str = field(default="", repr=False)

    @property
    def clean(self) -> bool:
        return self.non_2xx_3xx == 0 and self.socket_errors == 0 and self.requests > 0


_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(value: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value.strip())
    if not match:
        raise ValueError(f"unexpected wrk duration {value!r}")
    return float(match.group(1)) * _UNITS_MS[match.group(2)]


def parse_wrk(output: str, measurement: Measurement) -> Measurement:
    for pct in ("50", "75", "90", "99"):
        match = re.search(rf"^\s*{pct}%\s+(\S+)\s*$", output, re.M)
        if match:
            setattr(measurement, f"p{pct}_ms", _ms(match.group(1)))
    if match := re.search(r"Requests/sec:\s+([\d.]+)", output):
        measurement.requests_per_s = float(match.group(1))
    if match := re.search(r"^\s*(\d+) requests in", output, re.M):
        measurement.requests = int(match.group(1))
    if match := re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output):
        measurement.non_2xx_3xx = int(match.group(1))
    if match := re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    ):
        measurement.socket_errors = sum(int(g) for g in match.groups())
    measurement.raw = output
    return measurement


_CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def process_group_cpu_seconds(pgid: int) -> float | None:
    """User + system CPU seconds of every live process in the group (Linux /proc)."""
    proc = Path("/proc")
    if not proc.is_dir():
        return None
    total = 0
    for stat in proc.glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        # Fields after the command name, which is in parentheses and may hold spaces.
        fields = text[text.rfind(")") + 2 :].split()
        if int(fields[2]) == pgid:  # pgrp
            total += int(fields[11]) + int(fields[12])  # utime + stime
    return total / _CLOCK_TICKS


def wrk(
    server: RunningServer,
    label: str,
    path: str,
    *,
    seconds: float,
    connections: int,
    threads: int,
    headers: Sequence[str] = (),
    url: str | None = None,
    server_cpu: bool = True,
) -> Measurement:
    """wrk against `server.base + path`, or against `url` when given (a peer, or a cache
    in front of the server), with `Accept: text/html` and `headers` ("Name: value").
    The server's CPU per request is measured unless `server_cpu` is false (the load is
    not the server's: a peer, a cache answering from its store)."""
    threads = max(1, min(threads, connections))
    argv = [
        "wrk",
        "--latency",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "10s",
        "-H",
        "Accept: text/html",
    ]
    for header in headers:
        argv += ["-H", header]
    argv.append(url or server.base + path)
    pgid = server.proc.pid if server_cpu else None
    cpu_before = process_group_cpu_seconds(pgid) if pgid else None
    result = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 60, check=False)
    cpu_after = process_group_cpu_seconds(pgid) if pgid else None
    if result.returncode != 0:
        raise SystemExit(f"wrk failed on {url or path}: {result.stderr or result.stdout}")
    measurement = parse_wrk(
        result.stdout, Measurement(label, url or path, connections, threads, seconds)
    )
    if cpu_before is not None and cpu_after is not None and measurement.requests:
        measurement.server_cpu_ms_per_request = (
            (cpu_after - cpu_before) * 1000 / measurement.requests
        )
    if server.proc.poll() is not None:
        raise SystemExit(f"{server.spec.name} died during the run:\n{server.log_tail()}")
    return measurement


# --------------------------------------------------------------------------------------
# The run
# --------------------------------------------------------------------------------------
def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n", 1)[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per measurement")
    parser.add_argument(
        "--warmup", type=float, default=3.0, help="seconds of warm-up load per URL before measuring"
    )
    parser.add_argument(
        "--compare-duration",
        type=float,
        default=5.0,
        help="seconds per server when choosing the app server (0: no choice, "
        "use the first candidate)",
    )
    parser.add_argument(
        "--connections", type=int, default=16, help="concurrent connections under load"
    )
    parser.add_argument(
        "--compare-rounds",
        type=int,
        default=2,
        help="alternating rounds per candidate server; each keeps its best round",
    )
    parser.add_argument("--threads", type=int, default=2, help="wrk threads under load")
    parser.add_argument(
        "--servers",
        default="gunicorn,granian",
        help="comma-separated app servers to consider: gunicorn, granian",
    )
    parser.add_argument(
        "--sqlite",
        action="store_true",
        help="use SQLite and local-memory cache even if PostgreSQL answers",
    )
    parser.add_argument(
        "--database",
        default="masthead_bench",
        help="PostgreSQL database to create (and drop) for the run",
    )
    parser.add_argument(
        "--redis-db",
        type=int,
        default=9,
        help="Redis database number the run owns (it is flushed first)",
    )
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep the temporary folder and the bench database afterwards",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=None,
        help="results JSON path (default: bench/results/<timestamp>.json)",
    )
    return parser.parse_args(argv)


def git_revision() -> str:
    result = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    rev = result.stdout.strip() or "unknown"
    return rev + ("+dirty" if dirty.stdout.strip() else "")


def fmt_row(cells: list[str], widths: list[int]) -> str:
    return "  ".join(
        c.ljust(w) if i == 0 else c.rjust(w)
        for i, (c, w) in enumerate(zip(cells, widths, strict=True))
    )


def choose_server(
    specs: list[ServerSpec],
    backend: Backend,
    workdir: Path,
    article: str,
    headline: str,
    args: argparse.Namespace,
) -> tuple[RunningServer, list[dict[str, Any]], str]:
    """Start every candidate, measure them in alternating rounds, keep the fastest running.

    Rounds alternate (A B C, A B C) and each candidate keeps its best round, so a burst
    of other work on the machine cannot decide the choice by landing on one candidate.
    """
    if len(specs) == 1 or args.compare_duration <= 0:
        return start_server(specs[0], backend, workdir), [], "the only candidate"
    log(
        f"\n== Choosing the app server: the article page, {args.compare_rounds} alternating "
        f"rounds of {args.compare_duration:.0f} s each, {args.connections} connections"
    )
    servers = [start_server(spec, backend, workdir) for spec in specs]
    rounds: dict[str, list[Measurement]] = {spec.name: [] for spec in specs}
    try:
        for server in servers:
            check_url(server, article, headline)
            wrk(
                server,
                "warm-up",
                article,
                seconds=min(args.warmup, 3) or 1,
                connections=args.connections,
                threads=args.threads,
            )
        for _ in range(args.compare_rounds):
            for server in servers:
                rounds[server.spec.name].append(
                    wrk(
                        server,
                        "article",
                        article,
                        seconds=args.compare_duration,
                        connections=args.connections,
                        threads=args.threads,
                    )
                )
    except BaseException:
        for server in servers:
            stop_server(server)
        raise
    trials: list[dict[str, Any]] = []
    for server in servers:
        measured = rounds[server.spec.name]
        best_round = max(measured, key=lambda m: m.requests_per_s)
        trials.append(
            {
                "server": server.spec.name,
                "description": server.spec.description,
                "requests_per_s": best_round.requests_per_s,
                "p50_ms": best_round.p50_ms,
                "p99_ms": best_round.p99_ms,
                "rounds_requests_per_s": [m.requests_per_s for m in measured],
                "clean": all(m.clean for m in measured),
            }
        )
        t = trials[-1]
        log(
            f"  {t['server']:<26} {t['requests_per_s']:8.1f} req/s   p50 {t['p50_ms']:7.2f} ms"
            f"   p99 {t['p99_ms']:7.2f} ms   (rounds: "
            + ", ".join(f"{r:.0f}" for r in t["rounds_requests_per_s"])
            + ")"
            + ("" if t["clean"] else "   (ERRORS)")
        )
    clean = [t for t in trials if t["clean"]] or trials
    best = max(clean, key=lambda t: t["requests_per_s"])
    others = [t for t in clean if t is not best]
    reason = f"{best['server']} served the article fastest ({best['requests_per_s']:.0f} req/s"
    if others:
        runner_up = max(others, key=lambda t: t["requests_per_s"])
        gain = (
            best["requests_per_s"] / runner_up["requests_per_s"] - 1
            if runner_up["requests_per_s"]
            else 0.0
        )
        reason += (
            f", {gain:+.0%} over {runner_up['server']} at "
            f"{runner_up['requests_per_s']:.0f} req/s; p99 {best['p99_ms']:.1f} ms vs "
            f"{runner_up['p99_ms']:.1f} ms"
        )
        if gain < 0.05:
            reason += "; within noise, so either would do"
    reason += ")"
    chosen = next(server for server in servers if server.spec.name == best["server"])
    for server in servers:
        if server is not chosen:
            stop_server(server)
    return chosen, trials, reason


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    args.servers = {s.strip() for s in args.servers.split(",") if s.strip()}
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: `apt-get install wrk` (Debian package)")
    cores = os.cpu_count() or 1
    started = time.perf_counter()
    workdir = Path(tempfile.mkdtemp(prefix="masthead-bench-"))
    if not args.keep:
        _cleanups.append(lambda: shutil.rmtree(workdir, ignore_errors=True))

    log("== Masthead benchmark")
    load_before = os.getloadavg()[0]
    if load_before > 0.5:
        log(
            f"  warning: the 1-minute load average is {load_before:.2f} before starting; other "
            "work on this machine will make the figures noisy (ratios suffer least)"
        )
    backend = prepare_environment(args, workdir)
    log(
        f"  database: {backend.database}; cache: {backend.cache}; {cores} CPU cores "
        f"(shared by the app server and wrk); working folder {workdir}"
    )
    timings = {
        "migrate_s": manage(backend, "migrate", "--noinput", "-v0"),
        "collectstatic_s": manage(backend, "collectstatic", "--noinput", "-v0"),
        "load_demo_s": manage(backend, "load_demo", "--force", "-v0"),
    }
    log("  setup: " + ", ".join(f"{k[:-2]} {v:.1f} s" for k, v in timings.items()))
    article, headline = pick_article(backend)
    log(f"  article under test: {article}")

    specs = server_specs(args, cores)
    server, trials, reason = choose_server(specs, backend, workdir, article, headline, args)
    chosen = server.spec
    log(f"\n== Measuring with {chosen.description}")
    log(f"  why: {reason}")

    targets = [
        ("baseline /healthz", "/healthz", "ok"),
        ("front page /", "/", None),
        ("article", article, headline),
    ]
    results: list[Measurement] = []
    try:
        sizes = {path: check_url(server, path, needle) for _, path, needle in targets}
        for label, path, _ in targets:
            if args.warmup > 0:
                wrk(
                    server,
                    "warm-up",
                    path,
                    seconds=args.warmup,
                    connections=args.connections,
                    threads=args.threads,
                )
            m = wrk(
                server,
                label,
                path,
                seconds=args.duration,
                connections=args.connections,
                threads=args.threads,
            )
            results.append(m)
            log(f"  {label:<26} done: {m.requests_per_s:.1f} req/s")
        # One connection: the time to render, with no queueing behind other requests.
        for label, path in (("baseline /healthz", "/healthz"), ("article", article)):
            m = wrk(server, label, path, seconds=args.duration, connections=1, threads=1)
            results.append(m)
            log(f"  {label + ', 1 connection':<26} done: p50 {m.p50_ms:.2f} ms")
        single = results[-1]
    finally:
        stop_server(server)

    # Each figure is compared with /healthz at the same number of connections.
    baselines = {m.connections: m for m in results if m.path == "/healthz"}

    def ratios(m: Measurement) -> tuple[float | None, float | None]:
        base = baselines[m.connections]
        rps = m.requests_per_s / base.requests_per_s if base.requests_per_s else None
        p50 = m.p50_ms / base.p50_ms if base.p50_ms else None
        return rps, p50

    widths = [30, 9, 9, 9, 11, 9, 9, 7]
    log(
        f"\n== Results ({args.duration:.0f} s each; ratios against /healthz at the same "
        f"number of connections, measured in this run)"
    )
    log(
        fmt_row(
            ["", "req/s", "p50 ms", "p99 ms", "req/s ratio", "p50 ratio", "cpu ms/req", "bytes"],
            widths,
        )
    )
    for m in results:
        rps_ratio, p50_ratio = ratios(m)
        errors = f"   ERRORS: {m.non_2xx_3xx} non-2xx/3xx, {m.socket_errors} socket errors"
        row = [
            f"{m.label} (c{m.connections})",
            f"{m.requests_per_s:.1f}",
            f"{m.p50_ms:.2f}",
            f"{m.p99_ms:.2f}",
            f"{rps_ratio:.3f}" if rps_ratio is not None else "-",
            f"{p50_ratio:.2f}" if p50_ratio is not None else "-",
            f"{m.server_cpu_ms_per_request:.2f}" if m.server_cpu_ms_per_request else "-",
            str(sizes.get(m.path, 0)),
        ]
        log(fmt_row(row, widths) + ("" if m.clean else errors))
    under_load = results[2]
    verdict = "meets" if single.p50_ms <= RENDER_TARGET_MS else "MISSES"
    log(
        f"\nRendering an article without a page cache: p50 {single.p50_ms:.2f} ms on one "
        f"connection ({verdict} the {RENDER_TARGET_MS:.0f} ms target); p50 "
        f"{under_load.p50_ms:.2f} ms under {args.connections} connections, which includes "
        f"queueing for {cores} cores shared with wrk."
    )
    if single.server_cpu_ms_per_request:
        log(
            f"The server spent {single.server_cpu_ms_per_request:.2f} ms of CPU per article "
            "(steadier than wall-clock time when the machine is busy)."
        )

    payload = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "git": git_revision(),
        "machine": {
            "cores": cores,
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "database": backend.database,
        "cache": backend.cache,
        "server": {
            "name": chosen.name,
            "description": chosen.description,
            "why": reason,
            "candidates": trials,
        },
        "settings": {
            "duration_s": args.duration,
            "warmup_s": args.warmup,
            "connections": args.connections,
            "wrk_threads": args.threads,
        },
        "setup": timings,
        "article_path": article,
        "results": [
            {k: v for k, v in asdict(m).items() if k != "raw"}
            | {
                "bytes": sizes.get(m.path, 0),
                "requests_per_s_ratio": ratios(m)[0],
                "p50_ratio": ratios(m)[1],
            }
            for m in results
        ],
        "article_render_p50_ms": single.p50_ms,
        "article_render_server_cpu_ms": single.server_cpu_ms_per_request,
        "article_render_target_ms": RENDER_TARGET_MS,
        "article_render_meets_target": single.p50_ms <= RENDER_TARGET_MS,
        "load_average_1m": {"before": load_before, "after": os.getloadavg()[0]},
        "total_s": round(time.perf_counter() - started, 1),
    }
    output = args.output or RESULTS_DIR / (datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ") + ".json")
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(payload, indent=2) + "\n")
    shown = output.relative_to(ROOT) if output.is_relative_to(ROOT) else output
    log(f"\nresults written to {shown} (total {payload['total_s']} s)")
    return 0 if all(m.clean for m in results) else 1


if __name__ == "__main__":
    run_main(main)
