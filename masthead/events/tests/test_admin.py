"""Editors' registrants page: the lists, CSV, attendance, a message, places, cancelling."""

from __future__ import annotations

import csv
import io

import pytest

from masthead.core.models import OutboxEmail
from masthead.events import services
from masthead.events.models import EventMessage, EventState, Registration

from .factories import ReaderFactory, make_event

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor_client(client):
    client.force_login(ReaderFactory(editor=True, verified=True))
    return client


def url(event, what="registrants"):
    return f"/admin/events/{event.pk}/{what}/"


def test_the_registrants_page_lists_the_registered_and_the_waiting(editor_client):
    event = make_event(capacity=1)
    services.registration_create(event=event, user=ReaderFactory(email="first@example.com"))
    services.registration_create(event=event, user=ReaderFactory(email="second@example.com"))
    html = editor_client.get(url(event)).content.decode()
    registered, waiting = html.split("Waiting list", 1)
    assert "first@example.com" in registered and "second@example.com" in waiting


def test_the_csv_lists_everyone_and_cannot_run_formulas(editor_client):
    event = make_event(capacity=1)
    services.registration_create(
        event=event, user=ReaderFactory(first_name="=HYPERLINK(1)", email="a@example.com")
    )
    services.registration_create(event=event, user=ReaderFactory(email="b@example.com"))
    response = editor_client.get(url(event) + "?format=csv")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:3] == ["First name", "Last name", "Email"]
    assert rows[1][0] == "'=HYPERLINK(1)" and rows[1][3] == "Registered"
    assert rows[2][2] == "b@example.com" and rows[2][4] == "1"


def test_staff_who_may_not_edit_the_event_see_nothing(client):
    event = make_event()
    client.force_login(ReaderFactory(staff=True, verified=True))
    response = client.get(url(event))
    assert response.status_code in (302, 403)
    assert b"example.com" not in response.content


def test_attendance_is_marked_and_unmarked(editor_client):
    event = make_event()
    registration = services.registration_create(event=event, user=ReaderFactory())
    editor_client.post(url(event, "attendance"), {"registration": registration.pk, "attended": "1"})
    registration.refresh_from_db()
    assert registration.attended
    editor_client.post(url(event, "attendance"), {"registration": registration.pk, "attended": "0"})
    registration.refresh_from_db()
    assert not registration.attended


def test_attendance_for_a_stranger_says_so(editor_client):
    event = make_event()
    response = editor_client.post(
        url(event, "attendance"), {"registration": "abc", "attended": "1"}, follow=True
    )
    assert "not registered for this event" in response.content.decode()


def test_a_message_without_a_subject_is_refused_with_a_message(editor_client):
    event = make_event()
    response = editor_client.post(url(event, "message"), {"subject": "  ", "body": "Hello"})
    assert response.status_code == 400
    assert "Write a subject for the message." in response.content.decode()
    assert not EventMessage.objects.exists()


def test_a_message_is_queued_for_everyone_registered(editor_client):
    event = make_event()
    for _ in range(2):
        services.registration_create(event=event, user=ReaderFactory())
    editor_client.post(url(event, "message"), {"subject": "Tonight", "body": "Bring questions."})
    assert OutboxEmail.objects.filter(renderer__endswith="message_email").count() == 2


def test_more_places_promote_the_waiting(editor_client):
    event = make_event(capacity=1)
    services.registration_create(event=event, user=ReaderFactory())
    waiting = services.registration_create(event=event, user=ReaderFactory())
    editor_client.post(url(event, "capacity"), {"capacity": "2"})
    waiting.refresh_from_db()
    assert waiting.status == Registration.Status.CONFIRMED
    event.refresh_from_db()
    assert event.capacity == 2


@pytest.mark.parametrize(
    ("value", "message"),
    [("0", "at least one place"), ("ten", "whole number"), ("", "how many readers")],
)
def test_a_bad_capacity_is_refused_with_a_message(editor_client, value, message):
    event = make_event(capacity=3)
    response = editor_client.post(url(event, "capacity"), {"capacity": value})
    assert response.status_code == 400
    assert message in response.content.decode()


def test_cancelling_the_event_needs_the_box_ticked(editor_client):
    event = make_event()
    response = editor_client.post(url(event, "cancel"), {}, follow=True)
    assert "Tick the box" in response.content.decode()
    assert not EventState.objects.get(event=event).cancelled_at
    editor_client.post(url(event, "cancel"), {"confirm": "yes"})
    assert EventState.objects.get(event=event).cancelled_at


def test_the_event_editor_opens_and_explains_a_time_that_happens_twice(editor_client):
    event = make_event()
    index = event.get_parent()
    assert editor_client.get(f"/admin/pages/add/events/eventpage/{index.pk}/").status_code == 200
    response = editor_client.get(f"/admin/pages/{event.pk}/edit/")
    assert response.status_code == 200
    assert "if the start time happens twice" in response.content.decode().lower()


def test_the_page_listing_links_to_the_registrants(editor_client):
    event = make_event()
    html = editor_client.get(f"/admin/pages/{event.get_parent().pk}/").content.decode()
    assert f"/admin/events/{event.pk}/registrants/" in html
