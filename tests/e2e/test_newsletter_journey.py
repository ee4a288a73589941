"""Newsletters in a real Chromium: someone without an account signs up to an open one,
and an editor composes, previews and sends an issue that reaches them.

Invariants: from the public list of newsletters a visitor reaches an open newsletter's
sign-up page, signs up with the keyboard alone (the bot check solving itself), and is
told to check their inbox; the confirmation email arrives on a real SMTP server and its
link, followed and confirmed, subscribes them. A bad address is refused with a message
and kept. Every one of those pages passes axe-core's WCAG 2.x A/AA rules (serious and
critical) on a desktop and on a phone, where nothing scrolls sideways. The editor's
send page (previews, articles, the send button) and its progress, once the issue goes,
pass axe too, and the subscriber gets exactly one copy.
"""

from __future__ import annotations

import re
import uuid

import pytest
from django.conf import settings
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

EDITOR = "editor@masthead.example"
OPEN_SLUG = "weekend-reads"


def _tab_to(page, predicate_js: str, limit: int = 60) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"() => {{ const el = document.activeElement; return {predicate_js}; }}"):
            return
    raise AssertionError(f"never reached {predicate_js} with Tab")


def _no_sideways_scroll(page) -> None:
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"the page is {width}px wide"


def _settled(page) -> None:
    """Wait for the admin's message box to finish fading in: axe would measure a
    half-faded colour. (Other admin animations, such as a badge's ping, are not ours.)"""
    page.wait_for_function(
        "() => document.getAnimations().every(a => a.playState !== 'running'"
        " || !(a.effect.target && a.effect.target.closest('.messages')))"
    )


def _demo_password() -> str:
    from masthead.demo.loader import DEFAULT_DEMO_PASSWORD

    return settings.MASTHEAD_DEMO_PASSWORD or DEFAULT_DEMO_PASSWORD


