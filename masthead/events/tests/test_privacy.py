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


def test_erasure_locks_every_event_in_ascending_order_before_deleting_anything():
    # The lock order PostgreSQL needs (services.registrations_erase): all the events'
    # state rows, lowest id first, then the deletes. Registered in descending order, so
    # an eraser that followed the rows' order would lock the other way round.
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    events = [make_event() for _ in range(3)]
    reader = ReaderFactory()
    for event in reversed(events):
        services.registration_create(event=event, user=reader)
    ids = sorted(e.pk for e in events)

    with CaptureQueriesContext(connection) as queries:
        assert erase_events(reader) == {"event_registrations_deleted": 3}

    sql = [q["sql"] for q in queries.captured_queries]
    state_reads = [i for i, q in enumerate(sql) if 'FROM "events_eventstate"' in q]
    deletes = [i for i, q in enumerate(sql) if q.startswith('DELETE FROM "events_registration"')]
    assert len(deletes) == 3
    assert max(state_reads) < min(deletes)
    locked = [int(sql[i].split('"event_id" = ')[1].split()[0]) for i in state_reads]
    assert locked == ids
