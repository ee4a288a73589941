"""The client's IP address, and the locks on password sign-in.

Invariants:
- The client IP is what allauth computes (one definition for every limit): with N
  trusted proxies (MASTHEAD_TRUSTED_PROXY_COUNT) it is the Nth address from the right
  of X-Forwarded-For, the one our own outermost proxy saw; whatever a client prepends
  to that header is ignored. With no proxy configured, REMOTE_ADDR.
- Every limit is counted by allauth's rate limiter in the default cache, which is
  Redis in production, so limits hold across app servers.
- There is one password door: allauth's sign-in (the admin sign-ins and Wagtail's
  front-end login redirect to it, see masthead.readers.doors). Every password check
  made there, and every re-authentication, passes `sign_in_attempt_begin` first:
  * "login_failed" (allauth's action) is keyed by the address *and* the source IP, so
    wrong guesses from one place never lock the reader out from another;
  * "login_failed_address" counts wrong guesses for the address from everywhere. Over
    it, a password is checked only with a solved bot check: a guess spread across many
    IPs is slowed, but the real reader is never locked out (the check is automatic in
    their browser, and sign-in by emailed code is untouched).
  A successful sign-in rolls its own attempt back, so only failures add up.
- Wagtail's shared passwords for private pages and document collections are the same
  kind of door and get the same policy ("page_password": per source, and per
  restriction and source).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from typing import Any

from allauth.core.internal import ratelimit as allauth_ratelimit
from allauth.core.internal.httpkit import get_client_ip
from django.http import Http404, HttpRequest, HttpResponse

from masthead.core.numbers import parse_id

# allauth's own action, which our adapter keys per (address, source IP).
LOGIN_FAILED_ACTION = "login_failed"
# Ours: failures for one address from every source together.
LOGIN_FAILED_ADDRESS_ACTION = "login_failed_address"


def client_ip(request: HttpRequest) -> str | None:
    """The reader's IP address as our trusted proxies saw it (None if unknown)."""
    return get_client_ip(request)


def limit_source(request: HttpRequest) -> str:
    """Where a request comes from, for counting: allauth's own notion, with IPv6
    truncated to its prefix, so one host cannot rotate through its /64 for fresh counts."""
    return allauth_ratelimit.get_ip(request)


class TooManyFromHere(Exception):
    """Too many wrong passwords for this address from this source: wait."""


class PersonCheckNeeded(Exception):
    """Too many wrong passwords for this address from everywhere: solve the bot check."""


@dataclass
class SignInAttempt:
    """What one password check used of the limits, to be given back if it succeeds."""

    usages: list[allauth_ratelimit.RateLimitUsage] = field(default_factory=list)

    def rollback(self) -> None:
        for usage in self.usages:
            usage.rollback()


def _consume(
    request: HttpRequest, action: str, key: str, *, dry_run: bool = False
) -> allauth_ratelimit.RateLimitUsage | None:
    return allauth_ratelimit.consume(
        request, app="allauth.account", action=action, key=key, dry_run=dry_run
    )


def sign_in_attempt_begin(request: HttpRequest, address_key: str) -> SignInAttempt:
    """Count one password check for `address_key`, or refuse it before it is made.

    Raises TooManyFromHere over the per (address, source) limit, PersonCheckNeeded
    over the per-address limit unless the request carries a solved bot check.
    """
    attempt = SignInAttempt()
    here = _consume(request, LOGIN_FAILED_ACTION, f"{address_key}|{limit_source(request)}")
    if here is None:
        raise TooManyFromHere
    attempt.usages.append(here)
    everywhere = _consume(request, LOGIN_FAILED_ADDRESS_ACTION, address_key)
    if everywhere is not None:
        attempt.usages.append(everywhere)
        return attempt
    from .botcheck import bot_check

    check = bot_check()
    answer = request.POST.get(check.field_name, "") if request.method == "POST" else ""
    if answer and check.verify(answer, remote_ip=client_ip(request)):
        return attempt
    # Ask for the check on the re-rendered form (see account/login.html).
    request.masthead_sign_in_bot_check = check  # type: ignore[attr-defined]
    # This attempt checked no password: give it back, so asking costs the reader nothing.
    attempt.rollback()
    raise PersonCheckNeeded


def sign_in_attempts_clear(request: HttpRequest, address_key: str) -> None:
    """Forget the address's failures (after a password reset, which is limited itself)."""
    for action, key in (
        (LOGIN_FAILED_ACTION, f"{address_key}|{limit_source(request)}"),
        (LOGIN_FAILED_ADDRESS_ACTION, address_key),
    ):
        allauth_ratelimit.clear(request, app="allauth.account", action=action, key=key)


# Wagtail's shared passwords on private pages and document collections.
PAGE_PASSWORD_ACTION = "page_password"  # noqa: S105 (an action name)


def page_password_rate_limited(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Wrap Wagtail's page or document password form with the sign-in policy: per source,
    and per (restriction, source), so nobody can lock the readers of a page out. Only
    wrong passwords count: a right one (a redirect onwards) gives its attempt back."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # Wagtail's routes take <int:> ids; one beyond the database's range would reach
        # it and fail (500 on SQLite). Checked here, since a narrower converter on our
        # route would only let the request fall through to Wagtail's own.
        if any(parse_id(value) is None for value in kwargs.values()):
            raise Http404
        if request.method != "POST":
            return view(request, *args, **kwargs)
        restriction = kwargs.get("page_view_restriction_id") or kwargs.get("restriction_id")
        key = f"{view.__module__}:{restriction}|{limit_source(request)}"
        usage = _consume(request, PAGE_PASSWORD_ACTION, key)
        if usage is None:
            return allauth_ratelimit.respond_429(request)
        response = view(request, *args, **kwargs)
        if response.status_code in (301, 302, 303):
            usage.rollback()
        return response

    return wrapped
