"""Every email the product sends goes through core.email: text and branded HTML parts.

Invariants checked here, on what a real SMTP server (aiosmtpd) receives:
- each email a reader or member of staff can get arrives as multipart/alternative, with
  a text/plain and a text/html part; the HTML names the newsroom and has its styles
  inlined; From, Reply-To, Message-ID and Date are set; none of these transactional
  emails carries List-Unsubscribe; the emails a reader asked for (comment notifications)
  carry a one-click List-Unsubscribe and are otherwise alike;
- every email template the product can use (ours and those of the allauth apps we
  install) has a subject, a text and an HTML template, so a new email without an HTML
  part fails here before it reaches anyone.
"""

from __future__ import annotations

import re
from email.message import Message
from email.utils import parseaddr
from importlib import import_module
from pathlib import Path

import allauth
import pytest
from allauth.account.adapter import get_adapter
from allauth.core.context import request_context
from django.apps import apps
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.template.loader import get_template
from django.test import RequestFactory
from django.utils.functional import lazy
from wagtail.models import Site

from masthead.core import outbox
from masthead.core.models import OutboxEmail
from masthead.core.newsroom import newsroom_name_forget, sender_address
from masthead.events import services as event_services
from masthead.events.tests.factories import make_event
from masthead.newsletters.models import Newsletter
from masthead.newsletters.tests.factories import NewsletterFactory
from masthead.readers.account.services import erasure_code_send
from masthead.readers.emails import signup_burst_alert_send
from masthead.readers.tests.factories import ReaderFactory
from masthead.readers.tests.registration_support import (
    PASSWORD,
    make_legal_pages,
    registration_data,
    solved_altcha,
)

pytestmark = pytest.mark.django_db
User = get_user_model()
NEWSROOM = "The Saltmere Courier"
ADDRESS = "desk@courier.example"
REPLY_TO = "letters@courier.example"
MASTHEAD_DIR = Path(django_settings.BASE_DIR) / "masthead"
ALLAUTH_TEMPLATES = Path(allauth.__file__).parent / "templates"
# The allauth apps in INSTALLED_APPS whose emails can reach a reader.
ALLAUTH_EMAIL_DIRS = ("account/email", "mfa/email")


def email_prefixes() -> list[str]:
    """Every `<prefix>_subject.txt` the product can send: ours, and installed allauth's."""
    from django.template.loaders.app_directories import get_app_template_dirs

    dirs = [Path(d) for d in django_settings.TEMPLATES[0]["DIRS"]]
    dirs += [Path(d) for d in get_app_template_dirs("templates")]
    prefixes = set()
    for directory in dirs:
        for subject in directory.rglob("*_subject.txt"):
            name = subject.relative_to(directory).as_posix().removesuffix("_subject.txt")
            ours = directory.is_relative_to(MASTHEAD_DIR)
            if ours or (directory == ALLAUTH_TEMPLATES and name.startswith(ALLAUTH_EMAIL_DIRS)):
                prefixes.add(name)
    return sorted(prefixes)


PREFIXES = email_prefixes()
ALLAUTH_ONLY = [p for p in PREFIXES if p.startswith(ALLAUTH_EMAIL_DIRS)]


def test_the_walk_finds_our_emails_and_allauths():
    assert {
        "readers/email/welcome",
        "readers/account/email/erasure_code",
        "account/email/password_reset_key",
        "mfa/email/totp_activated",
    } <= set(PREFIXES)


@pytest.mark.parametrize("prefix", PREFIXES)
def test_every_email_has_a_subject_a_text_and_an_html_template(prefix):
    get_template(f"{prefix}_subject.txt")
    get_template(f"{prefix}_message.txt")
    html = get_template(f"{prefix}_message.html").template.source
    assert re.search(r'{%\s*extends\s+"(email/|readers/email/)', html), (
        f"{prefix}_message.html must extend email/base.html (the branded layout)"
    )


