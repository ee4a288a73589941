"""A reader's first visit: the front page, then the lead story, in a real Chromium.

Invariant: the newsroom's name and its lead story are visible on the front page; the
lead story's link opens the article with its headline, byline and body; both pages pass
axe-core's WCAG 2.x A/AA rules at serious and critical impact; and on a phone the
article never scrolls sideways.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

NO_SIDEWAYS_SCROLL = (
    "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
)


def test_reader_opens_the_lead_story_from_the_front_page(
    page, live_site, assert_accessible, assert_no_browser_errors, screenshot
):
    response = page.goto("/")
    assert response is not None and response.status == 200

    expect(page.get_by_role("banner").get_by_role("link", name=live_site.site_name)).to_be_visible()
    lead = page.get_by_role("region", name="Lead story")
    lead_link = lead.get_by_role("link", name=live_site.lead.title, exact=True).first
    expect(lead_link).to_be_visible()
    assert_accessible(page)
    assert_no_browser_errors(page)
    screenshot(page, "front-page")

    lead_link.click()
    expect(page).to_have_url(re.compile(re.escape(live_site.lead.path) + "$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(live_site.lead.title)
    byline = page.locator(".byline")
    expect(byline).to_be_visible()
    for author in live_site.lead.authors:
        expect(byline).to_contain_text(author)
    paragraphs = page.locator(".article__body p")
    expect(paragraphs.first).to_be_visible()
    assert paragraphs.count() >= 1
    assert_accessible(page)
    assert_no_browser_errors(page)
    screenshot(page, "article")


@pytest.mark.parametrize("which", ["front-page", "article"])
def test_pages_do_not_scroll_sideways_on_a_phone(
    phone_page, live_site, assert_no_browser_errors, screenshot, which
):
    path = "/" if which == "front-page" else live_site.lead.path
    response = phone_page.goto(path)
    assert response is not None and response.status == 200
    phone_page.wait_for_load_state("load")

    scroll_width, client_width = phone_page.evaluate(NO_SIDEWAYS_SCROLL)
    assert client_width == 390
    assert scroll_width <= client_width, (
        f"{path} is {scroll_width}px wide on a {client_width}px phone: it scrolls sideways"
    )
    assert_no_browser_errors(phone_page)
    screenshot(phone_page, f"phone-{which}")


def test_no_article_scrolls_sideways_on_a_phone(phone_page, live_site, screenshot):
    # Every demo article, so each kind of body block (quotes, fact boxes, images, video)
    # is laid out at phone width at least once.
    assert live_site.articles, "the demo newsroom has no articles"
    too_wide = []
    for article in live_site.articles:
        phone_page.goto(article.path, wait_until="load")
        scroll_width, client_width = phone_page.evaluate(NO_SIDEWAYS_SCROLL)
        if scroll_width > client_width:
            shot = screenshot(phone_page, f"too-wide-{article.path.strip('/')}")
            too_wide.append(f"{article.path}: {scroll_width}px > {client_width}px ({shot.name})")
    assert not too_wide, "articles that scroll sideways on a 390px phone:\n" + "\n".join(too_wide)
