"""The one way the product sends email.

Public surface (every app uses these, nothing else in the product builds or sends mail):

- `message(template, *, to, context=None, list_unsubscribe=None)` builds an email from
  three templates: `<template>_subject.txt`, `<template>_message.txt` (the plain-text
  part) and `<template>_message.html` (the HTML part, which extends
  `email/base.html`). These are allauth's names, so its emails and ours follow one
  convention and can be overridden the same way.
- `renderer` registers a function `(**params) -> EmailMessage | None` that loads its
  rows and returns `message(...)` (None: the email is no longer wanted); `send(renderer=,
  params=, key=)` queues it in the current transaction. Delivery is the durable outbox's
  (`masthead.core.outbox`): the row commits with its cause, a django-tasks task is
  enqueued on commit, the sweeper and retries cover the rest.
- `send_now(template, *, to, context)` builds and sends during the request. Only for
  email that carries a one-time secret the reader is waiting for (a sign-in code, a
  password-reset link, an erasure code) and for the answers that must look the same as
  those (allauth's "unknown account"): the secret must not be written to the outbox
  (it holds no secrets, and cannot derive these: they are random, or kept only as a
  hash), and it is useless after a few minutes, so retrying for an hour buys nothing.
- `Unsubscribe(url, mailto="")` for `list_unsubscribe=`; `InvalidUnsubscribe` is raised
  for an address that cannot go in the header.
- For bulk mail (a newsletter issue to many readers): `render(template, context=)`
  renders the three parts once (CSS inlined once), with `%%name%%` placeholders left in
  them; `message_from(rendered, to=, substitutions=, ...)` builds each reader's copy by
  substitution only (values HTML-escaped in the HTML part), with the same headers as
  `message`. Placeholders with no value are an error, never sent as typed.

A queued email, as an app writes one (the renderer runs when the email is sent):

    @email.renderer
    def issue_email(*, subscription_id: int) -> EmailMessage | None:
        subscription = Subscription.objects.filter(pk=subscription_id).first()
        if subscription is None:
            return None  # unsubscribed meanwhile: the email is cancelled
        return email.message(
            "newsletters/email/issue",
            to=subscription.user.email,
            context={"subscription": subscription},
            list_unsubscribe=email.Unsubscribe(url=one_click_url(subscription)),
        )

    email.send(renderer=issue_email, params={"subscription_id": s.pk}, key=f"issue:{i.pk}:{s.pk}")

Invariants:
- Every email has a plain-text part and an HTML part (multipart/alternative). The HTML
  names the newsroom, extends one branded base, and has its CSS inlined (css-inline);
  only the @media rules (dark mode, narrow screens) stay in a <style> block, with
  `!important` so they can win over the inlined styles.
- From is the newsroom by name at the configured address (`DEFAULT_FROM_EMAIL`,
  masthead.core.newsroom). Message-ID is on the sender's domain (the outbox puts its
  row's own on queued email, so a resend is the same message). Date is when the email
  is built, just before each attempt to send, in UTC. Reply-To is `EMAIL_REPLY_TO`
  (MASTHEAD_REPLY_TO) when configured, else absent.
- Every subject names the newsroom.
- `List-Unsubscribe` and `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058)
  are on an email only when the caller asks for them (marketing mail); transactional
  mail never carries them. The URL is absolute, has no characters that would break the
  header, and is https in production (http is allowed elsewhere, for local use).
- Queued email exists only if its transaction commits; `send_now` sends at once.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass
from email.utils import format_datetime, formataddr, parseaddr
from typing import Any
from urllib.parse import urlsplit

import css_inline
from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils.encoding import iri_to_uri
from django.utils.html import escape

from . import newsroom, outbox
from .models import OutboxEmail
from .newsroom import newsroom_name

__all__ = [
    "InvalidUnsubscribe",
    "Rendered",
    "Unsubscribe",
    "message",
    "message_from",
    "placeholder",
    "render",
    "renderer",
    "send",
    "send_now",
]

renderer = outbox.renderer

# Remote stylesheets are never fetched: an email's look must not depend on the network.
_INLINER = css_inline.CSSInliner(keep_at_rules=True, load_remote_stylesheets=False)
# Characters that would end the <...> of the header or start another header.
_HEADER_BREAKERS = re.compile(r"[<>,\"]")
# Space and the C0 controls (below 0x21) and DEL: a header needs none of them, and a URL
# or address carrying one was built wrong upstream (percent-encoding it would hide that).
_CONTROLS = re.compile(r"[\x00-\x20\x7f]")


class InvalidUnsubscribe(ValueError):
    """A List-Unsubscribe address that mail systems could not use (or would distrust)."""


def _unfit_for_header(value: str) -> bool:
    return bool(_HEADER_BREAKERS.search(value) or _CONTROLS.search(value))


@dataclass(frozen=True)
class Unsubscribe:
    """Where a reader unsubscribes in one click (RFC 8058), and optionally a mailbox.

    The header must stay plain ASCII: Django would otherwise send it as an RFC 2047
    encoded-word, which Gmail and Yahoo cannot read as a one-click unsubscribe. So a
    non-ASCII path or query (a slug like `café`) is percent-encoded with `iri_to_uri`;
    a non-ASCII host or mailbox, spaces, control characters and `<>,"` are refused.
    """

    url: str
    mailto: str = ""

    def headers(self) -> dict[str, str]:
        raw = self.url
        parts = urlsplit(raw)
        if _unfit_for_header(raw) or not parts.netloc:
            raise InvalidUnsubscribe(
                "List-Unsubscribe needs an absolute URL without spaces, control characters"
                f' or <>,", got {raw!r}'
            )
        if not parts.netloc.isascii():
            raise InvalidUnsubscribe(
                f"List-Unsubscribe needs an ASCII host (punycode, xn--...), got {raw!r}"
            )
        allowed = ("https",) if settings.PRODUCTION else ("https", "http")
        if parts.scheme not in allowed:
            also = "" if settings.PRODUCTION else " (or http:// outside production)"
            raise InvalidUnsubscribe(f"List-Unsubscribe needs an https:// URL{also}, got {raw!r}")
        url = iri_to_uri(raw)
        if not url.isascii() or _unfit_for_header(url):  # iri_to_uri's promise, kept here
            raise InvalidUnsubscribe(f"List-Unsubscribe URL is not plain ASCII: {raw!r}")
        targets = [f"<{url}>"]
        if self.mailto:
            address = self.mailto.removeprefix("mailto:")
            local, _at, domain = address.partition("@")
            if not (local and domain) or _unfit_for_header(address):
                raise InvalidUnsubscribe(f"List-Unsubscribe mailto is not an address: {address!r}")
            if not address.isascii():
                raise InvalidUnsubscribe(
                    f"List-Unsubscribe mailto must be a plain ASCII address, got {address!r}"
                )
            targets.append(f"<mailto:{address}>")
        return {
            "List-Unsubscribe": ", ".join(targets),
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        }


def _reply_to() -> list[str]:
    configured = getattr(settings, "EMAIL_REPLY_TO", "")
    if not configured:
        return []
    name, address = parseaddr(configured)
    return [formataddr((name or newsroom_name(), address or configured))]


def subject_naming_newsroom(subject: str) -> str:
    """The subject on one line, naming the newsroom (a reader knows who writes)."""
    subject, name = " ".join(str(subject).split()), newsroom_name()
    return subject if name in subject else f"{name}: {subject}"


def _render(template: str, context: dict[str, Any]) -> tuple[str, str, str]:
    subject = subject_naming_newsroom(render_to_string(f"{template}_subject.txt", context))
    text = render_to_string(f"{template}_message.txt", context).strip() + "\n"
    html = render_to_string(
        f"{template}_message.html", {**context, "subject": subject, "text_body": text}
    )
    return subject, text, _INLINER.inline(html)


def message(
    template: str,
    *,
    to: str | list[str],
    context: dict[str, Any] | None = None,
    list_unsubscribe: Unsubscribe | str | None = None,
) -> EmailMultiAlternatives:
    """Build the email `template` names for `to`: text and HTML parts, every header.

    `context` may hold `base_url` (the site address links are built on, by default
    MASTHEAD_BASE_URL) and `account_url` (shown in the footer).
    """
    name = newsroom_name()
    base_url = str((context or {}).get("base_url") or settings.WAGTAILADMIN_BASE_URL)
    context = {
        "site_name": name,
        "newsroom": name,
        "home_url": base_url.rstrip("/") + "/",
        **(context or {}),
    }
    headers = {
        "Message-ID": newsroom.new_message_id(),
        # Django's default says -0000 ("zone unknown"); the outbox builds just before
        # each attempt, so this is when the email is sent.
        "Date": format_datetime(dt.datetime.now(dt.UTC)),
    }
    if list_unsubscribe is not None:
        if isinstance(list_unsubscribe, str):
            list_unsubscribe = Unsubscribe(url=list_unsubscribe)
        headers.update(list_unsubscribe.headers())
        context.setdefault("unsubscribe_url", list_unsubscribe.url)
    subject, text, html = _render(template, context)
    email = EmailMultiAlternatives(
        subject,
        text,
        str(settings.DEFAULT_FROM_EMAIL),
        [to] if isinstance(to, str) else list(to),
        reply_to=_reply_to(),
        headers=headers,
    )
    email.attach_alternative(html, "text/html")
    return email


_PLACEHOLDER = re.compile(r"%%([a-z][a-z0-9_]{0,40})%%")


def placeholder(name: str) -> str:
    """The marker `message_from` replaces with the recipient's value for `name`."""
    if not re.fullmatch(r"[a-z][a-z0-9_]{0,40}", name):
        raise ValueError(f"placeholder names are lower-case words, got {name!r}")
    return f"%%{name}%%"


