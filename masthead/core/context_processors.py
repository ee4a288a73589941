"""Template context every page shares, computed lazily and without touching the session.

Invariant: nothing here reads the session or the user unless the request carries a
session cookie (whose responses are private anyway), so an anonymous page stays the
same for every anonymous reader (no `Vary: Cookie`), and the navigation costs one query.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject
from wagtail.models import Page, Site

from .middleware import has_session_cookie
from .newsroom import newsroom_name

MESSAGE_COOKIE = "messages"  # django.contrib.messages' CookieStorage.cookie_name


@dataclass(frozen=True)
class NavLink:
    title: str
    url: str
    current: bool = False


@dataclass(frozen=True)
class Navigation:
    sections: list[NavLink]
    footer: list[NavLink]


def _navigation(request: HttpRequest) -> Navigation:
    from masthead.content.models import SectionPage
    from masthead.content.selectors import without_view_restrictions

    site = Site.find_for_request(request)
    if site is None:
        return Navigation(sections=[], footer=[])
    section_type = ContentType.objects.get_for_model(SectionPage).pk
    sections: list[NavLink] = []
    footer: list[NavLink] = []
    children = without_view_restrictions(Page.objects.child_of(site.root_page).live().in_menu())
    for child in children.only("title", "url_path", "content_type_id", "path", "depth"):
        url = child.get_url(request) or "/"
        if child.content_type_id == section_type:
            sections.append(NavLink(child.title, url, request.path.startswith(url)))
        else:
            footer.append(NavLink(child.title, url))
    return Navigation(sections=sections, footer=footer)


def site_chrome(request: HttpRequest) -> dict[str, object]:
    navigation = SimpleLazyObject(lambda: _navigation(request))

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
        "nav_sections": SimpleLazyObject(lambda: navigation.sections),
        "footer_links": SimpleLazyObject(lambda: navigation.footer),
    }
