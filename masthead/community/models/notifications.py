"""Notifications to readers and their delivery choices (owned by community-notify).

Invariants:
- At most one notification per (recipient, event_key), by a unique constraint, so
  several reasons or a retried worker still notify once. The event key names the event,
  never the reason: "comment:<id>" (a comment became visible), "featured:<id>",
  "decision:<id>" (a moderation decision).
- `delivery` is how the reader chose, when the notification was made, to hear of its
  kind (site, immediate or digest; "off" makes no notification). `emailed_at` is set
  when its email (immediate, or the digest holding it) is queued, in the same
  transaction as the outbox row, so each notification is emailed at most once.
- `action` and `detail` keep what the reader must be told that could change later (a
  moderation decision's action and the moderator's reason), as they were when the
  notification was made.
- One preference per (user, kind); a kind without a row has its default
  (services.notifications.DEFAULT_DELIVERY).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class NotificationKind(models.TextChoices):
    REPLY = "reply", _("A reply to my comment")
    MENTION = "mention", _("A mention of my name")
    FOLLOWED_COMMENT = "followed_comment", _("A new comment by someone I follow")
    THREAD_REPLY = "thread_reply", _("A reply in a conversation I follow")
    FEATURED = "featured", _("My comment was featured")
    MODERATION = "moderation", _("A moderation decision about my comment")


class Delivery(models.TextChoices):
    OFF = "off", _("Off")
    SITE = "site", _("On the site only")
    IMMEDIATE = "immediate", _("On the site and by email at once")
    DIGEST = "digest", _("On the site and in a daily email")


class Notification(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=20, choices=NotificationKind.choices)
    event_key = models.CharField(max_length=100)
    comment = models.ForeignKey(
        "community.Comment",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    delivery = models.CharField(max_length=12, choices=Delivery.choices, default=Delivery.SITE)
    # For moderation notifications: the decision's action and the moderator's reason.
    action = models.CharField(max_length=12, blank=True)
    detail = models.TextField(blank=True)
    created = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "event_key"], name="one_notification_per_event"
            ),
        ]
        indexes = [
            models.Index(fields=["recipient", "read_at", "-created"], name="notification_inbox"),
            models.Index(fields=["recipient", "-id"], name="notification_list"),
            models.Index(
                fields=["recipient", "created"],
                name="notification_digest_due",
                condition=models.Q(delivery="digest", emailed_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.recipient_id}"


class NotificationPreference(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notification_preferences",
    )
    kind = models.CharField(max_length=20, choices=NotificationKind.choices)
    delivery = models.CharField(max_length=12, choices=Delivery.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="one_preference_per_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.kind}: {self.delivery}"
