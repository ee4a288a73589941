"""`manage.py load_demo` (and so `make demo`) is the demo app's command."""

from __future__ import annotations

from django.core.management import get_commands


def test_load_demo_is_the_demo_apps_command() -> None:
    assert get_commands()["load_demo"] == "masthead.demo"
