"""Registering, the waiting list, cancelling, and the refusals (services + event page)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.utils import timezone

from masthead.access.models import AccessSettings
from masthead.core.models import OutboxEmail
from masthead.events import services
from masthead.events.models import EventState, Registration

from .factories import ReaderFactory, make_event, move_start, publish, set_deadline

pytestmark = pytest.mark.django_db
Status = Registration.Status


def kinds(registration) -> list[str]:
    return [
        row.params["kind"]
        for row in OutboxEmail.objects.filter(params__registration_id=registration.pk).order_by(
            "pk"
        )
    ]


def test_a_reader_gets_a_place_and_a_confirmation():
    event = make_event(capacity=2)
    registration = services.registration_create(event=event, user=ReaderFactory())
    assert registration.status == Status.CONFIRMED
    assert kinds(registration) == ["confirmed"]


def test_a_full_event_puts_readers_on_the_waiting_list_in_order():
    event = make_event(capacity=1)
    first, second, third = ReaderFactory(), ReaderFactory(), ReaderFactory()
    services.registration_create(event=event, user=first)
    waiting = [services.registration_create(event=event, user=u) for u in (second, third)]
    assert [r.status for r in waiting] == [Status.WAITING, Status.WAITING]
    assert kinds(waiting[0]) == ["waiting"]


def test_a_cancellation_promotes_the_first_waiting_and_tells_them():
    event = make_event(capacity=1)
    first, second, third = ReaderFactory(), ReaderFactory(), ReaderFactory()
    services.registration_create(event=event, user=first)
    second_row = services.registration_create(event=event, user=second)
    third_row = services.registration_create(event=event, user=third)

    cancelled = services.registration_cancel(event=event, user=first)

    assert cancelled.status == Status.CANCELLED
    second_row.refresh_from_db()
    third_row.refresh_from_db()
    assert second_row.status == Status.CONFIRMED
    assert third_row.status == Status.WAITING
    assert kinds(second_row) == ["waiting", "promoted"]
    assert kinds(cancelled) == ["confirmed", "cancelled"]


def test_a_second_registration_is_refused_with_a_clear_message():
    event = make_event()
    reader = ReaderFactory()
    services.registration_create(event=event, user=reader)
    with pytest.raises(services.RegistrationRefused, match="already registered"):
        services.registration_create(event=event, user=reader)
    assert Registration.objects.filter(event=event, user=reader).count() == 1


def test_a_second_request_to_wait_says_where_the_reader_is():
    event = make_event(capacity=1)
    services.registration_create(event=event, user=ReaderFactory())
    reader = ReaderFactory()
    services.registration_create(event=event, user=reader)
    with pytest.raises(services.RegistrationRefused, match=r"waiting list .*number 1"):
        services.registration_create(event=event, user=reader)


def test_a_reader_who_cancelled_may_register_again_at_the_back_of_the_queue():
    event = make_event(capacity=5)
    reader = ReaderFactory()
    services.registration_create(event=event, user=reader)
    services.registration_cancel(event=event, user=reader)
    again = services.registration_create(event=event, user=reader)
    assert again.status == Status.CONFIRMED
    assert Registration.objects.filter(event=event, user=reader).count() == 1


def test_a_past_event_is_refused():
    now = timezone.now()
    event = make_event()
    with pytest.raises(services.RegistrationRefused, match="already taken place"):
        services.registration_create(
            event=event, user=ReaderFactory(), now=now + dt.timedelta(days=10)
        )


def test_registration_closes_at_the_deadline():
    event = make_event(registration_deadline=timezone.now() + dt.timedelta(days=1))
    with pytest.raises(services.RegistrationRefused, match="closed on"):
        services.registration_create(
            event=event, user=ReaderFactory(), now=timezone.now() + dt.timedelta(days=2)
        )


def test_registration_closes_at_the_start_without_a_deadline():
    event = make_event(starts_in=dt.timedelta(hours=1))
    with pytest.raises(services.RegistrationRefused) as refused:
        services.registration_create(
            event=event, user=ReaderFactory(), now=event.starts_at + dt.timedelta(minutes=5)
        )
    assert refused.value.code == "closed"


def test_cancelling_after_the_start_is_refused():
    event = make_event(starts_in=dt.timedelta(hours=1))
    reader = ReaderFactory()
    services.registration_create(event=event, user=reader)
    with pytest.raises(services.RegistrationRefused, match="already started"):
        services.registration_cancel(
            event=event, user=reader, now=event.starts_at + dt.timedelta(minutes=1)
        )


def test_cancelling_without_a_registration_is_refused():
    with pytest.raises(services.RegistrationRefused, match="aren't registered"):
        services.registration_cancel(event=make_event(), user=ReaderFactory())


def test_a_premium_event_refuses_a_registered_reader_and_takes_an_unlimited_one():
    event = make_event(audience="premium")
    with pytest.raises(services.RegistrationRefused, match="premium"):
        services.registration_create(event=event, user=ReaderFactory())
    group, _ = Group.objects.get_or_create(name="Event subscribers")
    settings_row, _created = AccessSettings.objects.get_or_create(site=event.get_site())
    settings_row.unlimited_groups.add(group)
    subscriber = ReaderFactory()
    subscriber.groups.add(group)
    assert services.registration_create(event=event, user=subscriber).status == Status.CONFIRMED


def test_a_cancelled_event_takes_no_registrations_and_tells_everyone_once():
    event = make_event(capacity=1)
    confirmed = services.registration_create(event=event, user=ReaderFactory())
    waiting = services.registration_create(event=event, user=ReaderFactory())
    assert services.event_cancel(event_id=event.pk) == 2
    assert services.event_cancel(event_id=event.pk) == 0
    assert kinds(confirmed)[-1] == "event_cancelled"
    assert kinds(waiting)[-1] == "event_cancelled"
    with pytest.raises(services.RegistrationRefused, match="cancelled"):
        services.registration_create(event=event, user=ReaderFactory())


def test_more_places_promote_from_the_waiting_list_on_publish():
    event = make_event(capacity=1)
    services.registration_create(event=event, user=ReaderFactory())
    waiting = [services.registration_create(event=event, user=ReaderFactory()) for _ in range(3)]
    event.capacity = 3
    publish(event)
    statuses = [Registration.objects.get(pk=r.pk).status for r in waiting]
    assert statuses == [Status.CONFIRMED, Status.CONFIRMED, Status.WAITING]


def test_a_new_time_raises_the_sequence_and_sends_updates_once():
    event = make_event()
    registration = services.registration_create(event=event, user=ReaderFactory())
    assert EventState.objects.get(event=event).sequence == 0
    move_start(event, -dt.timedelta(minutes=30))
    publish(event)
    publish(event)  # published again without a change: no second update
    assert EventState.objects.get(event=event).sequence == 1
    assert kinds(registration) == ["confirmed", "updated"]


def test_a_changed_title_alone_sends_no_update():
    event = make_event()
    registration = services.registration_create(event=event, user=ReaderFactory())
    event.title = "A new title"
    publish(event)
    assert kinds(registration) == ["confirmed"]


# -- the editor's bad input ------------------------------------------------------------------
def test_an_end_before_the_start_is_refused_with_a_message():
    event = make_event()
    event.end_date, event.end_time = event.start_date, dt.time(0, 0)
    with pytest.raises(ValidationError) as caught:
        event.full_clean()
    assert "must end after it starts" in str(caught.value.message_dict["end_time"])


def test_a_time_the_clocks_skip_is_refused_with_a_message():
    event = make_event()
    event.time_zone = "Europe/London"
    event.start_date, event.start_time = dt.date(2026, 3, 29), dt.time(1, 30)
    event.end_date, event.end_time = dt.date(2026, 3, 29), dt.time(3, 30)
    with pytest.raises(ValidationError) as caught:
        event.full_clean()
    assert "does not exist in Europe/London" in str(caught.value.message_dict["start_time"])


def test_a_time_the_clocks_repeat_must_be_chosen_and_then_is_exact():
    event = make_event()
    event.start_date, event.start_time = dt.date(2026, 10, 25), dt.time(1, 30)
    event.end_date, event.end_time = dt.date(2026, 10, 25), dt.time(3, 0)
    event.start_occurrence = ""
    with pytest.raises(ValidationError) as caught:
        event.full_clean()
    assert "happens twice" in str(caught.value.message_dict["start_time"])
    event.start_occurrence = "later"
    event.full_clean()
    assert event.starts_at == dt.datetime(2026, 10, 25, 1, 30, tzinfo=dt.UTC)
    event.start_occurrence = "earlier"
    event.full_clean()
    assert event.starts_at == dt.datetime(2026, 10, 25, 0, 30, tzinfo=dt.UTC)
    # 02:30 GMT minus 01:30 BST: a two-and-a-half-hour event
    assert event.ends_at - event.starts_at == dt.timedelta(hours=2, minutes=30)


def test_a_deadline_in_the_past_is_refused_with_a_message():
    event = make_event()
    set_deadline(event, timezone.now() - dt.timedelta(hours=1))
    with pytest.raises(ValidationError) as caught:
        event.full_clean()
    assert "already passed" in str(caught.value.message_dict["deadline_date"])


def test_a_deadline_after_the_end_is_refused_with_a_message():
    event = make_event()
    set_deadline(event, event.ends_at + dt.timedelta(days=1))
    with pytest.raises(ValidationError) as caught:
        event.full_clean()
    assert "before the event ends" in str(caught.value.message_dict["deadline_date"])
