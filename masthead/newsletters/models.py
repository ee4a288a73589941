"""Newsletters a reader can choose, their subscriptions, and the ledger of choices.

Invariants: a reader has at most one Subscription row per newsletter (a database
constraint); every change of a marketing choice, a reader's or an account-less
subscriber's, adds a MarketingChoice row with its time and source, and what those rows
say is never edited. Someone without an account joins an open newsletter as an
OpenSubscriber: one row per (newsletter, normalised address), a database constraint,
that receives issues only once its address is confirmed.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.admin.panels import FieldPanel, InlinePanel, MultiFieldPanel, PageChooserPanel
from wagtail.fields import RichTextField
from wagtail.models import Orderable


class Newsletter(models.Model):
    class Audience(models.TextChoices):
        REGISTERED = "registered", _("Registered readers only (exclusive)")
        OPEN = "open", _("Anyone, with double opt-in")

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=120, unique=True)
    description = models.CharField(max_length=300, blank=True)
    cadence = models.CharField(max_length=60, blank=True, help_text=_("e.g. 'Every weekday'"))
    sender_name = models.CharField(
        max_length=120, blank=True, help_text=_("Blank: the newsroom's name.")
    )
    sender_address = models.EmailField(
        blank=True, help_text=_("Blank: the newsroom's sending address.")
    )
    reply_to = models.EmailField(blank=True, help_text=_("Where replies go. Blank: no Reply-To."))
    audience = models.CharField(
        max_length=20, choices=Audience.choices, default=Audience.REGISTERED
    )
    throttle_per_minute = models.PositiveIntegerField(
        default=0,
        help_text=_(
            "At most this many messages a minute (0: as fast as the mail server takes "
            "them). Use a low number while a new sending domain builds its reputation."
        ),
    )
    is_offered = models.BooleanField(
        default=True, help_text=_("Offered at registration and in the account page.")
    )
    sort_order = models.PositiveSmallIntegerField(default=0)

    panels = [
        FieldPanel("name"),
        FieldPanel("slug"),
        FieldPanel("description"),
        FieldPanel("cadence"),
        MultiFieldPanel(
            [FieldPanel("sender_name"), FieldPanel("sender_address"), FieldPanel("reply_to")],
            heading=_("Sender"),
        ),
        FieldPanel("audience"),
        FieldPanel("throttle_per_minute"),
        FieldPanel("is_offered"),
        FieldPanel("sort_order"),
    ]

    class Meta:
        ordering = ["sort_order", "name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_exclusive(self) -> bool:
        return self.audience == self.Audience.REGISTERED


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


class OpenSubscriber(models.Model):
    """Someone with no account on an open newsletter (double opt-in), keyed by address.

    `pending` until the link emailed to the address is followed (`confirmed_at` set,
    `active`); `unsubscribed` after leaving. An unconfirmed row expires
    (`services.open_signups_expire`). When the address is a reader's proved (verified)
    address, the subscription goes on their account instead and no row is kept here:
    confirming puts it there, and proving the address later carries existing rows over
    (`services.open_signups_carry_over`).
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for confirmation")
        ACTIVE = "active", _("Subscribed")
        UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")

    newsletter = models.ForeignKey(
        Newsletter, on_delete=models.CASCADE, related_name="open_subscribers"
    )
    email = models.EmailField(max_length=254, help_text=_("Normalised (lower case, IDNA)."))
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(default=timezone.now)
    requested_at = models.DateTimeField(
        default=timezone.now, help_text=_("When the last confirmation email was sent.")
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["newsletter", "email"], name="newsletters_one_open_subscriber_each"
            )
        ]
        indexes = [models.Index(fields=["status", "requested_at"])]

    def __str__(self) -> str:
        return f"{self.email} → {self.newsletter_id} ({self.status})"


class MarketingChoice(models.Model):
    """Append-only: one row per marketing choice, with when and where it was made.

    A row is a reader's (`user`) or, on an open newsletter, an account-less subscriber's
    (`email`, the normalised address), never both (a check constraint). A reader's rows
    outlive an erasure unlinked (neither set: what was chosen, when and where, without
    the person); an address's rows are deleted when the address is erased. When an
    address becomes a reader's proved address, its rows become the reader's
    (`services.open_signups_carry_over`), so the account holds the whole history of its
    subscriptions, the double opt-in that began one included. What a row says is never
    edited; only whom it is about moves: from an address to the account that proved
    it, or to nobody.

    `subscriber_ref` is the id of the OpenSubscriber row a choice concerned (a number,
    not a foreign key: it stays when the row is gone), so a link in an issue sent to
    that row still finds the account its subscription moved to.
    """

    class Action(models.TextChoices):
        REQUEST = "request", _("Asked to subscribe (a confirmation link was emailed)")
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
    email = models.EmailField(
        max_length=254,
        blank=True,
        default="",
        help_text=_("An account-less subscriber's address (normalised); blank for a reader."),
    )
    subscriber_ref = models.BigIntegerField(
        null=True, blank=True, help_text=_("The id of the OpenSubscriber row it concerned.")
    )
    newsletter = models.ForeignKey(
        Newsletter, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=20, choices=Action.choices)
    source = models.CharField(max_length=60)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(user__isnull=True) | models.Q(email=""),
                name="newsletters_choice_reader_or_address",
            )
        ]
        indexes = [
            models.Index(
                fields=["email"],
                condition=~models.Q(email=""),
                name="newsletters_choice_address",
            ),
            models.Index(
                fields=["subscriber_ref"],
                condition=models.Q(subscriber_ref__isnull=False),
                name="newsletters_choice_subscriber",
            ),
        ]

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