@dataclass(frozen=True)
class Rendered:
    """An email's three parts, rendered once, with placeholders for each recipient."""

    subject: str
    text: str
    html: str


def _context(context: dict[str, Any] | None) -> dict[str, Any]:
    name = newsroom_name()
    base_url = str((context or {}).get("base_url") or settings.WAGTAILADMIN_BASE_URL)
    return {
        "site_name": name,
        "newsroom": name,
        "home_url": base_url.rstrip("/") + "/",
        **(context or {}),
    }


def render(template: str, *, context: dict[str, Any] | None = None) -> Rendered:
    """Render `template`'s subject, text and HTML (CSS inlined) once, for many readers."""
    subject, text, html = _render(template, _context(context))
    return Rendered(subject=subject, text=text, html=html)


@functools.lru_cache(maxsize=16)
def _segments(body: str) -> tuple[str, ...]:
    """`body` split once into literal text (even places) and placeholder names (odd)."""
    return tuple(_PLACEHOLDER.split(body))


def _substitute(body: str, values: dict[str, str], *, html: bool) -> str:
    if html:
        values = {name: str(escape(value)) for name, value in values.items()}
    parts = list(_segments(body))
    for i in range(1, len(parts), 2):
        try:
            parts[i] = values[parts[i]]
        except KeyError:
            raise KeyError(f"no value for the placeholder %%{parts[i]}%%") from None
    return "".join(parts)


