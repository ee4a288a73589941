"""`manage.py carry_over_open_signups`: bring every reader's open sign-ups to their account.

Run once after upgrading (readers who proved their address before carrying over
existed), and any time after: each proved address that still has account-less rows
is handed to `services.open_signups_carry_over`, as proving it would have. Safe to
repeat and to run beside the site: an address already carried over has no rows left.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from masthead.newsletters import selectors, services


class Command(BaseCommand):
    help = "Carry the open newsletter sign-ups of proved (verified) addresses over to accounts."

    def handle(self, *args: Any, **options: Any) -> None:
        readers = get_user_model().objects
        moved = 0
        for user_id, address in selectors.open_signups_to_carry_over().iterator():
            user = readers.filter(pk=user_id).first()
            if user is not None:
                moved += services.open_signups_carry_over(user=user, address=address)
        self.stdout.write(f"carried over {moved} open sign-up row(s)")
