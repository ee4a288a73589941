"""An address proved to be a reader's brings its open sign-ups to the account.

Every way an address becomes verified goes through allauth, which sends
`email_confirmed` once the address is saved as verified (and, since an address change
replaces the old one, as the account's own): the link after registering or after
asking to change the address, signing in or resetting a password with an emailed code
(allauth verifies the address the code went to), staff using the admin's "mark as
verified" action. `email_changed` covers a verified address made the account's own
afterwards. (Ticking "verified" on an address's own admin form sends nothing: the
command below catches that up.)
masthead.readers marks no address verified itself (registration stores it unverified;
readers.email_change only ever adds a pending one), so it need not know about this.

Each receiver hands the address to `services.open_signups_carry_over`, which checks
again, in its transaction, that the address is the reader's own and proved: a signal
for anything else changes nothing.

Invariant: a receiver never raises into allauth's flow. The address is verified by
then (saved), so a failure is logged and the person's confirmation still succeeds;
`manage.py carry_over_open_signups` carries over whatever is left, for every reader.
"""

from __future__ import annotations

import logging
from typing import Any

from allauth.account.signals import email_changed, email_confirmed

from . import services

logger = logging.getLogger("masthead.newsletters.verified_addresses")


def _carry_over(email_address: Any) -> None:
    if email_address is None or not email_address.verified:
        return
    try:
        services.open_signups_carry_over(user=email_address.user, address=email_address.email)
    except Exception:
        # Never into allauth's flow (see the module docstring); the command retries.
        logger.exception(
            "could not carry the open sign-ups of reader %s's address over to the account",
            email_address.user_id,
        )


def _on_email_confirmed(sender: Any, email_address: Any = None, **kwargs: Any) -> None:
    _carry_over(email_address)


def _on_email_changed(sender: Any, to_email_address: Any = None, **kwargs: Any) -> None:
    _carry_over(to_email_address)


def connect() -> None:
    """Listen to allauth's address signals (once, however often this is called)."""
    email_confirmed.connect(_on_email_confirmed, dispatch_uid="masthead.newsletters.confirmed")
    email_changed.connect(_on_email_changed, dispatch_uid="masthead.newsletters.changed")
