"""The wall in Wagtail's admin: the conversion report under Reports."""

from __future__ import annotations

from typing import Any

from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from .reports import _may_view, report_view


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
