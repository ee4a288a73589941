"""The community's emails: one notification at once, or the daily digest (core.email).

Invariants:
- Both are outbox renderers: their parameters are ids (stored on the outbox row); they
  load the rows when the email is sent and return None (cancelling it) when there is
  nothing left to say: the notification is gone or read, the reader no longer wants
  that kind by email, the comment is no longer published, or the address is no longer
  verified.
- Every one carries a signed one-click unsubscribe (List-Unsubscribe and
  List-Unsubscribe-Post, RFC 8058) for its kind, or for the digest; it turns only that
  email off.
- Wording comes from selectors_notifications.describe, as on the site; names are display
  names only. Links are absolute, on MASTHEAD_BASE_URL.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.urls import reverse
from django.utils.translation import gettext as _

from masthead.core import email

from .models import Delivery, Notification, NotificationKind
from .selectors_notifications import NotificationView, describe, with_rows

TEMPLATES = "community/email"


def _absolute(path: str) -> str:
    return str(settings.WAGTAILADMIN_BASE_URL).rstrip("/") + path


def unsubscribe_url(*, user_id: int, kind: str) -> str:
    # Local: the services import this module's renderers when they queue email.
    from .services.notifications import unsubscribe_token

    return _absolute(
        reverse("community:unsubscribe", args=[unsubscribe_token(user_id=user_id, kind=kind)])
    )


def _links(user_id: int, kind: str) -> dict[str, str]:
    return {
        "base_url": str(settings.WAGTAILADMIN_BASE_URL),
        "account_url": _absolute(reverse("community:notification-preferences")),
        "notifications_url": _absolute(reverse("community:notifications")),
        "preferences_url": _absolute(reverse("community:notification-preferences")),
        "unsubscribe_url": unsubscribe_url(user_id=user_id, kind=kind),
    }


def _still_emailable(user: Any) -> bool:
    # Local, as in unsubscribe_url.
    from .services.notifications import _verified_ids

    return user.is_active and user.pk in _verified_ids([user.pk])


def _wants(user: Any, kind: str, delivery: str) -> bool:
    # Local, as in unsubscribe_url.
    from .services.notifications import preferences_for

    return preferences_for(user)[kind] == delivery


def _item(view: NotificationView) -> dict[str, str]:
    return {
        "text": view.text,
        "excerpt": view.excerpt,
        "url": _absolute(view.path) if view.path else "",
    }


def _openable(view: NotificationView) -> bool:
    """A notification about a comment that is no longer shown says nothing worth email."""
    notification = view.notification
    if notification.kind == NotificationKind.MODERATION:
        return True
    return bool(view.path)


@email.renderer
def notification_email(*, notification_id: int) -> EmailMultiAlternatives | None:
    notification = (
        with_rows(Notification.objects.filter(pk=notification_id))
        .select_related("recipient")
        .first()
    )
    if notification is None or notification.read_at is not None:
        return None
    user = notification.recipient
    if not _still_emailable(user) or not _wants(user, notification.kind, Delivery.IMMEDIATE):
        return None
    view = describe(notification)
    if not _openable(view):
        return None
    return email.message(
        f"{TEMPLATES}/notification",
        to=user.email,
        context={
            **_links(user.pk, notification.kind),
            "item": _item(view),
            "subject": view.text.rstrip("."),
        },
        list_unsubscribe=email.Unsubscribe(
            url=unsubscribe_url(user_id=user.pk, kind=notification.kind)
        ),
    )


@email.renderer
def digest_email(*, user_id: int, notification_ids: list[int]) -> EmailMultiAlternatives | None:
    notifications = list(
        with_rows(
            Notification.objects.filter(
                pk__in=notification_ids, recipient_id=user_id, read_at__isnull=True
            )
        )
        .select_related("recipient")
        .order_by("-id")
    )
    if not notifications:
        return None
    user = notifications[0].recipient
    if not _still_emailable(user):
        return None
    views = [v for v in (describe(n) for n in notifications) if _openable(v)]
    if not views:
        return None
    return email.message(
        f"{TEMPLATES}/digest",
        to=user.email,
        context={
            **_links(user.pk, "digest"),
            "items": [_item(v) for v in views],
            "count": len(views),
            "title": _("Your comment notifications"),
        },
        list_unsubscribe=email.Unsubscribe(url=unsubscribe_url(user_id=user.pk, kind="digest")),
    )
