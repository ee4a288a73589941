"""Every number a request carries is checked before it reaches the database.

Huge, negative and non-numeric values, in every route and form of ours that takes an
id, get a 4xx or the form's own message, never a 500. SQLite (what `make demo` runs)
has no integer range of its own to fall back on: Python's sqlite3 raises on anything
beyond 64 bits. Run this file on both databases:

    .venv/bin/pytest tests/test_numbers_from_requests.py -q
    DATABASE_URL=postgres://... .venv/bin/pytest tests/test_numbers_from_requests.py -q
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import Client
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from masthead.core.numbers import parse_id
from masthead.newsletters.tests.factories import NewsletterFactory
from masthead.readers.tests.factories import ReaderFactory
from masthead.readers.tests.registration_support import (
    make_legal_pages,
    registration_data,
)

pytestmark = pytest.mark.django_db
INT64_MAX = 2**63 - 1

# Numbers just past every integer width a database uses, far past them, and below zero.
huge_or_negative = st.one_of(
    st.integers(min_value=2**31 - 2, max_value=2**31 + 2),
    st.integers(min_value=INT64_MAX - 2, max_value=INT64_MAX + 2),
    st.integers(min_value=INT64_MAX + 1, max_value=10**40),
    st.integers(min_value=-(10**40), max_value=-1),
    st.just(99999999999999999999),
)
numbers_as_typed = st.one_of(
    huge_or_negative.map(str),
    st.sampled_from(["", " ", "1e400", "0x10", "1.5", "١٢", "NaN", "-0", "+1", "0" * 19 + "1"]),
    st.text(max_size=30),
)
fuzz = settings(
    # How many examples: the suite's Hypothesis profile (root conftest.py).
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture(autouse=True)
def _fresh_limits(settings):
    settings.ALTCHA_MAX_NUMBER = 200
    settings.ACCOUNT_RATE_LIMITS = False  # hundreds of requests from one address
    settings.SIGNUP_IP_LIMIT = 10_000
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def reader_client():
    user = ReaderFactory(email="numbers@example.org")
    client = Client()
    client.force_login(user)
    return client


@fuzz
@given(number=huge_or_negative)
def test_the_article_body_route_answers_404_for_any_number(client, number):
    response = client.get(f"/access/articles/{number}/body/")
    assert response.status_code == 404


def test_the_twenty_digit_article_id_from_the_issue_is_a_404(client):
    assert client.get("/access/articles/99999999999999999999/body/").status_code == 404


@fuzz
@given(value=numbers_as_typed)
def test_the_wall_beacon_refuses_any_article_number_with_a_400(client, value):
    response = client.post("/access/wall-event/", {"event": "shown", "article": value})
    assert response.status_code == 400


@fuzz
@given(value=numbers_as_typed)
def test_the_account_newsletter_page_refuses_any_number_with_its_message(reader_client, value):
    newsletter = NewsletterFactory()
    # The one number that names a real newsletter is a valid choice (on a fresh
    # database its id is 1, which the text strategy types too).
    assume(parse_id(value) != newsletter.pk)
    response = reader_client.post("/account/newsletters/", {"newsletters": [value]})
    assert response.status_code == 200
    assert response.context["form"].errors["newsletters"]


@fuzz
@given(value=numbers_as_typed)
def test_registration_refuses_any_newsletter_number_beside_the_field(client, value):
    make_legal_pages()
    data = registration_data(email="fuzz@example.org", newsletters=[value])
    response = client.post("/accounts/signup/", data)
    assert response.status_code == 200
    assert response.context["form"].errors["newsletters"]
    assert not get_user_model().objects.filter(email="fuzz@example.org").exists()


@fuzz
@given(value=numbers_as_typed)
def test_list_pages_take_any_page_number(client, value):
    from masthead.content.tests.factories import make_home

    make_home()
    response = client.get("/", {"page": value})
    assert response.status_code < 500


@fuzz
@given(uid=st.integers(min_value=2**63 - 2, max_value=36**13 - 1))
def test_a_password_reset_link_with_any_account_number_is_refused(client, uid):
    from django.utils.http import int_to_base36

    key = "c8m-0123456789abcdef"  # shaped like a real token
    response = client.get(f"/accounts/password/reset/key/{int_to_base36(uid)}-{key}/")
    assert response.status_code < 500


@fuzz
@given(number=huge_or_negative)
def test_wagtails_password_forms_answer_404_for_any_number(client, number):
    # Private pages' and documents' password forms (rate limited in readers.ratelimit).
    for url in (
        f"/_util/authenticate_with_password/{number}/1/",
        f"/_util/authenticate_with_password/1/{number}/",
        f"/documents/authenticate_with_password/{number}/",
    ):
        assert client.get(url).status_code == 404
        assert client.post(url, {"password": "x"}).status_code == 404
