"""Concurrent choices on PostgreSQL: one row per newsletter, one ledger row per change."""

from __future__ import annotations

import threading

import pytest
from django.db import connections

from masthead.newsletters import services
from masthead.newsletters.models import MarketingChoice, MarketingPreference, Subscription

from .factories import NewsletterFactory, ReaderFactory

pytestmark = [
    # serialized_rollback: the flush after a transactional test would otherwise wipe the
    # rows migrations made (Wagtail's root page and collection) for later tests.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.postgresql,  # concurrent writers
]


def _all_at_once(count, work):
    barrier = threading.Barrier(count)
    errors = []

    def run():
        try:
            barrier.wait()
            work()
        except Exception as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors


def test_simultaneous_identical_choices_make_one_row_and_one_ledger_entry_each():
    reader = ReaderFactory()
    daily, weekly = NewsletterFactory(), NewsletterFactory()

    _all_at_once(
        12,
        lambda: services.subscriptions_set(user=reader, newsletters=[daily, weekly], source="x"),
    )

    assert Subscription.objects.filter(user=reader, active=True).count() == 2
    assert MarketingChoice.objects.filter(user=reader, action="subscribe").count() == 2


def test_simultaneous_stop_all_is_recorded_once():
    reader = ReaderFactory()
    daily = NewsletterFactory()
    services.subscriptions_set(user=reader, newsletters=[daily], source="signup")

    _all_at_once(12, lambda: services.marketing_stop_all(user=reader, source="account"))

    assert MarketingPreference.objects.filter(user=reader).count() == 1
    assert MarketingChoice.objects.filter(user=reader, action="stop_all").count() == 1
    assert MarketingChoice.objects.filter(user=reader, action="unsubscribe").count() == 1


def test_a_second_quick_send_now_is_refused_not_a_500():
    from unittest import mock

    from django.db.models import QuerySet

    from masthead.newsletters import sending

    from .sending_rig import make_issue

    issue = make_issue()
    sending.send_start(issue=issue)
    # The second click's check ran before the first click's row was committed.
    with (
        mock.patch.object(QuerySet, "exists", return_value=False),
        pytest.raises(sending.SendRefused, match="already been sent"),
    ):
        sending.send_start(issue=issue)
