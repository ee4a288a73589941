"""Notifications: the fan-out from the community's events, reading, preferences, emails.

Contract: every write of models/notifications goes through here, keyword-only. The
fan-out services take ids (they run in tasks, after the event committed) and return how
many notifications they made; running one twice makes no more.

Invariants:
- Exactly one notification per event and reader: an event has one key ("comment:<id>",
  "featured:<id>", "decision:<id>") whatever the reasons it matches for a reader, and
  the (recipient, event_key) unique constraint makes a retried or concurrent worker
  insert nothing new (bulk_create with ignore_conflicts).
- When a comment matches several reasons for a reader, the notification's kind is the
  first of REASON_ORDER (reply, mention, reply in a followed conversation, comment by a
  followed reader) whose delivery the reader has not switched off.
- Never for one's own action (the comment's author, the moderator deciding about their
  own comment), never from a reader the recipient mutes, never to an inactive account,
  and only for a comment that is still published when the worker runs.
- Email: an "immediate" notification queues one email in the transaction that makes
  it (outbox key "community:notification:<id>", so a retry queues nothing new) and
  marks it emailed; a "digest" one waits for `digests_send`, which claims the reader's
  due notifications (select_for_update, then emailed_at) and queues one email for them.
  Email goes only to a verified address; otherwise the notification stays on the site.
- Unsubscribing (a signed link per reader and kind, or "digest") only ever turns email
  off: the notifications stay on the site.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from typing import Any

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from masthead.core import email

from ..models import (
    Comment,
    CommentStatus,
    Delivery,
    Follow,
    ModerationDecision,
    Mute,
    Notification,
    NotificationKind,
    NotificationPreference,
    ThreadFollow,
)
from ..selectors_notifications import UNREAD_KEY
from .errors import InvalidInput

logger = logging.getLogger("masthead.community.notifications")

Kind = NotificationKind

DEFAULT_DELIVERY: dict[str, str] = {
    Kind.REPLY: Delivery.IMMEDIATE,
    Kind.MENTION: Delivery.IMMEDIATE,
    Kind.FOLLOWED_COMMENT: Delivery.SITE,
    Kind.THREAD_REPLY: Delivery.DIGEST,
    Kind.FEATURED: Delivery.IMMEDIATE,
    Kind.MODERATION: Delivery.IMMEDIATE,
}
# A reader may not switch off being told about decisions on their own comments.
ALLOWED_DELIVERY: dict[str, tuple[str, ...]] = {
    kind: tuple(Delivery.values)
    if kind != Kind.MODERATION
    else (Delivery.SITE, Delivery.IMMEDIATE, Delivery.DIGEST)
    for kind in Kind.values
}
# Which reason names the notification when a comment matches several for one reader.
REASON_ORDER = (Kind.REPLY, Kind.MENTION, Kind.THREAD_REPLY, Kind.FOLLOWED_COMMENT)
# Decisions a reader is told about (the others are the newsroom's own bookkeeping).
COMMENT_DECISIONS = ("approve", "reject")
READER_DECISIONS = ("warn", "suspend", "ban", "unban")
EMAILED = (Delivery.IMMEDIATE, Delivery.DIGEST)
# Whoever unsubscribes from the digest stops every kind they get in it.
DIGEST = "digest"
# A reader gets at most one digest in this time, however often the job runs.
DIGEST_GAP = dt.timedelta(hours=20)
DIGEST_MOST = 50
BATCH = 500
_UNSUBSCRIBE_SALT = "masthead.community.unsubscribe"


# -- preferences ------------------------------------------------------------------------
def preferences_for(user: Any) -> dict[str, str]:
    """Every kind's delivery for `user` (their choice, else the default), in kind order."""
    chosen = dict(NotificationPreference.objects.filter(user=user).values_list("kind", "delivery"))
    return {kind: chosen.get(kind, DEFAULT_DELIVERY[kind]) for kind in Kind.values}


