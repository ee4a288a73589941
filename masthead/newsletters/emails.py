"""The double opt-in email of an open newsletter, sent through core's one email path.

Invariant: no secret is stored. The outbox row holds the pending subscriber's id and the
moment the confirmation was requested; the signed link is derived from them when the
email is built, and the email is cancelled (None) when the row has gone, is no longer
pending, or has been asked for again since (only the newest request's link goes out).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.urls import reverse

from masthead.core import email

from . import tokens
from .models import OpenSubscriber

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)

# The outbox key of an open sign-up's confirmation email: sent to a mailbox, not to an
# account, so no account's export or erasure includes it (see newsletters.privacy).
CONFIRMATION_KEY_PREFIX = "newsletters.confirm:"


def requested_stamp(subscriber: OpenSubscriber) -> int:
    """The request's moment as it goes in the token and the outbox key, in microseconds:
    two requests for one row (or for a row whose id the database reused after a
    deletion) never share a stamp, so neither an email nor a link stands for another."""
    return (subscriber.requested_at - _EPOCH) // dt.timedelta(microseconds=1)


def confirm_url(subscriber: OpenSubscriber) -> str:
    token = tokens.confirm_token(
        subscriber_id=subscriber.pk,
        newsletter_id=subscriber.newsletter_id,
        requested=requested_stamp(subscriber),
    )
    path = reverse("newsletters_public:confirm", args=[subscriber.newsletter.slug, token])
    return settings.WAGTAILADMIN_BASE_URL.rstrip("/") + path


@email.renderer
def confirmation_email(*, subscriber_id: int, requested: int) -> EmailMultiAlternatives | None:
    subscriber = (
        OpenSubscriber.objects.select_related("newsletter")
        .filter(pk=subscriber_id, status=OpenSubscriber.Status.PENDING)
        .first()
    )
    if subscriber is None or requested_stamp(subscriber) != requested:
        return None
    return email.message(
        "newsletters/email/confirm",
        to=subscriber.email,
        context={
            "newsletter": subscriber.newsletter,
            "email": subscriber.email,
            "confirm_url": confirm_url(subscriber),
            "hours": settings.NEWSLETTER_CONFIRM_HOURS,
        },
    )
