"""iCalendar (RFC 5545) output through the `icalendar` library: the one place an `.ics`
is built.

The rest of the app describes what it wants with two small frozen dataclasses
(`Calendar`, `Event`); `render` turns them into bytes with `icalendar`, which does the
escaping, the 75-octet folding, the CRLF line ends and the VTIMEZONE components.

Invariants:
- Times are written in the event's own timezone (`DTSTART;TZID=Europe/Paris:...`) with
  a VTIMEZONE the library builds from the zone's rules, covering only the dates the
  calendar's events need. A wall time that happens twice (the night the clocks go
  back) is written in UTC instead: RFC 5545 reads a repeated local time as the first of
  the two, which would move an event set at the second one by an hour. An event with
  no zone, or in UTC, is written in UTC. Either way the instant is exact.
- METHOD is PUBLISH, REQUEST or CANCEL; a cancelled event says STATUS:CANCELLED and
  its attendee PARTSTAT=DECLINED. A public calendar (PUBLISH) names no attendee.
- Text an editor typed can never start a new property or component (the library
  escapes it; control characters are dropped), and a URI with a line break is refused.
"""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo
from dataclasses import dataclass, field

import icalendar

__all__ = ["Calendar", "Event", "format_utc", "render"]

METHODS = ("PUBLISH", "REQUEST", "CANCEL")
PRODID = "-//Masthead//Events//EN"


def format_utc(moment: dt.datetime) -> str:
    """An aware datetime as a UTC DATE-TIME: 20261025T003000Z (for calendar links)."""
    _aware(moment)
    return moment.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def _aware(moment: dt.datetime) -> dt.datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("iCalendar times must be timezone-aware")
    return moment


def _clean(value: str) -> str:
    """TEXT without control characters (section 3.3.11 allows tab and line breaks only)."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return "".join(ch for ch in value if ch in "\t\n" or (ord(ch) >= 32 and ord(ch) != 127))


def _uri(value: str) -> str:
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise ValueError(f"a URI in a calendar cannot hold control characters: {value!r}")
    return value


@functools.lru_cache(maxsize=64)
def _zone(name: str) -> zoneinfo.ZoneInfo | None:
    if not name or name.upper() in ("UTC", "ETC/UTC", "Z"):
        return None
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None


def _repeated(local: dt.datetime) -> bool:
    return local.replace(fold=0).utcoffset() != local.replace(fold=1).utcoffset()


@dataclass(frozen=True)
class Event:
    uid: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    summary: str
    stamp: dt.datetime
    sequence: int = 0
    time_zone: str = ""
    description: str = ""
    location: str = ""
    url: str = ""
    organizer_name: str = ""
    organizer_email: str = ""
    attendee_email: str = ""
    attendee_name: str = ""
    cancelled: bool = False

    def local(self, moment: dt.datetime) -> dt.datetime:
        """The moment as written: in the event's zone, or UTC (see the invariants)."""
        zone = _zone(self.time_zone)
        if zone is not None:
            local = _aware(moment).astimezone(zone)
            if not _repeated(local):
                return local
        return _aware(moment).astimezone(dt.UTC)

    def component(self, method: str) -> icalendar.Event:
        if _aware(self.ends_at) <= _aware(self.starts_at):
            raise ValueError("an event must end after it starts")
        event = icalendar.Event()
        event.add("uid", self.uid)
        event.add("dtstamp", _aware(self.stamp).astimezone(dt.UTC))
        event.add("dtstart", self.local(self.starts_at))
        event.add("dtend", self.local(self.ends_at))
        event.add("sequence", int(self.sequence))
        event.add("summary", _clean(self.summary))
        if self.description:
            event.add("description", _clean(self.description))
        if self.location:
            event.add("location", _clean(self.location))
        if self.url:
            event.add("url", _uri(self.url))
        if self.organizer_email:
            organizer = icalendar.vCalAddress(f"mailto:{_uri(self.organizer_email)}")
            if self.organizer_name:
                organizer.params["CN"] = _clean(self.organizer_name).replace("\n", " ")
            event.add("organizer", organizer)
        if self.attendee_email and method != "PUBLISH":
            attendee = icalendar.vCalAddress(f"mailto:{_uri(self.attendee_email)}")
            if self.attendee_name:
                attendee.params["CN"] = _clean(self.attendee_name).replace("\n", " ")
            attendee.params["ROLE"] = "REQ-PARTICIPANT"
            attendee.params["PARTSTAT"] = "DECLINED" if self.cancelled else "ACCEPTED"
            attendee.params["RSVP"] = "FALSE"
            event.add("attendee", attendee)
        event.add("status", "CANCELLED" if self.cancelled else "CONFIRMED")
        event.add("transp", "OPAQUE")
        return event


@dataclass(frozen=True)
class Calendar:
    method: str = "PUBLISH"
    name: str = ""
    events: list[Event] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ValueError(f"unknown calendar method {self.method!r}")


def render(calendar: Calendar) -> bytes:
    """The calendar as the bytes of an `.ics` file (UTF-8, CRLF line ends, folded)."""
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", calendar.method)
    if calendar.name:
        cal.add("x-wr-calname", _clean(calendar.name))
    for event in calendar.events:
        cal.add_component(event.component(calendar.method))
    if calendar.events:
        # VTIMEZONEs for the zones used, covering only the days the events need (the
        # library's default range, 1970-2038, would list decades of transitions).
        first = min(e.starts_at.astimezone(dt.UTC).date() for e in calendar.events)
        last = max(e.ends_at.astimezone(dt.UTC).date() for e in calendar.events)
        cal.add_missing_timezones(
            first_date=first - dt.timedelta(days=2), last_date=last + dt.timedelta(days=2)
        )
    return cal.to_ical()
