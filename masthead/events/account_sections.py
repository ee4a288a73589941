"""The events app's page in the reader's account area (core.account_sections)."""

from __future__ import annotations

from masthead.core import account_sections

from .views import TITLE

account_sections.register("events", label=TITLE, url_name="events:mine", order=22)
