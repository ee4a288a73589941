"""Virtual events: the pages editors publish, and the readers who register for them.

Invariants:
- An event's start and end are typed as wall times in a named timezone and stored also
  as exact instants (`starts_at`, `ends_at`, UTC in the database), computed on every
  save; a wall time the clocks skip is refused and one they repeat must be chosen
  (`masthead.events.timing`). An event ends after it starts.
- The platform's join link (`join_url`) is never rendered in a public page, feed or
  cache: readers get a signed personal link (`masthead.events.links`).
- A reader has at most one Registration per event (a database constraint). At most
  `capacity` registrations are CONFIRMED: every write that can change the count holds
  the event's EventState row locked (`select_for_update`, services.py).
- What a revision must never roll back (the invitations' SEQUENCE, what was last
  announced, the cancellation) lives in EventState, outside the page: Wagtail writes a
  page's every field back from a revision when it is published.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.http import HttpRequest
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Orderable, Page
from wagtail.search import index

from masthead.content.blocks import VideoBlock
from masthead.core.middleware import has_session_cookie

from .timing import Occurrence, WallTimeError, instant


def _zone_choices() -> list[tuple[str, str]]:
    return [(name, name.replace("_", " ")) for name in sorted(zoneinfo.available_timezones())]


def _default_zone() -> str:
    return str(settings.TIME_ZONE)


class Audience(models.TextChoices):
    REGISTERED = "registered", _("Registered readers")
    PREMIUM = "premium", _("Premium readers only (unlimited access)")


OCCURRENCE_CHOICES = [
    (Occurrence.UNSET.value, _("Not needed")),
    (Occurrence.EARLIER.value, _("The first time (before the clocks go back)")),
    (Occurrence.LATER.value, _("The second time (after the clocks go back)")),
]


def _occurrence_field(verbose_name: Any, **options: Any) -> models.CharField:
    """Which of the two moments a wall time above means, where it happens twice."""
    return models.CharField(
        verbose_name, max_length=10, blank=True, default="", choices=OCCURRENCE_CHOICES, **options
    )


class EventIndexPage(Page):
    """The events listing: upcoming events first, then past ones with recordings."""

    intro = models.CharField(max_length=300, blank=True)
    on_front_page = models.BooleanField(
        _("show upcoming events on the front page"),
        default=False,
        help_text=_("Adds a short list of the next events to the front page."),
    )

    content_panels = [*Page.content_panels, FieldPanel("intro"), FieldPanel("on_front_page")]
    parent_page_types = ["content.HomePage"]
    subpage_types = ["events.EventPage"]
    max_count = 1
    template = "events/event_index_page.html"

    def get_context(self, request: HttpRequest, *args: Any, **kwargs: Any) -> dict:
        from . import selectors  # selectors import these models

        context = super().get_context(request, *args, **kwargs)
        context.update(selectors.listing(index=self))
        return context


class EventPage(Page):
    standfirst = models.CharField(
        max_length=300, help_text=_("One or two sentences: what the event is about.")
    )
    description = RichTextField(features=["h2", "h3", "bold", "italic", "link", "ol", "ul"])
    start_date = models.DateField(_("start date"))
    start_time = models.TimeField(_("start time"))
    end_date = models.DateField(_("end date"))
    end_time = models.TimeField(_("end time"))
    time_zone = models.CharField(
        _("timezone"),
        max_length=64,
        default=_default_zone,
        choices=_zone_choices,
        help_text=_("The timezone the dates and times above are in."),
    )
    start_occurrence = _occurrence_field(
        _("if the start time happens twice"),
        help_text=_("Only on the night the clocks go back, when a time happens twice."),
    )
    end_occurrence = _occurrence_field(_("if the end time happens twice"))
    starts_at = models.DateTimeField(editable=False, null=True, db_index=True)
    ends_at = models.DateTimeField(editable=False, null=True)
    capacity = models.PositiveIntegerField(
        default=100,
        validators=[MinValueValidator(1), MaxValueValidator(1_000_000)],
        help_text=_("How many readers may attend. Others join a waiting list."),
    )
    deadline_date = models.DateField(
        _("registration deadline: date"),
        null=True,
        blank=True,
        help_text=_("Leave both empty to take registrations until the start."),
    )
    deadline_time = models.TimeField(
        _("registration deadline: time"),
        null=True,
        blank=True,
        help_text=_("In the event's timezone, like the start and end."),
    )
    deadline_occurrence = _occurrence_field(_("if the deadline time happens twice"))
    # The deadline's instant, computed from the wall time above in the event's timezone.
    registration_deadline = models.DateTimeField(editable=False, null=True, blank=True)
    audience = models.CharField(
        _("who may register"),
        max_length=20,
        choices=Audience.choices,
        default=Audience.REGISTERED,
    )
    join_url = models.URLField(
        _("join link"),
        blank=True,
        help_text=_(
            "The platform's address (Zoom, YouTube Live...). Never shown on the page: each "
            "registered reader gets a personal link that opens it shortly before the start."
        ),
    )
    recording = StreamField(
        [("video", VideoBlock())],
        blank=True,
        help_text=_("After the event: shown to readers who may register for it."),
    )

    content_panels = [
        *Page.content_panels,
        FieldPanel("standfirst"),
        FieldPanel("description"),
        InlinePanel("speakers", label=_("Speakers")),
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("start_date"), FieldPanel("start_time")]),
                FieldRowPanel([FieldPanel("end_date"), FieldPanel("end_time")]),
                FieldPanel("time_zone"),
                FieldRowPanel([FieldPanel("start_occurrence"), FieldPanel("end_occurrence")]),
            ],
            heading=_("When"),
        ),
        MultiFieldPanel(
            [
                FieldPanel("capacity"),
                FieldRowPanel(
                    [
                        FieldPanel("deadline_date"),
                        FieldPanel("deadline_time"),
                        FieldPanel("deadline_occurrence"),
                    ],
                    heading=_("Registration deadline"),
                ),
                FieldPanel("audience"),
                FieldPanel("join_url"),
            ],
            heading=_("Registration"),
        ),
        FieldPanel("recording"),
    ]
    search_fields = [*Page.search_fields, index.SearchField("standfirst")]
    parent_page_types = ["events.EventIndexPage"]
    subpage_types: list[str] = []
    template = "events/event_page.html"

    class Meta:
        verbose_name = _("event")

    # -- times ---------------------------------------------------------------------------
    def times_errors(self) -> dict[str, list[str]]:
        """Compute starts_at/ends_at from the wall times; the editor's messages, by field."""
        errors: dict[str, list[str]] = {}
        start = end = None
        for name, date, time, occurrence in (
            ("start", self.start_date, self.start_time, self.start_occurrence),
            ("end", self.end_date, self.end_time, self.end_occurrence),
        ):
            if date is None or time is None:
                continue
            try:
                value = instant(date, time, self.time_zone, occurrence)
            except WallTimeError as error:
                errors.setdefault(
                    "time_zone" if error.code == "unknown-zone" else f"{name}_time", []
                ).append(_wall_time_message(error))
                continue
            if name == "start":
                start = value
            else:
                end = value
        if start is not None and end is not None and end <= start:
            errors.setdefault("end_time", []).append(
                str(_("The event must end after it starts. Check the end date and time."))
            )
        deadline = self._deadline(errors)
        if not errors:
            self.starts_at, self.ends_at = start, end
            self.registration_deadline = deadline
        return errors

    def _deadline(self, errors: dict[str, list[str]]) -> dt.datetime | None:
        """The deadline's instant: its wall time read in the event's timezone (never the
        site's or the editor's), so a newsroom in London setting "18:00" for an event in
        Tokyo means 18:00 in Tokyo, on either side of a clock change."""
        date, time = self.deadline_date, self.deadline_time
        if date is None and time is None:
            return None
        if date is None or time is None:
            errors.setdefault("deadline_date" if date is None else "deadline_time", []).append(
                str(_("Give the deadline's date and time, or leave both empty."))
            )
            return None
        try:
            return instant(date, time, self.time_zone, self.deadline_occurrence)
        except WallTimeError as error:
            if error.code != "unknown-zone":  # already said under the timezone
                errors.setdefault("deadline_time", []).append(_wall_time_message(error))
            return None

    def clean(self) -> None:
        super().clean()
        errors = self.times_errors()
        deadline = None if errors else self.registration_deadline
        if deadline is not None and self.ends_at and deadline > self.ends_at:
            errors.setdefault("deadline_date", []).append(
                str(_("The registration deadline must be before the event ends."))
            )
        if deadline is not None and deadline <= timezone.now() and self._deadline_changed():
            errors.setdefault("deadline_date", []).append(
                str(
                    _(
                        "That deadline has already passed: readers could not register. Choose "
                        "a later one, or leave it empty to take registrations until the start."
                    )
                )
            )
        if errors:
            raise ValidationError(errors)

    def _deadline_changed(self) -> bool:
        if not self.pk:
            return True
        stored = (
            EventPage.objects.filter(pk=self.pk)
            .values_list("registration_deadline", flat=True)
            .first()
        )
        return stored != self.registration_deadline

    def save(self, *args: Any, **kwargs: Any) -> None:
        errors = self.times_errors()
        if errors:
            raise ValidationError(errors)
        super().save(*args, **kwargs)

    @property
    def closes_at(self) -> dt.datetime | None:
        """When registration closes: the deadline, or the start."""
        return self.registration_deadline or self.starts_at

    @property
    def local_deadline(self) -> dt.datetime | None:
        """When registration closes, in the event's timezone (for the page)."""
        closes = self.closes_at
        return closes.astimezone(self.zone) if closes else None

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    @property
    def local_start(self) -> dt.datetime | None:
        return self.starts_at.astimezone(self.zone) if self.starts_at else None

    @property
    def local_end(self) -> dt.datetime | None:
        return self.ends_at.astimezone(self.zone) if self.ends_at else None

    @cached_property
    def speaker_list(self) -> list[EventSpeaker]:
        return list(self.speakers.select_related("author"))

    def get_context(self, request: HttpRequest, *args: Any, **kwargs: Any) -> dict:
        from . import selectors  # selectors import these models

        context = super().get_context(request, *args, **kwargs)
        context.update(selectors.event_page_context(event=self, request=request))
        return context

    def serve(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        from . import selectors

        # A signed-in reader's choice of timezone for event times is kept (in their
        # session); an anonymous reader's stays in the address, so the page a shared
        # cache keeps for an address is the same for everyone.
        chosen = request.GET.get(selectors.ZONE_PARAM, "").strip()
        if chosen and has_session_cookie(request) and request.user.is_authenticated:
            if chosen == selectors.EVENT_ZONE:
                request.session.pop(selectors.ZONE_SESSION_KEY, None)
            elif chosen in selectors.zone_names():
                request.session[selectors.ZONE_SESSION_KEY] = chosen
        response = super().serve(request, *args, **kwargs)
        if (
            response.status_code == 200
            and not response.has_header("Cache-Control")
            and not has_session_cookie(request)
        ):
            # A shared cache may keep the anonymous page (it is the same for everyone),
            # but a browser must ask again: the reader who registers from it comes back
            # signed in, and their copy must not be the anonymous one.
            patch_cache_control(
                response,
                public=True,
                max_age=0,
                must_revalidate=True,
                s_maxage=settings.PUBLIC_CACHE_SECONDS,
            )
        return response


def _wall_time_message(error: WallTimeError) -> str:
    when = error.local.strftime("%H:%M on %d %B %Y")
    if error.code == "skipped":
        return str(
            _(
                "%(when)s does not exist in %(zone)s: the clocks go forward that night and "
                "skip it. Choose a time outside the skipped hour."
            )
            % {"when": when, "zone": error.zone}
        )
    if error.code == "repeated":
        return str(
            _(
                "%(when)s happens twice in %(zone)s: the clocks go back that night. Say "
                "which one you mean under 'if the time happens twice'."
            )
            % {"when": when, "zone": error.zone}
        )
    return str(_("Choose a timezone from the list."))


class EventSpeaker(Orderable):
    """A speaker: one of the newsroom's authors, or a guest by name."""

    page = ParentalKey(EventPage, on_delete=models.CASCADE, related_name="speakers")
    author = models.ForeignKey(
        "content.Author", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    name = models.CharField(
        max_length=120, blank=True, help_text=_("A guest's name (leave empty for an author).")
    )
    role = models.CharField(max_length=160, blank=True)

    panels = [FieldPanel("author"), FieldPanel("name"), FieldPanel("role")]

    def clean(self) -> None:
        super().clean()
        if not self.author_id and not self.name.strip():
            raise ValidationError({"name": _("Choose an author or type a guest's name.")})

    @property
    def display_name(self) -> str:
        return self.name or (self.author.name if self.author else "")

    @property
    def display_role(self) -> str:
        return self.role or (self.author.role if self.author else "")

    def __str__(self) -> str:
        return self.display_name


class EventState(models.Model):
    """What registrations and invitations rely on, outside the page's revisions.

    Its row is what registrations lock: one row per event.
    """

    event = models.OneToOneField(EventPage, on_delete=models.CASCADE, related_name="state")
    sequence = models.PositiveIntegerField(default=0)
    announced = models.CharField(max_length=128, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"event {self.event_id} (sequence {self.sequence})"


class Registration(models.Model):
    class Status(models.TextChoices):
        CONFIRMED = "confirmed", _("Registered")
        WAITING = "waiting", _("On the waiting list")
        CANCELLED = "cancelled", _("Cancelled")

    event = models.ForeignKey(EventPage, on_delete=models.CASCADE, related_name="registrations")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="event_registrations"
    )
    status = models.CharField(max_length=12, choices=Status.choices)
    # The waiting list's order: when the reader (last) asked for a place.
    queued_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    attended = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["event", "user"], name="events_one_registration_each")
        ]
        indexes = [models.Index(fields=["event", "status", "queued_at"])]

    def __str__(self) -> str:
        return f"{self.user_id} → {self.event_id} ({self.status})"


class EventMessage(models.Model):
    """A message an editor sent to everyone registered for an event (kept for the record)."""

    event = models.ForeignKey(EventPage, on_delete=models.CASCADE, related_name="messages")
    subject = models.CharField(max_length=150)
    body = models.TextField(max_length=5000)
    sent_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.subject
