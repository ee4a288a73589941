"""Who may read how much: the editors' rules, the premium meter and the wall's counters.

Invariants:
- The database holds the truth about the meter. `MeterMonth` has one row per reader per
  calendar month (site timezone) whose `used` never exceeds the allowance in force when
  it was raised: it only grows through a conditional upsert (`services.meter_view`).
- `MeterRead` has at most one row per reader, article and month (a unique constraint),
  so a premium article is counted at most once a month however often it is opened.
- `WallStat` rows are daily counters, one per (article, day, kind), raised with a single
  upsert; they hold no personal data.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, URLValidator
from django.db import models
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting

from .benefits import enabled_features, parse_line, unknown_tags

# Stored defaults are data editors then edit, so they are plain text (marked for
# extraction with gettext_noop) rather than lazy translations frozen into a migration.
# A line tagged [feature] is shown only while that part of the site runs (benefits.py).
DEFAULT_BENEFITS = "\n".join(
    [
        gettext_noop("{allowance} premium articles every month"),
        "[newsletters] " + gettext_noop("Newsletters written for registered readers"),
        "[comments] " + gettext_noop("A voice in the comments under every story"),
        "[events] " + gettext_noop("Invitations to our virtual events"),
    ]
)


def validate_link(value: str) -> None:
    """A full http(s) address, or a path on this site."""
    if value.startswith("/") and not value.startswith("//"):
        return
    URLValidator(
        schemes=["http", "https"],
        message=_("Enter a full address starting with https://, or a path such as /subscribe/."),
    )(value)


DEFAULT_HEADING = gettext_noop("Register for free to continue reading")
DEFAULT_BUTTON = gettext_noop("Create your free account")


@register_setting(icon="lock")
class AccessSettings(BaseSiteSetting):
    """The wall and the meter as editors tune them, per site."""

    lead_in_paragraphs = models.PositiveSmallIntegerField(
        _("lead-in paragraphs"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(20)],
        help_text=_(
            "How many paragraphs a reader without access sees before the wall, unless the "
            "article has a 'Wall here' marker."
        ),
    )
    lead_in_share = models.PositiveSmallIntegerField(
        _("largest share of an article before the wall (%)"),
        default=35,
        validators=[MinValueValidator(5), MaxValueValidator(90)],
        help_text=_(
            "The lead-in never holds more than this share of an article's words, even when "
            "the paragraph count or a 'Wall here' marker would show more, so a gated "
            "article always keeps most of itself behind the wall."
        ),
    )
    premium_allowance = models.PositiveSmallIntegerField(
        _("premium articles per month"),
        default=5,
        validators=[MaxValueValidator(1000)],
        help_text=_("How many premium articles a registered reader opens each calendar month."),
    )
    unlimited_groups = models.ManyToManyField(
        Group,
        blank=True,
        related_name="+",
        verbose_name=_("groups that read premium without limit"),
        help_text=_("For example subscribers and newsroom staff. Their reading is never counted."),
    )
    anonymous_registration_reads = models.PositiveSmallIntegerField(
        _("free registration articles for visitors"),
        default=0,
        validators=[MaxValueValidator(50)],
        help_text=_(
            "How many registration articles a visitor without an account reads in full each "
            "month before the wall. 0 keeps every registration article behind the wall (and "
            "lets a CDN cache those pages for visitors)."
        ),
    )
    verify_crawlers = models.BooleanField(
        _("full text for verified search engines"),
        default=False,
        help_text=_(
            "Give gated articles in full to search engine crawlers whose address is verified "
            "by reverse and forward DNS. Never on the strength of a User-Agent alone."
        ),
    )
    wall_heading = models.CharField(_("wall heading"), max_length=120, default=DEFAULT_HEADING)
    wall_benefits = models.TextField(
        _("wall benefits"),
        default=DEFAULT_BENEFITS,
        help_text=_(
            "One benefit per line. {allowance} is replaced by the monthly premium allowance "
            "(the line is hidden while the allowance is 0). Start a line with [newsletters], "
            "[comments] or [events] to show it only while that part of the site is running."
        ),
    )
    wall_button = models.CharField(_("wall button"), max_length=60, default=DEFAULT_BUTTON)
    subscribe_url = models.CharField(
        _("subscribe page"),
        max_length=300,
        blank=True,
        validators=[validate_link],
        help_text=_(
            "Where a reader whose premium allowance is used up can subscribe: a full "
            "address (https://...) or a path on this site (/subscribe/). Leave empty to "
            "show no Subscribe link."
        ),
    )

    panels = [
        MultiFieldPanel(
            [
                FieldPanel("lead_in_paragraphs"),
                FieldPanel("lead_in_share"),
                FieldPanel("premium_allowance"),
            ],
            heading=_("Reading rules"),
        ),
        FieldPanel("unlimited_groups", widget=forms.CheckboxSelectMultiple),
        FieldPanel("anonymous_registration_reads"),
        FieldPanel("verify_crawlers"),
        MultiFieldPanel(
            [
                FieldPanel("wall_heading"),
                FieldPanel("wall_benefits"),
                FieldPanel("wall_button"),
                FieldPanel("subscribe_url"),
            ],
            heading=_("The wall's words"),
        ),
    ]

    class Meta:
        verbose_name = _("Registration wall and meter")

    # Editors' words are shown as written; the shipped defaults (marked with
    # gettext_noop) are translated into the reader's language while unchanged.
    def benefits(self) -> list[str]:
        """The benefit lines for what the site offers now: a line tagged with a part of
        the site that is off, or counting an allowance of 0, is left out."""
        enabled = enabled_features()
        shown = []
        for raw in self.wall_benefits.splitlines():
            feature, line = parse_line(raw.strip())
            line = line.strip()
            if not line or (feature and feature not in enabled):
                continue
            if "{allowance}" in line and not self.premium_allowance:
                continue
            shown.append(gettext(line).replace("{allowance}", str(self.premium_allowance)))
        return shown

    def clean(self) -> None:
        super().clean()
        unknown = unknown_tags(self.wall_benefits or "")
        if unknown:
            raise ValidationError(
                {
                    "wall_benefits": _(
                        "[%(tags)s] is not a part of the site. Use [newsletters], [comments] "
                        "or [events], or no tag for a line that is always shown."
                    )
                    % {"tags": "], [".join(unknown)}
                }
            )

    def heading(self) -> str:
        return gettext(self.wall_heading)

    def button(self) -> str:
        return gettext(self.wall_button)


class MeterMonth(models.Model):
    """How many premium articles a reader has opened in one calendar month."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="meter_months"
    )
    month = models.DateField(help_text=_("The first day of the month, in the site's timezone."))
    used = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "month"], name="access_metermonth_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.month:%Y-%m}: {self.used}"


