"""The community's pages in the reader's account area (core.account_sections)."""

from __future__ import annotations

from masthead.core import account_sections

from .views_notifications import SETTINGS_TITLE, TITLE

account_sections.register(
    "notifications", label=TITLE, url_name="community:notifications", order=24
)
account_sections.register(
    "notification_settings",
    label=SETTINGS_TITLE,
    url_name="community:notification-preferences",
    order=25,
)
