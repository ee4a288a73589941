"""The suite's switch for Wagtail's search index (masthead/core/tests/search_index.py):
a test's own saves skip the index unless it asks for `search_index`; other threads (the
live server's, in the browser journeys) keep indexing as production does."""

from __future__ import annotations

import threading

import pytest

from masthead.content.models import ArticlePage
from masthead.core.tests import search_index

from .factories import make_article, make_home, make_section

pytestmark = pytest.mark.django_db


def _found(word: str) -> list[str]:
    return [page.title for page in ArticlePage.objects.live().search(word)]


def test_a_tests_own_saves_skip_the_index_by_default():
    make_article(section=make_section(parent=make_home(), title="Quays"), title="Dredger sinks")
    assert _found("dredger") == []


@pytest.mark.usefixtures("search_index")
def test_a_test_that_asks_for_the_index_has_its_saves_indexed():
    make_article(section=make_section(parent=make_home(), title="Quays"), title="Dredger sinks")
    assert _found("dredger") == ["Dredger sinks"]


def test_another_thread_keeps_indexing_while_the_tests_thread_skips_it():
    # The live server's request threads: their saves reach the index.
    seen: list[bool] = []
    thread = threading.Thread(target=lambda: seen.append(search_index.updating()))
    thread.start()
    thread.join()
    assert seen == [True]
    assert search_index.updating() is False


def test_the_switch_is_put_back_after_a_block():
    with search_index.updates(on=True):
        make_article(section=make_section(parent=make_home(), title="Quays"), title="Tug")
    make_article(section=make_section(parent=make_home(), title="Locks"), title="Tug two")
    assert _found("tug") == ["Tug"]
