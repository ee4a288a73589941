"""The readers app's sections of the reader's data export and erasure (masthead.core.privacy).

The account itself, its addresses, consents and sessions; two-factor sign-in; the
emails sent. This module also declares the models that point at the user but hold no
reader data (staff-only editorial records), each with the reason. What the export
looks like to the reader is readers.account.selectors.personal_data; the erasure flow
is readers.account.services.account_erase.

Invariant: every readers model pointing at the user, and the third-party ones the reader
account brings (allauth's addresses, sessions, authenticators), is covered here or
exempt with a reason (the coverage test in readers.tests.test_privacy).
"""

from __future__ import annotations

from typing import Any

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.usersessions.models import UserSession
from django.conf import settings

from masthead.core import outbox, privacy
from masthead.newsletters import emails as newsletter_emails

from .models import ConsentRecord

# Models that point at the user but hold nothing a reader's account page must export or
# erase, each with the reason. Anything else pointing at the user must be registered.
_EDITORIAL = (
    "Wagtail's editorial record, written only by staff in the admin; staff accounts "
    "are closed by an administrator, never through the reader's account page"
)
EXEMPT: dict[str, str] = {
    "admin.LogEntry": "Django admin's audit log of staff actions; " + _EDITORIAL,
    "wagtailcore.Page": "page ownership and locks; " + _EDITORIAL,
    "wagtailcore.Revision": "page revisions; " + _EDITORIAL,
    "wagtailcore.PageLogEntry": "page history; " + _EDITORIAL,
    "wagtailcore.ModelLogEntry": "snippet history; " + _EDITORIAL,
    "wagtailcore.WorkflowState": "moderation workflow; " + _EDITORIAL,
    "wagtailcore.TaskState": "moderation workflow; " + _EDITORIAL,
    "wagtailcore.Comment": "editors' comments on drafts; " + _EDITORIAL,
    "wagtailcore.CommentReply": "editors' comments on drafts; " + _EDITORIAL,
    "wagtailcore.PageSubscription": "editors' comment notifications; " + _EDITORIAL,
    "wagtailcore.UploadedFile": "admin uploads in progress; " + _EDITORIAL,
    "wagtailcore.APIToken": "admin API tokens; " + _EDITORIAL,
    "wagtailadmin.EditingSession": "who is editing a page; " + _EDITORIAL,
    "wagtailadmin.FormState": "admin form drafts; " + _EDITORIAL,
    "wagtailusers.UserProfile": "admin interface preferences; " + _EDITORIAL,
    "readers.User_user_permissions": "per-user admin permissions; " + _EDITORIAL,
    "wagtailimages.Image": "editorial images' uploader; " + _EDITORIAL,
    "wagtaildocs.Document": "editorial documents' uploader; " + _EDITORIAL,
}


for _label, _reason in EXEMPT.items():
    privacy.register_exempt(_label, _reason)


# --------------------------------------------------------------------------------------
# The readers app's own section: the account itself, its addresses, consents, sessions.
# --------------------------------------------------------------------------------------
def _export_account(user: Any) -> dict[str, Any]:
    return {
        "profile": {
            "email": user.email,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "date_of_birth": user.date_of_birth,
            "date_joined": user.date_joined,
            "last_login": user.last_login,
            "has_password": user.has_usable_password(),
            "groups": sorted(user.groups.values_list("name", flat=True)),
        },
        "email_addresses": [
            {"email": a.email, "verified": a.verified, "primary": a.primary}
            for a in EmailAddress.objects.filter(user=user).order_by("pk")
        ],
        "consents": [
            {
                "document": c.document,
                "version": c.version,
                "accepted_at": c.accepted_at,
                "source": c.source,
                "ip_address": c.ip_address,
                "user_agent": c.user_agent,
            }
            for c in ConsentRecord.objects.filter(user=user).order_by("accepted_at", "pk")
        ],
        "sessions": [
            {
                "ip_address": s.ip,
                "user_agent": s.user_agent,
                "created_at": s.created_at,
                "last_seen_at": s.last_seen_at,
            }
            for s in UserSession.objects.filter(user=user).order_by("created_at", "pk")
        ],
    }


def _erase_account(user: Any) -> dict[str, int]:
    """Unlink consent records (kept as the audit trail) and drop addresses.

    Sessions are ended by the account service once the erasure commits: ending one
    deletes it from the session store, which a rollback could not bring back.
    """
    unlinked = ConsentRecord.objects.filter(user=user).update(
        user=None, ip_address=None, user_agent=""
    )
    addresses, _ = EmailAddress.objects.filter(user=user).delete()
    return {"consent_records_unlinked": unlinked, "email_addresses_deleted": addresses}


privacy.register_exporter(
    "account",
    _export_account,
    covers=[
        settings.AUTH_USER_MODEL,
        "readers.ConsentRecord",
        "account.EmailAddress",
        "usersessions.UserSession",
        "readers.User_groups",
    ],
)
# Last: other sections may still read the account's addresses while they erase.
privacy.register_eraser("account", _erase_account, last=True)


# --------------------------------------------------------------------------------------
# Two-factor sign-in (allauth.mfa; see masthead.readers.mfa). What kind of authenticator
# and when it was added and used; never its secrets (TOTP key, recovery codes, passkey
# credential), which would let whoever holds the export sign in. Deleted with the account.
# --------------------------------------------------------------------------------------
def _export_two_factor(user: Any) -> list[dict[str, Any]]:
    return [
        {"type": a.type, "created_at": a.created_at, "last_used_at": a.last_used_at}
        for a in Authenticator.objects.filter(user=user).order_by("pk")
    ]


privacy.register_exporter("two_factor", _export_two_factor, covers=["mfa.Authenticator"])


# An open newsletter's confirmation went to the mailbox, not to this account (which may
# be a stranger's holding the address): never the account's to see or erase.
_MAILBOX_EMAILS = (newsletter_emails.CONFIRMATION_KEY_PREFIX,)


def _export_emails(user: Any) -> list[dict[str, Any]]:
    return outbox.emails_to(address=user.email, excluding=_MAILBOX_EMAILS)


def _erase_emails(user: Any) -> dict[str, int]:
    return {"emails_forgotten": outbox.emails_forget(address=user.email, excluding=_MAILBOX_EMAILS)}


# The outbox keeps the address and subject of each email sent (core.outbox); it has no
# key to the user, so it is found by address.
privacy.register_exporter("emails", _export_emails)
privacy.register_eraser("emails", _erase_emails)
