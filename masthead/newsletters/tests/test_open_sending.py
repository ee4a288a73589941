"""Account-less subscribers in the send pipeline, against the real SMTP server: one copy
each, with their own one-click and preference links, and the same guarantees as readers."""

from __future__ import annotations

import datetime as dt
import itertools
from collections import Counter

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone
from hypothesis import HealthCheck, example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from masthead.newsletters import emails, sending, services
from masthead.newsletters.models import (
    Batch,
    Delivery,
    DeliveryStatus,
    Newsletter,
    OpenSubscriber,
    Send,
)

from .factories import NewsletterFactory, ReaderFactory
from .sending_rig import make_issue, subscribers

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _one_connection(settings):
    # In-process tests run inside the test's transaction: one database connection.
    settings.NEWSLETTER_CONNECTIONS = 1


@pytest.fixture
def open_list():
    return NewsletterFactory(
        slug="weekly",
        audience=Newsletter.Audience.OPEN,
        sender_name="The Weekly",
        sender_address="weekly@example.org",
    )


def open_subscribers(newsletter, count, *, status=OpenSubscriber.Status.ACTIVE, prefix="open"):
    return [
        OpenSubscriber.objects.create(
            newsletter=newsletter, email=f"{prefix}{n}@example.net", status=status
        )
        for n in range(count)
    ]


