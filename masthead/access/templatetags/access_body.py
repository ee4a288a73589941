"""`{% access_body_part access "lead" %}`: the article body's blocks this reader was
handed, rendered, from the cache when it holds them.

Invariant: the part is chosen here from this request's access decision and nothing else:
"rest" (the withheld text) is rendered or read from the cache only when the decision
grants this reader the withheld text (`access.holds_gated_text`), and "lead" is the
lead-in (or, on an article that gates nothing, the whole body). Each part has its own
key, built from the article, its live revision, a digest of the body, the lead-in rules
and the pages generation (a related story or a link shows other pages), so a reader
without access never reads a key holding withheld text, an edit or a publish never
serves an old text, and a preview never fills a key at all. The body is split into its
parts (and its blocks bound) only when the cache misses, so a cached body costs no
parsing.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.template.context import Context
from django.utils.safestring import SafeString, mark_safe

from masthead.core.render_cache import cached_fragment, pages_generation

register = template.Library()


def _render(blocks: list[Any], context: Context) -> str:
    # As `{% include_block %}` does: each block with the page's context.
    flat = context.flatten()
    return "".join(str(block.render_as_block(context=flat)) for block in blocks)


@register.simple_tag(takes_context=True)
def access_body_part(context: Context, access: Any, part: str) -> SafeString:
    if part not in ("lead", "rest"):  # pragma: no cover - a template typo
        raise template.TemplateSyntaxError(f"unknown body part {part!r}")
    # Only a reader whose decision grants the withheld text reads the rest.
    if part == "rest" and not access.holds_gated_text:
        return mark_safe("")

    def render() -> str:
        # The blocks are split and bound only when the cache does not hold the part.
        blocks = access.rest if part == "rest" else access.lead
        return _render(blocks, context) if blocks else ""

    request = context.get("request")
    key = access.body_part_key(part, pages_generation(request))
    if key is None:
        return mark_safe(render())
    return mark_safe(cached_fragment(key, render, request))
