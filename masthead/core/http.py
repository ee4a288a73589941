"""Small HTTP helpers shared by apps.

Invariants:
- A response wrapped by `private_no_store` is never kept by any cache, shared or
  private, whatever the view set.
- `is_internal_path` is true only for a path on this site (with a query and #fragment
  at most): the one rule for every "go back to" address a request carries.
- `is_speculative` is true only for requests a browser sends before the reader asked
  for the page (prefetch or prerender); a refusal from `refuse_speculation` is an error
  status, which browsers never keep for the real navigation.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlsplit

from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.utils.http import url_has_allowed_host_and_scheme

View = Callable[..., HttpResponseBase]


def is_internal_path(url: str | None) -> bool:
    """True only for a path on this site, optionally with a query and a #fragment."""
    if not url or not isinstance(url, str):
        return False
    if not url.startswith("/") or url.startswith("//") or "\\" in url:
        return False
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in url):
        return False
    parts = urlsplit(url)
    if parts.scheme or parts.netloc:
        return False
    return url_has_allowed_host_and_scheme(url, allowed_hosts=set())


def internal_path_or_empty(url: str | None) -> str:
    """`url` if it is a path on this site (`is_internal_path`), else ""."""
    return url if is_internal_path(url) else ""  # type: ignore[return-value]


def private_no_store(view: View) -> View:
    """Mark a view's responses as personal: never stored by any cache."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        response = view(request, *args, **kwargs)
        add_never_cache_headers(response)
        patch_cache_control(response, private=True, no_store=True)
        return response

    return wrapped


# Headers browsers send on speculative loads: Sec-Purpose (speculation rules, Chromium's
# link prefetch: "prefetch" or "prefetch;prerender"), Purpose (older Chromium and
# Safari) and X-Moz (Firefox's link prefetch).
_SPECULATION_HEADERS = ("Sec-Purpose", "Purpose", "X-Moz")


def is_speculative(request: HttpRequest) -> bool:
    """True when the browser is fetching the page ahead of a navigation that may never come."""
    for name in _SPECULATION_HEADERS:
        value = request.headers.get(name, "")
        if value.split(";", 1)[0].strip().lower() == "prefetch":
            return True
    return False


def refuse_speculation() -> HttpResponse:
    """Turn a speculative load away so the browser fetches the page for real on click.

    Browsers keep only 2xx answers to a prefetch; a 503 with Retry-After 0 is the
    status servers (and CDNs) use to say "not ahead of time", and no-store keeps every
    cache from answering the real navigation with it.
    """
    response = HttpResponse(status=503, content_type="text/plain")
    response["Retry-After"] = "0"
    add_never_cache_headers(response)
    patch_cache_control(response, private=True, no_store=True)
    return response
