"""The one-click unsubscribe (RFC 8058) and the signed links in every newsletter."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from masthead.newsletters import rendering, sending, tokens
from masthead.newsletters.models import Delivery, DeliveryStatus, MarketingChoice, Subscription

from .factories import NewsletterFactory
from .sending_rig import make_issue, subscribers

pytestmark = pytest.mark.django_db


@pytest.fixture
def newsletter():
    return NewsletterFactory(slug="morning")


@pytest.fixture
def subscriber(newsletter):
    return subscribers(newsletter, 1)[0]


def path_for(subscriber, newsletter) -> str:
    url = rendering.unsubscribe_url(user_id=subscriber.pk, newsletter=newsletter)
    return url.split("://", 1)[1].split("/", 1)[1].join(["/", ""])


def is_subscribed(user, newsletter) -> bool:
    return Subscription.objects.get(user=user, newsletter=newsletter).active


def one_click(client: Client, path: str):
    # As a mail provider does it: no cookie, no CSRF token, the RFC 8058 body.
    return client.post(
        path,
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )


def test_one_click_post_unsubscribes_with_200_and_no_redirect(newsletter, subscriber):
    client = Client(enforce_csrf_checks=True)
    response = one_click(client, path_for(subscriber, newsletter))

    assert response.status_code == 200
    assert not is_subscribed(subscriber, newsletter)
    assert "no-store" in response["Cache-Control"]
    assert MarketingChoice.objects.get(user=subscriber).source == "one-click"


def test_unsubscribing_twice_is_harmless_and_recorded_once(newsletter, subscriber):
    client = Client(enforce_csrf_checks=True)
    path = path_for(subscriber, newsletter)
    assert one_click(client, path).status_code == 200
    assert one_click(client, path).status_code == 200
    assert MarketingChoice.objects.filter(user=subscriber).count() == 1


def test_a_link_scanners_get_unsubscribes_nobody(client, newsletter, subscriber):
    response = client.get(path_for(subscriber, newsletter))

    assert response.status_code == 200
    assert is_subscribed(subscriber, newsletter)
    assert b'method="post"' in response.content
    assert b"<button" in response.content


@pytest.mark.parametrize("mangle", ["forged", "tampered", "truncated"])
def test_a_forged_or_tampered_token_changes_nothing(client, newsletter, subscriber, mangle):
    good = tokens.unsubscribe_token(user_id=subscriber.pk, newsletter_id=newsletter.pk)
    token = {
        "forged": "WzEsMV0:1abcde:" + "A" * 43,
        "tampered": good.replace(good.split(":")[0], "WzIsMV0"),  # [2,1]: another reader
        "truncated": good[:-3],
    }[mangle]

    response = one_click(client, f"/newsletters/unsubscribe/{newsletter.slug}/{token}/")

    assert response.status_code == 400
    assert "not valid" in response.content.decode()
    assert is_subscribed(subscriber, newsletter)


def test_an_expired_token_is_refused_with_its_reason(
    client, newsletter, subscriber, time_machine, settings
):
    path = path_for(subscriber, newsletter)
    time_machine.move_to(
        dt.datetime.now(dt.UTC) + dt.timedelta(days=settings.NEWSLETTER_UNSUBSCRIBE_DAYS + 1)
    )

    response = one_click(client, path)

    assert response.status_code == 400
    assert "expired" in response.content.decode()
    assert is_subscribed(subscriber, newsletter)


def test_a_token_for_one_list_cannot_unsubscribe_from_another(client, newsletter, subscriber):
    other = NewsletterFactory(slug="evening")
    Subscription.objects.create(user=subscriber, newsletter=other, source="test")
    token = tokens.unsubscribe_token(user_id=subscriber.pk, newsletter_id=newsletter.pk)

    # The token names the list; the slug in the URL cannot point it at another one.
    response = one_click(client, f"/newsletters/unsubscribe/{other.slug}/{token}/")

    assert response.status_code == 200
    assert is_subscribed(subscriber, other) and not is_subscribed(subscriber, newsletter)


def test_a_link_still_works_after_the_slug_is_renamed(newsletter, subscriber):
    path = path_for(subscriber, newsletter)
    newsletter.slug = "renamed"
    newsletter.save()

    response = one_click(Client(enforce_csrf_checks=True), path)

    assert response.status_code == 200
    assert not is_subscribed(subscriber, newsletter)


def test_a_preferences_token_is_not_an_unsubscribe_token(client, newsletter, subscriber):
    token = tokens.preferences_token(user_id=subscriber.pk)
    response = one_click(client, f"/newsletters/unsubscribe/{newsletter.slug}/{token}/")
    assert response.status_code == 400
    assert is_subscribed(subscriber, newsletter)


def test_a_deleted_readers_link_answers_200_and_changes_nothing(client, newsletter, subscriber):
    path = path_for(subscriber, newsletter)
    subscriber.delete()

    response = one_click(client, path)

    assert response.status_code == 200
    assert not Subscription.objects.exists()


def test_an_unknown_newsletter_is_404(client, newsletter, subscriber):
    token = tokens.unsubscribe_token(user_id=subscriber.pk, newsletter_id=newsletter.pk + 1000)
    assert one_click(client, f"/newsletters/unsubscribe/nope/{token}/").status_code == 404


def test_put_is_not_allowed(client, newsletter, subscriber):
    assert client.put(path_for(subscriber, newsletter)).status_code == 405


def test_one_click_mid_send_takes_effect_before_the_next_batch(smtp_settings, settings, newsletter):
    settings.NEWSLETTER_BATCH_SIZE = 1
    settings.NEWSLETTER_CONNECTIONS = 1
    issue = make_issue(newsletter)
    first, second = subscribers(newsletter, 2)
    send = sending.send_start(issue=issue)
    sending.send_freeze(send_id=send.pk)
    sending.batch_send(sending.batch_claim())
    (message,) = smtp_settings.recorder.messages
    header = "".join(message["List-Unsubscribe"].split())
    second_path = path_for(second, newsletter)

    assert one_click(Client(), second_path).status_code == 200
    sending.send_work()

    assert smtp_settings.recorder.recipients() == [first.email]
    assert header.startswith("<http") and f"/newsletters/unsubscribe/{newsletter.slug}/" in header
    assert Delivery.objects.get(send=send, user=second).status == DeliveryStatus.SKIPPED


def test_the_preference_centre_works_from_an_email_without_signing_in(
    client, newsletter, subscriber
):
    other = NewsletterFactory(slug="weekly")
    url = rendering.preferences_url(user_id=subscriber.pk)
    path = "/" + url.split("://", 1)[1].split("/", 1)[1]

    page = client.get(path)
    assert page.status_code == 200 and newsletter.name in page.content.decode()
    saved = client.post(path, {"newsletters": [other.pk]})

    assert saved.status_code == 200 and "saved" in saved.content.decode()
    assert not is_subscribed(subscriber, newsletter) and is_subscribed(subscriber, other)


def test_the_preference_centre_refuses_a_bad_token(client):
    assert client.get("/newsletters/preferences/nonsense/").status_code == 400
