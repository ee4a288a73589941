"""Email delivery in Wagtail's admin: the failed and retrying emails, under Reports."""

from __future__ import annotations

from typing import Any

from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from .admin_views import may_manage, outbox_report, outbox_retry


@hooks.register("register_admin_urls")
def register_outbox_urls() -> list[Any]:
    return [
        path("reports/email-delivery/", outbox_report, name="core_outbox_report"),
        path("reports/email-delivery/<id:email_id>/retry/", outbox_retry, name="core_outbox_retry"),
    ]


class OutboxMenuItem(MenuItem):
    def is_shown(self, request: Any) -> bool:
        return may_manage(request.user)


@hooks.register("register_reports_menu_item")
def register_outbox_menu_item() -> MenuItem:
    return OutboxMenuItem(
        _("Email delivery"), reverse("core_outbox_report"), icon_name="mail", order=800
    )
