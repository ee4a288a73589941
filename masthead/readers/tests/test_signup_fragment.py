"""The registration form embedded in an article's wall (/accounts/signup/fragment/).

It is allauth's signup flow with a fragment template, so everything the sign-up page
promises holds here too; what differs is only the answer: a fragment to show in place,
never a redirect, and `HX-Trigger: masthead:signed-in` once the reader is signed in.
"""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import Client

from masthead.access.models import WallStat
from masthead.access.tests.conftest import newsroom  # noqa: F401  (fixture)
from masthead.newsletters.models import Subscription
from masthead.newsletters.tests.factories import NewsletterFactory
from masthead.readers import botcheck
from masthead.readers.models import ConsentRecord
from masthead.readers.tests.factories import ReaderFactory
from masthead.readers.tests.registration_support import (
    PASSWORD,
    make_legal_pages,
    registration_data,
)

pytestmark = pytest.mark.django_db
User = get_user_model()
FRAGMENT = "/accounts/signup/fragment/"
NEXT = "/news/story/#continue"


@pytest.fixture(autouse=True)
def _fresh_limits(settings):
    settings.ALTCHA_MAX_NUMBER = 2000
    cache.clear()
    yield
    cache.clear()


def post(client, on_commit, **overrides):
    with on_commit(execute=True):
        return client.post(
            FRAGMENT,
            registration_data(**{"next": NEXT, **overrides}),
            HTTP_HX_REQUEST="true",
            REMOTE_ADDR="203.0.113.9",
        )


def test_the_fragment_is_the_form_alone_private_with_its_own_token_and_bot_check(client):
    NewsletterFactory(name="The Morning Briefing")
    response = client.get(FRAGMENT + "?next=/news/story/%23continue")
    assert response.status_code == 200
    cache_control = response["Cache-Control"]
    assert "private" in cache_control and "no-store" in cache_control
    html = response.content.decode()
    assert "<html" not in html and "<body" not in html and "<h1" not in html
    assert re.search(r'<form [^>]*action="/accounts/signup/fragment/"', html)
    assert 'name="csrfmiddlewaretoken"' in html
    assert "csrftoken" in response.cookies
    assert 'name="next" value="/news/story/#continue"' in html
    assert "data-altcha" in html and 'data-challenge-url="/accounts/altcha/challenge/"' in html
    assert 'name="reference"' in html  # the honeypot
    assert "The Morning Briefing" in html and "By clicking Register you confirm" in html


@pytest.mark.parametrize("evil", ["//evil.example/", "https:evil.example", "/\\evil.example"])
def test_registering_never_sends_the_reader_outside_the_site(
    client, django_capture_on_commit_callbacks, evil
):
    response = post(client, django_capture_on_commit_callbacks, next=evil)
    assert response.status_code == 200
    assert response["HX-Trigger"] == "masthead:signed-in"
    assert "Location" not in response and "HX-Redirect" not in response


def test_errors_come_back_in_place_keeping_what_was_typed_but_the_password(
    client, django_capture_on_commit_callbacks
):
    response = post(client, django_capture_on_commit_callbacks, password1="short", first_name="Zoë")
    assert response.status_code == 200
    assert "HX-Trigger" not in response and "X-Masthead-Signed-In" not in response
    html = unescape(response.content.decode())
    assert "<html" not in html
    assert "data-error-summary" in html and "There is a problem" in html
    assert 'value="new.reader@example.com"' in html and 'value="Zoë"' in html
    assert 'value="short"' not in html
    assert 'name="next" value="/news/story/#continue"' in html
    assert 'aria-invalid="true"' in html
    assert not User.objects.exists()
    assert "_auth_user_id" not in client.session


def test_registering_signs_in_and_tells_the_wall_to_continue(
    client, django_capture_on_commit_callbacks, mailoutbox
):
    make_legal_pages()
    newsletter = NewsletterFactory()
    response = post(client, django_capture_on_commit_callbacks, newsletters=[newsletter.pk])
    assert response.status_code == 200  # never a redirect: a fetch would follow it
    assert response["HX-Trigger"] == "masthead:signed-in"
    assert response["X-Masthead-Signed-In"] == "1"
    assert "no-store" in response["Cache-Control"]
    user = User.objects.get()
    assert user.check_password(PASSWORD)
    assert int(client.session["_auth_user_id"]) == user.pk
    # The same records and emails as the sign-up page.
    assert ConsentRecord.objects.filter(user=user).count() == 3
    assert Subscription.objects.filter(user=user, newsletter=newsletter).exists()
    assert sorted(m.subject for m in mailoutbox) == [
        "Confirm your email address for The Test Ledger",
        "Welcome to The Test Ledger",
    ]


