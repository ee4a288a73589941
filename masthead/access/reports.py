"""The editors' conversion report: wall impressions, registrations started and
completed, premium walls, by article and by day, over the last 30 days.

Invariant: the report reads only the daily counters (`WallStat`), in two aggregate
queries whatever the traffic; it holds no data about any reader.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass, field

from django.contrib.auth.decorators import user_passes_test
from django.db.models import F, Q, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import WallEvent, WallStat

WINDOW_DAYS = 30
KINDS = [k.value for k in WallEvent]


@dataclass
class Row:
    label: str
    impression: int = 0
    started: int = 0
    completed: int = 0
    premium_wall: int = 0
    url: str = ""
    key: str = ""

    @property
    def conversion(self) -> float:
        return self.completed / self.impression if self.impression else 0.0


@dataclass
class Report:
    start: dt.date
    end: dt.date
    by_article: list[Row]
    by_day: list[Row]
    totals: Row = field(default_factory=lambda: Row(label=""))

    @property
    def chart(self) -> dict[str, object]:
        """Bars (completed registrations) and a line (wall impressions), in SVG units."""
        width, height, pad = 720, 200, 24
        n = max(len(self.by_day), 1)
        step = (width - 2 * pad) / n
        peak_reg = max([r.completed for r in self.by_day] + [1])
        peak_imp = max([r.impression for r in self.by_day] + [1])
        bars, points = [], []
        for i, row in enumerate(self.by_day):
            h = (height - 2 * pad) * row.completed / peak_reg
            x = pad + i * step
            bars.append(
                {
                    "x": round(x + step * 0.15, 1),
                    "y": round(height - pad - h, 1),
                    "w": round(step * 0.7, 1),
                    "h": round(h, 1),
                    "row": row,
                }
            )
            y = height - pad - (height - 2 * pad) * row.impression / peak_imp
            points.append(f"{x + step / 2:.1f},{y:.1f}")
        return {
            "width": width,
            "height": height,
            "bars": bars,
            "line": " ".join(points),
            "baseline": height - pad,
            "peak_registrations": peak_reg,
            "peak_impressions": peak_imp,
        }


def _sums() -> dict[str, Sum]:
    return {kind: Sum("count", filter=Q(kind=kind)) for kind in KINDS}


def conversion_report(*, today: dt.date | None = None, days: int = WINDOW_DAYS) -> Report:
    end = today or timezone.localdate()
    start = end - dt.timedelta(days=days - 1)
    stats = WallStat.objects.filter(day__gte=start, day__lte=end)
    by_article = []
    for values in (
        stats.values("article_id", "article__title", "article__url_path")
        .annotate(**_sums())
        .order_by(
            F("completed").desc(nulls_last=True),
            F("impression").desc(nulls_last=True),
            "article__title",
        )
    ):
        by_article.append(
            Row(
                label=values["article__title"],
                key=str(values["article_id"]),
                **{k: values[k] or 0 for k in KINDS},
            )
        )
    per_day = {v["day"]: v for v in stats.values("day").annotate(**_sums()).order_by("day")}
    by_day = []
    for offset in range(days):
        day = start + dt.timedelta(days=offset)
        values = per_day.get(day, {})
        by_day.append(
            Row(
                label=day.isoformat(), key=day.isoformat(), **{k: values.get(k) or 0 for k in KINDS}
            )
        )
    totals = Row(label=_("Total"), **{k: sum(getattr(r, k) for r in by_day) for k in KINDS})
    return Report(start=start, end=end, by_article=by_article, by_day=by_day, totals=totals)


def _may_view(user: object) -> bool:
    return bool(
        getattr(user, "is_active", False)
        and (getattr(user, "is_superuser", False) or user.has_perm("access.view_wallstat"))  # type: ignore[attr-defined]
    )


@user_passes_test(_may_view)
def report_view(request: HttpRequest) -> HttpResponse:
    report = conversion_report()
    if request.GET.get("export") == "csv":
        return _csv(report)
    return render(
        request, "access/admin/report.html", {"report": report, "page_title": _("Wall conversions")}
    )


def _csv(report: Report) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    name = f"wall-conversions-{report.start}-{report.end}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    writer = csv.writer(response)
    header = [
        _("Wall impressions"),
        _("Registrations started"),
        _("Registrations completed"),
        _("Conversion rate"),
        _("Premium walls shown"),
    ]
    writer.writerow([_("Breakdown"), _("Article or day"), *header])
    for kind, rows in (("article", report.by_article), ("day", report.by_day)):
        for row in rows:
            writer.writerow(
                [
                    kind,
                    _csv_safe(row.label),
                    row.impression,
                    row.started,
                    row.completed,
                    f"{row.conversion:.4f}",
                    row.premium_wall,
                ]
            )
    return response


def _csv_safe(value: str) -> str:
    # A headline starting with = + - @ would run as a formula in a spreadsheet.
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value
