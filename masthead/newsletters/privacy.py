"""The newsletters app's section of the reader's data export and erasure.

Invariant: covers every newsletters model that points at the reader; erasure deletes
subscriptions, the stop-all switch and the record of issues sent to the reader, and
keeps the reader's marketing ledger, unlinked.

A suppression (a bounce or complaint), account-less subscribers (OpenSubscriber) and
their ledger rows are kept by address. The reader's own address, once they have proved
it is theirs (verified), is exported and erased there too: its suppression, a sign-up
made before registering, and the ledger rows of that address (requests, confirmations,
unsubscribes), which erasure deletes. An account that has not proved its address sees
and erases nothing kept by address, since anyone can register with anyone's address.
Someone without an account erases theirs from the signed preferences link in any issue
(`services.open_subscriber_erase`).
"""

from __future__ import annotations

from typing import Any

from masthead.core import privacy

from . import selectors, services
from .models import (
    Delivery,
    MarketingChoice,
    MarketingPreference,
    OpenSubscriber,
    Subscription,
    Suppression,
)


def export_newsletters(user: Any) -> dict[str, Any]:
    preference = MarketingPreference.objects.filter(user=user).first()
    proved = selectors.verified_address(user)
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
        "issues_sent": [
            {
                "newsletter": d.send.issue.newsletter.name,
                "subject": d.send.issue.subject,
                "status": d.status,
                "sent_at": d.sent_at,
            }
            for d in Delivery.objects.filter(user=user)
            .select_related("send__issue__newsletter")
            .order_by("pk")
        ],
        "open_subscriptions": [
            {
                "newsletter": o.newsletter.name,
                "status": o.status,
                "signed_up_at": o.created_at,
                "confirmed_at": o.confirmed_at,
                "issues_sent": [
                    {"subject": d.send.issue.subject, "status": d.status, "sent_at": d.sent_at}
                    for d in o.deliveries.select_related("send__issue").order_by("pk")
                ],
            }
            for o in OpenSubscriber.objects.filter(email=proved or "")
            .select_related("newsletter")
            .order_by("pk")
        ],
        # The ledger of those rows, kept by address (a reader's own rows, those of a
        # sign-up carried over to the account included, are under marketing_choices).
        "open_marketing_choices": [
            {
                "action": c.action,
                "newsletter": c.newsletter.slug if c.newsletter else None,
                "source": c.source,
                "at": c.at,
            }
            for c in MarketingChoice.objects.filter(email=proved or "")
            .exclude(email="")
            .select_related("newsletter")
            .order_by("at", "pk")
        ],
        # A suppression is the mailbox's: shown only for an address the reader proved.
        "suppression": [
            {"reason": s.reason, "since": s.created_at}
            for s in (Suppression.objects.filter(email=proved) if proved else ())
        ],
    }


def erase_newsletters(user: Any) -> dict[str, int]:
    return services.marketing_erase(user=user)


privacy.register_exporter(
    "newsletters",
    export_newsletters,
    covers=[Subscription, MarketingChoice, MarketingPreference, Delivery, OpenSubscriber],
)
privacy.register_exempt(
    "newsletters.Send",
    "Send.started_by names the staff member who sent an issue (an audit of staff work); "
    "it is set to null when that account goes, and holds nothing about readers.",
)
privacy.register_eraser("newsletters", erase_newsletters)
