"""The demo newsroom as data: sections, authors, the editor, articles, info pages and
virtual events.

Articles and info pages are text files next to this module (``articles/*.txt`` and
``pages/*.txt``), parsed here into plain dataclasses; the loader turns them into pages.
Everything is fiction written for Masthead: the town of Saltmere, its council, the
Skerrin Isles, Kestovia, Saravel, Dunmarra and Tamsara do not exist.

File format: ``key: value`` header lines, a line ``---``, then blocks separated by blank
lines. A block is a paragraph unless it starts with one of these:

    ## Crosshead text
    > Pull quote text (may run over several "> " lines)
    > -- Attribution
    @image <art> | <alt text> | <caption> | <credit>
    @video <YouTube or Vimeo address> | <title> | <caption>
    @related <article slug> | <label>
    @factbox <title>      (following lines: "- item" for a list, others are paragraphs)
    @newsletter <newsletter slug> | <heading> | <text>   (a sign-up box)
    @wall

The header line ``layout: one-block`` puts the whole story (plain paragraphs only) into
one paragraph block, as an editor pasting a story into Wagtail leaves it.

In paragraphs, ``*text*`` is italic and ``**text**`` bold. ``<art>`` names a drawing
style of `artwork.STYLES`, optionally with a palette: ``harbour:dusk``.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from masthead.access.api import Level

HERE = Path(__file__).resolve().parent
NEWSROOM_NAME = "The Harbour Ledger"
NEWSROOM_TAGLINE = "Independent news for Saltmere, the Skerrin Isles and the Westhallow coast."
LEAD_STORY_SLUG = "harbour-wall-repair-approved"
DEMO_COLLECTION = "Demo newsroom"
HOUSE_CREDIT = "Illustration: The Harbour Ledger"


@dataclass(frozen=True)
class SectionSpec:
    slug: str
    title: str
    standfirst: str
    default_access: str
    parent: str | None = None  # slug of the parent section; None for top level


@dataclass(frozen=True)
class AuthorSpec:
    slug: str
    name: str
    role: str
    bio: str  # rich text HTML


@dataclass(frozen=True)
class EditorSpec:
    email: str
    first_name: str
    last_name: str


@dataclass(frozen=True)
class ImageSpec:
    art: str
    alt: str
    caption: str = ""
    credit: str = ""


@dataclass(frozen=True)
class BlockSpec:
    kind: str
    value: Any


@dataclass(frozen=True)
class ArticleSpec:
    slug: str
    title: str
    section: str
    authors: tuple[str, ...]
    standfirst: str
    tags: tuple[str, ...]
    access: str  # "" = the section's default
    published_hours_ago: float
    updated_hours_ago: float | None
    comments_open: bool
    hero: ImageSpec
    body: tuple[BlockSpec, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class InfoPageSpec:
    slug: str
    title: str
    body: str  # rich text HTML
    document: str = ""  # terms, cookies or privacy: a versioned LegalPage


@dataclass(frozen=True)
class EventSpec:
    slug: str
    title: str
    standfirst: str
    description: str  # rich text HTML
    days_ahead: int  # its date: this many days after the day the demo is loaded
    start: dt.time  # wall time in the site's timezone (settings.TIME_ZONE)
    minutes: int
    capacity: int
    speakers: tuple[tuple[str, str], ...]  # (author slug, role at this event)


SECTIONS: tuple[SectionSpec, ...] = (
    SectionSpec(
        slug="news",
        title="News",
        standfirst="Saltmere and the Westhallow coast: the council, the harbour, the ferries "
        "and the people who keep the town running.",
        default_access=Level.FREE,
    ),
    SectionSpec(
        slug="world",
        title="World",
        standfirst="Reporting and explainers from beyond the harbour wall.",
        default_access=Level.REGISTRATION,
    ),
    SectionSpec(
        slug="europe",
        title="Europe",
        standfirst="Elections, treaties and the politics of the continent's smaller states.",
        default_access=Level.REGISTRATION,
        parent="world",
    ),
    SectionSpec(
        slug="climate",
        title="Climate",
        standfirst="The changing coast, the sea and the energy transition, from the shoreline up.",
        default_access=Level.FREE,
    ),
    SectionSpec(
        slug="culture",
        title="Culture",
        standfirst="Reviews, exhibitions and the arts along the coast.",
        default_access=Level.REGISTRATION,
    ),
    SectionSpec(
        slug="opinion",
        title="Opinion",
        standfirst="Argument and analysis from the Ledger's writers.",
        default_access=Level.PREMIUM,
    ),
)

AUTHORS: tuple[AuthorSpec, ...] = (
    AuthorSpec(
        slug="nell-ashdown",
        name="Nell Ashdown",
        role="Local government reporter",
        bio="<p>Nell Ashdown covers Westhallow District Council, the harbour board and the "
        "Skerrin Isles ferry. She grew up above a chandlery on Quay Street and has sat "
        "through more planning committees than she would like to admit.</p>",
    ),
    AuthorSpec(
        slug="idris-calloway",
        name="Idris Calloway",
        role="World affairs editor",
        bio="<p>Idris Calloway edits the Ledger's world pages. Before joining he spent a "
        "decade reporting on elections, water and trade for regional papers, and he still "
        "keeps a shortwave radio on his desk.</p>",
    ),
    AuthorSpec(
        slug="priya-venn",
        name="Priya Venn",
        role="Climate and coast correspondent",
        bio="<p>Priya Venn reports on the sea, the shoreline and the energy transition. She "
        "trained as a marine ecologist before turning to journalism and tries to visit "
        "every story at low tide.</p>",
    ),
    AuthorSpec(
        slug="tomasz-hale",
        name="Tomasz Hale",
        role="Culture editor",
        bio="<p>Tomasz Hale writes about theatre, music, books and exhibitions. He has "
        "reviewed everything from touring operas to school nativity plays, and believes "
        "both deserve to be taken seriously.</p>",
    ),
    AuthorSpec(
        slug="ruth-ambry",
        name="Ruth Ambry",
        role="Editor",
        bio="<p>Ruth Ambry is the editor of The Harbour Ledger. She founded the paper with "
        "four colleagues after the town's old weekly closed, and still answers the "
        "readers' letters herself.</p>",
    ),
)

EVENTS_SLUG = "events"
EVENTS_TITLE = "Events"
EVENTS_INTRO = (
    "Live conversations with the Ledger's reporters, online and free for registered "
    "readers: bring your questions."
)

EVENTS: tuple[EventSpec, ...] = (
    EventSpec(
        slug="coastline-map-live-questions",
        title="Where the cliffs are going: the coastline map, live",
        standfirst="Priya Venn walks through the erosion map street by street and answers "
        "readers' questions about what it means for their homes.",
        description="<p>Our map of the Westhallow coast drew more letters than anything we "
        "have published this year. In this hour online, Priya Venn shows how it was made, "
        "which tide gauges and survey flights it rests on, and where the uncertainty "
        "lies.</p><h2>What we will cover</h2><ul><li>How fast the cliffs at Gull Point "
        "are moving, and how we know</li><li>What the council's shoreline plan promises, "
        "and what it does not</li><li>Your questions, sent in advance or asked on the "
        "night</li></ul><p>Questions can be sent ahead of time to "
        "events@harbourledger.example.</p>",
        days_ahead=9,
        start=dt.time(19, 0),
        minutes=60,
        capacity=250,
        speakers=(("priya-venn", "Presenting the map"), ("ruth-ambry", "Chairing")),
    ),
    EventSpec(
        slug="harbour-wall-vote-lunchtime-briefing",
        title="After the harbour wall vote: a lunchtime briefing",
        standfirst="Nell Ashdown explains what the council approved, who pays for the repair "
        "and what happens to the boats while the work goes on.",
        description="<p>The repair of the old harbour wall was approved after three years of "
        "argument. In this short briefing, Nell Ashdown, who sat through every meeting, "
        "sets out the timetable, the money and the open questions, then takes yours.</p>"
        "<p>Places are limited so that everyone who comes can ask something; if it fills "
        "up, join the waiting list and we will email you if a place opens.</p>",
        days_ahead=16,
        start=dt.time(12, 30),
        minutes=45,
        capacity=40,
        speakers=(("nell-ashdown", "Local government reporter"),),
    ),
)

EDITOR = EditorSpec(email="editor@masthead.example", first_name="Ruth", last_name="Ambry")

_HEADER_KEYS = {
    "layout",
    "slug",
    "title",
    "section",
    "authors",
    "standfirst",
    "tags",
    "access",
    "published",
    "updated",
    "comments",
    "hero",
    "hero_alt",
    "hero_caption",
    "hero_credit",
    "document",
}
_REQUIRED_KEYS = {
    "slug",
    "title",
    "section",
    "authors",
    "standfirst",
    "published",
    "hero",
    "hero_alt",
}


def inline_html(text: str) -> str:
    """Escape text and turn **bold** and *italic* into HTML."""
    escaped = html.escape(" ".join(text.split()), quote=False)
    escaped = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", escaped)
    return re.sub(r"\*(.+?)\*", r"<i>\1</i>", escaped)


def _split(text: str, path: Path) -> tuple[dict[str, str], list[str]]:
    head, sep, body = text.partition("\n---\n")
    if not sep:
        raise ValueError(f"{path.name}: no '---' line between the header and the body")
    header: dict[str, str] = {}
    for line in head.strip().splitlines():
        key, colon, value = line.partition(":")
        key = key.strip()
        if not colon or key not in _HEADER_KEYS:
            raise ValueError(f"{path.name}: unexpected header line {line!r}")
        header[key] = value.strip()
    blocks = [b.strip() for b in re.split(r"\n\s*\n", body) if b.strip()]
    return header, blocks


def _fields(line: str, count: int) -> list[str]:
    parts = [p.strip() for p in line.split("|")]
    return parts + [""] * (count - len(parts))


def _rich_lines(lines: list[str]) -> str:
    """'- item' lines become a list; other lines become paragraphs."""
    out: list[str] = []
    items: list[str] = []
    for line in [*lines, ""]:
        if line.startswith("- "):
            items.append(f"<li>{inline_html(line[2:])}</li>")
            continue
        if items:
            out.append("<ul>" + "".join(items) + "</ul>")
            items = []
        if line.startswith("## "):
            out.append(f"<h2>{inline_html(line[3:])}</h2>")
        elif line.strip():
            out.append(f"<p>{inline_html(line)}</p>")
    return "".join(out)


def parse_block(block: str) -> BlockSpec:
    lines = block.splitlines()
    first = lines[0]
    if first.startswith("## "):
        return BlockSpec("crosshead", " ".join(first[3:].split()))
    if first.startswith(">"):
        quoted = [line.lstrip(">").strip() for line in lines]
        attribution = ""
        if quoted[-1].startswith("--"):
            attribution = quoted.pop().lstrip("-").strip()
        return BlockSpec("pull_quote", {"quote": " ".join(quoted), "attribution": attribution})
    if first.startswith("@image "):
        art, alt, caption, credit = _fields(first[7:], 4)
        return BlockSpec("image", ImageSpec(art, alt, caption, credit or HOUSE_CREDIT))
    if first.startswith("@video "):
        url, title, caption = _fields(first[7:], 3)
        return BlockSpec("video", {"url": url, "title": title, "caption": caption})
    if first.startswith("@related "):
        slug, label = _fields(first[9:], 2)
        return BlockSpec("related_story", {"slug": slug, "label": label})
    if first.startswith("@factbox "):
        return BlockSpec("fact_box", {"title": first[9:].strip(), "body": _rich_lines(lines[1:])})
    if first.startswith("@newsletter "):
        slug, heading, text = _fields(first[12:], 3)
        return BlockSpec("signup_box", {"newsletter": slug, "heading": heading, "text": text})
    if first.strip() == "@wall":
        return BlockSpec("wall_marker", None)
    if first.startswith("@"):
        raise ValueError(f"unknown directive {first!r}")
    return BlockSpec("paragraph", f"<p>{inline_html(' '.join(lines))}</p>")


def parse_article(path: Path) -> ArticleSpec:
    header, blocks = _split(path.read_text(encoding="utf-8"), path)
    missing = _REQUIRED_KEYS - header.keys()
    if missing:
        raise ValueError(f"{path.name}: missing {', '.join(sorted(missing))}")
    access = header.get("access", "")
    if access and access not in Level.values:
        raise ValueError(f"{path.name}: unknown access level {access!r}")
    updated = header.get("updated")
    return ArticleSpec(
        slug=header["slug"],
        title=header["title"],
        section=header["section"],
        authors=tuple(a.strip() for a in header["authors"].split(",") if a.strip()),
        standfirst=header["standfirst"],
        tags=tuple(t.strip() for t in header.get("tags", "").split(",") if t.strip()),
        access=access,
        published_hours_ago=float(header["published"]),
        updated_hours_ago=float(updated) if updated else None,
        comments_open=header.get("comments", "open") != "closed",
        hero=ImageSpec(
            header["hero"],
            header["hero_alt"],
            header.get("hero_caption", ""),
            header.get("hero_credit", HOUSE_CREDIT),
        ),
        body=_one_block(blocks, path)
        if header.get("layout") == "one-block"
        else tuple(parse_block(b) for b in blocks),
    )


def _one_block(blocks: list[str], path: Path) -> tuple[BlockSpec, ...]:
    """The whole story in one paragraph block, as an editor pasting it into Wagtail
    would leave it: several <p> in one rich text (the wall cuts between them)."""
    if any(b.startswith(("@", "## ", ">")) for b in blocks):
        raise ValueError(f"{path.name}: a one-block story holds plain paragraphs only")
    source = "".join(f"<p>{inline_html(' '.join(b.splitlines()))}</p>" for b in blocks)
    return (BlockSpec("paragraph", source),)


def parse_info_page(path: Path) -> InfoPageSpec:
    header, blocks = _split(path.read_text(encoding="utf-8"), path)
    body = "".join(
        _rich_lines(block.splitlines())
        if block.startswith(("- ", "## "))
        else f"<p>{inline_html(block)}</p>"
        for block in blocks
    )
    return InfoPageSpec(
        slug=header["slug"], title=header["title"], body=body, document=header.get("document", "")
    )


@cache
def articles() -> tuple[ArticleSpec, ...]:
    """The articles in file-name order; a related story always points to an earlier file."""
    return tuple(parse_article(p) for p in sorted((HERE / "articles").glob("*.txt")))


@cache
def info_pages() -> tuple[InfoPageSpec, ...]:
    return tuple(parse_info_page(p) for p in sorted((HERE / "pages").glob("*.txt")))
