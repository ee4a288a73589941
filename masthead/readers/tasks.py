"""Emails to readers about their account, sent by the task worker.

Invariants:
- Tasks take ids and plain strings (their arguments are stored as JSON), load their
  rows when they run, and quietly do nothing if the row has gone (an account deleted
  before the worker got to it).
- They are enqueued with `transaction.on_commit`, so a task never looks for a row that
  is not committed yet.
- No secret is ever a task argument: the verification link's key is derived from the
  address's id when the task runs (allauth's HMAC confirmation), so nothing that opens
  an account sits in the task table. Links are absolute, built on the `base_url` of the
  request that caused the email (a host Django already checked against ALLOWED_HOSTS).
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import urlencode
from django_tasks import task

logger = logging.getLogger("masthead.readers")

EMAIL_TEMPLATES = "readers/email"


def _base(base_url: str) -> str:
    return (base_url or settings.WAGTAILADMIN_BASE_URL).rstrip("/")


def email_render_send(name: str, *, to: str, context: dict[str, Any]) -> None:
    """Render readers/email/<name>_{subject,message}.txt (+ .html if present) and send."""
    context = {"site_name": settings.WAGTAIL_SITE_NAME, **context}
    subject = " ".join(render_to_string(f"{EMAIL_TEMPLATES}/{name}_subject.txt", context).split())
    text = render_to_string(f"{EMAIL_TEMPLATES}/{name}_message.txt", context).strip() + "\n"
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [to])
    message.send()


@task()
def welcome_email_send(user_id: int, base_url: str = "") -> None:
    from .models import User

    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return
    base = _base(base_url)
    email_render_send(
        "welcome",
        to=user.email,
        context={
            "user": user,
            "home_url": base + "/",
            "login_url": base + reverse("account_login"),
        },
    )


@task()
def email_verification_send(
    email_address_id: int, signup: bool = False, base_url: str = ""
) -> None:
    from allauth.account.models import EmailAddress, EmailConfirmationHMAC

    address = (
        EmailAddress.objects.select_related("user")
        .filter(pk=email_address_id, verified=False)
        .first()
    )
    if address is None:
        return
    key = EmailConfirmationHMAC(address).key
    email_render_send(
        "verify_signup" if signup else "verify",
        to=address.email,
        context={
            "user": address.user,
            "email": address.email,
            "activate_url": _base(base_url) + reverse("account_confirm_email", args=[key]),
        },
    )


@task()
def existing_account_notice_send(user_id: int, next_path: str = "", base_url: str = "") -> None:
    """Someone tried to register with this reader's address: tell the owner, help them in."""
    from .models import User

    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return
    base = _base(base_url)
    query = "?" + urlencode({"next": next_path}) if next_path else ""
    email_render_send(
        "existing_account",
        to=user.email,
        context={
            "user": user,
            "login_url": base + reverse("account_login") + query,
            "code_url": base + reverse("account_request_login_code") + query,
            "reset_url": base + reverse("account_reset_password"),
        },
    )


@task()
def signup_burst_alert_send(attempts: int, minutes: int, level: int, ip_limit: int) -> None:
    """Tell staff that registration is under a burst (readers.signup_limits)."""
    from .models import User

    recipients = [address for _name, address in settings.ADMINS] or list(
        User.objects.filter(is_superuser=True, is_active=True).values_list("email", flat=True)
    )
    context = {"attempts": attempts, "minutes": minutes, "level": level, "ip_limit": ip_limit}
    for address in recipients:
        email_render_send("signup_burst_alert", to=address, context=context)
