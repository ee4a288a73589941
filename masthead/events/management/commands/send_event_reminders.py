"""`manage.py send_event_reminders [--loop]`: queue the event reminders that are due.

Run it beside the workers (every minute with --loop, or from cron). Each reminder is
queued exactly once whatever runs it how often (services.reminders_send); the outbox
delivers it.
"""

from __future__ import annotations

import logging
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from masthead.core import loops
from masthead.events import services

logger = logging.getLogger("masthead.events")


class Command(BaseCommand):
    help = "Queue the 24-hour and 1-hour event reminders that are due, each once."

    def add_arguments(self, parser: ArgumentParser) -> None:
        loops.add_arguments(parser, interval=60.0)

    def handle(self, *args: Any, loop: bool, interval: float, **options: Any) -> None:
        loops.run(
            lambda stopping: services.reminders_send(),
            name="event reminders",
            loop=loop,
            interval=interval,
            logger=logger,
            report=lambda due: self.stdout.write(f"reminders due: {due}"),
            verbose=options["verbosity"] > 1,
        )
