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


# -- an address not yet confirmed --------------------------------------------------------
# A reader may choose newsletters before confirming their address; the choice is kept,
# and the page says plainly that issues start once they confirm, with allauth's own
# "send the link again" (the account email page's action), which brings them back here.

WAITING = "once you confirm your email address"


def test_an_unconfirmed_reader_is_told_their_newsletters_wait_and_can_get_the_link_again(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    reader = ReaderFactory(email="unconfirmed@example.com", verified=False)
    daily = NewsletterFactory(slug="daily", name="Morning Edition")
    newsletter_services.subscriptions_set(user=reader, newsletters=[daily], source="signup")
    client.force_login(reader)

    html = client.get(reverse("newsletters:preferences")).content.decode()

    notice = html.split("data-newsletters-unconfirmed", 1)[1].split("</div>", 1)[0]
    assert "The newsletter you chose starts once you confirm" in notice
    assert "unconfirmed@example.com" in notice
    assert 'action="/accounts/email/"' in notice and 'name="action_send"' in notice
    assert 'name="next" value="/account/newsletters/"' in notice
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/accounts/email/",
            {"email": reader.email, "action_send": "", "next": "/account/newsletters/"},
            follow=True,
        )
    assert response.redirect_chain[-1][0] == "/account/newsletters/"
    assert "sent a new confirmation link to unconfirmed@example.com" in response.content.decode()
    assert [m.to for m in mailoutbox] == [["unconfirmed@example.com"]]


def test_an_unconfirmed_reader_still_chooses_and_is_told_when_it_starts(client):
    reader = ReaderFactory(verified=False)
    weekly = NewsletterFactory(slug="weekly")
    client.force_login(reader)

    before = client.get(reverse("newsletters:preferences")).content.decode()
    response = client.post(
        reverse("newsletters:preferences"), {"newsletters": [weekly.pk]}, follow=True
    )

    assert "Newsletters you choose start once you confirm" in before
    assert Subscription.objects.get(user=reader, newsletter=weekly).active
    assert MarketingChoice.objects.filter(user=reader, newsletter=weekly, source="account").exists()
    html = response.content.decode()
    assert "Issues start once you confirm your email address." in html
    assert "The newsletter you chose starts once you confirm" in html


def test_a_confirmed_reader_is_told_nothing_of_the_kind(client):
    reader = ReaderFactory(verified=True)
    weekly = NewsletterFactory(slug="weekly")
    newsletter_services.subscriptions_set(user=reader, newsletters=[weekly], source="signup")
    client.force_login(reader)

    html = client.get(reverse("newsletters:preferences")).content.decode()

    assert WAITING not in html and "data-newsletters-unconfirmed" not in html
