"""A page rendered once and served to every reader, with only its personal parts
rendered per request.

Invariants:
- A template marks what may differ between two readers of the same page with
  `{% personal "name" %}...{% endpersonal %}` (tag library `page_shell`): the account
  links, the messages, the editors' userbar, an article's body as this request's access
  decision hands it over. Everything outside those parts must depend only on what the
  caller puts in the shell's key.
- The shell is the page rendered once with a marker in place of each personal part,
  stored under `SHELL_PREFIX + key` for at most `SHELL_SECONDS` (the callers' keys
  name the pages and columns generations; the lifetime bounds what a change made
  without a signal, such as a bulk update of comments, leaves stale). Each request renders
  only the personal parts, with a context of its own (the request, the context
  processors and what the caller passes, such as the page and the access decision),
  and splices them in. So a shell holds
  nothing personal and nothing withheld: whatever a personal part shows is decided and
  rendered for the request that shows it.
- Without the shell flag in the context a personal part renders in place, so a page
  that is not served from a shell is unchanged, and with the cache empty or away the
  shell is rendered on every request and the page is the same.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from django import template
from django.core.cache import cache
from django.http import HttpRequest
from django.template.base import Template as CompiledTemplate
from django.template.context import make_context
from django.template.loader import get_template
from django.template.loader_tags import ExtendsNode

from .render_cache import prefetched

# A shell lives this long at most, as long as a browser keeps a public page (see the
# module docstring).
SHELL_SECONDS = 60

SHELL_FLAG = "_masthead_page_shell"
SHELL_PREFIX = "render:shell:v2:"
_NAME = r"[A-Za-z0-9_-]+"
_MARKER = "\x00personal:{}\x00"
_SPLIT = re.compile(f"\x00personal:({_NAME})\x00")


class PersonalNode(template.Node):
    """`{% personal "name" %}...{% endpersonal %}` (see the module docstring)."""

    child_nodelists = ("nodelist",)

    def __init__(self, name: str, nodelist: template.NodeList) -> None:
        self.name = name
        self.nodelist = nodelist

    def render(self, context: template.Context) -> str:
        if context.get(SHELL_FLAG):
            return _MARKER.format(self.name)
        return self.nodelist.render(context)


def parse_personal(parser: template.base.Parser, token: template.base.Token) -> PersonalNode:
    bits = token.split_contents()
    name = bits[1].strip("\"'") if len(bits) == 2 else ""
    if not re.fullmatch(_NAME, name):
        raise template.TemplateSyntaxError('{% personal "name" %} takes one quoted name')
    nodelist = parser.parse(("endpersonal",))
    parser.delete_first_token()
    return PersonalNode(name, nodelist)


_nodes_cache: dict[int, tuple[CompiledTemplate, dict[str, PersonalNode]]] = {}


def personal_nodes(compiled: CompiledTemplate) -> dict[str, PersonalNode]:
    """The personal parts of a template and of the templates it extends (a child's part
    wins over a parent's of the same name), found once per compiled template."""
    found = _nodes_cache.get(id(compiled))
    if found is not None and found[0] is compiled:
        return found[1]
    nodes: dict[str, PersonalNode] = {}
    current: CompiledTemplate | None = compiled
    while current is not None:
        for node in current.nodelist.get_nodes_by_type(PersonalNode):
            nodes.setdefault(node.name, node)
        extends = current.nodelist.get_nodes_by_type(ExtendsNode)
        parent = extends[0].parent_name.var if extends else None
        current = current.engine.get_template(parent) if isinstance(parent, str) else None
    _nodes_cache[id(compiled)] = (compiled, nodes)
    return nodes


def serve_shell(
    request: HttpRequest,
    *,
    template_name: str,
    key: str,
    context: Callable[[], Mapping[str, Any]],
    personal_context: Mapping[str, Any],
    keep: Callable[[Mapping[str, Any]], Any] | None = None,
    seconds: int = SHELL_SECONDS,
    prefetch: Sequence[str] = (),
) -> tuple[str, Any]:
    """The page at `template_name`: the shell under `key` (rendered with `context()`
    and stored for `seconds` when missing) with its personal parts rendered for this
    request from `personal_context` (plus the context processors); and what
    `keep(context)` returned when the shell was rendered (stored with it, such as the
    cache tags of what the page shows). Fragments under the `prefetch` keys (the
    personal parts' own cached pieces) are read in the same round trip."""
    wrapper = get_template(template_name)
    compiled: CompiledTemplate = wrapper.template  # type: ignore[attr-defined]
    full_key = SHELL_PREFIX + key
    found = cache.get_many([full_key, *prefetch])
    if prefetch:
        prefetched(request, {k: v for k, v in found.items() if k != full_key})
    entry = found.get(full_key)
    if entry is None:
        data = context()
        html = wrapper.render({**data, SHELL_FLAG: True}, request)
        entry = (_SPLIT.split(html), keep(data) if keep else None)
        cache.set(full_key, entry, seconds)
    parts, kept = entry
    if len(parts) == 1:
        return parts[0], kept
    nodes = personal_nodes(compiled)
    filled = make_context(dict(personal_context), request)
    out: list[str] = []
    with filled.bind_template(compiled):
        for index, part in enumerate(parts):
            if index % 2 == 0:
                out.append(part)
            else:
                node = nodes.get(part)  # None only for a marker typed into the page's text
                out.append(node.nodelist.render(filled) if node is not None else "")
    return "".join(out), kept
