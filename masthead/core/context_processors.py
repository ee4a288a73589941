"""Template context every page shares, computed without touching the session."""

from __future__ import annotations

from django.http import HttpRequest

from .middleware import has_session_cookie


def site_chrome(request: HttpRequest) -> dict[str, object]:
    return {"may_be_signed_in": has_session_cookie(request)}
