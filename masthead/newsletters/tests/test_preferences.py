"""The reader's newsletter preferences in the account area (newsletters.views): choices
saved and recorded in the ledger, current choices ticked, unknown newsletters refused,
one switch for all marketing email, and the page listed in the account navigation."""

from __future__ import annotations

import pytest
from django.urls import reverse

from masthead.newsletters import services as newsletter_services
from masthead.newsletters.models import MarketingChoice, Subscription
from masthead.newsletters.tests.factories import NewsletterFactory, ReaderFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def reader():
    return ReaderFactory(first_name="Ada", last_name="Lovelace")


def test_the_paths_are_the_ones_readers_served():
    assert reverse("newsletters:preferences") == "/account/newsletters/"
    assert reverse("newsletters:marketing-switch") == "/account/newsletters/switch/"


def test_the_page_is_in_the_account_navigation_and_current(signed_in):
    html = signed_in.get(reverse("newsletters:preferences")).content.decode()
    assert (
        '<a href="/account/newsletters/" aria-current="page" data-account-section="newsletters">'
        in html
    )


def test_newsletter_choices_are_saved_and_recorded(signed_in, reader):
    daily, weekly = NewsletterFactory(slug="daily"), NewsletterFactory(slug="weekly")
    newsletter_services.subscriptions_set(user=reader, newsletters=[daily], source="signup")

    response = signed_in.post(reverse("newsletters:preferences"), {"newsletters": [weekly.pk]})

    assert response.status_code == 302
    assert set(
        Subscription.objects.filter(user=reader, active=True).values_list(
            "newsletter__slug", flat=True
        )
    ) == {"weekly"}
    rows = list(
        MarketingChoice.objects.filter(user=reader, source="account")
        .order_by("pk")
        .values_list("action", "newsletter__slug")
    )
    assert rows == [("unsubscribe", "daily"), ("subscribe", "weekly")]


def test_newsletter_page_shows_current_choices_ticked(signed_in, reader):
    daily = NewsletterFactory(slug="daily", name="Morning Edition")
    NewsletterFactory(slug="weekly", name="Weekend Read")
    newsletter_services.subscriptions_set(user=reader, newsletters=[daily], source="signup")
    response = signed_in.get(reverse("newsletters:preferences"))
    html = response.content.decode()
    assert "Morning Edition" in html and "Weekend Read" in html
    assert f'value="{daily.pk}"' in html
    form = response.context["form"]
    assert [n.pk for n in form.initial["newsletters"]] == [daily.pk]
    assert html.count("checked") == 1


def test_an_unknown_newsletter_is_refused_and_nothing_changes(signed_in, reader):
    hidden = NewsletterFactory(is_offered=False)
    response = signed_in.post(reverse("newsletters:preferences"), {"newsletters": [hidden.pk]})
    assert response.status_code == 200
    assert "Choose from the newsletters listed." in response.content.decode()
    assert not MarketingChoice.objects.filter(user=reader).exists()


def test_one_switch_stops_all_marketing_email_and_another_allows_it(signed_in, reader):
    daily = NewsletterFactory(slug="daily")
    newsletter_services.subscriptions_set(user=reader, newsletters=[daily], source="signup")

    signed_in.post(reverse("newsletters:marketing-switch"), {"action": "stop"})
    page = signed_in.get(reverse("newsletters:preferences")).content.decode()
    assert "You've stopped all marketing email" in page
    assert not Subscription.objects.filter(user=reader, active=True).exists()

    signed_in.post(reverse("newsletters:marketing-switch"), {"action": "allow"})
    actions = list(
        MarketingChoice.objects.filter(user=reader).order_by("pk").values_list("action", flat=True)
    )
    assert actions == ["subscribe", "stop_all", "unsubscribe", "resume"]
