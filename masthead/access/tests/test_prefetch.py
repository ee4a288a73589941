"""Speculative loads (prefetch, prerender) never spend an allowance: only the reader's
own navigation does, exactly once."""

from __future__ import annotations

import pytest
from wagtail.models import Site

from masthead.access.models import AccessSettings, MeterMonth, MeterRead, WallStat
from masthead.access.selectors import FREE_READS_COOKIE

from .conftest import MARKER

pytestmark = pytest.mark.django_db


@pytest.fixture
def newsroom(shared_newsroom):
    # Built once for the module; each test gets fresh objects (conftest.shared_newsroom).
    return shared_newsroom


SPECULATIVE = [
    {"HTTP_SEC_PURPOSE": "prefetch"},
    {"HTTP_SEC_PURPOSE": "prefetch;prerender"},
    {"HTTP_PURPOSE": "prefetch"},
    {"HTTP_X_MOZ": "prefetch"},
]


@pytest.mark.parametrize("headers", SPECULATIVE)
def test_a_prefetch_of_a_premium_article_spends_nothing_and_is_not_kept(
    reader_client, newsroom, headers
):
    response = reader_client.get(newsroom.premium.url, **headers)
    # Browsers keep only 2xx answers to a prefetch: the click fetches the page again.
    assert response.status_code == 503
    assert "no-store" in response["Cache-Control"]
    assert MARKER not in response.content.decode()
    assert not MeterRead.objects.exists()
    assert not MeterMonth.objects.filter(used__gt=0).exists()
    assert not WallStat.objects.exists()


def test_the_navigation_after_a_prefetch_spends_the_allowance_exactly_once(reader_client, newsroom):
    reader_client.get(newsroom.premium.url, HTTP_SEC_PURPOSE="prefetch")
    response = reader_client.get(newsroom.premium.url)
    assert response.status_code == 200
    assert MARKER in response.content.decode()
    assert MeterMonth.objects.get().used == 1
    assert MeterRead.objects.get().reads == 1


def test_a_prefetch_of_an_article_already_read_is_served_in_full(reader_client, newsroom):
    reader_client.get(newsroom.premium.url)
    response = reader_client.get(newsroom.premium.url, HTTP_SEC_PURPOSE="prefetch")
    assert response.status_code == 200
    assert MARKER in response.content.decode()
    assert MeterMonth.objects.get().used == 1


def test_a_prefetch_of_a_free_article_is_served_as_usual(client, newsroom):
    response = client.get(newsroom.free.url, HTTP_SEC_PURPOSE="prefetch")
    assert response.status_code == 200
    assert "public" in response["Cache-Control"]


def test_a_prefetch_uses_none_of_a_visitors_free_reads(client, newsroom):
    config = AccessSettings.for_site(Site.objects.get(is_default_site=True))
    config.anonymous_registration_reads = 1
    config.save()
    response = client.get(newsroom.registration.url, HTTP_SEC_PURPOSE="prefetch")
    assert response.status_code == 503
    assert FREE_READS_COOKIE not in response.cookies
    # The real visit still has its free read.
    assert MARKER in client.get(newsroom.registration.url).content.decode()
