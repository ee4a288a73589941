"""The header's unread-notifications link, for every page.

Invariant (as core.context_processors.site_chrome): nothing here reads the session or
the user unless the request carries a session cookie, so an anonymous page stays the
same for every anonymous reader (no `Vary: Cookie`, still shareable by a CDN). The
count is read only when the header is rendered for a signed-in reader, from the cache
(one query when it is not there; the services that change it drop it).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

from masthead.core.middleware import has_session_cookie

from .selectors_notifications import unread_count, unread_label


@dataclass(frozen=True)
class HeaderNotifications:
    url: str
    unread: int

    @property
    def label(self) -> str:
        return unread_label(self.unread)


def notifications(request: HttpRequest) -> dict[str, Any]:
    if not has_session_cookie(request):
        return {"header_notifications": None}

    @functools.cache
    def header_notifications() -> HeaderNotifications | None:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        try:
            url = reverse("community:notifications")
        except NoReverseMatch:  # the community's urls are not mounted
            return None
        return HeaderNotifications(url=url, unread=unread_count(user))

    return {"header_notifications": header_notifications}
