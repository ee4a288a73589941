"""Reads for event pages, listings and the admin. Nothing here writes.

Invariant: the page context never holds the platform's join link; a reader's own
personal link is in it only for a confirmed registration, and only on a signed-in
request (whose response is private), never on an anonymous one (which a CDN may keep).
"""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo
from typing import Any
from urllib.parse import quote

from django.db.models import Case, Count, Q, QuerySet, Value, When
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from wagtail.models import Site

from masthead.core.middleware import has_session_cookie

from . import calendars, links
from .models import Audience, EventIndexPage, EventPage, EventState, Registration

RSVP_PARAM = "rsvp"
ZONE_PARAM = "tz"
ZONE_SESSION_KEY = "events_time_zone"
EVENT_ZONE = "event"  # ?tz=event: each event's own timezone (and forget a saved choice)


@functools.cache
def zone_names() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def zone_choices() -> list[tuple[str, str]]:
    return [(name, name.replace("_", " ")) for name in sorted(zone_names())]


def reader_zone(request: HttpRequest | None) -> tuple[str, str]:
    """(the timezone the reader chose for event times, or "", what they typed if it is
    not a timezone, or ""). The choice is the `?tz=` of the address (any reader; the
    address is its own cache entry), else a signed-in reader's saved one (session)."""
    if request is None:
        return "", ""
    typed = request.GET.get(ZONE_PARAM, "").strip()[:64]
    if typed == EVENT_ZONE:
        return "", ""
    if typed:
        return (typed, "") if typed in zone_names() else ("", typed)
    if has_session_cookie(request):
        saved = request.session.get(ZONE_SESSION_KEY, "")
        if saved in zone_names():
            return saved, ""
    return "", ""


def live_events() -> QuerySet[EventPage]:
    return EventPage.objects.live().public().filter(starts_at__isnull=False).select_related("state")


def upcoming_events(*, now: dt.datetime | None = None) -> QuerySet[EventPage]:
    now = now or timezone.now()
    return (
        live_events()
        .filter(ends_at__gte=now)
        .exclude(state__cancelled_at__isnull=False)
        .order_by("starts_at", "pk")
    )


def past_events(*, now: dt.datetime | None = None) -> QuerySet[EventPage]:
    now = now or timezone.now()
    return live_events().filter(ends_at__lt=now).order_by("-starts_at", "-pk")


def listing(*, index: EventIndexPage, now: dt.datetime | None = None) -> dict[str, Any]:
    return {
        "upcoming": list(upcoming_events(now=now).child_of(index)[:50]),
        "past": list(past_events(now=now).child_of(index)[:24]),
    }


def front_page_events(*, limit: int = 3) -> list[EventPage]:
    """The next events, when an editor switched the front-page list on."""
    index = EventIndexPage.objects.live().filter(on_front_page=True).first()
    if index is None:
        return []
    return list(upcoming_events().child_of(index)[:limit])


def reader_is_unlimited(user: Any, site: Site | None) -> bool:
    """Staff, or a member of a group the site's access settings read without limit."""
    from masthead.access.models import AccessSettings  # access's settings row

    if user.is_staff:
        return True
    if site is None:
        return False
    return AccessSettings.objects.filter(site=site, unlimited_groups__in=user.groups.all()).exists()


def may_attend(user: Any, event: EventPage) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    if event.audience == Audience.PREMIUM:
        return reader_is_unlimited(user, event.get_site())
    return True


def is_cancelled(event: EventPage) -> bool:
    state = EventState.objects.filter(event=event).only("cancelled_at").first()
    return bool(state and state.cancelled_at)


def counts(event: EventPage) -> dict[str, int]:
    row = Registration.objects.filter(event=event).aggregate(
        confirmed=Count("pk", filter=Q(status=Registration.Status.CONFIRMED)),
        waiting=Count("pk", filter=Q(status=Registration.Status.WAITING)),
    )
    return {"confirmed": row["confirmed"], "waiting": row["waiting"]}


def waiting_position(registration: Registration) -> int:
    return (
        Registration.objects.filter(
            event_id=registration.event_id, status=Registration.Status.WAITING
        )
        .filter(
            Q(queued_at__lt=registration.queued_at)
            | Q(queued_at=registration.queued_at, pk__lt=registration.pk)
        )
        .count()
        + 1
    )


def registration_of(user: Any, event: EventPage) -> Registration | None:
    return (
        Registration.objects.filter(event=event, user=user)
        .exclude(status=Registration.Status.CANCELLED)
        .first()
    )


def event_page_context(
    *, event: EventPage, request: HttpRequest, now: dt.datetime | None = None
) -> dict[str, Any]:
    now = now or timezone.now()
    cancelled = is_cancelled(event)
    chosen_zone, unknown_zone = reader_zone(request)
    ended = bool(event.ends_at and event.ends_at < now)
    closed = bool(event.closes_at and event.closes_at <= now)
    page_path = event.get_url(request) or "/"
    rsvp_path = f"{page_path}?{RSVP_PARAM}={event.pk}"
    context: dict[str, Any] = {
        "event": event,
        "event_cancelled": cancelled,
        "chosen_zone": chosen_zone,
        "unknown_zone": unknown_zone,
        "event_ended": ended,
        "registration_closed": closed or cancelled,
        "join_opens_minutes": links.opens_minutes(),
        "signup_url": reverse("account_signup") + "?next=" + quote(rsvp_path, safe="/"),
        "login_url": reverse("account_login") + "?next=" + quote(rsvp_path, safe="/"),
        "calendar_links": calendars.add_to_calendar_links(event) if event.starts_at else {},
        "registration": None,
        "zone_choices": zone_choices(),
        "may_attend": False,
        "signed_in": False,
    }
    user = request.user if has_session_cookie(request) else None
    if user is not None and user.is_authenticated:
        context["signed_in"] = True
        context["may_attend"] = may_attend(user, event)
        registration = registration_of(user, event)
        context["registration"] = registration
        if registration is not None and registration.status == Registration.Status.WAITING:
            context["waiting_position"] = waiting_position(registration)
        if registration is not None and registration.status == Registration.Status.CONFIRMED:
            context["join_path"] = links.join_path(registration.pk)
            context["join_window"] = links.window_for(event.starts_at, event.ends_at).at(now)
    # The recording is for readers who may register for the event (signed in, and
    # premium where the event is); an anonymous reader is invited to register.
    context["show_recording"] = bool(ended and event.recording and context["may_attend"])
    return context


def registrants(event: EventPage) -> QuerySet[Registration]:
    """Confirmed first, then the waiting list in its order, then cancellations."""
    rank = Case(
        When(status=Registration.Status.CONFIRMED, then=Value(0)),
        When(status=Registration.Status.WAITING, then=Value(1)),
        default=Value(2),
    )
    return (
        Registration.objects.filter(event=event)
        .select_related("user")
        .annotate(rank=rank)
        .order_by("rank", "queued_at", "pk")
    )
