"""What the access rules need of an article, defined here so access imports no app above it.

Invariants:
- Access knows articles only through `GatedArticle`: a page model joins the access rules
  by inheriting it (content's `ArticlePage` does), and access finds those models by the
  mixin, never by name. Its foreign keys point at Wagtail's `Page`.
- An article's level is always a `Level` (access.policy): `effective_access` holds one of
  its values, and templates ask the properties below rather than compare strings.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from django.apps import apps
from django.http import HttpRequest
from wagtail.models import Page

from .policy import Level


@runtime_checkable
class Article(Protocol):
    """What access reads of an article (a Wagtail page provides `pk`, `get_url`,
    `get_site`; the model provides `effective_access` and `body`)."""

    pk: Any
    effective_access: str
    body: Any  # a StreamValue: what the lead-in splits

    def get_url(self, request: HttpRequest | None = None) -> str | None: ...

    def get_site(self) -> Any: ...


class GatedArticle:
    """Mixin for a Wagtail page model whose text the access rules may withhold.

    The model must have `effective_access` (a `Level` value, stored, indexed: the level
    in force, resolved however the model likes) and `body` (a StreamField whose blocks
    the lead-in splits; a block of type `access.lead_in.MARKER_TYPE` places the wall, and
    a block whose Meta says `article_text = False` counts none of the article's words).
    """

    effective_access: str
    body: Any

    @property
    def level(self) -> Level:
        return Level(self.effective_access)

    @property
    def is_free(self) -> bool:
        return self.level is Level.FREE

    @property
    def needs_registration(self) -> bool:
        return self.level is Level.REGISTRATION

    @property
    def is_premium(self) -> bool:
        return self.level is Level.PREMIUM


def gated_models() -> list[type[Page]]:
    """Every installed page model that is a `GatedArticle`."""
    return [m for m in apps.get_models() if issubclass(m, GatedArticle) and issubclass(m, Page)]


def find_live_article(
    *, pk: int | None = None, url_path: str | None = None, public: bool = False
) -> Any | None:
    """The live gated article with this id or url path (one query per gated model, so one
    query while content has one article model), or None. `public` leaves out pages under
    a view restriction."""
    for model in gated_models():
        queryset = model.objects.live()  # type: ignore[attr-defined]
        if public:
            queryset = queryset.public()
        if pk is not None:
            queryset = queryset.filter(pk=pk)
        if url_path is not None:
            queryset = queryset.filter(url_path=url_path)
        found = queryset.first()
        if found is not None:
            return found
    return None


def is_live_gated(pk: int) -> bool:
    """True when `pk` is a live article that withholds text from someone (not free)."""
    return any(
        model.objects.filter(pk=pk, live=True)  # type: ignore[attr-defined]
        .exclude(effective_access=Level.FREE)
        .exists()
        for model in gated_models()
    )
