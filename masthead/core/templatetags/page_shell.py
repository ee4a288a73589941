"""`{% personal "name" %}...{% endpersonal %}`: a part of the page rendered for each
request when the page is served from a shell (masthead.core.page_shell), in place
otherwise; and `{% editor_userbar %}`, Wagtail's userbar for people who may edit."""

from __future__ import annotations

from typing import Any

from django import template
from django.core.cache import cache
from django.template.context import Context
from django.utils.safestring import SafeString, mark_safe
from wagtail.admin.templatetags.wagtailuserbar import wagtailuserbar

from masthead.core.page_shell import parse_personal

register = template.Library()
register.tag("personal", parse_personal)

MAY_EDIT_PREFIX = "may-edit:"
MAY_EDIT_SECONDS = 300


def may_edit(user: Any) -> bool:
    """Whether the user may open the editors' admin (Wagtail's userbar shows then).
    Staff and superusers may; for anyone else the permission (two queries) is asked
    at most once per `MAY_EDIT_SECONDS` and remembered: the userbar only links to the
    admin, which checks the permission itself on every request."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser or user.is_staff:
        return True
    key = f"{MAY_EDIT_PREFIX}{user.pk}"
    found = cache.get(key)
    if found is None:
        found = user.has_perm("wagtailadmin.access_admin")
        cache.set(key, found, MAY_EDIT_SECONDS)
    return bool(found)


@register.simple_tag(takes_context=True)
def editor_userbar(context: Context, position: str = "bottom-right") -> SafeString:
    request = context.get("request")
    if request is None or not may_edit(getattr(request, "user", None)):
        return mark_safe("")
    return mark_safe(wagtailuserbar(context, position))