def _deliveries(user_ids: Iterable[int]) -> dict[tuple[int, str], str]:
    return {
        (user_id, kind): delivery
        for user_id, kind, delivery in NotificationPreference.objects.filter(
            user_id__in=list(user_ids)
        ).values_list("user_id", "kind", "delivery")
    }


def preferences_set(*, user: Any, choices: dict[str, str]) -> dict[str, str]:
    """Save `user`'s delivery per kind (kinds left out keep theirs); the full result."""
    for kind, delivery in choices.items():
        if kind not in ALLOWED_DELIVERY:
            raise InvalidInput(_("There is no such kind of notification."), code="kind")
        if delivery not in ALLOWED_DELIVERY[kind]:
            raise InvalidInput(
                _("Choose how you want to hear about “%(kind)s”.") % {"kind": Kind(kind).label},
                code="delivery",
            )
    with transaction.atomic():
        for kind, delivery in choices.items():
            NotificationPreference.objects.update_or_create(
                user=user, kind=kind, defaults={"delivery": delivery}
            )
    return preferences_for(user)


def email_stop(*, user: Any, kind: str) -> list[str]:
    """Stop email for `kind` (or every kind in the digest): those kinds stay on the site.

    Returns the kinds changed (none when email was already off for them).
    """
    current = preferences_for(user)
    if kind == DIGEST:
        kinds = [k for k, d in current.items() if d == Delivery.DIGEST]
    elif kind in current:
        kinds = [kind] if current[kind] in EMAILED else []
    else:
        raise InvalidInput(_("There is no such kind of notification."), code="kind")
    preferences_set(user=user, choices=dict.fromkeys(kinds, Delivery.SITE))
    return kinds


# -- one-click unsubscribe --------------------------------------------------------------
def unsubscribe_token(*, user_id: int, kind: str) -> str:
    """A signed token naming a reader and a kind (or "digest"), for the unsubscribe link.

    It does not expire: an email's unsubscribe link must keep working. It grants nothing
    but turning that email off.
    """
    return signing.dumps([user_id, kind], salt=_UNSUBSCRIBE_SALT)


def unsubscribe_read(token: str) -> tuple[Any, str]:
    """The reader and kind a token names; InvalidInput if forged, damaged or stale."""
    try:
        user_id, kind = signing.loads(token, salt=_UNSUBSCRIBE_SALT)
    except (signing.BadSignature, TypeError, ValueError):
        raise InvalidInput(
            _("This unsubscribe link is not valid. Change your choices in your account instead."),
            code="bad_token",
        ) from None
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None or (kind != DIGEST and kind not in Kind.values):
        raise InvalidInput(
            _("This unsubscribe link is no longer valid. Change your choices in your account."),
            code="stale_token",
        )
    return user, kind


def unsubscribe(*, token: str) -> tuple[Any, str, list[str]]:
    """Apply a one-click unsubscribe: (the reader, the kind named, the kinds changed)."""
    user, kind = unsubscribe_read(token)
    return user, kind, email_stop(user=user, kind=kind)


# -- reading ------------------------------------------------------------------------------
def unread_changed(user_ids: Iterable[int]) -> None:
    """Drop the cached unread counts of these readers (the header's badge): now, and
    again once the change commits (a page read in between counted the old rows)."""
    keys = [f"{UNREAD_KEY}{pk}" for pk in set(user_ids)]
    if keys:
        cache.delete_many(keys)
        transaction.on_commit(lambda: cache.delete_many(keys))


def notification_read(*, user: Any, notification_id: int) -> bool:
    """Mark one of `user`'s notifications read; False if it is not theirs or was read."""
    marked = Notification.objects.filter(
        pk=notification_id, recipient=user, read_at__isnull=True
    ).update(read_at=timezone.now())
    if marked:
        unread_changed([user.pk])
    return bool(marked)