class Suppression(models.Model):
    """An address no marketing email may go to (a hard bounce or a spam complaint).

    One row per address (lower-cased). A bounce may be lifted by the reader once they
    have fixed their address; a complaint only by the reader choosing newsletters again.
    """

    class Reason(models.TextChoices):
        BOUNCE = "bounce", _("The address bounced")
        COMPLAINT = "complaint", _("Marked as spam")

    email = models.EmailField(unique=True)
    reason = models.CharField(max_length=20, choices=Reason.choices)
    detail = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.email} ({self.reason})"


class NewsletterIssue(ClusterableModel):
    """One edition: an editorial introduction and chosen articles, sent once."""

    newsletter = models.ForeignKey(Newsletter, on_delete=models.PROTECT, related_name="issues")
    subject = models.CharField(max_length=150)
    preheader = models.CharField(
        max_length=150, blank=True, help_text=_("The line inboxes show after the subject.")
    )
    intro = RichTextField(
        features=["bold", "italic", "link", "ol", "ul"],
        blank=True,
        help_text=_("The editor's introduction."),
    )
    created_at = models.DateTimeField(default=timezone.now)

    panels = [
        FieldPanel("newsletter"),
        FieldPanel("subject"),
        FieldPanel("preheader"),
        FieldPanel("intro"),
        InlinePanel("articles", label=_("Articles"), heading=_("Articles")),
    ]

    class Meta:
        ordering = ["-created_at", "-pk"]
        permissions = [("send_newsletterissue", "Can send newsletter issues")]

    def __str__(self) -> str:
        return self.subject


class IssueArticle(Orderable):
    issue = ParentalKey(NewsletterIssue, on_delete=models.CASCADE, related_name="articles")
    page = models.ForeignKey("wagtailcore.Page", on_delete=models.CASCADE, related_name="+")

    panels = [PageChooserPanel("page", page_type="content.ArticlePage")]


class SendStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    SENDING = "sending", _("Sending")
    PAUSED = "paused", _("Paused")
    CANCELLED = "cancelled", _("Cancelled")
    SENT = "sent", _("Sent")


class Send(models.Model):
    """An issue going out: rendered once, to a recipient list fixed when it starts.

    At most one per issue. The rendered parts hold placeholders that are substituted
    per recipient; nothing else differs between two readers' copies.
    """

    issue = models.OneToOneField(NewsletterIssue, on_delete=models.PROTECT, related_name="send")
    status = models.CharField(max_length=20, choices=SendStatus.choices)
    scheduled_for = models.DateTimeField(default=timezone.now, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    frozen = models.BooleanField(default=False, help_text="Recipient list written.")
    total = models.PositiveIntegerField(default=0)
    batch_size = models.PositiveIntegerField(default=1000)
    throttle_per_minute = models.PositiveIntegerField(default=0)
    next_claim_at = models.DateTimeField(default=timezone.now)
    subject = models.CharField(max_length=300, blank=True)
    text = models.TextField(blank=True)
    html = models.TextField(blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"send {self.pk} of issue {self.issue_id} ({self.status})"


class BatchStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class Batch(models.Model):
    """A slice of a send's recipients, claimed by one worker at a time (row lock + lease)."""

    send = models.ForeignKey(Send, on_delete=models.CASCADE, related_name="batches")
    number = models.PositiveIntegerField()
    status = models.CharField(
        max_length=20, choices=BatchStatus.choices, default=BatchStatus.PENDING
    )
    run_after = models.DateTimeField(default=timezone.now)
    lease_until = models.DateTimeField(null=True, blank=True)
    claims = models.PositiveIntegerField(default=0, help_text="Fencing token.")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["send", "number"], name="newsletters_batch_once")
        ]
        indexes = [models.Index(fields=["send", "status", "run_after"])]

    def __str__(self) -> str:
        return f"batch {self.number} of send {self.send_id} ({self.status})"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    SKIPPED = "skipped", _("Not sent (unsubscribed or suppressed)")


class Delivery(models.Model):
    """One recipient of one send: a reader or an account-less subscriber, never both
    (a check constraint), and at most one per (send, reader) and per (send, subscriber)
    (unique constraints; NULLs do not collide)."""

    send = models.ForeignKey(Send, on_delete=models.CASCADE, related_name="deliveries")
    batch = models.ForeignKey(Batch, on_delete=models.CASCADE, related_name="deliveries")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    subscriber = models.ForeignKey(
        OpenSubscriber,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="deliveries",
    )
    status = models.CharField(
        max_length=20, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["send", "user"], name="newsletters_delivery_once"),
            models.UniqueConstraint(
                fields=["send", "subscriber"], name="newsletters_delivery_once_subscriber"
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(user__isnull=False, subscriber__isnull=True)
                    | models.Q(user__isnull=True, subscriber__isnull=False)
                ),
                name="newsletters_delivery_one_recipient",
            ),
        ]
        indexes = [models.Index(fields=["batch", "status"])]

    def __str__(self) -> str:
        who = f"reader {self.user_id}" if self.user_id else f"subscriber {self.subscriber_id}"
        return f"send {self.send_id} to {who} ({self.status})"
