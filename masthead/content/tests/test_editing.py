"""Editors writing articles in Wagtail's admin.

Invariant: the headline an editor types is the page's title field and fills the slug as
they type (Wagtail's title sync), as it does for sections, so a new article can be
published on the first try without a visit to the Promote tab.
"""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model

from masthead.content.models import AccessLevel, ArticlePage, SectionPage

from .factories import make_section

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    user = get_user_model().objects.create_user(
        "chief@example.com",
        "Chief-editor-pass-2024",
        first_name="Chief",
        last_name="Editor",
        is_staff=True,
        is_superuser=True,
    )
    client.force_login(user)
    return client


def _title_input(html: str) -> str:
    match = re.search(r'<input[^>]*name="title"[^>]*>', html)
    assert match, "the form has no title field"
    return match.group(0)


@pytest.mark.parametrize("model", [ArticlePage, SectionPage])
def test_the_headline_fills_the_slug_as_the_editor_types(admin_client, model):
    section = make_section(access=AccessLevel.REGISTRATION)
    label = model._meta.model_name
    response = admin_client.get(f"/admin/pages/add/content/{label}/{section.pk}/")
    assert response.status_code == 200
    title = _title_input(response.content.decode())
    assert 'data-controller="w-sync"' in title
    assert 'data-w-sync-target-value="#id_slug"' in title
    assert "blur-&gt;w-sync#apply" in title or "blur->w-sync#apply" in title
