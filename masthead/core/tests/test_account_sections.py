"""The account-section registry on its own: order, predicates, the current page, and
discovery from each app's `account_sections` module. (The rendered navigation is
tested on the readers' pages, readers/tests/test_account_navigation.py.)"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.test import RequestFactory
from django.urls import resolve

from masthead.core import account_sections


@pytest.fixture
def registry(monkeypatch):
    """An empty registry for the test, so nothing leaks into the real one."""
    fresh = account_sections.Registry()
    fresh._discovered = True
    monkeypatch.setattr(account_sections, "_registry", fresh)
    return fresh


def _request(path: str, *, staff: bool = False):
    request = RequestFactory().get(path)
    request.resolver_match = resolve(path)
    request.user = SimpleNamespace(is_staff=staff)
    return request


def test_sections_come_in_their_order_whatever_the_registration_order(registry):
    account_sections.register("late", label="Late", url_name="account:delete", order=90)
    account_sections.register("early", label="Early", url_name="account:profile", order=10)
    account_sections.register("tie-b", label="B", url_name="account:data", order=50)
    account_sections.register("tie-a", label="A", url_name="account:history", order=50)
    assert [s.name for s in account_sections.sections()] == ["early", "tie-a", "tie-b", "late"]


def test_the_current_page_is_marked_and_only_it(registry):
    account_sections.register("profile", label="Profile", url_name="account:profile", order=1)
    account_sections.register("data", label="Data", url_name="account:data", order=2)
    items = account_sections.nav_items(_request("/account/data/"))
    assert [(i.name, i.url, i.current) for i in items] == [
        ("profile", "/account/", False),
        ("data", "/account/data/", True),
    ]


def test_a_section_can_be_current_on_the_pages_under_it(registry):
    account_sections.register(
        "data", label="Data", url_name="account:data", current_for=["account:delete"]
    )
    assert account_sections.nav_items(_request("/account/delete/"))[0].current


def test_a_predicate_hides_a_section_from_readers_it_is_not_for(registry):
    account_sections.register(
        "staff-only",
        label="Staff",
        url_name="account:profile",
        is_shown=lambda request: request.user.is_staff,
    )
    assert account_sections.nav_items(_request("/account/")) == []
    assert [i.name for i in account_sections.nav_items(_request("/account/", staff=True))] == [
        "staff-only"
    ]


def test_registering_a_name_again_replaces_it(registry):
    account_sections.register("profile", label="Profile", url_name="account:profile")
    account_sections.register("profile", label="About you", url_name="account:profile")
    assert [str(s.label) for s in account_sections.sections()] == ["About you"]
    account_sections.unregister("profile")
    assert account_sections.sections() == []


def test_the_apps_sections_are_discovered_in_order():
    # Discovered at start-up from each app's account_sections module.
    assert [s.name for s in account_sections.sections()] == [
        "profile",
        "newsletters",
        "events",
        "notifications",
        "notification_settings",
        "reading",
        "history",
        "two_factor",
        "sessions",
        "data",
        "delete",
    ]
