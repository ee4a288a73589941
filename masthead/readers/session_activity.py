"""Where and when a reader's sessions were last seen (the account page's list), recorded
without a database write on every page.

Invariant: allauth's `UserSession` row for a signed-in session is created on sign-in
(allauth's own receiver) and refreshed here at most once per `USER_SESSION_TOUCH_SECONDS`
per session (a cache key per session key remembers the last refresh), so a reader's
"last seen", address and browser in the session list are at most that old, and reading
an article costs no transaction. A new session key (every sign-in rotates it) is
refreshed on its first request, as allauth's own middleware would.
"""

from __future__ import annotations

from collections.abc import Callable

from allauth.usersessions import app_settings
from allauth.usersessions.models import UserSession
from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse

DEFAULT_TOUCH_SECONDS = 300
KEY_PREFIX = "usersession-seen:"


def touch_seconds() -> int:
    return int(getattr(settings, "USER_SESSION_TOUCH_SECONDS", DEFAULT_TOUCH_SECONDS))


class UserSessionActivityMiddleware:
    """allauth's `UserSessionsMiddleware`, throttled (see the module docstring)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if app_settings.TRACK_ACTIVITY and hasattr(request, "session"):
            key = request.session.session_key
            user = getattr(request, "user", None)
            if (
                key
                and user is not None
                and user.is_authenticated
                # add() is atomic: of two requests at once only one refreshes the row.
                and cache.add(KEY_PREFIX + key, 1, timeout=touch_seconds())
            ):
                UserSession.objects.create_from_request(request)
        return self.get_response(request)
