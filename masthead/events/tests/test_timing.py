"""Wall times on the nights the clocks change (masthead.events.timing)."""

from __future__ import annotations

import datetime as dt

import pytest

from masthead.events.timing import Occurrence, WallTimeError, instant, is_repeated, wall_time

LONDON = "Europe/London"
HALF_ONE = dt.time(1, 30)


def test_an_ordinary_time_is_placed_exactly():
    assert instant(dt.date(2026, 7, 1), dt.time(19, 0), LONDON) == dt.datetime(
        2026, 7, 1, 18, 0, tzinfo=dt.UTC
    )


def test_0130_on_the_night_the_clocks_go_forward_does_not_exist():
    with pytest.raises(WallTimeError) as caught:
        instant(dt.date(2026, 3, 29), HALF_ONE, LONDON)
    assert caught.value.code == "skipped"


def test_0130_on_the_night_the_clocks_go_back_happens_twice_and_must_be_chosen():
    day = dt.date(2026, 10, 25)
    assert is_repeated(day, HALF_ONE, LONDON)
    with pytest.raises(WallTimeError) as caught:
        instant(day, HALF_ONE, LONDON)
    assert caught.value.code == "repeated"
    assert instant(day, HALF_ONE, LONDON, "earlier") == dt.datetime(
        2026, 10, 25, 0, 30, tzinfo=dt.UTC
    )
    assert instant(day, HALF_ONE, LONDON, "later") == dt.datetime(
        2026, 10, 25, 1, 30, tzinfo=dt.UTC
    )


def test_an_unknown_timezone_is_refused():
    with pytest.raises(WallTimeError) as caught:
        instant(dt.date(2026, 7, 1), HALF_ONE, "Mars/Olympus")
    assert caught.value.code == "unknown-zone"


@pytest.mark.parametrize(
    ("moment", "zone", "typed"),
    [
        # An ordinary summer evening in London (UTC+1).
        (dt.datetime(2026, 7, 1, 18, 0), LONDON, (dt.date(2026, 7, 1), dt.time(19, 0), "")),
        # The two 01:30s of the night the clocks go back.
        (dt.datetime(2026, 10, 25, 0, 30), LONDON, (dt.date(2026, 10, 25), HALF_ONE, "earlier")),
        (dt.datetime(2026, 10, 25, 1, 30), LONDON, (dt.date(2026, 10, 25), HALF_ONE, "later")),
        # The day after the clocks go forward; and a day behind in UTC, far from London.
        (dt.datetime(2026, 3, 29, 1, 30), LONDON, (dt.date(2026, 3, 29), dt.time(2, 30), "")),
        (
            dt.datetime(2027, 1, 18, 5, 0),
            "Pacific/Auckland",
            (dt.date(2027, 1, 18), dt.time(18), ""),
        ),
    ],
)
def test_an_instant_reads_as_the_wall_time_an_editor_would_type_and_back(moment, zone, typed):
    moment = moment.replace(tzinfo=dt.UTC)
    wall = wall_time(moment, zone)
    assert (wall.date, wall.time, wall.occurrence) == typed
    assert wall.time.tzinfo is None and wall.time.fold == 0
    assert isinstance(wall.occurrence, Occurrence)
    assert instant(wall.date, wall.time, zone, wall.occurrence) == moment
