"""`manage.py end_suspensions`: set readers whose suspension is over back to active.

Readers may comment again the moment their suspension ends whether or not this runs
(every check compares with the clock); running it (hourly from cron, say) keeps the
moderators' lists and reader pages in step. Running it twice changes nothing more.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from masthead.community.services.suspensions import suspensions_end_expired


class Command(BaseCommand):
    help = "End the commenting suspensions that are over."

    def handle(self, *args: Any, **options: Any) -> None:
        ended = suspensions_end_expired()
        self.stdout.write(f"{ended} suspension(s) ended")
