"""The rendition specifications the templates use, kept in one list.

Invariant: every image a page shows is requested with one of these specs, so the
prefetch that loads images can load all their renditions in the same query.
"""

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
