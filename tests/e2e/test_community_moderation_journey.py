"""Past the Following feed, in a real Chromium: follow from a comment, new comments in
place, notifications in the header and by email, a report, a rejection in the admin.

Invariant: a reader follows another from beside their comment (no page change) and asks
to hear of their comments by email at once; when the followed reader comments, the
"N new comments" link slots the comment in under the reader's eye (the link keeps its
place on the screen, the status region says what arrived), the header shows one unread
notification, and the email reaches the inbox on a real SMTP server. A third reader
reports the comment; a moderator rejects it in Wagtail's admin with a reason and an
explanation; the author is told why, on the site and by email. The pages a reader uses
on the way (article and conversation, notification settings, notifications, the
report form) pass axe-core's WCAG 2.x A/AA rules (serious and critical), and no
request fails.
"""

from __future__ import annotations

import re
import uuid
from email.message import Message
from urllib.parse import quote

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PASSWORD = "Journey-quays-42"


def _sign_in(page, email: str, next_path: str) -> None:
    page.goto("/accounts/login/?next=" + quote(next_path, safe=""))
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page).to_have_url(re.compile(re.escape(next_path) + "$"))


def _text(message: Message) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            return part.get_payload(decode=True).decode()
    return ""


def _mail_to(recorder, email: str) -> list[Message]:
    return [m for m in recorder.messages if email in str(m["To"])]


