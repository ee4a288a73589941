"""A small newsroom for tests and benchmarks: home, sections, articles, images, authors.

Invariant: every page is built through Wagtail's tree API and published, as an editor's
would be; slugs come from one counter (`_counter`), so they never collide in a run.
"""

from __future__ import annotations

import itertools
from datetime import timedelta
from io import BytesIO
from typing import Any

import factory
import PIL.Image
from django.core.files.images import ImageFile
from django.utils import timezone
from wagtail.images import get_image_model
from wagtail.models import Page, Site

from masthead.access.api import Level
from masthead.content.models import (
    ArticleAuthor,
    ArticlePage,
    Author,
    HomePage,
    SectionPage,
)

_counter = itertools.count(1)


def image_file(size: tuple[int, int] = (640, 360)) -> ImageFile:
    """A plain PNG of `size`, as an upload would give (Wagtail's own helper for this
    lives in its test package)."""
    buffer = BytesIO()
    PIL.Image.new("RGB", size, "#7a8b99").save(buffer, "PNG")
    return ImageFile(buffer, name="test.png")


class ImageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_image_model()

    title = factory.Sequence(lambda n: f"Picture {n}")
    file = factory.LazyFunction(image_file)


class AuthorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Author
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Reporter {n}")
    slug = factory.Sequence(lambda n: f"reporter-{n}")
    role = "Reporter"


def make_home(title: str = "The Test Ledger") -> HomePage:
    """A HomePage at the root of the default Site, replacing Wagtail's welcome page."""
    existing = HomePage.objects.first()
    if existing:
        return existing
    root = Page.objects.get(depth=1)
    home = root.add_child(instance=HomePage(title=title, slug=f"home-{next(_counter)}"))
    site = Site.objects.filter(is_default_site=True).first()
    if site is None:
        Site.objects.create(
            hostname="localhost", port=80, root_page=home, is_default_site=True, site_name=title
        )
    else:
        site.root_page = home
        site.site_name = title
        site.save()
    return home


def make_section(
    *, parent: Page | None = None, title: str | None = None, access: str = Level.FREE
) -> SectionPage:
    parent = parent or make_home()
    n = next(_counter)
    section = SectionPage(
        title=title or f"Section {n}",
        slug=f"section-{n}",
        default_access_level=access,
        show_in_menus=True,
    )
    parent.add_child(instance=section)
    return section


def paragraph(text: str) -> dict[str, Any]:
    return {"type": "paragraph", "value": f"<p>{text}</p>"}


def make_article(
    *,
    section: SectionPage | None = None,
    title: str | None = None,
    body: list[dict[str, Any]] | None = None,
    authors: list[Author] | None = None,
    tags: list[str] | None = None,
    access_level: str = "",
    hero: bool = True,
    age: timedelta = timedelta(hours=1),
) -> ArticlePage:
    section = section or make_section()
    n = next(_counter)
    article = ArticlePage(
        title=title or f"Article {n}",
        slug=f"article-{n}",
        standfirst=f"Standfirst of article {n}.",
        body=body if body is not None else [paragraph(f"Body of article {n}.")],
        access_level=access_level,
        hero_image=ImageFactory() if hero else None,
    )
    for i, author in enumerate(authors or [AuthorFactory()]):
        article.bylines.add(ArticleAuthor(author=author, sort_order=i))
    if tags:
        article.tags.add(*tags)
    section.add_child(instance=article)
    article.save_revision().publish()
    published = timezone.now() - age
    ArticlePage.objects.filter(pk=article.pk).update(first_published_at=published)
    article.refresh_from_db()
    return article
