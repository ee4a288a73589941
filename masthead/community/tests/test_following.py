"""Following and muting readers, following conversations: services, selectors, endpoints.

Invariants checked: nobody follows or mutes themselves, or a reader without a public
face (no display name, or banned); repeating is harmless; the limits are told; a thread
is followed by its top comment; the endpoints take POST with a CSRF token from signed-in
readers only, send back only to a path on this site, and answer JSON to scripts; the
Following feed lists published comments by followed, unmuted readers, by keyset.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import IntegrityError, transaction
from django.test import Client

from masthead.community import selectors_following as selectors
from masthead.community.models import (
    CommenterStatus,
    CommentStatus,
    Follow,
    Mute,
    ThreadFollow,
)
from masthead.community.services import following as service
from masthead.community.services.errors import InvalidInput, NotAllowed, RateLimited
from rigs.newsroom import make_article

from .notify_support import comment, commenter, fresh, reader

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def shared_page(build_once: Any) -> Any:
    with build_once():
        yield make_article(hero=False, title="Harbour dues rise again")


@pytest.fixture
def page(shared_page: Any) -> Any:
    return fresh(shared_page)


# -- services ---------------------------------------------------------------------------
def test_following_twice_keeps_one_follow_and_unfollowing_removes_it():
    ada, ben = reader(), commenter(name="Ben")
    assert service.follow(follower=ada, followee=ben.user) is True
    assert service.follow(follower=ada, followee=ben.user) is False
    assert Follow.objects.filter(follower=ada, followee=ben.user).count() == 1
    assert service.unfollow(follower=ada, followee=ben.user) is True
    assert service.unfollow(follower=ada, followee=ben.user) is False


@pytest.mark.parametrize("act", ["follow", "mute"])
def test_nobody_follows_or_mutes_themselves(act):
    ada = commenter(name="Ada")
    call = (
        (lambda: service.follow(follower=ada.user, followee=ada.user))
        if act == "follow"
        else (lambda: service.mute(muter=ada.user, muted=ada.user))
    )
    with pytest.raises(InvalidInput, match="yourself"):
        call()
    # The database refuses it too.
    model, fields = (
        (Follow, {"follower": ada.user, "followee": ada.user})
        if act == "follow"
        else (Mute, {"muter": ada.user, "muted": ada.user})
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        model.objects.create(**fields)


def test_only_a_reader_with_a_public_face_can_be_followed_or_muted():
    ada = reader()
    faceless = reader()
    banned = commenter(name="Gone", status=CommenterStatus.BANNED)
    for other in (faceless, banned.user):
        with pytest.raises(NotAllowed, match="profile is not available"):
            service.follow(follower=ada, followee=other)
        with pytest.raises(NotAllowed):
            service.mute(muter=ada, muted=other)


def test_the_follow_limit_is_told(monkeypatch):
    monkeypatch.setattr(service, "FOLLOW_LIMIT", 1)
    ada = reader()
    service.follow(follower=ada, followee=commenter(name="Ben").user)
    with pytest.raises(InvalidInput, match="You already follow 1 readers"):
        service.follow(follower=ada, followee=commenter(name="Cy").user)


def test_muting_and_unmuting():
    ada, ben = reader(), commenter(name="Ben")
    assert service.mute(muter=ada, muted=ben.user) is True
    assert service.mute(muter=ada, muted=ben.user) is False
    assert selectors.relations_for(ada, [ben.user.pk]).muted == {ben.user.pk}
    assert service.unmute(muter=ada, muted=ben.user) is True
    assert selectors.muted_ids(ada) == frozenset()


def test_a_thread_is_followed_by_its_top_comment_from_any_reply(page):
    ada, ben = commenter(name="Ada"), commenter(name="Ben")
    top = comment(ada, page)
    deep = comment(ben, page, parent=comment(ada, page, parent=top))
    fan = reader()
    assert service.thread_follow(user=fan, comment=deep) is True
    assert service.thread_follow(user=fan, comment=top) is False
    assert list(ThreadFollow.objects.values_list("root_id", flat=True)) == [top.pk]
    assert selectors.followed_thread_ids(fan, [top.pk]) == {top.pk}
    assert service.thread_unfollow(user=fan, comment=deep) is True


def test_a_thread_waiting_for_a_moderator_is_followable_only_by_its_author(page):
    ada = commenter(name="Ada")
    held = comment(ada, page, status=CommentStatus.PENDING)
    with pytest.raises(NotAllowed):
        service.thread_follow(user=reader(), comment=held)
    assert service.thread_follow(user=ada.user, comment=held) is True


# -- selectors ----------------------------------------------------------------------------
def test_counts_leave_out_deactivated_accounts():
    ben = commenter(name="Ben")
    fans = [reader() for _ in range(3)]
    for fan in fans:
        Follow.objects.create(follower=fan, followee=ben.user)
    type(fans[0]).objects.filter(pk=fans[0].pk).update(is_active=False)
    assert selectors.follow_counts(ben.user) == selectors.FollowCounts(followers=2, following=0)


def test_relations_take_two_queries_however_many_readers(django_assert_num_queries):
    ada = reader()
    others = [commenter(name=f"Other {i}").user for i in range(12)]
    for other in others[:5]:
        Follow.objects.create(follower=ada, followee=other)
    Mute.objects.create(muter=ada, muted=others[-1])
    with django_assert_num_queries(2):
        relations = selectors.relations_for(ada, [o.pk for o in others])
    assert relations.following == {o.pk for o in others[:5]}
    assert relations.muted == {others[-1].pk}


def test_the_following_feed_lists_followed_unmuted_published_comments_by_keyset(page):
    ada, ben, cy, dee = (commenter(name=n) for n in ("Ada", "Ben", "Cy", "Dee"))
    for other in (ben, cy):
        Follow.objects.create(follower=ada.user, followee=other.user)
    Mute.objects.create(muter=ada.user, muted=cy.user)
    shown = [comment(ben, page, body=f"Ben {i}") for i in range(5)]
    comment(ben, page, status=CommentStatus.PENDING)
    comment(cy, page)  # muted
    comment(dee, page)  # not followed

    first = selectors.following_feed(ada.user, limit=3)
    assert [c.pk for c in first.comments] == [c.pk for c in reversed(shown)][:3]
    second = selectors.following_feed(ada.user, cursor=first.next_cursor, limit=3)
    assert [c.pk for c in second.comments] == [shown[1].pk, shown[0].pk]
    assert second.next_cursor is None
    assert selectors.following_feed(reader()).comments == []


# -- endpoints ----------------------------------------------------------------------------
def test_follow_from_a_profile_without_script(client):
    ada, ben = reader(), commenter(name="Ben")
    client.force_login(ada)
    response = client.post(
        f"/community/readers/{ben.pk}/follow/", {"next": "/some/article/#comment-3"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/some/article/#comment-3"
    assert selectors.is_following(ada, ben.user)
    assert "no-store" in response["Cache-Control"]


def test_an_outside_next_is_not_followed(client):
    ada, ben = reader(), commenter(name="Ben")
    client.force_login(ada)
    response = client.post(
        f"/community/readers/{ben.pk}/mute/", {"next": "https://evil.example/phish"}
    )
    assert response.status_code == 302
    assert "evil.example" not in response["Location"]
    assert selectors.muted_ids(ada) == {ben.user.pk}


def test_scripts_get_the_new_state_or_the_refusal_as_json(client):
    ada = commenter(name="Ada")
    ben = commenter(name="Ben")
    client.force_login(ada.user)
    response = client.post(f"/community/readers/{ben.pk}/follow/", HTTP_ACCEPT="application/json")
    assert response.json()["following"] is True
    assert response.json()["followers"] == 1
    refused = client.post(f"/community/readers/{ada.pk}/follow/", HTTP_ACCEPT="application/json")
    assert refused.status_code == 400
    assert refused.json()["error"] == "You can't follow yourself."


def test_the_endpoints_need_post_a_csrf_token_and_a_signed_in_reader(page):
    ben = commenter(name="Ben")
    top = comment(ben, page)
    anonymous = Client()
    response = anonymous.post(f"/community/readers/{ben.pk}/follow/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert (
        anonymous.post(
            f"/community/threads/{top.pk}/follow/", HTTP_ACCEPT="application/json"
        ).status_code
        == 403
    )

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(reader())
    assert browser.get(f"/community/readers/{ben.pk}/follow/").status_code == 405
    assert browser.post(f"/community/readers/{ben.pk}/follow/").status_code == 403
    assert browser.post(f"/community/threads/{top.pk}/follow/").status_code == 403
    assert not Follow.objects.exists() and not ThreadFollow.objects.exists()


@pytest.mark.parametrize(
    "path", ["readers/99999999/follow/", "threads/99999999999999999999/follow/"]
)
def test_unknown_or_out_of_range_ids_are_not_found(client, path):
    client.force_login(reader())
    assert client.post(f"/community/{path}").status_code == 404


def test_following_a_conversation_from_a_comment(client, page):
    ada = commenter(name="Ada")
    top = comment(ada, page)
    fan = reader()
    client.force_login(fan)
    response = client.post(f"/community/threads/{top.pk}/follow/", HTTP_ACCEPT="application/json")
    assert response.json()["following"] is True
    response = client.post(f"/community/threads/{top.pk}/unfollow/", HTTP_ACCEPT="application/json")
    assert response.json()["following"] is False


# -- the Follow and Mute buttons beside comments; rate limits -----------------------------
def _conversation_html(client: Client, page: Any) -> str:
    return client.get(f"/community/articles/{page.pk}/").content.decode()


def test_follow_and_mute_buttons_sit_beside_others_comments_only(client, page):
    me, ben = commenter(name="Mira"), commenter(name="Ben")
    theirs, mine = comment(ben, page), comment(me, page)
    assert "/mute/" not in _conversation_html(client, page)  # signed out: no forms
    client.force_login(me.user)
    html = _conversation_html(client, page)
    assert f'action="/community/readers/{ben.pk}/mute/"' in html
    assert f'action="/community/readers/{ben.pk}/follow/"' in html
    assert f'action="/community/readers/{me.pk}/mute/"' not in html
    assert f'action="/community/readers/{me.pk}/follow/"' not in html
    assert f'value="/community/articles/{page.pk}/#comment-{theirs.pk}"' in html
    assert f"#comment-{mine.pk}" not in html.split(f'id="comment-{mine.pk}"')[1].split("</ul>")[0]


def test_muting_from_a_comment_without_script_comes_back_to_it_collapsed(client, page):
    me, ben = commenter(name="Mira"), commenter(name="Ben")
    theirs = comment(ben, page, body="Words you will not see")
    client.force_login(me.user)
    back = f"/community/articles/{page.pk}/#comment-{theirs.pk}"
    response = client.post(f"/community/readers/{ben.pk}/mute/", {"next": back})
    assert response.status_code == 302 and response["Location"] == back
    assert selectors.muted_ids(me.user) == {ben.user.pk}
    html = _conversation_html(client, page)
    assert "whom you muted" in html and "Words you will not see" not in html
    assert f'action="/community/readers/{ben.pk}/unmute/"' in html
    assert "You muted Ben." in html  # the message, shown on the page it came back to
    client.post(f"/community/readers/{ben.pk}/unmute/", {"next": back})
    assert "whom you muted" not in _conversation_html(client, page)


def test_following_from_a_comment_turns_the_button_into_unfollow(client, page):
    me, ben = commenter(name="Mira"), commenter(name="Ben")
    comment(ben, page)
    client.force_login(me.user)
    response = client.post(f"/community/readers/{ben.pk}/follow/", HTTP_ACCEPT="application/json")
    assert response.json()["following"] is True
    assert f'action="/community/readers/{ben.pk}/unfollow/"' in _conversation_html(client, page)


def test_follow_unfollow_mute_and_unmute_share_a_rate_limit(client, page):
    from .conftest import configure

    configure(follows_per_minute=3)
    me = commenter(name="Mira")
    ben, cy = commenter(name="Ben"), commenter(name="Cy")
    client.force_login(me.user)
    json = {"HTTP_ACCEPT": "application/json"}
    for path in (f"{ben.pk}/follow/", f"{ben.pk}/unfollow/", f"{cy.pk}/mute/"):
        assert client.post(f"/community/readers/{path}", **json).status_code == 200
    # a repeat changes nothing, so it is never refused and never counted
    assert client.post(f"/community/readers/{cy.pk}/mute/", **json).status_code == 200
    limited = client.post(f"/community/readers/{cy.pk}/unmute/", **json)
    assert limited.status_code == 429
    assert "Try again at" in limited.json()["error"]
    assert int(limited["Retry-After"]) >= 1
    assert selectors.muted_ids(me.user) == {cy.user.pk}  # nothing half-done
    # without script: back where the reader was, with the same message
    back = client.post(f"/community/readers/{ben.pk}/follow/", {"next": "/x/#comment-1"})
    assert back["Location"] == "/x/#comment-1"
    assert not selectors.is_following(me.user, ben.user)
    page_after = client.get(f"/community/readers/{ben.pk}/").content.decode()
    assert "followed and muted many readers" in page_after


def test_follows_have_their_own_allowance_not_the_likes(page):
    from masthead.community.models import CommunitySettings

    from .conftest import configure

    assert CommunitySettings().follows_per_minute == 30  # the default, apart from likes'
    ada = commenter(name="Ada")
    others = [commenter(name=name) for name in ("Ben", "Cy", "Dee")]
    configure(follows_per_minute=2, reactions_per_minute=100)
    assert service.follow(follower=ada.user, followee=others[0].user)
    assert service.follow(follower=ada.user, followee=others[1].user)
    with pytest.raises(RateLimited):
        service.follow(follower=ada.user, followee=others[2].user)

    eve = commenter(name="Eve")
    configure(follows_per_minute=100, reactions_per_minute=1)
    for other in others:
        assert service.follow(follower=eve.user, followee=other.user)


def test_the_rate_limit_is_per_reader(client, page):
    from .conftest import configure

    configure(follows_per_minute=1)
    ada, ben, cy = commenter(name="Ada"), commenter(name="Ben"), commenter(name="Cy")
    assert service.follow(follower=ada.user, followee=cy.user)
    assert service.follow(follower=ben.user, followee=cy.user)
    with pytest.raises(RateLimited):
        service.mute(muter=ada.user, muted=ben.user)
