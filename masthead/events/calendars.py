"""The newsroom's events as iCalendar data: invitations, one event, the upcoming feed.

Invariants:
- One UID per event for ever (`event-<page id>@<site host>`), so every update and the
  cancellation replace the same entry in the reader's calendar.
- An invitation carries the event's current SEQUENCE (EventState), raised on every
  change of time or join link, and METHOD:CANCEL with STATUS:CANCELLED once cancelled
  (or for a reader who gave up their place); the email's MIME part says the same method.
- Public calendars (the feed, the page's .ics) carry the event's page address, never
  the join link; only a reader's own invitation carries their personal join link.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.utils import timezone
from django.utils.html import strip_tags

from masthead.core.newsroom import newsroom_name

from . import ics, links
from .models import EventPage, Registration


def _host() -> str:
    return urlsplit(str(settings.WAGTAILADMIN_BASE_URL)).hostname or "localhost"


def uid_for(event_id: int) -> str:
    return f"event-{int(event_id)}@{_host()}"


def _organizer_email() -> str:
    from email.utils import parseaddr

    return parseaddr(str(settings.DEFAULT_FROM_EMAIL))[1]


def _page_url(event: EventPage) -> str:
    return event.get_full_url() or ""


def _event(
    event: EventPage,
    *,
    sequence: int,
    cancelled: bool,
    registration: Registration | None = None,
    base_url: str = "",
    now: dt.datetime | None = None,
) -> ics.Event:
    page_url = _page_url(event)
    location = page_url
    description = event.standfirst
    if registration is not None and not cancelled:
        location = links.join_url(registration.pk, base_url)
        description = f"{event.standfirst}\n\n{location}"
    user = registration.user if registration is not None else None
    return ics.Event(
        uid=uid_for(event.pk),
        starts_at=event.starts_at,
        ends_at=event.ends_at,
        summary=event.title,
        description=strip_tags(description),
        location=location,
        url=page_url,
        stamp=now or timezone.now(),
        sequence=sequence,
        time_zone=event.time_zone,
        organizer_name=newsroom_name(),
        organizer_email=_organizer_email(),
        attendee_email=user.email if user is not None else "",
        attendee_name=user.get_full_name() if user is not None else "",
        cancelled=cancelled,
    )


def invitation(
    registration: Registration, *, cancel: bool = False, base_url: str = ""
) -> tuple[str, bytes]:
    """(method, .ics bytes) for one reader's invitation: REQUEST, or CANCEL."""
    event = registration.event
    state = getattr(event, "state", None)
    sequence = state.sequence if state is not None else 0
    cancelled = cancel or bool(state is not None and state.cancelled_at)
    method = "CANCEL" if cancelled else "REQUEST"
    calendar = ics.Calendar(
        method=method,
        events=[
            _event(
                event,
                sequence=sequence,
                cancelled=cancelled,
                registration=registration,
                base_url=base_url,
            )
        ],
    )
    return method, ics.render(calendar)


def cancellation(snapshot: dict[str, Any], *, user: Any) -> bytes:
    """METHOD:CANCEL for one reader, from the event's snapshot (services.event_cancel):
    the same UID, the SEQUENCE the cancellation raised, the page address only."""
    event = ics.Event(
        uid=uid_for(snapshot["event_id"]),
        starts_at=dt.datetime.fromisoformat(snapshot["starts_at"]),
        ends_at=dt.datetime.fromisoformat(snapshot["ends_at"]),
        summary=snapshot["title"],
        description=strip_tags(snapshot.get("standfirst", "")),
        location=snapshot.get("url", ""),
        url=snapshot.get("url", ""),
        stamp=timezone.now(),
        sequence=int(snapshot["sequence"]),
        time_zone=snapshot["time_zone"],
        organizer_name=newsroom_name(),
        organizer_email=_organizer_email(),
        attendee_email=user.email,
        attendee_name=user.get_full_name(),
        cancelled=True,
    )
    return ics.render(ics.Calendar(method="CANCEL", events=[event]))


def public_calendar(events: Iterable[EventPage], *, name: str = "") -> bytes:
    """A PUBLISH calendar of events (no join links, no attendees)."""
    items = []
    for event in events:
        state = getattr(event, "state", None)
        items.append(
            _event(
                event,
                sequence=state.sequence if state is not None else 0,
                cancelled=bool(state is not None and state.cancelled_at),
            )
        )
    return ics.render(ics.Calendar(method="PUBLISH", name=name, events=items))


def add_to_calendar_links(event: EventPage) -> dict[str, str]:
    """Google Calendar and Outlook.com links that add the event (page address only)."""
    start, end = event.starts_at, event.ends_at
    details = f"{event.standfirst}\n\n{_page_url(event)}"
    google = "https://calendar.google.com/calendar/render?" + urlencode(
        {
            "action": "TEMPLATE",
            "text": event.title,
            "dates": f"{ics.format_utc(start)}/{ics.format_utc(end)}",
            "details": details,
        }
    )
    outlook = "https://outlook.live.com/calendar/0/deeplink/compose?" + urlencode(
        {
            "path": "/calendar/action/compose",
            "rru": "addevent",
            "subject": event.title,
            "startdt": start.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
            "enddt": end.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
            "body": details,
        }
    )
    return {"google": google, "outlook": outlook}
