"""Which CommunitySettings apply: the page's site's, else the default site's."""

from __future__ import annotations

from typing import Any

from wagtail.models import Site

from .models import CommunitySettings


def community_settings(page: Any = None) -> CommunitySettings:
    site = page.get_site() if page is not None else None
    if site is None:
        site = Site.objects.filter(is_default_site=True).first()
    if site is None:
        # No site at all (a bare test database): the defaults, unsaved.
        return CommunitySettings()
    return CommunitySettings.for_site(site)
