"""A comment's plain text turned into safe HTML: paragraphs, links, @mentions.

Contract: `render_body(text, mentions=None) -> SafeString`, a pure function.
- Every character the reader typed is escaped; the only markup is ours: <p> per
  paragraph (a blank line apart), <br> for a single line break, <a> for links and
  mentions. No attribute ever holds the reader's text unescaped, and a link's address
  is always http(s) (a bare "www." gets https://), so nothing the reader types can run.
- Links carry rel="nofollow ugc noopener".
- `mentions` maps a name key (services.names.name_key) to a Mention(name, url); an
  "@" followed by a known display name (the longest that matches, names may hold
  spaces) becomes a link to that reader's profile (a span when url is None).
`mention_candidates(text)` gives the keys an "@" in the text could stand for, so a
caller resolves them all with one query.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

URL_RE = re.compile(r"(?:https?://|www\.)[^\s<>\"'`]+", re.IGNORECASE)
# What may follow an "@" in a display name (names.clean_display_name's alphabet).
NAME_RE = re.compile(r"[\w\u0300-\u036f'\u2019\- ]{1,30}")
TRAILING = ".,;:!?)]}'\"\u2019"
MAX_NAME = 30
REL = "nofollow ugc noopener"


@dataclass(frozen=True)
class Mention:
    name: str
    url: str | None


def _key(name: str) -> str:
    return unicodedata.normalize("NFKC", name).casefold()


def _name_prefixes(text: str, at: int) -> list[str]:
    """Candidate names after the "@" at `at`, longest first (cut at spaces or the end)."""
    match = NAME_RE.match(text, at + 1)
    if not match:
        return []
    run = match.group(0)
    cuts = {len(run)} | {i for i, c in enumerate(run) if c == " "}
    names = [run[:cut].strip(" '\u2019-") for cut in sorted(cuts, reverse=True)]
    return [n for n in dict.fromkeys(names) if len(n) >= 3]


def _is_mention_start(text: str, at: int) -> bool:
    return at == 0 or not (text[at - 1].isalnum() or text[at - 1] in "@_")


def mention_candidates(text: str) -> set[str]:
    keys: set[str] = set()
    for at in (i for i, c in enumerate(text or "") if c == "@"):
        if _is_mention_start(text, at):
            keys.update(_key(name) for name in _name_prefixes(text, at))
    return keys


def _link(url: str) -> tuple[str, int]:
    """The <a> for a matched address, and how many characters of it belong to it."""
    while url and url[-1] in TRAILING:
        # A closing bracket stays when the address opened one, as in Wikipedia links.
        if url[-1] == ")" and url.count("(") >= url.count(")"):
            break
        url = url[:-1]
    href = url if url.lower().startswith(("http://", "https://")) else "https://" + url
    return (f'<a href="{escape(href)}" rel="{REL}">{escape(url)}</a>', len(url))


def _render_line(line: str, mentions: Mapping[str, Mention]) -> str:
    out: list[str] = []
    pos = 0
    plain_from = 0
    while pos < len(line):
        url = URL_RE.match(line, pos) if line[pos] in "hHwW" else None
        if url and (pos == 0 or not line[pos - 1].isalnum()):
            html, used = _link(url.group(0))
            if used:
                out.append(escape(line[plain_from:pos]))
                out.append(html)
                pos += used
                plain_from = pos
                continue
        if line[pos] == "@" and mentions and _is_mention_start(line, pos):
            for name in _name_prefixes(line, pos):
                target = mentions.get(_key(name))
                if target is not None:
                    out.append(escape(line[plain_from:pos]))
                    label = escape("@" + target.name)
                    if target.url:
                        out.append(f'<a class="mention" href="{escape(target.url)}">{label}</a>')
                    else:
                        out.append(f'<span class="mention">{label}</span>')
                    pos += 1 + len(name)
                    plain_from = pos
                    break
            else:
                pos += 1
            continue
        pos += 1
    out.append(escape(line[plain_from:]))
    return "".join(out)


def paragraphs(text: str) -> list[str]:
    return [p.strip("\n") for p in re.split(r"\n[ \t]*\n+", text or "") if p.strip()]


def render_body(text: str, mentions: Mapping[str, Mention] | None = None) -> SafeString:
    mentions = mentions or {}
    html = "\n".join(
        "<p>" + "<br>\n".join(_render_line(line, mentions) for line in p.split("\n")) + "</p>"
        for p in paragraphs(text)
    )
    return mark_safe(html)
