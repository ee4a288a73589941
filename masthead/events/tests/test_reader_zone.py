"""Event times without JavaScript: the event's own timezone, named, and a timezone the
reader picks (the address's ?tz=, or saved for a signed-in reader), rendered by the server."""

from __future__ import annotations

import datetime as dt
import html
import re
import zoneinfo

import pytest
import time_machine

from .factories import ReaderFactory, make_event

pytestmark = pytest.mark.django_db

# 19:00 in London on 10 June 2027 (BST): 14:00 in New York, 04:00 next day in Tokyo.
START = dt.datetime(2027, 6, 10, 18, 0, tzinfo=dt.UTC)


@pytest.fixture
def event():
    with time_machine.travel(START - dt.timedelta(days=10), tick=False):
        yield make_event(now=START, starts_in=dt.timedelta(0), hours=1.5)


def when(page: str) -> str:
    [block] = re.findall(r'<p class="event-when".*?</p>', page, re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", block)).split())


def get(client, url: str) -> str:
    with time_machine.travel(START - dt.timedelta(days=5), tick=False):
        return client.get(url).content.decode()


def test_without_a_choice_the_time_is_the_events_own_with_its_name(client, event):
    page = get(client, event.url)
    assert when(page) == "Thursday 10 June 2027, 19:00 to 20:30 (Europe/London)"
    assert 'data-testid="reader-time"' not in page
    assert '<option value="event" selected>' in page


def test_a_timezone_in_the_address_is_rendered_by_the_server(client, event):
    response = client.get(event.url, {"tz": "America/New_York"})
    page = get(client, f"{event.url}?tz=America/New_York")
    assert when(page) == (
        "Thursday 10 June 2027, 19:00 to 20:30 (Europe/London) "
        "Your time: Thursday 10 June 2027, 14:00 to 15:30 (America/New_York)"
    )
    assert '<option value="America/New_York" selected>' in page
    # Anonymous: nothing saved, and the address stays a public cache entry of its own.
    assert "sessionid" not in response.cookies
    assert "public" in response["Cache-Control"]
    assert "Your time:" not in when(get(client, event.url))


def test_a_day_change_is_shown_in_full(client, event):
    page = get(client, f"{event.url}?tz=Asia/Tokyo")
    assert "Your time: Friday 11 June 2027, 03:00 to 04:30 (Asia/Tokyo)" in when(page)


def test_an_unknown_timezone_says_so_and_keeps_what_was_typed(client, event):
    page = get(client, f"{event.url}?tz=Mars/Olympus")
    assert '"Mars/Olympus" is not a timezone we know' in html.unescape(page)
    assert 'aria-invalid="true"' in page
    assert when(page).endswith("(Europe/London)")


def test_a_signed_in_readers_choice_is_kept_for_other_events_until_reset(client, event):
    with time_machine.travel(START - dt.timedelta(days=10), tick=False):
        other = make_event(now=START + dt.timedelta(days=7), starts_in=dt.timedelta(0))
    client.force_login(ReaderFactory(verified=True))
    get(client, f"{event.url}?tz=Asia/Tokyo")

    page = get(client, other.url)
    local = (START + dt.timedelta(days=7)).astimezone(zoneinfo.ZoneInfo("Asia/Tokyo"))
    assert f"Your time: {local:%A} {local.day} {local:%B %Y, %H:%M}" in when(page)
    assert '<option value="Asia/Tokyo" selected>' in page

    get(client, f"{other.url}?tz=event")  # "The event's own"
    assert "Your time:" not in when(get(client, event.url))


def test_the_listing_follows_the_choice_too(client, event):
    page = get(client, f"{event.get_parent().url}?tz=America/New_York")
    assert "Your time: Thursday 10 June 2027, 14:00 to 15:30 (America/New_York)" in page
