"""The wall conversions report as editors read it in Wagtail's admin.

Invariant: each article row links to the article (its editor and its live page); the
chart has a labelled value axis for each series and a dated time axis; runs of days
with nothing are folded into one row of the by-day table (the CSV keeps every day).
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from masthead.access.reports import conversion_report
from masthead.access.services import wall_event_record

from .conftest import make_reader

pytestmark = pytest.mark.django_db


@pytest.fixture
def newsroom(shared_newsroom):
    # Built once for the module; each test gets fresh objects (conftest.shared_newsroom).
    return shared_newsroom


REPORT = "/admin/reports/wall-conversions/"


@pytest.fixture
def editor_client(client):
    user = make_reader("editor@example.com", is_staff=True)
    user.user_permissions.add(
        Permission.objects.get(codename="access_admin"),
        Permission.objects.get(codename="view_wallstat"),
    )
    client.force_login(user)
    return client


def _record(article, day: dt.date, impressions: int = 0, completed: int = 0) -> None:
    for kind, n in (("impression", impressions), ("completed", completed)):
        for _ in range(n):
            wall_event_record(article_id=article.pk, kind=kind, day=day)


def test_each_article_row_links_to_the_article(editor_client, newsroom):
    _record(newsroom.registration, timezone.localdate(), impressions=3, completed=1)
    html = editor_client.get(REPORT).content.decode()
    row = re.search(r"<tr><th scope=\"row\">(.*?)</th>", html, re.S).group(1)
    assert f'href="/admin/pages/{newsroom.registration.pk}/edit/"' in row
    assert f'href="{newsroom.registration.url}"' in row
    assert newsroom.registration.title in row


def test_article_links_cost_no_query_per_row(newsroom, django_assert_max_num_queries):
    today = timezone.localdate()
    for article in (newsroom.registration, newsroom.premium, *newsroom.others):
        _record(article, today, impressions=1)
    conversion_report(today=today)  # warms Wagtail's cache of site root paths
    with django_assert_max_num_queries(2):
        report = conversion_report(today=today)
    assert len(report.by_article) == 8 and all(row.url for row in report.by_article)


def test_days_with_nothing_are_folded_into_one_row(editor_client, newsroom):
    today = timezone.localdate()
    _record(newsroom.registration, today, impressions=2)
    _record(newsroom.registration, today - dt.timedelta(days=10), impressions=1)
    report = conversion_report(today=today)
    folded = report.by_day_folded
    # 19 empty days, the busy day, 9 empty days, today.
    assert [row.days for row in folded] == [19, 1, 9, 1]
    assert folded[0].label == f"{report.start.isoformat()} to {(today - dt.timedelta(days=11))}"
    assert sum(row.days for row in folded) == 30
    html = editor_client.get(REPORT).content.decode()
    assert "Nothing on these 19 days." in html and "Nothing on these 9 days." in html
    assert html.count('class="report-folded"') == 2
    # The CSV still has a line for every day.
    csv_text = editor_client.get(REPORT + "?export=csv").content.decode()
    assert len([line for line in csv_text.splitlines() if line.startswith("day,")]) == 30


def test_the_chart_has_labelled_axes(editor_client, newsroom):
    today = timezone.localdate()
    _record(newsroom.registration, today, impressions=40, completed=6)
    chart = conversion_report(today=today).chart
    assert [t["label"] for t in chart["reg_ticks"]] == [0, 3, 6]
    assert [t["label"] for t in chart["imp_ticks"]] == [0, 20, 40]
    assert chart["x_ticks"][0]["label"] and chart["x_ticks"][-1]["label"]
    assert len(chart["x_ticks"]) >= 4  # a date at least every week
    html = editor_client.get(REPORT).content.decode()
    svg = re.search(r"<svg[^>]*chart-title.*?</svg>", html, re.S).group(0)
    texts = [t.strip() for t in re.findall(r"<text[^>]*>([^<]*)</text>", svg)]
    for title in ("Registrations completed", "Wall impressions", "Day"):
        assert title in texts
    for label in ("0", "3", "6", "20", "40", chart["x_ticks"][-1]["label"]):
        assert label in texts
