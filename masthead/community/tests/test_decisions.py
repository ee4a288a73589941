"""Moderators' decisions (services.decisions): what each does to the comment, the
counters, the audit log and the signals, what it refuses, and who may make it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import Group, Permission
from wagtail.models import GroupPagePermission

from masthead.community import signals
from masthead.community.models import (
    Comment,
    Commenter,
    CommenterStatus,
    CommentStatus,
    Conversation,
    HeldReason,
    ModerationAction,
    ModerationDecision,
    Report,
)
from masthead.community.privacy_moderation import erase_decisions, export_decisions
from masthead.community.services import decisions
from masthead.community.services.errors import InvalidInput, NotAllowed
from masthead.content.models import ArticlePage
from masthead.content.tests.factories import make_article
from masthead.readers.tests.factories import ReaderFactory

from .moderation_rig import (
    counts,
    hide_after_reports,
    make_comment,
    make_commenter,
    make_moderator,
    report,
)


@pytest.fixture(scope="module")
def _article_id(build_once: Any) -> Iterator[int]:
    with build_once():
        yield make_article(hero=False).pk


@pytest.fixture
def article(_article_id: int, db: None) -> ArticlePage:
    return ArticlePage.objects.get(pk=_article_id)


@pytest.fixture
def moderator(db: None) -> Any:
    return make_moderator()


@pytest.fixture
def author(db: None) -> Commenter:
    return make_commenter("Marisol")


@pytest.fixture
def received() -> Iterator[list[tuple[str, dict[str, Any]]]]:
    """Every community signal sent during the test, as (name, kwargs)."""
    got: list[tuple[str, dict[str, Any]]] = []
    names = ("comment_published", "comment_featured", "comment_decided", "reader_decided")
    receivers = {}
    for name in (*names, "comment_changed"):

        def receiver(sender: Any, _name: str = name, **kwargs: Any) -> None:
            kwargs.pop("signal", None)
            got.append((_name, kwargs))

        receivers[name] = receiver
        getattr(signals, name).connect(receiver, weak=False)
    yield got
    for name, receiver in receivers.items():
        getattr(signals, name).disconnect(receiver)


def sent(received: list[tuple[str, dict[str, Any]]]) -> list[str]:
    return [name for name, _ in received]


# -- approving ----------------------------------------------------------------------------
def test_approving_a_held_reply_publishes_it_counts_it_logs_it_and_tells_on_commit(
    article, moderator, author, received, django_capture_on_commit_callbacks
):
    parent = make_comment(article, make_commenter())
    held = make_comment(
        article,
        author,
        parent=parent,
        status=CommentStatus.PENDING,
        held_reason=HeldReason.LINK,
    )
    before = counts(held)
    with django_capture_on_commit_callbacks() as callbacks:
        decision = decisions.comment_approve(actor=moderator, comment=held, note="Link is fine")
        assert received == []  # nothing before the commit
    for callback in callbacks:
        callback()
    held.refresh_from_db()
    assert held.status == CommentStatus.PUBLISHED
    assert held.held_reason == HeldReason.NONE
    assert counts(held) == (before[0] + 1, before[1] + 1, before[2] + 1)
    assert (decision.action, decision.actor, decision.comment, decision.reader) == (
        ModerationAction.APPROVE,
        moderator,
        held,
        author.user,
    )
    assert decision.conversation_id == held.conversation_id
    assert decision.note == "Link is fine"
    assert sent(received) == ["comment_published", "comment_decided"]
    assert received[1][1] == {"comment": held, "decision": decision}


def test_approving_twice_counts_once(article, moderator, author):
    held = make_comment(article, author, status=CommentStatus.PENDING)
    decisions.comment_approve(actor=moderator, comment=held)
    with pytest.raises(InvalidInput) as refusal:
        decisions.comment_approve(actor=moderator, comment=held.pk)
    assert refusal.value.code == "already_published"
    assert counts(held)[:2] == (1, 1)
    assert ModerationDecision.objects.filter(comment=held).count() == 1


def test_keeping_a_reported_comment_closes_its_reports_and_tells_nobody(
    article, moderator, author, received, django_capture_on_commit_callbacks
):
    comment = make_comment(article, author)
    report(comment)
    report(comment)
    with django_capture_on_commit_callbacks(execute=True):
        decisions.comment_approve(actor=moderator, comment=comment)
    comment.refresh_from_db()
    assert comment.status == CommentStatus.PUBLISHED
    assert comment.report_count == 0
    assert not Report.objects.filter(comment=comment, resolved_at__isnull=True).exists()
    assert counts(comment)[:2] == (1, 1)  # already counted
    assert received == []


def test_approving_a_comment_hidden_by_reports_brings_it_back(
    article, moderator, author, received, django_capture_on_commit_callbacks
):
    comment = hide_after_reports(make_comment(article, author))
    assert counts(comment)[0] == 0
    with django_capture_on_commit_callbacks(execute=True):
        decisions.comment_approve(actor=moderator, comment=comment)
    comment.refresh_from_db()
    assert (comment.status, comment.held_reason, comment.report_count) == (
        CommentStatus.PUBLISHED,
        HeldReason.NONE,
        0,
    )
    assert counts(comment)[0] == 1
    assert sent(received) == ["comment_published", "comment_decided"]


def test_a_comment_its_author_deleted_is_neither_approved_nor_rejected(article, moderator, author):
    tombstone = make_comment(article, author, status=CommentStatus.DELETED, body="")
    with pytest.raises(InvalidInput, match="deleted"):
        decisions.comment_approve(actor=moderator, comment=tombstone)
    with pytest.raises(InvalidInput, match="deleted"):
        decisions.comment_reject(actor=moderator, comment=tombstone, reason="spam")
    assert not ModerationDecision.objects.exists()


def test_a_missing_comment_is_a_message_not_a_crash(moderator):
    with pytest.raises(InvalidInput, match="no longer exists"):
        decisions.comment_approve(actor=moderator, comment=987654)


# -- rejecting ----------------------------------------------------------------------------
def test_rejecting_a_published_featured_reply_uncounts_it_and_tells_the_author_why(
    article, moderator, author, received, django_capture_on_commit_callbacks
):
    parent = make_comment(article, make_commenter())
    comment = make_comment(article, author, parent=parent)
    decisions.comment_feature(actor=moderator, comment=comment)
    received.clear()
    report(comment)
    before = counts(comment)
    with django_capture_on_commit_callbacks(execute=True):
        decision = decisions.comment_reject(
            actor=moderator, comment=comment, reason="abuse", explanation="Name-calling."
        )
    comment.refresh_from_db()
    assert comment.status == CommentStatus.REJECTED
    assert comment.featured_at is None
    assert comment.report_count == 0
    assert comment.rejection_reason == "It is abusive or offensive. Name-calling."
    assert decision.reason == comment.rejection_reason
    # The author's count is the probation count: it never goes down.
    assert counts(comment) == (before[0] - 1, before[1], before[2] - 1)
    assert sorted(sent(received)) == ["comment_changed", "comment_decided"]


def test_rejecting_a_held_comment_changes_no_count(article, moderator, author):
    held = make_comment(article, author, status=CommentStatus.PENDING)
    decisions.comment_reject(actor=moderator, comment=held, reason="spam")
    held.refresh_from_db()
    assert held.status == CommentStatus.REJECTED
    assert counts(held)[:2] == (0, 0)


def test_a_moderator_may_change_their_mind_about_a_rejection(article, moderator, author):
    held = make_comment(article, author, status=CommentStatus.PENDING)
    decisions.comment_reject(actor=moderator, comment=held, reason="spam")
    with pytest.raises(InvalidInput, match="already rejected"):
        decisions.comment_reject(actor=moderator, comment=held, reason="spam")
    decisions.comment_approve(actor=moderator, comment=held)
    held.refresh_from_db()
    assert (held.status, held.rejection_reason) == (CommentStatus.PUBLISHED, "")
    assert counts(held)[:2] == (1, 1)


@pytest.mark.parametrize(
    ("reason", "explanation", "message"),
    [
        ("", "", "Choose why"),
        ("nonsense", "", "Choose why"),
        ("other", "x" * 1001, "under 1000 characters"),
    ],
)
def test_a_rejection_needs_a_known_reason_and_a_short_explanation(
    article, moderator, author, reason, explanation, message
):
    held = make_comment(article, author, status=CommentStatus.PENDING)
    with pytest.raises(InvalidInput, match=message):
        decisions.comment_reject(
            actor=moderator, comment=held, reason=reason, explanation=explanation
        )
    held.refresh_from_db()
    assert held.status == CommentStatus.PENDING
    assert not ModerationDecision.objects.exists()


# -- featuring ----------------------------------------------------------------------------
def test_featuring_picks_a_published_comment_once_and_says_who(
    article, moderator, author, received, django_capture_on_commit_callbacks
):
    comment = make_comment(article, author)
    with django_capture_on_commit_callbacks(execute=True):
        decisions.comment_feature(actor=moderator, comment=comment)
    comment.refresh_from_db()
    assert comment.featured_at is not None
    assert received == [("comment_featured", {"comment": comment, "actor": moderator})]
    with pytest.raises(InvalidInput, match="already featured"):
        decisions.comment_feature(actor=moderator, comment=comment)
    decisions.comment_unfeature(actor=moderator, comment=comment)
    comment.refresh_from_db()
    assert comment.featured_at is None
    with pytest.raises(InvalidInput, match="not featured"):
        decisions.comment_unfeature(actor=moderator, comment=comment)
    assert list(
        ModerationDecision.objects.filter(comment=comment).values_list("action", flat=True)
    ) == [ModerationAction.UNFEATURE, ModerationAction.FEATURE]


@pytest.mark.parametrize(
    "status", [CommentStatus.PENDING, CommentStatus.REJECTED, CommentStatus.HIDDEN]
)
def test_only_a_published_comment_is_featured(article, moderator, author, status):
    comment = make_comment(article, author, status=status)
    with pytest.raises(InvalidInput, match="Only a published comment"):
        decisions.comment_feature(actor=moderator, comment=comment)


# -- many at once -------------------------------------------------------------------------
def test_a_bulk_approval_decides_what_fits_and_skips_the_rest_with_the_reason(
    article, moderator, author
):
    held = [make_comment(article, author, status=CommentStatus.PENDING) for _ in range(3)]
    deleted = make_comment(article, author, status=CommentStatus.DELETED)
    result = decisions.comments_decide(
        actor=moderator, action="approve", comment_ids=[*(c.pk for c in held), deleted.pk]
    )
    assert [d.comment_id for d in result.decided] == [c.pk for c in held]
    assert result.skipped == [
        (deleted.pk, "Its author deleted this comment; there is nothing to approve.")
    ]
    assert counts(held[0])[:2] == (3, 3)


def test_a_bulk_rejection_gives_every_author_the_reason(article, moderator, author):
    held = [make_comment(article, author, status=CommentStatus.PENDING) for _ in range(2)]
    result = decisions.comments_decide(
        actor=moderator,
        action="reject",
        comment_ids=[c.pk for c in held],
        reason="spam",
    )
    assert len(result.decided) == 2
    assert set(Comment.objects.values_list("rejection_reason", flat=True)) == {
        "It is spam or advertising."
    }


@pytest.mark.parametrize(
    ("action", "ids", "reason", "message"),
    [
        ("delete", [1], "", "Choose what to do"),
        ("approve", [], "", "Select at least one"),
        ("approve", list(range(1, 202)), "", "at most 200"),
        ("reject", [1], "", "Choose why"),
    ],
)
def test_a_bulk_decision_refuses_bad_input_before_deciding_anything(
    article, moderator, author, action, ids, reason, message
):
    make_comment(article, author, status=CommentStatus.PENDING)
    with pytest.raises(InvalidInput, match=message):
        decisions.comments_decide(actor=moderator, action=action, comment_ids=ids, reason=reason)
    assert not ModerationDecision.objects.exists()


# -- readers ------------------------------------------------------------------------------
def test_a_warning_is_logged_and_told_to_the_reader(
    moderator, author, received, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        decision = decisions.reader_warn(
            actor=moderator, user=author.user, reason="Keep it civil.", note="Second time"
        )
    assert (decision.action, decision.reader, decision.reason, decision.note) == (
        ModerationAction.WARN,
        author.user,
        "Keep it civil.",
        "Second time",
    )
    assert received == [("reader_decided", {"user": author.user, "decision": decision})]
    author.refresh_from_db()
    assert author.status == CommenterStatus.ACTIVE


@time_machine.travel(dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC), tick=False)
def test_a_suspension_runs_for_the_days_given_and_lifting_it_restores_the_reader(moderator, author):
    decisions.reader_suspend(actor=moderator, user=author.user, days=7, reason="Flaming")
    author.refresh_from_db()
    assert author.status == CommenterStatus.SUSPENDED
    assert author.suspended_until == dt.datetime(2026, 3, 8, 12, tzinfo=dt.UTC)
    decisions.reader_unban(actor=moderator, user=author.user)
    author.refresh_from_db()
    assert (author.status, author.suspended_until) == (CommenterStatus.ACTIVE, None)
    with pytest.raises(InvalidInput, match="neither banned nor suspended"):
        decisions.reader_unban(actor=moderator, user=author.user)


@pytest.mark.parametrize("days", [0, -1, 366, True, "7"])
def test_a_suspension_is_from_1_to_365_days(moderator, author, days):
    with pytest.raises(InvalidInput, match="1 to 365 days"):
        decisions.reader_suspend(actor=moderator, user=author.user, days=days, reason="x")
    author.refresh_from_db()
    assert author.status == CommenterStatus.ACTIVE


def test_a_ban_lasts_until_lifted_and_a_banned_reader_is_not_suspended(moderator, author):
    decisions.reader_suspend(actor=moderator, user=author.user, days=3, reason="Warned twice")
    decisions.reader_ban(actor=moderator, user=author.user, reason="Threats")
    author.refresh_from_db()
    assert (author.status, author.suspended_until) == (CommenterStatus.BANNED, None)
    with pytest.raises(InvalidInput, match="already banned"):
        decisions.reader_ban(actor=moderator, user=author.user, reason="Again")
    with pytest.raises(InvalidInput, match="lift the ban"):
        decisions.reader_suspend(actor=moderator, user=author.user, days=3, reason="x")


def test_a_ban_may_reject_the_readers_held_comments_each_with_its_decision(
    article, moderator, author
):
    held = [make_comment(article, author, status=CommentStatus.PENDING) for _ in range(2)]
    published = make_comment(article, author)
    decisions.reader_ban(actor=moderator, user=author.user, reason="Spam run", reject_pending=True)
    assert {c.status for c in Comment.objects.filter(pk__in=[c.pk for c in held])} == {
        CommentStatus.REJECTED
    }
    published.refresh_from_db()
    assert published.status == CommentStatus.PUBLISHED
    assert sorted(ModerationDecision.objects.values_list("action", flat=True)) == [
        "ban",
        "reject",
        "reject",
    ]


@pytest.mark.parametrize("decide", ["reader_warn", "reader_ban"])
@pytest.mark.parametrize("reason", ["", "   ", "x" * 1001])
def test_warnings_and_bans_need_a_reason_the_reader_can_read(moderator, author, decide, reason):
    with pytest.raises(InvalidInput):
        getattr(decisions, decide)(actor=moderator, user=author.user, reason=reason)
    assert not ModerationDecision.objects.exists()


def test_premoderation_holds_every_comment_until_switched_off_and_stays_among_moderators(
    moderator, author, received, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        decisions.reader_premoderate(actor=moderator, user=author.user, on=True)
        author.refresh_from_db()
        assert author.always_premoderate
        with pytest.raises(InvalidInput, match="already held"):
            decisions.reader_premoderate(actor=moderator, user=author.user, on=True)
        decisions.reader_premoderate(actor=moderator, user=author.user, on=False)
    author.refresh_from_db()
    assert not author.always_premoderate
    assert list(ModerationDecision.objects.values_list("action", flat=True)) == [
        ModerationAction.UNPREMODERATE,
        ModerationAction.PREMODERATE,
    ]
    assert received == []


def test_notes_replace_the_standing_notes_and_the_log_keeps_each_text(moderator, author):
    decisions.reader_note(actor=moderator, user=author.user, notes="Often sarcastic.")
    decisions.reader_note(actor=moderator, user=author.user, notes="Apologised.")
    author.refresh_from_db()
    assert author.moderator_notes == "Apologised."
    assert list(ModerationDecision.objects.values_list("note", flat=True)) == [
        "Apologised.",
        "Often sarcastic.",
    ]
    with pytest.raises(InvalidInput, match="unchanged"):
        decisions.reader_note(actor=moderator, user=author.user, notes="Apologised.")


def test_a_reader_who_never_commented_has_nothing_to_moderate(moderator):
    with pytest.raises(InvalidInput, match="never commented"):
        decisions.reader_warn(actor=moderator, user=ReaderFactory(), reason="x")


# -- who may decide -----------------------------------------------------------------------
DECISIONS = [
    ("comment_approve", lambda c, a: {"comment": c}),
    ("comment_reject", lambda c, a: {"comment": c, "reason": "spam"}),
    ("comment_feature", lambda c, a: {"comment": c}),
    ("comment_unfeature", lambda c, a: {"comment": c}),
    ("comments_decide", lambda c, a: {"action": "approve", "comment_ids": [c.pk]}),
    ("reader_warn", lambda c, a: {"user": a.user, "reason": "x"}),
    ("reader_suspend", lambda c, a: {"user": a.user, "days": 1, "reason": "x"}),
    ("reader_ban", lambda c, a: {"user": a.user, "reason": "x"}),
    ("reader_unban", lambda c, a: {"user": a.user}),
    ("reader_premoderate", lambda c, a: {"user": a.user, "on": True}),
    ("reader_note", lambda c, a: {"user": a.user, "notes": "x"}),
]
ROLES = {
    "anonymous": lambda author: None,
    "the author": lambda author: author.user,
    "another reader": lambda author: ReaderFactory(verified=True),
    "staff without the permission": lambda author: ReaderFactory(staff=True),
    "an inactive moderator": lambda author: make_moderator(is_active=False),
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("name", "arguments"), DECISIONS, ids=[d[0] for d in DECISIONS])
def test_only_moderators_decide(article, author, role, name, arguments):
    comment = make_comment(article, author)
    actor = ROLES[role](author)
    with pytest.raises(NotAllowed) as refusal:
        getattr(decisions, name)(actor=actor, **arguments(comment, author))
    assert refusal.value.code == "not_moderator"
    assert not ModerationDecision.objects.exists()
    comment.refresh_from_db()
    assert comment.status == CommentStatus.PUBLISHED


def test_a_superuser_moderates_without_the_group(article, author):
    held = make_comment(article, author, status=CommentStatus.PENDING)
    decisions.comment_approve(actor=ReaderFactory(editor=True), comment=held)
    held.refresh_from_db()
    assert held.status == CommentStatus.PUBLISHED


# -- opening and closing ------------------------------------------------------------------
def test_a_moderator_closes_and_reopens_an_articles_comments(article, moderator):
    decisions.conversation_set_closed(actor=moderator, page=article, closed=True, note="Trolls")
    conversation = Conversation.objects.get(page=article)
    assert conversation.closed
    with pytest.raises(InvalidInput, match="already closed"):
        decisions.conversation_set_closed(actor=moderator, page=article, closed=True)
    decisions.conversation_set_closed(actor=moderator, page=article, closed=False)
    conversation.refresh_from_db()
    assert not conversation.closed
    assert list(
        ModerationDecision.objects.filter(conversation=conversation).values_list(
            "action", flat=True
        )
    ) == [ModerationAction.OPEN, ModerationAction.CLOSE]


def test_an_editor_of_the_article_may_close_its_comments_but_moderate_nothing(article, author):
    editor = ReaderFactory(staff=True)
    editor.user_permissions.add(
        Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin")
    )
    group = Group.objects.create(name="Section editors")
    GroupPagePermission.objects.create(
        group=group, page=article.get_parent(), permission_type="change"
    )
    editor.groups.add(group)
    decisions.conversation_set_closed(actor=editor, page=article, closed=True)
    assert Conversation.objects.get(page=article).closed
    with pytest.raises(NotAllowed):
        decisions.comment_approve(
            actor=editor, comment=make_comment(article, author, status=CommentStatus.PENDING)
        )


@pytest.mark.parametrize("role", ["anonymous", "another reader", "staff without the permission"])
def test_readers_and_other_staff_do_not_close_comments(article, author, role):
    with pytest.raises(NotAllowed):
        decisions.conversation_set_closed(actor=ROLES[role](author), page=article, closed=True)
    assert not Conversation.objects.filter(page=article, closed=True).exists()


# -- the reader's data --------------------------------------------------------------------
def test_the_export_shows_decisions_about_the_reader_and_erasure_unlinks_both_sides(
    article, moderator, author
):
    held = make_comment(article, author, status=CommentStatus.PENDING)
    decisions.comment_reject(actor=moderator, comment=held, reason="spam", note="Bot-like")
    decisions.reader_warn(actor=moderator, user=author.user, reason="No adverts")
    exported = export_decisions(author.user)
    assert [row["action"] for row in exported] == ["reject", "warn"]
    assert all("note" not in row and "actor" not in row for row in exported)
    assert erase_decisions(author.user) == {"decisions_unlinked": 2}
    assert erase_decisions(moderator) == {"decisions_unlinked": 2}
    assert ModerationDecision.objects.filter(reader=None, actor=None).count() == 2