class MeterRead(models.Model):
    """A premium article counted against a reader's allowance in a month."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="meter_reads"
    )
    # Any page that is a `GatedArticle` (access.articles): access names no content model.
    article = models.ForeignKey(
        "wagtailcore.Page", on_delete=models.CASCADE, related_name="meter_reads"
    )
    month = models.DateField()
    first_read_at = models.DateTimeField()
    last_read_at = models.DateTimeField()
    reads = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "article", "month"], name="access_meterread_unique"
            )
        ]
        indexes = [models.Index(fields=["user", "month"])]
        ordering = ["-first_read_at"]

    def __str__(self) -> str:
        return f"{self.user_id} read {self.article_id} in {self.month:%Y-%m}"


class WallEvent(models.TextChoices):
    IMPRESSION = "impression", _("Registration wall shown")
    STARTED = "started", _("Registration started")
    COMPLETED = "completed", _("Registration completed")
    PREMIUM_WALL = "premium_wall", _("Premium wall shown")


class WallStat(models.Model):
    """A daily counter of one wall event for one article."""

    # Any page that is a `GatedArticle` (access.articles): access names no content model.
    article = models.ForeignKey(
        "wagtailcore.Page", on_delete=models.CASCADE, related_name="wall_stats"
    )
    day = models.DateField()
    kind = models.CharField(max_length=20, choices=WallEvent.choices)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["article", "day", "kind"], name="access_wallstat_unique"
            )
        ]
        indexes = [models.Index(fields=["day"])]

    def __str__(self) -> str:
        return f"{self.article_id} {self.day} {self.kind}: {self.count}"