@pytest.mark.parametrize(
    ("provider", "field"),
    [
        ("recaptcha", "g-recaptcha-response"),
        ("hcaptcha", "h-captcha-response"),
        ("turnstile", "cf-turnstile-response"),
    ],
)
def test_a_hosted_providers_token_registers_in_the_wall(
    client, django_capture_on_commit_callbacks, settings, monkeypatch, provider, field
):
    """With a hosted bot check the wall's form posts the widget's token under the
    provider's field; the server checks it with the provider (a fake here) and signs
    the reader in; without a token nobody is asked and the form comes back."""
    settings.BOTCHECK_PROVIDER = provider
    settings.BOTCHECK_SITE_KEY = "site-key"
    settings.BOTCHECK_SECRET_KEY = "secret-key"
    asked: list[dict[str, str]] = []
    monkeypatch.setattr(
        botcheck, "http_post_form", lambda url, data: asked.append(data) or {"success": True}
    )
    refused = post(client, django_capture_on_commit_callbacks, altcha=None)
    assert "HX-Trigger" not in refused and "Complete the check" in refused.content.decode()
    assert asked == [] and not User.objects.exists()

    response = post(
        client, django_capture_on_commit_callbacks, altcha=None, **{field: "token-from-widget"}
    )
    assert response["HX-Trigger"] == "masthead:signed-in"
    assert [(a["response"], a["secret"], a["remoteip"]) for a in asked] == [
        ("token-from-widget", "secret-key", "203.0.113.9")
    ]
    assert User.objects.filter(email="new.reader@example.com").exists()


def test_a_registration_from_the_wall_is_credited_to_its_article(
    client,
    django_capture_on_commit_callbacks,
    newsroom,  # noqa: F811
):
    article = newsroom.registration
    response = post(client, django_capture_on_commit_callbacks, next=article.url + "#continue")
    assert response["HX-Trigger"] == "masthead:signed-in"
    assert WallStat.objects.get(article=article, kind="completed").count == 1


@pytest.mark.parametrize("typed", ["reader@example.com", "READER@Example.COM"])
def test_an_existing_address_gets_check_your_inbox_in_place(
    client, django_capture_on_commit_callbacks, mailoutbox, typed
):
    owner = ReaderFactory(email="reader@example.com")
    response = post(client, django_capture_on_commit_callbacks, email=typed)
    assert response.status_code == 200
    assert "HX-Trigger" not in response
    html = response.content.decode()
    assert "Check your inbox to continue" in html
    assert "already" not in html.lower()
    assert User.objects.count() == 1
    assert "_auth_user_id" not in client.session
    [notice] = mailoutbox
    assert notice.to == [owner.email]


def test_an_existing_address_reads_exactly_like_a_bot_caught_by_the_honeypot(
    client, django_capture_on_commit_callbacks
):
    ReaderFactory(email="reader@example.com")
    existing = post(client, django_capture_on_commit_callbacks, email="reader@example.com")
    bot = post(client, django_capture_on_commit_callbacks, email="bot@x.example", reference="x")
    assert existing.status_code == bot.status_code == 200
    assert existing.content == bot.content
    assert User.objects.count() == 1


def test_the_fragment_needs_csrf():
    client = Client(enforce_csrf_checks=True)
    response = client.post(FRAGMENT, registration_data())
    assert response.status_code == 403
    assert not User.objects.exists()


def test_the_token_from_the_fragment_is_enough_to_register(
    django_capture_on_commit_callbacks,
):
    client = Client(enforce_csrf_checks=True)
    html = client.get(FRAGMENT + "?next=/news/story/%23continue").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    response = post(client, django_capture_on_commit_callbacks, csrfmiddlewaretoken=token)
    assert response["HX-Trigger"] == "masthead:signed-in"


def test_a_signed_in_reader_is_told_to_continue(client):
    client.force_login(ReaderFactory(email="reader@example.com"))
    response = client.get(FRAGMENT + "?next=/news/story/%23continue")
    assert response.status_code == 200
    assert response["HX-Trigger"] == "masthead:signed-in"


def test_the_signup_rate_limit_holds_and_answers_in_place(
    client, django_capture_on_commit_callbacks, settings
):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "signup": "1/m/ip"}
    post(client, django_capture_on_commit_callbacks, password1="short")
    response = post(client, django_capture_on_commit_callbacks)
    assert response.status_code == 429
    html = response.content.decode()
    assert "Too many attempts" in html and "<html" not in html
    assert not User.objects.exists()
