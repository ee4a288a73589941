"""Hard bounces and spam complaints from the email provider stop marketing email.

django-anymail (when installed and configured as the newsletter backend) verifies its
tracking webhooks (ANYMAIL["WEBHOOK_SECRET"], or the provider's signature) and sends
its `tracking` signal; `connect()` (called from the app's `ready`) hands each event to
`event_record`, which records the suppression. Without anymail nothing is connected,
and `event_record` can still be fed by any other source of bounces.

Invariant: only a permanent problem suppresses: a hard bounce ("bounced" that is not a
soft/transient one), a "complained" event, or a provider rejection for a bad address.
Deferrals, soft bounces, opens and clicks change nothing.
"""

from __future__ import annotations

import logging
from typing import Any

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


def connect() -> bool:
    """Listen to anymail's tracking signal if anymail is installed; True if connected."""
    try:
        from anymail.signals import tracking  # optional dependency
    except ImportError:
        return False
    tracking.connect(_on_tracking, dispatch_uid="masthead.newsletters.tracking")
    return True
