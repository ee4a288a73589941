"""Every write to a reader's newsletter subscriptions and marketing choices.

Invariants:
- A MarketingChoice row is appended for each real change, and only for a real change:
  each flip is a conditional UPDATE (`... WHERE active = <old>`) whose row count says
  whether this call made the change, so two concurrent calls never both record it.
- A reader has at most one Subscription per newsletter (database constraint); a
  concurrent insert that loses the race is caught (IntegrityError in a savepoint) and
  treated as the existing row.
- Each service runs in one transaction: nothing is half-saved.
- Choosing a newsletter is an explicit opt-in, so it lifts the stop-all switch (and
  records that it did); stopping all turns every subscription off as well.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import (
    Delivery,
    MarketingChoice,
    MarketingPreference,
    Newsletter,
    Subscription,
    Suppression,
)


def _subscription_row(
    *, user: Any, newsletter: Newsletter, source: str
) -> tuple[Subscription, bool]:
    """The reader's row for this newsletter, created active if absent; (row, created)."""
    existing = Subscription.objects.filter(user=user, newsletter=newsletter).first()
    if existing is not None:
        return existing, False
    now = timezone.now()
    try:
        with transaction.atomic():
            row = Subscription.objects.create(
                user=user,
                newsletter=newsletter,
                active=True,
                created_at=now,
                changed_at=now,
                source=source,
            )
        return row, True
    except IntegrityError:
        # Another request inserted it between our read and our insert.
        return Subscription.objects.get(user=user, newsletter=newsletter), False


def _flip(*, user: Any, newsletter: Newsletter, active: bool, source: str) -> bool:
    """Set one subscription; append the ledger row if this call changed it."""
    now = timezone.now()
    if active:
        _row, created = _subscription_row(user=user, newsletter=newsletter, source=source)
        changed = created or bool(
            Subscription.objects.filter(user=user, newsletter=newsletter, active=False).update(
                active=True, changed_at=now, source=source
            )
        )
    else:
        changed = bool(
            Subscription.objects.filter(user=user, newsletter=newsletter, active=True).update(
                active=False, changed_at=now, source=source
            )
        )
    if changed:
        MarketingChoice.objects.create(
            user=user,
            newsletter=newsletter,
            action=MarketingChoice.Action.SUBSCRIBE
            if active
            else MarketingChoice.Action.UNSUBSCRIBE,
            source=source,
            at=now,
        )
    return changed


def _preference_row(*, user: Any) -> MarketingPreference:
    row = MarketingPreference.objects.filter(user=user).first()
    if row is not None:
        return row
    try:
        with transaction.atomic():
            return MarketingPreference.objects.create(user=user)
    except IntegrityError:
        return MarketingPreference.objects.get(user=user)


def _set_stopped(*, user: Any, stopped: bool, source: str) -> bool:
    """Flip the stop-all switch; append the ledger row if this call changed it."""
    now = timezone.now()
    if stopped:
        _preference_row(user=user)
    changed = bool(
        MarketingPreference.objects.filter(user=user, marketing_stopped=not stopped).update(
            marketing_stopped=stopped, changed_at=now, source=source
        )
    )
    if changed:
        MarketingChoice.objects.create(
            user=user,
            newsletter=None,
            action=MarketingChoice.Action.STOP_ALL if stopped else MarketingChoice.Action.RESUME,
            source=source,
            at=now,
        )
    return changed


def subscriptions_set(*, user: Any, newsletters: Iterable[Newsletter], source: str) -> None:
    """Make the reader's active subscriptions exactly `newsletters`.

    Newsletters not listed are switched off (their rows stay, inactive, for the
    history). Choosing at least one newsletter lifts the stop-all switch.
    """
    wanted = {n.pk: n for n in newsletters}
    with transaction.atomic():
        if wanted:
            _set_stopped(user=user, stopped=False, source=source)
        current = Subscription.objects.filter(user=user, active=True).select_related("newsletter")
        for subscription in current:
            if subscription.newsletter_id not in wanted:
                _flip(user=user, newsletter=subscription.newsletter, active=False, source=source)
        for newsletter in sorted(wanted.values(), key=lambda n: (n.sort_order, n.pk)):
            _flip(user=user, newsletter=newsletter, active=True, source=source)


