"""The wall in Wagtail's admin: the conversion report under Reports."""

from __future__ import annotations

from typing import Any

from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.widgets import ListingButton

from .articles import GatedArticle
from .reports import _may_view, report_view
from .selectors import lead_in_cut_by_share


@hooks.register("register_admin_urls")
def register_report_url() -> list[Any]:
    return [path("reports/wall-conversions/", report_view, name="access_wall_report")]


class ReportMenuItem(MenuItem):
    def is_shown(self, request: Any) -> bool:
        return _may_view(request.user)


@hooks.register("register_reports_menu_item")
def register_report_menu_item() -> MenuItem:
    return ReportMenuItem(
        _("Wall conversions"), reverse("access_wall_report"), icon_name="lock", order=700
    )


@hooks.register("register_page_listing_buttons")
def lead_in_cut_warning(page: Any, user: Any, next_url: str | None = None) -> Any:
    """A warning in the page listing on a gated article whose lead-in the word share cut.

    Only here, in the listing (not the page's admin title, which Wagtail also stores in
    its audit log and shows in breadcrumbs and choosers).
    """
    article = getattr(page, "specific_deferred", page)
    if not isinstance(article, GatedArticle) or article.is_free:
        return
    if lead_in_cut_by_share(article):
        yield ListingButton(
            _("Lead-in shortened by the word share"),
            reverse("wagtailsettings:edit", args=["access", "accesssettings"]),
            icon_name="warning",
            priority=5,
            attrs={"title": _("Readers without access see less than the paragraph count asks")},
        )
