"""Factories for building a small newsroom in tests: they live in rigs.newsroom, which
the benchmarks use too (a benchmark imports no test code). `article_admin_form` is for
tests only: what an editor's article form in Wagtail's admin posts."""

from typing import Any

from rigs.newsroom import (
    AuthorFactory,
    ImageFactory,
    make_article,
    make_home,
    make_section,
    paragraph,
)

__all__ = [
    "AuthorFactory",
    "ImageFactory",
    "article_admin_form",
    "make_article",
    "make_home",
    "make_section",
    "paragraph",
]


def article_admin_form(
    body: list[tuple[str, Any]],
    *,
    title: str,
    slug: str,
    rich_text_features: list[str] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """The article form an editor posts to publish: `body` as (block type, value) pairs,
    each paragraph's value an HTML string; `extra` adds or overrides fields."""
    from wagtail.test.utils.form_data import inline_formset, nested_form_data, rich_text
    from wagtail.test.utils.form_data import streamfield as stream

    items = [
        (kind, rich_text(value, features=rich_text_features))
        if kind == "paragraph"
        else (kind, value)
        for kind, value in body
    ]
    return nested_form_data(
        {
            "title": title,
            "slug": slug,
            "standfirst": "A standfirst.",
            "bylines": inline_formset([{"author": AuthorFactory().pk}]),
            "body": stream(items),
            "tags": "",
            "access_level": "",
            "comments_open": "on",
            "action-publish": "publish",
            **extra,
        }
    )
