"""Wall-clock times in a named timezone, turned into exact instants (pure, no database).

An editor types the event's start and end as the newsroom's clocks show them (a date, a
time and an IANA timezone). On the night the clocks change some wall times do not
exist (the hour skipped in spring) and some happen twice (the hour repeated in
autumn). Invariant: such a time is never guessed: a skipped time is refused, and a
repeated one needs the editor to say which of the two they mean.

This module imports nothing from Django or the app, so a migration may use it (events
0002 does, through `wall_time`); keep its functions' meaning stable.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from enum import StrEnum
from typing import NamedTuple


class Occurrence(StrEnum):
    """Which of the two moments a repeated wall time means."""

    UNSET = ""
    EARLIER = "earlier"
    LATER = "later"


class WallTimeError(ValueError):
    """The wall time cannot be placed; `code` says why (for the editor's message)."""

    def __init__(self, code: str, local: dt.datetime, zone: str) -> None:
        super().__init__(code)
        self.code, self.local, self.zone = code, local, zone


def zone_of(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as error:
        raise WallTimeError("unknown-zone", dt.datetime.min, name) from error


def instant(
    date: dt.date, time: dt.time, zone: str, occurrence: str = Occurrence.UNSET
) -> dt.datetime:
    """The instant (in UTC) the wall time names; WallTimeError when there is none
    ("skipped") or two and `occurrence` does not choose ("repeated").

    UTC, because Python never finds a repeated wall time (fold=1) equal to any time in
    another zone, so an aware local value would compare wrongly."""
    tz = zone_of(zone)
    local = dt.datetime.combine(date, time.replace(tzinfo=None, fold=0))
    first = local.replace(tzinfo=tz, fold=0)
    second = local.replace(tzinfo=tz, fold=1)
    # A skipped time reads back as another wall time (Python maps it across the gap).
    roundtrip = first.astimezone(dt.UTC).astimezone(tz).replace(tzinfo=None)
    if roundtrip != local:
        raise WallTimeError("skipped", local, zone)
    if first.utcoffset() != second.utcoffset():
        if occurrence == Occurrence.EARLIER:
            return first.astimezone(dt.UTC)
        if occurrence == Occurrence.LATER:
            return second.astimezone(dt.UTC)
        raise WallTimeError("repeated", local, zone)
    return first.astimezone(dt.UTC)


def is_repeated(date: dt.date, time: dt.time, zone: str) -> bool:
    tz = zone_of(zone)
    local = dt.datetime.combine(date, time.replace(tzinfo=None, fold=0))
    return (
        local.replace(tzinfo=tz, fold=0).utcoffset() != local.replace(tzinfo=tz, fold=1).utcoffset()
    )


class WallTime(NamedTuple):
    """A wall time as an editor types it: date, time and, only where that time happens
    twice, which of the two (`Occurrence.UNSET` otherwise)."""

    date: dt.date
    time: dt.time
    occurrence: Occurrence


def wall_time(moment: dt.datetime, zone: str) -> WallTime:
    """The wall time the aware `moment` shows in `zone`: the inverse of `instant`, so
    `instant(wall.date, wall.time, zone, wall.occurrence) == moment`."""
    local = moment.astimezone(zone_of(zone))
    time = local.time().replace(fold=0)
    occurrence = Occurrence.UNSET
    if is_repeated(local.date(), time, zone):
        occurrence = Occurrence.LATER if local.fold else Occurrence.EARLIER
    return WallTime(local.date(), time, occurrence)
