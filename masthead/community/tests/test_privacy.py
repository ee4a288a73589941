"""A reader's export holds their comments, likes and reports; erasure keeps threads whole."""

from __future__ import annotations

import json

import pytest
from django.core.serializers.json import DjangoJSONEncoder

from masthead.community.models import (
    Comment,
    Commenter,
    CommentRevision,
    CommentStatus,
    Conversation,
    EraseMode,
    Like,
    Report,
)
from masthead.community.services import posting, reactions, reports
from masthead.core import privacy

from .conftest import configure, post

pytestmark = pytest.mark.django_db


@pytest.fixture
def scene(article, make_reader, no_limits):
    leaving, staying = make_reader(), make_reader()
    top = post(leaving, article, "My first words", display_name="Leaving Soon")
    posting.comment_edit(user=leaving, comment=top, body="My first words, edited")
    reply = post(staying, article, "A reply that stays", parent=top)
    mine_below = post(leaving, article, "Answering back", parent=reply)
    reactions.comment_like(user=leaving, comment=reply)
    reports.comment_report(user=leaving, comment=reply, reason="off_topic")
    return leaving, staying, top, reply, mine_below


def test_the_export_holds_comments_likes_and_reports(scene) -> None:
    leaving, _staying, _top, reply, _mine_below = scene
    data = privacy.export_for(leaving)["comments"]
    json.dumps(data, cls=DjangoJSONEncoder)
    assert data["display_name"] == "Leaving Soon"
    assert [c["text"] for c in data["comments"]] == ["My first words, edited", "Answering back"]
    assert data["comments"][1]["in_reply_to"] == reply.pk
    assert [like["comment"] for like in data["likes"]] == [reply.pk]
    assert [(r["comment"], r["reason"]) for r in data["reports"]] == [(reply.pk, "off_topic")]


def test_every_community_model_pointing_at_a_reader_is_covered() -> None:
    assert not {m for m in privacy.uncovered_models() if m.startswith("community.")}


def test_erasure_anonymises_comments_and_keeps_the_threads(scene) -> None:
    leaving, _staying, top, reply, mine_below = scene
    privacy.erase_for(leaving)
    assert not Commenter.objects.filter(user=leaving).exists()
    top.refresh_from_db()
    assert top.author is None and top.body == "My first words, edited"
    assert top.status == CommentStatus.PUBLISHED
    reply.refresh_from_db()
    assert (reply.like_count, reply.report_count) == (0, 0)
    assert not Like.objects.exists() and not Report.objects.exists()
    assert Comment.objects.get(pk=mine_below.pk).parent_id == reply.pk
    # The name is free again.
    assert not Commenter.objects.filter(display_name_key="leaving soon").exists()


def test_erasure_can_remove_the_text_leaving_tombstones(scene) -> None:
    leaving, _staying, top, reply, mine_below = scene
    configure(erase_mode=EraseMode.REMOVE)
    privacy.erase_for(leaving)
    for comment in (top, mine_below):
        comment.refresh_from_db()
        assert (comment.status, comment.body, comment.author) == (CommentStatus.DELETED, "", None)
    assert not CommentRevision.objects.exists()
    reply.refresh_from_db()
    assert reply.status == CommentStatus.PUBLISHED and reply.parent_id == top.pk
    assert reply.reply_count == 0
    assert Conversation.objects.get(pk=top.conversation_id).published_count == 1
