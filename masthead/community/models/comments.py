"""Commenters, conversations, comments and what readers do to comments.

Invariants:
- A `Commenter` is a reader's public face: one per user, created at the first comment
  with a display name unique case-insensitively (`display_name_key` holds the casefolded
  form under a unique constraint, so the database settles races).
- A `Conversation` exists once per page (one-to-one) and is created by the first comment;
  `published_count` is the number of published comments, kept by the services with F()
  updates, so listings show counts without counting.
- Threads: `parent` is the comment replied to (null for a top comment), `root` the
  thread's top comment (null for a top comment itself), `depth` 0 for a top comment.
  `nest_parent` is the comment a reply is listed under: its parent while the parent's
  depth is at most MAX_NEST_DEPTH, else the parent's own `nest_parent`. So replies nest
  down to depth MAX_NEST_DEPTH + 1 (a reply to a depth-3 comment); anything deeper is
  listed flat beside them, under their ancestor at depth MAX_NEST_DEPTH, with "in reply
  to NAME" (parent != nest_parent).
- A comment is never deleted while its conversation exists: deleting leaves a tombstone
  (status DELETED, body emptied), so the thread keeps its shape.
- `body` is the text as typed (after sanitising); `body_html` its safe rendering
  (rendering.render_body), written by the services whenever the body changes.
- One `Like` per reader and comment, one `Report` per reader and comment (unique
  constraints); `like_count`/`report_count` mirror them via F() updates.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# Replies nest down to this depth; deeper replies are listed under their ancestor at
# this depth (see nest_parent).
MAX_NEST_DEPTH = 3


class CommenterStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    SUSPENDED = "suspended", _("Suspended")
    BANNED = "banned", _("Banned")


class Commenter(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="commenter"
    )
    display_name = models.CharField(_("display name"), max_length=30)
    display_name_key = models.CharField(max_length=120, unique=True, editable=False)
    created = models.DateTimeField(auto_now_add=True)
    status = models.CharField(
        max_length=12, choices=CommenterStatus.choices, default=CommenterStatus.ACTIVE
    )
    suspended_until = models.DateTimeField(null=True, blank=True)
    always_premoderate = models.BooleanField(_("always hold for a moderator"), default=False)
    published_count = models.PositiveIntegerField(default=0)
    moderator_notes = models.TextField(blank=True)

    class Meta:
        verbose_name = _("commenter")

    def __str__(self) -> str:
        return self.display_name


class Conversation(models.Model):
    page = models.OneToOneField(
        "wagtailcore.Page", on_delete=models.CASCADE, related_name="conversation"
    )
    closed = models.BooleanField(_("closed by an editor"), default=False)
    published_count = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("conversation")

    def __str__(self) -> str:
        return str(self.page)


class CommentStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for a moderator")
    PUBLISHED = "published", _("Published")
    REJECTED = "rejected", _("Rejected")
    DELETED = "deleted", _("Deleted by its author")
    HIDDEN = "hidden", _("Hidden after reports, waiting for a moderator")


class HeldReason(models.TextChoices):
    NONE = "", _("Not held")
    SUSPECT_WORD = "suspect_word", _("Uses a suspect word")
    LINK = "link", _("Contains a link")
    PROBATION = "probation", _("New commenter")
    READER = "reader", _("The reader's comments are always held")
    SITE = "site", _("Every comment is held")
    REPORTS = "reports", _("Reported by readers")


class Comment(models.Model):
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="comments"
    )
    author = models.ForeignKey(
        Commenter, on_delete=models.SET_NULL, null=True, blank=True, related_name="comments"
    )
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="replies"
    )
    root = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="thread"
    )
    nest_parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="nested"
    )
    depth = models.PositiveSmallIntegerField(default=0)
    body = models.TextField()
    body_html = models.TextField(blank=True)
    mentions = models.ManyToManyField(Commenter, blank=True, related_name="mentioned_in")
    status = models.CharField(
        max_length=12, choices=CommentStatus.choices, default=CommentStatus.PENDING
    )
    held_reason = models.CharField(
        max_length=20, choices=HeldReason.choices, default=HeldReason.NONE, blank=True
    )
    rejection_reason = models.TextField(blank=True)
    featured_at = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(default=timezone.now, db_index=True)
    edited_at = models.DateTimeField(null=True, blank=True)
    like_count = models.PositiveIntegerField(default=0)
    reply_count = models.PositiveIntegerField(default=0)
    report_count = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("comment")
        indexes = [
            models.Index(
                fields=["conversation", "status", "-created", "-id"], name="comment_newest"
            ),
            models.Index(
                fields=["conversation", "status", "-like_count", "-id"], name="comment_liked"
            ),
            models.Index(fields=["root", "created", "id"], name="comment_thread"),
            models.Index(fields=["author", "-created", "-id"], name="comment_by_author"),
            models.Index(fields=["status", "created"], name="comment_queue"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk}"

    @property
    def thread_root_id(self) -> int | None:
        """The id of the thread's top comment (this one's own for a top comment)."""
        return self.root_id or self.pk

    @property
    def is_tombstone(self) -> bool:
        return self.status == CommentStatus.DELETED


class CommentRevision(models.Model):
    """An earlier text of an edited comment, kept for moderators."""

    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="revisions")
    body = models.TextField()
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created", "id"]

    def __str__(self) -> str:
        return f"revision of #{self.comment_id}"


class Like(models.Model):
    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="likes")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="comment_likes"
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["comment", "user"], name="one_like_per_reader")
        ]

    def __str__(self) -> str:
        return f"like of #{self.comment_id}"


class ReportReason(models.TextChoices):
    SPAM = "spam", _("Spam or advertising")
    ABUSE = "abuse", _("Abusive or offensive")
    HARASSMENT = "harassment", _("Harassment of a person")
    HATE = "hate", _("Hate speech")
    OFF_TOPIC = "off_topic", _("Off topic")
    OTHER = "other", _("Something else")


class Report(models.Model):
    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="reports")
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="comment_reports"
    )
    reason = models.CharField(max_length=12, choices=ReportReason.choices)
    text = models.TextField(blank=True)
    created = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["comment", "reporter"], name="one_report_per_reader")
        ]
        indexes = [models.Index(fields=["resolved_at", "created"], name="report_open")]

    def __str__(self) -> str:
        return f"report of #{self.comment_id}: {self.reason}"
