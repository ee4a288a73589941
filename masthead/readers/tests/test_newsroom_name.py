"""The newsroom's own name, wherever a reader sees one.

Invariant: every email a reader gets names the newsroom in its subject, signs off as
its team and comes from it by name (at the configured address); every page's <title>
ends with it. The name is the default Wagtail Site's, so renaming the Site renames all
of them; the software's own name never shows.
"""

from __future__ import annotations

from email.utils import parseaddr

import pytest
from allauth.account.adapter import get_adapter
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.cache import cache
from wagtail.models import Site

from masthead.access.api import Level
from masthead.content.tests.factories import make_article, make_home, make_section
from masthead.readers.account.services import erasure_code_send
from masthead.readers.tests.factories import ReaderFactory
from masthead.readers.tests.registration_support import (
    PASSWORD,
    make_legal_pages,
    registration_data,
)

pytestmark = pytest.mark.django_db
User = get_user_model()
NEWSROOM = "The Saltmere Courier"
ADDRESS = "desk@courier.example"


@pytest.fixture(autouse=True)
def newsroom(settings):
    settings.ALTCHA_MAX_NUMBER = 2000
    cache.clear()  # rate-limit counters live in the cache
    home = make_home(NEWSROOM)
    Site.objects.filter(is_default_site=True).update(site_name=NEWSROOM)
    make_legal_pages()
    yield home
    cache.clear()


@pytest.fixture
def sender(settings):
    """The sender as settings.py builds it from MASTHEAD_FROM_EMAIL: lazy, named when read."""
    from django.utils.functional import lazy

    from masthead.core.newsroom import sender_address

    settings.DEFAULT_FROM_EMAIL = lazy(lambda: sender_address(ADDRESS), str)()
    return ADDRESS


def _owner(email: str = "owner@example.com") -> object:
    return ReaderFactory(email=email, password=PASSWORD, first_name="Ruth", verified=True)


def _assert_from_the_newsroom(message: mail.EmailMessage) -> None:
    sent = message.message()
    display, address = parseaddr(str(sent["From"]))
    assert display == NEWSROOM
    assert address == ADDRESS
    assert NEWSROOM in str(sent["Subject"]), sent["Subject"]
    assert f"The {NEWSROOM} team" in message.body
    assert "Masthead" not in f"{sent['Subject']} {sent['From']} {message.body}"


def test_registration_emails_come_from_the_newsroom_by_name(
    client, sender, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/signup/", registration_data(email="ada@example.com"))
    assert sorted(m.subject for m in mailoutbox) == [
        f"Confirm your email address for {NEWSROOM}",
        f"Welcome to {NEWSROOM}",
    ]
    for message in mailoutbox:
        _assert_from_the_newsroom(message)


def test_the_existing_account_notice_names_the_newsroom(
    client, sender, mailoutbox, django_capture_on_commit_callbacks
):
    _owner()
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/signup/", registration_data(email="owner@example.com"))
    [notice] = mailoutbox
    assert notice.subject == f"You already have a {NEWSROOM} account"
    _assert_from_the_newsroom(notice)


@pytest.mark.parametrize(
    ("url", "email", "subject"),
    [
        ("/accounts/login/code/", "owner@example.com", f"Your sign-in code for {NEWSROOM}"),
        ("/accounts/password/reset/", "owner@example.com", f"Choose a new password for {NEWSROOM}"),
        (
            "/accounts/password/reset/",
            "stranger@example.com",
            f"About your request to sign in to {NEWSROOM}",
        ),
    ],
)
def test_sign_in_emails_name_the_newsroom(client, sender, mailoutbox, url, email, subject):
    _owner()
    client.post(url, {"email": email})
    [message] = mailoutbox
    assert message.subject == subject
    _assert_from_the_newsroom(message)


def test_allauths_own_notifications_get_the_newsroom_in_their_subject(sender, mailoutbox):
    """Emails we have not reworded (allauth's security notices) still say who sends."""
    from allauth.core.context import request_context
    from django.test import RequestFactory

    _owner()
    with request_context(RequestFactory().get("/accounts/password/change/")):
        get_adapter().send_mail(
            "account/email/password_changed", "owner@example.com", {"user": User.objects.get()}
        )
    [message] = mailoutbox
    assert message.subject.startswith(f"{NEWSROOM}: ")
    _assert_from_the_newsroom(message)


def test_the_erasure_code_email_names_the_newsroom(sender, mailoutbox):
    erasure_code_send(user=_owner(), session={})
    [message] = mailoutbox
    assert message.subject == f"Your code to delete your {NEWSROOM} account"
    _assert_from_the_newsroom(message)


def test_renaming_the_site_renames_the_emails(client, sender, mailoutbox):
    _owner()
    Site.objects.filter(is_default_site=True).update(site_name="The Quay Post")
    client.post("/accounts/password/reset/", {"email": "owner@example.com"})
    [message] = mailoutbox
    assert message.subject == "Choose a new password for The Quay Post"
    assert parseaddr(str(message.message()["From"])) == ("The Quay Post", ADDRESS)


def test_the_sender_keeps_the_configured_address_but_not_its_display_name(settings):
    from masthead.core.newsroom import sender_address

    assert parseaddr(sender_address("Old Name <news@courier.example>")) == (
        NEWSROOM,
        "news@courier.example",
    )
    assert parseaddr(str(settings.DEFAULT_FROM_EMAIL))[0] == NEWSROOM
    assert str(settings.WAGTAIL_SITE_NAME) == NEWSROOM


def _title(html: str) -> str:
    start = html.index("<title>") + len("<title>")
    return html[start : html.index("</title>", start)].strip()


def test_every_page_title_ends_with_the_newsroom_name(client, newsroom):
    section = make_section(parent=newsroom, title="Harbour", access=Level.FREE)
    article = make_article(section=section, title="The tide turns", hero=False)
    assert _title(client.get("/").content.decode()) == NEWSROOM
    pages = {
        article.url: "The tide turns",
        section.url: "Harbour",
        "/accounts/login/": None,
        "/accounts/signup/": None,
        "/search/?q=tide": None,
    }
    for url, first in pages.items():
        response = client.get(url)
        assert response.status_code == 200, url
        title = _title(response.content.decode())
        assert title.endswith(f" | {NEWSROOM}"), (url, title)
        assert "Masthead" not in title
        if first:
            assert title.startswith(first), (url, title)


def test_a_name_with_an_ampersand_reads_as_typed_in_plain_text_emails(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    owner = _owner()
    Site.objects.filter(is_default_site=True).update(site_name="Tides & Times")
    client.post("/accounts/password/reset/", {"email": "owner@example.com"})
    erasure_code_send(user=owner, session={})
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/signup/", registration_data(email="ada@example.com"))
    assert len(mailoutbox) == 4  # reset, erasure code, welcome, verification
    for message in mailoutbox:
        assert "Tides & Times" in message.subject
        assert "The Tides & Times team" in message.body
        assert "&amp;" not in message.subject + message.body
