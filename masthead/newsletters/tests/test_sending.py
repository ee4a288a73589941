"""The send pipeline in one process, against a real SMTP server (aiosmtpd).

Each subscriber gets one copy; later sign-ups and unsubscribes are honoured; temporary
refusals are retried with backoff and permanent ones marked; pause, resume and cancel
re-send nothing.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from django.utils import timezone

from masthead.newsletters import sending, services
from masthead.newsletters.models import (
    Batch,
    BatchStatus,
    Delivery,
    DeliveryStatus,
    MarketingPreference,
    Send,
    SendStatus,
    Subscription,
    Suppression,
)

from .factories import NewsletterFactory
from .sending_rig import change_address, make_article_pair, make_issue, subscribers

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _one_connection(settings):
    # In-process tests run inside the test's transaction: one database connection.
    settings.NEWSLETTER_CONNECTIONS = 1
    settings.NEWSLETTER_RETRY_BASE_SECONDS = 60


def start(issue, **kwargs):
    send = sending.send_start(issue=issue, **kwargs)
    return send


def statuses(send):
    return Counter(Delivery.objects.filter(send=send).values_list("status", flat=True))


def test_each_subscriber_gets_one_copy_with_one_click_headers(smtp_settings):
    issue = make_issue(articles=make_article_pair())
    readers = subscribers(issue.newsletter, 3)
    send = start(issue)

    sending.send_work()

    messages = smtp_settings.recorder.messages
    assert sorted(m["To"] for m in messages) == sorted(r.email for r in readers)
    first = next(m for m in messages if m["To"] == readers[0].email)
    assert first["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert first["List-Unsubscribe"].strip().startswith("<http")
    assert "/newsletters/unsubscribe/" in first["List-Unsubscribe"]
    assert first["From"] == "The Morning Desk <desk@example.org>"
    assert first["Reply-To"] == "editor@example.org"
    assert first["Message-ID"] == sending.message_id(send_id=send.pk, user_id=readers[0].pk)
    text, html = (part.get_payload(decode=True).decode() for part in first.get_payload())
    assert "Reader0" in text and "Reader0" in html
    assert "%%" not in text and "%%" not in html
    assert "A premium story" in text and "Premium" in text
    assert "Body of article" not in text + html  # never an article's body
    send.refresh_from_db()
    assert send.status == SendStatus.SENT and send.total == 3
    assert set(Batch.objects.filter(send=send).values_list("status", flat=True)) == {"sent"}


def test_the_issue_is_rendered_once_and_copies_differ_only_by_substitution(smtp_settings):
    issue = make_issue()
    subscribers(issue.newsletter, 2)
    send = start(issue)
    sending.send_work()
    send.refresh_from_db()
    assert "%%first_name%%" in send.html and "%%unsubscribe_url%%" in send.html
    a, b = (
        m.get_payload()[0].get_payload(decode=True).decode()
        for m in smtp_settings.recorder.messages
    )
    assert a.replace("Reader0", "X").split("http")[0] == b.replace("Reader1", "X").split("http")[0]


def test_who_is_left_out_when_the_send_starts(smtp_settings):
    issue = make_issue()
    active, unsubscribed, stopped, suppressed, closed = subscribers(issue.newsletter, 5)
    Subscription.objects.filter(user=unsubscribed).update(active=False)
    MarketingPreference.objects.create(user=stopped, marketing_stopped=True)
    Suppression.objects.create(email=suppressed.email.upper().lower(), reason="bounce")
    type(closed).objects.filter(pk=closed.pk).update(is_active=False)
    start(issue)

    sending.send_work()

    assert smtp_settings.recorder.recipients() == [active.email]


def test_later_signups_are_not_included(smtp_settings):
    issue = make_issue()
    subscribers(issue.newsletter, 2)
    send = start(issue)
    sending.send_freeze(send_id=send.pk)
    subscribers(issue.newsletter, 1, prefix="late")

    sending.send_work()

    assert len(smtp_settings.recorder.messages) == 2
    assert "late0@example.com" not in smtp_settings.recorder.recipients()


def test_a_reader_who_unsubscribes_mid_send_gets_nothing_from_later_batches(
    smtp_settings, settings
):
    settings.NEWSLETTER_BATCH_SIZE = 2
    issue = make_issue()
    readers = subscribers(issue.newsletter, 4)
    send = start(issue)
    sending.send_freeze(send_id=send.pk)
    sending.batch_send(sending.batch_claim())  # the first batch: readers 0 and 1

    services.subscription_cancel(user=readers[3], newsletter=issue.newsletter, source="one-click")
    sending.send_work()

    assert sorted(smtp_settings.recorder.recipients()) == sorted(r.email for r in readers[:3])
    assert Delivery.objects.get(send=send, user=readers[3]).status == DeliveryStatus.SKIPPED


def test_temporary_refusals_are_retried_with_backoff_and_permanent_ones_marked(smtp_settings):
    newsletter = NewsletterFactory()
    issue = make_issue(newsletter)
    ok, busy, refused = subscribers(newsletter, 3)
    for user, address in ((busy, "busy@example.com"), (refused, "refused@example.com")):
        change_address(user, address)
    send = start(issue)

    sending.send_work()

    assert smtp_settings.recorder.recipients() == [ok.email]
    rows = {d.user_id: d for d in Delivery.objects.filter(send=send)}
    assert rows[refused.pk].status == DeliveryStatus.FAILED, rows[refused.pk].error
    assert "550" in rows[refused.pk].error
    assert rows[busy.pk].status == DeliveryStatus.PENDING and rows[busy.pk].attempts == 1
    assert rows[busy.pk].next_attempt_at > timezone.now() + dt.timedelta(seconds=20)
    batch = Batch.objects.get(send=send)
    assert batch.status == BatchStatus.PENDING and batch.run_after >= rows[busy.pk].next_attempt_at
    send.refresh_from_db()
    assert send.status == SendStatus.SENDING  # not finished while a retry is due

    # Nothing is due yet; after the backoff the retry goes, and gives up at the limit.
    assert sending.send_work() == 0
    Delivery.objects.filter(pk=rows[busy.pk].pk).update(attempts=5, next_attempt_at=timezone.now())
    Batch.objects.filter(pk=batch.pk).update(run_after=timezone.now())
    sending.send_work()
    assert Delivery.objects.get(pk=rows[busy.pk].pk).status == DeliveryStatus.FAILED
    send.refresh_from_db()
    assert send.status == SendStatus.SENT


def test_pause_and_resume_send_nobody_twice(smtp_settings, settings):
    settings.NEWSLETTER_BATCH_SIZE = 2
    issue = make_issue()
    readers = subscribers(issue.newsletter, 5)
    send = start(issue)
    sending.send_freeze(send_id=send.pk)
    sending.batch_send(sending.batch_claim())

    assert sending.send_pause(send=send)
    assert sending.send_work() == 0
    assert len(smtp_settings.recorder.messages) == 2
    assert sending.send_resume(send=send)
    sending.send_work()

    assert Counter(smtp_settings.recorder.recipients()) == Counter({r.email: 1 for r in readers})


def test_cancel_skips_everyone_not_yet_sent(smtp_settings, settings):
    settings.NEWSLETTER_BATCH_SIZE = 2
    issue = make_issue()
    subscribers(issue.newsletter, 4)
    send = start(issue)
    sending.send_freeze(send_id=send.pk)
    sending.batch_send(sending.batch_claim())

    assert sending.send_cancel(send=send)
    sending.send_work()

    assert len(smtp_settings.recorder.messages) == 2
    assert statuses(send) == Counter({"sent": 2, "skipped": 2})
    progress = sending.send_progress(send)
    assert progress["status"] == SendStatus.CANCELLED and progress["remaining"] == 0


def test_an_issue_is_sent_at_most_once():
    issue = make_issue()
    start(issue)
    with pytest.raises(sending.SendRefused, match="already"):
        start(issue)


def test_a_schedule_in_the_past_is_refused():
    with pytest.raises(sending.SendRefused, match="future"):
        start(make_issue(), when=timezone.now() - dt.timedelta(minutes=1))


def test_a_scheduled_send_waits_for_its_time(smtp_settings, time_machine):
    time_machine.move_to(timezone.now(), tick=True)
    issue = make_issue()
    subscribers(issue.newsletter, 1)
    send = start(issue, when=timezone.now() + dt.timedelta(hours=1))
    sending.send_work()
    assert smtp_settings.recorder.messages == []
    time_machine.shift(dt.timedelta(hours=1, minutes=1))
    sending.send_work()
    assert len(smtp_settings.recorder.messages) == 1
    assert Send.objects.get(pk=send.pk).status == SendStatus.SENT


def test_the_throttle_spaces_batches_out(settings):
    settings.NEWSLETTER_BATCH_SIZE = 10
    newsletter = NewsletterFactory(throttle_per_minute=600)
    issue = make_issue(newsletter)
    subscribers(newsletter, 20)
    send = start(issue)
    sending.send_freeze(send_id=send.pk)

    assert sending.batch_claim() is not None
    assert sending.batch_claim() is None  # the next is due a second later (10 at 600/min)
    send.refresh_from_db()
    assert (
        dt.timedelta(seconds=0.5) < send.next_claim_at - timezone.now() <= dt.timedelta(seconds=1)
    )


def test_a_claimed_batch_is_not_claimed_again_while_its_lease_runs():
    issue = make_issue()
    subscribers(issue.newsletter, 2)
    send = start(issue)
    sending.send_freeze(send_id=send.pk)
    claim = sending.batch_claim()
    assert claim is not None and sending.batch_claim() is None
    Batch.objects.filter(pk=claim.batch_id).update(
        lease_until=timezone.now() - dt.timedelta(seconds=1)
    )
    again = sending.batch_claim()
    assert again is not None and again.token == claim.token + 1


def test_an_address_no_message_can_be_built_for_is_marked_failed_at_once(smtp_settings):
    issue = make_issue()
    (broken,) = subscribers(issue.newsletter, 1)
    change_address(broken, "two@at@example.com")
    send = start(issue)

    sending.send_work()

    delivery = Delivery.objects.get(send=send)
    assert delivery.status == DeliveryStatus.FAILED and "Invalid address" in delivery.error
    assert smtp_settings.recorder.messages == []


def test_a_recipient_whose_message_cannot_be_built_fails_and_the_rest_are_sent(
    smtp_settings, monkeypatch
):
    issue = make_issue()
    broken, fine = subscribers(issue.newsletter, 2)
    copy_for = sending.rendering.copy_for

    def copy_or_crash(*args, **kwargs):
        if kwargs["user_id"] == broken.pk:
            raise KeyError("price")
        return copy_for(*args, **kwargs)

    monkeypatch.setattr(sending.rendering, "copy_for", copy_or_crash)
    send = start(issue)

    sending.send_work()

    failed = Delivery.objects.get(send=send, user=broken)
    assert failed.status == DeliveryStatus.FAILED and "KeyError" in failed.error
    assert Delivery.objects.get(send=send, user=fine).status == DeliveryStatus.SENT
    assert smtp_settings.recorder.recipients() == [fine.email]
