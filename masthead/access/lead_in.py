"""Where the wall falls: one split of an article body into the lead-in and the rest.

Invariants:
- The lead-in is measured in what readers see, not in blocks: a rich-text block is cut
  into its top-level elements (each `<p>`, list, heading), so a whole story pasted
  into one paragraph block is split like a story of many blocks.
- The lead-in holds at most `paragraphs` text paragraphs (or runs to the editor's
  'Wall here' marker, which replaces the count) and never more than `share` per cent
  of the article's words. With a share under 100 % the unit holding the article's
  last words is therefore never in the lead-in; when no cut fits, the lead-in is empty
  and the reader without access sees the headline, standfirst and wall only.
- Every renderer for a reader without access takes its body from `split_body`'s
  `lead`, and `withheld` is only handed to a reader with access. Nothing here falls
  back to "everything" when a count runs out.
- A block whose definition says `article_text = False` in its Meta (a newsletter
  sign-up box) shows none of the article's words: it counts no words towards the
  share, and a marker with only such blocks after it withholds nothing. It is still
  cut like any block: after the wall it is withheld.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bs4 import BeautifulSoup, NavigableString, Tag
from bs4.element import PreformattedString
from wagtail.blocks import StreamValue
from wagtail.rich_text import RichText

MARKER_TYPE = "wall_marker"
HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
_WORD = re.compile(r"\w+", re.UNICODE)


def count_words(text: str) -> int:
    return len(_WORD.findall(text))


def html_text(source: str) -> str:
    """The text a reader sees in a piece of stored rich text."""
    if not source:
        return ""
    return BeautifulSoup(source, "html.parser").get_text(" ")


def value_text(value: Any) -> str:
    """Every string a block value shows, however it is nested (struct, list, stream).
    Chosen objects (images, other pages) carry no words of this article."""
    if value is None:
        return ""
    if isinstance(value, RichText):
        return html_text(value.source)
    if isinstance(value, str):
        return value
    if isinstance(value, StreamValue):
        return " ".join(value_text(child.value) for child in value)
    if isinstance(value, Mapping):
        return " ".join(value_text(v) for v in value.values())
    if isinstance(value, Sequence):  # lists, tuples and ListBlock values
        return " ".join(value_text(v) for v in value)
    return ""


def shows_article_text(child: Any) -> bool:
    """False for a block that is no part of the story's text (see the module docstring)."""
    return getattr(getattr(child.block, "meta", None), "article_text", True) is not False


def rich_text_pieces(source: str) -> list[tuple[str, str, str]]:
    """A rich text's top-level elements as (tag name, HTML source, text), parsed once;
    bare text is a piece of its own (tag ''). Whitespace and comments are dropped."""
    pieces: list[tuple[str, str, str]] = []
    for node in BeautifulSoup(source or "", "html.parser").contents:
        if isinstance(node, Tag):
            pieces.append((node.name, str(node), node.get_text(" ")))
        elif (
            isinstance(node, NavigableString)
            and not isinstance(node, PreformattedString)
            and node.strip()
        ):
            pieces.append(("", html.escape(str(node), quote=False), str(node)))
    return pieces


@dataclass(frozen=True)
class Unit:
    """One thing a reader sees: a whole block, or one element of a rich-text block."""

    block: int
    words: int
    paragraph: bool  # counts towards the lead-in's paragraph count
    piece: str | None = None  # the element's HTML, for rich-text blocks


@dataclass
class Split:
    lead: list[Any] = field(default_factory=list)
    withheld: list[Any] = field(default_factory=list)
    lead_words: int = 0
    total_words: int = 0
    # The paragraph count or the marker alone would have shown more: the word share cut it.
    cut_by_share: bool = False
    has_marker: bool = False

    @property
    def lead_share(self) -> float:
        return self.lead_words / self.total_words if self.total_words else 0.0


