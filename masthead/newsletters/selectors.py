"""Reads of newsletters and a reader's choices.

Invariant: nothing here writes. `newsletters_for_choice` lists every newsletter a
reader can see a box for: those on offer plus any they are still subscribed to, so
"set my subscriptions to exactly what I ticked" never drops one they could not see.
Newsletters go to a reader only at an address they proved (`address_proved`, asked by
`sending`), and only such a reader sees the mailbox's suppression (`suppression_for`):
every account starts unverified, and anyone can register with anyone's address. What
else is kept by address (an open newsletter's rows, their ledger) is never an
account's to see (see newsletters.privacy).
"""

from __future__ import annotations

from typing import Any

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Lower

from .models import (
    MarketingChoice,
    MarketingPreference,
    Newsletter,
    Subscription,
    Suppression,
)


def newsletters_offered() -> QuerySet[Newsletter]:
    """Newsletters offered at registration and on the account page, in display order."""
    return Newsletter.objects.filter(is_offered=True).order_by("sort_order", "name")


def newsletters_for_choice(user: Any) -> QuerySet[Newsletter]:
    """Offered newsletters plus any the reader is actively subscribed to."""
    return (
        Newsletter.objects.filter(
            Q(is_offered=True) | Q(subscriptions__user=user, subscriptions__active=True)
        )
        .distinct()
        .order_by("sort_order", "name")
    )


def subscriptions_for(user: Any) -> QuerySet[Subscription]:
    """The reader's active subscriptions, with their newsletters."""
    return (
        Subscription.objects.filter(user=user, active=True)
        .select_related("newsletter")
        .order_by("newsletter__sort_order", "newsletter__name")
    )


def open_newsletters() -> QuerySet[Newsletter]:
    """Newsletters anyone may join (double opt-in), in display order: what a sign-up box
    in an article may offer."""
    return Newsletter.objects.filter(audience=Newsletter.Audience.OPEN).order_by(
        "sort_order", "name"
    )


def is_subscribed(user: Any, newsletter: Newsletter) -> bool:
    return Subscription.objects.filter(user=user, newsletter=newsletter, active=True).exists()


def marketing_stopped(user: Any) -> bool:
    """True while the reader has switched off all marketing email."""
    return MarketingPreference.objects.filter(user=user, marketing_stopped=True).exists()


def marketing_history(user: Any) -> QuerySet[MarketingChoice]:
    """The reader's marketing choices, newest first."""
    return MarketingChoice.objects.filter(user=user).select_related("newsletter")


def suppression_for(user: Any) -> Suppression | None:
    """Why no marketing email reaches the reader's address, if it does not; None while
    they have not proved the address is theirs (one query)."""
    address = (user.email or "").strip()
    proved = EmailAddress.objects.filter(user_id=user.pk, email__iexact=address, verified=True)
    return Suppression.objects.filter(email=address.lower()).filter(Exists(proved)).first()


def address_proved(*, user: str, email: str) -> Exists:
    """For a query over readers (or rows pointing at one): True where the reader has
    proved that the address is theirs. `user` and `email` name the outer query's reader
    id and the address to check (their current one), e.g. ("pk", "email") on the user
    table, ("user", "user__email") on a Delivery."""
    return Exists(
        EmailAddress.objects.filter(
            user_id=OuterRef(user), email__iexact=OuterRef(email), verified=True
        )
    )


def verified_address(user: Any) -> str | None:
    """The reader's own address (lower case) if they have proved it is theirs, else None."""
    address = (user.email or "").strip().lower()
    if not address:
        return None
    proved = EmailAddress.objects.filter(user_id=user.pk, email__iexact=address, verified=True)
    return address if proved.exists() else None


def reader_with_verified(address: str) -> Any | None:
    """The active reader whose address this is and who has proved it, or None."""
    address = address.strip().lower()
    proved = EmailAddress.objects.filter(
        user_id=OuterRef("pk"), email__iexact=address, verified=True
    )
    return (
        get_user_model()
        # Lower("email") is what the user table's unique index covers.
        .objects.alias(email_lower=Lower("email"))
        .filter(email_lower=address, is_active=True)
        .filter(Exists(proved))
        .first()
    )
