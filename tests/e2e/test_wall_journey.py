"""The registration wall in a real Chromium.

Invariant: a visitor on a registration article sees the headline, standfirst and
lead-in, then the wall (heading, benefits, the way to register and to sign in) and
none of the withheld text; the page with the wall open passes axe-core's WCAG 2.x A/AA
rules at serious and critical impact; signing in from the wall brings the reader back
to the same article at the point where the lead-in stopped (#continue) with the full
text in place: with JavaScript by registering in the form embedded in the wall, errors
shown in place, the article continued without a reload; without JavaScript through the
wall's links and a redirect back; and a signed-in reader on a premium article is told
how many premium articles remain.
"""

from __future__ import annotations

import re
import uuid
from html import unescape
from typing import Any

import pytest
from playwright.sync_api import expect

from masthead.access.api import Level

pytestmark = pytest.mark.browser

PASSWORD = "Wall-journey-pass-2024"
NO_SIDEWAYS_SCROLL = (
    "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
)


def _article(live_site: Any, level: Level) -> Any:
    found = next((a for a in live_site.articles if a.access == level), None)
    if found is None:
        pytest.fail(f"the demo newsroom has no {level} article")
    return found


def _split(path: str) -> tuple[list[str], list[str]]:
    """The paragraph texts of the lead-in and of the withheld rest (from the database,
    cut where the wall's own rule cuts: the marker or the paragraph count, within the
    word share)."""
    from masthead.access.models import AccessSettings
    from masthead.access.selectors import split_article_body
    from masthead.content.models import ArticlePage

    article = next(a for a in ArticlePage.objects.live() if a.url == path)
    split = split_article_body(article.body, AccessSettings(site_id=0))
    lead, rest = split.lead, split.withheld

    def texts(blocks: list[Any]) -> list[str]:
        return [
            unescape(re.sub(r"<[^>]+>", "", str(b.value.source))).strip()
            for b in blocks
            if b.block_type == "paragraph"
        ]

    return texts(lead), texts(rest)


def _make_reader() -> str:
    import datetime

    from masthead.readers.tests.factories import ReaderFactory

    email = f"wall-journey-{uuid.uuid4().hex[:8]}@example.com"
    ReaderFactory(
        email=email,
        password=PASSWORD,
        first_name="Grace",
        last_name="Hopper",
        date_of_birth=datetime.date(1980, 12, 9),
    )
    return email


