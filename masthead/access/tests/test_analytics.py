"""Wall analytics: counters, crediting registrations, the editors' report and CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.contrib.auth.models import Permission
from django.core.cache import caches
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from masthead.access import purge, signals
from masthead.access.models import WallStat
from masthead.access.reports import conversion_report
from masthead.access.services import wall_event_record

from .conftest import make_reader

pytestmark = pytest.mark.django_db


@pytest.fixture
def newsroom(shared_newsroom):
    # Built once for the module; each test gets fresh objects (conftest.shared_newsroom).
    return shared_newsroom


def _count(article, kind: str) -> int:
    row = WallStat.objects.filter(article=article, kind=kind).first()
    return row.count if row else 0


def test_the_beacon_counts_impressions_and_starts(client, newsroom):
    html = client.get(newsroom.registration.url).content.decode()
    assert 'data-beacon="/access/wall-event/"' in html
    for _ in range(2):
        assert (
            client.post(
                "/access/wall-event/",
                {"event": "impression", "article": newsroom.registration.pk},
            ).status_code
            == 204
        )
    client.post("/access/wall-event/", {"event": "started", "article": newsroom.registration.pk})
    assert _count(newsroom.registration, "impression") == 2
    assert _count(newsroom.registration, "started") == 1


@pytest.mark.parametrize(
    "data",
    [
        {"event": "completed", "article": "ARTICLE"},  # only the server counts completions
        {"event": "impression", "article": "nope"},
        {"event": "impression", "article": "999999"},
        {"event": "impression", "article": "FREE"},
    ],
)
def test_the_beacon_refuses_what_it_should_not_count(client, newsroom, data):
    data = dict(data)
    data["article"] = {
        "ARTICLE": str(newsroom.registration.pk),
        "FREE": str(newsroom.free.pk),
    }.get(data["article"], data["article"])
    assert client.post("/access/wall-event/", data).status_code == 400
    assert not WallStat.objects.exists()
    assert client.get("/access/wall-event/").status_code == 405


def test_counting_is_one_statement(newsroom):
    with CaptureQueriesContext(connection) as ctx:
        wall_event_record(article_id=newsroom.premium.pk, kind="impression")
    assert len(ctx.captured_queries) == 1


def test_premium_walls_are_counted_by_the_server(reader_client, newsroom):
    from wagtail.models import Site

    from masthead.access.models import AccessSettings

    config = AccessSettings.for_site(Site.objects.get(is_default_site=True))
    config.premium_allowance = 0
    config.save()
    reader_client.get(newsroom.premium.url)
    assert _count(newsroom.premium, "premium_wall") == 1


def test_a_registration_is_credited_to_the_article_whose_wall_led_to_it(newsroom):
    request = RequestFactory().post(
        "/accounts/signup/", {"next": newsroom.registration.url + "#continue"}
    )
    signals.credit_registration(request=request, user=make_reader())
    assert _count(newsroom.registration, "completed") == 1
    # Any other next address credits nothing.
    for other in ("/", "https://evil.example/x/", "//evil.example/", "/no/such/page/"):
        request = RequestFactory().post("/accounts/signup/", {"next": other})
        signals.credit_registration(request=request, user=None)
    assert WallStat.objects.filter(kind="completed").count() == 1


def test_allauths_signup_signal_reaches_the_counter(newsroom):
    from allauth.account.signals import user_signed_up

    request = RequestFactory().get("/accounts/signup/", {"next": newsroom.premium.url})
    user_signed_up.send(sender=None, request=request, user=make_reader())
    assert _count(newsroom.premium, "completed") == 1


def test_the_report_sums_the_last_thirty_days(newsroom):
    today = timezone.localdate()
    for kind, n in (("impression", 10), ("started", 4), ("completed", 2)):
        for _ in range(n):
            wall_event_record(article_id=newsroom.registration.pk, kind=kind, day=today)
    wall_event_record(article_id=newsroom.premium.pk, kind="impression", day=today)
    wall_event_record(
        article_id=newsroom.premium.pk, kind="completed", day=today - dt.timedelta(days=45)
    )
    report = conversion_report(today=today)
    top = report.by_article[0]
    assert (top.label, top.impression, top.started, top.completed) == (
        newsroom.registration.title,
        10,
        4,
        2,
    )
    assert top.conversion == pytest.approx(0.2)
    assert len(report.by_day) == 30
    assert report.by_day[-1].completed == 2
    assert report.totals.completed == 2  # the 45-day-old one is outside the window
    assert report.chart["bars"] and report.chart["line"]


def _editor(**extra):
    user = make_reader("editor@example.com", is_staff=True, **extra)
    user.user_permissions.add(
        Permission.objects.get(codename="access_admin"),
        Permission.objects.get(codename="view_wallstat"),
    )
    return user


def test_editors_see_the_report_with_a_chart_and_download_csv(client, newsroom):
    wall_event_record(article_id=newsroom.registration.pk, kind="impression")
    wall_event_record(article_id=newsroom.registration.pk, kind="completed")
    client.force_login(_editor())
    response = client.get("/admin/reports/wall-conversions/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<svg" in html and newsroom.registration.title in html
    assert "Download CSV" in html
    response = client.get("/admin/reports/wall-conversions/?export=csv")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][0] == "Breakdown"
    article_rows = [r for r in rows if r[0] == "article"]
    assert article_rows[0][1:5] == [newsroom.registration.title, "1", "0", "1"]
    assert len([r for r in rows if r[0] == "day"]) == 30


def test_readers_cannot_see_the_report(reader_client):
    response = reader_client.get("/admin/reports/wall-conversions/")
    assert response.status_code in (302, 403)


def test_csv_cells_cannot_become_spreadsheet_formulas(client, newsroom):
    from masthead.access.reports import _csv_safe

    assert _csv_safe("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert _csv_safe("Plain") == "Plain"


def test_publishing_and_settings_changes_purge_the_cdn(
    settings, newsroom, django_capture_on_commit_callbacks, monkeypatch
):
    sent: list[tuple[list[str], bool]] = []
    settings.CDN_PURGE_URL = "https://cdn.example/purge"

    class FakeTask:
        @staticmethod
        def enqueue(urls: list[str], everything: bool = False) -> None:
            sent.append((urls, everything))

    monkeypatch.setattr(purge, "cdn_purge", FakeTask)
    with django_capture_on_commit_callbacks(execute=True):
        newsroom.premium.save_revision().publish()
    assert any(newsroom.premium.get_full_url() in urls for urls, _ in sent)
    sent.clear()
    from wagtail.models import Site

    from masthead.access.models import AccessSettings

    with django_capture_on_commit_callbacks(execute=True):
        AccessSettings.for_site(Site.objects.get(is_default_site=True)).save()
    assert sent and all(everything for _urls, everything in sent)


def test_no_purge_without_a_cdn(settings, newsroom, django_capture_on_commit_callbacks):
    settings.CDN_PURGE_URL = ""
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        newsroom.premium.save_revision().publish()
    assert not [c for c in callbacks if "cdn_purge" in repr(c)]


def test_an_anonymous_gated_page_costs_no_more_queries_than_a_free_one(client, newsroom):
    def count(url: str) -> int:
        client.get(url)
        for alias in ("default", "renditions"):
            caches[alias].clear()
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    assert count(newsroom.premium.url) <= count(newsroom.free.url) <= 12


def test_editors_edit_the_wall_settings_in_wagtail(client, newsroom):
    from wagtail.models import Site

    site = Site.objects.get(is_default_site=True)
    admin = make_reader("admin@example.com", is_staff=True, is_superuser=True)
    client.force_login(admin)
    response = client.get(f"/admin/settings/access/accesssettings/{site.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    for field in ("lead_in_paragraphs", "premium_allowance", "unlimited_groups", "wall_heading"):
        assert f'name="{field}"' in html
