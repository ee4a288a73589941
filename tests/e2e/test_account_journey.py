"""A reader manages their account in a real Chromium.

Invariant: a signed-in reader reaches every account page from the navigation; changing
a newsletter choice is saved and recorded (their address not yet confirmed, the page
says the newsletter starts once it is); "Download my data" delivers a JSON file holding
their details; a profile error is shown beside the field and in a focused summary with
the input kept; deleting the account signs them out; and every account page, error
state included, passes axe-core's WCAG 2.x A/AA rules at serious and critical impact.
"""

from __future__ import annotations

import json
import re
import uuid

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PASSWORD = "Journey-pass-2024"


def _make_reader_and_newsletter() -> tuple[str, str]:
    from masthead.newsletters.models import Newsletter
    from masthead.readers.tests.factories import ReaderFactory

    tag = uuid.uuid4().hex[:8]
    email = f"account-journey-{tag}@example.com"
    ReaderFactory(email=email, password=PASSWORD)
    name = f"The Night Desk {tag}"
    Newsletter.objects.create(name=name, slug=f"night-desk-{tag}", cadence="Every evening")
    return email, name


def test_reader_manages_their_account(
    page, live_site, orm, assert_accessible, assert_no_browser_errors, screenshot, tmp_path
):
    with orm():
        email, newsletter = _make_reader_and_newsletter()

    # Sign in and land on the account page.
    page.goto("/accounts/login/?next=/account/")
    page.locator("input[name=login]").fill(email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form:has(input[name=password]) [type=submit]").first.click()
    expect(page).to_have_url(re.compile(r"/account/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Your profile")
    expect(page.get_by_text(email)).to_be_visible()
    assert_accessible(page)
    screenshot(page, "profile")

    # A profile error: beside the field, in a focused summary, input kept.
    page.get_by_label("First name").fill("R2D2")
    page.get_by_role("button", name="Save profile").click()
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link")).to_contain_text("can't contain numbers")
    expect(page.get_by_label("First name")).to_have_value("R2D2")
    expect(page.get_by_label("First name")).to_have_attribute("aria-invalid", "true")
    assert_accessible(page)
    screenshot(page, "profile-error")
    page.get_by_label("First name").fill("Augusta")
    page.get_by_role("button", name="Save profile").click()
    expect(page.get_by_role("status")).to_contain_text("Your profile has been saved.")

    # Choose a newsletter.
    nav = page.get_by_role("navigation", name="Your account")
    nav.get_by_role("link", name="Newsletters and email").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Newsletters and email")
    assert_accessible(page)
    page.get_by_label(newsletter).check()
    page.get_by_role("button", name="Save newsletter choices").click()
    expect(page.get_by_role("status")).to_contain_text("newsletter choices have been saved")
    expect(page.get_by_label(newsletter)).to_be_checked()
    # Their address is not confirmed yet: the page says the newsletter waits for that.
    expect(page.locator("[data-newsletters-unconfirmed]")).to_contain_text(
        "starts once you confirm your email address"
    )
    assert_accessible(page)
    with orm():
        from masthead.newsletters.models import MarketingChoice, Subscription

        assert Subscription.objects.filter(
            user__email=email, newsletter__name=newsletter, active=True
        ).exists()
        assert MarketingChoice.objects.filter(
            user__email=email, action="subscribe", source="account"
        ).exists()
    screenshot(page, "newsletters")

    # The stop-all switch, then allowed again.
    page.get_by_role("button", name="Stop all marketing email").click()
    expect(page.get_by_text("You've stopped all marketing email")).to_be_visible()
    expect(page.get_by_label(newsletter)).not_to_be_checked()
    assert_accessible(page)
    page.get_by_role("button", name="Allow marketing email again").click()

    # The premium articles counted this month (none yet), with the allowance.
    nav.get_by_role("link", name="Premium articles").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your premium articles")
    expect(page.locator("[data-meter-remaining]")).to_have_text("5")
    assert_accessible(page)

    # Consent history shows the choices.
    nav.get_by_role("link", name="Consent history").click()
    expect(page.get_by_role("cell", name="Stopped all marketing email")).to_be_visible()
    assert_accessible(page)

    # Where you're signed in.
    nav.get_by_role("link", name="Where you're signed in").click()
    expect(page.get_by_text("This browser")).to_be_visible()
    assert_accessible(page)

    # Download my data.
    nav.get_by_role("link", name="Download your data").click()
    assert_accessible(page)
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download my data").click()
    download = download_info.value
    assert re.fullmatch(r"masthead-data-\d{4}-\d{2}-\d{2}\.json", download.suggested_filename)
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    data = json.loads(target.read_text(encoding="utf-8"))
    assert data["sections"]["account"]["profile"]["email"] == email
    assert data["sections"]["account"]["profile"]["first_name"] == "Augusta"
    slugs = [s["newsletter"] for s in data["sections"]["newsletters"]["subscriptions"]]
    assert newsletter in slugs

    # Delete the account: a wrong password first, then for real.
    nav.get_by_role("link", name="Delete your account").click()
    assert_accessible(page)
    page.get_by_label("Your password").fill("not-My-password-1")
    page.get_by_label("I understand").check()
    page.get_by_role("button", name="Delete my account").click()
    expect(page.locator(".error-summary")).to_be_focused()
    assert_accessible(page)
    page.get_by_label("Your password").fill(PASSWORD)
    page.get_by_label("I understand").check()
    page.get_by_role("button", name="Delete my account").click()
    expect(page).to_have_url(re.compile(r"/account/deleted/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Your account has been deleted")
    assert_accessible(page)
    screenshot(page, "deleted")
    with orm():
        from django.contrib.auth import get_user_model

        assert not get_user_model().objects.filter(email=email).exists()

    # Signed out: the account page asks to sign in again.
    page.goto("/account/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    assert_no_browser_errors(page)
