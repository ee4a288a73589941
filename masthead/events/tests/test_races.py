"""Simultaneous registrations on PostgreSQL: the capacity is exact, the queue in order."""

from __future__ import annotations

import threading

import pytest
from django.db import connections

from masthead.events import services
from masthead.events.models import Registration

from .factories import ReaderFactory, make_event

pytestmark = [
    # serialized_rollback: the flush after a transactional test would otherwise wipe the
    # rows migrations made (Wagtail's root page and collection) for later tests.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.postgresql,  # concurrent writers
]


def _all_at_once(work, arguments):
    barrier = threading.Barrier(len(arguments))
    errors = []

    def run(argument):
        try:
            barrier.wait()
            work(argument)
        except Exception as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(a,)) for a in arguments]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors


def test_twenty_simultaneous_registrations_for_ten_places_make_exactly_ten():
    event = make_event(capacity=10)
    readers = [ReaderFactory() for _ in range(20)]

    _all_at_once(lambda reader: services.registration_create(event=event, user=reader), readers)

    rows = Registration.objects.filter(event=event)
    assert rows.filter(status="confirmed").count() == 10
    waiting = list(rows.filter(status="waiting").order_by("queued_at", "pk"))
    assert len(waiting) == 10
    # The waiting list is in the order the places were asked for: every confirmed
    # registration was taken before every waiting one.
    last_confirmed = rows.filter(status="confirmed").order_by("-queued_at").first()
    assert all(w.queued_at >= last_confirmed.queued_at for w in waiting)

    # Ten simultaneous cancellations: the ten waiting get the places, no more.
    confirmed = [r.user for r in rows.filter(status="confirmed")]
    _all_at_once(lambda reader: services.registration_cancel(event=event, user=reader), confirmed)
    assert rows.filter(status="confirmed").count() == 10
    assert set(rows.filter(status="confirmed").values_list("pk", flat=True)) == {
        w.pk for w in waiting
    }


def test_the_same_reader_clicking_twice_at_once_gets_one_registration():
    event = make_event(capacity=10)
    reader = ReaderFactory()
    outcomes = []

    def register(_):
        try:
            outcomes.append(services.registration_create(event=event, user=reader).status)
        except services.RegistrationRefused as refused:
            outcomes.append(refused.code)

    _all_at_once(register, list(range(6)))
    assert sorted(outcomes) == ["already"] * 5 + ["confirmed"]
    assert Registration.objects.filter(event=event, user=reader).count() == 1
