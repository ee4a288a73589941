"""Account emails through a real SMTP conversation, and the links in them followed.

An aiosmtpd server runs inside the test on a free local port; Django's SMTP backend
talks to it exactly as it would to a mail relay in production.
"""

from __future__ import annotations

import email
import email.policy
import re
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from aiosmtpd.controller import Controller
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core.cache import cache

from masthead.readers.tests.factories import ReaderFactory
from masthead.readers.tests.registration_support import PASSWORD, registration_data

pytestmark = pytest.mark.django_db
User = get_user_model()
NEWSROOM = "The Tide Times"


@dataclass
class Delivered:
    envelope_from: str
    envelope_to: list[str]
    message: email.message.EmailMessage

    @property
    def text(self) -> str:
        part = self.message.get_body(preferencelist=("plain",))
        return part.get_content()

    def link(self, path_prefix: str) -> str:
        """The path (and query) of the first link in the message under path_prefix."""
        match = re.search(rf"https?://[^/\s]+({re.escape(path_prefix)}\S*)", self.text)
        assert match, f"no {path_prefix} link in:\n{self.text}"
        return match.group(1)


@dataclass
class Inbox:
    messages: list[Delivered] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope) -> str:  # aiosmtpd handler hook
        parsed = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        self.messages.append(Delivered(envelope.mail_from, list(envelope.rcpt_tos), parsed))
        return "250 Message accepted for delivery"

    def with_subject(self, subject: str) -> Delivered:
        found = [m for m in self.messages if m.message["Subject"] == subject]
        assert found, (
            f"no message {subject!r} among {[m.message['Subject'] for m in self.messages]}"
        )
        return found[-1]


@pytest.fixture
def smtp(settings) -> Iterator[Inbox]:
    inbox = Inbox()
    with socket.socket() as probe:  # a free port (the controller's own start-up check needs one)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_TIMEOUT = 10
        yield inbox
    finally:
        controller.stop()


@pytest.fixture(autouse=True)
def _named_newsroom(db):
    from wagtail.models import Site

    Site.objects.filter(is_default_site=True).update(site_name=NEWSROOM)


@pytest.fixture(autouse=True)
def _fresh(settings):
    settings.ALTCHA_MAX_NUMBER = 2000
    cache.clear()
    yield
    cache.clear()


def test_registration_emails_arrive_and_the_verification_link_verifies(
    client, smtp, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/signup/", registration_data(email="ada@example.com"))
    assert sorted(m.message["Subject"] for m in smtp.messages) == [
        f"Confirm your email address for {NEWSROOM}",
        f"Welcome to {NEWSROOM}",
    ]
    for delivered in smtp.messages:
        assert delivered.envelope_to == ["ada@example.com"]
        assert delivered.message["To"] == "ada@example.com"
        assert "Ada" in delivered.text
    welcome = smtp.with_subject(f"Welcome to {NEWSROOM}")
    assert client.get(welcome.link("/accounts/login/")).status_code in (200, 302)

    verification = smtp.with_subject(f"Confirm your email address for {NEWSROOM}")
    link = verification.link("/accounts/confirm-email/")
    page = client.get(link)
    assert page.status_code == 200
    assert not EmailAddress.objects.get(email="ada@example.com").verified  # a GET changes nothing
    response = client.post(link)
    assert response.status_code == 302
    assert EmailAddress.objects.get(email="ada@example.com").verified


def test_the_existing_address_notice_signs_the_owner_in_and_back_to_the_article(
    client, smtp, django_capture_on_commit_callbacks
):
    owner = ReaderFactory(
        email="owner@example.com", password=PASSWORD, first_name="Ruth", verified=True
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/accounts/signup/",
            registration_data(email="OWNER@example.com", next="/news/story/#continue"),
        )
    assert response["Location"] == "/accounts/confirm-email/"
    [notice] = smtp.messages
    assert notice.envelope_to == ["owner@example.com"]
    assert notice.message["Subject"] == f"You already have a {NEWSROOM} account"

    sign_in = notice.link("/accounts/login/")
    page = client.get(sign_in).content.decode()
    assert 'name="next" value="/news/story/#continue"' in page
    response = client.post(
        sign_in,
        {"login": "owner@example.com", "password": PASSWORD, "next": "/news/story/#continue"},
    )
    assert response["Location"] == "/news/story/#continue"
    assert int(client.session["_auth_user_id"]) == owner.pk


def test_the_notice_also_offers_a_code_that_brings_the_owner_back(
    client, smtp, django_capture_on_commit_callbacks
):
    owner = ReaderFactory(email="owner@example.com", password=PASSWORD, verified=True)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/accounts/signup/", registration_data(email="owner@example.com", next="/news/story/")
        )
    [notice] = smtp.messages
    code_page = notice.link("/accounts/login/code/")
    response = client.post(code_page, {"email": "owner@example.com"})
    assert response.status_code == 302
    code_mail = smtp.with_subject(f"Your sign-in code for {NEWSROOM}")
    code = re.search(r"^\s*([A-Z0-9]{4}-?[A-Z0-9]{4})\s*$", code_mail.text, re.M).group(1)
    response = client.post(response["Location"], {"code": code})
    assert response["Location"] == "/news/story/"
    assert int(client.session["_auth_user_id"]) == owner.pk


def test_the_password_reset_link_works_over_smtp(client, smtp):
    owner = ReaderFactory(email="owner@example.com", password=PASSWORD, verified=True)
    client.post("/accounts/password/reset/", {"email": "Owner@Example.com"})
    reset = smtp.with_subject(f"Choose a new password for {NEWSROOM}")
    response = client.get(reset.link("/accounts/password/reset/key/"))
    form_url = response["Location"]
    response = client.post(form_url, {"password1": "Fresh-tide-77", "password2": "Fresh-tide-77"})
    assert response.status_code == 302
    owner.refresh_from_db()
    assert owner.check_password("Fresh-tide-77")


def test_an_internationalised_domain_gets_its_mail(
    client, smtp, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/signup/", registration_data(email="anna@bücher.de"))
    assert smtp.messages
    for delivered in smtp.messages:
        # On the wire the domain is punycode (SMTP without SMTPUTF8).
        assert delivered.envelope_to == ["anna@xn--bcher-kva.de"]
