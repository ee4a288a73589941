"""The reader's side: the event page, one-click registering, registering for the site from
an event, the join link's window, the calendars, the account page."""

from __future__ import annotations

import datetime as dt
from urllib.parse import unquote

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client

from masthead.events import links, services
from masthead.events.models import Registration
from masthead.readers.tests.factories import sign_in
from rigs.registration import make_legal_pages, registration_data

from .factories import ReaderFactory, make_event

pytestmark = pytest.mark.django_db
PLATFORM = "https://meet.example/secret-room"


@pytest.fixture(autouse=True)
def _fresh_limits(settings):
    settings.ALTCHA_MAX_NUMBER = 2000
    cache.clear()


def test_the_anonymous_page_is_public_and_invites_registering_for_the_site(client):
    event = make_event(join_url=PLATFORM)
    response = client.get(event.url)
    assert response.status_code == 200
    # Shared caches keep it; browsers ask again (the reader may come back signed in).
    assert "public" in response["Cache-Control"] and "s-maxage" in response["Cache-Control"]
    assert "max-age=0" in response["Cache-Control"]
    html = response.content.decode()
    assert PLATFORM not in html
    assert "Register for free and attend" in html
    assert f"/accounts/signup/?next={event.url}%3Frsvp%3D{event.pk}" in html


def test_a_signed_in_reader_registers_in_one_click(client):
    event = make_event(join_url=PLATFORM)
    reader = ReaderFactory(verified=True)
    client.force_login(reader)
    page = client.get(event.url).content.decode()
    assert "Register for this event" in page

    response = client.post(f"/events/{event.pk}/register/")
    assert response.status_code == 302
    assert response["Location"] == f"{event.url}#registration"
    assert Registration.objects.get(event=event, user=reader).status == "confirmed"
    page = client.get(event.url)
    assert "private" in page["Cache-Control"]
    html = page.content.decode()
    assert "You&#x27;re registered" in html or "You're registered" in html
    assert "opens 15 minutes before the start" in html
    assert PLATFORM not in html


def test_registering_twice_says_so(client):
    event = make_event()
    client.force_login(ReaderFactory(verified=True))
    client.post(f"/events/{event.pk}/register/")
    response = client.post(f"/events/{event.pk}/register/", follow=True)
    assert "already registered for this event" in response.content.decode()


def test_a_full_event_tells_the_reader_their_place_in_the_queue(client):
    event = make_event(capacity=1)
    services.registration_create(event=event, user=ReaderFactory())
    client.force_login(ReaderFactory(verified=True))
    response = client.post(f"/events/{event.pk}/register/", follow=True)
    html = response.content.decode()
    assert "waiting list (number 1)" in html


def test_register_needs_a_post_and_a_live_event(client):
    event = make_event()
    client.force_login(ReaderFactory(verified=True))
    assert client.get(f"/events/{event.pk}/register/").status_code == 405
    assert client.post("/events/999999/register/").status_code == 404
    assert client.post("/events/0/register/").status_code == 404


def test_an_anonymous_post_is_sent_to_register_for_the_site(client):
    event = make_event()
    response = client.post(f"/events/{event.pk}/register/")
    assert response.status_code == 302
    assert unquote(response["Location"]).endswith(f"?next={event.url}?rsvp={event.pk}")


def test_registering_for_the_site_from_an_event_registers_for_the_event(
    client, django_capture_on_commit_callbacks
):
    make_legal_pages()
    event = make_event()
    back = f"{event.url}?rsvp={event.pk}"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/accounts/signup/",
            registration_data(email="fresh@example.com", next=back),
            REMOTE_ADDR="203.0.113.9",
        )
    assert response.status_code == 302
    assert response["Location"] == back
    registration = Registration.objects.get(event=event)
    assert registration.user.email == "fresh@example.com"
    assert registration.status == "confirmed"
    page = client.get(back).content.decode()
    assert "registered. We&#x27;ve emailed you the invitation" in page


def test_signing_in_from_an_event_registers_for_the_event(client):
    event = make_event()
    reader = ReaderFactory(verified=True)
    response = sign_in(client, reader.email, next=f"{event.url}?rsvp={event.pk}")
    assert response.status_code == 302
    assert Registration.objects.get(event=event).user == reader


