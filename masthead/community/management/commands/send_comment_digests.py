"""`manage.py send_comment_digests`: queue the daily email of comment notifications.

Run it once a day (cron, or a scheduler beside `manage.py db_worker`). Each reader with
notifications waiting for the digest gets one email holding them; running it again the
same day (or twice at once) queues nothing more (services.notifications.digests_send).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from masthead.community.services.notifications import digests_send


class Command(BaseCommand):
    help = "Queue the daily digest of comment notifications for every reader who chose it."

    def handle(self, *args: Any, **options: Any) -> None:
        queued = digests_send()
        self.stdout.write(f"{queued} digest email(s) queued")
