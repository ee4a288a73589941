"""The account navigation is rendered from the account-section registry: a section an
app registers appears, in its order, the current page is marked aria-current, and a
section's predicate decides who sees its link."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from masthead.core import account_sections
from masthead.newsletters.tests.factories import ReaderFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def registry(monkeypatch):
    """The real sections, in a copy the test may add to."""
    registry = account_sections._registry
    registry.discover()
    monkeypatch.setattr(registry, "_sections", dict(registry._sections))
    return registry


def _nav(html: str) -> str:
    return re.search(r'<nav class="account-nav".*?</nav>', html, re.S).group(0)


def _links(nav: str) -> list[tuple[str, bool]]:
    return [
        (name, "aria-current" in attrs)
        for attrs, name in re.findall(r'<a ([^>]*)data-account-section="([^"]+)"', nav)
    ]


def test_a_registered_section_appears_in_its_place_and_is_marked_current(client, registry):
    account_sections.register("events", label="Your events", url_name="account:sessions", order=35)
    client.force_login(ReaderFactory())

    nav = _nav(client.get(reverse("account:profile")).content.decode())
    assert "Your events" in nav
    assert _links(nav) == [
        ("profile", True),
        ("newsletters", False),
        ("notifications", False),
        ("notification_settings", False),
        ("reading", False),
        ("events", False),
        ("history", False),
        ("sessions", False),
        ("data", False),
        ("delete", False),
    ]

    # On the page it points at, it is the one marked current.
    nav = _nav(client.get(reverse("account:sessions")).content.decode())
    current = [name for name, is_current in _links(nav) if is_current]
    assert current == ["events", "sessions"]  # both point at the same page
    assert nav.count('aria-current="page"') == 2


def test_changing_a_sections_order_moves_its_link(client, registry):
    account_sections.register("delete", label="Delete", url_name="account:delete", order=1)
    client.force_login(ReaderFactory())
    nav = _nav(client.get(reverse("account:history")).content.decode())
    names = [name for name, _ in _links(nav)]
    assert names[0] == "delete"
    assert dict(_links(nav))["history"] is True


def test_two_factor_sign_in_is_listed_for_staff_only(client):
    client.force_login(ReaderFactory())
    assert "two_factor" not in dict(
        _links(_nav(client.get(reverse("account:profile")).content.decode()))
    )
    client.force_login(ReaderFactory(is_staff=True))
    nav = _nav(client.get(reverse("account:profile")).content.decode())
    assert "two_factor" in dict(_links(nav))
    assert f'href="{reverse("mfa_index")}"' in nav


def test_the_navigation_ends_with_sign_out(client):
    client.force_login(ReaderFactory())
    nav = _nav(client.get(reverse("account:data")).content.decode())
    assert nav.rstrip().endswith(
        f'<li><a href="{reverse("account_logout")}">Sign out</a></li>\n    </ul>\n  </nav>'
    )