def notifications_read_all(*, user: Any) -> int:
    """Mark every unread notification of `user` read; how many."""
    marked = Notification.objects.filter(recipient=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    if marked:
        unread_changed([user.pk])
    return marked


# -- making notifications -----------------------------------------------------------------
def _verified_ids(user_ids: Iterable[int]) -> set[int]:
    """Which of these readers have a verified address to email (their account's own)."""
    User = get_user_model()
    ids = list(user_ids)
    if not ids:
        return set()
    emails = dict(User.objects.filter(pk__in=ids).values_list("pk", "email"))
    return {
        user_id
        for user_id, address in EmailAddress.objects.filter(
            user_id__in=ids, verified=True
        ).values_list("user_id", "email")
        if address.lower() == (emails.get(user_id) or "").lower()
    }


def _active(user_ids: Iterable[int]) -> set[int]:
    return set(
        get_user_model()
        .objects.filter(pk__in=list(user_ids), is_active=True)
        .values_list("pk", flat=True)
    )


def _make(
    *,
    event_key: str,
    kinds_by_user: dict[int, tuple[str, ...]],
    actor_id: int | None,
    comment_id: int | None,
    action: str = "",
    detail: str = "",
) -> int:
    """Insert one notification per reader for the event (the first kind they want);
    queue immediate emails. Returns how many notifications this call created."""
    users = _active(kinds_by_user)
    if actor_id is not None:
        users.discard(actor_id)
        users -= set(
            Mute.objects.filter(muter_id__in=users, muted_id=actor_id).values_list(
                "muter_id", flat=True
            )
        )
    if not users:
        return 0
    chosen = _deliveries(users)
    verified = _verified_ids(users)
    rows = []
    for user_id in sorted(users):
        for kind in kinds_by_user[user_id]:
            delivery = chosen.get((user_id, kind), DEFAULT_DELIVERY[kind])
            if delivery != Delivery.OFF:
                break
        else:
            continue
        if delivery in EMAILED and user_id not in verified:
            delivery = Delivery.SITE
        rows.append(
            Notification(
                recipient_id=user_id,
                kind=kind,
                event_key=event_key,
                comment_id=comment_id,
                actor_id=actor_id,
                delivery=delivery,
                action=action,
                detail=detail,
            )
        )
    with transaction.atomic():
        before = Notification.objects.filter(event_key=event_key).count()
        Notification.objects.bulk_create(rows, batch_size=BATCH, ignore_conflicts=True)
        made = Notification.objects.filter(event_key=event_key).count() - before
        unread_changed(row.recipient_id for row in rows)
        _email_immediate(event_key)
    return made


def _email_immediate(event_key: str) -> None:
    # Local: emails import the selectors, which import this app's models; kept out of
    # module load so the renderers register when the emails module is first imported.
    from ..emails import notification_email

    due = list(
        Notification.objects.select_for_update()
        .filter(event_key=event_key, delivery=Delivery.IMMEDIATE, emailed_at__isnull=True)
        .values_list("pk", flat=True)
    )
    if not due:
        return
    for notification_id in due:
        email.send(
            renderer=notification_email,
            params={"notification_id": notification_id},
            key=f"community:notification:{notification_id}",
        )
    Notification.objects.filter(pk__in=due).update(emailed_at=timezone.now())


def notify_comment_published(*, comment_id: int) -> int:
    """Tell whoever should know that a comment became visible (reply, mention, a
    followed conversation or reader). Idempotent."""
    comment = (
        Comment.objects.select_related("author", "parent__author")
        .filter(pk=comment_id, status=CommentStatus.PUBLISHED)
        .first()
    )
    if comment is None or comment.author is None:
        return 0
    actor_id = comment.author.user_id
    reasons: dict[int, list[str]] = {}

    def add(user_ids: Iterable[int], kind: str) -> None:
        for user_id in user_ids:
            reasons.setdefault(user_id, []).append(kind)

    if comment.parent is not None and comment.parent.author is not None:
        add([comment.parent.author.user_id], Kind.REPLY)
    add(comment.mentions.values_list("user_id", flat=True), Kind.MENTION)
    if comment.root_id is not None:
        add(
            ThreadFollow.objects.filter(root_id=comment.root_id).values_list("user_id", flat=True),
            Kind.THREAD_REPLY,
        )
    add(
        Follow.objects.filter(followee_id=actor_id).values_list("follower_id", flat=True),
        Kind.FOLLOWED_COMMENT,
    )
    kinds_by_user = {
        user_id: tuple(k for k in REASON_ORDER if k in kinds) for user_id, kinds in reasons.items()
    }
    return _make(
        event_key=f"comment:{comment.pk}",
        kinds_by_user=kinds_by_user,
        actor_id=actor_id,
        comment_id=comment.pk,
    )


def notify_comment_featured(*, comment_id: int, actor_id: int | None) -> int:
    """Tell a comment's author it was featured (once per comment, whoever featured it)."""
    comment = (
        Comment.objects.select_related("author")
        .filter(pk=comment_id, status=CommentStatus.PUBLISHED, featured_at__isnull=False)
        .first()
    )
    if comment is None or comment.author is None:
        return 0
    return _make(
        event_key=f"featured:{comment.pk}",
        kinds_by_user={comment.author.user_id: (Kind.FEATURED,)},
        actor_id=actor_id,
        comment_id=comment.pk,
    )


def notify_decision(*, decision_id: int) -> int:
    """Tell a reader of a moderation decision about their comment or about them."""
    decision = (
        ModerationDecision.objects.select_related("comment__author").filter(pk=decision_id).first()
    )
    if decision is None:
        return 0
    if decision.comment is not None and decision.action in COMMENT_DECISIONS:
        author = decision.comment.author
        reader_id = author.user_id if author is not None else None
    elif decision.comment is None and decision.action in READER_DECISIONS:
        reader_id = decision.reader_id
    else:
        return 0
    if reader_id is None:
        return 0
    return _make(
        event_key=f"decision:{decision.pk}",
        kinds_by_user={reader_id: (Kind.MODERATION,)},
        actor_id=decision.actor_id,
        comment_id=decision.comment_id,
        action=decision.action,
        detail=decision.reason,
    )


# -- the daily digest ---------------------------------------------------------------------
def _digest_due(now: dt.datetime) -> Any:
    return Notification.objects.filter(
        delivery=Delivery.DIGEST, emailed_at__isnull=True, created__lte=now
    )


def digest_send_for(*, user_id: int, now: dt.datetime | None = None) -> bool:
    """Queue one digest email for `user_id`'s due notifications; True when one was queued.

    Claims the rows first (select_for_update, then emailed_at), so two runs at once queue
    one email; read notifications are claimed but left out of the email.
    """
    # Local, as in _email_immediate.
    from ..emails import digest_email

    now = now or timezone.now()
    with transaction.atomic():
        recent = Notification.objects.filter(
            recipient_id=user_id, delivery=Delivery.DIGEST, emailed_at__gt=now - DIGEST_GAP
        ).exists()
        if recent:
            return False
        rows = list(
            _digest_due(now)
            .select_for_update()
            .filter(recipient_id=user_id)
            .order_by("-id")
            .values_list("pk", "read_at")
        )
        if not rows:
            return False
        claimed = Notification.objects.filter(
            pk__in=[pk for pk, _read in rows], emailed_at__isnull=True
        ).update(emailed_at=now)
        unread = [pk for pk, read_at in rows if read_at is None][:DIGEST_MOST]
        if not claimed or not unread:
            return False
        email.send(
            renderer=digest_email,
            params={"user_id": user_id, "notification_ids": unread},
            key=f"community:digest:{user_id}:{min(pk for pk, _read in rows)}",
        )
    return True


def digests_send(*, now: dt.datetime | None = None) -> int:
    """Queue the daily digest for every reader with due notifications; how many."""
    now = now or timezone.now()
    user_ids = _digest_due(now).order_by().values_list("recipient_id", flat=True).distinct()
    sent = 0
    for user_id in list(user_ids):
        try:
            sent += digest_send_for(user_id=user_id, now=now)
        except Exception:  # one reader's failure must not stop the others' digests
            logger.exception("could not queue the notification digest for reader %s", user_id)
    return sent
