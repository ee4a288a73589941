"""Every write about events: registering, cancelling, the waiting list, changes, reminders.

Invariants:
- Capacity is exact under concurrency: every service that can change how many
  registrations are CONFIRMED first locks the event's EventState row
  (`select_for_update`), then counts, then writes, in one transaction. So 20
  simultaneous registrations for 10 places make exactly 10 confirmed; the others wait
  in the order they got the lock (`queued_at`, then id).
- Whenever a place opens (a cancellation, a larger capacity, an erasure) the first on
  the waiting list is promoted, in the same transaction, and told by email.
- Emails are queued through core.email in the causing transaction. Those that must go
  once (reminders, updates, the cancellation of the event) carry an outbox key, so a
  sweep run twice, or by two workers at once, queues each one once.
- Nothing here trusts the page's fields for state a revision could roll back: the
  invitations' SEQUENCE and the cancellation live in EventState.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from masthead.core import email
from masthead.core.render_cache import pages_changed

from . import selectors
from .emails import event_cancelled_email, message_email, registration_email
from .models import EventMessage, EventPage, EventState, Registration

Status = Registration.Status
REMINDERS = (("24h", dt.timedelta(hours=24)), ("1h", dt.timedelta(hours=1)))


class RegistrationRefused(Exception):
    """The reader cannot (un)register; `message` says why, for the reader."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


def _locked_state(event_id: int) -> EventState:
    """The event's state row, locked until the transaction ends (created if missing)."""
    state = EventState.objects.select_for_update().filter(event_id=event_id).first()
    if state is not None:
        return state
    try:
        with transaction.atomic():
            EventState.objects.create(event_id=event_id)
    except IntegrityError:
        pass  # another transaction created it first
    return EventState.objects.select_for_update().get(event_id=event_id)


def _local(moment: dt.datetime, event: EventPage) -> str:
    return date_format(moment.astimezone(event.zone), "j F Y, H:i")


def _queue(
    registration: Registration, kind: str, *, key: str | None = None, base_url: str = ""
) -> None:
    email.send(
        renderer=registration_email,
        params={"registration_id": registration.pk, "kind": kind, "base_url": base_url},
        key=key,
    )


def _stamp(moment: dt.datetime | None) -> int:
    return int(moment.timestamp() * 1_000_000) if moment else 0


# -- registering ---------------------------------------------------------------------------
def registration_create(
    *, event: EventPage, user: Any, now: dt.datetime | None = None, base_url: str = ""
) -> Registration:
    """Register the reader: a confirmed place if one is left, else the waiting list.

    Raises RegistrationRefused for a cancelled, past or closed event, a reader the
    event is not for, and a reader already registered or waiting.
    """
    with transaction.atomic():
        state = _locked_state(event.pk)
        # Read under the lock, so the waiting list's order is the order of arrival.
        now = now or timezone.now()
        event = EventPage.objects.get(pk=event.pk)  # as it stands under the lock
        if state.cancelled_at:
            raise RegistrationRefused("cancelled", _("This event has been cancelled."))
        if not event.live or event.starts_at is None or event.ends_at is None:
            raise RegistrationRefused("unavailable", _("This event is not open for registration."))
        if event.ends_at <= now:
            raise RegistrationRefused("ended", _("This event has already taken place."))
        if event.closes_at is not None and event.closes_at <= now:
            raise RegistrationRefused(
                "closed",
                _("Registration for this event closed on %(when)s.")
                % {"when": _local(event.closes_at, event)},
            )
        if not selectors.may_attend(user, event):
            raise RegistrationRefused(
                "audience",
                _("This event is for readers with unlimited (premium) access."),
            )
        existing = Registration.objects.filter(event=event, user=user).first()
        if existing is not None and existing.status == Status.CONFIRMED:
            raise RegistrationRefused("already", _("You're already registered for this event."))
        if existing is not None and existing.status == Status.WAITING:
            raise RegistrationRefused(
                "already-waiting",
                _("You're already on the waiting list for this event (number %(n)s).")
                % {"n": selectors.waiting_position(existing)},
            )
        confirmed = Registration.objects.filter(event=event, status=Status.CONFIRMED).count()
        status = Status.CONFIRMED if confirmed < event.capacity else Status.WAITING
        fields = {
            "status": status,
            "queued_at": now,
            "confirmed_at": now if status == Status.CONFIRMED else None,
            "cancelled_at": None,
            "attended": False,
        }
        if existing is not None:
            for name, value in fields.items():
                setattr(existing, name, value)
            existing.save(update_fields=list(fields))
            registration = existing
        else:
            registration = Registration.objects.create(event=event, user=user, **fields)
        kind = "confirmed" if status == Status.CONFIRMED else "waiting"
        _queue(
            registration,
            kind,
            key=f"events:{kind}:{registration.pk}:{_stamp(now)}",
            base_url=base_url,
        )
        return registration


