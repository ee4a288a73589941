"""The newsletters app's page in the reader's account area (core.account_sections)."""

from __future__ import annotations

from masthead.core import account_sections

from .views import TITLE

account_sections.register("newsletters", label=TITLE, url_name="newsletters:preferences", order=20)