# --------------------------------------------------------------------------------------
# What arrives
# --------------------------------------------------------------------------------------
@pytest.fixture(autouse=True)
def newsroom(settings):
    settings.ALTCHA_MAX_NUMBER = 2000
    cache.clear()
    make_legal_pages()
    Site.objects.filter(is_default_site=True).update(site_name=NEWSROOM)
    newsroom_name_forget()  # a queryset update sends no signal
    settings.DEFAULT_FROM_EMAIL = lazy(lambda: sender_address(ADDRESS), str)()
    settings.EMAIL_REPLY_TO = REPLY_TO
    yield
    cache.clear()


def product_renderers() -> set[str]:
    """Every outbox renderer the apps register (by convention in their emails.py)."""
    for app in apps.get_app_configs():
        if app.name.startswith("masthead."):
            try:
                import_module(f"{app.name}.emails")
            except ModuleNotFoundError as error:
                if error.name != f"{app.name}.emails":
                    raise
    return {
        path for path in outbox._RENDERERS if path.startswith("masthead.") and ".tests." not in path
    }


def owner(email: str = "owner@example.com") -> object:
    return ReaderFactory(email=email, password=PASSWORD, first_name="Ruth", verified=True)


def assert_branded(message: Message) -> None:
    subject = message["Subject"]
    body = message
    if message.get_content_type() == "multipart/mixed":
        # An email with a file (an event's calendar invitation): the branded
        # alternative first, then the invitation.
        body, *files = message.get_payload()
        assert [f.get_content_type() for f in files] == ["text/calendar"], subject
    assert body.get_content_type() == "multipart/alternative", subject
    parts = body.get_payload()
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"], subject
    text, html = (p.get_payload(decode=True).decode() for p in parts)
    assert text.strip(), subject
    assert NEWSROOM in html, subject
    assert re.search(r'<td class="masthead"[^>]*style="', html), subject
    assert "prefers-color-scheme: dark" in html, subject
    assert parseaddr(message["From"]) == (NEWSROOM, ADDRESS), subject
    assert parseaddr(message["Reply-To"])[1] == REPLY_TO, subject
    assert message["Message-ID"].endswith("@courier.example>"), subject
    assert message["Date"], subject
    assert message["List-Unsubscribe"] is None, subject
    assert message["List-Unsubscribe-Post"] is None, subject


def test_every_reader_email_arrives_with_text_and_html(
    client, smtp_settings, django_capture_on_commit_callbacks, settings
):
    reader = owner()
    with django_capture_on_commit_callbacks(execute=True):
        # Welcome and verification (queued), then an existing-account notice (queued).
        client.post("/accounts/signup/", registration_data(email="ada@example.com"))
        client.logout()  # a signed-in reader is not shown the form
        client.post("/accounts/signup/", registration_data(email="owner@example.com"))
    client.post("/accounts/login/code/", {"email": "owner@example.com"})  # code
    client.post("/accounts/password/reset/", {"email": "owner@example.com"})  # reset link
    client.post("/accounts/password/reset/", {"email": "stranger@example.com"})  # unknown
    erasure_code_send(user=reader, session={})
    settings.ADMINS = [("Desk", "admin@courier.example")]
    with django_capture_on_commit_callbacks(execute=True):
        signup_burst_alert_send(attempts=150, minutes=10, level=2, ip_limit=3)
    # The events app's: an invitation, an editor's message to those registered, and
    # the cancellation.
    event = make_event(title="Harbour questions")
    with django_capture_on_commit_callbacks(execute=True):
        event_services.registration_create(event=event, user=reader)
        event_services.message_send(event=event, subject="Bring your questions", body="Hi.")
    with django_capture_on_commit_callbacks(execute=True):
        event_services.event_cancel(event_id=event.pk)

    # The newsletters app's: the double opt-in link to someone without an account.
    weekly = NewsletterFactory(name="Harbour Weekly", audience=Newsletter.Audience.OPEN)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            f"/newsletters/join/{weekly.slug}/",
            {"email": "sam@elsewhere.example", "reference": "", "altcha": solved_altcha()},
        )

    received = smtp_settings.recorder.messages
    subjects = sorted(m["Subject"] for m in received)
    assert subjects == sorted(
        [
            f"{NEWSROOM}: Confirm your subscription to Harbour Weekly",
            f"Welcome to {NEWSROOM}",
            f"Confirm your email address for {NEWSROOM}",
            f"You already have a {NEWSROOM} account",
            f"Your sign-in code for {NEWSROOM}",
            f"Choose a new password for {NEWSROOM}",
            f"About your request to sign in to {NEWSROOM}",
            f"Your code to delete your {NEWSROOM} account",
            f"{NEWSROOM}: unusual number of registration attempts",
            f"{NEWSROOM}: You're registered: Harbour questions",
            f"{NEWSROOM}: Bring your questions",
            f"{NEWSROOM}: Cancelled: Harbour questions",
        ]
    )
    for message in received:
        assert_branded(message)
    # Each renderer the apps register was exercised above: a new queued email needs a
    # line in this test (and so is checked for its HTML part and headers).
    sent = set(OutboxEmail.objects.values_list("renderer", flat=True))
    expected = product_renderers() - set(WITH_UNSUBSCRIBE)
    assert expected <= sent, expected - sent


