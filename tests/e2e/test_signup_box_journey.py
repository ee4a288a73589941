"""A newsletter sign-up box inside an article, in a real Chromium.

Invariants: the demo's album review carries a box for its open newsletter. Scrolled
to, the box fills with the sign-up form for a visitor (a visible label, the consent
wording); the visitor signs up from it with the keyboard, the bot check starting when
they turn to the form and the submission waiting for it, and is told to check their
inbox, where the confirmation arrives. A mistyped address is refused with a message and
kept. A signed-in reader subscribes with one click, told so in the box with focus on
the words. The article with the box filled passes axe-core's WCAG 2.x A/AA rules
(serious and critical) on a desktop and on a narrow phone, where nothing scrolls
sideways.
"""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

ARTICLE = "/culture/album-low-tide-hymns/"
PASSWORD = "Signup-box-pass-2024"


def _box(page):
    box = page.locator("[data-signup-box]")
    box.scroll_into_view_if_needed()
    return box


def test_a_visitor_signs_up_from_the_box_in_an_article(
    new_page, live_site, smtp_settings, assert_accessible, assert_no_browser_errors, screenshot
):
    email = f"box-{uuid.uuid4().hex[:8]}@example.com"
    visitor = new_page()
    visitor.goto(ARTICLE)
    box = _box(visitor)
    expect(box.get_by_role("heading", name="Reviews like this, every Saturday")).to_be_visible()
    field = box.get_by_label("Email address")
    expect(field).to_be_visible()
    expect(box.get_by_text("only to send you this newsletter")).to_be_visible()
    # Nothing is worked out for a reader who only scrolls past.
    expect(box.locator("[data-altcha]")).not_to_have_attribute("data-altcha-started", "")
    assert_accessible(visitor)
    screenshot(visitor, "signup-box")

    # The keyboard: into the field, the address, on to the button, Enter; the form
    # waits for the bot check it started when the reader came to it.
    field.focus()
    visitor.keyboard.type(email)
    button = box.get_by_role("button", name="Subscribe")
    for _ in range(4):  # past the privacy notice's link in the consent wording
        visitor.keyboard.press("Tab")
        if button.evaluate("el => el === document.activeElement"):
            break
    expect(button).to_be_focused()
    visitor.keyboard.press("Enter")
    expect(visitor.get_by_role("heading", level=1)).to_have_text("Check your inbox", timeout=30_000)
    assert_accessible(visitor)
    assert_no_browser_errors(visitor)
    assert [m for m in smtp_settings.recorder.messages if m["To"] == email]

    # A mistyped address: the sign-up page says what is wrong and keeps what was typed.
    mistyped = new_page()
    mistyped.goto(ARTICLE)
    box = _box(mistyped)
    box.get_by_label("Email address").fill("someone at example")
    expect(box.locator("[data-altcha]")).to_have_attribute(
        "data-altcha-state", "verified", timeout=30_000
    )
    box.get_by_role("button", name="Subscribe").click()
    expect(mistyped.get_by_role("heading", name="There is a problem")).to_be_visible()
    expect(mistyped.get_by_label("Email address")).to_have_value("someone at example")
    assert_accessible(mistyped)

    # A narrow phone: the article with the box filled reads without sideways scrolling.
    phone = new_page("phone-320")
    phone.goto(ARTICLE)
    expect(_box(phone).get_by_label("Email address")).to_be_visible()
    width = phone.evaluate("() => document.documentElement.scrollWidth")
    assert width <= phone.viewport_size["width"], f"the page is {width}px wide"
    assert_accessible(phone)
    screenshot(phone, "signup-box-phone")


def test_a_signed_in_reader_subscribes_with_one_click(
    new_page, live_site, orm, assert_accessible, assert_no_browser_errors, screenshot
):
    email = f"box-reader-{uuid.uuid4().hex[:8]}@example.com"
    with orm():
        from masthead.readers.tests.factories import ReaderFactory

        ReaderFactory(email=email, password=PASSWORD, verified=True)
    reader = new_page()
    reader.goto("/accounts/login/?next=" + ARTICLE)
    reader.get_by_label("Email address").fill(email)
    reader.get_by_label("Password").fill(PASSWORD)
    reader.get_by_role("button", name="Sign in").click()
    expect(reader).to_have_url(re.compile(re.escape(ARTICLE) + "$"))
    box = _box(reader)
    expect(box.get_by_text(email)).to_be_visible()
    box.get_by_role("button", name="Subscribe").click()
    status = box.get_by_role("status")
    expect(status).to_have_text(f"Done: Weekend Reads will come to {email}.")
    expect(status).to_be_focused()
    assert_accessible(reader)
    screenshot(reader, "signup-box-subscribed")
    assert_no_browser_errors(reader)
    with orm():
        from masthead.newsletters.models import Subscription

        assert Subscription.objects.get(user__email=email, newsletter__slug="weekend-reads").active
    # Back later: the box says so.
    reader.reload()
    expect(_box(reader).get_by_role("status")).to_have_text("You're subscribed to Weekend Reads.")