def registration_cancel(
    *, event: EventPage, user: Any, now: dt.datetime | None = None, base_url: str = ""
) -> Registration:
    """Give up a place (or leave the waiting list); promotes the next reader waiting."""
    now = now or timezone.now()
    with transaction.atomic():
        state = _locked_state(event.pk)
        event = EventPage.objects.get(pk=event.pk)
        registration = (
            Registration.objects.filter(event=event, user=user)
            .exclude(status=Status.CANCELLED)
            .first()
        )
        if registration is None:
            raise RegistrationRefused("not-registered", _("You aren't registered for this event."))
        if event.starts_at is not None and event.starts_at <= now and not state.cancelled_at:
            raise RegistrationRefused(
                "started",
                _(
                    "This event has already started, so the registration can no longer be "
                    "cancelled."
                ),
            )
        was_confirmed = registration.status == Status.CONFIRMED
        registration.status = Status.CANCELLED
        registration.cancelled_at = now
        registration.save(update_fields=["status", "cancelled_at"])
        if was_confirmed:
            _queue(
                registration,
                "cancelled",
                key=f"events:cancelled:{registration.pk}:{_stamp(now)}",
                base_url=base_url,
            )
            _promote(event=event, now=now, base_url=base_url)
        return registration


def _promote(*, event: EventPage, now: dt.datetime, base_url: str = "") -> list[Registration]:
    """Fill free places from the waiting list, in order. The caller holds the lock."""
    confirmed = Registration.objects.filter(event=event, status=Status.CONFIRMED).count()
    free = event.capacity - confirmed
    if free <= 0 or (event.starts_at is not None and event.starts_at <= now):
        return []
    promoted = list(
        Registration.objects.filter(event=event, status=Status.WAITING).order_by("queued_at", "pk")[
            :free
        ]
    )
    for registration in promoted:
        registration.status = Status.CONFIRMED
        registration.confirmed_at = now
        registration.save(update_fields=["status", "confirmed_at"])
        _queue(
            registration,
            "promoted",
            key=f"events:promoted:{registration.pk}:{_stamp(now)}",
            base_url=base_url,
        )
    return promoted


# -- editors' changes -------------------------------------------------------------------------
def fingerprint(event: EventPage) -> str:
    """What an invitation depends on: the time and the place (the join link)."""
    parts = [
        event.starts_at.isoformat() if event.starts_at else "",
        event.ends_at.isoformat() if event.ends_at else "",
        event.join_url,
    ]
    raw = "|".join(parts)
    return hashlib.sha256(raw.encode()).hexdigest()


def event_published(*, event_id: int, now: dt.datetime | None = None) -> int:
    """After a publish: a change of time or join link raises the SEQUENCE and emails
    every registered reader an updated invitation; more places promote the waiting.
    Returns how many updates were queued."""
    now = now or timezone.now()
    with transaction.atomic():
        state = _locked_state(event_id)
        event = EventPage.objects.get(pk=event_id)
        current = fingerprint(event)
        updates = 0
        if not state.announced:
            state.announced = current
            state.save(update_fields=["announced"])
        elif state.announced != current and not state.cancelled_at:
            state.sequence += 1
            state.announced = current
            state.save(update_fields=["sequence", "announced"])
            for registration in Registration.objects.filter(event=event, status=Status.CONFIRMED):
                _queue(
                    registration,
                    "updated",
                    key=f"events:updated:{registration.pk}:{state.sequence}",
                )
                updates += 1
        if not state.cancelled_at:
            _promote(event=event, now=now)
        return updates


def _snapshot(event: EventPage, state: EventState) -> dict[str, Any]:
    """What a cancellation email needs of the event, as JSON: it is rendered after the
    commit, when a deleted event's page and registrations are gone."""
    return {
        "event_id": event.pk,
        "title": event.title,
        "standfirst": event.standfirst,
        "starts_at": event.starts_at.isoformat() if event.starts_at else "",
        "ends_at": event.ends_at.isoformat() if event.ends_at else "",
        "time_zone": event.time_zone,
        "sequence": state.sequence,
        "url": event.get_full_url() or "",
    }


