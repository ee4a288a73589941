"""The editors' conversion report: wall impressions, registrations started and
completed, premium walls, by article and by day, over the last 30 days.

Invariants:
- The report reads only the daily counters (`WallStat`), in two aggregate queries
  whatever the traffic (article links come from the cached site root paths); it holds
  no data about any reader.
- The chart keeps every day of the window on its time axis, so gaps show as gaps; the
  table folds each run of days with nothing into one row, and the CSV keeps every day.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass, field

from django.contrib.auth.decorators import user_passes_test
from django.db.models import F, Q, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from wagtail.models import Page

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
    # How many days a folded row of the by-day table stands for (1: a single day).
    days: int = 1

    @property
    def conversion(self) -> float:
        return self.completed / self.impression if self.impression else 0.0

    @property
    def empty(self) -> bool:
        return not (self.impression or self.started or self.completed or self.premium_wall)


@dataclass
class Report:
    start: dt.date
    end: dt.date
    by_article: list[Row]
    by_day: list[Row]
    totals: Row = field(default_factory=lambda: Row(label=""))

    @property
    def by_day_folded(self) -> list[Row]:
        """The days, with each run of days that had nothing folded into one row."""
        rows: list[Row] = []
        run: list[Row] = []

        def flush() -> None:
            if len(run) == 1:
                rows.append(run[0])
            elif run:
                first, last = run[0].key, run[-1].key
                label = _("%(first)s to %(last)s") % {"first": first, "last": last}
                rows.append(Row(label=label, key=run[0].key, days=len(run)))
            run.clear()

        for row in self.by_day:
            if row.empty:
                run.append(row)
            else:
                flush()
                rows.append(row)
        flush()
        return rows

    @property
    def chart(self) -> dict[str, object]:
        """Bars (completed registrations, left axis) and a line (wall impressions, right
        axis) per day, in SVG units, with both value axes and a dated time axis."""
        width, height = 720, 240
        left, right, top, bottom = 64, 64, 16, 44
        plot_w, plot_h = width - left - right, height - top - bottom
        base = top + plot_h
        n = max(len(self.by_day), 1)
        step = plot_w / n
        peak_reg = max([r.completed for r in self.by_day] + [1])
        peak_imp = max([r.impression for r in self.by_day] + [1])
        bars, points, x_ticks = [], [], []
        for i, row in enumerate(self.by_day):
            h = plot_h * row.completed / peak_reg
            x = left + i * step
            bars.append(
                {
                    "x": round(x + step * 0.15, 1),
                    "y": round(base - h, 1),
                    "w": round(step * 0.7, 1),
                    "h": round(h, 1),
                    "row": row,
                }
            )
            y = base - plot_h * row.impression / peak_imp
            points.append(f"{x + step / 2:.1f},{y:.1f}")
            # A date under the first and last day and every seventh day between.
            if i % 7 == 0 or i == n - 1:
                x_ticks.append({"x": round(x + step / 2, 1), "label": _short_date(row.key)})
        if len(x_ticks) > 1 and x_ticks[-1]["x"] - x_ticks[-2]["x"] < step * 4:
            del x_ticks[-2]  # two dates would overlap at the right-hand end

        def y_ticks(peak: int) -> list[dict[str, object]]:
            values = sorted({0, peak // 2, peak}) if peak > 1 else [0, 1]
            return [{"y": round(base - plot_h * v / peak, 1), "label": v} for v in values]

        return {
            "width": width,
            "height": height,
            "left": left,
            "right": width - right,
            "top": top,
            "bars": bars,
            "line": " ".join(points),
            "baseline": base,
            "mid_y": round(top + plot_h / 2, 1),
            "mid_x": round(left + plot_w / 2, 1),
            "x_ticks": x_ticks,
            "reg_ticks": y_ticks(peak_reg),
            "imp_ticks": y_ticks(peak_imp),
            "peak_registrations": peak_reg,
            "peak_impressions": peak_imp,
        }


def _short_date(iso_day: str) -> str:
    return formats.date_format(dt.date.fromisoformat(iso_day), "j M")


def _article_url(article_id: int, url_path: str | None) -> str:
    # Wagtail works a page's URL out from its url_path and the (cached) site root paths
    # alone, so an unsaved stand-in costs no query per row.
    if not url_path:
        return ""
    return Page(id=article_id, url_path=url_path).get_url() or ""


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
                url=_article_url(values["article_id"], values["article__url_path"]),
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
