"""Start and stop real worker processes (`manage.py db_worker`, `manage.py deliver_outbox`).

Invariant: every process started here is in its own process group and is killed when
the test ends, whatever happened; its output goes to a file in tmp_path for failures.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from django.conf import settings

MANAGE = str(Path(settings.BASE_DIR) / "manage.py")


def worker_env(database: dict[str, str], **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("MASTHEAD_", "EMAIL_URL", "DATABASE_URL"))
    }
    env.update({k: v for k, v in database.items() if v})
    # DEBUG off, as in production and as pytest-django runs the test itself: with it on,
    # Django logs every query, which on SQLite costs a second query to quote each one.
    env["MASTHEAD_DEBUG"] = "0"
    env.update(extra)
    # The settings this test session runs under (masthead.settings_test: the fast
    # password hasher, this xdist worker's Redis database).
    env["DJANGO_SETTINGS_MODULE"] = os.environ.get("DJANGO_SETTINGS_MODULE", "masthead.settings")
    env["PYTHONUNBUFFERED"] = "1"
    return env


class Processes:
    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env = env
        self.logs = logs
        self.started: list[subprocess.Popen[bytes]] = []

    def start(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        log = open(self.logs / f"{name}-{len(self.started)}.log", "wb")  # noqa: SIM115
        proc = subprocess.Popen(
            [sys.executable, MANAGE, *args],
            cwd=settings.BASE_DIR,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        self.started.append(proc)
        return proc

    def db_worker(self) -> subprocess.Popen[bytes]:
        return self.start(
            "db_worker", "db_worker", "--no-reload", "--no-startup-delay", "--interval", "0.1"
        )

    def sweeper(self) -> subprocess.Popen[bytes]:
        return self.start("sweeper", "deliver_outbox", "--loop", "--interval", "0.2")

    @staticmethod
    def kill(proc: subprocess.Popen[bytes]) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)

    def stop_all(self) -> None:
        for proc in self.started:
            if proc.poll() is None:
                self.kill(proc)

    def output(self) -> str:
        return "\n".join(
            f"--- {path.name}\n{path.read_text(errors='replace')}"
            for path in sorted(self.logs.glob("*.log"))
        )


@contextlib.contextmanager
def processes(env: dict[str, str], logs: Path) -> Iterator[Processes]:
    running = Processes(env, logs)
    try:
        yield running
    finally:
        running.stop_all()


def wait_for(
    condition: Callable[[], bool],
    *,
    seconds: float,
    what: str,
    log: Callable[[], str] = str,
) -> None:
    """Poll until `condition()` holds; fail with `what` (and the workers' output) if not."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}\n{log()}")
