"""Finding the modules our apps register from: `<app>.privacy`, `<app>.account_sections`.

Public surface: `import_app_modules(name)` and `DiscoveredRegistry`, the base of core's
registries (privacy, account sections): `discover()` imports the modules once, under a
lock, the first time the registry is read (or when `CoreConfig.ready()` asks).

Invariant: only the product's own apps (whose name starts with `masthead.`) are
searched. A third-party app's module of the same name means something else, and
importing it at start-up would run its side effects and could register into the export
or the account area. Django's `autodiscover_modules` searches every installed app, so
it is not used.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from importlib import import_module

from django.apps import AppConfig, apps
from django.utils.module_loading import module_has_submodule

PREFIX = "masthead."


def import_app_modules(name: str, app_configs: Iterable[AppConfig] | None = None) -> list[str]:
    """Import `<app>.<name>` for each of our installed apps that has one; their names.

    `app_configs` defaults to the installed apps (a test passes its own list)."""
    imported = []
    for config in apps.get_app_configs() if app_configs is None else app_configs:
        if config.name.startswith(PREFIX) and module_has_submodule(config.module, name):
            module = f"{config.name}.{name}"
            import_module(module)
            imported.append(module)
    return imported


class DiscoveredRegistry:
    """A registry filled by importing each app's `MODULE_NAME` module, once."""

    MODULE_NAME: str

    def __init__(self) -> None:
        self._discovered = False
        self._lock = threading.Lock()

    def discover(self) -> None:
        """Import our apps' `MODULE_NAME` modules, once (apps register on import)."""
        if self._discovered:
            return
        with self._lock:
            if not self._discovered:
                import_app_modules(self.MODULE_NAME)
                self._discovered = True
