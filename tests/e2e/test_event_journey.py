"""An anonymous reader registers for a virtual event from its page, in a real Chromium.

Invariant: from the event's page an anonymous reader registers for the site and lands
back on the event, registered for it, with no second click; the invitation (with its
.ics) reaches their inbox on a real SMTP server; the personal join link says when it
opens before the window and takes them to the event inside it (the window is moved by
its setting, not by moving the clocks); the event page passes
axe-core's WCAG 2.x A/AA rules (serious and critical) before and after registering.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PASSWORD = "Event-journey-pass-42"


def _make_event(join_url: str):
    from masthead.events.tests.factories import make_event

    # Starts in 30 minutes: the join link opens in 15.
    return make_event(
        title="Ask the harbour desk", starts_in=dt.timedelta(minutes=30), join_url=join_url
    )


def test_an_anonymous_reader_registers_from_an_event_and_joins_in_the_window(
    page,
    live_site,
    orm,
    settings,
    smtp_settings,
    assert_accessible,
    assert_no_browser_errors,
    screenshot,
):
    with orm():
        event = _make_event(join_url=live_site("/?room=harbour"))
        event_path, event_id = event.url, event.pk

    page.goto(live_site(event_path))
    expect(page.get_by_role("heading", level=1)).to_have_text("Ask the harbour desk")
    assert "room=harbour" not in page.content()
    assert_accessible(page)
    screenshot(page, "event-anonymous")

    page.get_by_role("link", name="Register for free and attend").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Create your free account")
    email = f"event-{uuid.uuid4().hex[:8]}@example.com"
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("First name").fill("Grace")
    page.get_by_label("Last name").fill("Hopper")
    page.get_by_label("Date of birth").fill("1980-12-09")
    expect(page.locator("[data-altcha]")).to_have_attribute(
        "data-altcha-state", "verified", timeout=30_000
    )
    page.get_by_role("button", name="Register").click()

    expect(page).to_have_url(re.compile(re.escape(event_path) + r"\?rsvp=" + str(event_id)))
    expect(page.get_by_text("You're registered.", exact=True)).to_be_visible()
    expect(page.get_by_text("opens 15 minutes before the start", exact=False)).to_be_visible()
    expect(page.get_by_role("link", name="Join the event now")).to_have_count(0)
    assert_accessible(page)
    screenshot(page, "event-registered")

    invitations = [m for m in smtp_settings.recorder.messages if m["To"] == email]
    [invitation] = [m for m in invitations if "You're registered" in m["Subject"]]
    [calendar] = [p for p in invitation.walk() if p.get_content_type() == "text/calendar"]
    assert calendar.get_param("method") == "REQUEST"
    assert "METHOD:REQUEST" in calendar.get_payload(decode=True).decode()
    [text] = [p for p in invitation.walk() if p.get_content_type() == "text/plain"]
    join_link = re.search(r"http\S+/events/join/\S+/", text.get_payload(decode=True).decode())
    assert join_link is not None
    personal = join_link.group(0).split("/events/", 1)[1]

    page.goto(live_site("/events/" + personal))
    expect(page.get_by_text(re.compile(r"This link opens at \d\d:\d\d"))).to_be_visible()
    screenshot(page, "join-before-the-window")

    # The window opens: the newsroom opens links 45 minutes ahead instead of 15, so the
    # start (30 minutes away) is now inside it, without moving the clocks (the live
    # server reads the setting on each request).
    settings.EVENTS_JOIN_OPENS_MINUTES = 45
    page.goto(live_site(event_path))
    join = page.get_by_role("link", name="Join the event now")
    expect(join).to_be_visible()
    assert_accessible(page)
    join.click()
    expect(page).to_have_url(re.compile(r"\?room=harbour$"))
    assert_no_browser_errors(page)
