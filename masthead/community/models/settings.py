"""The community's site settings, as editors tune them in Wagtail's Settings menu.

Every limit the moderation pipeline, the rate limits and the closing rule read lives
here, one row per site (`CommunitySettings.for_site`); the defaults are the issue's.
"""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting


class EraseMode(models.TextChoices):
    ANONYMISE = "anonymise", _("Keep the comments, without the reader's name")
    REMOVE = "remove", _("Remove the comments' text (replies stay in place)")


@register_setting(icon="comment")
class CommunitySettings(BaseSiteSetting):
    """Comment moderation, limits and closing rules, per site."""

    max_comment_length = models.PositiveIntegerField(
        _("longest comment (characters)"),
        default=2000,
        validators=[MinValueValidator(50), MaxValueValidator(20000)],
    )
    edit_window_minutes = models.PositiveSmallIntegerField(
        _("minutes a reader may edit a comment"),
        default=5,
        validators=[MaxValueValidator(1440)],
        help_text=_("0 turns editing off."),
    )
    close_after_days = models.PositiveSmallIntegerField(
        _("close comments after (days)"),
        default=30,
        validators=[MaxValueValidator(3650)],
        help_text=_("Days after an article's first publication. 0 keeps comments open."),
    )
    report_hide_threshold = models.PositiveSmallIntegerField(
        _("reports that hide a comment"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text=_("A comment with this many open reports is hidden until a moderator decides."),
    )
    probation_count = models.PositiveSmallIntegerField(
        _("comments held for a new commenter"),
        default=0,
        validators=[MaxValueValidator(100)],
        help_text=_("The first comments of a new commenter wait for a moderator. 0 holds none."),
    )
    premoderate_all = models.BooleanField(
        _("hold every comment for a moderator"),
        default=False,
    )
    hold_links = models.BooleanField(
        _("hold comments with links"),
        default=False,
    )
    banned_words = models.TextField(
        _("banned words"),
        blank=True,
        help_text=_("One word or phrase per line. A comment using one is refused with a message."),
    )
    suspect_words = models.TextField(
        _("suspect words"),
        blank=True,
        help_text=_("One word or phrase per line. A comment using one waits for a moderator."),
    )
    erase_mode = models.CharField(
        _("when a reader erases their account"),
        max_length=12,
        choices=EraseMode.choices,
        default=EraseMode.ANONYMISE,
    )
    comment_interval_seconds = models.PositiveSmallIntegerField(
        _("seconds between two comments"),
        default=3,
        validators=[MaxValueValidator(3600)],
    )
    comment_burst = models.PositiveSmallIntegerField(
        _("comments per 10 minutes"),
        default=10,
        validators=[MinValueValidator(1), MaxValueValidator(1000)],
    )
    reactions_per_minute = models.PositiveSmallIntegerField(
        _("likes per minute"),
        default=60,
        validators=[MinValueValidator(1), MaxValueValidator(1000)],
    )
    follows_per_minute = models.PositiveSmallIntegerField(
        _("follows and mutes per minute"),
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(1000)],
        help_text=_("Following, unfollowing, muting and unmuting readers count together."),
    )
    reports_per_hour = models.PositiveSmallIntegerField(
        _("reports per hour"),
        default=20,
        validators=[MinValueValidator(1), MaxValueValidator(1000)],
    )
    repeat_window_minutes = models.PositiveSmallIntegerField(
        _("minutes in which the same text counts as a repeat"),
        default=6,
        validators=[MaxValueValidator(1440)],
    )

    panels = [
        MultiFieldPanel(
            [
                FieldPanel("max_comment_length"),
                FieldPanel("edit_window_minutes"),
                FieldPanel("close_after_days"),
            ],
            heading=_("Comments"),
        ),
        MultiFieldPanel(
            [
                FieldPanel("premoderate_all"),
                FieldPanel("probation_count"),
                FieldPanel("hold_links"),
                FieldPanel("banned_words"),
                FieldPanel("suspect_words"),
                FieldPanel("report_hide_threshold"),
            ],
            heading=_("Moderation"),
        ),
        MultiFieldPanel(
            [
                FieldPanel("comment_interval_seconds"),
                FieldPanel("comment_burst"),
                FieldPanel("reactions_per_minute"),
                FieldPanel("follows_per_minute"),
                FieldPanel("reports_per_hour"),
                FieldPanel("repeat_window_minutes"),
            ],
            heading=_("Limits"),
        ),
        FieldPanel("erase_mode"),
    ]

    class Meta:
        verbose_name = _("Comments and community")

    def word_list(self, field: str) -> list[str]:
        """The non-empty lines of `banned_words` or `suspect_words`, casefolded."""
        text = getattr(self, field) or ""
        return [line.strip().casefold() for line in text.splitlines() if line.strip()]
