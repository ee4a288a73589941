"""Posting, replying, editing and deleting comments through the services."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from masthead.community import signals
from masthead.community.models import (
    Comment,
    Commenter,
    CommentRevision,
    CommentStatus,
    Conversation,
    HeldReason,
)
from masthead.community.services import posting
from masthead.community.services.errors import Closed, InvalidInput, NotAllowed, RateLimited
from rigs.newsroom import make_article

from .conftest import configure, post

pytestmark = pytest.mark.django_db


@pytest.fixture
def received():
    got: list[tuple[str, dict]] = []

    def receiver(signal_name):
        def handle(sender, **kwargs):
            got.append((signal_name, kwargs))

        return handle

    handlers = {
        name: receiver(name)
        for name in ("comment_published", "comment_changed", "comment_featured")
    }
    for name, handler in handlers.items():
        getattr(signals, name).connect(handler)
    yield got
    for name, handler in handlers.items():
        getattr(signals, name).disconnect(handler)


def test_a_visitor_cannot_comment(article) -> None:
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(NotAllowed) as caught:
        posting.comment_post(user=AnonymousUser(), page=article, body="Hi", reads_in_full=True)
    assert caught.value.message == "Sign in to comment."


def test_a_reader_must_have_verified_their_email(article, make_reader) -> None:
    with pytest.raises(NotAllowed) as caught:
        post(make_reader(verified=False), article, "Hello")
    assert caught.value.code == "unverified"
    with pytest.raises(NotAllowed):
        post(make_reader(verified=None), article, "Hello")


def test_a_reader_who_cannot_read_the_article_in_full_cannot_comment(article, make_reader) -> None:
    with pytest.raises(NotAllowed) as caught:
        post(make_reader(), article, "Hello", reads_in_full=False)
    assert caught.value.code == "no_access"
    assert not Comment.objects.exists()


def test_the_first_comment_needs_a_display_name(article, make_reader) -> None:
    reader = make_reader()
    with pytest.raises(InvalidInput) as caught:
        posting.comment_post(user=reader, page=article, body="Hello", reads_in_full=True)
    assert caught.value.code == "name_required"
    with pytest.raises(InvalidInput) as caught:
        posting.comment_post(
            user=reader, page=article, body="Hello", reads_in_full=True, display_name="<b>"
        )
    assert caught.value.code == "name_characters"
    assert not Commenter.objects.exists()
    comment = posting.comment_post(
        user=reader, page=article, body="Hello", reads_in_full=True, display_name="Quiet Fox"
    )
    assert comment.author.display_name == "Quiet Fox"


def test_a_published_comment_is_counted_and_announced_on_commit(
    article, make_reader, received, django_capture_on_commit_callbacks
) -> None:
    reader = make_reader()
    with django_capture_on_commit_callbacks(execute=True):
        comment = post(reader, article, "First!\n\nSecond paragraph.")
    assert comment.status == CommentStatus.PUBLISHED
    assert comment.body_html == "<p>First!</p>\n<p>Second paragraph.</p>"
    assert Conversation.objects.get(page=article).published_count == 1
    assert Commenter.objects.get(user=reader).published_count == 1
    assert received == [
        ("comment_published", {"signal": signals.comment_published, "comment": comment})
    ]


def test_a_held_comment_waits_unannounced(
    article, make_reader, received, django_capture_on_commit_callbacks
) -> None:
    configure(premoderate_all=True)
    with django_capture_on_commit_callbacks(execute=True):
        comment = post(make_reader(), article)
    assert (comment.status, comment.held_reason) == (CommentStatus.PENDING, HeldReason.SITE)
    assert Conversation.objects.get(page=article).published_count == 0
    assert received == []


def test_replies_know_their_thread_and_nest_down_to_depth_three(article, make_reader, no_limits):
    reader = make_reader()
    top = post(reader, article)
    chain = [top]
    for _ in range(5):
        chain.append(post(reader, article, parent=chain[-1]))
    assert [c.depth for c in chain] == [0, 1, 2, 3, 4, 5]
    assert all(c.root_id == top.pk for c in chain[1:])
    assert chain[0].root_id is None
    # Replies nest under their parent down to the depth-3 comment's replies; deeper
    # ones are listed beside those, under the depth-3 ancestor.
    assert [c.nest_parent_id for c in chain[1:]] == [
        chain[0].pk,
        chain[1].pk,
        chain[2].pk,
        chain[3].pk,
        chain[3].pk,
    ]
    assert chain[5].parent_id == chain[4].pk
    top.refresh_from_db()
    assert top.reply_count == 1


def test_a_reply_needs_a_published_comment_on_the_same_page(article, make_reader, no_limits):
    reader = make_reader()
    configure(premoderate_all=True)
    pending = post(reader, article)
    with pytest.raises(NotAllowed) as caught:
        post(reader, article, parent=pending)
    assert caught.value.code == "parent_unavailable"
    configure(premoderate_all=False)
    elsewhere = post(reader, make_article(hero=False))
    with pytest.raises(NotAllowed):
        post(reader, article, parent=elsewhere)


def test_comments_close_by_an_editor_and_after_the_set_days(article, make_reader, no_limits):
    reader = make_reader()
    post(reader, article)
    Conversation.objects.filter(page=article).update(closed=True)
    with pytest.raises(Closed) as caught:
        post(reader, article)
    assert caught.value.message == "Comments on this article are closed."
    old = make_article(hero=False, age=timedelta(days=31))
    with pytest.raises(Closed):
        post(reader, old)
    configure(close_after_days=0)
    assert post(reader, old).status == CommentStatus.PUBLISHED


def test_a_second_comment_within_the_interval_is_refused_with_when(article, make_reader) -> None:
    reader = make_reader()
    now = timezone.now()
    post(reader, article, now=now)
    with pytest.raises(RateLimited) as caught:
        post(reader, article, now=now + timedelta(seconds=1))
    assert caught.value.retry_at == now.replace(microsecond=0) + timedelta(seconds=3)
    assert "You can post again at" in caught.value.message
    post(reader, article, now=now + timedelta(seconds=4))


def test_the_burst_cap_counts_comments_per_ten_minutes(article, make_reader) -> None:
    configure(comment_interval_seconds=0, comment_burst=2)
    reader = make_reader()
    start = timezone.now().replace(minute=0, second=0, microsecond=0)
    post(reader, article, now=start)
    post(reader, article, now=start + timedelta(seconds=1))
    with pytest.raises(RateLimited) as caught:
        post(reader, article, now=start + timedelta(seconds=2))
    assert caught.value.retry_at == start + timedelta(minutes=10)
    assert Comment.objects.count() == 2
    # Another reader is not held back.
    post(make_reader(), article, now=start + timedelta(seconds=2))


def test_a_refused_comment_does_not_use_the_allowance(article, make_reader) -> None:
    reader = make_reader()
    now = timezone.now()
    with pytest.raises(InvalidInput):
        post(reader, article, "x" * 5000, now=now)
    post(reader, article, now=now)


def test_the_same_text_again_within_the_window_is_a_repeat(article, make_reader) -> None:
    configure(comment_interval_seconds=0)
    reader = make_reader()
    now = timezone.now()
    post(reader, article, "Same words", now=now)
    with pytest.raises(InvalidInput) as caught:
        post(reader, article, "same words!", now=now + timedelta(minutes=5))
    assert caught.value.code == "repeat"
    post(reader, article, "Same words", now=now + timedelta(minutes=7))


def test_mentions_link_readers_and_are_stored(article, make_reader, no_limits) -> None:
    ada = post(make_reader(), article, display_name="Ada Lovelace").author
    comment = post(make_reader(), article, "Well said @ada lovelace and @nobody")
    assert list(comment.mentions.all()) == [ada]
    assert "@Ada Lovelace</" in comment.body_html
    assert "@nobody" in comment.body_html


def test_staff_skip_premoderation(article, make_reader) -> None:
    configure(premoderate_all=True)
    editor = make_reader(editor=True)
    assert post(editor, article).status == CommentStatus.PUBLISHED


# -- editing ------------------------------------------------------------------------------
def test_the_author_edits_within_the_window_and_revisions_are_kept(article, make_reader):
    reader = make_reader()
    now = timezone.now()
    comment = post(reader, article, "Frist", now=now)
    edited = posting.comment_edit(
        user=reader, comment=comment, body="First", now=now + timedelta(minutes=4)
    )
    assert edited.body == "First"
    assert edited.body_html == "<p>First</p>"
    assert edited.edited_at == now + timedelta(minutes=4)
    assert list(CommentRevision.objects.values_list("body", flat=True)) == ["Frist"]


def test_editing_after_the_window_is_refused(article, make_reader) -> None:
    reader = make_reader()
    now = timezone.now()
    comment = post(reader, article, now=now)
    with pytest.raises(NotAllowed) as caught:
        posting.comment_edit(
            user=reader, comment=comment, body="Later", now=now + timedelta(minutes=6)
        )
    assert caught.value.code == "edit_window"
    assert "5 minutes" in caught.value.message


def test_nobody_else_edits_or_deletes_a_comment(article, make_reader) -> None:
    comment = post(make_reader(), article)
    for intruder in (make_reader(), make_reader(editor=True)):
        with pytest.raises(NotAllowed) as caught:
            posting.comment_edit(user=intruder, comment=comment, body="Mine now")
        assert caught.value.code == "not_author"
        with pytest.raises(NotAllowed):
            posting.comment_delete(user=intruder, comment=comment)
    comment.refresh_from_db()
    assert comment.status == CommentStatus.PUBLISHED


def test_an_edit_adding_a_suspect_word_goes_back_to_the_moderators(article, make_reader):
    configure(suspect_words="idiot")
    reader = make_reader()
    comment = post(reader, article, "Nice")
    posting.comment_edit(user=reader, comment=comment, body="Nice, idiot")
    comment.refresh_from_db()
    assert (comment.status, comment.held_reason) == (CommentStatus.PENDING, HeldReason.SUSPECT_WORD)
    assert Conversation.objects.get(page=article).published_count == 0


def test_an_edit_with_a_banned_word_is_refused_and_changes_nothing(article, make_reader):
    configure(banned_words="scam")
    reader = make_reader()
    comment = post(reader, article, "Nice")
    with pytest.raises(InvalidInput):
        posting.comment_edit(user=reader, comment=comment, body="scam")
    comment.refresh_from_db()
    assert comment.body == "Nice"
    assert not CommentRevision.objects.exists()


# -- deleting -----------------------------------------------------------------------------
def test_deleting_leaves_a_tombstone_that_keeps_the_replies(article, make_reader, no_limits):
    author = make_reader()
    top = post(author, article, "Regrettable")
    reply = post(make_reader(), article, parent=top)
    posting.comment_delete(user=author, comment=top)
    top.refresh_from_db()
    assert (top.status, top.body, top.body_html) == (CommentStatus.DELETED, "", "")
    assert CommentRevision.objects.get(comment=top).body == "Regrettable"
    reply.refresh_from_db()
    assert reply.parent_id == top.pk and reply.status == CommentStatus.PUBLISHED
    assert Conversation.objects.get(page=article).published_count == 1
    # Twice is harmless.
    posting.comment_delete(user=author, comment=top)
    assert Conversation.objects.get(page=article).published_count == 1
