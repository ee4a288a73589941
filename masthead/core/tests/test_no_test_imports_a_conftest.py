"""The real SMTP server's fixtures are shared through a plugin module
(masthead/core/tests/smtp.py, listed in the root conftest.py's `pytest_plugins`),
never by importing core's conftest as a module: pytest imports a conftest itself, and
a second import under another name makes its fixtures exist twice."""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
CORE_CONFTEST = "masthead.core.tests.conftest"


def core_conftest_imports(root: Path) -> list[str]:
    found = []
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
            if CORE_CONFTEST in names:
                found.append(str(path.relative_to(root)))
    return sorted(set(found))


def test_no_module_imports_cores_conftest():
    assert core_conftest_imports(REPO / "masthead") + core_conftest_imports(REPO / "tests") == []


def test_the_smtp_fixtures_come_from_the_plugin(request):
    assert request.config.pluginmanager.has_plugin("masthead.core.tests.smtp")


def test_the_scan_sees_an_import_of_cores_conftest(tmp_path):
    (tmp_path / "test_x.py").write_text("from masthead.core.tests import conftest as c\n")
    (tmp_path / "test_y.py").write_text("from masthead.core.tests.smtp import free_port\n")
    assert core_conftest_imports(tmp_path) == ["test_x.py"]
