"""The conversation under an article, in a real Chromium: two readers, one thread.

Invariant: a reader who registers from an article and confirms their address (by the
link in the email they were sent) can join the conversation under it, choosing a public
name at their first comment; a second reader replies to them in place (the reply form
opens under the comment, keyboard only); the first reader follows the second and their
Following feed shows the second's next comment, newest first. The article page with
its conversation, the conversation's own page, a reader's profile and the Following
feed pass axe-core's WCAG 2.x A/AA rules (serious and critical), on a desktop and a
phone, and no request fails.

The journey goes on in test_community_moderation_journey.py: following from beside a
comment, new comments slotted in place, the notification in the header and by email,
a report, and the moderator's rejection in the admin, told to the author.
"""

from __future__ import annotations

import re
import uuid
from urllib.parse import quote

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PASSWORD = "Journey-tides-42"


def _register(page, article_path: str, email: str) -> None:
    page.goto("/accounts/signup/?next=" + quote(article_path + "#continue", safe=""))
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("First name").fill("Marguerite")
    page.get_by_label("Last name").fill("Okonkwo-Hale")
    page.get_by_label("Date of birth").fill("1988-06-14")
    expect(page.locator("[data-altcha]")).to_have_attribute(
        "data-altcha-state", "verified", timeout=30_000
    )
    page.get_by_role("button", name="Register").click()
    expect(page).to_have_url(re.compile(re.escape(article_path) + "#continue$"))


def _confirmation_link(email: str) -> str:
    from django.core import mail

    for message in reversed(mail.outbox):
        if email in message.to:
            found = re.search(r"(/accounts/confirm-email/[^\s\"'<>]+)", message.body)
            if found:
                return found.group(1)
    raise AssertionError(f"no confirmation email for {email} in {len(mail.outbox)} message(s)")


def _conversation(page):
    section = page.locator("[data-conversation]")
    expect(section.locator("[data-comment-count]")).to_be_visible()
    return section


def test_two_readers_talk_follow_and_read_the_following_feed(
    new_page, live_site, orm, assert_accessible, assert_no_browser_errors, screenshot
):
    article = next(a for a in live_site.articles if a.access == "free").path
    tag = uuid.uuid4().hex[:8]
    first_email = f"first-{tag}@example.com"
    second_email = f"second-{tag}@example.com"
    with orm():
        from wagtail.models import Site

        from masthead.community.models import CommunitySettings
        from masthead.readers.tests.factories import ReaderFactory

        # The second reader comments twice within a few seconds (a journey is quicker
        # than a person); the pause between comments has tests of its own.
        config = CommunitySettings.for_site(Site.objects.get(is_default_site=True))
        config.comment_interval_seconds = 0
        config.save()
        ReaderFactory(email=second_email, password=PASSWORD, verified=True)

    # 1. The first reader registers from the article and confirms their address.
    first = new_page("desktop")
    _register(first, article, first_email)
    conversation = _conversation(first)
    expect(conversation).to_contain_text("Confirm your email address")
    with orm():
        link = _confirmation_link(first_email)
    first.goto(link)
    first.get_by_role("button", name="Confirm my address").click()
    with orm():
        from allauth.account.models import EmailAddress

        assert EmailAddress.objects.filter(email=first_email, verified=True).exists()

    # 2. Back on the article: the conversation loads under it; the first comment
    #    chooses a public name.
    first.goto(article)
    conversation = _conversation(first)
    conversation.get_by_label("Your public name").fill("Tidewatcher")
    conversation.get_by_label("Your comment").fill(
        "The new timetable leaves the island without an evening boat."
    )
    conversation.get_by_role("button", name="Post comment").click()
    mine = conversation.locator("article.comment", has_text="without an evening boat")
    expect(mine).to_be_visible()
    expect(mine).to_be_focused()
    expect(mine.get_by_role("link", name="Tidewatcher", exact=True)).to_be_visible()
    expect(conversation.locator("[data-comment-count]")).to_have_text("1 comment")
    assert_accessible(first)
    screenshot(first, "first-comment")

    # 3. The second reader signs in and replies in place, with the keyboard alone.
    second = new_page("phone")
    second.goto("/accounts/login/?next=" + quote(article, safe=""))
    second.get_by_label("Email address").fill(second_email)
    second.get_by_label("Password").fill(PASSWORD)
    second.get_by_role("button", name="Sign in").click()
    expect(second).to_have_url(re.compile(re.escape(article) + "$"))
    conversation = _conversation(second)
    reply_link = conversation.get_by_role("link", name=re.compile(r"^Reply to Tidewatcher"))
    reply_link.focus()
    second.keyboard.press("Enter")
    name = conversation.get_by_label("Your public name").last
    expect(name).to_be_focused()
    second.keyboard.type("Harbour Pilot")
    second.keyboard.press("Tab")
    second.keyboard.type("There is still the 21:40 on Fridays, but only in summer.")
    second.keyboard.press("Tab")
    second.keyboard.press("Enter")
    reply = conversation.get_by_role("article", name="Harbour Pilot", exact=True)
    expect(reply).to_be_visible()
    expect(reply).to_contain_text("21:40 on Fridays")
    expect(conversation.locator("[data-comment-count]")).to_have_text("2 comments")
    # Nested under the first comment.
    parent = conversation.get_by_role("article", name="Tidewatcher", exact=True)
    expect(parent.locator("ol article.comment", has_text="21:40")).to_have_count(1)
    assert_accessible(second)
    screenshot(second, "reply-on-a-phone")

    # 4. The first reader opens the second's profile and follows them.
    first.reload()
    conversation = _conversation(first)
    conversation.get_by_role("link", name="Harbour Pilot", exact=True).first.click()
    expect(first.get_by_role("heading", level=1)).to_have_text("Harbour Pilot")
    assert_accessible(first)
    first.get_by_role("button", name="Follow Harbour Pilot").click()
    expect(first.get_by_role("button", name="Unfollow Harbour Pilot")).to_be_visible()

    # 5. The second reader comments again; the first reader's Following feed shows it.
    second.goto(article)
    conversation = _conversation(second)
    conversation.get_by_label("Your comment").fill("Write to the ferry company: they answer.")
    conversation.get_by_role("button", name="Post comment").click()
    expect(conversation.locator("article.comment", has_text="they answer")).to_be_visible()

    first.goto("/community/following/")
    expect(first.get_by_role("heading", level=1)).to_have_text("Following")
    items = first.locator("article.comment")
    expect(items).to_have_count(2)
    expect(items.first).to_contain_text("they answer")
    expect(items.nth(1)).to_contain_text("21:40")
    assert_accessible(first)
    screenshot(first, "following-feed")

    # The conversation's own page (the way in without JavaScript) passes too.
    first.goto(f"/community/articles/{_article_id(orm, article)}/")
    expect(first.locator("article.comment")).to_have_count(3)
    assert_accessible(first)
    assert_no_browser_errors(first)
    assert_no_browser_errors(second)


def _article_id(orm, path: str) -> int:
    with orm():
        from masthead.content.models import ArticlePage

        return next(a.pk for a in ArticlePage.objects.live() if a.url == path)
