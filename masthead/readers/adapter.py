"""Masthead's policy for django-allauth, in one adapter class (allauth's own pattern).

Invariants:
- every decision allauth delegates (who may sign up, where a reader goes next, what an
  email says) is made here or in `masthead.readers.services`, never in a view or
  template;
- a redirect after signing up, in or out only ever goes to a path on this site: a
  relative URL starting with a single "/" (no scheme, no host, no backslash), so
  `//evil.example`, `https:evil.example` and `/\\evil.example` are all refused;
- verification, welcome and existing-account emails go through the task queue,
  enqueued on commit with ids only. Emails that carry a one-time secret (sign-in
  codes, password-reset links) are sent by allauth during the request, so the secret
  is never written to the task table.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.models import EmailAddress
from allauth.core import context
from django.db import transaction
from django.db.models.functions import Lower
from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _

# allauth's success messages that would pile up unseen (the reader is sent back to an
# article, which shows no messages) or say the obvious.
QUIET_MESSAGES = {
    "account/messages/logged_in.txt",
    "account/messages/email_confirmation_sent.txt",
    # The password-change done page says it itself.
    "account/messages/password_changed.txt",
}


def is_internal_path(url: str | None) -> bool:
    """True only for a path on this site, optionally with a query and a #fragment."""
    if not url or not isinstance(url, str):
        return False
    if not url.startswith("/") or url.startswith("//") or "\\" in url:
        return False
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in url):
        return False
    parts = urlsplit(url)
    if parts.scheme or parts.netloc:
        return False
    return url_has_allowed_host_and_scheme(url, allowed_hosts=set())


def _base_url(request: HttpRequest | None) -> str:
    return request.build_absolute_uri("/") if request is not None else ""


class ReaderAccountAdapter(DefaultAccountAdapter):
    error_messages = {
        **DefaultAccountAdapter.error_messages,
        "email_password_mismatch": _(
            "The email address or password is not right. Check them, or sign in with a "
            "code sent by email instead."
        ),
        "too_many_login_attempts": _(
            "There have been too many attempts to sign in. Wait a few minutes and try again."
        ),
        "incorrect_code": _("That code is not right. Check the email we sent and try again."),
        "rate_limited": _("You're going a little fast. Wait a moment and try again."),
        "enter_current_password": _("Enter your current password."),
        "incorrect_password": _("That password is not right."),
        "invalid_or_expired_key": _("This link has expired or has already been used."),
        "invalid_password_reset": _(
            "This password reset link has expired or has already been used."
        ),
    }

    # -- where readers go --------------------------------------------------------------
    def is_safe_url(self, url: str | None) -> bool:
        return is_internal_path(url)

    # -- emails --------------------------------------------------------------------------
    def send_confirmation_mail(
        self, request: HttpRequest, emailconfirmation: Any, signup: bool
    ) -> None:
        from allauth.account import app_settings

        from .tasks import email_verification_send

        if app_settings.EMAIL_VERIFICATION_BY_CODE_ENABLED:
            super().send_confirmation_mail(request, emailconfirmation, signup)
            return
        address_id = emailconfirmation.email_address.pk
        base_url = _base_url(request)
        transaction.on_commit(lambda: email_verification_send.enqueue(address_id, signup, base_url))

    def send_account_already_exists_mail(self, email: str) -> None:
        from .models import User
        from .tasks import existing_account_notice_send

        request = context.request
        user = (
            User.objects.alias(email_lower=Lower("email"))
            .filter(email_lower=email.lower())
            .only("pk")
            .first()
        )
        if user is None:
            # Registration also treats an address another reader has verified as taken.
            owner = (
                EmailAddress.objects.filter(email__iexact=email, verified=True)
                .values_list("user_id", flat=True)
                .first()
            )
            user = User.objects.filter(pk=owner).only("pk").first() if owner else None
        if user is None:
            return
        next_path = ""
        if request is not None:
            candidate = request.POST.get("next") or request.GET.get("next") or ""
            next_path = candidate if is_internal_path(candidate) else ""
        user_id, base_url = user.pk, _base_url(request)
        transaction.on_commit(
            lambda: existing_account_notice_send.enqueue(user_id, next_path, base_url)
        )

    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        from django.conf import settings

        context = {"site_name": settings.WAGTAIL_SITE_NAME, **context}
        super().send_mail(template_prefix, email, context)

    def add_message(
        self,
        request: HttpRequest,
        level: int,
        message_template: str | None = None,
        *args: Any,
        **kwargs: Any,
    ) -> None:
        if message_template in QUIET_MESSAGES:
            return
        super().add_message(request, level, message_template, *args, **kwargs)

    def get_password_change_redirect_url(self, request: HttpRequest) -> str:
        # A page that says it is done (allauth's default shows the form again).
        from django.urls import reverse

        return reverse("account_change_password_done")

    # -- signup --------------------------------------------------------------------------
    def get_signup_redirect_url(self, request: HttpRequest) -> str:
        return self.get_login_redirect_url(request)
