"""`manage.py deliver_outbox [--loop]`: the sweeper run beside `manage.py db_worker`.

Each pass takes back tasks whose worker died (masthead.core.taskqueue) and delivers
every outbox email that is due: retries whose backoff has passed, emails a dead worker
was holding (lease expired), and emails whose delivery task was never enqueued.

Invariant: a pass that fails (the database restarting, say) is logged and the loop goes
on; only SIGTERM/SIGINT stop it, between emails, never in the middle of one.
"""

from __future__ import annotations

import logging
from argparse import ArgumentParser
from collections.abc import Callable
from typing import Any

from django.core.management.base import BaseCommand

from masthead.core import loops, outbox
from masthead.core.taskqueue import tasks_reclaim_stale

logger = logging.getLogger("masthead.core.outbox")


class Command(BaseCommand):
    help = "Deliver due outbox emails and take back tasks from dead workers."

    def add_arguments(self, parser: ArgumentParser) -> None:
        loops.add_arguments(parser, interval=5.0)

    def handle(self, *args: Any, loop: bool, interval: float, **options: Any) -> None:
        loops.run(
            sweep,
            name="outbox",
            loop=loop,
            interval=interval,
            logger=logger,
            report=lambda done: self.stdout.write(
                f"tasks taken back: {done[0]}; emails tried: {done[1]}"
            ),
            verbose=options["verbosity"] > 1,
        )


def sweep(stopping: Callable[[], bool]) -> tuple[int, int]:
    """One pass: (tasks taken back, emails tried)."""
    reclaimed = tasks_reclaim_stale()
    tried = 0
    # Drain what is due; stop when a batch makes no progress (all taken by other
    # workers), so a pass always ends.
    progressed = True
    while progressed and not stopping():
        progressed = False
        for email_id in outbox.due_ids():
            if stopping():
                break
            if outbox.deliver(email_id) is not None:
                tried += 1
                progressed = True
    return reclaimed, tried
