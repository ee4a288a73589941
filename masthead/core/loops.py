"""The loop behind the background commands (`deliver_outbox`, `send_newsletters`,
`send_event_reminders`, `end_suspensions`, each with `--loop`): one pass, a pause, again,
until stopped.

    def add_arguments(self, parser):
        loops.add_arguments(parser, interval=60.0)

    def handle(self, *args, loop, interval, **options):
        loops.run(
            lambda stopping: services.reminders_send(),
            name="event reminders",
            loop=loop,
            interval=interval,
            logger=logger,
            report=lambda due: self.stdout.write(f"reminders due: {due}"),
            verbose=options["verbosity"] > 1,
        )

Invariants:
- Without `loop`, one pass runs and its error, if any, propagates (the command fails).
- With `loop`, SIGTERM and SIGINT ask the loop to stop: the pass under way is told
  (its `stopping()` turns true, so it can end between two units of work) and no
  further pass starts; the process's previous handlers are put back on the way out.
- A pass that raises is logged with its traceback and the next one runs after the
  interval: one bad pass (the database restarting, a mail server away) never ends the
  loop. Each pass is logged (its result and how long it took).
- Each pass of a loop starts with `close_old_connections()`, as a request would, so a
  database connection broken between passes is replaced (a single pass uses the
  command's own connection as it is).
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from argparse import ArgumentParser
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from django.core.management.base import CommandError
from django.db import close_old_connections

__all__ = ["add_arguments", "run"]

T = TypeVar("T")
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def add_arguments(parser: ArgumentParser, *, interval: float) -> None:
    """The command's `--loop` and `--interval` (seconds, `interval` by default)."""
    parser.add_argument("--loop", action="store_true", help="Keep going until stopped.")
    parser.add_argument(
        "--interval",
        type=float,
        default=interval,
        help="Seconds between passes with --loop (default: %(default)s).",
    )


@contextmanager
def _stop_on_signals(stop: threading.Event) -> Iterator[None]:
    previous: dict[int, Any] = {}
    if threading.current_thread() is threading.main_thread():
        for signum in STOP_SIGNALS:
            previous[signum] = signal.signal(signum, lambda *_: stop.set())
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def run(
    work: Callable[[Callable[[], bool]], T],
    *,
    name: str,
    loop: bool,
    interval: float,
    logger: logging.Logger,
    report: Callable[[T], None] | None = None,
    verbose: bool = False,
    stop: threading.Event | None = None,
) -> None:
    """Run `work(stopping)` once, or with `loop` every `interval` seconds until stopped.

    `report(result)` is called after a pass that succeeded when not looping, or when
    `verbose` (the command's own output); `stop` lets a caller (a test, a thread) ask
    the loop to end as a signal would.
    """
    if loop and interval <= 0:
        raise CommandError("--interval must be more than 0 seconds.")
    stop = stop or threading.Event()
    if not loop:
        result = work(stop.is_set)
        if report is not None:
            report(result)
        return
    with _stop_on_signals(stop):
        logger.info("%s: started, a pass every %s s", name, interval)
        while not stop.is_set():
            close_old_connections()
            began = time.monotonic()
            try:
                result = work(stop.is_set)
            except Exception:
                logger.exception("%s: pass failed; trying again in %s s", name, interval)
            else:
                logger.info("%s: pass done in %.2f s: %s", name, time.monotonic() - began, result)
                if report is not None and verbose:
                    report(result)
            if stop.wait(interval):
                break
        logger.info("%s: stopped", name)
