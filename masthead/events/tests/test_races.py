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


def test_erasures_and_registrations_at_once_neither_deadlock_nor_lose_a_place():
    # Two readers leave, each holding places at the same three events (taken in
    # opposite orders), while others register for and cancel at those events. A
    # deadlock would surface as an error from PostgreSQL in one of the threads.
    from masthead.events.privacy import erase_events

    events = [make_event(capacity=3) for _ in range(3)]
    leaving = [ReaderFactory(), ReaderFactory()]
    for event in events:
        services.registration_create(event=event, user=leaving[0])
    for event in reversed(events):
        services.registration_create(event=event, user=leaving[1])
    staying = ReaderFactory()
    for event in events:
        services.registration_create(event=event, user=staying)
    waiting = [ReaderFactory() for _ in events]
    for event, reader in zip(events, waiting, strict=True):
        services.registration_create(event=event, user=reader)  # full: on the list
    arriving = [ReaderFactory() for _ in events]

    def work(job):
        kind, subject = job
        if kind == "erase":
            erase_events(subject)
        elif kind == "cancel":
            services.registration_cancel(event=subject, user=staying)
        else:
            event, reader = subject
            services.registration_create(event=event, user=reader)

    jobs = [("erase", leaving[0]), ("erase", leaving[1]), ("cancel", events[1])]
    jobs += [("register", pair) for pair in zip(events, arriving, strict=True)]
    _all_at_once(work, jobs)

    assert not Registration.objects.filter(user__in=leaving).exists()
    for event in events:
        rows = Registration.objects.filter(event=event)
        confirmed = rows.filter(status="confirmed").count()
        # Three places, never more, and none left empty while someone waits: at the
        # event the staying reader left, only two readers want a place.
        assert confirmed == (2 if event == events[1] else 3)
        assert not rows.filter(status="waiting").exists()
    # Whoever waited first got a place before anyone who arrived during the erasures.
    assert all(
        Registration.objects.get(event=e, user=w).status == "confirmed"
        for e, w in zip(events, waiting, strict=True)
    )
