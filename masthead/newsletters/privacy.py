"""The newsletters app's section of the reader's data export and erasure.

Invariant: covers every newsletters model that points at the reader; erasure deletes
subscriptions, the stop-all switch and the record of issues sent to the reader, and
keeps the reader's marketing ledger, unlinked.

What is kept by address belongs to the mailbox, not to an account: account-less
subscribers (OpenSubscriber), their ledger rows and a suppression (a bounce or a
complaint). An account holding the address, even proved, may not be its owner's:
anyone can register with anyone's address, and the owner may follow the link that
proves it for the stranger. So the account's export shows none of the account-less
sign-ups or their ledger, and its erasure deletes none of them; the mailbox reaches
them through the signed links in every issue (its preferences page shows them and
forgets the address: `services.open_subscriber_erase`). A sign-up carried over to the
account (from the reader's own signed-in session) is the account's, and exported and
erased with it. A suppression outlives the account (mail to a mailbox that bounced or
complained stays stopped, whoever registers it next); the account's export shows it
only for an address the reader proved, as their account page does.
"""

from __future__ import annotations

from typing import Any

from masthead.core import privacy

from . import selectors, services
from .models import (
    Delivery,
    MarketingChoice,
    MarketingPreference,
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
    covers=[Subscription, MarketingChoice, MarketingPreference, Delivery],
)
privacy.register_exempt(
    "newsletters.Send",
    "Send.started_by names the staff member who sent an issue (an audit of staff work); "
    "it is set to null when that account goes, and holds nothing about readers.",
)
privacy.register_eraser("newsletters", erase_newsletters)
