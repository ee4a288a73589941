"""`manage.py send_newsletters [--loop]`: the newsletter worker run beside `db_worker`.

Each pass starts scheduled sends that are due, writes the recipient lists of sends
that have started, and sends every batch that is due or was abandoned by a dead
worker (its lease ran out). Several can run at once, on several machines: batches are
claimed under row locks.

Invariant: a pass that fails is logged and the loop goes on; SIGTERM/SIGINT stop it
between batches (a batch stopped midway is simply claimed again later).
"""

from __future__ import annotations

import logging
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from masthead.core import loops
from masthead.newsletters import sending

logger = logging.getLogger("masthead.newsletters.sending")


class Command(BaseCommand):
    help = "Send newsletter issues: start due sends and send their batches."

    def add_arguments(self, parser: ArgumentParser) -> None:
        loops.add_arguments(parser, interval=5.0)
        parser.add_argument(
            "--connections",
            type=int,
            default=None,
            help="SMTP connections to keep open (default: NEWSLETTER_CONNECTIONS).",
        )

    def handle(
        self, *args: Any, loop: bool, interval: float, connections: int | None, **options: Any
    ) -> None:
        if connections is not None and connections < 1:
            self.stderr.write("--connections must be at least 1.")
            raise SystemExit(2)
        loops.run(
            lambda stopping: sending.send_work(stop=stopping, connections=connections),
            name="newsletters",
            loop=loop,
            interval=interval,
            logger=logger,
            report=lambda batches: self.stdout.write(f"batches sent: {batches}"),
            verbose=options["verbosity"] > 1,
        )
