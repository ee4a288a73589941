"""core's registries know no app: the apps register with them, never the reverse.

(lint-imports checks the whole of core; this keeps the registries' own rule beside them.)
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

CORE = Path(__file__).resolve().parents[1]
APPS = ("masthead.readers", "masthead.access", "masthead.content", "masthead.newsletters")


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


@pytest.mark.parametrize(
    "module", ["privacy.py", "account_sections.py", "templatetags/account_area.py"]
)
def test_the_registries_import_no_app(module):
    assert not {m for m in _imports(CORE / module) if m.startswith(APPS)}
