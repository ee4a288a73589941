"""The header and footer menus are cached per site and dropped whenever they change."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from wagtail.models import Site

from masthead.content.models import InfoPage
from masthead.content.navigation import CACHE_PREFIX

from .factories import make_article, make_home, make_section

pytestmark = pytest.mark.django_db


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        client.get(url)
    return len(ctx.captured_queries)


def test_the_menus_are_read_once_then_cached(client):
    home = make_home()
    make_article(section=make_section(parent=home))
    # A plain page, rendered whole on every request (an article's menus are part of
    # its cached shell, masthead.core.page_shell, so they are not even read there).
    about = InfoPage(title="About the paper", slug="about", body="<p>x</p>")
    home.add_child(instance=about)
    about.save_revision().publish()
    client.get(about.url)
    cached = _queries(client, about.url)
    cache.delete(f"{CACHE_PREFIX}{Site.objects.get(is_default_site=True).pk}")
    assert _queries(client, about.url) == cached + 1  # the menus' one query
    assert _queries(client, about.url) == cached


def test_a_new_section_shows_in_the_menu_at_once(client):
    home = make_home()
    make_section(parent=home, title="Harbour")
    assert "Harbour" in client.get("/").content.decode()
    make_section(parent=home, title="Lighthouse")  # published by the factory
    assert "Lighthouse" in client.get("/").content.decode()


def test_renaming_and_unpublishing_a_section_changes_the_menu_at_once(client):
    home = make_home()
    section = make_section(parent=home, title="Harbour")
    make_article(section=make_section(parent=home, title="Other"))
    client.get("/")
    section.title = "Quayside"
    section.save_revision().publish()
    page = client.get("/").content.decode()
    assert "Quayside" in page
    section.unpublish()
    assert 'href="/' + section.slug not in client.get("/").content.decode()


def test_deleting_or_moving_a_footer_page_changes_the_menu_at_once(client):
    home = make_home()
    about = InfoPage(title="About the paper", slug="about", body="<p>x</p>", show_in_menus=True)
    home.add_child(instance=about)
    about.save_revision().publish()
    assert "About the paper" in client.get("/").content.decode()
    holder = make_section(parent=home, title="Holder")
    about.refresh_from_db()
    about.move(holder, pos="last-child")
    assert "About the paper" not in client.get("/").content.decode()
    about.refresh_from_db()
    about.move(home, pos="last-child")
    assert "About the paper" in client.get("/").content.decode()
    about.refresh_from_db()
    about.delete()
    assert "About the paper" not in client.get("/").content.decode()


def test_a_site_change_drops_the_cached_menus(client):
    home = make_home()
    make_section(parent=home, title="Harbour")
    client.get("/")
    site = Site.objects.get(is_default_site=True)
    other_home = make_section(parent=home, title="Second front")
    make_section(parent=other_home, title="Inner desk")
    site.root_page = other_home
    site.save()
    assert "Inner desk" in client.get("/").content.decode()
