"""Regression tests for the community review's findings (notes/review-community.md)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from masthead.community.models import Comment, CommentStatus
from masthead.community.tests.conftest import configure, post
from masthead.readers.tests.factories import ReaderFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _open_limits(db: None) -> None:
    configure(comment_interval_seconds=0, comment_burst=1000)


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    "status", [CommentStatus.HIDDEN, CommentStatus.REJECTED, CommentStatus.PENDING]
)
def test_refused_reply_never_shows_a_parent_that_is_not_published(article, status):
    secret = post(ReaderFactory(verified=True), article, "Moderated secret words")
    Comment.objects.filter(pk=secret.pk).update(status=status)
    # an unverified reader is refused by the service, after the parent lookup
    response = client_for(ReaderFactory(verified=False)).post(
        reverse("community:post", args=[article.pk]),
        {"body": "Reply", "parent": str(secret.pk), "display_name": "Nosy Reader"},
    )
    html = response.content.decode()
    assert response.status_code >= 400
    assert "Moderated secret words" not in html


@pytest.mark.parametrize("sort", ["newest", "oldest"])
def test_a_cursor_past_the_last_datetime_is_damaged_not_a_crash(client, article, sort):
    post(ReaderFactory(verified=True), article)
    url = reverse("community:conversation-fragment", args=[article.pk])
    response = client.get(url, {"after": "999999999999999999.1", "sort": sort})
    assert response.status_code == 400
    assert "start again from the top" in response.content.decode()


def test_reply_pages_with_a_bad_sort_or_cursor_say_so_instead_of_crashing(article):
    top = post(ReaderFactory(verified=True), article, "Top")
    client = client_for(ReaderFactory(verified=True))
    reply = reverse("community:reply", args=[top.pk])
    assert client.get(reply + "?sort=loudest").status_code == 400
    assert client.get(reply + "?after=12x.4").status_code == 400
    refused = client.post(
        reverse("community:post", args=[article.pk]) + "?sort=loudest",
        {"body": "", "parent": str(top.pk), "display_name": "Bad Query"},
    )
    assert refused.status_code == 400


def test_profile_and_following_feed_leave_out_comments_on_unpublished_pages(client, article):
    from masthead.community.models import Commenter, Follow
    from rigs.newsroom import make_article

    author, me = ReaderFactory(verified=True), ReaderFactory(verified=True)
    Follow.objects.create(follower=me, followee=author)
    post(author, article, "Seen words", display_name="Open Talker")
    draft = make_article(hero=False, title="Embargoed scoop")
    post(author, draft, "Embargoed words")
    draft.unpublish()
    commenter = Commenter.objects.get(user=author)
    profile = client.get(reverse("community:reader", args=[commenter.pk])).content.decode()
    feed = client_for(me).get(reverse("community:following")).content.decode()
    for html in (profile, feed):
        assert "Seen words" in html
        assert "Embargoed" not in html


def test_a_thread_on_an_unpublished_article_cannot_be_followed(article):
    from masthead.community.models import ThreadFollow
    from rigs.newsroom import make_article

    draft = make_article(hero=False)
    top = post(ReaderFactory(verified=True), draft, "On a page going away")
    draft.unpublish()
    me = ReaderFactory(verified=True)
    response = client_for(me).post(reverse("community:thread-follow", args=[top.pk]))
    assert response.status_code == 404
    assert not ThreadFollow.objects.filter(user=me).exists()


def test_profile_follower_counts_leave_out_inactive_accounts(article):
    from masthead.community.models import Commenter, Follow
    from masthead.community.selectors import reader_profile

    author = ReaderFactory(verified=True)
    post(author, article, "Hello")
    Follow.objects.create(follower=ReaderFactory(verified=True), followee=author)
    Follow.objects.create(follower=ReaderFactory(verified=True, is_active=False), followee=author)
    profile = reader_profile(commenter_id=Commenter.objects.get(user=author).pk)
    assert profile.follower_count == 1
