"""Subscriptions and the stop-all switch: exact sets, one ledger row per real change."""

from __future__ import annotations

import pytest

from masthead.newsletters import selectors, services
from masthead.newsletters.models import MarketingChoice, Subscription

from .factories import NewsletterFactory, ReaderFactory

pytestmark = pytest.mark.django_db
A = MarketingChoice.Action


def ledger(user):
    return [
        (c.action, c.newsletter.slug if c.newsletter else None, c.source)
        for c in MarketingChoice.objects.filter(user=user).order_by("pk")
    ]


def test_setting_subscriptions_subscribes_to_exactly_those_and_records_each():
    reader = ReaderFactory()
    daily, weekly, _other = (
        NewsletterFactory(slug="daily"),
        NewsletterFactory(slug="weekly"),
        NewsletterFactory(),
    )

    services.subscriptions_set(user=reader, newsletters=[daily, weekly], source="signup")

    assert {s.newsletter for s in selectors.subscriptions_for(reader)} == {daily, weekly}
    assert ledger(reader) == [(A.SUBSCRIBE, "daily", "signup"), (A.SUBSCRIBE, "weekly", "signup")]


def test_setting_again_records_only_what_changed():
    reader = ReaderFactory()
    daily, weekly = NewsletterFactory(slug="daily"), NewsletterFactory(slug="weekly")
    services.subscriptions_set(user=reader, newsletters=[daily], source="signup")

    services.subscriptions_set(user=reader, newsletters=[weekly], source="account")
    services.subscriptions_set(user=reader, newsletters=[weekly], source="account")

    assert [s.newsletter for s in selectors.subscriptions_for(reader)] == [weekly]
    assert Subscription.objects.get(user=reader, newsletter=daily).active is False
    assert ledger(reader) == [
        (A.SUBSCRIBE, "daily", "signup"),
        (A.UNSUBSCRIBE, "daily", "account"),
        (A.SUBSCRIBE, "weekly", "account"),
    ]


def test_setting_nothing_records_nothing_for_a_new_reader():
    reader = ReaderFactory()
    NewsletterFactory()
    services.subscriptions_set(user=reader, newsletters=[], source="signup")
    assert ledger(reader) == []
    assert not Subscription.objects.filter(user=reader).exists()


def test_resubscribing_reuses_the_row():
    reader = ReaderFactory()
    daily = NewsletterFactory(slug="daily")
    services.subscriptions_set(user=reader, newsletters=[daily], source="signup")
    services.subscriptions_set(user=reader, newsletters=[], source="account")
    services.subscriptions_set(user=reader, newsletters=[daily], source="account")
    assert Subscription.objects.filter(user=reader).count() == 1
    assert [a for a, *_ in ledger(reader)] == [A.SUBSCRIBE, A.UNSUBSCRIBE, A.SUBSCRIBE]


def test_stop_all_switches_everything_off_and_is_recorded_once():
    reader = ReaderFactory()
    daily, weekly = NewsletterFactory(slug="daily"), NewsletterFactory(slug="weekly")
    services.subscriptions_set(user=reader, newsletters=[daily, weekly], source="signup")

    services.marketing_stop_all(user=reader, source="account")
    services.marketing_stop_all(user=reader, source="account")

    assert selectors.marketing_stopped(reader)
    assert not selectors.subscriptions_for(reader).exists()
    assert ledger(reader)[2:] == [
        (A.STOP_ALL, None, "account"),
        (A.UNSUBSCRIBE, "daily", "account"),
        (A.UNSUBSCRIBE, "weekly", "account"),
    ]


def test_resume_lifts_the_switch_without_resubscribing():
    reader = ReaderFactory()
    daily = NewsletterFactory(slug="daily")
    services.subscriptions_set(user=reader, newsletters=[daily], source="signup")
    services.marketing_stop_all(user=reader, source="account")

    services.marketing_resume(user=reader, source="account")
    services.marketing_resume(user=reader, source="account")

    assert not selectors.marketing_stopped(reader)
    assert not selectors.subscriptions_for(reader).exists()
    assert ledger(reader)[-1] == (A.RESUME, None, "account")
    assert [a for a, *_ in ledger(reader)].count(A.RESUME) == 1


def test_choosing_a_newsletter_while_stopped_lifts_the_switch():
    reader = ReaderFactory()
    daily = NewsletterFactory(slug="daily")
    services.marketing_stop_all(user=reader, source="account")

    services.subscriptions_set(user=reader, newsletters=[daily], source="account")

    assert not selectors.marketing_stopped(reader)
    assert ledger(reader) == [
        (A.STOP_ALL, None, "account"),
        (A.RESUME, None, "account"),
        (A.SUBSCRIBE, "daily", "account"),
    ]


def test_cancelling_one_subscription_records_it_once():
    reader = ReaderFactory()
    daily = NewsletterFactory(slug="daily")
    services.subscriptions_set(user=reader, newsletters=[daily], source="signup")
    assert services.subscription_cancel(user=reader, newsletter=daily, source="email") is True
    assert services.subscription_cancel(user=reader, newsletter=daily, source="email") is False
    assert ledger(reader)[-1] == (A.UNSUBSCRIBE, "daily", "email")


def test_choice_lists_offered_newsletters_and_retired_ones_still_subscribed():
    reader = ReaderFactory()
    offered = NewsletterFactory(slug="offered")
    retired = NewsletterFactory(slug="retired", is_offered=False)
    NewsletterFactory(slug="hidden", is_offered=False)
    services.subscriptions_set(user=reader, newsletters=[retired], source="signup")
    assert list(selectors.newsletters_offered()) == [offered]
    assert set(selectors.newsletters_for_choice(reader)) == {offered, retired}


def test_erasure_drops_subscriptions_and_unlinks_the_ledger():
    reader = ReaderFactory()
    daily = NewsletterFactory(slug="daily")
    services.subscriptions_set(user=reader, newsletters=[daily], source="signup")
    services.marketing_stop_all(user=reader, source="account")

    counts = services.marketing_erase(user=reader)

    assert counts == {
        "subscriptions_deleted": 1,
        "marketing_preferences_deleted": 1,
        "marketing_choices_unlinked": 3,
        "deliveries_deleted": 0,
    }
    assert MarketingChoice.objects.filter(user=None).count() == 3
