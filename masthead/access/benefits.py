"""What a free account brings, as the wall lists it: only parts of the site that run.

Invariant: a benefit line tagged with a part of the site ("[comments] ...") is shown only
while that part is enabled, so the wall never promises comments, newsletters or events
the site does not offer. A part is enabled when its app registers it here (from its
AppConfig.ready) and its check passes; a part that no app registers is off. Checks must
not query the database: the wall renders on every gated page a CDN may cache.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django.utils.translation import gettext_lazy as _

# The parts of the site a benefit line may depend on, with their names for editors.
FEATURES = {
    "newsletters": _("newsletters"),
    "comments": _("comments"),
    "events": _("events"),
}
_TAG = re.compile(r"^\[(?P<feature>[^\]]*)\]\s*")

_registry: dict[str, Callable[[], bool]] = {}


def register_feature(name: str, is_enabled: Callable[[], bool] = lambda: True) -> None:
    """Called by the app that provides `name` (one of FEATURES) when it is ready."""
    if name not in FEATURES:
        raise ValueError(f"unknown wall feature {name!r}")
    _registry[name] = is_enabled


def unregister_feature(name: str) -> None:
    _registry.pop(name, None)


def enabled_features() -> set[str]:
    return {name for name, check in _registry.items() if check()}


def parse_line(line: str) -> tuple[str, str]:
    """('feature', 'text') for a tagged line, ('', 'text') for an untagged one."""
    match = _TAG.match(line)
    if match is None:
        return "", line
    return match.group("feature").strip().lower(), line[match.end() :]


def unknown_tags(text: str) -> list[str]:
    """The tags in `text` that name no part of the site (for the settings form)."""
    found = [parse_line(line.strip())[0] for line in text.splitlines()]
    return [tag for tag in dict.fromkeys(found) if tag and tag not in FEATURES]
