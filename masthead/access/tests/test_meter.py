"""The premium meter: once per article per month, never over the allowance, renewing
at the turn of the month in the site's timezone, and cheap."""

from __future__ import annotations

import re
import threading
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import close_old_connections, connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from wagtail.models import Site

from masthead.access import services
from masthead.access.models import AccessSettings, MeterMonth, MeterRead
from masthead.access.selectors import meter_summary, premium_reads_this_month
from masthead.content.tests.factories import make_article

from .conftest import MARKER, make_reader

LONDON = ZoneInfo("Europe/London")
# Transaction control is not a query: PostgreSQL's BEGIN is implicit (never captured),
# SQLite's "BEGIN IMMEDIATE" and test savepoints are; count data statements only.
_CONTROL = re.compile(r"^\s*(BEGIN|SAVEPOINT|RELEASE SAVEPOINT|ROLLBACK)", re.I)


def _allowance(n: int) -> None:
    config = AccessSettings.for_site(Site.objects.get(is_default_site=True))
    config.premium_allowance = n
    config.save()


def _full(client: Client, article) -> bool:
    html = client.get(article.url).content.decode()
    assert "wall__heading" in html or "article__gated" in html or "Body of article" in html
    return "wall__heading" not in html


@pytest.mark.django_db
def test_an_article_counts_once_a_month_however_often_it_is_opened(reader_client, newsroom):
    for _ in range(3):
        assert MARKER in reader_client.get(newsroom.premium.url).content.decode()
    assert MeterMonth.objects.get().used == 1
    read = MeterRead.objects.get()
    assert read.reads == 3 and read.article_id == newsroom.premium.pk


@pytest.mark.django_db
def test_the_allowance_is_never_exceeded_and_rereads_stay_open(reader_client, newsroom):
    _allowance(2)
    a, b, c = newsroom.others[:3]
    assert _full(reader_client, a) and _full(reader_client, b)
    assert not _full(reader_client, c)
    assert _full(reader_client, a)  # already opened this month: still open
    assert MeterMonth.objects.get().used == 2
    assert set(MeterRead.objects.values_list("article_id", flat=True)) == {a.pk, b.pk}


@pytest.mark.django_db
def test_zero_allowance_walls_every_premium_article(reader_client, newsroom):
    _allowance(0)
    assert not _full(reader_client, newsroom.premium)
    assert not MeterRead.objects.exists()


@pytest.mark.django_db
def test_the_allowance_renews_at_the_turn_of_the_month_in_site_time(reader_client, newsroom):
    _allowance(1)
    a, b = newsroom.others[:2]
    # 23:59:59 on the last day of March, London time (BST): still March.
    with time_machine.travel(datetime(2026, 3, 31, 23, 59, 59, tzinfo=LONDON), tick=False):
        assert _full(reader_client, a)
        assert not _full(reader_client, b)
        html = reader_client.get(b.url).content.decode()
        assert "1 April 2026" in html
    # One second later it is April in London (though still 31 March, 23:00 UTC).
    with time_machine.travel(datetime(2026, 4, 1, 0, 0, 0, tzinfo=LONDON), tick=False):
        assert _full(reader_client, b)
        html = reader_client.get(a.url).content.decode()
        assert "wall__heading" in html  # last month's read does not carry over
    months = sorted(MeterMonth.objects.values_list("month", "used"))
    assert [(m.strftime("%Y-%m"), used) for m, used in months] == [("2026-03", 1), ("2026-04", 1)]


@pytest.mark.django_db
def test_the_meter_costs_at_most_two_queries(reader_client, reader, newsroom):
    premium = newsroom.others[0]
    free = newsroom.free
    reader_client.get(free.url)  # warm renditions and the session
    reader_client.get(newsroom.others[1].url)
    # Another reader's first open renders the page's shell (masthead.core.page_shell),
    # so both counts below are of the same warm page and differ only by the meter.
    other = Client()
    other.force_login(make_reader(email="other@example.com"))
    other.get(premium.url)

    def count(url: str) -> int:
        with CaptureQueriesContext(connection) as ctx:
            response = reader_client.get(url)
        assert response.status_code == 200
        return len([q for q in ctx.captured_queries if not _CONTROL.match(q["sql"])])

    free_count = count(free.url)
    first_open = count(premium.url)  # counted against the allowance
    reread = count(premium.url)
    assert first_open - free_count <= 2, (first_open, free_count)
    assert reread - free_count <= 1
    assert MeterMonth.objects.get(user=reader).used == 2


