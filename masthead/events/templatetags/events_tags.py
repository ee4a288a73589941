"""Event times in the event's own timezone (Django's `date` filter would convert them to
the site's timezone), and in the timezone the reader chose (selectors.reader_zone)."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from django import template
from django.utils.formats import date_format

register = template.Library()


@register.filter
def utc_iso(value: dt.datetime | None) -> str:
    if value is None:
        return ""
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


@register.simple_tag
def event_local(value: dt.datetime | None, event: Any, fmt: str) -> str:
    if value is None:
        return ""
    return date_format(value.astimezone(event.zone), fmt)


@register.simple_tag(takes_context=True)
def reader_time(context: Any, event: Any) -> dict[str, str] | None:
    """The event's start and end in the reader's chosen timezone, when they chose one
    other than the event's; None otherwise (the page then shows the event's only)."""
    from ..selectors import reader_zone

    if "chosen_zone" in context:
        zone = context["chosen_zone"]
    else:
        zone = reader_zone(context.get("request"))[0]
    if not zone or zone == event.time_zone or event.starts_at is None:
        return None
    tz = zoneinfo.ZoneInfo(zone)
    start, end = event.starts_at.astimezone(tz), event.ends_at.astimezone(tz)
    return {
        "zone": zone,
        "start": date_format(start, "l j F Y, H:i"),
        "end": date_format(end, "H:i" if end.date() == start.date() else "l j F Y, H:i"),
    }
