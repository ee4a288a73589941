"""The iCalendar writer (masthead.events.ics): escaping, folding, UTC times, methods."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from masthead.events import ics

START = dt.datetime(2026, 10, 25, 0, 30, tzinfo=dt.UTC)


def unfold(data: bytes) -> list[str]:
    text = data.decode("utf-8")
    assert "\n" not in text.replace("\r\n", "")  # only CRLF line ends
    return text.replace("\r\n ", "").split("\r\n")[:-1]


def unescape(value: str) -> str:
    out, i = [], 0
    while i < len(value):
        if value[i] == "\\" and i + 1 < len(value):
            out.append("\n" if value[i + 1] in "nN" else value[i + 1])
            i += 2
        else:
            out.append(value[i])
            i += 1
    return "".join(out)


def event(**fields) -> ics.Event:
    base = {
        "uid": "event-1@news.example",
        "starts_at": START,
        "ends_at": START + dt.timedelta(hours=1),
        "summary": "Q&A",
        "stamp": START,
    }
    return ics.Event(**{**base, **fields})


def test_a_calendar_has_one_event_with_utc_times_and_its_method():
    lines = unfold(ics.render(ics.Calendar(method="REQUEST", events=[event(sequence=3)])))
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-1] == "END:VCALENDAR"
    assert "METHOD:REQUEST" in lines
    assert "DTSTART:20261025T003000Z" in lines
    assert "DTEND:20261025T013000Z" in lines
    assert "SEQUENCE:3" in lines
    assert "STATUS:CONFIRMED" in lines


def test_a_cancel_says_so_twice():
    lines = unfold(ics.render(ics.Calendar(method="CANCEL", events=[event(cancelled=True)])))
    assert "METHOD:CANCEL" in lines and "STATUS:CANCELLED" in lines


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("a;b,c", "a\\;b\\,c"),
        ("back\\slash", "back\\\\slash"),
        ("two\nlines", "two\\nlines"),
        ("crlf\r\nend", "crlf\\nend"),
        ("bell\x07", "bell"),
    ],
)
def test_text_is_escaped(raw, escaped):
    assert ics.escape_text(raw) == escaped


def test_a_summary_cannot_start_a_new_property():
    data = ics.render(ics.Calendar(events=[event(summary="Hi\r\nEND:VEVENT\r\nX:1")]))
    lines = unfold(data)
    assert lines.count("END:VEVENT") == 1
    assert not any(line.startswith("X:") for line in lines)


def test_long_lines_fold_at_75_octets_without_splitting_a_character():
    data = ics.render(ics.Calendar(events=[event(description="é" * 200 + "x" * 100)]))
    for physical in data.split(b"\r\n"):
        assert len(physical) <= 75
        physical.decode("utf-8")  # never a broken character
    [line] = [x for x in unfold(data) if x.startswith("DESCRIPTION:")]
    assert line == "DESCRIPTION:" + "é" * 200 + "x" * 100


@given(st.text(max_size=300))
def test_any_text_survives_escaping_and_folding(text):
    data = ics.render(ics.Calendar(events=[event(summary=text)]))
    [line] = [x for x in unfold(data) if x.startswith("SUMMARY:")]
    cleaned = text.replace("\r\n", "\n").replace("\r", "\n")
    cleaned = "".join(c for c in cleaned if c in "\t\n" or (ord(c) >= 32 and ord(c) != 127))
    assert unescape(line.removeprefix("SUMMARY:")) == cleaned


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


def test_the_attendee_is_only_in_a_personal_invitation():
    personal = event(attendee_email="ada@example.com", attendee_name="Ada")
    assert any(
        line.startswith('ATTENDEE;CN="Ada"')
        for line in unfold(ics.render(ics.Calendar(method="REQUEST", events=[personal])))
    )
    public = unfold(ics.render(ics.Calendar(method="PUBLISH", events=[personal])))
    assert not any(line.startswith("ATTENDEE") for line in public)
