"""Registering and signing in from an article, in a real Chromium.

Invariants: a reader who leaves an article to register (or sign in) comes back to the
same article, at the point they left it, signed in, with no refresh; the ALTCHA check
is solved by our own script in the page (no third party); each invalid field shows its
own message beside it and in a focused summary, keeping what was typed; the whole
registration can be done with the keyboard alone; and the registration, sign-in and
"check your inbox" pages pass axe-core's WCAG 2.x A/AA rules (serious and critical),
error states included.
"""

from __future__ import annotations

import datetime
import re
import uuid
from urllib.parse import quote

import pytest
from playwright.sync_api import expect

# Ten years old on whatever day the tests run.
UNDER_AGE = (datetime.date.today() - datetime.timedelta(days=3653)).isoformat()

pytestmark = pytest.mark.browser

PASSWORD = "Journey-lights-42"
REGISTER_BUTTON = "Register"


def _unique_email(label: str) -> str:
    return f"{label}-{uuid.uuid4().hex[:10]}@example.com"


def _signup_url_for(path: str) -> str:
    return "/accounts/signup/?next=" + quote(path + "#continue", safe="")


def _go_to_register_from(page, article_path: str) -> None:
    """From the article, follow its own register link if it has one (the wall's, not the
    header's), else the link a wall would carry: the sign-up page with
    next=<article>#continue."""
    page.goto(article_path)
    # Read in one step: on a registration article wall.js soon replaces the wall's
    # link with the form itself (the in-place journey is in test_wall_journey.py).
    href = page.evaluate(
        "() => document.querySelector(\"[data-wall] a[href^='/accounts/signup/']\")"
        "?.getAttribute('href')"
    )
    page.goto(href or _signup_url_for(article_path))
    expect(page.get_by_role("heading", level=1)).to_have_text("Create your free account")


def _wait_for_bot_check(page) -> None:
    expect(page.locator("[data-altcha]")).to_have_attribute(
        "data-altcha-state", "verified", timeout=30_000
    )


def _session_cookie(page) -> str | None:
    for cookie in page.context.cookies():
        if cookie["name"] == "sessionid":
            return cookie["value"]
    return None


