"""The moderation audit log (owned by community-moderation).

Invariant: every moderation decision writes one row; rows are never edited.
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
    NOTE = "note", _("Note")
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
    action = models.CharField(max_length=12, choices=ModerationAction.choices)
    reason = models.TextField(blank=True)
    note = models.TextField(blank=True)
    created = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name = _("moderation decision")

    def __str__(self) -> str:
        return f"{self.action} #{self.pk}"
