"""The one row kept when a reader erases their account.

Invariant: an AccountErasure holds nothing that identifies the person by itself: a keyed
one-way hash of the lower-cased email (HMAC-SHA256 with the site's secret, so the list
of erased accounts cannot be reversed by hashing a list of addresses), when, how, and
counts of what each registered section erased or unlinked. Given an address and the
secret, the newsroom can answer "was this account erased, and when?".
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

_HASH_SALT = "masthead.readers.AccountErasure.email"


def email_digest(email: str) -> str:
    return salted_hmac(_HASH_SALT, email.strip().lower(), algorithm="sha256").hexdigest()


class AccountErasure(models.Model):
    email_hash = models.CharField(max_length=64, db_index=True)
    erased_at = models.DateTimeField(default=timezone.now)
    source = models.CharField(max_length=60, help_text=_("e.g. account page"))
    counts = models.JSONField(default=dict)

    class Meta:
        app_label = "readers"
        ordering = ["-erased_at", "-pk"]
        verbose_name = _("account erasure")
        verbose_name_plural = _("account erasures")

    def __str__(self) -> str:
        return f"erasure {self.pk} at {self.erased_at:%Y-%m-%d %H:%M}"
