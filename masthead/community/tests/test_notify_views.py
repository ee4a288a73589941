"""The notifications page, its settings, the header's unread count, and the export.

Invariants checked: signed-in readers only; a reader sees and marks only their own;
every change needs POST and a CSRF token; a refused choice is told with a message; the
header counts unread notifications for a signed-in reader while an anonymous article
page stays shareable (public, no Vary: Cookie, no notifications link).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from masthead.community.models import (
    Delivery,
    Follow,
    Mute,
    Notification,
    NotificationKind,
    ThreadFollow,
)
from masthead.community.privacy_following import erase_following, export_following
from masthead.community.selectors_notifications import LIST_PAGE
from masthead.community.services import notifications as service
from rigs.newsroom import make_article

from .notify_support import comment, commenter, fresh, reader

pytestmark = pytest.mark.django_db
Kind = NotificationKind
LIST = "/community/notifications/"
SETTINGS = "/community/notifications/settings/"


@pytest.fixture(scope="module")
def shared_page(build_once: Any) -> Any:
    with build_once():
        yield make_article(hero=False, title="Harbour dues rise again")


@pytest.fixture
def page(shared_page: Any) -> Any:
    return fresh(shared_page)


def replied(page: Any, to: Any, by: Any, body: str = "") -> Notification:
    reply = comment(by, page, parent=comment(to, page), body=body)
    service.notify_comment_published(comment_id=reply.pk)
    return Notification.objects.get(event_key=f"comment:{reply.pk}", recipient=to.user)


def test_the_list_shows_only_my_notifications_newest_first(page, client):
    ada, ben, cy = commenter(name="Ada"), commenter(name="Ben"), commenter(name="Cy")
    replied(page, ada, ben, body="First answer")
    replied(page, ada, cy, body="Second answer")
    replied(page, ben, cy, body="Not for Ada")
    client.force_login(ada.user)

    response = client.get(LIST)

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    html = response.content.decode()
    assert html.index("Second answer") < html.index("First answer")
    assert "Not for Ada" not in html
    assert "Cy replied to your comment on “Harbour dues rise again”." in html
    assert "You have 2 unread notifications." in html


def test_the_list_pages_by_keyset(page, client):
    ada, ben = commenter(name="Ada"), commenter(name="Ben")
    top = comment(ada, page)
    for i in range(LIST_PAGE + 2):
        service.notify_comment_published(
            comment_id=comment(ben, page, parent=top, body=f"Answer {i:02}").pk
        )
    client.force_login(ada.user)
    client.get(LIST)  # warm the session and the site's settings
    with CaptureQueriesContext(connection) as full:
        first = client.get(LIST).content.decode()
    assert f"Answer {LIST_PAGE + 1:02}" in first and "Answer 01" not in first
    older = first.split('href="?before=')[1].split('"')[0]
    with CaptureQueriesContext(connection) as short:
        second = client.get(f"{LIST}?before={older}").content.decode()
    assert "Answer 00" in second and "Answer 01" in second
    # 30 notifications cost what 2 do: nothing is loaded per notification.
    assert len(full) == len(short)
    assert "Older notifications" not in second
    assert client.get(f"{LIST}?before=junk").status_code == 200  # junk: the first page


def test_marking_read_one_and_all_and_never_someone_elses(page, client):
    ada, ben = commenter(name="Ada"), commenter(name="Ben")
    mine = [replied(page, ada, ben), replied(page, ada, ben)]
    theirs = replied(page, ben, ada)
    client.force_login(ada.user)

    assert client.post(f"{LIST}{mine[0].pk}/read/").status_code == 302
    assert client.post(f"{LIST}{theirs.pk}/read/").status_code == 302
    assert fresh(mine[0]).read_at is not None
    assert fresh(theirs).read_at is None
    assert fresh(mine[1]).read_at is None

    response = client.post(f"{LIST}read-all/", HTTP_ACCEPT="application/json")
    assert response.json() == {"unread": 0}
    assert fresh(mine[1]).read_at is not None
    assert fresh(theirs).read_at is None


def test_every_change_needs_post_and_a_csrf_token(page):
    ada, ben = commenter(name="Ada"), commenter(name="Ben")
    note = replied(page, ada, ben)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(ada.user)
    assert browser.get(f"{LIST}{note.pk}/read/").status_code == 405
    assert browser.post(f"{LIST}{note.pk}/read/").status_code == 403
    assert browser.post(f"{LIST}read-all/").status_code == 403
    assert browser.post(SETTINGS, {Kind.REPLY: Delivery.OFF}).status_code == 403
    assert fresh(note).read_at is None


@pytest.mark.parametrize("url", [LIST, SETTINGS])
def test_signed_out_readers_are_asked_to_sign_in(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def settings_form(**changes: str) -> dict[str, str]:
    data = dict(service.DEFAULT_DELIVERY)
    data.update(changes)
    return data


def test_the_settings_page_saves_each_kinds_delivery(client):
    ada = reader()
    client.force_login(ada)
    page = client.get(SETTINGS).content.decode()
    assert "A reply to my comment" in page and 'value="digest"' in page

    response = client.post(SETTINGS, settings_form(reply=Delivery.DIGEST, mention=Delivery.OFF))

    assert response.status_code == 302
    chosen = service.preferences_for(ada)
    assert (chosen[Kind.REPLY], chosen[Kind.MENTION]) == (Delivery.DIGEST, Delivery.OFF)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({Kind.MODERATION: Delivery.OFF}, "Choose one of the options listed."),
        ({Kind.REPLY: "sometimes"}, "Choose one of the options listed."),
        ({Kind.REPLY: ""}, "Choose how you want to hear about this."),
    ],
)
def test_a_refused_choice_is_told_and_nothing_is_saved(client, changes, message):
    ada = reader()
    client.force_login(ada)
    response = client.post(SETTINGS, settings_form(**changes))
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html
    assert "<title>Error: Notification settings" in html
    assert service.preferences_for(ada) == service.DEFAULT_DELIVERY


def test_the_service_refuses_switching_off_moderation_notifications():
    with pytest.raises(service.InvalidInput) as refused:
        service.preferences_set(user=reader(), choices={Kind.MODERATION: Delivery.OFF})
    assert refused.value.code == "delivery"


def test_the_header_counts_unread_notifications_for_the_signed_in_reader(page, client):
    ada, ben = commenter(name="Ada"), commenter(name="Ben")
    replied(page, ada, ben)
    replied(page, ada, ben)
    client.force_login(ada.user)

    html = client.get(page.url).content.decode()

    assert 'class="masthead__notifications" href="/community/notifications/"' in html
    assert 'data-unread="2"' in html and "(2 unread)" in html
    assert 'data-account-section="notifications"' in client.get(LIST).content.decode()


def test_an_anonymous_article_page_stays_shareable(page, client):
    ada, ben = commenter(name="Ada"), commenter(name="Ben")
    replied(page, ada, ben)

    response = client.get(page.url)

    assert response.status_code == 200
    assert "public" in response["Cache-Control"]
    assert "Cookie" not in response.get("Vary", "")
    assert b"masthead__notifications" not in response.content


def test_the_export_holds_follows_mutes_and_notifications_and_erasure_clears_them(page):
    ada, ben, cy = commenter(name="Ada"), commenter(name="Ben"), commenter(name="Cy")
    Follow.objects.create(follower=ada.user, followee=ben.user)
    Follow.objects.create(follower=cy.user, followee=ada.user)
    Mute.objects.create(muter=ada.user, muted=cy.user)
    top = comment(ben, page)
    ThreadFollow.objects.create(user=ada.user, root=top)
    replied(page, ada, ben, body="Hello Ada")
    replied(page, ben, ada, body="Hello Ben")  # Ada is the actor here
    service.preferences_set(user=ada.user, choices={Kind.REPLY: Delivery.DIGEST})

    data = export_following(ada.user)

    assert [f["display_name"] for f in data["following"]] == ["Ben"]
    assert data["followers"] == 1
    assert [m["display_name"] for m in data["muted"]] == ["Cy"]
    assert [t["comment"] for t in data["followed_threads"]] == [top.pk]
    [note] = data["notifications"]
    assert note["kind"] == Kind.REPLY and "Ben replied" in note["text"]
    assert data["notification_preferences"][Kind.REPLY] == Delivery.DIGEST

    counts = erase_following(ada.user)

    assert counts["follows"] == 2 and counts["mutes"] == 1 and counts["notifications"] == 1
    assert not Follow.objects.filter(follower=ada.user).exists()
    # Ben keeps his notification, without naming Ada any more.
    kept = Notification.objects.get(recipient=ben.user)
    assert kept.actor is None


def test_the_header_count_is_cached_and_follows_every_change_at_once(page, client):
    """The count is read once and kept (no query on the next page), and making a
    notification or marking one read shows in the header on the next page."""
    ada, ben = commenter(name="Ada"), commenter(name="Ben")
    first = replied(page, ada, ben)
    client.force_login(ada.user)
    assert 'data-unread="1"' in client.get(page.url).content.decode()
    with CaptureQueriesContext(connection) as ctx:
        client.get(page.url)
    assert not [q for q in ctx.captured_queries if "community_notification" in q["sql"]]
    replied(page, ada, ben)
    assert 'data-unread="2"' in client.get(page.url).content.decode()
    client.post(f"{LIST}{first.pk}/read/")
    assert 'data-unread="1"' in client.get(page.url).content.decode()
    client.post(f"{LIST}read-all/")
    html = client.get(page.url).content.decode()
    assert "data-unread" not in html or 'data-unread="0"' in html
