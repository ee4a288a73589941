"""The moderation audit log (owned by community-moderation).

Invariants:
- Every moderation decision writes one row (services.decisions); rows are never edited,
  only unlinked from a person when that person's account is erased.
- A row names what it is about: a comment (and then its author as `reader` and its
  conversation), a reader, or a conversation (opened or closed).
- The "moderate comments" permission lives on this model's Meta: it is what the
  moderation queue asks for (permissions.may_moderate).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ModerationAction(models.TextChoices):
    APPROVE = "approve", _("Approved")
    REJECT = "reject", _("Rejected")
    FEATURE = "feature", _("Featured")
    UNFEATURE = "unfeature", _("No longer featured")
    WARN = "warn", _("Warned")
    SUSPEND = "suspend", _("Suspended")
    BAN = "ban", _("Banned")
    UNBAN = "unban", _("Ban or suspension lifted")
    PREMODERATE = "premoderate", _("Always held for a moderator")
    UNPREMODERATE = "unpremoderate", _("No longer held for a moderator")
    NOTE = "note", _("Notes changed")
    CLOSE = "close", _("Comments closed")
    OPEN = "open", _("Comments opened")


class ModerationDecision(models.Model):
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    comment = models.ForeignKey(
        "community.Comment",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="decisions",
    )
    reader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="moderation_decisions",
    )
    conversation = models.ForeignKey(
        "community.Conversation",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="decisions",
    )
    action = models.CharField(max_length=20, choices=ModerationAction.choices)
    reason = models.TextField(blank=True)
    note = models.TextField(blank=True)
    created = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name = _("moderation decision")
        permissions = [("moderate_comments", _("Can moderate comments"))]

    def __str__(self) -> str:
        return f"{self.get_action_display()} #{self.pk}"
