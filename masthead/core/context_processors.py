"""Template context every page shares, computed lazily and without touching the session.

Invariant: nothing here reads the session or the user unless the request carries a
session cookie (whose responses are private anyway), so an anonymous page stays the
same for every anonymous reader (no `Vary: Cookie`). Core knows no app: the site's
navigation comes from content's own context processor (masthead.content.navigation).
"""

from __future__ import annotations

import functools
from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject
from wagtail.models import Site

from .middleware import has_session_cookie
from .newsroom import newsroom_name

MESSAGE_COOKIE = "messages"  # django.contrib.messages' CookieStorage.cookie_name


def site_chrome(request: HttpRequest) -> dict[str, object]:
    def site_name() -> str:
        return newsroom_name(Site.find_for_request(request))

    may_be_signed_in = has_session_cookie(request)

    @functools.cache
    def signed_in_user() -> Any:
        # Called (by the template) only when there is a session cookie: reading the user
        # loads the session, which a response that must stay shareable may never do.
        user = getattr(request, "user", None)
        return user if user is not None and user.is_authenticated else None

    return {
        "may_be_signed_in": may_be_signed_in,
        # The header's "signed in as": None on every request without a session cookie.
        "header_reader": signed_in_user if may_be_signed_in else None,
        # Reading messages may load the session, so only look when there can be some.
        "may_have_messages": may_be_signed_in or MESSAGE_COOKIE in request.COOKIES,
        "site_name": SimpleLazyObject(site_name),
    }
