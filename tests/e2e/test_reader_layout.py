"""Reader pages on narrow phones, in a real Chromium.

Invariants: every page reflows at 320 and 360 CSS px (WCAG 1.4.10: nothing scrolls
sideways; the account pages too, so the account journey has no check of its own at
390 px); every box a reader types into on the registration form is at least 200 px
wide at 360 px; every section in the navigation is in view at 360 px; the consent
history's scroll box is reachable with the keyboard; a server error goes (from the
field and the summary) once the reader fixes that field; the header says who is signed
in, including straight after registering in an article's wall; and a plain page view
asks the server for nothing that is missing (favicon included).
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from playwright.sync_api import expect

from masthead.access.api import Level

pytestmark = pytest.mark.browser

PASSWORD = "Narrow-pages-2024"
NARROWEST = "phone-320"
OVERFLOW = "() => [document.scrollingElement.scrollWidth, window.innerWidth]"
TYPED_INPUTS = (
    "input[type=text], input[type=email], input[type=password], input[type=date], input:not([type])"
)


def _patient(page: Any) -> Any:
    """Longer waits than the harness's 10 s: these journeys run on busy shared machines."""
    page.context.set_default_timeout(60_000)
    return page


def _article(live_site: Any, level: Level) -> Any:
    found = next((a for a in live_site.articles if a.access == level), None)
    if found is None:
        pytest.fail(f"the demo newsroom has no {level} article")
    return found


def _make_reader() -> str:
    from masthead.readers.tests.factories import ReaderFactory

    email = f"narrow-{uuid.uuid4().hex[:8]}@example.com"
    ReaderFactory(email=email, password=PASSWORD)
    return email


def _sign_in(page: Any, email: str, path: str = "/account/") -> None:
    page.goto(f"/accounts/login/?next={path}")
    page.locator("input[name=login]").fill(email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form:has(input[name=password]) [type=submit]").first.click()
    expect(page).to_have_url(re.compile(re.escape(path) + "$"))


def _assert_reflows(page: Any) -> None:
    scroll_width, viewport = page.evaluate(OVERFLOW)
    assert scroll_width <= viewport, (
        f"{page.url} is {scroll_width} px wide in a {viewport} px viewport"
    )


@pytest.mark.parametrize("device", [NARROWEST, "phone-360"])
def test_anonymous_pages_reflow_on_a_narrow_phone(
    new_page, live_site, device, assert_accessible, assert_no_browser_errors
):
    page = _patient(new_page(device))
    for path in (
        "/",
        _article(live_site, Level.FREE).path,
        _article(live_site, Level.REGISTRATION).path,
        "/accounts/signup/",
        "/accounts/login/",
        "/accounts/password/reset/",
    ):
        page.goto(path)
        page.wait_for_load_state("load")
        _assert_reflows(page)
    assert_accessible(page)
    assert_no_browser_errors(page)


@pytest.mark.parametrize("device", [NARROWEST, "phone-360"])
def test_account_pages_reflow_on_a_narrow_phone(
    new_page, live_site, orm, device, assert_accessible, assert_no_browser_errors
):
    with orm():
        email = _make_reader()
    page = _patient(new_page(device))
    _sign_in(page, email)
    for path in (
        "/account/",
        "/account/newsletters/",
        "/account/reading/",
        "/account/history/",
        "/account/sessions/",
        "/accounts/email/",
        "/accounts/password/change/",
        "/accounts/logout/",
    ):
        page.goto(path)
        _assert_reflows(page)
        if device == NARROWEST:
            # axe-core once per page, at the narrowest width; the account journey runs
            # it on the same pages at desktop width.
            assert_accessible(page)
    assert_no_browser_errors(page)


def test_every_registration_box_is_usable_width_on_a_360_px_phone(new_page, live_site):
    page = _patient(new_page("phone-360"))
    page.goto("/accounts/signup/")
    widths = page.evaluate(
        """(selector) => Array.from(document.querySelectorAll(selector))
            .filter((input) => input.offsetParent !== null && !input.closest('.honeypot'))
            .map((input) => [input.name, input.getBoundingClientRect().width])""",
        TYPED_INPUTS,
    )
    assert {name for name, _ in widths} >= {
        "email",
        "password1",
        "first_name",
        "last_name",
        "date_of_birth",
    }
    narrow = [(name, width) for name, width in widths if width < 200]
    assert not narrow, f"inputs under 200 px wide at 360 px: {narrow}"
    # The show-password button no longer squeezes the box it belongs to.
    page.get_by_role("button", name="Show password").click()
    assert page.locator("#id_password1").bounding_box()["width"] >= 200


def test_every_section_is_in_view_on_a_360_px_phone(new_page, live_site):
    page = _patient(new_page("phone-360"))
    page.goto("/")
    links = page.locator(".sections-nav a")
    assert links.count() >= 4
    for index in range(links.count()):
        box = links.nth(index).bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 360, (
            f"{links.nth(index).inner_text()} is cut off at 360 px"
        )


def test_the_consent_table_scroll_box_is_reachable_by_keyboard(
    new_page, live_site, orm, assert_accessible
):
    with orm():
        email = _make_reader()
        from django.contrib.auth import get_user_model

        from masthead.readers.models import ConsentRecord

        user = get_user_model().objects.get(email=email)
        ConsentRecord.objects.create(
            user=user, document="terms", version="2026-01", source="registration"
        )
    page = _patient(new_page("phone-320"))
    _sign_in(page, email, "/account/history/")
    box = page.get_by_role("group", name="Terms and policies you accepted")
    expect(box).to_have_attribute("tabindex", "0")
    # Keyboard only: Tab from the heading reaches the box, and arrows scroll it.
    page.locator("#consents").evaluate(
        "(h) => { h.tabIndex = -1; h.focus(); h.removeAttribute('tabindex'); }"
    )
    page.keyboard.press("Tab")
    expect(box).to_be_focused()
    assert_accessible(page)


def test_fixing_a_field_clears_its_server_error_and_summary_line(
    page, live_site, assert_accessible
):
    _patient(page)
    page.goto("/accounts/signup/")
    page.get_by_label("Email address").fill(f"fix-{uuid.uuid4().hex[:8]}@example.com")
    page.get_by_label("First name").fill("Ada2")
    page.get_by_label("Last name").fill("Lovelace")
    page.get_by_label("Date of birth").fill("1985-12-10")
    page.get_by_role("button", name="Register").click()
    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link", name=re.compile("first name", re.IGNORECASE))).to_have_count(
        1
    )
    first = page.get_by_label("First name")
    expect(first).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#id_first_name_error")).to_be_visible()

    first.fill("Ada")
    first.blur()
    # The old message, its red bar and its summary line go; the other errors stay.
    expect(page.locator("#id_first_name_error")).to_have_count(0)
    expect(first).not_to_have_attribute("aria-invalid", "true")
    expect(summary.get_by_role("link", name=re.compile("first name", re.IGNORECASE))).to_have_count(
        0
    )
    expect(summary.get_by_role("link", name=re.compile("password", re.IGNORECASE))).to_have_count(1)

    # Broken again: the live hint says so, and no stale server message contradicts it.
    first.fill("Ada3")
    first.blur()
    expect(page.locator("#id_first_name_live")).to_contain_text("numbers")
    expect(page.locator("#id_first_name_error")).to_have_count(0)
    assert_accessible(page)