def units_of(blocks: list[Any]) -> tuple[list[Unit], int | None, list[int]]:
    """The body as units, the unit index of the first marker (or None), and for each
    block the index of its first unit (where a block without units sits)."""
    units: list[Unit] = []
    marker: int | None = None
    starts: list[int] = []
    for index, child in enumerate(blocks):
        starts.append(len(units))
        if child.block_type == MARKER_TYPE:
            if marker is None:
                marker = len(units)
            continue
        if isinstance(child.value, RichText) and child.block_type == "paragraph":
            for tag, piece, text in rich_text_pieces(child.value.source):
                words = count_words(text)
                units.append(
                    Unit(
                        block=index,
                        words=words,
                        paragraph=words > 0 and tag not in HEADINGS,
                        piece=piece,
                    )
                )
        else:
            words = count_words(value_text(child.value)) if shows_article_text(child) else 0
            units.append(Unit(block=index, words=words, paragraph=False))
    return units, marker, starts


def _within_share(words: int, total: int, share: int) -> bool:
    return words * 100 <= total * share


def choose_cut(
    units: list[Unit], marker: int | None, *, paragraphs: int, share: int
) -> tuple[int, bool]:
    """How many units the lead-in holds, and whether the word share made it shorter."""
    ends: list[int] = []  # cuts that end right after a paragraph
    seen = 0
    for i, unit in enumerate(units):
        if unit.paragraph:
            seen += 1
            ends.append(i + 1)
    if marker is not None:
        # The editor's marker replaces the count; the share still caps it.
        candidates = [k for k in ends if k <= marker] + [marker]
    else:
        candidates = ends[: max(paragraphs, 0)]
    if not candidates:
        return 0, False
    total = sum(u.words for u in units)
    running = [0]
    for unit in units:
        running.append(running[-1] + unit.words)
    fitting = [k for k in candidates if _within_share(running[k], total, share)]
    cut = max(fitting, default=0)
    return cut, cut < max(candidates)


def _child(original: Any, pieces: list[str]) -> Any:
    return StreamValue.StreamChild(original.block, RichText("".join(pieces)), id=original.id)


def split_body(body: Iterable[Any], *, paragraphs: int, share: int) -> Split:
    """Split `body` (a StreamValue, or any list of its children) at the wall.

    `paragraphs` is the configured lead-in length and `share` the largest part of the
    article's words (in per cent) the lead-in may hold. Marker blocks are dropped.
    """
    blocks = list(body)
    units, marker, starts = units_of(blocks)
    cut, cut_by_share = choose_cut(units, marker, paragraphs=paragraphs, share=share)
    result = Split(
        lead_words=sum(u.words for u in units[:cut]),
        total_words=sum(u.words for u in units),
        cut_by_share=cut_by_share,
        has_marker=marker is not None,
    )
    by_block: dict[int, list[tuple[int, Unit]]] = {}
    for i, unit in enumerate(units):
        by_block.setdefault(unit.block, []).append((i, unit))
    for index, child in enumerate(blocks):
        if child.block_type == MARKER_TYPE:
            continue
        mine = by_block.get(index, [])
        if not mine:
            # An empty block: with the lead-in only if strictly before the cut.
            (result.lead if starts[index] < cut else result.withheld).append(child)
            continue
        before = [u for i, u in mine if i < cut]
        after = [u for i, u in mine if i >= cut]
        if not after:
            result.lead.append(child)
        elif not before:
            result.withheld.append(child)
        else:
            # Only rich-text blocks have several units: cut between their elements.
            result.lead.append(_child(child, [u.piece or "" for u in before]))
            result.withheld.append(_child(child, [u.piece or "" for u in after]))
    return result


def marker_withholds_nothing(body: Iterable[Any]) -> bool:
    """True when the body has a 'Wall here' marker with no words after it."""
    units, marker, _starts = units_of(list(body))
    if marker is None:
        return False
    return sum(u.words for u in units[marker:]) == 0
