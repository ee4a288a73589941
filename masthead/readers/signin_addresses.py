"""Which account an email address signs in to: only an address the account owns.

Invariant: an address opens an account (password, emailed code, password reset) only
if it is the account's current address (`User.email`, verified or not: every reader
starts unverified and is signed in at once) or an address the reader has *verified*.
An address a reader has asked to change to and not yet proved is nobody's yet, so it
opens nothing; allauth on its own would accept any EmailAddress row.
"""

from __future__ import annotations

from typing import Any

from allauth.account.auth_backends import AuthenticationBackend
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Lower

from .addresses import email_identity, email_lookup_form


def accounts_answering_to(email: str, *, is_active: bool | None = None) -> list[Any]:
    """The accounts `email` may sign in to (at most one while addresses stay unique)."""
    email = email_lookup_form(email)
    if not email:
        return []
    verified = EmailAddress.objects.filter(user=OuterRef("pk"), email=email, verified=True)
    users = (
        get_user_model()
        .objects.alias(email_lower=Lower("email"), has_verified=Exists(verified))
        .filter(Q(email_lower=email) | Q(has_verified=True))
    )
    if is_active is not None:
        users = users.filter(is_active=is_active)
    return list(users)


class ReaderAuthenticationBackend(AuthenticationBackend):
    """allauth's backend, answering only to addresses the account owns (see above)."""

    def _authenticate_by_email(self, email: str, password: str) -> Any:
        for user in accounts_answering_to(email):
            if self._check_password(user, password):
                return user
        return None


def account_holding(email: str, *, exclude: Any = None) -> Any:
    """The account that already holds `email`'s mailbox, if any (for "one account each").

    It holds it when its address is the same mailbox (`email_identity`, so the forms
    of one domain and ß/ss count as one), or when it has *verified* the address as a
    second one. `exclude` leaves out the asking reader's own account.
    """
    User = get_user_model()
    address = email_lookup_form(email)
    users = User.objects.alias(email_lower=Lower("email")).filter(
        Q(email_identity=email_identity(address)) | Q(email_lower=address)
    )
    owners = EmailAddress.objects.filter(email__iexact=address, verified=True)
    if exclude is not None:
        users = users.exclude(pk=exclude.pk)
        owners = owners.exclude(user_id=exclude.pk)
    holder = users.only("pk").first()
    if holder is None:
        owner_id = owners.values_list("user_id", flat=True).first()
        holder = User.objects.filter(pk=owner_id).only("pk").first() if owner_id else None
    return holder
