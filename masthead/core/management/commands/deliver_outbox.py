"""`manage.py deliver_outbox [--loop]`: the sweeper run beside `manage.py db_worker`.

Each pass takes back tasks whose worker died (masthead.core.taskqueue) and delivers
every outbox email that is due: retries whose backoff has passed, emails a dead worker
was holding (lease expired), and emails whose delivery task was never enqueued.

Invariant: a pass that fails (the database restarting, say) is logged and the loop goes
on; only SIGTERM/SIGINT stop it, between emails, never in the middle of one.
"""

from __future__ import annotations

import logging
import signal
import threading
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from masthead.core import outbox
from masthead.core.taskqueue import tasks_reclaim_stale

logger = logging.getLogger("masthead.core.outbox")


class Command(BaseCommand):
    help = "Deliver due outbox emails and take back tasks from dead workers."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--loop", action="store_true", help="Keep going until stopped.")
        parser.add_argument(
            "--interval",
            type=float,
            default=5.0,
            help="Seconds between passes with --loop (default: %(default)s).",
        )

    def handle(self, *args: Any, loop: bool, interval: float, **options: Any) -> None:
        stop = threading.Event()
        if loop:
            for signum in (signal.SIGTERM, signal.SIGINT):
                signal.signal(signum, lambda *_: stop.set())
        while True:
            close_old_connections()
            try:
                reclaimed = tasks_reclaim_stale()
                tried = 0
                # Drain what is due; stop when a batch makes no progress (all taken by
                # other workers), so a pass always ends.
                progressed = True
                while progressed and not stop.is_set():
                    progressed = False
                    for email_id in outbox.due_ids():
                        if stop.is_set():
                            break
                        if outbox.deliver(email_id) is not None:
                            tried += 1
                            progressed = True
            except Exception:
                if not loop:
                    raise
                logger.exception("outbox pass failed; trying again in %s s", interval)
            else:
                if options["verbosity"] > 1 or not loop:
                    self.stdout.write(f"tasks taken back: {reclaimed}; emails tried: {tried}")
            if not loop or stop.wait(interval):
                return
