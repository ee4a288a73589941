"""The registration deadline is a wall time in the event's own timezone, never the site's
(Europe/London in these tests) or the editor's, including on the nights clocks change."""

from __future__ import annotations

import datetime as dt
import importlib
import zoneinfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from masthead.events import services
from masthead.events.models import EventPage

from .factories import ReaderFactory, make_event, publish

pytestmark = pytest.mark.django_db

UTC = dt.UTC


def event_at(zone: str, start: dt.datetime, **fields) -> EventPage:
    """An event starting at the wall time `start` (naive) in `zone`, made before then."""
    starts_at = start.replace(tzinfo=zoneinfo.ZoneInfo(zone)).astimezone(UTC)
    with time_machine.travel(starts_at - dt.timedelta(days=20), tick=False):
        return make_event(
            time_zone=zone, now=starts_at, starts_in=dt.timedelta(0), hours=1, **fields
        )


def set_typed_deadline(event: EventPage, day: dt.date, time: dt.time, occurrence: str = ""):
    event.deadline_date, event.deadline_time, event.deadline_occurrence = day, time, occurrence
    with time_machine.travel(event.starts_at - dt.timedelta(days=15), tick=False):
        event.full_clean()
        return publish(event)


def refusal_at(event: EventPage, moment: dt.datetime) -> str | None:
    with time_machine.travel(moment, tick=False):
        try:
            services.registration_create(event=event, user=ReaderFactory())
        except services.RegistrationRefused as refused:
            return refused.message
    return None


def test_a_deadline_far_from_the_sites_timezone_is_read_in_the_events():
    # Auckland is 13 hours ahead of London in January: 18:00 there is 05:00 UTC.
    event = event_at("Pacific/Auckland", dt.datetime(2027, 1, 20, 19, 0))
    with timezone.override(zoneinfo.ZoneInfo("America/Los_Angeles")):  # the editor's
        event = set_typed_deadline(event, dt.date(2027, 1, 18), dt.time(18, 0))
    assert event.registration_deadline == dt.datetime(2027, 1, 18, 5, 0, tzinfo=UTC)

    assert refusal_at(event, dt.datetime(2027, 1, 18, 4, 59, tzinfo=UTC)) is None
    message = refusal_at(event, dt.datetime(2027, 1, 18, 5, 1, tzinfo=UTC))
    assert message is not None and "18 January 2027, 18:00" in message


def test_a_deadline_before_the_clocks_go_forward_uses_that_days_offset():
    # The event is on BST (UTC+1); its deadline, two days earlier, is still on GMT.
    event = event_at("Europe/London", dt.datetime(2027, 3, 29, 19, 0))
    event = set_typed_deadline(event, dt.date(2027, 3, 27), dt.time(18, 0))
    assert event.registration_deadline == dt.datetime(2027, 3, 27, 18, 0, tzinfo=UTC)
    assert refusal_at(event, dt.datetime(2027, 3, 27, 17, 30, tzinfo=UTC)) is None
    assert refusal_at(event, dt.datetime(2027, 3, 27, 18, 30, tzinfo=UTC)) is not None


def test_a_deadline_in_the_repeated_hour_closes_at_the_one_chosen():
    # New York, the night the clocks go back: 01:30 EDT (05:30 UTC), then 01:30 EST (06:30).
    event = event_at("America/New_York", dt.datetime(2026, 11, 2, 12, 0))
    with pytest.raises(ValidationError) as caught:
        set_typed_deadline(event, dt.date(2026, 11, 1), dt.time(1, 30))
    assert "happens twice" in str(caught.value.message_dict["deadline_time"])

    event = set_typed_deadline(event, dt.date(2026, 11, 1), dt.time(1, 30), "later")
    assert event.registration_deadline == dt.datetime(2026, 11, 1, 6, 30, tzinfo=UTC)
    assert refusal_at(event, dt.datetime(2026, 11, 1, 6, 0, tzinfo=UTC)) is None
    assert refusal_at(event, dt.datetime(2026, 11, 1, 6, 31, tzinfo=UTC)) is not None


def test_a_deadline_in_the_skipped_hour_is_refused_with_a_message():
    event = event_at("America/New_York", dt.datetime(2027, 3, 20, 12, 0))
    with pytest.raises(ValidationError) as caught:
        set_typed_deadline(event, dt.date(2027, 3, 14), dt.time(2, 30))
    assert "does not exist" in str(caught.value.message_dict["deadline_time"])


def test_half_a_deadline_is_refused_with_a_message():
    event = event_at("Asia/Tokyo", dt.datetime(2027, 5, 1, 20, 0))
    with pytest.raises(ValidationError) as caught:
        set_typed_deadline(event, dt.date(2027, 4, 30), None)
    assert "date and time" in str(caught.value.message_dict["deadline_time"])


def test_the_page_says_when_registration_closes_in_the_events_timezone(client):
    event = event_at("Asia/Tokyo", dt.datetime(2027, 5, 1, 20, 0))
    event = set_typed_deadline(event, dt.date(2027, 4, 30), dt.time(12, 0))
    with time_machine.travel(dt.datetime(2027, 4, 29, tzinfo=UTC), tick=False):
        page = client.get(event.url).content.decode()
    assert "Registration closes on Friday 30 April 2027, 12:00 (Asia/Tokyo)" in page
    with time_machine.travel(dt.datetime(2027, 4, 30, 3, 1, tzinfo=UTC), tick=False):
        page = client.get(event.url).content.decode()
    assert "Registration for this event has closed." in page


def test_migration_0002_turns_a_stored_deadline_into_its_wall_time_in_the_events_zone():
    from django.apps import apps

    migration = importlib.import_module(
        "masthead.events.migrations.0002_deadline_in_the_events_timezone"
    )
    # New York, the night the clocks go back: the second 01:30 (EST) is 06:30 UTC.
    event = event_at("America/New_York", dt.datetime(2026, 11, 2, 12, 0))
    deadline = dt.datetime(2026, 11, 1, 6, 30, tzinfo=UTC)
    EventPage.objects.filter(pk=event.pk).update(
        registration_deadline=deadline, deadline_date=None, deadline_time=None
    )

    migration.deadlines_as_wall_times(apps, None)

    event.refresh_from_db()
    typed = (event.deadline_date, event.deadline_time, event.deadline_occurrence)
    assert typed == (dt.date(2026, 11, 1), dt.time(1, 30), "later")
    event.full_clean()  # what the editor sees names the same instant
    assert event.registration_deadline == deadline
