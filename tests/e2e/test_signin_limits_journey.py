"""When an address has had many wrong passwords from everywhere, its reader still signs
in: the sign-in page shows the automatic bot check, our script solves it in the page,
and the next press of "Sign in" goes through. The page with the check passes axe."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PASSWORD = "Journey-lights-42"


def test_a_reader_under_a_spread_out_guess_signs_in_through_the_bot_check(
    page, live_site, orm, settings, assert_accessible, assert_no_browser_errors
):
    # One wrong password from anywhere is enough to need the check in this journey.
    settings.ACCOUNT_RATE_LIMITS = {
        **settings.ACCOUNT_RATE_LIMITS,
        "login_failed_address": "1/h/key",
    }
    email = f"guarded-{uuid.uuid4().hex[:10]}@example.com"
    with orm():
        from masthead.readers.tests.factories import ReaderFactory

        ReaderFactory(email=email, password=PASSWORD)

    page.goto("/accounts/login/?next=/account/")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill("Somebody-elses-guess-1")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("[data-error-summary]")).to_be_visible()

    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("[data-error-summary]")).to_contain_text("confirm you're a person")
    expect(page.locator("[data-altcha]")).to_have_attribute(
        "data-altcha-state", "verified", timeout=30_000
    )
    assert_accessible(page)

    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/account/$"))
    assert any(cookie["name"] == "sessionid" for cookie in page.context.cookies())
    assert_no_browser_errors(page)