def test_without_javascript_the_wall_links_sign_in_and_returns_to_continue(
    new_page, live_site, orm, assert_no_browser_errors, screenshot
):
    """No scripts: the wall's links are the way (registering needs the bot check's
    JavaScript, so this reader signs in), and the redirect lands at #continue. (axe-core
    cannot be injected where scripts are off; the same wall and article are checked
    with it in the journeys below.)"""
    page = new_page(javascript=False)
    article = _article(live_site, Level.REGISTRATION)
    with orm():
        lead, withheld = _split(article.path)
        email = _make_reader()
    assert lead and withheld, "the demo article is too short to test the wall"

    response = page.goto(article.path)
    assert response is not None and response.status == 200
    assert "public" in response.headers.get("cache-control", "")
    expect(page.get_by_role("heading", level=1)).to_have_text(article.title)
    body = page.locator(".article__body")
    expect(body).to_contain_text(lead[0][:60])
    expect(body).to_contain_text(lead[-1][:60])
    html = unescape(page.content())
    for text in withheld:
        assert text[:60] not in html, "withheld text reached the visitor's browser"

    wall = page.get_by_role("region", name="Register for free to continue reading")
    expect(wall).to_be_visible()
    # The allowance, newsletters, comments and events: every part of the site runs.
    expect(wall.get_by_role("listitem")).to_have_count(4)
    expect(wall).to_contain_text("premium articles every month")
    register = wall.get_by_role("link", name="Create your free account")
    expect(register).to_have_attribute(
        "href", re.compile(r"^/accounts/signup/\?next=.*%23continue$")
    )
    expect(wall.locator("form")).to_have_count(0)
    assert_no_browser_errors(page)
    screenshot(page, "wall-open-no-js")

    wall.get_by_role("link", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next="))
    page.locator("input[name=login]").fill(email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form:has(input[name=password]) [type=submit]").first.click()

    # Back on the same article, at the point where the lead-in stopped, text in place.
    expect(page).to_have_url(re.compile(re.escape(article.path) + "#continue$"))
    expect(page.locator(".article__gated")).to_contain_text(withheld[-1][:60])
    expect(page.locator(".wall")).to_have_count(0)
    expect(page.locator("#continue")).to_be_attached()
    continue_top = page.evaluate(
        "() => document.getElementById('continue').getBoundingClientRect().top"
    )
    assert -5 <= continue_top < 900 / 2, "the page did not open where the reader stopped"
    assert_no_browser_errors(page)
    screenshot(page, "continued-after-sign-in-no-js")


def test_without_javascript_registering_from_the_wall_carries_the_way_back(
    new_page, live_site, assert_no_browser_errors
):
    page = new_page(javascript=False)
    article = _article(live_site, Level.REGISTRATION)
    page.goto(article.path)
    page.get_by_role("link", name="Create your free account").click()
    expect(page).to_have_url(re.compile(r"/accounts/signup/\?next="))
    # The sign-up page sends the reader back to the article's #continue afterwards.
    expect(page.locator("form input[name=next]")).to_have_value(article.path + "#continue")
    assert_no_browser_errors(page)


def test_signed_in_reader_sees_premium_articles_left(
    page, live_site, orm, assert_accessible, assert_no_browser_errors, screenshot
):
    article = _article(live_site, Level.PREMIUM)
    with orm():
        email = _make_reader()
    page.goto("/accounts/login/?next=" + article.path)
    page.locator("input[name=login]").fill(email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form:has(input[name=password]) [type=submit]").first.click()
    expect(page).to_have_url(re.compile(re.escape(article.path) + "$"))
    expect(page.locator(".meter-note")).to_have_text(
        re.compile(r"You have 4 premium articles left this month\.")
    )
    expect(page.locator(".wall")).to_have_count(0)
    assert_accessible(page)
    assert_no_browser_errors(page)
    screenshot(page, "premium-meter")


def test_the_wall_fits_a_phone(phone_page, live_site, assert_accessible, screenshot):
    article = _article(live_site, Level.PREMIUM)
    phone_page.goto(article.path)
    expect(
        phone_page.get_by_role("region", name="Register for free to continue reading")
    ).to_be_visible()
    scroll_width, client_width = phone_page.evaluate(NO_SIDEWAYS_SCROLL)
    assert scroll_width <= client_width
    assert_accessible(phone_page)
    screenshot(phone_page, "wall-phone")


SIGN_IN_WITHOUT_LEAVING = """
async ([email, password]) => {
  // What the embedded form will do: sign in with a fetch, the page staying put.
  const page = await fetch("/accounts/login/", { credentials: "same-origin" });
  const html = await page.text();
  const token = html.match(/name="csrfmiddlewaretoken" value="([^"]+)"/)[1];
  const form = new URLSearchParams({ login: email, password, csrfmiddlewaretoken: token });
  const response = await fetch("/accounts/login/", {
    method: "POST",
    credentials: "same-origin",
    body: form,
    headers: { "X-CSRFToken": token },
  });
  return response.status;
}
"""


def test_signing_in_on_the_wall_continues_in_place_without_a_reload(
    page, live_site, orm, assert_accessible, assert_no_browser_errors, screenshot
):
    article = _article(live_site, Level.REGISTRATION)
    with orm():
        _lead, withheld = _split(article.path)
        email = _make_reader()
    page.goto(article.path)
    expect(page.locator("[data-body-url]")).to_have_count(1)
    # The page's own requests first: one that sets the CSRF cookie after the sign-in
    # form's page did would leave that form's token for an older cookie.
    page.wait_for_load_state("networkidle")
    page.evaluate("() => { window.__sameDocument = true; }")
    assert page.evaluate(SIGN_IN_WITHOUT_LEAVING, [email, PASSWORD]) == 200
    page.evaluate("() => document.dispatchEvent(new Event('masthead:signed-in'))")
    expect(page.locator(".article__gated")).to_contain_text(withheld[-1][:60])
    expect(page.locator(".wall")).to_have_count(0)
    expect(page.locator("#continue")).to_be_focused()
    assert page.evaluate("() => window.__sameDocument") is True, "the page reloaded"
    assert page.url.endswith(article.path + "#continue")
    assert_accessible(page)
    assert_no_browser_errors(page)
    screenshot(page, "continued-in-place")


def _wait_for_bot_check(scope: Any) -> None:
    expect(scope.locator("[data-altcha]")).to_have_attribute(
        "data-altcha-state", "verified", timeout=30_000
    )


def test_registering_in_the_wall_continues_in_place_without_a_reload(
    page, live_site, orm, assert_accessible, assert_no_browser_errors, screenshot
):
    """The form embedded in the wall: the bot check solves itself, a mistake is shown
    in place (what was typed kept, the summary focused), then registering signs the
    reader in and the full text appears where the lead-in stopped, same document."""
    article = _article(live_site, Level.REGISTRATION)
    with orm():
        _lead, withheld = _split(article.path)
    email = f"wall-register-{uuid.uuid4().hex[:8]}@example.com"
    page.goto(article.path)
    page.evaluate("() => { window.__sameDocument = true; }")
    wall = page.get_by_role("region", name="Register for free to continue reading")
    slot = wall.locator("[data-form-slot]")
    expect(slot.get_by_label("Email address")).to_be_visible()
    expect(slot.locator("input[name=next]")).to_have_value(article.path + "#continue")
    _wait_for_bot_check(slot)
    assert_accessible(page)
    screenshot(page, "wall-with-form")

    slot.get_by_label("Email address").fill(email)
    slot.get_by_label("Password", exact=True).fill("short")
    slot.get_by_label("First name").fill("Zoë")
    slot.get_by_label("Last name").fill("O'Brien")
    slot.get_by_label("Date of birth").fill("1990-03-27")
    slot.get_by_role("button", name="Register").click()

    summary = slot.locator("[data-error-summary]")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("at least 6 characters")
    expect(slot.get_by_label("Email address")).to_have_value(email)
    expect(slot.get_by_label("First name")).to_have_value("Zoë")
    password = slot.get_by_label("Password", exact=True)
    expect(password).to_have_value("")
    expect(password).to_have_attribute("aria-invalid", "true")
    assert page.evaluate("() => window.__sameDocument") is True, "the page reloaded"
    assert_accessible(page)
    screenshot(page, "wall-form-errors")

    password.fill(PASSWORD)
    # Pressed before the fresh check is done: the form waits for it, then goes.
    slot.get_by_role("button", name="Register").click()
    expect(page.locator(".article__gated")).to_contain_text(withheld[-1][:60])
    expect(page.locator(".wall")).to_have_count(0)
    expect(page.locator("#continue")).to_be_focused()
    assert page.evaluate("() => window.__sameDocument") is True, "the page reloaded"
    assert page.url.endswith(article.path + "#continue")
    assert any(c["name"] == "sessionid" for c in page.context.cookies())
    with orm():
        from django.contrib.auth import get_user_model

        from masthead.access.models import WallStat
        from masthead.readers.models import ConsentRecord

        user = get_user_model().objects.get(email=email)
        assert (user.first_name, user.last_name) == ("Zoë", "O'Brien")
        assert ConsentRecord.objects.filter(user=user).exists()
        from masthead.content.models import ArticlePage

        page_id = next(a.pk for a in ArticlePage.objects.live() if a.url == article.path)
        # The registration is credited to the article whose wall led to it.
        assert WallStat.objects.filter(article_id=page_id, kind="completed").exists()
    assert_accessible(page)
    assert_no_browser_errors(page)
    screenshot(page, "registered-in-the-wall")
