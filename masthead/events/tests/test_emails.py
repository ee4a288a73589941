"""Event emails as a real SMTP server receives them: invitations, updates, cancellations,
reminders exactly once."""

from __future__ import annotations

import datetime as dt
from email.message import Message

import pytest
import time_machine
from django.test import TestCase

from masthead.events import calendars, services
from masthead.events.models import EventState

from .factories import ReaderFactory, make_event, move_start, publish

pytestmark = pytest.mark.django_db

PLATFORM = "https://meet.example/secret-room"


def committed(function, *args, **kwargs):
    """Run a service and deliver what it queued (the outbox delivers on commit)."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return function(*args, **kwargs)


def calendar_of(message: Message) -> tuple[str, str]:
    """(the MIME part's method, the .ics text) of a received email."""
    [part] = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    return part.get_param("method"), part.get_payload(decode=True).decode()


def text_of(message: Message) -> str:
    [part] = [p for p in message.walk() if p.get_content_type() == "text/plain"]
    return part.get_payload(decode=True).decode()


def unfolded(ics_text: str) -> list[str]:
    return ics_text.replace("\r\n ", "").split("\r\n")


def test_the_confirmation_carries_an_invitation_with_a_personal_join_link(smtp_settings):
    event = make_event(join_url=PLATFORM, title="Ask the editor")
    reader = ReaderFactory(first_name="Grace")
    committed(services.registration_create, event=event, user=reader)

    [received] = smtp_settings.recorder.messages
    assert received["To"] == reader.email
    assert "You're registered: Ask the editor" in received["Subject"]
    method, ics_text = calendar_of(received)
    lines = unfolded(ics_text)
    assert method == "REQUEST" and "METHOD:REQUEST" in lines
    assert f"UID:{calendars.uid_for(event.pk)}" in lines
    assert "SEQUENCE:0" in lines
    assert any(line.startswith("LOCATION:http") and "/events/join/" in line for line in lines)
    body = text_of(received)
    assert "Hello Grace," in body
    assert "/events/join/" in body and "calendar.google.com" in body
    # The platform's address is in no email: only the personal link that guards it.
    assert PLATFORM not in received.as_string()
    assert received["List-Unsubscribe"] is None  # transactional


def test_the_invitation_shows_the_time_in_the_events_timezone(smtp_settings):
    event = make_event(time_zone="America/New_York")
    committed(services.registration_create, event=event, user=ReaderFactory())
    local = event.starts_at.astimezone(event.zone)
    assert f"{local:%H:%M}" in text_of(smtp_settings.recorder.messages[0])
    assert "(America/New_York)" in text_of(smtp_settings.recorder.messages[0])


def test_a_change_of_time_sends_the_same_uid_with_a_higher_sequence(smtp_settings):
    event = make_event()
    committed(services.registration_create, event=event, user=ReaderFactory())
    move_start(event, dt.timedelta(minutes=15))
    committed(publish, event)

    first, update = smtp_settings.recorder.messages
    assert "Changed:" in update["Subject"]
    method, ics_text = calendar_of(update)
    lines = unfolded(ics_text)
    assert method == "REQUEST" and "SEQUENCE:1" in lines
    assert calendar_of(first)[1].count(calendars.uid_for(event.pk)) == 1
    assert f"UID:{calendars.uid_for(event.pk)}" in lines


def test_cancelling_the_event_sends_method_cancel_in_the_mime_type_and_the_file(smtp_settings):
    event = make_event(capacity=1)
    committed(services.registration_create, event=event, user=ReaderFactory())
    committed(services.registration_create, event=event, user=ReaderFactory())
    committed(services.event_cancel, event_id=event.pk)

    cancellations = smtp_settings.recorder.messages[2:]
    assert len(cancellations) == 2
    for received in cancellations:
        assert "Cancelled:" in received["Subject"]
        method, ics_text = calendar_of(received)
        lines = unfolded(ics_text)
        assert method == "CANCEL" and "METHOD:CANCEL" in lines and "STATUS:CANCELLED" in lines
        assert f"UID:{calendars.uid_for(event.pk)}" in lines
        assert f"SEQUENCE:{EventState.objects.get(event=event).sequence}" in lines


def test_a_promoted_reader_is_emailed_an_invitation(smtp_settings):
    event = make_event(capacity=1)
    first, second = ReaderFactory(), ReaderFactory()
    committed(services.registration_create, event=event, user=first)
    committed(services.registration_create, event=event, user=second)
    committed(services.registration_cancel, event=event, user=first)

    to_second = [m for m in smtp_settings.recorder.messages if m["To"] == second.email]
    assert [m["Subject"].split(":")[1].strip() for m in to_second] == [
        "You're on the waiting list",
        "A place opened up, it's yours",
    ]
    assert calendar_of(to_second[-1])[0] == "REQUEST"
    to_first = [m for m in smtp_settings.recorder.messages if m["To"] == first.email]
    assert calendar_of(to_first[-1])[0] == "CANCEL"


def test_reminders_go_once_each_however_often_the_sweep_runs(smtp_settings):
    event = make_event(starts_in=dt.timedelta(days=2))
    early = ReaderFactory()
    committed(services.registration_create, event=event, user=early)
    day_before = event.starts_at - dt.timedelta(hours=23)
    late = ReaderFactory()
    committed(services.registration_create, event=event, user=late, now=day_before)
    smtp_settings.recorder.messages.clear()

    with time_machine.travel(day_before, tick=False):
        for _ in range(3):  # the sweep running again, or on two workers
            committed(services.reminders_send)
    with time_machine.travel(event.starts_at - dt.timedelta(minutes=50), tick=False):
        for _ in range(3):
            committed(services.reminders_send)

    subjects = sorted(
        (m["To"], m["Subject"].split(":")[1].strip()) for m in smtp_settings.recorder.messages
    )
    assert subjects == sorted(
        [
            (early.email, "Tomorrow"),  # the late reader registered after the 24-hour mark
            (early.email, "Starting in an hour"),
            (late.email, "Starting in an hour"),
        ]
    )


def test_no_reminder_for_a_cancelled_registration_or_event(smtp_settings):
    event = make_event(starts_in=dt.timedelta(days=2))
    gone = ReaderFactory()
    committed(services.registration_create, event=event, user=gone)
    committed(services.registration_cancel, event=event, user=gone)
    other = make_event(starts_in=dt.timedelta(days=2))
    committed(services.registration_create, event=other, user=ReaderFactory())
    committed(services.event_cancel, event_id=other.pk)
    smtp_settings.recorder.messages.clear()

    with time_machine.travel(event.starts_at - dt.timedelta(minutes=30), tick=False):
        committed(services.reminders_send)
    assert smtp_settings.recorder.messages == []


def test_a_reminder_queued_before_the_event_moved_is_not_sent(smtp_settings):
    event = make_event(starts_in=dt.timedelta(days=2))
    committed(services.registration_create, event=event, user=ReaderFactory())
    smtp_settings.recorder.messages.clear()
    with (
        time_machine.travel(event.starts_at - dt.timedelta(hours=20), tick=False),
        TestCase.captureOnCommitCallbacks(execute=False) as pending,
    ):
        services.reminders_send()
    # The event moves a week later before the worker delivers the queued reminder.
    event.start_date += dt.timedelta(days=7)
    event.end_date += dt.timedelta(days=7)
    committed(publish, event)
    smtp_settings.recorder.messages.clear()  # the updated invitation
    with time_machine.travel(event.starts_at - dt.timedelta(days=7, hours=19), tick=False):
        for callback in pending:
            callback()
    assert smtp_settings.recorder.messages == []


def test_an_editors_message_reaches_everyone_registered_once(smtp_settings):
    event = make_event(capacity=1)
    registered = ReaderFactory()
    committed(services.registration_create, event=event, user=registered)
    committed(services.registration_create, event=event, user=ReaderFactory())  # waiting
    smtp_settings.recorder.messages.clear()

    committed(
        services.message_send, event=event, subject="The link changes", body="See you <soon>."
    )
    [received] = smtp_settings.recorder.messages
    assert received["To"] == registered.email
    assert "The link changes" in received["Subject"]
    assert "See you <soon>." in text_of(received)


def _cancellations(recorder, event) -> list[Message]:
    found = []
    for received in recorder.messages:
        method, ics_text = calendar_of(received)
        if method == "CANCEL":
            lines = unfolded(ics_text)
            assert "METHOD:CANCEL" in lines and "STATUS:CANCELLED" in lines
            assert f"UID:{calendars.uid_for(event.pk)}" in lines
            found.append(received)
    return found


def test_unpublishing_an_event_tells_its_registrants_once_on_commit(smtp_settings):
    event = make_event(capacity=1)
    registered, waiting = ReaderFactory(), ReaderFactory()
    committed(services.registration_create, event=event, user=registered)
    committed(services.registration_create, event=event, user=waiting)
    gave_up = ReaderFactory()
    event.capacity = 2
    publish(event)
    committed(services.registration_create, event=event, user=gave_up)
    committed(services.registration_cancel, event=event, user=gave_up)
    smtp_settings.recorder.messages.clear()

    with TestCase.captureOnCommitCallbacks(execute=False) as callbacks:
        event.unpublish()
        assert smtp_settings.recorder.messages == []  # nothing before the commit
    for callback in callbacks:
        callback()

    told = _cancellations(smtp_settings.recorder, event)
    assert sorted(m["To"] for m in told) == sorted([registered.email, waiting.email])
    assert all("Cancelled:" in m["Subject"] for m in told)
    # Unpublished: the email no longer points at the page.
    assert all(event.url_path.split("/")[-2] not in text_of(m) for m in told)

    # Unpublishing again, publishing and unpublishing, deleting: nobody is told twice.
    smtp_settings.recorder.messages.clear()
    committed(event.unpublish)
    publish(event)
    committed(event.unpublish)
    committed(event.delete)
    assert smtp_settings.recorder.messages == []


def test_deleting_a_live_event_tells_its_registrants_even_though_its_rows_are_gone(
    smtp_settings,
):
    event = make_event(title="Gone for good")
    reader = ReaderFactory(first_name="Ida")
    committed(services.registration_create, event=event, user=reader)
    smtp_settings.recorder.messages.clear()
    event_id, sequence = event.pk, EventState.objects.get(event=event).sequence

    committed(event.delete)

    assert not EventState.objects.filter(event_id=event_id).exists()
    [received] = _cancellations(smtp_settings.recorder, event)
    assert received["To"] == reader.email
    assert "Hello Ida," in text_of(received) and "Gone for good" in text_of(received)
    _method, ics_text = calendar_of(received)
    assert f"SEQUENCE:{sequence + 1}" in unfolded(ics_text)


def test_a_rolled_back_unpublish_tells_nobody(smtp_settings):
    from django.db import transaction

    event = make_event()
    committed(services.registration_create, event=event, user=ReaderFactory())
    smtp_settings.recorder.messages.clear()

    with TestCase.captureOnCommitCallbacks(execute=True):
        try:
            with transaction.atomic():
                event.unpublish()
                raise RuntimeError("the editor's request failed")
        except RuntimeError:
            pass
    assert smtp_settings.recorder.messages == []
    assert not EventState.objects.get(event=event).cancelled_at


def test_the_reminders_command_runs_one_pass_and_says_how_many_are_due(smtp_settings):
    from io import StringIO

    from django.core.management import call_command
    from django.core.management.base import CommandError

    event = make_event(starts_in=dt.timedelta(minutes=50))
    with time_machine.travel(event.starts_at - dt.timedelta(hours=30), tick=False):
        committed(services.registration_create, event=event, user=ReaderFactory())
    out = StringIO()
    with TestCase.captureOnCommitCallbacks(execute=True):
        call_command("send_event_reminders", stdout=out)
    assert out.getvalue().strip() == "reminders due: 1"
    with pytest.raises(CommandError, match="more than 0"):
        call_command("send_event_reminders", "--loop", "--interval", "0")