def subscription_cancel(*, user: Any, newsletter: Newsletter, source: str) -> bool:
    """Switch one subscription off (the one-click unsubscribe); True if it was on."""
    with transaction.atomic():
        return _flip(user=user, newsletter=newsletter, active=False, source=source)


def marketing_stop_all(*, user: Any, source: str) -> None:
    """The one switch: stop all marketing email, switching every subscription off."""
    with transaction.atomic():
        _set_stopped(user=user, stopped=True, source=source)
        current = Subscription.objects.filter(user=user, active=True).select_related("newsletter")
        for subscription in current:
            _flip(user=user, newsletter=subscription.newsletter, active=False, source=source)


def marketing_resume(*, user: Any, source: str) -> None:
    """Allow marketing email again. Subscriptions stay off until the reader picks some."""
    with transaction.atomic():
        _set_stopped(user=user, stopped=False, source=source)


def marketing_erase(*, user: Any) -> dict[str, int]:
    """For account erasure: drop subscriptions and the switch, unlink the ledger.

    The MarketingChoice rows stay (what was chosen, when, where) without the person.
    """
    with transaction.atomic():
        subscriptions, _ = Subscription.objects.filter(user=user).delete()
        preferences, _ = MarketingPreference.objects.filter(user=user).delete()
        unlinked = MarketingChoice.objects.filter(user=user).update(user=None)
        deliveries, _ = Delivery.objects.filter(user=user).delete()
        suppressions, _ = Suppression.objects.filter(email=(user.email or "").lower()).delete()
    return {
        "subscriptions_deleted": subscriptions,
        "marketing_preferences_deleted": preferences,
        "marketing_choices_unlinked": unlinked,
        "deliveries_deleted": deliveries,
        "suppressions_deleted": suppressions,
    }


def suppression_record(*, email: str, reason: str, detail: str = "") -> bool:
    """Stop all marketing email to `email` (a hard bounce or a complaint); True if new.

    A complaint outranks a bounce: an address that complained stays recorded as such.
    """
    address = (email or "").strip().lower()
    if "@" not in address:
        raise ValueError(f"not an email address: {email!r}")
    if reason not in Suppression.Reason.values:
        raise ValueError(f"unknown suppression reason {reason!r}")
    with transaction.atomic():
        try:
            with transaction.atomic():
                Suppression.objects.create(email=address, reason=reason, detail=detail[:300])
            return True
        except IntegrityError:
            if reason == Suppression.Reason.COMPLAINT:
                Suppression.objects.filter(email=address).update(reason=reason, detail=detail[:300])
            return False


def suppression_lift(*, user: Any) -> bool:
    """The reader says their address works again: newsletters may reach it. Only a bounce can
    be lifted this way; a spam complaint stays."""
    with transaction.atomic():
        deleted, _ = Suppression.objects.filter(
            email=(user.email or "").lower(), reason=Suppression.Reason.BOUNCE
        ).delete()
        if deleted:
            MarketingChoice.objects.create(
                user=user,
                newsletter=None,
                action=MarketingChoice.Action.RESUME,
                source="suppression",
            )
    return bool(deleted)


class IssueLocked(ValueError):
    """The issue has been sent or scheduled: its articles are settled."""


def issue_fill_from_section(*, issue: Any, section: Any, count: int) -> int:
    """Add the `count` newest live articles in `section` (and its sub-sections) that the
    issue does not have yet, after the ones it has, newest first; how many were added."""
    from masthead.content import selectors as content_selectors

    from .models import IssueArticle, Send

    with transaction.atomic():
        if Send.objects.filter(issue=issue).exists():
            raise IssueLocked("This issue has been sent or scheduled; its articles are settled.")
        present = IssueArticle.objects.filter(issue=issue)
        newest = list(
            content_selectors.live_articles()
            .descendant_of(section)
            .exclude(pk__in=present.values("page_id"))[:count]
        )
        start = (
            present.order_by("-sort_order").values_list("sort_order", flat=True).first() or 0
        ) + 1
        IssueArticle.objects.bulk_create(
            IssueArticle(issue=issue, page=page, sort_order=start + n)
            for n, page in enumerate(newest)
        )
    return len(newest)
