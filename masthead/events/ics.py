"""A small iCalendar (RFC 5545) writer: the one place an `.ics` is built.

The `icalendar` library is not in the project's environment, so this module writes the
few components Masthead needs (VCALENDAR with one VEVENT per event) itself, behind a
surface small enough for the library to replace later (`Calendar`, `Event`, `render`).

Invariants:
- Lines end in CRLF and are folded at 75 octets (never inside a UTF-8 character), as
  RFC 5545 section 3.1 requires.
- TEXT values escape backslash, semicolon, comma and newlines (section 3.3.11); no value
  can start a new property or component, whatever an editor typed.
- Times are written in UTC ("...Z"), so no VTIMEZONE is needed and the instant is exact
  on either side of a daylight-saving change.
- METHOD is REQUEST, CANCEL or PUBLISH; a cancelled event says STATUS:CANCELLED.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

__all__ = ["Calendar", "Event", "escape_text", "fold", "format_utc", "render"]

METHODS = ("PUBLISH", "REQUEST", "CANCEL")
PRODID = "-//Masthead//Events//EN"


def escape_text(value: str) -> str:
    """A TEXT value: backslash, ';' and ',' escaped, any line break as '\\n'."""
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    value = value.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\\n")
    # Other control characters are not allowed in TEXT (section 3.3.11): dropped.
    return "".join(ch for ch in value if ch == "\t" or (ord(ch) >= 32 and ord(ch) != 127))


def format_utc(moment: dt.datetime) -> str:
    """An aware datetime as a UTC DATE-TIME: 20261025T003000Z."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("iCalendar times must be timezone-aware")
    return moment.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def fold(line: str) -> str:
    """One content line folded at 75 octets; continuation lines start with a space."""
    encoded = line.encode("utf-8")
    if len(encoded) <= 75:
        return line
    parts: list[str] = []
    current = b""
    limit = 75
    for ch in line:
        piece = ch.encode("utf-8")
        if len(current) + len(piece) > limit:
            parts.append(current.decode("utf-8"))
            current = b""
            limit = 74  # the leading space of a continuation line counts
        current += piece
    parts.append(current.decode("utf-8"))
    return "\r\n ".join(parts)


def _uri(value: str) -> str:
    # A URI value is not escaped as TEXT, so it must not be able to break the line.
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise ValueError(f"a URI in a calendar cannot hold control characters: {value!r}")
    return value


@dataclass(frozen=True)
class Event:
    uid: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    summary: str
    stamp: dt.datetime
    sequence: int = 0
    description: str = ""
    location: str = ""
    url: str = ""
    organizer_name: str = ""
    organizer_email: str = ""
    attendee_email: str = ""
    attendee_name: str = ""
    cancelled: bool = False

    def lines(self, method: str) -> list[str]:
        if self.ends_at <= self.starts_at:
            raise ValueError("an event must end after it starts")
        lines = [
            "BEGIN:VEVENT",
            f"UID:{escape_text(self.uid)}",
            f"DTSTAMP:{format_utc(self.stamp)}",
            f"DTSTART:{format_utc(self.starts_at)}",
            f"DTEND:{format_utc(self.ends_at)}",
            f"SEQUENCE:{int(self.sequence)}",
            f"SUMMARY:{escape_text(self.summary)}",
        ]
        if self.description:
            lines.append(f"DESCRIPTION:{escape_text(self.description)}")
        if self.location:
            lines.append(f"LOCATION:{escape_text(self.location)}")
        if self.url:
            lines.append(f"URL:{_uri(self.url)}")
        if self.organizer_email:
            name = self.organizer_name.replace('"', "'")
            cn = f';CN="{escape_text(name)}"' if name else ""
            lines.append(f"ORGANIZER{cn}:mailto:{_uri(self.organizer_email)}")
        if self.attendee_email and method != "PUBLISH":
            name = self.attendee_name.replace('"', "'")
            cn = f';CN="{escape_text(name)}"' if name else ""
            partstat = "DECLINED" if self.cancelled else "ACCEPTED"
            lines.append(
                f"ATTENDEE{cn};ROLE=REQ-PARTICIPANT;PARTSTAT={partstat};RSVP=FALSE"
                f":mailto:{_uri(self.attendee_email)}"
            )
        lines.append(f"STATUS:{'CANCELLED' if self.cancelled else 'CONFIRMED'}")
        lines.append("TRANSP:OPAQUE")
        lines.append("END:VEVENT")
        return lines


@dataclass(frozen=True)
class Calendar:
    method: str = "PUBLISH"
    name: str = ""
    events: list[Event] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ValueError(f"unknown calendar method {self.method!r}")


def render(calendar: Calendar) -> bytes:
    """The calendar as the bytes of an `.ics` file (UTF-8, CRLF line ends)."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        f"METHOD:{calendar.method}",
    ]
    if calendar.name:
        lines.append(f"X-WR-CALNAME:{escape_text(calendar.name)}")
    for event in calendar.events:
        lines += event.lines(calendar.method)
    lines.append("END:VCALENDAR")
    return ("\r\n".join(fold(line) for line in lines) + "\r\n").encode("utf-8")
