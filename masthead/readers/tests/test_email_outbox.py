"""Readers' emails go through core's durable outbox: written with their cause, no secrets."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.cache import cache

from masthead.core import outbox, privacy
from masthead.core.models import OutboxEmail, OutboxStatus
from masthead.readers.account.services import account_erase
from masthead.readers.models import User
from masthead.readers.tests.registration_support import registration_data

pytestmark = pytest.mark.django_db
SIGNUP = "/accounts/signup/"


@pytest.fixture(autouse=True)
def _fresh_limits(settings):
    settings.ALTCHA_MAX_NUMBER = 2000
    cache.clear()


@pytest.fixture
def smtp_down(settings):
    """Email goes to a port where no server listens: every attempt is refused."""
    from masthead.core.tests.smtp import free_port

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()
    settings.EMAIL_TIMEOUT = 5


def register(client, on_commit, **overrides):
    with on_commit(execute=True):
        return client.post(SIGNUP, registration_data(**overrides), REMOTE_ADDR="203.0.113.9")


def test_registering_while_the_mail_server_is_down_keeps_both_emails_for_later(
    client, django_capture_on_commit_callbacks, smtp_down
):
    response = register(client, django_capture_on_commit_callbacks, email="ada@example.com")
    assert response.status_code == 302  # the reader is signed in; email waits for the server
    rows = OutboxEmail.objects.order_by("renderer")
    assert [r.renderer.rsplit(".", 1)[1] for r in rows] == ["verification_email", "welcome_email"]
    assert all(r.status == OutboxStatus.QUEUED and r.attempts == 1 for r in rows)
    assert all("Connection refused" in r.last_error for r in rows)


def test_the_outbox_holds_ids_not_the_verification_key(
    client, django_capture_on_commit_callbacks, mailoutbox
):
    register(client, django_capture_on_commit_callbacks, email="ada@example.com")
    # Subjects end with the newsroom's name (masthead.core.newsroom).
    sent = {m.subject.split(" for ")[0]: m for m in mailoutbox}
    link = next(
        line
        for line in sent["Confirm your email address"].body.split()
        if "/confirm-email/" in line
    )
    key = link.rstrip("/").rsplit("/", 1)[1]
    row = OutboxEmail.objects.get(renderer__endswith="verification_email")
    assert key not in str(row.params)
    assert set(row.params) == {"email_address_id", "signup", "base_url"}
    assert row.status == OutboxStatus.SENT
    assert sent["Confirm your email address"].extra_headers["Message-ID"] == row.message_id


def test_an_account_deleted_before_its_emails_went_cancels_them(
    client, django_capture_on_commit_callbacks, mailoutbox
):
    # The worker has not got to the emails yet (delivery is left uncommitted here).
    with django_capture_on_commit_callbacks(execute=False):
        client.post(SIGNUP, registration_data(email="ada@example.com"))
    assert OutboxEmail.objects.filter(status=OutboxStatus.QUEUED).count() == 2
    account_erase(user=User.objects.get())
    assert outbox.deliver_due() == 2
    assert set(OutboxEmail.objects.values_list("status", flat=True)) == {OutboxStatus.CANCELLED}
    assert mailoutbox == []


def test_the_export_lists_the_emails_sent_and_erasure_forgets_them(
    client, django_capture_on_commit_callbacks
):
    register(client, django_capture_on_commit_callbacks, email="ada@example.com")
    reader = User.objects.get()
    emails = privacy.export_for(reader)["emails"]
    newsroom = str(settings.WAGTAIL_SITE_NAME)
    assert sorted(e["subject"] for e in emails) == [
        f"Confirm your email address for {newsroom}",
        f"Welcome to {newsroom}",
    ]
    account_erase(user=reader)
    assert not OutboxEmail.objects.filter(recipient__iexact="ada@example.com").exists()
