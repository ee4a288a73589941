"""Factories for building a small newsroom in tests: they live in rigs.newsroom, which
the benchmarks use too (a benchmark imports no test code)."""

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
    "make_article",
    "make_home",
    "make_section",
    "paragraph",
]