def message_from(
    rendered: Rendered,
    *,
    to: str,
    substitutions: dict[str, str],
    list_unsubscribe: Unsubscribe | None = None,
    from_email: str | None = None,
    reply_to: list[str] | None = None,
    message_id: str | None = None,
) -> EmailMultiAlternatives:
    """One recipient's copy of `rendered`: placeholders substituted, every header set.

    `message_id` (angle brackets included) lets a caller give a copy a stable id, so a
    copy sent again after a crash is recognisably the same message.
    """
    headers = {
        "Message-ID": message_id or newsroom.new_message_id(),
        "Date": format_datetime(dt.datetime.now(dt.UTC)),
    }
    if list_unsubscribe is not None:
        headers.update(list_unsubscribe.headers())
    email = EmailMultiAlternatives(
        _substitute(rendered.subject, substitutions, html=False),
        _substitute(rendered.text, substitutions, html=False),
        from_email or str(settings.DEFAULT_FROM_EMAIL),
        [to],
        reply_to=_reply_to() if reply_to is None else reply_to,
        headers=headers,
    )
    email.attach_alternative(_substitute(rendered.html, substitutions, html=True), "text/html")
    return email


def sender_domain() -> str:
    """The domain of the newsroom's sending address (for Message-IDs)."""
    return newsroom.sender_domain()


def send(
    *, renderer: outbox.Renderer, params: dict[str, Any], key: str | None = None
) -> OutboxEmail:
    """Queue the email `renderer` builds from `params` (ids and plain strings, no secret).

    Written in the current transaction; delivered on commit, retried until sent. `key`
    makes it idempotent (the same key queues one email).
    """
    return outbox.email_enqueue(renderer=renderer, params=params, key=key)


def send_now(
    template: str,
    *,
    to: str,
    context: dict[str, Any] | None = None,
) -> EmailMessage:
    """Build and send at once (raising if the server refuses): for one-time secrets only.

    See the module docstring for why these skip the outbox.
    """
    email = message(template, to=to, context=context)
    email.send(fail_silently=False)
    return email
