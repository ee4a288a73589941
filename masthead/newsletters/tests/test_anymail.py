"""django-anymail: newsletters through a provider's backend by setting, and its verified
tracking webhooks turning hard bounces and complaints into suppressions.

The webhook calls are real Mailgun payloads (their documented shape), signed with the
webhook signing key as Mailgun signs them (HMAC-SHA256 of timestamp + token) and sent
with the basic auth anymail checks, through Django's test client.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import pytest
from anymail.message import AnymailRecipientStatus
from django.core import mail

from masthead.newsletters import sending
from masthead.newsletters.models import Delivery, DeliveryStatus, Suppression

from .sending_rig import make_issue, subscribers

pytestmark = pytest.mark.django_db

SIGNING_KEY = "key-test-webhook-signing"
BASIC_AUTH = "masthead:webhook-secret"
URL = "/newsletters/anymail/mailgun/tracking/"


@pytest.fixture(autouse=True)
def _anymail(settings):
    settings.ANYMAIL = {"WEBHOOK_SECRET": BASIC_AUTH, "MAILGUN_WEBHOOK_SIGNING_KEY": SIGNING_KEY}
    settings.NEWSLETTER_CONNECTIONS = 1


def mailgun_event(event: str, recipient: str, *, key: str = SIGNING_KEY, **extra) -> dict:
    timestamp = str(int(time.time()))
    token = hashlib.sha256(f"{recipient}{event}{time.time_ns()}".encode()).hexdigest()[:50]
    signature = hmac.new(key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256)
    return {
        "signature": {"timestamp": timestamp, "token": token, "signature": signature.hexdigest()},
        "event-data": {
            "event": event,
            "timestamp": float(timestamp),
            "id": "CPgfbmQMTCKtHW6uIWtuVe",
            "recipient": recipient,
            "message": {"headers": {"message-id": "20130503182626.18666.16540@example.org"}},
            **extra,
        },
    }


def post(client, payload: dict, *, auth: str = BASIC_AUTH):
    return client.post(
        URL,
        data=json.dumps(payload),
        content_type="application/json",
        HTTP_AUTHORIZATION="Basic " + base64.b64encode(auth.encode()).decode(),
    )


def suppressed(address: str) -> str | None:
    return Suppression.objects.filter(email=address).values_list("reason", flat=True).first()


def test_without_the_webhook_secret_no_event_is_trusted(client, settings):
    # anymail answers calls without basic auth when no secret is set (with a warning),
    # so a stranger's made-up bounce must change nothing.
    settings.ANYMAIL = {"MAILGUN_WEBHOOK_SIGNING_KEY": SIGNING_KEY}
    payload = mailgun_event("complained", "reader@example.com")
    response = client.post(URL, data=json.dumps(payload), content_type="application/json")
    assert response.status_code == 200  # anymail took it: the signal was sent
    assert suppressed("reader@example.com") is None


def test_a_signed_hard_bounce_suppresses_the_address(client):
    payload = mailgun_event(
        "failed",
        "Gone@Example.com",
        severity="permanent",
        reason="bounce",
        **{"delivery-status": {"code": 550, "message": "5.1.1 The email account does not exist"}},
    )
    assert post(client, payload).status_code == 200
    assert suppressed("gone@example.com") == Suppression.Reason.BOUNCE


def test_a_signed_complaint_suppresses_the_address(client):
    assert post(client, mailgun_event("complained", "angry@example.com")).status_code == 200
    assert suppressed("angry@example.com") == Suppression.Reason.COMPLAINT


@pytest.mark.parametrize(
    ("event", "extra"),
    [
        ("failed", {"severity": "temporary", "reason": "generic"}),  # a soft bounce
        ("delivered", {}),
        ("opened", {}),
    ],
)
def test_soft_bounces_and_other_events_suppress_nobody(client, event, extra):
    assert post(client, mailgun_event(event, "fine@example.com", **extra)).status_code == 200
    assert suppressed("fine@example.com") is None


def test_a_forged_signature_is_refused_and_records_nothing(client):
    forged = mailgun_event("complained", "victim@example.com", key="key-guessed")
    assert post(client, forged).status_code == 400
    tampered = mailgun_event("complained", "someone@example.com")
    tampered["event-data"]["recipient"] = "victim@example.com"
    tampered["signature"]["timestamp"] = str(int(tampered["signature"]["timestamp"]) + 1)
    assert post(client, tampered).status_code == 400
    assert suppressed("victim@example.com") is None


def test_a_call_without_the_webhook_secret_is_refused(client):
    payload = mailgun_event("complained", "victim@example.com")
    assert post(client, payload, auth="masthead:wrong").status_code == 400
    assert suppressed("victim@example.com") is None


def test_a_suppressed_reader_is_left_out_of_the_next_send(client, settings):
    settings.NEWSLETTER_EMAIL_BACKEND = "anymail.backends.test.EmailBackend"
    issue = make_issue()
    kept, bounced = subscribers(issue.newsletter, 2)
    post(client, mailgun_event("failed", bounced.email, severity="permanent"))

    sending.send_start(issue=issue)
    sending.send_work()

    assert [m.to for m in mail.outbox] == [[kept.email]]


def test_the_newsletter_backend_is_chosen_by_setting(settings, smtp_settings):
    # Transactional email stays on SMTP; newsletters go through the provider's API.
    settings.NEWSLETTER_EMAIL_BACKEND = "anymail.backends.test.EmailBackend"
    issue = make_issue()
    readers = subscribers(issue.newsletter, 2)
    send = sending.send_start(issue=issue)

    sending.send_work()

    assert smtp_settings.recorder.messages == []
    assert sorted(m.to[0] for m in mail.outbox) == sorted(r.email for r in readers)
    params = mail.outbox[0].anymail_test_params
    assert params["extra_headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert params["extra_headers"]["List-Unsubscribe"].startswith("<http")
    assert Delivery.objects.filter(send=send, status=DeliveryStatus.SENT).count() == 2


def test_a_provider_refusing_the_address_fails_the_delivery_for_good(settings, monkeypatch):
    settings.NEWSLETTER_EMAIL_BACKEND = "anymail.backends.test.EmailBackend"
    issue = make_issue()
    (reader,) = subscribers(issue.newsletter, 1)
    copy_for = sending.rendering.copy_for

    def refused(*args, **kwargs):
        # The provider's answer: this recipient rejected (anymail then raises
        # AnymailRecipientsRefused, as with a real provider).
        message = copy_for(*args, **kwargs)
        rejected = AnymailRecipientStatus(message_id=None, status="rejected")
        message.anymail_test_response = {"recipient_status": {reader.email: rejected}}
        return message

    monkeypatch.setattr(sending.rendering, "copy_for", refused)
    send = sending.send_start(issue=issue)
    sending.send_work()

    delivery = Delivery.objects.get(send=send, user=reader)
    assert delivery.status == DeliveryStatus.FAILED and delivery.attempts == 1
    assert "AnymailRecipientsRefused" in delivery.error
