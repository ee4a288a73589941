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
- A reader may choose newsletters before proving their address (registration, the
  account page, a sign-up box): the choice is recorded here and in the ledger as any
  other, and issues start once the address is proved (a verified allauth EmailAddress
  that is the account's current address; `sending` asks, the account page and the box
  say so). Until then nothing goes to the address: anyone can register with anyone's.
- A suppression belongs to a mailbox, so only a reader who proved the address may lift
  it (`suppression_lift`: a bounce only), see it (`selectors.suppression_for`) or have
  it in their export; it outlives the account (`marketing_erase` leaves it).
- Open newsletters (double opt-in): a sign-up writes or reuses one pending
  OpenSubscriber row per (newsletter, address) and queues one confirmation email; asking
  again within NEWSLETTER_CONFIRM_RESEND_MINUTES sends nothing more, and an address
  already subscribed, or suppressed, gets nothing. "Already subscribed" is an active
  open row, or an active reader who proved the address and receives the newsletter on
  the account; an account that holds the address unproved does not count (it is sent
  nothing), so the mailbox's owner signs up by the double opt-in like anyone else, and
  if that account later proves the address, the carry-over below moves the row to it.
  What the caller is told differs, the person never is (the view answers the same for
  all). Only confirming subscribes. The subscription goes on an account only when the
  link is followed from a session signed in to the account that holds the address
  proved (the link proves the mailbox, the session the account: only both together
  say they are one person's); otherwise the address is subscribed without an account.
  Anyone can register with anyone's address, and the mailbox's owner may even follow
  the link that proves it for the stranger: neither may let the stranger see or steer
  the owner's choices.
- An account-less subscriber's consent is in the same ledger as a reader's: a
  MarketingChoice row by address instead of by reader. Confirming records the request
  whose link was followed (at the time it was made) and the confirmation; leaving and
  coming back by the signed links record each change, with the link as the source.
  Each is a conditional UPDATE (the confirmation: under the row's lock, checked
  pending), so only a real change writes a row. A request never confirmed writes
  nothing, and its expiry nothing: until the owner of a mailbox confirms, nobody has
  consented to anything, and an address someone else typed is not kept. (A request
  for a row confirmed before lapses back to unsubscribed, its history kept.) Erasing an
  address deletes its rows (there is no person left to keep them about).
- Carrying over (`open_signups_carry_over`, run when an address is proved a reader's
  from a session signed in to that reader's account: `verified_addresses`; or when an
  open confirmation link is followed from such a session): every open row of the
  address goes, in one transaction, and the address's ledger rows and record of issues
  become the reader's. The account ends with what it would have had had the address
  been proved all along, i.e. for each newsletter the later choice wins:
  - an active open row becomes an active subscription (through `_flip`, recorded as
    SOURCE_CARRIED_OVER), unless the account, after the row was last confirmed, said
    otherwise about that newsletter: switched its subscription off, or stopped all
    marketing email. A stop turns every subscription off and allowing email again
    turns none back on, so a stop after the open sign-up keeps it off even if
    marketing email was allowed again since; the open subscription then ends, recorded
    as SOURCE_ACCOUNT_LATER. When the open sign-up is the later choice and the account
    is stopped, the stop is lifted (recorded), as choosing that newsletter on the
    account would have: the reader never gets mail their account last said no to, and
    never loses a newsletter they asked for after saying no.
  - an unsubscribed row subscribes nobody; if the person left by the open link after
    subscribing on the account, the account's subscription is switched off too.
  - a pending row was never confirmed: it is dropped, and becomes nothing.
  Only an address that is the reader's own and verified is carried over, checked in
  the transaction. The open rows are locked first (`select_for_update`), as
  confirming locks its row: a confirmation link followed at the same moment either
  goes first (its row is then carried over, or goes straight to the account) or finds
  its row gone and says the link is stale; never both records, never a "subscribed"
  that is not. An unsubscribe link in an issue sent to a row carried over since
  switches the account's subscription off (the ledger's `subscriber_ref` finds it).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from masthead.core import email

from . import emails, selectors
from .models import (
    Delivery,
    MarketingChoice,
    MarketingPreference,
    Newsletter,
    OpenSubscriber,
    Subscription,
    Suppression,
)

logger = logging.getLogger("masthead.newsletters.services")


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


