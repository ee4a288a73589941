"""Calendar output (masthead.events.ics), read back with the icalendar library: methods,
UID, SEQUENCE, times in the event's zone with its VTIMEZONE, escaping and folding."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import icalendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from masthead.events import ics

START = dt.datetime(2026, 6, 10, 17, 30, tzinfo=dt.UTC)


def event(**fields) -> ics.Event:
    base = {
        "uid": "event-1@news.example",
        "starts_at": START,
        "ends_at": START + dt.timedelta(hours=1),
        "summary": "Q&A",
        "stamp": START,
        "time_zone": "Europe/Paris",
    }
    return ics.Event(**{**base, **fields})


def parse(data: bytes) -> tuple[icalendar.Calendar, icalendar.Event]:
    calendar = icalendar.Calendar.from_ical(data)
    [vevent] = calendar.walk("VEVENT")
    return calendar, vevent


def test_an_invitation_has_its_method_uid_sequence_and_exact_times():
    data = ics.render(ics.Calendar(method="REQUEST", events=[event(sequence=3)]))
    calendar, vevent = parse(data)
    assert calendar["METHOD"] == "REQUEST"
    assert str(vevent["UID"]) == "event-1@news.example"
    assert vevent.decoded("SEQUENCE") == 3
    assert vevent.decoded("DTSTART") == START
    assert vevent.decoded("DTEND") == START + dt.timedelta(hours=1)
    assert vevent["STATUS"] == "CONFIRMED"


def test_times_are_in_the_events_zone_with_its_vtimezone():
    data = ics.render(ics.Calendar(events=[event()]))
    calendar, vevent = parse(data)
    assert vevent["DTSTART"].params["TZID"] == "Europe/Paris"
    assert b"DTSTART;TZID=Europe/Paris:20260610T193000" in data
    [vtimezone] = calendar.walk("VTIMEZONE")
    assert vtimezone["TZID"] == "Europe/Paris"
    # The VTIMEZONE the library wrote gives the same offset as the zone's rules.
    assert vtimezone.to_tz().utcoffset(dt.datetime(2026, 6, 10, 19, 30)) == dt.timedelta(hours=2)


def test_an_event_in_utc_or_without_a_zone_needs_no_vtimezone():
    for zone in ("UTC", ""):
        data = ics.render(ics.Calendar(events=[event(time_zone=zone)]))
        calendar, vevent = parse(data)
        assert vevent.decoded("DTSTART") == START
        assert b"DTSTART:20260610T173000Z" in data
        assert not calendar.walk("VTIMEZONE")


def test_the_second_0130_of_the_night_the_clocks_go_back_is_not_read_as_the_first():
    london = zoneinfo.ZoneInfo("Europe/London")
    second = dt.datetime(2026, 10, 25, 1, 30, tzinfo=london, fold=1)  # 01:30 GMT
    start = second.astimezone(dt.UTC)
    data = ics.render(
        ics.Calendar(
            events=[
                event(
                    starts_at=start,
                    ends_at=start + dt.timedelta(hours=2),
                    time_zone="Europe/London",
                )
            ]
        )
    )
    _, vevent = parse(data)
    assert vevent.decoded("DTSTART") == start  # written in UTC, as it is ambiguous
    assert b"DTSTART:20261025T013000Z" in data
    # The end, 03:30 GMT, is unambiguous and stays in the event's zone.
    assert vevent["DTEND"].params["TZID"] == "Europe/London"
    assert vevent.decoded("DTEND") == start + dt.timedelta(hours=2)


def test_a_cancel_says_so_in_the_method_the_status_and_the_attendee():
    personal = event(attendee_email="ada@example.com", attendee_name="Ada", cancelled=True)
    calendar, vevent = parse(ics.render(ics.Calendar(method="CANCEL", events=[personal])))
    assert calendar["METHOD"] == "CANCEL"
    assert vevent["STATUS"] == "CANCELLED"
    assert vevent["ATTENDEE"].params["PARTSTAT"] == "DECLINED"


def test_the_attendee_is_only_in_a_personal_invitation():
    personal = event(attendee_email="ada@example.com", attendee_name='Ada "Countess"')
    _, vevent = parse(ics.render(ics.Calendar(method="REQUEST", events=[personal])))
    assert str(vevent["ATTENDEE"]) == "mailto:ada@example.com"
    assert vevent["ATTENDEE"].params["CN"] == 'Ada "Countess"'
    assert vevent["ATTENDEE"].params["PARTSTAT"] == "ACCEPTED"
    _, public = parse(ics.render(ics.Calendar(method="PUBLISH", events=[personal])))
    assert "ATTENDEE" not in public


def test_a_summary_cannot_start_a_new_property():
    data = ics.render(ics.Calendar(events=[event(summary="Hi\r\nEND:VEVENT\r\nX-EVIL:1")]))
    _, vevent = parse(data)
    assert str(vevent["SUMMARY"]) == "Hi\nEND:VEVENT\nX-EVIL:1"
    assert "X-EVIL" not in vevent
    assert data.count(b"\r\nEND:VEVENT\r\n") == 1


def test_long_lines_fold_at_75_octets_without_splitting_a_character():
    text = "é" * 200 + "x" * 100
    data = ics.render(ics.Calendar(events=[event(description=text)]))
    for physical in data.split(b"\r\n"):
        assert len(physical) <= 75
        physical.decode("utf-8")  # never a broken character
    assert str(parse(data)[1]["DESCRIPTION"]) == text


@settings(max_examples=40, deadline=None)
@given(st.text(max_size=300))
def test_any_text_survives(text):
    data = ics.render(ics.Calendar(events=[event(summary=text)]))
    cleaned = text.replace("\r\n", "\n").replace("\r", "\n")
    cleaned = "".join(c for c in cleaned if c in "\t\n" or (ord(c) >= 32 and ord(c) != 127))
    assert str(parse(data)[1]["SUMMARY"]) == cleaned


def test_naive_times_and_an_end_before_the_start_are_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        ics.format_utc(dt.datetime(2026, 1, 1, 12, 0))
    with pytest.raises(ValueError, match="end after it starts"):
        ics.render(ics.Calendar(events=[event(ends_at=START)]))


def test_an_unknown_method_and_a_uri_with_a_line_break_are_refused():
    with pytest.raises(ValueError, match="method"):
        ics.Calendar(method="REPLY")
    with pytest.raises(ValueError, match="control characters"):
        ics.render(ics.Calendar(events=[event(url="https://x.example/\r\nX:1")]))


def test_a_feed_holds_every_event_and_one_vtimezone_per_zone():
    events = [
        event(uid="a@x", time_zone="Europe/Paris"),
        event(
            uid="b@x",
            time_zone="Asia/Tokyo",
            starts_at=START + dt.timedelta(days=40),
            ends_at=START + dt.timedelta(days=40, hours=1),
        ),
        event(
            uid="c@x",
            time_zone="Europe/Paris",
            starts_at=START + dt.timedelta(days=1),
            ends_at=START + dt.timedelta(days=1, hours=1),
        ),
    ]
    calendar = icalendar.Calendar.from_ical(ics.render(ics.Calendar(name="News", events=events)))
    assert calendar["METHOD"] == "PUBLISH" and calendar["X-WR-CALNAME"] == "News"
    assert [str(v["UID"]) for v in calendar.walk("VEVENT")] == ["a@x", "b@x", "c@x"]
    assert sorted(str(v["TZID"]) for v in calendar.walk("VTIMEZONE")) == [
        "Asia/Tokyo",
        "Europe/Paris",
    ]
