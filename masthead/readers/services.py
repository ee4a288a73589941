"""Registration and consent: every write that creating a reader's account makes.

Invariants:
- `reader_register` is one transaction: the account, its (unverified) email address,
  one ConsentRecord per legal document in force, and the newsletter choices are
  saved together or not at all. The welcome email is enqueued on commit, with ids.
- One account per address, case-insensitively, is the database's constraint; the loser
  of a race gets `AddressTaken` (never an IntegrityError escaping, never two accounts).
- The password is hashed before the transaction opens, so the slow Argon2 work never
  holds a database lock.
- Consent rows are only ever appended (ConsentRecord refuses updates).
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterable
from dataclasses import dataclass

from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone

from masthead.core import email as core_email
from masthead.newsletters.models import Newsletter
from masthead.newsletters.services import subscriptions_set

from .models import ConsentRecord, LegalDocument, LegalPage, User, normalize_email_address

logger = logging.getLogger("masthead.readers")

SIGNUP_SOURCE = "signup"
USER_AGENT_MAX = 300


class AddressTaken(Exception):
    """An account with this address (in any case) already exists."""


@dataclass(frozen=True)
class Origin:
    """Where an action came from, for the consent ledger."""

    ip_address: str | None
    user_agent: str
    source: str

    @classmethod
    def from_request(cls, request: HttpRequest, *, source: str) -> Origin:
        from .ratelimit import client_ip

        return cls(
            ip_address=client_ip(request),
            user_agent=(request.META.get("HTTP_USER_AGENT") or "")[:USER_AGENT_MAX],
            source=source,
        )


def legal_pages_in_force() -> dict[str, LegalPage]:
    """The live page for each legal document, keyed by document ("terms", ...)."""
    pages = LegalPage.objects.live().filter(document__in=LegalDocument.values)
    return {page.document: page for page in pages.only("document", "version", "url_path")}


def consent_record(
    *, user: User, pages: Iterable[LegalPage], origin: Origin, at: datetime.datetime | None = None
) -> list[ConsentRecord]:
    """Append one ConsentRecord per page: which version, when, from where."""
    at = at or timezone.now()
    rows = [
        ConsentRecord(
            user=user,
            document=page.document,
            version=page.version,
            accepted_at=at,
            source=origin.source,
            ip_address=origin.ip_address,
            user_agent=origin.user_agent[:USER_AGENT_MAX],
        )
        for page in pages
    ]
    return ConsentRecord.objects.bulk_create(rows)


def reader_register(
    *,
    email: str,
    password: str,
    first_name: str,
    last_name: str,
    date_of_birth: datetime.date,
    newsletters: Iterable[Newsletter],
    origin: Origin,
    base_url: str = "",
) -> User:
    """Create a reader's account with everything they chose; raise AddressTaken if taken.

    The caller has validated every field; this only writes. `base_url` is the site
    address the welcome email's links use (the request's, when there is one).
    """
    from .emails import welcome_email

    email = normalize_email_address(email)
    password_hash = make_password(password)
    pages = legal_pages_in_force()
    missing = set(LegalDocument.values) - set(pages)
    if missing:
        logger.warning("registration without a live legal page for: %s", ", ".join(sorted(missing)))
    with transaction.atomic():
        user = User(
            email=email,
            first_name=first_name,
            last_name=last_name,
            date_of_birth=date_of_birth,
            password=password_hash,
        )
        try:
            with transaction.atomic():
                user.save()
        except IntegrityError as error:
            raise AddressTaken(email) from error
        EmailAddress.objects.create(user=user, email=email, primary=True, verified=False)
        consent_record(user=user, pages=pages.values(), origin=origin, at=user.date_joined)
        subscriptions_set(user=user, newsletters=list(newsletters), source=origin.source)
        # In this transaction: the email exists if and only if the account does.
        core_email.send(
            renderer=welcome_email,
            params={"user_id": user.pk, "base_url": base_url},
            key=f"readers.welcome:{user.pk}",
        )
    return user