def event_cancel(
    *, event_id: int, now: dt.datetime | None = None, reason: str = "cancelled"
) -> int:
    """Cancel the event: everyone registered or waiting gets METHOD:CANCEL. Returns how
    many were told; cancelling twice tells nobody twice.

    Also what unpublishing or deleting an event does (`reason` "unpublished" or
    "deleted", from the signal receivers): the emails are queued in the same
    transaction, so they go once, on commit, and not at all if it rolls back. Each
    email carries a snapshot of the event, so it can still be written once a deleted
    event's rows are gone. For those two no state row is created (one made while the
    page is being deleted would outlive it); an event with none was never registered for.
    """
    now = now or timezone.now()
    with transaction.atomic():
        if reason != "cancelled":
            state = EventState.objects.select_for_update().filter(event_id=event_id).first()
            if state is None:
                return 0  # never registered for: there is nobody to tell
        else:
            state = _locked_state(event_id)
        if state.cancelled_at:
            return 0
        state.cancelled_at = now
        state.sequence += 1
        state.save(update_fields=["cancelled_at", "sequence"])
        # Lists of upcoming events (the front page's) drop it at once, as on a publish.
        transaction.on_commit(pages_changed)
        event = EventPage.objects.get(pk=event_id)
        snapshot = _snapshot(event, state)
        told = 0
        for registration in Registration.objects.filter(
            event_id=event_id, status__in=[Status.CONFIRMED, Status.WAITING]
        ).order_by("pk"):
            email.send(
                renderer=event_cancelled_email,
                params={
                    "registration_id": registration.pk,
                    "user_id": registration.user_id,
                    "event": snapshot,
                    "kind": "event_cancelled",
                },
                key=f"events:event-cancelled:{registration.pk}",
            )
            told += 1
        return told


def attendance_set(*, event: EventPage, registration_id: int, attended: bool) -> bool:
    """Mark a confirmed registrant as attended (or not); False if there is no such one."""
    return bool(
        Registration.objects.filter(
            pk=registration_id, event=event, status=Status.CONFIRMED
        ).update(attended=attended)
    )


def message_send(*, event: EventPage, subject: str, body: str) -> EventMessage:
    """Email an editor's message to every confirmed registrant (kept for the record)."""
    with transaction.atomic():
        message = EventMessage.objects.create(event=event, subject=subject, body=body)
        for registration_id in Registration.objects.filter(
            event=event, status=Status.CONFIRMED
        ).values_list("pk", flat=True):
            email.send(
                renderer=message_email,
                params={"message_id": message.pk, "registration_id": registration_id},
                key=f"events:message:{message.pk}:{registration_id}",
            )
        return message


# -- reminders ----------------------------------------------------------------------------------
def reminders_send(*, now: dt.datetime | None = None) -> int:
    """Queue the reminders that are due (24 hours and 1 hour before), each exactly once.

    Safe to run as often as wanted, by several workers at once: each reminder's outbox
    key names the registration, the reminder and the start it is for, so it is queued
    once (and again only if the event moves). A reminder whose moment passed while
    nothing ran is skipped once the next one is due; a reader who registered after a
    reminder's moment does not get it (their confirmation just said as much).
    Returns how many reminder rows exist for what is due now (queued now or before).
    """
    now = now or timezone.now()
    queued = 0
    for index, (kind, before) in enumerate(REMINDERS):
        later = REMINDERS[index + 1][1] if index + 1 < len(REMINDERS) else dt.timedelta(0)
        due = Registration.objects.filter(
            status=Status.CONFIRMED,
            event__live=True,
            event__starts_at__lte=now + before,
            event__starts_at__gt=now + later,
            event__state__cancelled_at__isnull=True,
        ).select_related("event")
        for registration in due:
            starts_at = registration.event.starts_at
            if registration.confirmed_at and registration.confirmed_at > starts_at - before:
                continue
            with transaction.atomic():
                _queue(
                    registration,
                    f"reminder_{kind}",
                    key=f"events:reminder:{kind}:{registration.pk}:{_stamp(starts_at)}",
                )
            queued += 1
    return queued


# -- privacy ---------------------------------------------------------------------------------------
def registrations_erase(*, user: Any, now: dt.datetime | None = None) -> dict[str, int]:
    """For account erasure: delete the reader's registrations, freeing their places.

    Lock order (PostgreSQL must never find a cycle): every events write locks an
    event's EventState row before it touches that event's registrations, and the user
    row comes last (registering takes a key-share lock on it when the registration row
    is written; the erasure deletes it after every eraser has run). An eraser locks
    several events, so it takes them all first, in ascending event id, before it
    deletes anything; two erasures, or an erasure and an editor's change, then queue
    on the first event they share instead of each holding what the other wants. A
    registration the reader made while the first pass waited for its locks is caught
    by a second pass, so none is left for the user's deletion to cascade away without
    promoting the waiting list.
    """
    now = now or timezone.now()
    deleted = 0
    with transaction.atomic():
        done: set[int] = set()
        while True:
            event_ids = sorted(
                set(Registration.objects.filter(user=user).values_list("event_id", flat=True))
                - done
            )
            if not event_ids:
                break
            for event_id in event_ids:  # ascending: see the lock order above
                _locked_state(event_id)
            for event_id in event_ids:
                row = Registration.objects.filter(user=user, event_id=event_id).first()
                if row is None:
                    continue
                was_confirmed = row.status == Status.CONFIRMED
                row.delete()
                deleted += 1
                if was_confirmed:
                    _promote(event=EventPage.objects.get(pk=event_id), now=now)
            done.update(event_ids)
    return {"event_registrations_deleted": deleted}
