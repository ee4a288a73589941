"""The personal-data registry: what each app holds about a reader, to export and erase.

Each app registers, under a section name, an exporter (reader -> JSON-ready data), an
optional eraser (reader -> counts of what it removed or unlinked) and the models it
answers for. Apps register from their AppConfig.ready() or from a `privacy` module in
the app, which the registry imports on first use (`masthead.*` apps only), so a new app
joins the export and the erasure without touching this file.

Invariants:
- Every model with a ForeignKey or OneToOneField to the user model is either covered by
  a registered section or listed in EXEMPT with the reason; `uncovered_models()` names
  the ones that are neither, and a test keeps it empty.
- Erasers run inside the caller's transaction, in registration order, and before the
  user row is deleted. They remove personal data, or unlink rows the newsroom must keep
  (consent and marketing ledgers) from the person.
- The export is built only from registered exporters; what a section returns must be
  JSON-serialisable with DjangoJSONEncoder (dates, times, decimals, UUIDs).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib import import_module
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.module_loading import module_has_submodule

Exporter = Callable[[Any], Any]
Eraser = Callable[[Any], dict[str, int]]

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


@dataclass
class Section:
    name: str
    exporter: Exporter | None = None
    eraser: Eraser | None = None
    covers: set[str] = field(default_factory=set)


class Registry:
    """Sections by name, in registration order. Use the module-level functions."""

    def __init__(self) -> None:
        self._sections: dict[str, Section] = {}
        self._discovered = False
        self._lock = threading.Lock()

    def _section(self, name: str) -> Section:
        return self._sections.setdefault(name, Section(name=name))

    def register_exporter(
        self, name: str, exporter: Exporter, *, covers: Iterable[str | type[models.Model]] = ()
    ) -> None:
        section = self._section(name)
        section.exporter = exporter
        section.covers.update(_label(m) for m in covers)

    def register_eraser(self, name: str, eraser: Eraser) -> None:
        self._section(name).eraser = eraser

    def discover(self) -> None:
        """Import `<app>.privacy` for each of our apps, once (apps register on import)."""
        if self._discovered:
            return
        with self._lock:
            if self._discovered:
                return
            for config in apps.get_app_configs():
                # Our apps only: a third-party app's `privacy` module means something else.
                if config.name.startswith("masthead.") and module_has_submodule(
                    config.module, "privacy"
                ):
                    import_module(f"{config.name}.privacy")
            self._discovered = True

    def sections(self) -> list[Section]:
        self.discover()
        return list(self._sections.values())


def _label(model: str | type[models.Model]) -> str:
    return model if isinstance(model, str) else model._meta.label


_registry = Registry()


def register_exporter(
    name: str, exporter: Exporter, *, covers: Iterable[str | type[models.Model]] = ()
) -> None:
    """Add `name` to the export: `exporter(user)` returns that section's data.

    `covers` names the models (classes or "app_label.Model") whose rows about the reader
    the section accounts for, both in the export and in its eraser.
    """
    _registry.register_exporter(name, exporter, covers=covers)


def register_eraser(name: str, eraser: Eraser) -> None:
    """Add `name` to the erasure: `eraser(user)` removes or unlinks, returning counts."""
    _registry.register_eraser(name, eraser)


def sections() -> list[Section]:
    return _registry.sections()


def covered_models() -> set[str]:
    return {label for section in sections() for label in section.covers}


def models_pointing_at_user() -> set[str]:
    """Labels of every installed model declaring a FK or one-to-one to the user model,
    including the hidden tables behind many-to-many fields (a future "follows" or
    "attendees" field is caught too)."""
    user_model = apps.get_model(settings.AUTH_USER_MODEL)
    found: set[str] = set()
    for model in apps.get_models(include_auto_created=True):
        for f in model._meta.get_fields():
            # Fields a model inherits from a concrete parent are the parent's to cover.
            if (
                f.concrete
                and f.is_relation
                and (f.many_to_one or f.one_to_one)
                and f.related_model is user_model
                and f.model is model
                and not getattr(f, "parent_link", False)
            ):
                found.add(model._meta.label)
    return found


def uncovered_models() -> set[str]:
    """Models pointing at the user that are neither registered nor exempt (keep empty)."""
    return models_pointing_at_user() - covered_models() - set(EXEMPT)


def export_for(user: Any) -> dict[str, Any]:
    """Everything held about the reader, one key per registered section."""
    data: dict[str, Any] = {}
    for section in sections():
        if section.exporter is not None:
            data[section.name] = section.exporter(user)
    return {
        "format": "masthead-personal-data",
        "format_version": 1,
        "generated_at": timezone.now(),
        "sections": data,
    }


def erase_for(user: Any) -> dict[str, dict[str, int]]:
    """Run every eraser for the reader; the caller holds the transaction."""
    counts: dict[str, dict[str, int]] = {}
    for section in sections():
        if section.eraser is not None:
            counts[section.name] = section.eraser(user)
    return counts


# --------------------------------------------------------------------------------------
# The readers app's own section: the account itself, its addresses, consents, sessions.
# --------------------------------------------------------------------------------------
def _export_account(user: Any) -> dict[str, Any]:
    from allauth.account.models import EmailAddress
    from allauth.usersessions.models import UserSession

    from .models import ConsentRecord

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
    from allauth.account.models import EmailAddress

    from .models import ConsentRecord

    unlinked = ConsentRecord.objects.filter(user=user).update(
        user=None, ip_address=None, user_agent=""
    )
    addresses, _ = EmailAddress.objects.filter(user=user).delete()
    return {"consent_records_unlinked": unlinked, "email_addresses_deleted": addresses}


register_exporter(
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
register_eraser("account", _erase_account)


# --------------------------------------------------------------------------------------
# Two-factor sign-in (allauth.mfa; see masthead.readers.mfa). What kind of authenticator
# and when it was added and used; never its secrets (TOTP key, recovery codes, passkey
# credential), which would let whoever holds the export sign in. Deleted with the account.
# --------------------------------------------------------------------------------------
def _export_two_factor(user: Any) -> list[dict[str, Any]]:
    from allauth.mfa.models import Authenticator

    return [
        {"type": a.type, "created_at": a.created_at, "last_used_at": a.last_used_at}
        for a in Authenticator.objects.filter(user=user).order_by("pk")
    ]


register_exporter("two_factor", _export_two_factor, covers=["mfa.Authenticator"])


def _export_emails(user: Any) -> list[dict[str, Any]]:
    from masthead.core import outbox

    return outbox.emails_to(address=user.email)


def _erase_emails(user: Any) -> dict[str, int]:
    from masthead.core import outbox

    return {"emails_forgotten": outbox.emails_forget(address=user.email)}


# The outbox keeps the address and subject of each email sent (core.outbox); it has no
# key to the user, so it is found by address.
register_exporter("emails", _export_emails)
register_eraser("emails", _erase_emails)
