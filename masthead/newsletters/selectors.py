"""Reads of newsletters and a reader's choices.

Invariant: nothing here writes. `newsletters_for_choice` lists every newsletter a
reader can see a box for: those on offer plus any they are still subscribed to, so
"set my subscriptions to exactly what I ticked" never drops one they could not see.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from .models import MarketingChoice, MarketingPreference, Newsletter, Subscription, Suppression


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
    """Why no marketing email reaches the reader's address, if it does not."""
    return Suppression.objects.filter(email=(user.email or "").lower()).first()