def test_reader_registers_from_an_article_and_lands_back_on_it_signed_in(
    page, live_site, orm, assert_accessible, assert_no_browser_errors, screenshot, shipped_bot_check
):
    article = live_site.lead.path
    email = _unique_email("journey")
    _go_to_register_from(page, article)
    assert "next=" in page.url
    assert_accessible(page)
    screenshot(page, "register-form")

    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    # The requirements tick themselves off as the reader types.
    expect(page.locator("[data-rule].is-met")).to_have_count(4)
    page.get_by_label("First name").fill("Zoë")
    page.get_by_label("Last name").fill("O'Brien")
    page.get_by_label("Date of birth").fill("1990-03-27")
    newsletters = page.locator("input[name=newsletters]")
    if newsletters.count():
        newsletters.first.check()
    _wait_for_bot_check(page)
    page.get_by_role("button", name=REGISTER_BUTTON).click()

    expect(page).to_have_url(re.compile(re.escape(article) + "#continue$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(live_site.lead.title)
    assert _session_cookie(page)
    expect(page.locator("[data-wall=registration]")).to_have_count(0)
    with orm():
        from django.contrib.auth import get_user_model

        from masthead.readers.models import ConsentRecord

        user = get_user_model().objects.get(email=email)
        assert (user.first_name, user.last_name) == ("Zoë", "O'Brien")
        assert ConsentRecord.objects.filter(user=user).count() == 3  # the demo has all three
    assert_no_browser_errors(page)
    screenshot(page, "back-on-the-article")


def test_each_invalid_field_shows_its_message_and_keeps_the_input(
    page, live_site, assert_accessible, assert_no_browser_errors, screenshot
):
    page.goto(_signup_url_for(live_site.lead.path))
    page.get_by_label("Email address").fill("not-an-address")
    page.get_by_label("Password", exact=True).fill("short")
    page.get_by_label("First name").fill("R2D2")
    page.get_by_label("Last name").fill("<b>Bold</b>")
    page.get_by_label("Date of birth").fill(UNDER_AGE)
    _wait_for_bot_check(page)
    page.get_by_role("button", name=REGISTER_BUTTON).click()

    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_focused()
    expected = {
        "Email address": ("not-an-address", "Enter an email address in the right format"),
        "First name": ("R2D2", "can't contain numbers"),
        "Last name": ("<b>Bold</b>", "can only contain letters"),
        "Date of birth": (UNDER_AGE, "You must be 18 or over"),
    }
    for label, (value, message) in expected.items():
        field = page.get_by_label(label, exact=True)
        expect(field).to_have_value(value)
        expect(field).to_have_attribute("aria-invalid", "true")
        expect(page.locator(".field--error", has=field)).to_contain_text(message)
        expect(summary.get_by_role("link", name=re.compile(re.escape(message)))).to_be_visible()
    password = page.get_by_label("Password", exact=True)
    expect(password).to_have_value("")
    expect(password).to_have_attribute("aria-invalid", "true")
    # The summary's links take the reader to the field.
    summary.get_by_role("link", name=re.compile("can't contain numbers")).click()
    expect(page.get_by_label("First name")).to_be_focused()
    # The page still returns to the article afterwards.
    expect(page.locator("input[name=next]")).to_have_value(live_site.lead.path + "#continue")
    assert_accessible(page)
    assert_no_browser_errors(page)
    screenshot(page, "register-errors")


def test_reader_signs_in_from_an_article_and_returns_to_it(
    page, live_site, orm, assert_accessible, assert_no_browser_errors, screenshot
):
    email = _unique_email("signin")
    with orm():
        from masthead.readers.tests.factories import ReaderFactory

        ReaderFactory(email=email, password=PASSWORD, first_name="Ada", last_name="Byron")
    article = live_site.lead.path
    page.goto(article)
    # The wall's link, not the header's (which returns to the top of the page).
    link = page.locator("[data-wall] a[href^='/accounts/login/']")
    if link.count():
        link.first.click()
    else:
        page.goto("/accounts/login/?next=" + quote(article + "#continue", safe=""))
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    assert_accessible(page)
    screenshot(page, "sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(re.escape(article) + "(#continue)?$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(live_site.lead.title)
    assert _session_cookie(page)
    assert_no_browser_errors(page)


def _tab_to(page, predicate_js: str, limit: int = 60) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"() => {{ const el = document.activeElement; return {predicate_js}; }}"):
            return
    raise AssertionError(f"never reached {predicate_js} with Tab")


def test_the_whole_registration_can_be_done_with_the_keyboard(
    page, live_site, orm, assert_no_browser_errors, screenshot
):
    article = live_site.lead.path
    email = _unique_email("keyboard")
    page.goto(_signup_url_for(article))
    _tab_to(page, "el && el.name === 'email'")
    page.keyboard.type(email)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.name") == "password1"
    page.keyboard.type(PASSWORD)
    _tab_to(page, "el && el.name === 'first_name'")
    page.keyboard.type("Łukasz")
    page.keyboard.press("Tab")
    page.keyboard.type("Abdel-Salam")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.name") == "date_of_birth"
    # A native date input takes its segments in the browser locale's order.
    order = page.evaluate(
        "() => new Intl.DateTimeFormat().formatToParts(new Date(1990, 2, 27))"
        ".filter(p => p.type !== 'literal').map(p => p.type)"
    )
    parts = {"day": "27", "month": "03", "year": "1990"}
    for part in order:
        page.keyboard.type(parts[part])
    expect(page.locator("input[name=date_of_birth]")).to_have_value("1990-03-27")
    if page.locator("input[name=newsletters]").count():
        # Tab moves through the date's segments first, then on to the boxes.
        _tab_to(page, "el && el.name === 'newsletters'", limit=6)
        page.keyboard.press("Space")
        expect(page.locator("input[name=newsletters]").first).to_be_checked()
    _wait_for_bot_check(page)
    _tab_to(page, "el && el.matches('[data-register-button]')")
    screenshot(page, "keyboard-on-register")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(re.escape(article) + "#continue$"))
    with orm():
        from django.contrib.auth import get_user_model

        user = get_user_model().objects.get(email=email)
        assert (user.first_name, user.last_name) == ("Łukasz", "Abdel-Salam")
    assert_no_browser_errors(page)


@pytest.mark.parametrize(
    "path",
    [
        "/accounts/signup/",
        "/accounts/login/",
        "/accounts/login/code/",
        "/accounts/password/reset/",
        "/accounts/confirm-email/",
    ],
)
def test_entrance_pages_pass_axe(
    page, assert_accessible, assert_no_browser_errors, screenshot, path
):
    response = page.goto(path)
    assert response is not None and response.status == 200
    assert_accessible(page)
    assert_no_browser_errors(page)
    screenshot(page, path.strip("/").replace("/", "-"))


def test_sign_in_errors_pass_axe(page, assert_accessible, screenshot):
    page.goto("/accounts/login/")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("[data-error-summary]")).to_be_focused()
    assert_accessible(page)
    screenshot(page, "sign-in-errors")


def test_rules_show_as_hints_while_the_reader_types(page, live_site, assert_accessible):
    page.goto(_signup_url_for(live_site.lead.path))
    page.get_by_label("First name").fill("R2D2")
    page.get_by_label("Email address").fill("not-an-address")
    page.get_by_label("Date of birth").fill(UNDER_AGE)
    page.get_by_label("Last name").focus()
    expect(page.locator("#id_first_name_live")).to_contain_text("contain numbers")
    expect(page.locator("#id_email_live")).to_contain_text("name@example.com")
    expect(page.locator("#id_date_of_birth_live")).to_have_text(
        "You must be 18 or over to register."
    )
    page.get_by_label("First name").fill("Zoë")
    page.get_by_label("Last name").focus()
    expect(page.locator("#id_first_name_live")).to_have_text("")
    assert_accessible(page)
