"""The rendition specifications the templates use, and the pool a page's images load into.

Invariants:
- Every image a page shows is requested with one of these specs, so the prefetch that
  loads images can load all their renditions in the same query.
- A page's images (heroes, cards, body) load in one pooled round (`preloaded_images`);
  body blocks look in the pool before the database.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from typing import Any

from wagtail.images import get_image_model

HERO_WIDTHS = (480, 800, 1200)
CARD_WIDTHS = (320, 640)
BODY_WIDTHS = (480, 800, 1200)
PHOTO_SPEC = "fill-160x160"

_formats = ("webp", "jpeg")


def _specs(prefix: str, widths: tuple[int, ...]) -> list[str]:
    return [f"{prefix}-{w}|format-{fmt}" for w in widths for fmt in _formats]


HERO_SPECS = _specs("width", HERO_WIDTHS)
BODY_SPECS = _specs("width", BODY_WIDTHS)
CARD_SPECS = [f"fill-{w}x{w * 9 // 16}|format-{fmt}" for w in CARD_WIDTHS for fmt in _formats]
PHOTO_SPECS = [f"{PHOTO_SPEC}|format-{fmt}" for fmt in _formats]
RENDITION_SPECS = sorted(set(HERO_SPECS + BODY_SPECS + CARD_SPECS + PHOTO_SPECS))


# Images loaded for the current page, by id; body blocks look here before the database.
_image_pool: ContextVar[dict[int, Any] | None] = ContextVar("image_pool", default=None)


def pooled_image(image_id: int) -> Any | None:
    pool = _image_pool.get()
    return pool.get(image_id) if pool else None


def load_images(ids: Iterable[int | None]) -> dict[int, Any]:
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    images = get_image_model().objects.prefetch_renditions(*RENDITION_SPECS).in_bulk(wanted)
    return images


@contextlib.contextmanager
def preloaded_images(images: dict[int, Any]) -> Iterator[None]:
    token = _image_pool.set(images)
    try:
        yield
    finally:
        _image_pool.reset(token)


def attach_heroes(articles: Iterable[Any], images: dict[int, Any]) -> None:
    for item in articles:
        if item.hero_image_id and item.hero_image_id in images:
            item.hero_image = images[item.hero_image_id]


def listing_with_images(articles: Iterable[Any]) -> list[Any]:
    items = list(articles)
    attach_heroes(items, load_images(a.hero_image_id for a in items))
    return items
