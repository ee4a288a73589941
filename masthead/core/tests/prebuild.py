"""A test template built in a process of its own (sqlite_template, pg_template).

Under pytest-xdist the controller starts `python -m <module> <template>` before the
workers start. That process takes the template's file lock, says so on its standard
output (`say_locked`), then migrates; `start` returns once it has heard that, so the
workers, which wait on the same lock, find the build under way or done.

Invariants:
- The process runs under the test settings (or the DJANGO_SETTINGS_MODULE given), from
  the project's folder, its error output in a log file beside the template.
- The workers inherit an environment variable naming the template built in this run, so
  that under `--create-db` they copy it instead of building it again.
- A process that never took the lock (it failed first) is waited for and gives None:
  the workers then build as they would without a prebuild.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from django.conf import settings

LOCKED = b"locked"


def start(
    module: str,
    template: str,
    *,
    log: Path,
    built_in_this_run: str,
    env: Mapping[str, str | None],
) -> subprocess.Popen[bytes] | None:
    """Run `python -m module template`, writing its error output to `log`, with `env`
    over this process's environment (None removes a variable). Returns once it holds the
    template's lock, or None when it ended without taking it."""
    log.parent.mkdir(parents=True, exist_ok=True)
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": os.environ.get(
            "DJANGO_SETTINGS_MODULE", "masthead.settings_test"
        ),
    }
    for name, value in env.items():
        if value is None:
            environment.pop(name, None)
        else:
            environment[name] = value
    with open(log, "wb") as errors:
        process = subprocess.Popen(
            [sys.executable, "-m", module, template],
            stdout=subprocess.PIPE,
            stderr=errors,
            env=environment,
            cwd=settings.BASE_DIR,
        )
    assert process.stdout is not None
    if process.stdout.readline().strip() != LOCKED:
        process.wait()
        return None
    # The workers inherit this: the template this process builds is this run's.
    os.environ[built_in_this_run] = template
    return process


def say_locked() -> None:
    """In the prebuild process, once it holds the template's lock: lets `start` return."""
    print(LOCKED.decode(), flush=True)


def finish(
    process: subprocess.Popen[bytes], *, database: str, otherwise: str, log: Path
) -> str | None:
    """Wait for the prebuild; a message saying where its log is when it failed."""
    if process.wait() == 0:
        return None
    return (
        f"migrating the {database} test template failed (exit {process.returncode}); "
        f"{otherwise}. Its output: {log}"
    )
