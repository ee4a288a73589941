"""The events app's section of the reader's data export and erasure.

Invariant: covers every events model that points at the reader (Registration); erasure
deletes the reader's registrations and gives their places to the waiting list.
"""

from __future__ import annotations

from typing import Any

from masthead.core import privacy

from . import services
from .models import Registration


def export_events(user: Any) -> dict[str, Any]:
    return {
        "registrations": [
            {
                "event": r.event.title,
                "event_id": r.event_id,
                "starts_at": r.event.starts_at,
                "status": r.status,
                "registered_at": r.queued_at,
                "confirmed_at": r.confirmed_at,
                "cancelled_at": r.cancelled_at,
                "attended": r.attended,
            }
            for r in Registration.objects.filter(user=user)
            .select_related("event")
            .order_by("queued_at", "pk")
        ]
    }


def erase_events(user: Any) -> dict[str, int]:
    return services.registrations_erase(user=user)


privacy.register_exporter("events", export_events, covers=[Registration])
privacy.register_eraser("events", erase_events)
