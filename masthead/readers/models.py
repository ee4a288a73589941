"""The reader (user) model.

Invariant: an email address belongs to at most one account, case-insensitively and
whatever form of its domain was typed. The database enforces it with a unique
constraint on the lower-cased address and another on `email_identity` (the
one-mailbox key of `readers.addresses`, kept in step with `email` on every save), so
two simultaneous sign-ups for `A@x.com` and `a@x.com`, or for `x@straße.example` and
`x@strasse.example`, cannot both succeed, whatever form or app server they come through.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.fields import RichTextField
from wagtail.models import Page
from wagtail.search import index

from .addresses import email_identity, email_lookup_form


def normalize_email_address(email: str) -> str:
    """The stored form of an address (readers.addresses), never raising.

    The domain is IDNA 2008-mapped; the local part is lower-cased too, because allauth
    matches addresses in lower case and a stored `Zoe.Reader@...` would otherwise never
    receive its password-reset or sign-in-code email. No mail provider a reader is
    likely to use treats the local part's case as significant.
    """
    return email_lookup_form(email)


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def get_by_natural_key(self, username: str | None) -> User:
        # Lower("email") is exactly what the unique index covers: an index lookup.
        email = normalize_email_address(username or "")
        return self.alias(email_lower=Lower("email")).get(email_lower=email)

    def _create_user(self, email: str, password: str | None, **extra: Any) -> User:
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=normalize_email_address(email), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra["is_staff"] = True
        extra["is_superuser"] = True
        return self._create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField(_("email address"), max_length=254)
    first_name = models.CharField(_("first name"), max_length=40, blank=True)
    last_name = models.CharField(_("last name"), max_length=40, blank=True)
    date_of_birth = models.DateField(_("date of birth"), null=True, blank=True)
    is_staff = models.BooleanField(
        _("staff status"),
        default=False,
        help_text=_("Can sign in to the editors' admin."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)
    # Derived from `email` in save(); NULL only for a row the data migration could not
    # key without colliding with an older account (see migration 0005).
    email_identity = models.CharField(max_length=254, null=True, blank=True, editable=False)

    objects = UserManager()

    EMAIL_FIELD = "email"
    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = ["first_name", "last_name"]

    class Meta:
        verbose_name = _("reader")
        verbose_name_plural = _("readers")
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                name="readers_user_email_ci_unique",
                violation_error_message=_("An account with this email address already exists."),
            ),
            models.UniqueConstraint(
                fields=["email_identity"],
                name="readers_user_email_identity_unique",
                violation_error_message=_("An account with this email address already exists."),
            ),
        ]

    def __str__(self) -> str:
        return self.email

    def clean(self) -> None:
        super().clean()
        self.email = normalize_email_address(self.email)

    def save(self, *args: Any, **kwargs: Any) -> None:
        update_fields = kwargs.get("update_fields")
        if update_fields is None or "email" in update_fields:
            self.email_identity = email_identity(self.email) if self.email else None
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "email_identity"}
        super().save(*args, **kwargs)

    def get_full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def get_short_name(self) -> str:
        return self.first_name


class LegalDocument(models.TextChoices):
    TERMS = "terms", _("Terms of use")
    COOKIES = "cookies", _("Cookie policy")
    PRIVACY = "privacy", _("Privacy notice")


class ConsentRecord(models.Model):
    """An append-only record that a reader accepted a version of a legal document.

    Rows are never updated: a new version accepted is a new row. When an account is
    erased the row loses its link to the person (user, ip, user agent) but keeps what
    was accepted and when, as the minimal audit trail.
    """

    user = models.ForeignKey(
        User, null=True, on_delete=models.SET_NULL, related_name="consent_records"
    )
    document = models.CharField(max_length=20, choices=LegalDocument.choices)
    version = models.CharField(max_length=40)
    accepted_at = models.DateTimeField(default=timezone.now)
    source = models.CharField(max_length=60, help_text=_("Where it was given, e.g. signup."))
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-accepted_at", "-pk"]
        indexes = [models.Index(fields=["user", "document"])]

    def __str__(self) -> str:
        return f"{self.document} v{self.version} at {self.accepted_at:%Y-%m-%d %H:%M}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk and not kwargs.pop("erasing", False):
            raise ValueError("Consent records are append-only.")
        super().save(*args, **kwargs)


class LegalPage(Page):
    """The terms of use, cookie policy or privacy notice: an editable page with a version.

    Registration records which version of each the reader accepted (ConsentRecord);
    editors raise the version when the text changes materially.
    """

    document = models.CharField(max_length=20, choices=LegalDocument.choices, unique=True)
    version = models.CharField(
        max_length=40, default="1", help_text=_("Raise it when the text changes materially.")
    )
    effective_from = models.DateField(default=timezone.localdate)
    body = RichTextField(features=["h2", "h3", "bold", "italic", "link", "ol", "ul"])

    content_panels = [
        *Page.content_panels,
        FieldPanel("document"),
        FieldPanel("version"),
        FieldPanel("effective_from"),
        FieldPanel("body"),
    ]
    parent_page_types = ["content.HomePage", "content.InfoPage"]
    subpage_types: list[str] = []
    template = "readers/legal_page.html"
    search_fields = [*Page.search_fields, index.SearchField("body")]


from .privacy_models import AccountErasure  # noqa: E402, F401  (the erasure audit row)