def test_signing_in_from_a_restricted_event_does_not_register(client):
    from wagtail.models import PageViewRestriction

    event = make_event()
    PageViewRestriction.objects.create(
        page=event, restriction_type=PageViewRestriction.PASSWORD, password="s3cret"
    )
    reader = ReaderFactory(verified=True)
    response = sign_in(client, reader.email, next=f"{event.url}?rsvp={event.pk}")
    assert response.status_code == 302
    assert not Registration.objects.filter(event=event).exists()


def test_signing_in_from_a_premium_event_says_why_there_is_no_place(client):
    event = make_event(audience="premium")
    reader = ReaderFactory(verified=True)
    response = sign_in(client, reader.email, next=f"{event.url}?rsvp={event.pk}")
    assert not Registration.objects.filter(event=event).exists()
    page = client.get(response["Location"]).content.decode()
    assert "unlimited (premium) access" in page


# -- the join link -----------------------------------------------------------------------------
def test_the_join_link_opens_only_in_its_window(client):
    event = make_event(join_url=PLATFORM, starts_in=dt.timedelta(days=1), hours=1)
    registration = services.registration_create(event=event, user=ReaderFactory())
    url = links.join_path(registration.pk)

    with time_machine.travel(event.starts_at - dt.timedelta(minutes=16), tick=False):
        early = client.get(url)
    assert early.status_code == 200
    assert "no-store" in early["Cache-Control"]
    opens = (event.starts_at - dt.timedelta(minutes=15)).astimezone(event.zone)
    assert f"This link opens at {opens:%H:%M}" in early.content.decode()
    assert PLATFORM not in early.content.decode()

    with time_machine.travel(event.starts_at - dt.timedelta(minutes=15), tick=False):
        opened = client.get(url)
    assert opened.status_code == 302 and opened["Location"] == PLATFORM
    assert "no-store" in opened["Cache-Control"]
    assert opened["Referrer-Policy"] == "no-referrer"

    with time_machine.travel(event.ends_at + dt.timedelta(minutes=1), tick=False):
        late = client.get(url)
    assert late.status_code == 200 and "This event has ended" in late.content.decode()


def test_the_page_shows_the_join_button_only_in_the_window(client):
    event = make_event(join_url=PLATFORM, starts_in=dt.timedelta(days=1))
    reader = ReaderFactory(verified=True)
    services.registration_create(event=event, user=reader)
    client.force_login(reader)
    with time_machine.travel(event.starts_at - dt.timedelta(hours=1), tick=False):
        assert "Join the event now" not in client.get(event.url).content.decode()
    with time_machine.travel(event.starts_at - dt.timedelta(minutes=5), tick=False):
        html = client.get(event.url).content.decode()
    assert "Join the event now" in html and PLATFORM not in html


@pytest.mark.parametrize("token", ["nonsense", "1:abc", "x" * 300])
def test_a_forged_join_link_is_not_found(client, token):
    assert client.get(f"/events/join/{token}/").status_code == 404


def test_a_cancelled_registrations_link_no_longer_opens(client):
    event = make_event(join_url=PLATFORM, starts_in=dt.timedelta(days=1))
    reader = ReaderFactory()
    registration = services.registration_create(event=event, user=reader)
    services.registration_cancel(event=event, user=reader)
    with time_machine.travel(event.starts_at, tick=False):
        response = client.get(links.join_path(registration.pk))
    assert response.status_code == 200
    assert "no longer valid" in response.content.decode()


# -- calendars, listing, account -----------------------------------------------------------------
def test_the_feed_lists_upcoming_events_without_join_links(client):
    upcoming = make_event(join_url=PLATFORM, title="Coming soon")
    cancelled = make_event(title="Called off")
    services.event_cancel(event_id=cancelled.pk)
    response = client.get("/events/upcoming.ics")
    assert response["Content-Type"].startswith("text/calendar")
    text = response.content.decode()
    assert "METHOD:PUBLISH" in text and "SUMMARY:Coming soon" in text
    assert "Called off" not in text
    assert PLATFORM not in text and "/events/join/" not in text
    one = client.get(f"/events/{upcoming.pk}/event.ics").content.decode()
    assert "SUMMARY:Coming soon" in one and PLATFORM not in one