# Renderers of email a reader asked for and can stop in one click (List-Unsubscribe):
# exercised by the test below instead.
WITH_UNSUBSCRIBE = {
    "masthead.community.emails.notification_email": "a comment notification",
    "masthead.community.emails.digest_email": "the daily digest of comment notifications",
}


def assert_branded_with_unsubscribe(message: Message) -> None:
    # A long header arrives folded; mail systems unfold it.
    assert "".join(message["List-Unsubscribe"].split()).startswith("<http"), message["To"]
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    del message["List-Unsubscribe"], message["List-Unsubscribe-Post"]
    assert_branded(message)


def test_every_email_with_one_click_unsubscribe_arrives_with_text_and_html(
    smtp_settings, django_capture_on_commit_callbacks
):
    from masthead.community.models import ThreadFollow
    from masthead.community.services import notifications
    from masthead.community.tests.notify_support import comment, commenter
    from rigs.newsroom import make_article

    page = make_article(hero=False)
    ada, ben, cy = commenter(user=owner(), name="Ada"), commenter(name="Ben"), commenter(name="Cy")
    top = comment(ada, page)
    ThreadFollow.objects.create(user=cy.user, root=top)
    reply = comment(ben, page, parent=top)
    with django_capture_on_commit_callbacks(execute=True):
        notifications.notify_comment_published(comment_id=reply.pk)  # Ada at once
        notifications.digests_send()  # Cy's thread reply, in the digest

    received = smtp_settings.recorder.messages
    assert sorted(m["To"] for m in received) == sorted([ada.user.email, cy.user.email])
    for message in received:
        assert_branded_with_unsubscribe(message)
    sent = set(OutboxEmail.objects.values_list("renderer", flat=True))
    assert set(WITH_UNSUBSCRIBE) <= sent, set(WITH_UNSUBSCRIBE) - sent
    assert set(WITH_UNSUBSCRIBE) <= product_renderers()


def test_the_secret_emails_are_not_written_to_the_outbox(client, smtp_settings):
    owner()
    client.post("/accounts/login/code/", {"email": "owner@example.com"})
    client.post("/accounts/password/reset/", {"email": "owner@example.com"})
    erasure_code_send(user=User.objects.get(), session={})
    assert len(smtp_settings.recorder.messages) == 3
    assert not OutboxEmail.objects.exists()


@pytest.mark.parametrize("prefix", ALLAUTH_ONLY)
def test_every_allauth_email_arrives_with_text_and_html(smtp_settings, prefix):
    reader = owner()
    context = {
        "user": reader,
        "code": "ABCD-EFGH",
        "password_reset_url": "http://testserver/accounts/password/reset/key/x/",
        "activate_url": "http://testserver/accounts/confirm-email/x/",
        "signup_url": "http://testserver/accounts/signup/",
        "from_email": "old@example.com",
        "to_email": "owner@example.com",
        "deleted_email": "old@example.com",
    }
    with request_context(RequestFactory().get("/accounts/")):
        get_adapter().send_mail(prefix, "owner@example.com", context)
    [message] = smtp_settings.recorder.messages
    assert_branded(message)