@pytest.mark.django_db
def test_account_page_selectors_list_this_months_articles(rf, reader, newsroom):
    client = Client()
    client.force_login(reader)
    client.get(newsroom.premium.url)
    client.get(newsroom.others[0].url)
    reads = premium_reads_this_month(reader)
    assert [r.article_id for r in reads] == [newsroom.others[0].pk, newsroom.premium.pk]
    summary = meter_summary(user=reader, request=rf.get("/"))
    assert (summary.allowance, summary.used, summary.remaining) == (5, 2, 3)


@pytest.mark.django_db
def test_privacy_export_and_erasure_cover_the_meter(reader, newsroom):
    from masthead.core import privacy

    client = Client()
    client.force_login(reader)
    client.get(newsroom.premium.url)
    section = next(s for s in privacy.sections() if s.name == "premium_meter")
    exported = section.exporter(reader)
    assert exported["premium_articles_counted"][0]["article"] == newsroom.premium.title
    assert section.eraser(reader) == {"premium_articles_counted": 1, "meter_months": 1}
    assert not MeterRead.objects.filter(user=reader).exists()
    assert services.meter_export(user=reader)["months"] == []


# --------------------------------------------------------------------------------------
# Concurrency: 20 simultaneous requests, 2 articles left, exactly 2 open.
# --------------------------------------------------------------------------------------
def _race(articles, user_id: int, allowance: int) -> list[bool]:
    from django.utils import timezone

    barrier = threading.Barrier(len(articles))
    results: list[bool] = [False] * len(articles)
    config = AccessSettings.for_site(Site.objects.get(is_default_site=True))
    errors: list[BaseException] = []

    def worker(i: int, article) -> None:
        try:
            barrier.wait(timeout=20)
            outcome = services.meter_view(
                user_id=user_id, article=article, access_settings=config, now=timezone.now()
            )
            results[i] = outcome.decision.full
        except BaseException as exc:
            errors.append(exc)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, a)) for i, a in enumerate(articles)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    return results


# Threads need a server database: SQLite serialises writers with IMMEDIATE transactions,
# so the logic is checked serially there (test_sequential_meter_view_is_exact_on_any_database).
@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_twenty_simultaneous_premium_requests_with_two_left_open_exactly_two(newsroom):
    from django.utils import timezone

    _allowance(5)
    reader = make_reader("racer@example.com")
    articles = [make_article(section=newsroom.premium.section, hero=False) for _ in range(20)]
    MeterMonth.objects.create(user=reader, month=services.month_of(timezone.now()), used=3)
    results = _race(articles, reader.pk, 5)
    assert sum(results) == 2
    assert MeterMonth.objects.get(user=reader).used == 5
    assert MeterRead.objects.filter(user=reader).count() == 2


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_simultaneous_opens_of_one_article_count_once(newsroom):
    reader = make_reader("twin@example.com")
    results = _race([newsroom.premium] * 10, reader.pk, 5)
    assert all(results)
    assert MeterMonth.objects.get(user=reader).used == 1
    assert MeterRead.objects.get(user=reader).reads == 10


@pytest.mark.django_db
def test_sequential_meter_view_is_exact_on_any_database(newsroom):
    """The same two-left scenario, one request after another (SQLite's serial writers)."""
    from django.utils import timezone

    reader = make_reader("serial@example.com")
    config = AccessSettings.for_site(Site.objects.get(is_default_site=True))
    MeterMonth.objects.create(user=reader, month=services.month_of(timezone.now()), used=3)
    articles = [make_article(section=newsroom.premium.section, hero=False) for _ in range(5)]
    opened = [
        services.meter_view(
            user_id=reader.pk, article=a, access_settings=config, now=timezone.now()
        ).decision.full
        for a in articles
    ]
    assert opened == [True, True, False, False, False]
    assert MeterRead.objects.filter(user=reader).count() == 2
