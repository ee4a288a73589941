"""Every write the access rules make: the premium meter and the wall's counters.

Invariants:
- A premium article counts at most once per reader per calendar month (site timezone),
  and a reader never opens more premium articles in a month than the allowance, however
  many requests arrive at once on however many app servers. The database enforces
  both, in one transaction of at most two statements:
    1. an upsert of the (reader, article, month) `MeterRead` row, returning whether it
       is new, the month's `used` count and whether the reader is in an unlimited group;
    2. for a new row only, a conditional upsert of the (reader, month) `MeterMonth` row:
       `used = used + 1 WHERE used < allowance`. PostgreSQL locks the row and
       re-evaluates the condition on its latest version, so concurrent requests queue
       on it and exactly `allowance - used` of them succeed; SQLite serialises writers
       with its IMMEDIATE transactions. A request that loses rolls back, taking its
       tentative `MeterRead` row with it, so no article is recorded that was not
       counted. Concurrent opens of the same article wait on the unique index, then see
       the first one's outcome.
- Analytics cost a page at most one statement: a single upsert of a daily counter.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone

from .crawlers import crawler_lookup_schedule
from .models import AccessSettings, MeterMonth, MeterRead, WallEvent, WallStat
from .policy import AccessDecision, ArticleLike, MeterState, Reader, Wall, decide

if TYPE_CHECKING:  # the selectors import this module; the type is all this one needs
    from .selectors import ArticleAccess

logger = logging.getLogger("masthead.access")


def month_of(now: dt.datetime) -> dt.date:
    """The first day of `now`'s month in the site's timezone."""
    return timezone.localtime(now).date().replace(day=1)


@dataclass(frozen=True)
class MeterOutcome:
    decision: AccessDecision
    unlimited: bool
    meter: MeterState


def meter_tables() -> dict[str, str]:
    """The meter's table and column names (from model metadata), for its raw SQL."""
    user_groups = get_user_model().groups.through._meta
    setting_groups = AccessSettings.unlimited_groups.through._meta
    return {
        "read": MeterRead._meta.db_table,
        "month": MeterMonth._meta.db_table,
        "user_groups": user_groups.db_table,
        "setting_groups": setting_groups.db_table,
        "setting_fk": AccessSettings.unlimited_groups.field.m2m_column_name(),
    }


@functools.cache
def _claim_read_sql() -> str:
    # Only table and column names from model metadata are interpolated; values are
    # always parameters.
    t = meter_tables()
    return (
        f"INSERT INTO {t['read']} (user_id, article_id, month, first_read_at, last_read_at, reads)"  # noqa: S608
        " VALUES (%s, %s, %s, %s, %s, 1)"
        " ON CONFLICT (user_id, article_id, month) DO UPDATE"
        f" SET reads = {t['read']}.reads + 1, last_read_at = excluded.last_read_at"
        " RETURNING reads,"
        f" (SELECT used FROM {t['month']} m WHERE m.user_id = %s AND m.month = %s),"
        f" EXISTS (SELECT 1 FROM {t['user_groups']} ug JOIN {t['setting_groups']} sg"
        f" ON sg.group_id = ug.group_id WHERE ug.user_id = %s AND sg.{t['setting_fk']} = %s)"
    )


@functools.cache
def _take_one_sql() -> str:
    t = meter_tables()
    return (
        f"INSERT INTO {t['month']} (user_id, month, used) VALUES (%s, %s, 1)"  # noqa: S608
        " ON CONFLICT (user_id, month) DO UPDATE"
        f" SET used = {t['month']}.used + 1 WHERE {t['month']}.used < %s"
        " RETURNING used"
    )


