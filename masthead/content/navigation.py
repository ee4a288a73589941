"""The site's navigation (sections in the header, other pages in the footer), for every page.

Invariant: the navigation costs one query, made only when a template shows it (a lazy
context value), and reads nothing about the reader, so an anonymous page stays the same
for every anonymous reader. It belongs to content: it lists content's pages.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
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


def site_navigation(request: HttpRequest) -> Navigation:
    """The live, unrestricted pages under the site's root that are shown in menus:
    sections in the header, the rest in the footer."""
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


def navigation(request: HttpRequest) -> dict[str, object]:
    """Context processor (settings.TEMPLATES): `nav_sections` and `footer_links`."""
    found = SimpleLazyObject(lambda: site_navigation(request))
    return {
        "nav_sections": SimpleLazyObject(lambda: found.sections),
        "footer_links": SimpleLazyObject(lambda: found.footer),
    }