def test_a_visitor_signs_up_with_the_keyboard_confirms_and_gets_the_issue(
    new_page,
    live_site,
    orm,
    smtp_settings,
    assert_accessible,
    assert_no_browser_errors,
    screenshot,
):
    email = f"open-{uuid.uuid4().hex[:8]}@example.com"
    visitor = new_page()

    # The public list leads to the open newsletter's page.
    visitor.goto(live_site("/newsletters/"))
    expect(visitor.get_by_role("heading", level=1)).to_have_text("Newsletters")
    assert_accessible(visitor)
    visitor.get_by_role("link", name="Sign up for Weekend Reads").click()
    expect(visitor.get_by_role("heading", level=1)).to_have_text("Sign up for Weekend Reads")
    # The honeypot is for scripts only: off-screen, and hidden from assistive technology.
    expect(visitor.locator("input[name=reference]")).not_to_be_in_viewport()
    assert_accessible(visitor)
    screenshot(visitor, "newsletter-signup")

    # A bad address (on a page of its own: its answer is a 400 on purpose): a message
    # on the field, what was typed kept.
    mistyped = new_page()
    mistyped.goto(live_site(f"/newsletters/join/{OPEN_SLUG}/"))
    mistyped.get_by_label("Email address").fill("someone at example")
    expect(mistyped.locator("[data-altcha]")).to_have_attribute(
        "data-altcha-state", "verified", timeout=30_000
    )
    mistyped.get_by_role("button", name="Subscribe").click()
    expect(mistyped.get_by_role("heading", name="There is a problem")).to_be_visible()
    expect(mistyped.get_by_label("Email address")).to_have_value("someone at example")
    assert_accessible(mistyped)
    screenshot(mistyped, "newsletter-signup-error")

    # With the keyboard alone.
    _tab_to(visitor, "el && el.name === 'email'")
    visitor.keyboard.type(email)
    expect(visitor.locator("[data-altcha]")).to_have_attribute(
        "data-altcha-state", "verified", timeout=30_000
    )
    _tab_to(visitor, "el && el.type === 'submit'")
    visitor.keyboard.press("Enter")
    expect(visitor.get_by_role("heading", level=1)).to_have_text("Check your inbox")
    assert_accessible(visitor)

    # The confirmation email, through the outbox to the real SMTP server.
    [confirmation] = [m for m in smtp_settings.recorder.messages if m["To"] == email]
    [text] = [p for p in confirmation.walk() if p.get_content_type() == "text/plain"]
    link = re.search(r"http\S+/confirm/\S+/", text.get_payload(decode=True).decode())[0]
    visitor.goto(live_site(re.sub(r"^https?://[^/]+", "", link)))
    expect(visitor.get_by_role("heading", level=1)).to_contain_text("Confirm your subscription")
    assert_accessible(visitor)
    visitor.get_by_role("button", name="Confirm my subscription").focus()
    visitor.keyboard.press("Enter")
    expect(visitor.get_by_role("heading", level=1)).to_have_text("You're subscribed")
    assert_accessible(visitor)
    screenshot(visitor, "newsletter-confirmed")
    assert_no_browser_errors(visitor)
    with orm():
        from masthead.newsletters.models import OpenSubscriber

        assert OpenSubscriber.objects.get(email=email).status == "active"

    # On a phone: the sign-up page reads without sideways scrolling and passes axe.
    phone = new_page("phone-320")
    phone.goto(live_site(f"/newsletters/join/{OPEN_SLUG}/"))
    expect(phone.get_by_role("button", name="Subscribe")).to_be_visible()
    _no_sideways_scroll(phone)
    assert_accessible(phone)
    screenshot(phone, "newsletter-signup-phone")

    # The editor composes an issue of the newsletter, previews it and sends it.
    with orm():
        from masthead.newsletters.models import Newsletter, NewsletterIssue

        issue = NewsletterIssue.objects.create(
            newsletter=Newsletter.objects.get(slug=OPEN_SLUG),
            subject="This weekend on the harbour",
            intro="<p>Three long reads for a slow Saturday.</p>",
        )
        issue_id = issue.pk
    editor = new_page()
    editor.goto(live_site("/admin/login/"))
    editor.locator("input[name=login]").fill(EDITOR)
    editor.locator("input[name=password]").fill(_demo_password())
    editor.get_by_role("button", name="Sign in", exact=True).click()
    expect(editor.get_by_role("heading", level=1)).to_have_text(live_site.site_name)

    editor.goto(live_site(f"/admin/newsletters/issues/{issue_id}/send/"))
    expect(editor.get_by_role("heading", level=1)).to_contain_text("This weekend on the harbour")
    # Articles from the newest in a section, then the send page as the editor sees it.
    editor.locator("select[name=section]").select_option(index=1)
    editor.get_by_role("button", name=re.compile("^Add")).click()
    expect(editor.get_by_text(re.compile(r"Added \d+ articles? from"))).to_be_visible()
    _settled(editor)
    assert_accessible(editor)
    screenshot(editor, "newsletter-admin-send-page")

    preview = editor.context.new_page()
    preview.goto(live_site(f"/admin/newsletters/issues/{issue_id}/preview/html/"))
    expect(preview.get_by_text("Three long reads for a slow Saturday.")).to_be_visible()
    preview.close()

    editor.get_by_role("button", name=re.compile("^Send now")).click()
    expect(editor.get_by_text("The issue is being sent.")).to_be_visible()
    _settled(editor)
    assert_accessible(editor)
    with orm():
        from masthead.newsletters import sending

        sending.send_work()
    editor.reload()
    expect(editor.locator("[data-field=status_label]")).to_have_text("Sent")
    expect(editor.locator("progress")).to_have_attribute("value", "100")
    _settled(editor)
    assert_accessible(editor)
    screenshot(editor, "newsletter-admin-progress")
    assert_no_browser_errors(editor)

    copies = [
        m
        for m in smtp_settings.recorder.messages
        if m["To"] == email and "This weekend on the harbour" in m["Subject"]
    ]
    assert len(copies) == 1
    assert "/newsletters/open/unsubscribe/" in copies[0]["List-Unsubscribe"]
