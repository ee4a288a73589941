"""What shared caches are told, and what the comment endpoints never carry.

- When a comment is published, edited, deleted or liked away from view, the
  conversation's anonymous first page is purged: a real HTTP server on loopback plays
  the CDN's purge endpoint and records what it is sent.
- The withheld text of a gated article reaches no reader without access through any
  comment endpoint, for anonymous visitors and a registered reader whose premium
  allowance is used up, whatever the comments say.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from wagtail.models import Site

from masthead.access.api import Level
from masthead.community import purging
from masthead.community.models import Commenter, CommunitySettings
from masthead.community.services import posting
from masthead.readers.tests.factories import ReaderFactory
from rigs.newsroom import make_article, make_section, paragraph

pytestmark = pytest.mark.django_db

SECRET = "Marram-sentinel the ferryman hid the tide tables under the eleventh plank"


@pytest.fixture(autouse=True)
def _open_limits(db: None) -> None:
    make_section()  # makes the home page and its Site
    config = CommunitySettings.for_site(Site.objects.get(is_default_site=True))
    config.comment_interval_seconds = 0
    config.comment_burst = 1000
    config.save()


class _PurgeRecorder(BaseHTTPRequestHandler):
    received: list[dict[str, Any]] = []

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        self.received.append(json.loads(self.rfile.read(length)))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def purge_server(settings: Any) -> Iterator[list[dict[str, Any]]]:
    _PurgeRecorder.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _PurgeRecorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.CDN_PURGE_URL = f"http://127.0.0.1:{server.server_port}/purge"
    purging.connect()
    try:
        yield _PurgeRecorder.received
    finally:
        server.shutdown()
        server.server_close()


def _purged_paths(received: list[dict[str, Any]]) -> set[str]:
    paths = set()
    for payload in received:
        for url in payload["urls"]:
            paths.add(url.split("://", 1)[-1].split("/", 1)[-1])
    return {"/" + p for p in paths}


def test_publishing_editing_and_deleting_purge_the_first_page(
    purge_server, django_capture_on_commit_callbacks
):
    article = make_article(hero=False)
    alice = ReaderFactory(verified=True)
    fragment = reverse("community:conversation-fragment", args=[article.pk])
    page = reverse("community:conversation", args=[article.pk])

    with django_capture_on_commit_callbacks(execute=True):
        comment = posting.comment_post(
            user=alice, page=article, body="Fresh", reads_in_full=True, display_name="Purger"
        )
    assert {fragment, page, fragment + "?sort=liked", fragment + "?tab=featured"} <= (
        _purged_paths(purge_server)
    )

    purge_server.clear()
    with django_capture_on_commit_callbacks(execute=True):
        posting.comment_edit(user=alice, comment=comment, body="Fresher")
    assert fragment in _purged_paths(purge_server)

    purge_server.clear()
    with django_capture_on_commit_callbacks(execute=True):
        posting.comment_delete(user=alice, comment=comment)
    assert fragment in _purged_paths(purge_server)


def test_a_comment_published_or_removed_purges_listings_its_thread_and_the_profile(
    purge_server, django_capture_on_commit_callbacks
):
    from masthead.community.services import decisions

    from .moderation_rig import make_moderator

    section = make_section(title="Harbour")
    article = make_article(section=section, hero=False, tags=["ferries"])
    author_slug = article.authors[0].slug
    alice, bob = ReaderFactory(verified=True), ReaderFactory(verified=True)
    top = posting.comment_post(
        user=alice, page=article, body="Top words", reads_in_full=True, display_name="Topper"
    )
    with django_capture_on_commit_callbacks(execute=True):
        reply = posting.comment_post(
            user=bob,
            page=article,
            body="A reply",
            parent=top,
            reads_in_full=True,
            display_name="Replier",
        )
    bob_profile = reverse("community:reader", args=[reply.author_id])
    expected = {
        section.url,  # the section's cards
        "/",  # the front page's cards
        reverse("content:author", args=[author_slug]),
        reverse("content:tag", args=["ferries"]),
        reverse("community:comment", args=[top.pk]),  # the thread's pages
        reverse("community:comment", args=[reply.pk]),
        bob_profile,
    }
    assert expected <= _purged_paths(purge_server)

    purge_server.clear()
    with django_capture_on_commit_callbacks(execute=True):
        decisions.comment_reject(actor=make_moderator(), comment=reply.pk, reason="other")
    assert expected <= _purged_paths(purge_server)

    purge_server.clear()
    with django_capture_on_commit_callbacks(execute=True):
        posting.comment_delete(user=alice, comment=top)
    purged = _purged_paths(purge_server)
    assert {section.url, reverse("community:comment", args=[reply.pk])} <= purged
    assert reverse("community:reader", args=[top.author_id]) in purged
    assert bob_profile not in purged  # only the changed comment's author


def test_nothing_is_sent_without_a_purge_address(settings, django_capture_on_commit_callbacks):
    settings.CDN_PURGE_URL = ""
    purging.connect()
    article = make_article(hero=False)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        posting.comment_post(
            user=ReaderFactory(verified=True),
            page=article,
            body="Quiet",
            reads_in_full=True,
            display_name="No Cdn",
        )
    assert all("cdn_purge" not in repr(c) for c in callbacks)


# --------------------------------------------------------------------------------------
# The withheld text never travels through a comment endpoint
# --------------------------------------------------------------------------------------
def _gated(level: str) -> Any:
    section = make_section(access=level)
    return make_article(
        section=section,
        hero=False,
        body=[
            *[paragraph(f"Lead paragraph {i} about the ferry.") for i in range(3)],
            paragraph("Withheld opening."),
            {"type": "pull_quote", "value": {"quote": SECRET, "attribution": "Ferryman"}},
            paragraph(SECRET),
        ],
    )


@pytest.mark.parametrize("level", [Level.REGISTRATION, Level.PREMIUM])
def test_comment_endpoints_never_carry_withheld_text(level, settings):
    article = _gated(level)
    insider = ReaderFactory(verified=True, editor=True)  # staff read everything
    top = posting.comment_post(
        user=insider,
        page=article,
        body="What a story about the ferry",
        reads_in_full=True,
        display_name="Insider",
    )
    reply = posting.comment_post(
        user=insider, page=article, body="Indeed", parent=top, reads_in_full=True
    )
    commenter = Commenter.objects.get(user=insider)
    urls = [
        reverse("community:conversation", args=[article.pk]),
        reverse("community:conversation-fragment", args=[article.pk]),
        reverse("community:conversation-fragment", args=[article.pk]) + "?sort=liked",
        reverse("community:conversation-fragment", args=[article.pk]) + "?tab=featured",
        reverse("community:new-count", args=[article.pk]) + "?since=0",
        reverse("community:comment", args=[top.pk]),
        reverse("community:comment", args=[reply.pk]),
        reverse("community:reply", args=[top.pk]),
        reverse("community:report", args=[top.pk]),
        reverse("community:edit", args=[top.pk]),
        reverse("community:delete", args=[top.pk]),
        reverse("community:reader", args=[commenter.pk]),
        reverse("community:following"),
    ]
    anonymous = Client()
    # Registered, but premium allowance already used up: reads only the lead-in.
    outsider = Client()
    outsider_user = ReaderFactory(verified=True)
    outsider.force_login(outsider_user)
    from masthead.access.models import AccessSettings

    AccessSettings.objects.update(premium_allowance=0)
    for client in (anonymous, outsider):
        for url in urls:
            for method in ("get", "head"):
                response = getattr(client, method)(url)
                body = response.content.decode(errors="replace")
                headers = " ".join(f"{k}: {v}" for k, v in response.items())
                for fragment in (SECRET, "eleventh plank", "Marram-sentinel"):
                    assert fragment not in body, (url, method)
                    assert fragment not in headers, (url, method)
        # Posting as an outsider is refused with the reason, and echoes nothing withheld.
        response = client.post(
            reverse("community:post", args=[article.pk]),
            {"body": "Me too", "display_name": "Outsider"},
        )
        assert SECRET not in response.content.decode(errors="replace")