def test_follow_notify_report_reject_and_tell_the_author(
    new_page,
    live_site,
    orm,
    smtp_settings,
    assert_accessible,
    assert_no_browser_errors,
    screenshot,
):
    article = next(a for a in live_site.articles if a.access == "free").path
    tag = uuid.uuid4().hex[:8]
    author_email, fan_email, reporter_email, moderator_email = (
        f"{who}-{tag}@example.com" for who in ("author", "fan", "reporter", "moderator")
    )
    with orm():
        from wagtail.models import Site

        from masthead.community.models import CommunitySettings
        from masthead.community.services import posting
        from masthead.community.tests.moderation_rig import make_moderator
        from masthead.content.models import ArticlePage
        from masthead.readers.tests.factories import ReaderFactory

        config = CommunitySettings.for_site(Site.objects.get(is_default_site=True))
        config.comment_interval_seconds = 0
        config.save()
        author = ReaderFactory(email=author_email, password=PASSWORD, verified=True)
        for email in (fan_email, reporter_email):
            ReaderFactory(email=email, password=PASSWORD, verified=True)
        make_moderator(email=moderator_email, password=PASSWORD, verified=True)
        page = next(a for a in ArticlePage.objects.live() if a.url == article)
        article_id = page.pk
        posting.comment_post(
            user=author,
            page=page,
            body="The quay lights have been out for a week now.",
            reads_in_full=True,
            display_name=f"Quay Watcher {tag[:4]}",
        )
    name = f"Quay Watcher {tag[:4]}"

    # 1. The fan follows the author from beside their comment, in place.
    fan = new_page("desktop")
    _sign_in(fan, fan_email, "/community/notifications/settings/")
    fan.get_by_role("group", name="A new comment by someone I follow").get_by_label(
        "On the site and by email at once"
    ).check()
    assert_accessible(fan)
    fan.get_by_role("button", name="Save notification settings").click()
    fan.clock.install()  # the new-comments poll runs on this page's clock
    fan.goto(article)
    conversation = fan.locator("[data-conversation]")
    first = conversation.get_by_role("article", name=name, exact=True)
    expect(first).to_be_visible()
    first.get_by_role("button", name=f"Follow {name}", exact=True).click()
    expect(conversation.locator("[data-conversation-status]")).to_contain_text(
        f"You follow {name} now"
    )
    expect(first.get_by_role("button", name=f"Unfollow {name}", exact=True)).to_be_visible()
    expect(first.get_by_role("button", name=f"Mute {name}", exact=True)).to_be_visible()
    assert_accessible(fan)

    # 2. The author comments again, from their own browser.
    writer = new_page("phone")
    _sign_in(writer, author_email, article)
    mine = writer.locator("[data-conversation]")
    mine.get_by_label("Your comment").fill("I wrote to the harbour master about the lights.")
    mine.get_by_role("button", name="Post comment").click()
    expect(mine.locator("article.comment", has_text="harbour master")).to_be_visible()

    # 3. On the fan's page the poll offers it; a click slots it in without moving the
    #    link the reader is looking at, and the status region announces it.
    fan.clock.fast_forward("00:31")
    offer = conversation.get_by_role("link", name="Show 1 new comment")
    expect(offer).to_be_visible()
    slot = conversation.locator("[data-new-comments]")
    before = slot.bounding_box()
    offer.click()
    fresh = conversation.locator("[data-thread-list] > li").first
    expect(fresh).to_contain_text("harbour master")
    expect(conversation.locator("[data-conversation-status]")).to_have_text("1 new comment added.")
    expect(conversation.locator("[data-comment-count]")).to_have_text("2 comments")
    after = slot.bounding_box()
    assert before is not None and after is not None
    assert abs(after["y"] - before["y"]) < 1, (before, after)
    expect(conversation.locator("article.comment", has_text="harbour master")).to_have_count(1)
    screenshot(fan, "new-comment-slotted-in")

    # 4. The header counts the notification; the email is in the fan's inbox.
    fan.goto("/community/notifications/")
    expect(fan.locator(".masthead__notifications")).to_contain_text("1 unread")
    expect(fan.locator(".notification")).to_contain_text(name)
    assert_accessible(fan)
    [email] = _mail_to(smtp_settings.recorder, fan_email)
    assert name in str(email["Subject"]) or name in _text(email)
    assert "harbour master" in _text(email)

    # 5. A third reader reports the new comment.
    reporter = new_page("desktop")
    _sign_in(reporter, reporter_email, article)
    target = reporter.locator("[data-conversation] article.comment", has_text="harbour master")
    target.get_by_role("link", name=re.compile(r"^Report")).click()
    expect(reporter.get_by_role("heading", level=1)).to_have_text("Report a comment")
    assert_accessible(reporter)
    reporter.get_by_label("Off topic", exact=False).check()
    reporter.get_by_label("Anything the moderators should know").fill("Not about the ferry.")
    reporter.get_by_role("button", name="Send report").click()
    expect(reporter.get_by_text(re.compile("Thank you|report", re.I)).first).to_be_visible()

    # 6. A moderator rejects it in Wagtail's admin, with a reason and an explanation.
    moderator = new_page("desktop")
    moderator.goto("/admin/login/")
    moderator.locator("input[name=login]").fill(moderator_email)
    moderator.locator("input[name=password]").fill(PASSWORD)
    moderator.get_by_role("button", name="Sign in", exact=True).click()
    moderator.goto("/admin/comments/reported/")
    row = moderator.locator("tr", has_text="harbour master")
    row.get_by_role("link", name=re.compile(r"^Details")).click()
    moderator.get_by_label("Why is it rejected?").select_option("off_topic")
    moderator.get_by_label("Explanation for the author").fill(
        "Please keep to the article: the lights are a separate story."
    )
    moderator.get_by_role("button", name="Reject and tell the author").click()
    expect(moderator.get_by_role("status")).to_contain_text("Decision saved")
    with orm():
        from masthead.community.models import Comment, CommentStatus

        rejected = Comment.objects.get(body__contains="harbour master")
        assert rejected.status == CommentStatus.REJECTED

    # 7. The author is told why: on the site and by email.
    writer.goto("/community/notifications/")
    told = writer.locator(".notification", has_text="rejected")
    expect(told).to_contain_text("It is off topic for this conversation.")
    expect(told).to_contain_text("the lights are a separate story")
    expect(writer.locator(".masthead__notifications")).to_contain_text("unread")
    assert_accessible(writer)
    decisions = [m for m in _mail_to(smtp_settings.recorder, author_email) if "reject" in _text(m)]
    assert decisions, [str(m["Subject"]) for m in _mail_to(smtp_settings.recorder, author_email)]
    assert "the lights are a separate story" in _text(decisions[-1])

    # The conversation no longer shows it to anyone.
    fan.goto(f"/community/articles/{article_id}/")
    expect(fan.locator("article.comment", has_text="harbour master")).to_have_count(0)
    for browser_page in (fan, writer, reporter, moderator):
        assert_no_browser_errors(browser_page)
