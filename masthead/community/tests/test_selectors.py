"""Reading conversations: nesting, sorting, keyset paging, featured, permalinks, new since,
placeholders that never show what they hide, and a constant number of queries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from masthead.community import selectors, selectors_following
from masthead.community.models import Comment, CommentStatus, Follow, Mute
from masthead.community.services import posting, reactions
from masthead.community.services.errors import InvalidInput

from .conftest import configure, post

pytestmark = pytest.mark.django_db


def flatten(nodes):
    for node in nodes:
        yield node
        yield from flatten(node.children)


def test_a_page_without_comments(article) -> None:
    view = selectors.conversation_view(page=article)
    assert (view.count, view.threads, view.next_cursor) == (0, [], None)
    assert view.is_open
    assert view.closes_at == article.first_published_at + timedelta(days=30)


def test_replies_nest_to_depth_three_and_deeper_ones_say_whom_they_answer(
    article, make_reader, no_limits
) -> None:
    readers = [make_reader() for _ in range(6)]
    chain = [post(readers[0], article, display_name="Reader Zero")]
    for i in range(1, 6):
        chain.append(post(readers[i], article, parent=chain[-1], display_name=f"Reader {i}x"))
    (top,) = selectors.conversation_view(page=article).threads
    assert top.comment.pk == chain[0].pk
    one = top.children[0]
    two = one.children[0]
    three = two.children[0]
    assert three.comment.depth == 3
    assert [n.comment.pk for n in three.children] == [chain[4].pk, chain[5].pk]
    assert three.children[0].in_reply_to is None
    assert three.children[1].in_reply_to == "Reader 4x"
    assert three.children[1].in_reply_to_id == chain[4].pk


def test_sorts_and_keyset_pages_cover_every_thread_once(article, make_reader, no_limits) -> None:
    reader, liker = make_reader(), make_reader()
    start = timezone.now() - timedelta(hours=1)
    tops = [post(reader, article, f"Top {i}", now=start + timedelta(minutes=i)) for i in range(7)]
    for top in tops[2:5]:
        reactions.comment_like(user=liker, comment=top)
    post(reader, article, "A reply", parent=tops[0])
    for sort, expected in [
        ("newest", [t.pk for t in reversed(tops)]),
        ("oldest", [t.pk for t in tops]),
        (
            "liked",
            [tops[4].pk, tops[3].pk, tops[2].pk, tops[6].pk, tops[5].pk, tops[1].pk, tops[0].pk],
        ),
    ]:
        seen, cursor = [], None
        while True:
            view = selectors.conversation_view(page=article, sort=sort, cursor=cursor, limit=3)
            seen += [n.comment.pk for n in view.threads]
            cursor = view.next_cursor
            if cursor is None:
                break
        assert seen == expected, sort
    assert selectors.conversation_view(page=article).count == 8


@pytest.mark.parametrize("cursor", ["x", "1.2.3", "-1.5", "99999999999999999999.1", "\uff11.2"])
def test_a_damaged_cursor_is_refused_with_a_message(article, cursor) -> None:
    with pytest.raises(InvalidInput) as caught:
        selectors.conversation_view(page=article, cursor=cursor)
    assert caught.value.code == "cursor"


def test_an_unknown_sort_is_refused(article) -> None:
    with pytest.raises(InvalidInput) as caught:
        selectors.conversation_view(page=article, sort="random")
    assert caught.value.code == "sort"


def test_the_featured_tab_lists_staff_picks_of_any_depth(article, make_reader, no_limits) -> None:
    reader = make_reader()
    top = post(reader, article, "Plain", display_name="Plain Writer")
    reply = post(make_reader(), article, "Picked reply", parent=top)
    other = post(reader, article, "Picked top")
    now = timezone.now()
    Comment.objects.filter(pk=reply.pk).update(featured_at=now)
    Comment.objects.filter(pk=other.pk).update(featured_at=now - timedelta(minutes=1))
    view = selectors.conversation_view(page=article, featured=True)
    assert [n.comment.pk for n in view.threads] == [reply.pk, other.pk]
    assert view.threads[0].in_reply_to == "Plain Writer"
    assert view.threads[0].children == []


def test_placeholders_stand_only_where_replies_hang_and_never_show_their_text(
    article, make_reader, no_limits
) -> None:
    author = make_reader()
    kept = post(author, article, "Secret words kept", display_name="Hidden Name")
    post(make_reader(), article, "Reply", parent=kept)
    gone = post(author, article, "Deleted alone")
    rejected = post(author, article, "Rejected with replies")
    post(make_reader(), article, "Reply two", parent=rejected)
    posting.comment_delete(user=author, comment=kept)
    posting.comment_delete(user=author, comment=gone)
    Comment.objects.filter(pk=rejected.pk).update(status=CommentStatus.REJECTED)
    view = selectors.conversation_view(page=article, viewer=make_reader())
    by_pk = {n.comment.pk: n for n in view.threads}
    assert set(by_pk) == {kept.pk, rejected.pk}
    for node in by_pk.values():
        assert node.state in ("deleted", "rejected")
        assert str(node.html) == "" and node.comment.body == ""
        assert node.comment.author is None and node.author_name == ""
        assert len(node.children) == 1


def test_the_author_sees_their_own_comment_waiting_and_others_do_not(
    article, make_reader, no_limits
) -> None:
    configure(premoderate_all=True, comment_interval_seconds=0)
    author = make_reader()
    waiting = post(author, article, "Waiting")
    mine = selectors.conversation_view(page=article, viewer=author)
    assert [(n.comment.pk, n.state, n.own) for n in mine.threads] == [(waiting.pk, "pending", True)]
    assert selectors.conversation_view(page=article, viewer=make_reader()).threads == []
    assert selectors.conversation_view(page=article, viewer=AnonymousUser()).threads == []


def test_likes_and_mutes_are_marked_for_the_viewer(article, make_reader, no_limits) -> None:
    viewer, loud, quiet = make_reader(), make_reader(), make_reader()
    shouted = post(loud, article, "LOUD")
    calm = post(quiet, article, "calm")
    reactions.comment_like(user=viewer, comment=calm)
    Mute.objects.create(muter=viewer, muted=loud)
    nodes = {
        n.comment.pk: n for n in selectors.conversation_view(page=article, viewer=viewer).threads
    }
    assert (nodes[shouted.pk].muted, nodes[shouted.pk].liked) == (True, False)
    assert (nodes[calm.pk].muted, nodes[calm.pk].liked) == (False, True)


def test_a_permalink_opens_the_whole_thread_around_the_comment(
    article, make_reader, no_limits
) -> None:
    reader = make_reader()
    top = post(reader, article)
    chain = [top]
    for _ in range(4):
        chain.append(post(reader, article, parent=chain[-1]))
    post(reader, article, "another thread")
    thread = selectors.thread_view(comment_id=chain[3].pk)
    assert thread.root.comment.pk == top.pk
    assert thread.target_id == chain[3].pk
    assert {n.comment.pk for n in flatten([thread.root])} == {c.pk for c in chain}
    assert selectors.thread_view(comment_id=10**9) is None


def test_a_permalink_to_a_comment_the_viewer_may_not_see_finds_nothing(
    article, make_reader, no_limits
) -> None:
    configure(premoderate_all=True, comment_interval_seconds=0)
    author = make_reader()
    waiting = post(author, article)
    assert selectors.thread_view(comment_id=waiting.pk) is None
    assert selectors.thread_view(comment_id=waiting.pk, viewer=make_reader()) is None
    assert selectors.thread_view(comment_id=waiting.pk, viewer=author).target_id == waiting.pk


def test_new_since_counts_others_comments_after_the_page_loaded(
    article, make_reader, no_limits
) -> None:
    me, other = make_reader(), make_reader()
    post(other, article)
    loaded = selectors.conversation_view(page=article, viewer=me).loaded_at
    post(me, article, now=loaded + timedelta(seconds=5))
    post(other, article, now=loaded + timedelta(seconds=6))
    post(other, article, now=loaded + timedelta(seconds=7))
    assert selectors.new_since(page=article, since=loaded, viewer=me) == 2
    assert selectors.new_since(page=article, since=loaded) == 3


def _queries(page, viewer) -> int:
    with CaptureQueriesContext(connection) as context:
        view = selectors.conversation_view(page=page, viewer=viewer)
        # Everything a template reads of a node is loaded already.
        for node in flatten(view.threads):
            assert node.author_name is not None
            assert node.html is not None
            assert node.edited in (True, False)
    return len(context.captured_queries)


def test_the_first_page_runs_a_constant_number_of_queries(article, make_reader, no_limits):
    viewer = make_reader()
    readers = [make_reader() for _ in range(3)]
    post(readers[0], article)
    small = _queries(article, viewer)
    for i in range(25):
        top = post(readers[i % 3], article, f"Thread {i}")
        reply = post(readers[(i + 1) % 3], article, f"Reply {i}", parent=top)
        post(readers[(i + 2) % 3], article, f"Deeper {i}", parent=reply)
    assert _queries(article, viewer) == small
    assert small <= 10


def test_listings_get_counts_in_one_query(article, make_reader, no_limits) -> None:
    post(make_reader(), article)
    with CaptureQueriesContext(connection) as context:
        counts = selectors.comment_counts([article.pk, 10**9])
    assert counts == {article.pk: 1}
    assert len(context.captured_queries) == 1


def test_a_readers_history_and_the_following_feed_show_published_comments(
    article, make_reader, no_limits
) -> None:
    me, followed, stranger = make_reader(), make_reader(), make_reader()
    Follow.objects.create(follower=me, followee=followed)
    shown = [post(followed, article, f"Mine {i}") for i in range(3)]
    configure(premoderate_all=True, comment_interval_seconds=0)
    post(followed, article, "Held back")
    configure(premoderate_all=False, comment_interval_seconds=0)
    post(stranger, article, "Not followed")
    feed = selectors_following.following_feed(me, limit=2)
    assert [c.pk for c in feed.comments] == [shown[2].pk, shown[1].pk]
    rest = selectors_following.following_feed(me, cursor=feed.next_cursor, limit=2)
    assert [c.pk for c in rest.comments] == [shown[0].pk]
    assert rest.next_cursor is None
    history = selectors.reader_comments(commenter=shown[0].author)
    assert [c.pk for c in history.comments] == [c.pk for c in reversed(shown)]


def test_a_permalink_reaches_a_reply_beyond_the_first_pages_replies(
    article, make_reader, no_limits, monkeypatch
) -> None:
    monkeypatch.setattr(selectors, "REPLIES_PER_THREAD", 2)
    reader = make_reader()
    top = post(reader, article)
    replies = [post(reader, article, f"Reply {i}", parent=top) for i in range(4)]
    (node,) = selectors.conversation_view(page=article).threads
    assert [n.comment.pk for n in node.children] == [replies[0].pk, replies[1].pk]
    assert node.more_replies == 2
    thread = selectors.thread_view(comment_id=replies[3].pk)
    assert [n.comment.pk for n in thread.root.children] == [r.pk for r in replies]


def test_a_public_profile_counts_only_what_readers_may_see(article, make_reader, no_limits):
    reader, fan = make_reader(), make_reader()
    shown = post(reader, article, "Shown", display_name="Profiled One")
    gone = post(reader, article, "Gone")
    posting.comment_delete(user=reader, comment=gone)
    Follow.objects.create(follower=fan, followee=reader)
    profile = selectors.reader_profile(commenter_id=shown.author_id)
    assert profile.commenter.display_name == "Profiled One"
    assert (profile.comment_count, profile.follower_count, profile.following_count) == (1, 1, 0)
    assert selectors.reader_profile(commenter_id=10**9) is None
