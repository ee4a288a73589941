"""The client's IP address, and rate limits on the sign-ins allauth does not handle.

Invariants:
- The client IP is what allauth computes (one definition for every limit): with N
  trusted proxies (MASTHEAD_TRUSTED_PROXY_COUNT) it is the Nth address from the right
  of X-Forwarded-For, the one our own outermost proxy saw; whatever a client prepends
  to that header is ignored. With no proxy configured, REMOTE_ADDR.
- Every limit is counted by allauth's rate limiter in the default cache, which is
  Redis in production, so limits hold across app servers.
- The Django and Wagtail admin sign-in forms are limited per IP and per address
  (the "admin_login" rates in ACCOUNT_RATE_LIMITS) before the password is checked;
  a successful sign-in clears the address's count, so only failures add up.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from allauth.core import ratelimit
from allauth.core.internal.httpkit import get_client_ip
from django.http import HttpRequest, HttpResponse

ADMIN_LOGIN_ACTION = "admin_login"


def client_ip(request: HttpRequest) -> str | None:
    """The reader's IP address as our trusted proxies saw it (None if unknown)."""
    return get_client_ip(request)


def admin_login_rate_limited(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Wrap an admin login view: POSTs over the limit get a 429, never reach the password."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method == "POST":
            login = (request.POST.get("username") or request.POST.get("email") or "").strip()
            response = ratelimit.consume_or_429(
                request, action=ADMIN_LOGIN_ACTION, key=login.lower() or "-"
            )
            if response is not None:
                return response
            response = view(request, *args, **kwargs)
            if request.user.is_authenticated:
                # Only failed attempts count towards the per-address limit, so nobody can
                # lock an editor out by posting their address with a wrong password.
                ratelimit.clear(request, action=ADMIN_LOGIN_ACTION, key=login.lower() or "-")
            return response
        return view(request, *args, **kwargs)

    return wrapped
