"""A selector never writes; the premium read is recorded by one service call per request.

`selectors.article_access` decides who may read what and touches no row; the article
serve path (and the body fragment) then calls `services.article_view_record` exactly
once, which is the only place a view is counted against the meter.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from wagtail.models import Site

from masthead.access import selectors, services
from masthead.access.models import AccessSettings, MeterMonth, MeterRead, WallEvent, WallStat
from masthead.access.policy import Wall

from .conftest import MARKER, make_reader

pytestmark = pytest.mark.django_db


@pytest.fixture
def newsroom(shared_newsroom):
    # Built once for the module; each test gets fresh objects (conftest.shared_newsroom).
    return shared_newsroom


_WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE|REPLACE)\b", re.I)


def _writes(ctx: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in ctx.captured_queries if _WRITE.match(q["sql"])]


def _config(**changes: Any) -> AccessSettings:
    # Created up front: Wagtail's settings lookup creates a missing row on first use.
    config = AccessSettings.for_site(Site.objects.get(is_default_site=True))
    for name, value in changes.items():
        setattr(config, name, value)
    config.save()
    return config


def _request(rf, article, user=None, method: str = "get") -> Any:
    request = getattr(rf, method)(article.url)
    if user is not None:
        request.COOKIES[settings.SESSION_COOKIE_NAME] = "a-session"
        request.user = user
    return request


def _premium_reader(email: str = "meter@example.com") -> Any:
    return make_reader(email)


@pytest.mark.parametrize(
    "who, level",
    [
        ("anonymous", "free"),
        ("anonymous", "registration"),
        ("anonymous", "premium"),
        ("anonymous-with-free-reads", "registration"),
        ("reader", "registration"),
        ("reader", "premium"),
        ("reader-allowance-used", "premium"),
        ("staff", "premium"),
    ],
)
def test_the_selector_alone_writes_nothing(rf, newsroom, who: str, level: str) -> None:
    _config(anonymous_registration_reads=2 if who == "anonymous-with-free-reads" else 0)
    article = getattr(newsroom, level)
    user = None
    if who.startswith("reader"):
        user = _premium_reader()
    if who == "reader-allowance-used":
        MeterMonth.objects.create(user=user, month=services.month_of(timezone.now()), used=5)
    if who == "staff":
        user = make_reader("staff@example.com", is_staff=True)
    request = _request(rf, article, user)
    with CaptureQueriesContext(connection) as ctx:
        access = selectors.article_access(request=request, article=article)
        # Read everything a template reads: the decision and the blocks.
        decision, lead, rest = access.decision, access.lead, access.rest
    assert _writes(ctx) == []
    assert lead or rest or decision.full
    assert not MeterRead.objects.exists()
    assert not WallStat.objects.exists()


def test_the_selector_alone_fails_closed_on_a_first_premium_open(rf, newsroom) -> None:
    """Without the service's record a first open is not shown (it was not counted); an
    article already counted this month reads in full from the selector alone."""
    config = _config(premium_allowance=3)
    reader = _premium_reader()

    def alone() -> Any:
        request = _request(rf, newsroom.premium, reader)
        return selectors.article_access(request=request, article=newsroom.premium).decision

    first = alone()
    assert not first.full and first.remaining == 3
    assert not MeterRead.objects.exists()
    services.meter_view(
        user_id=reader.pk, article=newsroom.premium, access_settings=config, now=timezone.now()
    )
    again = alone()
    assert again.full and not again.counts and again.remaining == 2


def _meter_writes(ctx: CaptureQueriesContext) -> tuple[int, int]:
    reads = [s for s in _writes(ctx) if MeterRead._meta.db_table in s.split("(")[0]]
    months = [s for s in _writes(ctx) if MeterMonth._meta.db_table in s.split("(")[0]]
    return len(reads), len(months)


def test_an_article_request_records_the_premium_read_exactly_once(newsroom, monkeypatch) -> None:
    _config()
    reader = _premium_reader()
    client = Client()
    client.force_login(reader)
    calls: list[int] = []
    meter_view = services.meter_view

    def counted(**kwargs: Any) -> Any:
        calls.append(kwargs["article"].pk)
        return meter_view(**kwargs)

    monkeypatch.setattr(services, "meter_view", counted)

    with CaptureQueriesContext(connection) as ctx:
        response = client.get(newsroom.premium.url)
    assert response.status_code == 200
    assert MARKER in response.content.decode()  # counted, and shown in full
    assert calls == [newsroom.premium.pk]
    assert _meter_writes(ctx) == (1, 1)  # one read row claimed, one month row raised

    with CaptureQueriesContext(connection) as ctx:
        assert client.get(newsroom.premium.url).status_code == 200  # a reread
    assert calls == [newsroom.premium.pk] * 2
    assert _meter_writes(ctx) == (1, 0)  # the read row touched again; nothing counted
    assert MeterRead.objects.get().reads == 2
    assert MeterMonth.objects.get().used == 1

    # The body fragment (after signing in from the wall) records once too.
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(f"/access/articles/{newsroom.others[0].pk}/body/").status_code == 200
    assert calls[-1] == newsroom.others[0].pk and len(calls) == 3
    assert _meter_writes(ctx) == (1, 1)


@pytest.mark.parametrize("level", ["free", "registration"])
def test_other_articles_touch_no_meter_row(newsroom, level: str) -> None:
    client = Client()
    client.force_login(_premium_reader())
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(getattr(newsroom, level).url).status_code == 200
    assert _meter_writes(ctx) == (0, 0)


def test_the_service_twice_for_one_access_records_once(rf, newsroom) -> None:
    _config()
    reader = _premium_reader()
    access = selectors.article_access(
        request=_request(rf, newsroom.premium, reader), article=newsroom.premium
    )
    services.article_view_record(access=access)
    services.article_view_record(access=access)
    assert MeterRead.objects.get().reads == 1
    assert MeterMonth.objects.get().used == 1


def test_a_concurrent_request_that_took_the_last_article_turns_this_one_into_the_wall(
    rf, newsroom
) -> None:
    """The selector saw one article left; by the time this request records its read,
    another request has taken it: the meter's own transaction decides, so the reader
    gets the premium wall and nothing more is counted."""
    config = _config(premium_allowance=1)
    reader = _premium_reader()
    access = selectors.article_access(
        request=_request(rf, newsroom.premium, reader), article=newsroom.premium
    )
    assert selectors.premium_decision_read(access.pending_read).remaining == 1  # as it stood
    services.meter_view(
        user_id=reader.pk, article=newsroom.others[0], access_settings=config, now=timezone.now()
    )
    services.article_view_record(access=access)
    assert not access.decision.full
    assert access.decision.wall is Wall.PREMIUM
    assert access.rest == []
    assert MeterMonth.objects.get().used == 1
    assert not MeterRead.objects.filter(article=newsroom.premium).exists()
    assert WallStat.objects.get().kind == WallEvent.PREMIUM_WALL


@pytest.mark.parametrize("method", ["head", "options"])
def test_a_view_that_cannot_count_writes_nothing(rf, newsroom, method: str) -> None:
    _config()
    reader = _premium_reader()
    request = _request(rf, newsroom.premium, reader, method=method)
    with CaptureQueriesContext(connection) as ctx:
        access = selectors.article_access(request=request, article=newsroom.premium)
        services.article_view_record(access=access)
        assert not access.decision.counts
    assert _writes(ctx) == []


def test_the_selector_creates_no_settings_row(rf, newsroom) -> None:
    """Wagtail's settings lookup creates a missing row; the selector reads it or uses
    the defaults, unsaved."""
    AccessSettings.objects.all().delete()
    request = _request(rf, newsroom.premium, _premium_reader())
    with CaptureQueriesContext(connection) as ctx:
        access = selectors.article_access(request=request, article=newsroom.premium)
        decision, lead = access.decision, access.lead
    assert _writes(ctx) == []
    assert not AccessSettings.objects.exists()
    assert lead and not decision.full
    assert decision.remaining == AccessSettings().premium_allowance


def test_blocks_read_before_the_record_follow_the_meter_answer(rf, newsroom) -> None:
    """Whatever reads the blocks first, a reader charged for an article gets its text."""
    _config(premium_allowance=3)
    request = _request(rf, newsroom.premium, _premium_reader())
    access = selectors.article_access(request=request, article=newsroom.premium)
    assert access.rest == []  # decided from the meter as it stands: not yet counted
    services.article_view_record(access=access)
    assert MeterMonth.objects.get().used == 1
    assert access.decision.full and access.rest
    assert any(MARKER in str(block.value) for block in access.rest)


def test_a_view_that_may_not_count_is_decided_apart_from_one_that_may(rf, newsroom) -> None:
    _config(premium_allowance=3)
    request = _request(rf, newsroom.premium, _premium_reader())
    uncounted = selectors.article_access(request=request, article=newsroom.premium, countable=False)
    counted = selectors.article_access(request=request, article=newsroom.premium)
    assert uncounted is not counted
    assert not uncounted.pending_read.countable and counted.pending_read.countable
    # The page's context (which may not count) takes the serve path's decision.
    again = selectors.article_access(request=request, article=newsroom.premium, countable=False)
    assert again is counted
