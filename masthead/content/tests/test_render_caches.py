"""The route cache and the page shells never serve what is no longer true.

Each test warms the caches first (the request is served from them the second time),
then changes the site the way an editor does and asks again.
"""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from wagtail.models import PageViewRestriction

from masthead.content.models import ArticlePage
from masthead.content.routing import ROUTE_PREFIX
from masthead.core.page_shell import SHELL_PREFIX
from masthead.core.tests.cache_keys import stored_keys

from .factories import make_article, make_home, make_section, paragraph

pytestmark = pytest.mark.django_db


def _warm(client: Client, url: str) -> str:
    client.get(url)
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def _keys(prefix: str) -> list[str]:
    return stored_keys(prefix)


def test_a_warm_article_is_served_from_the_route_cache_and_its_shell(client):
    article = make_article(section=make_section(parent=make_home()))
    _warm(client, article.url)
    assert _keys(ROUTE_PREFIX) and _keys(SHELL_PREFIX)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(article.url)
    assert article.title in response.content.decode()
    assert len(ctx.captured_queries) == 0  # anonymous, free: nothing to ask the database


def test_a_published_edit_shows_on_the_next_request(client):
    home = make_home()
    article = make_article(section=make_section(parent=home), title="First headline")
    assert "First headline" in _warm(client, article.url)
    assert "First headline" in _warm(client, "/")
    article.title = "Corrected headline"
    article.body = [paragraph("A corrected paragraph.")]
    article.save_revision().publish()
    page = client.get(article.url).content.decode()
    assert "Corrected headline" in page and "A corrected paragraph." in page
    assert "First headline" not in page
    front = client.get("/").content.decode()
    assert "Corrected headline" in front and "First headline" not in front


def test_a_draft_never_reaches_readers(client):
    article = make_article(section=make_section(parent=make_home()), title="Live headline")
    _warm(client, article.url)
    article.title = "Draft headline"
    article.save_revision()  # saved, not published
    page = client.get(article.url).content.decode()
    assert "Live headline" in page and "Draft headline" not in page


def test_an_unpublished_page_is_gone_at_once(client):
    section = make_section(parent=make_home())
    article = make_article(section=section)
    _warm(client, article.url)
    _warm(client, section.url)
    url = article.url
    article.unpublish()
    assert client.get(url).status_code == 404
    assert article.title not in client.get(section.url).content.decode()


def test_a_moved_page_is_never_served_at_its_old_address(client):
    home = make_home()
    first, second = make_section(parent=home), make_section(parent=home)
    article = make_article(section=first)
    old_url = article.url
    _warm(client, old_url)
    ArticlePage.objects.get(pk=article.pk).move(second, pos="last-child")
    moved = ArticlePage.objects.get(pk=article.pk)
    assert moved.url != old_url
    old = client.get(old_url)
    # Not the page from the cache: Wagtail's redirect to where it went (made on move).
    assert old.status_code == 301 and old["Location"].endswith(moved.url)
    assert client.get(moved.url).status_code == 200


def test_a_new_view_restriction_applies_to_a_cached_route(client):
    article = make_article(section=make_section(parent=make_home()))
    _warm(client, article.url)
    PageViewRestriction.objects.create(
        page=article, restriction_type=PageViewRestriction.PASSWORD, password="s3cret-pass"
    )
    response = client.get(article.url)
    assert article.title not in response.content.decode() or response.status_code != 200
    assert "password" in response.content.decode().lower()


def test_a_shell_holds_no_personal_part(client):
    """The account links, the body and the userbar are rendered per request: the stored
    shell holds markers where they go, never a reader's name or the article's body."""
    from masthead.readers.tests.factories import ReaderFactory

    article = make_article(
        section=make_section(parent=make_home()), body=[paragraph("Body text here.")]
    )
    reader = ReaderFactory(first_name="Ottoline", last_name="Quayle")
    client.force_login(reader)
    page = _warm(client, article.url)
    assert "Ottoline" in page and "Body text here." in page
    shells = [cache.get(k) for k in _keys(SHELL_PREFIX)]
    stored = " ".join(" ".join(parts) for parts, _kept in filter(None, shells))
    assert stored and article.title in stored
    assert "Ottoline" not in stored and "Body text here." not in stored
    # Another reader is served the same shell with their own name.
    other = Client()
    other.force_login(ReaderFactory(first_name="Barnaby", last_name="Reef"))
    theirs = other.get(article.url).content.decode()
    assert "Barnaby" in theirs and "Ottoline" not in theirs


def test_an_author_renamed_shows_at_once(client):
    from .factories import AuthorFactory

    author = AuthorFactory(name="Ada Ferryman")
    article = make_article(section=make_section(parent=make_home()), authors=[author])
    assert "Ada Ferryman" in _warm(client, article.url)
    author.name = "Ada Harbourmaster"
    author.save()
    page = client.get(article.url).content.decode()
    assert "Ada Harbourmaster" in page and "Ada Ferryman" not in page


def test_feeds_are_served_through_a_cached_route(client):
    section = make_section(parent=make_home())
    article = make_article(section=section)
    for url in ("/feeds/rss/", section.url + "rss/"):
        client.get(url)
        response = client.get(url)
        assert response.status_code == 200
        assert article.title in response.content.decode()


def test_the_userbar_is_for_editors_and_costs_readers_no_permission_query(client):
    """An editor who is not staff (the admin permission through a group) gets Wagtail's
    userbar on a page served from its shell; a reader gets none, and asks the database
    for the permission at most once in a while (masthead.core.templatetags.page_shell)."""
    from django.contrib.auth.models import Group, Permission

    from masthead.readers.tests.factories import ReaderFactory

    article = make_article(section=make_section(parent=make_home()))
    editors = Group.objects.create(name="Desk editors")
    editors.permissions.add(Permission.objects.get(codename="access_admin"))
    editor = ReaderFactory(email="editor@example.com")
    editor.groups.add(editors)
    as_editor = Client()
    as_editor.force_login(editor)
    assert "wagtail-userbar" in _warm(as_editor, article.url)
    client.force_login(ReaderFactory(email="reader@example.com"))
    _warm(client, article.url)
    with CaptureQueriesContext(connection) as ctx:
        page = client.get(article.url).content.decode()
    assert "wagtail-userbar" not in page
    assert not [q for q in ctx.captured_queries if "auth_permission" in q["sql"]]
