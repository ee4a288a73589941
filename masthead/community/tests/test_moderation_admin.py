"""The moderation queue in Wagtail's admin: who gets in, what each tab lists, the
decisions made from it, the menu's counts, and the forms' messages."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from masthead.community.models import (
    CommenterStatus,
    CommentRevision,
    CommentStatus,
    Conversation,
    HeldReason,
    ModerationAction,
    ModerationDecision,
)
from masthead.community.services import decisions
from masthead.content.models import ArticlePage
from masthead.content.tests.factories import make_article
from masthead.readers.tests.factories import ReaderFactory

from .moderation_rig import (
    hide_after_reports,
    make_admin_editor,
    make_comment,
    make_commenter,
    make_moderator,
    report,
)

XSS = '<script>alert(1)</script><img src=x onerror="alert(2)">'


@pytest.fixture(scope="module")
def _article_id(build_once: Any) -> Iterator[int]:
    with build_once():
        yield make_article(hero=False, title="Harbour dues rise").pk


@pytest.fixture
def article(_article_id: int, db: None) -> ArticlePage:
    return ArticlePage.objects.get(pk=_article_id)


@pytest.fixture
def moderator(db: None) -> Any:
    return make_moderator()


@pytest.fixture
def author(db: None) -> Any:
    return make_commenter("Marisol")


@pytest.fixture
def as_moderator(client: Client, moderator: Any) -> Client:
    client.force_login(moderator)
    return client


def url(name: str, *args: Any) -> str:
    return reverse(name, args=args)


# -- who gets in --------------------------------------------------------------------------
ROLES = {
    "anonymous": lambda author: None,
    "a reader": lambda author: ReaderFactory(verified=True),
    "the comment's author": lambda author: author.user,
    "staff without admin access": lambda author: ReaderFactory(staff=True),
    "an editor without the permission": lambda author: make_admin_editor(),
    "a moderator": lambda author: make_moderator(),
    "a superuser": lambda author: ReaderFactory(editor=True),
}
# What each role gets on every moderation page: Wagtail sends whoever may not use the
# admin to its sign-in; inside the admin, only moderators pass.
EXPECTED = {
    "anonymous": 302,
    "a reader": 302,
    "the comment's author": 302,
    "staff without admin access": 302,
    "an editor without the permission": 403,
    "a moderator": 200,
    "a superuser": 200,
}


@pytest.mark.parametrize("role", ROLES)
def test_only_moderators_see_the_queue_a_comment_and_a_reader(client, article, author, role):
    comment = make_comment(article, author, status=CommentStatus.PENDING, body="Held words")
    user = ROLES[role](author)
    if user is not None:
        client.force_login(user)
    for page in (
        url("community_moderation_pending"),
        url("community_moderation_reported"),
        url("community_moderation_decided"),
        url("community_moderation_comment", comment.pk),
        url("community_moderation_reader", author.user_id),
    ):
        response = client.get(page)
        assert response.status_code == EXPECTED[role], page
        if response.status_code == 302:
            assert "/admin/login/" in response["Location"]
        if response.status_code != 200:
            assert "Held words" not in response.content.decode()


@pytest.mark.parametrize("role", [r for r, code in EXPECTED.items() if code != 200])
def test_nobody_else_decides_through_the_admin(client, article, author, role):
    held = make_comment(article, author, status=CommentStatus.PENDING)
    published = make_comment(article, author)
    user = ROLES[role](author)
    if user is not None:
        client.force_login(user)
    client.post(url("community_moderation_bulk"), {"action": "approve", "comment": [held.pk]})
    client.post(url("community_moderation_bulk"), {"one": f"{published.pk}:feature"})
    client.post(
        url("community_moderation_comment", published.pk), {"action": "reject", "reason": "spam"}
    )
    client.post(
        url("community_moderation_reader", author.user_id),
        {"action": "ban", "reason": "x"},
    )
    client.post(url("community_moderation_conversation", article.pk))
    held.refresh_from_db()
    published.refresh_from_db()
    author.refresh_from_db()
    assert held.status == CommentStatus.PENDING
    assert published.status == CommentStatus.PUBLISHED and published.featured_at is None
    assert author.status == CommenterStatus.ACTIVE
    assert not Conversation.objects.filter(closed=True).exists()
    assert not ModerationDecision.objects.exists()


def test_the_forbidden_page_says_what_is_missing(client, article):
    client.force_login(make_admin_editor())
    response = client.get(url("community_moderation_pending"))
    assert response.status_code == 403
    assert "Only moderators may see and decide comments." in response.content.decode()


def test_decisions_need_the_csrf_token(article, author, moderator):
    held = make_comment(article, author, status=CommentStatus.PENDING)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(moderator)
    response = browser.post(url("community_moderation_bulk"), {"one": f"{held.pk}:approve"})
    assert response.status_code == 403
    held.refresh_from_db()
    assert held.status == CommentStatus.PENDING


# -- the tabs -----------------------------------------------------------------------------
class _Inert(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.scripts_with_alert = 0
        self.handlers: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._in_script = tag == "script"
        self.handlers += [name for name, value in attrs if name.startswith("on")]

    def handle_data(self, data: str) -> None:
        if self._in_script and "alert(1)" in data:
            self.scripts_with_alert += 1


def test_pending_lists_held_comments_oldest_first_with_why_and_inert_text(
    as_moderator, article, author
):
    first = make_comment(
        article, author, status=CommentStatus.PENDING, body=XSS, held_reason=HeldReason.LINK
    )
    second = make_comment(article, author, status=CommentStatus.PENDING, body="Second held")
    make_comment(article, author, body="Already published")
    html = as_moderator.get(url("community_moderation_pending")).content.decode()
    assert html.index(f'value="{first.pk}:approve"') < html.index(f'value="{second.pk}:approve"')
    assert "Already published" not in html
    assert "Contains a link" in html
    assert "Harbour dues rise" in html and "Marisol" in html
    assert "Pending (2)" in html
    parser = _Inert()
    parser.feed(html)
    assert parser.scripts_with_alert == 0
    assert parser.handlers == []
    assert "&lt;script&gt;" in html


def test_reported_lists_open_reports_most_reported_first_with_reasons(
    as_moderator, article, author
):
    once = make_comment(article, author, body="Reported once")
    report(once)
    hidden = hide_after_reports(make_comment(article, author, body="Reported thrice"))
    resolved = make_comment(article, author, body="Reports closed")
    report(resolved)
    decisions.comment_approve(actor=make_moderator(), comment=resolved)
    html = as_moderator.get(url("community_moderation_reported")).content.decode()
    assert html.index("Reported thrice") < html.index("Reported once")
    assert "Reports closed" not in html
    assert "Hidden until decided" in html
    assert "Spam or advertising: 3" in html
    assert "Looks like spam" in html
    assert "Reported (2)" in html
    assert hidden.status == CommentStatus.HIDDEN


def test_recently_decided_is_the_audit_log_newest_first(as_moderator, moderator, article, author):
    held = make_comment(article, author, status=CommentStatus.PENDING)
    decisions.comment_reject(actor=moderator, comment=held, reason="hate", note="Slur")
    decisions.reader_warn(actor=moderator, user=author.user, reason="Mind your words")
    html = as_moderator.get(url("community_moderation_decided")).content.decode()
    assert html.index("Warned") < html.index("Rejected")
    assert "Mind your words" in html and "Slur" in html
    assert "It attacks people for who they are." in html


def test_the_lists_run_a_fixed_number_of_queries(
    as_moderator, article, author, django_assert_max_num_queries
):
    def comments(n: int) -> None:
        for _ in range(n):
            parent = make_comment(article, make_commenter())
            held = make_comment(article, author, parent=parent, status=CommentStatus.PENDING)
            report(make_comment(article, make_commenter()))
            decisions.comment_reject(actor=make_moderator(), comment=held, reason="spam")
            make_comment(article, author, status=CommentStatus.PENDING, parent=parent)

    comments(2)
    budgets = {}
    for name in (
        "community_moderation_pending",
        "community_moderation_reported",
        "community_moderation_decided",
    ):
        as_moderator.get(url(name))  # warm caches (site root paths, sessions)
        with CaptureQueriesContext(connection) as few:
            as_moderator.get(url(name))
        budgets[name] = len(few)
    comments(12)
    for name, budget in budgets.items():
        with django_assert_max_num_queries(budget):
            as_moderator.get(url(name))


# -- deciding from the queue --------------------------------------------------------------
def test_a_row_button_approves_and_returns_to_the_list(as_moderator, article, author):
    held = make_comment(article, author, status=CommentStatus.PENDING)
    back = url("community_moderation_pending") + "?p=1"
    response = as_moderator.post(
        url("community_moderation_bulk"), {"one": f"{held.pk}:approve", "next": back}
    )
    assert response.status_code == 302 and response["Location"] == back
    held.refresh_from_db()
    assert held.status == CommentStatus.PUBLISHED
    page = as_moderator.get(back).content.decode()
    assert "1 comment decided." in page


def test_a_rows_reject_button_asks_for_the_reason_first(as_moderator, article, author):
    held = make_comment(article, author, status=CommentStatus.PENDING)
    response = as_moderator.post(url("community_moderation_bulk"), {"one": f"{held.pk}:reject"})
    assert response.status_code == 302
    assert response["Location"].startswith(url("community_moderation_comment", held.pk))
    held.refresh_from_db()
    assert held.status == CommentStatus.PENDING


def test_bulk_actions_decide_the_ticked_comments_and_say_what_was_skipped(
    as_moderator, article, author
):
    held = [make_comment(article, author, status=CommentStatus.PENDING) for _ in range(3)]
    gone = make_comment(article, author, status=CommentStatus.DELETED)
    response = as_moderator.post(
        url("community_moderation_bulk"),
        {
            "action": "reject",
            "reason": "off_topic",
            "explanation": "Stay with the harbour.",
            "comment": [c.pk for c in held[:2]] + [gone.pk],
        },
        follow=True,
    )
    html = response.content.decode()
    assert "2 comments decided." in html
    assert f"Comment #{gone.pk} skipped: Its author deleted this comment" in html
    statuses = [c.status for c in type(held[0]).objects.filter(pk__in=[c.pk for c in held])]
    assert sorted(statuses) == ["pending", "rejected", "rejected"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"comment": ["1"]}, "Choose what to do with the selected comments."),
        ({"action": "approve"}, "Select at least one comment."),
        ({"action": "approve", "comment": ["x"]}, "not a comment"),
        ({"action": "approve", "comment": ["99999999999999999999"]}, "not a comment"),
        ({"action": "reject", "comment": ["1"]}, "Choose why the comments are rejected."),
        ({"action": "erase", "comment": ["1"]}, "Select a valid choice"),
    ],
)
def test_a_bad_bulk_form_says_what_is_wrong(as_moderator, article, data, message):
    response = as_moderator.post(url("community_moderation_bulk"), data, follow=True)
    assert message in response.content.decode()
    assert not ModerationDecision.objects.exists()


def test_the_way_back_never_leaves_the_site(as_moderator, article, author):
    held = make_comment(article, author, status=CommentStatus.PENDING)
    response = as_moderator.post(
        url("community_moderation_bulk"),
        {"one": f"{held.pk}:approve", "next": "https://evil.example/phish"},
    )
    assert response["Location"] == url("community_moderation_pending")


# -- one comment --------------------------------------------------------------------------
def test_the_comment_page_shows_every_revision_and_report_and_rejects_with_a_reason(
    as_moderator, article, author
):
    comment = make_comment(article, author, body="Now polite")
    CommentRevision.objects.create(comment=comment, body="First rude draft")
    report(comment)
    page = as_moderator.get(url("community_moderation_comment", comment.pk))
    html = page.content.decode()
    assert "First rude draft" in html and "Now polite" in html and "Looks like spam" in html

    missing = as_moderator.post(
        url("community_moderation_comment", comment.pk), {"action": "reject", "reason": ""}
    )
    assert missing.status_code == 200
    assert "Choose why the comment is rejected." in missing.content.decode()
    comment.refresh_from_db()
    assert comment.status == CommentStatus.PUBLISHED

    done = as_moderator.post(
        url("community_moderation_comment", comment.pk),
        {"action": "reject", "reason": "harassment", "explanation": "Leave people out of it."},
    )
    assert done.status_code == 302
    comment.refresh_from_db()
    assert comment.status == CommentStatus.REJECTED
    assert comment.rejection_reason == "It targets or harasses a person. Leave people out of it."


def test_feature_and_unfeature_from_the_comment_page(as_moderator, article, author):
    comment = make_comment(article, author)
    as_moderator.post(url("community_moderation_comment", comment.pk), {"action": "feature"})
    comment.refresh_from_db()
    assert comment.featured_at is not None
    again = as_moderator.post(
        url("community_moderation_comment", comment.pk), {"action": "feature"}
    )
    assert "already featured" in again.content.decode()
    as_moderator.post(url("community_moderation_comment", comment.pk), {"action": "unfeature"})
    comment.refresh_from_db()
    assert comment.featured_at is None


def test_an_unknown_comment_is_a_404(as_moderator):
    assert as_moderator.get("/admin/comments/987654/").status_code == 404
    assert as_moderator.get("/admin/comments/99999999999999999999/").status_code == 404


# -- one reader ---------------------------------------------------------------------------
def test_the_reader_page_suspends_with_days_and_a_reason(as_moderator, article, author):
    make_comment(article, author, body="My latest words")
    page = as_moderator.get(url("community_moderation_reader", author.user_id)).content.decode()
    assert "My latest words" in page and "Marisol" in page

    bad = as_moderator.post(
        url("community_moderation_reader", author.user_id),
        {"action": "suspend", "days": "0", "reason": ""},
    )
    assert bad.status_code == 400
    html = bad.content.decode()
    assert "Suspend for at least 1 day." in html
    assert "Write the reason: the reader is told it." in html
    assert 'aria-invalid="true"' in html
    author.refresh_from_db()
    assert author.status == CommenterStatus.ACTIVE

    done = as_moderator.post(
        url("community_moderation_reader", author.user_id),
        {"action": "suspend", "days": "14", "reason": "Repeated insults"},
        follow=True,
    )
    assert "Decision saved." in done.content.decode()
    author.refresh_from_db()
    assert author.status == CommenterStatus.SUSPENDED
    assert ModerationDecision.objects.get().action == ModerationAction.SUSPEND


@pytest.mark.parametrize(
    ("data", "check"),
    [
        ({"action": "warn", "reason": "Be kind"}, lambda c: c.status == "active"),
        ({"action": "ban", "reason": "Threats"}, lambda c: c.status == "banned"),
        ({"action": "premoderate"}, lambda c: c.always_premoderate),
        ({"action": "notes", "notes": "Watch threads on housing"}, lambda c: c.moderator_notes),
    ],
)
def test_each_reader_decision_from_the_page(as_moderator, article, author, data, check):
    response = as_moderator.post(url("community_moderation_reader", author.user_id), data)
    assert response.status_code == 302
    author.refresh_from_db()
    assert check(author)
    assert ModerationDecision.objects.filter(reader=author.user).count() == 1


def test_banning_from_the_page_may_reject_the_held_comments(as_moderator, article, author):
    held = make_comment(article, author, status=CommentStatus.PENDING)
    as_moderator.post(
        url("community_moderation_reader", author.user_id),
        {"action": "ban", "reason": "Spam run", "reject_pending": "on"},
    )
    held.refresh_from_db()
    assert held.status == CommentStatus.REJECTED


def test_the_permission_is_offered_on_wagtails_group_page(client, db):
    client.force_login(ReaderFactory(editor=True))
    html = client.get(reverse("wagtailusers_groups:add")).content.decode()
    assert "Can moderate comments" in html


def test_the_reader_page_says_when_a_suspension_is_over(as_moderator, moderator, author):
    decisions.reader_suspend(actor=moderator, user=author.user, days=1, reason="Cool off")
    page = url("community_moderation_reader", author.user_id)
    assert "over: they may comment again" not in as_moderator.get(page).content.decode()
    with time_machine.travel(timezone.now() + dt.timedelta(days=2)):
        assert "over: they may comment again" in as_moderator.get(page).content.decode()


def test_a_refused_reader_decision_shows_the_services_message(as_moderator, author):
    response = as_moderator.post(
        url("community_moderation_reader", author.user_id), {"action": "unban"}, follow=True
    )
    assert "This reader is neither banned nor suspended." in response.content.decode()


def test_a_reader_who_never_commented_has_no_page(as_moderator):
    reader = ReaderFactory()
    assert as_moderator.get(url("community_moderation_reader", reader.pk)).status_code == 404


# -- the menu and the page listing --------------------------------------------------------
def test_the_admin_menu_shows_moderators_the_counts_and_nobody_else_the_menu(
    client, article, author
):
    make_comment(article, author, status=CommentStatus.PENDING)
    make_comment(article, author, status=CommentStatus.PENDING)
    report(make_comment(article, author))
    client.force_login(make_moderator())
    html = client.get("/admin/").content.decode()
    assert "Pending (2)" in html and "Reported (1)" in html
    client.force_login(make_admin_editor())
    html = client.get("/admin/").content.decode()
    assert "Pending (" not in html and "comments-pending" not in html


def test_an_article_in_the_page_listing_offers_to_open_or_close_its_comments(client, article):
    client.force_login(ReaderFactory(editor=True))
    listing = client.get(f"/admin/pages/{article.get_parent().pk}/")
    assert listing.status_code == 200
    assert url("community_moderation_conversation", article.pk) in listing.content.decode()
    home = client.get(f"/admin/pages/{article.get_parent().get_parent().pk}/")
    assert "/admin/comments/articles/" not in home.content.decode()  # sections have none


def test_closing_and_reopening_from_the_admin(as_moderator, article):
    page = as_moderator.get(url("community_moderation_conversation", article.pk))
    assert "Close comments" in page.content.decode()
    closed = as_moderator.post(
        url("community_moderation_conversation", article.pk), {"note": "Flame war"}, follow=True
    )
    assert "are now closed" in closed.content.decode()
    assert Conversation.objects.get(page=article).closed
    assert "Open comments" in closed.content.decode()
    as_moderator.post(url("community_moderation_conversation", article.pk))
    assert not Conversation.objects.get(page=article).closed


def test_the_comment_and_reader_pages_each_list_their_decisions(as_moderator, article, author):
    from bs4 import BeautifulSoup

    comment = make_comment(article, author)
    as_moderator.post(url("community_moderation_comment", comment.pk), {"action": "feature"})
    for page, heading in (
        (url("community_moderation_comment", comment.pk), "Decisions about this comment"),
        (url("community_moderation_reader", author.user_id), "Decisions about this reader"),
    ):
        soup = BeautifulSoup(as_moderator.get(page).content, "html.parser")
        log = soup.find(id="log-heading")
        assert log is not None and log.get_text() == heading
        rows = log.find_parent("section").select("tbody tr")
        assert rows and "No decision yet." not in rows[0].get_text(), page
