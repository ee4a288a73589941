"""Newsletters a reader can choose, their subscriptions, and the ledger of choices.

Invariants: a reader has at most one Subscription row per newsletter (a database
constraint); every change of a marketing choice adds a MarketingChoice row with its
time and source, and those rows are never edited.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.snippets.models import register_snippet


@register_snippet
class Newsletter(models.Model):
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=120, unique=True)
    description = models.CharField(max_length=300, blank=True)
    cadence = models.CharField(max_length=60, blank=True, help_text=_("e.g. 'Every weekday'"))
    is_offered = models.BooleanField(
        default=True, help_text=_("Offered at registration and in the account page.")
    )
    sort_order = models.PositiveSmallIntegerField(default=0)

    panels = [
        FieldPanel("name"),
        FieldPanel("slug"),
        FieldPanel("description"),
        FieldPanel("cadence"),
        FieldPanel("is_offered"),
        FieldPanel("sort_order"),
    ]

    class Meta:
        ordering = ["sort_order", "name"]

    def __str__(self) -> str:
        return self.name


class Subscription(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="subscriptions"
    )
    newsletter = models.ForeignKey(
        Newsletter, on_delete=models.CASCADE, related_name="subscriptions"
    )
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    changed_at = models.DateTimeField(default=timezone.now)
    source = models.CharField(max_length=60, help_text=_("e.g. signup, account, unsubscribe"))

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "newsletter"], name="newsletters_one_subscription_each"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id} → {self.newsletter_id} ({'on' if self.active else 'off'})"


class MarketingChoice(models.Model):
    """Append-only: one row per choice a reader made, with when and where."""

    class Action(models.TextChoices):
        SUBSCRIBE = "subscribe", _("Subscribed")
        UNSUBSCRIBE = "unsubscribe", _("Unsubscribed")
        STOP_ALL = "stop_all", _("Stopped all marketing email")
        RESUME = "resume", _("Allowed marketing email again")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="marketing_choices",
    )
    newsletter = models.ForeignKey(
        Newsletter, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=20, choices=Action.choices)
    source = models.CharField(max_length=60)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.action} {self.newsletter_id or 'all'} via {self.source}"


class MarketingPreference(models.Model):
    """The reader's one switch for all marketing email (at most one row per reader).

    While `marketing_stopped` is on, no newsletter or other marketing email goes to the
    reader whatever their subscriptions say. The row is created on first change; no
    row means marketing email is allowed.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="marketing_preference",
    )
    marketing_stopped = models.BooleanField(default=False)
    changed_at = models.DateTimeField(default=timezone.now)
    source = models.CharField(max_length=60, blank=True)

    def __str__(self) -> str:
        return f"{self.user_id}: {'stopped' if self.marketing_stopped else 'allowed'}"
