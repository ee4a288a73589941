"""A signed-in page view refreshes the reader's session record at most every few
minutes, so reading is not a database write (masthead.readers.session_activity)."""

from __future__ import annotations

import pytest
from allauth.usersessions.models import UserSession
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from masthead.readers.session_activity import KEY_PREFIX

from .factories import ReaderFactory

pytestmark = pytest.mark.django_db


def _writes(client, url: str = "/") -> list[str]:
    with CaptureQueriesContext(connection) as ctx:
        client.get(url, HTTP_USER_AGENT="Reader's browser")
    return [q["sql"] for q in ctx.captured_queries if "usersessions_usersession" in q["sql"]]


def test_the_session_record_is_made_then_refreshed_at_most_once_per_window(client):
    user = ReaderFactory()
    client.force_login(user)
    assert _writes(client)  # the first view after sign-in records the session
    record = UserSession.objects.get(user=user)
    assert record.user_agent == "Reader's browser"
    assert _writes(client) == []  # within the window: nothing read or written
    cache.delete(KEY_PREFIX + client.session.session_key)  # the window has passed
    assert _writes(client)
    assert UserSession.objects.get(user=user).last_seen_at >= record.last_seen_at


def test_an_anonymous_visit_touches_no_session_record(client):
    assert _writes(client) == []
    assert not UserSession.objects.exists()
