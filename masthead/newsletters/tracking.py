"""Hard bounces and spam complaints from the email provider stop marketing email.

django-anymail's tracking webhooks (mounted at /newsletters/anymail/<provider>/tracking/)
verify each call (HTTP basic auth with ANYMAIL["WEBHOOK_SECRET"], and the provider's own
signature where it signs, e.g. Mailgun's webhook signing key) and send anymail's
`tracking` signal; `connect()` (called from the app's `ready`) hands each event to
`event_record`, which records the suppression. A call that fails verification is
answered 400 by anymail and records nothing. `event_record` can also be fed by any
other source of bounces.

Invariant: events are trusted only when the webhook secret is set (anymail lets calls
without basic auth through when it is not, so then every event is ignored and logged).
Only a permanent problem suppresses: a hard bounce ("bounced" that is not a
soft/transient one), a "complained" event, or a provider rejection for a bad address.
Deferrals, soft bounces, opens and clicks change nothing.
"""

from __future__ import annotations

import logging
from typing import Any

from anymail.signals import tracking
from django.conf import settings

from . import services
from .models import Suppression

logger = logging.getLogger("masthead.newsletters.tracking")

# anymail's normalised event types that mean "never again" for the address.
_PERMANENT = {
    "bounced": Suppression.Reason.BOUNCE,
    "rejected": Suppression.Reason.BOUNCE,
    "complained": Suppression.Reason.COMPLAINT,
}
_SOFT_WORDS = ("soft", "transient", "temporary", "mailbox full", "quota")


def event_record(*, event_type: str, recipient: str, description: str = "") -> bool:
    """Record the suppression an event calls for; True if the address is now suppressed."""
    reason = _PERMANENT.get(event_type)
    if reason is None or not recipient:
        return False
    lowered = description.lower()
    if reason == Suppression.Reason.BOUNCE and any(word in lowered for word in _SOFT_WORDS):
        return False
    services.suppression_record(email=recipient, reason=reason, detail=description)
    return True


def _on_tracking(sender: Any, event: Any, esp_name: str, **kwargs: Any) -> None:
    if not getattr(settings, "ANYMAIL", {}).get("WEBHOOK_SECRET"):
        # Without the shared secret anymail lets any caller through (with a warning):
        # a stranger could stop a reader's newsletters with a made-up bounce.
        logger.warning(
            "ignored a %s tracking event: MASTHEAD_ANYMAIL_WEBHOOK_SECRET is not set, so "
            "the webhook cannot tell the provider from anyone else",
            esp_name,
        )
        return
    try:
        event_record(
            event_type=str(getattr(event, "event_type", "")),
            recipient=str(getattr(event, "recipient", "") or ""),
            description=str(
                getattr(event, "description", "") or getattr(event, "reject_reason", "") or ""
            ),
        )
    except ValueError:
        logger.warning("ignored a %s tracking event with no usable address", esp_name)


def connect() -> None:
    """Listen to anymail's tracking signal (once, however often this is called)."""
    tracking.connect(_on_tracking, dispatch_uid="masthead.newsletters.tracking")
