"""The shared tables core keeps: the email outbox.

Invariant: one OutboxEmail row is one email a reader should get exactly once. It is
written in the same transaction as the change that causes it, so an email exists if and
only if its cause committed; its `key` is unique, so the same cause cannot queue the
same email twice. The row holds what is needed to render the email when it is sent (a
renderer's dotted path and JSON parameters, never a secret), and the delivery state.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class OutboxStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting to be sent")
    SENDING = "sending", _("Being sent")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    # The row the email was about has gone (e.g. the account was deleted first).
    CANCELLED = "cancelled", _("Not needed any more")


class OutboxEmail(models.Model):
    key = models.CharField(_("idempotency key"), max_length=200, unique=True)
    renderer = models.CharField(_("renderer"), max_length=200)
    params = models.JSONField(_("parameters"), default=dict)
    status = models.CharField(
        _("status"), max_length=16, choices=OutboxStatus.choices, default=OutboxStatus.QUEUED
    )
    # Set when the row is written, so every attempt carries the same Message-ID and a
    # resend after a crash is recognisable as the same message.
    message_id = models.CharField(_("Message-ID"), max_length=255, unique=True)
    # Filled in at the first attempt, for staff to see what failed.
    recipient = models.CharField(_("recipient"), max_length=320, blank=True)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), default=timezone.now)
    # While `sending`, the worker holding the row owns it until then; after that the
    # row is taken back (the worker is presumed dead).
    lease_until = models.DateTimeField(_("lease until"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("outgoing email")
        verbose_name_plural = _("outgoing emails")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="core_outbox_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.subject or self.renderer} → {self.recipient or '?'} ({self.status})"
