"""The registration wall in a real Chromium.

Invariant: a visitor on a registration article sees the headline, standfirst and
lead-in, then the wall (heading, benefits, the way to register and to sign in) and
none of the withheld text; the page with the wall open passes axe-core's WCAG 2.x A/AA
rules at serious and critical impact; signing in from the wall brings the reader back
to the same article at the point where the lead-in stopped (#continue) with the full
text in place; registering from the wall carries the way back with it; and a signed-in
reader on a premium article is told how many premium articles remain.
"""

from __future__ import annotations

import re
import uuid
from html import unescape
from typing import Any

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PASSWORD = "Wall-journey-pass-2024"
NO_SIDEWAYS_SCROLL = (
    "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
)


def _article(live_site: Any, level: str) -> Any:
    found = next((a for a in live_site.articles if a.access == level), None)
    if found is None:
        pytest.fail(f"the demo newsroom has no {level} article")
    return found


def _split(path: str) -> tuple[list[str], list[str]]:
    """The paragraph texts of the lead-in and of the withheld rest (from the database,
    cut where the wall's own rule cuts: the marker, or the settings' paragraph count)."""
    from masthead.access.models import AccessSettings
    from masthead.access.selectors import split_body
    from masthead.content.models import ArticlePage

    article = next(a for a in ArticlePage.objects.live() if a.url == path)
    count = AccessSettings(site_id=0).lead_in_paragraphs
    lead, rest = split_body(article.body, count)

    def texts(blocks: list[Any]) -> list[str]:
        return [
            unescape(re.sub(r"<[^>]+>", "", str(b.value.source))).strip()
            for b in blocks
            if b.block_type == "paragraph"
        ]

    return texts(lead), texts(rest)


def _make_reader() -> str:
    from django.contrib.auth import get_user_model

    email = f"wall-journey-{uuid.uuid4().hex[:8]}@example.com"
    get_user_model().objects.create_user(
        email, PASSWORD, first_name="Grace", last_name="Hopper", date_of_birth="1980-12-09"
    )
    return email


def test_visitor_meets_the_wall_and_signs_in_to_continue_in_place(
    page, live_site, orm, assert_accessible, assert_no_browser_errors, screenshot
):
    article = _article(live_site, "registration")
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
    expect(wall.get_by_role("listitem")).to_have_count(4)
    expect(wall).to_contain_text("premium articles every month")
    register = wall.get_by_role("link", name="Create your free account")
    expect(register).to_have_attribute(
        "href", re.compile(r"^/accounts/signup/\?next=.*%23continue$")
    )
    assert_accessible(page)
    assert_no_browser_errors(page)
    screenshot(page, "wall-open")

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
    assert_accessible(page)
    assert_no_browser_errors(page)
    screenshot(page, "continued-after-sign-in")


def test_registering_from_the_wall_carries_the_way_back(page, live_site, assert_no_browser_errors):
    article = _article(live_site, "registration")
    page.goto(article.path)
    page.get_by_role("link", name="Create your free account").click()
    expect(page).to_have_url(re.compile(r"/accounts/signup/\?next="))
    # The sign-up form sends the reader back to the article's #continue afterwards.
    next_field = page.locator("form input[name=next]")
    if next_field.count():
        expect(next_field.first).to_have_value(article.path + "#continue")
    else:
        assert "next=" + article.path.replace("/", "%2F") in page.url or article.path in page.url
    assert_no_browser_errors(page)


def test_signed_in_reader_sees_premium_articles_left(
    page, live_site, orm, assert_accessible, assert_no_browser_errors, screenshot
):
    article = _article(live_site, "premium")
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
    article = _article(live_site, "premium")
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
    page, live_site, orm, settings, assert_accessible, assert_no_browser_errors, screenshot
):
    # /access/ mounted as masthead/urls.py will mount it (the body fragment lives there).
    settings.ROOT_URLCONF = "masthead.access.tests.urls"
    article = _article(live_site, "registration")
    with orm():
        _lead, withheld = _split(article.path)
        email = _make_reader()
    page.goto(article.path)
    expect(page.locator("[data-body-url]")).to_have_count(1)
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


def test_the_form_in_the_wall_signs_in_and_continues_in_place(
    page, live_site, orm, settings, assert_accessible, assert_no_browser_errors, screenshot
):
    """The wall's side of the in-place journey, with a stand-in for the reader-accounts
    form fragment (masthead/access/tests/urls_with_form.py): fetched into the wall,
    errors shown in place, success continues the article without a reload."""
    settings.ROOT_URLCONF = "masthead.access.tests.urls_with_form"
    article = _article(live_site, "registration")
    with orm():
        _lead, withheld = _split(article.path)
        email = _make_reader()
    page.goto(article.path)
    page.evaluate("() => { window.__sameDocument = true; }")
    slot = page.locator("[data-form-slot]")
    expect(slot.get_by_label("Email")).to_be_visible()
    assert_accessible(page)
    slot.get_by_label("Email").fill(email)
    slot.get_by_label("Password").fill("not-the-password")
    slot.get_by_role("button", name="Join").click()
    expect(slot.get_by_role("alert")).to_have_text("Those details do not match.")
    expect(slot.get_by_label("Email")).to_have_value(email)
    slot.get_by_label("Password").fill(PASSWORD)
    slot.get_by_role("button", name="Join").click()
    expect(page.locator(".article__gated")).to_contain_text(withheld[-1][:60])
    expect(page.locator(".wall")).to_have_count(0)
    expect(page.locator("#continue")).to_be_focused()
    assert page.evaluate("() => window.__sameDocument") is True, "the page reloaded"
    assert_no_browser_errors(page)
    screenshot(page, "form-in-wall-continued")
