"""An address proved to be a reader's, from the reader's own session, brings its open
sign-ups to the account.

Every way an address becomes verified goes through allauth, which sends
`email_confirmed` once the address is saved as verified (and, since an address change
replaces the old one, as the account's own): the link after registering or after
asking to change the address, signing in or resetting a password with an emailed code
(allauth verifies the address the code went to). `email_changed` covers a verified
address made the account's own afterwards.

Proving the address proves the mailbox, not the account: anyone can register with
anyone's address, and allauth's email asks its owner to confirm it. So the sign-ups
are carried over only when the request that proved the address is signed in to the
account that holds it (the reader followed their link in their own browser): the
mailbox and the account are then shown to be one person's. A session signed in only by
a code emailed to the address does not count (`session_proves_account`). Otherwise the
open rows stay as they are: the address keeps receiving without an account (the
sender sends it once), managed by the links in its emails, and confirming an open
sign-up later from the signed-in account brings it over
(`services.open_signup_confirm`). Staff marking someone else's address verified
carries nothing.
masthead.readers marks no address verified itself (registration stores it unverified;
readers.email_change only ever adds a pending one), so it need not know about this.

Each receiver hands the address to `services.open_signups_carry_over`, which checks
again, in its transaction, that the address is the reader's own and proved.

Invariant: a receiver never raises into allauth's flow. The address is verified by
then (saved), so a failure is logged and the person's confirmation still succeeds; the
open rows stay account-less and keep receiving, and nothing is lost.
"""

from __future__ import annotations

import logging
from typing import Any

from allauth.account.authentication import get_authentication_records
from allauth.account.signals import email_changed, email_confirmed

from . import services

logger = logging.getLogger("masthead.newsletters.verified_addresses")


def session_proves_account(request: Any) -> bool:
    """The request is signed in, and not only by a code emailed to the address.

    A code proves the mailbox, not the account: whoever holds the mailbox can sign in
    by code to an account a stranger made with the address (and whose password the
    stranger keeps). A session signed in by password, passkey or second factor, or
    opened by registering, shows the account's holder.
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return False
    records = get_authentication_records(request, user)
    return not (records and all(r.get("method") == "code" for r in records))


def _carry_over(email_address: Any, request: Any) -> None:
    if email_address is None or not email_address.verified:
        return
    user = getattr(request, "user", None)
    if not session_proves_account(request) or user.pk != email_address.user_id:
        return  # the mailbox is proved, the account is not (see the module docstring)
    try:
        services.open_signups_carry_over(user=user, address=email_address.email)
    except Exception:
        # Never into allauth's flow (see the module docstring).
        logger.exception(
            "could not carry the open sign-ups of reader %s's address over to the account",
            email_address.user_id,
        )


def _on_email_confirmed(
    sender: Any, request: Any = None, email_address: Any = None, **kwargs: Any
) -> None:
    _carry_over(email_address, request)


def _on_email_changed(
    sender: Any, request: Any = None, to_email_address: Any = None, **kwargs: Any
) -> None:
    _carry_over(to_email_address, request)


def connect() -> None:
    """Listen to allauth's address signals (once, however often this is called)."""
    email_confirmed.connect(_on_email_confirmed, dispatch_uid="masthead.newsletters.confirmed")
    email_changed.connect(_on_email_changed, dispatch_uid="masthead.newsletters.changed")
