"""Event times in the event's own timezone (Django's `date` filter would convert them to
the site's timezone)."""

from __future__ import annotations

import datetime as dt
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
