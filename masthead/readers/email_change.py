"""Changing a reader's email address: only ever to an address they have proved is theirs.

Invariants:
- With ACCOUNT_CHANGE_EMAIL the new address replaces the old one only once its owner
  follows the verification link (allauth's flow).
- An address that another account already uses is never attached to this one; the
  page answers exactly as if it had been (a verification email "sent"), so the form
  cannot be used to find out who has an account.
- An unverified address can never be made the primary one by hand, so nobody can sign
  in with an address they do not control.
- The address a reader has now stays theirs, verified or not, until the new one is
  proved: a change only ever replaces the *pending* address (unverified and not
  primary), never the current one. (allauth's own `add_new_email` takes the newest
  unverified row, which for a reader who has not yet verified is their only address,
  and would leave the account with an empty email.)
"""

from __future__ import annotations

from typing import Any

from allauth.account import app_settings
from allauth.account.forms import AddEmailForm
from allauth.account.internal.flows.email_verification import (
    send_verification_email_to_address,
)
from allauth.account.models import EmailAddress
from allauth.account.views import EmailView
from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from masthead.core.http import is_internal_path

from .forms import plain_email_field
from .signin_addresses import account_holding


def address_held_by_another_account(*, email: str, user: Any) -> bool:
    # The same mailbox in any form (readers.addresses), or verified by someone else.
    return account_holding(email, exclude=user) is not None


def pending_addresses(user: Any) -> Any:
    """The addresses `user` has asked to change to and not yet proved (never the current one)."""
    return EmailAddress.objects.filter(user_id=user.pk, verified=False, primary=False).exclude(
        email__iexact=user.email
    )


def pending_address(user: Any) -> EmailAddress | None:
    return pending_addresses(user).order_by("pk").last()


class ReaderAddEmailForm(AddEmailForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        plain_email_field(
            self, label=_("New email address"), required=_("Enter the new email address.")
        )

    def save(self, request: HttpRequest) -> EmailAddress:
        email = self.cleaned_data["email"]
        if address_held_by_another_account(email=email, user=self.user):
            # Unsaved: nothing is stored or sent, and the page reads as if it were.
            return EmailAddress(user=self.user, email=email)
        if app_settings.EMAIL_VERIFICATION_BY_CODE_ENABLED or not app_settings.CHANGE_EMAIL:
            return super().save(request)
        with transaction.atomic():
            # Only an earlier pending change is replaced; the current address stays.
            pending_addresses(self.user).delete()
            address = EmailAddress.objects.create(user=self.user, email=email)
        send_verification_email_to_address(request, address)
        return address


class ReaderEmailView(EmailView):
    def _action_primary(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        email_address = self._get_email_address(request)
        if email_address is not None and not email_address.verified:
            messages.error(
                request,
                _("Follow the link we emailed to that address first; then it becomes yours."),
            )
            return redirect(request.path)
        return super()._action_primary(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        # allauth's "current" is a confirmed address and its "changing to" would name the
        # current address while it is unconfirmed; a reader signs in with their own
        # address confirmed or not, and is changing only to a pending one.
        context["current_emailaddress"] = (
            EmailAddress.objects.filter(user_id=user.pk, email__iexact=user.email)
            .order_by("-primary", "pk")
            .first()
        )
        if app_settings.CHANGE_EMAIL:
            context["new_emailaddress"] = pending_address(user)
        return context

    def _action_send(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        # allauth's own "sent" message is quiet (the adapter's QUIET_MESSAGES, since
        # registering sends one unasked); asked for here, the reader is told either way.
        super()._action_send(request, *args, **kwargs)
        if getattr(self, "_did_send_verification_email", False):
            messages.success(
                request,
                _("We\u2019ve sent a new confirmation link to %(email)s.")
                % {"email": request.POST.get("email", "")},
            )
        else:
            messages.info(
                request,
                _("We sent you a link a moment ago. Give it a few minutes, then try again."),
            )
        back = request.POST.get("next")
        if is_internal_path(back):
            return redirect(back)
        return None

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().dispatch(request, *args, **kwargs)
        response["Cache-Control"] = "private, no-store"
        return response