def test_the_listing_shows_upcoming_and_past_events(client):
    event = make_event(title="Next week's Q&A")
    index = event.get_parent()
    with time_machine.travel(event.ends_at + dt.timedelta(days=1), tick=False):
        past = client.get(index.url).content.decode()
    now = client.get(index.url).content.decode()
    assert "Upcoming events" in now and "Next week&#x27;s Q&amp;A" in now.split("Past events")[0]
    assert "Past events" in past and "Next week&#x27;s Q&amp;A" in past.split("Past events")[1]


def test_the_account_page_lists_the_readers_events_and_cancels(client):
    event = make_event(title="Meet the desk")
    reader = ReaderFactory(verified=True)
    services.registration_create(event=event, user=reader)
    client.force_login(reader)
    page = client.get("/account/events/")
    assert page.status_code == 200 and "no-store" in page["Cache-Control"]
    assert "Meet the desk" in page.content.decode()
    response = client.post(f"/events/{event.pk}/cancel/", {"from": "account"})
    assert response["Location"] == "/account/events/"
    assert Registration.objects.get(event=event).status == "cancelled"


def test_cancelling_after_the_start_is_refused_on_the_page(client):
    event = make_event(starts_in=dt.timedelta(hours=2))
    reader = ReaderFactory(verified=True)
    services.registration_create(event=event, user=reader)
    client.force_login(reader)
    with time_machine.travel(event.starts_at + dt.timedelta(minutes=5), tick=False):
        response = client.post(f"/events/{event.pk}/cancel/", follow=True)
    assert "already started" in response.content.decode()
    assert Registration.objects.get(event=event).status == "confirmed"


def test_the_front_page_lists_the_next_events_only_when_the_editor_says_so(client):
    event = make_event(title="Live from the newsroom")
    home = event.get_parent().get_parent()
    assert "Live from the newsroom" not in client.get(home.url).content.decode()
    index = event.get_parent().specific
    index.on_front_page = True
    index.save_revision().publish()
    html = client.get(home.url).content.decode()
    assert "Upcoming events" in html and "Live from the newsroom" in html


def _front_page_with_events(**event):
    event = make_event(**event)
    index = event.get_parent().specific
    index.on_front_page = True
    index.save_revision().publish()
    return event, event.get_parent().get_parent()


def test_the_front_pages_events_are_shared_yet_follow_a_cancellation_at_once(
    client, django_capture_on_commit_callbacks, django_assert_num_queries
):
    event, home = _front_page_with_events(title="Live from the newsroom")
    assert "Live from the newsroom" in client.get(home.url).content.decode()
    with django_assert_num_queries(0):  # another reader: the list comes from the cache
        Client().get(home.url)

    with django_capture_on_commit_callbacks(execute=True):
        services.event_cancel(event_id=event.pk)

    assert "Live from the newsroom" not in client.get(home.url).content.decode()


def test_the_front_pages_events_drop_an_event_within_a_minute_of_its_end(client):
    event, home = _front_page_with_events(title="Live from the newsroom")
    assert "Live from the newsroom" in client.get(home.url).content.decode()
    with time_machine.travel(event.ends_at + dt.timedelta(seconds=61), tick=False):
        assert "Live from the newsroom" not in client.get(home.url).content.decode()


def test_the_front_pages_events_show_each_reader_their_own_chosen_timezone(client):
    _event, home = _front_page_with_events(title="Live from the newsroom")
    plain = client.get(home.url).content.decode()
    in_tokyo = client.get(f"{home.url}?tz=Asia/Tokyo").content.decode()
    assert "Asia/Tokyo" not in plain
    assert "Your time:" in in_tokyo and "Asia/Tokyo" in in_tokyo
    assert "Asia/Tokyo" not in client.get(home.url).content.decode()


def test_the_events_page_is_in_the_navigation(client):
    event = make_event()
    html = client.get(event.url).content.decode()
    assert f'href="{event.get_parent().url}"' in html


def test_the_event_page_costs_a_bounded_number_of_queries(client, django_assert_max_num_queries):
    event = make_event()
    client.get(event.url)  # warm Wagtail's site and content-type caches
    with django_assert_max_num_queries(10):
        assert client.get(event.url).status_code == 200
    reader = ReaderFactory(verified=True)
    services.registration_create(event=event, user=reader)
    client.force_login(reader)
    client.get(event.url)
    # The session and reader, the registration, the header's account links and the
    # unread-notifications count (the community app's context processor): a fixed cost.
    with django_assert_max_num_queries(21):
        assert client.get(event.url).status_code == 200
