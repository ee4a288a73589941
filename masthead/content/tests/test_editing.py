"""Editors writing articles in Wagtail's admin.

Invariant: the headline an editor types is the page's title field and fills the slug as
they type (Wagtail's title sync), as it does for sections, so a new article can be
published on the first try without a visit to the Promote tab.
"""

from __future__ import annotations

import re

import pytest

from masthead.access.api import Level
from masthead.content.models import ArticlePage, SectionPage
from masthead.readers.tests.factories import ReaderFactory

from .factories import make_section

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    user = ReaderFactory(
        email="chief@example.com", first_name="Chief", last_name="Editor", editor=True
    )
    client.force_login(user)
    return client


def _title_input(html: str) -> str:
    match = re.search(r'<input[^>]*name="title"[^>]*>', html)
    assert match, "the form has no title field"
    return match.group(0)


@pytest.mark.parametrize("model", [ArticlePage, SectionPage])
def test_the_headline_fills_the_slug_as_the_editor_types(admin_client, model):
    section = make_section(access=Level.REGISTRATION)
    label = model._meta.model_name
    response = admin_client.get(f"/admin/pages/add/content/{label}/{section.pk}/")
    assert response.status_code == 200
    title = _title_input(response.content.decode())
    assert 'data-controller="w-sync"' in title
    assert 'data-w-sync-target-value="#id_slug"' in title
    assert "blur-&gt;w-sync#apply" in title or "blur->w-sync#apply" in title


# --------------------------------------------------------------------------------------
# The admin is the newsroom's, and talks to no third party
# --------------------------------------------------------------------------------------
NEWSROOM = "The Saltmere Courier"
# Elements and attributes through which a page makes the browser fetch something.
FETCHING = re.compile(
    r"<(?:img|script|link|iframe|source|video|audio)\b[^>]*?\b(?:src|href|srcset)=\"([^\"]*)\"",
    re.I,
)


@pytest.fixture
def named_newsroom(db):
    from wagtail.models import Site

    from .factories import make_home

    make_home(NEWSROOM)
    Site.objects.filter(is_default_site=True).update(site_name=NEWSROOM)


def _admin_title(html: str) -> str:
    return re.search(r"<title>(.*?)</title>", html, re.S).group(1).strip()


def test_the_admin_is_named_after_the_newsroom(client, named_newsroom):
    # The admin's door is the readers' sign-in (masthead.readers.doors).
    login = client.get("/admin/login/", follow=True).content.decode()
    assert NEWSROOM in _admin_title(login)
    user = ReaderFactory(email="chief@example.com", editor=True)
    client.force_login(user)
    dashboard = client.get("/admin/").content.decode()
    assert _admin_title(dashboard).endswith(f"- {NEWSROOM}")
    welcome = re.search(r'<h1 class="w-h1[^"]*">(.*?)</h1>', dashboard, re.S).group(1)
    assert welcome.strip() == NEWSROOM
    for html in (login, dashboard):
        assert "Masthead" not in html


def test_wagtail_site_name_follows_the_site(named_newsroom, settings):
    from wagtail.models import Site

    assert str(settings.WAGTAIL_SITE_NAME) == NEWSROOM
    # Renamed as the admin does it (Settings > Sites saves the Site).
    site = Site.objects.get(is_default_site=True)
    site.site_name = "The Quay Post"
    site.save()
    assert str(settings.WAGTAIL_SITE_NAME) == "The Quay Post"


def test_the_admin_fetches_nothing_from_a_third_party(admin_client, named_newsroom):
    section = make_section(access=Level.REGISTRATION)
    pages = [
        "/admin/",
        f"/admin/pages/{section.pk}/",
        f"/admin/pages/add/content/articlepage/{section.pk}/",
        "/admin/account/",
    ]
    for url in pages:
        response = admin_client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert "gravatar" not in html.lower(), url
        external = [
            src for src in FETCHING.findall(html) if re.match(r"^(?:[a-z]+:)?//", src, re.I)
        ]
        assert external == [], (url, external)
