"""The reader's account area: the sections apps register, and the page frame they share.

Each app registers its pages in the account area from its own `account_sections`
module, which `CoreConfig.ready()` imports for each of our apps (`autodiscover()`, as
Wagtail does with `wagtail_hooks`; only apps named `masthead.*`, see core.discovery). The
navigation (templates/account/layout.html, through `{% load account_area %}
{% account_nav_items as items %}`) lists the sections shown to this reader,
in order, and marks the current one with aria-current="page". A new app adds a page to
the account area without touching another app.

Invariants:
- core imports no app: sections arrive by registration only.
- A section's name is unique; registering the same name again replaces it (so a test
  or a newsroom's own app can override one), keeping one entry in the navigation.
- Navigation is ordered by (order, name), so ties never depend on import order.
- A section's predicate gets the request and decides only whether the link shows; the
  view behind it still checks who may see the page.
- Every account page's view is wrapped in `account_page` (signed-in readers only,
  `Cache-Control: private, no-store` on every response, redirects included) and renders
  through `render_account_page`, so its title says "Error:"
  first whenever its form has errors (screen readers announce the title first).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from .discovery import DiscoveredRegistry
from .http import private_no_store

MODULE_NAME = "account_sections"
LAYOUT_TEMPLATE = "account/layout.html"

Predicate = Callable[[HttpRequest], bool]
View = Callable[..., HttpResponseBase]


def always(request: HttpRequest) -> bool:
    return True


@dataclass(frozen=True)
class AccountSection:
    """One page of the account area and its link in the account navigation.

    `url_name` is reversed without arguments; `current_for` lists further url names on
    which this section's link is the current one (pages under it). `description` and
    `icon` are optional: the navigation shows a description when one is given, and an
    icon name is passed to the template for themes that draw one.
    """

    name: str
    label: Any  # str or a lazy translation
    url_name: str
    order: int = 100
    is_shown: Predicate = always
    description: Any = ""
    icon: str = ""
    current_for: tuple[str, ...] = ()


@dataclass(frozen=True)
class NavItem:
    """A section as the navigation renders it for one request."""

    section: AccountSection
    url: str
    current: bool

    @property
    def name(self) -> str:
        return self.section.name

    @property
    def label(self) -> Any:
        return self.section.label

    @property
    def description(self) -> Any:
        return self.section.description

    @property
    def icon(self) -> str:
        return self.section.icon


class Registry(DiscoveredRegistry):
    """Sections by name. Use the module-level functions."""

    MODULE_NAME = MODULE_NAME

    def __init__(self) -> None:
        super().__init__()
        self._sections: dict[str, AccountSection] = {}

    def register(self, section: AccountSection) -> AccountSection:
        self._sections[section.name] = section
        return section

    def unregister(self, name: str) -> None:
        self._sections.pop(name, None)

    def sections(self) -> list[AccountSection]:
        self.discover()
        return sorted(self._sections.values(), key=lambda s: (s.order, s.name))


_registry = Registry()


def register(
    name: str,
    *,
    label: Any,
    url_name: str,
    order: int = 100,
    is_shown: Predicate = always,
    description: Any = "",
    icon: str = "",
    current_for: Iterable[str] = (),
) -> AccountSection:
    """Add (or replace) the account section `name`; returns it.

    `order` places it in the navigation (lower first; readers' own use 10-90 and 900+
    for the closing ones), `is_shown(request)` hides the link from readers it is not for.
    """
    return _registry.register(
        AccountSection(
            name=name,
            label=label,
            url_name=url_name,
            order=order,
            is_shown=is_shown,
            description=description,
            icon=icon,
            current_for=tuple(current_for),
        )
    )


def unregister(name: str) -> None:
    """Remove the section `name` (a newsroom that does not want one, or a test)."""
    _registry.unregister(name)


def autodiscover() -> None:
    """Import each of our apps' `account_sections` module (CoreConfig.ready() calls it)."""
    _registry.discover()


def sections() -> list[AccountSection]:
    """Every registered section, in navigation order, whoever is asking."""
    return _registry.sections()


def nav_items(request: HttpRequest) -> list[NavItem]:
    """The sections shown to this request's reader, in order, the current one marked."""
    match = getattr(request, "resolver_match", None)
    here = match.view_name if match is not None else ""
    return [
        NavItem(
            section=section,
            url=reverse(section.url_name),
            current=here in (section.url_name, *section.current_for),
        )
        for section in sections()
        if section.is_shown(request)
    ]


def account_page(view: View) -> View:
    """An account page's view: signed-in readers only, and never cached."""
    return private_no_store(login_required(view))


def render_account_page(
    request: HttpRequest,
    template: str,
    *,
    title: Any,
    context: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    """Render an account page in the account layout, with its title.

    The template extends `account/layout.html`; `title` is the page's own name, and is
    prefixed with "Error:" when `context["form"]` has errors.
    """
    context = dict(context or {})
    form = context.get("form")
    page_title = title
    if form is not None and form.errors:
        page_title = _("Error: %(title)s") % {"title": title}
    context.setdefault("page_title", page_title)
    return render(request, template, context, status=status)
