"""`{% newsroom_name %}`: the newsroom's name for templates that get no `site_name`.

Invariant: the name comes from the Wagtail Site serving the request (else the default
Site), as everywhere else (masthead.core.newsroom).
"""

from __future__ import annotations

from typing import Any

from django import template
from wagtail.models import Site

from masthead.core.newsroom import newsroom_name as _newsroom_name

register = template.Library()


@register.simple_tag(takes_context=True)
def newsroom_name(context: dict[str, Any]) -> str:
    request = context.get("request")
    return _newsroom_name(Site.find_for_request(request) if request is not None else None)
