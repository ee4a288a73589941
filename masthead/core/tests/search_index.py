"""Wagtail's search index (modelsearch) kept up to date only where a test wants it.

Every save of an indexed model (pages, authors, images...) runs the index update as a
task, at once under test: about a tenth of the whole suite's time, for an index that
few tests read. modelsearch has no switch of its own, so its save and delete receivers
are swapped for ones that check a thread-local switch first.

Invariants: the switch is per thread, so only the test's own thread skips the index;
the live server's request threads (the browser journeys) keep it up to date, as
production does. A test that reads the index asks for the `search_index` fixture (a
module that builds rows once for such tests uses `search_index_module`).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any

from django.db.models.signals import post_delete, post_save
from modelsearch import index
from modelsearch.signal_handlers import post_delete_signal_handler, post_save_signal_handler

_switch = threading.local()


def updating() -> bool:
    """Whether this thread's saves and deletes update the index now."""
    return not getattr(_switch, "off", False)


def _on_save(sender: Any, instance: Any, **kwargs: Any) -> None:
    if updating():
        post_save_signal_handler(instance, **kwargs)


def _on_delete(sender: Any, instance: Any, **kwargs: Any) -> None:
    if updating():
        post_delete_signal_handler(instance, **kwargs)


def install() -> None:
    """Put the switchable receivers in place of modelsearch's (idempotent)."""
    for model in index.get_indexed_models():
        if not getattr(model, "search_auto_update", True):
            continue
        post_save.disconnect(post_save_signal_handler, sender=model)
        post_delete.disconnect(post_delete_signal_handler, sender=model)
        post_save.connect(_on_save, sender=model, dispatch_uid=f"test-search-save-{model}")
        post_delete.connect(_on_delete, sender=model, dispatch_uid=f"test-search-del-{model}")


@contextlib.contextmanager
def updates(*, on: bool) -> Iterator[None]:
    """This thread's saves and deletes update the index (`on`) or skip it, inside."""
    before = getattr(_switch, "off", False)
    _switch.off = not on
    try:
        yield
    finally:
        _switch.off = before
