"""Migration 0005 points access's article foreign keys at Wagtail's Page, keeping every row.

Access names no content model (masthead.access.articles); the rows made while the keys
pointed at content's ArticlePage keep their values (an article's id is its page's id).
Deleting an article's page, as a plain Page or with the section above it, deletes its
MeterRead and WallStat rows.
Run on SQLite (the table is rebuilt) and on PostgreSQL (the constraint moves).
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = ("access", "0004_wall_subscribe_link_and_tagged_benefits")
AFTER = ("access", "0005_article_is_any_wagtail_page")


def _migrate(target: tuple[str, str]) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([target])
    return executor


def _rows(apps) -> tuple[list, list]:
    reads = apps.get_model("access", "MeterRead").objects.order_by("pk")
    stats = apps.get_model("access", "WallStat").objects.order_by("pk")
    return (
        list(reads.values_list("pk", "user_id", "article_id", "month", "reads")),
        list(stats.values_list("pk", "article_id", "day", "kind", "count")),
    )


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_article_keys_move_to_page_and_back_keeping_every_row(newsroom, reader) -> None:
    from masthead.access.models import MeterRead, WallStat

    now = timezone.now()
    MeterRead.objects.create(
        user=reader,
        article=newsroom.premium,
        month=dt.date(2026, 3, 1),
        first_read_at=now,
        last_read_at=now,
        reads=3,
    )
    WallStat.objects.create(
        article=newsroom.registration, day=dt.date(2026, 3, 2), kind="impression", count=7
    )
    before = _rows(_migrate(AFTER).loader.project_state(AFTER).apps)

    old = _migrate(BEFORE).loader.project_state(BEFORE).apps
    field = old.get_model("access", "MeterRead")._meta.get_field("article")
    assert field.related_model._meta.label == "content.ArticlePage"
    assert _rows(old) == before

    new = _migrate(AFTER).loader.project_state(AFTER).apps
    for model in ("MeterRead", "WallStat"):
        field = new.get_model("access", model)._meta.get_field("article")
        assert field.related_model._meta.label == "wagtailcore.Page"
    assert _rows(new) == before
    assert [r[2] for r in before[0]] == [newsroom.premium.pk]
    assert [(r[1], r[4]) for r in before[1]] == [(newsroom.registration.pk, 7)]
    # Deleting the page still takes its rows with it (the key cascades from Page).
    newsroom.premium.delete()
    assert not MeterRead.objects.exists()


def _meter_rows(reader, article) -> None:
    from masthead.access.models import MeterRead, WallStat

    now = timezone.now()
    MeterRead.objects.create(
        user=reader, article=article, month=dt.date(2026, 3, 1), first_read_at=now, last_read_at=now
    )
    WallStat.objects.create(article=article, day=dt.date(2026, 3, 2), kind="impression", count=1)


def _articles_with_rows() -> tuple[set[int], set[int]]:
    from masthead.access.models import MeterRead, WallStat

    return (
        set(MeterRead.objects.values_list("article_id", flat=True)),
        set(WallStat.objects.values_list("article_id", flat=True)),
    )


@pytest.mark.django_db
def test_deleting_a_plain_page_or_its_section_takes_the_articles_meter_rows(
    newsroom, reader
) -> None:
    # Access knows articles only as Wagtail pages: a delete through a plain Page (as the
    # admin's tree does), or of a section above the article, must still cascade.
    from wagtail.models import Page

    in_section = [newsroom.premium, *newsroom.others[:2]]
    for article in [newsroom.free, newsroom.registration, *in_section]:
        _meter_rows(reader, article)

    Page.objects.get(pk=newsroom.registration.pk).delete()
    kept = {newsroom.free.pk, *(a.pk for a in in_section)}
    assert _articles_with_rows() == (kept, kept)

    section = Page.objects.get(pk=newsroom.premium.pk).get_parent()
    assert section.specific_class is not type(newsroom.premium)  # a section, not an article
    section.delete()
    assert _articles_with_rows() == ({newsroom.free.pk}, {newsroom.free.pk})
