"""Every write the reader's account page makes.

Invariants:
- Each service runs in one transaction: a profile or a set of choices is saved whole or
  not at all.
- Erasure goes through the personal-data registry (masthead.core.privacy), so each
  app erases what it holds; afterwards only the AccountErasure row (a keyed hash of the
  address, when, counts) and the unlinked consent and marketing ledgers remain, and the
  user row is gone.
- Once an erasure commits, every session the reader had is ended (allauth's user
  sessions and the session store behind them), so no other browser stays signed in.
  Even a session we did not know of cannot sign in as a user row that no longer exists.
- Staff accounts are not erased here: their editorial history belongs to the newsroom,
  and an administrator closes them.
"""

from __future__ import annotations

import datetime
import secrets
import time
from importlib import import_module
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.crypto import constant_time_compare, salted_hmac

from masthead.core import email as core_email
from masthead.core import privacy
from masthead.readers.emails import account_links
from masthead.readers.privacy_models import AccountErasure, email_digest

SOURCE = "account"

# Accounts without a usable password confirm erasure with a code sent by email.
ERASURE_CODE_SESSION_KEY = "masthead_account_erasure_code"
ERASURE_CODE_SECONDS = 10 * 60
ERASURE_CODE_ATTEMPTS = 5
_CODE_SALT = "masthead.readers.account.erasure-code"


class ErasureRefused(Exception):
    """The account cannot be erased from the reader's page (e.g. a staff account)."""


def profile_update(
    *, user: Any, first_name: str, last_name: str, date_of_birth: datetime.date
) -> Any:
    """Save the reader's names and date of birth (already validated by the form)."""
    with transaction.atomic():
        user.first_name = first_name
        user.last_name = last_name
        user.date_of_birth = date_of_birth
        user.save(update_fields=["first_name", "last_name", "date_of_birth"])
    return user


def _code_digest(user: Any, code: str) -> str:
    return salted_hmac(_CODE_SALT, f"{user.pk}:{code}", algorithm="sha256").hexdigest()


def erasure_code_send(*, user: Any, session: Any) -> None:
    """Email a one-time code confirming erasure; only its keyed hash is kept (session).

    A new code replaces any earlier one. It expires after ten minutes or five wrong tries.
    """
    code = f"{secrets.randbelow(1_000_000):06d}"
    session[ERASURE_CODE_SESSION_KEY] = {
        "digest": _code_digest(user, code),
        "expires": time.time() + ERASURE_CODE_SECONDS,
        "attempts": 0,
    }
    # Sent at once, not queued: the code is a secret (the outbox holds none, and the
    # session keeps only its hash, so a worker could not rebuild it), and it is dead
    # in ten minutes, long before the outbox's retries would matter. The reader is on
    # the page waiting for it, and asks again if it does not come.
    core_email.send_now(
        "readers/account/email/erasure_code",
        to=user.email,
        context={
            "user": user,
            "code": code,
            "minutes": ERASURE_CODE_SECONDS // 60,
            **account_links(),
        },
    )


def erasure_code_check(*, user: Any, session: Any, code: str) -> bool:
    """True once for the right, unexpired code; it is then used up."""
    stored = session.get(ERASURE_CODE_SESSION_KEY)
    if not stored or stored["expires"] < time.time():
        session.pop(ERASURE_CODE_SESSION_KEY, None)
        return False
    if stored["attempts"] >= ERASURE_CODE_ATTEMPTS:
        return False
    if constant_time_compare(stored["digest"], _code_digest(user, code.strip())):
        session.pop(ERASURE_CODE_SESSION_KEY, None)
        return True
    stored["attempts"] += 1
    session[ERASURE_CODE_SESSION_KEY] = stored
    return False


def _end_sessions(session_keys: list[str]) -> None:
    """Delete the sessions from the store (database, cache or both, per the engine).

    allauth's UserSession rows went with the user row (on delete cascade); the keys
    were read before.
    """
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    for key in session_keys:
        store.delete(key)


def account_erase(*, user: Any, source: str = SOURCE) -> AccountErasure:
    """Erase the reader's personal data through the registry, then the account itself."""
    if user.is_staff or user.is_superuser:
        raise ErasureRefused("staff accounts are closed by an administrator")
    from allauth.usersessions.models import UserSession

    with transaction.atomic():
        session_keys = list(
            UserSession.objects.filter(user=user).values_list("session_key", flat=True)
        )
        counts: dict[str, Any] = dict(privacy.erase_for(user))
        counts["sessions"] = {"sessions_ended": len(session_keys)}
        erasure = AccountErasure.objects.create(
            email_hash=email_digest(user.email), source=source, counts=counts
        )
        user.delete()
        transaction.on_commit(lambda: _end_sessions(session_keys))
    return erasure