def meter_view(
    *,
    user_id: int,
    article: Any,
    access_settings: AccessSettings,
    now: dt.datetime,
    countable: bool = True,
    previewing: bool = False,
) -> MeterOutcome:
    """A registered reader opens a premium article: decide, and count it if it counts.

    At most two SQL statements in one transaction (see the module docstring). Staff
    should not reach here (the caller grants them without a query).
    """
    month = month_of(now)
    local_now = timezone.localtime(now)
    allowance = access_settings.premium_allowance
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                _claim_read_sql(),
                [user_id, article.pk, month, now, now, user_id, month, user_id, access_settings.pk],
            )
            reads, used, unlimited = cursor.fetchone()
        unlimited = bool(unlimited)
        meter = MeterState(
            allowance=allowance, used=used or 0, already_opened=reads > 1, countable=countable
        )
        reader = Reader(registered=True, unlimited=unlimited, previewing=previewing)
        decision = decide(reader, article, meter, local_now)
        if decision.counts:
            with connection.cursor() as cursor:
                cursor.execute(_take_one_sql(), [user_id, month, allowance])
                row = cursor.fetchone()
            if row is None:
                # Lost the race for the last article(s): the allowance is used up.
                transaction.set_rollback(True)
                meter = MeterState(allowance=allowance, used=allowance, countable=countable)
                decision = decide(reader, article, meter, local_now)
            else:
                meter = MeterState(allowance=allowance, used=row[0] - 1, countable=countable)
                decision = replace(decision, remaining=max(allowance - row[0], 0))
        elif not meter.already_opened:
            # Nothing was counted (unlimited reader, allowance used, HEAD): keep no trace.
            transaction.set_rollback(True)
    return MeterOutcome(decision=decision, unlimited=unlimited, meter=meter)


def article_view_record(*, access: ArticleAccess) -> None:
    """Every write an article view causes, after the selector decided: count a premium
    article against the signed-in reader's allowance when the policy says it counts
    (and the premium wall when it is shown), and schedule the DNS check of an address
    that claims to be a search engine.

    Called once per request by the article serve path (and the body fragment); a second
    call for the same access does nothing. Touches no meter row when the access has no
    pending premium read (any other reader or level) or the view may not count (HEAD,
    preview, a speculative load). The meter's own transaction decides (see
    `meter_view`), so a concurrent request that took the last article first turns this
    view into the premium wall.
    """
    if access.recorded:
        return
    access.recorded = True
    if access.crawler_lookup is not None:
        crawler_lookup_schedule(*access.crawler_lookup)
    pending = access.pending_read
    if pending is None or not pending.countable:
        return
    outcome = meter_view(
        user_id=pending.user_id,
        article=pending.article,
        access_settings=pending.access_settings,
        now=pending.now,
        countable=True,
    )
    access.decision_replace(outcome.decision)
    if outcome.decision.wall is Wall.PREMIUM:
        wall_event_record(article_id=pending.article.pk, kind=WallEvent.PREMIUM_WALL)


def wall_event_record(
    *, article_id: int, kind: WallEvent | str, day: dt.date | None = None
) -> None:
    """Add one to today's counter of `kind` for the article: a single upsert."""
    day = day or timezone.localdate()
    table = WallStat._meta.db_table
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (article_id, day, kind, count) VALUES (%s, %s, %s, 1)"  # noqa: S608
                f" ON CONFLICT (article_id, day, kind) DO UPDATE SET count = {table}.count + 1",
                [article_id, day, str(kind)],
            )
    except Exception:
        # Counting must never cost a reader their page.
        logger.warning("could not count %s for article %s", kind, article_id, exc_info=True)


def meter_erase(*, user: Any) -> int:
    """Delete a reader's meter history (for account erasure). Returns rows deleted."""
    deleted_reads, _ = MeterRead.objects.filter(user=user).delete()
    deleted_months, _ = MeterMonth.objects.filter(user=user).delete()
    return deleted_reads + deleted_months


def meter_export(*, user: Any) -> dict[str, Any]:
    """A reader's meter history, for the data export (JSON-serialisable)."""
    reads = MeterRead.objects.filter(user=user).select_related("article").order_by("-first_read_at")
    return {
        "premium_articles_counted": [
            {
                "month": r.month.strftime("%Y-%m"),
                "article": r.article.title,
                "url": r.article.url,
                "first_read_at": r.first_read_at.isoformat(),
                "last_read_at": r.last_read_at.isoformat(),
                "times_opened": r.reads,
            }
            for r in reads
        ],
        "months": [
            {"month": m.month.strftime("%Y-%m"), "premium_articles_used": m.used}
            for m in MeterMonth.objects.filter(user=user).order_by("-month")
        ],
    }


__all__ = [
    "ArticleLike",
    "MeterOutcome",
    "article_view_record",
    "meter_erase",
    "meter_export",
    "meter_tables",
    "meter_view",
    "month_of",
    "wall_event_record",
]
