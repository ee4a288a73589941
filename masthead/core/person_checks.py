"""The checks a form anyone can fill in uses against scripts: one provider, the readers app's.

Registration (masthead.readers) owns the bot check (ALTCHA by default), the per-network
and site-wide attempt limits, the stored form of a typed address and the legal pages.
Another app that takes an address from someone without an account (an open
newsletter's sign-up) must use the same ones, but may not import readers (readers sits
above it, DESIGN.md).
So readers registers them here from its `AppConfig.ready`, and such an app asks `get()`.

Public surface: `PersonChecks` (what a provider gives), `register(checks)`, `get()`.

Invariant: core knows no app. With no provider registered `get()` raises, so a public
form fails closed instead of running without its bot check.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest

__all__ = ["PersonChecks", "get", "register"]


@dataclass(frozen=True)
class PersonChecks:
    # () -> a bot check: `.name`, `.field_name`, `.widget()` (template and context),
    # `.verify(answer, remote_ip=)`, `.failure_message()`.
    bot_check: Callable[[], Any]
    # request -> None if another attempt from its network is allowed now, else why not
    # ("ip": this network, "global": everyone); the attempt is counted.
    attempt: Callable[[HttpRequest], str | None]
    # The stored form of a typed address; ValidationError (our message) if it is none.
    email_normalise: Callable[[str], str]
    # The client's address as the proxies configured say (for the hosted bot checks).
    client_ip: Callable[[HttpRequest], str | None]
    # The live privacy notice's address (the consent wording links to it), if any.
    privacy_notice_url: Callable[[], str | None]


_provider: PersonChecks | None = None


def register(checks: PersonChecks) -> None:
    global _provider
    _provider = checks


def get() -> PersonChecks:
    if _provider is None:
        raise ImproperlyConfigured(
            "No person checks are registered: masthead.readers must be installed."
        )
    return _provider
