"""Small HTTP helpers shared by apps.

Invariant: a response wrapped by `private_no_store` is never kept by any cache, shared
or private, whatever the view set.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.utils.cache import add_never_cache_headers, patch_cache_control

View = Callable[..., HttpResponseBase]


def private_no_store(view: View) -> View:
    """Mark a view's responses as personal: never stored by any cache."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        response = view(request, *args, **kwargs)
        add_never_cache_headers(response)
        patch_cache_control(response, private=True, no_store=True)
        return response

    return wrapped
