"""Apps call each other through services, selectors and public modules (a field, a
registry), never through another app's forms (DESIGN.md). import-linter checks the
layers' direction; this checks the seam it cannot see: readers sits above newsletters,
so importing newsletters.forms would pass the layers and still couple the two apps'
validation.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]  # the masthead package
APPS = sorted(p.name for p in ROOT.iterdir() if (p / "apps.py").exists())


def _imported_modules(path: Path, root: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    package = ".".join(("masthead", *path.relative_to(root).parts[:-1]))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def foreign_forms_imports(root: Path = ROOT) -> list[str]:
    problems = []
    for app in APPS:
        for path in sorted((root / app).rglob("*.py")):
            if "tests" in path.relative_to(root / app).parts:
                continue
            for module in _imported_modules(path, root):
                parts = module.split(".")
                if (
                    len(parts) >= 3
                    and parts[0] == "masthead"
                    and parts[1] in APPS
                    and parts[1] != app
                    and parts[2] == "forms"
                ):
                    problems.append(f"{path.relative_to(root)} imports {module}")
    return problems


def test_no_app_imports_another_apps_forms():
    assert foreign_forms_imports() == []


def test_the_scan_sees_an_import_of_another_apps_forms(tmp_path):
    app = tmp_path / "readers"
    app.mkdir()
    (tmp_path / "newsletters").mkdir()
    (app / "forms.py").write_text(
        "from masthead.newsletters.forms import NewsletterChoiceField\n"
        "from ..newsletters import forms\n"
        "from masthead.newsletters.fields import NewsletterChoiceField as Fine\n"
    )
    assert "newsletters" in APPS and "readers" in APPS
    found = foreign_forms_imports(tmp_path)
    assert any("masthead.newsletters.forms.NewsletterChoiceField" in p for p in found)
    assert "readers/forms.py imports masthead.newsletters.forms" in found  # the relative one
    assert not any("fields" in p for p in found)
