"""The events section of a reader's export and erasure (core.privacy)."""

from __future__ import annotations

import pytest

from masthead.events import services
from masthead.events.models import Registration
from masthead.events.privacy import erase_events, export_events

from .factories import ReaderFactory, make_event

pytestmark = pytest.mark.django_db


def test_the_export_lists_the_readers_registrations():
    event = make_event(title="Meet the desk")
    reader = ReaderFactory()
    services.registration_create(event=event, user=reader)
    [row] = export_events(reader)["registrations"]
    assert row["event"] == "Meet the desk" and row["status"] == "confirmed"


def test_erasure_removes_the_registrations_and_gives_the_place_to_the_next():
    event = make_event(capacity=1)
    leaving, waiting = ReaderFactory(), ReaderFactory()
    services.registration_create(event=event, user=leaving)
    services.registration_create(event=event, user=waiting)
    assert erase_events(leaving) == {"event_registrations_deleted": 1}
    assert not Registration.objects.filter(user=leaving).exists()
    assert Registration.objects.get(user=waiting).status == "confirmed"