def _flip(
    *,
    user: Any,
    newsletter: Newsletter,
    active: bool,
    source: str,
    subscriber_ref: int | None = None,
) -> bool:
    """Set one subscription; append the ledger row if this call changed it.

    `subscriber_ref`: the account-less subscriber row the change comes from, if any.
    """
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
            subscriber_ref=subscriber_ref,
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


def subscription_start(*, user: Any, newsletter: Newsletter, source: str) -> bool:
    """Switch one subscription on (a sign-up box's one click); True if it was off.

    Choosing a newsletter is an explicit opt-in, so it lifts the stop-all switch too (and
    records that it did), as choosing on the account page does.
    """
    with transaction.atomic():
        _set_stopped(user=user, stopped=False, source=source)
        return _flip(user=user, newsletter=newsletter, active=True, source=source)


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
    What is kept by address (account-less sign-ups, their ledger, a suppression) is the
    mailbox's and stays (see newsletters.privacy).
    """
    with transaction.atomic():
        subscriptions, _ = Subscription.objects.filter(user=user).delete()
        preferences, _ = MarketingPreference.objects.filter(user=user).delete()
        unlinked = MarketingChoice.objects.filter(user=user).update(user=None, subscriber_ref=None)
        deliveries, _ = Delivery.objects.filter(user=user).delete()
    return {
        "subscriptions_deleted": subscriptions,
        "marketing_preferences_deleted": preferences,
        "marketing_choices_unlinked": unlinked,
        "deliveries_deleted": deliveries,
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
    be lifted this way; a spam complaint stays. Only for an address the reader has proved
    is theirs: an account that merely holds an address must not undo what its mailbox
    said."""
    with transaction.atomic():
        proved = selectors.verified_address(user)
        if proved is None:
            return False
        deleted, _ = Suppression.objects.filter(
            email=proved, reason=Suppression.Reason.BOUNCE
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


# ----------------------------------------------------------------------------------
# Open newsletters: sign-up with double opt-in, for people without an account
# ----------------------------------------------------------------------------------

SOURCE_DOUBLE_OPT_IN = "double-opt-in"  # following the emailed link
SOURCE_OPEN_SIGNUP = "open sign-up form"  # the request whose link was followed


def _open_choice(
    row: OpenSubscriber, *, action: str, source: str, at: dt.datetime, user: Any = None
) -> None:
    """One ledger row about an account-less subscriber's row: by address, or `user`'s
    when the address is a reader's proved address."""
    MarketingChoice.objects.create(
        user=user,
        email="" if user is not None else row.email,
        newsletter_id=row.newsletter_id,
        subscriber_ref=row.pk,
        action=action,
        source=source,
        at=at,
    )


class SignupRefused(ValueError):
    """The newsletter takes no sign-ups from people without an account."""


class SignupOutcome(StrEnum):
    """What a sign-up request did (for tests and logs; never shown to the person)."""

    SENT = "sent"  # a confirmation email is queued
    TOO_SOON = "too_soon"  # one went moments ago: nothing more
    ALREADY = "already"  # the address already receives the newsletter
    SUPPRESSED = "suppressed"  # the address bounced or complained: nothing goes to it


def open_signup_request(*, newsletter: Newsletter, email_address: str) -> SignupOutcome:
    """Ask to receive an open newsletter at `email_address` (already normalised).

    One transaction, with the pending row locked: two requests at once queue one email.
    """
    if newsletter.audience != Newsletter.Audience.OPEN:
        raise SignupRefused("This newsletter is for registered readers only.")
    address = email_address.strip().lower()
    now = timezone.now()
    with transaction.atomic():
        if Suppression.objects.filter(email=address).exists():
            return SignupOutcome.SUPPRESSED
        # An account receiving it at this address does not count: the account may be a
        # stranger's that the owner's click proved, and the owner's own consent must be
        # recorded and theirs to withdraw. The sender sends the mailbox one copy either
        # way (sending._open_recipients).
        row = (
            OpenSubscriber.objects.select_for_update()
            .filter(newsletter=newsletter, email=address)
            .first()
        )
        if row is None:
            try:
                with transaction.atomic():
                    row = OpenSubscriber.objects.create(
                        newsletter=newsletter, email=address, created_at=now, requested_at=now
                    )
            except IntegrityError:
                # A request for the same address won the race: it sends the email.
                return SignupOutcome.TOO_SOON
        elif row.status == OpenSubscriber.Status.ACTIVE:
            return SignupOutcome.ALREADY
        elif row.status == OpenSubscriber.Status.PENDING and row.requested_at > now - (
            dt.timedelta(minutes=settings.NEWSLETTER_CONFIRM_RESEND_MINUTES)
        ):
            return SignupOutcome.TOO_SOON
        else:
            # Pending for a while (the first email lost?), or unsubscribed and back:
            # a fresh request, whose link replaces any earlier one.
            row.status = OpenSubscriber.Status.PENDING
            row.requested_at = now
            row.changed_at = now
            row.save(update_fields=["status", "requested_at", "changed_at"])
        stamp = emails.requested_stamp(row)
        email.send(
            renderer=emails.confirmation_email,
            params={"subscriber_id": row.pk, "requested": stamp},
            key=f"{emails.CONFIRMATION_KEY_PREFIX}{row.pk}:{stamp}",
        )
    return SignupOutcome.SENT


class ConfirmOutcome(StrEnum):
    CONFIRMED = "confirmed"  # subscribed now
    ALREADY = "already"  # this link was used before: still subscribed
    STALE = "stale"  # a newer request, an unsubscribe since, or the row expired


def open_signup_confirm(
    *, newsletter: Newsletter, subscriber_id: int, requested: int, signed_in: Any = None
) -> ConfirmOutcome:
    """Follow a confirmation link (its token already checked). Idempotent.

    `signed_in` is the account the link was followed from, if any. The subscription
    goes on an account only when that account holds the address, proved, and is the
    one the link was followed from: following the link proves the mailbox, the session
    proves the account, and only both together say they are one person's (anyone can
    register with anyone's address, and its owner may follow a link that proves it for
    the stranger). Otherwise the address is subscribed without an account.
    """
    now = timezone.now()
    with transaction.atomic():
        row = (
            OpenSubscriber.objects.select_for_update()
            .filter(pk=subscriber_id, newsletter=newsletter)
            .first()
        )
        if row is None:
            return ConfirmOutcome.STALE
        if row.status == OpenSubscriber.Status.ACTIVE:
            return ConfirmOutcome.ALREADY
        if row.status != OpenSubscriber.Status.PENDING or emails.requested_stamp(row) != requested:
            return ConfirmOutcome.STALE
        # Row-locked and checked pending above: this call makes the change.
        OpenSubscriber.objects.filter(pk=row.pk).update(
            status=OpenSubscriber.Status.ACTIVE, confirmed_at=now, changed_at=now
        )
        _open_choice(
            row,
            action=MarketingChoice.Action.REQUEST,
            source=SOURCE_OPEN_SIGNUP,
            at=row.requested_at,
        )
        _open_choice(
            row, action=MarketingChoice.Action.SUBSCRIBE, source=SOURCE_DOUBLE_OPT_IN, at=now
        )
    if _is_the_proved_holder(signed_in, row.email):
        # Both proofs at once: the confirmed row and its history go to the account, as
        # proving the address while signed in does (the latest choice: this one). In a
        # transaction of its own, after the confirmation is committed: a failure here
        # loses nothing (the address stays subscribed without an account).
        try:
            open_signups_carry_over(user=signed_in, address=row.email)
        except Exception:
            logger.exception("could not carry reader %s's open sign-ups over", signed_in.pk)
    return ConfirmOutcome.CONFIRMED


def _is_the_proved_holder(user: Any, address: str) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    holder = selectors.reader_with_verified(address)
    return holder is not None and holder.pk == user.pk


def open_subscriber_unsubscribe(*, subscriber_id: int, newsletter: Newsletter, source: str) -> bool:
    """Stop sending to the account-less subscriber a signed link names; True if this call
    did it (idempotent).

    If the row has gone because its address was carried over to a reader's account
    (`open_signups_carry_over`), the account's subscription to this newsletter is
    switched off instead: an unsubscribe link in an issue sent before keeps working.
    """
    now = timezone.now()
    with transaction.atomic():
        rows = OpenSubscriber.objects.filter(pk=subscriber_id, newsletter=newsletter)
        if rows.filter(status=OpenSubscriber.Status.ACTIVE).update(
            status=OpenSubscriber.Status.UNSUBSCRIBED, changed_at=now
        ):
            _open_choice(
                rows.get(), action=MarketingChoice.Action.UNSUBSCRIBE, source=source, at=now
            )
            return True
        if rows.exists():
            return False  # pending, or already left
        reader = _carried_over_to(subscriber_id=subscriber_id, newsletter=newsletter)
        if reader is None:
            return False  # erased, expired or never there: nothing left to stop
        return _flip(
            user=reader,
            newsletter=newsletter,
            active=False,
            source=source,
            subscriber_ref=subscriber_id,
        )


def open_address_unsubscribe(*, newsletter: Newsletter, address: str, source: str) -> int:
    """The mailbox at `address` leaves `newsletter` as an account-less subscriber too.

    For the one-click link in a copy sent to a reader's account at that address: the
    sender sends a mailbox one copy when both an account and the address itself are
    subscribed (the account's), so that link is the only one the mailbox has, and it
    must stop the newsletter there. The ledger records it by address.
    """
    now = timezone.now()
    left = 0
    with transaction.atomic():
        for row in OpenSubscriber.objects.select_for_update().filter(
            newsletter=newsletter,
            email=address.strip().lower(),
            status=OpenSubscriber.Status.ACTIVE,
        ):
            OpenSubscriber.objects.filter(pk=row.pk).update(
                status=OpenSubscriber.Status.UNSUBSCRIBED, changed_at=now
            )
            _open_choice(row, action=MarketingChoice.Action.UNSUBSCRIBE, source=source, at=now)
            left += 1
    return left


def _carried_over_to(*, subscriber_id: int, newsletter: Newsletter) -> Any | None:
    """The active reader an account-less subscriber's row was carried over to, if any."""
    choice = (
        MarketingChoice.objects.filter(
            subscriber_ref=subscriber_id, newsletter=newsletter, user__is_active=True
        )
        .select_related("user")
        .order_by("-at", "-pk")
        .first()
    )
    return choice.user if choice is not None else None


def open_subscriber_resubscribe(*, subscriber: OpenSubscriber, source: str) -> bool:
    """From the signed preferences link (proof of the mailbox): subscribed again."""
    now = timezone.now()
    with transaction.atomic():
        changed = bool(
            OpenSubscriber.objects.filter(
                pk=subscriber.pk, status=OpenSubscriber.Status.UNSUBSCRIBED
            ).update(status=OpenSubscriber.Status.ACTIVE, changed_at=now)
        )
        if changed:
            _open_choice(subscriber, action=MarketingChoice.Action.SUBSCRIBE, source=source, at=now)
    return changed


def open_subscriber_erase(*, address: str) -> dict[str, int]:
    """Forget an address on every open newsletter: its rows, the record of issues sent to
    it and its ledger rows (those that became a reader's are the reader's now)."""
    address = address.strip().lower()
    with transaction.atomic():
        _deleted, per_model = OpenSubscriber.objects.filter(email=address).delete()
        choices, _ = MarketingChoice.objects.filter(email=address).delete()
    return {
        "open_subscriptions_deleted": per_model.get(OpenSubscriber._meta.label, 0),
        "open_marketing_choices_deleted": choices,
    }


SOURCE_CARRIED_OVER = "open sign-up carried over"
SOURCE_ACCOUNT_LATER = "open sign-up carried over, account's later choice kept"


def open_signups_carry_over(*, user: Any, address: str) -> int:
    """Make the open sign-ups of `address` the reader's, now that it is their proved
    address; how many open rows went (none if the address is not theirs and proved).

    The rule (see the module docstring) compares, per newsletter, the open row's last
    change with the account's last choice about that newsletter: its subscription's
    last change, or stopping all marketing email if that came later. The decisions are
    all taken on the state as it was before this call changes anything.
    """
    address = address.strip().lower()
    now = timezone.now()
    with transaction.atomic():
        owner = selectors.reader_with_verified(address)
        if owner is None or owner.pk != user.pk:
            return 0
        # Locks in the order the other services take them: the open rows (a confirmation
        # link followed now waits for this, or this for it), the reader's switch, their
        # subscriptions.
        rows = list(
            # of=self: the newsletters joined in are read, not locked (a lock on them
            # would hold up every sign-up to those lists until this commits).
            OpenSubscriber.objects.select_for_update(of=("self",))
            .filter(email=address)
            .select_related("newsletter")
            .order_by("pk")
        )
        preference = MarketingPreference.objects.select_for_update().filter(user=user).first()
        stopped = bool(preference and preference.marketing_stopped)
        subscriptions = {
            s.newsletter_id: s
            for s in Subscription.objects.select_for_update()
            .filter(user=user, newsletter_id__in=[r.newsletter_id for r in rows])
            .order_by("pk")
        }
        last_stop = (
            MarketingChoice.objects.filter(user=user, action=MarketingChoice.Action.STOP_ALL)
            .order_by("-at")
            .values_list("at", flat=True)
            .first()
        )
        take, keep_off, leave = [], [], []
        for row in rows:
            subscription = subscriptions.get(row.newsletter_id)
            on = subscription is not None and subscription.active and not stopped
            said = [
                t
                for t in (
                    subscription and subscription.changed_at,
                    last_stop,
                    stopped and preference.changed_at,  # type: ignore[union-attr]
                )
                if t
            ]
            account_at = max(said) if said else None
            if row.status == OpenSubscriber.Status.ACTIVE and not on:
                if account_at is None or row.changed_at > account_at:
                    take.append(row)
                else:
                    keep_off.append(row)
            elif (
                row.status == OpenSubscriber.Status.UNSUBSCRIBED
                and on
                and (account_at is None or row.changed_at >= account_at)
            ):
                leave.append(row)
            # Pending: never confirmed, so nothing to carry; dropped below.
        if take and stopped:
            _set_stopped(user=user, stopped=False, source=SOURCE_CARRIED_OVER)
        for rows_to_flip, active in ((take, True), (leave, False)):
            for row in rows_to_flip:
                _flip(
                    user=user,
                    newsletter=row.newsletter,
                    active=active,
                    source=SOURCE_CARRIED_OVER,
                    subscriber_ref=row.pk,
                )
        for row in keep_off:
            # The address received it until now: that ends, and the ledger says why.
            _open_choice(
                row,
                user=user,
                action=MarketingChoice.Action.UNSUBSCRIBE,
                source=SOURCE_ACCOUNT_LATER,
                at=now,
            )
        # The address's history is the reader's now: its ledger rows and the record of
        # issues sent to it (a copy still to go in a send under way goes to the account,
        # if the account still wants it when its batch goes).
        MarketingChoice.objects.filter(email=address).update(user=user, email="")
        ids = [row.pk for row in rows]
        Delivery.objects.filter(subscriber_id__in=ids).exclude(
            send_id__in=Delivery.objects.filter(user=user).values("send_id")
        ).update(user=user, subscriber=None)
        OpenSubscriber.objects.filter(pk__in=ids).delete()
    return len(ids)


def open_signups_expire(*, now: dt.datetime | None = None) -> int:
    """Requests not confirmed within NEWSLETTER_CONFIRM_HOURS lapse; how many.

    A row never confirmed is deleted (nobody consented to anything). A row confirmed
    before (it left, and someone asked again) goes back to unsubscribed: its ledger and
    the record of issues sent to it stay reachable from its links, as before the request.
    """
    cutoff = (now or timezone.now()) - dt.timedelta(hours=settings.NEWSLETTER_CONFIRM_HOURS)
    lapsed = OpenSubscriber.objects.filter(
        status=OpenSubscriber.Status.PENDING, requested_at__lt=cutoff
    )
    # Back to unsubscribed as of when it last left (the ledger says), not the lapsed
    # request's time: anyone can make a request, and a carry-over reads this time as the
    # address's last choice.
    left_at = (
        MarketingChoice.objects.filter(
            subscriber_ref=OuterRef("pk"), action=MarketingChoice.Action.UNSUBSCRIBE
        )
        .order_by("-at")
        .values("at")[:1]
    )
    reverted = lapsed.filter(confirmed_at__isnull=False).update(
        status=OpenSubscriber.Status.UNSUBSCRIBED,
        changed_at=Coalesce(Subquery(left_at), F("confirmed_at")),
    )
    _deleted, per_model = lapsed.filter(confirmed_at__isnull=True).delete()
    return reverted + per_model.get(OpenSubscriber._meta.label, 0)
