"""The events app's emails (through core.email's durable outbox), with calendar invitations.

Invariants:
- Every event email is transactional (the reader asked for it by registering), so none
  carries List-Unsubscribe; each names why it was sent and how to cancel.
- A renderer loads its rows when the email is sent and returns None when the email is
  no longer true: a confirmation, reminder or update for a registration that is no
  longer confirmed, a reminder for an event that was cancelled, moved or has started,
  a cancellation for a reader who registered again.
- An invitation is attached as `invite.ics` with the MIME type
  `text/calendar; method=<METHOD>` matching the METHOD inside it.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from email.mime.base import MIMEBase
from email.mime.text import MIMEText
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from masthead.core import email

from . import calendars, links

INVITING = {"confirmed", "promoted", "updated", "reminder_24h", "reminder_1h"}
CANCELLING = {"cancelled", "event_cancelled"}
NEEDS_CONFIRMED = INVITING


def _base(base_url: str) -> str:
    return (base_url or str(settings.WAGTAILADMIN_BASE_URL)).rstrip("/")


def calendar_part(method: str, data: bytes) -> MIMEBase:
    part = MIMEText(data.decode("utf-8"), "calendar", "utf-8")
    part.set_param("method", method)
    part.add_header("Content-Disposition", "attachment", filename="invite.ics")
    return part


def _context(registration: Any, base_url: str) -> dict[str, Any]:
    event = registration.event
    base = _base(base_url)
    return {
        "event": event,
        "registration": registration,
        "user": registration.user,
        "base_url": base,
        "event_url": event.get_full_url() or base,
        "join_url": links.join_url(registration.pk, base),
        "join_opens_minutes": links.opens_minutes(),
        "when_start": date_format(event.local_start, "l j F Y, H:i"),
        "when_end": date_format(
            event.local_end,
            "H:i" if event.local_end.date() == event.local_start.date() else "l j F Y, H:i",
        ),
        "calendar_links": calendars.add_to_calendar_links(event),
        "account_url": base + reverse("events:mine"),
    }


def _reminder_still_true(event: Any, kind: str) -> bool:
    """A reminder sent late or after a move must not say "tomorrow" or "in an hour"."""
    ahead = {"reminder_24h": dt.timedelta(hours=25), "reminder_1h": dt.timedelta(hours=2)}
    now = timezone.now()
    return event.starts_at is not None and now < event.starts_at <= now + ahead[kind]


@email.renderer
def registration_email(
    *, registration_id: int, kind: str, base_url: str = ""
) -> EmailMultiAlternatives | None:
    from . import selectors
    from .models import Registration

    registration = (
        Registration.objects.select_related("event", "event__state", "user")
        .filter(pk=registration_id)
        .first()
    )
    if registration is None or not registration.user.is_active:
        return None
    state = getattr(registration.event, "state", None)
    cancelled = bool(state is not None and state.cancelled_at)
    status = registration.status
    if kind in NEEDS_CONFIRMED and (status != Registration.Status.CONFIRMED or cancelled):
        return None
    if kind == "waiting" and status != Registration.Status.WAITING:
        return None
    if kind == "cancelled" and status != Registration.Status.CANCELLED:
        return None  # registered again meanwhile: a CANCEL would remove the new place
    if kind == "event_cancelled" and not cancelled:
        return None
    if kind.startswith("reminder_") and not _reminder_still_true(registration.event, kind):
        return None
    context = {**_context(registration, base_url), "kind": kind}
    if kind == "waiting":
        context["position"] = selectors.waiting_position(registration)
    message = email.message(
        "events/email/registration", to=registration.user.email, context=context
    )
    if kind in INVITING or kind in CANCELLING:
        method, data = calendars.invitation(
            registration, cancel=kind in CANCELLING, base_url=context["base_url"]
        )
        message.attach(calendar_part(method, data))
    return message


@email.renderer
def message_email(*, message_id: int, registration_id: int) -> EmailMultiAlternatives | None:
    from .models import EventMessage, Registration

    message = EventMessage.objects.select_related("event").filter(pk=message_id).first()
    registration = (
        Registration.objects.select_related("event", "user")
        .filter(pk=registration_id, status=Registration.Status.CONFIRMED)
        .first()
    )
    if message is None or registration is None or not registration.user.is_active:
        return None
    return email.message(
        "events/email/message",
        to=registration.user.email,
        context={**_context(registration, ""), "message": message},
    )


@email.renderer
def event_cancelled_email(
    *, registration_id: int, user_id: int, event: dict[str, Any], kind: str = "event_cancelled"
) -> EmailMultiAlternatives | None:
    """The event is off (cancelled, unpublished or deleted): METHOD:CANCEL for one reader.

    Written from the snapshot queued with it, so it goes even when the event's page and
    registrations were deleted in the transaction that queued it; not when the reader's
    account is gone or closed (an erasure), or when they gave up the place themselves."""
    from django.contrib.auth import get_user_model

    from .models import Registration

    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None or not user.email:
        return None
    if Registration.objects.filter(
        pk=registration_id, status=Registration.Status.CANCELLED
    ).exists():
        return None  # already told: their own cancellation carried a CANCEL
    starts_at = dt.datetime.fromisoformat(event["starts_at"])
    ends_at = dt.datetime.fromisoformat(event["ends_at"])
    zone = zoneinfo.ZoneInfo(event["time_zone"])
    local_start, local_end = starts_at.astimezone(zone), ends_at.astimezone(zone)
    from .models import EventPage

    still_there = EventPage.objects.filter(pk=event["event_id"], live=True).exists()
    context = {
        "event": {"title": event["title"], "time_zone": event["time_zone"]},
        "user": user,
        "kind": "event_cancelled",
        "event_url": event["url"] if still_there else "",
        "when_start": date_format(local_start, "l j F Y, H:i"),
        "when_end": date_format(
            local_end, "H:i" if local_end.date() == local_start.date() else "l j F Y, H:i"
        ),
    }
    message = email.message("events/email/registration", to=user.email, context=context)
    data = calendars.cancellation(event, user=user)
    message.attach(calendar_part("CANCEL", data))
    return message
