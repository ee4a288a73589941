"""`manage.py end_suspensions [--loop]`: set readers whose suspension is over back to active.

Readers may comment again the moment their suspension ends whether or not this runs
(every check compares with the clock); running it (beside the workers with --loop, or
hourly from cron) keeps the moderators' lists and reader pages in step. Running it
twice changes nothing more.
"""

from __future__ import annotations

import logging
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from masthead.community.services.suspensions import suspensions_end_expired
from masthead.core import loops

logger = logging.getLogger("masthead.community")


class Command(BaseCommand):
    help = "End the commenting suspensions that are over."

    def add_arguments(self, parser: ArgumentParser) -> None:
        loops.add_arguments(parser, interval=300.0)

    def handle(self, *args: Any, loop: bool, interval: float, **options: Any) -> None:
        loops.run(
            lambda stopping: suspensions_end_expired(),
            name="end suspensions",
            loop=loop,
            interval=interval,
            logger=logger,
            report=lambda ended: self.stdout.write(f"{ended} suspension(s) ended"),
            verbose=options["verbosity"] > 1,
        )
