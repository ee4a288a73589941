"""The newsletters app's section of the reader's data export and erasure.

Invariant: covers every newsletters model that points at the reader; erasure deletes
subscriptions and the stop-all switch and keeps the marketing ledger, unlinked.
"""

from __future__ import annotations

from typing import Any

from masthead.core import privacy

from . import services
from .models import MarketingChoice, MarketingPreference, Subscription


def export_newsletters(user: Any) -> dict[str, Any]:
    preference = MarketingPreference.objects.filter(user=user).first()
    return {
        "all_marketing_email_stopped": bool(preference and preference.marketing_stopped),
        "subscriptions": [
            {
                "newsletter": s.newsletter.name,
                "slug": s.newsletter.slug,
                "active": s.active,
                "created_at": s.created_at,
                "changed_at": s.changed_at,
                "source": s.source,
            }
            for s in Subscription.objects.filter(user=user)
            .select_related("newsletter")
            .order_by("created_at", "pk")
        ],
        "marketing_choices": [
            {
                "action": c.action,
                "newsletter": c.newsletter.slug if c.newsletter else None,
                "source": c.source,
                "at": c.at,
            }
            for c in MarketingChoice.objects.filter(user=user)
            .select_related("newsletter")
            .order_by("at", "pk")
        ],
    }


def erase_newsletters(user: Any) -> dict[str, int]:
    return services.marketing_erase(user=user)


privacy.register_exporter(
    "newsletters",
    export_newsletters,
    covers=[Subscription, MarketingChoice, MarketingPreference],
)
privacy.register_eraser("newsletters", erase_newsletters)
