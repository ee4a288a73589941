"""An issue as readers get it: rendered once, personalised by substitution only.

Invariants:
- An issue never carries an article's body: each article appears as its headline,
  standfirst and link, and a gated one is labelled as such. So the email, its plain
  text and the "view in browser" page respect the wall whoever opens them.
- `issue_rendered` renders the three parts once (the CSS inlined once); the only
  per-reader parts are the placeholders in `PERSONAL` (`core.email.placeholder`),
  filled in by `copy_for`.
"""

from __future__ import annotations

import html as html_lib
import re
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.urls import reverse
from django.utils.html import strip_tags
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from wagtail.rich_text import expand_db_html

from masthead.core import email
from masthead.core.newsroom import newsroom_name

from . import tokens
from .models import Newsletter, NewsletterIssue

PERSONAL = ("first_name", "unsubscribe_url", "preferences_url", "browser_url")
TEMPLATE = "newsletters/email/issue"


@dataclass(frozen=True)
class ArticleTeaser:
    title: str
    standfirst: str
    url: str
    gate: str  # "" for free articles, else what a reader needs


def _absolute(path: str) -> str:
    if path.startswith(("http://", "https://")):
        return path
    return settings.WAGTAILADMIN_BASE_URL.rstrip("/") + path


def issue_articles(issue: NewsletterIssue) -> list[ArticleTeaser]:
    teasers = []
    for item in issue.articles.all().select_related("page").order_by("sort_order"):
        page = item.page.specific
        if not page.live:
            continue
        level = getattr(page, "effective_access", "free")
        gate = {
            "registration": _("Free account"),
            "premium": _("Premium"),
        }.get(level, "")
        teasers.append(
            ArticleTeaser(
                title=page.title,
                standfirst=getattr(page, "standfirst", "") or "",
                url=_absolute(page.get_url() or page.url_path),
                gate=gate,
            )
        )
    return teasers


# A link or image address in rich text that starts at the site's root ("/about/", as
# Wagtail writes internal links), not a protocol-relative "//host/..." one.
_ROOT_RELATIVE = re.compile(r"""(\s(?:href|src)=)(["'])(/(?!/)[^"']*)\2""", re.IGNORECASE)
_ANCHOR = re.compile(
    r"""<a\s[^>]*?href=(["'])([^"']+)\1[^>]*>(.*?)</a>""", re.IGNORECASE | re.DOTALL
)


def absolute_links(html: str) -> str:
    """`html` with root-relative link and image addresses made absolute: an email is
    read outside the site, where "/about/" leads nowhere."""
    return _ROOT_RELATIVE.sub(lambda m: f"{m[1]}{m[2]}{_absolute(m[3])}{m[2]}", html)


def intro_html(issue: NewsletterIssue) -> SafeString:
    """The editor's introduction for an email: internal links expanded, all absolute."""
    # Editors' rich text, as the `richtext` template filter would output it.
    return mark_safe(absolute_links(expand_db_html(issue.intro or "")))


def intro_text(issue: NewsletterIssue) -> str:
    """The introduction as plain text, each link's address kept after its words."""

    def spell_out(match: re.Match[str]) -> str:
        url, label = match[2], strip_tags(match[3]).strip()
        return url if not label or label == url else f"{label} ({url})"

    text = _ANCHOR.sub(spell_out, str(intro_html(issue)))
    text = re.sub(r"</p>\s*|<br\s*/?>", "\n\n", text, flags=re.IGNORECASE)
    return html_lib.unescape(strip_tags(text)).strip()


def browser_url(*, issue_id: int, user_id: int | None = None) -> str:
    """The issue as a web page, at an address no one can guess (a signed token); in a
    reader's copy it names the reader, who may then read a members-only issue signed out."""
    token = tokens.issue_token(issue_id=issue_id, user_id=user_id)
    return _absolute(reverse("newsletters_public:issue", args=[token]))


def issue_context(issue: NewsletterIssue, *, personal: dict[str, str]) -> dict[str, Any]:
    return {
        "issue": issue,
        "newsletter": issue.newsletter,
        "articles": issue_articles(issue),
        "intro_html": intro_html(issue),
        "intro_text": intro_text(issue),
        **personal,
    }


def issue_rendered(issue: NewsletterIssue) -> email.Rendered:
    """The issue's subject, text and HTML with placeholders for each reader."""
    personal = {name: email.placeholder(name) for name in PERSONAL}
    return email.render(TEMPLATE, context=issue_context(issue, personal=personal))


def open_unsubscribe_url(*, subscriber_id: int, newsletter: Newsletter) -> str:
    """An account-less subscriber's one-click unsubscribe link (their row and list)."""
    token = tokens.open_unsubscribe_token(subscriber_id=subscriber_id, newsletter_id=newsletter.pk)
    return _absolute(reverse("newsletters_public:open-unsubscribe", args=[newsletter.slug, token]))


def open_preferences_url(*, subscriber_id: int, newsletter: Newsletter) -> str:
    token = tokens.open_preferences_token(subscriber_id=subscriber_id, newsletter_id=newsletter.pk)
    return _absolute(reverse("newsletters_public:open-preferences", args=[newsletter.slug, token]))


def unsubscribe_url(*, user_id: int, newsletter: Newsletter) -> str:
    token = tokens.unsubscribe_token(user_id=user_id, newsletter_id=newsletter.pk)
    return _absolute(reverse("newsletters_public:unsubscribe", args=[newsletter.slug, token]))


def preferences_url(*, user_id: int) -> str:
    token = tokens.preferences_token(user_id=user_id)
    return _absolute(reverse("newsletters_public:preferences", args=[token]))


def sender(newsletter: Newsletter) -> str:
    from email.utils import formataddr, parseaddr

    address = newsletter.sender_address or parseaddr(str(settings.DEFAULT_FROM_EMAIL))[1]
    return formataddr((newsletter.sender_name or newsroom_name(), address))


def copy_for(
    rendered: email.Rendered,
    *,
    newsletter: Newsletter,
    user_id: int | None,
    address: str,
    first_name: str,
    issue_id: int,
    message_id: str | None = None,
    from_email: str | None = None,
    subscriber_id: int | None = None,
) -> EmailMultiAlternatives:
    """One recipient's copy: placeholders filled, one-click unsubscribe headers set.

    The recipient is a reader (`user_id`) or an account-less subscriber
    (`subscriber_id`), whose links are signed for their row and this list.
    `from_email` is `sender(newsletter)`, worked out once by callers sending many.
    """
    if user_id is not None:
        unsubscribe = unsubscribe_url(user_id=user_id, newsletter=newsletter)
        preferences = preferences_url(user_id=user_id)
    elif subscriber_id is not None:
        unsubscribe = open_unsubscribe_url(subscriber_id=subscriber_id, newsletter=newsletter)
        preferences = open_preferences_url(subscriber_id=subscriber_id, newsletter=newsletter)
    else:
        raise ValueError("a copy is for a reader or a subscriber")
    return email.message_from(
        rendered,
        to=address,
        substitutions={
            "first_name": first_name or _("reader"),
            "unsubscribe_url": unsubscribe,
            "preferences_url": preferences,
            "browser_url": browser_url(issue_id=issue_id, user_id=user_id),
        },
        list_unsubscribe=email.Unsubscribe(url=unsubscribe),
        from_email=from_email or sender(newsletter),
        reply_to=[newsletter.reply_to] if newsletter.reply_to else [],
        message_id=message_id,
    )
