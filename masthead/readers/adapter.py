"""Masthead's policy for django-allauth, in one adapter class (allauth's own pattern).

Invariants:
- every decision allauth delegates (who may sign up, where a reader goes next, what an
  email says) is made here or in `masthead.readers.services`, never in a view or
  template;
- a redirect after signing up, in or out only ever goes to a path on this site: a
  relative URL starting with a single "/" (no scheme, no host, no backslash), so
  `//evil.example`, `https:evil.example` and `/\\evil.example` are all refused;
- every email allauth sends goes through `masthead.core.email` (text and branded HTML
  parts, the newsroom's headers, no List-Unsubscribe: all of these are transactional);
- verification and existing-account emails are queued on core's durable outbox
  (written in the current transaction, delivered by the workers, retried until sent),
  with ids only. Every other allauth email is sent during the request by
  `email.send_now`: the ones carrying a one-time secret (sign-in codes, password-reset
  links) because the secret is never written to the outbox or task table, the
  "unknown account" answer because it must take as long as the reset or code email it
  stands in for (no account enumeration by timing), and allauth's security notices
  because their context is the request itself (address, browser, time).
"""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from masthead.core import email as core_email
from masthead.core.http import is_internal_path

# allauth's success messages that would pile up unseen (the reader is sent back to an
# article, which shows no messages) or say the obvious.
QUIET_MESSAGES = {
    "account/messages/logged_in.txt",
    "account/messages/email_confirmation_sent.txt",
    # The password-change done page says it itself.
    "account/messages/password_changed.txt",
}


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
        "sign_in_bot_check": _(
            "There have been many attempts to sign in to this account. Wait for the "
            "automatic check under the form to confirm you're a person, then sign in again."
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

        from .emails import verification_email

        if app_settings.EMAIL_VERIFICATION_BY_CODE_ENABLED:
            super().send_confirmation_mail(request, emailconfirmation, signup)
            return
        core_email.send(
            renderer=verification_email,
            params={
                "email_address_id": emailconfirmation.email_address.pk,
                "signup": bool(signup),
                "base_url": _base_url(request),
            },
        )

    def send_account_already_exists_mail(self, email: str) -> None:
        from .emails import existing_account_email
        from .signin_addresses import account_holding

        request = allauth_context.request
        # The account registration found holding the mailbox (readers.signin_addresses).
        user = account_holding(email)
        if user is None:
            return
        next_path = ""
        if request is not None:
            candidate = request.POST.get("next") or request.GET.get("next") or ""
            next_path = candidate if is_internal_path(candidate) else ""
        core_email.send(
            renderer=existing_account_email,
            params={"user_id": user.pk, "next_path": next_path, "base_url": _base_url(request)},
        )

    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        # Replaces allauth's render-and-send with core's (see the module docstring for
        # why these go at once rather than through the outbox).
        from django.contrib.sites.shortcuts import get_current_site

        from .emails import account_links

        request = allauth_context.request
        core_email.send_now(
            template_prefix,
            to=email,
            context={
                "request": request,
                "email": email,
                "current_site": get_current_site(request),
                **account_links(_base_url(request)),
                **context,
            },
        )

    def format_email_subject(self, subject: str) -> str:
        # Every subject names the newsroom, so a reader knows who writes before opening.
        return core_email.subject_naming_newsroom(subject)

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

    # -- sign-in limits (masthead.readers.ratelimit) --------------------------------------
    def pre_authenticate(self, request: HttpRequest, **credentials: Any) -> None:
        # Replaces allauth's per-address lockout: limits per (address, source) and a
        # bot check, not a lockout, over the per-address limit.
        from . import ratelimit

        address_key = self._sign_in_address_key(**credentials)
        try:
            self._login_failed_rl_usage = ratelimit.sign_in_attempt_begin(request, address_key)
        except ratelimit.TooManyFromHere:
            raise self.validation_error("too_many_login_attempts") from None
        except ratelimit.PersonCheckNeeded:
            raise self.validation_error("sign_in_bot_check") from None

    def _delete_login_attempts_cached_email(self, request: HttpRequest, **credentials: Any) -> None:
        from . import ratelimit

        ratelimit.sign_in_attempts_clear(request, self._sign_in_address_key(**credentials))

    @staticmethod
    def _sign_in_address_key(**credentials: Any) -> str:
        # The address alone: allauth's own key starts with the request's Host header,
        # and "News.Example", "news.example:443"... would each get a fresh count.
        login = credentials.get("email") or credentials.get("username") or ""
        return f"address:{str(login).strip().lower()}"

    # -- addresses -----------------------------------------------------------------------
    def clean_email(self, email: str) -> str:
        """Every address allauth takes in (add, reset, code) in our one stored form."""
        from .addresses import email_normalise

        return email_normalise(super().clean_email(email))

    def get_password_change_redirect_url(self, request: HttpRequest) -> str:
        # A page that says it is done (allauth's default shows the form again).
        from django.urls import reverse

        return reverse("account_change_password_done")

    # -- signup --------------------------------------------------------------------------
    def get_signup_redirect_url(self, request: HttpRequest) -> str:
        return self.get_login_redirect_url(request)
