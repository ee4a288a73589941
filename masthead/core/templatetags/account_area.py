"""`{% account_nav_items as items %}`: the account navigation for this request.

Invariant: the navigation is built only from the sections registered with
masthead.core.account_sections, so the template never lists pages by hand.
"""

from __future__ import annotations

from typing import Any

from django import template

from masthead.core.account_sections import NavItem, nav_items

register = template.Library()


@register.simple_tag(takes_context=True)
def account_nav_items(context: dict[str, Any]) -> list[NavItem]:
    request = context.get("request")
    return nav_items(request) if request is not None else []