def test_confirmed_subscribers_and_readers_each_get_exactly_one_copy(smtp_settings, open_list):
    issue = make_issue(open_list)
    readers = subscribers(open_list, 2)
    confirmed = open_subscribers(open_list, 3)
    open_subscribers(open_list, 1, status=OpenSubscriber.Status.PENDING, prefix="pending")
    open_subscribers(open_list, 1, status=OpenSubscriber.Status.UNSUBSCRIBED, prefix="gone")
    send = sending.send_start(issue=issue)

    sending.send_work()
    sending.send_work()  # a second pass sends nothing again

    got = Counter(m["To"] for m in smtp_settings.recorder.messages)
    assert got == Counter([r.email for r in readers] + [s.email for s in confirmed])
    send.refresh_from_db()
    assert send.total == 5
    assert Delivery.objects.filter(send=send, subscriber__isnull=False).count() == 3
    copy = next(m for m in smtp_settings.recorder.messages if m["To"] == confirmed[0].email)
    assert copy["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "/newsletters/open/unsubscribe/weekly/" in copy["List-Unsubscribe"]
    assert copy["Message-ID"] == sending.message_id(send_id=send.pk, subscriber_id=confirmed[0].pk)
    text, html = (part.get_payload(decode=True).decode() for part in copy.get_payload())
    assert "%%" not in text + html
    assert "/newsletters/open/preferences/weekly/" in text


def test_a_registered_only_newsletter_never_sends_to_open_rows(smtp_settings):
    exclusive = NewsletterFactory()
    issue = make_issue(exclusive)
    subscribers(exclusive, 1)
    open_subscribers(exclusive, 2)  # rows that should not exist, but do no harm

    sending.send_start(issue=issue)
    sending.send_work()

    assert len(smtp_settings.recorder.messages) == 1


def test_suppressed_and_mid_send_unsubscribed_subscribers_get_nothing(smtp_settings, open_list):
    issue = make_issue(open_list)
    kept, suppressed, leaving = open_subscribers(open_list, 3)
    services.suppression_record(email=suppressed.email, reason="bounce")
    send = sending.send_start(issue=issue)
    sending.send_freeze(send_id=send.pk)  # the list is fixed: kept and leaving
    services.open_subscriber_unsubscribe(  # before their batch goes
        subscriber_id=leaving.pk, newsletter=open_list, source="one-click"
    )
    services.suppression_record(email=kept.email + ".other", reason="bounce")

    sending.send_work()

    assert [m["To"] for m in smtp_settings.recorder.messages] == [kept.email]
    assert Counter(Delivery.objects.filter(send=send).values_list("status", flat=True)) == {
        DeliveryStatus.SENT: 1,
        DeliveryStatus.SKIPPED: 1,
    }


def test_later_sign_ups_are_not_in_a_send_already_started(smtp_settings, open_list):
    issue = make_issue(open_list)
    open_subscribers(open_list, 1)
    send = sending.send_start(issue=issue)
    sending.send_freeze(send_id=send.pk)
    open_subscribers(open_list, 1, prefix="late")

    sending.send_work()

    assert [m["To"] for m in smtp_settings.recorder.messages] == ["open0@example.net"]


@pytest.mark.parametrize("proved", [True, False], ids=["account-proved", "account-unproved"])
def test_an_address_on_the_list_both_ways_gets_one_copy(smtp_settings, open_list, proved):
    # Confirmed without an account, then an account with the address chose the list too
    # (before the carry-over moved the row). Proved, the account receives it and the row
    # is left out; unproved, the account gets nothing, so the row must not be left out:
    # whoever registered with the address cannot cost its owner their copy.
    (row,) = open_subscribers(open_list, 1)
    reader = ReaderFactory(email=row.email, verified=proved)
    services.subscriptions_set(user=reader, newsletters=[open_list], source="account")
    issue = make_issue(open_list)

    send = sending.send_start(issue=issue)
    sending.send_work()

    assert [m["To"] for m in smtp_settings.recorder.messages] == [row.email]
    (delivery,) = Delivery.objects.filter(send=send)
    assert (delivery.user_id, delivery.subscriber_id) == (
        (reader.pk, None) if proved else (None, row.pk)
    )


def test_a_delivery_names_one_recipient_once(open_list):
    issue = make_issue(open_list)
    (row,) = open_subscribers(open_list, 1)
    reader = ReaderFactory()
    send = Send.objects.create(issue=issue, status="sending")
    batch = Batch.objects.create(send=send, number=0)
    Delivery.objects.create(send=send, batch=batch, subscriber=row)

    for fields in ({"subscriber": row}, {"user": reader, "subscriber": row}, {}):
        with pytest.raises(IntegrityError), transaction.atomic():
            Delivery.objects.create(send=send, batch=batch, **fields)


@hypothesis_settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    steps=st.lists(
        st.tuples(
            st.sampled_from(["request", "confirm", "unsubscribe", "wait"]),
            st.sampled_from(["a@example.com", "b@example.com"]),
        ),
        max_size=12,
    )
)
@example(  # the owner confirms, leaves and asks again inside the window: a new email
    steps=[
        ("request", "b@example.com"),
        ("confirm", "b@example.com"),
        ("unsubscribe", "b@example.com"),
        ("request", "b@example.com"),
    ]
)
def test_any_sequence_of_requests_keeps_one_row_and_one_email_per_window(
    open_list, django_capture_on_commit_callbacks, mailoutbox, time_machine, steps
):
    """Whatever people do, each address has at most one row on the list, only a
    confirmed row is active, and a confirmation email goes at most once per resend
    window per address until the mailbox's owner confirms (someone without the mailbox
    cannot confirm, so only the owner can start a new window by unsubscribing and
    asking again)."""
    OpenSubscriber.objects.all().delete()
    mailoutbox.clear()
    time_machine.move_to(timezone.now())
    confirmed: set[str] = set()
    sent_at: dict[str, list[dt.datetime]] = {}
    unconfirmed_sends: dict[str, list[dt.datetime]] = {}  # since the owner last confirmed
    for action, address in steps:
        row = OpenSubscriber.objects.filter(email=address).first()
        if action == "request":
            with django_capture_on_commit_callbacks(execute=True):
                outcome = services.open_signup_request(newsletter=open_list, email_address=address)
            if outcome == services.SignupOutcome.SENT:
                sent_at.setdefault(address, []).append(timezone.now())
                unconfirmed_sends.setdefault(address, []).append(timezone.now())
        elif action == "confirm" and row is not None:
            services.open_signup_confirm(
                newsletter=open_list, subscriber_id=row.pk, requested=emails.requested_stamp(row)
            )
            if row.status == OpenSubscriber.Status.PENDING:
                confirmed.add(address)
                unconfirmed_sends[address] = []
        elif action == "unsubscribe" and row is not None:
            services.open_subscriber_unsubscribe(
                subscriber_id=row.pk, newsletter=open_list, source="one-click"
            )
            confirmed.discard(address)
        elif action == "wait":
            time_machine.shift(dt.timedelta(minutes=10))

        emails_to = Counter(m.to[0] for m in mailoutbox)
        for who, times in sent_at.items():
            assert emails_to[who] == len(times)
        for times in unconfirmed_sends.values():
            gaps = [b - a for a, b in itertools.pairwise(times)]
            assert all(gap >= dt.timedelta(minutes=15) for gap in gaps)
        for who in ("a@example.com", "b@example.com"):
            rows = OpenSubscriber.objects.filter(email=who)
            assert rows.count() <= 1
            active = rows.filter(status=OpenSubscriber.Status.ACTIVE).exists()
            assert active == (who in confirmed)