def test_header_says_who_is_signed_in(page, live_site, orm, assert_accessible):
    _patient(page)
    page.goto("/")
    header = page.get_by_role("banner")
    expect(header.get_by_role("link", name="Sign in")).to_be_visible()
    expect(header.get_by_role("link", name="Register")).to_be_visible()
    with orm():
        email = _make_reader()
    _sign_in(page, email, "/")
    expect(header).to_contain_text("Ada Lovelace")
    expect(header.get_by_role("link", name="Your account")).to_be_visible()
    expect(header.get_by_role("link", name="Sign out")).to_be_visible()
    expect(header.get_by_role("link", name="Sign in")).to_have_count(0)
    assert_accessible(page)


def test_after_registering_in_the_wall_the_header_shows_the_reader(
    page, live_site, assert_accessible, assert_no_browser_errors
):
    _patient(page)
    article = _article(live_site, Level.REGISTRATION)
    page.goto(article.path)
    page.evaluate("() => { window.__sameDocument = true; }")
    header = page.get_by_role("banner")
    expect(header.get_by_role("link", name="Register")).to_be_visible()
    slot = page.locator("[data-form-slot]")
    slot.get_by_label("Email address").fill(f"wall-header-{uuid.uuid4().hex[:8]}@example.com")
    slot.get_by_label("Password", exact=True).fill(PASSWORD)
    slot.get_by_label("First name").fill("Grace")
    slot.get_by_label("Last name").fill("Hopper")
    slot.get_by_label("Date of birth").fill("1980-12-09")
    expect(slot.locator("[data-altcha]")).to_have_attribute(
        "data-altcha-state", "verified", timeout=30_000
    )
    slot.get_by_role("button", name="Register").click()
    expect(page.locator(".wall")).to_have_count(0)
    expect(header).to_contain_text("Grace Hopper")
    expect(header.get_by_role("link", name="Sign out")).to_be_visible()
    expect(header.get_by_role("link", name="Register")).to_have_count(0)
    assert page.evaluate("() => window.__sameDocument") is True, "the page reloaded"
    assert_accessible(page)
    assert_no_browser_errors(page)
