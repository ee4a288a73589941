"""core.discovery imports `<app>.<module>` from our own apps only (masthead.*): a
third-party app's module of the same name is never imported at start-up."""

from __future__ import annotations

import sys

from django.apps import AppConfig, apps

from masthead.core import account_sections, privacy
from masthead.core.discovery import import_app_modules


def test_our_apps_modules_are_found():
    found = import_app_modules(privacy.MODULE_NAME)
    assert "masthead.readers.privacy" in found
    assert "masthead.newsletters.privacy" in found
    assert "masthead.readers.account_sections" in import_app_modules(account_sections.MODULE_NAME)


def test_a_third_party_apps_module_of_the_same_name_is_not_imported(tmp_path, monkeypatch):
    package = tmp_path / "elsewhere_app"
    package.mkdir()
    (package / "__init__.py").write_text("")
    # Importing it would be visible: it puts itself in sys.modules like any module.
    (package / "privacy.py").write_text("IMPORTED = True\n")
    (package / "account_sections.py").write_text("IMPORTED = True\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    # Installed beside ours (re-running every app's ready() would mount routes twice).
    installed = [*apps.get_app_configs(), AppConfig.create("elsewhere_app")]
    privacy_modules = import_app_modules(privacy.MODULE_NAME, installed)
    section_modules = import_app_modules(account_sections.MODULE_NAME, installed)
    assert "elsewhere_app.privacy" not in sys.modules
    assert "elsewhere_app.account_sections" not in sys.modules
    assert all(m.startswith("masthead.") for m in privacy_modules + section_modules)
    assert privacy_modules  # the control: ours were still found


def test_both_registries_discover_through_the_shared_helper():
    from masthead.core.discovery import DiscoveredRegistry

    assert isinstance(privacy._registry, DiscoveredRegistry)
    assert isinstance(account_sections._registry, DiscoveredRegistry)
    assert privacy._registry.MODULE_NAME == "privacy"
    assert account_sections._registry.MODULE_NAME == "account_sections"
