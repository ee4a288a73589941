"""A small newsroom with one article of each access level, and readers."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from masthead.access.api import Level
from masthead.content.models import ArticlePage
from masthead.content.tests.factories import make_article, make_home, make_section, paragraph
from masthead.readers.tests.factories import ReaderFactory

# Planted deep in the gated articles: it must never reach a reader without access.
MARKER = "Quillfeather-marker the harbourmaster kept the ledger under the ninth flagstone"
LEAD = ["Lead one sentence.", "Lead two sentence.", "Lead three sentence."]
PASSWORD = "a-long-test-password-1"


def gated_body(marker: str = MARKER) -> list[dict[str, Any]]:
    return [
        *[paragraph(text) for text in LEAD],
        paragraph("Withheld four."),
        {"type": "crosshead", "value": "Withheld crosshead"},
        {"type": "pull_quote", "value": {"quote": f"Quote: {marker}", "attribution": "Z"}},
        {"type": "fact_box", "value": {"title": "Facts", "body": f"<p>{marker}</p>"}},
        paragraph(marker),
    ]


@dataclass
class Newsroom:
    free: ArticlePage
    registration: ArticlePage
    premium: ArticlePage
    others: list[ArticlePage]


@pytest.fixture
def newsroom(db) -> Newsroom:
    """A newsroom of one's own, built for the test (for transactional tests too)."""
    return build_newsroom()


@dataclass(frozen=True)
class _NewsroomIds:
    free: int
    registration: int
    premium: int
    others: tuple[int, ...]


@pytest.fixture(scope="module")
def _newsroom_built_once(build_once) -> Iterator[_NewsroomIds]:
    with build_once():
        built = build_newsroom()
        yield _NewsroomIds(
            free=built.free.pk,
            registration=built.registration.pk,
            premium=built.premium.pk,
            others=tuple(article.pk for article in built.others),
        )


@pytest.fixture
def shared_newsroom(_newsroom_built_once: _NewsroomIds, db) -> Newsroom:
    """The module's newsroom, built once (see `build_once`), as fresh objects for each
    test: what a test writes is rolled back, and what it changes on the objects it was
    handed never reaches the next test. A module opts in with

        @pytest.fixture
        def newsroom(shared_newsroom):
            return shared_newsroom
    """
    ids = _newsroom_built_once
    pages = ArticlePage.objects.in_bulk([ids.free, ids.registration, ids.premium, *ids.others])
    return Newsroom(
        free=pages[ids.free],
        registration=pages[ids.registration],
        premium=pages[ids.premium],
        others=[pages[pk] for pk in ids.others],
    )


def build_newsroom() -> Newsroom:
    home = make_home()
    free_section = make_section(parent=home, title="News", access=Level.FREE)
    reg_section = make_section(parent=home, title="Features", access=Level.REGISTRATION)
    premium_section = make_section(parent=home, title="Investigations", access=Level.PREMIUM)
    return Newsroom(
        free=make_article(section=free_section, title="A free story", hero=False),
        registration=make_article(
            section=reg_section, title="A registration story", body=gated_body(), hero=False
        ),
        premium=make_article(
            section=premium_section,
            title="A premium story",
            body=gated_body(),
            tags=["harbour"],
            hero=False,
        ),
        others=[
            make_article(section=premium_section, title=f"Premium {i}", hero=False)
            for i in range(6)
        ],
    )


def make_reader(email: str = "reader@example.com", **extra: Any) -> Any:
    return ReaderFactory(email=email, password=PASSWORD, last_name="Reader", **extra)


@pytest.fixture
def reader(db) -> Any:
    return make_reader()


@pytest.fixture
def reader_client(client, reader) -> Any:
    client.force_login(reader)
    return client
