"""Emails to readers about their account, sent through core's one email path.

Invariants:
- Each email is built by `masthead.core.email.message` (text and branded HTML parts,
  the newsroom's headers) from readers/email/<name>_{subject,message}.{txt,html}.
- Each email is an outbox renderer (`email.renderer`, queued with `email.send`): it
  takes ids and plain strings (stored as JSON on the outbox row, written in the
  transaction that causes the email), loads its rows when the email is sent, and
  returns None if the row has gone (an account deleted before the worker got to it),
  which cancels the email.
- No secret is ever stored: the verification link's key is derived from the address's
  id when the email is rendered (allauth's HMAC confirmation), so nothing that opens an
  account sits in the outbox or task table. Links are absolute, built on the
  `base_url` of the request that caused the email (a host Django already checked
  against ALLOWED_HOSTS).
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.urls import reverse
from django.utils.http import urlencode

from masthead.core import email

logger = logging.getLogger("masthead.readers")

EMAIL_TEMPLATES = "readers/email"


def _base(base_url: str) -> str:
    return (base_url or settings.WAGTAILADMIN_BASE_URL).rstrip("/")


def account_links(base_url: str = "") -> dict[str, str]:
    """The links every email about an account carries: the site, and the account page."""
    base = _base(base_url)
    return {"base_url": base, "account_url": base + reverse("account:profile")}


def email_render(
    name: str, *, to: str, context: dict[str, Any], base_url: str = ""
) -> EmailMultiAlternatives:
    """Build readers/email/<name> for `to` through core's one email path."""
    return email.message(
        f"{EMAIL_TEMPLATES}/{name}", to=to, context={**account_links(base_url), **context}
    )


@email.renderer
def welcome_email(*, user_id: int, base_url: str = "") -> EmailMultiAlternatives | None:
    from .models import User

    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return None
    base = _base(base_url)
    return email_render(
        "welcome",
        to=user.email,
        base_url=base_url,
        context={
            "user": user,
            "home_url": base + "/",
            "login_url": base + reverse("account_login"),
        },
    )


@email.renderer
def verification_email(
    *, email_address_id: int, signup: bool = False, base_url: str = ""
) -> EmailMultiAlternatives | None:
    from allauth.account.models import EmailAddress, EmailConfirmationHMAC

    address = (
        EmailAddress.objects.select_related("user")
        .filter(pk=email_address_id, verified=False)
        .first()
    )
    if address is None:
        return None
    key = EmailConfirmationHMAC(address).key
    return email_render(
        "verify_signup" if signup else "verify",
        to=address.email,
        base_url=base_url,
        context={
            "user": address.user,
            "email": address.email,
            "activate_url": _base(base_url) + reverse("account_confirm_email", args=[key]),
        },
    )


@email.renderer
def existing_account_email(
    *, user_id: int, next_path: str = "", base_url: str = ""
) -> EmailMultiAlternatives | None:
    """Someone tried to register with this reader's address: tell the owner, help them in."""
    from .models import User

    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return None
    base = _base(base_url)
    query = "?" + urlencode({"next": next_path}) if next_path else ""
    return email_render(
        "existing_account",
        to=user.email,
        base_url=base_url,
        context={
            "user": user,
            "login_url": base + reverse("account_login") + query,
            "code_url": base + reverse("account_request_login_code") + query,
            "reset_url": base + reverse("account_reset_password"),
        },
    )


@email.renderer
def signup_burst_alert_email(
    *, to: str, attempts: int, minutes: int, level: int, ip_limit: int
) -> EmailMultiAlternatives:
    """Tell one member of staff that registration is under a burst (readers.signup_limits)."""
    context = {"attempts": attempts, "minutes": minutes, "level": level, "ip_limit": ip_limit}
    return email_render("signup_burst_alert", to=to, context=context)


def signup_burst_alert_send(*, attempts: int, minutes: int, level: int, ip_limit: int) -> None:
    """Queue the burst alert for ADMINS, or every active superuser when ADMINS is empty."""
    from .models import User

    recipients = [address for _name, address in settings.ADMINS] or list(
        User.objects.filter(is_superuser=True, is_active=True).values_list("email", flat=True)
    )
    params = {"attempts": attempts, "minutes": minutes, "level": level, "ip_limit": ip_limit}
    for address in recipients:
        email.send(renderer=signup_burst_alert_email, params={"to": address, **params})
