"""Personal join links, and when they open.

Invariants:
- A join link names one registration, signed with the project's secret (salted for
  this use only), so a reader cannot make another's link or guess one.
- It opens the platform's address only while the registration is confirmed, the event
  is not cancelled and `now` is within [start - JOIN_OPENS_MINUTES, end]; before that
  it says when it opens, after that that the event is over. The platform's address is
  handed out only in that window, by a redirect that no cache may keep.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from django.conf import settings
from django.core import signing
from django.urls import reverse

SALT = "masthead.events.join"


def opens_minutes() -> int:
    return int(getattr(settings, "EVENTS_JOIN_OPENS_MINUTES", 15))


def join_token(registration_id: int) -> str:
    return signing.dumps(int(registration_id), salt=SALT)


def registration_id_from(token: str) -> int | None:
    """The registration a token names, or None for anything not signed by us."""
    if not isinstance(token, str) or len(token) > 200:
        return None
    try:
        value = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        return None
    return value if isinstance(value, int) and value > 0 else None


def join_path(registration_id: int) -> str:
    return reverse("events:join", kwargs={"token": join_token(registration_id)})


def join_url(registration_id: int, base_url: str = "") -> str:
    base = (base_url or str(settings.WAGTAILADMIN_BASE_URL)).rstrip("/")
    return base + join_path(registration_id)


class Window(StrEnum):
    BEFORE = "before"
    OPEN = "open"
    AFTER = "after"


@dataclass(frozen=True)
class JoinWindow:
    opens_at: dt.datetime
    closes_at: dt.datetime

    def at(self, now: dt.datetime) -> Window:
        if now < self.opens_at:
            return Window.BEFORE
        if now > self.closes_at:
            return Window.AFTER
        return Window.OPEN


def window_for(starts_at: dt.datetime, ends_at: dt.datetime) -> JoinWindow:
    return JoinWindow(opens_at=starts_at - dt.timedelta(minutes=opens_minutes()), closes_at=ends_at)
