"""Registration's own small views; the forms and flows themselves are allauth's.

Invariants:
- The ALTCHA challenge endpoint is the only dynamic part of the registration page that
  a cache must never keep: each GET returns a fresh challenge with `no-store`, sets no
  cookie and reads no session, so the page around it stays cacheable.
- Every page under /accounts/ is sent `Cache-Control: private, no-store` (applied to
  allauth's URL patterns in readers.urls), since they show or change a reader's own data.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.views.decorators.http import require_GET

from .botcheck import AltchaCheck


def private_no_store(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Mark a view's responses as personal: never stored by any cache."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        add_never_cache_headers(response)
        patch_cache_control(response, private=True, no_store=True)
        return response

    return wrapped


@require_GET
def altcha_challenge(request: HttpRequest) -> JsonResponse:
    response = JsonResponse(AltchaCheck().challenge())
    add_never_cache_headers(response)
    patch_cache_control(response, no_store=True)
    response["X-Robots-Tag"] = "noindex"
    return response


def too_many_requests(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """The 429 page allauth's rate limits (and ours) show, in our words and layout."""
    response = render(request, "account/429.html", status=429)
    response["Retry-After"] = "60"
    add_never_cache_headers(response)
    return response
