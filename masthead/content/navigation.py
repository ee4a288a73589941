"""The site's navigation (sections in the header, other pages in the footer), for every page.

Invariant: the navigation costs one query, made only when a template shows it (a lazy
context value), and reads nothing about the reader, so an anonymous page stays the same
for every anonymous reader. It belongs to content: it lists content's pages.

The links (titles and addresses, without the "current" mark, which is worked out per
request) are cached per site, and the cached lists are dropped whenever a page is
published, unpublished, moved or deleted or a site is saved (`navigation_changed`, wired
in apps.py), so a new section or a renamed page shows in the menus at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject
from wagtail.models import Page, Site

from .models import SectionPage
from .selectors import without_view_restrictions


@dataclass(frozen=True)
class NavLink:
    title: str
    url: str
    current: bool = False


@dataclass(frozen=True)
class Navigation:
    sections: list[NavLink]
    footer: list[NavLink]


CACHE_PREFIX = "navigation:v1:"
CACHE_SECONDS = 24 * 3600  # dropped on every change anyway; this only bounds memory

Links = tuple[list[tuple[str, str]], list[tuple[str, str]]]


def _menu_links(site: Site, request: HttpRequest) -> Links:
    """(sections, footer) as (title, url) pairs, from the cache or one query."""
    key = f"{CACHE_PREFIX}{site.pk}"
    found = cache.get(key)
    if found is not None:
        return found
    section_type = ContentType.objects.get_for_model(SectionPage).pk
    sections: list[tuple[str, str]] = []
    footer: list[tuple[str, str]] = []
    children = without_view_restrictions(Page.objects.child_of(site.root_page).live().in_menu())
    for child in children.only("title", "url_path", "content_type_id", "path", "depth"):
        url = child.get_url(request) or "/"
        (sections if child.content_type_id == section_type else footer).append((child.title, url))
    cache.set(key, (sections, footer), CACHE_SECONDS)
    return sections, footer


def navigation_changed(**kwargs: Any) -> None:
    """Signal receiver: drop every site's cached menus (a page was published, unpublished,
    moved or deleted, or a site changed)."""
    cache.delete_many([f"{CACHE_PREFIX}{pk}" for pk in Site.objects.values_list("pk", flat=True)])


def site_navigation(request: HttpRequest) -> Navigation:
    """The live, unrestricted pages under the site's root that are shown in menus:
    sections in the header, the rest in the footer."""
    site = Site.find_for_request(request)
    if site is None:
        return Navigation(sections=[], footer=[])
    sections, footer = _menu_links(site, request)
    return Navigation(
        sections=[NavLink(title, url, request.path.startswith(url)) for title, url in sections],
        footer=[NavLink(title, url) for title, url in footer],
    )


def navigation(request: HttpRequest) -> dict[str, object]:
    """Context processor (settings.TEMPLATES): `nav_sections` and `footer_links`."""
    found = SimpleLazyObject(lambda: site_navigation(request))
    return {
        "nav_sections": SimpleLazyObject(lambda: found.sections),
        "footer_links": SimpleLazyObject(lambda: found.footer),
    }
